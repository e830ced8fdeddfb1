"""The page's MediaPipe Holistic against Python's, on the clips of ../shared/media through Chromium's fake camera.

Each camera frame carries its number (:func:`~signlstm.web.conftest.stamp`); the page reports the 1662-value frame it
built for every camera frame it processed, with the pixels it gave Holistic (the camera's frame after the browser's
colour conversion), and Python's :class:`~signlstm.keypoints.landmarks.Holistic` (tracking, as ``live``) runs on those
pixels in the same order (the page may skip or repeat frames when it is slower or faster than the camera). Compared per
processed frame: which hands were found and the landmark positions where both found a part. The words the live
recognizer (the shipped model, each word rule) emits on each of the two keypoint streams, fed to it frame by frame as
the page processed them (the page's pace, not made into 30 a second as the server does), are printed beside them
(``-s``) and not asserted: one hand found near the detection threshold by one runtime and not the other can change a
word. That the server gives its recognizer the frames ``live`` would (made into 30 a second from the page's times)
and replies with its words is asserted in ``server_test.py``.

The two runtimes share ``pose_landmark_full.tflite`` byte for byte, but the package's other models differ in bytes
from the wheel's, and its graph (``HolisticLandmarkGpu``) takes the image as a WebGL texture and crops the hand and
face regions there where Python's graph does it on the CPU, so a hand at the detection threshold can be found by one
and not the other. Which frames the page skips changes from run to run (it runs at its own pace), and tracking from
one processed frame to the next makes the figures vary from run to run (measured figures: the README's web
section). The figures are printed; the bars asserted are set to catch a broken mapping (left and right swapped, a
part missing or misplaced, frames out of order: presence near 50 % or below, landmarks tens of percent
apart), not the run-to-run spread: hand presence >= 85 % on the three signs, pose and face presence >= 85 % on
every clip with both parts' landmarks compared (a part the page never fills agrees with nothing), landmarks within
5 %. On soup, whose hands stay near the detection threshold, hand presence is checked only at >= 50 % (it has agreed
in 57-78 % of the frames from one run to the next), and a run under it is played once more: a swapped or missing
hand shows on the three signs.
"""
from __future__ import annotations

import base64
import json
import time

import numpy as np
import pytest

from signlstm import layout
from signlstm.web.conftest import STAMP_BITS, fake_camera, need, stamped_camera

need("starlette")
need("selenium.webdriver")
pytestmark = pytest.mark.browser

FRAMES = 90  # processed frames compared per clip: the clips have 32-41 frames, the camera loops them

TAP = """
const S = window.signlstm, bits = arguments[0];
window.tapped = [];
window.pixels = {};
S.taps.push((frame, img) => {
  const g = img.getContext('2d'), w = img.width, h = img.height, bw = Math.floor(w / 2 / bits);
  const y = Math.floor(Math.max(8, Math.floor(h / 12)) / 2);
  let index = 0;
  for (let b = 0; b < bits; b++) {
    const px = g.getImageData(Math.floor(w / 2) + b * bw + Math.floor(bw / 2), y, 1, 1).data;
    if (px[0] + px[1] + px[2] > 3 * 128) index |= 1 << b;
  }
  window.tapped.push([index, Array.from(frame)]);
  if (!(index in window.pixels)) window.pixels[index] = img.toDataURL('image/png');
});"""


def _page_frames(d, want: int, timeout: float = 300.0) -> tuple[list[int], np.ndarray, dict]:
    """The camera frame numbers the page processed, its keypoints of each, and the pixels of each frame (BGR)."""
    import cv2

    end = time.monotonic() + timeout
    while True:
        n = d.execute_script("return (window.tapped || []).length")
        if n >= want:
            break
        if time.monotonic() > end:
            logs = [e["message"][:200] for e in d.get_log("browser")][-10:]
            state = d.execute_script("const S = window.signlstm; return [S.path, S.pathReason, S.pageFrames]")
            raise AssertionError(f"the page processed {n} of {want} frames; page {state}; console {logs}")
        time.sleep(0.5)
    rows = d.execute_script(f"return window.tapped.slice(0, {want})")
    order = [r[0] for r in rows]
    pixels = {}
    for i in sorted(set(order)):
        png = base64.b64decode(d.execute_script("return window.pixels[arguments[0]]", i).split(",", 1)[1])
        pixels[i] = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    return order, np.array([r[1] for r in rows], np.float64), pixels


def _words(bundle, keypoints: np.ndarray, rule: str) -> list[str]:
    from signlstm.recognizer import Recognizer

    rec = Recognizer(bundle, rule=rule)
    return [w for w in (rec.update(k).word for k in keypoints) if w]


