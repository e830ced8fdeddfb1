"""One compiled call for the windows of every page that is ready: the keypoint path's classifier.

Keypoint messages of all pages are queued as they arrive (:meth:`Batcher.put`, no task per message) and answered in
rounds, all on the event loop. A round reads what was queued (:func:`~signlstm.web.protocol.unpack`; a bad message
fails only its own page's reply), takes the next frame of every page that has one, moves each page's
:class:`~signlstm.recognizer.Recognizer` one frame on (:meth:`~signlstm.recognizer.Recognizer.advance`: its window
is a view of its ring buffer), runs all those windows through the model in one forward pass per model (copied into
a reused batch padded to a few fixed sizes, each compiled once), then gives each recognizer its probabilities
(:meth:`~signlstm.recognizer.Recognizer.conclude`). A recognizer sees exactly what ``update`` would have shown it:
the same windows in the same order, one frame at a time. The frames it sees are those the page's frames make due at
30 a second from their times (:meth:`~signlstm.web.engine.Session.due_frames`, as ``live`` resamples a source): a page
whose browser finds 15 frames a second gives its recognizer 30. A message is answered when its last frame due is
concluded (one that made none due, in its turn after the page's earlier messages). A recording keeps the frames due.

Rounds start at most every ``tick`` seconds, so the messages of a few milliseconds share one forward pass. The
forward pass runs on the loop's own thread: a round is one piece of work with nothing between a window and its
probabilities and no hand-off to another thread. The reply times this gives are the README's ``signlstm loadtest``
table.
"""
from __future__ import annotations

import asyncio
import time
import weakref
from collections import deque

import numpy as np

from .. import layout

# Batch sizes compiled; a batch is padded to the next one, larger ones split. A window in a batch of 8 or more costs
# the shipped model's forward pass about two thirds of one window alone, and 64 windows more than two calls of 32, so
# padding is waste in proportion: the sizes are close together.
SIZES = (1, 2, 4, 8, 12, 16, 24, 32)
TICK = 0.004  # seconds between the starts of two rounds, at least


class Forward:
    """The model's forward pass for batches of (seq_len, 1662) windows, padded to :data:`SIZES` (compiled once each).

    Only the columns of the parts the model reads (``Bundle.parts_read``) are copied into the batch; the program puts
    zeros in the others before the model (which never reads them), so for the shipped model 258 of the 1662 values
    a frame travel: the same probabilities (bit for bit on the test windows), 10-15 % less time a batch."""

    def __init__(self, bundle, warm: bool = True, sizes: tuple[int, ...] = SIZES):
        self.spans = []  # (start, stop) of the parts read, adjacent parts as one span: all of them is [(0, 1662)]
        for p in layout.PARTS:
            if p.name in bundle.parts_read:
                if self.spans and self.spans[-1][1] == p.start:
                    self.spans[-1] = (self.spans[-1][0], p.stop)
                else:
                    self.spans.append((p.start, p.stop))
        self.run = _compiled(bundle.model, self.spans)
        self.seq_len = bundle.seq_len
        self.sizes = sizes
        self.buffer = np.zeros((sizes[-1], self.seq_len, sum(b - a for a, b in self.spans)), np.float32)
        if warm:
            for n in sizes:
                self.run(self.buffer[:n])

    def __call__(self, windows: list[np.ndarray]) -> np.ndarray:
        """Probabilities of (seq_len, 1662) windows, the parts read copied once into the batch."""
        out = []
        for at in range(0, len(windows), self.sizes[-1]):
            chunk = windows[at:at + self.sizes[-1]]
            for i, w in enumerate(chunk):
                col = 0
                for a, b in self.spans:
                    self.buffer[i, :, col:col + b - a] = w[:, a:b]
                    col += b - a
            size = next(s for s in self.sizes if s >= len(chunk))
            out.append(self.run(self.buffer[:size])[:len(chunk)])
        return np.concatenate(out)


def _reading(model, spans):
    """``model`` behind an input of only the columns in ``spans``: the others are zeros again before it."""
    if spans == [(0, layout.FRAME_SIZE)]:
        return model
    import keras

    def widen(x):
        pieces, col, last = [], 0, 0
        for a, b in spans:
            if a > last:
                pieces.append(keras.ops.zeros((keras.ops.shape(x)[0], x.shape[1], a - last), x.dtype))
            pieces.append(x[..., col:col + b - a])
            col, last = col + b - a, b
        if last < layout.FRAME_SIZE:
            pieces.append(keras.ops.zeros((keras.ops.shape(x)[0], x.shape[1], layout.FRAME_SIZE - last), x.dtype))
        return keras.ops.concatenate(pieces, axis=-1)

    inputs = keras.Input(model.input_shape[1:-1] + (sum(b - a for a, b in spans),))
    return keras.Model(inputs, model(keras.layers.Lambda(widen)(inputs)))


# The attribute of a model that holds its compiled forward passes (see :func:`_compiled`).
_COMPILED = "_signlstm_batch_forward"


def _compiled(model, spans):
    """The compiled forward pass of ``model`` reading the columns in ``spans``: one set of executables per loaded
    model and spans, whatever the number of engines and pages, kept as long as the model is.

    It is kept on the model itself (``spans`` -> program, beside a weak reference checking the model is the one it
    was made for, not a copy), so the program's own reference to the model is a cycle the collector frees with it once
    nothing else holds the model."""
    from ..models.bundle import fast_forward

    own, programs = model.__dict__.get(_COMPILED, (None, None))
    if own is None or own() is not model:
        programs = {}
        object.__setattr__(model, _COMPILED, (weakref.ref(model), programs))  # past Keras' tracking of attributes
    key = tuple(spans)
    if key not in programs:
        programs[key] = fast_forward(_reading(model, spans))
    return programs[key]


