"""Random augmentation of raw (B, T, 1662) keypoint windows (numpy), applied anew each epoch.

* mirror (p=0.5): x -> 1 - x, pose landmarks swapped left/right (:data:`layout.POSE_MIRROR`), left and right hand
  blocks swapped;
* affine in the image plane: scale 0.8-1.2, rotation +-12 degrees, shift +-0.08, about the image centre;
* hand tilt: each hand rotated about its own wrist by up to +-:data:`TILT` (60) degrees (per window and hand);
* time resampling: speed 0.8-1.25 with a random start, nearest frame (a window of the same length);
* dropped hand frames: in a random half of the batch, each hand block zeroed in a random share (0-60 %, drawn per
  window) of the frames: MediaPipe misses hands, and a sign with its hands seen in few frames is still that sign.

Zeros mean "not detected" and stay zeros everywhere.

Face mesh: only the midline points :data:`FACE_POINTS` (which a mirror maps onto themselves, so no face-mesh index
swap is needed) are transformed; the other 465 face points are left as recorded. The default recipe's features read
no other face point, and skipping them makes a batch about 5x cheaper. Do not feed these windows to a model that reads
the whole face mesh.
"""
from __future__ import annotations

import numpy as np

from .. import layout
from ..layout import ASPECT, FACE_POINTS

HAND = layout.LEFT_HAND.size  # values per hand block (21 points x 3)

SCALE = (0.8, 1.2)  # range of the random scale of a window's x/y
DEGREES = 12.0  # degrees of random rotation of a window's x/y about the image centre
SHIFT = 0.08  # random shift of a window's x/y, in image widths / heights
TILT = 60.0  # degrees of random hand rotation about the wrist
HAND_DROP = 0.6  # at most this share of a window's hand frames is dropped (MediaPipe misses hands)
# The columns augmentation touches, gathered once per batch: pose 33 x 4, midline face 3 x 3, hands 42 x 3.
TOUCHED = np.concatenate([np.arange(layout.POSE.start, layout.POSE.stop),
                          [layout.FACE.start + 3 * i + k for i in FACE_POINTS for k in range(3)],
                          np.arange(layout.LEFT_HAND.start, layout.RIGHT_HAND.stop)])
_P, _F = layout.POSE.size, layout.POSE.size + 3 * len(FACE_POINTS)  # pose / face / hands boundaries inside the gathered block
_POSE_PERM = (layout.POSE_MIRROR[:, None] * 4 + np.arange(4)).ravel()
_HAND_SWAP = np.concatenate([np.arange(_F + HAND, _F + 2 * HAND), np.arange(_F, _F + HAND)])


def _points(sub: np.ndarray):
    """Views (..., P, 3 or 4) of the gathered block: pose, face+hands (both 3 values per point)."""
    lead = sub.shape[:-1]
    return sub[..., :_P].reshape(*lead, layout.POSE.points, layout.POSE.values_per_point), sub[..., _P:].reshape(*lead, -1, 3)


def mirror_block(sub: np.ndarray) -> np.ndarray:
    """Left-right mirror of windows' touched columns (..., len(TOUCHED)), a copy: x flipped, pose landmarks and the
    two hands swapped."""
    sub = sub.copy()
    sub[..., :_P] = sub[..., _POSE_PERM]
    sub[..., _F:] = sub[..., _HAND_SWAP]
    for v in _points(sub):
        present = np.any(v[..., :3] != 0, axis=-1)
        v[..., 0] = np.where(present, 1.0 - v[..., 0], 0.0)
    return sub


def _rotate(v: np.ndarray, cx, cy, cos, sin, scale=1.0) -> np.ndarray:
    """Rotate (and scale) the x/y of points ``v`` (..., P, 3 or 4) in place about (cx, cy), aspect-correct
    (x is 4/3 wider than y in a 640x480 image); undetected (all-zero) points stay zero. Returns the detected mask."""
    present = np.any(v[..., :3] != 0, axis=-1)
    cx, cy = np.array(cx, np.float32), np.array(cy, np.float32)  # copies: they may be views of v
    x = (v[..., 0] - cx) * ASPECT
    y = v[..., 1] - cy
    v[..., 0] = np.where(present, scale * (cos * x - sin * y) / ASPECT + cx, 0.0)
    v[..., 1] = np.where(present, scale * (sin * x + cos * y) + cy, 0.0)
    return present


