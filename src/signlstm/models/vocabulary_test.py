"""A person's own vocabulary (signlstm.models.vocabulary): signs named from a few recordings, untaught signs rejected,
the check of the recordings, the base's signs kept only when asked, bad stored examples and radii refused."""
import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from signlstm.models.adapt import choose_shots
from signlstm.cli import main
from signlstm.conftest import held_back, shared_path
from signlstm.datasets import load_npz
from signlstm.sign_names import NONE
from signlstm.errors import SignlstmError
from signlstm import layout
from signlstm.layout import without_hands
from signlstm.models.bundle import load_bundle, save_bundle


@pytest.fixture(scope="module")
def o07():
    """The largest personal vocabulary of ../shared (35 signs, 30 recordings each), with two signs renamed to names
    with a space and non-ASCII letters, as users name their signs."""
    d = load_npz(shared_path("data", "vocab", "o07.npz"))
    rename = {"to meet": "to meet ñandú", "nice": "schön"}
    d.labels = np.array([rename.get(a, a) for a in d.labels])
    d.actions = [rename.get(a, a) for a in d.actions]
    return d


def test_a_vocabulary_answers_its_signs_and_rejects_signs_it_was_not_taught(o07, unseen_trunk, tmp_path):
    """On a trunk that never saw o07 (conftest's ``unseen_trunk``): 26 of o07's signs taught from 5 recordings each,
    the rest of their recordings named rightly and seldom answered none, and a share of the 9 untaught signs'
    recordings answered none (none of them without rejection). Measured figures: BENCHMARKS.md, 2026-12-04."""
    from signlstm.models.vocabulary import adapt_vocab
    from signlstm.judging.vocab import split_signs
    from signlstm.recognizer import decide

    taught, untaught = split_signs(o07.actions, seed=0)
    assert len(taught) == 26 and len(untaught) == 9
    signs = o07.subset(np.isin(o07.labels, taught))
    signs.actions = taught
    b = adapt_vocab(unseen_trunk, signs, shots=5, seed=0)
    assert b.labels == taught + [NONE]  # the trunk's own labels (hello, o04/ball, ...) are not answered
    save_bundle(b.model, b.meta, tmp_path / "mine")
    b = load_bundle(tmp_path / "mine")
    test = held_back(signs, 5)
    pred = decide(b.labels, b.predict(test.X))
    assert (pred == test.labels).mean() >= 0.85  # chance: 1 in 26
    assert (pred == NONE).mean() <= 0.05
    other = o07.subset(np.isin(o07.labels, untaught))
    rejected = (decide(b.labels, b.predict(other.X)) == NONE).mean()
    assert rejected >= 0.25  # without rejection: 0
    # a smaller radius (--radius 0.5) rejects more of the untaught signs
    small = adapt_vocab(unseen_trunk, signs, shots=5, seed=0, radius=0.5)
    assert small.meta["adapted"]["radius"] == 0.5
    assert (decide(small.labels, small.predict(other.X)) == NONE).mean() >= rejected + 0.2
    # windows without hands are no sign either, and the fast per-window path agrees with the batch
    assert (decide(b.labels, b.predict(without_hands(test.X[:40]))) == NONE).all()
    assert np.allclose(b.classify(test.X[0]), b.predict(test.X[:1])[0], atol=1e-4)  # float32 sums in another order


def test_a_vocabulary_names_a_sign_from_windows_that_hold_part_of_it(o07, unseen_trunk):
    """In a stream a sign is seen by windows that begin in the rest before it; the classifier learns the shots so
    shifted too (``VIEW_SHIFTS``), and names more of those windows rightly, losing at most 2 points on the
    recordings as made and on windows 8 frames late. On o07's 35 signs, on a trunk that never saw o07."""
    from signlstm.models.vocabulary import VIEW_SHIFTS, adapt_vocab, shift_in_time
    from signlstm.recognizer import decide

    test = held_back(o07, 5)
    right = {}
    for views in (False, True):
        b = adapt_vocab(unseen_trunk, o07, shots=5, seed=0, shift_views=views)
        assert b.meta["adapted"]["view_shifts"] == (list(VIEW_SHIFTS) if views else [])
        right[views] = [(decide(b.labels, b.predict(shift_in_time(test.X, s))) == test.labels).mean()
                        for s in (0, 8, 16)]
    assert right[True][0] >= right[False][0] - 0.02 and right[True][1] >= right[False][1] - 0.02  # no worse
    assert right[True][2] >= right[False][2] + 0.04, right  # 16 frames late: better


def test_a_vocabulary_of_two_signs_keeps_its_own_signs_and_rejects_the_others(unseen_trunk):
    """Ten recordings of two signs estimate the 256 feature spreads badly; shrunk toward their mean (``SHRINK``),
    a window of a taught sign is not far from its sign for a feature that barely varied in the ten (without the
    shrinkage a quarter to almost half of them answered none). On people the trunk never saw, o07 and s23."""
    from signlstm.models.vocabulary import adapt_vocab
    from signlstm.recognizer import decide

    for person, most_none in (("o07", 0.15), ("s23", 0.25)):
        data = load_npz(shared_path("data", "vocab", f"{person}.npz"))
        two = data.actions[:2]
        signs = data.subset(np.isin(data.labels, two))
        signs.actions = two
        b = adapt_vocab(unseen_trunk, signs, shots=5, seed=0)
        test = held_back(signs, 5)
        pred = decide(b.labels, b.predict(test.X))
        assert (pred == NONE).mean() <= most_none and (pred == test.labels).mean() >= 1 - most_none - 0.02
        others = data.subset(~np.isin(data.labels, two))
        assert (decide(b.labels, b.predict(others.X)) == NONE).mean() >= 0.7


