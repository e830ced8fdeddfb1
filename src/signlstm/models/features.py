"""Body-relative keypoint features computed INSIDE the model (the default recipe's first layer).

Every model of this recipe takes the raw (T, 1662) tutorial window; the :class:`BodyFeatures` layer turns it into
a small signer-independent vector per frame, so training and inference (``live``, ``predict``) cannot drift apart.

Per frame (162 values):

* pose: nose, shoulders, elbows, wrists (7 points, x/y) centred on the window's mean shoulder midpoint and divided
  by its mean shoulder width (x is multiplied by 4/3, the 640x480 webcam aspect, before any distance: keypoints of
  every camera are stored as a 4:3 image's, :func:`signlstm.layout.to_reference_aspect`);
* no face mesh: the 468 face points are not read (the pose's nose stands for the head), so ``live`` can run the
  cheaper pose + hands landmark graph (:mod:`signlstm.keypoints.landmarks`) for these models;
* each hand: the wrist in the body frame, the hand's in-plane direction (unit vector wrist -> middle-finger MCP), the
  20 other landmarks relative to the wrist divided by the palm length and rotated so that direction points up (the
  handshape does not change with the hand's tilt), and an explicit detected mask. A hand is zeroed and masked when
  it is missing or its wrist lies far below the shoulders (``low_hand`` shoulder widths): a hand resting at hip level
  in a full-body shot is not part of a sign. A hand MediaPipe lost for at most ``fill`` frames (6 in the default
  recipe; 0 in bundles saved before the option) takes its nearest detection in the window (:func:`fill_gaps`);
* motion: frame-to-frame velocity of the pose points and of both wrists (zero where a hand is missing).

The network: a Dense projection, one bidirectional GRU, mean+max pooling over time, a 64-unit ``embedding`` layer and
a softmax ``head``, trained with AdamW whose weights are replaced at the end by their exponential moving average
(EMA, momentum 0.99: steadier across seeds). When trained with negatives, the ``none`` output's bias is then lowered
by ``reject_bias`` (1.0: a window is rejected only when ``none`` is e times likelier than the best sign). The
network's builder is :func:`signlstm.models.architectures.build_default_model`, its recipe ``default`` in
:mod:`signlstm.models.recipes`.
"""
from __future__ import annotations

import keras
from keras import layers, ops

import numpy as np

from .. import layout
from ..layout import ASPECT, FACE_POINTS

POSE_POINTS = (0, 11, 12, 13, 14, 15, 16)  # nose, shoulders, elbows, wrists
HAND_POINTS = layout.LEFT_HAND.points  # 21
HAND = layout.LEFT_HAND.size  # 63 values per hand block
_COLUMNS = np.array([layout.POSE.start + 4 * i + k for i in POSE_POINTS for k in range(3)]
            + list(range(layout.LEFT_HAND.start, layout.RIGHT_HAND.stop)), dtype=np.int32)
PARTS_READ = ("pose", "left_hand", "right_hand")  # the keypoint parts these features read (no face)
FILL = 6  # a hand lost for up to this many frames takes its nearest detection (see fill_gaps)
HAND_START = 2 * len(POSE_POINTS)  # first hand block of the output
HAND_SIZE = 2 + 2 + 60 + 1  # wrist xy, direction, rotated shape, mask
N_FEATURES = HAND_START + 2 * HAND_SIZE + 2 * len(POSE_POINTS) + 4
# Bundles saved before the features became face-free also read three face-mesh midline points (forehead, nose tip,
# chin) and a face mask, right after the pose; their saved config has no ``face`` key and loads with ``face=True``.
_FACE_COLUMNS = np.array([layout.FACE.start + 3 * i + k for i in FACE_POINTS for k in range(3)], dtype=np.int32)


