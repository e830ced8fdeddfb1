"""Frames from a webcam index, a video file or a folder of images.

:func:`open_source` takes what a user types after ``--source`` ("0", ``clip.mp4``, ``frames/``)
and returns a :class:`Source`: an iterator of BGR ``uint8`` frames with a name, an fps and
``live`` (True for a camera, whose frames may be dropped when the consumer is slow).
A source that cannot be opened raises :class:`~signlstm.errors.SignlstmError` naming it.
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
            raise BadInput(path, f"folder holds no images ({', '.join(IMAGE_SUFFIXES)})")
        return ImageSource(images, str(path))
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource([path], str(path))
    return CaptureSource(str(path), str(path), live=False)


def read_image(path) -> np.ndarray:
    """One BGR image, or :class:`BadInput`."""
    with open_source(path) as src:
        if not isinstance(src, ImageSource) or len(src.paths) != 1:
            raise BadInput(path, "not an image file")
        return src.read()
