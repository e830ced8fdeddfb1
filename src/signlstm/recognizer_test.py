"""The recognizer: window, threshold, stability, sentence, rejection label; the tutorial rule (no repeats) and the stream rule (a sign again after a rest)."""
import functools
import zlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from signlstm import layout
from signlstm.models.bundle import Bundle
from signlstm.errors import SignlstmError
from signlstm.recognizer import MOST, RULE, RULE_SETTINGS, RULES, STABILITY, THRESHOLD, Recognizer, rule_settings


def scripted(labels, tops, probs=0.95, seq_len=3, reject=None):
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
    rec = Recognizer(Bundle(None, meta), stability=2, classify=classify, rule="tutorial")
    steps = feed(rec, 4)
    assert [s.probs is None for s in steps] == [True, True, False, False]
    assert [s.word for s in steps] == [None, None, None, "a"]


def test_stability_threshold_sentence_and_no_repeat():
    tops = [0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 0, 0, 0, 1, 1, 1]
    meta, classify = scripted(["a", "b", "c"], tops, seq_len=1)
    rec = Recognizer(Bundle(None, meta), stability=3, sentence=2, classify=classify, rule="tutorial")
    words = [s.word for s in feed(rec, len(tops))]
    assert [w for w in words if w] == ["a", "b", "c", "a", "b"]
    assert words.index("a") == 5  # the 1 at index 2 broke the first run of 0s
    assert rec.sentence == type(rec.sentence)(["a", "b"]) and rec.words == ["a", "b", "c", "a", "b"]
    # the same sign held longer never repeats back to back
    meta, classify = scripted(["a", "b"], [0] * 30, seq_len=1)
    rec = Recognizer(Bundle(None, meta), stability=3, classify=classify, rule="tutorial")
    feed(rec, 30)
    assert rec.words == ["a"]


def test_below_threshold_and_rejection_label_emit_nothing():
    meta, classify = scripted(["a", "b", "c"], [0] * 20, probs=0.45, seq_len=1)
    rec = Recognizer(Bundle(None, meta), threshold=0.5, stability=2, classify=classify, rule="tutorial")
    feed(rec, 20)
    assert rec.words == []
    meta, classify = scripted(["a", "none"], [1] * 20, seq_len=1, reject="none")
    rec = Recognizer(Bundle(None, meta), stability=2, classify=classify, rule="tutorial")
    feed(rec, 20)
    assert rec.words == []


def test_bad_settings_are_refused():
    meta, classify = scripted(["a", "b"], [])
    with pytest.raises(SignlstmError, match="threshold must be within 0..1, got 1.5"):
        Recognizer(Bundle(None, meta), threshold=1.5, classify=classify)


def hand_frames(n, hand=True, block=layout.RIGHT_HAND):
    """n frames with (or without) a hand in view (the right one, or ``block``'s)."""
    f = np.zeros((n, layout.FRAME_SIZE), np.float32)
    if hand:
        f[:, block.start:block.stop] = 0.5
    return f


def test_stream_rule_says_a_sign_again_after_a_rest_and_once_within_a_sign():
    # a: held for 12 windows, a rest of 6 hand-less frames, a again; the classifier says 'a' whenever a hand is in
    # the newest frame and 'none' otherwise
    meta = {"labels": ["a", "b", "none"], "seq_len": 3, "reject_label": "none"}

    def classify(window):
        return np.array([0.96, 0.02, 0.02]) if window[-1].any() else np.array([0.05, 0.05, 0.9])

    frames = np.concatenate([hand_frames(15), hand_frames(6, False), hand_frames(15), hand_frames(3, False)])
    stream = Recognizer(Bundle(None, meta), classify=classify, rule="stream", stability=3, rest=6)
    tutorial = Recognizer(Bundle(None, meta), classify=lambda w: classify(w), stability=3, rule="tutorial")
    said = [(s.frame, s.word) for s in (stream.update(f) for f in frames) if s.word]
    assert said == [(4, "a"), (23, "a")]  # the second once three windows after the rest agree
    assert [w for w in (tutorial.update(f).word for f in frames) if w] == ["a"]
    # a left-handed signer's frames: the left hand alone is in view, and is no rest
    left = np.concatenate([hand_frames(15, block=layout.LEFT_HAND), hand_frames(6, False),
                           hand_frames(15, block=layout.LEFT_HAND), hand_frames(3, False)])
    stream = Recognizer(Bundle(None, meta), classify=classify, rule="stream", stability=3, rest=6)
    assert [(s.frame, s.word) for s in (stream.update(f) for f in left) if s.word] == said


