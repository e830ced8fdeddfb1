"""Sequences of keypoint frames with their labels and signer ids.

Two on-disk forms are read: the tutorial's ``MP_Data/<action>/<seq>/<frame>.npy`` tree and
packed ``.npz`` files (``X`` (N, T, 1662), ``y``, ``seq``, optional ``actions``; the file name
is the signer id). Every file is checked, and a defect raises :class:`BadInput` naming it.
:class:`SequenceWriter` writes the tutorial tree atomically for ``collect``, ``extract`` and the web page.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import layout
from .errors import BadInput, SignlstmError

SIGNER_LABELS = ("hello", "thanks", "iloveyou")  # label order of ../shared/data/signers/*.npz
NONE = "none"  # the rejection label: none of the known signs
_LFS_MAGIC = b"version https://git-lfs"
_NPY_MAGIC = b"\x93NUMPY"


@dataclass
class Dataset:
    """N sequences: ``X`` (N, T, 1662) float32, a label, a signer/group id and a source per sequence."""

    X: np.ndarray
    labels: np.ndarray  # (N,) str
    groups: np.ndarray  # (N,) str
    sources: list[str]
    actions: list[str]  # label order; every label is in it
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.X)

    @property
    def seq_len(self) -> int:
        return int(self.X.shape[1])

    @property
    def y(self) -> np.ndarray:
        """Labels as indices into ``actions``."""
        index = {a: i for i, a in enumerate(self.actions)}
        return np.array([index[a] for a in self.labels], dtype=np.int64)

    def subset(self, mask) -> "Dataset":
        idx = np.flatnonzero(mask) if np.asarray(mask).dtype == bool else np.asarray(mask)
        return Dataset(self.X[idx], self.labels[idx], self.groups[idx],
                       [self.sources[i] for i in idx], list(self.actions), list(self.skipped))

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
        out = Dataset(self.X, labels, self.groups, self.sources, actions, list(self.skipped))
        return out.subset(keep)

    def summary(self) -> dict:
        return {
            "sequences": len(self),
            "seq_len": self.seq_len,
            "actions": {a: int((self.labels == a).sum()) for a in self.actions},
            "groups": sorted(set(self.groups.tolist())),
            "skipped": len(self.skipped),
        }


def concat(parts: list[Dataset], actions: list[str] | None = None) -> Dataset:
    """Join datasets; the label order is ``actions`` or the first-seen order."""
    if not parts:
        raise SignlstmError("no data given")
    lengths = {p.seq_len for p in parts}
    if len(lengths) > 1:
        raise SignlstmError(f"the data mixes sequence lengths {sorted(lengths)}; pass --length")
    order = list(actions) if actions else []
    for p in parts:
        order += [a for a in p.actions if a not in order and a in set(p.labels.tolist())]
    return Dataset(
        np.concatenate([p.X for p in parts]),
        np.concatenate([p.labels for p in parts]),
        np.concatenate([p.groups for p in parts]),
        [s for p in parts for s in p.sources],
        order,
        [s for p in parts for s in p.skipped],
    )


def read_frame(path: str | Path) -> np.ndarray:
    """One tutorial frame file, checked: (1662,) float32, or :class:`BadInput` naming the defect."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(len(_LFS_MAGIC))
            if head.startswith(_LFS_MAGIC):
                raise BadInput(path, "a Git LFS pointer, not keypoint data (run `git lfs pull` in the source repository)")
            if not head.startswith(_NPY_MAGIC):
                raise BadInput(path, "not an .npy file")
            f.seek(0)
            arr = np.load(f, allow_pickle=False)
    except BadInput:
        raise
    except (OSError, ValueError, EOFError) as e:
        raise BadInput(path, f"unreadable .npy ({e})") from None
    return check_frames(path, arr, single=True)


def check_frames(path, arr: np.ndarray, single: bool = False) -> np.ndarray:
    """Check the last axis is the 1662-value layout and values are finite."""
    if arr.ndim == 0 or arr.shape[-1] != layout.FRAME_SIZE or (single and arr.ndim != 1):
        n = arr.shape[-1] if arr.ndim else 0
        raise BadInput(path, f"frame has shape {arr.shape}, expected ({layout.FRAME_SIZE},): "
                             f"looks like {layout.describe_size(n)}, not MediaPipe Holistic's 1662-value layout")
    if not np.issubdtype(arr.dtype, np.floating):
        raise BadInput(path, f"frame has dtype {arr.dtype}, expected floating point")
    arr = arr.astype(np.float32)
    if not np.isfinite(arr).all():
        raise BadInput(path, "frame holds NaN or infinite values")
    return arr


