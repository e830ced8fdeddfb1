"""The tutorial's real-time rule: window, threshold, stability, sentence, no repeats, no rejection label."""
import numpy as np
import pytest

from signlstm import layout
from signlstm.models.bundle import Bundle
from signlstm.recognizer import Recognizer


def scripted(labels, tops, probs=0.9, seq_len=3, reject=None):
    """A recognizer whose classifier returns the scripted top class per call (the rule under test, not a model)."""
    meta = {"labels": labels, "seq_len": seq_len, **({"reject_label": reject} if reject else {})}
    calls = iter(tops)

    def classify(window):
        assert window.shape == (seq_len, layout.FRAME_SIZE)
        p = np.full(len(labels), (1 - probs) / (len(labels) - 1))
        p[next(calls)] = probs
        return p

    return meta, classify


def feed(rec, n):
    return [rec.update(np.zeros(layout.FRAME_SIZE)) for _ in range(n)]


def test_window_fills_before_the_first_prediction():
    meta, classify = scripted(["a", "b"], [0] * 10)
    rec = Recognizer(Bundle(None, meta), stability=2, classify=classify)
    steps = feed(rec, 4)
    assert [s.probs is None for s in steps] == [True, True, False, False]
    assert [s.word for s in steps] == [None, None, None, "a"]


def test_stability_threshold_sentence_and_no_repeat():
    tops = [0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 0, 0, 0, 1, 1, 1]
    meta, classify = scripted(["a", "b", "c"], tops, seq_len=1)
    rec = Recognizer(Bundle(None, meta), stability=3, sentence=2, classify=classify)
    words = [s.word for s in feed(rec, len(tops))]
    assert [w for w in words if w] == ["a", "b", "c", "a", "b"]
    assert words.index("a") == 5  # the 1 at index 2 broke the first run of 0s
    assert rec.sentence == type(rec.sentence)(["a", "b"]) and rec.words == ["a", "b", "c", "a", "b"]
    # the same sign held longer never repeats back to back
    meta, classify = scripted(["a", "b"], [0] * 30, seq_len=1)
    rec = Recognizer(Bundle(None, meta), stability=3, classify=classify)
    feed(rec, 30)
    assert rec.words == ["a"]


def test_below_threshold_and_rejection_label_emit_nothing():
    meta, classify = scripted(["a", "b", "c"], [0] * 20, probs=0.45, seq_len=1)
    rec = Recognizer(Bundle(None, meta), threshold=0.5, stability=2, classify=classify)
    feed(rec, 20)
    assert rec.words == []
    meta, classify = scripted(["a", "none"], [1] * 20, seq_len=1, reject="none")
    rec = Recognizer(Bundle(None, meta), stability=2, classify=classify)
    feed(rec, 20)
    assert rec.words == []


def test_bad_settings_are_refused():
    meta, classify = scripted(["a", "b"], [])
    with pytest.raises(ValueError):
        Recognizer(Bundle(None, meta), threshold=1.5, classify=classify)
