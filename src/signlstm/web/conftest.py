"""Fixtures of the web tests: the real rohan937 clips as keypoints, a model trained on them, a running server."""
from __future__ import annotations

import importlib
import os
from pathlib import Path
import threading
import time

import numpy as np
import pytest

from signlstm.conftest import shared_path, unavailable

def need(module: str):
    """Import a web or browser-test dependency; missing is :func:`~signlstm.conftest.unavailable`."""
    try:
        return importlib.import_module(module)
    except ImportError:
        unavailable(f"{module} is not installed (pip install starlette uvicorn websockets selenium)")


CLIPS = {"hello": "asl_hello_rohan937.mp4", "thanks": "asl_thankyou_rohan937.mp4",
         "iloveyou": "asl_iloveyou_rohan937.mp4", "soup": "asl_soup_slp.mp4"}
STAMP_BITS = 8  # the frame number stamped into the top-right corner of a fake camera's frames
ACTIONS = ["hello", "thanks", "iloveyou"]
SEND_SIZE = (480, 270)  # what the page sends for a 16:9 camera (server.SEND_WIDTH wide)


def clip_frames(name: str, size=SEND_SIZE, quality: int = 75) -> list[bytes]:
    """The clip's frames as the page sends them: scaled to ``size`` and JPEG-encoded."""
    import cv2

    from signlstm.frames.sources import read_frames

    out = []
    for frame in read_frames(shared_path("media", CLIPS[name])):
        frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
        out.append(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes())
    assert len(out) >= 30, f"{name}: only {len(out)} frames"
    return out


def to_y4m(name: str, out, size=(640, 360), fps: int = 25) -> None:
    """The clip as an uncompressed YUV4MPEG2 file (4:2:0), which Chromium's fake camera plays in a loop."""
    import cv2

    from signlstm.frames.sources import read_frames

    w, h = size
    with open(out, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in read_frames(shared_path("media", CLIPS[name])):
            frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
            f.write(b"FRAME\n" + cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())


def pack_image(jpeg: bytes, t: float) -> bytes:
    """The camera frame message the page sends for one JPEG frame taken at ``t`` (milliseconds, the page's clock)."""
    from signlstm.web import protocol

    return protocol.IMAGE_HEADER.pack(protocol.IMAGE_MAGIC, protocol.VERSION, bytes(5), float(t)) + bytes(jpeg)


def stamp(frame: np.ndarray, index: int) -> np.ndarray:
    """``frame`` with ``index`` written as STAMP_BITS black/white blocks along the top of its right half (a background
    corner in these clips), so the page can say which camera frame it processed."""
    h, w = frame.shape[:2]
    out = frame.copy()
    bw, bh = w // 2 // STAMP_BITS, max(8, h // 12)
    for b in range(STAMP_BITS):
        out[:bh, w // 2 + b * bw:w // 2 + (b + 1) * bw] = 255 if index >> b & 1 else 0
    return out


def stamped_camera(name: str, out, width: int = 640, fps: int = 10) -> list[np.ndarray]:
    """A .y4m of the clip (``width`` wide) with each frame's number stamped, for Chromium's fake camera; returns the
    frames as the camera delivers them (BGR after the file's 4:2:0 subsampling), read with ``sources.open_source``."""
    import cv2

    from signlstm.frames.sources import open_source

    frames = []
    with open_source(str(shared_path("media", CLIPS[name]))) as src:
        for i, frame in enumerate(src):
            h = round(frame.shape[0] * width / frame.shape[1]) // 2 * 2
            frames.append(stamp(cv2.resize(frame, (width, h), interpolation=cv2.INTER_AREA), i))
    h = frames[0].shape[0]
    camera = []
    with open(out, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            yuv = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420)
            f.write(b"FRAME\n" + yuv.tobytes())
            camera.append(cv2.cvtColor(yuv, cv2.COLOR_YUV2BGR_I420))
    return camera


def looped_windows(K: np.ndarray, strides=(1, 2, 3), T: int = 30) -> np.ndarray:
    """Every 30-frame window of the clip played in a loop (as the fake camera does), sampled every 1, 2, 3 frames
    (the page takes about every 2nd-3rd frame of a 25 fps camera)."""
    n = len(K)
    return np.stack([K[(o + s * np.arange(T)) % n] for s in strides for o in range(n)]).astype(np.float32)


@pytest.fixture(scope="session")
def clip_keypoints() -> dict[str, np.ndarray]:
    """(T, 1662) keypoints of each rohan937 clip, through the same decode + Holistic as the server."""
    from signlstm.keypoints.landmarks import Holistic
    from signlstm.web.images import decode_frame

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
    from signlstm.models.training import fit

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

    def __init__(self, engine, holistic=None):
        import uvicorn

        from signlstm.web.server import config, create_app

        self.engine = engine
        self.app = create_app(engine, holistic)
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
    """Call with a bundle (and Engine options, and ``holistic``: the folder of the page's MediaPipe) to get a
    :class:`RunningServer`; stopped after the test."""
    from signlstm.web.engine import Engine

    servers = []

    def start(bundle, **kw):
        # The tests' model is trained for 10 epochs on three short clips: the tutorial's word rule (threshold 0.5,
        # 10 agreeing predictions) says its words within a loop or two of a clip; the web mechanics are the same
        # for every rule (the rules themselves are tested in recognizer_test).
        kw.setdefault("rule", "tutorial")
        kw.setdefault("data", tmp_path / "web_data")
        kw.setdefault("models", tmp_path / "web_models")
        holistic = kw.pop("holistic", None)
        s = RunningServer(Engine(bundle, **kw), holistic)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.stop()


CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# No GPU here: WebGL (which MediaPipe's graph needs for its image input even with CPU inference) runs on SwiftShader.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
         "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,860"]


@pytest.fixture
def browser(tmp_path):
    """Call with camera flags to get a Selenium driver of a fresh Chromium; all are quit after the test."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        unavailable("Chromium/ChromeDriver missing: apt-get install chromium chromium-driver")
    webdriver = need("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not try to download anything
    drivers = []

    def launch(*camera_flags):
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for flag in FLAGS + list(camera_flags) + [f"--user-data-dir={tmp_path / f'profile{len(drivers)}'}"]:
            opts.add_argument(flag)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the page's console, for failure messages
        d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        drivers.append(d)
        return d

    yield launch
    for d in drivers:
        try:
            d.quit()
        except Exception:
            pass


def fake_camera(y4m) -> list[str]:
    return ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={y4m}"]


@pytest.fixture
def certificate(tmp_path):
    """Call with a name to get ``(certfile, keyfile)``: a new self-signed certificate for localhost (its subject and
    subjectAltName) and its RSA key, made by ``openssl`` in the test's folder; openssl missing is
    :func:`~signlstm.conftest.unavailable` (``make test`` installs it)."""
    import shutil
    import subprocess

    def make(name: str = "a") -> tuple[Path, Path]:
        if shutil.which("openssl") is None:
            unavailable("openssl is not installed: the certificates are not made")
        crt, key = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                        "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key),
                        "-out", str(crt)], check=True, capture_output=True)
        return crt, key

    return make
