"""Trunks on the real files: a trunk's training set never holds the held-out person, the trunk command's bundle and
refusals, and the checks made before any trunk is trained."""
import numpy as np
import pytest

from signlstm.conftest import shared_path
from signlstm.judging import folds, trunks


def test_a_trunk_never_sees_the_held_out_person():
    d = trunks.trunk_set([shared_path("data", "vocab")], [shared_path("data", "other_signs")],
                        [shared_path("data", "signers")], held_out="s23", per_sign=2)
    groups = set(d.groups.tolist())
    assert "s23" not in groups and {"o04", "o05", "o06", "o07", "o01", "s02", "renotte"} <= groups
    assert not any(a.startswith("s23/") for a in d.actions)
    # each person's signs are their own classes; the signers' shared signs a few per signer; 'none' from no hands
    assert {"o05/a", "o07/a", "hello", "none"} <= set(d.actions)
    assert int((d.labels == "hello").sum()) == 2 * 21
    # with s23 in training, its signs come from its vocabulary file only (not again under the signers' labels)
    d = trunks.trunk_set([shared_path("data", "vocab")], [], [shared_path("data", "signers")], held_out="o04",
                        per_sign=2)
    assert "s23/hello" in d.actions and "s23" not in set(d.groups[d.labels == "hello"].tolist())


def test_trunk_command_writes_a_bundle_of_person_sign_classes(tmp_path, capsys):
    """``trunk`` on s23's vocabulary and s02's recordings as a signer: s23's signs are s23's own classes, s02's the
    shared hello / thanks / iloveyou; beside the bundle, the trunk features of s02's recordings of those (all 10 a
    sign that the training set holds) for ``adapt --vocabulary --keep-base-actions`` to keep them. It is trained with
    the ``--seed`` given (5, not the default 0) for the ``--epochs`` given."""
    from signlstm.cli import main
    from signlstm.models.bundle import load_bundle
    from signlstm.models.cut import trunk_width
    from signlstm.models.stored_features import base_examples

    assert main(["trunk", "--data", str(shared_path("data", "vocab", "s23.npz")), "--signers",
                 str(shared_path("data", "signers", "s02.npz")), "--out", str(tmp_path / "t"), "--epochs", "1",
                 "--seed", "5"]) == 0
    assert "wrote" in capsys.readouterr().out
    b = load_bundle(tmp_path / "t")
    assert (b.meta["training"]["seed"], b.meta["training"]["epochs_run"]) == (5, 1), b.meta["training"]
    shared_signs = ["hello", "thanks", "iloveyou"]
    assert b.labels[-1] == "none" and sorted(b.labels[:-1]) == sorted([f"s23/{a}" for a in np.load(
        shared_path("data", "vocab", "s23.npz"))["actions"]] + shared_signs)
    F, labels = base_examples(b, [])
    assert {a: int((labels == a).sum()) for a in shared_signs} == {a: trunks.PER_SIGN for a in shared_signs}
    assert F.shape == (3 * trunks.PER_SIGN, trunk_width(b.model)) and np.isfinite(F).all()


def _mp_data(root, actions=("hello", "thanks"), seqs=(30, 31)):
    """A small tutorial MP_Data folder: ``seqs`` of ``actions`` copied from ../shared's MP_Data_renotte."""
    import shutil

    for a in actions:
        for n in seqs:
            shutil.copytree(shared_path("data", "MP_Data_renotte", a, str(n)), root / a / str(n))
    return root


def test_an_mp_data_folder_is_one_person_in_a_trunks_training_set(tmp_path):
    """An MP_Data folder given as --negatives, --signers or --data is one person (the folder's name), not each of its
    frame files."""
    mp = _mp_data(tmp_path / "mp")
    s23 = shared_path("data", "vocab", "s23.npz")
    d = trunks.trunk_set([s23], [mp], [], held_out=None)
    assert {"mp/hello", "mp/thanks", "none"} <= set(d.actions) and int((d.labels == "mp/hello").sum()) == 2
    assert set(d.groups.tolist()) >= {"mp", "s23"}
    d = trunks.trunk_set([s23], [mp], [mp], held_out="mp")  # held out: nothing of it, under either option
    assert "mp" not in set(d.groups.tolist()) and not any(a.startswith("mp/") for a in d.actions)
    d = trunks.trunk_set([mp], [], [s23], held_out=None, per_sign=1)
    assert {"mp/hello", "mp/thanks", "hello"} <= set(d.actions)
    assert trunks.check_trunk_inputs([s23], [mp], [], held_out="mp") == ["mp", "s23"]
    assert folds.person_paths([mp, shared_path("data", "signers")])[:2] == [mp, shared_path("data", "signers",
                                                                                             "renotte.npz")]


