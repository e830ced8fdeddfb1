"""What the web server runs per browser tab, on the same recognizer as ``live`` and the same recorder as ``collect``.

One :class:`Engine` per server: the model loaded once, the batcher (the windows of every page that sends keypoints,
classified in rounds of one compiled call per model by :mod:`.batch`), a bounded pool of landmark threads for pages
that send images (MediaPipe never runs on the event loop, and never more than ``workers`` frames at once), one adapt
thread, one thread that writes the keypoint pages' recordings (never on the event loop), and the folders recordings
and adapted models go to. One :class:`Session` per WebSocket: its own :class:`~signlstm.recognizer.Recognizer` (window,
stability, sentence), its :class:`~signlstm.fronts.recorder.Recorder` while recording, after adapting its own model,
and, only if the page sends images, its own :class:`~signlstm.keypoints.landmarks.Holistic` graph with the steps
``live`` runs for that model (MediaPipe tracks across frames, so graphs are never shared).

A page sends either keypoints it computed itself (:mod:`.protocol`: the usual path, the images never leave the
device) or JPEG frames, each with the time the page took it (the fallback: the server finds the landmarks, and the
recognizer sees the frames at 30 a second, made from the page's times as ``live`` makes them from a source's rate:
:meth:`Session.due_frames`). Either way what comes back is plain JSON
(probabilities, word, sentence; for an image also the landmark points to draw). Nothing here imports Starlette: the
protocol is testable without a server.
"""
from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .. import layout
from ..fronts import render
from ..errors import SignlstmError
from ..outputs import ignores_case
from ..recognizer import SENTENCE, Recognizer, Step
from ..fronts.recorder import PAUSE
from ..keypoints.resample import RATE, Resample
from . import adapted, images, protocol
from .batch import Batcher, Forward
from .protocol import BadMessage
from .recordings import Recording, check_name, counts, for_page, recording_failed, shown_path

WORKERS = 2  # camera frames landmarked at once for pages that send frames: about one per core
MAX_CLIENTS = 100  # pages open at once; more are turned away, unless a page has been idle for IDLE seconds
IDLE = 60  # seconds a page has sent nothing after which it gives its place to a new page when all are taken
DATA = "web_data"  # where recordings from the pages go: DATA/<name>/<action>/<n>/
MODELS = "web_models"  # where the models adapted from the pages go
MAX_TEXT_BYTES = 4096  # one JSON control message
MAX_ADAPTING = 8  # adapt jobs queued or running, all pages: one thread runs them, a few seconds each
IMAGE_PAGES_PER_WORKER = 2  # pages whose frames the server landmarks at once, per --workers: each holds its own
# MediaPipe graph (about 180 MB), and one page already takes most of a core


class Busy(SignlstmError):
    """The server already has ``max_clients`` pages open."""


def model_info(bundle, threshold: float) -> dict:
    """The ``model`` message that tells a page about ``bundle``: its name, labels and their colours, the rejection
    label, window length, ``threshold``, the parts it reads (and their mask), and a warning when it looks untrained."""
    from ..models.legacy import UNTRAINED, looks_untrained

    labels = bundle.labels
    return {"type": "model", "name": shown_path(bundle.path), "labels": labels,
            "colors": [images.hex_color(c) for c in render.colors(len(labels))], "reject": bundle.reject_label,
            "seq_len": bundle.seq_len, "threshold": threshold, "parts": bundle.parts_read,
            "mask": protocol.mask_of(bundle.parts_read), "adapted": bool(bundle.meta.get("adapted")),
            "warning": UNTRAINED if looks_untrained(bundle.model) else None}


