"""One rule for how recordings adapt a model, whichever front adapts them (``adapt``, ``collect --then-adapt``, the
web page), on real recordings."""
import shutil
from pathlib import Path

import numpy as np

from signlstm.cli import main
from signlstm.datasets import load
from signlstm.models.adapting import VOCAB, choose_method, recorded_signs
from signlstm.models.bundle import DEFAULT_MODEL, is_vocabulary, load_bundle

STREAM = Path(__file__).resolve().parents[3] / "demo" / "s08_stream.npy"  # 367 frames of keypoints of hello


def tree(shared, root: Path, signs: dict[str, str]) -> Path:
    """A tree of the tutorial author's recordings: 5 of each sign of ``signs`` (the name it is recorded under: the
    sign recorded)."""
    for name, sign in signs.items():
        for n in range(30, 35):
            shutil.copytree(shared("data", "MP_Data_renotte", sign, str(n)), root / name / str(n - 30))
    return root


def test_the_method_follows_the_signs_recorded():
    """The shipped model's own signs (under any spelling) adapt it; a sign it does not know makes a vocabulary, and
    so does any recording given to a vocabulary."""
    base = load_bundle(DEFAULT_MODEL)
    assert choose_method(base, ["Hello", "thanks", "none"]) == "top"
    assert choose_method(base, ["hello", "please"]) == VOCAB
    vocabulary = load_bundle(DEFAULT_MODEL)
    vocabulary.meta["adapted"] = {"method": VOCAB}
    assert choose_method(vocabulary, ["hello"]) == VOCAB


def test_the_signs_recorded_are_those_with_recordings_and_none_is_no_sign(shared, tmp_path):
    """Recordings of hello and of none (the tutorial author's thanks, recorded as none): the signs recorded are hello
    alone (the page's "learning your vocabulary from ... of" line names them), and a sign listed with no recording
    is none of them."""
    data = load([tree(shared, tmp_path / "alice", {"hello": "hello", "none": "thanks"})])
    assert sorted(data.actions) == ["hello", "none"] and len(data) == 10
    assert recorded_signs(data) == ["hello"]
    data.actions = [*data.actions, "please"]
    assert recorded_signs(data) == ["hello"]


def test_hello_and_a_new_sign_make_one_vocabulary_from_collect_adapt_and_the_page(shared, tmp_path, capsys):
    """The same recordings of hello and a sign the shipped model does not know (please) make a vocabulary from the
    shipped trunk whichever front adapts them: ``collect --actions hello please --then-adapt`` (which adapted the
    shipped model instead), ``adapt`` without --vocabulary, and the web page, the three the same model. A new sign
    alone is refused by ``collect`` before anything is recorded (a vocabulary of one sign)."""
    from signlstm.web.adapted import adapt_job

    data = tree(shared, tmp_path / "alice", {"hello": "hello", "please": "iloveyou"})
    args = ["collect", "--data", str(data), "--source", str(STREAM), "--headless", "--pause", "0", "--sequences", "1"]
    assert main([*args, "--actions", "hello", "please", "--then-adapt", str(tmp_path / "collected")]) == 0
    assert main(["adapt", "--data", str(data), "--out", str(tmp_path / "adapted")]) == 0
    page, _ = adapt_job(load_bundle(DEFAULT_MODEL), data, tmp_path / "web_models", "alice", {})
    models = [load_bundle(tmp_path / "collected"), load_bundle(tmp_path / "adapted"), page]
    X = load([data]).X
    assert len(X) == 12  # 5 of each copied, 1 of each recorded
    for b in models:
        assert is_vocabulary(b.meta) and b.labels == ["hello", "please", "none"], b.meta["adapted"]
        assert Path(b.meta["adapted"]["base"]["path"]).name == "trunk"
        assert b.meta["adapted"]["sequences"] == models[0].meta["adapted"]["sequences"]
        np.testing.assert_allclose(b.predict(X), models[0].predict(X), atol=1e-5)
    capsys.readouterr()
    assert main([*args, "--actions", "please", "--data", str(tmp_path / "new"), "--then-adapt",
                 str(tmp_path / "one")]) == 2
    err = capsys.readouterr().err
    assert "a vocabulary needs at least 2 signs; 'please' is not among its signs" in err, err
    assert not (tmp_path / "new").exists()