def _numbered(folder: Path, suffix: str = "") -> list[tuple[int, Path]]:
    out = []
    for p in folder.iterdir():
        stem = p.name[: -len(suffix)] if suffix and p.name.endswith(suffix) else p.name
        if (p.is_file() if suffix else p.is_dir()) and (not suffix or p.name.endswith(suffix)) and stem.isdigit():
            out.append((int(stem), p))
    return sorted(out)


def _expected_length(counts: list[int], length: int | None) -> int:
    if length:
        return length
    common = Counter(counts).most_common(1)[0][0] if counts else layout.SEQ_LEN
    # A recording shorter than the tutorial's 30 frames is an aborted one unless the user says otherwise.
    return max(common, layout.SEQ_LEN) if common < layout.SEQ_LEN else common


def load_mp_data(root: str | Path, actions: list[str] | None = None, length: int | None = None,
                 skip_bad: bool = False, group: str | None = None) -> Dataset:
    """Read the tutorial layout ``root/<action>/<seq>/<frame>.npy``.

    Actions are the folder names (sorted) unless ``actions`` names them (in that order).
    The sequence length is ``length`` or the most common frame count (at least 30).
    """
    root = Path(root)
    if not root.is_dir():
        raise BadInput(root, "no such data folder")
    names = list(actions) if actions else sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    seqs = [(a, d) for a in names if (root / a).is_dir() for _, d in _numbered(root / a)]
    if not seqs:
        raise BadInput(root, "no sequence folders (expected <action>/<number>/<frame>.npy)")
    frame_lists = [_numbered(d, ".npy") for _, d in seqs]
    T = _expected_length([len(f) for f in frame_lists], length)
    X, labels, sources, skipped = [], [], [], []
    for (action, d), frames in zip(seqs, frame_lists):
        try:
            numbers = [n for n, _ in frames]
            if numbers[:T] != list(range(min(T, len(numbers)))) or len(numbers) < T:
                raise BadInput(d, f"truncated sequence: holds {len(numbers)} of {T} frames (recording aborted?)")
            if len(numbers) > T:
                raise BadInput(d, f"sequence has extra frames {numbers[T:]} beyond the {T}-frame layout")
            X.append(np.stack([read_frame(p) for _, p in frames]))
        except BadInput as e:
            if not skip_bad:
                raise
            skipped.append((e.path, e.problem))
            continue
        labels.append(action)
        sources.append(str(d))
    if not X:
        raise BadInput(root, f"no usable sequence ({len(skipped)} skipped)")
    return Dataset(np.stack(X), np.array(labels), np.full(len(X), group or root.name),
                   sources, [a for a in names if a in labels], skipped)


def load_npz(path: str | Path, length: int | None = None) -> Dataset:
    """Read a packed file: ``X`` (N, T, 1662), ``y``, ``seq`` and optional ``actions``; the stem is the signer id."""
    path = Path(path)
    try:
        z = np.load(path, allow_pickle=False)
        X, y = z["X"], z["y"]
        seq = z["seq"] if "seq" in z else np.arange(len(y))
        actions = [str(a) for a in z["actions"]] if "actions" in z else list(SIGNER_LABELS)
    except KeyError as e:
        raise BadInput(path, f"packed file lacks array {e}") from None
    except (OSError, ValueError, EOFError) as e:
        raise BadInput(path, f"not a readable .npz file ({e})") from None
    if X.ndim != 3 or len(X) != len(y):
        raise BadInput(path, f"X has shape {X.shape}, expected (N, T, {layout.FRAME_SIZE}) with N = len(y) = {len(y)}")
    X = check_frames(path, X)
    if length and X.shape[1] != length:
        raise BadInput(path, f"sequences have {X.shape[1]} frames, expected {length}")
    if len(y) and (y.min() < 0 or y.max() >= len(actions)):
        raise BadInput(path, f"labels outside 0..{len(actions) - 1}")
    labels = np.array(actions)[y]
    return Dataset(X, labels, np.full(len(y), path.stem), [f"{path}#{int(s)}" for s in seq],
                   [a for a in actions if a in set(labels.tolist())])


