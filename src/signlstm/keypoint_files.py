"""Keypoint ``.npy`` files checked before they are trusted: a tutorial frame file ((1662,) floats), a saved stream
((T, 1662) frames), or arrays already in memory. The header is read first, so a file declaring another layout, a
non-float type, more than the memory budget (:func:`signlstm.limits.memory_budget`) or more bytes than it holds is
refused without reading its data; every defect is :class:`~signlstm.errors.BadInput` naming the file (and the
sequence and frame inside it). :class:`StreamWriter` writes a saved stream a part at a time, in bounded memory."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import numpy as np

from . import layout, limits
from .errors import BadInput
from .outputs import not_a_file
from .wording import counted

# The largest keypoint value a frame may hold. MediaPipe's are image fractions (x, y; a point outside the image
# overshoots by a few widths at most), depths of the same scale and visibilities in 0..1: the largest magnitude in
# ../shared's recordings (MP_Data_renotte, signers, other_signs, vocab) is 4.06. A value beyond this is not a position
# (a corrupted or mis-scaled file) and would overflow training to NaN. The web page's keypoint messages are held to it
# too (``web.protocol``).
MAX_VALUE = 1e3


def listed_numbers(numbers: list[int], most: int = 5) -> str:
    """Frame numbers for a message: ``[30, 31]``, or the first ``most`` and how many more."""
    return str(numbers) if len(numbers) <= most else f"{str(numbers[:most])[:-1]}, ... ({len(numbers) - most} more)]"


def frame_files(folder: Path) -> list[tuple[int, Path]]:
    """A sequence folder's frame files as (frame number, path), in order: every ``<number>.npy`` in it, or
    :class:`BadInput` naming the folder when they are named with leading zeros (``00.npy``) or with the suffix twice
    (``0.npy.npy``), or with digits other than 0-9 (``٥.npy``), where the tutorial layout writes ``0.npy``."""
    files = sorted((int(f.name[:-4]), f) for f in Path(folder).iterdir()
                   if f.name.endswith(".npy") and f.name[:-4].isdigit())
    for _, f in files:  # a frame's name on a pipe, a device or a folder: named as such, not as a missing frame
        if not f.is_file():
            raise BadInput(f, not_a_file(f) or "not a regular file")
    if not files:  # frames saved with the suffix twice (np.save adds .npy to a name that has it: "0.npy.npy")
        doubled = sorted(f.name for f in Path(folder).iterdir() if f.name.endswith(".npy.npy"))
        if doubled:
            raise BadInput(folder, f"frame files named {', '.join(doubled[:3])}{', ...' if len(doubled) > 3 else ''}: "
                                   "the tutorial layout names them 0.npy, 1.npy, ... (rename them)")
    padded = [f.name for n, f in files if f.name != f"{n}.npy"]
    if padded:
        how = "with leading zeros" if all(name.isascii() for name in padded) else "with digits other than 0-9"
        raise BadInput(folder, f"frame files named {how} ({', '.join(padded[:3])}"
                               f"{', ...' if len(padded) > 3 else ''}): the tutorial layout names them 0.npy, 1.npy, "
                               "... (rename them)")
    return files


CONVERT_HINT = ("`signlstm convert --data <its MP_Data folder, .npz or .npy stream> --camera <its camera's shape, "
                "e.g. 16:9> --out <a new name>` copies the data into that layout, the face zeroed (the shipped models "
                "do not read it)")


def shape_problem(shape, width: int | None = None) -> str:
    """Why an array of ``shape`` is not one keypoint frame, or frames (2 or more axes): what its last axis looks like
    instead of the 1662 values (pose + hands in a frame, a stream or packed sequences: with :data:`CONVERT_HINT`), or,
    when that axis is the values
    expected, how many frames it holds where one was expected. ``width``: the values per frame of the data being
    converted (``signlstm convert``, which reads 1662 or :data:`layout.POSE_HANDS_SIZE`, one of them throughout)."""
    shape = tuple(int(n) for n in shape)
    n = shape[-1] if shape else 0
    want = width or layout.FRAME_SIZE
    if not shape:
        return f"frame has shape (), expected ({want},): one number, not a frame"
    if len(shape) >= 2 and shape[-2] == want != n:  # (1662, T), (1662, 1), (N, 1662, T): frames as columns
        return f"shape {shape}: {want} values in each column, not in each row: frames are rows (is it transposed?)"
    if n == want:
        return (f"frame has shape {shape}, expected ({want},): an array of "
                f"{counted(int(np.prod(shape[:-1])), 'frame')} of {want} values where one frame was expected")
    text = (f"shape {shape}: frames of {counted(n, 'value')}, expected {want}" if len(shape) > 1 else
            f"frame has shape {shape}, expected ({want},)") + f": looks like {layout.describe_size(n)}, "
    if width:
        return text + (f"not MediaPipe Holistic's {layout.FRAME_SIZE} values or pose + both hands "
                       f"({layout.POSE_HANDS_SIZE}), which convert reads")
    text += f"not MediaPipe Holistic's {layout.FRAME_SIZE}-value layout"
    return text + (f": {CONVERT_HINT}" if n == layout.POSE_HANDS_SIZE else "")


def _keypoint_header(f, path: Path) -> limits.ArrayHeader:
    """The ``.npy`` header of the keypoint file ``path`` (open as ``f`` at its start): :class:`BadInput` for a Git LFS
    pointer, a file that is not an ``.npy`` array, or a header that cannot be read."""
    if f.read(len(limits.LFS_MAGIC)).startswith(limits.LFS_MAGIC):
        raise BadInput(path, "a Git LFS pointer, not keypoint data (run `git lfs pull` in the source repository)")
    f.seek(0)
    try:
        return limits.read_npy_header(f, path)
    except BadInput as e:
        if e.problem.startswith("not an .npy array"):
            raise BadInput(path, "not an .npy file") from None
        raise


def read_keypoint_header(path: str | Path) -> limits.ArrayHeader:
    """The ``.npy`` header of ``path`` (its shape, dtype and data offset), nothing of its data read:
    :class:`BadInput` for a missing or unreadable file, one that is not a regular file (a pipe, which opening would
    wait on for ever), a Git LFS pointer or a file that is not an ``.npy`` array."""
    path = Path(path)
    if problem := not_a_file(path):
        raise BadInput(path, problem)
    try:
        with open(path, "rb") as f:
            return _keypoint_header(f, path)
    except OSError as e:
        raise BadInput(path, f"unreadable .npy ({e})") from None


def _checked_header(f, path: Path, frames_axis: bool, width: int | None = None) -> limits.ArrayHeader:
    """The header of the keypoint file ``path`` (open as ``f``), refused unless it declares floats in the 1662-value
    layout: (T, 1662) frames, T > 0, with ``frames_axis`` (a (1662,) file is one frame), else one frame, (1662,) or
    (1, 1662) (a frame saved with its batch axis). ``width``: frames of that many values instead (see
    :func:`shape_problem`)."""
    header = _keypoint_header(f, path)
    shape = header.shape
    want = width or layout.FRAME_SIZE
    one = len(shape) == 1 or tuple(shape) == (1, want)
    if not shape or shape[-1] != want or (not frames_axis and not one):
        raise BadInput(path, shape_problem(shape, width))
    if len(shape) > 2:
        raise BadInput(path, f"keypoints have shape {shape}, expected (frames, {want})")
    if frames_axis and 0 in shape:
        raise BadInput(path, f"holds no frames (shape {shape})")
    if header.dtype.kind != "f":
        raise BadInput(path, f"frame has dtype {header.dtype}, expected floating point")
    return header


def _read_keypoints(path: str | Path, frames_axis: bool, mapped: bool = False, width: int | None = None) -> np.ndarray:
    """The keypoints of one ``.npy`` file as (T, 1662) in the file's own float type, values not checked: its header is
    read first (:func:`_checked_header`), and a file that holds fewer bytes than it declares, or (read whole) declares
    more than :func:`limits.memory_budget` as float32 frames, is refused without reading its data. ``frames_axis``:
    (T, 1662) frames (a (1662,) file is one frame), else one frame; ``mapped``: a read-only memory map of the frames,
    read from disk as they are used, instead of the data read whole; ``width``: frames of that many values,
    (T, width) (see :func:`shape_problem`)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            header = _checked_header(f, path, frames_axis, width)
            if frames_axis and not mapped:
                limits.check_declared(path, "the keypoint file", header.shape, np.float32, limits.memory_budget())
            if mapped:
                held = os.fstat(f.fileno()).st_size - header.offset
            else:
                data = f.read(header.nbytes)
                held = len(data)
    except OSError as e:
        raise BadInput(path, f"unreadable .npy ({e})") from None
    if held < header.nbytes:
        what = "keypoint array" if frames_axis else "frame"
        raise BadInput(path, f"truncated: holds {max(held, 0)} of the {header.nbytes} bytes of a {header.describe()} "
                             f"{what}")
    order = "F" if header.fortran else "C"
    arr = (np.memmap(path, dtype=header.dtype, mode="r", offset=header.offset, shape=header.shape, order=order)
           if mapped else np.frombuffer(data, header.dtype).reshape(header.shape, order=order))
    return arr.reshape(-1, width or layout.FRAME_SIZE)


