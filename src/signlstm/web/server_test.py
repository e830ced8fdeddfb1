"""signlstm serve without a browser: the WebSocket protocol, limits, per-page state, recording and adapting."""
from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import urllib.request

import numpy as np
import pytest

from signlstm.conftest import unavailable
from signlstm.web.conftest import clip_frames, need, pack_image

need("starlette")
need("uvicorn")
websockets = need("websockets.sync.client")
closed = need("websockets.exceptions").ConnectionClosed

from signlstm.web import adapted, images, recordings  # noqa: E402
from signlstm.web import engine as eng  # noqa: E402


def _recv(ws, kind, timeout=60.0):
    """The next message of type ``kind`` (others are skipped)."""
    end = time.monotonic() + timeout
    while True:
        m = json.loads(ws.recv(timeout=max(0.1, end - time.monotonic())))
        if m["type"] == kind:
            return m


def _health(server) -> dict:
    with urllib.request.urlopen(server.url + "/api/health", timeout=10) as r:
        return json.load(r)


def _wait(cond, timeout=20.0):
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def _refused(capsys, argv, *named):
    """``signlstm serve argv`` exits 2 with one line naming ``named``, before any model is loaded (``--model`` points
    nowhere: reaching the model would name it instead) and without printing "serving"."""
    from signlstm.cli import main

    assert main(["serve", *argv, "--model", "/nonexistent/model"]) == 2
    out, err = capsys.readouterr()
    assert err.strip().splitlines() == [err.strip()] and "Traceback" not in err and "serving" not in out, (out, err)
    assert err.startswith("signlstm serve: error: ") and "/nonexistent/model" not in err, err
    for n in named:
        assert n in err, err
    return err


def test_serve_refuses_tls_files_it_cannot_load_in_one_line_before_the_model(shared, tmp_path, capsys, certificate):
    missing, not_pem = tmp_path / "missing.pem", shared("data", "vocab", "README.md")
    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    _refused(capsys, ["--certfile", str(missing), "--keyfile", str(key)], str(missing), "no such file")
    _refused(capsys, ["--certfile", str(not_pem), "--keyfile", str(key)], str(not_pem), "not a PEM certificate")
    _refused(capsys, ["--certfile", str(tmp_path), "--keyfile", str(key)], str(tmp_path), "not a file")
    (crt, crt_key), (_, other_key) = certificate("a"), certificate("b")  # two real self-signed pairs
    from signlstm.web.server import check_tls

    check_tls(crt, crt_key)  # a good pair passes
    _refused(capsys, ["--certfile", str(crt), "--keyfile", str(not_pem)], str(not_pem), "not a PEM private key")
    _refused(capsys, ["--certfile", str(crt_key), "--keyfile", str(crt_key)], str(crt_key), "not a PEM certificate")
    _refused(capsys, ["--certfile", str(crt), "--keyfile", str(other_key)], "is not the private key of --certfile")


def test_serve_refuses_a_host_or_port_it_cannot_listen_on_before_saying_serving(capsys):
    import socket

    _refused(capsys, ["--host", "256.1.1.1"], "--host 256.1.1.1")
    _refused(capsys, ["--host", "192.0.2.1"], "--host 192.0.2.1", "not an address of this machine")  # TEST-NET-1
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        _refused(capsys, ["--port", str(port)], f"--port {port}", "in use")
    from signlstm.web.server import check_listen

    check_listen("127.0.0.1", port)  # free again: bound and released, nothing left listening
    check_listen("localhost", port)


# -- over a real server ------------------------------------------------------------------------------------------------

def test_page_and_static_files(trained_model, start_server):
    server = start_server(trained_model)
    with urllib.request.urlopen(server.url + "/", timeout=10) as r:
        html = r.read().decode()
    assert "/static/app.js" in html and 'id="bars"' in html
    with urllib.request.urlopen(server.url + "/static/app.js", timeout=10) as r:
        assert b"getUserMedia" in r.read()
    assert _health(server)["labels"] == ["hello", "thanks", "iloveyou"]


def test_each_page_has_its_own_recognizer_and_bad_messages_hurt_no_one(trained_model, start_server):
    server = start_server(trained_model, max_clients=3)
    frames = {a: clip_frames(a) for a in ("iloveyou", "thanks")}
    with websockets.connect(server.ws_url, max_size=None) as a, websockets.connect(server.ws_url, max_size=None) as b:
        hello = _recv(a, "hello")
        assert hello["max_frame_bytes"] == images.MAX_FRAME_BYTES and hello["drawing"]["hand_edges"]
        model = _recv(a, "model")
        assert model["labels"] == ["hello", "thanks", "iloveyou"] and len(model["colors"]) == 3
        assert model["warning"] is None
        _wait(lambda: _health(server)["sessions"] == 2)
        words = {"a": [], "b": []}
        for i in range(75):  # two loops and a bit of each clip, interleaved
            for ws, key, clip in ((a, "a", "iloveyou"), (b, "b", "thanks")):
                ws.send(frames[clip][i % len(frames[clip])])
                r = _recv(ws, "result")
                assert r["frame"] == i
                if i == 0:
                    assert r["probs"] is None and r["points"]["pose"]
                if i >= 29:
                    assert len(r["probs"]) == 3 and abs(sum(r["probs"]) - 1) < 1e-3
                if r["word"]:
                    words[key].append(r["word"])
            if i == 40:  # malformed messages on page a: each is answered with an error, nothing else changes
                for bad in (b"not a jpeg", b"\xff\xd8garbage", "{not json", json.dumps([1, 2]),
                            json.dumps({"type": "launch"}), json.dumps({"type": "record", "name": "../x",
                                                                        "action": "a", "count": 1}),
                            "x" * 5000):
                    a.send(bad)
                    error = _recv(a, "error")
                    assert error["message"]  # a refused record request says so (the page stops its list of signs)
                    assert error.get("about") == ("record" if "../x" in str(bad) else None), error
                    # the answer to a binary message (a frame the page counts as answered), not to a refused request
                    assert error.get("to") == ("frame" if isinstance(bad, bytes) else None), error
        assert words["a"] and set(words["a"]) == {"iloveyou"}, words
        assert words["b"] and set(words["b"]) == {"thanks"}, words

        # An oversized message closes only that page's socket.
        with websockets.connect(server.ws_url, max_size=None) as c:
            _recv(c, "model")
            with pytest.raises(closed):  # the server may close before the send ends
                c.send(b"\xff\xd8" + b"\0" * (2 * images.MAX_FRAME_BYTES))
                for _ in range(10):
                    c.recv(timeout=10)
            assert c.close_code == 1009
        a.send(frames["iloveyou"][0])
        assert _recv(a, "result")["sentence"] == ["iloveyou"]
        b.send(json.dumps({"type": "clear"}))
        _recv(b, "cleared")
        b.send(frames["thanks"][0])
        assert _recv(b, "result")["sentence"] == []

        # A fourth page is turned away while three are open.
        _wait(lambda: _health(server)["sessions"] == 2)
        with websockets.connect(server.ws_url) as c, websockets.connect(server.ws_url) as d:
            msgs = [json.loads(d.recv(timeout=10))]
            assert msgs[0]["type"] in ("busy", "hello")
            if msgs[0]["type"] == "hello":  # c and d raced; one of them is the fourth
                msgs = [json.loads(c.recv(timeout=10)) for _ in range(1)]
                assert msgs[0]["type"] == "busy"
    # Closed pages free their state.
    _wait(lambda: _health(server)["sessions"] == 0)


