"""Recording keypoint sequences: one pause / record / write state machine.

:class:`Recorder` is a "record ``count`` sequences of ``action``" request: a pause of ``pause`` seconds (the
tutorial's "STARTING COLLECTION"; frames fed then are not kept), then ``length`` frames, then the sequence is written
whole by :class:`~signlstm.datasets.sequence_writer.SequenceWriter` (a hidden temporary folder renamed into place,
numbered after the highest existing one), then the next pause. It knows no screen, camera or MediaPipe:
:func:`signlstm.fronts.collect.collect` drives it with the frames of a :class:`~signlstm.keypoints.pipeline.Pipeline`,
the web page's session with the keypoints the page sends.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .. import layout

PAUSE = 2.0  # seconds of 'STARTING COLLECTION' before each sequence (not recorded)


def few_hands(frames: np.ndarray) -> str | None:
    """What to tell of a recorded sequence (T, 1662) in which a hand is seen in fewer than
    :data:`~signlstm.layout.SIGN_HANDS` of the frames (a vocabulary leaves it out), else None."""
    hands = float(layout.hand_share(np.asarray(frames)[None])[0])
    if hands >= layout.SIGN_HANDS:
        return None
    return (f"a hand is seen in {hands:.0%} of its frames (fewer than {layout.SIGN_HANDS:.0%}): a vocabulary leaves "
            "it out, and a model learns little of a sign it cannot see; record it again with the hands in view")


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
        self.notes: list[str | None] = []  # what to tell of each sequence in ``saved`` (:func:`few_hands`)
        self.until = clock() + pause

    @property
    def done(self) -> int:
        """Sequences written so far."""
        return len(self.saved)

    @property
    def last_note(self) -> str | None:
        """What to tell of the last sequence written (:func:`few_hands`), None before the first."""
        return self.notes[-1] if self.notes else None

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
        seq = np.stack(self.frames)
        path = self.writer.write(self.action, seq)
        self.saved.append(path)
        self.notes.append(few_hands(seq))
        self.frames = []
        self.until = self.clock() + self.pause
        return path

    def status(self) -> dict:
        """The request's progress as plain values (the web page shows it)."""
        return {"action": self.action, "count": self.count, "done": self.done, "phase": self.phase,
                "frame": len(self.frames), "length": self.length}
