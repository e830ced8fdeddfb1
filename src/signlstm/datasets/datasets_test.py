import json
import re
import shutil
import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from signlstm import datasets
from signlstm.conftest import s02_head, shared_path
from signlstm.errors import BadInput, SignlstmError, one_line


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


def test_one_path_given_alone_is_read_as_a_list_of_it(shared):
    """``load`` and ``stream`` given one path (a str or a Path, not a list) read that file, not each of its letters
    as a path (the first, "/", the whole disk)."""
    from pathlib import Path

    path = shared("data", "signers", "s02.npz")
    whole = datasets.load([path])
    for one in (str(path), Path(path)):
        assert np.array_equal(datasets.load(one).X, whole.X)
        assert sum(len(c) for c in datasets.stream(one)) == len(whole) == 90


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



def test_a_skipped_sequence_is_reported_once_however_many_chunks_the_tree_is_read_in(tmp_path, shared, monkeypatch):
    root = _tree_with(tmp_path, shared("data", "bad_inputs", "shape99.npy"), shared)
    shutil.copy(shared("data", "bad_inputs", "shape99.npy"), root / "hello" / "0" / "5.npy")  # the first read
    monkeypatch.setattr(datasets, "CHUNK", 1)  # a chunk per sequence, as a tree of thousands is read
    d = datasets.load([root], skip_bad=True)
    assert len(d) == 2 and sorted(str(p)[len(str(root)) + 1:] for p, _ in d.skipped) == [
        "hello/0/5.npy", "thanks/1/5.npy"]


def test_truncated_sequence_is_reported(shared):
    with pytest.raises(BadInput, match=r"truncated sequence: holds 2 of 30 frames"):
        datasets.load([shared("data", "bad_inputs", "truncated_sequence")])


def test_a_lone_frame_file_is_not_a_dataset(shared):
    with pytest.raises(BadInput, match="single frame"):
        datasets.load([shared("data", "MP_Data_renotte", "hello", "30", "0.npy")])


def test_streamed_chunks_hold_the_same_sequences_as_one_load(shared):
    whole = datasets.load([shared("data", "signers", "s02.npz"), shared("data", "MP_Data_renotte")],
                          actions=["hello", "thanks", "iloveyou"])
    chunks = list(datasets.stream([shared("data", "signers", "s02.npz"), shared("data", "MP_Data_renotte")],
                                  actions=["hello", "thanks", "iloveyou"], chunk=64))
    assert [len(c) for c in chunks] == [64, 26, 64, 26]  # file after file, at most 64 at a time
    assert np.array_equal(np.concatenate([c.X for c in chunks]), whole.X)
    assert [s for c in chunks for s in c.sources] == whole.sources


def test_parts_are_held_as_float16_and_expand_to_the_same_frames(shared):
    full = datasets.load([shared("data", "signers", "s03.npz")])
    lean = datasets.load([shared("data", "signers", "s03.npz")], parts=["pose", "left_hand", "right_hand"],
                         dtype=np.float16)
    assert lean.frames[0].nbytes == 30 * 258 * 2 and full.frames[0].nbytes == 30 * 1662 * 4
    want = full.X.copy()
    want[..., 132:1536] = 0  # the face, not kept
    assert np.array_equal(lean.batch(np.arange(5, 40)), want[5:40])  # the file is float16: nothing is lost
    both = datasets.concat([lean, lean.subset(np.arange(3))])
    assert both.frames.dtype == np.float16 and both.columns is not None and len(both) == 93


def test_memory_budget_refuses_before_reading(shared, monkeypatch):
    monkeypatch.setenv("SIGNLSTM_MEMORY_LIMIT", "10M")
    with pytest.raises(BadInput, match=r"declares 180 sequences of 30 x 1662 values = 35.9 MB as float32, more than "
                                        r"the 10.0 MB"):
        datasets.load([shared("data", "signers", "s02.npz"), shared("data", "signers", "s03.npz")])
    assert len(datasets.load([shared("data", "signers", "s02.npz"), shared("data", "signers", "s03.npz")],
                             parts=["pose", "left_hand", "right_hand"], dtype=np.float16)) == 180


def _packed(tmp_path, X, **extra):
    out = tmp_path / "p01.npz"
    np.savez(out, X=X, y=np.zeros(len(X), np.int8), **extra)
    return out


def test_a_bad_value_deep_in_a_packed_file_names_its_sequence_and_frame_and_skip_bad_leaves_it_out(tmp_path, shared):
    """A sequence is named as its action and number, as the tree it came from would name it, and by its row (the
    numbers repeat from one action to the next); ``--skip-bad`` reads every other sequence."""
    with np.load(shared("data", "signers", "s04.npz")) as z:
        X, y, seq = z["X"].copy(), z["y"], z["seq"]
    X[37, 12, 600] = np.inf
    X[70, 3, 10] = 5000  # far outside any image: a mis-scaled file
    np.savez(tmp_path / "p01.npz", X=X, y=y, seq=seq)
    with pytest.raises(BadInput, match=r"p01.npz: sequence thanks/7 \(row 37\) frame 12 holds NaN or infinite"):
        list(datasets.stream([tmp_path / "p01.npz"], chunk=32))
    d = datasets.load([tmp_path / "p01.npz"], skip_bad=True)
    why = "holds NaN, infinite or far too large values"
    assert len(d) == len(X) - 2 and d.skipped == [(tmp_path / "p01.npz", f"sequence thanks/7 (row 37) {why}"),
                                                   (tmp_path / "p01.npz", f"sequence iloveyou/10 (row 70) {why}")]
    assert np.array_equal(d.X[37], X[38].astype(np.float32))
    kept = np.setdiff1d(np.arange(len(X)), [37, 70])  # each kept recording keeps its own label and number
    assert d.labels.tolist() == [["hello", "thanks", "iloveyou"][k] for k in y[kept]]
    assert d.sources == [f"{tmp_path / 'p01.npz'}#{k}" for k in seq[kept]]


def test_no_person_is_every_value_zero(shared):
    X = datasets.load_npz(shared("data", "signers", "s05.npz")).X[:4].copy()
    X[1] = 0
    X[2, :, 132:] = 0  # a pose without hands or face is still a person
    assert datasets.no_person(X).tolist() == [False, True, False, False]


def test_concat_keeps_what_the_first_part_holds(shared):
    lean = datasets.load([shared("data", "signers", "s03.npz")], parts=["pose", "left_hand", "right_hand"],
                         dtype=np.float16)
    full = datasets.load_npz(shared("data", "signers", "s04.npz"))
    both = datasets.concat([lean, full])
    assert both.frames.dtype == np.float16 and both.frames.shape == (180, 30, 258)
    want = full.X.copy()
    want[..., 132:1536] = 0
    assert np.array_equal(both.batch(np.arange(90, 180)), want)


