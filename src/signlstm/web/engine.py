"""What the web server runs per browser tab, on the same engine as ``live`` and ``collect``.

One :class:`Engine` per server: the model loaded once, a bounded pool of landmark threads (MediaPipe and the
classifier never run on the event loop, and never more than ``workers`` frames at once), one adapt thread, and the
folders recordings and adapted models go to. One :class:`Session` per WebSocket: its own
:class:`~signlstm.landmarks.Holistic` graph (MediaPipe tracks across frames, so graphs are never shared), its own
:class:`~signlstm.recognizer.Recognizer` (window, stability, sentence), its recording in progress and, after
adapting, its own model. A frame is a JPEG; what comes back is plain JSON (probabilities, sentence, the landmark
points to draw). Nothing here imports Starlette: the protocol is testable without a server.
"""
from __future__ import annotations

import asyncio
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .. import layout, render
from ..errors import SignlstmError
from ..recognizer import SENTENCE, STABILITY, THRESHOLD, Recognizer

MAX_FRAME_BYTES = 1_000_000  # one JPEG frame; the page sends ~20-60 kB
MAX_TEXT_BYTES = 4096  # one JSON control message
MAX_SIDE = 1920  # widest frame accepted (pixels, either side)
MAX_SEQUENCES = 50  # per "record" request
FACE_EVERY = 3  # face points sent to the page: every 3rd of 468
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,39}")
ACTION = re.compile(r"[^\W_][\w\-]{0,39}")  # letters/digits first; no dots or slashes: it becomes a folder name


class BadMessage(SignlstmError):
    """A WebSocket message the server refuses (malformed, oversized, unknown); the client is told why."""


class Busy(SignlstmError):
    """The server already has ``max_clients`` pages open."""


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
    """A BGR image from JPEG bytes, or :class:`BadMessage` saying what is wrong."""
    import cv2

    if len(data) > MAX_FRAME_BYTES:
        raise BadMessage(f"frame of {len(data)} bytes is over the {MAX_FRAME_BYTES}-byte limit")
    w, h = jpeg_size(data)
    if not (1 <= w <= MAX_SIDE and 1 <= h <= MAX_SIDE):
        raise BadMessage(f"frame of {w}x{h} pixels; at most {MAX_SIDE} a side")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise BadMessage("the JPEG could not be decoded")
    return image


def points(keypoints: np.ndarray) -> dict[str, list]:
    """The landmarks to draw, as normalised [x, y] pairs per part ([] when the part was not found)."""
    out = {}
    for p in layout.PARTS:
        xyz = layout.part(np.asarray(keypoints, np.float64), p)
        if not np.any(xyz):
            out[p.name] = []
            continue
        if p is layout.POSE:
            xyz = xyz[:25]  # upper body, as render.draw_landmarks
        elif p is layout.FACE:
            xyz = xyz[::FACE_EVERY]
        out[p.name] = np.round(xyz[:, :2], 4).tolist()
    return out


def _hex(bgr) -> str:
    b, g, r = bgr
    return f"#{r:02x}{g:02x}{b:02x}"


def drawing() -> dict:
    """Skeleton edges and part colours, from :mod:`signlstm.render` (one definition for window and page)."""
    return {"pose_edges": [e for e in render.POSE_EDGES[9:] if max(e) < 25], "hand_edges": render.HAND_EDGES,
            "colors": {k: _hex(v) for k, v in render.PART_BGR.items()}}


def model_info(bundle, threshold: float) -> dict:
    labels = bundle.labels
    return {"type": "model", "name": str(bundle.path or "(in memory)"), "labels": labels,
            "colors": [_hex(c) for c in render.colors(len(labels))], "reject": bundle.reject_label,
            "seq_len": bundle.seq_len, "threshold": threshold,
            "adapted": bool(bundle.meta.get("adapted"))}


