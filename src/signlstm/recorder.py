"""Recording keypoint sequences: one pause / record / write state machine, and the tutorial's collection loop on it.

:class:`Recorder` is a "record ``count`` sequences of ``action``" request: a pause of ``pause`` seconds (the
tutorial's "STARTING COLLECTION"; frames fed then are not kept), then ``length`` frames, then the sequence is written
whole by :class:`~signlstm.sequence_writer.SequenceWriter` (a hidden temporary folder renamed into place, numbered after the
highest existing one), then the next pause. It knows no screen, camera or MediaPipe: ``collect`` drives it with the
frames of a :class:`~signlstm.pipeline.Pipeline`, the web page's session with the keypoints the page sends.

:func:`collect` is the tutorial's loop: for each action, a :class:`Recorder` fed from a camera, a video, a folder of
images or saved keypoints, at 30 frames a second. Frames are read and landmarked in threads (as in ``live``): the
pose of the next frame is found while the hands and face of this one are (full Holistic on 2 cores: 34.6 instead of
26.0 frames per second, ``signlstm bench`` with a tutorial model, see the README); from a file the frames and
keypoints are the same as one after the other.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from . import layout

PAUSE = 2.0  # seconds of 'STARTING COLLECTION' before each sequence (not recorded)


class Recorder:
    """Pause, then ``length`` frames, then write; ``count`` times. Feed it every frame with :meth:`feed`."""

    def __init__(self, writer, action: str, count: int, length: int = layout.SEQ_LEN, pause: float = PAUSE,
                 clock=time.monotonic):
        if count < 1 or length < 1 or pause < 0:
            raise ValueError("count and length must be at least 1, pause at least 0")
        self.writer, self.action, self.count, self.length, self.pause = writer, action, count, length, pause
        self.clock = clock
        self.frames: list[np.ndarray] = []
        self.saved: list[Path] = []
        self.until = clock() + pause

    @property
    def done(self) -> int:
        """Sequences written so far."""
        return len(self.saved)

    @property
    def phase(self) -> str:
        """``pause`` before a sequence, ``recording`` during one, ``done`` after the last."""
        if self.done >= self.count:
            return "done"
        return "pause" if not self.frames and self.clock() < self.until else "recording"

    def pause_left(self) -> float:
        """Seconds of the current pause still to go (0 outside a pause)."""
        return max(0.0, self.until - self.clock()) if self.phase == "pause" else 0.0

    def end_pause(self) -> None:
        """Start recording with the next frame (a video file waits without using its frames)."""
        self.until = self.clock()

    def feed(self, keypoints: np.ndarray) -> Path | None:
        """One (1662,) frame: dropped in a pause, kept while recording; returns the folder of a sequence it completed
        and wrote."""
        if self.phase != "recording":
            return None
        self.frames.append(np.asarray(keypoints, np.float64))
        if len(self.frames) < self.length:
            return None
        path = self.writer.write(self.action, np.stack(self.frames))
        self.saved.append(path)
        self.frames = []
        self.until = self.clock() + self.pause
        return path

    def status(self) -> dict:
        """The request's progress as plain values (the web page shows it)."""
        return {"action": self.action, "count": self.count, "done": self.done, "phase": self.phase,
                "frame": len(self.frames), "length": self.length}


def collect(actions: list[str], sequences: int | dict, data, spec="0", length: int = layout.SEQ_LEN,
            window: bool = False, pause: float = PAUSE, on_saved=None) -> int:
    """Record ``sequences`` sequences per action (or ``sequences[action]``) from ``spec``; returns how many were saved.

    The frames recorded are those :class:`~signlstm.resample.Resample` makes due at the models' 30 a second, as
    ``live`` reads its input: a camera's frames placed at the times they were read (a camera in dim light that
    delivers 15 frames a second while it reports 30 still records one second per 30-frame sequence), a video's at
    its own rate, saved keypoints and images at 30 a second. From a camera the pause runs over live frames (shown,
    not recorded); from a file it uses no frames (a still banner in the window, nothing headless). Stops early
    (returning the count so far) when a file ends (a sequence in progress is dropped) or the user quits the window.
    """
    from collections import deque

    from . import render
    from .sequence_writer import SequenceWriter
    from .landmarks import open_input
    from .pipeline import Pipeline
    from .resample import resampler

    writer = SequenceWriter(data)
    saved = 0
    win = pipe = None
    source, detect = open_input(spec)
    try:
        if window:
            from .window import Window

            win = Window(f"signlstm collect - {source.name}")
        pipe = Pipeline(source, detect)
        stream = iter(pipe)  # (index, image, keypoints)
        resample = resampler(pipe.real_time())
        due = deque()  # the frames due at 30 a second, not yet fed
        counts = sequences if isinstance(sequences, dict) else dict.fromkeys(actions, sequences)
        for i, action in enumerate(a for a in actions if counts[a] > 0):
            rec = Recorder(writer, action, counts[action], length, pause)
            while rec.phase != "done":
                title = (f"Collecting frames for {action} - sequence {rec.done + 1} of {counts[action]}"
                         + (f" (sign {i + 1} of {sum(c > 0 for c in counts.values())})" if len(counts) > 1 else ""))
                if rec.phase == "pause" and not source.live:
                    if win and not win.wait(rec.pause_left(), render.annotate(None, None, banner=[
                            "STARTING COLLECTION", title])):
                        return saved
                    rec.end_pause()
                while not due:
                    item = next(stream, None)
                    if item is None:
                        return saved
                    index, image, keypoints = item
                    due.extend(resample(pipe.when(index), keypoints))
                pausing = rec.phase == "pause"
                path = rec.feed(due.popleft())
                if win and not due:  # the source frame's last frame due: show it
                    banner = (["STARTING COLLECTION", title] if pausing else
                              [title, f"frame {len(rec.frames) or length} of {length}"])
                    view = render.annotate(image, None if pausing else keypoints, banner=banner)
                    if not win.show(view):
                        return saved
                if path is not None:
                    saved += 1
                    if on_saved:
                        on_saved(path)
        return saved
    finally:
        if pipe:
            pipe.close()  # its threads stop before the graphs and the source close
        source.close()
        if win:
            win.close()
        if detect is not None:
            detect.close()