def read_frame(path: str | Path) -> np.ndarray:
    """One tutorial frame file, checked: (1662,) float32 (a file of shape (1, 1662), one frame saved with a batch
    axis, gives its one frame), or :class:`BadInput` naming the defect. Its header is read first: a file declaring
    another shape is refused without reading its data."""
    return check_frames(path, _read_keypoints(path, frames_axis=False)[0], single=True)


def read_frames(paths: list[Path], width: int | None = None) -> np.ndarray:
    """The tutorial frame files ``paths`` (a sequence's, in order; at least one) as (T, 1662) float32: each file's
    header and size checked as :func:`read_frame` checks them, then the values of all of them at once;
    :class:`BadInput` names the file with the defect as :func:`read_frame` would (the first bad header, else the first
    bad values). ``width`` :data:`layout.POSE_HANDS_SIZE` (``signlstm convert``): files of pose + both hands instead,
    widened with the face zeroed (:func:`layout.with_zero_face`) and checked to be that layout
    (:func:`not_pose_hands`); another ``width``: files of that many values (see :func:`shape_problem`)."""
    raw = [_read_keypoints(p, frames_axis=False, width=width)[0] for p in paths]
    if width == layout.POSE_HANDS_SIZE:
        raw = [layout.with_zero_face(r) for r in raw]
    with np.errstate(over="ignore"):
        out = np.stack(raw).astype(np.float32, copy=False)  # float64 beyond float32's range becomes infinite: refused
    ok = values_ok(out)
    if not ok.all():
        t = int(np.argwhere(~ok.all(axis=1))[0][0])
        check_frames(paths[t], raw[t], single=True)  # raises, naming the file and its values
    odd = partial_face(out)
    if odd.any():
        raise BadInput(paths[int(np.argmax(odd))], f"frame {OTHER_ORDER}")
    if width == layout.POSE_HANDS_SIZE and (odd := not_pose_hands(out)).any():
        raise BadInput(paths[int(np.argmax(odd))], f"frame {NOT_POSE_HANDS}")
    return out


