"""The spotting recipe's batches: windows of one person's synthetic streams with their targets, and the recipe they
train."""
import numpy as np
import pytest

from signlstm import layout
from signlstm.datasets import load
from signlstm.datasets.training_sets import training_set
from signlstm.layout import hand_share
from signlstm.models.spotting_batches import SpottingBatches
from signlstm.sign_names import NONE


@pytest.fixture(scope="module")
def train():
    from signlstm.conftest import shared_path

    data = load([shared_path("data", "signers", f) for f in ("s02.npz", "s03.npz", "s04.npz")])
    return training_set(data, negatives=[shared_path("data", "other_signs", "o01.npz")])


def test_spotting_batches_are_windows_of_one_persons_streams_with_their_targets(train):
    batches = SpottingBatches(train, np.arange(len(train)), None, 64, None, seed=0, steps=3)
    assert len(batches) == 3 and batches.people == ["s02", "s03", "s04"]
    none = train.actions.index(NONE)
    frames, spans, classes = batches.stream()
    signs = [c for c in classes if c != none]
    assert 3 <= len(signs) <= 15 and 2 <= len(classes) - len(signs) <= 6
    # the recordings are the dataset's own; the signs one person's, the others another person's and never blank
    rows = {train.batch([i])[0].tobytes(): i for i in range(len(train))}
    used = [rows[frames[a:b].tobytes()] for a, b in spans]
    assert len({train.groups[i] for i in used if train.y[i] != none}) == 1
    assert all(hand_share(train.batch([i]))[0] > 0 for i in used if train.y[i] == none)
    X, Y = batches[0]
    assert X.shape == (64, train.seq_len, layout.FRAME_SIZE) and Y.shape == (64, len(train.actions))
    assert np.allclose(Y.sum(1), 1) and (Y[:, :none].sum(1) > 0.5).sum() >= 8  # half the windows near a sign's end


def test_the_spotting_recipe_trains_a_bundle_that_names_its_rule(train, tmp_path, capsys):
    from signlstm.cli import main
    from signlstm.conftest import shared_path
    from signlstm.recognizer import Recognizer
    from signlstm.models.training import fit

    bundle = fit(train, "spotting", epochs=1, progress=False)
    assert bundle.meta["rule"] == "spot" and bundle.labels[-1] == NONE
    assert Recognizer(bundle).rule == "spot"
    # without other signs to be silent on: one line, exit status 2, nothing written
    out = tmp_path / "spotting"
    assert main(["train", "--arch", "spotting", "--data", str(shared_path("data", "signers", "s02.npz")),
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--negatives" in err and not out.exists()


def test_a_streams_rejection_recordings_are_always_another_persons(shared):
    """Real s02 and s03 recordings with 'hello' relabelled as the rejection label, so each person has signs and
    rejection-label recordings of their own: over 40 streams, every rejection-label recording in a stream belongs to
    the other person, never to the one whose signs the stream shows (the model must not learn to reject the signer's
    own recordings)."""
    data = load([shared("data", "signers", f) for f in ("s02.npz", "s03.npz")]).renamed({"hello": NONE})
    none = data.actions.index(NONE)
    assert {data.groups[i] for i in np.flatnonzero(data.y == none)} == {"s02", "s03"}  # both people have some
    batches = SpottingBatches(data, np.arange(len(data)), None, 32, None, seed=0)
    rows = {data.batch([i])[0].tobytes(): i for i in range(len(data))}
    seen = 0
    for _ in range(40):
        frames, spans, classes = batches.stream()
        used = [rows[frames[a:b].tobytes()] for a, b in spans]
        (person,) = {data.groups[i] for i in used if data.y[i] != none}
        rejected = [data.groups[i] for i in used if data.y[i] == none]
        assert 2 <= len(rejected) <= 6 and person not in rejected, (person, rejected)
        seen += len(rejected)
    assert seen >= 80


def test_a_streams_signs_are_one_to_five_recordings_of_each_sign_that_show_a_hand_in_half_their_frames(train):
    """s02-s04 hold 12 sign recordings with a hand in under half their frames (hands out of view: no sign to learn
    to say); over 40 streams none of them is used, and each stream holds every sign of its person 1 to 5 times,
    every count from 1 to 5 drawn."""
    batches = SpottingBatches(train, np.arange(len(train)), None, 64, None, seed=0)
    none = train.actions.index(NONE)
    signs = np.flatnonzero(train.y != none)
    poor = {train.batch([i])[0].tobytes() for i in signs[train.hand_shares(signs) < layout.SIGN_HANDS]}
    assert len(poor) == 12
    counts = set()
    for _ in range(40):
        frames, spans, classes = batches.stream()
        said = [c for c in classes if c != none]
        assert sum(frames[a:b].tobytes() in poor for (a, b), c in zip(spans, classes) if c != none) == 0
        assert set(said) == {0, 1, 2}
        counts |= {said.count(c) for c in (0, 1, 2)}
    assert counts == {1, 2, 3, 4, 5}


def test_half_of_each_streams_windows_end_within_12_frames_of_a_recordings_end(train):
    """A batch's windows come half from near the recordings' ends (where the targets change) and half from
    anywhere: over 10 streams (5 batches of 2, each stream seen as its batch is made), every stream has at least 16
    of its 32 windows ending within 12 frames of a recording's last frame, and at least 70 % of all 320 do (half
    drawn there, the other half landing there about 60 % of the time: about 80 %); windows drawn anywhere alone
    end there about 60 % of the time (192 of 320 with this seed)."""
    batches = SpottingBatches(train, np.arange(len(train)), None, 64, None, seed=1, steps=5)
    made, stream = [], batches.stream
    batches.stream = lambda: made.append(stream()) or made[-1]  # each stream recorded as the batch takes it
    T, near_counts = train.seq_len, []
    for k in range(5):
        X, _ = batches[k]
        for s, (frames, spans, _) in enumerate(made[-2:]):
            end_of = {frames[e - T + 1:e + 1].tobytes(): e for e in range(T - 1, len(frames))}
            last = np.array([stop - 1 for _, stop in spans])
            ends = np.array([end_of[x.tobytes()] for x in X[32 * s:32 * (s + 1)]])
            near_counts.append(int((np.abs(ends[:, None] - last[None]) <= 12).any(1).sum()))
    assert len(made) == 10 and min(near_counts) >= 16 and sum(near_counts) >= 224, near_counts