def test_stream_rule_names_a_sign_that_ends_before_stability_windows_saw_it():
    """Stability 5, one-frame windows. A sign seen by 4 agreeing windows ends at a rest of 2 frames: its word comes
    at the rest, and the next sign may say the same word again. At the end of the input, 3 agreeing windows get
    theirs from finish(); windows that disagree, or the tutorial rule, get nothing."""
    meta, classify = scripted(["a", "b", "none"], [0, 0, 0, 0, 2] + [0] * 7 + [0, 2], seq_len=1, reject="none")
    rec = Recognizer(Bundle(None, meta), classify=classify, rule="stream", stability=5, rest=2)
    frames = np.concatenate([hand_frames(3), hand_frames(2, False), hand_frames(7), hand_frames(2, False)])
    steps = [rec.update(f) for f in frames]
    assert [(s.frame, s.word) for s in steps if s.word] == [(4, "a"), (9, "a")]  # at the rest; then 5 agreeing
    assert rec.finish().word is None  # that sign already has its word
    for tops, rule, said in (([1, 1, 1], "stream", "b"), ([1, 0, 1], "stream", None), ([1, 1, 1], "tutorial", None)):
        meta, classify = scripted(["a", "b", "none"], tops, seq_len=1, reject="none")
        rec = Recognizer(Bundle(None, meta), classify=classify, rule=rule, stability=5, rest=2)
        for f in hand_frames(3):
            rec.update(f)
        end = rec.finish()
        assert (end.frame, end.word) == (2, said) and rec.words == ([said] if said else [])
        assert rec.finish().word is None and rec.words == ([said] if said else [])  # said once, however often asked


def test_stream_rule_rearms_after_rejected_windows_but_not_within_a_short_dip():
    tops = [0] * 5 + [2] * 4 + [0] * 5 + [2] * 6 + [0] * 5  # a, 4 rejected, a, 6 rejected, a
    meta, classify = scripted(["a", "b", "none"], tops, seq_len=1, reject="none")
    rec = Recognizer(Bundle(None, meta), classify=classify, rule="stream", stability=3, rearm=5)
    for f in hand_frames(len(tops)):  # hands in view throughout: no rest
        rec.update(f)
    assert rec.words == ["a", "a"]
    meta, classify = scripted(["a", "b"], [0] * 5 + [1] * 5 + [0] * 5, seq_len=1)
    rec = Recognizer(Bundle(None, meta), classify=classify, rule="stream", stability=3)
    for f in hand_frames(15):
        rec.update(f)
    assert rec.words == ["a", "b", "a"]  # another sign between: the same word again


def test_rule_defaults_and_unknown_rule():
    meta, classify = scripted(["a", "b"], [])
    rec = Recognizer(Bundle(None, meta), classify=classify, rule="tutorial")
    assert rec.threshold == THRESHOLD and rec.recent.maxlen == STABILITY
    rec = Recognizer(Bundle(None, meta), classify=classify)
    assert rec.rule == RULE == "stream" and rec.threshold == RULE_SETTINGS["stream"]["threshold"]
    assert rec.rest == RULE_SETTINGS["stream"]["rest"] and rec.recent.maxlen == RULE_SETTINGS["stream"]["stability"]
    with pytest.raises(SignlstmError, match="rule must be one of tutorial, stream, spot, got 'nope'"):
        Recognizer(Bundle(None, meta), classify=classify, rule="nope")


