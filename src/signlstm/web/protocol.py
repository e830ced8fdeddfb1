"""The page's binary keypoint message: the parts of the 1662-value frame a model reads, computed in the browser.

Layout (little-endian), 16-byte header then float32 values::

    0  b"SK"          magic (a JPEG starts with FF D8, so the two kinds of binary message never collide)
    2  u8  version    VERSION
    3  u8  mask       bit i set = layout.PARTS[i] is in the payload (pose, face, left hand, right hand)
    4  u16 count      frames in the message (1 from the live page; at most MAX_FRAMES)
    6  u16 reserved   0
    8  f64 t          the page's timestamp of the (first) frame, milliseconds (0: not known); echoed in the reply
    16 f32 payload    count frames, each the masked parts in layout order, each part as layout.extract_keypoints
                      writes it (zeros for a part that was not found)

:func:`unpack` checks everything against the header before touching the payload (a message declaring more than it
holds is refused before anything is allocated) and returns (count, 1662) float32 frames with zeros for the parts not
sent. The page builds the same bytes in ``static/app.js`` from the layout the server announces in ``hello``.

The fallback's camera frame (the page sends images, the server finds the landmarks) is a 16-byte header then the
JPEG file, built by the page and read by :func:`unpack_image`::

    0  b"SJ"          magic
    2  u8  version    VERSION
    3  5 bytes        reserved, 0
    8  f64 t          the page's timestamp of the frame (when it was taken from the camera), milliseconds (0: not
                      known)
    16 JPEG           the frame, starting with FF D8

A bare JPEG (no header) is a frame without a time.

Both headers carry :data:`VERSION`, which the page takes from ``hello`` (:func:`describe`, :func:`describe_image`);
a message of another version is refused, saying so (:func:`version_error`), so a page loaded from a server of
another version is refused until it is reloaded. A keypoint message's ``t`` is when the page took the frame: the server
resamples the frames to the models' 30 frames a second by it (:class:`signlstm.keypoints.resample.Resample`); once 30
frames in a row have made no frame due (a clock standing still, running back, or counting seconds), a message that
makes none is refused, saying so. Its
keypoints are a 4:3 image's (:func:`signlstm.layout.to_reference_aspect`, which the page applies with ``hello``'s
``aspect``).

The server answers each such message, in the order sent, with one JSON ``result``: ``frame`` (the number of the
message's last frame among the frames the page has sent, from 0: the page's own frames, not those made at 30 a
second), ``t`` (the message's, echoed), ``probs`` (the last window's probabilities in the model's label order, null
before a window is full), ``words`` (every word the message's frames gave, in order, each ``{"word", "prob"}``: its
probability in the window that decided it, which for a sign ended by a rest is not ``probs``), ``word`` (the last of
them, or null), ``sentence`` (the last words kept), ``ms`` (the server's time on the message); the image path adds
``width``, ``height`` and ``points`` (the landmarks found, to draw), and a page recording adds ``recording``. A
page's input has no end: a sign gets its word as it ends at a rest (or under the rule's counts), and the word
``live`` may give a sign cut off by the end of a file (``Recognizer.finish``) has no counterpart here.
"""
from __future__ import annotations

import struct

import numpy as np

from .. import layout
from ..errors import SignlstmError
from ..keypoint_files import MAX_VALUE, values_ok

MAGIC = b"SK"
# Of both binary messages. 2: frames resampled by ``t``, keypoints as a 4:3 image's; 1 (refused): ``t`` only echoed,
# keypoints as MediaPipe gave them whatever the camera's shape.
VERSION = 2
HEADER = struct.Struct("<2sBBHHd")
MAX_FRAMES = layout.SEQ_LEN  # frames in one message
ALL = (1 << len(layout.PARTS)) - 1
MAX_BYTES = HEADER.size + MAX_FRAMES * layout.FRAME_SIZE * 4
IMAGE_MAGIC = b"SJ"
IMAGE_HEADER = struct.Struct("<2sB5sd")


class BadMessage(SignlstmError):
    """A WebSocket message the server refuses (malformed, oversized, unknown); the client is told why, and for a
    control message refused, which request it was (``about``: its ``type``)."""

    about: str | None = None


def version_error(what: str, version: int) -> BadMessage:
    """The refusal of a ``what`` ("keypoint message", "camera frame message") of another ``version``."""
    return BadMessage(f"{what} version {version}; this server reads version {VERSION} (a page loaded before the server "
                      "was updated: reload it)")


def mask_of(names) -> int:
    """The part mask of part names (``bundle.meta["parts_read"]``)."""
    names = set(names)
    return sum(1 << i for i, p in enumerate(layout.PARTS) if p.name in names)


def parts_of(mask: int) -> list:
    """The parts (:data:`signlstm.layout.PARTS`) a mask holds, in layout order."""
    return [p for i, p in enumerate(layout.PARTS) if mask >> i & 1]