class Engine:
    """Shared by all pages of one server: the model, the thread pools, the folders, the limits."""

    def __init__(self, bundle, threshold: float = THRESHOLD, stability: int = STABILITY, sentence: int = SENTENCE,
                 workers: int = 2, max_clients: int = 8, data: str | Path = "web_data",
                 models: str | Path = "web_models", pause: float = 2.0, detector=None):
        if not 0 <= threshold <= 1 or stability < 1 or sentence < 1:
            raise SignlstmError("threshold must be within 0..1; stability and sentence at least 1")
        if workers < 1 or max_clients < 1:
            raise SignlstmError("workers and max clients must be at least 1")
        bundle.prepare()
        self.bundle = bundle
        self.threshold, self.stability, self.sentence = threshold, stability, sentence
        self.workers, self.max_clients = workers, max_clients
        self.data, self.models = Path(data), Path(models)
        self.pause = pause
        self.detector = detector  # a factory of keypoint detectors (default: landmarks.Holistic)
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="signlstm-landmarks")
        self.adapt_pool = ThreadPoolExecutor(1, thread_name_prefix="signlstm-adapt")
        self.sessions: set[Session] = set()
        self.adapting = 0  # adapt jobs queued or running
        self.served = 0  # frames answered, all pages

    def open(self) -> "Session":
        if len(self.sessions) >= self.max_clients:
            raise Busy(f"the server already has {self.max_clients} pages open; try again later")
        s = Session(self)
        self.sessions.add(s)
        return s

    def stats(self) -> dict:
        return {"sessions": len(self.sessions), "workers": self.workers, "max_clients": self.max_clients,
                "adapting": self.adapting, "frames": self.served, "model": str(self.bundle.path or "(in memory)"),
                "labels": self.bundle.labels}

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.adapt_pool.shutdown(wait=False, cancel_futures=True)


class Recording:
    """A "record N sequences of ACTION" request in progress: a pause, then ``length`` frames, per sequence."""

    def __init__(self, name: str, action: str, count: int, length: int, pause: float):
        self.name, self.action, self.count, self.length, self.pause = name, action, count, length, pause
        self.done = 0
        self.frames: list[np.ndarray] = []
        self.until = time.monotonic() + pause
        self.saved: list[str] = []

    @property
    def phase(self) -> str:
        return "done" if self.done >= self.count else ("ready" if time.monotonic() < self.until else "recording")

    def status(self) -> dict:
        return {"name": self.name, "action": self.action, "count": self.count, "done": self.done,
                "phase": self.phase, "frame": len(self.frames), "length": self.length}


def counts(root: Path) -> dict[str, int]:
    """Saved sequences per action under one visitor's folder."""
    if not root.is_dir():
        return {}
    return {a.name: sum(1 for s in a.iterdir() if s.is_dir() and s.name.isdigit())
            for a in sorted(root.iterdir()) if a.is_dir() and not a.name.startswith(".")}