def test_shift_in_time_shows_a_recording_with_a_rest_before_or_after_it(shared):
    from signlstm import layout
    from signlstm.models.vocabulary import shift_in_time

    X = np.load(shared("data", "signers", "s09.npz"))["X"][:4].astype(np.float32)
    later, earlier = shift_in_time(X, 8), shift_in_time(X, -8)
    assert later.shape == earlier.shape == X.shape
    # 8 frames later: a rest of the first frame's pose without hands, then the recording's first 22 frames
    assert not layout.hands_present(later[:, :8]).any() and np.array_equal(later[:, 8:], X[:, :22])
    assert np.array_equal(later[:, :8, layout.POSE.slice], np.repeat(X[:, :1, layout.POSE.slice], 8, 1))
    # 8 frames earlier: its last 22 frames, then the last frame's pose without hands
    assert np.array_equal(earlier[:, :22], X[:, 8:]) and not layout.hands_present(earlier[:, 22:]).any()
    assert np.array_equal(shift_in_time(X, 0), X) and not layout.hands_present(shift_in_time(X, 99)).any()


def test_adapt_vocabulary_on_35_signs_writes_those_labels_and_none(o07, tmp_path, capsys):
    from signlstm.datasets.sequence_writer import SequenceWriter

    # the person's recordings as the tutorial's folders, names with spaces and accents included
    pick = choose_shots(o07, 5, seed=1)
    writer = SequenceWriter(tmp_path / "MP_Data")
    for i in pick:
        writer.write(o07.labels[i], o07.X[i])
    assert main(["adapt", "--vocabulary", "--data", str(tmp_path / "MP_Data"), "--out", str(tmp_path / "mine")]) == 0
    printed = capsys.readouterr()
    assert "wrote" in printed.out and "check: each recording named by a model fitted without it" in printed.out
    b = load_bundle(tmp_path / "mine")
    assert sorted(b.labels[:-1]) == sorted(o07.actions) and b.labels[-1] == NONE and len(b.labels) == 36
    meta = json.loads((tmp_path / "mine" / "signlstm.json").read_text())
    # each sign's 5 recordings, but those in which MediaPipe saw no hand in most frames (left out, and said so)
    from signlstm.models.vocabulary import hands_unseen

    unseen = o07.labels[hands_unseen(o07, pick)]
    assert len(unseen) and meta["adapted"]["sequences"] == {a: 5 - int((unseen == a).sum()) for a in o07.actions}
    assert f"note: left out {len(unseen)} recording(s) with a hand seen in fewer than 50%" in printed.err
    assert meta["adapted"]["method"] == "vocab" and "to meet ñandú" in meta["labels"]


def test_signs_asked_for_without_recordings_are_named_and_not_answered(shared, tmp_path, capsys):
    """--actions names signs with no recording (a list recorded in part): the vocabulary answers those recorded, and
    the command names the others instead of dropping them without a word, but not one it answers from the base's
    recordings (--keep-base-actions)."""
    from signlstm.datasets.sequence_writer import SequenceWriter

    s23 = load_npz(shared("data", "vocab", "s23.npz"))
    writer = SequenceWriter(tmp_path / "MP_Data")
    for a in s23.actions[:2]:
        for i in np.flatnonzero(s23.labels == a)[:5]:
            writer.write(a, s23.X[i])
    asked = [*s23.actions[:2], "ñandú", "good night"]
    assert main(["adapt", "--vocabulary", "--data", str(tmp_path / "MP_Data"), "--actions", *asked,
                 "--out", str(tmp_path / "mine")]) == 0
    assert load_bundle(tmp_path / "mine").labels == [*s23.actions[:2], NONE]
    assert ("note: no recordings of 'ñandú', 'good night', asked for: the adapted model does not answer them"
            in capsys.readouterr().err)
    # a sign the model answers from the base's stored recordings (--keep-base-actions) is not said to be missing
    assert main(["adapt", "--vocabulary", "--keep-base-actions", "--data", str(tmp_path / "MP_Data"), "--actions",
                 *asked, "Thanks", "--out", str(tmp_path / "kept")]) == 0
    assert "thanks" in load_bundle(tmp_path / "kept").labels
    err = capsys.readouterr().err
    assert "note: no recordings of 'ñandú', 'good night', asked for: the adapted model does not answer them" in err


def test_adapt_vocabulary_says_which_people_the_trunk_saw_and_when_people_are_mixed(shared, tmp_path, capsys):
    """The shipped trunk was trained on o05's and o07's recordings: adapting to them says so (its check flatters),
    says two people's signs are taught as one vocabulary, and the bundle names them in ``training.groups`` (which
    ``evaluate`` marks ``(in training)``)."""
    files = [str(shared("data", "vocab", f"{p}.npz")) for p in ("o05", "o07")]
    assert main(["adapt", "--vocabulary", "--data", *files, "--shots", "2", "--out", str(tmp_path / "both")]) == 0
    err = capsys.readouterr().err
    assert "was trained on recordings of o05, o07" in err
    assert "the data holds 2 people's recordings (o05, o07)" in err
    groups = json.loads((tmp_path / "both" / "signlstm.json").read_text())["training"]["groups"]
    assert {"o05", "o07", "s02"} <= set(groups)


