"""Checks of output paths made before any work: what an output folder or file may replace (:func:`check_folder_out`,
:func:`check_file_out`), where a folder can be written (:func:`check_writable_folder`), room on the disk
(:func:`check_free_space`), outputs apart from inputs and each other (:func:`check_outputs_apart`), and what a path
is (:func:`resolved`, :func:`not_a_file`, :func:`ignores_case`)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def check_folder_out(out: str | Path, marker: str) -> None:
    """Refuse (:class:`~signlstm.errors.BadInput`) an output folder that would replace something other than an
    earlier output of the same kind: an existing file, or a non-empty folder without ``marker`` (e.g. the data
    folder itself given as ``--out``), or one that cannot be written where it is (:func:`check_writable_folder`:
    its parent, where it is renamed into place). An absent or empty folder, or one holding ``marker``, may be
    (re)written."""
    from .errors import BadInput

    path = Path(out)
    if path.is_symlink() and path.is_dir():  # a link to an earlier output: that folder is replaced (folder_atomic)
        path = path.resolve()
    if path.is_dir():
        if not ((path / marker).is_file() or not any(path.iterdir())):
            raise BadInput(path, f"a folder that is not a model (no {marker}): signlstm replaces only a model "
                                 "folder; choose another output folder")
    elif path.exists() or path.is_symlink():
        raise BadInput(path, "exists and is not a folder: choose another output folder")
    check_writable_folder(path.parent if path.is_dir() else path)


# what an output file is, or what an existing file holds (:func:`held_kind`), as messages name it
FILE_KINDS = {"report": "a report", "model": "a model", "stream": "a keypoint stream",
              "recordings": "keypoint recordings"}
H5_SUFFIXES = (".h5", ".hdf5")  # an HDF5 model file (a tutorial action.h5), which --model reads by its suffix
MODEL_FILE_SUFFIXES = H5_SUFFIXES + (".keras",)  # a bare model file (a tutorial .h5, a .keras), by its suffix


def held_kind(path: str | Path) -> str | None:
    """What the existing file ``path`` holds, by its suffix and (an ``.npy``) its header: ``"model"`` (``.h5``,
    ``.keras``), ``"stream"`` (an ``.npy`` of frames of 1662 or 258 values), ``"recordings"`` (any other ``.npy``, an
    ``.npz``); None for anything else, or no file there."""
    from . import layout, limits
    from .errors import BadInput

    path = Path(path)
    if not path.is_file():
        return None
    suffix = path.suffix.lower()
    if suffix in MODEL_FILE_SUFFIXES:
        return "model"
    if suffix == ".npz":
        return "recordings"
    if suffix != ".npy":
        return None
    try:
        with open(path, "rb") as f:
            shape = limits.read_npy_header(f, path).shape
    except (OSError, BadInput):
        return "recordings"  # keypoint data or not, it is no stream to replace with one
    return "stream" if len(shape) == 2 and shape[1] in (layout.FRAME_SIZE, layout.POSE_HANDS_SIZE) else "recordings"


def check_file_out(out: str | Path, kind: str = "report") -> None:
    """Refuse (:class:`~signlstm.errors.BadInput`) an output file path that a later write would fail on (a folder, a
    place where no file can be made: :func:`check_writable_folder` of its folder) or that holds what an output of
    ``kind`` (a key of :data:`FILE_KINDS`) must not replace: keypoint data or a model (:func:`held_kind`), unless it
    is of the same kind (a model exported again, a stream extracted again); recordings never."""
    from .errors import BadInput

    path = Path(out)
    if path.is_dir():
        raise BadInput(path, "is a folder: give a file name")
    held = held_kind(path)
    if held is not None and held != kind:
        raise BadInput(path, f"holds {FILE_KINDS[held]}, which {FILE_KINDS[kind]} would replace: nothing is "
                             "overwritten; choose another file name")
    check_writable_folder(path.parent)


def _nearest_existing(path: Path) -> Path:
    """``path`` or its nearest parent that exists (the root at most)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_writable_folder(path: str | Path) -> None:
    """Refuse (:class:`~signlstm.errors.BadInput`) a folder that later writes into it would fail in: an existing
    file, a folder this user cannot write, or a missing one whose nearest existing parent cannot hold it."""
    from .errors import BadInput

    path = Path(path)
    if path.exists() and not path.is_dir():
        raise BadInput(path, "exists and is not a folder")
    where = _nearest_existing(path)
    if not where.is_dir():
        raise BadInput(path, f"cannot be made: {where} is not a folder")
    if not os.access(where, os.W_OK | os.X_OK):
        raise BadInput(path, "is not writable" if where == path else f"cannot be made: {where} is not writable")