def test_a_sequence_with_frames_beyond_the_sequence_length_is_refused(tmp_path, shared):
    root = _tree_with(tmp_path, shared("data", "MP_Data_renotte", "hello", "30", "5.npy"), shared)
    shutil.copy(shared("data", "MP_Data_renotte", "hello", "30", "0.npy"), root / "hello" / "1" / "30.npy")
    with pytest.raises(BadInput, match=r"hello/1: sequence has extra frames \[30\] beyond the 30-frame layout"):
        datasets.load([root])


def test_packed_labels_beyond_the_action_names_and_another_length_are_refused(tmp_path, shared):
    with np.load(shared("data", "signers", "s02.npz")) as z:
        arrays = {k: z[k] for k in z.files if k != "actions"}
    y = arrays["y"].copy()
    y[5] = 3  # three action names (the signers' default): labels 0..2
    np.savez(tmp_path / "p01.npz", **{**arrays, "y": y})
    with pytest.raises(BadInput, match=r"p01.npz: y holds labels 0..3 but there are 3 actions \(hello, thanks, "
                                       r"iloveyou: no actions array\), numbered 0..2"):
        datasets.load([tmp_path / "p01.npz"])
    big = arrays["y"].astype(np.uint64)
    big[5] = 2**63 + 5  # read as int64 it was a negative number: "labels -9223372036854775808.."
    np.savez(tmp_path / "p03.npz", **{**arrays, "y": big})
    with pytest.raises(BadInput, match=r"p03.npz: y holds labels 0..9223372036854775813 but"):
        datasets.load([tmp_path / "p03.npz"])
    np.savez(tmp_path / "p02.npz", **arrays, actions=np.array(["hello", "thanks"]))
    with pytest.raises(BadInput, match=r"p02.npz: y holds labels 0..2 but there are 2 actions \(its actions\), "
                                       r"numbered 0..1"):
        datasets.load([tmp_path / "p02.npz"])
    with pytest.raises(BadInput, match=r"s02.npz: sequences have 30 frames, expected 20 \(a packed file holds one length: "
                                       r"leave it out of --data, or read it with --length 30\)"):
        datasets.load([shared("data", "signers", "s02.npz")], length=20)
    np.savez(tmp_path / "p04.npz", **{**arrays, "X": arrays["X"][:, :20]})  # shorter than asked for, too
    with pytest.raises(BadInput, match=r"p04.npz: sequences have 20 frames, expected 30"):
        datasets.load([tmp_path / "p04.npz"], length=30)


def test_packed_labels_that_are_negative_too_few_or_not_integers_are_refused(tmp_path, shared):
    """s02's file with one label -1 (numpy would read it as the last action), its labels one short of its 90
    sequences, or its labels as floats: each refused in one line naming the file and the array."""
    with np.load(shared("data", "signers", "s02.npz")) as z:
        arrays = {k: z[k] for k in z.files if k != "actions"}
    negative = arrays["y"].copy()
    negative[5] = -1
    for y, said in ((negative, r"y holds labels -1..2 but there are 3 actions"),
                    (arrays["y"][:89], r"y has shape \(89,\), expected \(90,\) to match X's 90 sequences"),
                    (arrays["y"].astype(np.float64), r"y has dtype float64, expected integers")):
        np.savez(tmp_path / "p01.npz", **{**arrays, "y": y})
        with pytest.raises(BadInput, match=rf"p01.npz: {said}"):
            datasets.load([tmp_path / "p01.npz"])


def test_an_unlabelled_packed_file_numbering_each_recording_once_names_them_by_their_numbers(tmp_path, shared):
    """s02's 90 recordings without labels, numbered 100..189: read unlabelled, each is named by its own number and
    no note is made (only numbers given twice, per sign, fall back to rows)."""
    from signlstm.datasets.packed import open_npz

    with np.load(shared("data", "signers", "s02.npz")) as z:
        np.savez(tmp_path / "p.npz", X=z["X"], seq=np.arange(90) + 100)
    src = open_npz(tmp_path / "p.npz", labelled=False)
    sources = [s for chunk in src.chunks(64) for s in chunk.sources]
    assert src.note == "" and sources == [f"{tmp_path / 'p.npz'}#{n}" for n in range(100, 190)]


def test_packed_action_names_must_be_distinct(tmp_path, shared):
    with np.load(shared("data", "signers", "s02.npz")) as z:
        arrays = {k: z[k] for k in z.files}
    np.savez(tmp_path / "p01.npz", **{**arrays, "actions": np.array(["hello", "hello", "iloveyou"])})
    with pytest.raises(BadInput, match=r"p01.npz: actions 'hello' and 'hello' look the same"):
        datasets.load([tmp_path / "p01.npz"])


def test_actions_asked_for_that_the_data_lacks(shared):
    """``require_all`` (training) makes a missing action an error; otherwise it is kept in the label order, unseen."""
    with pytest.raises(SignlstmError, match=r"no sequences for action\(s\) \['bye'\] in .*s02.npz"):
        datasets.load([shared("data", "signers", "s02.npz")], actions=["hello", "bye"], require_all=True)
    d = datasets.load([shared("data", "signers", "s02.npz")], actions=["hello", "bye"])
    assert d.actions == ["hello", "bye"] and set(d.labels) == {"hello"} and len(d) == 30


def test_a_sequence_with_a_frame_missing_in_the_middle_names_it(tmp_path, shared):
    root = _tree_with(tmp_path, shared("data", "MP_Data_renotte", "hello", "30", "5.npy"), shared)
    (root / "hello" / "1" / "29.npy").rename(root / "hello" / "1" / "31.npy")  # frames 0-28 and 31: 30 files
    with pytest.raises(BadInput, match=r"hello/1: frame file\(s\) \[29\] of 0-29 missing \(the sequence holds 30"):
        datasets.load([root])


def _resampled_tree(root, shared, length, per_sign=10):
    """An MP_Data tree of s08's first ``per_sign`` recordings per sign, resampled in time (nearest frame) to
    ``length`` frames: what a user who changed the tutorial's sequence_length records."""
    with np.load(shared("data", "signers", "s08.npz")) as z:
        X, y = z["X"], z["y"]
    idx = np.clip(np.rint(np.linspace(0, 29, length)), 0, 29).astype(int)
    for k, action in enumerate(datasets.SIGNER_LABELS):
        for n, r in enumerate(np.flatnonzero(y == k)[:per_sign]):
            (root / action / str(n)).mkdir(parents=True)
            for t in range(length):
                np.save(root / action / str(n) / f"{t}.npy", X[r, idx[t]].astype(np.float64))
    return root