def test_adapt_vocabulary_command_teaches_k_shots_and_keeps_the_trunks_signs_when_asked(o07, tmp_path, capsys):
    """``adapt --vocabulary --shots 3`` from the command line, on 8 recordings each of o07's a, b, hello, my and
    name (a packed file): 3 of each sign are taught, the seeded draw among those showing a hand (all 8 without
    --shots); with ``--keep-base-actions`` the shipped trunk's thanks and iloveyou are answered too, from the
    recordings stored with it, so s02's thanks are named thanks (the shipped trunk saw s02: this checks the keeping,
    not a new person's thanks)."""
    from signlstm.models.vocabulary import vocab_shots
    from signlstm.recognizer import decide

    names = ["a", "b", "hello", "my", "name"]
    idx = np.concatenate([np.flatnonzero(o07.labels == a)[:8] for a in names])
    signs = o07.subset(idx)
    np.savez_compressed(tmp_path / "o07.npz", X=signs.X.astype(np.float16),
                        y=np.array([names.index(a) for a in signs.labels], np.int16),
                        seq=np.arange(len(signs), dtype=np.int16), actions=np.array(names))
    argv = ["adapt", "--vocabulary", "--data", str(tmp_path / "o07.npz"), "--shots", "3"]
    assert main([*argv, "--out", str(tmp_path / "plain")]) == 0
    assert main([*argv, "--keep-base-actions", "--out", str(tmp_path / "kept")]) == 0
    capsys.readouterr()
    plain, kept = load_bundle(tmp_path / "plain"), load_bundle(tmp_path / "kept")
    pick, _ = vocab_shots(signs, 3, 0)
    assert plain.meta["adapted"]["sequences"] == {a: 3 for a in names}
    assert [s.rsplit("#", 1)[1] for s in plain.meta["adapted"]["sources"]] == [str(i) for i in pick]
    assert plain.labels == names + [NONE]
    assert kept.labels == names + ["thanks", "iloveyou", NONE]
    assert kept.meta["adapted"]["kept_base_actions"] == ["thanks", "iloveyou"]
    assert {a: n for a, n in kept.meta["adapted"]["sequences"].items() if a in names} == {a: 3 for a in names}
    s02 = load_npz(shared_path("data", "signers", "s02.npz"))
    thanks = s02.subset(s02.labels == "thanks")
    assert (decide(kept.labels, kept.predict(thanks.X)) == "thanks").mean() >= 0.8
    assert (decide(plain.labels, plain.predict(thanks.X)) == NONE).mean() >= 0.5


def test_the_check_of_the_shots_finds_one_sign_taught_under_two_names(o07):
    """``adapt --vocabulary`` names each recording by a model fitted without it: one sign recorded under two names
    (o07's ``hello``, 5 recordings as ``hi`` and 5 as ``hey``) is what it finds alike, beside signs it tells apart;
    with one recording per sign there is nothing to check. This checks the check, on the shipped trunk (which learnt
    o07's hello as one sign; on a trunk that never saw o07 the two names are taken for each other less often, about
    2 to 4 times in 10, near the check's floor of 2)."""
    from signlstm.models.vocabulary import TRUNK_MODEL, adapt_vocab, check_lines

    keep = ["hello", "thank you", "you", "is", "name", "b", "c"]
    idx = np.concatenate([np.flatnonzero(o07.labels == a)[:10 if a == "hello" else 5] for a in keep])
    d = o07.subset(idx)
    labels = d.labels.copy()
    hello = np.flatnonzero(labels == "hello")
    labels[hello[::2]], labels[hello[1::2]] = "hi", "hey"  # in turns (recordings made one after the other drift)
    d.labels, d.actions = labels, ["hi", "hey"] + keep[1:]
    check = adapt_vocab(load_bundle(TRUNK_MODEL), d, seed=0).meta["adapted"]["check"]
    assert check["recordings"] == 40 - 1  # one without a hand in view in most frames: left out
    assert {check["alike"][0][0], check["alike"][0][1]} == {"hi", "hey"} and check["alike"][0][2] >= 3
    others = [pair for pair in check["alike"] if {"hi", "hey"} != {pair[0], pair[1]}]
    assert sum(c for _, _, c, _ in others) <= 2, others
    assert "alike: 'hey' and 'hi'" in "\n".join(check_lines(check)) or "alike: 'hi' and 'hey'" in "\n".join(
        check_lines(check))
    one = adapt_vocab(load_bundle(TRUNK_MODEL), d, shots=1, seed=0).meta["adapted"]["check"]
    assert one["recordings"] == 0 and "record at least 2" in check_lines(one)[0]
    once = d.subset(np.flatnonzero(d.labels != "c").tolist() + [int(np.flatnonzero(d.labels == "c")[0])])
    lone = adapt_vocab(load_bundle(TRUNK_MODEL), once, seed=0).meta["adapted"]["check"]
    assert lone["unchecked"] == ["c"] and check["unchecked"] == []
    assert ("  not checked, taught from one recording: 'c' (a sign needs 2 taught recordings to be checked)"
            in check_lines(lone))