def test_a_page_is_closed_after_max_bad_messages_in_a_row_and_a_good_one_starts_the_count_again(trained_model,
                                                                                               start_server):
    """MAX_BAD - 1 bad messages, a good frame, MAX_BAD - 1 bad messages again: each bad one is answered with an error
    and the page stays open (the good frame's result started the count again); one more bad message, the MAX_BAD-th
    in a row, closes the page (1008), and the server goes on serving other pages."""
    from signlstm.web.server import MAX_BAD

    server = start_server(trained_model)
    frame = clip_frames("iloveyou")[0]
    with websockets.connect(server.ws_url, max_size=None) as a:
        _recv(a, "model")
        for round_ in range(2):
            for _ in range(MAX_BAD - 1):
                a.send(b"not a jpeg")
                assert _recv(a, "error")["message"]
            if round_ == 0:
                a.send(frame)
                assert _recv(a, "result")["frame"] == 0
        a.send(frame)  # still open: answered
        assert _recv(a, "result")["frame"] == 1
        for _ in range(MAX_BAD - 1):
            a.send(b"not a jpeg")
            _recv(a, "error")
        a.send(b"not a jpeg")
        with pytest.raises(closed):
            for _ in range(5):
                a.recv(timeout=10)
        assert a.close_code == 1008
    with websockets.connect(server.ws_url, max_size=None) as b:
        _recv(b, "model")
        b.send(frame)
        assert _recv(b, "result")["frame"] == 0


def test_a_page_on_an_untrained_tutorial_model_is_told_so(shared, start_server):
    """The warning `live` prints for a tutorial file saved before training reaches the page too."""
    from signlstm.models.bundle import load_bundle

    server = start_server(load_bundle(shared("data", "legacy_models", "Atulkoirala__action.h5"),
                                      ["hello", "thanks", "iloveyou"]))
    with websockets.connect(server.ws_url) as ws:
        assert "this model looks untrained" in _recv(ws, "model")["warning"]


def test_record_then_adapt_switches_the_page_to_its_own_model(trained_model, start_server, tmp_path):
    """Signs the model knows, recorded from images: ``adapt`` fits the page's model to the visitor."""
    server = start_server(trained_model)
    data = tmp_path / "web_data"
    with websockets.connect(server.ws_url, max_size=None) as ws:
        _recv(ws, "model")
        for action, clip in (("iloveyou", "iloveyou"), ("thanks", "thanks")):
            frames = clip_frames(clip)
            ws.send(json.dumps({"type": "record", "name": "visitor", "action": action, "count": 1, "pause": 0}))
            assert _recv(ws, "recording")["phase"] == "recording"  # no pause
            saved = None
            for i in range(40):
                ws.send(frames[i % len(frames)])
                r = _recv(ws, "result")
                if r.get("recording", {}).get("saved"):
                    saved = r["recording"]
                    break
            assert saved and saved["phase"] == "done" and saved["counts"][action] == 1
        seq = data / "visitor" / "iloveyou" / "0"
        assert sorted(int(p.stem) for p in seq.glob("*.npy")) == list(range(30))
        assert np.load(seq / "5.npy").shape == (1662,)
        assert not list((data / "visitor").rglob(".partial-*"))

        ws.send(json.dumps({"type": "adapt", "name": "visitor"}))
        states = []
        while True:
            m = json.loads(ws.recv(timeout=300))
            if m["type"] == "model":
                model = m
            if m["type"] == "adapt":
                states.append(m)
                if m["state"] in ("done", "error"):
                    break
        assert states[-1]["state"] == "done", states[-1]
        assert any(s["state"] == "running" for s in states)
        assert model["labels"] == ["thanks", "iloveyou"] and model["adapted"]  # the recorded signs, as adapt keeps
        assert json.loads((list((tmp_path / "web_models").iterdir())[0] / "signlstm.json").read_text()
                          )["adapted"]["method"] == "top"
        ws.send(clip_frames("thanks")[0])
        r = _recv(ws, "result")
        assert r["probs"] is None  # a new window for the new model
    saved_models = list((tmp_path / "web_models").iterdir())
    assert len(saved_models) == 1 and (saved_models[0] / "signlstm.json").is_file()
    assert _health(server)["labels"] == ["hello", "thanks", "iloveyou"]  # other pages keep the server's model
    with websockets.connect(server.ws_url) as ws:  # the page opened again: what the visitor recorded before
        _recv(ws, "model")
        for name, expect in (("visitor", {"iloveyou": 1, "thanks": 1}), ("nobody", {})):
            ws.send(json.dumps({"type": "counts", "name": name}))
            assert _recv(ws, "counts") == {"type": "counts", "name": name, "counts": expect}
        ws.send(json.dumps({"type": "counts", "name": "../visitor"}))
        error = _recv(ws, "error")
        assert error["about"] == "counts" and "to" not in error


def test_adapt_without_recordings_says_so_at_once(trained_model, start_server):
    """A name with nothing recorded hears so in its first answer, without waiting for the adapt worker."""
    server = start_server(trained_model)
    with websockets.connect(server.ws_url) as ws:
        _recv(ws, "model")
        ws.send(json.dumps({"type": "adapt", "name": "nobody"}))
        m = _recv(ws, "adapt")
        assert m["state"] == "error" and "record some" in m["phase"], m


def test_keypoint_pages_get_their_own_words_and_recordings_hold_the_keypoints_sent(trained_model, start_server,
                                                                                   clip_keypoints, tmp_path):
    """The page's usual path: keypoints it computed, no image; replies echo the timestamp; a bad message hurts no
    one; a recording is the very keypoints sent (a message without every part is not recorded, and the page is told),
    and another page showing that name's counts is sent them."""
    from signlstm.web import protocol
    from signlstm.web.holistic_assets import holistic_dir

    server = start_server(trained_model)
    with websockets.connect(server.ws_url, max_size=None) as a, websockets.connect(server.ws_url, max_size=None) as b, \
            websockets.connect(server.ws_url, max_size=None) as c:
        _recv(c, "model")
        hello = _recv(a, "hello")  # the page finds its own landmarks when the server has @mediapipe/holistic to give
        assert hello["keypoints"] == protocol.describe() and hello["page_landmarks"] is (holistic_dir() is not None)
        mask = _recv(a, "model")["mask"]
        assert mask == protocol.mask_of(trained_model.meta["parts_read"])
        _recv(b, "model")
        words = {"a": [], "b": []}
        for i in range(75):
            for ws, key, clip in ((a, "a", "iloveyou"), (b, "b", "thanks")):
                K = clip_keypoints[clip]
                t = 1000.0 + 1000 * i / 30  # the page's clock, 30 frames a second
                ws.send(protocol.pack(K[i % len(K)], mask, t=t))
                r = _recv(ws, "result")
                assert r["t"] == t and r["frame"] == i and "points" not in r
                assert (r["probs"] is None) == (i < 29)
                if r["word"]:
                    words[key].append(r["word"])
            if i == 40:
                a.send(protocol.pack(clip_keypoints["iloveyou"][0], mask)[:-4])
                assert "declares 1 frame" in _recv(a, "error")["message"]
                a.send(protocol.pack(clip_keypoints["iloveyou"][0], protocol.mask_of(["face"])))
                assert "which the model reads" in _recv(a, "error")["message"]
        assert words["a"] and set(words["a"]) == {"iloveyou"}, words
        assert words["b"] and set(words["b"]) == {"thanks"}, words
        h = _health(server)
        assert h["messages"] == {"keypoints": 150, "images": 0, "refused": 2}, h

        K = clip_keypoints["thanks"]
        for name in ("visitor", "other"):  # page a shows visitor's counts, then page c another name's
            (a if name == "visitor" else c).send(json.dumps({"type": "counts", "name": name}))
            assert _recv(a if name == "visitor" else c, "counts")["counts"] == {}
        b.send(json.dumps({"type": "record", "name": "visitor", "action": "thanks", "count": 1, "pause": 0}))
        assert _recv(b, "recording")["phase"] == "recording"
        b.send(protocol.pack(K[0], mask, t=5000 - 1000 / 30))  # sent before the page knew it records: no face
        r = _recv(b, "result")["recording"]
        assert r["frame"] == 0 and r["note"] == ("a message without face is not recorded: a recording keeps every part "
                                                 "(the tutorial's 1662 values)"), r
        for i in range(30):
            b.send(protocol.pack(K[i], protocol.ALL, t=5000 + 1000 * i / 30))
            r = _recv(b, "result")
        assert r["recording"]["phase"] == "done" and r["recording"]["counts"] == {"thanks": 1}
        # the page showing visitor's counts is sent the new total; the one showing another name's is sent nothing
        assert _recv(a, "counts", timeout=10) == {"type": "counts", "name": "visitor", "counts": {"thanks": 1}}
        with pytest.raises(TimeoutError):
            c.recv(timeout=1)
    seq = tmp_path / "web_data" / "visitor" / "thanks" / "0"
    saved = np.stack([np.load(seq / f"{i}.npy") for i in range(30)])
    assert np.array_equal(saved, K[:30].astype(np.float32).astype(np.float64))