class Engine:
    """Shared by all pages of one server: the model, the thread pools, the folders, the limits, the counters."""

    def __init__(self, bundle, threshold: float | None = None, stability: int | None = None, sentence: int = SENTENCE,
                 workers: int = WORKERS, max_clients: int = MAX_CLIENTS, data: str | Path = DATA,
                 models: str | Path = MODELS, pause: float = PAUSE, detector=None, rule: str | None = None,
                 rest: int | None = None, rearm: int | None = None, onset: float | None = None,
                 refractory: int | None = None, idle: float = IDLE):
        # Every page's recognizer gets these (None: the rule's default; rule None: each model's own); the recognizer
        # checks them, here once.
        self.options = {"threshold": threshold, "stability": stability, "sentence": sentence, "rule": rule,
                        "rest": rest, "rearm": rearm, "onset": onset, "refractory": refractory}
        Recognizer(bundle, **self.options)
        if workers < 1 or max_clients < 1:
            raise SignlstmError("workers and max clients must be at least 1")
        from ..outputs import check_writable_folder

        for folder in (data, models):  # the pages' recordings and models: refused now, not when one is saved
            check_writable_folder(folder)
        bundle.prepare()
        self.bundle = bundle
        self.workers, self.max_clients = workers, max_clients
        self.idle = idle
        self.data, self.models = Path(data), Path(models)
        self.ignores_case = ignores_case(self.data)  # whether Hello and hello are one folder there
        self.pause = pause
        self.detector = detector  # a factory of keypoint detectors for image pages (default: landmarks.Holistic)
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="signlstm-landmarks")
        self.forward = Forward(bundle)
        self.batcher = Batcher()
        self.adapt_pool = ThreadPoolExecutor(1, thread_name_prefix="signlstm-adapt")
        self.io = ThreadPoolExecutor(1, thread_name_prefix="signlstm-write")  # recordings of keypoint pages
        self.sessions: set[Session] = set()
        self.max_image_pages = IMAGE_PAGES_PER_WORKER * workers
        self.image_pages = 0  # pages holding a landmark graph (they send camera frames)
        self._image_lock = threading.Lock()
        self.adapting = 0  # adapt jobs queued or running (changed on the event loop while it runs)
        self.served = 0  # frames answered, all pages
        self.messages = {"keypoints": 0, "images": 0, "refused": 0}  # binary messages received, all pages

    def open(self) -> "Session":
        """A new page's session; when all :attr:`max_clients` places are taken, the page that has sent nothing for
        longest gives its place (:meth:`Session.give_way`) if that is :attr:`idle` seconds or more, else
        :class:`Busy`."""
        if len(self.sessions) >= self.max_clients:
            idlest = self.idlest()
            if idlest is None:
                raise Busy(f"the server already has {self.max_clients} pages open; try again later")
            self.sessions.discard(idlest)
            idlest.give_way()
        s = Session(self)
        self.sessions.add(s)
        return s

    def idlest(self) -> "Session | None":
        """The open page that has sent nothing for longest, if for :attr:`idle` seconds or more and it is not
        adapting (a page waiting for its adaptation may well send nothing meanwhile), else None."""
        now = time.monotonic()
        idle = [s for s in list(self.sessions) if s.leave is not None and now - s.heard >= self.idle
                and (s.adapt_task is None or s.adapt_task.done())]
        return min(idle, key=lambda s: s.heard, default=None)

    def image_page(self, opening: bool) -> bool:
        """Take (``opening``) or give back a place for a page whose frames the server landmarks; False when all
        :attr:`max_image_pages` are taken."""
        with self._image_lock:
            if opening and self.image_pages >= self.max_image_pages:
                return False
            self.image_pages += 1 if opening else -1
            return True

    def start_adapt(self, job) -> Future:
        """Queue ``job`` in the adapt thread and count it, on the event loop: refused (:class:`BadMessage`) when
        :data:`MAX_ADAPTING` are queued or running. The count falls once, on the loop, when the job has finished or
        when it is cancelled before it started (a job already running cannot be cancelled and runs to its end)."""
        if self.adapting >= MAX_ADAPTING:
            raise BadMessage(f"the server has {self.adapting} adaptations waiting or running, the most it takes; "
                             "try again in a minute")
        loop = asyncio.get_running_loop()
        future = self.adapt_pool.submit(job)  # RuntimeError once the server is stopping
        self.adapting += 1

        def ended(_) -> None:  # in the adapt thread, or wherever the job was cancelled
            try:
                loop.call_soon_threadsafe(self._adapt_ended)
            except RuntimeError:  # that loop is closed: no request it could take is in flight
                self._adapt_ended()

        future.add_done_callback(ended)
        return future

    def _adapt_ended(self) -> None:
        self.adapting -= 1

    def counts_changed(self, name: str, by: "Session") -> None:
        """After ``by`` saved sequences of ``name``: every other open page showing ``name``'s counts is sent them
        (two tabs recording under one name each see the folder's total, not their own last count)."""
        others = [s for s in list(self.sessions) if s is not by and s.watching == name and s.notify is not None]
        if others:
            message = {"type": "counts", "name": name, "counts": counts(self.data / name)}
            for s in others:
                s.notify(message)

    def models_in_use(self) -> set[Path]:
        """The folders of the models the open pages use (:func:`~signlstm.web.adapted.prune_adapted` spares them)."""
        return {s.bundle.path.resolve() for s in list(self.sessions) if s.bundle.path is not None}

    def stats(self) -> dict:
        return {"sessions": len(self.sessions), "workers": self.workers, "max_clients": self.max_clients,
                "image_pages": self.image_pages, "max_image_pages": self.max_image_pages,
                "adapting": self.adapting, "frames": self.served, "messages": dict(self.messages),
                "batches": self.batcher.batches, "windows": self.batcher.windows, "rounds": self.batcher.rounds,
                "model": shown_path(self.bundle.path), "labels": self.bundle.labels}

    def shutdown(self) -> None:
        for pool in (self.pool, self.adapt_pool, self.io):
            pool.shutdown(wait=False, cancel_futures=True)


