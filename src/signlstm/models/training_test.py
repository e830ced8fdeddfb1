"""Training helpers: the rejection prior correction."""
import numpy as np

from . import architectures
from .training import EMA_SPAN, lower_reject_logit


def test_lowering_the_reject_logit_rescales_only_the_none_odds(shared):
    X = np.load(shared("data", "signers", "s08.npz"))["X"][:6].astype(np.float32)
    model = architectures.build_default_model(4, 30)
    before = np.asarray(model(X, training=False))
    lower_reject_logit(model, 3, 1.0)
    after = np.asarray(model(X, training=False))
    # the odds of 'none' against every sign shrink by e, the odds between signs stay
    assert np.allclose((after[:, 3] / after[:, 0]) / (before[:, 3] / before[:, 0]), np.exp(-1.0), rtol=1e-4)
    assert np.allclose(after[:, 1] / after[:, 0], before[:, 1] / before[:, 0], rtol=1e-4)


def test_the_default_recipe_learns_a_tutorial_sized_folder_in_its_20_epochs(shared):
    """90 recordings of one person (s08), as `collect --sequences 30` makes them: the recipe's moving average of the
    weights spans what 20 epochs of 2-3 steps can fill, so the model names another person's (s03) signs; with the
    fixed momentum of 0.99 it kept two thirds of the first step's weights (s03: 0.86)."""
    from ..datasets import load_npz
    from ..datasets.training_sets import training_set
    from ..recognizer import decide
    from .training import fit

    own, other = (load_npz(shared("data", "signers", f"{p}.npz")) for p in ("s08", "s03"))
    bundle = fit(training_set(own, negatives=[], synthetic=0.25, seed=0), "default", seed=0, progress=False)
    assert bundle.meta["training"]["epochs_run"] == 20
    # the average spans a fifth of the 20 epochs' full batches of 64 (EMA_SPAN), not the recipe's 0.99
    steps = 20 * (bundle.meta["training"]["train_sequences"] // 64)
    assert 20 <= steps < 100 and bundle.model.optimizer.ema_momentum == 1.0 - EMA_SPAN / steps
    assert (decide(bundle.labels, bundle.predict(other.X)) == other.labels).mean() >= 0.95


def test_ctrl_c_while_the_first_step_compiles_is_a_keyboard_interrupt(shared, capsys):
    """Ctrl-C in the first seconds of training lands inside JAX's tracing of the first step; Keras' clean-up then
    turned it into ``TypeError: 'NoneType' object is not callable`` (a traceback and exit 1 instead of `interrupted`
    and 130). It is held to the end of the batch and raised there as KeyboardInterrupt; Python's handler is back
    afterwards, and the progress bar's line is ended (what the command says next starts a line of its own)."""
    import dataclasses
    import os
    import signal

    import pytest

    from ..datasets import load_npz
    from . import recipes
    from .training import fit

    data = load_npz(shared("data", "signers", "s02.npz"))
    data = data.subset(np.r_[0:8, 30:38])

    def pressing(presses):
        """A recipe whose first training step, while it is traced, gets ``presses`` Ctrl-C."""
        def build(n, t):
            model = recipes.DEFAULT.build(n, t)
            opt, step = model.optimizer, model.optimizer.update_step

            def update_step(*args, **kwargs):  # runs while the first training step is traced
                for _ in range(presses):
                    os.kill(os.getpid(), signal.SIGINT)
                opt.update_step = step
                return step(*args, **kwargs)

            opt.update_step = update_step
            return model

        return dataclasses.replace(recipes.DEFAULT, build=build)

    # one Ctrl-C is held to the end of the batch; an impatient second one stops at once, inside the tracing: both
    # are a KeyboardInterrupt, and Python's own handler is back afterwards
    for presses in (1, 2):
        try:
            fit(data, pressing(presses), epochs=1, progress=True, test_split=0.0)
        except KeyboardInterrupt:  # read while the traceback still holds fit's frame, as the CLI's handler does
            bar = capsys.readouterr().err
        else:
            pytest.fail("no KeyboardInterrupt")
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        assert bar.startswith("\rtrain:") and bar.endswith("\n"), repr(bar)


def test_fit_with_negatives_lowers_the_none_bias_by_the_recipes_reject_bias_and_nothing_else(shared):
    """18 of s02's recordings with ``thanks`` as the negatives (``none``, the middle output), one epoch of the default
    recipe, seed 0, trained twice: as the recipe is (reject_bias 1) and with reject_bias 0. The two trainings are the
    same but for the correction ``fit`` applies at the end: the ``none`` output's bias is lower by exactly the
    recipe's reject_bias, which the bundle records, and every other weight is equal; so ``none`` is e times less
    likely against each sign than the network alone says, as the model card states."""
    import dataclasses

    from ..datasets import load_npz
    from . import recipes
    from .training import fit

    data = load_npz(shared("data", "signers", "s02.npz")).renamed({"thanks": "none"})
    data = data.subset(np.r_[0:6, 30:36, 60:66])
    assert data.actions == ["hello", "none", "iloveyou"] and recipes.DEFAULT.reject_bias == 1.0
    corrected = fit(data, "default", epochs=1, seed=0, progress=False, test_split=0.0)
    plain = fit(data, dataclasses.replace(recipes.DEFAULT, reject_bias=0.0), epochs=1, seed=0, progress=False,
                test_split=0.0)
    k = data.actions.index("none")
    assert corrected.meta["reject_bias"] == 1.0 and corrected.meta["reject_label"] == "none"
    got, want = (b.model.layers[-1].get_weights()[1] for b in (corrected, plain))
    np.testing.assert_allclose(got[k], want[k] - 1.0, atol=1e-6)
    np.testing.assert_array_equal(np.delete(got, k), np.delete(want, k))
    for v, w in zip(corrected.model.weights[:-1], plain.model.weights[:-1]):
        np.testing.assert_array_equal(np.asarray(v), np.asarray(w), err_msg=v.path)


def test_an_augmented_recipes_full_batches_see_every_sequence_over_epochs():
    """s02's first 20 recordings in batches of 8 with augmentation (full batches only: 2 a epoch, 4 recordings left
    out of each): the real outcome is a new order every epoch, so over ten epochs every recording is trained on,
    and each epoch's order is the same 20 recordings."""
    from signlstm.conftest import shared_path
    from signlstm.datasets import load

    from .training import _Batches

    data = load([shared_path("data", "signers", "s02.npz")])
    idx = np.arange(20)
    batches = _Batches(data, idx, np.zeros((len(data), 1), np.float32), 8, lambda X, rng: X, seed=0)
    assert len(batches) == 2
    seen, orders = set(), []
    for _ in range(10):
        orders.append(batches.order.copy())
        seen |= set(batches.order[:16].tolist())
        batches.on_epoch_end()
    assert all(sorted(o) == list(idx) for o in orders)
    assert not np.array_equal(orders[0], orders[1]) and seen == set(idx.tolist())


def test_a_training_from_the_library_makes_what_train_makes_and_says_what_it_left_out(shared):
    """``train_bundle`` on s02 with its iloveyou recordings all dropped by fixes and o04's other signs as ``none``: the
    sign left out is said, the other signs are the model's ``none`` and their features are stored for ``adapt``, and
    the metadata names the fixes and the other signs as given."""
    from signlstm.datasets import load
    from signlstm.models.stored_features import OTHER_SIGNS
    from signlstm.models.training import train_bundle

    data = load([shared("data", "signers", "s02.npz")], dtype=np.float16)
    others = load([shared("data", "other_signs", "o04.npz")], dtype=np.float16)
    fixes = [{"source": s, "label": "iloveyou", "action": "drop", "new_label": ""}
             for s, a in zip(data.sources, data.labels) if a == "iloveyou"]
    bundle, extra, notes = train_bundle(data, "default", others, fixes=fixes, epochs=1, seed=0,
                                        named={"fixes": "mine.csv", "negatives": ["o04.npz"]})
    assert bundle.labels == ["hello", "thanks", "none"]
    assert notes == ["left out 'iloveyou': the fixes leave no recording of it to learn from"]
    assert bundle.meta["training"]["fixes"] == "mine.csv" and bundle.meta["training"]["negatives"] == ["o04.npz"]
    assert list(extra) == [OTHER_SIGNS] and len(extra[OTHER_SIGNS]) > 1000


def test_a_training_from_the_library_refuses_other_signs_that_are_all_its_signs_naming_their_file(shared, tmp_path):
    """``train_bundle`` on s02 with s04 (the same hello, thanks, iloveyou) as its other signs: refused before any
    training, naming s04's file and why, as ``train --negatives`` says it."""
    import pytest

    from signlstm.datasets import load
    from signlstm.errors import SignlstmError
    from signlstm.models.training import train_bundle

    s04 = shared("data", "signers", "s04.npz")
    with pytest.raises(SignlstmError, match=rf"^the other signs in {s04}: none of its \d+ recordings can be trained "
                                            r"as 'none': each is one of the signs \(hello, thanks, iloveyou\)"):
        train_bundle(load([shared("data", "signers", "s02.npz")]), "default", load([s04]), epochs=1)


def test_a_held_back_share_keeps_every_sign_in_training_and_names_a_sign_it_took_whole(shared):
    """``fit`` with a test split (``test_split``, as ``cli`` tests and the tutorial recipe use): the default recipe's
    split is stratified, so on 6 + 6 + 2 of s02's recordings half held back takes 3, 3 and 1 of them at any seed and
    every sign keeps recordings to learn from; with one iloveyou recording (too few to stratify) at a seed whose
    split holds it back, the bundle names iloveyou as never trained (``untrained_labels``, which ``train`` says)."""
    from ..datasets import load_npz
    from . import recipes
    from .training import fit, split

    s02 = load_npz(shared("data", "signers", "s02.npz"))
    assert s02.actions == ["hello", "thanks", "iloveyou"]
    data = s02.subset(np.r_[0:6, 30:36, 60:62])
    for seed in range(5):
        tr, te = split(data, 0.5, seed, recipes.DEFAULT.stratify)
        assert np.bincount(data.y[te], minlength=3).tolist() == [3, 3, 1], seed
        assert set(data.y[tr].tolist()) == {0, 1, 2}
    one = s02.subset(np.r_[0:6, 30:36, 60:61])
    seed = next(s for s in range(20) if 12 in split(one, 0.5, s, True)[1])  # its iloveyou held back
    bundle = fit(one, "default", epochs=1, seed=seed, progress=False, test_split=0.5)
    assert bundle.meta["training"]["untrained_labels"] == ["iloveyou"]
    assert bundle.meta["metrics"]["test_sequences"] == 7 and bundle.meta["training"]["train_sequences"] == 6


def test_the_recipes_fit_with_the_loss_and_stopping_they_declare():
    """README: the tutorial recipe is the notebook's categorical cross-entropy with early stopping on the loss
    (patience 10, best weights restored, so a run that got worse in its last epochs keeps its best); the default
    recipe smooths its targets by 0.1, the spotting recipe, whose stream targets are already soft (ramping to
    ``none``), not at all."""
    import keras

    from . import recipes

    [stop] = recipes.TUTORIAL.callbacks()
    assert isinstance(stop, keras.callbacks.EarlyStopping)
    assert (stop.monitor, stop.patience, stop.restore_best_weights) == ("loss", 10, True)
    assert recipes.TUTORIAL.build(3, 30).loss == "categorical_crossentropy"
    smoothing = {name: recipes.RECIPES[name].build(4, 30).loss.label_smoothing for name in ("default", "spotting")}
    assert smoothing == {"default": 0.1, "spotting": 0.0}