def test_a_recording_the_disk_cannot_take_stops_says_why_and_every_message_is_answered(trained_model, start_server,
                                                                                      clip_keypoints, tmp_path):
    """A sequence that cannot be written (this process may write no file over 5,000 bytes for a while, as a full disk
    refuses: the writes fail with EFBIG) stops the recording with one error saying so, about ``record``; every
    keypoint message is still answered, in order, the page goes on being recognised, and nothing half-written stays;
    the error names no folder of the server's disk."""
    import resource

    from signlstm.web import protocol
    from signlstm.web import server as srv

    server = start_server(trained_model)
    K = clip_keypoints["thanks"]
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    with websockets.connect(server.ws_url, max_size=None) as ws:
        _recv(ws, "model")
        ws.send(json.dumps({"type": "record", "name": "visitor", "action": "thanks", "count": 2, "pause": 0}))
        assert _recv(ws, "recording")["phase"] == "recording"
        answers = []
        # The writing thread is held, as on a slow disk, until messages after the sequence's end are recognised and
        # wait behind its write (the server reads srv.MAX_IN_FLIGHT unanswered messages of a page at most).
        slow_disk = threading.Event()
        queued = 30 + srv.MAX_IN_FLIGHT // 2
        server.engine.io.submit(slow_disk.wait)
        resource.setrlimit(resource.RLIMIT_FSIZE, (5000, hard))
        try:
            for i in range(40):
                ws.send(protocol.pack(K[i % len(K)], protocol.ALL, t=5000 + 1000 * i / 30))
            deadline = time.monotonic() + 60
            while server.engine.messages["keypoints"] < queued and time.monotonic() < deadline:
                time.sleep(0.02)
            slow_disk.set()
            while len(answers) < 40:
                m = json.loads(ws.recv(timeout=60))
                if m["type"] in ("result", "error"):
                    answers.append(m)
        finally:
            slow_disk.set()
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        for i in range(40, 43):  # the recording stopped: later frames are recognised, not recorded
            ws.send(protocol.pack(K[i % len(K)], protocol.ALL, t=5000 + 1000 * i / 30))
            later = _recv(ws, "result")
            assert "recording" not in later and later["probs"] is not None
    kinds = [m["type"] for m in answers]
    assert kinds == ["result"] * 29 + ["error"] + ["result"] * 10, kinds  # the 30th frame ends the sequence
    assert all("recording" not in m for m in answers[30:]), answers[30:]  # nor do the replies queued behind it
    error = answers[29]
    assert error["about"] == "record" and error["to"] == "frame" and error["message"].startswith(
        "the recording could not be saved, and stopped: "), error
    assert str(tmp_path) not in error["message"], error  # the page never learns where the server keeps its files
    folder = tmp_path / "web_data" / "visitor" / "thanks"
    assert not folder.exists() or not any(folder.iterdir()), list(folder.iterdir())


def test_signs_of_your_own_names_become_a_vocabulary(trained_model, start_server, clip_keypoints, tmp_path):
    """Signs the model does not know, named in any script with spaces, recorded from keypoints one after the other:
    adapting learns them as a vocabulary from the shipped trunk (``adapt --vocabulary``), which answers them and
    ``none``; the page then tells them apart."""
    from signlstm.web import protocol

    server = start_server(trained_model)
    names = {"thank you": "thanks", "我爱你": "iloveyou"}
    with websockets.connect(server.ws_url, max_size=None) as ws:
        _recv(ws, "model")
        i = 0
        for action, clip in names.items():
            K = clip_keypoints[clip]
            ws.send(json.dumps({"type": "record", "name": "visitor", "action": action, "count": 5, "pause": 0}))
            assert _recv(ws, "recording")["phase"] == "recording"
            while True:
                ws.send(protocol.pack(K[i % len(K)], protocol.ALL, t=1000 + 1000 * i / 30))
                i += 1
                r = _recv(ws, "result")
                if r["recording"]["phase"] == "done":
                    break
        assert r["recording"]["counts"] == {"thank you": 5, "我爱你": 5}
        ws.send(json.dumps({"type": "adapt", "name": "visitor"}))
        while True:
            m = json.loads(ws.recv(timeout=300))
            if m["type"] == "model":
                model = m
            if m["type"] == "adapt" and m["state"] in ("done", "error"):
                break
        assert m["state"] == "done", m
        # the vocabulary's check, after the note on the model's signs it does not answer (thanks is "thank you")
        assert [x for x in m["check"] if x.startswith("check: each recording named by a model fitted without it")]
        assert [x for x in m["check"] if x.startswith("the model's own sign(s) hello, iloveyou are not in the data")]
        assert model["labels"] == ["thank you", "我爱你", "none"] and model["reject"] == "none" and model["adapted"]
        saved = list((tmp_path / "web_models").iterdir())
        assert len(saved) == 1 and json.loads((saved[0] / "signlstm.json").read_text())["adapted"]["method"] == "vocab"
        for clip, label in (("iloveyou", "我爱你"), ("thanks", "thank you")):
            ws.send(json.dumps({"type": "clear"}))
            _recv(ws, "cleared")
            K = clip_keypoints[clip]
            tops = []
            for k in range(60):
                ws.send(protocol.pack(K[k % len(K)], model["mask"], t=1000 + 1000 * k / 30))
                r = _recv(ws, "result")
                if r["probs"] is not None:
                    tops.append(model["labels"][int(np.argmax(r["probs"][:2]))])
            assert tops.count(label) > 0.8 * len(tops), (clip, tops)


def test_sign_names_that_would_be_invisible_reserved_or_two_spellings_of_one(trained_model, start_server, tmp_path):
    """`none` (any case), names with nothing visible (a Hangul filler), a joiner at either end (a second "hello"), a
    line separator, a Windows device name (COM with a superscript digit too) or a lone surrogate are refused; an
    emoji with its variation selector or joiner and a Persian word with its non-joiner are names; the two Unicode
    spellings of é are one folder."""
    from signlstm.sign_names import page_name_problem

    assert all(page_name_problem(n) for n in ("none", "NONE", "\u0301", "\u2800", "a\u2028b", " x", "a/b", "a?",
                                              "x" * 41, "CON", "nul.txt", "Com1", "a.", "COM\u00b9", "lpt\u00b2.txt",
                                              "CONIN$", "conout$", "LPT0", "\u3164", "\u115f\ufe0f", "hello\u200d",
                                              "\u200chello"))
    assert not any(page_name_problem(n) for n in ("hello", "thank you", "é", "我爱你", "ñandú", "x" * 40, "cone",
                                                  "com10", "a.b", "A.I", "\u2764\ufe0f", "\U0001f44b\u200d\u2642",
                                                  "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"))
    server = start_server(trained_model)
    with websockets.connect(server.ws_url) as ws:
        _recv(ws, "model")
        for action, said in (("None", "is the answer for anything that is not one of your signs"),
                             ("\u2800", "has no visible character"), ("a" * 41, "the page takes at most 40"),
                             ("\ud800", "is not valid text")):  # a lone surrogate: refused, the socket kept
            ws.send(json.dumps({"type": "record", "name": "v", "action": action, "count": 1, "pause": 0}))
            message = _recv(ws, "error")["message"]
            assert message.startswith("action: '") and said in message, message
        ws.send(json.dumps({"type": "record", "name": "aux", "action": "hello", "count": 1, "pause": 0}))
        assert "device name on Windows" in _recv(ws, "error")["message"]  # a person's folder, too
        for action in ("e\u0301", "\u00e9"):  # decomposed, then composed: one sign
            ws.send(json.dumps({"type": "record", "name": "v", "action": action, "count": 1, "pause": 0}))
            assert _recv(ws, "recording")["action"] == "\u00e9"


