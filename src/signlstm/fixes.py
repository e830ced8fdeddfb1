"""The label fixes file of ``signlstm audit``: read, write, apply.

CSV, one row per sequence: ``source, label, action, new_label, reason``; ``label`` is the label as recorded (a packed
source names only its file and sequence number), ``action`` is ``relabel`` or ``drop``. Applying fixes makes a new
dataset; the user's data is never edited.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from .errors import BadInput
from .files import write_text

FIELDS = ["source", "label", "action", "new_label", "reason"]


def write_fixes(fixes: list[dict], out: str | Path) -> Path:
    buf = io.StringIO()
    w = csv.DictWriter(buf, FIELDS, lineterminator="\n")
    w.writeheader()
    w.writerows(fixes)
    write_text(out, buf.getvalue())
    return Path(out)


def key(source: str) -> str:
    """A source name independent of where the data folder lives: ``s16.npz#12`` or ``hello/12``-style tails."""
    if "#" in source:
        path, seq = source.rsplit("#", 1)
        return f"{Path(path).name}#{seq}"
    return "/".join(Path(source).parts[-3:])


def read_fixes(path: str | Path) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise BadInput(path, "no such fixes file")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if rows and not set(FIELDS) <= set(rows[0]):
        raise BadInput(path, f"not a fixes file (needs columns {', '.join(FIELDS)})")
    for n, r in enumerate(rows, 2):
        if r["action"] not in ("relabel", "drop"):
            raise BadInput(path, f"line {n}: action '{r['action']}' is neither relabel nor drop")
        if r["action"] == "relabel" and not r["new_label"]:
            raise BadInput(path, f"line {n}: relabel without a new label")
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
    return data.relabel(mapping)