def test_a_tree_recorded_at_another_length_says_which_length_to_give(tmp_path, shared):
    """Every sequence 20 frames long (or 40 read as 30): the defect says so and names the --length that reads them,
    and that length does; one aborted recording among full-length ones is only that."""
    short = _resampled_tree(tmp_path / "MP_20", shared, 20, per_sign=4)
    with pytest.raises(BadInput, match=r"holds 20 of 30 frames \(recording aborted\? 12 of the 12 sequences of .*MP_20 "
                                       r"hold 20 frames: if your recordings are 20 frames long, give --length 20\)"):
        datasets.load([short])
    assert datasets.load([short], length=20).X.shape == (12, 20, 1662)
    long = _resampled_tree(tmp_path / "MP_40", shared, 40, per_sign=2)
    with pytest.raises(BadInput, match=r"extra frames .* beyond the 30-frame layout \(6 of the 6 .* give --length 40\)"):
        datasets.load([long], length=30)
    # one aborted recording among full ones: no length to give
    root = _resampled_tree(tmp_path / "MP_30", shared, 30, per_sign=2)
    for t in range(20, 30):
        (root / "thanks" / "1" / f"{t}.npy").unlink()
    with pytest.raises(BadInput) as e:
        datasets.load([root])
    assert e.value.problem == "truncated sequence: holds 20 of 30 frames (recording aborted?)"


def test_a_length_held_by_only_half_the_sequences_is_no_length_to_give(tmp_path, shared):
    """s02 resampled into a 30-frame tree, two recordings a sign, with the first three of its six sequences cut to 20
    frames: half is not most, so the real outcome is the plain defect "truncated sequence: holds 20 of 30 frames
    (recording aborted?)" with no --length to give."""
    root = _resampled_tree(tmp_path / "MP_30", shared, 30, per_sign=2)
    seqs = [d for a in sorted(p.name for p in root.iterdir()) for d in sorted((root / a).iterdir())]
    assert len(seqs) == 6
    for d in seqs[:3]:
        for t in range(20, 30):
            (d / f"{t}.npy").unlink()
    with pytest.raises(BadInput) as e:
        datasets.load([root])
    assert e.value.problem == "truncated sequence: holds 20 of 30 frames (recording aborted?)"


def test_frame_files_named_with_leading_zeros_are_named_as_such(tmp_path, shared):
    seq = tmp_path / "MP_Data" / "hello" / "0"
    seq.mkdir(parents=True)
    for t in range(30):
        shutil.copy(shared("data", "MP_Data_renotte", "hello", "30", f"{t}.npy"), seq / f"{t:02d}.npy")
    with pytest.raises(BadInput) as e:
        datasets.load([tmp_path / "MP_Data"])
    assert e.value.path == str(seq)
    assert e.value.problem == ("frame files named with leading zeros (00.npy, 01.npy, 02.npy, ...): the tutorial "
                               "layout names them 0.npy, 1.npy, ... (rename them)")
    for t in range(30):  # np.save adds .npy to a name that has it already
        (seq / f"{t:02d}.npy").rename(seq / f"{t}.npy.npy")
    with pytest.raises(BadInput, match=r"hello/0: frame files named 0.npy.npy, 1.npy.npy, 10.npy.npy, ...: the "
                                       r"tutorial layout names them 0.npy"):
        datasets.load([tmp_path / "MP_Data"])
    for t in range(30):  # the Arabic-Indic digit five: a number to int(), not a tutorial name
        (seq / f"{t}.npy.npy").rename(seq / ("\u0665.npy" if t == 5 else f"{t}.npy"))
    with pytest.raises(BadInput, match=r"frame files named with digits other than 0-9 \(\u0665.npy\)"):
        datasets.load([tmp_path / "MP_Data"])


def test_sequences_or_a_stream_saved_as_one_npy_are_not_called_frames(tmp_path, shared):
    """The tutorial's X saved with np.save is (N, 30, 1662): said to be sequences to pack with their labels; a
    (T, 1662) file is a stream to replay."""
    X = np.load(shared("data", "signers", "s08.npz"))["X"][:6]
    np.save(tmp_path / "X.npy", X)
    with pytest.raises(BadInput) as e:
        datasets.load([tmp_path / "X.npy"])
    assert e.value.problem.startswith("an array of 6 sequences of 30 frames but no labels: pack it with its labels "
                                      "as a .npz, np.savez('data.npz', X=X, y=y)")
    np.save(tmp_path / "stream.npy", X.reshape(-1, 1662))
    with pytest.raises(BadInput, match=r"a keypoint stream of 180 frames without labels \(replay it with `signlstm "
                                       r"live --source .*stream.npy`\)"):
        datasets.load([tmp_path / "stream.npy"])


def test_sequences_saved_in_fortran_order_read_as_the_same_sequences_a_chunk_at_a_time(tmp_path, shared):
    """``np.save`` of a transposed or Fortran-ordered X writes its sequences' values apart on disk: read unlabelled
    (``predict``), chunk by chunk, it gives the same sequences as the C-ordered file."""
    X = np.load(shared("data", "signers", "s08.npz"))["X"][:7]
    np.save(tmp_path / "c.npy", X)
    np.save(tmp_path / "f.npy", np.asfortranarray(X))
    (c,), (f,) = (datasets.open_sources([tmp_path / n], labelled=False) for n in ("c.npy", "f.npy"))
    got = [d.X for d in f.chunks(3)]
    assert [len(x) for x in got] == [3, 3, 1]
    np.testing.assert_array_equal(np.concatenate(got), np.concatenate([d.X for d in c.chunks(3)]))
    np.testing.assert_array_equal(np.concatenate(got), X)