def test_a_text_message_that_is_not_utf8_closes_that_page_with_one_log_line(trained_model, start_server, caplog):
    """A text frame whose bytes are not UTF-8 closes that page's socket with 1007 (invalid data); the server's log
    says so in one line, without the traceback of uvicorn's decoding; other pages go on."""
    import logging

    from websockets.exceptions import ConnectionClosed

    server = start_server(trained_model)
    uvicorn_log = logging.getLogger("uvicorn.error")  # uvicorn's own loggers do not reach the root logger
    uvicorn_log.addHandler(caplog.handler)
    try:
        with websockets.connect(server.ws_url) as other, websockets.connect(server.ws_url) as bad:
            _recv(other, "model"), _recv(bad, "model")
            bad.send(b"\xff\xfe{}", text=True)
            with pytest.raises(ConnectionClosed):
                for _ in range(10):
                    bad.recv(timeout=10)
            assert bad.close_code == 1007
            other.send(json.dumps({"type": "ping"}))
            _recv(other, "pong")
    finally:
        uvicorn_log.removeHandler(caplog.handler)
    said = [r for r in caplog.records if "UTF-8" in r.getMessage()]
    assert len(said) == 1 and said[0].exc_info is None and not said[0].exc_text, said


def test_a_keypoint_header_with_its_reserved_field_set_is_named_so():
    from signlstm.web import protocol

    data = bytearray(protocol.pack(np.zeros((1, 1662), np.float32), protocol.ALL, t=0))
    data[6:8] = (1).to_bytes(2, "little")
    with pytest.raises(protocol.BadMessage, match="reserved header field"):
        protocol.unpack(bytes(data), protocol.ALL)


def test_adapt_requests_arriving_together_are_counted_as_they_are_taken(trained_model, tmp_path, caplog):
    """MAX_ADAPTING + 1 pages ask to adapt before any adapt task has run (requests handled in one turn of the event
    loop): MAX_ADAPTING are taken and counted at once, the last is refused naming the count; each job counts out
    once it has ended (here: nobody's folder holds no recording, each page is told so, and nothing is logged)."""
    import asyncio

    engine = eng.Engine(trained_model, data=tmp_path / "web_data", models=tmp_path / "web_models")
    (tmp_path / "web_data" / "nobody").mkdir(parents=True)
    sessions = [engine.open() for _ in range(eng.MAX_ADAPTING + 1)]
    heard = {s: [] for s in sessions}

    async def run():
        refused = []
        for s in sessions:
            async def send(m, s=s):
                heard[s].append(m)

            try:
                await s.adapt("nobody", send)
            except eng.BadMessage as e:
                refused.append((s, str(e)))
        assert engine.adapting == eng.MAX_ADAPTING
        assert refused == [(sessions[-1], f"the server has {eng.MAX_ADAPTING} adaptations waiting or running, the "
                                          "most it takes; try again in a minute")]
        await asyncio.wait([s.adapt_task for s in sessions[:-1]], timeout=120)
        return engine.adapting

    try:
        assert asyncio.run(run()) == 0
    finally:
        engine.shutdown()
    for s in sessions[:-1]:
        assert heard[s][-1]["state"] == "error" and "could be read" in heard[s][-1]["phase"], heard[s][-1]
    assert heard[sessions[-1]] == []
    import gc

    del engine, sessions, heard, s  # a failed job's future whose error nobody read is logged as it is collected
    gc.collect()
    assert "never retrieved" not in caplog.text and "Traceback" not in caplog.text, caplog.text


def test_pages_that_leave_while_adapting_drop_their_waiting_jobs_quietly(trained_model, start_server, clip_keypoints,
                                                                         tmp_path, caplog, monkeypatch):
    """Six pages ask to adapt and leave: the first leaves with its job running, which finishes (its model is saved)
    and is counted until then; the five after it wait behind it, leave, and are dropped (never run); the count of jobs
    returns to 0, and nothing is logged about a page that is gone."""
    from signlstm.datasets.sequence_writer import SequenceWriter

    writer = SequenceWriter(tmp_path / "web_data" / "leaver")
    for action in ("iloveyou", "thanks"):
        K = clip_keypoints[action]
        for k in range(3):
            writer.write(action, K[k:k + 30])
    models = tmp_path / "web_models"

    def saved():
        return sorted(models.iterdir()) if models.exists() else []

    # the running job waits until the test has seen the five counted out, however fast it would adapt
    counted_out = threading.Event()
    job = adapted.adapt_job

    def held_job(*args):
        counted_out.wait(120)
        return job(*args)

    monkeypatch.setattr(adapted, "adapt_job", held_job)
    server = start_server(trained_model)
    with websockets.connect(server.ws_url) as ws:
        _recv(ws, "model")
        ws.send(json.dumps({"type": "adapt", "name": "leaver"}))
        while _recv(ws, "adapt")["state"] != "running":
            pass
    first = []
    for _ in range(5):
        with websockets.connect(server.ws_url) as ws:
            _recv(ws, "model")
            ws.send(json.dumps({"type": "adapt", "name": "leaver"}))
            first.append(_recv(ws, "adapt")["state"])  # then the page closes
    # Until the first job's model is saved, that job is running: the count holds it. The five others were queued
    # behind it; once they are counted out (the count at 1 while nothing is saved) they were dropped unrun.
    dropped = False
    end = time.monotonic() + 180
    while True:
        adapting = _health(server)["adapting"]
        if saved():
            break
        assert adapting >= 1, "the count fell to 0 before the job of the page that left had saved its model"
        dropped = dropped or adapting == 1
        if dropped:
            counted_out.set()
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)
    assert dropped, f"the first job ended before the five waiting ones were counted out (their first states: {first})"
    assert first == ["waiting"] * 5
    _wait(lambda: _health(server)["adapting"] == 0, timeout=180)
    assert [p.name.split("-")[0] for p in saved()] == ["leaver"]  # the running job's, and no other ever ran
    assert (saved()[0] / "signlstm.json").is_file()
    assert "never retrieved" not in caplog.text and "Traceback" not in caplog.text