def test_vocab_head_standardises_by_the_spread_within_signs_and_fits_any_shot_count():
    from signlstm.models.vocabulary import vocab_head

    rng = np.random.default_rng(0)
    # feature 0 separates the signs, feature 1 varies only between recordings of one sign
    centres = np.array([[-3.0, 0.0], [3.0, 0.0], [0.0, 0.0]])
    for shots in (1, 5):
        y = np.repeat(np.arange(3), shots)
        F = centres[y] + rng.normal(0, [0.1, 2.0], (len(y), 2)) * (shots > 1)
        w = vocab_head(F, y, 3, radius=2.0)
        assert w["kernel"].shape == (2, 3) and w["prototypes"].shape == (3, 2)
        np.testing.assert_allclose(w["radii"], 2.0 * np.sqrt(1 + 1 / shots), rtol=1e-6)
        if shots == 1:  # no spread within a sign to measure: the total spread alone
            np.testing.assert_allclose(w["scale"], F.std(0) + 1e-3, rtol=1e-5, atol=1e-5)
        else:  # the within-sign noise (feature 1) keeps its total spread, the separating feature 0 counts more
            ratio = w["scale"] / (F.std(0) + 1e-3)
            assert ratio[1] > 0.95 and ratio[0] < 0.75
    w = vocab_head(centres[[0, 1]], np.array([0, 1]), 2)  # one shot each: the nearest prototype
    np.testing.assert_allclose(w["kernel"], w["prototypes"].T)
    np.testing.assert_allclose(w["bias"], -0.5 * (w["prototypes"] ** 2).sum(1) + np.log(0.5), rtol=1e-6)
    F = centres[[0, 0, 1, 1]] + rng.normal(0, 0.1, (4, 2))
    w = vocab_head(F, np.array([0, 0, 1, 1]), 2)
    assert (((F - w["mean"]) / w["scale"] @ w["kernel"] + w["bias"]).argmax(1) == [0, 0, 1, 1]).all()


def test_a_vocabulary_keeps_the_base_signs_only_when_asked(o07, unseen_trunk, tmp_path, capsys):
    """On a trunk that never saw o07: the trunk's thanks kept from its stored recordings (s02's among them: this
    checks the keeping, not a new person's thanks) is answered for s02's thanks, never without it; a share of o07's
    untaught signs stays none (none of them with the nearest radius's rule instead of the tied one)."""
    from signlstm.models.vocabulary import adapt_vocab
    from signlstm.recognizer import decide

    trunk = unseen_trunk
    signs = o07.subset(np.isin(o07.labels, ["a", "b", "hello", "my", "name"])).renamed({"hello": "Hello"})
    signs.actions = ["a", "b", "Hello", "my", "name"]
    thanks = load_npz(shared_path("data", "signers", "s02.npz"))
    thanks = thanks.subset(thanks.labels == "thanks")
    plain = adapt_vocab(trunk, signs, shots=5)
    assert plain.labels == signs.actions + [NONE]
    kept = adapt_vocab(trunk, signs, shots=5, keep_base_actions=True)
    # the person's own hello (under their spelling) stays theirs; the trunk's thanks and iloveyou are added from the
    # recordings kept with it
    assert kept.labels == signs.actions + ["thanks", "iloveyou", NONE]
    assert kept.meta["adapted"]["kept_base_actions"] == ["thanks", "iloveyou"]
    assert (decide(kept.labels, kept.predict(thanks.X)) == "thanks").mean() >= 0.8
    assert "thanks" not in set(decide(plain.labels, plain.predict(thanks.X)).tolist())
    # signs never taught stay none with the base's signs kept: a window must lie within the radius of the sign it is
    # named, or the base signs' wide radii (many people's recordings) would take in every untaught sign
    untaught = o07.subset(~np.isin(o07.labels, ["a", "b", "hello", "my", "name", "thank you"]))
    assert len(untaught) == 870
    assert (decide(kept.labels, kept.predict(untaught.X)) == NONE).mean() >= 0.3
    assert kept.model.get_layer("head").tied and not plain.model.get_layer("head").tied
    # a base without stored recordings of its signs: one line saying what to do
    save_bundle(plain.model, plain.meta, tmp_path / "nobase")
    src = tmp_path / "MP_Data"
    from signlstm.datasets.sequence_writer import SequenceWriter
    w = SequenceWriter(src)
    for i in choose_shots(signs, 2):
        w.write(signs.labels[i], signs.X[i])
    assert main(["adapt", "--vocabulary", "--keep-base-actions", "--model", str(tmp_path / "nobase"),
                 "--data", str(src), "--out", str(tmp_path / "x")]) == 2
    assert "holds no recordings" in capsys.readouterr().err
    # (without --method these new signs make a vocabulary, which takes both: models/adapting_test.py)
    assert main(["adapt", "--method", "top", "--keep-base-actions", "--data", str(src), "--out",
                 str(tmp_path / "x")]) == 2
    assert "--keep-base-actions goes with --vocabulary" in capsys.readouterr().err
    assert main(["adapt", "--method", "top", "--radius", "0.9", "--data", str(src), "--out", str(tmp_path / "x")]) == 2
    assert "--radius goes with --vocabulary" in capsys.readouterr().err
    assert main(["adapt", "--vocabulary", "--negatives", str(shared_path("data", "other_signs", "o01.npz")), "--data",
                 str(src), "--out", str(tmp_path / "x")]) == 2  # it would be dropped: a vocabulary learns no none
    assert "--negatives goes with the other methods" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_lda_covariance_is_scikit_learns_shrinkage_lda():
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    from signlstm.models.vocabulary import _lda_covariance

    # s23's six signs, 5 / 5 / 5 / 5 / 3 / 1 recordings: the time-mean of 40 pose values, standardised as adapt does
    d = load_npz(shared_path("data", "vocab", "s23.npz"))
    idx = np.concatenate([np.flatnonzero(d.labels == a)[:n] for a, n in zip(d.actions, [5, 5, 5, 5, 3, 1])])
    F = d.X[idx, :, :40].mean(1).astype(np.float64)
    Z = (F - F.mean(0)) / (F.std(0) + 1e-3)
    y = np.array([d.actions.index(a) for a in d.labels[idx]])
    with warnings.catch_warnings():  # scikit-learn warns of the one-recording sign, which the case is there to hold
        warnings.filterwarnings("ignore", "Only one sample available", UserWarning)
        ref = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(Z, y).covariance_
    np.testing.assert_allclose(_lda_covariance(Z, y), ref, atol=1e-8)


