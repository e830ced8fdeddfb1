"""The consistent-gesture cells of the DEV signers, read from ``cells.json`` beside the signer files.

A cell is a signer + label whose recorded gesture is the common one (see ``VARIANTS.md`` beside the data); the
consistent-gesture score counts only those. The file is data, not code: it is read, never copied.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import BadInput
from ..limits import read_small

FILE_NAME = "cells.json"


class Cells:
    """Which (signer, label) cells are consistent; ``cells.is_consistent("s02", "hello")``."""

    def __init__(self, include: dict[str, list[str]], source: str | None = None):
        self.include = {s: tuple(labels) for s, labels in include.items()}
        self.source = source

    def is_consistent(self, signer: str, label: str) -> bool:
        return label in self.include.get(signer, ())

    def __bool__(self) -> bool:
        return bool(self.include)

    def missing_note(self, people) -> str | None:
        """The note naming those of ``people`` the file gives no cell at all (their signs count in the all-cells
        figures only: a person the file was not written for, or a typo in a name), or None."""
        missing = [p for p in people if p not in self.include] if self.include else []
        if not missing:
            return None
        from ..sign_names import shown_list

        return (f"note: {self.source} names no cell of {shown_list(missing)}: their signs count in the all-cells "
                "figures only, not in the consistent-gesture ones")


def find(paths) -> Path | None:
    """``cells.json`` in the first data folder (or beside the first data file) that has one."""
    for p in map(Path, paths or []):
        for folder in (p, p.parent):
            if (folder / FILE_NAME).is_file():
                return folder / FILE_NAME
    return None


def load_cells(path: str | Path | None) -> Cells:
    """The cells of ``path`` (a ``cells.json``); no file gives no consistent cells (only the raw score is reported)."""
    if path is None:
        return Cells({})
    path = Path(path)
    raw = read_small(path, "cells file")
    try:
        include = json.loads(raw)["include"]
        if not isinstance(include, dict) or not all(isinstance(v, list) and all(isinstance(label, str) for label in v)
                                                    for v in include.values()):
            raise ValueError("'include' must map signer ids to lists of labels")
    except RecursionError:
        raise BadInput(path, "not a cells file (its JSON nests too deeply)") from None
    except (ValueError, KeyError, TypeError) as e:  # UnicodeDecodeError is a ValueError
        raise BadInput(path, f"not a cells file ({str(e)[:120]})") from None
    return Cells(include, str(path))
