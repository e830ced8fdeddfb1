"""Streams built from real recordings, replayed through the live recognizer and scored."""
import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from signlstm import layout
from signlstm.datasets import load
from signlstm.judging import stream_scoring
from signlstm.models.bundle import Bundle
from signlstm.recognizer import Recognizer, rule_settings
from signlstm.recognizer_test import LABELS, real_streams, rule_setups


@pytest.fixture(scope="module")
def s02_stream():
    from signlstm.conftest import shared_path

    signs = load([shared_path("data", "signers", "s02.npz")])
    others = load([shared_path("data", "other_signs", "o01.npz")])
    return signs, others, stream_scoring.build_stream(signs, others, seed=stream_scoring.person_seed(0, "s02"))


def test_stream_holds_the_recordings_with_rests_between(s02_stream):
    signs, others, st = s02_stream
    labels = [s.label for s in st.segments]
    assert sorted(x for x in labels if x) == sorted(["hello"] * 4 + ["thanks"] * 4 + ["iloveyou"] * 4)
    assert labels.count(None) == 4 and st.reference == [x for x in labels if x]
    by_source = {(s, y): x for d in (signs, others) for s, y, x in zip(d.sources, d.labels, d.X)}
    hands = layout.hands_present(st.frames)
    previous_stop = 0
    for seg in st.segments:
        assert np.array_equal(st.frames[seg.start:seg.stop], by_source[seg.source, seg.recorded].astype(np.float32))
        gap = seg.start - previous_stop
        assert 8 <= gap <= 20 and not hands[previous_stop:seg.start].any()
        rest = st.frames[previous_stop:seg.start]  # the next segment's first frame, hands out of view
        assert np.array_equal(rest[0], layout.without_hands(st.frames[seg.start][None])[0])
        previous_stop = seg.stop
    assert len(st.frames) - previous_stop == 20 and not hands[previous_stop:].any()
    for seg in st.segments:
        if seg.label:
            assert hands[seg.start:seg.stop].mean() >= 0.5
    # a different person's seed gives another order; the same seed the same stream
    again = stream_scoring.build_stream(signs, others, seed=stream_scoring.person_seed(0, "s02"))
    assert np.array_equal(again.frames, st.frames)
    other = stream_scoring.build_stream(signs, others, seed=stream_scoring.person_seed(0, "s03"))
    assert [s.source for s in other.segments] != [s.source for s in st.segments]


def test_signs_without_hands_are_left_out(shared):
    renotte = load([shared("data", "signers", "renotte.npz")])
    share = layout.hand_share(renotte.X)
    picked = stream_scoring.pick_signs(renotte, per_label=30)
    assert (share[picked] >= 0.5).all() and len(picked) == int((share >= 0.5).sum())
    assert (share < 0.5).sum() > 40  # renotte's hello and thanks are mostly recorded without a detected hand


def test_score_counts_errors_repeats_other_sign_words_and_latency():
    segs = [stream_scoring.Segment(10, 40, "hello", "a"), stream_scoring.Segment(50, 80, None, "x"),
            stream_scoring.Segment(90, 120, "hello", "b"), stream_scoring.Segment(130, 160, "thanks", "c")]
    st = stream_scoring.Stream(np.zeros((180, layout.FRAME_SIZE), np.float32), segs)
    perfect = stream_scoring.score(st, [(35, "hello"), (119, "hello"), (170, "thanks")])
    assert perfect["errors"] == 0 and perfect["other_words"] == 0 and perfect["latencies"] == [-4, 0, 11]
    merged = stream_scoring.score(st, [(35, "hello"), (170, "thanks")])  # the repeat said once
    assert merged["errors"] == 1 and merged["merged_errors"] == 0
    other = stream_scoring.score(st, [(35, "hello"), (70, "thanks"), (119, "hello"), (170, "thanks")])
    assert other["errors"] == 1 and other["other_words"] == 1
    again = stream_scoring.score(st, [(35, "hello"), (60, "thanks"), (70, "thanks"), (119, "hello"), (170, "thanks")])
    assert again["other_words"] == 2  # each word said on another sign counts, the same word twice too
    pooled = stream_scoring.pool([perfect, merged, other])
    assert pooled["wer"] == pytest.approx(2 / 9) and pooled["other_words"] == pytest.approx(1 / 3)
    assert pooled["wer_merged"] == pytest.approx(2 / 6)  # merged: 2 words a stream; the third's 4 words are 2 off
    assert pooled["latency_median"] == 0