# ----------------------------------------------------------------------------------------------------- bad input

@pytest.fixture(scope="module")
def s23_few():
    """Three recordings of each of s23's signs (the shipped trunk was trained on s23: the tests below check what is
    refused, not figures)."""
    d = load_npz(shared_path("data", "vocab", "s23.npz"))
    return d.subset(choose_shots(d, 3, 0))


def _trunk_copy(tmp_path, **examples):
    """A copy of the shipped trunk whose ``examples.npz`` holds ``examples`` (defaults: the shipped arrays)."""
    import shutil

    from signlstm.models.stored_features import BASE_EXAMPLES
    from signlstm.models.vocabulary import TRUNK_MODEL

    folder = tmp_path / "trunk"
    shutil.copytree(TRUNK_MODEL, folder)
    with np.load(folder / BASE_EXAMPLES) as z:
        arrays = {k: z[k] for k in z.files}
    arrays.update(examples)
    np.savez_compressed(folder / BASE_EXAMPLES, **arrays)
    return folder


def test_the_base_signs_stored_with_a_trunk_are_all_of_a_signs_recordings_when_it_has_fewer_than_are_kept():
    """What ``trunk`` stores beside a trunk for ``--keep-base-actions`` (:func:`base_example_arrays`), from s02 with
    all 30 of its hello recordings but only 4 of thanks and 6 of iloveyou (a person who recorded few): 20 hello (the
    most kept), and every thanks and iloveyou recording, each as the trunk's 256 finite features; not a numpy error
    about a sample larger than its population."""
    from signlstm.models.stored_features import BASE_PER_SIGN, base_example_arrays
    from signlstm.models.vocabulary import TRUNK_MODEL

    d = load_npz(shared_path("data", "signers", "s02.npz"))
    keep = {"hello": 30, "thanks": 4, "iloveyou": 6}
    d = d.subset(np.sort(np.concatenate([np.flatnonzero(d.labels == a)[:n] for a, n in keep.items()])))
    assert BASE_PER_SIGN == 20 and {a: int((d.labels == a).sum()) for a in keep} == keep
    arrays, counts = base_example_arrays(load_bundle(TRUNK_MODEL), d, seed=0)
    assert counts == {"hello": 20, "thanks": 4, "iloveyou": 6}
    assert sorted(arrays["labels"].tolist()) == sorted(["hello"] * 20 + ["thanks"] * 4 + ["iloveyou"] * 6)
    assert arrays["F"].shape == (30, 256) and np.isfinite(arrays["F"]).all()


def _shipped_examples():
    from signlstm.models.stored_features import BASE_EXAMPLES
    from signlstm.models.vocabulary import TRUNK_MODEL

    with np.load(TRUNK_MODEL / BASE_EXAMPLES) as z:
        return z["F"], z["labels"]


def _with_nan(F, at=(3, 7)):
    F = F.copy()
    F[at] = np.nan
    return F


@pytest.mark.parametrize("case,problem", [
    ("narrow", "its sign features have 10 values each, the model's trunk gives 256"),
    ("fewer labels", "labels has 57 recordings but F has 60"),
    ("nan", "F holds 1 value that is not a finite number"),
    ("inf", "F holds 1 value that is not a finite number"),
    ("unknown sign", "labels name 1 sign(s) that are not the model's own ('o04/ball')"),
    ("numbers as labels", "labels holds int64 values, not names"),
])
def test_bad_stored_examples_of_the_base_signs_are_bad_input_naming_the_file(tmp_path, s23_few, case, problem):
    """``--keep-base-actions`` reads ``examples.npz`` beside the base: features of another width or another count
    than the labels, or NaN or infinite features, are bad input naming the file."""
    from signlstm.models.stored_features import BASE_EXAMPLES
    from signlstm.models.vocabulary import adapt_vocab
    from signlstm.errors import BadInput

    F, labels = _shipped_examples()
    inf = F.copy()
    inf[3, 7] = np.inf
    bad = {"narrow": {"F": F[:, :10]}, "fewer labels": {"labels": labels[:57]}, "nan": {"F": _with_nan(F)},
           "inf": {"F": inf}, "unknown sign": {"labels": np.where(np.arange(len(labels)) == 4, "o04/ball", labels)},
           "numbers as labels": {"labels": np.arange(len(labels))}}[case]
    folder = _trunk_copy(tmp_path, **bad)
    with pytest.raises(BadInput) as e:
        adapt_vocab(load_bundle(folder), s23_few, keep_base_actions=True)
    assert e.value.path == str(folder / BASE_EXAMPLES) and e.value.problem.startswith(problem), str(e.value)


