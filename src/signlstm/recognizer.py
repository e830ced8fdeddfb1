"""The recognizer: one object per stream of keypoint frames, used by every front (live, web, demo, benchmarks).

Keep the last ``seq_len`` keypoint frames; once the window is full, classify it every frame through
:meth:`Bundle.classify` (the compiled fast path) and turn the probabilities into a label with :func:`decide`. Under
the first two rules a word is appended to the sentence when the label is not the bundle's rejection label, its
probability is above ``threshold`` and the last ``stability`` labels all agree; the third reads the probabilities
itself:

- ``tutorial``: the tutorial's rule, and the word differs from the sentence's last word (the same word never comes
  twice in a row). (The tutorial tested ``np.unique(predictions[-10:])[0] == top``, which only checks the smallest
  label; here all ``stability`` predictions must be equal.)
- ``stream``: one word per sign made. A sign ends at a rest (no hand in view for ``rest`` frames: the window's
  frames are then shown to the model without their hands, so what was signed before the rest no longer counts) or
  at ``rearm`` rejected windows in a row (another sign, a movement); after either, the same word may come again.
  Within one sign the word is not repeated. A sign that ends at a rest, or at the end of the input
  (:meth:`Recognizer.finish`), before ``stability`` windows could see it, gets its word when it is the input's first
  sign and every window since the input began agrees and the last passes ``threshold`` (a clip of one sign shorter
  than ``seq_len + stability - 1`` frames is still named). After a rest the rest's own windows (``none``) stay among
  the last ``stability``, so a sign after a rest is named only by ``stability`` agreeing windows: letting short signs
  after a rest be named too gave more words on other signs and a higher word error rate (model card).
- ``spot``: for a spotting model (the ``spotting`` recipe's, which says a sign as it ends and ``none`` elsewhere).
  A sign event is a run of windows whose best sign has a probability of at least ``onset``; its word is the sign with
  the most probability summed over the event so far, said once, on the first window where that sign's probability
  reaches ``threshold``. An event that begins within ``refractory`` windows of the last word says nothing.

A bundle may name the rule it is made for (``rule`` in its metadata); the recognizer uses it unless told otherwise.
The sentence keeps the last ``sentence`` words.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from . import layout
from .wording import counted
from .errors import BadInput, SignlstmError
from .sign_names import NONE

THRESHOLD = 0.5  # the tutorial's
STABILITY = 10  # the tutorial's
SENTENCE = 5
RULE = "stream"  # the rule of a bundle that names no rule: it measures better than the tutorial's (see the model card)
# Each rule's default settings. rest: frames without a hand that end a sign; rearm: rejected windows in a row that
# end a sign; onset: least sign probability inside a sign event; refractory: windows after a word in which no new
# event speaks. The stream and spot rules' were chosen on the stream benchmark's leave-one-person-out probabilities.
RULE_SETTINGS = {"tutorial": {"threshold": THRESHOLD, "stability": STABILITY},
                 "stream": {"threshold": 0.9, "stability": 16, "rest": 6, "rearm": 10},
                 "spot": {"threshold": 0.65, "onset": 0.2, "refractory": 25}}
RULES = tuple(RULE_SETTINGS)
MOST = 100_000  # the largest count of windows, frames or words a setting takes (about 55 minutes at 30 a second)
RANGES = {"threshold": (0, 1), "onset": (0, 1), "stability": (1, MOST), "sentence": (1, MOST), "rest": (1, MOST),
          "rearm": (1, MOST), "refractory": (0, MOST)}  # each setting's least and largest value


def check_settings(prefix: str = "", **settings) -> None:
    """:class:`SignlstmError` naming the first of ``settings`` (keyword arguments of :class:`Recognizer`; None: the
    rule's default) outside its range in :data:`RANGES`; ``prefix`` goes before its name (the command line's ``--``)."""
    for name, value in settings.items():
        low, high = RANGES.get(name, (None, None))
        if low is not None and value is not None and not low <= value <= high:
            raise SignlstmError(f"{prefix}{name} must be within {low}..{high}, got {value}")


def rule_settings(rule: str = RULE) -> dict:
    """The keyword arguments of :class:`Recognizer` for ``rule`` with its defaults."""
    return {"rule": rule, **RULE_SETTINGS[rule]}


def bundle_rule(bundle) -> str:
    """The rule ``bundle`` is made for (its metadata's ``rule``), else :data:`RULE`."""
    return bundle.meta.get("rule") or RULE


def decide(labels, probs, lower_reject: float = 0.0) -> np.ndarray:
    """The one decision: the label of the most probable output per row of ``probs`` (N, classes).

    ``lower_reject`` > 0 divides the probability of the rejection output (:data:`NONE`) by ``e**lower_reject`` first
    (< 0 raises it), the prior shift the cross-validation's trade-off table reports.
    """
    p = np.atleast_2d(np.asarray(probs, np.float64))
    labels = list(labels)
    if lower_reject and NONE in labels:
        p = p.copy()
        p[:, labels.index(NONE)] *= np.exp(-lower_reject)
    return np.array(labels)[p.argmax(1)] if len(p) else np.array([], dtype=str)


@dataclass
class Step:
    """What one frame produced: probabilities once the window is full, and the word emitted, if any."""

    frame: int
    probs: np.ndarray | None = None
    word: str | None = None
    sentence: list[str] = field(default_factory=list)
    word_prob: float | None = None  # the word's probability in the window that decided it (not always ``probs``)

    @property
    def top(self) -> int | None:
        return None if self.probs is None else int(np.argmax(self.probs))


class Recognizer:
    """Sliding window + decision + rule (threshold, stability, word boundaries) + sentence over one stream."""

    def __init__(self, bundle, threshold: float | None = None, stability: int | None = None,
                 sentence: int = SENTENCE, classify=None, rule: str | None = None, rest: int | None = None,
                 rearm: int | None = None, onset: float | None = None, refractory: int | None = None):
        """``rule`` None: the bundle's (:func:`bundle_rule`; a bundle naming an unknown rule is :class:`BadInput`);
        settings left None take the rule's defaults (:data:`RULE_SETTINGS`)."""
        if rule is None and bundle_rule(bundle) not in RULES:
            raise BadInput(bundle.path or "the model",
                           f"'rule' {bundle_rule(bundle)!r} is not one of {', '.join(RULES)}")
        rule = rule or bundle_rule(bundle)
        if rule not in RULES:
            raise SignlstmError(f"rule must be one of {', '.join(RULES)}, got {rule!r}")
        defaults = {"stability": 1, "rest": 1, "rearm": 1, "onset": 0.0, "refractory": 0, **RULE_SETTINGS[rule]}
        given = {"threshold": threshold, "stability": stability, "rest": rest, "rearm": rearm, "onset": onset,
                 "refractory": refractory}
        threshold, stability, rest, rearm, onset, refractory = (defaults[k] if v is None else v
                                                                for k, v in given.items())
        check_settings(threshold=threshold, stability=stability, sentence=sentence, rest=rest, rearm=rearm, onset=onset,
                       refractory=refractory)
        self.labels = list(bundle.labels)
        self.reject = bundle.reject_label
        self.seq_len = bundle.seq_len
        self.classify = classify or bundle.classify
        self.threshold, self.rule, self.rest, self.rearm = threshold, rule, rest, rearm
        self.onset, self.refractory = onset, refractory
        self.signs = np.array([k for k, label in enumerate(self.labels) if label != self.reject])
        # The window: the last ``held`` frames, rows ``end - held .. end`` of ``_buf`` (a ring of 2 * seq_len rows,
        # moved to a fresh buffer when full), so a full window is a view, never a stack of frames. Rows a window
        # handed to ``classify`` showed are never written again (a caller may keep the windows it was given).
        self._buf: np.ndarray | None = None
        self._end = 0
        self._held = 0
        self.recent: deque = deque(maxlen=stability)
        self.sentence: deque = deque(maxlen=sentence)
        self.words: list[str] = []  # every word emitted, for the summary
        self.frames = 0
        self.idle = 0  # frames in a row without a hand
        self.rejected = 0  # rejected windows in a row
        self.said: str | None = None  # the word of the sign in progress (stream rule)
        self.last_probs: np.ndarray | None = None  # the newest window's probabilities
        self.event: np.ndarray | None = None  # spot rule: sign probabilities summed over the event in progress
        self.spoken = False  # spot rule: the event in progress has spoken (or may not)
        self.since = 1 << 30  # spot rule: windows since the last word
        self.hand_frames = 0  # frames with a hand in view, over the whole input (for :meth:`silence`)
        self.peak: tuple[str, float] | None = None  # the highest sign probability of any window, and its sign
        self.named: tuple[str, float] | None = None  # the same over the windows decided as a sign (not spot)

    @property
    def window(self) -> np.ndarray:
        """The frames held, oldest first (at most ``seq_len``; a read-only view)."""
        if self._buf is None:
            return np.zeros((0, layout.FRAME_SIZE), np.float32)
        view = self._buf[self._end - self._held:self._end]
        view.flags.writeable = False
        return view

    def update(self, keypoints: np.ndarray) -> Step:
        """Add one (1662,) frame; classify when the window is full; maybe emit a word."""
        step, window = self.advance(keypoints)
        return step if window is None else self.conclude(step, self.classify(window))

    def advance(self, keypoints: np.ndarray) -> tuple[Step, np.ndarray | None]:
        """The first half of :meth:`update`: add the frame (and the stream rule's boundaries); (the step, the window
        to classify once it is full, else None). :meth:`conclude` with that window's probabilities must follow before
        the next frame (a batch of streams classifies all their windows at once between the two)."""
        frame = np.asarray(keypoints, np.float32)
        self._append(frame)
        # layout.hands_present for one frame: the two hand blocks are adjacent, a hand is there when any value is
        hand = bool(frame[..., layout.LEFT_HAND.start:layout.RIGHT_HAND.stop].any())
        self.hand_frames += hand
        step = Step(self.frames)
        self.frames += 1
        if self.rule == "stream":
            word = self._boundaries(hand)
            if word is not None:  # the sign that just ended (the next one may say the same word again)
                self._say(step, word)
        if self._held < self.seq_len:
            step.sentence = list(self.sentence)
            return step, None
        return step, self.window  # conclude sets the step's sentence

    def conclude(self, step: Step, probs: np.ndarray) -> Step:
        """The second half of :meth:`update`: the decision on the window's probabilities; maybe a word."""
        step.probs = self.last_probs = np.asarray(probs)
        if len(self.signs):
            best = self.signs[int(step.probs[self.signs].argmax())]
            if self.peak is None or step.probs[best] > self.peak[1]:
                self.peak = (self.labels[best], float(step.probs[best]))
        if self.rule == "spot":
            word = self._spot(step.probs)
        else:
            label = str(decide(self.labels, step.probs)[0])
            prob = float(step.probs[self.labels.index(label)])
            self.recent.append(label)
            if label != self.reject and (self.named is None or prob > self.named[1]):
                self.named = (label, prob)
            word = label if self._emits(label, prob) else None
        if word is not None:
            self._say(step, word)
            self.said = word  # stream rule: this sign has its word
        step.sentence = list(self.sentence)
        return step

    def finish(self) -> Step:
        """The end of the input (a video or a keypoint file ran out): under the stream rule the sign in progress
        ends here as at a rest, and may get its word (see the module's docstring). The step of the last frame."""
        step = Step(max(self.frames - 1, 0), self.last_probs)
        word = self._ended() if self.rule == "stream" else None
        if word is not None:
            self._say(step, word)
            self.said = word  # a second finish says nothing more
        step.sentence = list(self.sentence)
        return step

    def silence(self) -> str | None:
        """Why the input gave no word, from what the recognizer saw: no hand in any frame, or the highest sign
        probability of any window and the threshold it had to pass (or, when it passed it, the rule's other
        conditions); None when a word was said or no window was ever full (the input was shorter than the window)."""
        if self.words or self.frames < self.seq_len:
            return None
        if not self.hand_frames:
            return f"no hand in any of its {counted(self.frames, 'frame')} (signs are read from the hands)"
        if self.peak is None:
            return "the model has no sign to say"
        if self.rule != "spot" and self.named is None:
            return (f"every window said {self.reject} (the highest probability of a sign: {self.peak[0]} "
                    f"{self.peak[1]:.2f})")
        label, prob = self.peak if self.rule == "spot" else self.named
        if prob <= self.threshold:
            return (f"no window's sign passed the threshold {self.threshold:g} (the highest: {label} {prob:.2f})")
        other = (f"--onset {self.onset:g} and --refractory {self.refractory}" if self.rule == "spot" else
                 f"{self.recent.maxlen} agreeing windows (--stability)")
        return (f"{label} passed the threshold {self.threshold:g} ({prob:.2f}) but never with the {self.rule} rule's "
                f"{other}")

    def _say(self, step: Step, word: str) -> None:
        """Emit ``word`` on ``step``: the sentence and the list of words get it. Its probability is the one of the
        window that decided it: the step's own, or, for a sign ended by a rest before this step's window is
        classified, the window before."""
        self.sentence.append(word)
        self.words.append(word)
        step.word = word
        decided = step.probs if step.probs is not None else self.last_probs
        step.word_prob = None if decided is None else float(decided[self.labels.index(word)])

    def _ended(self) -> str | None:
        """Stream rule, at the end of a sign: its word if it got none yet, every window kept (fewer than ``stability``
        since the input began, or since the last rest, whose own windows are among them) agrees on a sign, and the last
        one's probability passes ``threshold``."""
        if self.said is not None or not self.recent or len(set(self.recent)) != 1:
            return None
        label = self.recent[-1]
        return label if label != self.reject and self.last_probs[self.labels.index(label)] > self.threshold else None

    def _append(self, frame: np.ndarray) -> None:
        if self._buf is None:
            self._buf = np.zeros((2 * self.seq_len, *frame.shape), np.float32)
        elif self._buf.shape[1:] != frame.shape:
            raise ValueError(f"a frame of shape {frame.shape} after frames of shape {self._buf.shape[1:]}")
        elif self._end == len(self._buf):  # full: the last seq_len - 1 frames go to a fresh buffer
            keep = min(self._held, self.seq_len - 1)
            self._renew(self._buf[self._end - keep:self._end])
        self._buf[self._end] = frame
        self._end += 1
        self._held = min(self._held + 1, self.seq_len)

    def _renew(self, frames: np.ndarray) -> None:
        buf = np.empty_like(self._buf)
        buf[:len(frames)] = frames
        self._buf, self._end, self._held = buf, len(frames), len(frames)

    def _boundaries(self, hand: bool) -> str | None:
        """Stream rule, after a frame with or without a ``hand``: a rest of ``rest`` hand-less frames ends the sign
        (its word, if it gets one now: see :meth:`_ended`) and hides the hands of the frames before."""
        self.idle = 0 if hand else self.idle + 1
        if self.idle != self.rest:
            return None
        word = self._ended()
        self._renew(layout.without_hands(self.window))
        self.said = None
        self.recent.clear()
        return word

    def _spot(self, probs: np.ndarray) -> str | None:
        """Spot rule: the word this window says, if any (the event bookkeeping of the module's docstring)."""
        signs = np.asarray(probs, np.float64)[self.signs]
        self.since += 1
        if signs.max() < self.onset:
            self.event = None
            return None
        if self.event is None:
            self.event, self.spoken = np.zeros(len(signs)), False
        self.event += signs
        best = int(self.event.argmax())
        self.spoken = self.spoken or self.since < self.refractory
        if self.spoken or signs[best] < self.threshold:
            return None
        self.spoken, self.since = True, 0
        return self.labels[self.signs[best]]

    def _emits(self, label: str, prob: float) -> bool:
        if label == self.reject:
            self.rejected += 1
            if self.rejected >= self.rearm:
                self.said = None
            return False
        self.rejected = 0
        stable = len(self.recent) == self.recent.maxlen and all(t == label for t in self.recent)
        if not stable or prob <= self.threshold:
            return False
        if self.rule == "tutorial":
            return not self.sentence or self.sentence[-1] != label
        return self.said != label

    def reset(self) -> None:
        """Forget the window, the stability history and the sign in progress (the sentence stays)."""
        self._held = 0
        self.recent.clear()
        self.idle = self.rejected = 0
        self.last_probs = None
        self.said = self.event = None
        self.spoken, self.since = False, 1 << 30