def test_camera_frames_reach_the_recognizer_at_30_a_second_made_from_the_times_the_page_took_them(trained_model,
                                                                                                  start_server, shared):
    """The fallback page whose camera gives 15 frames a second (the iloveyou clip as such a camera sees it) sends
    each frame with the time it took it: the recognizer sees the frames :class:`~signlstm.keypoints.resample.Resample`
    makes of them at 30 a second, as ``live`` does for a 15 fps source. Its 30-frame window (a second) is full at the
    16th frame, each reply has the probabilities and word of a recognizer fed those frames, and the sign is named. A
    frame taken earlier than the one before adds nothing; one taken a minute later adds one frame, none made up
    between."""
    from signlstm.recognizer import Recognizer
    from signlstm.keypoints.resample import Resample
    from signlstm.frames.sources import open_source
    from signlstm.web import protocol
    from signlstm.web.conftest import CLIPS

    with open_source(str(shared("media", CLIPS["iloveyou"]))) as src:
        clip_fps = src.fps
    frames = clip_frames("iloveyou")
    sent = [frames[int(i * clip_fps / 15) % len(frames)] for i in range(75)]  # 5 s of a 15 fps camera
    times = [90_000.0 + 1000 * i / 15 for i in range(len(sent))]  # the page's clock, milliseconds
    early, late = (frames[0], times[-1] - 500), (frames[1], times[-1] + 60_000)
    # What the recognizer should see: the server's landmark steps over the same frames, made into 30 a second.
    detect = eng._holistic(trained_model.reads_face)
    keypoints = [detect(images.decode_frame(b)) for b in sent + [early[0], late[0]]]
    detect.close()

    server = start_server(trained_model)
    rec, resample = Recognizer(trained_model, **server.engine.options), Resample()
    expect = []
    for k, t in zip(keypoints, times):
        step, word = None, None
        for f in resample(t / 1000, k):
            step = rec.update(f)
            word = step.word or word
        expect.append((step.probs, word))
    assert rec.frames == 2 * len(sent) - 1
    with websockets.connect(server.ws_url, max_size=None) as ws:
        _recv(ws, "model")
        said = []
        for i, (b, t) in enumerate(zip(sent, times)):
            ws.send(pack_image(b, t))
            r = _recv(ws, "result")
            assert r["t"] == t and r["frame"] == i and r["points"]["pose"]
            probs, word = expect[i]
            assert (r["probs"] is None) == (probs is None) == (i < 15), i
            if probs is not None:
                assert np.allclose(r["probs"], probs, atol=2e-4), i
            assert r["word"] == word, i
            said += [word] if word else []
        assert said and set(said) == {"iloveyou"}, said
        ws.send(pack_image(*early))  # earlier than the frame before: nothing is due
        r = _recv(ws, "result")
        assert r["word"] is None and np.allclose(r["probs"], expect[-1][0], atol=2e-4) and r["frame"] == len(sent)
        ws.send(pack_image(late[0], late[1]))  # a minute later: one frame, as a first frame
        r = _recv(ws, "result")
        assert np.allclose(r["probs"], rec.update(keypoints[-1]).probs, atol=2e-4)
        ws.send(pack_image(late[0], late[1] + 10)[:12])
        error = _recv(ws, "error")
        assert "shorter than its 16-byte header" in error["message"] and error["to"] == "frame"
    assert _health(server)["messages"] == {"keypoints": 0, "images": len(sent) + 2, "refused": 1}


def test_camera_frame_pages_are_capped_by_workers(trained_model, start_server):
    """Each page whose camera frames the server landmarks holds its own MediaPipe graph: with --workers 1, two such
    pages at once; a third is told why (before its frame is decoded: a broken one is refused for the place too), and
    gets its place when one leaves; a broken frame takes no place."""
    server = start_server(trained_model, workers=1)
    frame = clip_frames("iloveyou")[0]
    with websockets.connect(server.ws_url, max_size=None) as a, websockets.connect(server.ws_url, max_size=None) as b:
        for ws in (a, b):
            _recv(ws, "model")
            ws.send(frame)
            _recv(ws, "result")
        with websockets.connect(server.ws_url, max_size=None) as c:
            _recv(c, "model")
            c.send(frame)
            assert "2 pages at most" in _recv(c, "error")["message"]
            c.send(b"\xff\xd8 not a JPEG")  # refused for the place, before any decoding would find it broken
            assert "2 pages at most" in _recv(c, "error")["message"]
        a.close()
        _wait(lambda: _health(server)["image_pages"] == 1)
        with websockets.connect(server.ws_url, max_size=None) as d:
            _recv(d, "model")
            d.send(b"\xff\xd8 not a JPEG")
            assert "JPEG" in _recv(d, "error")["message"] and _health(server)["image_pages"] == 1
            d.send(frame)
            assert _recv(d, "result")["probs"] is None  # landmarked: the window is filling


def test_a_camera_frame_page_whose_landmark_graph_fails_to_start_gives_back_its_place(trained_model, start_server,
                                                                                     monkeypatch):
    """With --workers 1 (two camera-frame pages at most) and one such page holding a place: a second page's first
    frame takes the other place while its landmark graph starts (the health count says 2), the graph fails (faked: the
    engine's detector maker raises once the count is seen), and the page gives back its own place and no other (the
    count is 1 again, and stays 1 when it leaves), so the server is not left with a place no page holds."""
    server = start_server(trained_model, workers=1)
    frame = clip_frames("iloveyou")[0]
    starting, fail = threading.Event(), threading.Event()

    def failing():
        starting.set()
        assert fail.wait(60)
        raise RuntimeError("no graph today")

    with websockets.connect(server.ws_url, max_size=None) as holder:
        _recv(holder, "model")
        holder.send(frame)
        _recv(holder, "result")
        assert _health(server)["image_pages"] == 1
        monkeypatch.setattr(server.engine, "detector", failing)
        with websockets.connect(server.ws_url, max_size=None) as ws:
            _recv(ws, "model")
            ws.send(frame)
            assert starting.wait(60)
            assert _health(server)["image_pages"] == 2  # the place is taken while the graph starts
            fail.set()
            try:
                while json.loads(ws.recv(timeout=60))["type"] not in ("result", "error"):
                    pass
            except closed:  # the server may answer the failure by closing the connection
                pass
            _wait(lambda: _health(server)["image_pages"] == 1)
        time.sleep(0.5)  # the failed page's leaving gives back nothing more
        assert _health(server)["image_pages"] == 1
    _wait(lambda: _health(server)["image_pages"] == 0)


def test_a_sign_differing_only_in_case_from_a_recorded_one_is_refused_where_the_disk_merges_them(
        trained_model, start_server, monkeypatch):
    """On a disk that takes Hello and hello for one folder (macOS, Windows: the engine's reading of its disk is
    faked here, this disk keeps them apart), recording hello beside a recorded Hello is refused, naming it, and so is
    bye while another page records Bye for the same person (until it stops); on this disk they are two signs."""
    server = start_server(trained_model)
    assert server.engine.ignores_case is False  # what this disk was found to do
    (server.engine.data / "v" / "Hello" / "0").mkdir(parents=True)
    with websockets.connect(server.ws_url) as ws:
        _recv(ws, "model")
        for action in ("hello", "Hello"):  # this disk: two signs
            ws.send(json.dumps({"type": "record", "name": "v", "action": action, "count": 1, "pause": 0}))
            assert _recv(ws, "recording")["action"] == action
        ws.send(json.dumps({"type": "cancel"}))
        _recv(ws, "recording")
        monkeypatch.setattr(server.engine, "ignores_case", True)
        ws.send(json.dumps({"type": "record", "name": "v", "action": "hello", "count": 1, "pause": 0}))
        message = _recv(ws, "error")["message"]
        assert message.startswith("action: 'hello' differs only in case from 'Hello', already recorded"), message
        ws.send(json.dumps({"type": "record", "name": "v", "action": "Hello", "count": 1, "pause": 0}))
        assert _recv(ws, "recording")["action"] == "Hello"  # the name recorded before, as it was written
        ws.send(json.dumps({"type": "record", "name": "v", "action": "Bye", "count": 1, "pause": 0}))
        assert _recv(ws, "recording")["action"] == "Bye"  # nothing recorded yet under any case of it
        with websockets.connect(server.ws_url) as other:  # a second page, while the first still records Bye
            _recv(other, "model")
            other.send(json.dumps({"type": "record", "name": "V", "action": "bye", "count": 1, "pause": 0}))
            message = _recv(other, "error")["message"]
            assert message.startswith("action: 'bye' differs only in case from 'Bye', being recorded on another "
                                      "page"), message
            ws.send(json.dumps({"type": "cancel"}))
            _recv(ws, "recording")
            other.send(json.dumps({"type": "record", "name": "V", "action": "bye", "count": 1, "pause": 0}))
            assert _recv(other, "recording")["action"] == "bye"  # the first page no longer records it