def test_the_command_says_in_one_line_that_stored_examples_are_not_numbers_and_writes_nothing(tmp_path, capsys):
    F, _ = _shipped_examples()
    folder = _trunk_copy(tmp_path, F=_with_nan(F))
    out = tmp_path / "mine"
    assert main(["adapt", "--vocabulary", "--keep-base-actions", "--model", str(folder), "--data",
                 str(shared_path("data", "vocab", "s23.npz")), "--shots", "3", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("signlstm")]  # after a note on who the trunk saw
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0] == (f"signlstm adapt: error: {folder / 'examples.npz'}: F holds 1 value that is not a finite "
                        "number (NaN or infinity)")
    assert not out.exists()
    # the same copy with the shipped features keeps the trunk's thanks (s23's own signs but it): what was refused
    # was the NaN
    from signlstm.models.vocabulary import adapt_vocab

    d = load_npz(shared_path("data", "vocab", "s23.npz"))
    d = d.subset(d.labels != "thanks")
    d.actions = [a for a in d.actions if a != "thanks"]
    kept = adapt_vocab(load_bundle(_trunk_copy(tmp_path / "again", F=F)), d, shots=3, keep_base_actions=True)
    assert kept.meta["adapted"]["kept_base_actions"] == ["thanks"]
    assert np.isfinite(kept.predict(d.X[:20])).all()


@pytest.mark.parametrize("radius", [float("nan"), 0.0, -1.0, float("inf"), 1e-300, 3.5e38])
def test_a_radius_that_is_not_a_finite_number_above_0_is_refused(s23_few, radius):
    """A radius of NaN would make every probability NaN, 0 or 1e-300 would answer none for everything, and 3.5e38
    overflowed into a "training diverged" message: refused."""
    from signlstm.models.vocabulary import TRUNK_MODEL, adapt_vocab

    with pytest.raises(SignlstmError, match=r"--radius must be a number from 0.01 to 100 \(default 1.1\), got "):
        adapt_vocab(load_bundle(TRUNK_MODEL), s23_few, radius=radius)


def test_the_radius_range_is_inclusive_and_refuses_just_outside_it():
    from signlstm.models.vocabulary import RADIUS_RANGE, check_radius

    low, high = RADIUS_RANGE
    assert (check_radius(low), check_radius(str(high)), check_radius(1)) == (low, high, 1.0)
    for outside in (low * 0.999, high * 1.001, True, "1.1x", None):
        with pytest.raises(SignlstmError, match="--radius must be a number from 0.01 to 100"):
            check_radius(outside)


def test_radius_nan_is_one_line_in_adapt_and_judge_vocab(tmp_path, capsys):
    import shutil

    from signlstm.models.vocabulary import TRUNK_MODEL

    data = str(shared_path("data", "vocab", "s23.npz"))
    assert main(["adapt", "--vocabulary", "--radius", "nan", "--data", data, "--out", str(tmp_path / "m")]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("note:")]
    assert err == ["signlstm adapt: error: --radius must be a number from 0.01 to 100 (default 1.1), got nan"]
    assert not (tmp_path / "m").exists()
    # judge vocab fits with adapt_vocab: a trunk for s23 (the shipped one, said not to have seen s23)
    shutil.copytree(TRUNK_MODEL, tmp_path / "trunks" / "s23")
    meta = json.loads((tmp_path / "trunks" / "s23" / "signlstm.json").read_text())
    meta["training"]["groups"].remove("s23")
    (tmp_path / "trunks" / "s23" / "signlstm.json").write_text(json.dumps(meta))
    assert main(["judge", "vocab", "--data", data, "--trunks", str(tmp_path / "trunks"), "--radius", "nan",
                 "--workers", "1", "--shots", "5", "--seeds", "0", "--tutorial-shots", "--streams", "0",
                 "--adapt-runs", "0"]) == 2
    err = capsys.readouterr().err
    assert "signlstm judge vocab: error: --radius must be a number from 0.01 to 100 (default 1.1), got nan" in err
    assert "Traceback" not in err