def test_batched_replay_gives_the_words_of_the_per_window_path(s02_stream):
    from signlstm.models.bundle import load_bundle

    bundle = load_bundle()
    _, _, st = s02_stream
    for rule in ("tutorial", "stream"):
        settings = rule_settings(rule)
        fast = stream_scoring.replay(lambda c: Recognizer(bundle, classify=c, **settings), st.frames, bundle.predict)
        slow = stream_scoring.replay(lambda c: Recognizer(bundle, classify=c, **settings), st.frames)
        assert fast == slow and len(slow) >= 4
    # the stream rule says a sign made again after a rest again; the tutorial rule cannot
    words = {r: [w for _, w in stream_scoring.replay(lambda c: Recognizer(bundle, classify=c, **rule_settings(r)),
                                                st.frames, bundle.predict)] for r in ("tutorial", "stream")}
    repeats = sum(a == b for a, b in zip(st.reference, st.reference[1:]))
    assert repeats and not any(a == b for a, b in zip(words["tutorial"], words["tutorial"][1:]))
    assert sum(a == b for a, b in zip(words["stream"], words["stream"][1:])) >= 1


def test_batched_replay_reads_models_of_more_than_64_signs_under_every_rule(shared):
    """A vocabulary of the five people's signs (70 and `none`) replayed under the spot rule as the judges replay
    it: the batched path gives the per-window path's words (its first pass once fed the rule 64 probabilities)."""
    from signlstm.models.bundle import load_bundle
    from signlstm.models.vocabulary import TRUNK_MODEL, adapt_vocab

    merged = load([shared("data", "vocab", f"{p}.npz") for p in ("o04", "o05", "o06", "o07", "s23")],
                  dtype=np.float16)
    bundle = adapt_vocab(load_bundle(TRUNK_MODEL), merged, shots=5, seed=0)
    assert len(bundle.labels) > 65
    o07 = merged.subset(merged.groups == "o07")
    stream = stream_scoring.build_stream(o07, None, seed=0, per_label=1)
    for rule in ("spot", "stream"):
        # the spot rule on a model not trained for it: an event ends where its signs' top probability falls
        settings = rule_settings(rule) | ({"onset": 0.95, "threshold": 0.97} if rule == "spot" else {})
        fast = stream_scoring.replay(lambda c: Recognizer(bundle, classify=c, **settings), stream.frames,
                                     bundle.predict)
        slow = stream_scoring.replay(lambda c: Recognizer(bundle, classify=c, **settings), stream.frames)
        assert fast == slow and len(slow) >= 20, (rule, slow)  # of 35 signs


def test_score_counts_a_word_on_the_first_frame_of_another_sign_and_no_latency_for_a_wrong_word():
    """A word belongs to the segment whose span holds its frame, the segment's first frame included; a latency is
    measured only for a word that names its sign rightly."""
    segs = [stream_scoring.Segment(10, 40, "hello", "a"), stream_scoring.Segment(50, 80, None, "x")]
    st = stream_scoring.Stream(np.zeros((100, layout.FRAME_SIZE), np.float32), segs)
    at_start = stream_scoring.score(st, [(35, "hello"), (50, "thanks")])
    assert at_start["errors"] == 1 and at_start["other_words"] == 1 and at_start["latencies"] == [-4]
    before = stream_scoring.score(st, [(35, "hello"), (49, "thanks")])  # still the hello's span (up to the next start)
    assert before["other_words"] == 0
    wrong = stream_scoring.score(st, [(45, "thanks")])
    assert wrong["errors"] == 1 and wrong["latencies"] == []
    # on the rest before the first segment: no segment's
    first = stream_scoring.score(st, [(5, "thanks"), (35, "hello")])
    assert first["errors"] == 1 and first["other_words"] == 0 and first["latencies"] == [-4]