def test_a_page_recording_a_sign_may_switch_to_it_in_another_case_where_the_disk_merges_them(
        trained_model, start_server, monkeypatch):
    """On a disk that takes Bye and bye for one folder (faked, as above), a page recording Bye that asks to record
    bye instead: the real outcome is that it records bye (its own recording, which the new one replaces, is no other
    page's), while nothing is on disk under any case of it."""
    server = start_server(trained_model)
    monkeypatch.setattr(server.engine, "ignores_case", True)
    with websockets.connect(server.ws_url) as ws:
        _recv(ws, "model")
        ws.send(json.dumps({"type": "record", "name": "v", "action": "Bye", "count": 1, "pause": 0}))
        assert _recv(ws, "recording")["action"] == "Bye"
        ws.send(json.dumps({"type": "record", "name": "v", "action": "bye", "count": 1, "pause": 0}))
        while (m := json.loads(ws.recv(timeout=60)))["type"] not in ("recording", "error"):
            pass
        assert m["type"] == "recording" and m["action"] == "bye", m


def test_a_recording_of_the_most_sequences_and_the_longest_pause_is_taken_and_one_more_is_refused(
        trained_model, start_server):
    """The bounds of a "record" request: the real outcome is that 50 sequences (MAX_SEQUENCES) with a 10-second
    pause start recording, while 51 sequences, or a pause of 10.5 s, is refused naming the bound."""
    server = start_server(trained_model)

    def reply(ws):
        while (m := json.loads(ws.recv(timeout=60)))["type"] not in ("recording", "error"):
            pass
        return m

    with websockets.connect(server.ws_url) as ws:
        _recv(ws, "model")
        ws.send(json.dumps({"type": "record", "name": "v", "action": "hello", "count": 50, "pause": 10}))
        m = reply(ws)
        assert m["type"] == "recording" and m["action"] == "hello", m
        ws.send(json.dumps({"type": "cancel"}))
        _recv(ws, "recording")
        ws.send(json.dumps({"type": "record", "name": "v", "action": "hello", "count": 51, "pause": 0}))
        m = reply(ws)
        assert m["type"] == "error" and "count: a whole number from 1 to 50" in m["message"], m
        ws.send(json.dumps({"type": "record", "name": "v", "action": "hello", "count": 1, "pause": 10.5}))
        m = reply(ws)
        assert m["type"] == "error" and "pause: 0 to 10 seconds" in m["message"], m


def test_a_control_message_is_bounded_in_bytes_not_letters(trained_model, start_server):
    """A JSON control message of 2,100 letters ñ (2 bytes each in UTF-8, 4,200+ bytes, fewer than 4,096 letters): the
    real outcome is that it is refused as over MAX_TEXT_BYTES (4,096) bytes, and the page is still answered."""
    server = start_server(trained_model)
    with websockets.connect(server.ws_url) as ws:
        _recv(ws, "model")
        text = json.dumps({"type": "clear", "note": "\u00f1" * 2100}, ensure_ascii=False)
        assert len(text) < 4096 < len(text.encode())
        ws.send(text)
        assert "control message over 4096 bytes" in _recv(ws, "error")["message"]


