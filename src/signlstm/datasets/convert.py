"""A copy of keypoints that hold MediaPipe's raw numbers, stored as a 4:3 image's (``signlstm convert``).

MediaPipe divides x by the image's width and y by its height, so keypoints found in a 16:9 camera's image are narrower
in x than a 4:3 webcam's. ``extract``, ``collect`` and ``live`` store every frame as a 4:3 image's
(:func:`signlstm.layout.to_reference_aspect`); other data (an ``MP_Data/<action>/<seq>/<frame>.npy`` tree written by
the tutorial's own code, or a packed per-person ``.npz`` of raw keypoints) holds MediaPipe's raw numbers.
:func:`convert` writes a copy of one such tree or file with every frame passed through ``to_reference_aspect`` for the
camera's shape: given (:func:`parse_camera`: ``16:9``, ``1280x720``, ...) or told from the face mesh
(:func:`signlstm.keypoints.camera_shape.shape_from_ratios` of all the data's frames' face ratios).
:func:`convert_people` does it for a folder of packed files, one person each, each by its own camera (the 4:3 ones
copied as they are), so a folder where some people recorded at 16:9 comes out consistent.

Data of the tutorial's variant that leaves the face out (every frame pose + both hands, :data:`layout.POSE_HANDS_SIZE`
values: a tree whose first frame holds them, or a packed ``X`` of them) is copied into the 1662-value layout with the
face zeroed (:func:`layout.with_zero_face`), which the shipped and default models do not read, so every other command
takes the copy; a frame of another size among them, or with a pose MediaPipe never gives
(:func:`signlstm.keypoint_files.not_pose_hands`: another layout of 258 numbers), is refused. Such data has no face
mesh to tell the camera by: ``auto`` is refused, and a 4:3 camera's data is still copied (widened, not scaled).

A saved keypoint stream (an ``.npy`` of (T, 1662) or (T, 258) frames, as ``extract --keypoints`` writes and ``live
--source`` replays) gives a (T, 1662) float32 stream, as signlstm writes them (:func:`convert_stream`), read and
written a block of frames at a time.

The copy of a tree or packed file keeps the input's form exactly: a tree gives a tree of the same action, sequence and
frame file names, each frame in its own dtype and shape (the tutorial's float64); an ``.npz`` gives an ``.npz`` of the
same members in the same order and compression, ``X`` converted in its own dtype and every other member copied byte for
byte. Every file is read and checked by :mod:`signlstm.datasets`' readers (a defect is
:class:`~signlstm.errors.BadInput` naming it), a tree sequence by sequence and a packed ``X`` in chunks of at most
:data:`signlstm.datasets.CHUNK` sequences that fit the memory a command may fill (:func:`chunk_size`), so memory holds
one chunk whatever the data's size. The copy is built in a temporary folder or file beside the output and renamed into
place at the end: an error or Ctrl-C leaves neither. An output that exists and is not empty, that is the data itself or
inside it, a symbolic link or the current folder is refused before anything is read.
"""
from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..keypoints import camera_shape
from .. import datasets, layout
from ..errors import BadInput, SignlstmError
from ..files import folder_atomic, write_atomic
from ..outputs import resolved

CAMERA_CHOICES = "16:9, 4:3, 3:4, 9:16, WIDTHxHEIGHT (e.g. 1280x720) or auto"


@dataclass(frozen=True)
class Camera:
    """The shape of the image the keypoints were found in: ``name`` as given ("16:9", "1280x720")."""

    name: str
    width: int
    height: int

    @property
    def factor(self) -> float:
        """What x (and z) are scaled by: (width / height) / (4 / 3)."""
        return (self.width / self.height) / layout.ASPECT

    @property
    def shape(self) -> str:
        """The common shape (:data:`camera_shape.SHAPES`) nearest to this one."""
        aspect = self.width / self.height
        return min(camera_shape.SHAPES, key=lambda s: abs(np.log(aspect / camera_shape.SHAPES[s])))


MAX_ASPECT = 4  # widest picture --camera takes (32:9 monitors are 3.6), and its upright counterpart the narrowest


