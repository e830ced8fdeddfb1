"""BGR frames -> 1662-value keypoint vectors with MediaPipe Holistic; replay of saved keypoints.

:class:`Holistic` runs ``mp.solutions.holistic.Holistic(model_complexity=1)`` (the only complexity
whose model ships inside the mediapipe 0.10.21 wheel; 0 and 2 download at run time) and flattens
the result with :func:`signlstm.layout.extract_keypoints`. :func:`parts` says which parts were found.
:class:`KeypointReplay` yields frames of a saved ``(T, 1662)`` ``.npy`` or an ``MP_Data`` sequence
folder, so ``live`` and the demo run without a camera or MediaPipe.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from . import layout
from .errors import BadInput
from .sources import Source

MODEL_COMPLEXITY = 1
_QUIET_FRAMES = 30  # MediaPipe's C++ start-up warnings come during construction and the first frames


@contextmanager
def _quiet_stderr(on: bool = True):
    """Send file descriptor 2 to /dev/null (MediaPipe's C++ logs bypass Python); SIGNLSTM_MP_LOGS=1 keeps them."""
    if not on or os.environ.get("SIGNLSTM_MP_LOGS"):
        yield
        return
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)


class Holistic:
    """One MediaPipe Holistic graph: call it on BGR frames of one stream, in order."""

    def __init__(self, static_image_mode: bool = False, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5):
        import mediapipe as mp

        self.results = None  # the last raw MediaPipe result
        self.frames = 0
        with _quiet_stderr():
            self._graph = mp.solutions.holistic.Holistic(
                static_image_mode=static_image_mode, model_complexity=MODEL_COMPLEXITY,
                min_detection_confidence=min_detection_confidence, min_tracking_confidence=min_tracking_confidence)
            # The graph opens its calculators (and logs) in its own threads; one blank frame waits for that.
            self._graph.process(np.zeros((64, 64, 3), np.uint8))

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """(1662,) float64 keypoints of one BGR frame, in the tutorial's order."""
        import cv2

        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        with _quiet_stderr(self.frames < _QUIET_FRAMES):
            self.results = self._graph.process(rgb)
        self.frames += 1
        return layout.extract_keypoints(self.results)

    def close(self) -> None:
        if self._graph is not None:
            with _quiet_stderr():
                self._graph.close()
            self._graph = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def parts(keypoints: np.ndarray) -> dict[str, bool]:
    """Which parts one frame holds: ``{"pose": True, "face": True, "left_hand": False, ...}``."""
    return {name: bool(v) for name, v in layout.detected(np.asarray(keypoints)).items()}


def image_keypoints(frame: np.ndarray) -> np.ndarray:
    """Keypoints of a single still image (``static_image_mode=True``)."""
    with Holistic(static_image_mode=True) as h:
        return h(frame)


def video_keypoints(frames) -> np.ndarray:
    """(T, 1662) float64 keypoints of one stream of BGR frames, tracked with a fresh graph."""
    with Holistic() as h:
        rows = [h(f) for f in frames]
    return np.stack(rows) if rows else np.zeros((0, layout.FRAME_SIZE))


def is_keypoint_file(spec) -> bool:
    """True for a ``.npy`` keypoint file or an ``MP_Data`` sequence folder (``0.npy``, ``1.npy``, ...)."""
    p = Path(str(spec))
    return p.suffix.lower() == ".npy" or (p.is_dir() and (p / "0.npy").is_file())


def load_keypoints(path) -> np.ndarray:
    """(T, 1662) float32 from a ``.npy`` file or an ``MP_Data`` sequence folder, checked."""
    from .datasets import check_frames, read_frame

    p = Path(path)
    if not p.exists():
        raise BadInput(p, "no such keypoint file or sequence folder")
    if p.is_dir():
        files = sorted((int(f.stem), f) for f in p.glob("*.npy") if f.stem.isdigit())
        if not files or [n for n, _ in files] != list(range(len(files))):
            raise BadInput(p, "not a sequence folder (expected 0.npy, 1.npy, ... without gaps)")
        return np.stack([read_frame(f) for _, f in files])
    try:
        arr = np.load(p, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise BadInput(p, f"unreadable .npy ({e})") from None
    if arr.ndim == 1:
        arr = arr[None]
    if arr.ndim != 2:
        raise BadInput(p, f"keypoints have shape {arr.shape}, expected (frames, {layout.FRAME_SIZE})")
    return check_frames(p, arr)


class KeypointReplay(Source):
    """Saved keypoints as a stream: ``read()`` gives one (1662,) frame at a time, None at the end."""

    def __init__(self, path, fps: float = 30.0):
        self.name, self.fps = str(path), fps
        self.frames = load_keypoints(path)
        self._i = 0

    def read(self) -> np.ndarray | None:
        if self._i >= len(self.frames):
            return None
        self._i += 1
        return self.frames[self._i - 1]
