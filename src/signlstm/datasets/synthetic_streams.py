"""Streams made of recordings: several signs in a row with rests between, and the spotting recipe's training windows.

:func:`compose` lays recordings out one after another, each preceded by a rest (its own first frame with both hands
out of view), with a rest at the end: the stream benchmark builds each person's stream with it, and
:class:`SpottingBatches` builds its training streams with it. A spotting model learns, for the window ending at each
frame of such a stream, :func:`spot_targets`: the sign just made when the window ends at (or a few frames after) the
sign's last frame, ramping down before and after, and the rejection label everywhere else (rests, other signs,
windows drifting into the next recording).
"""
from __future__ import annotations

import keras
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


class SpottingBatches(keras.utils.PyDataset):
    """Training batches of windows cut from synthetic streams of ``data`` (a training set with the rejection label).

    A stream: one training person's own signs (1-5 recordings per sign, those with a hand in at least half of their
    frames) and 2-6 rejection-label recordings of other people that show a hand (other signs; blank windows are
    rests, which the stream has anyway), augmented, in random order with rests of :data:`TRAIN_REST` frames between.
    A batch takes ``streams`` streams; from each, half its windows end near a sign's end and half anywhere, each with
    its :func:`spot_targets`. ``Y`` is not used (the targets come from the streams); the signature is
    :class:`signlstm.models.training`'s batch maker's.
    """

    def __init__(self, data, idx, Y, batch_size, augment, seed, steps: int = 120, streams: int = 2):
        super().__init__()
        from ..sign_names import NONE

        idx = np.asarray(idx)
        self.reject = data.actions.index(NONE) if NONE in data.actions else -1
        share = data.hand_shares(idx)
        y = data.y[idx]
        signs, others = idx[(y != self.reject) & (share >= layout.SIGN_HANDS)], idx[(y == self.reject) & (share > 0)]
        if not len(others):
            from ..errors import SignlstmError

            raise SignlstmError("the spotting recipe learns to say nothing for other signs: train it with "
                                "--negatives (recordings of other signs)")
        self.data, self.bs, self.augment, self.steps, self.streams = data, batch_size, augment, steps, streams
        self.rng = np.random.default_rng(seed)
        self.people = sorted(set(data.groups[signs].tolist()))
        self.own = {(p, c): signs[(data.groups[signs] == p) & (data.y[signs] == c)]
                    for p in self.people for c in range(len(data.actions)) if c != self.reject}
        self.others = others
        self.seq_len = data.seq_len

    def __len__(self):
        return self.steps

    def stream(self):
        """(frames, spans, output index of each recording) of one synthetic stream."""
        rng, data = self.rng, self.data
        person = self.people[rng.integers(len(self.people))]
        picked = []
        for (p, _), idx in self.own.items():
            if p == person and len(idx):
                picked += rng.choice(idx, min(int(rng.integers(1, 6)), len(idx)), replace=False).tolist()
        pool = self.others[data.groups[self.others] != person]
        if len(pool):
            picked += rng.choice(pool, min(int(rng.integers(2, 7)), len(pool)), replace=False).tolist()
        picked = np.array(picked)[rng.permutation(len(picked))]
        X = data.batch(picked)
        if self.augment is not None:
            X = self.augment(X, rng)
        gaps = rng.integers(TRAIN_REST[0], TRAIN_REST[1] + 1, len(picked))
        frames, spans = compose(X, gaps)
        return frames, spans, data.y[picked]

    def __getitem__(self, _):
        rng, T = self.rng, self.seq_len
        per = self.bs // self.streams
        Xs, Ys = [], []
        for _ in range(self.streams):
            frames, spans, classes = self.stream()
            Y = spot_targets(len(frames), spans, classes, len(self.data.actions), self.reject)
            ends = np.arange(T - 1, len(frames))
            near = np.zeros(len(frames), bool)
            for _, stop in spans:
                near[max(0, stop - 13):stop + 12] = True
            near_ends = ends[near[ends]]
            n_near = per // 2
            e = np.concatenate([rng.choice(near_ends, n_near), rng.choice(ends, per - n_near)])
            Xs.append(np.stack([frames[x - T + 1:x + 1] for x in e]))
            Ys.append(Y[e])
        return np.concatenate(Xs), np.concatenate(Ys)
