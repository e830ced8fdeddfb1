"""The live engine: source -> landmarks -> recognizer -> render -> window / JSON / video / strip.

The stages overlap (:class:`signlstm.keypoints.pipeline.Pipeline`): a reader thread decodes frames, two
landmark threads run Holistic's two steps (the pose, then the hands and face from it), and the
calling thread classifies, draws and shows (pygame wants the main thread). From a camera a full
queue drops its oldest frame, so latency stays bounded when a stage is slow; from a file nothing
is dropped, so a file gives the same words every run.
Saved keypoints (``.npy`` or an MP_Data sequence folder) replay without MediaPipe, drawn as a
skeleton on a blank canvas.
"""
from __future__ import annotations

import os
import queue
import threading
import time
from collections import deque
from pathlib import Path

import numpy as np

from ..errors import SignlstmError
from ..frames.sources import DEFAULT_CAMERA
from ..keypoints.landmarks import open_input
from ..keypoints.pipeline import Pipeline
from ..recognizer import SENTENCE, Recognizer
from ..keypoints.resample import RATE, Resample

STRIP_MAX = 6


OUT_VIDEO_SUFFIXES = (".mp4", ".avi")
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg")
MAX_FPS = 1000  # frames a second a source may be said to have (--fps): faster than any camera


def fps_problem(fps) -> str | None:
    """Why ``fps`` (frames a second of a source, None: its own) cannot be taken, else None: it must be a number from 1
    (below, each frame would be made into more than 30 for the recognizer: near 0, without bound) to :data:`MAX_FPS`
    (above, a second's frames would all make one frame)."""
    import numbers

    if fps is None or (isinstance(fps, numbers.Real) and not isinstance(fps, bool) and 1 <= fps <= MAX_FPS):
        return None
    return f"must be a number of frames a second from 1 to {MAX_FPS}, got {fps}"


def check_out_paths(out=None, strip=None) -> None:
    """Refuse, before anything is read, a video or strip picture path :func:`run` could not write: a folder, a
    suffix of another kind of file, or a folder it cannot be written in (:class:`BadInput` naming it)."""
    from ..errors import BadInput
    from ..outputs import check_writable_folder

    for path, kinds, what in ((out, OUT_VIDEO_SUFFIXES, "video"), (strip, PICTURE_SUFFIXES, "picture")):
        if not path:
            continue
        if Path(path).is_dir():
            raise BadInput(path, f"is a folder; give the {what} file's name ({' or '.join(kinds)})")
        if Path(path).suffix.lower() not in kinds:
            raise BadInput(path, f"a {what} is written as {' or '.join(kinds)}")
        try:
            check_writable_folder(Path(path).parent)
        except BadInput as e:
            raise BadInput(path, f"cannot be written: {e.path} {e.problem}") from None


_TURN = 0.25  # seconds a queue call of the video's waits before it looks again


