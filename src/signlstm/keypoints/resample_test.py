"""Frames at any rate made into the models' 30 a second: unchanged at 30, interpolated part by part below it, and a
stream of real signs at 15 frames a second given the same words as at 30."""
import functools
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from signlstm import layout
from signlstm.cli import main
from signlstm.datasets import load_npz
from signlstm.keypoint_files import MAX_VALUE, values_ok
from signlstm.keypoints.resample import MAX_GAP, RATE, Resample, at_rate, at_times, between


def test_frames_at_30_a_second_come_out_as_they_went_in_and_60_a_second_every_other(shared):
    X = load_npz(shared("data", "signers", "s02.npz")).X[:2].reshape(-1, layout.FRAME_SIZE)
    assert np.array_equal(at_rate(X, 30.0), X)
    assert np.array_equal(at_rate(X, 60.0), X[::2])


def test_a_frame_between_two_is_linear_in_each_part_both_hold_and_a_hand_never_fades():
    a, b = np.zeros(layout.FRAME_SIZE, np.float32), np.zeros(layout.FRAME_SIZE, np.float32)
    a[layout.POSE.slice], b[layout.POSE.slice] = 0.2, 0.6
    a[layout.RIGHT_HAND.slice] = 0.5  # the right hand leaves the picture
    b[layout.LEFT_HAND.slice] = 0.3  # the left hand comes in
    r = Resample()
    assert len(r(0.0, a)) == 1
    mid, end = r(1 / 15, b)  # 15 a second: one frame between, then b itself
    assert np.allclose(mid[layout.POSE.slice], 0.4) and np.array_equal(end, b)
    assert not mid[layout.RIGHT_HAND.slice].any() and np.allclose(mid[layout.LEFT_HAND.slice], 0.3)  # b is as near
    assert r(1 / 15, b) == []  # a frame no later than the one before gives nothing


_values = st.floats(-MAX_VALUE, MAX_VALUE, width=32)


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float32, layout.FRAME_SIZE, elements=_values), hnp.arrays(np.float32, layout.FRAME_SIZE,
       elements=_values), st.floats(0, 1))
def test_a_frame_made_between_two_valid_frames_is_valid_and_between_them(a, b, w):
    mid = between(a, b, w)
    assert values_ok(mid).all() and (mid >= np.minimum(a, b)).all() and (mid <= np.maximum(a, b)).all()


def test_a_frame_made_between_two_at_the_largest_value_stays_at_it():
    """1000 and 1000 mixed in float32 0.27 % of the way give 1000.00006, which every reader refuses."""
    a = np.full(layout.FRAME_SIZE, MAX_VALUE, np.float32)
    assert between(a, a, 0.0027).max() == MAX_VALUE


def test_a_gap_longer_than_max_gap_makes_up_no_frames_and_time_goes_on_from_the_frame_after_it():
    """A camera that froze for 3 s (or a hidden page): its next frame comes out alone, not after 90 made-up ones."""
    a, b = np.zeros(layout.FRAME_SIZE, np.float32), np.ones(layout.FRAME_SIZE, np.float32)
    r = Resample()
    assert len(r(10.0, a)) == 1 and len(r(10.0 + 1 / 30, a)) == 1
    after = r(13.0, b)
    assert len(after) == 1 and np.array_equal(after[0], b)
    assert len(r(13.0 + 1 / 15, b)) == 2  # 15 a second from there on: two frames each
    assert r(12.5, a) == []  # earlier than the latest frame, within the gap: nothing
    assert len(r(11.0, a)) == 1  # more than a gap back (a page's clock reset): a restart
    unbounded = Resample(max_gap=None)
    unbounded(10.0, a)
    assert len(unbounded(13.0, b)) == 90


def test_a_camera_that_freezes_for_3_4_s_gives_its_next_real_frame_alone_and_no_made_up_frames(shared):
    """Real keypoints (s02's first recording) read by a camera at 0, 1/30 and 2/30 s that then freezes for 3.4 s, as
    ``live`` and ``collect`` feed them to ``Resample()``: every frame, the one after the freeze too, comes out alone
    and exactly as it went in; no frames are interpolated across the freeze (without the gap rule: 102 frames, 101 of
    them made up), and time goes on at 30 a second from the frame after it."""
    X = load_npz(shared("data", "signers", "s02.npz")).X[0].astype(np.float32)
    times = [0.0, 1 / 30, 2 / 30, 2 / 30 + 3.4, 2 / 30 + 3.4 + 1 / 30]
    r = Resample()
    out = [r(t, X[i]) for i, t in enumerate(times)]
    assert [len(o) for o in out] == [1, 1, 1, 1, 1]
    assert all(np.array_equal(o[0], X[i]) for i, o in enumerate(out))
    assert X[2].any() and X[3].any() and not np.array_equal(X[2], X[3])  # two real, different frames either side