def test_a_word_said_on_another_sign_counts_there_even_when_a_missed_sign_could_take_it_in_the_sentence():
    """Words on other signs and latency are read in time, not from the sentence's alignment: a ``thanks`` said during
    another sign, with the real thanks after it missed, is a word on another sign, and gives the real thanks no
    latency (the sentence reads right, as the person sees it: no word error)."""
    segs = [stream_scoring.Segment(10, 40, "hello", "a"), stream_scoring.Segment(50, 80, None, "x"),
            stream_scoring.Segment(90, 120, "thanks", "c")]
    st = stream_scoring.Stream(np.zeros((140, layout.FRAME_SIZE), np.float32), segs)
    early = stream_scoring.score(st, [(35, "hello"), (70, "thanks")])
    assert early["errors"] == 0 and early["other_words"] == 1 and early["latencies"] == [-4]
    late = stream_scoring.score(st, [(70, "hello")])  # the hello missed in its own span, said on the other sign
    assert late["errors"] == 1 and late["other_words"] == 1 and late["latencies"] == []
    twice = stream_scoring.score(st, [(35, "hello"), (60, "hello"), (75, "iloveyou"), (119, "thanks")])
    assert twice["errors"] == 2 and twice["other_words"] == 2 and twice["latencies"] == [-4, 0]


def test_pool_latency_figures():
    rows = [{"ref": 21, "errors": 0, "merged_ref": 21, "merged_errors": 0, "others": 0, "other_words": 0,
             "latencies": list(range(20, -1, -1))}]
    pooled = stream_scoring.pool(rows)
    assert pooled["latency_median"] == 10 and pooled["latency_p95"] == 19 and pooled["wer"] == 0


def test_a_stream_of_recordings_that_float16_does_not_hold_is_saved_exactly_as_float32(shared, tmp_path):
    """``--write-stream`` of the tutorial's recordings (float32 values float16 cannot hold): the file holds the
    stream's frames exactly, as float32; a stream of recordings stored as float16 (s02) is saved as float16, exactly."""
    tree = load([shared("data", "MP_Data_renotte")])
    for signs, dtype in ((tree, np.float32), (load([shared("data", "signers", "s02.npz")]), np.float16)):
        st = stream_scoring.build_stream(signs, None, seed=0, per_label=1)
        stream_scoring.save_stream(st, tmp_path / "stream.npy")
        back = np.load(tmp_path / "stream.npy")
        assert back.dtype == dtype and np.array_equal(back, st.frames)


def test_rests_between_segments_take_the_given_lengths(s02_stream):
    """``rest`` (least, most) frames before each segment, both ends included: (8, 8) is 8 frames every time."""
    signs, others, _ = s02_stream
    st = stream_scoring.build_stream(signs, others, seed=0, rest=(8, 8), tail=5)
    starts = [s.start for s in st.segments]
    stops = [0] + [s.stop for s in st.segments[:-1]]
    assert [a - b for a, b in zip(starts, stops)] == [8] * len(st.segments)
    assert len(st.frames) - st.segments[-1].stop == 5


