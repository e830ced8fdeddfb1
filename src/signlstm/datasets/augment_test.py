"""Augmentation keeps the frame layout: zeros stay zeros, a double mirror is the identity, hands swap."""
import numpy as np

from . import augment
from .. import layout


def _windows(shared, n=16):
    return np.load(shared("data", "signers", "s09.npz"))["X"][:n].astype(np.float32)


def test_mirror_swaps_hands_and_flips_x(shared):
    X = _windows(shared)
    M = augment.mirror(X)
    lh, rh = layout.LEFT_HAND.slice, layout.RIGHT_HAND.slice
    def seen(A, sl):
        return np.any(A[..., sl] != 0, axis=-1)

    assert np.array_equal(seen(M, lh), seen(X, rh)) and np.array_equal(seen(M, rh), seen(X, lh))
    nose_x = X[..., 0]
    assert np.allclose(M[..., 0][nose_x != 0], 1 - nose_x[nose_x != 0], atol=1e-6)
    back = augment.mirror(M)
    assert np.allclose(back[..., augment.TOUCHED], X[..., augment.TOUCHED], atol=1e-6)


def test_augment_keeps_missing_parts_missing(shared):
    X = _windows(shared)
    A = augment.augment(X, np.random.default_rng(0))
    assert A.shape == X.shape and A.dtype == np.float32
    hands = slice(layout.LEFT_HAND.start, layout.RIGHT_HAND.stop)
    empty = X.copy()
    empty[..., hands] = 0  # windows without any hand: augmentation must not invent one
    assert not np.any(augment.augment(empty, np.random.default_rng(1))[..., hands] != 0)
    frames_with_hands = np.any(X[..., hands] != 0, -1).sum()
    assert np.any(A[..., hands] != 0, -1).sum() <= frames_with_hands * 1.3
    assert not np.array_equal(A, X)
