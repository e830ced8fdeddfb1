"""Keypoint .npy files checked before they are trusted: real defective frame files named with their defect, a saved
stream read whole and memory-mapped alike, and a header that declares too much refused before any data is read."""
import shutil

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from signlstm.errors import BadInput
from signlstm.datasets import load_npz
from signlstm.keypoint_files import check_frame, map_keypoint_file, read_frame, read_keypoint_file


@pytest.mark.parametrize("name,problem", [
    ("shape258_float64_noface.npy", "(258,)"),
    ("shape126_handsonly.npy", "both hands only"),
    ("shape99.npy", "without visibility"),
    ("git_lfs_pointer.npy", "Git LFS pointer"),
])
def test_a_real_defective_frame_file_is_named_with_its_defect(shared, name, problem):
    path = shared("data", "bad_inputs", name)
    with pytest.raises(BadInput) as e:
        read_frame(path)
    assert e.value.path == str(path) and problem in e.value.problem


def test_a_tutorial_frame_reads_as_1662_float32_values(shared):
    path = shared("data", "MP_Data_renotte", "hello", "30", "0.npy")
    frame = read_frame(path)
    assert frame.shape == (1662,) and frame.dtype == np.float32
    assert np.array_equal(frame, np.load(path).astype(np.float32))


def test_a_saved_stream_reads_whole_and_memory_mapped_alike(shared, tmp_path):
    X = np.load(shared("data", "signers", "s02.npz"))["X"][:3].reshape(-1, 1662)  # 90 frames, float16
    path = tmp_path / "stream.npy"
    for stored in (X, np.asfortranarray(X)):  # in either order, the frames as saved
        np.save(path, stored)
        whole, mapped = read_keypoint_file(path), map_keypoint_file(path)
        assert whole.shape == mapped.shape == (90, 1662) and whole.dtype == np.float32
        assert np.array_equal(whole, X.astype(np.float32)) and np.array_equal(np.asarray(mapped, np.float32), whole)
    with pytest.raises(BadInput, match="truncated: holds"):  # the last frame's bytes cut off
        path.write_bytes(path.read_bytes()[:-100])
        map_keypoint_file(path)


def test_a_header_declaring_more_than_the_memory_budget_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "huge.npy"
    with open(path, "wb") as f:  # a header that declares 10^9 frames, and one frame of data
        np.lib.format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False, "shape": (10**9, 1662)})
        f.write(np.zeros(1662, np.float32).tobytes())
    monkeypatch.setenv("SIGNLSTM_MEMORY_LIMIT", "64M")
    with pytest.raises(BadInput) as e:
        read_keypoint_file(path)
    assert e.value.path == str(path) and "6.6 TB, more than the 64.0 MB" in e.value.problem


def test_a_frame_with_nan_is_named_by_its_index():
    frame = np.zeros(1662, np.float16)
    assert check_frame("s.npy", 3, frame).dtype == np.float32
    frame[700] = np.nan
    with pytest.raises(BadInput, match="frame 41 holds NaN"):
        check_frame("s.npy", 41, frame)


def test_a_frame_saved_with_a_batch_axis_reads_as_its_one_frame(shared, tmp_path):
    """np.save of ``keypoints[None]``, (1, 1662), is one frame: read as the (1662,) frame it holds, so a tree of
    them loads as the tutorial tree does."""
    from signlstm.datasets import load_mp_data

    seq = shared("data", "MP_Data_renotte", "hello", "30")
    (tmp_path / "MP_Data" / "hello" / "0").mkdir(parents=True)
    for t in range(30):
        np.save(tmp_path / "MP_Data" / "hello" / "0" / f"{t}.npy", np.load(seq / f"{t}.npy")[None])
    frame = read_frame(tmp_path / "MP_Data" / "hello" / "0" / "5.npy")
    assert frame.shape == (1662,) and np.array_equal(frame, np.load(seq / "5.npy").astype(np.float32))
    assert np.array_equal(load_mp_data(tmp_path / "MP_Data").X[0], np.stack([read_frame(seq / f"{t}.npy")
                                                                              for t in range(30)]))