class Session:
    """One page: its own landmark graph, recognizer, recording and model. Frames arrive one at a time."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.bundle = engine.bundle
        self.recognizer = self._recognizer(self.bundle)
        self.detect = None
        self.recording: Recording | None = None
        self.frames = 0
        self.closed = False
        self.lock = asyncio.Lock()  # held while a frame is processed; a model switch waits for it
        self.adapt_task: asyncio.Task | None = None
        self.adapt_state: dict = {"state": "idle"}

    def _recognizer(self, bundle) -> Recognizer:
        e = self.engine
        return Recognizer(bundle, e.threshold, e.stability, e.sentence)

    # -- blocking parts, run in the engine's landmark pool --------------------------------------------------------
    def start(self) -> None:
        if self.engine.detector is not None:
            self.detect = self.engine.detector()
        else:
            from ..landmarks import Holistic

            self.detect = Holistic()

    def process(self, data: bytes) -> dict:
        """One JPEG frame -> keypoints -> recognizer (and recording): the reply to send."""
        t0 = time.perf_counter()
        image = decode_frame(data)
        if self.detect is None:
            self.start()
        keypoints = self.detect(image)
        step = self.recognizer.update(keypoints)
        out = {"type": "result", "frame": self.frames, "width": int(image.shape[1]), "height": int(image.shape[0]),
               "points": points(keypoints),
               "probs": None if step.probs is None else np.round(step.probs.astype(float), 4).tolist(),
               "word": step.word, "sentence": step.sentence}
        self.frames += 1
        if self.recording is not None:
            out["recording"] = self._record(keypoints)
        out["ms"] = round((time.perf_counter() - t0) * 1000, 1)
        return out

    def _record(self, keypoints: np.ndarray) -> dict:
        from ..datasets import SequenceWriter

        r = self.recording
        status = {}
        if r.phase == "recording":
            r.frames.append(np.asarray(keypoints, np.float64))
            if len(r.frames) >= r.length:
                path = SequenceWriter(self.engine.data / r.name).write(r.action, np.stack(r.frames))
                r.saved.append(str(path))
                r.done += 1
                r.frames = []
                r.until = time.monotonic() + r.pause
                status = {"saved": str(path), "counts": counts(self.engine.data / r.name)}
        status.update(r.status())
        if r.phase == "done":
            self.recording = None
        return status

    def close(self) -> None:
        self.closed = True
        self.recording = None
        if self.detect is not None and hasattr(self.detect, "close"):
            self.detect.close()
        self.detect = None

    # -- control messages, on the event loop ----------------------------------------------------------------------
    def record(self, name: str, action: str, count: int, pause: float | None = None) -> dict:
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise BadMessage("name: 1-40 letters, digits, '-' or '_', starting with a letter or digit")
        if not isinstance(action, str) or not ACTION.fullmatch(action):
            raise BadMessage("action: 1-40 letters, digits, '-' or '_', starting with a letter or digit")
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_SEQUENCES:
            raise BadMessage(f"count: a whole number from 1 to {MAX_SEQUENCES}")
        pause = self.engine.pause if pause is None else pause
        if not isinstance(pause, (int, float)) or isinstance(pause, bool) or not 0 <= pause <= 10:
            raise BadMessage("pause: 0 to 10 seconds")
        self.recording = Recording(name, action, count, self.bundle.seq_len, float(pause))
        return {"type": "recording", **self.recording.status(), "counts": counts(self.engine.data / name)}

    def cancel(self) -> dict:
        self.recording = None  # a sequence in progress is dropped whole: nothing was written yet
        return {"type": "recording", "phase": "cancelled"}

    def clear(self) -> None:
        self.recognizer.sentence.clear()
        self.recognizer.reset()

    def use(self, bundle) -> dict:
        """Switch this page to ``bundle``; the sentence so far stays."""
        old = self.recognizer
        self.bundle = bundle
        self.recognizer = self._recognizer(bundle)
        self.recognizer.sentence.extend(old.sentence)
        return model_info(bundle, self.engine.threshold)

    async def adapt(self, name: str, send) -> None:
        """Adapt this page's model to ``name``'s recordings in the adapt thread, reporting progress with ``send``."""
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise BadMessage("name: 1-40 letters, digits, '-' or '_', starting with a letter or digit")
        if self.adapt_task is not None and not self.adapt_task.done():
            raise BadMessage("an adaptation is already running for this page")
        self.adapt_task = asyncio.get_running_loop().create_task(self._adapt(name, send))

    async def _adapt(self, name: str, send) -> None:
        engine = self.engine
        state = {"type": "adapt", "state": "waiting", "phase": "waiting for the adapt worker", "progress": 0.0,
                 "seconds": 0.0, "name": name}
        t0 = time.monotonic()

        def job():
            state.update(state="running")
            return _adapt_job(self.bundle, engine.data / name, engine.models, name, state)

        engine.adapting += 1
        try:
            future = asyncio.get_running_loop().run_in_executor(engine.adapt_pool, job)
            while not future.done():
                state["seconds"] = round(time.monotonic() - t0, 1)
                self.adapt_state = dict(state)
                await send(dict(state))
                await asyncio.wait([future], timeout=0.5)
            bundle = await future
            if self.closed:
                return  # the page went away; the model stays on disk
            async with self.lock:
                info = self.use(bundle)
            state.update(state="done", phase="done", progress=1.0, seconds=round(time.monotonic() - t0, 1),
                         model=str(bundle.path), labels=bundle.labels)
            self.adapt_state = dict(state)
            await send(info)
            await send(dict(state))
        except SignlstmError as e:
            state.update(state="error", phase=str(e), seconds=round(time.monotonic() - t0, 1))
            self.adapt_state = dict(state)
            if not self.closed:
                await send(dict(state))
        finally:
            engine.adapting -= 1


def _adapt_job(base, root: Path, models: Path, name: str, state: dict):
    """Load the visitor's recordings, adapt ``base`` to them (the CLI's ``adapt``), save and warm the result."""
    import inspect

    from ..adapt import adapt
    from ..models.bundle import load_bundle, save_bundle
    from ..datasets import load

    state.update(phase="loading your recordings", progress=0.05)
    if not root.is_dir():
        raise SignlstmError(f"no recordings for '{name}' yet: record some sequences first")
    data = load([root], length=base.seq_len, skip_bad=True)
    state.update(phase=f"adapting to {len(data)} sequences of {', '.join(data.actions)}", progress=0.15)
    kwargs = {"seed": 0}
    if "progress" in inspect.signature(adapt).parameters:  # a finer progress report, where adapt offers one
        kwargs["progress"] = lambda f: state.update(progress=0.15 + 0.7 * float(f))
    bundle = adapt(base, data, **kwargs)
    state.update(phase="saving the adapted model", progress=0.85)
    out = models / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    while out.exists():
        out = out.with_name(out.name + "x")
    save_bundle(bundle.model, bundle.meta, out)
    state.update(phase="loading the adapted model", progress=0.92)
    bundle = load_bundle(out)
    bundle.prepare()
    return bundle