def map_keypoint_file(path: str | Path, width: int | None = None) -> np.ndarray:
    """A saved keypoint stream as a read-only memory map, (T, 1662) in the file's own float type: its header checked
    as :func:`read_keypoint_file` checks it (and that the file holds every frame it declares), its frames read
    from disk only as they are used, so any length replays in the same memory. Their values are not checked here:
    check each frame as it is read (:func:`check_frame`). ``width``: frames of that many values, (T, width)
    (``signlstm convert`` of pose + both hands)."""
    return _read_keypoints(path, frames_axis=True, mapped=True, width=width)


def keypoint_blocks(path: str | Path, size: int = 1024, width: int | None = None) -> Iterator[np.ndarray]:
    """The frames of a saved keypoint stream as blocks of up to ``size`` (n, 1662) in the file's own float type,
    read from disk one block at a time; its header and length are checked now, as :func:`map_keypoint_file` checks
    them (values not checked). Only a block is in memory, so a stream of any length replays in the same memory (a
    file stored in Fortran order, whose frames are not contiguous on disk, through its memory map). ``width``:
    frames of that many values, (n, width) blocks."""
    T = len(map_keypoint_file(path, width))  # the header, and the frames the file holds; the map is let go at once
    header = read_keypoint_header(path)
    item, values = header.dtype.itemsize, width or layout.FRAME_SIZE

    def blocks() -> Iterator[np.ndarray]:
        with open(path, "rb") as f:
            f.seek(header.offset)
            for start in range(0, T, size):
                n = min(size, T - start)
                if not header.fortran:
                    yield np.frombuffer(f.read(n * values * item), header.dtype).reshape(n, values)
                    continue
                block = np.empty((values, n), header.dtype)  # a value's frames lie together on disk
                for c in range(values):
                    f.seek(header.offset + (c * T + start) * item)
                    block[c] = np.frombuffer(f.read(n * item), header.dtype)
                yield np.ascontiguousarray(block.T)

    return blocks()


