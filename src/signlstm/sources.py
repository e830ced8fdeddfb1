"""What ``--source`` names: a webcam index, a video file, a folder of images, or saved keypoints.

:func:`open_stream` takes what a user types after ``--source`` ("0", ``clip.mp4``, ``frames/``, ``keys.npy``,
``MP_Data/hello/0``) and returns a :class:`Source`: an iterator of BGR ``uint8`` frames (:func:`open_source`) or,
for saved keypoints, of (1662,) keypoint frames (:class:`KeypointReplay`, ``keypoints`` True), with a name, an fps
and ``live`` (True for a camera, whose frames may be dropped when the consumer is slow). This module is the only
place that opens a camera or a video. A source that cannot be opened raises
:class:`~signlstm.errors.SignlstmError` naming it.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import BadInput, SignlstmError

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


class Source:
    """Iterator of BGR frames; ``close()`` (or ``with``) releases the device or file."""

    name: str = "source"
    fps: float = 30.0
    live: bool = False
    keypoints: bool = False  # True when the items are (1662,) keypoint frames, not images
    declared_frames: int = 0  # frames a video's header says it holds (0: not known)

    def read(self) -> np.ndarray | None:
        """The next frame, or None at the end."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __iter__(self):
        while (frame := self.read()) is not None:
            yield frame

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class CaptureSource(Source):
    """A camera or video file through ``cv2.VideoCapture``; the first frame is read on opening."""

    def __init__(self, target, name: str, live: bool):
        import cv2

        self.name, self.live = name, live
        if live:  # OpenCV logs its own warnings about a missing camera; ours is the one line the user needs
            cv2.setLogLevel(0)
        self.cap = cv2.VideoCapture(target)
        ok, frame = self.cap.read() if self.cap.isOpened() else (False, None)
        if not ok or frame is None:
            self.cap.release()
            what = "cannot open the camera (none connected, or in use)" if live else "unreadable video (no frame could be decoded)"
            raise (SignlstmError(f"camera {name}: {what}") if live else BadInput(name, what))
        fps = self.cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and 1 <= fps <= 240 else 30.0
        count = 0 if live else self.cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self.declared_frames = int(count) if count and 0 < count < 2**53 else 0
        self._first = frame

    def read(self):
        if self._first is not None:
            frame, self._first = self._first, None
            return frame
        if self.cap is None:
            return None
        ok, frame = self.cap.read()
        return frame if ok else None

    def close(self):
        if self.cap is not None:
            self.cap.release()
            self.cap = None


class ImageSource(Source):
    """Image files in name order (a folder, or a single image)."""

    def __init__(self, paths: list[Path], name: str):
        self.paths, self.name, self._i = paths, name, 0

    def read(self):
        import cv2

        if self._i >= len(self.paths):
            return None
        path = self.paths[self._i]
        self._i += 1
        frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if frame is None:
            raise BadInput(path, "unreadable image")
        return frame


def is_camera(spec) -> bool:
    return isinstance(spec, int) or (isinstance(spec, str) and spec.isdigit())


def open_source(spec) -> Source:
    """Open ``spec``: a camera index (int or digits), a video file, an image file or a folder of images."""
    if is_camera(spec):
        return CaptureSource(int(spec), str(spec), live=True)
    path = Path(spec)
    if not path.exists():
        raise BadInput(path, "no such file or folder")
    if path.is_dir():
        images = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not images:
            raise BadInput(path, _not_images(path) or f"folder holds no images ({', '.join(IMAGE_SUFFIXES)})")
        return ImageSource(images, str(path))
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource([path], str(path))
    return CaptureSource(str(path), str(path), live=False)


def _sequence_folders(folder: Path) -> list[Path]:
    """The numbered subfolders of ``folder`` that hold ``.npy`` frame files (an ``MP_Data`` action's sequences)."""
    return sorted((d for d in folder.iterdir() if d.is_dir() and d.name.isdigit() and any(d.glob("*.npy"))),
                  key=lambda d: int(d.name))