def width(mask: int) -> int:
    """Values per frame for a mask."""
    return sum(p.size for p in parts_of(mask))


def is_keypoints(data: bytes) -> bool:
    """Whether a binary message is a keypoint message (it starts with :data:`MAGIC`)."""
    return data[:2] == MAGIC


def pack(frames: np.ndarray, mask: int = ALL, t: float = 0.0) -> bytes:
    """The message for (count, 1662) or (1662,) frames, sending only the parts in ``mask``."""
    frames = np.atleast_2d(np.asarray(frames, np.float32))
    cols = np.concatenate([np.arange(p.start, p.stop) for p in parts_of(mask)])
    return HEADER.pack(MAGIC, VERSION, mask, len(frames), 0, float(t)) + frames[:, cols].astype("<f4").tobytes()


def unpack(data: bytes, need: int = 0) -> tuple[np.ndarray, float, int]:
    """(frames (count, 1662) float32, timestamp, mask) of a keypoint message, or :class:`BadMessage` saying why.

    ``need`` is the mask of the parts the model reads: a message without one of them is refused.
    """
    if len(data) < HEADER.size:
        raise BadMessage(f"keypoint message of {len(data)} bytes is shorter than its {HEADER.size}-byte header")
    magic, version, mask, count, reserved, t = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise BadMessage("not a keypoint message")
    if version != VERSION:
        raise version_error("keypoint message", version)
    if not 0 < mask <= ALL:
        raise BadMessage(f"keypoint message with an unknown part mask {mask:#x}")
    if reserved:
        raise BadMessage(f"keypoint message with {reserved} in its reserved header field (must be 0)")
    if need & ~mask:
        missing = ", ".join(p.name for p in parts_of(need & ~mask))
        raise BadMessage(f"keypoint message without {missing}, which the model reads")
    if not 1 <= count <= MAX_FRAMES:
        raise BadMessage(f"keypoint message of {count} frames; 1 to {MAX_FRAMES} per message")
    if not np.isfinite(t):
        raise BadMessage("keypoint message with a timestamp that is not a number")
    w = width(mask)
    if len(data) != HEADER.size + 4 * w * count:
        raise BadMessage(f"keypoint message declares {count} frame(s) of {w} values ({HEADER.size + 4 * w * count} "
                         f"bytes) but is {len(data)} bytes")
    values = np.frombuffer(data, "<f4", count * w, HEADER.size).reshape(count, w)
    if not values_ok(values).all():
        raise BadMessage(f"keypoint message with values that are not finite or beyond +-{MAX_VALUE:g}")
    frames = np.zeros((count, layout.FRAME_SIZE), np.float32)
    at = 0
    for p in parts_of(mask):
        frames[:, p.slice] = values[:, at:at + p.size]
        at += p.size
    return frames, float(t), mask


def is_image(data: bytes) -> bool:
    """Whether ``data`` is a camera frame with its header (see the module doc)."""
    return data[:2] == IMAGE_MAGIC


def unpack_image(data: bytes) -> tuple[bytes, float]:
    """(the JPEG bytes, the timestamp in milliseconds) of a camera frame message, or :class:`BadMessage` saying why
    (the JPEG itself is checked when it is decoded)."""
    if len(data) < IMAGE_HEADER.size:
        raise BadMessage(f"camera frame message of {len(data)} bytes is shorter than its {IMAGE_HEADER.size}-byte "
                         "header")
    magic, version, reserved, t = IMAGE_HEADER.unpack_from(data)
    if magic != IMAGE_MAGIC:
        raise BadMessage("not a camera frame message")
    if version != VERSION:
        raise version_error("camera frame message", version)
    if any(reserved):
        raise BadMessage("camera frame message with a reserved header field set (must be 0)")
    if not np.isfinite(t):
        raise BadMessage("camera frame message with a timestamp that is not a number")
    return data[IMAGE_HEADER.size:], float(t)


def describe_image() -> dict:
    """The camera frame message's header as the page builds it (sent in ``hello``)."""
    return {"version": VERSION, "magic": IMAGE_MAGIC.decode(), "header_bytes": IMAGE_HEADER.size}


def describe() -> dict:
    """The layout as the page needs it to build messages (sent in ``hello``): parts in order with their sizes, and
    the image shape keypoints are stored for (``aspect``, width / height: :func:`signlstm.layout.to_reference_aspect`,
    which the page applies to the landmarks it finds)."""
    return {"version": VERSION, "magic": MAGIC.decode(), "header_bytes": HEADER.size, "max_frames": MAX_FRAMES,
            "parts": [{"name": p.name, "points": p.points, "values": p.values_per_point} for p in layout.PARTS],
            "aspect": layout.ASPECT}