class VideoOut:
    """An .mp4/.avi encoded in a background thread to a temporary name, renamed into place (:meth:`rename`) once
    :meth:`verify` has read it back whole (OpenCV's writer says nothing when a write fails, e.g. on a full disk)."""

    def __init__(self, path, fps: float):
        from ..files import made_parents, not_written, sweep_leftovers, temp_prefix

        self.path, self.fps, self.writer, self.thread, self.count = Path(path), fps, None, None, 0
        try:
            self.made = made_parents(self.path)  # removed by abort when nothing is written
        except OSError as e:
            raise not_written(self.path, e) from None
        sweep_leftovers(self.path.parent)  # a name, not a file: OpenCV makes the file when the first frame comes
        self.tmp = self.path.with_name(f"{temp_prefix(self.path.stem)}tmp{self.path.suffix}")
        self.queue: queue.Queue = queue.Queue(8)  # blocks when full: a written video never skips frames

    def write(self, frame: np.ndarray, copies: int = 1) -> None:
        """Queue ``frame`` to be written ``copies`` times (0: not at all)."""
        import cv2

        if copies < 1:
            return
        if self.writer is None:
            fourcc = cv2.VideoWriter_fourcc(*("MJPG" if self.path.suffix.lower() == ".avi" else "mp4v"))
            self.size = (frame.shape[1], frame.shape[0])
            self.writer = cv2.VideoWriter(str(self.tmp), fourcc, self.fps, self.size)
            if not self.writer.isOpened():
                from ..errors import BadInput

                raise BadInput(self.path, "OpenCV could not open a video for writing there (a place the machine "
                                          "refuses to write, or a codec it lacks)")
            self.thread = threading.Thread(target=self._encode, daemon=True, name="signlstm-video")
            self.thread.start()
        if (frame.shape[1], frame.shape[0]) != self.size:  # a folder of images of several sizes: each fitted whole
            from .render import fit_into

            frame = fit_into(frame, *self.size)
        for _ in range(copies):
            self._put(frame)
            self.count += 1

    # The queue is waited on in short turns: a Ctrl-C that lands inside the main thread's queue call can cost the
    # other thread its wake-up (seen under load: the encoder asleep beside a queued end, the command hung), and an
    # encoder that failed takes nothing more.
    def _put(self, item) -> None:
        while self.thread.is_alive():
            try:
                return self.queue.put(item, timeout=_TURN)
            except queue.Full:
                continue

    def _encode(self):
        while True:
            try:
                frame = self.queue.get(timeout=_TURN)
            except queue.Empty:
                continue
            if frame is None:
                return
            self.writer.write(frame)

    def drain(self) -> None:
        """Wait until the frames queued are encoded (a few: the queue is short); the encoder thread ends. A Ctrl-C
        waits until then: a join it cut short could take the thread for ended while it still writes to the writer
        this releases."""
        from ..interrupts import interrupts_held

        with interrupts_held():
            if self.thread is not None:
                self._put(None)
                self.thread.join()
                self.thread = None
            if self.writer is not None:
                self.writer.release()

    def verify(self) -> None:
        """Write the frames queued (the encoder thread ends) and read the video back: one that does not hold every
        frame written is :class:`BadInput` naming the path, and after a Ctrl-C that Python swallowed
        (:func:`signlstm.interrupts.check_not_interrupted`) ``KeyboardInterrupt``; either way it is removed and whatever
        was at the path is kept."""
        from ..interrupts import check_not_interrupted

        self.drain()
        if self.writer is None:
            return
        from ..frames.sources import stored_frames

        stored = stored_frames(self.tmp)
        try:
            if stored != self.count:
                from ..errors import BadInput

                raise BadInput(self.path, f"the video could not be written whole ({stored} of its {self.count} frames "
                                          "read back; is the disk full?)")
            check_not_interrupted()
        except BaseException:
            self.abort()
            raise

    def rename(self) -> None:
        """Put the video (checked by :meth:`verify`) into place."""
        if self.writer is not None:
            os.replace(self.tmp, self.path)

    def abort(self) -> None:
        from ..files import remove_made

        self.drain()
        self.tmp.unlink(missing_ok=True)
        remove_made(self.made)


class StripCollector:
    """Annotated frames for a summary picture: those where a word appeared, topped up with evenly spaced ones."""

    def __init__(self, keep: int = STRIP_MAX):
        self.keep, self.words, self.samples, self.every = keep, [], [], 1

    def add(self, index: int, view: np.ndarray, word: bool) -> None:
        if word and len(self.words) < self.keep:
            self.words.append((index, view.copy()))
        if index % self.every == 0:
            self.samples.append((index, view.copy()))
            if len(self.samples) > 2 * self.keep:  # keep memory flat on long runs: halve the sampling rate
                self.every *= 2
                self.samples = [s for s in self.samples if s[0] % self.every == 0]

    def frames(self, least: int = STRIP_MAX) -> list[np.ndarray]:
        chosen = dict(self.words)
        extra = [s for s in self.samples if s[0] not in chosen]
        need = max(0, least - len(chosen))
        if need and extra:
            picks = np.linspace(0, len(extra) - 1, min(need, len(extra))).round().astype(int)
            chosen.update(extra[i] for i in picks)
        return [v for _, v in sorted(chosen.items(), key=lambda kv: kv[0])]