def test_several_frames_where_one_was_expected_are_counted_not_called_another_layout(shared, tmp_path):
    np.save(tmp_path / "5.npy", np.load(shared("data", "signers", "s08.npz"))["X"][:2, :3])
    with pytest.raises(BadInput) as e:
        read_frame(tmp_path / "5.npy")
    assert e.value.problem == ("frame has shape (2, 3, 1662), expected (1662,): an array of 6 frames of 1662 values "
                               "where one frame was expected")
    for shape, said in (((), "frame has shape (), expected (1662,): one number, not a frame"),
                        ((1662, 1), "shape (1662, 1): 1662 values in each column, not in each row: frames are rows "
                                    "(is it transposed?)")):
        np.save(tmp_path / "5.npy", np.zeros(shape, np.float32))
        with pytest.raises(BadInput) as e:
            read_frame(tmp_path / "5.npy")
        assert e.value.problem == said
    X = np.load(shared("data", "signers", "s08.npz"))["X"][:2]  # packed sequences stored transposed: said so too
    np.savez(tmp_path / "t.npz", X=X.transpose(0, 2, 1), y=np.zeros(2, int))
    with pytest.raises(BadInput, match=r"t.npz: X: shape \(2, 1662, 30\): 1662 values in each column, not in each "
                                       r"row: frames are rows \(is it transposed\?\)"):
        load_npz(tmp_path / "t.npz")


def test_a_stream_written_in_parts_is_one_file_and_nothing_when_interrupted(shared, tmp_path):
    """StreamWriter: parts of a real stream make the same .npy as the whole; stopped before commit, no file and no
    temp file remain."""
    from signlstm.keypoint_files import StreamWriter

    X = np.load(shared("data", "signers", "s02.npz"))["X"][:3].astype(np.float32)  # 3 sequences of 30 frames
    with StreamWriter(tmp_path / "s.npy") as w:
        for seq in X:
            w.write(seq)
        w.commit()
    assert np.array_equal(np.load(tmp_path / "s.npy"), X.reshape(-1, 1662))
    with pytest.raises(KeyboardInterrupt), StreamWriter(tmp_path / "t.npy") as w:
        w.write(X[0])
        raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.npy"]


def test_values_far_outside_any_image_are_named_where_frames_are_checked(shared, tmp_path):
    """A value of 1e30 is finite but no keypoint (the shared recordings' largest magnitude is about 4): refused with
    the file, the sequence and the frame, by a frame file's, a stream's and a packed file's checks alike (training
    on it gave a model of NaN weights). Values within the bound, negative ones included, are read."""
    from signlstm.datasets import load
    from signlstm.keypoint_files import MAX_VALUE, check_frames

    assert 1e3 <= MAX_VALUE <= 1e4
    real = np.load(shared("data", "MP_Data_renotte", "hello", "30", "0.npy"))
    huge = real.copy()
    huge[700] = 1e30
    np.save(tmp_path / "0.npy", huge)
    with pytest.raises(BadInput, match=r"0.npy: holds the value 1e\+30, far outside any image"):
        read_frame(tmp_path / "0.npy")
    with pytest.raises(BadInput, match=r"s.npy: frame 5 holds the value -1e\+30"):
        check_frame("s.npy", 5, -huge)
    with np.load(shared("data", "signers", "s02.npz")) as z:
        X = z["X"][:3].astype(np.float32)
    X[2, 17, 40] = 2e5
    with pytest.raises(BadInput, match=r"s02.npz: sequence 12 frame 17 holds the value 2e\+05"):
        check_frames("s02.npz", X, seq_ids=[10, 11, 12])
    X[2, 17, 40] = -MAX_VALUE
    assert check_frames("s02.npz", X).shape == X.shape
    root = tmp_path / "tree"
    for action in ("hello", "thanks"):
        shutil.copytree(shared("data", "MP_Data_renotte", action, "30"), root / action / "0")
    np.save(root / "thanks" / "0" / "12.npy", huge)
    with pytest.raises(BadInput, match=r"thanks/0/12.npy: holds the value 1e\+30"):
        load([root])


