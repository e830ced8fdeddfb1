"""The JPEG frames a page may send are checked before they are decoded, and the points sent back per part."""
from __future__ import annotations

import pytest

from signlstm.web import images
from signlstm.web.conftest import clip_frames
from signlstm.web.protocol import BadMessage


def test_jpeg_header_is_read_before_decoding(shared):
    frame = clip_frames("iloveyou")[0]
    assert images.jpeg_size(frame) == (480, 270)
    assert images.decode_frame(frame).shape == (270, 480, 3)
    for bad, why in [(b"", "JPEG"), (b"GIF89a....", "JPEG"), (b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\0" * 20, "corrupt"),
                     (frame[:200], "decoded"), (b"\xff\xd8" + b"\x00" * 100, "corrupt")]:
        with pytest.raises(BadMessage, match=why):
            images.decode_frame(bad)
    # a frame header claiming 20000 x 20000 pixels is refused before anything is allocated
    i = frame.index(b"\xff\xc0")
    huge = frame[:i + 5] + (20000).to_bytes(2, "big") + (20000).to_bytes(2, "big") + frame[i + 9:]
    with pytest.raises(BadMessage, match="20000x20000"):
        images.decode_frame(huge)
    with pytest.raises(BadMessage, match="limit"):
        images.decode_frame(frame + b"\0" * images.MAX_FRAME_BYTES)


def test_points_per_part(shared):
    from signlstm.keypoints.landmarks import Holistic
    import cv2

    with Holistic(static_image_mode=True) as h:
        kp = h(cv2.imread(str(shared("media", "asl_iloveyou_rohan937_frame20.jpg"))))
    p = images.points(kp)
    assert len(p["pose"]) == 25 and len(p["right_hand"]) == 21 and p["left_hand"] == []
    assert len(p["face"]) == 468 // images.FACE_EVERY
    assert all(0 <= x <= 1 and 0 <= y <= 1 for x, y in p["right_hand"])


def test_a_damaged_frame_that_decodes_writes_nothing_to_the_servers_error_stream(capfd):
    """Scan data with hundreds of stray bytes before its end: decoded as before (the same pixels as OpenCV's
    decoder), without the line libjpeg printed for each such frame through OpenCV."""
    import cv2
    import numpy as np

    frame = clip_frames("iloveyou")[0]
    damaged = frame[:-2] + b"\x00" * 500 + b"\xff\xd9"
    assert np.array_equal(images.decode_frame(frame), cv2.imdecode(np.frombuffer(frame, np.uint8), cv2.IMREAD_COLOR))
    capfd.readouterr()
    for _ in range(3):
        assert images.decode_frame(damaged).shape == (270, 480, 3)
    assert capfd.readouterr().err == ""


def test_a_frame_too_tall_or_too_wide_is_refused_whichever_side_is_long():
    """The clip's real frame stretched to 2000 pixels one way (and 100 the other) is refused by its header, tall or
    wide alike; at 1920 a side it is decoded, in BGR as OpenCV gives it."""
    import cv2
    import numpy as np

    picture = cv2.imdecode(np.frombuffer(clip_frames("iloveyou")[0], np.uint8), cv2.IMREAD_COLOR)
    for w, h in ((100, 2000), (2000, 100)):
        ok, jpeg = cv2.imencode(".jpg", cv2.resize(picture, (w, h)))
        assert ok and images.jpeg_size(jpeg.tobytes()) == (w, h)
        with pytest.raises(BadMessage, match=f"frame of {w}x{h} pixels; at most 1920 a side"):
            images.decode_frame(jpeg.tobytes())
    ok, jpeg = cv2.imencode(".jpg", cv2.resize(picture, (100, 1920)))
    assert np.array_equal(images.decode_frame(jpeg.tobytes()), cv2.imdecode(jpeg, cv2.IMREAD_COLOR))