def test_an_action_spelling_none_in_another_case_is_refused_by_load(shared, tmp_path):
    """'None' beside 'hello' would be trained as a sign by anything that loads data (judge, the web page): the folder
    or packed file is named; a folder called 'none' (recordings of no sign), or a 'None' the actions leave out, loads."""
    tutorial = shared("data", "MP_Data_renotte")
    for folder, sign in (("hello", "hello"), ("none", "thanks"), ("None", "iloveyou")):
        shutil.copytree(tutorial / sign / "30", tmp_path / "MP" / folder / "0")
    with pytest.raises(BadInput) as e:
        datasets.load([tmp_path / "MP"])
    assert e.value.path == str(tmp_path / "MP" / "None")
    assert e.value.problem == ("action 'None' is the rejection label 'none' in another case, not a sign name: call the "
                               "sign something else, or 'none' for recordings of no sign")
    assert datasets.load([tmp_path / "MP"], actions=["hello", "none"]).labels.tolist() == ["hello", "none"]
    with np.load(shared("data", "signers", "s08.npz")) as z:
        rows = np.concatenate([np.flatnonzero(z["y"] == k)[:2] for k in range(3)])
        np.savez(tmp_path / "p.npz", X=z["X"][rows], y=z["y"][rows], seq=z["seq"][rows],
                 actions=np.array(["hello", "NONE", "iloveyou"]))
    with pytest.raises(BadInput, match="p.npz: action 'NONE' is the rejection label 'none' in another case"):
        datasets.load([tmp_path / "p.npz"])


def test_a_folder_of_people_with_what_tools_leave_beside_them_is_still_those_people(tmp_path, shared):
    """Jupyter's checkpoints folder, macOS's ``__MACOSX`` and ``._`` files are not data, and ``.NPZ`` is ``.npz``."""
    for name in ("s02", "s03"):
        shutil.copy(shared("data", "signers", f"{name}.npz"), tmp_path / f"{name}.npz")
    (tmp_path / "s03.npz").rename(tmp_path / "s03.NPZ")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / "__MACOSX").mkdir()
    (tmp_path / "._s02.npz").write_bytes(b"\0\5\26\7 AppleDouble")
    d = datasets.load([tmp_path])
    assert sorted(set(d.groups.tolist())) == ["s02", "s03"] and len(d) == 180


def test_packed_action_names_are_read_as_sign_names(tmp_path, shared):
    """Bytes are UTF-8 text, two spellings of é are one name, and a name no folder could hold, an empty one or two
    that look the same are refused naming the file."""
    with np.load(shared("data", "signers", "s02.npz")) as z:
        arrays = {k: z[k] for k in ("X", "y", "seq")}

    def packed(actions):
        np.savez(tmp_path / "p01.npz", **arrays, actions=actions)
        return [tmp_path / "p01.npz"]

    d = datasets.load(packed(np.array(["caf\u00e9".encode(), b"thanks", "I love you".encode()])))
    assert d.actions == ["caf\u00e9", "thanks", "I love you"]
    assert datasets.load(packed(np.array(["cafe\u0301", "thanks", "x"]))).actions[0] == "caf\u00e9"
    for actions, problem in ((["a/b", "thanks", "x"], "'a/b' cannot be a folder name"),
                             (["", "thanks", "x"], "'' is empty"),
                             (["ball", "ball ", "x"], "'ball' and 'ball ' look the same"),
                             ([b"\xe9t\xe9", b"thanks", b"x"], r"b'\\xe9t\\xe9' is not UTF-8 text")):
        with pytest.raises(BadInput, match=f"p01.npz: actions: {problem}" if "look the same" not in problem
                           else f"p01.npz: actions {problem}"):
            datasets.load(packed(np.array(actions)))


def test_a_tree_with_two_folders_that_look_the_same_or_an_unnumbered_sequence_says_so(tmp_path, shared):
    src = shared("data", "MP_Data_renotte")
    root = tmp_path / "MP_Data"
    for action in ("hello", "thanks"):
        for n in ("30", "31"):
            shutil.copytree(src / action / n, root / action / n)
    (root / "thanks" / "31").rename(root / "thanks" / "abc")
    with pytest.raises(BadInput, match=r"thanks/abc: not a sequence folder \(those are numbered 0, 1, 2, ...\): "
                                       r"rename it, or pass --skip-bad"):
        datasets.load([root])
    d = datasets.load([root], skip_bad=True)
    assert len(d) == 3 and d.skipped == [(root / "thanks" / "abc", "not a sequence folder (those are numbered 0, 1, "
                                                                   "2, ...)")]
    shutil.copytree(root / "hello", root / "Hello")  # case makes another sign ("I" and "i" may be two)
    assert datasets.load([root], skip_bad=True).actions == ["Hello", "hello", "thanks"]
    shutil.copytree(root / "hello", root / "hello ")
    with pytest.raises(BadInput, match=r"MP_Data: folders 'hello' and 'hello ' look the same"):
        datasets.load([root], skip_bad=True)


def test_two_sequence_folders_with_one_number_are_named_not_read_as_two_recordings(tmp_path, shared):
    """``01`` beside ``1`` would be two recordings with one number (a fixes row for it would name both): refused
    naming the second, or with ``--skip-bad`` left out and listed; ``00``, ``01`` alone still read."""
    src = shared("data", "MP_Data_renotte")
    root = tmp_path / "MP_Data"
    for n, name in (("30", "1"), ("31", "01"), ("32", "2")):
        shutil.copytree(src / "hello" / n, root / "hello" / name)
    with pytest.raises(BadInput, match=r"hello/01: numbers the same recording as folder 1: rename it, or pass "
                                       r"--skip-bad"):
        datasets.load([root])
    d = datasets.load([root], skip_bad=True)
    assert len(d) == 2 and [s.split("/")[-1] for s in d.sources] == ["1", "2"]
    assert d.skipped == [(root / "hello" / "01", "numbers the same recording as folder 1")]
    (root / "hello" / "1").rename(root / "hello" / "00")
    assert len(datasets.load([root])) == 3


def test_data_of_two_lengths_names_the_files_of_each(tmp_path, shared):
    """Packed files of 30 and 45 frames: the files of each length are named, and --length, which cannot choose a
    packed file's length, is not offered; beside a tree, whose sequences of one length it keeps, it is."""
    with np.load(shared("data", "signers", "s02.npz")) as z:
        np.savez(tmp_path / "p45.npz", X=np.concatenate([z["X"], z["X"][:, :15]], axis=1), y=z["y"])
    with pytest.raises(SignlstmError) as e:
        datasets.load([shared("data", "signers", "s02.npz"), tmp_path / "p45.npz"])
    assert re.fullmatch(r"the data mixes sequence lengths \(30 frames: .*s02.npz; 45 frames: .*p45.npz\); give files "
                        r"of one length", str(e.value)), str(e.value)
    tree = tmp_path / "MP_Data"
    shutil.copytree(shared("data", "MP_Data_renotte", "hello", "30"), tree / "hello" / "0")
    with pytest.raises(SignlstmError, match=r"45 frames: .*p45.npz\); give files of one length, or pass --length N to "
                                            r"read a tree's N-frame sequences"):
        datasets.load([tree, tmp_path / "p45.npz"])