def test_a_bundle_naming_an_unknown_rule_is_bad_input_naming_it(tmp_path):
    from signlstm.errors import BadInput

    meta, classify = scripted(["a", "b"], [])
    meta["rule"] = "nope"
    with pytest.raises(BadInput, match=f"{tmp_path}: 'rule' 'nope' is not one of"):
        Recognizer(Bundle(None, meta, tmp_path), classify=classify)
    assert Recognizer(Bundle(None, meta, tmp_path), classify=classify, rule="tutorial").rule == "tutorial"


def test_spot_rule_says_each_sign_event_once_and_nothing_within_the_refractory_windows():
    """The spot rule (a spotting model's, named in its bundle): an event is a run of windows whose best sign has at
    least ``onset``; its word comes once, on the first window where the event's leading sign reaches ``threshold``."""
    probs = {"rest": [0.05, 0.05, 0.9], "rise": [0.3, 0.1, 0.6], "a": [0.8, 0.1, 0.1], "b": [0.1, 0.8, 0.1]}
    script = ["rest"] * 3 + ["rise", "a", "a", "rise"] + ["rest"] * 30 + ["rise", "b", "b", "rest", "a", "rest"]
    meta = {"labels": ["a", "b", "none"], "seq_len": 1, "reject_label": "none", "rule": "spot"}

    def run(**settings):
        calls = iter(script)
        rec = Recognizer(Bundle(None, meta), classify=lambda w: np.array(probs[next(calls)]), **settings)
        steps = [rec.update(f) for f in hand_frames(len(script))]
        return rec, [(s.frame, s.word) for s in steps if s.word]

    rec, said = run()
    assert rec.rule == "spot" and rec.threshold == RULE_SETTINGS["spot"]["threshold"]
    # a at its first confident window; b after the rest; the a 3 windows after b is within the refractory windows
    assert said == [(4, "a"), (38, "b")]
    assert run(refractory=0)[1] == [(4, "a"), (38, "b"), (41, "a")]
    assert run(threshold=0.9)[1] == []  # never confident enough
    assert run(onset=0.5)[1] == [(4, "a"), (38, "b")]  # the rises no longer open an event; the same words
    assert run(rule="stream", stability=1, threshold=0.5)[0].rule == "stream"  # the bundle's rule can be overridden
    # a page's "clear" (reset) right after a word: the next sign is a new event, not within the refractory windows
    calls = iter(["a", "a", "rest", "b"])
    rec = Recognizer(Bundle(None, meta), classify=lambda w: np.array(probs[next(calls)]))
    frames = hand_frames(4)
    assert [rec.update(f).word for f in frames[:2]] == ["a", None]
    rec.reset()
    assert [rec.update(f).word for f in frames[2:]] == [None, "b"]


def test_a_word_needs_a_probability_above_the_threshold_not_equal_to_it():
    """"Above ``threshold``": windows exactly at the threshold say nothing (per window, and at the end of the input
    under the stream rule); a hair above, they do."""
    for threshold, said in ((0.5, []), (0.49, ["a"])):
        for rule in ("tutorial", "stream"):
            meta, classify = scripted(["a", "b", "none"], [0] * 6, probs=0.5, seq_len=1, reject="none")
            rec = Recognizer(Bundle(None, meta), threshold=threshold, stability=3, classify=classify, rule=rule)
            for f in hand_frames(6):
                rec.update(f)
            assert rec.words == said, (threshold, rule)
        # a sign seen by fewer than `stability` windows, named by finish() only above the threshold
        meta, classify = scripted(["a", "b", "none"], [0] * 3, probs=0.5, seq_len=1, reject="none")
        rec = Recognizer(Bundle(None, meta), threshold=threshold, stability=5, classify=classify, rule="stream")
        for f in hand_frames(3):
            rec.update(f)
        assert rec.finish().word == (said[0] if said else None), threshold