def test_trunk_refuses_no_epochs_empty_folders_and_an_unknown_held_out_person_before_training(tmp_path, capsys):
    from signlstm.cli import main

    s23, empty, out = str(shared_path("data", "vocab", "s23.npz")), tmp_path / "empty", tmp_path / "t"
    empty.mkdir()
    for argv, said in ((["--epochs", "0"], "--epochs must be at least 1"), (["--seed", "-1"], "--seed"),
                       (["--signers", str(empty)], f"{empty}: an empty folder"),
                       (["--negatives", str(empty)], f"{empty}: an empty folder"),
                       (["--held-out", "nobody"], "--held-out nobody: no such person in the data (people: s23)"),
                       (["--held-out", "s23"], "leaves no one to train on")):
        assert main(["trunk", "--data", s23, "--out", str(out), *argv]) == 2, argv
        err = capsys.readouterr().err
        assert err.strip().splitlines() == [err.strip()] and said in err and "Traceback" not in err, err
        assert not out.exists()


def test_train_trunk_checks_where_it_writes_before_training(shared, tmp_path, monkeypatch):
    """The library's train_trunk refuses, before any training (the recipe's fit is never reached), an output that
    is a file, as ``signlstm trunk`` does, and leaves it as it was."""
    from signlstm.errors import BadInput
    from signlstm.judging.trunks import train_trunk
    from signlstm.models import training

    fitted = []
    real_fit = training.fit
    monkeypatch.setattr(training, "fit", lambda *a, **k: fitted.append(1) or real_fit(*a, **k))

    files = [str(shared("data", "vocab", "s23.npz")), str(shared("data", "vocab", "o04.npz"))]
    (tmp_path / "f").write_text("mine")
    with pytest.raises(BadInput, match="exists and is not a folder") as e:
        train_trunk(files, [], [], "s23", tmp_path / "f", epochs=1)
    assert e.value.path == str(tmp_path / "f") and (tmp_path / "f").read_text() == "mine" and not fitted


def test_a_cache_that_cannot_hold_the_trunks_is_refused_before_any_trunk_is_trained(tmp_path):
    """``judge vocab --cache`` naming a file: one line naming it and why, before a trunk is trained."""
    from signlstm.errors import BadInput

    (tmp_path / "cache").write_text("not a folder")
    with pytest.raises(BadInput, match=r"cache/trunks/trunk-s0-\w+: cannot be made: .*cache is not a folder"):
        trunks.trunks([shared_path("data", "vocab", "o04.npz"), shared_path("data", "vocab", "o05.npz")], [], [],
                     ["o04"], epochs=1, workers=1, cache=tmp_path / "cache", log=lambda *a: None)


def test_two_commands_asking_for_one_trunk_at_once_train_it_once(tmp_path):
    """Two processes (two ``judge vocab`` run at once on one cache) ask for the same trunk together: one trains it,
    the other waits and takes it as made, as fold bases are (:func:`signlstm.judging.folds.made_once`)."""
    from signlstm.conftest import made_once_by_two

    data = [str(shared_path("data", "vocab", n)) for n in ("o04.npz", "o05.npz")]
    script = ("from signlstm.judging.trunks import trunks\n"
              f"print(trunks({data!r}, [], [], ['o04'], epochs=1, per_sign=1, workers=1,\n"
              f"             cache={str(tmp_path / 'cache')!r}, log=lambda m: print(m, flush=True))['o04'])\n")
    made_once_by_two(script, "training 1 trunk(s)")