def _not_images(folder: Path) -> str | None:
    """What a folder without images given as ``--source`` is when it is part of an ``MP_Data`` tree (the whole tree,
    or one action's folder), and how to replay one of its sequences; None otherwise."""
    seqs = _sequence_folders(folder)
    if seqs:
        return (f"looks like an action folder of an MP_Data tree ({len(seqs)} sequence folders), not a stream: "
                f"replay one sequence with --source {seqs[0]}")
    actions = sorted(d for d in folder.iterdir() if d.is_dir() and not d.name.startswith("."))
    for action in actions:
        seqs = _sequence_folders(action)
        if seqs:
            return (f"looks like an MP_Data tree (<action>/<sequence>/<frame>.npy), not a stream: replay one "
                    f"sequence with --source {seqs[0]} (or score the tree with `signlstm evaluate --data {folder}`)")
    return None


def read_image(path) -> np.ndarray:
    """One BGR image, or :class:`BadInput`."""
    with open_source(path) as src:
        if not isinstance(src, ImageSource) or len(src.paths) != 1:
            raise BadInput(path, "not an image file")
        return src.read()


def is_keypoint_file(spec) -> bool:
    """True for a ``.npy`` keypoint file or an ``MP_Data`` sequence folder (``0.npy``, ``1.npy``, ...; any
    number-named ``.npy`` files, so a folder of misnamed ones is named by :func:`load_keypoints`)."""
    p = Path(str(spec))
    return p.suffix.lower() == ".npy" or (p.is_dir() and any(f.stem.isdigit() for f in p.glob("*.npy")))


def load_keypoints(path) -> np.ndarray:
    """(T, 1662) float32 from a ``.npy`` file or an ``MP_Data`` sequence folder, checked."""
    from .keypoint_files import frame_files, read_frame, read_keypoint_file

    p = Path(path)
    if not p.exists():
        raise BadInput(p, "no such keypoint file or sequence folder")
    if p.is_dir():
        files = frame_files(p)
        if not files or [n for n, _ in files] != list(range(len(files))):
            raise BadInput(p, "not a sequence folder (expected 0.npy, 1.npy, ... without gaps)")
        return np.stack([read_frame(f) for _, f in files])
    return read_keypoint_file(p)


class KeypointReplay(Source):
    """Saved keypoints as a stream: ``read()`` gives one (1662,) float32 frame at a time, None at the end. A
    ``.npy`` file is read from disk frame by frame (memory does not grow with its length; a frame holding NaN is
    :class:`BadInput` when it is reached); an ``MP_Data`` sequence folder is read whole, every frame checked then."""

    keypoints = True

    def __init__(self, path, fps: float = 30.0):
        from .keypoint_files import check_frame, map_keypoint_file

        self.name, self.fps, self.path = str(path), fps, Path(path)
        if self.path.is_file():
            self.frames, self._check = map_keypoint_file(path), check_frame  # each frame checked as it is reached
        else:
            self.frames, self._check = load_keypoints(path), None  # every frame checked as it was read
        self._i = 0

    def read(self) -> np.ndarray | None:
        if self._i >= len(self.frames):
            return None
        self._i += 1
        frame = self.frames[self._i - 1]
        return frame if self._check is None else self._check(self.path, self._i - 1, frame)


def open_stream(spec) -> Source:
    """The one way to open ``--source``: saved keypoints (a ``(frames, 1662)`` ``.npy`` or an ``MP_Data`` sequence
    folder) replay as keypoint frames; anything else opens as images (:func:`open_source`)."""
    if not is_camera(spec) and is_keypoint_file(spec):
        return KeypointReplay(spec)
    if str(spec).endswith(".npz"):
        raise BadInput(spec, "a packed dataset, not a stream: pass a (frames, 1662) .npy or an MP_Data sequence folder")
    return open_source(spec)


def short_input_note(name, frames: int, window: int) -> str | None:
    """The note for an input of ``frames`` frames shorter than a model's ``window``: no window was ever full, so
    nothing could be said (not an error); None when the input filled a window."""
    if frames >= window:
        return None
    return (f"note: {name}: the input is shorter than the model's window ({frames} of {window} frames), so "
            "nothing could be said")


def read_frames(spec) -> list[np.ndarray]:
    """Every frame of a video, an image folder or saved keypoints, in order (for short clips: tests, the bench)."""
    with open_stream(spec) as src:
        return list(src)
