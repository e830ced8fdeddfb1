"""Keypoint frames taken at any rate, as the models saw their recordings: :data:`RATE` frames a second.

The tutorial recorded at a webcam's 30 frames a second, and every rule's counts (windows that agree, frames of a rest)
are in those frames. A video or camera at 24 or 15 frames a second would make every sign shorter in frames than any
the models learnt: :class:`Resample` turns frames stamped with their time
into frames at :data:`RATE` a second. Each output frame at time k / RATE is interpolated linearly between the two
input frames around it, part by part (pose, face, each hand) where both hold the part; a part missing in either is
taken from the nearer frame, so a hand never fades in or out. At exactly :data:`RATE` every frame comes out as it
went in.

Time may stop and jump: a camera freezes, a page is hidden, a video's own frame times skip. A frame more than
:data:`MAX_GAP` seconds from the latest time seen, either way, starts the time afresh and comes out alone, as a first
frame does: no frames are made up across a gap longer than a window.
"""
from __future__ import annotations

import numpy as np

from .. import layout

RATE = layout.RATE
MAX_GAP = 1.0  # seconds between two frames past which none are made up between them (a window's length)
_EXACT = 1e-4  # frames (3.3 µs): times this close are one time (a clock in seconds since 1970 rounds to 2.4e-7 s)
_PART_STARTS = np.array([p.start for p in layout.PARTS])  # the parts tile the frame, in order (see layout)
_PART_SIZES = np.array([p.stop - p.start for p in layout.PARTS])


class Resample:
    """Frames stamped with their time in seconds -> frames at ``rate`` a second (see the module docstring);
    ``max_gap`` None: frames are made up across any gap."""

    def __init__(self, rate: float = RATE, max_gap: float | None = MAX_GAP):
        self.rate = float(rate)
        self.max_gap = max_gap
        self.start = None  # the first frame's time (since the last restart)
        self.seen = None  # the latest time seen
        self.last = None  # (time since start, frame) of the frame before
        self.next = 0  # index of the next output frame
        self.stalled = 0  # frames in a row, up to the latest, that made no output frame due

    def __call__(self, seconds: float | None, frame: np.ndarray) -> list[np.ndarray]:
        """The output frames due up to ``seconds`` (0, 1 or more), given the frame taken then; ``seconds`` None:
        1 / ``rate`` after the latest time seen (a frame whose time is not known; at a time so large that 1 / ``rate``
        is lost to rounding, the time starts afresh)."""
        out = self._due(seconds, np.asarray(frame, np.float32))
        self.stalled = 0 if out else self.stalled + 1
        return out

    def _due(self, seconds: float | None, frame: np.ndarray) -> list[np.ndarray]:
        if seconds is None:
            seconds = 0.0 if self.seen is None else self.seen + 1 / self.rate
            if self.seen is not None and seconds <= self.seen:
                self.start = self.last = self.seen = None
                seconds = 0.0
        if self.seen is not None and self.max_gap is not None \
                and abs(seconds - self.seen) > self.max_gap + _EXACT / self.rate:  # (a gap of max_gap, rounded)
            self.start = self.last = None  # a restart: the frame comes out alone
        self.seen = seconds if self.start is None else max(self.seen, seconds)
        if self.start is None:
            self.start = seconds
        t = (seconds - self.start) * self.rate  # in output frames
        if self.last is None:
            self.last, self.next = (t, frame), 1
            return [frame]
        before, previous = self.last
        if t <= before:  # no later than the frame before: nothing new is due
            return []
        out = []
        while self.next <= t + _EXACT:
            w = (self.next - before) / (t - before)
            out.append(frame if w >= 1 - _EXACT else between(previous, frame, w))
            self.next += 1
        self.last = (t, frame)
        return out


def at_rate(frames: np.ndarray, fps: float, rate: float = RATE) -> np.ndarray:
    """(T, 1662) frames of one recording taken at ``fps`` a second -> its frames at ``rate`` a second (float32)."""
    return at_times(frames, np.arange(len(frames)) / fps, rate)


def at_times(frames: np.ndarray, seconds, rate: float = RATE) -> np.ndarray:
    """(T, 1662) frames of one recording, frame ``i`` taken at ``seconds[i]`` (a video's own frame times) -> its
    frames at ``rate`` a second (float32), by :class:`Resample` with its gap rule."""
    resample = Resample(rate)
    out = [f for t, frame in zip(seconds, frames) for f in resample(float(t), frame)]
    return np.stack(out) if out else np.zeros((0, *np.shape(frames)[1:]), np.float32)


def between(a: np.ndarray, b: np.ndarray, w: float) -> np.ndarray:
    """The frame a fraction ``w`` of the way from ``a`` to ``b``: linear in each part both hold, else the nearer's
    (``b``'s halfway: a frame made halfway, as every one at half the rate is, takes ``b``'s parts whatever the rounding
    of its times)."""
    both = np.logical_or.reduceat(a != 0, _PART_STARTS) & np.logical_or.reduceat(b != 0, _PART_STARTS)
    # Rounding can carry (1 - w) a + w b past both ends (1000 and 1000 give 1000.00006): clipped to them, so a frame
    # made between two valid frames is valid too.
    mixed = np.clip((1 - w) * a + w * b, np.minimum(a, b), np.maximum(a, b))
    return np.where(np.repeat(both, _PART_SIZES), mixed, b if w >= 0.5 - _EXACT else a).astype(np.float32)
