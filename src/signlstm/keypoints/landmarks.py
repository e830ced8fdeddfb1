"""BGR frames -> 1662-value keypoint vectors with MediaPipe Holistic.

:class:`Holistic` runs the graph of ``mp.solutions.holistic.Holistic(model_complexity=1)`` (the only complexity
whose model ships inside the mediapipe 0.10.21 wheel; 0 and 2 download at run time) as two MediaPipe graphs cut
from it: the **pose** stage (Holistic's pose landmark node) and the **parts** stage (its hand nodes and, unless
``face=False``, its face-mesh node, fed the image and that pose). Called on a frame it runs both, one after the
other, and flattens the result with :func:`signlstm.layout.extract_keypoints`: the same 1662 numbers as
Holistic itself (tested value for value), then stored as a 4:3 image's (:func:`signlstm.layout.to_reference_aspect`:
unchanged for a 640x480 camera; x and z rescaled about the centre for a 16:9 or a portrait image).
:attr:`Holistic.stages` hands the two stages to ``live``, which runs them in two threads, so the pose of the next frame is found while the hands of this one are (``signlstm bench``
prints both rates). ``face=False`` leaves the face mesh out: the face block is zeros and a frame costs about 10 %
less; models that read no face use it in ``live``.
:func:`parts` says which parts were found.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np

from .. import layout
from ..frames.sources import quiet_stderr as _quiet_stderr

MODEL_COMPLEXITY = 1
# MediaPipe's C++ warnings come during construction and the first frames with a person in view (whenever one first
# appears: a camera on an empty room, a video that starts black), so each stage is quiet until this many have had one
_QUIET_FRAMES = 30


def _holistic_subgraph(nodes: tuple[str, ...], inputs: list[str], outputs: list[str], side: dict,
                       calculator_params: dict | None = None, extra: tuple = ()):
    """A MediaPipe solution running only ``nodes`` (calculator names) of Holistic's own graph
    (``holistic_landmark_cpu.binarypb`` in the wheel), with these input and output streams (``TAG:name``), and the
    ``extra`` nodes given as (calculator, input streams, output streams)."""
    from mediapipe.framework import calculator_pb2
    from mediapipe.python import solution_base
    from mediapipe.python.solutions import holistic

    config = calculator_pb2.CalculatorGraphConfig()
    config.ParseFromString((Path(solution_base.__file__).parents[2] / holistic._BINARYPB_FILE_PATH).read_bytes())
    keep = [n for n in config.node if n.calculator in nodes]
    if sorted(n.calculator for n in keep) != sorted(nodes):
        raise RuntimeError(f"unexpected Holistic graph in this mediapipe build: no {nodes} nodes")
    del config.node[:]
    config.node.extend(keep)
    for calculator, node_inputs, node_outputs in extra:
        node = config.node.add(calculator=calculator)
        node.input_stream.extend(node_inputs)
        node.output_stream.extend(node_outputs)
    for field, values in ((config.input_stream, inputs), (config.output_stream, outputs),
                          (config.input_side_packet, [f"{k.upper()}:{k}" for k in side])):
        del field[:]
        field.extend(values)
    return solution_base.SolutionBase(graph_config=config, side_inputs=side, calculator_params=calculator_params,
                                      outputs=[s.split(":")[-1] for s in outputs])


def _pose_graph(static_image_mode: bool, min_detection_confidence: float, min_tracking_confidence: float):
    tracking = not static_image_mode
    return _holistic_subgraph(
        ("PoseLandmarkCpu",), ["IMAGE:image"], ["POSE_LANDMARKS:pose_landmarks"],
        side={"model_complexity": MODEL_COMPLEXITY, "smooth_landmarks": tracking, "enable_segmentation": False,
              "smooth_segmentation": tracking, "use_prev_landmarks": tracking},
        calculator_params={  # the same parameters mp.solutions.holistic.Holistic sets
            "poselandmarkcpu__posedetectioncpu__TensorsToDetectionsCalculator.min_score_thresh":
                min_detection_confidence,
            "poselandmarkcpu__poselandmarkbyroicpu__tensorstoposelandmarksandsegmentation__ThresholdingCalculator"
            ".threshold": min_tracking_confidence})


def _parts_graph(face: bool):
    nodes = ("HandLandmarksLeftAndRightCpu",)
    outputs = ["LEFT_HAND_LANDMARKS:left_hand_landmarks", "RIGHT_HAND_LANDMARKS:right_hand_landmarks"]
    side = {}
    if face:  # Holistic's face mesh: the first 11 pose points give its region
        nodes += ("SplitNormalizedLandmarkListCalculator", "FaceLandmarksFromPoseCpu")
        outputs.append("FACE_LANDMARKS:face_landmarks")
        side["refine_face_landmarks"] = False
    # Holistic's pose node leaves no packet for a frame without a person but moves its stream on, and its hand and
    # face nodes then go on to the next frame. A graph's own input stream moves on only with a packet, so a frame
    # without a pose gets one anyway (an empty list) and a gate drops it, moving the stream on as Holistic's does:
    # fed the image alone, the graph kept every such image queued until the next pose (memory grew with each frame
    # without a person, and MediaPipe logged "Resolved a deadlock by increasing max_queue_size").
    gate = ("GateCalculator", ["pose_in", "ALLOW:pose_found"], ["pose_landmarks"])
    return _holistic_subgraph(nodes, ["IMAGE:image", "POSE_IN:pose_in", "POSE_FOUND:pose_found"], outputs, side,
                              extra=(gate,))


class Holistic:
    """MediaPipe Holistic on the BGR frames of one stream, in order: ``h(frame)`` gives (1662,) keypoints.

    ``face=False`` skips the face mesh (the face block of every frame is zeros; pose and hands are unchanged).
    :attr:`stages` is the same work as two steps, :meth:`pose_step` then :meth:`parts_step`, each called on the
    frames in order; they may run in two threads (one thread per step).

    A frame of another width or height than the one before it (a folder of images of several shapes) starts each
    step's tracking afresh, as the stream's first frame: MediaPipe tracks and smooths the landmarks in coordinates
    divided by the image's sides, which place them elsewhere in an image of another shape.
    """

    def __init__(self, static_image_mode: bool = False, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5, face: bool = True):
        from mediapipe.framework.formats.landmark_pb2 import NormalizedLandmarkList

        self.people = [0, 0]  # frames through each stage in which a person (a pose) was found
        self._graphs = []
        self._no_pose = NormalizedLandmarkList()  # what a frame without a person feeds the parts graph's gate
        self._shapes = [None, None]  # (height, width) of the last frame through each stage
        self._loud_from = [_QUIET_FRAMES, _QUIET_FRAMES]  # each stage is quiet until this many frames had a person
        with _quiet_stderr():
            try:
                self._graphs.append(_pose_graph(static_image_mode, min_detection_confidence,
                                                min_tracking_confidence))
                self._graphs.append(_parts_graph(face))
                # The graphs open their calculators (and log) in their own threads; one blank frame waits for that.
                self.parts_step(self.pose_step(np.zeros((64, 64, 3), np.uint8)))
                self._shapes = [None, None]  # (that frame is no stream's)
            except BaseException:
                self.close()
                raise

    @property
    def stages(self):
        return (self.pose_step, self.parts_step)

    def pose_step(self, frame: np.ndarray):
        """Step 1 of a frame: (RGB image, its pose landmarks or None)."""
        import cv2

        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        self._fresh_if_reshaped(0, rgb)
        with _quiet_stderr(self.people[0] < self._loud_from[0]):
            found = self._graphs[0].process(rgb).pose_landmarks
        self.people[0] += found is not None
        return rgb, found

    def parts_step(self, step) -> np.ndarray:
        """Step 2 of a frame: its hands (and face) from the pose -> (1662,) float64 keypoints, as a 4:3 image's
        (:func:`signlstm.layout.to_reference_aspect`)."""
        rgb, pose = step
        found = pose is not None  # without a person: an empty list the graph's gate drops (see _parts_graph)
        feed = {"image": rgb, "pose_in": pose if found else self._no_pose, "pose_found": found}
        self._fresh_if_reshaped(1, rgb)
        with _quiet_stderr(self.people[1] < self._loud_from[1]):
            out = self._graphs[1].process(feed)
        self.people[1] += found
        keypoints = layout.extract_keypoints(SimpleNamespace(  # MediaPipe's landmark lists by Holistic's field names
            pose_landmarks=pose, face_landmarks=getattr(out, "face_landmarks", None),
            left_hand_landmarks=out.left_hand_landmarks, right_hand_landmarks=out.right_hand_landmarks))
        return layout.to_reference_aspect(keypoints, rgb.shape[1], rgb.shape[0])

    def _fresh_if_reshaped(self, stage: int, rgb: np.ndarray) -> None:
        """Restart graph ``stage`` (its tracking and smoothing) when ``rgb`` is not of the last frame's shape; its
        calculators log again as they reopen, so the stage is quiet again for its next frames with a person."""
        shape = rgb.shape[:2]
        if self._shapes[stage] not in (None, shape):
            with _quiet_stderr():
                self._graphs[stage].reset()
            self._loud_from[stage] = self.people[stage] + _QUIET_FRAMES
        self._shapes[stage] = shape

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """(1662,) float64 keypoints of one BGR frame, in the tutorial's order."""
        return self.parts_step(self.pose_step(frame))

    def close(self) -> None:
        with _quiet_stderr():
            while self._graphs:
                self._graphs.pop().close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def parts(keypoints: np.ndarray) -> dict[str, bool]:
    """Which parts one frame holds: ``{"pose": True, "face": True, "left_hand": False, ...}``."""
    return {name: bool(v) for name, v in layout.detected(np.asarray(keypoints)).items()}


def video_keypoints(frames, threads: bool = False) -> np.ndarray:
    """(T, 1662) float32 keypoints of one stream of BGR frames, tracked with a fresh graph; with ``threads`` the
    frames are read and the graph's two steps run in three threads (:class:`signlstm.keypoints.pipeline.Pipeline`), with
    the same result."""
    from .pipeline import Pipeline

    with Holistic() as h:
        found = (k for _, _, k in Pipeline(frames, h)) if threads else map(h, frames)
        rows = [np.asarray(k, np.float32) for k in found]
    return np.stack(rows) if rows else np.zeros((0, layout.FRAME_SIZE), np.float32)


def open_input(spec, face: bool = True):
    """(source, detect) for a ``--source``: saved keypoints replay with ``detect=None``; else its frames and a
    :class:`Holistic` (without the face mesh when ``face`` is False) to find their keypoints."""
    from ..frames.sources import open_stream

    source = open_stream(spec)
    if source.keypoints:
        return source, None
    try:
        return source, Holistic(face=face)
    except BaseException:
        source.close()
        raise
