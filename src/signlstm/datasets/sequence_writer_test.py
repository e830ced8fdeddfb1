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