def parse_camera(text: str) -> Camera | None:
    """``--camera``: a shape ("16:9", any "W:H") or an image size ("1280x720") -> :class:`Camera`; "auto" -> None
    (tell it from the face mesh). Anything else is :class:`SignlstmError`."""
    t = str(text).strip().lower()
    if t == "auto":
        return None
    m = re.fullmatch(r"(\d{1,6})\s*([x:])\s*(\d{1,6})", t)
    if not m or int(m.group(1)) == 0 or int(m.group(3)) == 0:
        raise SignlstmError(f"--camera {text!r}: expected {CAMERA_CHOICES}")
    w, sep, h = int(m.group(1)), m.group(2), int(m.group(3))
    if not 1 / MAX_ASPECT <= w / h <= MAX_ASPECT:
        raise SignlstmError(f"--camera {text!r}: a picture {w / h:.3g} times as wide as it is high; cameras' are "
                            f"from 1:{MAX_ASPECT} (upright) to {MAX_ASPECT}:1")
    return Camera(f"{w}:{h}" if sep == ":" else f"{w}x{h}", w, h)


@dataclass
class Converted:
    """What :func:`convert` did: ``out`` None when nothing needed converting (a 4:3 camera)."""

    source: Path
    out: Path | None
    camera: Camera
    sequences: int = 0
    actions: int = 0
    frames: int | None = None  # a stream's (:func:`convert_stream`); None for sequences
    found: camera_shape.CameraShape | None = None  # what the face mesh says of the input (None: too little face)
    auto: bool = False
    copied: bool = False  # in a folder of people (:func:`convert_people`): copied as it was, holding a 4:3 image's
    widened: bool = False  # the input holds pose + both hands (258 values), copied with the face zeroed

    def summary(self) -> str:
        """One line for the user."""
        how = f"{self.camera.name} as its face mesh says, estimate {self.found.estimate:.2f}" if self.auto \
            else self.camera.name
        if self.copied:
            return f"copied {self.source} as it was to {self.out}: it holds a 4:3 image's keypoints ({how})"
        if self.out is None:
            return (f"nothing to convert: {self.source} holds a 4:3 image's keypoints ({how}), as signlstm stores "
                    "them; nothing written")
        scaled = "x and z as they were" if self.camera.factor == 1.0 else \
            f"x and z scaled by {self.camera.factor:.3f}"
        widened = (f"; pose + both hands ({layout.POSE_HANDS_SIZE} values) widened to {layout.FRAME_SIZE}, the face "
                   "zeroed") if self.widened else ""
        what = f"{self.sequences} sequence(s) of {self.actions} action(s)" if self.frames is None else \
            f"a stream of {self.frames:,} frame(s)"
        return f"converted {what} from {self.source} ({how}: {scaled}{widened}) to {self.out}"

    @property
    def warning(self) -> str | None:
        """A line when the face mesh says the input was found in another shape than the one given, else None."""
        if self.auto or self.found is None or self.found.name == self.camera.shape:
            return None
        return (f"warning: {self.source}: its face mesh looks {self.found.name} (estimate {self.found.estimate:.2f}), "
                f"not {self.camera.name}{'' if self.camera.name == self.camera.shape else f' ({self.camera.shape})'}: "
                "check --camera (data converted already would be scaled twice)")


def _camera(camera: Camera | str | None, length: int | None) -> Camera | None:
    """``camera`` as a :class:`Camera` (its text parsed as ``--camera`` is), once ``length`` (None: not given) is
    checked (:func:`~signlstm.layout.seq_len_problem`)."""
    if length is not None and (problem := layout.seq_len_problem(length)):
        raise SignlstmError(f"--length {problem}")
    return parse_camera(camera) if isinstance(camera, str) else camera


def convert(data: str | Path, camera: Camera | str | None, out: str | Path, length: int | None = None) -> Converted:
    """Write ``out``, a copy of the tree, ``.npz`` or ``.npy`` stream ``data`` as a 4:3 image's keypoints (see the
    module docstring). ``camera``: a :class:`Camera`, or its text as ``--camera`` takes it (:func:`parse_camera`:
    "16:9", "1280x720", "auto"); None: told from the face mesh of all the data's frames (:class:`BadInput` when too
    few have a face). Nothing is written when the camera is 4:3 (and the data 1662 values a frame). ``length``: frames
    per sequence of a tree (default: its commonest count, at least 30), or the length a packed file must hold."""
    camera = _camera(camera, length)
    if Path(data).suffix.lower() == ".npy" and not Path(data).is_dir():
        if length:
            raise SignlstmError(f"--length {length}: {data} is a saved stream, which is not cut into sequences; leave "
                                "--length out")
        return convert_stream(data, camera, out)
    src = _open(Path(data), length)
    out = Path(out)
    _check_out(src.path, out)
    return _convert_source(src, camera, out)