def test_stream_rule_rearms_at_exactly_rearm_rejected_windows_in_a_row():
    """``rearm`` rejected windows in a row end a sign (the same word may come again); one fewer does not, nor do
    ``rearm`` rejected windows that a sign window interrupts."""
    cases = [([0] * 3 + [2] * 5 + [0] * 3, ["a", "a"]),  # exactly 5 in a row
             ([0] * 3 + [2] * 4 + [0] * 3, ["a"]),  # 4
             ([0] * 3 + [2] * 3 + [0] + [2] * 3 + [0] * 3, ["a"])]  # 6, but not in a row
    for tops, said in cases:
        meta, classify = scripted(["a", "b", "none"], tops, seq_len=1, reject="none")
        rec = Recognizer(Bundle(None, meta), classify=classify, rule="stream", stability=3, rearm=5)
        for f in hand_frames(len(tops)):  # hands in view throughout: no rest
            rec.update(f)
        assert rec.words == said, tops


def test_at_a_rest_the_sign_before_it_no_longer_counts():
    """Windows longer than the rest: the frames before the rest keep their hands in the window for a while, but the
    rest hides them, so the model (here: 'a' while any frame of the window shows a hand) sees no sign and the word
    is not said again during the rest."""
    meta = {"labels": ["a", "b", "none"], "seq_len": 8, "reject_label": "none"}
    seen = []

    def classify(window):
        seen.append(window.copy())
        return np.array([0.96, 0.02, 0.02]) if layout.hands_present(window).any() else np.array([0.05, 0.05, 0.9])

    frames = np.concatenate([hand_frames(12), hand_frames(10, False)])
    frames[:, layout.POSE.start:layout.POSE.stop] = 0.3  # a person in view throughout
    rec = Recognizer(Bundle(None, meta), classify=classify, rule="stream", stability=3, rest=2)
    steps = [rec.update(f) for f in frames]
    assert [(s.frame, s.word) for s in steps if s.word] == [(9, "a")]
    at_rest = seen[13 - 7]  # the window classified on frame 13, the rest's 2nd hand-less frame (windows from frame 7)
    assert not layout.hands_present(at_rest).any() and at_rest[:6].any()  # signed frames, their hands hidden


def test_settings_out_of_range_are_refused():
    meta, classify = scripted(["a", "b", "none"], [], reject="none")
    for bad in ({"stability": 0}, {"sentence": 0}, {"rest": 0}, {"rearm": 0}, {"refractory": -1}, {"onset": 1.5},
                {"onset": -0.1}, {"threshold": -0.1}, {"stability": MOST + 1}):
        with pytest.raises(SignlstmError, match=f"{next(iter(bad))} must be within"):
            Recognizer(Bundle(None, meta), classify=classify, **bad)
    assert Recognizer(Bundle(None, meta), classify=classify, rule="spot", refractory=0, onset=1.0).refractory == 0


def test_reset_forgets_the_window_the_agreeing_predictions_and_the_sign_but_keeps_the_sentence():
    meta, classify = scripted(["a", "b", "none"], [0] * 20, seq_len=2, reject="none")
    rec = Recognizer(Bundle(None, meta), stability=3, classify=classify, rule="stream")
    first = [rec.update(f) for f in hand_frames(6)]  # windows on frames 1..5: 'a' said on frame 3, once
    assert [s.word for s in first] == [None, None, None, "a", None, None]
    rec.reset()
    steps = [rec.update(f) for f in hand_frames(4)]
    assert [s.probs is None for s in steps] == [True, False, False, False]  # the window fills again
    assert [s.word for s in steps] == [None, None, None, "a"]  # three new agreeing windows, not the old ones
    assert list(rec.sentence) == ["a", "a"]
    # hand-less frames before a reset do not count toward a rest after it
    rec = Recognizer(Bundle(None, meta), stability=3, classify=classify, rule="stream", rest=4)
    [rec.update(f) for f in np.concatenate([hand_frames(6), hand_frames(3, False)])]
    rec.reset()
    assert [rec.update(f).word for f in hand_frames(2, False)] == [None, None] and rec.idle == 2


