"""Every ``signlstm`` command the documents quote is one today's command line takes: its command exists, each
``--option`` is one of that command's own (spelled out: argparse's abbreviations would hide a renamed option), a
value of an option with choices is one of them, a whole command in a code block parses, and the files it names in
``../shared``, ``demo/`` and ``src/`` exist."""
import argparse
import functools
import re
import shlex
from pathlib import Path

import pytest

from signlstm.cli import build_parser as _build_parser
from signlstm.conftest import SHARED

ROOT = Path(__file__).resolve().parents[3]
DOCUMENTS = ["README.md", "src/signlstm/models/MODEL_CARD.md", "src/signlstm/models/trunk/CARD.md",
             "docs/vocabulary.md", "demo/README.md"]


@functools.cache
def build_parser() -> argparse.ArgumentParser:
    return _build_parser()


def _sub(parser: argparse.ArgumentParser) -> dict:
    return next((a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)), {})


def quoted(text: str) -> list[tuple[int, str, bool]]:
    """(line, command, whole) for each command in ``text``: the ``signlstm ...`` lines of its code blocks (fenced or
    indented; a trailing ``\\`` continues a line, ``#`` starts a comment), whole; and its inline code spans that
    start with ``signlstm`` or with a command and an option (``live --source``), which may be fragments."""
    found = []
    lines = text.split("\n")
    fenced, i = False, 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif (fenced or line.startswith("    ")) and line.strip().startswith("signlstm "):
            start = i
            while line.rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                line = line.rstrip()[:-1] + " " + lines[i]
            found.append((start + 1, " ".join(line.split(" #", 1)[0].split()), True))
        i += 1
    commands = set(_sub(build_parser()))
    prose = re.sub(r"```.*?```", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)  # its lines kept
    for m in re.finditer(r"(?<!`)`([^`]+)`(?!`)", prose):
        words = m.group(1).split()
        if len(words) > 1 and (words[0] == "signlstm" or (words[0] in commands and words[1].startswith("--"))):
            found.append((prose.count("\n", 0, m.start()) + 1, " ".join(["signlstm"] * (words[0] != "signlstm")
                                                                      + words), False))
    return found


def problems(command: str, whole: bool) -> list[str]:
    """What today's parser says is wrong with ``command`` (nothing for a fragment that only leaves out values or
    required options)."""
    parser = build_parser()
    # "[--rule spot]" marks an option as optional; "..." and "|" / "&" belong to the prose or the shell
    argv = [a for a in shlex.split(command.replace("[", " ").replace("]", " "))[1:] if a not in ("...", "|", "&")]
    if "|" in command:
        argv = argv[:argv.index("head")] if "head" in argv else argv
    p, rest = parser, list(argv)
    while rest and rest[0] in _sub(p):
        p = _sub(p)[rest.pop(0)]
    if p is parser:  # nothing after "signlstm" but "..." is prose ("a script's `signlstm ... &`")
        return [] if rest[:1] in ([], ["--version"], ["--help"]) else [f"no command {rest[0]!r}"]
    out = []
    for i, word in enumerate(rest):
        if not word.startswith("--"):
            continue
        action = p._option_string_actions.get(word.split("=", 1)[0])
        if action is None:
            out.append(f"{word} is not an option of {p.prog}")
        elif action.choices is not None:
            values = []
            for v in rest[i + 1:]:
                if v.startswith("-") or (action.nargs in (None, "?") and values):
                    break
                values.append(v)
            out += [f"{word} {v}: not one of {sorted(action.choices)}" for v in values if v not in action.choices]
    if whole and not out and "..." not in command:
        try:
            parser.parse_args(argv)
        except SystemExit as e:
            out.append(f"does not parse (exit {e.code})")
    return out


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_quoted_command_parses_with_todays_options(document, capsys):
    bad = []
    for line, command, whole in quoted((ROOT / document).read_text(encoding="utf-8")):
        bad += [f"{document}:{line}: {command}: {why}" for why in problems(command, whole)]
    capsys.readouterr()  # argparse's own messages
    assert not bad, "\n".join(bad)


def test_the_documents_quote_the_commands_this_test_reads():
    """The extraction finds what the documents hold: a block's continued lines, inline fragments, indented blocks."""
    found = {d: quoted((ROOT / d).read_text(encoding="utf-8")) for d in DOCUMENTS}
    readme = [c for _, c, whole in found["README.md"] if whole]
    assert len(readme) > 40 and ("signlstm train --data ../shared/data/signers --negatives ../shared/data/other_signs "
                                 "--arch spotting --out models/spotting") in readme
    assert any(not whole and c.startswith("signlstm live --source ../shared/media/asl_iloveyou_rohan937.mp4")
               for _, c, whole in found["README.md"])  # written without "signlstm" in the text
    assert any(whole and "--per-label 2 --others-per-stream 2" in c for _, c, whole in found["demo/README.md"])
    assert problems("signlstm live --thresh 0.6", True) == ["--thresh is not an option of signlstm live"]
    assert problems("signlstm live --rule spotting", False) == [
        "--rule spotting: not one of ['spot', 'stream', 'tutorial']"]
    assert problems("signlstm judge streams --adapt", False) == []  # a fragment naming an option


def test_the_files_quoted_commands_name_exist(shared):
    shared("data", "signers")  # under CI a missing ../shared fails here
    missing = []
    for document in DOCUMENTS:
        for line, command, _ in quoted((ROOT / document).read_text(encoding="utf-8")):
            for word in shlex.split(command.replace("[", " ").replace("]", " ")):
                if word.startswith("../shared/"):
                    path = SHARED / word.removeprefix("../shared/")
                elif word.startswith(("demo/", "src/")):
                    path = ROOT / word
                else:
                    continue
                if not path.exists():
                    missing.append(f"{document}:{line}: {word}")
    assert not missing, "\n".join(missing)