def convert_people(data: str | Path, camera: Camera | str | None, out: str | Path,
                   length: int | None = None) -> list[Converted]:
    """Write the folder ``out`` with every packed ``.npz`` of the folder ``data`` (one person each), under the same
    names: each converted as :func:`convert` does (``camera`` None: each told from its own face mesh, so a folder
    where only some people recorded at 16:9 is made consistent), or copied byte for byte when it holds a 4:3 image's
    keypoints; the folder's other files (:func:`companions`: its ``cells.json``, notes) are copied as they are. Built
    in a temporary folder beside ``out`` and renamed into place: all the files or none."""
    data, out = Path(data), Path(out)
    camera = _camera(camera, length)
    if not datasets.is_packed_folder(data):
        raise BadInput(data, "not a folder of packed .npz files (convert takes it as one MP_Data folder)")
    sources = datasets.open_sources([data], length=length, pose_hands=True)  # every header checked before writing
    for src in sources:
        _check_camera(src.path, src.width, camera)
    _check_out(data, out)
    results = []
    with folder_atomic(out) as tmp:
        for src in sources:
            name = Path(src.path).name
            result = _convert_source(src, camera, tmp / name)
            if result.out is None:
                shutil.copyfile(src.path, tmp / name)
            result.out, result.copied = out / name, result.out is None
            results.append(result)
        for path in companions(data):
            shutil.copyfile(path, tmp / path.name)
    return results


def companions(folder: str | Path) -> list[Path]:
    """The files beside the packed ``.npz`` files of a folder of people that hold no keypoints (``cells.json``, a
    README), which a copy of the folder keeps: regular files, not hidden, that are not keypoint data (``.npz``,
    ``.npy``: a stream beside them is converted on its own, ``convert --data stream.npy``), in name order."""
    return sorted(p for p in Path(folder).iterdir()
                  if p.is_file() and p.suffix.lower() not in (".npz", ".npy") and not p.name.startswith("."))


def convert_stream(data: str | Path, camera: Camera | None, out: str | Path) -> Converted:
    """Write ``out``, a (T, 1662) float32 ``.npy`` stream: the saved stream ``data`` ((T, 1662) or (T, 258) frames of
    pose + both hands, widened with the face zeroed) as a 4:3 image's keypoints, read, checked (a bad frame is
    :class:`BadInput` naming it) and written a block of frames at a time, renamed into place at the end. ``camera``
    None: told from the face mesh of all its frames (a first pass). Nothing is written for 1662-value frames of a 4:3
    camera."""
    from ..keypoint_files import StreamWriter, check_frames, keypoint_blocks, map_keypoint_file, read_keypoint_header

    data, out = Path(data), Path(out)
    shape = read_keypoint_header(data).shape
    width = layout.POSE_HANDS_SIZE if shape and shape[-1] == layout.POSE_HANDS_SIZE else None
    map_keypoint_file(data, width)  # its shape, type and length checked before anything else
    if len(shape) == 1:
        raise BadInput(data, f"holds one frame {shape}, not a stream of frames: a tutorial frame file is converted "
                             "with its MP_Data folder (--data MP_Data)")

    def frames():
        """The stream's frames in blocks read from disk one at a time, widened and checked: (n, 1662) float32."""
        done = 0
        for raw in keypoint_blocks(data, width=width):
            wide = layout.with_zero_face(raw) if width else raw
            yield check_frames(data, wide, widened=bool(width), first=done)
            done += len(raw)

    _check_camera(data, width or layout.FRAME_SIZE, camera)
    _check_out(data, out)
    found = None
    if camera is None:
        found = _camera_from_face(data, (camera_shape.face_ratios(b) for b in frames()))
        camera = Camera(found.name, *map(int, found.name.split(":")))
    result = Converted(data, out, camera, found=found, auto=found is not None, widened=bool(width), frames=0)
    if camera.factor == 1.0 and not width:  # nothing to write: what the face mesh says is still checked (warning)
        result.out = None
        result.found = found or _face_shape(camera_shape.face_ratios(b) for b in frames())
        return result
    ratios = []
    with StreamWriter(out) as writer:
        for block in frames():
            writer.write(_scaled(block, camera))
            ratios.append(camera_shape.face_ratios(block))
        writer.commit()
        result.frames = writer.frames
    if found is None:
        result.found = _face_shape(ratios)
    return result