def affine_block(sub: np.ndarray, rng, scale=SCALE, degrees=DEGREES, shift=SHIFT) -> None:
    """Per-window random scale, rotation and shift of x/y (aspect-correct) about the image centre, zeros kept, in
    place on windows' touched columns (B, ..., len(TOUCHED))."""
    B = len(sub)
    s = rng.uniform(*scale, B).astype(np.float32)
    a = np.deg2rad(rng.uniform(-degrees, degrees, B)).astype(np.float32)
    t = rng.uniform(-shift, shift, (B, 2)).astype(np.float32)
    for v in _points(sub):
        shp = (B,) + (1,) * (v.ndim - 2)
        S = s.reshape(shp)
        present = _rotate(v, 0.5, 0.5, np.cos(a).reshape(shp), np.sin(a).reshape(shp), S)
        v[..., 0] += np.where(present, t[:, 0].reshape(shp), 0.0)
        v[..., 1] += np.where(present, t[:, 1].reshape(shp), 0.0)
        v[..., 2] *= S


def resample_time(X: np.ndarray, rng: np.random.Generator, speed=(0.8, 1.25)) -> np.ndarray:
    """Play each window at a random speed from a random start (nearest frames, same length)."""
    B, T = X.shape[:2]
    sp = rng.uniform(*speed, B)
    span = (T - 1) * sp
    start = rng.uniform(0, 1, B) * np.maximum(T - 1 - span, 0) + np.minimum(T - 1 - span, 0) * rng.uniform(0, 1, B)
    idx = np.rint(start[:, None] + sp[:, None] * np.arange(T)[None]).astype(int)
    idx = np.clip(idx, 0, T - 1)
    return X[np.arange(B)[:, None], idx]


def tilt_block(sub: np.ndarray, rng, degrees=TILT) -> None:
    """Rotate each hand about its own wrist by a random angle (per window and hand), in place on windows' touched
    columns (B, ..., len(TOUCHED)): people tilt their hands."""
    B = len(sub)
    for lo in (_F, _F + HAND):
        h = sub[..., lo:lo + HAND].reshape(*sub.shape[:-1], layout.LEFT_HAND.points, 3)
        a = np.deg2rad(rng.uniform(-degrees, degrees, B)).astype(np.float32)[:, None, None]
        _rotate(h, h[..., :1, 0], h[..., :1, 1], np.cos(a), np.sin(a))  # about the wrist, landmark 0
        sub[..., lo:lo + HAND] = h.reshape(*sub.shape[:-1], HAND)


def _drop_block(sub: np.ndarray, rng, p) -> None:
    """Zero each hand in a random share of frames: up to ``p`` (drawn per window), in a random half of the windows."""
    B, T = sub.shape[:2]
    for lo in (_F, _F + HAND):
        share = rng.uniform(0, p, (B, 1)) * (rng.random((B, 1)) < 0.5)
        drop = rng.random((B, T)) < share
        sub[..., lo:lo + HAND][drop] = 0.0


def augment(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The default recipe's training augmentation on a batch of raw windows (one full copy, then the touched
    columns only): time resampling, mirror (p=0.5), affine, hand tilt, dropped hand frames."""
    X = resample_time(np.asarray(X, np.float32), rng)  # a new array
    sub = X[..., TOUCHED]
    flip = rng.random(len(X)) < 0.5
    if flip.any():
        sub[flip] = mirror_block(sub[flip])
    affine_block(sub, rng, SCALE, DEGREES, SHIFT)
    tilt_block(sub, rng, TILT)
    _drop_block(sub, rng, HAND_DROP)
    X[..., TOUCHED] = sub
    return X
