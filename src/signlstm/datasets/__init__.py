"""Sequences of keypoint frames with their labels and signer ids, read in bounded memory.

Two on-disk forms are read: the tutorial's ``MP_Data/<action>/<seq>/<frame>.npy`` tree and
packed ``.npz`` files (``X`` (N, T, 1662), ``y``, ``seq``, optional ``actions``; the file name
is the signer id); for ``predict``, also packed files without ``y`` and ``.npy`` arrays of sequences, unlabelled
(:data:`UNLABELLED`). Every file is checked (frame files by :mod:`signlstm.keypoint_files`), and a defect raises
:class:`BadInput` naming it (and the sequence and frame inside a packed file). Declared sizes are read before anything is allocated
(:mod:`signlstm.limits`).

:func:`stream` yields the data in chunks of :data:`CHUNK` sequences (an ``.npz`` member read incrementally from its
zip entry, a tree folder by folder): ``predict`` and ``evaluate`` hold one chunk at a time. :func:`load` collects
everything into one :class:`Dataset`, holding only the parts a model reads (``parts``) in ``dtype``.
:class:`signlstm.datasets.sequence_writer.SequenceWriter` writes the tutorial tree;
:mod:`signlstm.datasets.training_sets` makes the training sets of these.
"""
from __future__ import annotations

import os
import zipfile
import zlib
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from .. import layout, limits
from ..errors import BadInput, SignlstmError, first_line
from ..files import not_a_file
from ..keypoint_files import check_frames, frame_files, read_frame, read_frames, shape_problem, values_ok
from ..sign_names import is_rejection_name, name_problem, rejection_problem, shown_name, sign_name, text_problem

SIGNER_LABELS = ("hello", "thanks", "iloveyou")  # label order of ../shared/data/signers/*.npz
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
    def bytes_per_sequence(self) -> int:
        return int(np.prod(self.frames.shape[1:])) * self.frames.dtype.itemsize

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


def data_name(data: Dataset) -> str:
    """The file or folder ``data`` was read from, for a message (several: their common folder)."""
    files = sorted({str(s).split("#")[0] for s in data.sources})
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
    return p.name.startswith(".") or p.name == "__MACOSX"


def _numbered(p: Path) -> bool:
    return p.name.isascii() and p.name.isdigit()


def sequence_folders(folder: Path) -> list[tuple[int, Path]]:
    """The sub-folders of ``folder`` named by a number (a tree's sequences of one action), as (number, path) in
    number order."""
    return sorted((int(p.name), p) for p in folder.iterdir() if _numbered(p) and p.is_dir())


def _numbered_twice(seqs: list[tuple[int, Path]]) -> list[tuple[Path, Path]]:
    """Of one action's ``seqs`` (:func:`sequence_folders`), each folder that numbers the same recording as another
    (``01`` beside ``1``), with the folder kept for that number: the one named as the tutorial names it, else the
    first."""
    by_number: dict[int, list[Path]] = {}
    for n, d in seqs:
        by_number.setdefault(n, []).append(d)
    twice = []
    for n, ds in by_number.items():
        kept = next((d for d in ds if d.name == str(n)), ds[0])
        twice += [(d, kept) for d in ds if d is not kept]
    return twice


def _listed(numbers: list[int], most: int = 5) -> str:
    """Frame numbers for a message: ``[30, 31]``, or the first ``most`` and how many more."""
    return str(numbers) if len(numbers) <= most else f"{str(numbers[:most])[:-1]}, ... ({len(numbers) - most} more)]"


def _frame_count(folder: Path) -> int:
    with os.scandir(folder) as it:
        return sum(1 for e in it if e.name.endswith(".npy") and e.name[:-4].isdigit() and e.is_file())


def _expected_length(counts: Counter, length: int | None) -> int:
    """``length``, else the commonest of the sequences' frame ``counts`` (at least the tutorial's 30)."""
    if length:
        return length
    common = counts.most_common(1)[0][0] if counts else layout.SEQ_LEN
    # A recording shorter than the tutorial's 30 frames is an aborted one unless the user says otherwise.
    return max(common, layout.SEQ_LEN) if common < layout.SEQ_LEN else common


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


