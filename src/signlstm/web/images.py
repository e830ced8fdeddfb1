"""The images a page sends when it cannot find the landmarks itself (JPEG frames, checked before decoding) and what
goes back to be drawn over them: the landmark points and the skeleton's edges and colours."""
from __future__ import annotations

import numpy as np

from .. import layout
from ..fronts import render
from .protocol import BadMessage

MAX_FRAME_BYTES = 1_000_000  # one JPEG frame; the page sends ~20-60 kB
MAX_SIDE = 1920  # widest frame accepted (pixels, either side)
FACE_EVERY = 3  # face points sent to the page: every 3rd of 468


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's frame header, read before decoding so huge frames are refused cheaply."""
    if len(data) < 4 or data[:2] != b"\xff\xd8":
        raise BadMessage("a frame must be a JPEG image")
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            raise BadMessage("corrupt JPEG (bad marker)")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            i += 2
            continue
        seg = int.from_bytes(data[i + 2:i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
            return int.from_bytes(data[i + 7:i + 9], "big"), int.from_bytes(data[i + 5:i + 7], "big")
        if marker == 0xDA or seg < 2:  # scan data before any frame header
            break
        i += 2 + seg
    raise BadMessage("corrupt JPEG (no frame header)")


def decode_frame(data: bytes) -> np.ndarray:
    """A BGR image from JPEG bytes, or :class:`BadMessage` saying what is wrong. Decoded by Pillow (libjpeg-turbo,
    the same pixels as OpenCV's decoder), which writes nothing to the server's error stream: OpenCV's libjpeg prints
    a line for every damaged frame, which a page sending such frames would repeat without end."""
    import io

    from PIL import Image

    if len(data) > MAX_FRAME_BYTES:
        raise BadMessage(f"frame of {len(data)} bytes is over the {MAX_FRAME_BYTES}-byte limit")
    w, h = jpeg_size(data)
    if not (1 <= w <= MAX_SIDE and 1 <= h <= MAX_SIDE):
        raise BadMessage(f"frame of {w}x{h} pixels; at most {MAX_SIDE} a side")
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
            rgb = np.asarray(image.convert("RGB"))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):  # Pillow's ways to say "not decodable"
        raise BadMessage("the JPEG could not be decoded") from None
    return np.ascontiguousarray(rgb[:, :, ::-1])


def points(keypoints: np.ndarray) -> dict[str, list]:
    """The landmarks to draw, as normalised [x, y] pairs per part ([] when the part was not found)."""
    out = {}
    for p in layout.PARTS:
        xyz = layout.part(np.asarray(keypoints, np.float64), p)
        if not np.any(xyz):
            out[p.name] = []
            continue
        if p is layout.POSE:
            xyz = xyz[:max(render.BODY_POINTS) + 1]  # the joints drawn are among these
        elif p is layout.FACE:
            xyz = xyz[::FACE_EVERY]
        out[p.name] = np.round(xyz[:, :2], 4).tolist()
    return out


def hex_color(bgr) -> str:
    """An OpenCV BGR colour as the page's ``#rrggbb``."""
    b, g, r = bgr
    return f"#{r:02x}{g:02x}{b:02x}"


def drawing() -> dict:
    """Skeleton edges and part colours, from :mod:`signlstm.fronts.render` (one definition for window and page)."""
    return {"pose_edges": render.BODY_EDGES, "pose_joints": list(render.BODY_POINTS), "hand_edges": render.HAND_EDGES,
            "colors": {k: hex_color(v) for k, v in render.PART_BGR.items()}}