def test_frames_of_holistic_with_the_irises_or_without_visibility_say_so(tmp_path):
    """Two layouts people save by changing the tutorial's code: refined face landmarks (478 face points) and the pose
    without its visibility column."""
    for n, said in ((1692, "refine_face_landmarks=True"), (1629, "without the pose's visibility")):
        np.save(tmp_path / f"{n}.npy", np.zeros(n))
        with pytest.raises(BadInput, match=said):
            read_frame(tmp_path / f"{n}.npy")


def test_a_sequence_of_frame_files_reads_as_each_file_alone_and_its_defects_name_the_file(shared, tmp_path):
    """read_frames: the tutorial's 30 frame files of one recording, one of them saved as float64, give what read_frame
    gives for each; a NaN names its file, and a file of another layout is named first even after a NaN."""
    from signlstm.keypoint_files import read_frames

    seq = shutil.copytree(shared("data", "MP_Data_renotte", "hello", "30"), tmp_path / "0")
    np.save(seq / "9.npy", np.load(seq / "9.npy").astype(np.float64))
    files = [seq / f"{t}.npy" for t in range(30)]
    frames = read_frames(files)
    assert frames.dtype == np.float32 and np.array_equal(frames, np.stack([read_frame(f) for f in files]))
    bad = np.load(seq / "20.npy")
    bad[1000] = np.nan
    np.save(seq / "20.npy", bad)
    with pytest.raises(BadInput) as e:
        read_frames(files)
    assert e.value.path == str(seq / "20.npy") and e.value.problem == "holds NaN or infinite values"
    shutil.copy(shared("data", "bad_inputs", "shape99.npy"), seq / "25.npy")
    with pytest.raises(BadInput) as e:
        read_frames(files)
    assert e.value.path == str(seq / "25.npy") and "without visibility" in e.value.problem


def test_a_stream_saved_in_fortran_order_replays_frame_for_frame_as_the_same_stream_in_c_order(shared, tmp_path):
    """``np.save`` of a transposed array writes it in Fortran order (frames not contiguous on disk): replayed block
    by block (``live --source``), it gives the same frames as the C-order file."""
    from signlstm.frames.sources import KeypointReplay
    from signlstm.keypoint_files import keypoint_blocks

    frames = np.load(shared("data", "signers", "s02.npz"))["X"][:3].reshape(-1, 1662).astype(np.float32)
    np.save(tmp_path / "c.npy", frames)
    np.save(tmp_path / "f.npy", np.asfortranarray(frames))
    assert np.array_equal(np.concatenate(list(keypoint_blocks(tmp_path / "f.npy", size=7))), frames)
    replay, read = KeypointReplay(tmp_path / "f.npy"), []
    while (frame := replay.read()) is not None:
        read.append(frame)
    assert np.array_equal(np.stack(read), frames)


def test_frames_whose_parts_are_in_another_order_are_named_as_such(shared, tmp_path):
    """Some users' extract_keypoints concatenate pose, hands, face: still 1662 values, read silently, scored at chance.
    With the hands out of view, such a frame's face block is zero in its first 42 points and not after, which a face
    mesh never gives: a tree, a packed file and a replayed stream say so (no frame of ../shared does)."""
    from signlstm import datasets, layout
    from signlstm.frames.sources import KeypointReplay

    z = np.load(shared("data", "signers", "s13.npz"))
    X = z["X"][:4].astype(np.float32)
    hands = slice(layout.LEFT_HAND.start, layout.RIGHT_HAND.stop)
    X[:, :5, hands] = 0  # the hands out of view in the first frames, as at a rest
    other = np.concatenate([X[..., :layout.FACE.start], X[..., hands], X[..., layout.FACE.slice]], axis=-1)
    np.savez(tmp_path / "p.npz", X=other, y=z["y"][:4], seq=z["seq"][:4])
    for n, frame in enumerate(other[0]):
        (tmp_path / "MP_Data" / "hello" / "0").mkdir(parents=True, exist_ok=True)
        np.save(tmp_path / "MP_Data" / "hello" / "0" / f"{n}.npy", frame)
    np.save(tmp_path / "stream.npy", other.reshape(-1, 1662))
    for source in (tmp_path / "p.npz", tmp_path / "MP_Data"):
        with pytest.raises(BadInput, match="look concatenated in another order than the tutorial's pose, face"):
            datasets.load([source])
    with pytest.raises(BadInput, match=r"stream.npy: frame 0 has a face block that is zero in its first 42 points"):
        KeypointReplay(tmp_path / "stream.npy").read()
    assert len(datasets.load([shared("data", "signers", "s13.npz")])) == 90  # the tutorial's order: read


