"""Sequences written in the tutorial tree: numbered after the highest, whole or not at all."""
import os
import signal

import numpy as np
import pytest

from signlstm import datasets
from signlstm.datasets import sequence_writer
from signlstm.errors import SignlstmError


def test_writer_numbers_after_the_highest_and_leaves_nothing_on_failure(tmp_path, monkeypatch):
    w = sequence_writer.SequenceWriter(tmp_path)
    (tmp_path / "hello" / "7").mkdir(parents=True)
    frames = np.random.default_rng(0).random((30, 1662))
    assert w.write("hello", frames).name == "8"

    real_save, calls = np.save, []

    def interrupted_at_frame_12(path, arr):  # a real Ctrl-C (SIGINT to this process) while frame 12 is saved
        calls.append(path)
        if len(calls) == 12:
            os.kill(os.getpid(), signal.SIGINT)
        real_save(path, arr)

    monkeypatch.setattr(sequence_writer.np, "save", interrupted_at_frame_12)
    with pytest.raises(KeyboardInterrupt):
        w.write("hello", frames)
    monkeypatch.undo()
    assert sorted(p.name for p in (tmp_path / "hello").iterdir()) == ["7", "8"]
    d = datasets.load_mp_data(tmp_path, length=30, skip_bad=True)
    assert len(d) == 1 and np.allclose(d.X[0], frames)


def test_the_writer_refuses_none_in_another_case_and_writes_none(shared, tmp_path):
    seq = shared("data", "MP_Data_renotte", "hello", "30")
    frames = np.stack([np.load(seq / f"{t}.npy") for t in range(30)])
    w = sequence_writer.SequenceWriter(tmp_path / "MP")
    with pytest.raises(SignlstmError, match="action 'None' is the rejection label 'none' in another case"):
        w.write("None", frames)
    assert not (tmp_path / "MP").exists()
    assert w.write("none", frames) == tmp_path / "MP" / "none" / "0"
    d = datasets.load([tmp_path / "MP"])
    assert d.labels.tolist() == ["none"] and np.array_equal(d.X[0], frames.astype(np.float32))


def test_the_plan_counts_only_what_each_sign_lacks_and_a_sequence_with_a_gap_is_not_whole(shared, tmp_path):
    """``collect``'s plan and pre-check on a real tree (MP_Data_renotte's 30 hello, two of its thanks): a sign that
    already has more sequences than asked needs none (never a negative count that would shorten the run), and a
    sequence folder of 30 frame files numbered 0-28 and 30 is named as not whole though its count is right."""
    import shutil

    root = tmp_path / "MP"
    shutil.copytree(shared("data", "MP_Data_renotte", "hello"), root / "hello")
    for n in ("30", "31"):
        shutil.copytree(shared("data", "MP_Data_renotte", "thanks", n), root / "thanks" / n)
    w = sequence_writer.SequenceWriter(root)
    actions = ["hello", "thanks", "iloveyou"]
    assert w.still_to_record(actions, 20) == {"hello": 0, "thanks": 18, "iloveyou": 20}
    assert w.still_to_record(actions, 30) == {"hello": 0, "thanks": 28, "iloveyou": 30}
    assert w.unlike(actions, 30) is None
    gap = root / "thanks" / "31"
    (gap / "29.npy").rename(gap / "30.npy")
    assert len(list(gap.glob("*.npy"))) == 30
    assert w.unlike(actions, 30) == (gap, "holds 30 frame file(s), not the frames 0-29 of a whole sequence")


def test_frames_are_saved_as_the_tutorial_saves_them(shared, tmp_path):
    """``extract --data`` and the web page hand the writer float32 keypoints (MediaPipe's, s02's recordings here);
    every frame file is a (1662,) float64 array as the tutorial's ``np.save`` writes it, holding the same values."""
    X = datasets.load_npz(shared("data", "signers", "s02.npz")).X[:2]
    w = sequence_writer.SequenceWriter(tmp_path / "MP")
    for x in X:
        w.write("hello", x)
    for n, x in enumerate(X):
        files = [np.load(tmp_path / "MP" / "hello" / str(n) / f"{t}.npy") for t in range(30)]
        assert {(f.dtype, f.shape) for f in files} == {(np.dtype(np.float64), (1662,))}
        assert np.array_equal(np.stack(files), x)


def test_a_sign_whose_folder_is_in_another_unicode_form_is_recorded_on_in_that_folder(shared, tmp_path):
    """A tree copied from a Mac keeps "a\u00f1o" as "an" + combining tilde + "o": recording the sign again (its name
    typed, composed) goes on in that folder, numbered after its recording, so the tree still holds one sign."""
    import shutil
    import unicodedata

    root = tmp_path / "MP"
    decomposed = unicodedata.normalize("NFD", "a\u00f1o")
    shutil.copytree(shared("data", "MP_Data_renotte", "hello", "30"), root / decomposed / "0")
    w = sequence_writer.SequenceWriter(root)
    assert w.still_to_record(["a\u00f1o"], 3) == {"a\u00f1o": 2}
    assert w.write("a\u00f1o", datasets.load_npz(shared("data", "signers", "s02.npz")).X[0]) == root / decomposed / "1"
    assert [p.name for p in root.iterdir()] == [decomposed]
    d = datasets.load([root])
    assert d.actions == ["a\u00f1o"] and len(d) == 2
