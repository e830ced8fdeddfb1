"""Fixtures of the web tests: the real rohan937 clips as keypoints, a model trained on them, a running server."""
from __future__ import annotations

import importlib
import os
import threading
import time

import numpy as np
import pytest

from signlstm.conftest import shared_path

def need(module: str):
    """Import a web or browser-test dependency; missing is a failure under CI and a skip elsewhere."""
    try:
        return importlib.import_module(module)
    except ImportError:
        msg = f"{module} is not installed (pip install starlette uvicorn websockets selenium)"
        if os.environ.get("CI"):
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg, allow_module_level=True)


CLIPS = {"hello": "asl_hello_rohan937.mp4", "thanks": "asl_thankyou_rohan937.mp4",
         "iloveyou": "asl_iloveyou_rohan937.mp4"}
ACTIONS = ["hello", "thanks", "iloveyou"]
SEND_SIZE = (480, 270)  # what the page sends for a 16:9 camera (server.SEND_WIDTH wide)


def clip_frames(name: str, size=SEND_SIZE, quality: int = 75) -> list[bytes]:
    """The clip's frames as the page sends them: scaled to ``size`` and JPEG-encoded."""
    import cv2

    cap = cv2.VideoCapture(str(shared_path("media", CLIPS[name])))
    out = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        out.append(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes())
    cap.release()
    assert len(out) >= 30, f"{name}: only {len(out)} frames"
    return out


def to_y4m(name: str, out, size=(640, 360), fps: int = 25) -> None:
    """The clip as an uncompressed YUV4MPEG2 file (4:2:0), which Chromium's fake camera plays in a loop."""
    import cv2

    cap = cv2.VideoCapture(str(shared_path("media", CLIPS[name])))
    w, h = size
    with open(out, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
            f.write(b"FRAME\n" + cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    cap.release()


def looped_windows(K: np.ndarray, strides=(1, 2, 3), T: int = 30) -> np.ndarray:
    """Every 30-frame window of the clip played in a loop (as the fake camera does), sampled every 1, 2, 3 frames
    (the page takes about every 2nd-3rd frame of a 25 fps camera)."""
    n = len(K)
    return np.stack([K[(o + s * np.arange(T)) % n] for s in strides for o in range(n)]).astype(np.float32)


@pytest.fixture(scope="session")
def clip_keypoints() -> dict[str, np.ndarray]:
    """(T, 1662) keypoints of each rohan937 clip, through the same decode + Holistic as the server."""
    from signlstm.landmarks import Holistic
    from signlstm.web.engine import decode_frame

    out = {}
    for name in ACTIONS:
        with Holistic() as h:
            out[name] = np.stack([h(decode_frame(b)) for b in clip_frames(name)])
    return out


@pytest.fixture(scope="session")
def trained_model(clip_keypoints, tmp_path_factory):
    """A bundle trained here: the clips' looped windows plus two DEV signers, the default recipe, 10 epochs."""
    from signlstm.models.bundle import load_bundle, save_bundle
    from signlstm.datasets import Dataset, concat, load
    from signlstm.training import fit

    X = np.concatenate([looped_windows(clip_keypoints[a]) for a in ACTIONS])
    labels = np.array([a for a in ACTIONS for _ in range(len(looped_windows(clip_keypoints[a])))])
    clip = Dataset(X, labels, np.full(len(X), "rohan937"), [f"clip#{i}" for i in range(len(X))], list(ACTIONS))
    signers = load([shared_path("data", "signers", f"{s}.npz") for s in ("s02", "s03")])
    bundle = fit(concat([clip, signers], ACTIONS), "default", epochs=10, progress=False, test_split=0.0)
    out = tmp_path_factory.mktemp("model") / "clips"
    save_bundle(bundle.model, bundle.meta, out)
    return load_bundle(out)


class RunningServer:
    """``signlstm serve``'s app under uvicorn in a thread, on a free loopback port."""

    def __init__(self, engine):
        import uvicorn

        from signlstm.web.server import config, create_app

        self.engine = engine
        self.app = create_app(engine)
        self.server = uvicorn.Server(config(self.app, "127.0.0.1", 0))
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="uvicorn")
        self.thread.start()
        t0 = time.monotonic()
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() - t0 < 30, "the server did not start"
            time.sleep(0.05)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/ws"

    def stop(self):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def start_server(tmp_path):
    """Call with a bundle (and Engine options) to get a :class:`RunningServer`; stopped after the test."""
    from signlstm.web.engine import Engine

    servers = []

    def start(bundle, **kw):
        kw.setdefault("data", tmp_path / "web_data")
        kw.setdefault("models", tmp_path / "web_models")
        s = RunningServer(Engine(bundle, **kw))
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()