def open_mp_data(root: str | Path, actions: list[str] | None = None, length: int | None = None,
                 skip_bad: bool = False, group: str | None = None) -> Source:
    """The tutorial layout ``root/<action>/<seq>/<frame>.npy``, read sequence folder by sequence folder.

    Actions are the folder names in Unicode's composed form (sorted) unless ``actions`` names them (in that order).
    The sequence length is ``length`` or the most common frame count (at least 30).
    """
    root = Path(root)
    if not root.is_dir():
        raise BadInput(root, "no such data folder")
    on_disk = [p.name for p in root.iterdir() if p.is_dir() and not is_hidden(p)]
    twice = _look_alike(on_disk)  # checked before the names are composed, which would make the two one
    if twice:
        raise BadInput(root, f"folders {twice} look the same (they differ only in spaces or in how a letter is "
                             "encoded): merge them or rename one")
    folder = {sign_name(f): root / f for f in on_disk}  # each sign's name in composed form, as --actions gives it
    names = [sign_name(a) for a in actions] if actions else sorted(folder)
    odd = [a for a in names if a in folder and text_problem(a)]
    if odd:
        raise BadInput(folder[odd[0]], f"the action's folder name {text_problem(odd[0])}: rename it (a sign's name is "
                                       "shown on one line)")
    numbered = {a: sequence_folders(folder[a]) for a in names if a in folder}
    twice = [pair for found in numbered.values() for pair in _numbered_twice(found)]
    seqs = [(a, d) for a, found in numbered.items() for _, d in found if d not in {t for t, _ in twice}]
    unnumbered = [(d, "not a sequence folder (those are numbered 0, 1, 2, ...)") for a in names if a in folder
                  for d in sorted(folder[a].iterdir()) if d.is_dir() and not is_hidden(d) and not _numbered(d)]
    unnumbered += [(d, f"numbers the same recording as folder {kept.name}") for d, kept in twice]
    unnumbered += [(d, "named like a sequence but not a folder (a file, a link to nothing or a loop of links)")
                   for a in names if a in folder for d in sorted(folder[a].iterdir())
                   if _numbered(d) and not d.is_dir()]
    if unnumbered and not skip_bad:
        raise BadInput(unnumbered[0][0], f"{unnumbered[0][1]}: rename it, or pass --skip-bad to leave it out")
    if not seqs:
        raise BadInput(root, "no sequence folders (expected <action>/<number>/<frame>.npy)")
    counts = Counter(_frame_count(d) for _, d in seqs)
    T = _expected_length(counts, length)
    commonest, k = counts.most_common(1)[0]
    held = commonest if k >= 2 and 2 * k > len(seqs) else 0  # the tree's length, when most sequences (2+) agree
    group = group or root.name

    def hint(n: int) -> str:
        """What a sequence of ``n`` frame files says beside its defect when most of the tree's sequences hold that
        many too: the tree was recorded at another length than expected."""
        if not held or n != held or held == T:
            return ""
        return (f"{counts[held]} of the {len(seqs)} sequences of {root} hold {held} frames: if your recordings are "
                f"{held} frames long, give --length {held}")

    def chunks(size: int) -> Iterator[Dataset]:
        X, labels, sources, skipped, used = [], [], [], list(unnumbered), 0

        def emit():
            return Dataset(np.stack(X) if X else np.zeros((0, T, layout.FRAME_SIZE), np.float32), np.array(labels, dtype=str),
                           np.full(len(X), group), list(sources), list(names), list(skipped))

        for action, d in seqs:
            try:
                numbers = [n for n, _ in frame_files(d)]
                present = set(numbers)
                missing = [n for n in range(T) if n not in present]
                if missing and numbers == list(range(len(numbers))):
                    more = hint(len(numbers))
                    raise BadInput(d, f"truncated sequence: holds {len(numbers)} of {T} frames (recording aborted?"
                                      f"{' ' + more if more else ''})")
                if missing:
                    raise BadInput(d, f"frame file(s) {_listed(missing)} of 0-{T - 1} missing (the sequence holds "
                                      f"{len(numbers)} frame files)")
                if len(numbers) > T:
                    more = hint(len(numbers))
                    raise BadInput(d, f"sequence has extra frames {_listed(numbers[T:])} beyond the {T}-frame layout"
                                      f"{' (' + more + ')' if more else ''}")
                X.append(read_frames([d / f"{n}.npy" for n in range(T)]))
            except BadInput as e:
                if not skip_bad:
                    raise
                skipped.append((e.path, e.problem))
                continue
            labels.append(action)
            sources.append(str(d))
            used += 1
            if len(X) == size:
                yield emit()
                X, labels, sources, skipped = [], [], [], []
        if X or skipped:
            yield emit()
        if not used:
            raise BadInput(root, f"no usable sequence ({len(skipped)} skipped)")

    return Source(root, len(seqs), T, names, chunks, held, dict(Counter(a for a, _ in seqs)), group)