def values_ok(arr: np.ndarray) -> np.ndarray:
    """Where ``arr``'s values can be keypoints: finite and at most :data:`MAX_VALUE` in magnitude (False for NaN)."""
    ok = arr <= MAX_VALUE  # two masks, not a float copy of |arr|: a 256-sequence chunk's check holds 26 MB, not 51
    ok &= arr >= -MAX_VALUE
    return ok


_HANDS = layout.LEFT_HAND.size + layout.RIGHT_HAND.size  # 126: both hands' values
OTHER_ORDER = ("has a face block that is zero in its first 42 points and not after, which MediaPipe's face mesh never "
               "gives (all 468 points or none): the frame's parts look concatenated in another order than the "
               "tutorial's pose, face, left hand, right hand (e.g. pose, hands, face)")


def partial_face(arr: np.ndarray) -> np.ndarray:
    """Which frames of ``arr`` (..., 1662) hold a face block zero in its first 42 points (126 values: as many as both
    hands hold) and not after: never a face mesh's, and what a frame whose parts are in another order gives when its
    hands are out of view (see :data:`OTHER_ORDER`)."""
    face = arr[..., layout.FACE.slice]
    return ~face[..., :_HANDS].any(-1) & face[..., _HANDS:].any(-1)


NOT_POSE_HANDS = ("holds a pose MediaPipe never gives (a visibility outside 0..1, or some of its 33 points all zeros "
                  f"and others not): its {layout.POSE_HANDS_SIZE} values are not the tutorial's pose (33 x, y, z, "
                  "visibility), left hand and right hand without the face, in that order")


def not_pose_hands(arr: np.ndarray) -> np.ndarray:
    """Which frames of ``arr`` (..., 1662), widened from pose + both hands (:func:`layout.with_zero_face`), hold a
    pose MediaPipe never gives: a visibility outside 0..1 (they are probabilities), or some points all zeros and
    others not (it gives all 33 or none). Their values are another layout of as many numbers, such as the hands
    before the pose (see :data:`NOT_POSE_HANDS`)."""
    pose = layout.part(arr, layout.POSE)
    visibility = pose[..., 3]
    seen = pose.any(-1)
    return ((visibility < 0) | (visibility > 1)).any(-1) | (seen.any(-1) & ~seen.all(-1))


def check_frame(path, index: int, frame: np.ndarray) -> np.ndarray:
    """Frame ``index`` of the stream ``path`` as (1662,) float32, or :class:`BadInput` naming it when a value is NaN,
    infinite or beyond :data:`MAX_VALUE`."""
    with np.errstate(over="ignore"):
        out = np.asarray(frame, np.float32)
    ok = values_ok(out)
    if not ok.all():
        raise BadInput(path, f"frame {index} {_value_problem(out[~ok])}")
    if partial_face(out):
        raise BadInput(path, f"frame {index} {OTHER_ORDER}")
    return out


def _value_problem(bad: np.ndarray) -> str:
    """What is wrong with the values ``bad`` of a frame (not finite, or beyond :data:`MAX_VALUE`)."""
    if not np.isfinite(bad).all():
        return "holds NaN or infinite values"
    return (f"holds the value {float(bad.flat[np.abs(bad).argmax()]):.3g}, far outside any image (keypoints are image "
            f"fractions and depths of order 1; at most {MAX_VALUE:g} is read)")


def read_keypoint_file(path: str | Path) -> np.ndarray:
    """A saved keypoint stream (``np.save`` of (T, 1662) frames; a (1662,) file is one frame): (T, 1662) float32,
    or :class:`BadInput` naming the defect (the header is checked before any data is read, as :func:`read_frame`)."""
    return check_frames(path, _read_keypoints(path, frames_axis=True))


def _first(frames: np.ndarray) -> tuple:
    """The index of the first True of a per-frame mask (``()`` for one frame's)."""
    return tuple(int(i) for i in np.argwhere(frames)[0])