def free_bytes(folder: str | Path) -> int:
    """Free bytes on the disk that holds ``folder`` (or, when it does not exist yet, its nearest existing parent)."""
    import shutil

    return shutil.disk_usage(_nearest_existing(Path(folder).absolute())).free


def check_free_space(out: str | Path, need: int) -> None:
    """Refuse (:class:`~signlstm.errors.BadInput` naming ``out``) a write of about ``need`` bytes that the disk
    holding ``out``'s folder has no room for: for writers that fail badly on a full disk (HDF5 may crash)."""
    from .errors import BadInput
    from .limits import fmt_bytes

    free = free_bytes(Path(out).absolute().parent)
    if free < need:
        raise BadInput(out, f"cannot be written: it needs about {fmt_bytes(need)} and the disk holds "
                            f"{fmt_bytes(free)} free")


# reports and pictures: files no reader of keypoint data takes for data (an image folder given to live is kept whole)
REPORT_SUFFIXES = (".csv", ".json", ".txt", ".png", ".jpg", ".jpeg", ".pdf", ".svg")


LINK_TO_NOTHING = "a link to nothing (broken, or a loop)"  # what a path whose links lead nowhere is called


def resolved(path: str | Path) -> Path:
    """``path`` absolute, its links followed as far as they go; a loop of links is
    :class:`~signlstm.errors.BadInput` naming ``path`` (``Path.resolve`` raises RuntimeError on one)."""
    from .errors import BadInput

    try:
        return Path(path).resolve()
    except (RuntimeError, OSError):
        raise BadInput(path, LINK_TO_NOTHING) from None


def check_outputs_apart(outputs: dict[str, str | Path | None], inputs, models=()) -> None:
    """Refuse (:class:`SignlstmError`) outputs (option -> path; None: not asked) that name one of ``inputs`` (paths,
    e.g. the video being read), lie inside an input folder (read as part of it next time; a report of
    :data:`REPORT_SUFFIXES` may, but not inside one of ``models`` (or any input whose files are all its own), hold an
    input (a folder written in place of one that holds it), or name, hold or lie in each other; an output that is a
    link to nothing is :class:`~signlstm.errors.BadInput`."""
    from .errors import BadInput, SignlstmError

    def same(a, b) -> bool:
        a, b = Path(a), Path(b)
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return resolved(a) == resolved(b)

    def inside(a, b) -> bool:  # a strictly inside the folder b
        a, b = resolved(a), resolved(b)
        return a != b and a.is_relative_to(b)

    given = [(option, path) for option, path in outputs.items() if path]
    for i, (option, path) in enumerate(given):
        if Path(path).is_symlink() and not Path(path).exists():  # its output would be renamed over the link
            raise BadInput(path, f"{LINK_TO_NOTHING}: the output would replace the link, not make what it names; "
                                 "give a new name, or the path the link points to")
        for source in [*inputs, *models]:  # (one not there yet too: collect's --data is made as it records)
            if same(path, source):
                raise SignlstmError(f"{option} {path} is the input {source}: it would be written over")
            if inside(path, source) and (source in models or Path(path).suffix.lower() not in REPORT_SUFFIXES):
                raise SignlstmError(f"{option} {path} is inside the input {source}: it would be read as part of it "
                                    "next time; write it elsewhere")
            if inside(source, path):
                raise SignlstmError(f"{option} {path} holds the input {source}: write it elsewhere")
        for other, path2 in given[i + 1:]:
            if same(path, path2) or inside(path, path2) or inside(path2, path):
                raise SignlstmError(f"{option} {path} and {other} {path2} overlap: one would be written over the "
                                    "other")


def ignores_case(folder: str | Path) -> bool:
    """Whether the disk that holds (or will hold) ``folder`` takes names that differ only in case for one name, as
    macOS and Windows do by default: a temporary file named in lower case is looked for in upper case. False when it
    cannot be told (nothing can be written there: writing will say so)."""
    place = Path(folder).absolute()
    while not place.is_dir():
        place = place.parent
    try:
        fd, name = tempfile.mkstemp(prefix="signlstm-case-", suffix=".tmp", dir=place)
    except OSError:
        return False
    os.close(fd)
    try:
        return (place / Path(name).name.upper()).exists()
    finally:
        os.unlink(name)


def not_a_file(path: str | Path) -> str | None:
    """What ``path`` is when something is there that is not a regular file (a folder, a link to nothing, a pipe or a
    device, which reading would wait on for ever), else None."""
    path = Path(path)
    if not os.path.lexists(path) or path.is_file():
        return None
    if path.is_dir():
        return "a folder, not a file"
    if path.exists():
        return "not a regular file (a pipe, a device or a socket)"
    return LINK_TO_NOTHING