def hand_blocks(F: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Split :class:`BodyFeatures` output (..., N_FEATURES) into (wrist xy, direction, shape (..., 20, 3), mask)
    for the left and the right hand."""
    out = []
    for k in (0, 1):
        b = HAND_START + HAND_SIZE * k
        out.append((F[..., b:b + 2], F[..., b + 2:b + 4], F[..., b + 4:b + 64].reshape(*F.shape[:-1], 20, 3),
                    F[..., b + 64]))
    return out


@keras.saving.register_keras_serializable(package="signlstm")
class BodyFeatures(layers.Layer):
    """Raw (B, T, 1662) MediaPipe Holistic windows -> (B, T, N_FEATURES) body-relative features."""

    def __init__(self, low_hand: float = 1.2, face: bool = False, fill: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.low_hand = float(low_hand)
        self.face = bool(face)
        self.fill = int(fill)

    def get_config(self):
        return {**super().get_config(), "low_hand": self.low_hand, "face": self.face, "fill": self.fill}

    @classmethod
    def from_config(cls, config):
        return cls(**{"face": True, **config})  # saved before the option existed: the face was read

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], N_FEATURES + (2 * len(FACE_POINTS) + 1 if self.face else 0))

    def call(self, x):
        # Gather only the columns read below (pose x/y/z of POSE_POINTS, both hands): cheap.
        raw = ops.cast(x, "float32")
        x = ops.take(raw, _COLUMNS, axis=-1)
        T = x.shape[1]
        aspect = ops.convert_to_tensor([ASPECT, 1.0, 1.0], "float32")
        n_pose = len(POSE_POINTS)
        pose = ops.reshape(x[..., :3 * n_pose], (-1, T, n_pose, 3)) * aspect
        h0 = 3 * n_pose
        hands = [ops.reshape(x[..., h0 + HAND * k:h0 + HAND * (k + 1)], (-1, T, HAND_POINTS, 3)) * aspect
                 for k in (0, 1)]

        # Body frame: mean shoulder midpoint and width over the frames where the pose was detected.
        pose_ok = ops.cast(ops.any(ops.not_equal(pose, 0.0), axis=(2, 3)), "float32")  # (B, T)
        n_ok = ops.maximum(ops.sum(pose_ok, axis=1, keepdims=True), 1.0)  # (B, 1)
        ls, rs = pose[:, :, 1, :2], pose[:, :, 2, :2]  # POSE_POINTS[1:3] = shoulders
        mid = ops.sum(((ls + rs) / 2) * pose_ok[..., None], axis=1) / n_ok  # (B, 2)
        width = ops.sum(ops.norm(ls - rs, axis=-1) * pose_ok, axis=1) / n_ok[:, 0]  # (B,)
        has_pose = ops.cast(ops.sum(pose_ok, axis=1) > 0, "float32")
        mid = mid * has_pose[:, None] + (1 - has_pose[:, None]) * ops.convert_to_tensor([0.5 * ASPECT, 0.5])
        width = ops.maximum(width * has_pose + (1 - has_pose) * 0.3, 0.02)
        centre = mid[:, None, None, :]
        scale = width[:, None, None, None]

        def body(points_xy):  # (B, T, P, 2) image coordinates -> body frame
            return (points_xy - centre) / scale

        pose_xy = body(pose[..., :2]) * pose_ok[..., None, None]

        B_T = (-1, T)
        feats = [ops.reshape(pose_xy, (*B_T, 2 * len(POSE_POINTS)))]
        if self.face:
            face = ops.reshape(ops.take(raw, _FACE_COLUMNS, axis=-1), (-1, T, len(FACE_POINTS), 3)) * aspect
            face_ok = ops.cast(ops.any(ops.not_equal(face, 0.0), axis=(2, 3)), "float32")
            feats += [ops.reshape(body(face[..., :2]) * face_ok[..., None, None], (*B_T, 2 * len(FACE_POINTS))),
                      face_ok[..., None]]
        wrists = []
        for h in hands:
            ok = ops.any(ops.not_equal(h, 0.0), axis=(2, 3))
            if self.fill:
                h, ok = fill_gaps(h, ok, self.fill)
            wrist = h[:, :, 0, :]  # (B, T, 3)
            wrist_body = (wrist[..., :2] - mid[:, None, :]) / width[:, None, None]
            ok = ops.logical_and(ok, wrist_body[..., 1] < self.low_hand)  # a hand resting low is no sign
            okf = ops.cast(ok, "float32")
            axis = h[:, :, 9, :2] - h[:, :, 0, :2]  # wrist -> middle-finger MCP
            palm = ops.maximum(ops.norm(axis, axis=-1), 1e-3)  # (B, T)
            ux, uy = axis[..., 0] / palm, axis[..., 1] / palm  # the hand's in-plane direction
            rel = (h[:, :, 1:, :] - wrist[:, :, None, :]) / palm[..., None, None]
            # Rotate so the palm axis points up: the handshape no longer depends on how the hand is tilted.
            rx = -uy[..., None] * rel[..., 0] + ux[..., None] * rel[..., 1]
            ry = -ux[..., None] * rel[..., 0] - uy[..., None] * rel[..., 1]
            shape = ops.stack([rx, ry, rel[..., 2]], axis=-1)
            shape = ops.clip(shape, -4.0, 4.0) * okf[..., None, None]
            tilt = ops.stack([ux, uy], axis=-1) * okf[..., None]
            wrist_body = wrist_body * okf[..., None]
            wrists.append((wrist_body, okf))
            feats += [wrist_body, tilt, ops.reshape(shape, (*B_T, 60)), okf[..., None]]

        # Motion: velocities of the pose points and the wrists (a missing endpoint gives zero).
        def velocity(v, ok):  # v (B, T, D), ok (B, T)
            d = (v[:, 1:] - v[:, :-1]) * (ok[:, 1:] * ok[:, :-1])[..., None]
            return ops.concatenate([ops.zeros_like(d[:, :1]), d], axis=1)

        feats.append(velocity(feats[0], pose_ok))
        for wb, okf in wrists:
            feats.append(velocity(wb, okf))
        return ops.concatenate(feats, axis=-1)


def fill_gaps(h, ok, limit: int):
    """Hand points (B, T, 21, 3) where the hand was lost for a few frames: each missing frame takes the nearest
    frame with a detection (the earlier one on a tie) when it is at most ``limit`` frames away. Returns the filled
    points and the new detected mask (B, T); a hand never seen in the window stays missing."""
    T = h.shape[1]
    t = ops.arange(T, dtype="float32")
    dist = ops.abs(t[:, None] - t[None, :])[None] + (1.0 - ops.cast(ok, "float32"))[:, None, :] * 1e4  # (B, T, T)
    pick = ops.one_hot(ops.argmin(dist, axis=-1), T)  # (B, T, T): row t selects the frame it copies
    filled = ops.reshape(ops.matmul(pick, ops.reshape(h, (-1, T, HAND))), (-1, T, HAND_POINTS, 3))
    return filled, ops.min(dist, axis=-1) <= limit
