"""Frames -> keypoints in threads: a reader thread decodes, one thread per landmark step, bounded queues between.

:class:`Pipeline` iterates over ``(index, image, keypoints)``; :attr:`Pipeline.taken` is the time
(``time.perf_counter``) at which the newest of them was read from the source, so a camera's frames can be placed in
time whatever rate it reports, and :attr:`Pipeline.own` the time a video file gives that frame
(:attr:`signlstm.frames.sources.Source.time`), so a variable-rate video is read at its frames' own times
(:meth:`Pipeline.when`: a camera's read time, a video's own time, other files' frames by their rate;
:meth:`Pipeline.real_time`: whether the times are a camera's). ``detect`` is a callable (image -> keypoints) or has
``stages`` (callables applied in turn, one thread each: :attr:`signlstm.keypoints.landmarks.Holistic.stages`). Queues
hold ``QUEUE`` items. From a live source (a camera) a full queue drops its oldest frame, so latency stays bounded when a
stage is slow; from a file nothing is dropped, so a file gives the same keypoints every run. An error in any thread ends
the iteration and is raised in the consumer.
"""
from __future__ import annotations

import queue
import threading
import time

QUEUE = 2


class _End:
    """Marks the end of a stream, carrying the error that ended it, if any."""

    def __init__(self, error: BaseException | None = None):
        self.error = error


def _put(q: queue.Queue, item, stop: threading.Event, drop: bool) -> int:
    """Put ``item``; a dropping queue never waits but discards its oldest item. Returns frames dropped."""
    dropped = 0
    while not stop.is_set():
        try:
            if drop and not isinstance(item, _End):
                q.put_nowait(item)
            else:
                q.put(item, timeout=0.1)
            return dropped
        except queue.Full:
            if drop and not isinstance(item, _End):
                try:
                    q.get_nowait()
                    dropped += 1
                except queue.Empty:
                    pass
    return dropped


def _get(q: queue.Queue, stop: threading.Event):
    while not stop.is_set():
        try:
            return q.get(timeout=0.1)
        except queue.Empty:
            pass
    return _End()


class Pipeline:
    """Frames of ``source`` as (index, image or None, keypoints), decoded and landmarked in threads."""

    def __init__(self, source, detect=None, serial: bool = False):
        self.source, self.detect, self.serial = source, detect, serial
        self.drop = bool(getattr(source, "live", False))
        self.stop = threading.Event()
        self.dropped = 0
        self.taken: float | None = None  # when the newest frame given out was read from the source
        self.own: float | None = None  # the source's own time of that frame (a video file's), if it has one
        self._count = threading.Lock()  # several threads drop frames
        self.threads: list[threading.Thread] = []

    def real_time(self, fps: float | None = None) -> bool:
        """True when frames are placed at the times they were read: a camera, unless ``fps`` is given."""
        return self.drop and not fps

    def when(self, index: int, fps: float | None = None) -> float:
        """When frame ``index`` (the newest given out) was taken, in seconds: with ``fps`` given, ``index / fps``;
        else a camera's read time (:attr:`taken`), a video file's own time for the frame (:attr:`own`), or another
        file's frame at ``index / fps`` of the source's rate."""
        if fps:
            return index / float(fps)
        if self.real_time():
            return self.taken
        return self.own if self.own is not None else index / float(self.source.fps)

    def _forward(self, q: queue.Queue, item) -> None:
        """Hand ``item`` on (dropping the queue's oldest when a camera's queue is full) and count what was dropped."""
        dropped = _put(q, item, self.stop, self.drop)
        if dropped:
            with self._count:
                self.dropped += dropped

    def _read(self, out: queue.Queue):
        try:
            for i, item in enumerate(self.source):
                if self.stop.is_set():
                    break
                self._forward(out, (i, (time.perf_counter(), getattr(self.source, "time", None)), item, item))
            _put(out, _End(), self.stop, False)
        except BaseException as e:  # handed to the consumer, which re-raises it
            _put(out, _End(e), self.stop, False)

    def _step(self, step, inp: queue.Queue, out: queue.Queue):
        """One landmark step in its own thread: (index, times, image, value) -> (..., step(value))."""
        while True:
            item = _get(inp, self.stop)
            if isinstance(item, _End):
                _put(out, item, self.stop, False)
                return
            try:
                i, taken, image, value = item
                self._forward(out, (i, taken, image, step(value)))
            except BaseException as e:
                _put(out, _End(e), self.stop, False)
                return

    def _serial(self):
        for i, item in enumerate(self.source):
            self.taken, self.own = time.perf_counter(), getattr(self.source, "time", None)
            yield (i, item, self.detect(item)) if self.detect else (i, None, item)

    def __iter__(self):
        if self.serial:
            yield from self._serial()
            return
        q1 = queue.Queue(QUEUE)
        self.threads = [threading.Thread(target=self._read, args=(q1,), daemon=True, name="signlstm-read")]
        last = q1
        steps = () if self.detect is None else getattr(self.detect, "stages", (self.detect,))
        for k, step in enumerate(steps):
            nxt = queue.Queue(QUEUE)
            self.threads.append(threading.Thread(target=self._step, args=(step, last, nxt), daemon=True,
                                                 name=f"signlstm-landmarks-{k + 1}"))
            last = nxt
        for t in self.threads:
            t.start()
        try:
            while True:
                item = _get(last, self.stop)
                if isinstance(item, _End):
                    if item.error is not None:
                        raise item.error
                    return
                i, (self.taken, self.own), image, value = item
                yield (i, image, value) if self.detect is not None else (i, None, value)
        finally:
            self.close()

    def close(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=5)
