import json

import numpy as np
import pytest

from signlstm.models import architectures, bundle, legacy
from signlstm.datasets import load_npz
from signlstm.errors import BadInput

ACTIONS = ["hello", "thanks", "iloveyou"]


def test_tutorial_model_has_the_seed_parameter_count():
    assert architectures.build_tutorial_model(3).count_params() == 596_675


def _small_bundle():
    model = architectures.build_tutorial_model(3)
    return bundle.Bundle(model, {"labels": ACTIONS, "seq_len": 30, "arch": "tutorial"})


def test_bundle_round_trip_gives_identical_predictions(tmp_path, shared):
    X = load_npz(shared("data", "signers", "s03.npz")).X[::9]
    b = _small_bundle()
    out = bundle.save_bundle(b.model, b.meta, tmp_path / "m")
    assert sorted(p.name for p in out.iterdir()) == ["model.keras", "signlstm.json"]
    meta = json.loads((out / "signlstm.json").read_text())
    assert meta["labels"] == ACTIONS and meta["parameters"] == 596_675 and meta["versions"]["backend"] == "jax"
    assert meta["layout"]["parts"]["left_hand"] == [1536, 1599]
    again = bundle.load_bundle(out)
    assert again.labels == ACTIONS
    assert np.array_equal(again.predict(X), b.predict(X))


def test_saving_over_a_bundle_replaces_it_whole(tmp_path):
    b = _small_bundle()
    bundle.save_bundle(b.model, b.meta, tmp_path / "m")
    bundle.save_bundle(b.model, {**b.meta, "labels": ["a", "b", "c"]}, tmp_path / "m")
    assert bundle.load_bundle(tmp_path / "m").labels == ["a", "b", "c"]
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # no temp or backup folders left


def test_fast_path_matches_model_predict(shared):
    X = load_npz(shared("data", "signers", "s04.npz")).X[::15]
    b = _small_bundle()
    ref = b.predict(X)
    fast = np.stack([b.classify(x) for x in X])
    assert np.abs(fast - ref).max() <= 1e-4


LEGACY_OK = {"Atulkoirala__action.h5": True, "Izroth404__action.h5": True}  # loads; untrained
LEGACY_FAIL = {
    "FruitPnchSamuraiG__action.h5": "4 outputs but 3 actions",
    "Omar-AlQashlan__action.h5": "input is (30, 258)",
    "JarrettTo__action.h5": "input is (30, 132)",
    "SidrahRashid__action.h5": "input is (30, 63)",
}


@pytest.mark.parametrize("name", sorted(LEGACY_OK))
def test_untrained_tutorial_h5_loads_and_is_flagged(shared, name):
    b = bundle.load_bundle(shared("data", "legacy_models", name), ACTIONS)
    assert b.model.input_shape == (None, 30, 1662) and b.labels == ACTIONS
    assert legacy.looks_untrained(b.model)
    assert b.predict(load_npz(shared("data", "signers", "s02.npz")).X[:4]).shape == (4, 3)


@pytest.mark.parametrize("name", sorted(LEGACY_FAIL))
def test_incompatible_h5_fails_with_the_reason(shared, name):
    with pytest.raises(BadInput, match=LEGACY_FAIL[name].replace("(", r"\(").replace(")", r"\)")):
        bundle.load_bundle(shared("data", "legacy_models", name), ACTIONS)


def test_trained_legacy_model_is_not_flagged(shared):
    b = bundle.load_bundle(shared("data", "legacy_models", "FruitPnchSamuraiG__action.h5"),
                           ACTIONS + ["rashford"])
    assert not legacy.looks_untrained(b.model)


def test_h5_without_actions_asks_for_them(shared):
    with pytest.raises(BadInput, match="--actions"):
        bundle.load_bundle(shared("data", "legacy_models", "Atulkoirala__action.h5"))