def _read_member(z: zipfile.ZipFile, path, member: limits.Member) -> np.ndarray:
    """The array ``member`` of the archive ``z`` (the file ``path``), read whole; a cut or damaged entry is
    :class:`BadInput` naming the file and the member."""
    try:
        with z.open(member.name + ".npy") as f:
            f.read(member.header.offset)
            data = f.read(member.header.nbytes)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error, MemoryError) as e:
        raise _unreadable(path, f"{member.name}.npy", e) from None
    if len(data) != member.header.nbytes:
        raise BadInput(path, f"{member.name}.npy is truncated")
    return np.frombuffer(data, member.header.dtype).reshape(member.header.shape)


def _unreadable(path, what: str, e: BaseException) -> BadInput:
    """The one-line report of ``what`` in the file ``path`` that could not be read because of ``e``: a damaged file,
    or a machine without the free memory for what the file's checked extents declare."""
    if isinstance(e, MemoryError):
        return BadInput(path, f"{what} does not fit in this machine's free memory")
    return BadInput(path, f"{what} is unreadable ({first_line(e)})")


@contextmanager
def _zip_member(path: Path, name: str):
    """The member ``name`` of the zip archive ``path``, open for reading."""
    with zipfile.ZipFile(path) as z, z.open(name) as f:
        yield f


def packed_x(path: Path, header: limits.ArrayHeader, size: int) -> Iterator[tuple[int, np.ndarray]]:
    """``X`` of the packed file ``path`` (its ``header``, from :func:`limits.npz_members`), or of the ``.npy`` array of
    sequences ``path``, as (first sequence, chunk of up to ``size`` sequences), in the file's own dtype, unchecked; a
    cut or damaged entry is :class:`BadInput`."""
    N, T, F = header.shape
    seq_bytes = T * F * header.dtype.itemsize
    try:
        with (open(path, "rb") if path.suffix.lower() == ".npy" else _zip_member(path, "X.npy")) as f:
            f.read(header.offset)
            for start in range(0, N, size):
                n = min(size, N - start)
                data = f.read(n * seq_bytes)
                if len(data) < n * seq_bytes:
                    raise BadInput(path, f"X is truncated: its data ends inside sequence {start + len(data) // seq_bytes}"
                                         f" of the {N} it declares")
                yield start, np.frombuffer(data, header.dtype).reshape(n, T, F)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error, MemoryError) as e:
        raise _unreadable(path, "X", e) from None


def _check_sequences(path: Path, hx: limits.ArrayHeader, length: int | None, name: str) -> tuple[int, int]:
    """``(N, T)`` of the array of sequences declared by ``hx`` (``name`` in the file ``path``), else
    :class:`BadInput`: not (N, T, 1662) floats, not ``length`` frames long, or empty."""
    if len(hx.shape) != 3 or hx.shape[2] != layout.FRAME_SIZE:
        if len(hx.shape) == 3:
            raise BadInput(path, f"{name}: {shape_problem(hx.shape)}")
        raise BadInput(path, f"{name} has shape {hx.shape}, expected (N, T, {layout.FRAME_SIZE})")
    if hx.dtype.kind != "f":
        raise BadInput(path, f"{name} has dtype {hx.dtype}, expected floating point")
    N, T = hx.shape[:2]
    if length and T != length:
        raise BadInput(path, f"sequences have {T} frames, expected {length}")
    if T == 0 and N:
        raise BadInput(path, f"{name} has shape {hx.shape}: sequences of no frames")
    if N == 0:
        raise BadInput(path, f"{name} has shape {hx.shape}: no sequences")
    return N, T