@pytest.mark.parametrize("name", ["shape258_float64_noface.npy", "shape258_float32_noface.npy"])
def test_a_pose_and_hands_frame_is_refused_naming_convert(shared, tmp_path, name):
    """The real 258-value frames (pose + both hands, no face) are refused by the readers with the way out, `signlstm
    convert`; a saved stream of such frames too."""
    path = shared("data", "bad_inputs", name)
    with pytest.raises(BadInput) as e:
        read_frame(path)
    assert e.value.problem == (
        "frame has shape (258,), expected (1662,): looks like pose + both hands without the face (258 values), not "
        "MediaPipe Holistic's 1662-value layout: `signlstm convert --data <its MP_Data folder, .npz or .npy stream> "
        "--camera <its camera's shape, e.g. 16:9> --out <a new name>` copies the data into that layout, the face "
        "zeroed (the shipped models do not read it)")
    stream = tmp_path / "stream.npy"
    np.save(stream, np.stack([np.load(path)] * 5))
    with pytest.raises(BadInput) as e:
        read_keypoint_file(stream)
    assert e.value.problem == ("shape (5, 258): frames of 258 values, expected 1662: looks like pose + both hands "
                               "without the face (258 values), not MediaPipe Holistic's 1662-value layout: `signlstm "
                               "convert --data <its MP_Data folder, .npz or .npy stream> --camera <its camera's shape, "
                               "e.g. 16:9> --out <a new name>` copies the data into that layout, the face zeroed (the "
                               "shipped models do not read it)")


def test_missing_frame_files_are_listed_whole_up_to_five_then_counted(shared, tmp_path):
    """A tutorial sequence folder (a real one of MP_Data) with frame files missing in its middle is named with the
    numbers missing: all five when five are missing, the first five and how many more when six are."""
    from signlstm import datasets

    seq = tmp_path / "MP_Data" / "hello" / "0"
    shutil.copytree(shared("data", "MP_Data_renotte", "hello", "30"), seq)
    for n in range(10, 15):
        (seq / f"{n}.npy").unlink()
    with pytest.raises(BadInput) as e:
        datasets.load([tmp_path / "MP_Data"])
    assert "frame file(s) [10, 11, 12, 13, 14] of 0-29 missing (the sequence holds 25 frame files)" in str(e.value)
    (seq / "15.npy").unlink()
    with pytest.raises(BadInput) as e:
        datasets.load([tmp_path / "MP_Data"])
    assert ("frame file(s) [10, 11, 12, 13, 14, ... (1 more)] of 0-29 missing (the sequence holds 24 frame files)"
            in str(e.value))


@settings(max_examples=30, deadline=None, database=None, derandomize=True)
@given(sizes=st.lists(st.integers(0, 7), min_size=1, max_size=6), start=st.integers(0, 80),
       dtype=st.sampled_from(["<f4", ">f4", "<f8", "<f2"]), one=st.booleans(), block=st.integers(1, 9))