def load(paths, actions: list[str] | None = None, length: int | None = None,
         skip_bad: bool = False, require_all: bool = False) -> Dataset:
    """Read any mix of MP_Data folders, packed ``.npz`` files and folders of them.

    With ``actions``, only those labels are kept (in that order); ``require_all`` makes a
    missing one an error (training needs every action it is told about).
    """
    parts = []
    for p in map(Path, paths):
        if p.is_dir() and not any(q.is_dir() for q in p.iterdir()) and any(p.glob("*.npz")):
            parts += [load_npz(q, length) for q in sorted(p.glob("*.npz"))]
        elif p.is_dir():
            parts.append(load_mp_data(p, actions, length, skip_bad))
        elif p.suffix == ".npz":
            parts.append(load_npz(p, length))
        elif p.suffix == ".npy":
            read_frame(p)  # raises the file's own defect if it has one
            raise BadInput(p, "a single frame file; pass the MP_Data folder that holds it")
        elif not p.exists():
            raise BadInput(p, "no such file or folder")
        else:
            raise BadInput(p, "not keypoint data (expected an MP_Data folder or a packed .npz)")
    data = concat(parts, actions)
    if actions:
        missing = [a for a in actions if a not in set(data.labels.tolist())]
        if missing and require_all:
            raise SignlstmError(f"no sequences for action(s) {missing} in {', '.join(map(str, paths))}")
        data = data.subset(np.isin(data.labels, actions))
        data.actions = list(actions)
    return data


class SequenceWriter:
    """Write sequences in the tutorial layout, each one whole or not at all.

    Frames go to a hidden temporary folder beside the target; the folder is renamed to
    ``<root>/<action>/<n>`` only when every frame is saved, with ``n`` after the highest
    existing number, so nothing is ever overwritten and an interrupted sequence leaves nothing.
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def next_number(self, action: str) -> int:
        folder = self.root / action
        numbers = [n for n, _ in _numbered(folder)] if folder.is_dir() else []
        return max(numbers) + 1 if numbers else 0

    def write(self, action: str, frames: np.ndarray) -> Path:
        frames = np.asarray(frames)
        if frames.ndim != 2 or frames.shape[1] != layout.FRAME_SIZE:
            raise ValueError(f"frames must be (T, {layout.FRAME_SIZE}), got {frames.shape}")
        folder = self.root / action
        folder.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=folder))
        try:
            for i, frame in enumerate(frames):
                np.save(tmp / f"{i}.npy", frame.astype(np.float64))
            while True:
                target = folder / str(self.next_number(action))
                try:
                    os.rename(tmp, target)  # fails if a folder of that number appeared meanwhile
                    return target
                except OSError:
                    if not target.exists():
                        raise
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise




def no_hand_windows(data: Dataset, share: float = 0.25, seed: int = 0) -> Dataset:
    """Synthetic negatives: a share of ``data``'s sequences with both hands removed (idle / no-hand windows), every
    third of them with the person removed too (an empty room: all zeros), labelled :data:`NONE`, each kept in the
    group (signer) of the sequence it came from."""
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(data), int(round(share * len(data))), replace=False))
    X = layout.without_hands(data.X[idx])
    X[::3] = 0.0
    return Dataset(X, np.full(len(idx), NONE), data.groups[idx].copy(),
                   [f"{data.sources[i]}#no-hands" for i in idx], [NONE])


def add_negatives(data: Dataset, paths, length: int | None = None, synthetic: float = 0.15,
                  seed: int = 0) -> Dataset:
    """``data`` plus recordings of other signs (``paths``), every sequence labelled :data:`NONE`, group = file stem,
    plus ``synthetic`` x len(data) no-hand windows made from ``data`` itself (see :func:`no_hand_windows`)."""
    parts = [data]
    if paths:
        other = load(paths, length=length or data.seq_len)
        parts.append(Dataset(other.X, np.full(len(other), NONE), other.groups, other.sources, [NONE]))
    if synthetic:
        parts.append(no_hand_windows(data.subset(data.labels != NONE), synthetic, seed))
    actions = [a for a in data.actions if a != NONE] + [NONE]
    return concat(parts, actions)