def open_npz(path: str | Path, length: int | None = None, skip_bad: bool = False, labelled: bool = True) -> Source:
    """A packed file: ``X`` (N, T, 1662), ``y``, ``seq`` and optional ``actions``; the stem is the signer id. Unless
    ``labelled``, ``y`` may be missing: every sequence is then labelled :data:`UNLABELLED`. The
    headers and the small arrays are read now; ``X`` is read chunk by chunk from its zip entry. A sequence with a
    value that is not finite or far outside any image (:func:`~signlstm.keypoint_files.values_ok`) is
    :class:`BadInput` naming it as ``<action>/<seq>`` (row), or with ``skip_bad`` left
    out and listed in the chunk's ``skipped``."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(path, not_a_file(path) or "no such file")
    members = limits.npz_members(path)
    for need in ("X", "y") if labelled else ("X",):
        if need not in members:
            raise BadInput(path, f"packed file lacks array '{need}'" + (
                " (the labels; `signlstm predict` reads the file without them)" if need == "y" else ""))
    hx = members["X"].header
    N, T = _check_sequences(path, hx, length, "X")
    side = {}
    for name, kinds in (("y", "iu"), ("seq", "iu"), ("actions", "US")):
        if name not in members:
            continue
        h = members[name].header
        if len(h.shape) != 1 or (name != "actions" and h.shape[0] != N):
            raise BadInput(path, f"{name} has shape {h.shape}, expected ({N if name != 'actions' else 'A'},) "
                                 f"to match X's {N} sequences")
        if h.dtype.kind not in kinds:
            raise BadInput(path, f"{name} has dtype {h.dtype}, expected {'integers' if kinds == 'iu' else 'strings'}")
        if name == "actions":
            limits.check_declared(path, "actions", h.shape, h.dtype, limits.MAX_SIDE_ARRAY)
        with zipfile.ZipFile(path) as z:
            side[name] = _read_member(z, path, members[name])
    seq = side["seq"].astype(np.int64) if "seq" in side else None  # None: a sequence's number is its row
    if "y" not in side:
        _check_numbers(path, seq, None, [])
        return _packed_source(path, hx, N, T, seq, skip_bad)
    y = side["y"].astype(np.int64)
    actions = _action_names(path, side["actions"]) if "actions" in side else list(SIGNER_LABELS)
    if N and (y.min() < 0 or y.max() >= len(actions)):
        raise BadInput(path, f"y holds labels {int(y.min())}..{int(y.max())} but there are {len(actions)} actions "
                             f"({'its actions' if 'actions' in side else 'hello, thanks, iloveyou: no actions array'}), "
                             f"numbered 0..{len(actions) - 1}")
    _check_numbers(path, seq, y, actions)
    names = np.array(actions)
    present = set(np.unique(y).tolist())
    counts = {str(a): int(n) for a, n in zip(names, np.bincount(y, minlength=len(names))) if n}
    return _packed_source(path, hx, N, T, seq, skip_bad, (y, names), [a for i, a in enumerate(actions) if i in present],
                          counts)


def _check_numbers(path: Path, seq: np.ndarray | None, y: np.ndarray | None, actions: list[str]) -> None:
    """:class:`BadInput` when the packed file ``path`` numbers two recordings of one sign alike (``seq``; per label
    ``y`` when it has labels): a recording is named by its file, number and sign in fixes and reports."""
    if seq is None or not len(seq):
        return
    keys = np.stack([seq, np.zeros_like(seq) if y is None else y], axis=1)
    _, first, counts = np.unique(keys, axis=0, return_index=True, return_counts=True)
    if (counts > 1).any():
        row = int(first[np.flatnonzero(counts > 1)[0]])
        sign = "" if y is None else f" of {shown_name(actions[y[row]])!r}"
        raise BadInput(path, f"seq gives {int(counts[counts > 1][0])} recordings{sign} the same number "
                             f"{int(seq[row])} (the first in row {row}): each recording of a sign needs its own "
                             "number, by which fixes and reports name it")


def _checked_rows(path: Path, raw: np.ndarray, rows: np.ndarray, ids: list[str], skip_bad: bool):
    """``(X, rows, skipped)``: the chunk ``raw`` (sequences ``rows``, named ``ids``) as checked float32
    (:func:`~signlstm.keypoint_files.check_frames`); with ``skip_bad`` the sequences holding NaN, infinite or far too
    large values left out and listed in ``skipped``, else the first of them is :class:`BadInput`."""
    skipped = []
    if skip_bad:
        bad = ~values_ok(raw).all(axis=(1, 2))
        skipped = [(path, f"sequence {ids[i]} holds NaN, infinite or far too large values") for i in np.flatnonzero(bad)]
        raw, rows, ids = raw[~bad], rows[~bad], [ids[i] for i in np.flatnonzero(~bad)]
    return check_frames(path, raw, seq_ids=ids), rows, skipped


def _packed_source(path: Path, hx: limits.ArrayHeader, N: int, T: int, seq: np.ndarray | None, skip_bad: bool,
                   labels: tuple[np.ndarray, np.ndarray] | None = None, order: list[str] | None = None,
                   counts: dict[str, int] | None = None) -> Source:
    """The ``N`` sequences of ``T`` frames declared by ``hx`` in ``path`` (a packed file, or an ``.npy`` array of
    sequences), read chunk by chunk; ``seq`` numbers them (None: by row). ``labels`` is ``(y, names)``: row i is
    action ``names[y[i]]`` (None: every sequence is :data:`UNLABELLED`); ``order`` and ``counts`` are the source's
    label order and sequences per action."""
    def chunks(size: int) -> Iterator[Dataset]:
        for start, raw in packed_x(path, hx, size):
            rows = np.arange(start, start + len(raw))
            ids = [("" if labels is None else f"{labels[1][labels[0][i]]}/")
                   + f"{i if seq is None else seq[i]} (row {i})" for i in rows]
            X, rows, skipped = _checked_rows(path, raw, rows, ids, skip_bad)
            numbers = rows if seq is None else seq[rows]
            names = np.full(len(rows), UNLABELLED) if labels is None else labels[1][labels[0][rows]]
            yield Dataset(X, names, np.full(len(rows), path.stem), [f"{path}#{int(k)}" for k in numbers],
                          list(order or []), skipped)

    return Source(path, N, T, list(order or []), chunks, T, counts or {}, path.stem)


def open_sequences_npy(path: Path, length: int | None = None, skip_bad: bool = False) -> Source:
    """An ``.npy`` array of sequences (N, T, 1662) (the tutorial's ``X`` saved with ``np.save``), unlabelled
    (:data:`UNLABELLED`), read chunk by chunk; anything else is :class:`BadInput` saying what the file is."""
    from ..keypoint_files import read_keypoint_header

    hx = read_keypoint_header(path)
    if len(hx.shape) != 3:
        raise BadInput(path, _npy_problem(path))
    if hx.fortran:
        raise BadInput(path, "stored in Fortran order; signlstm reads C-order arrays (save np.ascontiguousarray of it)")
    N, T = _check_sequences(path, hx, length, "the array")
    want = hx.offset + hx.nbytes
    if path.stat().st_size < want:
        raise BadInput(path, f"declares {hx.describe()} ({limits.fmt_bytes(hx.nbytes)}) but holds "
                             f"{path.stat().st_size:,} bytes, not {want:,}")
    return _packed_source(path, hx, N, T, None, skip_bad)


def packed_files(folder: Path) -> list[Path]:
    """The packed ``.npz`` files in ``folder`` (any case of the suffix; hidden ones left out), in name order: every
    entry so named but a folder, so that a link to nothing or a pipe among them is named when it is opened."""
    return sorted(q for q in folder.iterdir() if q.suffix.lower() == ".npz" and not q.is_dir() and not is_hidden(q))


def _action_names(path: Path, stored: np.ndarray) -> list[str]:
    """A packed file's ``actions`` as sign names (bytes read as UTF-8, Unicode's composed form), each one a folder
    could hold and no two of them alike to the eye ("ball" and "ball "), else :class:`BadInput` naming the file."""
    names = []
    for a in stored.tolist():
        if isinstance(a, bytes):
            try:
                a = a.decode("utf-8")
            except UnicodeDecodeError:
                raise BadInput(path, f"actions: {a[:40]!r} is not UTF-8 text") from None
        names.append(sign_name(a))
    for a in names:
        problem = "is empty" if not a else name_problem(a)
        if problem and problem != rejection_problem(a):  # none in another case: refused where it would be taught
            raise BadInput(path, f"actions: '{shown_name(a)}' {problem}")
    twice = _look_alike(names)
    if twice:
        raise BadInput(path, f"actions {twice} look the same (they differ only in spaces or in how a letter is "
                             "encoded): give each sign one name")
    return names


def _look_alike(names) -> str | None:
    """The first two of ``names`` that look the same (they differ in spaces around or between words, or in how a
    letter is encoded), shown for a message, else None. Spellings of :data:`NONE` are left to :func:`_collect`, which
    says what they are; names that differ in case or punctuation are two signs ("I" and "i" may be)."""
    seen: dict[str, str] = {}
    for a in names:
        if is_rejection_name(a):
            continue
        key = " ".join(sign_name(a).split())
        if key in seen:
            return f"'{shown_name(seen[key])}' and '{shown_name(a)}'"
        seen[key] = a
    return None


def is_packed_folder(path: str | Path) -> bool:
    """True for a folder of packed ``.npz`` files (one person each; no subfolders but hidden ones), which is read as
    those files; any other folder is an ``MP_Data`` tree."""
    p = Path(path)
    return (p.is_dir() and not any(q.is_dir() and not is_hidden(q) for q in p.iterdir())
            and bool(packed_files(p)))


def open_sources(paths, actions: list[str] | None = None, length: int | None = None,
                 skip_bad: bool = False, labelled: bool = True) -> list[Source]:
    """Open any mix of MP_Data folders, packed ``.npz`` files and folders of them (headers checked, nothing large
    read). Unless ``labelled``, packed files without ``y`` and ``.npy`` arrays of sequences are read too, their
    sequences labelled :data:`UNLABELLED`."""
    out = []
    for p in map(Path, paths):
        if not p.is_dir() and (problem := not_a_file(p)):
            raise BadInput(p, problem)
        if is_packed_folder(p):
            out += [open_npz(q, length, skip_bad, labelled) for q in packed_files(p)]
        elif p.is_dir():
            out.append(open_mp_data(p, actions, length, skip_bad))
        elif p.suffix.lower() == ".npz":
            out.append(open_npz(p, length, skip_bad, labelled))
        elif p.suffix.lower() == ".npy" and p.is_file() and not labelled:
            out.append(open_sequences_npy(p, length, skip_bad))
        elif p.suffix.lower() == ".npy":
            raise BadInput(p, _npy_problem(p))
        elif not p.exists():
            raise BadInput(p, "no such file or folder")
        else:
            raise BadInput(p, "not keypoint data (expected an MP_Data folder or a packed .npz)")
    if not out:
        raise SignlstmError("no data given")
    where: dict[Path, Path] = {}
    for s in out:  # a file given twice (itself and in its folder, or by two names) would count its recordings twice
        first = where.setdefault(s.path.resolve(), s.path)
        if first is not s.path:
            raise BadInput(s.path, f"given twice in the data (also as {first})")
    lengths = {s.seq_len for s in out}
    if len(lengths) > 1:
        by_length = "; ".join(f"{n} frames: {', '.join(str(s.path) for s in out if s.seq_len == n)}"
                              for n in sorted(lengths))
        raise SignlstmError(f"the data mixes sequence lengths ({by_length[:400]}); pass --length")
    return out


def _npy_problem(path: Path) -> str:
    """Why the ``.npy`` file ``path`` given as data is not a dataset, from its header (or its own defect): sequences
    to pack as an ``.npz``, a keypoint stream to replay, or one frame of an ``MP_Data`` tree."""
    from ..keypoint_files import read_keypoint_header

    shape = read_keypoint_header(path).shape
    if len(shape) == 3 and shape[2] == layout.FRAME_SIZE:
        return (f"an array of {shape[0]} sequences of {shape[1]} frames but no labels: pack it with its labels as a "
                f".npz, np.savez('data.npz', X=X, y=y) (y: each sequence's action number; actions=[names] optional); "
                f"`signlstm predict` reads it as it is")
    if len(shape) == 2 and shape[0] > 1 and shape[1] == layout.FRAME_SIZE:
        return (f"a keypoint stream of {shape[0]} frames without labels (replay it with `signlstm live --source "
                f"{path}`); labelled data is an MP_Data folder or a packed .npz with X and y")
    read_frame(path)  # raises the file's own defect if it has one
    return "a single frame file; pass the MP_Data folder that holds it"


def stream(paths, actions: list[str] | None = None, length: int | None = None, skip_bad: bool = False,
           chunk: int = CHUNK, sources: list[Source] | None = None) -> Iterator[Dataset]:
    """The data of ``paths`` (or the already opened ``sources``) as chunks of at most ``chunk`` sequences, (n, T, 1662)
    float32 each, file after file: memory holds one chunk whatever the size of the data. With ``actions`` only those
    labels are kept. Every file's header is checked before the first chunk."""
    for src in sources if sources is not None else open_sources(paths, actions, length, skip_bad):
        for part in src.chunks(chunk):
            yield part.subset(np.isin(part.labels, actions) | (part.labels == UNLABELLED)) if actions else part