class Session(Recording):
    """One page: its recognizer, recording and model, and its landmark graph if it sends images."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.bundle = engine.bundle
        self.forward = engine.forward
        self.recognizer = self._recognizer(self.bundle)
        self.need = protocol.mask_of(self.bundle.parts_read)
        self.detect = None
        self.detect_face = None  # whether self.detect runs the face mesh
        self.recorder = None  # a Recorder while the page records
        self.name = None  # whose folder the recording goes to
        self.watching = None  # whose counts the page shows (it asked for them, or records under that name)
        self.notify = None  # sends the page a message from any thread (set by the server)
        self.leave = None  # tells the page it gave its place and closes it, on the event loop (set by the server)
        self.heard = time.monotonic()  # when the page last sent a message (the server sets it)
        self.frames = 0
        self.closed = False
        self.lock = asyncio.Lock()  # held while an image is processed; a model switch waits for it
        self.guard = threading.Lock()  # the recognizer and recorder: the loop and the image pool's threads use them
        self.adapt_task: asyncio.Task | None = None  # reports the adapt job's progress to the page
        self.adapt_job: Future | None = None  # the adapt job, in the engine's adapt thread
        self.adapt_state: dict = {"state": "idle"}
        self.backlog: deque | None = None  # replies waiting behind a recording being written (keypoint path)
        self.resample = Resample()  # the page's frames made into the models' rate (:meth:`due_frames`)

    def _recognizer(self, bundle) -> Recognizer:
        return Recognizer(bundle, **self.engine.options)

    # -- one binary message, on the event loop (the work in the engine's threads) --------------------------------
    async def receive(self, data: bytes) -> dict:
        """A keypoint message (classified with the other pages' in the batcher) or a camera frame, with its time
        (:mod:`.protocol`) or a bare JPEG (landmarked in the pool): the reply to send. A bad message
        raises :class:`BadMessage` and changes nothing. (The server puts keypoint messages straight into the batcher,
        :meth:`Batcher.put`, with a callback instead of a task each.)"""
        if protocol.is_keypoints(data):  # several may be on their way at once; the batcher keeps each page's in order
            return await self.engine.batcher.submit(self, data)
        loop, e = asyncio.get_running_loop(), self.engine
        t0 = time.perf_counter()
        try:
            jpeg, t = protocol.unpack_image(data) if protocol.is_image(data) else (data, None)
            async with self.lock:
                reply, frames = await loop.run_in_executor(e.pool, self.process, jpeg, t)
                if self.recorder is not None:
                    reply["recording"] = await loop.run_in_executor(e.pool, self._record_guarded, frames)
        except BadMessage:
            e.messages["refused"] += 1
            raise
        e.messages["images"] += 1
        e.served += 1
        reply["ms"] = round((time.perf_counter() - t0) * 1000, 2)
        return reply

    def finish(self, m) -> None:
        """The batcher's last word on one keypoint message ``m`` (:class:`~.batch.Message`): its reply, or its
        refusal, handed to ``m.done`` in the order the page sent them. A sequence the message completed is written
        in the engine's writing thread, never on the event loop; the reply (and the page's later ones) wait for it."""
        e = self.engine
        if isinstance(m.frames, BaseException):
            if isinstance(m.frames, BadMessage):
                e.messages["refused"] += 1
            self.deliver(m.done, m.frames, None, m.arrived)
            return
        writes = None
        with self.guard:
            reply = self.result(m.step or self.current(), m.words, len(m.sent), t=m.t)
            if self.recorder is not None and m.mask != protocol.ALL:  # sent before the page knew: not the 1662 values
                missing = ", ".join(p.name for p in protocol.parts_of(protocol.ALL & ~m.mask))
                reply["recording"] = {"name": self.name, **self.recorder.status()}
                if self.recorder.phase == "recording":  # (in a pause its frames are not kept anyway)
                    reply["recording"]["note"] = (f"a message without {missing} is not recorded: a recording keeps "
                                                  "every part (the tutorial's 1662 values)")
            elif self.recorder is not None:  # the frames due, as the recognizer saw them: 30 a second
                reply["recording"], writes = self.record_frames(m.frames, write=False)
        e.messages["keypoints"] += 1
        e.served += 1
        self.deliver(m.done, reply, writes, m.arrived)

    def deliver(self, done, result, writes, arrived: float) -> None:
        """``done(result)`` with the time since the message arrived, after the page's earlier replies; when
        ``writes`` are due, they are made first in the writing thread (and replies after it wait in the backlog)."""
        if writes is None and self.backlog is None:
            if isinstance(result, dict):
                result["ms"] = round((time.perf_counter() - arrived) * 1000, 2)
            done(result)
            return
        if self.backlog is None:
            self.backlog = deque()
            asyncio.get_running_loop().create_task(self._flush())
        self.backlog.append((done, result, writes, arrived))

    async def _flush(self) -> None:
        """Make the backlog's writes in the writing thread and send its replies in order. A write that fails (a full
        disk, the server stopping) stops the recording, and its reply says why; every reply in the backlog is sent,
        whatever happens, so the page's count of messages on their way comes back down."""
        loop = asyncio.get_running_loop()
        failed = False  # once a write fails, the replies queued behind it no longer speak of a recording
        try:
            while self.backlog:
                done, result, writes, arrived = self.backlog[0]
                if failed:
                    writes = None
                    if isinstance(result, dict):
                        result.pop("recording", None)
                if writes:
                    try:
                        result["recording"].update(await loop.run_in_executor(self.engine.io, self._write, writes))
                    except (OSError, RuntimeError, SignlstmError) as err:
                        with self.guard:
                            self.recorder = None
                        result, failed = recording_failed(for_page(err)), True
                self.backlog.popleft()
                if isinstance(result, dict):
                    result["ms"] = round((time.perf_counter() - arrived) * 1000, 2)
                done(result)
        finally:
            left, self.backlog = self.backlog or (), None
            for done, *_ in left:
                done(recording_failed("the server stopped answering before it was saved"))

    def process(self, data: bytes, t: float | None = None) -> tuple[dict, list[np.ndarray]]:
        """One JPEG frame taken at ``t`` (milliseconds; None or 0: not known) -> keypoints -> the frames at
        :data:`~signlstm.keypoints.resample.RATE` a second it makes due (:meth:`due_frames`) -> recognizer: (the reply
        with the points to draw, those frames, which a recording keeps)."""
        face = self.bundle.reads_face
        if self.detect is None or self.detect_face != face:  # a place first: a page over the limit costs no decoding
            self._close_detector()
            if not self.engine.image_page(True):
                raise BadMessage(f"the server finds the landmarks of camera frames for {self.engine.max_image_pages} "
                                 "pages at most, all taken; a browser that runs MediaPipe Holistic sends landmarks "
                                 "instead (see the page's path line)")
            try:
                image = images.decode_frame(data)
                self.detect = self.engine.detector() if self.engine.detector is not None else _holistic(face)
            except BaseException:
                self.engine.image_page(False)
                raise
            self.detect_face = face
        else:
            image = images.decode_frame(data)
        keypoints = self.detect(image)
        height, width = image.shape[:2]  # the points drawn on the page's image: placed back on its shape
        extra = {"width": width, "height": height,
                 "points": images.points(layout.from_reference_aspect(keypoints, width, height))}
        if t is not None:
            extra["t"] = t
        with self.guard:
            due = self.due_frames(keypoints[None], t or 0.0)
            return self.steps(due, extra, 1), due

    def due_frames(self, frames: np.ndarray, t: float) -> list[np.ndarray]:
        """The frames at :data:`~signlstm.keypoints.resample.RATE` a second that a keypoint message's ``frames`` make
        due (:class:`~signlstm.keypoints.resample.Resample`, as ``live`` turns a source's frames into the models' rate),
        the first taken at ``t`` milliseconds and each next one 1 / RATE seconds later (``t`` 0: not known, each 1 /
        RATE seconds after the latest time seen). A gap of more than :data:`~signlstm.keypoints.resample.MAX_GAP` starts
        the page's time afresh. The caller holds the guard. Refused (:class:`BadMessage`) once a second's worth of
        frames in a row (:data:`RATE`) made no frame due: a page's clock that stands still, runs backwards or counts
        in another unit than milliseconds would otherwise get no words, and no word why, for ever."""
        seen = self.resample.seen
        due = [f for k, frame in enumerate(frames) for f in self.resample(t / 1000 + k / RATE if t else None, frame)]
        if not due and self.resample.stalled >= RATE:
            before = "" if seen is None else f", the latest before {seen * 1000:.15g} ms"
            raise BadMessage(f"the last {self.resample.stalled} frames made no frame due: their times did not move "
                             f"on by a frame's {1000 / RATE:.3g} ms (this message's {t:.15g} ms{before}); give each "
                             "frame the time it was taken, in milliseconds on one clock (0 when it is not known)")
        return due

    def current(self) -> Step:
        """The recognizer's state as the step of its newest frame: the reply to a message that made no frame due."""
        rec = self.recognizer
        return Step(max(rec.frames - 1, 0), rec.last_probs, sentence=list(rec.sentence))

    def steps(self, frames, extra: dict, n: int | None = None) -> dict:
        """The recognizer over ``frames``: the reply to a message of ``n`` of the page's frames (default: as many as
        ``frames``) with the last probabilities, the words that came, the sentence (with no frame to step, the
        recognizer's as they stand)."""
        rec, words, step = self.recognizer, [], self.current()
        for f in frames:
            step = rec.update(f)
            if step.word:
                words.append((step.word, step.word_prob))
        return self.result(step, words, len(frames) if n is None else n, **extra)

    def result(self, step, words: list, n: int, **extra) -> dict:
        """The reply to a message of ``n`` frames: ``step`` its last frame's, ``words`` (word, its probability) of
        each word any of them said (see :mod:`~signlstm.web.protocol`)."""
        out = {"type": "result", "frame": self.frames + n - 1, **extra,
               "probs": None if step.probs is None else np.round(step.probs.astype(float), 4).tolist(),
               "word": words[-1][0] if words else None,
               "words": [{"word": w, "prob": None if p is None else round(float(p), 4)} for w, p in words],
               "sentence": step.sentence}
        self.frames += n
        return out

    def _close_detector(self) -> None:
        if self.detect is not None:
            if hasattr(self.detect, "close"):
                from ..limits import trim_freed_memory

                self.detect.close()
                trim_freed_memory()  # the graph's memory goes back to the system, not into the heap for good
            self.engine.image_page(False)
        self.detect = None

    def give_way(self) -> None:
        """Close this page, telling it that it gave its place to a new page for having sent nothing for
        :attr:`Engine.idle` seconds (the page connects again when its visitor acts)."""
        if self.leave is not None:
            self.leave(f"this page sent nothing for {time.monotonic() - self.heard:.0f} s and gave its place to a new "
                       f"page (the server has {self.engine.max_clients} places, all taken).")

    def close(self) -> None:
        self.closed = True
        self.recorder = None
        self._close_detector()
        if self.adapt_job is not None:
            self.adapt_job.cancel()  # a job still queued is dropped; one already running finishes, unheard

    # -- control messages, on the event loop ----------------------------------------------------------------------
    async def control(self, text: str, send) -> dict | None:
        """One JSON control message: the reply to send (None when ``send`` reports progress itself)."""
        if len(text.encode()) > MAX_TEXT_BYTES:
            raise BadMessage(f"control message over {MAX_TEXT_BYTES} bytes")
        try:
            m = json.loads(text)
        except ValueError:
            raise BadMessage("control messages are JSON objects") from None
        except RecursionError:  # nesting deeper than the parser goes
            raise BadMessage("control message nested too deeply (a request's fields are flat)") from None
        if not isinstance(m, dict) or not isinstance(m.get("type"), str):
            raise BadMessage('control messages are JSON objects with a "type"')
        kind = m["type"]
        try:
            if kind == "ping":
                return {"type": "pong"}
            if kind == "clear":
                self.clear()
                return {"type": "cleared"}
            if kind == "record":
                return self.record(m.get("name"), m.get("action"), m.get("count"), m.get("pause"), m.get("then"))
            if kind == "cancel":
                return self.cancel()
            if kind == "counts":
                check_name(name := m.get("name"))
                self.watching = name
                return {"type": "counts", "name": name, "counts": counts(self.engine.data / name)}
            if kind == "adapt":
                await self.adapt(m.get("name"), send)
                return None
        except BadMessage as e:
            e.about = kind  # the page's error reply names the request refused
            raise
        raise BadMessage(f"unknown message type {kind[:40]!r}")

    def clear(self) -> None:
        with self.guard:
            self.recognizer.sentence.clear()
            self.recognizer.reset()

    def use(self, bundle, forward=None) -> dict:
        """Switch this page to ``bundle`` (``forward``: its batch forward pass); the sentence so far stays."""
        forward = forward or Forward(bundle)
        with self.guard:
            old = self.recognizer
            self.bundle, self.forward = bundle, forward
            self.need = protocol.mask_of(bundle.parts_read)
            self.recognizer = self._recognizer(bundle)
            self.recognizer.sentence.extend(old.sentence)
        return model_info(bundle, self.recognizer.threshold)

    async def adapt(self, name: str, send) -> None:
        """Adapt this page's model to ``name``'s recordings in the adapt thread, reporting progress with ``send``."""
        check_name(name)
        if self.adapt_task is not None and not self.adapt_task.done():
            raise BadMessage("an adaptation is already running for this page")
        engine = self.engine
        state = {"type": "adapt", "state": "waiting", "phase": "waiting for the adapt worker", "progress": 0.0,
                 "seconds": 0.0, "name": name}

        def job():
            state.update(state="running")
            return adapted.adapt_job(self.bundle, engine.data / name, engine.models, name, state, engine.models_in_use)

        try:
            adapted.check_recorded(engine.data / name, name)
        except SignlstmError as e:  # nothing to adapt to: said at once, not after the adaptations ahead of it
            self.adapt_job = Future()
            self.adapt_job.set_exception(e)
        else:
            try:
                self.adapt_job = engine.start_adapt(job)
            except RuntimeError:  # the adapt thread is shut down
                raise BadMessage("the server is stopping") from None
        self.adapt_task = asyncio.get_running_loop().create_task(self._adapt(self.adapt_job, state, send))

    async def _adapt(self, job: Future, state: dict, send) -> None:
        """Report ``job``'s progress to the page until it ends, then switch the page to the adapted model (a page
        that has left hears nothing; its model stays on disk)."""
        t0 = time.monotonic()

        async def tell(message: dict) -> None:  # a page that has left hears nothing, and that is no error
            if not self.closed:
                try:
                    await send(message)
                except Exception:  # noqa: BLE001 - the socket's own error when the page closed meanwhile
                    self.closed = True

        future = asyncio.wrap_future(job)
        try:
            while not job.done():
                state["seconds"] = round(time.monotonic() - t0, 1)
                self.adapt_state = dict(state)
                await tell(dict(state))
                await asyncio.wait([future], timeout=0.5)
            if job.cancelled():
                return  # dropped before it started: the page left
            bundle, forward = await future  # (its error read here: asyncio would log one never read)
            if self.closed:
                return  # the page went away; the model stays on disk
            async with self.lock:
                info = self.use(bundle, forward)
            state.update(state="done", phase="done", progress=1.0, seconds=round(time.monotonic() - t0, 1),
                         model=shown_path(bundle.path), labels=bundle.labels,
                         check=state.get("notes", []) + adapted.adapt_check(bundle))
            self.adapt_state = dict(state)
            await tell(info)
            await tell(dict(state))
        except SignlstmError as e:
            state.update(state="error", phase=for_page(e), seconds=round(time.monotonic() - t0, 1))
            self.adapt_state = dict(state)
            await tell(dict(state))
        except asyncio.CancelledError:  # this task was cancelled (the loop is stopping)
            job.cancel()  # a job not started yet never runs
            future.add_done_callback(lambda f: f.cancelled() or f.exception())  # what it raises goes unheard
            raise


def _holistic(face: bool):
    """The landmark steps ``live`` runs for a model: Holistic, without the face mesh when the model reads no face."""
    from ..keypoints.landmarks import Holistic

    return Holistic(face=face)
