"""Synthetic streams: the layout of recordings with rests and the spotting targets."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from signlstm import layout
from signlstm.datasets import load
from signlstm.datasets.synthetic_streams import HOLD, compose, spot_targets


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 3)), min_size=1, max_size=6),
       st.integers(0, 10))
@settings(max_examples=60, deadline=None, derandomize=True, database=None)
def test_targets_are_distributions_that_say_a_sign_only_around_its_end(layout_, tail):
    spans, classes, t = [], [], 0
    for gap, c in layout_:
        t += gap
        spans.append((t, t + 30))
        classes.append(c)
        t += 30
    Y = spot_targets(t + tail, spans, classes, 4, reject=3)
    assert np.allclose(Y.sum(1), 1) and (Y >= 0).all()
    stops = [stop for (_, stop), c in zip(spans, classes) if c != 3]
    for (_, stop), c in zip(spans, classes):
        if c != 3 and all(other == stop or abs(other - stop) > 40 for other in stops):
            # a sign far from the others: said fully from its last frame for HOLD frames, not at all 20 frames before
            end = min(stop - 1 + HOLD, t + tail - 1)
            assert (Y[stop - 1:end + 1, c] == 1).all() and Y[stop - 21, c] == 0
    said = Y[:, :3].sum(1) > 0
    near = np.zeros(t + tail, bool)
    for (_, stop), c in zip(spans, classes):
        if c != 3:
            near[max(0, stop - 1 - 6):stop + HOLD + 6] = True
    assert not (said & ~near).any()  # nothing said away from a sign's end (rests, other signs)


def test_compose_puts_each_recording_after_a_hand_less_rest(shared):
    signs = load([shared("data", "signers", "s02.npz")])
    X = signs.X[:3].astype(np.float32)
    frames, spans = compose(X, [5, 0, 9], tail=7)
    assert spans == [(5, 35), (35, 65), (74, 104)] and len(frames) == 111
    for (a, b), x in zip(spans, X):
        assert np.array_equal(frames[a:b], x)
    hands = layout.hands_present(frames)
    assert not hands[:5].any() and not hands[65:74].any() and not hands[104:].any()
    assert np.array_equal(frames[65], layout.without_hands(X[2][:1])[0])  # the next recording's pose, no hands


def test_a_window_partly_into_one_sign_keeps_the_rest_of_its_target_on_the_rejection_label():
    """One sign over frames 40-69 of a 120-frame stream (4 outputs, rejection label 3): the window ending at frame
    65, before the sign's end, has a target of its sign below 1 and the rest on the rejection label, summing to 1; the
    real outcome is that such a partial target is kept as it is (only overlapping signs summing above 1 are scaled)."""
    Y = spot_targets(120, [(40, 70)], [1], 4, reject=3, hold=4, before=10, after=10)
    partial = Y[65]
    assert 0 < partial[1] < 1 and partial[3] == pytest.approx(1 - partial[1]) and partial.sum() == pytest.approx(1)
    assert (Y[:, 1] <= 1).all() and np.allclose(Y.sum(1), 1)