def test_a_vocabulary_from_all_of_a_large_recording_holds_one_chunk_beside_it(unseen_trunk):
    """Adapting to every recording given (no ``--shots``) reads the windows and their shifted views a chunk of 256 at
    a time: beside o04's recordings four times over (1,320, 263 MB as float32), less than the data's own size is
    allocated at once (Python's and numpy's allocations, traced); a copy of the chosen recordings and their shifted
    views would be twice that."""
    import tracemalloc

    from signlstm.datasets import concat
    from signlstm.models.vocabulary import adapt_vocab

    d = load_npz(shared_path("data", "vocab", "o04.npz"))
    d = concat([d] * 4)
    tracemalloc.start()
    try:
        b = adapt_vocab(unseen_trunk, d, shift_views=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()  # a failure here must not leave the rest of the session traced
    assert b.meta["adapted"]["sequences"] == {a: 120 for a in d.actions}
    assert peak < d.frames.nbytes, (peak, d.frames.nbytes)


def test_recordings_without_a_hand_in_view_are_left_out_so_that_windows_without_hands_stay_none(unseen_trunk):
    """MediaPipe lost o05's hand in most frames of 17 of its 30 recordings of 'f' (and of 16 of 'e'). Learnt from
    them, 'f' was the answer for windows without hands: o05's own signs with the hands gone, what a rest or a lost
    hand gives. The vocabulary leaves such recordings out, says so, and does not teach a sign left without any."""
    from signlstm.models.vocabulary import adapt_vocab
    from signlstm.recognizer import decide

    o05 = load_npz(shared_path("data", "vocab", "o05.npz"))
    hands = o05.hand_shares(np.arange(len(o05)))
    keep = np.isin(o05.labels, ["a", "b", "c", "e"]) | ((o05.labels == "f") & (hands < 0.5))
    signs = o05.subset(keep)
    signs.actions = ["a", "b", "c", "e", "f"]
    b = adapt_vocab(unseen_trunk, signs, shots=5, seed=0)
    assert b.labels == ["a", "b", "c", "e", NONE]
    note = b.meta["adapted"]["hands_unseen"]
    assert note.startswith("left out ") and "'f' 17" in note and "'e' 16" in note
    assert "'f' had no recording with the hand in view and is not taught" in note
    assert b.meta["adapted"]["sequences"]["e"] >= 1
    bare = without_hands(o05.subset(np.isin(o05.labels, ["a", "b", "c", "e", "f"])).X)
    assert (decide(b.labels, b.predict(bare)) == NONE).all()
    test = held_back(o05.subset(np.isin(o05.labels, ["a", "b", "c"])), 5)
    assert (decide(b.labels, b.predict(test.X)) == test.labels).mean() >= 0.85


def test_the_check_names_the_persons_signs_recorded_once_never_the_base_signs_kept_beside_them():
    from signlstm.models.vocabulary import look_alike

    # 'a' twice; 'b' and 'c' once each (c not checked: -1); 'kept', from the base, once
    named, y = np.array([0, 0, 1, -1, -1]), np.array([0, 0, 1, 2, 3])
    assert look_alike(named, y, ["a", "b", "c", "kept"], own=3)["unchecked"] == ["b", "c"]


def test_the_checks_shares_count_the_recordings_named_rightly_and_those_answered_none():
    from signlstm.models.vocabulary import check_lines, look_alike

    # 8 checked recordings of 'a' / 'b' (index 2 = none); one not checked (-1)
    named = np.array([0, 0, 1, 2, 1, 1, 0, 2, -1])
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1])
    check = look_alike(named, y, ["a", "b"], least=1)
    assert check["recordings"] == 8 and check["right"] == 4 / 8 and check["none"] == 2 / 8
    assert check["alike"] == [["a", "b", 2, 8]]  # a -> b once, b -> a once, of their 8 checked recordings
    assert look_alike(named, y, ["a", "b"])["alike"] == [["a", "b", 2, 8]]  # the default floor, 2 times, is reached
    assert look_alike(named, y, ["a", "b"], least=3)["alike"] == []
    assert check_lines(check)[0].endswith("50 % of 8 named rightly, 25 % answered none")


def test_a_vocabulary_of_recordings_without_hands_is_warned_about(shared, tmp_path, capsys):
    """o04's vocabulary with every hand block zeroed (MediaPipe never found the hands: a camera framing the face
    only): adapt writes the model but warns that a rest may be named a sign, as it then is; o04 as recorded is not
    warned about."""
    z = np.load(shared("data", "vocab", "o04.npz"))
    X = z["X"].copy()
    X[..., layout.LEFT_HAND.start:layout.RIGHT_HAND.stop] = 0
    np.savez(tmp_path / "o04.npz", X=X, y=z["y"], seq=z["seq"], actions=z["actions"])
    assert main(["adapt", "--vocabulary", "--data", str(tmp_path / "o04.npz"), "--out", str(tmp_path / "bare")]) == 0
    err = capsys.readouterr().err
    assert f"warning: only 0 of {len(X)} recording(s) show a hand in at least 50% of their frames" in err
    rest = without_hands(np.repeat(z["X"][:1, :1].astype(np.float32), 30, axis=1))  # o04 at rest, hands out of view
    b = load_bundle(tmp_path / "bare")
    assert b.meta["adapted"]["hands_rare"] and b.predict(rest).argmax() != b.labels.index(NONE)
    assert main(["adapt", "--vocabulary", "--data", str(shared("data", "vocab", "o04.npz")), "--out",
                 str(tmp_path / "own")]) == 0
    assert "warning" not in capsys.readouterr().err
    assert load_bundle(tmp_path / "own").meta["adapted"]["hands_rare"] is None


