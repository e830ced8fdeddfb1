"""Streams made of recordings: several signs in a row with rests between, and the spotting recipe's targets.

:func:`compose` lays recordings out one after another, each preceded by a rest (its own first frame with both hands
out of view), with a rest at the end: the stream benchmark builds each person's stream with it, and
:class:`signlstm.models.spotting_batches.SpottingBatches` builds its training streams with it (numpy only here: the
Keras batch maker is the models room's). A spotting model learns, for the window ending at each
frame of such a stream, :func:`spot_targets`: the sign just made when the window ends at (or a few frames after) the
sign's last frame, ramping down before and after, and the rejection label everywhere else (rests, other signs,
windows drifting into the next recording).
"""
from __future__ import annotations

import numpy as np

from .. import layout

# Spotting targets (frames): a window ending 0..HOLD frames after a sign's last frame says the sign; the target ramps
# to 0 over RAMP_BEFORE frames before (part of the sign still to come) and RAMP_AFTER frames after.
HOLD = 5
RAMP_BEFORE = 6
RAMP_AFTER = 6
TRAIN_REST = (6, 24)  # rest frames before each recording of a training stream
TAIL = 20


def compose(recordings, gaps, tail: int = TAIL) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """(frames (T, 1662) float32, the (start, stop) span of each recording): each recording preceded by ``gaps[k]``
    copies of its first frame without hands, and ``tail`` copies of the last frame without hands at the end."""
    parts, spans, t = [], [], 0
    for x, gap in zip(recordings, gaps):
        x = np.asarray(x, np.float32)
        parts.append(np.repeat(layout.without_hands(x[:1]), int(gap), axis=0))
        t += int(gap)
        parts.append(x)
        spans.append((t, t + len(x)))
        t += len(x)
    if not parts:
        return np.zeros((0, layout.FRAME_SIZE), np.float32), spans
    parts.append(np.repeat(layout.without_hands(parts[-1][-1:]), tail, axis=0))
    return np.concatenate(parts), spans


def spot_targets(length: int, spans, classes, n_classes: int, reject: int, hold: int = HOLD,
                 before: int = RAMP_BEFORE, after: int = RAMP_AFTER) -> np.ndarray:
    """(length, n_classes) soft targets of the windows ending at every frame of a stream whose recordings span
    ``spans`` with output index ``classes[k]`` (``reject``: another sign, never said)."""
    Y = np.zeros((length, n_classes), np.float32)
    end = np.arange(length)
    for (_, stop), c in zip(spans, classes):
        if c == reject:
            continue
        j = end - (stop - 1)  # frames since the sign's last frame
        w = np.where((j >= 0) & (j <= hold), 1.0, 0.0)
        w = np.maximum(w, np.clip(np.where(j < 0, 1 + j / (before + 1), 0), 0, 1))
        w = np.maximum(w, np.clip(np.where(j > hold, 1 - (j - hold) / (after + 1), 0), 0, 1))
        Y[:, c] = np.maximum(Y[:, c], w)
    signs = np.arange(n_classes) != reject
    total = Y[:, signs].sum(1)
    over = total > 1
    Y[np.ix_(over, signs)] /= total[over, None]
    Y[:, reject] = 1 - Y[:, signs].sum(1)
    return Y
