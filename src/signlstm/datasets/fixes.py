"""The label fixes file of ``signlstm audit``: read, write, apply.

CSV, one row per sequence: ``source, label, action, new_label, reason``; ``label`` is the label as recorded (a packed
source names only its file and sequence number), ``action`` is ``relabel`` or ``drop``. Applying fixes makes a new
dataset; the user's data is never edited.
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from ..errors import BadInput
from ..files import write_text
from ..limits import read_small

FIELDS = ["source", "label", "action", "new_label", "reason"]


def write_fixes(fixes: list[dict], out: str | Path) -> Path:
    """Write ``fixes`` (rows with the :data:`FIELDS`) as the fixes file ``out``, replacing it atomically; returns
    its path."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, FIELDS, lineterminator="\n")
    w.writeheader()
    w.writerows(fixes)
    write_text(out, buf.getvalue())
    return Path(out)


def key(source: str) -> str:
    """A source name independent of where the data folder lives and of how it was given (``.``, ``a/..``): a packed
    recording's file name and number (``s16.npz#12``), or a tree recording's tree, sign and number
    (``MP_Data/hello/12``), whatever ``#`` the folders or the sign's name hold."""
    from .dataset import packed_recording, packed_source

    if packed := packed_recording(source):
        return packed_source(Path(packed[0]).name, packed[1])
    return "/".join(Path(os.path.abspath(source)).parts[-3:])


def read_fixes(path: str | Path) -> list[dict]:
    """The rows of the fixes file ``path``, or :class:`BadInput` naming it (and the line) when it is not one: not
    UTF-8 text (a UTF-8 file with a byte-order mark, Excel's "CSV UTF-8", is read), not CSV, without the columns of
    :data:`FIELDS`, an action other than relabel or drop, or a new label that cannot be a sign's name
    (:func:`~signlstm.sign_names.name_problem`; taken in Unicode's composed form)."""
    from ..sign_names import name_problem, shown_name, sign_name

    from ..outputs import not_a_file

    path = Path(path)
    if not_a_file(path):
        raise BadInput(path, f"{not_a_file(path)}: a fixes file is a CSV file")
    if not path.is_file():
        raise BadInput(path, "no such fixes file")
    raw = read_small(path, "fixes file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise BadInput(path, f"line {line}: not UTF-8 text, so not a fixes file (from a "
                             "spreadsheet, save it as \"CSV UTF-8\")") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as e:  # a field over csv's limit (131,072 characters), ...
        raise BadInput(path, f"line {reader.reader.line_num}: not CSV ({e}), so not a fixes file") from None
    if not set(FIELDS) <= set(reader.fieldnames or []):
        raise BadInput(path, f"not a fixes file (needs columns {', '.join(FIELDS)}" + (
            "; it is empty: a fixes file without fixes still has its header line)" if not text.strip() else ")"))
    seen = {}
    for n, r in enumerate(rows, 2):
        if r["action"] not in ("relabel", "drop"):
            raise BadInput(path, f"line {n}: action '{shown_name(str(r['action']))}' is neither relabel nor drop")
        if r["action"] == "relabel" and not r["new_label"]:
            raise BadInput(path, f"line {n}: relabel without a new label")
        if r["action"] == "relabel":
            r["new_label"] = sign_name(r["new_label"])
            problem = name_problem(r["new_label"])
            if problem:
                raise BadInput(path, f"line {n}: the new label '{shown_name(r['new_label'])}' {problem}")
        which = (key(r["source"] or ""), r["label"])
        if which in seen:  # one sequence, two fixes: which one was meant is not for the reader to guess
            raise BadInput(path, f"line {n}: a second fix for {shown_name(r['source'] or '', 80)} "
                                 f"({shown_name(r['label'] or '')}), after line {seen[which]}")
        seen[which] = n
    return rows


def apply_fixes(data, fixes: str | Path | list[dict]):
    """A new :class:`~signlstm.datasets.Dataset`: ``data`` with the fixes applied (rows for sequences not in ``data`` are
    ignored)."""
    rows = read_fixes(fixes) if isinstance(fixes, (str, Path)) else fixes
    by_key = {(key(r["source"]), r["label"]): r for r in rows}
    mapping = {}
    for i, (s, a) in enumerate(zip(data.sources, data.labels)):
        r = by_key.get((key(s), str(a)))
        if r is not None:
            mapping[i] = None if r["action"] == "drop" else r["new_label"]
    out = data.relabel(mapping)
    if len(data) and not len(out):
        raise BadInput(fixes if isinstance(fixes, (str, Path)) else "the fixes",
                       f"drops every one of the data's {len(data)} sequence(s): nothing left to train on")
    return out


def matched_none(data, fixes) -> str | None:
    """What to say when ``fixes`` (a file or its rows) hold fixes and none of them names a recording of ``data``
    (naming the file), else None: a fixes file made for other data, or for these recordings under another name (a
    tree's ``MP_Data/hello/12`` is not the packed ``s02.npz#12``), changes nothing, and nothing else would say so. Not
    a refusal: fixes made by auditing every person (the shipped ``default-fixes.csv``) name none of the recordings
    of a person whose recordings needed none (``s11.npz``), and training on that person with them is a run like any
    other."""
    rows = read_fixes(fixes) if isinstance(fixes, (str, Path)) else fixes
    if not rows:
        return None
    held = {(key(s), str(a)) for s, a in zip(data.sources, data.labels)}
    if any((key(r["source"] or ""), r["label"]) in held for r in rows):
        return None
    from ..sign_names import shown_name

    first = rows[0]
    named = f"the fixes in {fixes}" if isinstance(fixes, (str, Path)) else "the fixes"
    return (f"none of the {len(rows)} fix(es) of {named} names a recording of the data (the first names "
            f"{shown_name(key(first['source'] or ''), 80)} ({shown_name(first['label'] or '')})), so nothing was "
            "fixed: made for other data? A packed recording is named by its file and number, a tree's by its folder, "
            "sign and number")


def without_emptied(data):
    """``(data, gone)``: ``data`` (fixes applied) less its actions left with no sequence (every one of them dropped or
    relabelled), which are ``gone``: an output with no example to learn from would only take a share of the
    probability."""
    from . import Dataset

    held = set(data.labels.tolist())
    gone = [a for a in data.actions if a not in held]
    if not gone:
        return data, []
    return Dataset(data.frames, data.labels, data.groups, data.sources, [a for a in data.actions if a in held],
                   list(data.skipped), data.columns), gone