def _collect(sources: list[Source], actions, parts, dtype, where) -> Dataset:
    """Every sequence of ``sources`` in one Dataset of ``parts`` columns in ``dtype``, allocated once from the
    declared counts (refused when that exceeds :func:`limits.memory_budget`). An action (of ``actions``, when given)
    that spells the rejection label :data:`NONE` in another case ("None", "NONE") is :class:`BadInput` naming its
    folder (or packed file) before anything is read: it would be taught as a sign."""
    for s in sources:
        for label in s.label_counts:
            problem = rejection_problem(label)
            if problem and (not actions or label in actions):
                raise BadInput(s.path / label if s.path.is_dir() else s.path, f"action '{label}' {problem}")
    cols = columns(parts)
    T = sources[0].seq_len
    K = layout.FRAME_SIZE if cols is None else len(cols)
    total = sum(s.count for s in sources)
    budget = limits.memory_budget()
    need = total * T * K * np.dtype(dtype).itemsize
    if need > budget:
        raise BadInput(where, f"declares {total:,} sequences of {T} x {K} values = {limits.fmt_bytes(need)} as "
                              f"{np.dtype(dtype).name}, more than the {limits.fmt_bytes(budget)} this command may hold "
                              f"({limits.budget_source()})")
    frames = np.empty((total, T, K), dtype)
    labels, groups, srcs, skipped, order, n = [], [], [], [], list(actions) if actions else [], 0
    for s in sources:
        seen = set()
        for c in s.chunks(CHUNK):
            if actions:
                c = c.subset(np.isin(c.labels, actions))
            frames[n:n + len(c)] = c.frames if cols is None else c.frames[..., cols]
            n += len(c)
            labels.append(c.labels)
            groups.append(c.groups)
            srcs += c.sources
            skipped += c.skipped
            seen |= set(c.labels.tolist())
        order += [a for a in s.actions if a not in order and a in seen]
    if n < total:
        frames = frames[:n].copy()
    return Dataset(frames, np.concatenate(labels) if labels else np.array([], str),
                   np.concatenate(groups) if groups else np.array([], str), srcs, order, skipped, cols)