def test_frames_without_a_time_come_one_per_frame_after_the_latest_time_seen():
    a = np.zeros(layout.FRAME_SIZE, np.float32)
    r = Resample()
    assert [len(r(None, a)) for _ in range(5)] == [1] * 5
    r(0.5, a)  # a time: 15 frames on; the next untimed frame is 1 / 30 s after it
    assert len(r(None, a)) == 1 and r.seen == 0.5 + 1 / 30


def test_a_stream_at_15_frames_a_second_gives_the_words_of_the_same_signs_at_30(shared, tmp_path, capsys):
    """s02's 12 signs in a row (the stream benchmark's builder), then every other frame as a 15 fps camera gives it:
    with --fps 15 live says what it says at 30; read as 30 frames a second the signs are too short to be named."""
    from signlstm.judging.stream_scoring import build_stream

    stream = build_stream(load_npz(shared("data", "signers", "s02.npz")), None, seed=0, per_label=4)
    np.save(tmp_path / "s30.npy", stream.frames)
    np.save(tmp_path / "s15.npy", stream.frames[::2])

    def words(*extra):
        assert main(["live", "--source", *extra, "--headless", "--sentence", "20"]) == 0
        return json.loads(capsys.readouterr().out.strip().splitlines()[-1])["words"]

    at30 = words(str(tmp_path / "s30.npy"))
    assert at30 == stream.reference
    assert words(str(tmp_path / "s15.npy"), "--fps", "15") == at30
    assert len(words(str(tmp_path / "s15.npy"))) < len(at30) - 2


def test_a_frame_stamped_late_is_left_out_and_the_gap_rule_still_counts_from_the_latest_time_seen(shared):
    """Real keypoints (s02's first two recordings) from a camera at 15 frames a second, one frame of which comes
    stamped 0.95 s too early (a clock that stepped back): that frame gives nothing, and the stream comes out exactly as
    if it had never been sent, 59 frames at 30 a second. The frame after it is 1.02 s from the late time but 0.13 s
    from the latest time seen, so it is interpolated, not taken for a restart that would lose 3 frames."""
    X = load_npz(shared("data", "signers", "s02.npz")).X[:2].reshape(-1, layout.FRAME_SIZE)[::2].astype(np.float32)
    times = np.arange(len(X)) / 15
    assert len(X) == 30 and X[19].any() and X[21].any() and not np.array_equal(X[19], X[21])
    r = Resample()
    out = []
    for i, (t, frame) in enumerate(zip(times, X)):
        got = r(t - 0.95 if i == 20 else t, frame)
        assert i != 20 or got == []  # the late frame: earlier than the latest seen, within the gap
        out += got
    without = at_times(np.delete(X, 20, axis=0), np.delete(times, 20))
    assert len(out) == len(without) == 59
    assert np.array_equal(np.stack(out), without)


def test_a_gap_of_exactly_max_gap_is_filled_and_one_just_longer_is_not(shared):
    """The gap rule's boundary, on two real frames a second apart (s02's first recording, frames 0 and 29): a gap of
    exactly ``MAX_GAP`` (one window, 1 s) is no longer than a window, so its 29 frames are made up between them and the
    second comes last, 30 frames (also a few microseconds longer: a clock's rounding); a gap 10 microseconds longer
    makes up none and the second frame comes out alone."""
    X = load_npz(shared("data", "signers", "s02.npz")).X[0].astype(np.float32)
    assert MAX_GAP == 1.0 and not np.array_equal(X[0], X[29])
    r = Resample()
    r(0.0, X[0])
    filled = r(MAX_GAP, X[29])
    assert len(filled) == 30 and np.array_equal(filled[-1], X[29])
    assert np.array_equal(filled[14], between(X[0], X[29], 15 / 30))
    r = Resample()
    r(0.0, X[0])
    alone = r(MAX_GAP + 1e-5, X[29])
    assert len(alone) == 1 and np.array_equal(alone[0], X[29])
    r = Resample()
    r(0.0, X[0])
    assert len(r(MAX_GAP + 1e-6, X[29])) == 30


