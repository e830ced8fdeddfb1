"""Training helpers: the rejection prior correction."""
import numpy as np

from .models import architectures
from .training import lower_reject_logit


def test_lowering_the_reject_logit_rescales_only_the_none_odds(shared):
    X = np.load(shared("data", "signers", "s08.npz"))["X"][:6].astype(np.float32)
    model = architectures.build_default_model(4, 30)
    before = np.asarray(model(X, training=False))
    lower_reject_logit(model, 3, 1.0)
    after = np.asarray(model(X, training=False))
    # the odds of 'none' against every sign shrink by e, the odds between signs stay
    assert np.allclose((after[:, 3] / after[:, 0]) / (before[:, 3] / before[:, 0]), np.exp(-1.0), rtol=1e-4)
    assert np.allclose(after[:, 1] / after[:, 0], before[:, 1] / before[:, 0], rtol=1e-4)