def test_spot_rule_boundaries_and_the_event_sum():
    """The spot rule's words, window by window: a probability equal to ``onset`` keeps an event open, one equal to
    ``threshold`` speaks, an event beginning exactly ``refractory`` windows after the last word speaks (one window
    sooner it does not), and the word is the sign with the most probability summed over the event, not the
    window's best."""
    meta = {"labels": ["a", "b", "none"], "seq_len": 1, "reject_label": "none", "rule": "spot"}
    probs = {"rest": [0.05, 0.05, 0.9], "a": [0.8, 0.1, 0.1], "b": [0.1, 0.8, 0.1], "at_onset": [0.2, 0.1, 0.7],
             "a_at_threshold": [0.65, 0.1, 0.25], "mostly_b": [0.3, 0.6, 0.1], "then_a": [0.7, 0.25, 0.05]}

    def said(script, **settings):
        calls = iter(script)
        rec = Recognizer(Bundle(None, meta), classify=lambda w: np.array(probs[next(calls)]), **settings)
        return [(s.frame, s.word) for s in (rec.update(f) for f in hand_frames(len(script))) if s.word]

    assert said(["rest", "a_at_threshold", "rest"]) == [(1, "a")]
    assert said(["rest", "a", "at_onset", "a", "rest"], refractory=0) == [(1, "a")]  # one event, one word
    assert said(["rest", "a", "rest", "a", "rest"], refractory=0) == [(1, "a"), (3, "a")]  # two events
    assert said(["a", "rest", "rest", "b"], refractory=3) == [(0, "a"), (3, "b")]
    assert said(["a", "rest", "b", "b"], refractory=3) == [(0, "a")]  # the event began within 3 windows
    # b leads the event's sum until the 4th window, where a (0.7 each time) overtakes it and speaks
    assert said(["mostly_b", "mostly_b", "then_a", "then_a"]) == [(3, "a")]


def test_the_rules_defaults_are_the_documented_ones():
    """README.md and the model card give these defaults (the stream benchmark's choices): changing one is a change
    of what every front does, to be made in the docs too."""
    assert RULE == "stream" and rule_settings() == {"rule": "stream", "threshold": 0.9, "stability": 16, "rest": 6,
                                                    "rearm": 10}
    assert rule_settings("spot") == {"rule": "spot", "threshold": 0.65, "onset": 0.2, "refractory": 25}
    assert rule_settings("tutorial") == {"rule": "tutorial", "threshold": 0.5, "stability": 10}


def test_stream_rule_names_a_short_sign_at_its_end_only_as_the_inputs_first_sign():
    """Stability 8, three-frame windows, a rest of 3. Two five-frame signs, each followed by five hand-less frames:
    the first gets its word at its rest; the second, after a rest whose own windows ('none') are still among the
    last 8, gets none (a short sign after a rest needs stability agreeing windows: measured better, model card)."""
    # a window names the sign of the hand frames it holds, else none (frames 2-6: a; 10-16: b)
    meta, classify = scripted(["a", "b", "none"], [0] * 5 + [2] * 3 + [1] * 7 + [2] * 3, reject="none")
    rec = Recognizer(Bundle(None, meta), classify=classify, rule="stream", stability=8, rest=3)
    frames = np.concatenate([hand_frames(5), hand_frames(5, False), hand_frames(5), hand_frames(5, False)])
    assert [(s.frame, s.word) for s in (rec.update(f) for f in frames) if s.word] == [(7, "a")]
    assert rec.finish().word is None