def test_the_seed_draws_which_recordings_their_order_and_every_rest_length(s02_stream):
    """Over ten seeds: the signs are drawn among all of s02's recordings with hands (not always its first ones),
    they come mixed (not all hellos, then all thanks, ...), and the rests take every length from 8 to 20 frames,
    both ends included."""
    signs, others, _ = s02_stream
    drawn, mixed, gaps = set(), 0, set()
    for seed in range(10):
        st = stream_scoring.build_stream(signs, others, seed=seed)
        drawn |= {s.source for s in st.segments if s.label}
        labels = [s.label or "" for s in st.segments]
        mixed += len([k for k, _ in itertools.groupby(labels)]) > len(set(labels))
        stops = [0] + [s.stop for s in st.segments[:-1]]
        gaps |= {s.start - b for s, b in zip(st.segments, stops)}
    assert len(drawn) > 2 * 12, len(drawn)  # 12 a stream, not the same 12
    assert mixed == 10
    assert gaps == set(range(8, 21)), sorted(gaps)


def test_replay_gives_the_word_that_the_end_of_the_input_ends():
    """A clip of one sign shorter than the stream rule's stability (the rohan937 iloveyou's first 39 frames at 30 a
    second: 10 windows, the rule wants 16) gets its word from the recognizer's finish(), as ``live`` gives it, on the
    last frame."""
    from signlstm.models.bundle import load_bundle

    demo = Path(__file__).resolve().parents[3] / "demo" / "rohan937_hello_thanks_iloveyou.npy"
    clip = np.load(demo)[86:125].astype(np.float32)
    bundle = load_bundle()
    said = stream_scoring.replay(lambda c: Recognizer(bundle, classify=c, **rule_settings("stream")), clip,
                                 bundle.predict)
    assert said == [(38, "iloveyou")]


def test_a_sign_named_twice_in_its_own_span_has_the_latency_of_the_first_word(s02_stream):
    """On s02's real stream, each sign named 2 frames before its last frame and again on the rest after it (as the
    stream rule can after a rearm): its latency is the first word's (-2), the second word only an insertion."""
    _, _, st = s02_stream
    signs = [seg for seg in st.segments if seg.label]
    emitted = sorted([(seg.stop - 3, seg.label) for seg in signs] + [(seg.stop + 4, seg.label) for seg in signs])
    assert all(seg.stop + 4 < nxt.start for seg, nxt in zip(st.segments, st.segments[1:]))  # still each one's span
    scored = stream_scoring.score(st, emitted)
    assert scored["latencies"] == [-2] * len(signs) == [-2] * 12
    assert scored["errors"] == 12 and scored["other_words"] == 0


@settings(max_examples=100, deadline=None, database=None, derandomize=True)
@given(real_streams(), rule_setups())
def test_batched_replay_gives_the_per_window_words_for_any_rule_stream_and_probabilities(frames, setup):
    """Property, every rule and setting, real keypoint streams (rests, hands lost), any probabilities (each window's
    from a hash of its frames): the judges' batched replay classifies, in one pass, exactly the windows the per-window
    replay classifies one by one (never rows a later frame overwrote), and gives its words at the same frames, the end
    of the input's word included."""
    settings_, seq_len, classify = setup
    bundle = Bundle(None, {"labels": LABELS, "seq_len": seq_len, "reject_label": "none"})
    one_by_one, batches = [], []

    def make(c):
        return Recognizer(bundle, classify=c or (lambda w: one_by_one.append(w.copy()) or classify(w)), **settings_)

    def predict(windows):
        batches.append(np.array(windows))
        return np.stack([classify(w) for w in windows])

    slow = stream_scoring.replay(make, frames)
    assert stream_scoring.replay(make, frames, predict) == slow
    assert len(batches) == (len(one_by_one) > 0) and len(one_by_one) == max(len(frames) - seq_len + 1, 0)
    assert not one_by_one or np.array_equal(batches[0], np.stack(one_by_one))


def _levenshtein(a, b):
    """Edit distance by its definition (the fewest deletions, insertions and substitutions), for short lists."""
    from functools import lru_cache

    @lru_cache(maxsize=None)
    def d(i, j):
        if i == 0 or j == 0:
            return i + j
        return min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] != b[j - 1]))

    return d(len(a), len(b))


_WORDS = st.lists(st.sampled_from(["hello", "thanks", "iloveyou", "none", "Hello", "ñandú", ""]), max_size=7)