def _face_shape(ratios) -> camera_shape.CameraShape | None:
    """The camera's shape the face mesh says from the frames' :func:`~signlstm.keypoints.camera_shape.face_ratios`
    (``ratios``, in parts), None when too few frames have a face."""
    ratios = list(ratios)
    return camera_shape.shape_from_ratios(np.concatenate(ratios) if ratios else np.zeros(0))


def _camera_from_face(path: Path, ratios) -> camera_shape.CameraShape:
    """The camera's shape the face mesh of the data ``path`` says (``ratios``: its frames' :func:`face_ratios`, in
    parts), or :class:`BadInput` asking for ``--camera`` when too few frames have a face."""
    found = camera_shape.shape_from_ratios(np.concatenate(list(ratios) or [np.zeros(0)]))
    if found is None:
        raise BadInput(path, f"cannot tell the camera's shape: fewer than {camera_shape.MIN_FACE_FRAMES} "
                             f"frames have a face; give --camera ({CAMERA_CHOICES.removesuffix(' or auto')})")
    return found


def _convert_source(src: datasets.Source, camera: Camera | None, out: Path) -> Converted:
    """:func:`convert` once the data is open and ``out`` checked."""
    _check_camera(src.path, src.width, camera)
    found = None
    if camera is None:
        found = _camera_from_face(src.path, (camera_shape.face_ratios(c.frames) for c in src.chunks(chunk_size(src))))
        camera = Camera(found.name, *map(int, found.name.split(":")))
    widened = src.width == layout.POSE_HANDS_SIZE
    result = Converted(src.path, out, camera, found=found, auto=found is not None, widened=widened)
    if camera.factor == 1.0 and not widened:  # nothing to write: what the face mesh says is still checked (warning)
        result.out = None
        result.found = found or _face_shape(camera_shape.face_ratios(c.frames) for c in src.chunks(chunk_size(src)))
        return result
    convert_one = _convert_tree if src.path.is_dir() else _convert_npz
    ratios, labels = convert_one(src, out, camera)
    result.sequences, result.actions = len(labels), len(set(labels))
    if found is None:
        result.found = _face_shape(ratios)
    return result


def _open(path: Path, length: int | None) -> datasets.Source:
    """``path`` opened by :func:`datasets.open_sources` (headers checked, nothing large read): one tree or one
    ``.npz``."""
    sources = datasets.open_sources([path], length=length, pose_hands=True)
    if len(sources) != 1 or Path(sources[0].path) != path:
        raise BadInput(path, f"a folder of {len(sources)} packed .npz file(s): see convert_people")
    return sources[0]


def _check_camera(path, width: int, camera: Camera | None) -> None:
    """Refuse ``auto`` (``camera`` None) for the data ``path`` of ``width`` values a frame when they are pose + both
    hands, which have no face mesh to tell the shape by."""
    if camera is None and width == layout.POSE_HANDS_SIZE:
        raise BadInput(path, f"holds pose + both hands without the face ({layout.POSE_HANDS_SIZE} values a frame): "
                             "--camera auto tells the shape from the face mesh, which it lacks; give --camera "
                             f"({CAMERA_CHOICES.removesuffix(' or auto')})")


def _check_out(data: Path, out: Path) -> None:
    """Refuse an ``out`` that is the data or inside it, or that exists and is not empty, before anything is read."""
    s, o = resolved(data), resolved(out)
    if o == s or s in o.parents:
        raise BadInput(out, f"{'is' if o == s else 'is inside'} the data being converted ({data}): the copy goes "
                            "elsewhere; choose a new output")
    if out.is_symlink():
        raise BadInput(out, "is a symbolic link: the copy is renamed into place, which would replace the link; "
                            "give the folder or file it points to, or a new name")
    here = Path.cwd().resolve()
    if o == here or o in here.parents:
        raise BadInput(out, "is the current folder or holds it: the copy is renamed into place; give a new name")
    if Path(data).is_dir():
        if out.is_dir():
            if any(out.iterdir()):
                raise BadInput(out, "exists and is not empty: nothing is overwritten; choose a new or empty folder")
        elif out.exists() or out.is_symlink():
            raise BadInput(out, "exists and is not a folder: the copy of a folder is a folder; choose a new one")
        return
    kind = ".npy" if Path(data).suffix.lower() == ".npy" else ".npz"
    what = "saved stream" if kind == ".npy" else "packed file"
    if out.suffix.lower() != kind:
        raise BadInput(out, f"the copy of a {what} ({kind}) is a {kind}: give a file name ending in {kind}")
    if out.is_dir():
        raise BadInput(out, f"is a folder; give a {kind} file name")
    if out.is_symlink() or (out.exists() and out.stat().st_size > 0):
        raise BadInput(out, "exists: nothing is overwritten; choose a new file name")


