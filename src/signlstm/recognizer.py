"""The tutorial's real-time rule, one object per stream.

Keep the last ``seq_len`` keypoint frames; once the window is full, classify it every frame
through :meth:`Bundle.classify` (the compiled fast path). A word is appended to the sentence when
the top class is above ``threshold``, the last ``stability`` top classes all agree, it is not the
bundle's rejection label, and it differs from the sentence's last word. The sentence keeps the last
``sentence`` words. (The tutorial tested ``np.unique(predictions[-10:])[0] == top``, which only
checks the smallest label; here all ``stability`` predictions must be equal.)
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

THRESHOLD = 0.5
STABILITY = 10
SENTENCE = 5


def decide(labels, probs, lower_reject: float = 0.0, reject: str | None = "none") -> np.ndarray:
    """The one decision: the label of the most probable output per row of ``probs`` (N, classes).

    ``lower_reject`` > 0 divides the rejection output's probability by ``e**lower_reject`` first (< 0 raises it),
    the prior shift the cross-validation's trade-off table reports.
    """
    p = np.atleast_2d(np.asarray(probs, np.float64))
    labels = list(labels)
    if lower_reject and reject in labels:
        p = p.copy()
        p[:, labels.index(reject)] *= np.exp(-lower_reject)
    return np.array(labels)[p.argmax(1)] if len(p) else np.array([], dtype=str)


@dataclass
class Step:
    """What one frame produced: probabilities once the window is full, and the word emitted, if any."""

    frame: int
    probs: np.ndarray | None = None
    word: str | None = None
    sentence: list[str] = field(default_factory=list)

    @property
    def top(self) -> int | None:
        return None if self.probs is None else int(np.argmax(self.probs))


class Recognizer:
    """Sliding window + threshold + stability + sentence over one stream of keypoint frames."""

    def __init__(self, bundle, threshold: float = THRESHOLD, stability: int = STABILITY,
                 sentence: int = SENTENCE, classify=None):
        if not 0 <= threshold <= 1:
            raise ValueError(f"threshold must be within 0..1, got {threshold}")
        if stability < 1 or sentence < 1:
            raise ValueError("stability and sentence must be at least 1")
        self.labels = bundle.labels
        self.reject = bundle.reject_label
        self.seq_len = bundle.seq_len
        self.classify = classify or bundle.classify
        self.threshold = threshold
        self.window: deque = deque(maxlen=self.seq_len)
        self.recent: deque = deque(maxlen=stability)
        self.sentence: deque = deque(maxlen=sentence)
        self.words: list[str] = []  # every word emitted, for the summary
        self.frames = 0

    def update(self, keypoints: np.ndarray) -> Step:
        """Add one (1662,) frame; classify when the window is full; maybe emit a word."""
        self.window.append(np.asarray(keypoints, np.float32))
        step = Step(self.frames)
        self.frames += 1
        if len(self.window) == self.seq_len:
            step.probs = np.asarray(self.classify(np.stack(self.window)))
            top = int(np.argmax(step.probs))
            self.recent.append(top)
            label = self.labels[top]
            stable = len(self.recent) == self.recent.maxlen and all(t == top for t in self.recent)
            if (stable and step.probs[top] > self.threshold and label != self.reject
                    and (not self.sentence or self.sentence[-1] != label)):
                self.sentence.append(label)
                self.words.append(label)
                step.word = label
        step.sentence = list(self.sentence)
        return step

    def reset(self) -> None:
        """Forget the window and the stability history (the sentence stays)."""
        self.window.clear()
        self.recent.clear()
