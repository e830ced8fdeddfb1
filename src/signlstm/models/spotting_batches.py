"""The spotting recipe's training batches: windows cut from synthetic streams of a training set, with their targets
(:func:`signlstm.datasets.synthetic_streams.compose` and :func:`~signlstm.datasets.synthetic_streams.spot_targets`)."""
from __future__ import annotations

import keras
import numpy as np

from .. import layout
from ..datasets.synthetic_streams import TRAIN_REST, compose, spot_targets


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