def test_a_word_carries_the_probability_of_the_window_that_decided_it():
    """A sign seen by 4 windows of 'a' at 0.93 ends at a rest: the word comes on the rest's step, whose own window
    says 'none' at 0.8. The word's probability is 0.93, not the newest window's; a word said on its own window
    (stability reached) carries that window's probability; finish() carries the last window's."""
    answers = iter([("a", 0.93)] * 4 + [("none", 0.8)] + [("a", 0.96)] * 5 + [("b", 0.91)] * 3)
    labels = ["a", "b", "none"]

    def classify(window):
        label, prob = next(answers)
        p = np.full(3, (1 - prob) / 2)
        p[labels.index(label)] = prob
        return p

    rec = Recognizer(Bundle(None, {"labels": labels, "seq_len": 1, "reject_label": "none"}), classify=classify,
                     rule="stream", stability=5, rest=2)
    frames = np.concatenate([hand_frames(3), hand_frames(2, False), hand_frames(5), hand_frames(2, False),
                             hand_frames(1)])
    said = [s for s in (rec.update(f) for f in frames) if s.word]
    assert [(s.word, round(s.word_prob, 2), labels[s.top]) for s in said] == [("a", 0.93, "none"), ("a", 0.96, "a")]
    end = rec.finish()  # 'b' in the windows since the last rest, the last one at 0.91
    assert (end.word, round(end.word_prob, 2)) == ("b", 0.91)


def test_a_spot_rule_word_carries_its_own_probability_not_the_windows_best():
    """Spot rule, threshold 0.4: the event's sum leads with 'a' (0.35 + 0.42) over 'b' (0.3 + 0.45), so 'a' speaks on
    the second window, where 'b' is the window's best: the word's probability is a's 0.42 there, not 0.45."""
    meta = {"labels": ["a", "b", "none"], "seq_len": 1, "reject_label": "none", "rule": "spot"}
    rows = iter([[0.35, 0.3, 0.35], [0.42, 0.45, 0.13]])
    rec = Recognizer(Bundle(None, meta), classify=lambda w: np.array(next(rows)), threshold=0.4, onset=0.2)
    said = [s for s in (rec.update(f) for f in hand_frames(2)) if s.word]
    assert [(s.frame, s.word, s.word_prob, rec.labels[s.top]) for s in said] == [(1, "a", 0.42, "b")]


def test_a_rest_longer_than_rest_frames_ends_the_sign_once():
    """Stream rule, rest 2: a classifier that names 'a' whatever it sees, 4 hand frames, then 10 hand-less ones.
    'a' is said at the third agreeing window; the rest's second hand-less frame ends that sign, and 'a' (still named
    on the hand-less windows) is said once more when three windows after the rest agree; the hand-less frames after
    the rest's second are the same rest, not a new end of a sign each (which would say 'a' on every one)."""
    meta, classify = scripted(["a", "b", "none"], [0] * 14, seq_len=1, reject="none")
    rec = Recognizer(Bundle(None, meta), classify=classify, rule="stream", stability=3, rest=2)
    frames = np.concatenate([hand_frames(4), hand_frames(10, False)])
    assert [(s.frame, s.word) for s in (rec.update(f) for f in frames) if s.word] == [(2, "a"), (7, "a")]
    assert rec.finish().word is None


@functools.cache
def _recordings():
    """Real recordings: the first 12 of three people (s02, s13, s21), (12, 30, 1662) each."""
    from signlstm.conftest import shared_path

    out = []
    for person in ("s02", "s13", "s21"):
        with np.load(shared_path("data", "signers", f"{person}.npz")) as z:
            out.append(z["X"][:12].astype(np.float32))
    return out


@st.composite
def real_streams(draw):
    """A keypoint stream of 1-4 pieces of real recordings (any part of one), each after a rest of 0-12 hand-less
    frames, and, half the time, hands lost in frames Hypothesis picks."""
    X = draw(st.sampled_from(_recordings()))
    pieces = []
    for _ in range(draw(st.integers(1, 4))):
        rec = X[draw(st.integers(0, len(X) - 1))]
        a = draw(st.integers(0, len(rec) - 1))
        piece = rec[a:draw(st.integers(a + 1, len(rec)))]
        pieces += [np.repeat(layout.without_hands(piece[:1]), draw(st.integers(0, 12)), 0), piece]
    frames = np.concatenate(pieces)
    if draw(st.booleans()):
        lost = np.array(draw(st.lists(st.booleans(), min_size=len(frames), max_size=len(frames))))
        frames[lost] = layout.without_hands(frames[lost])
    return frames


LABELS = ["a", "b", "c", "none"]