class Message:
    """One keypoint message on its way: its frames, how many are stepped, and what its reply needs."""

    __slots__ = ("session", "data", "done", "arrived", "sent", "frames", "t", "mask", "next", "words", "step")

    def __init__(self, session, data: bytes, done, arrived: float):
        self.session, self.data, self.done, self.arrived = session, data, done, arrived
        self.sent = None  # the page's frames
        self.frames = None  # the frames they make due for the recognizer (or the message's refusal)
        self.t = 0.0
        self.mask = 0  # the parts the page sent (:mod:`.protocol`)
        self.next = 0
        self.words = []  # (word, its probability) of each word its frames gave
        self.step = None


class Batcher:
    """Queues keypoint messages on the event loop and answers them in rounds (see the module's text)."""

    def __init__(self, tick: float = TICK):
        self.tick = tick
        self.queue: list[Message] = []  # arrived, not read yet
        self.pending: dict = {}  # session -> deque of read messages with frames to step (in arrival order)
        self.running = False
        self.task: asyncio.Task | None = None
        self.batches = 0  # forward passes (one per model per round)
        self.windows = 0
        self.rounds = 0

    def put(self, session, data: bytes, done) -> None:
        """Queue one keypoint message of ``session``; ``done(reply or BadMessage or error)`` is called later, on the
        loop (a page's messages are answered in the order put; ``done`` must not block: it hands the reply on)."""
        self.queue.append(Message(session, data, done, time.perf_counter()))
        if not self.running:
            self.running = True
            self.task = asyncio.get_running_loop().create_task(self._drain())  # referenced while it runs

    async def submit(self, session, data: bytes) -> dict:
        """The reply to one keypoint message (raises :class:`~signlstm.web.protocol.BadMessage` if refused)."""
        future = asyncio.get_running_loop().create_future()

        def done(result):
            if not future.done():
                (future.set_exception if isinstance(result, BaseException) else future.set_result)(result)

        self.put(session, data, done)
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await asyncio.sleep(0)  # messages that arrived in the same turn of the loop join the first round
            while self.queue or self.pending:
                started = loop.time()
                self._read()
                if self.pending:
                    self._round()
                if self.tick and (self.queue or self.pending):
                    await asyncio.sleep(max(0.0, started + self.tick - loop.time()))
                else:
                    await asyncio.sleep(0)  # the replies go out and the next messages come in
        finally:
            self.running = False

    def _read(self) -> None:
        """Unpack what was queued; refused messages are answered at once, the others wait for their rounds."""
        from .protocol import BadMessage, unpack

        items, self.queue = self.queue, []
        for m in items:
            s = m.session
            if s.closed:
                continue
            try:
                m.sent, m.t, m.mask = unpack(m.data, s.need)
                with s.guard:
                    m.frames = s.due_frames(m.sent, m.t)
            except BadMessage as e:
                m.frames = e
                if s in self.pending:  # answered after the page's earlier messages
                    self.pending[s].append(m)
                else:
                    s.finish(m)
                continue
            m.data = None
            self.pending.setdefault(s, deque()).append(m)

    def _round(self) -> None:
        """One frame of every page that has one: advance, one forward pass per model, conclude, answer."""
        stepped, groups, probs = [], {}, {}
        for s, messages in list(self.pending.items()):
            m = messages[0]
            if s.closed:
                del self.pending[s]
                continue
            if isinstance(m.frames, BaseException) or m.next == len(m.frames):
                continue  # a refusal queued behind earlier messages, or no frame due: answered below
            rec = s.recognizer
            try:
                with s.guard:
                    step, window = rec.advance(m.frames[m.next])
            except Exception as e:  # noqa: BLE001 - one page's failure is that page's alone
                m.frames = e
                continue
            slot = None
            if window is not None:
                group = groups.setdefault(id(s.forward), (s.forward, []))[1]
                slot = (id(s.forward), len(group))
                group.append(window)
            stepped.append((m, rec, step, slot))
        if groups:
            self.rounds += 1
            self.batches += len(groups)
            self.windows += sum(len(w) for _, w in groups.values())
            try:
                probs = {key: forward(windows) for key, (forward, windows) in groups.items()}
            except Exception as e:  # noqa: BLE001 - a programming error: logged for each message (server.answer)
                probs = e
        for m, rec, step, slot in stepped:
            if slot is not None:
                try:
                    if isinstance(probs, BaseException):
                        raise probs
                    with m.session.guard:
                        rec.conclude(step, probs[slot[0]][slot[1]])
                except Exception as e:  # noqa: BLE001
                    m.frames = e
                    continue
            if step.word:
                m.words.append((step.word, step.word_prob))
            m.step = step
            m.next += 1
        # answer every message whose frames are all stepped (or that failed), each page's in order
        for s, messages in list(self.pending.items()):
            while messages and (isinstance(messages[0].frames, BaseException)
                                or messages[0].next == len(messages[0].frames)):
                m = messages.popleft()
                if not s.closed:
                    s.finish(m)
            if not messages:
                del self.pending[s]

