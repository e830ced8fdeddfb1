"""Packed files opened as :class:`~signlstm.datasets.dataset.Source`: ``.npz`` (``X`` (N, T, 1662), ``y``, ``seq``,
optional ``actions``; one person each, named by the file) and ``.npy`` arrays of sequences. Declared sizes are read
before anything is allocated (:mod:`signlstm.limits`), and ``X`` is read in chunks from its zip entry."""
from __future__ import annotations

import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np

from .. import layout, limits
from ..wording import counted
from ..errors import BadInput, first_line
from ..outputs import not_a_file
from ..keypoint_files import check_frames, read_frame, shape_problem, values_ok
from ..sign_names import name_problem, rejection_problem, shown_name, sign_name
from .dataset import UNLABELLED, Dataset, Source, is_hidden, look_alike, packed_source


SIGNER_LABELS = ("hello", "thanks", "iloveyou")  # label order of ../shared/data/signers/*.npz


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
    if header.fortran:  # an .npy array (a packed file's are refused): a sequence's values lie apart on disk
        yield from _fortran_x(path, header, size)
        return
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


def _fortran_x(path: Path, header: limits.ArrayHeader, size: int) -> Iterator[tuple[int, np.ndarray]]:
    """``X`` of the ``.npy`` array of sequences ``path`` stored in Fortran order, as :func:`packed_x` gives it: read
    through its memory map a chunk at a time (only the chunk is copied into memory)."""
    try:
        mm = np.memmap(path, dtype=header.dtype, mode="r", offset=header.offset, shape=header.shape, order="F")
        for start in range(0, header.shape[0], size):
            yield start, np.ascontiguousarray(mm[start:start + size])
    except (OSError, ValueError, MemoryError) as e:
        raise _unreadable(path, "X", e) from None


def _check_sequences(path: Path, hx: limits.ArrayHeader, length: int | None, name: str,
                     pose_hands: bool = False) -> tuple[int, int]:
    """``(N, T)`` of the array of sequences declared by ``hx`` (``name`` in the file ``path``), else
    :class:`BadInput`: not (N, T, 1662) floats (with ``pose_hands``, (N, T, :data:`layout.POSE_HANDS_SIZE`) too), not
    ``length`` frames long, or empty."""
    widths = (layout.FRAME_SIZE, layout.POSE_HANDS_SIZE) if pose_hands else (layout.FRAME_SIZE,)
    if len(hx.shape) != 3 or hx.shape[2] not in widths:
        if len(hx.shape) == 3:
            raise BadInput(path, f"{name}: {shape_problem(hx.shape, layout.FRAME_SIZE if pose_hands else None)}")
        raise BadInput(path, f"{name} has shape {hx.shape}, expected (N, T, {layout.FRAME_SIZE})")
    if hx.dtype.kind != "f":
        raise BadInput(path, f"{name} has dtype {hx.dtype}, expected floating point")
    N, T = hx.shape[:2]
    if length and T != length:
        raise BadInput(path, f"sequences have {counted(T, 'frame')}, expected {length} (a packed file holds one "
                             f"length: leave it out of --data, or read it with --length {T})")
    if T == 0 and N:
        raise BadInput(path, f"{name} has shape {hx.shape}: sequences of no frames")
    if N == 0:
        raise BadInput(path, f"{name} has shape {hx.shape}: no sequences")
    return N, T