def test_the_page_finds_the_landmarks_python_finds(start_server, browser, tmp_path):
    from signlstm.models.bundle import load_bundle

    bundle = load_bundle()
    server = start_server(bundle)
    report, failures, agree = {}, [], {}
    for clip in ("iloveyou", "thanks", "hello", "soup"):
        report[clip], agree[clip] = _compare(clip, server, browser, tmp_path, bundle)
        if agree[clip] < 0.5 and clip == "soup":  # near the threshold, a run can miss: the bar holds if a second does
            report["soup, second run"], agree[clip] = _compare(clip, server, browser, tmp_path / "again", bundle)
        diffs = report[clip]["median landmark difference"]
        if any(v > 0.05 for v in diffs.values()):
            failures.append(f"{clip}: landmarks differ by more than 5 % of the image: {diffs}")
        body = report[clip]["pose and face presence agrees"]
        if min(body.values()) < 0.85 or not {"pose", "face"} <= set(diffs):
            failures.append(f"{clip}: pose and face presence agrees in {body}, landmarks compared {sorted(diffs)}")
    signs = np.mean([agree[c] for c in ("iloveyou", "thanks", "hello")])
    report["hand presence agrees, the three signs"] = round(float(signs), 3)
    print(json.dumps(report, indent=1))
    if signs < 0.85:
        failures.append(f"hand presence agrees in {signs:.1%} of the frames of the three signs")
    if agree["soup"] < 0.5:  # see the module docstring
        failures.append(f"soup: hand presence agrees in {agree['soup']:.1%} of frames (two runs)")
    assert not failures, failures


def _compare(clip: str, server, browser, folder, bundle) -> tuple[dict, float]:
    """(the figures of one clip played to a fresh page, its hand-presence agreement with Python's Holistic)."""
    from signlstm.keypoints.landmarks import Holistic
    from signlstm.recognizer import RULES

    folder.mkdir(parents=True, exist_ok=True)
    # the size the page asks for, at 4 frames a second, under the page's pace on a loaded machine (5-6 fps), so
    # that it takes the camera's frames in turn (repeating some) instead of skipping a varying share of them
    camera = stamped_camera(clip, folder / f"{clip}.y4m", width=640, fps=4)
    d = browser(*fake_camera(folder / f"{clip}.y4m"))
    d.get(server.url + "/")
    end = time.monotonic() + 180
    while d.execute_script("return window.signlstm.path") != "page":
        assert time.monotonic() < end, d.execute_script("return window.signlstm.pathReason")
        time.sleep(0.2)
    d.execute_script(TAP, STAMP_BITS)
    order, page, pixels = _page_frames(d, FRAMES)
    d.quit()
    assert all(0 <= i < len(camera) for i in order), f"{clip}: unreadable frame stamps {order}"
    with Holistic() as h:  # the page's pixels in the page's order, tracking from one to the next
        py = np.stack([h(pixels[i]) for i in order])
    camera_diff = np.mean([np.abs(pixels[i].astype(int) - camera[i]).mean() for i in pixels])

    found_page, found_py = layout.detected(page), layout.detected(py)
    hands_agree = float(np.mean((found_page["left_hand"] == found_py["left_hand"])
                                & (found_page["right_hand"] == found_py["right_hand"])))
    body = {p.name: round(float(np.mean(found_page[p.name] == found_py[p.name])), 3)
            for p in (layout.POSE, layout.FACE)}
    diffs = {}
    for part in (layout.POSE, layout.LEFT_HAND, layout.RIGHT_HAND, layout.FACE):
        both = found_page[part.name] & found_py[part.name]
        if both.any():  # distance in the image plane, as a fraction of the width (x) and height (y)
            xy = lambda K: layout.part(K[both], part)[..., :2]  # noqa: E731
            diffs[part.name] = round(float(np.median(np.linalg.norm(xy(page) - xy(py), axis=-1))), 4)
    words = {rule: {"page": _words(bundle, page, rule), "python": _words(bundle, py, rule)} for rule in RULES}
    return {"frames": len(order), "distinct camera frames": len(set(order)),
            "page pixels vs the y4m frame (mean abs, 0-255)": round(float(camera_diff), 2),
            "hand presence agrees": round(hands_agree, 3), "pose and face presence agrees": body,
            "page hands (left, right)": [int(found_page["left_hand"].sum()), int(found_page["right_hand"].sum())],
            "python hands (left, right)": [int(found_py["left_hand"].sum()), int(found_py["right_hand"].sum())],
            "median landmark difference": diffs, "words": words}, hands_agree