def test_a_packed_file_of_no_sequences_is_named(tmp_path):
    np.savez(tmp_path / "p01.npz", X=np.zeros((0, 30, 1662), np.float16), y=np.zeros(0, np.int8))
    with pytest.raises(BadInput, match=r"p01.npz: X has shape \(0, 30, 1662\): no sequences"):
        datasets.load([tmp_path / "p01.npz"])


def test_a_trees_folder_names_are_read_in_composed_form_as_actions_are_given(tmp_path, shared):
    """A folder made by a system that stores names decomposed (cafe + U+0301) is the sign 'café' that --actions,
    typed or composed by the command line, names; and __MACOSX beside the actions is not an action."""
    src = shared("data", "MP_Data_renotte")
    root = tmp_path / "MP_Data"
    shutil.copytree(src / "hello" / "30", root / "hello" / "0")
    shutil.copytree(src / "thanks" / "30", root / "cafe\u0301" / "0")
    (root / "__MACOSX" / "hello" / "0").mkdir(parents=True)
    d = datasets.load([root], actions=["hello", "caf\u00e9"])
    assert d.labels.tolist() == ["hello", "caf\u00e9"] and len(d) == 2
    assert datasets.load([root]).actions == ["caf\u00e9", "hello"]


@pytest.mark.parametrize("members", [("X",), ("X", "y"), ("y", "X")])
def test_a_packed_file_whose_directory_claims_what_its_headers_declare_is_one_line_before_any_large_allocation(
        tmp_path, members, capsys):
    """200 kB whose headers and directory both claim 10^10 sequences (997 TB; y 80 GB): every command that reads it
    ends in one line naming the file (exit 2), having read only headers; at most 100 MB were held at once (Python's
    and numpy's allocations, traced: the process's peak RSS may have been set by an earlier test)."""
    import tracemalloc

    from signlstm.cli import main
    from signlstm.limits_test import claiming_npz

    p = claiming_npz(tmp_path / "p01.npz", 10 ** 10, members)
    tracemalloc.start()
    try:
        with pytest.raises(BadInput,
                           match=r"p01.npz: (X|y).npy: its zip entry claims [\d,]+ stored bytes .* begins at"):
            list(datasets.stream(sources=datasets.open_sources([p], labelled=False)))
        if "y" in members:
            with pytest.raises(BadInput, match=r"p01.npz: (X|y).npy: its zip entry claims"):
                datasets.load([p])
        assert main(["predict", "--data", str(p)]) == 2
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()  # a failure here must not leave the rest of the session traced
    err = capsys.readouterr().err
    assert err.startswith(f"signlstm predict: error: {p}: ") and err.count("\n") == 1, err
    assert peak < 100 * 2 ** 20, peak


def test_a_damaged_member_read_whole_is_named_in_one_line(tmp_path, shared):
    """A side array (here ``actions``, 9.7 kB, stored) damaged past the part read with its header: the member is
    named, not a zipfile error."""
    import zipfile

    with np.load(shared("data", "signers", "s02.npz")) as z:
        X, y = z["X"][:4], z["y"][:4]
    p = tmp_path / "p01.npz"
    actions = np.array(["hello", "thanks", "iloveyou"] + [f"sign{i:03d}" for i in range(297)])
    np.savez(p, X=X, y=y, actions=actions)
    assert len(datasets.load([p])) == 4
    data = bytearray(p.read_bytes())
    with zipfile.ZipFile(p) as z:
        info = z.getinfo("actions.npy")
    assert info.file_size > 8192
    data[info.header_offset + info.compress_size] ^= 0xFF  # a byte of the last name, past the first 4 kB read
    p.write_bytes(bytes(data))
    with pytest.raises(BadInput, match=r"p01.npz: actions.npy is unreadable \(Bad CRC-32 for file 'actions.npy'\)$"):
        datasets.load([p])