@st.composite
def rule_setups(draw):
    """(Recognizer settings of any rule, window length, a classifier): the classifier gives each window one of up to
    8 probability rows Hypothesis draws, chosen by a hash of the window's bytes, so any sequence of probabilities
    comes out, and the same window always gets the same probabilities."""
    rule = draw(st.sampled_from(RULES))
    rows = np.array(draw(st.lists(st.lists(st.floats(0, 1), min_size=4, max_size=4).filter(lambda p: sum(p) > 0),
                                  min_size=1, max_size=8)))
    rows /= rows.sum(1, keepdims=True)
    settings_ = {"rule": rule, "sentence": draw(st.integers(1, 4)),
                 "threshold": draw(st.one_of(st.none(), st.sampled_from([0.0, 0.25, 0.5, 0.9])))}
    if rule != "spot":  # None: the rule's own (10 or 16), longer than most signs in the streams
        settings_["stability"] = draw(st.one_of(st.none(), st.integers(1, 6)))
    if rule == "stream":
        settings_.update(rest=draw(st.integers(1, 6)), rearm=draw(st.integers(1, 6)))
    if rule == "spot":
        settings_.update(onset=draw(st.sampled_from([0.0, 0.2, 0.5])), refractory=draw(st.integers(0, 6)))

    def classify(window):
        return rows[zlib.crc32(np.ascontiguousarray(window).tobytes()) % len(rows)]

    return settings_, draw(st.integers(1, 8)), classify


@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(real_streams(), rule_setups(), st.data())
def test_any_rule_on_any_stream_keeps_its_promises(frames, setup, data):
    """Property, every rule and setting, real keypoint streams, any probabilities: the tutorial rule never says one
    word twice in a row; the sentence never holds more than ``sentence`` words; a second finish() says nothing more;
    after reset() at any frame the recognizer says what a new one (with the same sentence) says on the frames that
    follow, at the same frames (half the time right after a word)."""
    settings_, seq_len, classify = setup
    bundle = Bundle(None, {"labels": LABELS, "seq_len": seq_len, "reject_label": "none"})
    rec = Recognizer(bundle, classify=classify, **settings_)
    steps = [rec.update(f) for f in frames] + [rec.finish()]
    assert [s.word for s in steps if s.word] == rec.words
    if settings_["rule"] == "tutorial":
        assert all(a != b for a, b in zip(rec.words, rec.words[1:])), rec.words
    assert all(len(s.sentence) <= settings_["sentence"] for s in steps) and list(rec.sentence) == steps[-1].sentence
    words, sentence = list(rec.words), list(rec.sentence)
    again = rec.finish()
    assert again.word is None and rec.words == words and again.sentence == sentence
    said_at = [s.frame + 1 for s in steps[:-1] if s.word]  # resets right after a word, as a page's "clear" comes
    k = data.draw(st.sampled_from(said_at) if said_at and data.draw(st.booleans()) else st.integers(0, len(frames)),
                  label="reset at")
    rec = Recognizer(bundle, classify=classify, **settings_)
    for f in frames[:k]:
        rec.update(f)
    rec.reset()
    new = Recognizer(bundle, classify=classify, **settings_)
    new.sentence.extend(rec.sentence)
    after = [(s.frame - k, s.word) for s in (rec.update(f) for f in frames[k:])] + [(None, rec.finish().word)]
    assert after == [(s.frame, s.word) for s in (new.update(f) for f in frames[k:])] + [(None, new.finish().word)]
    assert list(rec.sentence) == list(new.sentence)