def open_npz(path: str | Path, length: int | None = None, skip_bad: bool = False, labelled: bool = True,
             pose_hands: bool = False) -> Source:
    """A packed file: ``X`` (N, T, 1662), ``y``, ``seq`` and optional ``actions``; the stem is the signer id. Unless
    ``labelled``, ``y`` may be missing: every sequence is then labelled :data:`UNLABELLED`, and named by its row
    when ``seq`` numbers two alike (numbers per sign, whose labels are not there). The
    headers and the small arrays are read now; ``X`` is read chunk by chunk from its zip entry. A sequence with a
    value that is not finite or far outside any image (:func:`~signlstm.keypoint_files.values_ok`) is
    :class:`BadInput` naming it as ``<action>/<seq>`` (row), or with ``skip_bad`` left
    out and listed in the chunk's ``skipped``. ``pose_hands`` (``signlstm convert``): an ``X`` of pose + both hands
    frames (:data:`layout.POSE_HANDS_SIZE` values) is read too, widened with the face zeroed, a frame whose pose
    visibility is outside 0..1 refused (not that layout)."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(path, not_a_file(path) or "no such file")
    members = limits.npz_members(path)
    for need in ("X", "y") if labelled else ("X",):
        if need not in members:
            raise BadInput(path, f"packed file lacks array '{need}'" + (
                " (the labels; `signlstm predict` reads the file without them)" if need == "y" else ""))
    hx = members["X"].header
    N, T = _check_sequences(path, hx, length, "X", pose_hands)
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
    if "y" not in side:  # without labels, numbers given per sign (as the signers' files give them) name no one
        if seq is None or _numbered_once(seq):
            return _packed_source(path, hx, N, T, seq, skip_bad)
        src = _packed_source(path, hx, N, T, None, skip_bad)
        src.note = (f"{path}: seq numbers two recordings alike (each sign's from 0?) and there are no labels to tell "
                    f"them apart: its recordings are named by row, {packed_source(path, 0)} to "
                    f"{packed_source(path, N - 1)}")
        return src
    raw = side["y"]
    actions = _action_names(path, side["actions"]) if "actions" in side else list(SIGNER_LABELS)
    if N and (raw.min() < 0 or raw.max() >= len(actions)):  # on the stored integers: uint64's top half stays positive
        raise BadInput(path, f"y holds labels {int(raw.min())}..{int(raw.max())} but there are {len(actions)} actions "
                             f"({'its actions' if 'actions' in side else 'hello, thanks, iloveyou: no actions array'}), "
                             f"numbered 0..{len(actions) - 1}")
    y = raw.astype(np.int64)  # (in range now)
    _check_numbers(path, seq, y, actions)
    names = np.array(actions)
    present = set(np.unique(y).tolist())
    counts = {str(a): int(n) for a, n in zip(names, np.bincount(y, minlength=len(names))) if n}
    return _packed_source(path, hx, N, T, seq, skip_bad, (y, names), [a for i, a in enumerate(actions) if i in present],
                          counts)


def _numbered_once(seq: np.ndarray) -> bool:
    """Whether ``seq`` gives each row its own number."""
    return len(np.unique(seq)) == len(seq)


def _check_numbers(path: Path, seq: np.ndarray | None, y: np.ndarray, actions: list[str]) -> None:
    """:class:`BadInput` when the packed file ``path`` numbers two recordings of one sign alike (``seq``, per label
    ``y``): a recording is named by its file, number and sign in fixes and reports."""
    if seq is None or not len(seq):
        return
    keys = np.stack([seq, y], axis=1)
    _, first, counts = np.unique(keys, axis=0, return_index=True, return_counts=True)
    if (counts > 1).any():
        row = int(first[np.flatnonzero(counts > 1)[0]])
        raise BadInput(path, f"seq gives {int(counts[counts > 1][0])} recordings of {shown_name(actions[y[row]])!r} "
                             f"the same number {int(seq[row])} (the first in row {row}): each recording of a sign "
                             "needs its own number, by which fixes and reports name it")


def _checked_rows(path: Path, raw: np.ndarray, rows: np.ndarray, ids: list[str], skip_bad: bool,
                  widened: bool = False):
    """``(X, rows, skipped)``: the chunk ``raw`` (sequences ``rows``, named ``ids``) as checked float32
    (:func:`~signlstm.keypoint_files.check_frames`; ``widened``: from pose + both hands); with ``skip_bad`` the
    sequences holding NaN, infinite or far too large values left out and listed in ``skipped``, else the first of them
    is :class:`BadInput`."""
    skipped = []
    if skip_bad:
        bad = ~values_ok(raw).all(axis=(1, 2))
        skipped = [(path, f"sequence {ids[i]} holds NaN, infinite or far too large values") for i in np.flatnonzero(bad)]
        raw, rows, ids = raw[~bad], rows[~bad], [ids[i] for i in np.flatnonzero(~bad)]
    return check_frames(path, raw, seq_ids=ids, widened=widened), rows, skipped


def _packed_source(path: Path, hx: limits.ArrayHeader, N: int, T: int, seq: np.ndarray | None, skip_bad: bool,
                   labels: tuple[np.ndarray, np.ndarray] | None = None, order: list[str] | None = None,
                   counts: dict[str, int] | None = None) -> Source:
    """The ``N`` sequences of ``T`` frames declared by ``hx`` in ``path`` (a packed file, or an ``.npy`` array of
    sequences), read chunk by chunk; ``seq`` numbers them (None: by row). ``labels`` is ``(y, names)``: row i is
    action ``names[y[i]]`` (None: every sequence is :data:`UNLABELLED`); ``order`` and ``counts`` are the source's
    label order and sequences per action."""
    widened = hx.shape[2] == layout.POSE_HANDS_SIZE

    def chunks(size: int) -> Iterator[Dataset]:
        for start, raw in packed_x(path, hx, size):
            rows = np.arange(start, start + len(raw))
            ids = [("" if labels is None else f"{labels[1][labels[0][i]]}/")
                   + f"{i if seq is None else seq[i]} (row {i})" for i in rows]
            X, rows, skipped = _checked_rows(path, layout.with_zero_face(raw) if widened else raw, rows, ids, skip_bad,
                                             widened)
            numbers = rows if seq is None else seq[rows]
            names = np.full(len(rows), UNLABELLED) if labels is None else labels[1][labels[0][rows]]
            yield Dataset(X, names, np.full(len(rows), path.stem), [packed_source(path, k) for k in numbers],
                          list(order or []), skipped)

    return Source(path, N, T, list(order or []), chunks, T, counts or {}, path.stem, hx.shape[2])


def open_sequences_npy(path: Path, length: int | None = None, skip_bad: bool = False) -> Source:
    """An ``.npy`` array of sequences (N, T, 1662) (the tutorial's ``X`` saved with ``np.save``), unlabelled
    (:data:`UNLABELLED`), read chunk by chunk; anything else is :class:`BadInput` saying what the file is."""
    from ..keypoint_files import read_keypoint_header

    hx = read_keypoint_header(path)
    if len(hx.shape) != 3:
        raise BadInput(path, npy_problem(path))
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
    twice = look_alike(names)
    if twice:
        raise BadInput(path, f"actions {twice} look the same (they differ only in spaces or in how a letter is "
                             "encoded): give each sign one name")
    return names


def is_packed_folder(path: str | Path) -> bool:
    """True for a folder of packed ``.npz`` files (one person each; no subfolders but hidden ones), which is read as
    those files; any other folder is an ``MP_Data`` tree."""
    p = Path(path)
    return (p.is_dir() and not any(q.is_dir() and not is_hidden(q) for q in p.iterdir())
            and bool(packed_files(p)))


def npy_problem(path: Path) -> str:
    """Why the ``.npy`` file ``path`` given as data is not a dataset, from its header (or its own defect): sequences
    to pack as an ``.npz``, a keypoint stream to replay, or one frame of an ``MP_Data`` tree."""
    from ..keypoint_files import read_keypoint_header

    shape = read_keypoint_header(path).shape
    if len(shape) == 3 and shape[2] == layout.FRAME_SIZE:
        return (f"an array of {counted(shape[0], 'sequence')} of {counted(shape[1], 'frame')} but no labels: pack "
                f"it with its labels as a .npz, np.savez('data.npz', X=X, y=y) (y: each sequence's action number; actions=[names] optional); "
                f"`signlstm predict` reads it as it is")
    if len(shape) == 2 and shape[0] > 1 and shape[1] == layout.FRAME_SIZE:
        return (f"a keypoint stream of {shape[0]} frames without labels (replay it with `signlstm live --source "
                f"{path}`); labelled data is an MP_Data folder or a packed .npz with X and y")
    read_frame(path)  # raises the file's own defect if it has one
    return "a single frame file; pass the MP_Data folder that holds it"
