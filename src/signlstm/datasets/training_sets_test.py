"""The training sets: signs, then other people's signs and no-hand windows as none."""
import numpy as np
import pytest

from signlstm import datasets
from signlstm.datasets import training_sets
from signlstm.errors import BadInput
from signlstm.sign_names import NONE, sign_key


def test_negatives_leave_out_the_signs_themselves_and_repeated_recordings(shared):
    """o06's whole vocabulary holds its own hello and "thank you"; its other_signs file repeats 66 of its recordings."""
    whole = datasets.load([shared("data", "vocab", "o06.npz")])
    subset = datasets.load([shared("data", "other_signs", "o06.npz")])
    both = datasets.concat([whole, subset])
    keep = training_sets.usable_negatives(both, list(datasets.SIGNER_LABELS))
    kept = set(both.labels[keep])
    assert "hello" in whole.actions and "thank you" in whole.actions
    assert not kept & {"hello", "thank you"} and {"bye", "please", "y"} <= kept
    assert keep[len(whole):].sum() == 0  # every other_signs recording is one of the vocabulary's
    assert keep[:len(whole)].sum() == len(whole) - 60  # 30 hello + 30 thank you
    assert sign_key("Thank_You") == sign_key("thanks") != sign_key("thank")


def test_no_hand_windows_are_none_without_hands_and_every_third_an_empty_room(shared):
    from signlstm import layout

    data = datasets.load_npz(shared("data", "signers", "s02.npz"))
    neg = training_sets.no_hand_windows(data, share=0.3, seed=0)
    assert len(neg) == 27 and set(neg.labels) == {NONE} and set(neg.groups) == {"s02"}
    assert not layout.hands_present(neg.X).any()
    empty = datasets.no_person(neg.X)
    assert empty.tolist() == [k % 3 == 0 for k in range(27)]
    assert neg.X[~empty][..., layout.POSE.start:layout.POSE.stop].any(axis=(1, 2)).all()  # the person stays


def test_the_training_set_puts_none_after_the_signs(shared):
    """The label order is the model's output order (a bundle's ``labels``): the signs as the data orders them, then
    ``none`` for the other signs and the no-hand windows."""
    data = datasets.load_npz(shared("data", "signers", "s02.npz"))
    ts = training_sets.training_set(data, negatives=[shared("data", "other_signs", "o01.npz")], synthetic=0.25)
    assert ts.actions == ["hello", "thanks", "iloveyou", NONE]
    assert (ts.y[:90] == data.y).all() and (ts.y[90:] == 3).all() and (ts.labels[90:] == NONE).all()


def test_a_training_set_of_signs_with_no_person_in_any_frame_is_refused_whatever_the_negatives(shared):
    """Every trainer (train, judge's folds) builds its set here: other people's recordings of other signs beside
    them must not hide that the signs' recordings are empty (a file of zeros, a camera that saw nobody)."""
    data = datasets.load_npz(shared("data", "signers", "s02.npz"))
    nobody = datasets.Dataset(np.zeros_like(data.X), data.labels, data.groups, data.sources, data.actions)
    with pytest.raises(BadInput, match=r"no person in any frame of its 90 sequence\(s\)"):
        training_sets.training_set(nobody, negatives=[shared("data", "other_signs", "o01.npz")])
    assert len(training_sets.training_set(data, negatives=[shared("data", "other_signs", "o01.npz")])) > len(data)


def test_two_people_recording_one_sign_under_one_number_are_two_recordings(shared):
    """A repeated recording is the same person's sign and number: ../shared/data/other_signs (the shipped model's
    negatives) holds several people who recorded the same other sign under the same numbers (o04 and o07 among
    them), and every one of its 459 recordings is kept as a negative, each person's all."""
    other = datasets.load([shared("data", "other_signs")])
    keep = training_sets.usable_negatives(other, list(datasets.SIGNER_LABELS))
    assert len(other) == keep.sum() == 459
    assert {g: int(keep[other.groups == g].sum()) for g in sorted(set(other.groups))} == {
        "o01": 20, "o02": 20, "o03": 20, "o04": 90, "o05": 78, "o06": 66, "o07": 90, "s23": 75}

    def keys(person):
        return {(sign_key(x), s.rsplit("#", 1)[1]) for x, s, g in zip(other.labels, other.sources, other.groups)
                if g == person}

    assert keys("o04") & keys("o07")  # the case this test is about is in the data


def test_a_held_out_persons_other_signs_are_not_trained_as_none(shared):
    """s23 recorded the signs and other signs (../shared/data/other_signs/s23.npz): a training set holding s23 out,
    as the fold base that judges s23 is built, holds none of s23's recordings, of the signs or of other signs; with
    s23 kept, their 75 other-sign recordings are among the none examples."""
    data = datasets.load([shared("data", "signers", f"{p}.npz") for p in ("s02", "s23")])
    negatives = [shared("data", "other_signs", f"{p}.npz") for p in ("o01", "s23")]
    held = training_sets.training_set(data, negatives=negatives, held_out=["s23"], synthetic=0)
    assert "s23" not in set(held.groups.tolist()) and (held.labels == NONE).sum() == 20  # o01's 20
    kept = training_sets.training_set(data, negatives=negatives, synthetic=0)
    assert ((kept.groups == "s23") & (kept.labels == NONE)).sum() == 75


def test_negatives_of_which_some_can_be_trained_as_none_teach_something(shared):
    """o06's whole vocabulary beside a model of hello, thanks and iloveyou: its hello and "thank you" cannot be
    trained as none, its other signs can, so it is no problem; its hello and "thank you" alone are one."""
    whole = datasets.load([shared("data", "vocab", "o06.npz")])
    assert training_sets.negatives_problem(whole, list(datasets.SIGNER_LABELS)) is None
    theirs = whole.subset(np.isin(whole.labels, ["hello", "thank you"]))
    assert training_sets.negatives_problem(theirs, list(datasets.SIGNER_LABELS)).startswith(
        "none of its 60 recordings can be trained as 'none'")


def test_the_training_set_leaves_out_negatives_that_are_its_signs_and_makes_no_hand_windows_of_signs_only(shared):
    """o06's whole vocabulary as negatives beside s02's hello, thanks and iloveyou: its 30 hello and 30 "thank you"
    are not trained as none, its other signs are. s02 with its hello recordings labelled none (recordings of no
    sign): the no-hand windows are a share of its 60 sign recordings, not of all 90."""
    s02 = datasets.load_npz(shared("data", "signers", "s02.npz"))
    whole = datasets.load([shared("data", "vocab", "o06.npz")])
    ts = training_sets.training_set(s02, negatives=whole, synthetic=0)
    assert (ts.labels == NONE).sum() == len(whole) - 60
    labels = np.where(s02.labels == "hello", NONE, s02.labels)
    nones = datasets.Dataset(s02.X, labels, s02.groups, s02.sources, ["thanks", "iloveyou", NONE])
    ts = training_sets.training_set(nones, negatives=[], synthetic=0.5)
    assert len(ts) == 90 + 30 and (ts.labels == NONE).sum() == 30 + 30