def test_any_parts_written_to_a_stream_read_back_as_their_concatenation(tmp_path_factory, sizes, start, dtype, one,
                                                                         block):
    """Property, real frames (s02's, one after another) cut into parts of any sizes (empty ones too), of any float type and byte order, a one-frame part given as a (1662,) frame or not: the committed stream
    reads back (whole, memory-mapped, and in blocks of any size) as the float32 of their concatenation, in a new
    folder, nothing else left beside it."""
    from signlstm.conftest import s02_head
    from signlstm.keypoint_files import StreamWriter, keypoint_blocks

    from hypothesis import assume

    assume(sum(sizes) > 0)  # a stream of no frames is refused by its readers: no stream
    frames = s02_head()["X"][:5].reshape(-1, 1662)[start:start + sum(sizes)]
    parts = np.split(frames.astype(dtype), np.cumsum(sizes)[:-1])
    out = tmp_path_factory.mktemp("stream") / "new" / "s.npy"
    with StreamWriter(out) as w:
        for p in parts:
            w.write(p[0] if one and len(p) == 1 else p)
        w.commit()
    want = np.concatenate(parts).astype(np.float32)
    assert sorted(q.name for q in out.parent.iterdir()) == ["s.npy"]
    got = read_keypoint_file(out)
    assert got.dtype == np.float32 and np.array_equal(got, want)
    assert np.array_equal(map_keypoint_file(out), want)
    assert np.array_equal(np.concatenate(list(keypoint_blocks(out, block))), want)


def test_an_empty_part_adds_nothing_to_a_stream(shared, tmp_path):
    """A part of no frames (as a filter that keeps none of a block gives it; found by the property above, where it
    raised TypeError) appends nothing; the frames around it are the stream."""
    from signlstm.keypoint_files import StreamWriter

    X = np.load(shared("data", "signers", "s02.npz"))["X"][0].astype(np.float32)
    with StreamWriter(tmp_path / "s.npy") as w:
        w.write(X[:0])
        w.write(X[:2])
        w.commit()
    assert np.array_equal(read_keypoint_file(tmp_path / "s.npy"), X[:2])


def test_a_pose_visibility_above_one_is_not_a_pose_mediapipe_gives(shared):
    """Real pose + both hands frames of s02, widened: as recorded they are a pose MediaPipe gives; one visibility
    of 1 still is; one a hair above 1 (a probability cannot be) or below 0 is not."""
    from signlstm import layout
    from signlstm.keypoint_files import not_pose_hands

    X = np.load(shared("data", "signers", "s02.npz"))["X"][0].astype(np.float32)  # 30 frames
    keep = np.r_[layout.POSE.slice, layout.LEFT_HAND.start:layout.RIGHT_HAND.stop]
    frames = layout.with_zero_face(X[:, keep])
    assert not not_pose_hands(frames).any()
    for value, odd in ((1.0, False), (1.01, True), (-0.01, True)):
        bad = frames.copy()
        bad[4, layout.POSE.start + 4 * 7 + 3] = value  # point 7's visibility, in frame 4
        assert not_pose_hands(bad).tolist() == [k == 4 and odd for k in range(30)], value


@pytest.mark.timeout(60)  # opening a pipe nobody writes to waits for ever
def test_a_stream_name_on_a_pipe_is_named_as_such_not_waited_on(tmp_path):
    """A named pipe (or a device) under a stream's name: its header is not read, by the reader or by ``convert``, and
    nothing is written. A link to a stream file, or a link to that link, is the file: read."""
    import os

    from signlstm.datasets.convert import convert
    from signlstm.keypoint_files import read_keypoint_header

    os.mkfifo(tmp_path / "pipe.npy")
    for call in (lambda: read_keypoint_header(tmp_path / "pipe.npy"),
                 lambda: convert(tmp_path / "pipe.npy", "16:9", tmp_path / "out.npy")):
        with pytest.raises(BadInput, match=r"pipe.npy: not a regular file \(a pipe, a device or a socket\)"):
            call()
    with pytest.raises(BadInput, match=r"null: not a regular file"):
        read_keypoint_header("/dev/null")
    assert not (tmp_path / "out.npy").exists()
    np.save(tmp_path / "real.npy", np.zeros((3, 1662), np.float32))
    os.symlink(tmp_path / "real.npy", tmp_path / "link.npy")
    os.symlink(tmp_path / "link.npy", tmp_path / "link2.npy")
    assert read_keypoint_header(tmp_path / "link2.npy").shape == (3, 1662)