def run(bundle, spec=DEFAULT_CAMERA, threshold: float | None = None, stability: int | None = None,
        sentence: int = SENTENCE, window: bool = False, out=None, strip=None, serial: bool = False, on_word=None,
        max_frames: int | None = None, rule: str | None = None, rest: int | None = None,
        rearm: int | None = None, onset: float | None = None, refractory: int | None = None,
        fps: float | None = None) -> dict:
    """Recognise signs on ``spec`` until it ends or the user quits; returns the summary. Ctrl-C ends a camera's run
    (its outputs are written, as at any end); on a file it raises :class:`KeyboardInterrupt` with no output written.

    The recognizer sees the input at :data:`signlstm.keypoints.resample.RATE` frames a second, the rate the models
    learnt: frame ``i`` of the source is taken at ``i / fps`` seconds; ``fps`` None: a video's frames at their own
    times (a phone's video may change its rate in dim light), keypoints and images at 30 a second, and a camera's
    frames at the times they were read (:attr:`Pipeline.taken`, since a camera may deliver fewer frames than it
    reports) (:meth:`~signlstm.keypoints.pipeline.Pipeline.when`); :class:`~signlstm.keypoints.resample.Resample`
    makes the frames due by then.

    ``rule`` (None: the bundle's) and its settings (``threshold``, ``stability``, ``rest``, ``rearm``, ``onset``,
    ``refractory``; None: the rule's default) are the :class:`~signlstm.recognizer.Recognizer`'s.

    ``on_word(event)`` is called per emitted word with ``time`` (the input's time of the frame that gave it, in
    seconds from the first frame: a video's own time, a camera's as read), ``frame``, ``label``, ``prob`` and
    ``sentence``. The summary has ``frames``, ``fps``,
    ``words``, ``dropped`` (frames a camera delivered faster than they could be used) and ``recognized_frames``
    (the frames the recognizer saw, at 30 a second: fewer than the model's window, nothing could be said), and
    ``no_word`` when the input filled the window and gave no word: why (:meth:`Recognizer.silence`).
    """
    from . import render
    from ..files import write_atomic
    from ..interrupts import check_not_interrupted, forget_interrupts, interrupts_held

    if problem := fps_problem(fps):
        raise SignlstmError(f"fps {problem}")
    check_out_paths(out, strip)  # before any frame is read
    bundle.prepare()
    rec = Recognizer(bundle, threshold, stability, sentence, rule=rule, rest=rest, rearm=rearm, onset=onset,
                     refractory=refractory)
    threshold = rec.threshold
    stream, detect = open_input(spec, face=bundle.reads_face)
    win = video = None
    strips = StripCollector() if strip else None
    bare = StripCollector() if strip else None  # frames before the window is full: the picture of a short input
    pipe = Pipeline(stream, detect, serial)
    rate = float(fps or stream.fps)
    resample = Resample()
    step = None  # the recognizer's newest step: what the frame is drawn with
    pace = 1.0 / rate if window and detect is None else 0.0  # replay at its own rate on screen
    recent: deque = deque(maxlen=30)
    t0 = None
    first = at = None  # the input's time of the first frame and of the newest (Pipeline.when)
    frames = 0
    index = -1  # the source's frame number of the newest frame
    last = None  # (picture, keypoints, probabilities, shown fps) of the newest frame drawn
    # its view, written to the video (``copies`` times: a camera's once per frame due) when the next frame comes or the
    # input ends (a word the end of the input gives, see Recognizer.finish, is then drawn on the last frame)
    pending, copies = None, 1
    try:
        if window:
            from .window import Window

            win = Window(f"signlstm live - {stream.name}")
        if out:
            video = VideoOut(out, RATE)  # a picture per frame due: the recognizer's view, as long as the input
        for index, image, keypoints in pipe:
            check_not_interrupted()  # a Ctrl-C whose exception Python swallowed (a GC callback's) stops the run too
            now = time.perf_counter()
            t0 = t0 if t0 is not None else now
            recent.append(now)
            frames += 1
            said = False
            at = pipe.when(index, fps)
            first = at if first is None else first
            due = resample(at, keypoints)
            for frame in due:
                step = rec.update(frame)
                said = said or step.word is not None
                if step.word and on_word:
                    on_word(_word_event(step, index, at - first))
            if win or video or strips:  # (the first frame always gives a step)
                shown_fps = (len(recent) - 1) / (recent[-1] - recent[0]) if len(recent) > 1 else 0.0
                canvas = image if image is not None else render.canvas()
                view = render.annotate(canvas, keypoints, bundle.labels, step.probs, step.sentence, shown_fps,
                                       threshold)
                last = (canvas, keypoints, step.probs, shown_fps)
                if video:
                    if pending is not None:
                        video.write(pending, copies)
                    pending, copies = view, len(due)
                if strips:  # frames with bars make the picture; those before the window is full, when none has
                    (strips if step.probs is not None else bare).add(index, view, said)
                if win and not win.show(view):
                    break
                if pace:
                    time.sleep(max(0.0, pace - (time.perf_counter() - now)))
            if max_frames and frames >= max_frames:
                break
    except KeyboardInterrupt:
        if not pipe.drop:  # a file stopped before its end: no output holding part of it replaces an earlier one
            if video:
                video.abort()
            raise
        forget_interrupts()  # Ctrl-C is how a headless camera run stops: finish the outputs and report
    except BaseException:
        if video:
            video.abort()
        raise
    finally:
        with interrupts_held():  # a Ctrl-C now waits until the threads and graphs are closed, then counts
            pipe.close()
            stream.close()
            if detect is not None:
                detect.close()
            if win:
                win.close()
    elapsed = recent[-1] - t0 if frames > 1 else 0.0  # first to last frame, without start-up and shutdown
    end = rec.finish()  # the input ended: the sign in progress may still get its word
    if end.word:
        if on_word:
            on_word(_word_event(end, index, at - first))
        if last is not None:
            canvas, keypoints, probs, shown_fps = last
            pending = render.annotate(canvas, keypoints, bundle.labels, probs, end.sentence, shown_fps, threshold)
            if strips and probs is not None:
                strips.add(index, pending, True)
    try:  # a failure or Ctrl-C before the outputs are whole: none is written
        if video:
            if pending is not None:  # a word the end gave is drawn on the last picture: shown once at least
                video.write(pending, max(copies, 1) if end.word else copies)
            video.verify()  # the encoder writes the frames queued; the video must read back whole
        picture = None
        if strips and (strips.samples or bare.samples):
            import cv2

            shown = (strips if strips.samples else bare).frames()
            tiled = render.strip(shown, bar=render.bar_height(len(bundle.labels)))
            picture = _encoded(cv2, tiled, Path(strip).suffix.lower())
        with interrupts_held(drop=True):  # the outputs go into place; Ctrl-C now comes after the run is done
            if picture is not None:
                write_atomic(strip, lambda p: Path(p).write_bytes(picture))
            if video:
                video.rename()
    except BaseException:
        if video:
            video.abort()
        raise
    summary = {"frames": frames, "fps": round((frames - 1) / elapsed, 2) if elapsed else 0.0,
               "words": rec.words, "dropped": pipe.dropped, "recognized_frames": rec.frames}
    if stream.notes:  # a video ending well before its header says, or repeating one picture: said
        summary["note"] = f"{stream.name}: {'; '.join(stream.notes)}"
    if silence := rec.silence():  # an input that filled the window and gave no word: why
        summary["no_word"] = silence
    return summary


def _word_event(step, index: int, seconds: float) -> dict:
    """What ``on_word`` gets for a word: ``time`` (the input's, seconds from its first frame), ``frame``, ``label``,
    ``prob`` (the word's probability in the window that decided it), ``sentence``."""
    prob = step.word_prob
    return {"time": round(seconds, 3), "frame": index, "label": step.word,
            "prob": None if prob is None else round(prob, 4), "sentence": step.sentence}


def _encoded(cv2, picture, kind: str = ".png") -> bytes:
    """``picture`` encoded as a ``kind`` file (.png, .jpg)."""
    ok, data = cv2.imencode(kind, picture)
    if not ok:
        raise SignlstmError(f"OpenCV could not encode the {picture.shape[1]}x{picture.shape[0]} picture as {kind}")
    return data.tobytes()
