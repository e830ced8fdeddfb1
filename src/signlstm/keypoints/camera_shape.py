"""The shape (width / height) of the image keypoints were found in, told from the face mesh's proportions.

MediaPipe divides x by the image's width and y by its height, so the same face is narrower in x on a wide image:
a face's normalised width / height is its real width / height times H / W. The face mesh's real proportions are
known independently of any recording: MediaPipe's canonical face model
(``mediapipe/modules/face_geometry/data/canonical_face_model.obj``, the same vertices as the ``canonical_mesh`` of
``geometry_pipeline_metadata_landmarks.pbtxt``; https://github.com/google-ai-edge/mediapipe; not in the pip wheel,
so its four vertices used here are copied below). The image's aspect is then the canonical proportion over the
observed one, the median over the frames that have a face.

The proportion is the x-distance between the face-oval points at the cheeks by the ears (234 and 454) over the
y-distance between the forehead top and the chin (10 and 152): the face's widest and tallest extents, each pair at
one depth in the model (its frontal distance is its 3D one). A head tilt in the image plane (roll) shrinks both by
the same cos, leaving the ratio as it was; a turn (yaw) or nod (pitch) shrinks one of them by its cos (4% at 16
degrees), which the median over many frames of a signer facing the camera keeps small; the width pair is 7 cm
behind the other, so perspective at arm's length from a webcam narrows the face a few %. What remains is the
person: faces differ from the canonical one by some 10% (the 20 signers recorded at 640x480 in ../shared give
1.22-1.48 for 4:3 = 1.33), well inside the way from 4:3 to 16:9 (1.78).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import layout

# Canonical face model vertices (cm; x to the face's left, y up, z towards the camera), canonical_face_model.obj.
CANONICAL = {
    10: (0.000000, 8.261778, 4.481535),  # forehead top
    152: (0.000000, -9.403378, 4.264492),  # chin
    234: (-7.664182, 0.673132, -2.435867),  # face oval by the right ear
    454: (7.664182, 0.673132, -2.435867),  # face oval by the left ear
}
WIDTH_POINTS, HEIGHT_POINTS = (234, 454), (10, 152)
CANONICAL_RATIO = (abs(CANONICAL[454][0] - CANONICAL[234][0])
                   / abs(CANONICAL[10][1] - CANONICAL[152][1]))  # 15.328 / 17.665 = 0.868
MIN_FACE_FRAMES = layout.SEQ_LEN  # fewer frames with a face than one tutorial sequence (30) tell nothing
SHAPES = {"4:3": 4 / 3, "16:9": 16 / 9, "3:4": 3 / 4, "9:16": 9 / 16}  # landscape webcams, portrait phones


@dataclass(frozen=True)
class CameraShape:
    """The common image shape nearest to a face-mesh estimate."""

    name: str  # "4:3", "16:9", "3:4" or "9:16"
    aspect: float  # that shape's width / height
    estimate: float  # the raw estimate of width / height
    frames: int  # frames with a face it was estimated from


def _column(point: int, axis: int) -> int:
    return layout.FACE.start + point * layout.FACE.values_per_point + axis


def face_ratios(X: np.ndarray) -> np.ndarray:
    """(..., 1662) frames (any float dtype) -> (...,) the face's normalised width / height per frame (see the module
    docstring), NaN where there is no face (its points all zero, as MediaPipe leaves an undetected face)."""
    cols = [_column(p, 0) for p in WIDTH_POINTS] + [_column(p, 1) for p in HEIGHT_POINTS]
    v = np.asarray(X)[..., cols].astype(np.float64)
    width, height = np.abs(v[..., 0] - v[..., 1]), np.abs(v[..., 2] - v[..., 3])
    face = np.any(v != 0, axis=-1) & (height > 0)
    return np.where(face, width / np.where(face, height, 1.0), np.nan)


def shape_from_ratios(ratios: np.ndarray, min_frames: int = MIN_FACE_FRAMES) -> CameraShape | None:
    """Per-frame :func:`face_ratios` -> the nearest common shape with the raw estimate (canonical proportion over the
    median observed one), or None with fewer than ``min_frames`` frames with a face. Nearest is by ratio (log)."""
    r = np.asarray(ratios, np.float64).ravel()
    r = r[np.isfinite(r) & (r > 0)]
    if len(r) < max(min_frames, 1):
        return None
    estimate = CANONICAL_RATIO / float(np.median(r))
    name = min(SHAPES, key=lambda s: abs(np.log(estimate / SHAPES[s])))
    return CameraShape(name, SHAPES[name], estimate, len(r))
