"""BGR frames -> 1662-value keypoint vectors with MediaPipe Holistic; replay of saved keypoints.

:class:`Holistic` runs ``mp.solutions.holistic.Holistic(model_complexity=1)`` (the only complexity
whose model ships inside the mediapipe 0.10.21 wheel; 0 and 2 download at run time) and flattens
the result with :func:`signlstm.layout.extract_keypoints`. With ``face=False`` it runs Holistic's own
graph without its face-mesh node: the pose and hands are the same numbers, the face block is zeros,
and a frame costs about 10 % less (``signlstm bench``). Models that read no face use it in ``live``.
:func:`parts` says which parts were found.
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


def _pose_and_hands_graph(static_image_mode: bool, min_detection_confidence: float, min_tracking_confidence: float):
    """Holistic's graph (``holistic_landmark_cpu.binarypb``) without the face-mesh node, as a MediaPipe solution."""
    from mediapipe.framework import calculator_pb2
    from mediapipe.python import solution_base
    from mediapipe.python.solutions import holistic

    config = calculator_pb2.CalculatorGraphConfig()
    config.ParseFromString((Path(solution_base.__file__).parents[2] / holistic._BINARYPB_FILE_PATH).read_bytes())
    keep = [n for n in config.node if n.calculator in ("PoseLandmarkCpu", "HandLandmarksLeftAndRightCpu")]
    if len(keep) != 2:
        raise RuntimeError("unexpected Holistic graph in this mediapipe build: no pose and hands nodes")
    del config.node[:]
    config.node.extend(keep)
    outputs = ["pose_landmarks", "left_hand_landmarks", "right_hand_landmarks"]
    streams = [s for s in config.output_stream if s.split(":")[-1] in outputs]
    del config.output_stream[:]
    config.output_stream.extend(streams)
    sides = [s for s in config.input_side_packet if "REFINE_FACE" not in s]
    del config.input_side_packet[:]
    config.input_side_packet.extend(sides)
    tracking = not static_image_mode
    return solution_base.SolutionBase(
        graph_config=config,
        side_inputs={"model_complexity": MODEL_COMPLEXITY, "smooth_landmarks": tracking, "enable_segmentation": False,
                     "smooth_segmentation": tracking, "use_prev_landmarks": tracking},
        calculator_params={  # the same parameters mp.solutions.holistic.Holistic sets
            "poselandmarkcpu__posedetectioncpu__TensorsToDetectionsCalculator.min_score_thresh":
                min_detection_confidence,
            "poselandmarkcpu__poselandmarkbyroicpu__tensorstoposelandmarksandsegmentation__ThresholdingCalculator"
            ".threshold": min_tracking_confidence},
        outputs=outputs)


class _PoseAndHands:
    def __init__(self, graph):
        self._graph = graph

    def process(self, rgb):
        return self._graph.process(input_data={"image": rgb})

    def close(self):
        self._graph.close()


class Holistic:
    """One MediaPipe Holistic graph: call it on BGR frames of one stream, in order.

    ``face=False`` skips the face mesh (the face block of every frame is zeros; pose and hands are unchanged).
    """

    def __init__(self, static_image_mode: bool = False, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5, face: bool = True):
        import mediapipe as mp

        self.results = None  # the last raw MediaPipe result
        self.frames = 0
        with _quiet_stderr():
            if face:
                self._graph = mp.solutions.holistic.Holistic(
                    static_image_mode=static_image_mode, model_complexity=MODEL_COMPLEXITY,
                    min_detection_confidence=min_detection_confidence, min_tracking_confidence=min_tracking_confidence)
            else:
                self._graph = _PoseAndHands(_pose_and_hands_graph(static_image_mode, min_detection_confidence,
                                                                  min_tracking_confidence))
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
