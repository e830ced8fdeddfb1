"""End to end in a real headless Chromium: a fake camera plays a real clip, the page shows landmarks, bars and words,
with the landmarks found in the page (keypoint messages only) and, on request, on the server (the fallback).

Needs Debian's ``chromium`` and ``chromium-driver`` (/usr/bin/chromium, /usr/bin/chromedriver); under CI=1 their
absence is a failure, elsewhere a skip. Set SIGNLSTM_SCREENSHOTS=DIR to keep the page's screenshots.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import time
import urllib.request
from pathlib import Path

import pytest

from signlstm.web.conftest import fake_camera, need, to_y4m

need("starlette")
need("selenium.webdriver")
pytestmark = pytest.mark.browser

def page(d) -> dict:
    """What the page shows, read from its DOM and its state object. A dialog (MediaPipe's alert that it has no WebGL)
    cuts a read: ChromeDriver answers null if it opens during the script and refuses the next command while it is
    open; the state is then read again."""
    from selenium.common.exceptions import UnexpectedAlertPresentException

    for _ in range(50):
        try:
            state = d.execute_script(STATE)
        except UnexpectedAlertPresentException:  # the dialog was open; Selenium has dismissed it
            continue
        if state is not None:
            return state
        time.sleep(0.1)
    raise AssertionError("the page's state could not be read: every read was cut by a dialog")


STATE = """
        const S = window.signlstm;
        const bars = [...document.querySelectorAll('#bars .bar')].map(b => ({
            label: b.dataset.label, width: parseFloat(b.querySelector('.fill').style.width || '0'),
            p: b.querySelector('.p').textContent, top: b.classList.contains('top'),
            mark: b.querySelector('.threshold').style.left}));
        return {path: S.path, pathReason: S.pathReason, pathText: document.getElementById('path').textContent,
                pageFrames: S.pageFrames, results: S.results, landmarks: S.landmarkResults, probs: S.probResults,
                modelProbs: S.modelProbs, words: S.words,
                sentence: document.getElementById('sentence').textContent, bars: bars,
                message: document.getElementById('message').hidden ? ''
                    : document.getElementById('message').textContent,
                fps: parseFloat(document.getElementById('fps').textContent),
                latency: document.getElementById('latency').textContent, errors: S.errors,
                model: S.model, adapt: S.adapt, rec: document.getElementById('rec-status').textContent,
                counts: [...document.querySelectorAll('#counts li')].map(li => li.textContent),
                name: document.getElementById('name').value, nameLocked: document.getElementById('name').disabled};"""


def wait_for(d, cond, what, timeout=120.0):
    end = time.monotonic() + timeout
    while True:
        state = page(d)
        if cond(state):
            return state
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}; the page shows {json.dumps(state)[:1500]}")
        time.sleep(0.25)


def hand_pixels(d, color: str) -> int:
    """Pixels of the camera canvas within a small distance of a landmark colour ("#rrggbb")."""
    return d.execute_script("""
        const c = document.getElementById('canvas'), hex = arguments[0];
        const [r, g, b] = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16));
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < px.length; i += 4)
            if (Math.abs(px[i] - r) + Math.abs(px[i + 1] - g) + Math.abs(px[i + 2] - b) < 40) n++;
        return n;""", color)


def keep(d, path: Path, name: str) -> Path:
    d.save_screenshot(str(path))
    if os.environ.get("SIGNLSTM_SCREENSHOTS"):
        out = Path(os.environ["SIGNLSTM_SCREENSHOTS"])
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, out / name)
    return path


def health(server) -> dict:
    with urllib.request.urlopen(server.url + "/api/health", timeout=10) as r:
        return json.load(r)


@pytest.mark.parametrize("why", ["no MediaPipe on the server", "no WebGL in the browser"])
def test_a_page_that_cannot_find_landmarks_itself_sends_no_image_until_the_visitor_says_so(trained_model,
                                                                                           start_server, browser,
                                                                                           tmp_path, why):
    """A server without the page's MediaPipe, or a browser that cannot run it (WebGL off): the page says the
    landmarks cannot be found here and sends nothing; camera images go to the server only after the visitor presses
    the button."""
    empty = tmp_path / "no_holistic"
    empty.mkdir()
    server = start_server(trained_model, holistic=empty if why.startswith("no MediaPipe") else None)
    to_y4m("thanks", tmp_path / "thanks.y4m")
    flags = [] if why.startswith("no MediaPipe") else ["--disable-webgl", "--disable-3d-apis"]
    d = browser(*fake_camera(tmp_path / "thanks.y4m"), *flags)
    d.get(server.url + "/")
    end = time.monotonic() + 90
    while True:  # MediaPipe says it cannot make a WebGL context in an alert, which page() outlasts
        s = page(d)
        if s["path"] == "asking" or time.monotonic() > end:
            break
        time.sleep(0.25)
    said = "no copy of MediaPipe Holistic" if why.startswith("no MediaPipe") else "could not run MediaPipe Holistic"
    assert s["path"] == "asking" and "nothing is sent" in s["pathText"] and said in s["pathText"], s["pathText"]
    time.sleep(3)  # the camera runs all along
    sent = health(server)["messages"]
    assert sent["keypoints"] == sent["images"] == 0 and d.find_element("id", "send-images").is_displayed(), sent
    d.find_element("id", "send-images").click()
    wait_for(d, lambda s: s["path"] == "server" and s["landmarks"] >= 2, "landmarks from the server's images", 120)
    assert health(server)["messages"]["images"] >= 2 and not d.find_element("id", "send-images").is_displayed()


def test_a_recording_cut_by_a_lost_connection_is_said_and_recording_can_start_again(trained_model, start_server,
                                                                                     browser, tmp_path):
    """The connection closes while a list of signs is being recorded (a server restart, a network drop): the page
    says the sequence in progress and the signs after it were not recorded, and lets the visitor record
    again. Before that, the bars show the probabilities they are filled to (the top one marked, the threshold
    mark at the model's threshold), and the recording keeps the page's frames (no note that they lack a part)."""
    server = start_server(trained_model)
    to_y4m("thanks", tmp_path / "thanks.y4m")
    d = browser(*fake_camera(tmp_path / "thanks.y4m"))
    d.get(server.url + "/")
    s = wait_for(d, lambda s: s["landmarks"] >= 2 and s["probs"] >= 1, "landmarks and probabilities", 180)
    # Each bar says its probability as wide as it is filled, the widest one is marked top, and the threshold mark
    # stands at the model's threshold.
    assert [bar["mark"] for bar in s["bars"]] == [f"{100 * s['model']['threshold']:g}%"] * 3, s["bars"]
    assert all(abs(float(bar["p"]) - bar["width"] / 100) <= 0.006 for bar in s["bars"]), s["bars"]
    tops = [bar["width"] for bar in s["bars"] if bar["top"]]
    assert tops == [max(bar["width"] for bar in s["bars"])], s["bars"]
    d.find_element("id", "action").send_keys("wave\nnod")
    d.find_element("id", "count").clear()
    d.find_element("id", "count").send_keys("3")
    # The page itself closes the connection the moment it shows the recording of wave: a poll from here could miss
    # that moment on a loaded machine (once, both signs had been saved before a poll saw wave).
    d.execute_script("""
        const status = document.getElementById('rec-status');
        const cut = new MutationObserver(() => {
            if (/^recording "wave": sequence 1 of 3, frame [1-9]/.test(status.textContent)) {  // frames kept
                window.nameLocked = document.getElementById('name').disabled;  // the list keeps its name
                window.notes = document.getElementById('rec-notes').textContent;
                cut.disconnect(); window.signlstm.ws.close(); }
        });
        cut.observe(status, {childList: true, characterData: true, subtree: true});""")
    d.find_element("id", "record").click()
    s = wait_for(d, lambda s: "connection to the server was lost" in s["rec"], "the lost recording said", 30)
    assert 'sequence 1 of "wave" was not saved; not recorded: "nod"' in s["rec"], s["rec"]
    end = time.monotonic() + 60
    while d.execute_script("return window.signlstm.ws.readyState") != 1:  # reconnected (OPEN)
        assert time.monotonic() < end, "the page did not reconnect"
        time.sleep(0.25)
    assert d.find_element("id", "record").is_enabled() and not d.find_element("id", "cancel").is_enabled()
    assert d.execute_script("return window.nameLocked") is True and not page(d)["nameLocked"]
    assert d.execute_script("return window.notes") == ""  # the page's keypoints were recorded: no note against them


@pytest.mark.parametrize("path, query", [("page", ""), ("server", "?landmarks=server")])
def test_two_tabs_see_their_own_words_then_record_and_adapt(trained_model, start_server, browser, tmp_path, path,
                                                            query):
    """``page``: the page finds the landmarks with MediaPipe Holistic in the browser and sends keypoints only (the
    server receives no image); ``server``: the fallback the link asks for, camera frames sent and landmarked on the
    server once the visitor has pressed the button that lets the page send them."""
    from signlstm.fronts import render
    from signlstm.web.images import hex_color

    server = start_server(trained_model)
    cams = {}
    for clip in ("iloveyou", "thanks"):
        to_y4m(clip, tmp_path / f"{clip}.y4m")
        cams[clip] = browser(*fake_camera(tmp_path / f"{clip}.y4m"))
    for d in cams.values():
        d.get(server.url + "/" + query)
    if path == "server":  # the link asks for the server's landmarks: images go only after the visitor's press
        for d in cams.values():
            s = wait_for(d, lambda s: s["path"] == "asking", "the page asking to send images", 60)
            assert "nothing is sent" in s["pathText"] and "?landmarks=server" in s["pathText"], s["pathText"]
        assert health(server)["messages"]["images"] == 0
        for d in cams.values():
            d.find_element("id", "send-images").click()

    a, b = cams["iloveyou"], cams["thanks"]
    # Landmarks and one bar per action are drawn.
    s = wait_for(a, lambda s: s["landmarks"] >= 5 and s["probs"] >= 1, "landmarks and probabilities", 180)
    assert [bar["label"] for bar in s["bars"]] == ["hello", "thanks", "iloveyou"] and not s["message"]
    assert s["path"] == path, s["pathReason"]
    assert ("images stay on this device" in s["pathText"]) == (path == "page"), s["pathText"]
    assert hand_pixels(a, hex_color(render.PART_BGR["right_hand"])) > 30  # the ILY hand's skeleton is on the canvas
    # Words appear, each tab its own.
    sa = wait_for(a, lambda s: "iloveyou" in s["sentence"].split(), "'iloveyou' in the first tab's sentence", 180)
    sb = wait_for(b, lambda s: "thanks" in s["sentence"].split(), "'thanks' in the second tab's sentence", 180)
    replies = page(a)["results"] + page(b)["results"]  # each a reply to a message the server counted before it
    h = health(server)
    assert h["sessions"] == 2
    if path == "page":  # counted by the server: keypoint messages only, not one image
        assert h["messages"]["keypoints"] >= replies > 0 and h["messages"]["images"] == 0, (h["messages"], replies)
    else:
        # (a word needs about 1.3 s of camera time, the frames made into 30 a second, however many the page sent in
        # it: 15 images for both tabs in one run; each tab's window needs two frames a second apart at least)
        assert h["messages"]["images"] >= 4 and h["messages"]["keypoints"] == 0, h["messages"]
        # Each frame came with the time the page took it: at most 12 a second, 1/12 s or more apart, so the recognizer
        # got more frames than the page sent (a gap over a second counts one to one).
        seen = [(s.frames, s.recognizer.frames) for s in list(server.engine.sessions)]
        assert len(seen) == 2 and all(made > sent for sent, made in seen), seen  # (a gap over a second: 1 to 1)
    def leading(s):
        widths = {bar["label"]: bar["width"] for bar in s["bars"]}
        return max(widths, key=widths.get)

    # (the bars are those of the newest window: one that straddles the clip's loop may lead with another sign)
    sa = wait_for(a, lambda s: leading(s) == "iloveyou", "'iloveyou' on top of the first tab's bars", 60)
    assert sa["sentence"] != sb["sentence"] and sa["fps"] > 0 and sa["latency"].isdigit()
    keep(a, tmp_path / "page.png", f"web_page_{path}.png")

    # Recording from the page (one visitor, two tabs; the second records a list of two signs, one a line: one named
    # with a comma, which is one sign as in an actions file, and one in Chinese), then adapting in the first tab:
    # signs the model does not know make a vocabulary of their own.
    for d, action in ((a, "ily"), (b, "yes, please\n谢谢")):
        d.find_element("id", "name").clear()
        d.find_element("id", "name").send_keys("visitor")
        d.find_element("id", "action").send_keys(action)
        d.find_element("id", "count").clear()
        d.find_element("id", "count").send_keys("1")
        d.find_element("id", "record").click()
    for d, last in ((a, "ily"), (b, "谢谢")):
        wait_for(d, lambda s: s["rec"] == f'saved 1 sequence(s) of "{last}"', "the recorded sequences", 240)
    counted = ["ily: 1 recorded", "yes, please: 1 recorded", "谢谢: 1 recorded"]
    for d in (a, b):  # each tab shows the name's total: the other tab's recordings too
        wait_for(d, lambda s: s["counts"] == counted, "the name's counts in both tabs", 30)
    data = tmp_path / "web_data" / "visitor"
    assert all((data / sign / "0" / "29.npy").is_file() for sign in ("ily", "yes, please", "谢谢"))
    a.find_element("id", "adapt").click()
    s = wait_for(a, lambda s: (s["adapt"] or {}).get("state") in ("done", "error"), "adapting", 300)
    assert s["adapt"]["state"] == "done", s["adapt"]
    s = wait_for(a, lambda s: [bar["label"] for bar in s["bars"]] == ["ily", "yes, please", "谢谢", "none"]
                 and s["modelProbs"] > 3, "the adapted model's bars", 60)
    assert s["model"]["adapted"]
    # the new label, from one recording of the first tab, tops the bars as the looping clip signs it (a window that
    # straddles the clip's loop or a frame the server has not landmarked yet may be none)
    wait_for(a, lambda s: leading(s) == "ily", "'ily' on top of the adapted model's bars", 90)
    keep(a, tmp_path / "adapted.png", f"web_page_{path}_adapted.png")
    assert [bar["label"] for bar in page(b)["bars"]] == ["hello", "thanks", "iloveyou"]  # the other tab keeps its model
    if path == "page":  # a lost connection (a new one starts on the server's model): the page adapts again once back
        a.execute_script("window.signlstm.ws.close()")
        wait_for(a, lambda s: (s["adapt"] or {}).get("state") != "done", "the lost connection said", 10)
        s = wait_for(a, lambda s: (s["adapt"] or {}).get("state") == "done" and s["model"]["adapted"]
                     and [bar["label"] for bar in s["bars"]] == ["ily", "yes, please", "谢谢", "none"],
                     "the adapted model again after the reconnection", 120)
    assert not page(a)["errors"] and not page(b)["errors"]
    if path == "page":
        assert health(server)["messages"]["images"] == 0
        # The page opened again: the name the visitor typed, their counts and their adapted model are back; another
        # name typed shows its own counts.
        a.get(server.url + "/")
        s = wait_for(a, lambda s: s["counts"] == counted and (s["adapt"] or {}).get("state") == "done"
                     and [bar["label"] for bar in s["bars"]] == ["ily", "yes, please", "谢谢", "none"],
                     "the visitor's counts and adapted model, the page opened again", 180)
        assert s["name"] == "visitor"
        a.find_element("id", "name").clear()
        a.find_element("id", "name").send_keys("nobody\t")  # the tab leaves the field: a change
        wait_for(a, lambda s: s["counts"] == [], "no counts for a name that recorded nothing", 30)

    # A closed tab frees its state on the server.
    b.quit()
    end = time.monotonic() + 20
    while health(server)["sessions"] != 1:
        assert time.monotonic() < end, health(server)
        time.sleep(0.2)


@pytest.mark.parametrize("size", [(1280, 720), (406, 720)], ids=["16:9", "upright"])
def test_a_camera_without_a_4_3_picture_is_seen_whole(trained_model, start_server, browser, tmp_path, size):
    """A camera whose picture is 16:9 (1280 x 720) or upright (406 x 720), playing the I LOVE YOU clip: the page gets
    its whole picture, in the camera's own proportions, as ``live`` reads a video (a browser asked for 640 x 480
    would crop it to 4:3, cutting a 16:9 picture's sides and an upright one's top and bottom), and finds landmarks
    in it."""
    server = start_server(trained_model)
    to_y4m("iloveyou", tmp_path / "cam.y4m", size=size)
    d = browser(*fake_camera(tmp_path / "cam.y4m"))
    d.get(server.url + "/")
    wait_for(d, lambda s: s["landmarks"] >= 2, "landmarks", 180)
    w, h = d.execute_script("const v = document.getElementById('video'); return [v.videoWidth, v.videoHeight];")
    assert w * size[1] == h * size[0] and h >= 360, (w, h)


@pytest.mark.parametrize("flags, expect", [
    (["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream=deny"], "Camera access was denied. Allow "
     "the camera for this page"),
    (["--use-fake-ui-for-media-stream"], "No camera was found. Connect a camera"),
])
def test_camera_denied_or_missing_is_said_on_the_page(trained_model, start_server, browser, flags, expect):
    """A camera the visitor refused, or no camera: the page says which, and how to fix it (not the browser's
    error name), and opens no connection."""
    server = start_server(trained_model)
    d = browser(*flags)
    d.get(server.url + "/")
    s = wait_for(d, lambda s: s["message"], "a camera message", 30)
    assert expect in s["message"], s["message"]
    assert health(server)["sessions"] == 0  # no camera, no connection


def still_camera(image: Path, out: Path, size=(640, 360), frames: int = 10) -> None:
    """A .y4m (4:2:0) of one real photo, which Chromium's fake camera plays in a loop: a camera that sees no one."""
    import cv2

    frame = cv2.resize(cv2.imread(str(image)), size, interpolation=cv2.INTER_AREA)
    with open(out, "wb") as f:
        f.write(f"YUV4MPEG2 W{size[0]} H{size[1]} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())


def test_what_the_server_says_to_a_visitor_is_shown_on_the_page(shared, start_server, browser, tmp_path):
    """What the server tells a visitor reaches the page's text: that it is full (the page opened while another one
    holds the only place; a click once the place is free connects it), that its model looks untrained (a tutorial
    file saved before training), an adaptation that failed (nothing recorded) or was refused (a bad name), a list of
    signs with no name in it (comment and blank lines only), a list of signs refused for a bad name in it (with the
    signs not recorded, and record usable again), and the note on a sequence saved with no hand in view (a camera
    that sees a coffee cup; its images sent once the visitor has pressed the button)."""
    from signlstm.models.bundle import load_bundle

    websockets = need("websockets.sync.client")
    server = start_server(load_bundle(shared("data", "legacy_models", "Atulkoirala__action.h5"),
                                      ["hello", "thanks", "iloveyou"]), max_clients=1, pause=0.5)
    still_camera(shared("media", "skimage_coffee_no_person.png"), tmp_path / "cup.y4m")
    d = browser(*fake_camera(tmp_path / "cup.y4m"))
    text = lambda el: d.execute_script("return document.getElementById(arguments[0]).textContent", el)  # noqa: E731

    with websockets.connect(server.ws_url):  # another page holds the only place
        d.get(server.url + "/?landmarks=server")
        s = wait_for(d, lambda s: s["message"], "the busy message", 30)
        assert "the server already has 1 pages open; try again later" in s["message"], s["message"]
        assert "Click or press a key on this page to try again" in s["message"], s["message"]
    end = time.monotonic() + 20
    while health(server)["sessions"]:
        assert time.monotonic() < end, health(server)
        time.sleep(0.1)
    d.find_element("tag name", "h1").click()  # the place is free: the visitor's click connects the page
    wait_for(d, lambda s: s["model"] and not s["message"].startswith("the server already has"), "the page connected",
             30)
    d.get("about:blank")
    end = time.monotonic() + 20
    while health(server)["sessions"]:
        assert time.monotonic() < end, health(server)
        time.sleep(0.1)
    d.get(server.url + "/?landmarks=server")
    s = wait_for(d, lambda s: s["path"] == "asking" and s["model"] and s["message"], "the model's warning", 30)
    assert "this model looks untrained" in s["message"], s["message"]

    d.find_element("id", "adapt").click()  # "me" has recorded nothing
    wait_for(d, lambda s: (s["adapt"] or {}).get("state") == "error", "the failed adaptation", 30)
    assert text("adapt-status").startswith("adapting failed: ") and "record some" in text("adapt-status")
    d.find_element("id", "name").clear()
    d.find_element("id", "name").send_keys("me too")  # not a name the server takes
    d.find_element("id", "adapt").click()
    wait_for(d, lambda s: s["errors"], "the refused adaptation", 30)
    assert text("adapt-status").startswith("adapting refused: name: "), text("adapt-status")
    assert d.find_element("id", "adapt").is_enabled()
    d.find_element("id", "name").clear()
    d.find_element("id", "name").send_keys("me")

    d.find_element("id", "count").clear()
    d.find_element("id", "count").send_keys("1")
    d.find_element("id", "action").send_keys("# my signs\n   \n")  # no name in it: said, nothing sent
    d.find_element("id", "record").click()
    wait_for(d, lambda s: s["rec"].startswith("no sign names: give one a line"), "no sign names said", 10)
    d.find_element("id", "action").clear()
    d.find_element("id", "action").send_keys("wave\na/b")
    d.find_element("id", "record").click()
    s = wait_for(d, lambda s: len(s["errors"]) == 2, "the refused list", 30)
    assert s["rec"] == s["errors"][1] + '; not recorded: "a/b"' and "cannot be a folder name" in s["rec"], s["rec"]
    assert d.find_element("id", "record").is_enabled() and not d.find_element("id", "cancel").is_enabled()

    assert health(server)["messages"]["images"] == 0
    d.find_element("id", "send-images").click()
    d.find_element("id", "action").clear()
    d.find_element("id", "action").send_keys("wave")
    d.find_element("id", "record").click()
    wait_for(d, lambda s: s["rec"] == 'saved 1 sequence(s) of "wave"', "the saved sequence", 60)
    notes = text("rec-notes")
    assert notes.startswith("note: 'wave' ") and "a hand is seen in 0% of its frames" in notes, notes


def test_the_pages_list_of_signs_is_read_as_collect_reads_an_actions_file(shared, tmp_path):
    """The page's ``signList`` (app.js, run under Node) and ``collect --actions-file``'s reader
    (:func:`~signlstm.sign_names.read_sign_list`) on the same texts give the same signs: a real vocabulary's names
    (s23's, some two words long), names holding each script's comma ("yes, please", Arabic, full-width, ideographic),
    a name typed twice, in decomposed form, blank and comment lines, each of the white space Python strips around a
    name, Windows line ends. Where the reader refuses a text, the page sends a name the server refuses
    (:func:`~signlstm.sign_names.page_name_problem`)."""
    import subprocess

    import numpy as np

    from signlstm.errors import BadInput
    from signlstm.sign_names import page_name_problem, read_sign_list
    from signlstm.web.aspect_twin_test import APP_JS, _node, js_function

    with np.load(shared("data", "vocab", "s23.npz")) as f:
        names = [str(a) for a in f["actions"]]
    assert len(names) >= 6 and any(" " in n for n in names), names
    commas = ["yes, please", "\u0634\u0643\u0631\u0627\u060c \u062c\u0632\u064a\u0644\u0627",
              "thank you\uff0c\u8c22\u8c22", "\u306f\u3044\u3001\u3069\u3046\u305e", "a\ufe50b"]
    spaces = "".join(c for c in map(chr, range(0x3001)) if c.isspace() and c != "\n")
    texts = {
        "vocabulary": "\n".join(names),
        "commas": "\n".join(commas),
        "around": "\n".join(f"{spaces}{n}{spaces[::-1]}" for n in names),
        "windows": "\r\n".join(["# my signs", "", *commas, "   ", names[0], "#not a sign", ""]),
        "repeated": "\n".join(names + names[:2] + ["Cafe\u0301", "caf\u00e9", "Caf\u00e9"]),
        "bom inside": "thanks\n\ufeffhello",  # a format character inside the file: refused by both
        "line separator": "a\u2028b\nthanks",
    }
    script = tmp_path / "signlist.js"
    script.write_text('"use strict";\n' + js_function(APP_JS.read_text(), "signList") +
                      "\nconst lists = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));\n"
                      "console.log(JSON.stringify(Object.fromEntries(Object.entries(lists)"
                      ".map(([k, v]) => [k, signList(v)]))));\n")
    (tmp_path / "lists.json").write_text(json.dumps(texts), encoding="utf-8")
    r = subprocess.run([_node(), str(script), str(tmp_path / "lists.json")], capture_output=True, text=True,
                       encoding="utf-8", timeout=60)
    assert r.returncode == 0, r.stderr
    page_lists = json.loads(r.stdout)
    read = {}
    for key, text in texts.items():
        (tmp_path / "actions.txt").write_bytes(text.encode("utf-8"))
        try:
            read[key] = read_sign_list(tmp_path / "actions.txt")
        except BadInput:
            read[key] = None
    assert read["commas"] == commas and read["windows"] == [*commas, names[0]], read
    assert read["bom inside"] is None and read["line separator"] is None
    for key in texts:
        if read[key] is not None:
            assert page_lists[key] == read[key], (key, page_lists[key], read[key])
        else:
            assert any(page_name_problem(n) for n in page_lists[key]), (key, page_lists[key])
    assert page_lists["repeated"] == names + ["Caf\u00e9", "caf\u00e9"]


FRAME_TWIN = """
"use strict";
const fs = require("fs");
const [inFile, outDir] = process.argv.slice(2);
const {layout, results, masks, t} = JSON.parse(fs.readFileSync(inFile, "utf8"));
const S = {layout};
%(code)s
results.forEach((r, k) => {
  const frame = frameOf(r);
  fs.writeFileSync(`${outDir}/frame${k}.f32`, Buffer.from(frame.buffer));
  for (const mask of masks)
    fs.writeFileSync(`${outDir}/msg${k}_${mask}.bin`, Buffer.from(keypointMessage(frame, mask, t)));
});
"""


def test_the_page_builds_each_frame_and_message_as_signlstm_reads_them(shared, tmp_path):
    """The page's ``frameOf`` and ``keypointMessage`` (app.js, run under Node with the layout of ``hello``): real
    frames of s02 (both hands, one hand of each side, no hand, no face) given as Holistic's results (pose with its
    visibility; a part not found absent) come back as the same 1662 values, each part in its place; the keypoint
    message of every part mask unpacks (:func:`signlstm.web.protocol.unpack`) to those values in the parts sent,
    zeros in the others, with the mask and the time the frame was taken."""
    import subprocess

    import numpy as np

    from signlstm import layout
    from signlstm.web import protocol
    from signlstm.web.aspect_twin_test import APP_JS, _node, hello_layout, js_function

    with np.load(shared("data", "signers", "s02.npz")) as f:
        X = np.asarray(f["X"], np.float32).reshape(-1, layout.FRAME_SIZE)
    d = layout.detected(X)
    left, right = d["left_hand"], d["right_hand"]
    kinds = [left & right, left & ~right, right & ~left, ~left & ~right, ~d["face"]]
    frames = X[[int(np.flatnonzero(k)[len(np.flatnonzero(k)) // 2]) for k in kinds]]
    fields = {"pose": "poseLandmarks", "face": "faceLandmarks", "left_hand": "leftHandLandmarks",
              "right_hand": "rightHandLandmarks"}
    results = []
    for frame in frames:
        r = {}
        for p in layout.PARTS:
            v = frame[p.slice].reshape(p.points, p.values_per_point)
            if v.any():
                r[fields[p.name]] = [dict(zip(("x", "y", "z", "visibility"), map(float, q))) for q in v]
        results.append(r)
    source = APP_JS.read_text()
    code = "\n".join([re.search(r"^const RESULT_FIELDS = \{.*?\};", source, re.M | re.S).group(0),
                      js_function(source, "frameOf"), js_function(source, "keypointMessage")])
    t = 123456.789
    masks = list(range(1, protocol.ALL + 1))
    (tmp_path / "in.json").write_text(json.dumps({"layout": hello_layout(), "results": results, "masks": masks,
                                                  "t": t}))
    (tmp_path / "twin.js").write_text(FRAME_TWIN % {"code": code})
    run = subprocess.run([_node(), str(tmp_path / "twin.js"), str(tmp_path / "in.json"), str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    for k, frame in enumerate(frames):
        got = np.fromfile(tmp_path / f"frame{k}.f32", "<f4")
        assert np.array_equal(got, frame), f"frame {k}: {np.flatnonzero(got != frame)[:10]}"
        for mask in masks:
            sent, at, m = protocol.unpack((tmp_path / f"msg{k}_{mask}.bin").read_bytes())
            expect = frame.copy()
            for i, p in enumerate(layout.PARTS):
                if not mask >> i & 1:
                    expect[p.slice] = 0
            assert (m, at) == (mask, t) and np.array_equal(sent[0], expect), (k, mask)


def test_a_page_that_gave_its_place_for_idling_says_so_and_connects_again_when_its_visitor_acts(shared, start_server,
                                                                                                browser, tmp_path):
    """A page that sends nothing (the server has no MediaPipe to give it and its visitor has not let it send images)
    gives its place to a new page once it has been idle for the server's ``idle`` seconds and all places are taken:
    the page says so, does not connect again by itself (it would take a place back only to idle in it), and
    connects again at its visitor's next key press."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    from signlstm.models.bundle import load_bundle

    websockets = need("websockets.sync.client")
    empty = tmp_path / "no_holistic"
    empty.mkdir()
    server = start_server(load_bundle(), max_clients=1, idle=2.0, holistic=empty)
    d = browser("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream")
    d.get(server.url + "/")
    wait_for(d, lambda s: s["path"] == "asking", "the page asking to send images", 60)
    time.sleep(2.5)
    with websockets.connect(server.ws_url) as other:  # takes the idle page's place
        assert json.loads(other.recv(timeout=30))["type"] == "hello"
        s = wait_for(d, lambda s: "gave its place to a new page" in s["message"], "the page told it gave way", 30)
        assert "Click or press a key on this page to connect again" in s["message"], s["message"]
        time.sleep(3)  # (a page reconnecting by itself would have been turned away, or taken the place back, by now)
        assert d.execute_script("return window.signlstm.ws.readyState") == 3  # CLOSED
        assert health(server)["sessions"] == 1
    ActionChains(d).send_keys(Keys.SHIFT).perform()
    connected = lambda s: d.execute_script("return window.signlstm.ws.readyState") == 1  # noqa: E731 - OPEN
    s = wait_for(d, lambda s: connected(s) and not s["message"], "the page connected again", 30)
    assert s["path"] == "asking"
    time.sleep(1)
    assert health(server)["sessions"] == 1
