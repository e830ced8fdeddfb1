"""Messages stay one line whatever text they name: :func:`signlstm.errors.one_line` and the commands' errors."""
from __future__ import annotations

import contextlib
import io
import os
import unicodedata

from hypothesis import HealthCheck, assume, given, settings, strategies as st

from signlstm.errors import REORDERING, first_line, one_line

# Any text, and text of what the rules are about: line breaks of every kind, a terminal's escape, C1 controls, the
# bidirectional overrides and isolates, marks, joiners, wide letters, a backslash.
_TRICKY = "a\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\x1b[31m\x9b\x00\t\u202e\u2066\u2069\u200f\u200d\u0301é長\\"
_TEXT = st.text(max_size=40) | st.text(st.sampled_from(_TRICKY), max_size=40)


def _unsafe(c: str) -> bool:
    return unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in REORDERING


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(text=_TEXT)
def test_one_line_shows_any_text_on_one_line_with_no_control_or_reordering_character(text):
    """Property, any text: one_line gives one line (nothing str.splitlines splits at), holds no control, line or
    paragraph separator or reordering character, leaves text without them as it is, and is idempotent; first_line
    of an error of that text is at most 120 characters of its first line, and one_line of it is one safe line too."""
    shown = one_line(text)
    assert shown.splitlines() in ([shown], []) and not any(_unsafe(c) for c in shown)
    assert shown == text or any(_unsafe(c) for c in text)
    assert one_line(shown) == shown
    head = first_line(ValueError(text))
    assert len(head) <= 120 and "\n" not in head and (not text or text.startswith(head) or not head or
                                                      head == "ValueError")
    assert one_line(head).splitlines() in ([one_line(head)], []) and not any(_unsafe(c) for c in one_line(head))


def _names():
    """File names any disk of this machine takes: any text without '/' or NUL (lone surrogates only as the bytes
    os.fsdecode makes of bytes that are not UTF-8), at most 200 bytes."""
    letters = st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",))
    name = st.text(letters, min_size=1, max_size=20) | st.text(st.sampled_from(_TRICKY.replace("\x00", "")), min_size=1,
                                                               max_size=20)
    return (name | st.binary(min_size=1, max_size=20).filter(lambda b: b"/" not in b and b"\0" not in b)
            .map(os.fsdecode)).filter(lambda n: n not in (".", "..") and len(os.fsencode(n)) <= 200)


@settings(max_examples=40, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_names(), kind=st.sampled_from(["garbage", "cut", "empty", "tree"]),
       command=st.sampled_from(["predict", "evaluate", "audit"]))
def test_a_command_given_a_bad_file_of_any_name_says_so_in_one_safe_line_naming_it(tmp_path, shared, name, kind,
                                                                                  command):
    """Property, any file name (control characters, line breaks, a terminal's escapes, a right-to-left override,
    bytes that are not UTF-8): a command given a file that is not data (garbage, a real packed file cut short, an
    empty file, a sign's folder in a tutorial tree holding garbage) under that name exits 2, its last line on stderr
    ``signlstm <command>: error: ...`` naming the file, and no line there (the error, a note before it) holds a
    control, separator or reordering character."""
    from signlstm.cli import main

    folder = tmp_path / f"case{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    try:
        if kind == "tree":
            (folder / name / "0").mkdir(parents=True)
            (folder / name / "0" / "0.npy").write_bytes(b"garbage\x01")
            target = folder
        else:
            target = folder / f"{name}.npz"
            real = shared("data", "signers", "s02.npz").read_bytes()
            target.write_bytes({"garbage": b"\x93NUMPY garbage\n", "cut": real[:len(real) // 2], "empty": b""}[kind])
    except OSError:  # a name this disk refuses
        assume(False)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        status = main([command, "--data", str(target)])
    text = err.getvalue()
    lines = text.split("\n")  # notes may come first (a sign the model does not know), each a line of its own
    assert status == 2 and lines[-1] == "" and lines[-2].startswith(f"signlstm {command}: error: "), text
    assert text.splitlines() == lines[:-1] and not any(_unsafe(c) for c in text.replace("\n", "")), text
    assert kind == "tree" or one_line(str(target)) in lines[-2], text  # the file named, as it is shown


def test_a_count_below_its_least_is_refused_naming_the_option_and_what_is_not_a_count_passes():
    """The one wording of a count's least (the commands' options and the libraries' checks of them: bench, judges):
    at least 1, or 0 or more; the first count of a list below it is named; None and paths are not counts."""
    import numpy as np
    import pytest

    from signlstm.errors import SignlstmError, check_count

    with pytest.raises(SignlstmError, match=r"^--memory must be at least 1, got 0$"):
        check_count("--memory", [100, 0, -1], 1)
    with pytest.raises(SignlstmError, match=r"^--soak must be 0 or more, got -1$"):
        check_count("--soak", np.int64(-1), 0)
    check_count("--videos", ["clip.mp4"], 1)
    check_count("--streams", [None, 0], 0)
    check_count("--shots", None, 1)


def test_first_line_names_the_type_for_a_blank_line_and_leads_with_it_when_typed():
    """An error whose message starts with a blank line is named by its type, not shown as ``()``; ``typed`` (how the
    model loaders report Keras' and h5py's errors) puts the type first, before at most 120 characters of the line."""
    assert first_line(ValueError("\nthe reason")) == "ValueError"
    assert first_line(OSError("   ")) == "OSError"
    assert first_line(ValueError("bad file\nmore")) == "bad file"
    assert first_line(ValueError("bad file\nmore"), typed=True) == "ValueError: bad file"
    assert first_line(KeyError(), typed=True) == "KeyError"
    assert first_line(ValueError("x" * 500), typed=True) == "ValueError: " + "x" * 120