@settings(max_examples=40, deadline=None, database=None, derandomize=True)
@given(a=_WORDS, b=_WORDS, c=_WORDS)
def test_word_errors_are_an_edit_distance_and_merging_repeats_never_adds_words(a, b, c):
    """Property, any three sentences of sign words (repeats, the rejection label, case and accents, an empty word):
    ``edit_distance`` is the fewest edits by definition; it is 0 exactly between equal sentences, symmetric, at
    least the difference in length and at most the longer length, and obeys the triangle inequality (word error
    rates add up across a merged report). ``merge_repeats`` keeps each run once: never more words, no word twice in
    a row, the same runs in order, unchanged when merged again; merging both sides never raises the word errors of a
    sentence against itself merged."""
    d = stream_scoring.edit_distance
    assert d(a, b) == _levenshtein(a, b)
    assert (d(a, b) == 0) == (a == b) and d(a, a) == 0 and d(a, b) == d(b, a)
    assert abs(len(a) - len(b)) <= d(a, b) <= max(len(a), len(b))
    assert d(a, c) <= d(a, b) + d(b, c)
    m = stream_scoring.merge_repeats(a)
    assert len(m) <= len(a) and stream_scoring.merge_repeats(m) == m
    assert all(x != y for x, y in zip(m, m[1:]))
    assert m == [w for w, _ in itertools.groupby(a)]


def test_a_stream_is_one_persons_two_people_are_refused_naming_them(shared):
    """``--write-stream`` of s02's and s03's recordings together: refused, naming both (a stream is one person's
    signing), not a stream of the two mixed."""
    from signlstm.errors import SignlstmError

    with pytest.raises(SignlstmError, match=r"one person's recordings in --data, got 2: s02, s03$"):
        stream_scoring.person_stream([shared("data", "signers", "s02.npz"), shared("data", "signers", "s03.npz")])


def test_a_stream_for_a_model_that_knows_none_of_the_signs_names_that_model(shared):
    """o01's one sign (seeyoulater) is none of the shipped trunk's classes (``o04/ball``, ...): the stream written
    for ``--model`` the trunk holds it under its own name, and the note names the trunk whose signs it lists, not the
    default model."""
    from signlstm.models.bundle import TRUNK_MODEL, read_meta

    stream, notes = stream_scoring.person_stream([shared("data", "other_signs", "o01.npz")], model=TRUNK_MODEL)
    assert set(stream.reference) == {"seeyoulater"}
    said = [n for n in notes if "none of o01's signs" in n]
    assert len(said) == 1 and said[0].startswith(f"note: none of o01's signs is one of {TRUNK_MODEL}'s (o04/ball, "), \
        said
    listed = said[0].split(f"{TRUNK_MODEL}'s (", 1)[1].split("): ", 1)[0].split(", ")
    assert "default model" not in said[0] and listed == read_meta(TRUNK_MODEL)["labels"][:-1]


def test_a_model_whose_metadata_disagrees_with_its_network_is_refused_naming_it(shared, tmp_path):
    """``--write-stream --model M`` of a bundle whose ``signlstm.json`` names fewer labels than its network has outputs
    (the shipped model's folder with one label dropped): one :class:`BadInput` naming the folder, not a stream written
    under names that are not the network's."""
    import json
    import shutil

    from signlstm.errors import BadInput
    from signlstm.models.bundle import DEFAULT_MODEL

    bad = tmp_path / "bad"
    shutil.copytree(DEFAULT_MODEL, bad)
    meta = json.loads((bad / "signlstm.json").read_text())
    meta["labels"] = [a for a in meta["labels"] if a != "iloveyou"]
    (bad / "signlstm.json").write_text(json.dumps(meta))
    with pytest.raises(BadInput, match="outputs") as e:
        stream_scoring.person_stream([shared("data", "signers", "s02.npz")], model=bad)
    assert e.value.path == str(bad)