def test_another_sites_page_and_a_rebound_name_are_refused_and_the_own_page_is_answered(trained_model, start_server):
    """A browser names the page that opens a connection in Origin, and any site may open one to 127.0.0.1: a
    WebSocket from another site's page is refused before it is accepted (nothing recorded), as is a request whose Host
    is not a loopback name (a site's name pointed at 127.0.0.1); the server's own page, and clients that are no
    browser (no Origin), are answered."""
    import socket
    import urllib.error

    from websockets.exceptions import InvalidStatus

    server = start_server(trained_model)
    own = f"http://127.0.0.1:{server.port}"
    for origin in ("https://evil.example", f"http://localhost:{server.port}", f"http://127.0.0.1:{server.port + 1}"):
        with pytest.raises(InvalidStatus) as refused:
            websockets.connect(server.ws_url, origin=origin)
        assert refused.value.response.status_code == 403, origin
    rebound = urllib.request.Request(server.url + "/api/health", headers={"Host": f"attacker.example:{server.port}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(rebound, timeout=10)
    assert refused.value.code == 403 and b"is not a loopback name" in refused.value.read()
    # the same name on a WebSocket, from a page of that name (its own origin): refused before it is accepted
    rebound_ws = server.ws_url.replace("127.0.0.1", "attacker.example")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        with pytest.raises(InvalidStatus) as refused:
            websockets.connect(rebound_ws, sock=sock, origin=f"http://attacker.example:{server.port}")
    assert refused.value.response.status_code == 403  # (a refused WebSocket has no body; the log names the Host)
    for header, value in (("Host", "[::1"), ("Origin", "http://[x"), ("Host", "localhost:abc"),
                          ("Host", "evil.example@localhost"), ("Host", "localhost/evil")):  # no address: refused
        malformed = urllib.request.Request(server.url + "/api/health", headers={header: value})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(malformed, timeout=10)
        assert refused.value.code == 403 and b"is not a" in refused.value.read(), header
    local = urllib.request.Request(server.url + "/api/health", headers={"Host": f"localhost:{server.port}"})
    with urllib.request.urlopen(local, timeout=10) as r:
        health = json.load(r)
    assert health["sessions"] == 0  # no refused connection was opened as a page
    assert health["model"] == trained_model.path.name  # outside the server's working folder: its name alone
    for origin in (own, None):
        with websockets.connect(server.ws_url, origin=origin) as ws:
            assert _recv(ws, "model")["name"] == trained_model.path.name
            ws.send(json.dumps({"type": "record", "name": "v", "action": "hello", "count": 1, "pause": 0}))
            assert _recv(ws, "recording")["action"] == "hello"


def test_a_recording_the_disk_has_no_room_for_beside_its_reserve_is_refused_before_it_starts(trained_model, tmp_path,
                                                                                             monkeypatch):
    """With 1 MB free above the reserve (the disk's free space is the one thing faked), two sequences (806 kB as
    float64 frame files) may be recorded, three are refused naming the free space; nothing is started."""
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(2**40, 2**40 - recordings.DISK_RESERVE - 2**20,
                                                                 recordings.DISK_RESERVE + 2**20))
    engine = eng.Engine(trained_model, data=tmp_path / "web_data", models=tmp_path / "web_models")
    try:
        page = engine.open()
        with pytest.raises(eng.BadMessage, match=r"count: the server's disk has 105\.9 MB free; 3 sequence\(s\) need"):
            page.record("v", "hello", 3, 0)
        assert page.recorder is None
        assert page.record("v", "hello", 2, 0)["phase"] == "recording"
    finally:
        engine.shutdown()


def test_a_message_of_many_frames_is_answered_with_its_last_word_and_a_model_switch_keeps_the_sentence(
        trained_model, clip_keypoints, tmp_path):
    """A keypoint message may carry several frames: its reply gives the last word any of them said (and the sentence
    all of them). A page switched to another model (after adapting) keeps the sentence it had."""
    from signlstm import layout

    engine = eng.Engine(trained_model, data=tmp_path / "web_data", models=tmp_path / "web_models")
    try:
        s = engine.open()
        rest = layout.without_hands(clip_keypoints["thanks"][:10])
        frames = np.concatenate([clip_keypoints["iloveyou"]] * 2 + [rest] + [clip_keypoints["thanks"]] * 2 + [rest])
        reply = s.steps(frames, {})
        assert reply["sentence"][-2:] == ["iloveyou", "thanks"] and reply["word"] == "thanks", reply["sentence"]
        said = list(reply["sentence"])
        s.use(trained_model)
        assert list(s.recognizer.sentence) == said
        assert s.steps(rest, {})["sentence"] == said
    finally:
        engine.shutdown()


def test_every_loopback_name_and_address_is_answered_on_a_loopback_server_and_no_other_name():
    """A server on loopback only answers a request whose Host is a loopback name or address (``localhost`` in any
    case, any ``*.localhost`` name, which resolves to the loopback, 127.0.0.0/8, ``[::1]``), with or without a port,
    and refuses any other name, even one that starts or ends like a loopback name."""
    from starlette.datastructures import Headers

    from signlstm.web.origin import request_problem

    for host in ("localhost", "LOCALHOST:8765", "app.localhost:8765", "127.0.0.2", "[::1]:8765"):
        assert request_problem(Headers({"host": host}), loopback_only=True) is None, host
        assert request_problem(Headers({"host": host, "origin": f"http://{host}"}), loopback_only=True) is None, host
    for host in ("example.com", "localhost.example:8765", "mylocalhost", "10.0.0.1"):
        assert "is not a loopback name" in request_problem(Headers({"host": host}), loopback_only=True), host
        assert request_problem(Headers({"host": host}), loopback_only=False) is None, host


@pytest.fixture(scope="module")
def shipped():
    """The shipped model, loaded once for this module's tests that need a model but none of its words."""
    from signlstm.models.bundle import load_bundle

    return load_bundle()


def test_a_page_closed_for_bad_keypoint_messages_sent_far_ahead_of_their_replies_gives_back_its_place(shipped,
                                                                                                    start_server):
    """A page that sends bad keypoint messages many at once (more than MAX_IN_FLIGHT ahead of their replies) is closed
    at the MAX_BAD-th refusal (1008) while it waits for room to send more: its place is given back (the server's count
    of open pages falls to 0), so pages doing so one after another never fill a server of one place."""
    from signlstm.web import protocol
    from signlstm.web.server import MAX_BAD, MAX_IN_FLIGHT

    server = start_server(shipped, max_clients=1)
    bad = protocol.HEADER.pack(protocol.MAGIC, protocol.VERSION, 0, 1, 0, 0.0)  # part mask 0: refused
    for _ in range(3):
        with websockets.connect(server.ws_url) as ws:
            _recv(ws, "model")
            with pytest.raises(closed):  # the server may close before the sending ends
                for _ in range(10 * MAX_BAD + MAX_IN_FLIGHT):
                    ws.send(bad)
                while True:
                    ws.recv(timeout=10)
            assert ws.close_code == 1008
        _wait(lambda: _health(server)["sessions"] == 0)


def test_a_page_sending_control_messages_without_end_is_read_at_its_pace_and_holds_up_no_other(shipped, start_server):
    """A page sending CONTROL_BURST + 2 x CONTROL_RATE pings at once gets every pong, the last ones at CONTROL_RATE a
    second after the burst (two seconds at least); another page's ping sent just after them is answered before them.
    (Read as fast as they come, a flood of them would keep the event loop from every other page.)"""
    from signlstm.web.server import CONTROL_BURST, CONTROL_RATE

    server = start_server(shipped)
    n = CONTROL_BURST + 2 * CONTROL_RATE
    ping = json.dumps({"type": "ping"})
    with websockets.connect(server.ws_url) as a, websockets.connect(server.ws_url) as b:
        _recv(a, "model"), _recv(b, "model")
        t0 = time.monotonic()
        for _ in range(n):
            a.send(ping)
        b.send(ping)
        _recv(b, "pong")
        other = time.monotonic() - t0
        for _ in range(n):
            _recv(a, "pong")
        paced = time.monotonic() - t0
    assert paced >= 0.95 * (n - CONTROL_BURST) / CONTROL_RATE, paced
    assert other < paced / 2, (other, paced)


def test_a_page_that_leaves_with_control_messages_unread_is_read_no_further_and_logs_nothing(shipped, start_server,
                                                                                             caplog):
    """A client that sends 20,000 pings at once and resets its connection: the server stops reading it at the first
    pong it cannot send (its place is given back at once) and its log stays quiet (every pong written to the lost
    connection would log asyncio's "socket.send() raised exception.")."""
    import base64
    import socket
    import struct

    server = start_server(shipped)
    with socket.create_connection(("127.0.0.1", server.port)) as s:
        key = base64.b64encode(os.urandom(16))
        s.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (server.port, key))
        s.settimeout(10)
        got = b""
        while b"\r\n\r\n" not in got:
            got += s.recv(4096)
        assert got.startswith(b"HTTP/1.1 101"), got
        _wait(lambda: _health(server)["sessions"] == 1)
        ping = b'{"type":"ping"}'
        s.sendall((struct.pack("!BB", 0x81, 0x80 | len(ping)) + bytes(4) + ping) * 20_000)  # masked with zeros
        time.sleep(0.2)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # closed with a reset
    _wait(lambda: _health(server)["sessions"] == 0, timeout=10)
    time.sleep(1)
    said = [r.getMessage() for r in caplog.records if r.levelno >= 30]
    assert not said, said[:3]