def test_frames_at_half_the_rate_come_out_the_same_whatever_the_clock_started_at(shared):
    """At 15 frames a second every frame made up lies halfway between two: where a hand is in one of them only, it
    takes the later one's whatever the rounding of the times (a page's clock started at 0, 1 s or 12345.678 s, or
    a wall clock in seconds since 1970, given in seconds or as milliseconds / 1000; the same at 30 a second), so a page
    and ``live`` on the same frames say the same words."""
    with np.load(shared("data", "signers", "s13.npz")) as z:
        X = z["X"][::2].reshape(-1, z["X"].shape[-1])[::2].astype(np.float32)  # hands come and go between frames
    start_made = []
    for start, ms in ((0.0, False), (1.0, False), (4.096, False), (12345.678, False), (1765080000.0, False),
                      (1765080000.0, True)):
        resample = Resample()
        times = [(start * 1000 + 1000 * i / 15) / 1000 if ms else start + i / 15 for i in range(len(X))]
        out = np.stack([f for t, x in zip(times, X) for f in resample(t, x)])
        start_made.append(out)
    right = X[:, layout.RIGHT_HAND.slice].any(1) != np.roll(X[:, layout.RIGHT_HAND.slice].any(1), -1)
    assert right[:-1].sum() >= 10  # frames whose right hand is gone or back in the next one
    parts = {name: found for name, found in layout.detected(start_made[0]).items()}
    for out in start_made[1:]:  # the same parts in every frame (values may differ in their last bits)
        assert len(out) == len(start_made[0]) and all(np.array_equal(layout.detected(out)[name], found)
                                                      for name, found in parts.items())
    assert np.array_equal(start_made[0][1::2] != 0, np.stack([between(a, b, 0.5) for a, b in zip(X, X[1:])]) != 0)


def _real_frames(draw, X, most=40):
    """Up to ``most`` consecutive real frames of ``X``, each hand hidden in frames Hypothesis picks (MediaPipe losing
    it): frames where parts come and go between neighbours."""
    n = draw(st.integers(2, most))
    i0 = draw(st.integers(0, len(X) - n))
    F = X[i0:i0 + n].copy()
    for hand in (layout.LEFT_HAND, layout.RIGHT_HAND):
        F[np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))), hand.slice] = 0
    return F


@functools.cache
def _signing():
    """Real frames, both hands in view throughout (s13's first eight recordings, 240 frames)."""
    from signlstm.conftest import shared_path

    with np.load(shared_path("data", "signers", "s13.npz")) as z:
        return z["X"][:8].reshape(-1, layout.FRAME_SIZE).astype(np.float32)


_FPS = st.one_of(st.sampled_from([10.0, 12.0, 15.0, 20.0, 23.976, 24.0, 25.0, 29.97, 30.0, 50.0, 59.94, 60.0]),
                 st.floats(5, 120))
_START = st.floats(-1e4, 1e6)  # a page's clock (performance.now() / 1000), a camera's perf_counter, a video's own time


@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(data=st.data(), fps=_FPS, start=_START, other=_START)
def test_a_stream_comes_out_the_same_whatever_the_clock_started_at_and_as_long_as_it_lasts(data, fps, start, other):
    """Property, on real frames whose hands come and go: the same frames at any rate (a grid of ``fps``, or a camera's
    irregular times) come out in the same number, with the same parts present and the same values (to float32
    rounding), whatever time the clock started at; on a grid, one frame per 1 / 30 s of the stream's length
    (floor(duration x 30) + 1), and at 30 a second exactly the frames that went in."""
    F = _real_frames(data.draw, _signing())
    n = len(F)
    if data.draw(st.booleans(), label="irregular times"):
        gaps = data.draw(st.lists(st.floats(1e-3, 0.3), min_size=n - 1, max_size=n - 1), label="gaps")
        times = np.concatenate([[0.0], np.cumsum(gaps)])
    else:
        times = np.arange(n) / fps
        assert len(at_times(F, times + start)) == math.floor((n - 1) / fps * RATE + 1e-6) + 1
    a, b = at_times(F, times + start), at_times(F, times + other)
    assert len(a) == len(b) and np.array_equal(a != 0, b != 0)
    assert np.allclose(a, b, rtol=1e-6, atol=1e-6)
    assert np.array_equal(at_times(F, np.arange(n) / RATE + start), F)


def test_frames_a_second_apart_come_out_the_same_whatever_the_page_clock_started_at(shared):
    """Three real frames sent by a page one a second (gaps of exactly ``MAX_GAP``, which are filled: see the boundary
    test above), stamped t / 1000 s as the server takes them: 61 frames whatever the clock's start. (One at 17.3 ms
    gives the times 0.0173, 1.0172999999999999 and 2.0173, whose second gap rounds to 1.0000000000000002 s: it was
    taken for longer than MAX_GAP, the third frame came out alone and the 29 before it were not made, 32 in all.)"""
    X = load_npz(shared("data", "signers", "s02.npz")).X[0].astype(np.float32)
    counts = {}
    for t0 in (0.0, 1000.0, 17.3):
        r = Resample()
        counts[t0] = sum(len(r((t0 + 1000 * k) / 1000, X[k])) for k in range(3))
    assert counts == {0.0: 61, 1000.0: 61, 17.3: 61}