def test_the_base_signs_kept_weigh_no_more_than_the_persons_own_signs_in_the_classifier(o07):
    """:func:`vocab_head` with the base's signs kept after the person's (``own``): 5 recordings each of o07's a and b,
    and the 20 stored recordings each of the shipped trunk's hello, thanks and iloveyou. Each sign's prior is capped
    at the person's largest count, so all five priors are equal (uncapped, each base sign would start ln 4 ahead of
    the person's own: a person's sign near one of them would be named it)."""
    from signlstm.models.cut import trunk_forward
    from signlstm.models.vocabulary import TRUNK_MODEL, vocab_head

    Fb, Lb = _shipped_examples()
    assert {a: int((Lb == a).sum()) for a in set(Lb.tolist())} == {"hello": 20, "thanks": 20, "iloveyou": 20}
    idx = np.concatenate([np.flatnonzero(o07.labels == a)[:5] for a in ("a", "b")])
    F = np.concatenate([np.asarray(trunk_forward(load_bundle(TRUNK_MODEL).model)(o07.X[idx]), np.float32),
                        Fb.astype(np.float32)])
    signs = ["a", "b", "hello", "thanks", "iloveyou"]
    y = np.array([signs.index(a) for a in o07.labels[idx].tolist() + Lb.tolist()])
    w = vocab_head(F, y, len(signs), own=2)
    # the classifier's bias is -m.k/2 + ln(prior) for each sign's mean m and kernel column k (no views given)
    m, k, b = (w[n].astype(np.float64) for n in ("prototypes", "kernel", "bias"))
    priors = np.exp(b + 0.5 * np.sum(m * k.T, 1))
    np.testing.assert_allclose(priors, np.full(len(signs), 1 / len(signs)), rtol=1e-2)  # (float32 weights)


@pytest.fixture(scope="module")
def o07_features(o07):
    """The shipped trunk's features of six recordings of each of o07's first 10 signs, of the same windows shifted in
    time (VIEW_SHIFTS, as adapt_vocab's views), and of six recordings of each of 4 further signs nobody taught."""
    from signlstm.models.cut import split_model, trunk_forward
    from signlstm.models.vocabulary import TRUNK_MODEL, VIEW_SHIFTS, support_features

    trunk_bundle = load_bundle(TRUNK_MODEL)
    trunk = trunk_forward(trunk_bundle.model, split=split_model(trunk_bundle.model)[:2])
    rows = np.concatenate([np.flatnonzero(o07.labels == a)[:6] for a in o07.actions[:14]])
    support = o07.subset(rows)
    F, views = support_features(trunk, support)
    y = np.array([o07.actions.index(a) for a in support.labels])
    return F, views.reshape(len(VIEW_SHIFTS), len(F), -1), y


@settings(max_examples=30, deadline=None, database=None, derandomize=True)
@given(data=st.data())
def test_a_vocabulary_head_is_the_same_whatever_the_order_of_its_shots(o07_features, data):
    """Property, real trunk features of o07's signs: for any 2-6 signs taught from 1-6 shots each (any count per
    sign, the last one or two signs perhaps the base's kept signs, with or without the shifted views), the head fitted
    on the shots in any other order has the same standardisation, prototypes, radii and classifier, and answers any
    window (taught signs and untaught ones) with the same probabilities; a window's answer does not depend on the
    other windows in its batch (itself repeated, or alone)."""
    from signlstm.models.architectures import openset_probs
    from signlstm.models.vocabulary import vocab_head

    F_all, views_all, y_all = o07_features
    n = data.draw(st.integers(2, 6), label="signs")
    signs = data.draw(st.lists(st.integers(0, 9), min_size=n, max_size=n, unique=True), label="which")
    base = data.draw(st.integers(0, min(2, n - 2)), label="base signs kept")
    rows, y = [], []
    for j, s in enumerate(signs):
        k = data.draw(st.integers(1 if j < n - base else 2, 6), label=f"shots of sign {j}")
        rows += list(np.flatnonzero(y_all == s)[:k])
        y += [j] * k
    rows, y = np.array(rows), np.array(y)
    own = n - base
    mine = y < own
    use_views = data.draw(st.booleans(), label="views")
    tied = data.draw(st.booleans(), label="tied")

    def head(order):
        r, yy = rows[order], y[order]
        views = None
        if use_views:
            person = r[yy < own]
            views = (views_all[:, person].reshape(-1, F_all.shape[1]), np.tile(yy[yy < own], len(views_all)))
        return vocab_head(F_all[r], yy, n, own=own, views=views)

    order = np.array(data.draw(st.permutations(range(len(rows))), label="order"))
    w, again = head(np.arange(len(rows))), head(order)
    for key in w:
        np.testing.assert_allclose(again[key], w[key], rtol=2e-4, atol=2e-4, err_msg=key)
    queries = np.concatenate([F_all[rows], F_all[y_all >= 10][::3]])  # the shots and signs never taught
    p = openset_probs(w, queries, tied=tied)
    np.testing.assert_allclose(openset_probs(again, queries, tied=tied), p, atol=2e-4)
    i = data.draw(st.integers(0, len(queries) - 1), label="a window")
    np.testing.assert_allclose(openset_probs(w, queries[[i, i, i]], tied=tied), p[[i, i, i]], atol=1e-5)
    np.testing.assert_allclose(openset_probs(w, queries[i:i + 1], tied=tied)[0], p[i], atol=1e-5)
    assert mine.any()