def test_a_file_whose_chunk_the_machine_has_no_memory_for_says_so_not_that_it_is_damaged(tmp_path):
    """A sound file read on a machine without the memory for one chunk of it (here a process allowed 16 MB more
    address space than it holds, reading a 40 MB chunk) is one line saying it does not fit, not "unreadable"."""
    import subprocess
    import sys

    X = np.zeros((700, 30, 1662), np.float16)  # 70 MB of sequences, stored uncompressed
    np.savez(tmp_path / "big.npz", X=X, y=np.zeros(700, np.int64), actions=np.array(["a"]))
    code = f"""
import resource, sys
from pathlib import Path
from signlstm import datasets, limits
from signlstm.errors import BadInput
path = Path({str(tmp_path / 'big.npz')!r})
header = limits.npz_members(path)["X"].header
size = int(open("/proc/self/status").read().split("VmSize:")[1].split()[0]) * 1024
resource.setrlimit(resource.RLIMIT_AS, (size + 16 * 2**20, resource.RLIM_INFINITY))
try:
    for _ in datasets.packed_x(path, header, 400):
        pass
except BadInput as e:
    print(e)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == f"{tmp_path / 'big.npz'}: X does not fit in this machine's free memory", (out.stdout,
                                                                                                          out.stderr)


def test_a_numbered_entry_that_is_not_a_folder_or_an_action_name_with_a_line_break_is_refused(tmp_path, shared):
    """A file, a link to nothing or a loop of links named like a sequence is named (with ``--skip-bad``, left out and
    listed), never dropped without a word; an action folder whose name holds a line break, a tab or a character that
    reorders the text after it is refused, its name shown escaped."""
    src = shared("data", "MP_Data_renotte")
    root = tmp_path / "MP_Data"
    for action in ("hello", "thanks"):
        for n in ("30", "31"):
            shutil.copytree(src / action / n, root / action / n)
    odd = {"32": lambda p: shutil.copy(src / "hello" / "30" / "0.npy", p), "33": lambda p: p.symlink_to(p.parent / "x"),
           "34": lambda p: p.symlink_to(p)}
    for n, make in odd.items():
        make(root / "hello" / n)
        with pytest.raises(BadInput, match=rf"hello/{n}: named like a sequence but not a folder"):
            datasets.load([root])
        d = datasets.load([root], skip_bad=True)
        assert len(d) == 4 and [str(p) for p, _ in d.skipped] == [str(root / "hello" / n)]
        (root / "hello" / n).unlink()
    (root / "hello" / "35").symlink_to(root / "hello")  # a link to the sign's folder: no recording, and said so
    with pytest.raises(BadInput, match=r"hello/35: holds folders \(30, 31, 35\) and no frame files: a recording's"):
        datasets.load([root])
    (root / "hello" / "35").unlink()
    for name in ("a\nb", "a\tb"):
        shutil.copytree(root / "thanks", root / name)
        with pytest.raises(BadInput, match=r"the action's folder name holds a control or line-separator character"):
            datasets.load([root], skip_bad=True)
        shutil.rmtree(root / name)
    for name in ("\u202eyou", "a\u2067b"):  # a right-to-left override, a right-to-left isolate
        shutil.copytree(root / "thanks", root / name)
        with pytest.raises(BadInput, match=r"the action's folder name holds a character that reorders the text shown "
                                           r"after it") as e:
            datasets.load([root], skip_bad=True)
        shown = one_line(str(e.value))  # as the command prints it: escaped, the line read in order
        assert name not in shown and name.encode("unicode_escape").decode() in shown, shown
        shutil.rmtree(root / name)
    shutil.copytree(root / "thanks", root / "-dash")  # a sign no --actions could name
    with pytest.raises(BadInput, match=r"-dash: the action's folder name starts with '-' \(a list of --actions would"):
        datasets.load([root], skip_bad=True)
    shutil.rmtree(root / "-dash")
    assert len(datasets.load([root])) == 4


@pytest.mark.timeout(60)  # reading a pipe would wait for ever
def test_a_pipe_or_a_link_to_nothing_given_or_found_as_data_is_named_not_waited_on(tmp_path, shared):
    import os

    people = tmp_path / "people"
    people.mkdir()
    shutil.copy(shared("data", "signers", "s02.npz"), people / "s02.npz")
    (people / "s03.npz").symlink_to(tmp_path / "not_fetched.npz")  # as an unfetched git-annex file
    with pytest.raises(BadInput, match=r"s03.npz: a link to nothing \(broken, or a loop\)"):
        datasets.open_sources([people])
    (people / "s03.npz").unlink()
    os.mkfifo(people / "s04.npz")
    with pytest.raises(BadInput, match=r"s04.npz: not a regular file \(a pipe, a device or a socket\)"):
        datasets.open_sources([people])
    os.mkfifo(tmp_path / "a.npy")
    with pytest.raises(BadInput, match=r"a.npy: not a regular file"):
        datasets.open_sources([tmp_path / "a.npy"], labelled=False)


def test_a_packed_file_numbering_two_recordings_of_one_sign_alike_is_refused(tmp_path, shared):
    """Fixes and reports name a packed recording by file, number and sign: two alike would be one."""
    with np.load(shared("data", "signers", "s02.npz")) as z:
        X, seq = z["X"][:6], z["seq"][:6]
    assert len(datasets.load_npz(_packed(tmp_path, X, seq=seq))) == 6  # y all 0 in _packed: numbers distinct
    np.savez(tmp_path / "p02.npz", X=X, y=np.array([0, 0, 1, 1, 2, 2]), seq=np.array([0, 1, 0, 1, 0, 1]))
    assert len(datasets.load_npz(tmp_path / "p02.npz")) == 6  # the same number for two signs is two recordings
    np.savez(tmp_path / "p03.npz", X=X, y=np.array([0, 0, 1, 1, 2, 2]), seq=np.array([0, 1, 0, 0, 0, 1]))
    with pytest.raises(BadInput, match=r"p03.npz: seq gives 2 recordings of 'thanks' the same number 0"):
        datasets.load_npz(tmp_path / "p03.npz")


def test_a_file_given_twice_is_named_rather_than_counted_twice(shared, tmp_path):
    import os
    import shutil

    signers, s02 = shared("data", "signers"), shared("data", "signers", "s02.npz")
    shutil.copy(s02, tmp_path / "a.npz")
    os.link(tmp_path / "a.npz", tmp_path / "b.npz")  # a hard link: one file under two names
    with pytest.raises(BadInput, match=r"b.npz: given twice in the data \(also as .*a.npz\)"):
        datasets.open_sources([tmp_path / "a.npz", tmp_path / "b.npz"])
    with pytest.raises(BadInput, match=r"s02.npz: given twice in the data \(also as .*s02.npz\)"):
        datasets.open_sources([signers, s02])
    with pytest.raises(BadInput, match=r"MP_Data_renotte: given twice"):
        datasets.open_sources([shared("data", "MP_Data_renotte"), str(shared("data", "MP_Data_renotte")) + "/."])
    assert len(datasets.open_sources([signers, shared("data", "vocab", "s23.npz")])) == 23  # s23 in two folders


@pytest.mark.parametrize("make", ["fifo", "device"])
def test_a_frame_file_that_is_a_pipe_or_a_device_is_named_as_such(shared, tmp_path, make):
    """A frame's name on a named pipe, or a link to /dev/zero, was reported as a missing frame (or the tree as
    29-frame sequences): now the file itself, and what it is."""
    import os
    import shutil

    seq = tmp_path / "MP_Data" / "hello" / "0"
    shutil.copytree(shared("data", "MP_Data_renotte", "hello", "30"), seq)
    (seq / "5.npy").unlink()
    os.mkfifo(seq / "5.npy") if make == "fifo" else os.symlink("/dev/zero", seq / "5.npy")
    with pytest.raises(BadInput) as e:
        datasets.load([tmp_path / "MP_Data"])
    assert e.value.path == str(seq / "5.npy") and e.value.problem.startswith("not a regular file"), e.value


def test_layouts_people_make_instead_of_the_tutorials_are_named_with_what_to_do(tmp_path, shared):
    """A folder holding the tree, a sign folder of one .npy per recording, a recording saved as one .npy, frames
    numbered from 1, people's packed files in folders or beside one, and one sign's or one recording's folder of a
    tree given for the tree: each is one line saying what the layout wants, naming the folder (the packed files and
    the recording were not named: "no sequence folders"; a sign's folder was taken for a tree of signs)."""
    import numpy as np

    good = shared("data", "MP_Data_renotte", "hello", "30")
    frames = np.stack([np.load(good / f"{i}.npy") for i in range(30)])
    shutil.copytree(good, tmp_path / "project" / "MP_Data" / "hello" / "0")
    (tmp_path / "per_recording" / "hello").mkdir(parents=True)
    np.save(tmp_path / "per_recording" / "hello" / "0.npy", frames)
    (tmp_path / "one_file" / "hello" / "0").mkdir(parents=True)
    np.save(tmp_path / "one_file" / "hello" / "0" / "sequence.npy", frames)
    for i in range(30):
        (tmp_path / "from_one" / "hello" / "0").mkdir(parents=True, exist_ok=True)
        np.save(tmp_path / "from_one" / "hello" / "0" / f"{i + 1}.npy", frames[i])
    for folder in ("grouped/group1", "grouped/group2", "beside/notes"):  # people's packed files in folders, or beside one
        (tmp_path / folder).mkdir(parents=True)
    shutil.copy(shared("data", "signers", "s02.npz"), tmp_path / "grouped" / "group1" / "nina.npz")
    shutil.copy(shared("data", "signers", "s02.npz"), tmp_path / "beside" / "alice.npz")
    for root, where, said in (
            ("grouped", "grouped", f"holds folders of packed files (group1/nina.npz): give each folder "
                                   f"({tmp_path / 'grouped' / 'group1'}, ...) instead"),
            ("beside", "beside", "holds packed files (alice.npz) beside folders and no sequence folders: a folder of "
                                 "packed files holds nothing else"),
            ("project", "project", "holds a tree of sign folders in MP_Data/ (MP_Data/<action>/<number>/): give "
                                   f"{tmp_path / 'project' / 'MP_Data'} instead"),
            ("per_recording", "per_recording/hello", "holds 0.npy and no sequence folders: the tutorial's layout is a "
                                                     "folder per recording"),
            ("one_file", "one_file/hello/0", "holds sequence.npy and no frame files: the tutorial's layout is one file "
                                             "per frame, 0.npy to 29.npy"),
            ("from_one", "from_one/hello/0", "its frame files are numbered 1 to 30; the tutorial's start at 0"),
            ("project/MP_Data/hello", "project/MP_Data/hello", "is one sign's folder (<number>/<frame>.npy): give the "
                                                               f"tree above it, {tmp_path / 'project' / 'MP_Data'} "
                                                               "(with --actions hello, for a command that takes it)"),
            ("project/MP_Data/hello/0", "project/MP_Data/hello/0", "is one recording's folder (<frame>.npy): give the "
                                                                   f"tree, {tmp_path / 'project' / 'MP_Data'} (with "
                                                                   "--actions hello, for a command that takes it)")):
        with pytest.raises(BadInput) as e:
            datasets.load([tmp_path / root])
        assert e.value.path == str(tmp_path / where) and said in e.value.problem, (root, str(e.value))
    assert len(datasets.load([tmp_path / "project" / "MP_Data"])) == 1


def test_a_folder_numbered_in_other_digits_than_0_to_9_is_not_a_sequence(tmp_path, shared):
    """A sequence folder named in Arabic-Indic digits (``٣``, which ``int`` reads as 3) is no tutorial sequence: the
    real outcome is that it is named as "not a sequence folder" (with ``--skip-bad``, left out and listed), never
    loaded as sequence 3 beside the renotte tree's 30 and 31."""
    src = shared("data", "MP_Data_renotte")
    root = tmp_path / "MP_Data"
    for action in ("hello", "thanks"):
        for n in ("30", "31"):
            shutil.copytree(src / action / n, root / action / n)
    shutil.copytree(src / "hello" / "30", root / "hello" / "\u0663")
    with pytest.raises(BadInput, match=r"not a sequence folder"):
        datasets.load([root])
    d = datasets.load([root], skip_bad=True)
    assert len(d) == 4 and [str(p) for p, _ in d.skipped] == [str(root / "hello" / "\u0663")]


def test_tutorial_trees_are_their_folders_people_and_shared_names_are_noted(shared, tmp_path, capsys):
    """Every tutorial user's tree is named MP_Data: ``alice/MP_Data`` and ``bob/MP_Data`` are two people, alice and
    bob (a tree of another name is its own); two packed files of one name are one person, which evaluate says."""
    from signlstm.cli import main

    for person in ("alice", "bob"):
        shutil.copytree(shared("data", "MP_Data_renotte", "hello", "30"), tmp_path / person / "MP_Data" / "hello" / "0")
    trees = [tmp_path / "alice" / "MP_Data", tmp_path / "bob" / "MP_Data"]
    assert sorted(set(datasets.load(trees).groups.tolist())) == ["alice", "bob"]
    assert datasets.shared_names_note(datasets.open_sources(trees)) is None
    assert set(datasets.load([shared("data", "MP_Data_renotte")]).groups.tolist()) == {"MP_Data_renotte"}
    for person, signer in (("alice", "s02"), ("bob", "s03")):
        shutil.copyfile(shared("data", "signers", f"{signer}.npz"), tmp_path / person / "p.npz")
    files = [str(tmp_path / "alice" / "p.npz"), str(tmp_path / "bob" / "p.npz")]
    assert main(["evaluate", "--data", *files, *map(str, trees), "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == (f"note: read as one person each (a file's or a tree's name is its person): {files[0]} and "
                   f"{files[1]} as 'p'; if they are different people, rename their files\n")
    assert sorted(json.loads(out)["per_signer"]) == ["alice", "bob", "p"]


def test_a_tree_whose_folder_holds_a_hash_is_named_by_its_folder_and_its_recordings_by_their_numbers(shared, tmp_path):
    """A '#' belongs to a packed file's recording name (``s02.npz#3``) only: a tree in ``my#data`` is named
    ``my#data`` in messages (not ``my``), and its recordings keep their folder numbers and are each kept once as
    other signs."""
    from signlstm.datasets.dataset import data_name
    from signlstm.datasets.training_sets import usable_negatives
    from signlstm.judging.audit import _seq_number

    tree = tmp_path / "my#data"
    for sign, n in (("hello", "30"), ("hello", "31"), ("thanks", "30")):
        shutil.copytree(shared("data", "MP_Data_renotte", sign, n), tree / sign / n)
    d = datasets.load([tree])
    assert data_name(d) == str(tree)
    assert [_seq_number(s, -1) for s in d.sources] == [30, 31, 30]
    assert usable_negatives(d, ["iloveyou"]).all()
    packed = datasets.load([shared("data", "signers", "s02.npz")])
    assert data_name(packed) == str(shared("data", "signers", "s02.npz")) and _seq_number(packed.sources[31], -1) == 1


def test_concat_orders_the_labels_as_first_held_and_leaves_out_actions_no_part_holds(shared):
    """s02's thanks then s03's hello and iloveyou: the label order (a model's outputs) is the order in which the
    parts hold the labels, and an action a part only lists (s02's, after the subset) is no output of the result."""
    s02, s03 = (datasets.load_npz(shared("data", "signers", f"{p}.npz")) for p in ("s02", "s03"))
    both = datasets.concat([s02.subset(s02.labels == "thanks"), s03.subset(s03.labels == "iloveyou"),
                            s03.subset(s03.labels == "hello")])
    assert both.actions == ["thanks", "iloveyou", "hello"]
    assert both.y.tolist() == [0] * 30 + [1] * 30 + [2] * 30


def test_concat_converts_a_part_of_several_chunks_row_for_row(shared):
    """The other signs folder (459 recordings, read as 1662 float32 values: two chunks of 256) joined after a lean
    float16 part (pose + hands): every converted recording is at its own row, the second chunk's too."""
    lean = datasets.load([shared("data", "signers", "s03.npz")], parts=["pose", "left_hand", "right_hand"],
                         dtype=np.float16)
    other = datasets.load([shared("data", "other_signs")])
    assert len(other) > datasets.CHUNK
    both = datasets.concat([lean, other])
    want = other.X.astype(np.float16).astype(np.float32)
    want[..., 132:1536] = 0
    assert np.array_equal(both.batch(np.arange(len(lean), len(both))), want)
    assert both.sources[len(lean):] == other.sources


def test_skip_bad_with_actions_still_reports_the_skipped_sequences(tmp_path, shared):
    """``train --actions ... --skip-bad``: keeping only the asked actions still reports the sequence left out."""
    root = _tree_with(tmp_path, shared("data", "bad_inputs", "shape99.npy"), shared)
    d = datasets.load([root], actions=["thanks", "hello"], skip_bad=True)
    assert len(d) == 3 and d.actions == ["thanks", "hello"]
    assert len(d.skipped) == 1 and "thanks/1/5.npy" in str(d.skipped[0][0])
    assert "1 x " in datasets.describe_skipped(d.skipped)


_BAD_VALUES = (np.nan, np.inf, -np.inf, 5000.0, -1e30)


@settings(max_examples=40, deadline=None, database=None, derandomize=True)
@given(data=st.data(), N=st.integers(1, 7), T=st.integers(1, 4), chunk=st.integers(1, 8),
       dtype=st.sampled_from(["<f4", ">f4", "<f8", ">f8", "<f2"]), y_dtype=st.sampled_from(["<i8", ">i4", "u1", "<u8"]),
       compressed=st.booleans(), fortran=st.booleans(), skip_bad=st.booleans())
def test_any_packed_file_reads_back_exactly_in_chunks_of_any_size_and_skip_bad_drops_exactly_its_bad_rows(
        tmp_path_factory, data, N, T, chunk, dtype, y_dtype, compressed, fortran, skip_bad):
    """Property, real frames (s02) saved by ``np.savez`` (or compressed) with any float type and byte order, labels
    of any integer type, sequence numbers or none, the actions' names or none, and bad values (NaN, infinite, far
    outside any image) in rows Hypothesis picks: a file ``open_npz`` accepts reads back in chunks of any size as the
    float32 of what is stored, row for row, labelled and named (``file#number``) as stored; ``skip_bad`` leaves out
    exactly the bad rows, each listed once by its sign and number, and without it the first bad row is named."""
    from signlstm.datasets.dataset import packed_source
    from signlstm.errors import BadInput

    X = s02_head()["X"][:N, :T].astype(dtype)
    actions = data.draw(st.one_of(st.none(), st.lists(st.sampled_from(["hello", "thanks", "ñandú", "e\u0301", "Hi 2",
                                                                       "none"]), min_size=1, max_size=4, unique=True)),
                        label="actions")
    names = [unicodedata.normalize("NFC", a) for a in actions] if actions else ["hello", "thanks", "iloveyou"]
    y = np.array(data.draw(st.lists(st.integers(0, len(names) - 1), min_size=N, max_size=N), label="y"), y_dtype)
    seq = data.draw(st.one_of(st.none(), st.lists(st.integers(0, 10**6), min_size=N, max_size=N, unique=True)),
                    label="seq")
    bad = sorted(data.draw(st.sets(st.integers(0, N - 1), max_size=N), label="bad rows"))
    for i in bad:
        t, v = data.draw(st.integers(0, T - 1), label="frame"), data.draw(st.integers(0, 1661), label="value")
        with np.errstate(over="ignore"):  # -1e30 in float16: infinite, bad all the same
            X[i, t, v] = data.draw(st.sampled_from(_BAD_VALUES), label="bad value")
    arrays = {"X": np.asfortranarray(X) if fortran else X, "y": y}
    if seq is not None:
        arrays["seq"] = np.array(seq, ">i8")
    if actions:
        arrays["actions"] = np.array(actions)
    path = tmp_path_factory.mktemp("packed") / "p07.npz"
    (np.savez_compressed if compressed else np.savez)(path, **arrays)
    try:
        src = datasets.open_npz(path, skip_bad=skip_bad)
    except BadInput as e:
        assert fortran and "order" in e.problem.lower(), e  # the only file here it may refuse
        return
    numbers = np.arange(N) if seq is None else np.array(seq)
    ids = [f"{names[y[i]]}/{numbers[i]} (row {i})" for i in range(N)]
    if bad and not skip_bad:
        with pytest.raises(BadInput, match=re.escape(f"sequence {ids[bad[0]]} frame ")):
            list(src.chunks(chunk))
        return
    parts = list(src.chunks(chunk))
    assert all(len(p) <= chunk for p in parts) and src.count == N and src.seq_len == T
    good = [i for i in range(N) if i not in bad]
    frames = np.concatenate([p.X for p in parts])
    assert frames.dtype == np.float32 and np.array_equal(frames, X[good].astype(np.float32))
    assert np.concatenate([p.labels for p in parts]).tolist() == [names[y[i]] for i in good]
    assert sum((p.sources for p in parts), []) == [packed_source(path, numbers[i]) for i in good]
    assert sum((p.skipped for p in parts), []) == [
        (path, f"sequence {ids[i]} holds NaN, infinite or far too large values") for i in bad]
    assert np.array_equal(datasets.load([path], skip_bad=skip_bad).X, frames)


def test_stream_reads_unlabelled_sequences_when_told_to(shared, tmp_path):
    """An .npy array of s02's 90 sequences (what ``predict`` reads): ``stream`` refuses it as data to learn from,
    and with ``labelled=False`` gives its 90 sequences, unlabelled, as they are."""
    X = datasets.load([shared("data", "signers", "s02.npz")]).X
    np.save(tmp_path / "seqs.npy", X)
    with pytest.raises(BadInput, match="an array of 90 sequences of 30 frames but no labels") as e:
        list(datasets.stream([tmp_path / "seqs.npy"]))
    assert e.value.path == str(tmp_path / "seqs.npy")
    got = np.concatenate([c.X for c in datasets.stream([tmp_path / "seqs.npy"], labelled=False)])
    assert np.array_equal(got, X)