def test_options_are_checked_against_the_method_the_recordings_choose(shared, tmp_path, capsys):
    """Without --vocabulary, recordings with a new sign are a vocabulary: --keep-base-actions keeps the trunk's
    signs they lack, --negatives (the other methods' option) is refused saying why and what to give instead;
    recordings of the shipped model's signs alone adapt it, and --radius (a vocabulary's) is refused saying why."""
    data = tree(shared, tmp_path / "alice", {"hello": "hello", "please": "iloveyou"})
    mine = tree(shared, tmp_path / "bob", {"Hello": "hello", "thanks": "thanks"})
    other = str(shared("data", "other_signs", "o06.npz"))
    assert main(["adapt", "--data", str(data), "--negatives", other, "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--negatives goes with the other methods" in err and "does not know" in err \
        and "give --method top" in err, err
    assert main(["adapt", "--data", str(mine), "--radius", "1.0", "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--radius goes with --vocabulary" in err and "give --vocabulary" in err, err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    assert main(["adapt", "--data", str(data), "--keep-base-actions", "--out", str(tmp_path / "c")]) == 0
    kept = load_bundle(tmp_path / "c")
    assert is_vocabulary(kept.meta) and {"thanks", "iloveyou"} <= set(kept.meta["adapted"]["kept_base_actions"])


def test_a_vocabulary_chosen_by_the_signs_names_the_models_signs_it_no_longer_answers(shared, tmp_path, capsys):
    """Recordings of hello and a sign the shipped model does not know (please), given to ``adapt`` without
    --vocabulary, make a vocabulary of those two from the shipped trunk: the shipped model's thanks and iloveyou are
    no longer answered, and a note says so, as adapting the model says of the signs it drops (none did). Kept with
    --keep-base-actions, they are answered: no such note. A vocabulary asked for from the trunk names none of the
    trunk's classes (other people's signs, not the person's model's)."""
    data = tree(shared, tmp_path / "alice", {"hello": "hello", "please": "iloveyou"})
    dropped = (f"note: {DEFAULT_MODEL}'s own sign(s) thanks, iloveyou are not in the data: the new vocabulary does "
               "not answer them (give their recordings too to keep them)")
    assert main(["adapt", "--data", str(data), "--out", str(tmp_path / "a")]) == 0
    assert load_bundle(tmp_path / "a").labels == ["hello", "please", "none"]
    assert dropped in capsys.readouterr().err.splitlines()
    assert main(["adapt", "--data", str(data), "--keep-base-actions", "--out", str(tmp_path / "b")]) == 0
    assert {"thanks", "iloveyou"} <= set(load_bundle(tmp_path / "b").labels)
    assert "own sign(s)" not in capsys.readouterr().err
    assert main(["adapt", "--vocabulary", "--data", str(data), "--out", str(tmp_path / "c")]) == 0
    assert "own sign(s)" not in capsys.readouterr().err


def test_a_vocabulary_starts_from_the_model_chosen_on_every_front_and_from_the_trunk_for_a_shipped_one(shared,
                                                                                                       tmp_path):
    """Recordings with a new sign given to a model the person chose (here a copy of the shipped model, kept in their
    own folder) make a vocabulary on that model's embedding, from ``adapt --model`` and from a page served with it
    alike (the page took the shipped trunk whatever ``serve --model`` was); given to a shipped three-sign model (the
    spotting model), on the shipped trunk's."""
    from signlstm.models.bundle import SPOTTING_MODEL
    from signlstm.web.adapted import adapt_job

    data = tree(shared, tmp_path / "alice", {"hello": "hello", "please": "iloveyou"})
    mine = shutil.copytree(DEFAULT_MODEL, tmp_path / "mine")
    assert main(["adapt", "--model", str(mine), "--data", str(data), "--out", str(tmp_path / "adapted")]) == 0
    page, _ = adapt_job(load_bundle(mine), data, tmp_path / "web_models", "alice", {})
    cli = load_bundle(tmp_path / "adapted")
    X = load([data]).X
    for b in (cli, page):
        assert is_vocabulary(b.meta) and b.meta["adapted"]["base"]["path"] == str(mine), b.meta["adapted"]["base"]
    np.testing.assert_allclose(page.predict(X), cli.predict(X), atol=1e-5)
    assert main(["adapt", "--model", str(SPOTTING_MODEL), "--data", str(data), "--out", str(tmp_path / "spot")]) == 0
    assert Path(load_bundle(tmp_path / "spot").meta["adapted"]["base"]["path"]).name == "trunk"
