"""Sequences of keypoint frames held in memory (:class:`Dataset`: frames, labels, signer ids, where each came from)
and a file or tree opened to be read chunk by chunk (:class:`Source`), with what every reader shares: the chunk size,
the label of an unlabelled sequence, hidden names, and sign names that look alike."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from .. import layout
from ..errors import BadInput, SignlstmError
from ..sign_names import SKIPPED_FOLDER, is_rejection_name, look_alike_key, shown_name


CHUNK = 256  # sequences per streamed chunk: 51 MB as float32 30 x 1662 frames
UNLABELLED = ""  # the label of a sequence read without one (`predict` on a packed file without y or an .npy of X)


def columns(parts) -> np.ndarray | None:
    """Frame columns of the named parts (``layout.PARTS`` names), in frame order; None for all 1662."""
    if parts is None:
        return None
    names = set(parts)
    unknown = names - {p.name for p in layout.PARTS}
    if unknown:
        raise SignlstmError(f"unknown keypoint part(s) {sorted(unknown)}")
    if names >= {p.name for p in layout.PARTS}:
        return None
    return np.concatenate([np.arange(p.start, p.stop) for p in layout.PARTS if p.name in names])


@dataclass
class Dataset:
    """N sequences of T frames, with a label, a signer/group id and a source per sequence.

    ``frames`` holds what the loader was asked to keep: every value of the 1662-value frame as float32 (the default:
    T x 1662 x 4 = 199,440 bytes per 30-frame sequence), or only the ``columns`` of some parts in a smaller dtype
    (``load(parts=..., dtype=np.float16)``): the shipped model's pose + hands, 258 values, take 30 x 258 x 2 = 15,480
    bytes per sequence, 13x less; the tutorial model's whole frame as float16 99,720. Labels, groups and sources add
    about 100 bytes. :attr:`X` and :meth:`batch` give 1662-value float32 frames (columns not kept are zeros).
    """

    frames: np.ndarray  # (N, T, K)
    labels: np.ndarray  # (N,) str
    groups: np.ndarray  # (N,) str
    sources: list[str]
    actions: list[str]  # label order; every label is in it
    skipped: list[tuple[str, str]] = field(default_factory=list)
    columns: np.ndarray | None = None  # the frame columns ``frames`` holds; None: all 1662

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def seq_len(self) -> int:
        return int(self.frames.shape[1])

    @property
    def X(self) -> np.ndarray:
        """Every sequence as (N, T, 1662) float32: ``frames`` itself when it is that, else a new array of N x 199,440
        bytes (use :meth:`batch` for a part of the data)."""
        if self.columns is None and self.frames.dtype == np.float32:
            return self.frames
        return self.batch(slice(None))

    def batch(self, idx) -> np.ndarray:
        """The sequences ``idx`` as (n, T, 1662) float32."""
        part = self.frames[idx]
        if self.columns is None:  # a new array: rows picked by index already are one, a slice is a view
            return part.astype(np.float32, copy=np.may_share_memory(part, self.frames))
        out = np.zeros((*part.shape[:2], layout.FRAME_SIZE), np.float32)
        out[..., self.columns] = part
        return out

    def apply(self, fn, idx=None, chunk: int = CHUNK) -> np.ndarray:
        """``fn`` of the sequences ``idx`` (all when None), given them as (n, T, 1662) float32 batches of at most
        ``chunk`` sequences, its answers joined in order: one batch is held at a time, never a copy of the rows (e.g.
        ``data.apply(bundle.predict, test_rows)``). With no rows, ``fn`` gets an empty batch."""
        idx = np.arange(len(self)) if idx is None else np.arange(len(self))[idx]
        return np.concatenate([fn(self.batch(idx[k:k + chunk])) for k in range(0, max(len(idx), 1), chunk)])

    def hand_shares(self, idx=None) -> np.ndarray:
        """Share of frames with a detected hand (:func:`signlstm.layout.hand_share`) of the sequences ``idx`` (all
        when None), read :data:`CHUNK` sequences at a time."""
        return self.apply(layout.hand_share, idx)

    def chunks(self, size: int = CHUNK) -> Iterator[np.ndarray]:
        """(n, T, 1662) float32 batches of at most ``size`` sequences, in order."""
        for start in range(0, len(self), size):
            yield self.batch(slice(start, start + size))

    @property
    def y(self) -> np.ndarray:
        """Labels as indices into ``actions``."""
        index = {a: i for i, a in enumerate(self.actions)}
        return np.array([index[a] for a in self.labels], dtype=np.int64)

    def subset(self, mask) -> "Dataset":
        """The sequences picked by ``mask`` (a bool per sequence, or indices), with the same actions."""
        idx = np.flatnonzero(mask) if np.asarray(mask).dtype == bool else np.asarray(mask)
        return Dataset(self.frames[idx], self.labels[idx], self.groups[idx],
                       [self.sources[i] for i in idx], list(self.actions), list(self.skipped), self.columns)

    def relabel(self, mapping: dict[int, str | None]) -> "Dataset":
        """New labels for some sequences (index -> label, or None to drop the sequence)."""
        labels = self.labels.copy()
        keep = np.ones(len(self), bool)
        for i, new in mapping.items():
            if new is None:
                keep[i] = False
            else:
                labels[i] = new
        actions = list(self.actions) + sorted(set(labels[keep]) - set(self.actions))
        out = Dataset(self.frames, labels, self.groups, self.sources, actions, list(self.skipped), self.columns)
        return out.subset(keep)

    def renamed(self, names: dict[str, str]) -> "Dataset":
        """The same sequences with labels renamed (``names``: old -> new); labels renamed into one are one action."""
        if not names:
            return self
        labels = np.array([names.get(a, a) for a in self.labels.tolist()])
        actions = list(dict.fromkeys(names.get(a, a) for a in self.actions))
        return Dataset(self.frames, labels, self.groups, self.sources, actions, list(self.skipped), self.columns)

    def summary(self) -> dict:
        return {
            "sequences": len(self),
            "seq_len": self.seq_len,
            "actions": {a: int((self.labels == a).sum()) for a in self.actions},
            "groups": sorted(set(self.groups.tolist())),
            "skipped": len(self.skipped),
        }


def concat(parts: list[Dataset], actions: list[str] | None = None) -> Dataset:
    """Join datasets; the label order is ``actions`` or the first-seen order. The result holds what the first part
    holds (its columns, in its dtype: what a model trained on it reads); other parts are converted to that chunk by
    chunk."""
    if not parts:
        raise SignlstmError("no data given")
    lengths = {p.seq_len for p in parts}
    if len(lengths) > 1:
        raise SignlstmError(f"the data mixes sequence lengths {sorted(lengths)}; pass --length")
    order = list(actions) if actions else []
    for p in parts:
        order += [a for a in p.actions if a not in order and a in set(p.labels.tolist())]
    first = parts[0]
    frames = np.empty((sum(len(p) for p in parts), *first.frames.shape[1:]), first.frames.dtype)
    n = 0
    for p in parts:
        same = p.frames.dtype == first.frames.dtype and (
            (p.columns is None and first.columns is None) or
            (p.columns is not None and first.columns is not None and np.array_equal(p.columns, first.columns)))
        if same:
            frames[n:n + len(p)] = p.frames
        else:
            for start in range(0, len(p), CHUNK):
                b = p.batch(slice(start, start + CHUNK))
                frames[n + start:n + start + len(b)] = b if first.columns is None else b[..., first.columns]
        n += len(p)
    return Dataset(
        frames,
        np.concatenate([p.labels for p in parts]),
        np.concatenate([p.groups for p in parts]),
        [s for p in parts for s in p.sources],
        order,
        [s for p in parts for s in p.skipped],
        first.columns,
    )


def no_person(X: np.ndarray) -> np.ndarray:
    """True per sequence of ``X`` (N, T, F) where every value is zero: no person in any frame."""
    return ~np.any(X != 0, axis=tuple(range(1, X.ndim)))


PACKED_SUFFIXES = (".npz", ".npy")  # files of whole recordings: a person's packed file, or an array of sequences


def packed_source(path, seq) -> str:
    """The name of the packed file ``path``'s recording number ``seq`` (``s02.npz#0``), as datasets, reports and
    fixes give it: ``seq`` is the file's own number, each sign's recordings numbered on their own (from 0 in most
    files, from 30 in one that kept its tree's folders), so the name holds no sign."""
    return f"{path}#{int(seq)}"


def packed_recording(source: str) -> tuple[str, int] | None:
    """(file, number) of a recording named by :func:`packed_source`, None for any other source (a tree's
    ``<tree>/<sign>/<number>``, whatever ``#`` its folders or its sign's name hold)."""
    path, _, seq = source.rpartition("#")
    return (path, int(seq)) if seq.isdigit() and Path(path).suffix.lower() in PACKED_SUFFIXES else None


def data_name(data: Dataset) -> str:
    """The file or folder ``data`` was read from, for a message (several: their common folder)."""
    return sources_name(data.sources)


def sources_name(sources) -> str:
    """The file or folder sequences of ``sources`` (a :class:`Dataset`'s) were read from, for a message (several:
    their common folder)."""
    files = sorted({(packed_recording(str(s)) or (str(s),))[0] for s in sources})
    if len(files) == 1:
        return files[0]
    try:
        return os.path.commonpath(files) or "the data"
    except ValueError:
        return "the data"


def require_person(data: Dataset, purpose: str) -> None:
    """:class:`BadInput` naming ``data`` (:func:`data_name`) when every value it holds is zero: no person in any
    frame, so ``purpose`` (e.g. "nothing to learn from") cannot be served. Reads the frames without a copy."""
    if len(data) and not data.frames.any():
        raise BadInput(data_name(data), f"no person in any frame of its {len(data)} sequence(s) (every value read "
                                        f"is zero): {purpose}")


def describe_skipped(skipped) -> str:
    """One line for the sequences ``--skip-bad`` left out: how many, and how many for each kind of defect."""
    reasons: dict[str, int] = {}
    for _, why in skipped:
        key = why.split(":")[0]
        reasons[key] = reasons.get(key, 0) + 1
    return f"skipped {len(skipped)} bad sequence(s): " + "; ".join(f"{n} x {k}" for k, n in reasons.items())


def is_hidden(p: Path) -> bool:
    """A name the system or a tool put there, not data: ``.ipynb_checkpoints``, ``._s01.npz``, ``__MACOSX``."""
    return p.name.startswith(".") or p.name == SKIPPED_FOLDER


@dataclass
class Source:
    """One file or tree, opened: its declared sequence count (an upper bound for a tree, whose bad sequences may be
    skipped), sequence length, label order, and ``chunks(size)`` reading it as float32 1662-value chunks."""

    path: Path
    count: int
    seq_len: int
    actions: list[str]
    chunks: Callable[[int], Iterator[Dataset]]
    held: int = 0  # the frame count its sequences hold: a packed file's T; a tree's when most (2+) agree, else 0
    label_counts: dict[str, int] = field(default_factory=dict)  # sequences per label, as declared (a tree: folders)
    group: str = ""  # the person its sequences are by (their ``groups``): a packed file's stem, a tree's name
    width: int = layout.FRAME_SIZE  # values per frame as stored: layout.POSE_HANDS_SIZE is read widened (convert)
    note: str = ""  # what a command reading it tells of how its recordings are named, when not as usual


def look_alike(names) -> str | None:
    """The first two of ``names`` that look the same (they differ in spaces around or between words, or in how a
    letter is encoded), shown for a message, else None. Spellings of :data:`NONE` are left to the loader
    (:func:`signlstm.datasets.load`), which says what they are; names that differ in case or punctuation are two
    signs ("I" and "i" may be)."""
    seen: dict[str, str] = {}
    for a in names:
        if is_rejection_name(a):
            continue
        key = look_alike_key(a)
        if key in seen:
            return f"'{shown_name(seen[key])}' and '{shown_name(a)}'"
        seen[key] = a
    return None