def test_clients_that_do_not_read_the_wheels_packed_models_hold_no_copy_of_them(shipped, start_server, monkeypatch):
    """With the wheel's models (SIGNLSTM_PAGE_MODELS=wheel) the packed models (17 MB, built in memory) go out in
    pieces: 12 clients that ask for them and read nothing add less than 50 MB to the server's memory (one body in
    a single write would leave a copy of the 17 MB in each connection's buffer), and a client that reads gets every
    byte."""
    import socket

    from signlstm.web import holistic_assets as assets

    folder, wheel = assets.holistic_dir(), assets.wheel_models()
    if folder is None or wheel is None:
        unavailable("node_modules/@mediapipe/holistic (npm ci) or the mediapipe wheel is missing")
    monkeypatch.setenv("SIGNLSTM_PAGE_MODELS", "wheel")
    server = start_server(shipped)
    data = assets.packed_assets(folder, wheel)[1]
    url = f"/holistic/{assets.PACKED}.data"

    def rss() -> int:
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS"))

    before = rss()
    clients = []
    try:
        for _ in range(12):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", server.port))
            s.sendall(f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
            clients.append(s)
        time.sleep(3)
        grown = rss() - before
    finally:
        for s in clients:
            s.close()
    assert grown < 50e6, f"{grown / 1e6:.0f} MB"
    with urllib.request.urlopen(server.url + url, timeout=60) as r:
        assert r.headers["Content-Length"] == str(len(data)) and r.read() == data


def test_the_pages_mediapipe_folder_serves_only_the_files_the_page_loads(shipped, start_server, tmp_path):
    """``/holistic/`` serves the files of @mediapipe/holistic the page's runtime fetches (HOLISTIC_FILES) and nothing
    else of its folder: not the package's own files, the other pose models, or whatever else ``--holistic DIR``
    holds."""
    import urllib.error

    from signlstm.web.holistic_assets import HOLISTIC_FILES

    folder = tmp_path / "holistic"
    (folder / "sub").mkdir(parents=True)
    others = ("package.json", "README.md", "index.d.ts", "pose_landmark_lite.tflite", "pose_landmark_heavy.tflite",
              "holistic_solution_simd_wasm_bin.data", "sub/notes.txt")
    for name in HOLISTIC_FILES + others:
        (folder / name).write_text(f"the bytes of {name}")
    server = start_server(shipped, holistic=folder)
    for name in HOLISTIC_FILES:
        with urllib.request.urlopen(f"{server.url}/holistic/{name}", timeout=10) as r:
            assert r.read() == f"the bytes of {name}".encode(), name
    for name in others + ("", "sub/", "sub/../package.json"):
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(f"{server.url}/holistic/{name}", timeout=10)
        assert e.value.code == 404, name


def test_a_page_that_sent_nothing_for_long_gives_its_place_to_a_new_one_when_all_are_taken(shipped, start_server):
    """All places taken (2): a new page gets the place of the page that has sent nothing for ``idle`` seconds or more,
    which is told why and closed (1013); a page heard from lately keeps its place, and with no page idle that long
    the next one is turned away as before."""
    server = start_server(shipped, max_clients=2, idle=5.0)
    with websockets.connect(server.ws_url) as a, websockets.connect(server.ws_url) as b:
        _recv(a, "model")
        _recv(b, "model")
        time.sleep(5.5)
        b.send('{"type": "ping"}')  # b is heard from; a has sent nothing for 5.5 s
        _recv(b, "pong")
        with websockets.connect(server.ws_url) as c:
            _recv(c, "model")  # a gave its place
            said = _recv(a, "idle", timeout=10)["message"]
            assert "sent nothing for 6 s and gave its place to a new page" in said or \
                "sent nothing for 5 s and gave its place to a new page" in said, said
            with pytest.raises(closed):
                a.recv(timeout=10)
            assert a.close_code == 1013
            with websockets.connect(server.ws_url) as d:  # b and c were heard from within 5 s: no place for d
                assert "already has 2 pages open" in _recv(d, "busy")["message"]
            b.send('{"type": "ping"}')
            _recv(b, "pong")
            assert _health(server)["sessions"] == 2


def test_a_connection_that_sends_no_whole_request_head_is_closed_within_the_keep_alive_timeout(shipped, start_server):
    """A connection that sends nothing, half a request head, or half of its second request's head, is closed within
    uvicorn's keep-alive timeout (5 s), as one idle between requests is: such connections would otherwise stay open
    for ever (2,000 of them, each a file the server holds open). A page's WebSocket stays open past it."""
    import socket

    server = start_server(shipped)
    half = f"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUser-Agent: ".encode()
    whole = f"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
    clients = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(3)]
    try:
        clients[1].sendall(half)
        clients[2].sendall(whole)
        got = b""
        while b"\r\n\r\n" not in got or not got.rstrip().endswith(b"}"):  # the first response, whole
            got += clients[2].recv(65536)
        assert got.startswith(b"HTTP/1.1 200"), got[:100]
        clients[2].sendall(half)
        with websockets.connect(server.ws_url) as page:
            _recv(page, "model")
            t0 = opened = time.monotonic()
            for s in clients:
                s.settimeout(20)
                while True:
                    data = s.recv(65536)  # (the second client's first response, if any, then the end)
                    if not data:
                        break
            assert time.monotonic() - t0 < 15
            time.sleep(max(0.0, 6 - (time.monotonic() - opened)))
            page.send('{"type": "ping"}')  # the page's WebSocket, open as long, is not closed
            _recv(page, "pong")
    finally:
        for s in clients:
            s.close()


def _raw_ws(server):
    """A socket past the WebSocket handshake with ``server``'s /ws (frames are sent by hand, masked with zeros)."""
    import base64
    import socket

    s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    key = base64.b64encode(os.urandom(16))
    s.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              b"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (server.port, key))
    got = b""
    while b"\r\n\r\n" not in got:
        got += s.recv(4096)
    assert got.startswith(b"HTTP/1.1 101"), got
    return s


def _frame(opcode: int, fin: bool, payload: bytes = b"") -> bytes:
    import struct

    assert len(payload) < 126
    return struct.pack("!BB", opcode | (0x80 if fin else 0), 0x80 | len(payload)) + bytes(4) + payload


def _read_until(s, what: bytes | None, timeout: float) -> bytes:
    """What the server sends ``s`` until it has sent ``what`` or closed the connection (``timeout`` seconds at
    most)."""
    import socket

    got, end = b"", time.monotonic() + timeout
    with contextlib.suppress(ConnectionResetError, socket.timeout):
        while (left := end - time.monotonic()) > 0 and (what is None or what not in got):
            s.settimeout(left)
            if not (piece := s.recv(65536)):
                break
            got += piece
    return got


def test_a_message_in_more_fragments_than_the_bound_closes_its_page_at_once_and_others_keep_their_answers(
        shipped, start_server):
    """A ping sent in MOST_FRAGMENTS frames (all but its first empty) is answered; in one more, its connection is
    closed with 1009 saying why. A message sent as a million one-byte fragments (7 MB on the wire) is closed within a
    second, while another page's pings are each answered within a second (unbounded, it cost seconds of the event
    loop, every page waiting)."""
    import struct

    from signlstm.web.ws_protocol import MOST_FRAGMENTS

    server = start_server(shipped)
    ping = b'{"type":"ping"}'
    with contextlib.closing(_raw_ws(server)) as s:
        s.sendall(_frame(0x1, False, ping) + _frame(0x0, False) * (MOST_FRAGMENTS - 2) + _frame(0x0, True))
        assert b'"pong"' in _read_until(s, b'"pong"', 60)
    with contextlib.closing(_raw_ws(server)) as s:
        s.sendall(_frame(0x1, False, ping) + _frame(0x0, False) * (MOST_FRAGMENTS - 1) + _frame(0x0, True))
        got = _read_until(s, None, 30)
        assert b'"pong"' not in got and struct.pack("!H", 1009) + b"a message in more than 1024 fragments" in got, got

    flood = _frame(0x2, False, b"x") + _frame(0x0, False, b"x") * 1_000_000 + _frame(0x0, True, b"x")
    with websockets.connect(server.ws_url) as other, contextlib.closing(_raw_ws(server)) as s:
        _recv(other, "model")
        waits, done = [], threading.Event()

        def pings():
            while not done.is_set():
                t0 = time.monotonic()
                other.send(json.dumps({"type": "ping"}))
                _recv(other, "pong", timeout=30)
                waits.append(time.monotonic() - t0)
                time.sleep(0.05)

        pinger = threading.Thread(target=pings)
        pinger.start()
        t0 = time.monotonic()
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            s.sendall(flood)
        closed_in = time.monotonic() - t0 if struct.pack("!H", 1009) in _read_until(s, None, 60) else None
        time.sleep(0.5)
        done.set()
        pinger.join(60)
    assert closed_in is not None and closed_in < 1.0, closed_in
    assert waits and max(waits) < 1.0, waits


def test_a_client_sending_pings_without_reading_the_pongs_grows_no_buffer_on_the_server(shipped, start_server):
    """A client sends 125-byte ping frames, up to 32 MB of them, and reads nothing: the server stops reading it once
    its pongs wait unsent (the client's sending stalls), so the server holds less than a megabyte of unsent data for
    it (uvicorn answered every ping at once: the server held what the client sent); another page is answered."""
    import socket

    server = start_server(shipped)
    ping = _frame(0x9, True, b"p" * 125) * 512
    with contextlib.closing(_raw_ws(server)) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(5)
        sent = 0
        with contextlib.suppress(socket.timeout):
            while sent < 32 * 2**20:
                s.sendall(ping)
                sent += len(ping)
        held = sum(p.transport.get_write_buffer_size() for p in list(server.server.server_state.connections)
                   if getattr(p, "transport", None) is not None and not p.transport.is_closing())
        with websockets.connect(server.ws_url) as other:
            _recv(other, "model")
            other.send(json.dumps({"type": "ping"}))
            _recv(other, "pong")
    assert held < 2**20, (held, sent)