def _frame_named(at: tuple, seq_ids=None, first: int = 0) -> str:
    """Where frame ``at`` (:func:`_first`) is, for a message: "sequence <id> frame <t> ", "frame <t> " (counted from
    ``first``) or nothing."""
    if len(at) == 2:
        return f"sequence {seq_ids[at[0]] if seq_ids is not None else at[0]} frame {at[1]} "
    return f"frame {first + at[0]} " if at else ""


def check_frames(path, arr: np.ndarray, single: bool = False, seq_ids=None, widened: bool = False,
                 first: int = 0) -> np.ndarray:
    """Check the last axis is the 1662-value layout and values are finite and within :data:`MAX_VALUE`; (..., 1662)
    float32. For (N, T, 1662) the first bad sequence and frame are named (``seq_ids``: the sequence ids to name them
    by); for (T, 1662) the first bad frame, counted from ``first`` (a part of a stream). ``widened``: ``arr`` is pose
    + both hands widened (:func:`layout.with_zero_face`), its pose visibility checked too (:func:`not_pose_hands`)."""
    if arr.ndim == 0 or arr.shape[-1] != layout.FRAME_SIZE or (single and arr.ndim != 1):
        raise BadInput(path, shape_problem(arr.shape))
    if not np.issubdtype(arr.dtype, np.floating):
        raise BadInput(path, f"frame has dtype {arr.dtype}, expected floating point")
    with np.errstate(over="ignore"):
        arr = arr.astype(np.float32)  # float64 values beyond float32's range become infinite: refused below
    ok = values_ok(arr)
    if not ok.all():
        at = _first(~ok.all(axis=-1))
        raise BadInput(path, f"{_frame_named(at, seq_ids, first)}{_value_problem(arr[at][~ok[at]])}")
    odd = partial_face(arr)
    if odd.any():
        raise BadInput(path, f"{_frame_named(_first(odd), seq_ids, first) or 'frame '}{OTHER_ORDER}")
    if widened and (odd := not_pose_hands(arr)).any():
        raise BadInput(path, f"{_frame_named(_first(odd), seq_ids, first) or 'frame '}{NOT_POSE_HANDS}")
    return arr


class StreamWriter:
    """A (T, 1662) float32 stream written to ``out`` a part at a time, in the memory of one part: the frames go to a
    temp file beside ``out``; :meth:`commit` writes the ``.npy`` (its header, then the frames copied in chunks)
    atomically and removes the temp file. Left without ``commit`` (an error, Ctrl-C), nothing is left behind."""

    def __init__(self, out: str | Path):
        from .files import made_parents, not_written, remove_made, temp_file

        self.out, self.frames, self._made = Path(out), 0, []
        if self.out.is_dir():
            raise BadInput(self.out, "is a folder; give a file name")
        try:
            self._made = made_parents(self.out)
            fd, self._raw = temp_file(self.out.parent, self.out.name, ".frames")
        except OSError as e:
            remove_made(self._made)
            raise not_written(self.out, e) from None
        self._file = os.fdopen(fd, "wb")

    def write(self, frames: np.ndarray) -> None:
        """Append ``frames`` ((n, 1662), stored as float32)."""
        from .files import not_written

        frames = np.ascontiguousarray(frames, np.float32).reshape(-1, layout.FRAME_SIZE)
        if not len(frames):  # a part of no frames adds nothing (and a view of no bytes cannot be cast)
            return
        try:
            self._file.write(memoryview(frames).cast("B"))
        except OSError as e:  # a full disk, a file too large
            raise not_written(self.out, e) from None
        self.frames += len(frames)

    def commit(self) -> None:
        """Write ``out`` (temp + rename) from the frames written, then drop the temp file."""
        import shutil

        from .files import write_atomic

        self._file.close()

        def save(tmp):
            with open(tmp, "wb") as f, open(self._raw, "rb") as raw:
                np.lib.format.write_array_header_1_0(
                    f, {"descr": np.dtype(np.float32).str, "fortran_order": False,
                        "shape": (self.frames, layout.FRAME_SIZE)})
                shutil.copyfileobj(raw, f, 16 << 20)

        try:
            write_atomic(self.out, save)
            self._made = []  # they hold ``out`` now
        finally:
            self.close()

    def close(self) -> None:
        """Drop the temp file, and the folders made for ``out`` unless :meth:`commit` wrote it."""
        from .files import remove_made

        self._file.close()
        if os.path.exists(self._raw):
            os.remove(self._raw)
        remove_made(self._made)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
