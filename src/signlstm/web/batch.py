"""One compiled call for the windows of every page that is ready: the keypoint path's classifier.

Keypoint messages of all pages are queued; everything queued is handled at once, the Python work on the event loop
itself and only the forward pass in a thread (XLA runs without the GIL; Python work in a second thread would make the
loop wait for the GIL at each of its many small socket calls: measured, the server answered several times slower),
reads each message (:func:`~signlstm.web.protocol.unpack`), works out the windows each page's recognizer will
classify (its last ``seq_len`` frames after each new frame), runs them through the model in one forward pass per
model (padded to a few fixed batch sizes, each compiled once), and then lets each page's
:class:`~signlstm.recognizer.Recognizer` step through its frames with those probabilities in hand
(:class:`Precomputed`; a window that is not the one foreseen is classified on its own, so the result is always the
recognizer's own). A bad message fails only its own page's future.
"""
from __future__ import annotations

import asyncio
from collections import deque

import numpy as np

SIZES = (1, 4, 16, 32, 64)  # batch sizes compiled; a batch is padded to the next one, larger ones are split


class Precomputed:
    """A recognizer's ``classify``: the probabilities computed in the batch for the windows it was told to expect,
    else the bundle's own fast path."""

    def __init__(self, bundle):
        self.bundle = bundle
        self.ready: deque = deque()  # (window, probs) in the order the recognizer will ask

    def __call__(self, window: np.ndarray) -> np.ndarray:
        while self.ready:
            expected, probs = self.ready.popleft()
            if expected.shape == window.shape and np.array_equal(expected, window):
                return probs
        return self.bundle.classify(window)


def upcoming_windows(window, frames: np.ndarray, seq_len: int) -> list[np.ndarray]:
    """The windows a recognizer holding ``window`` (its deque of frames) classifies as ``frames`` arrive."""
    held = [np.asarray(f, np.float32) for f in list(window)[-(seq_len - 1):]] if seq_len > 1 else []
    out = []
    for f in frames:
        held.append(np.asarray(f, np.float32))
        held = held[-seq_len:]
        if len(held) == seq_len:
            out.append(np.stack(held))
    return out


class Forward:
    """The model's forward pass for batches of windows, padded to :data:`SIZES` (compiled once each)."""

    def __init__(self, bundle, warm: bool = True):
        from ..models.bundle import fast_forward

        self.run = fast_forward(bundle.model)
        self.seq_len = bundle.seq_len
        if warm:
            for n in SIZES:
                self.run(np.zeros((n, self.seq_len, bundle.model.input_shape[-1]), np.float32))

    def __call__(self, windows: list[np.ndarray]) -> np.ndarray:
        """Probabilities of (seq_len, features) windows, copied once into zero-padded batches."""
        out = []
        for at in range(0, len(windows), SIZES[-1]):
            chunk = windows[at:at + SIZES[-1]]
            batch = np.zeros((next(s for s in SIZES if s >= len(chunk)), *chunk[0].shape), np.float32)
            for i, w in enumerate(chunk):
                batch[i] = w
            out.append(self.run(batch)[:len(chunk)])
        return np.concatenate(out)


class Batcher:
    """Queues keypoint messages on the event loop and handles all that are queued at once: reading and the
    recognizers' steps in the loop's thread, the forward pass in ``pool``'s one thread."""

    def __init__(self, pool):
        self.pool = pool
        self.queue: list = []
        self.running = False
        self.batches = 0
        self.windows = 0

    async def submit(self, session, data: bytes) -> dict:
        """The reply to one keypoint message of ``session``, computed with the other pages' messages (a page's
        messages in the order submitted)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.queue.append((session, data, future))
        if not self.running:
            self.running = True
            loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await asyncio.sleep(0)  # messages that arrived in the same turn of the loop join the batch
            while self.queue:
                items, self.queue = self.queue, []
                try:
                    pairs = [(s, d) for s, d, _ in items]
                    read, groups = self._read(pairs)
                    # only the forward pass runs in the thread: XLA holds no GIL, so the loop goes on meanwhile
                    probs = await loop.run_in_executor(self.pool, _forward_all, groups)
                    results = self._steps(pairs, read, probs)
                except Exception as e:  # a programming error, or the pool is shut down: every page is told
                    results = [e] * len(items)
                for (_, _, future), r in zip(items, results):
                    if not future.done():
                        (future.set_exception if isinstance(r, BaseException) else future.set_result)(r)
                await asyncio.sleep(0)  # the replies go out and the next messages come in before the next batch
        finally:
            self.running = False

    def _read(self, items) -> tuple[list, dict]:
        """Read every message and foresee the windows its page's recognizer will classify, grouped by model."""
        from .protocol import BadMessage, unpack

        read, groups, held = [], {}, {}
        for session, data in items:
            try:
                frames, t, _ = unpack(data, session.need)
            except BadMessage as e:
                read.append(e)
                continue
            seq_len = session.bundle.seq_len
            before = list(held.get(id(session), session.recognizer.window))
            windows = upcoming_windows(before, frames, seq_len)
            held[id(session)] = [*before, *frames][-seq_len:]  # the page's window once this message is stepped
            read.append((frames, t, windows))
            groups.setdefault(id(session.forward), (session.forward, []))[1].extend(windows)
        self.batches += sum(1 for _, w in groups.values() if w)
        self.windows += sum(len(w) for _, w in groups.values())
        return read, groups

    def _steps(self, items, read, probs) -> list:
        """Each page's recognizer (and recording) over its frames, in the order its messages came."""
        probs = {key: iter(p) for key, p in probs.items()}
        out = []
        for (session, _), r in zip(items, read):
            if isinstance(r, BaseException):
                out.append(r)
                continue
            frames, t, windows = r
            with session.guard:
                for w in windows:
                    session.precomputed.ready.append((w, next(probs[id(session.forward)])))
                try:
                    reply = session.steps(frames, {"t": t})
                    if session.recorder is not None:
                        reply["recording"] = session.record_frames(frames)
                    out.append(reply)
                except Exception as e:  # noqa: BLE001 - one page's failure is that page's alone
                    out.append(e)
                finally:
                    session.precomputed.ready.clear()
        return out


def _forward_all(groups: dict) -> dict:
    """The probabilities of every group's windows, one forward pass per model."""
    return {key: forward(windows) for key, (forward, windows) in groups.items() if windows}