def load_mp_data(root: str | Path, actions: list[str] | None = None, length: int | None = None,
                 skip_bad: bool = False, group: str | None = None) -> Dataset:
    """Read the tutorial layout ``root/<action>/<seq>/<frame>.npy`` (see :func:`open_mp_data`) as float32."""
    src = open_mp_data(root, actions, length, skip_bad, group)
    return _collect([src], None, None, np.float32, root)


def load_npz(path: str | Path, length: int | None = None) -> Dataset:
    """Read a packed file (see :func:`open_npz`) as float32."""
    return _collect([open_npz(path, length)], None, None, np.float32, path)


def load(paths, actions: list[str] | None = None, length: int | None = None,
         skip_bad: bool = False, require_all: bool = False, parts=None, dtype=np.float32,
         sources: list[Source] | None = None) -> Dataset:
    """Read any mix of MP_Data folders, packed ``.npz`` files and folders of them into one :class:`Dataset`.

    With ``actions``, only those labels are kept (in that order); ``require_all`` makes a
    missing one an error (training needs every action it is told about). ``parts`` (names of
    ``layout.PARTS``, e.g. a bundle's ``parts_read``) and ``dtype`` set what is held per sequence (see
    :class:`Dataset`); the declared total must fit in :func:`limits.memory_budget`. ``sources``: ``paths`` already
    opened (:func:`open_sources`), not opened again.
    """
    sources = sources if sources is not None else open_sources(paths, actions, length, skip_bad)
    data = _collect(sources, actions, parts, dtype, ", ".join(map(str, paths)))
    if actions:
        missing = [a for a in actions if a not in set(data.labels.tolist())]
        if missing and require_all:
            raise SignlstmError(f"no sequences for action(s) {missing} in {', '.join(map(str, paths))}")
        data.actions = list(actions)
    return data