@settings(max_examples=60, deadline=None, database=None, derandomize=True)
@given(real_streams(), st.sampled_from(RULES), st.integers(1, 30), st.integers(1, 6), st.booleans())
def test_the_window_classified_at_any_frame_is_the_last_frames_in_order_and_is_never_overwritten(
        frames, rule, seq_len, rest, batched):
    """Property, real keypoint streams, every rule, any window length: the window handed to the classifier at frame
    i (from the first full window on, none before) is frames i - seq_len + 1 .. i in order, the same values, with
    under the stream rule the hands taken off the frames up to the last rest (``rest`` hand-less frames in a row)
    and nothing else changed; every window handed out keeps its values while later frames come (a caller may keep
    them: the batcher, a recording). The same through ``advance``/``conclude`` as through ``update``."""
    seen = []

    def classify(window):
        seen.append((window, window.copy()))
        return np.array([0.1, 0.1, 0.1, 0.7])

    bundle = Bundle(None, {"labels": LABELS, "seq_len": seq_len, "reject_label": "none"})
    options = {"rule": rule, **({"rest": rest} if rule == "stream" else {})}
    rec = Recognizer(bundle, classify=classify, **options)
    for f in frames:
        if batched:
            step, window = rec.advance(f)
            if window is not None:
                rec.conclude(step, classify(window))
        else:
            rec.update(f)
    hidden, idle, expected = -1, 0, []  # hidden: the last frame whose hands a rest took off
    for i, f in enumerate(frames):
        idle = 0 if f[layout.LEFT_HAND.start:layout.RIGHT_HAND.stop].any() else idle + 1
        if rule == "stream" and idle == rest:
            hidden = i
        if i >= seq_len - 1:
            w = frames[i - seq_len + 1:i + 1].copy()
            bare = max(0, hidden - (i - seq_len + 1) + 1)  # frames of the window up to the last rest
            w[:bare] = layout.without_hands(w[:bare])
            expected.append(w)
    assert len(seen) == len(expected)
    for (kept, then), want in zip(seen, expected):
        np.testing.assert_array_equal(then, want)
        np.testing.assert_array_equal(kept, then)


def test_lowering_the_rejection_divides_its_probability_by_e_to_the_shift():
    """``decide``'s ``lower_reject`` divides none's probability by e to its value: none at 0.6 beats hello at 0.4
    unshifted, lowered by 0.3 (0.44) and raised (-1: 0.3 e = 0.82 beats 0.7 too); lowered by 1 (0.22) it loses. A
    model without none is unmoved."""
    from signlstm.recognizer import decide

    probs = [[0.4, 0.6], [0.7, 0.3]]
    assert decide(["hello", "none"], probs).tolist() == ["none", "hello"]
    assert decide(["hello", "none"], probs, -1.0).tolist() == ["none", "none"]  # 0.3 e = 0.82 > 0.7
    assert decide(["hello", "none"], probs, 0.3).tolist() == ["none", "hello"]
    assert decide(["hello", "none"], probs, 1.0).tolist() == ["hello", "hello"]
    assert decide(["hello", "none"], [[0.45, 0.55]], -1.0).tolist() == ["none"]
    assert decide(["hello", "thanks"], probs, 5.0).tolist() == ["thanks", "hello"]
    assert decide(["hello", "none"], np.zeros((0, 2))).tolist() == []


def test_silence_says_why_no_word_came_and_reset_forgets_the_last_probabilities():
    """No hand in any frame is said as such (frames with a hand are counted, not frames); under the spot rule, signs
    below its threshold are said as that (the spot rule names no window as a sign, so "every window said none" would
    be wrong); after :meth:`reset` no probabilities are left to show (the end of the input has none)."""
    meta = {"labels": ["a", "b", "none"], "seq_len": 2, "reject_label": "none", "rule": "spot"}
    rec = Recognizer(Bundle(None, meta), classify=lambda w: np.array([0.5, 0.1, 0.4]))
    feed(rec, 3)  # zeros: no hand
    assert rec.silence() == "no hand in any of its 3 frames (signs are read from the hands)"
    rec = Recognizer(Bundle(None, meta), classify=lambda w: np.array([0.5, 0.1, 0.4]))
    [rec.update(f) for f in hand_frames(4)]
    assert not rec.words and rec.silence().startswith(f"no window's sign passed the threshold {rec.threshold:g} "
                                                      "(the highest: a 0.50)"), rec.silence()
    assert rec.last_probs is not None
    rec.reset()
    assert rec.last_probs is None and rec.finish().probs is None
