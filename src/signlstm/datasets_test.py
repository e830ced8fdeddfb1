import shutil

import numpy as np
import pytest

from signlstm import datasets
from signlstm.errors import BadInput


def test_tutorial_data_loads_to_its_90_sequences(shared):
    d = datasets.load_mp_data(shared("data", "MP_Data_renotte"), actions=["hello", "thanks", "iloveyou"])
    assert d.X.shape == (90, 30, 1662) and d.X.dtype == np.float32
    assert d.actions == ["hello", "thanks", "iloveyou"]
    assert {a: int((d.labels == a).sum()) for a in d.actions} == {"hello": 30, "thanks": 30, "iloveyou": 30}
    assert d.sources[0].endswith("hello/30")


def test_packed_file_holds_the_same_recordings_as_the_tutorial_tree(shared):
    tree = datasets.load_mp_data(shared("data", "MP_Data_renotte"), actions=["hello", "thanks", "iloveyou"])
    packed = datasets.load_npz(shared("data", "signers", "renotte.npz"))
    assert packed.actions == ["hello", "thanks", "iloveyou"]
    assert set(packed.groups) == {"renotte"}
    assert np.array_equal(packed.labels, tree.labels)
    assert np.abs(packed.X - tree.X).max() < 2e-3  # float16 storage


def test_folder_of_packed_files_carries_signer_ids(shared):
    d = datasets.load([shared("data", "signers")])
    assert len(set(d.groups)) == 22 and len(d) == 22 * 90 + 30 - 3
    assert d.actions == ["hello", "thanks", "iloveyou"]


def test_other_signs_keep_their_own_action_names(shared):
    d = datasets.load_npz(shared("data", "other_signs", "o04.npz"))
    assert len(d) == 90 and "india" in d.actions


def _tree_with(tmp_path, bad_file, shared):
    """An MP_Data tree of two good sequences with one frame replaced by a defective real file."""
    good = shared("data", "MP_Data_renotte", "hello", "30")
    for action in ("hello", "thanks"):
        for n in (0, 1):
            shutil.copytree(good, tmp_path / "MP_Data" / action / str(n))
    shutil.copy(bad_file, tmp_path / "MP_Data" / "thanks" / "1" / "5.npy")
    return tmp_path / "MP_Data"


BAD = {
    "shape1704_float64.npy": "(1704,)",
    "shape258_float64_noface.npy": "without the face",
    "shape258_float32_noface.npy": "without the face",
    "shape126_handsonly.npy": "both hands only",
    "shape99.npy": "without visibility",
    "shape63_onehand.npy": "single hand",
    "shape150.npy": "(150,)",
    "git_lfs_pointer.npy": "Git LFS pointer",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_each_bad_frame_is_named_with_its_defect(tmp_path, shared, name):
    root = _tree_with(tmp_path, shared("data", "bad_inputs", name), shared)
    with pytest.raises(BadInput) as e:
        datasets.load([root])
    assert e.value.path.endswith("thanks/1/5.npy")
    assert BAD[name] in str(e.value)


def test_skip_bad_keeps_the_good_sequences(tmp_path, shared):
    root = _tree_with(tmp_path, shared("data", "bad_inputs", "shape99.npy"), shared)
    d = datasets.load([root], skip_bad=True)
    assert len(d) == 3 and len(d.skipped) == 1 and "thanks/1/5.npy" in d.skipped[0][0]


def test_truncated_sequence_is_reported(shared):
    with pytest.raises(BadInput, match=r"truncated sequence: holds 2 of 30 frames"):
        datasets.load([shared("data", "bad_inputs", "truncated_sequence")])


def test_a_lone_frame_file_is_not_a_dataset(shared):
    with pytest.raises(BadInput, match="single frame"):
        datasets.load([shared("data", "MP_Data_renotte", "hello", "30", "0.npy")])


def test_writer_numbers_after_the_highest_and_leaves_nothing_on_failure(tmp_path, monkeypatch):
    w = datasets.SequenceWriter(tmp_path)
    (tmp_path / "hello" / "7").mkdir(parents=True)
    frames = np.random.default_rng(0).random((30, 1662))
    assert w.write("hello", frames).name == "8"

    real_save, calls = np.save, []

    def interrupted_at_frame_12(path, arr):
        calls.append(path)
        if len(calls) == 12:
            raise KeyboardInterrupt
        real_save(path, arr)

    monkeypatch.setattr(np, "save", interrupted_at_frame_12)
    with pytest.raises(KeyboardInterrupt):
        w.write("hello", frames)
    monkeypatch.undo()
    assert sorted(p.name for p in (tmp_path / "hello").iterdir()) == ["7", "8"]
    d = datasets.load_mp_data(tmp_path, length=30, skip_bad=True)
    assert len(d) == 1 and np.allclose(d.X[0], frames)