def chunk_size(src: datasets.Source, itemsize: int = 4) -> int:
    """Sequences of ``src`` converted at once: at most :data:`datasets.CHUNK`, and as many as fit the memory a command
    may fill (:func:`signlstm.limits.memory_budget`) with the copies a chunk is held in (read twice, checked,
    scaled, written: about 8 + 4 x ``itemsize`` bytes a value, and 2 x ``itemsize`` more for data of pose + both hands,
    widened as it is read and as it is written). A sequence too long to fit alone is :class:`BadInput`."""
    from ..limits import budget_source, fmt_bytes, memory_budget

    copies = 4 if src.width == layout.FRAME_SIZE else 6
    per_sequence = src.seq_len * layout.FRAME_SIZE * (8 + copies * itemsize)
    budget = memory_budget()
    if per_sequence > budget:
        raise BadInput(src.path, f"one sequence of {src.seq_len:,} frames takes {fmt_bytes(per_sequence)} to convert, "
                                 f"more than the {fmt_bytes(budget)} this command may fill ({budget_source()})")
    return max(1, min(datasets.CHUNK, budget // per_sequence))


def _scaled(frames: np.ndarray, camera: Camera) -> np.ndarray:
    """``frames`` as a 4:3 image's keypoints in the 1662-value layout, in their own dtype: frames of pose + both hands
    widened first, the face zeroed (:func:`layout.with_zero_face`)."""
    if frames.shape[-1] == layout.POSE_HANDS_SIZE:
        frames = layout.with_zero_face(frames)
    return layout.to_reference_aspect(frames, camera.width, camera.height).astype(frames.dtype, copy=False)


def _convert_tree(src: datasets.Source, out: Path, camera: Camera) -> tuple[list, list]:
    """Convert the tree ``src`` into ``out`` sequence by sequence (each checked by the dataset reader, then its frame
    files read as they are): a temporary folder beside ``out``, renamed to it at the end."""
    ratios, labels = [], []
    with folder_atomic(out) as tmp:
        for chunk in src.chunks(1):
            seq = Path(chunk.sources[0])
            target = tmp / seq.parent.name / seq.name
            target.mkdir(parents=True)
            for n in range(src.seq_len):
                raw = np.load(seq / f"{n}.npy", allow_pickle=False)  # checked just now by the reader
                np.save(target / f"{n}.npy", _scaled(raw, camera))
            ratios.append(camera_shape.face_ratios(chunk.frames))
            labels.append(str(chunk.labels[0]))
    return ratios, labels


def _convert_npz(src: datasets.Source, out: Path, camera: Camera) -> tuple[list, list]:
    """Convert the packed file ``src`` into ``out``: its members in order, ``X`` chunk by chunk (each chunk checked by
    the dataset reader, the same bytes read again in the file's dtype), the others copied; written atomically."""
    from .. import limits

    path = Path(src.path)
    header = limits.npz_members(path)["X"].header
    ratios, labels = [], []

    def write(tmp):
        ratios.clear()
        labels.clear()
        with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", allowZip64=True) as zout:
            for info in zin.infolist():
                member = zipfile.ZipInfo(info.filename, info.date_time)
                member.compress_type, member.external_attr = info.compress_type, info.external_attr
                with zout.open(member, "w", force_zip64=True) as f:
                    if info.filename != "X.npy":
                        with zin.open(info) as g:
                            shutil.copyfileobj(g, f, 1 << 20)
                        continue
                    np.lib.format.write_array_header_1_0(f, {"descr": np.lib.format.dtype_to_descr(header.dtype),
                                                             "fortran_order": False,
                                                             "shape": (*header.shape[:2], layout.FRAME_SIZE)})
                    size = chunk_size(src, header.dtype.itemsize)
                    for checked, (_, raw) in zip(src.chunks(size), datasets.packed_x(path, header, size)):
                        f.write(memoryview(np.ascontiguousarray(_scaled(raw, camera))).cast("B"))
                        ratios.append(camera_shape.face_ratios(checked.frames))
                        labels.extend(checked.labels.tolist())

    write_atomic(out, write)
    return ratios, labels
