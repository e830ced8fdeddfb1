"""The tutorial's 1662-value keypoint frame, defined once.

A frame is MediaPipe Holistic's landmarks flattened in the order of the tutorial's
``extract_keypoints``: pose 33 x (x, y, z, visibility), face 468 x (x, y, z),
left hand 21 x (x, y, z), right hand 21 x (x, y, z). A part that was not detected
is all zeros. x and y are MediaPipe's, divided by the image's width and height, for a 4:3 image (the tutorial's
webcam); keypoints found in an image of another shape are stored as a 4:3 image's (:func:`to_reference_aspect`).
Everything else in signlstm slices frames through this module.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .wording import counted


@dataclass(frozen=True)
class Part:
    """One landmark group of the frame."""

    name: str
    points: int
    values_per_point: int
    start: int

    @property
    def size(self) -> int:
        return self.points * self.values_per_point

    @property
    def stop(self) -> int:
        return self.start + self.size

    @property
    def slice(self) -> slice:
        return slice(self.start, self.stop)


POSE = Part("pose", 33, 4, 0)
FACE = Part("face", 468, 3, POSE.stop)
LEFT_HAND = Part("left_hand", 21, 3, FACE.stop)
RIGHT_HAND = Part("right_hand", 21, 3, LEFT_HAND.stop)
PARTS = (POSE, FACE, LEFT_HAND, RIGHT_HAND)
FRAME_SIZE = RIGHT_HAND.stop  # 1662
# The frame of the tutorial's variant that leaves the face out (pose, left hand, right hand in that order: BAD_INPUTS.md
# names five public repositories): ``signlstm convert`` widens it, the face zeroed (:func:`with_zero_face`).
POSE_HANDS = (POSE, LEFT_HAND, RIGHT_HAND)
POSE_HANDS_SIZE = sum(p.size for p in POSE_HANDS)  # 258
SEQ_LEN = 30  # the tutorial's sequence_length
RATE = 30.0  # frames a second of the tutorial's recordings, what the models and the rules' counts assume
# The most frames a window or sequence may hold (a model's window, ``--length``): 33 s of signing. The default
# recipe's gap filling holds a frames x frames matrix per window, so a window's memory grows with its square.
MAX_SEQ_LEN = 1000


def seq_len_problem(length) -> str | None:
    """Why ``length`` cannot be the frames of a sequence (a whole number from 1 to :data:`MAX_SEQ_LEN`), else None."""
    import numbers

    if isinstance(length, numbers.Integral) and not isinstance(length, bool) and 1 <= length <= MAX_SEQ_LEN:
        return None
    return f"must be a number of frames from 1 to {MAX_SEQ_LEN}, got {length}"
SIGN_HANDS = 0.5  # a recording shows its sign when a hand is seen in at least this share of its frames (hand_share)
ASPECT = 4 / 3  # width / height of the tutorial's 640x480 webcam image (x and y are both divided by their side)
FACE_POINTS = (10, 1, 152)  # face-mesh midline points (forehead top, nose tip, chin): a mirror maps them onto themselves
LAYOUT_NAME = "mediapipe-holistic-1662"

# Attribute names of MediaPipe Holistic results, in frame order.
RESULT_FIELDS = {
    POSE: "pose_landmarks",
    FACE: "face_landmarks",
    LEFT_HAND: "left_hand_landmarks",
    RIGHT_HAND: "right_hand_landmarks",
}

# Pose landmark indices that trade places when the image is mirrored.
POSE_MIRROR = np.array([0, 4, 5, 6, 1, 2, 3, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15,
                        18, 17, 20, 19, 22, 21, 24, 23, 26, 25, 28, 27, 30, 29, 32, 31])

# Feature sizes of modified extract_keypoints functions met in the wild (BAD_INPUTS.md).
KNOWN_SIZES = {
    POSE_HANDS_SIZE: "pose + both hands without the face (258 values)",
    LEFT_HAND.size + RIGHT_HAND.size: "both hands only (126 values)",
    LEFT_HAND.size: "a single hand (63 values)",
    POSE.points * 3: "pose x, y, z without visibility (99 values)",
    POSE.size: "pose only (132 values)",
    POSE.size + FACE.size: "pose + face without hands (1536 values)",
    FRAME_SIZE + 10 * 3: "Holistic with refine_face_landmarks=True (478 face points with the irises: 1692 values; "
                         "extract again without it)",
    POSE.points * 3 + FACE.size + LEFT_HAND.size + RIGHT_HAND.size: "Holistic without the pose's visibility "
                                                                    "(1629 values)",
}


def describe_size(n: int) -> str:
    """Name the feature set a frame of ``n`` values most likely holds."""
    return KNOWN_SIZES.get(n, f"an unknown feature set of {counted(n, 'value')}")


def with_zero_face(frames: np.ndarray) -> np.ndarray:
    """Frames of pose + both hands (..., :data:`POSE_HANDS_SIZE`) as (..., :data:`FRAME_SIZE`) frames in their own
    dtype, the face block all zeros (a face not detected). The shipped and default models read only the pose and hands
    (their bundles' ``parts_read``), so they read such a frame as the recorded one."""
    out = np.zeros((*frames.shape[:-1], FRAME_SIZE), frames.dtype)
    at = 0
    for p in POSE_HANDS:
        out[..., p.slice] = frames[..., at:at + p.size]
        at += p.size
    return out


def _landmark_values(landmarks, part: Part) -> np.ndarray:
    if landmarks is None:
        return np.zeros(part.size)
    if part.values_per_point == 4:
        rows = [[p.x, p.y, p.z, p.visibility] for p in landmarks.landmark]
    else:
        rows = [[p.x, p.y, p.z] for p in landmarks.landmark]
    return np.asarray(rows, dtype=np.float64)[: part.points].flatten()


def extract_keypoints(results) -> np.ndarray:
    """The tutorial's ``extract_keypoints``: Holistic results -> (1662,) float64."""
    return np.concatenate([_landmark_values(getattr(results, RESULT_FIELDS[p], None), p) for p in PARTS])


def part(frames: np.ndarray, p: Part) -> np.ndarray:
    """View of one part as (..., points, values_per_point)."""
    return frames[..., p.slice].reshape(*frames.shape[:-1], p.points, p.values_per_point)


def detected(frames: np.ndarray) -> dict[str, np.ndarray]:
    """Which parts are present (not all zeros), per frame."""
    return {p.name: np.any(frames[..., p.slice] != 0, axis=-1) for p in PARTS}


def without_hands(frames: np.ndarray) -> np.ndarray:
    """A copy of ``frames`` with both hand blocks zeroed (as if no hand was detected)."""
    out = np.array(frames, copy=True)
    out[..., LEFT_HAND.start:RIGHT_HAND.stop] = 0.0
    return out


def hands_present(frames: np.ndarray) -> np.ndarray:
    """True where at least one hand was detected, per frame."""
    d = detected(frames)
    return d["left_hand"] | d["right_hand"]


def hand_share(X: np.ndarray) -> np.ndarray:
    """Share of frames with a detected hand, per sequence of ``X`` (N, T, 1662)."""
    return hands_present(X.reshape(-1, X.shape[-1])).reshape(X.shape[:2]).mean(1)


def to_reference_aspect(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    """Keypoints MediaPipe found in a ``width`` x ``height`` image, as they would be in a 4:3 image (:data:`ASPECT`,
    the tutorial's 640x480 webcam) of the same height and centre: every part's x is scaled about the centre, and its
    z (which MediaPipe gives in x's scale) with it, by (width / height) / ASPECT. A distance then means the same in
    every file whatever the camera; a 4:3 image's keypoints are unchanged, and parts not detected stay zero."""
    return _scale_x(frames, (width / height) / ASPECT)


def from_reference_aspect(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    """The inverse of :func:`to_reference_aspect`: stored keypoints placed on a ``width`` x ``height`` image."""
    return _scale_x(frames, ASPECT / (width / height))


def _scale_x(frames: np.ndarray, r: float) -> np.ndarray:
    out = np.array(frames, dtype=np.result_type(frames, np.float32), copy=True)
    if r == 1.0:
        return out
    for p in PARTS:
        xyz = part(out, p).copy()
        present = np.any(xyz != 0, axis=(-2, -1))[..., None]
        xyz[..., 0] = np.where(present, 0.5 + (xyz[..., 0] - 0.5) * r, 0.0)
        xyz[..., 2] *= r
        out[..., p.slice] = xyz.reshape(*out.shape[:-1], p.size)
    return out
