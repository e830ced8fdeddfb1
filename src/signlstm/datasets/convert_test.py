"""signlstm convert on real data: s04 (recorded at 16:9) becomes a 4:3 image's keypoints, in the input's own form;
a 4:3 person's data is left alone; defective input and taken outputs are one line, and nothing is left behind."""
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from signlstm.datasets import convert as convert_mod
from signlstm import datasets, layout
from signlstm.datasets.sequence_writer import SequenceWriter
from signlstm.keypoints.camera_shape import face_ratios, shape_from_ratios
from signlstm.cli import main
from signlstm.errors import BadInput


def _tree(root, X, y, actions=datasets.SIGNER_LABELS, per_action=2):
    """An MP_Data tree of ``per_action`` sequences of each action of ``X`` (frames float64, as the tutorial's)."""
    writer = SequenceWriter(root)
    for label, action in enumerate(actions):
        for i in np.flatnonzero(y == label)[:per_action]:
            writer.write(action, X[i])
    return root


def _files(root):
    return sorted(p.relative_to(root) for p in root.rglob("*"))


def _leftovers(folder, keep):
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_npz_auto_is_converted_as_16_9_in_its_own_form(shared, tmp_path, capsys):
    src = shared("data", "signers", "s04.npz")
    out = tmp_path / "s04_43.npz"
    assert main(["convert", "--data", str(src), "--camera", "auto", "--out", str(out)]) == 0
    said = capsys.readouterr()
    assert said.err == "" and said.out.splitlines() == [
        f"converted 90 sequence(s) of 3 action(s) from {src} (16:9 as its face mesh says, estimate 1.77: x and z "
        f"scaled by 1.333) to {out}"]
    before, after = np.load(src), np.load(out)
    assert shape_from_ratios(face_ratios(before["X"])).name == "16:9"
    assert shape_from_ratios(face_ratios(after["X"])).name == "4:3"
    assert after.files == before.files and after["X"].dtype == before["X"].dtype == np.float16
    assert np.array_equal(after["X"], layout.to_reference_aspect(before["X"], 16, 9).astype(np.float16))
    assert not np.array_equal(after["X"], before["X"])
    for k in before.files:
        if k != "X":
            assert after[k].dtype == before[k].dtype and np.array_equal(after[k], before[k]), k
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out) as b:  # same members, order and compression
        assert [(i.filename, i.compress_type) for i in a.infolist()] == [(i.filename, i.compress_type)
                                                                        for i in b.infolist()]
    data = datasets.load([out])
    assert len(data) == 90 and data.actions == list(datasets.SIGNER_LABELS)
    assert np.array_equal(data.frames, after["X"].astype(np.float32))
    assert _leftovers(tmp_path, {out.name}) == []


def test_the_library_takes_the_camera_as_the_command_writes_it(shared, tmp_path):
    """``convert`` given the camera as text ("16:9", as ``--camera`` takes it) writes the same file as given the
    parsed camera; a length below 1 is refused as the command refuses it, for one file and a folder of people."""
    from signlstm.errors import SignlstmError

    src = shared("data", "signers", "s04.npz")
    convert_mod.convert(src, "16:9", tmp_path / "text.npz")
    convert_mod.convert(src, convert_mod.parse_camera("16:9"), tmp_path / "parsed.npz")
    assert (tmp_path / "text.npz").read_bytes() == (tmp_path / "parsed.npz").read_bytes()
    with pytest.raises(SignlstmError, match="--length must be a number of frames from 1 to 1000, got 0"):
        convert_mod.convert(src, "16:9", tmp_path / "zero.npz", length=0)
    assert not (tmp_path / "zero.npz").exists()
    with pytest.raises(SignlstmError, match="--length must be a number of frames from 1 to 1000, got 0"):
        convert_mod.convert_people(shared("data", "signers"), "16:9", tmp_path / "people", length=0)
    assert not (tmp_path / "people").exists()


def test_tree_is_converted_frame_by_frame_with_the_same_names(shared, tmp_path, capsys):
    z = np.load(shared("data", "signers", "s04.npz"))
    root = _tree(tmp_path / "MP_Data", z["X"], z["y"])
    out = tmp_path / "sub" / "MP_Data43"
    assert main(["convert", "--data", str(root), "--camera", "1280x720", "--out", str(out)]) == 0
    said = capsys.readouterr()
    assert said.err == "" and said.out.splitlines() == [
        f"converted 6 sequence(s) of 3 action(s) from {root} (1280x720: x and z scaled by 1.333) to {out}"]
    assert _files(out) == _files(root) and len(list(out.rglob("*.npy"))) == 6 * 30
    for f in root.rglob("*.npy"):
        a, b = np.load(f), np.load(out / f.relative_to(root))
        assert b.dtype == a.dtype == np.float64 and b.shape == a.shape == (layout.FRAME_SIZE,)
        assert np.array_equal(b, layout.to_reference_aspect(a, 1280, 720)), f
    assert shape_from_ratios(face_ratios(datasets.load_mp_data(out).X)).name == "4:3"
    assert _leftovers(out.parent, {out.name}) == []


def test_tree_of_a_4_3_person_with_auto_writes_nothing(shared, tmp_path, capsys):
    src = shared("data", "MP_Data_renotte")
    out = tmp_path / "converted"
    assert main(["convert", "--data", str(src), "--camera", "auto", "--out", str(out)]) == 0
    said = capsys.readouterr()
    assert said.err == "" and len(said.out.splitlines()) == 1
    assert said.out.startswith(f"nothing to convert: {src} holds a 4:3 image's keypoints (4:3 as its face mesh says")
    assert list(tmp_path.iterdir()) == []


def test_a_camera_the_face_mesh_contradicts_is_named(shared, tmp_path, capsys):
    """s02 looks 4:3: converting it as 16:9 works as asked, with one warning line (data converted twice?)."""
    out = tmp_path / "s02.npz"
    assert main(["convert", "--data", str(shared("data", "signers", "s02.npz")), "--camera", "16:9", "--out",
                 str(out)]) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("warning: ") and "looks 4:3" in err[0] and out.is_file()



def test_a_camera_given_as_an_image_size_of_the_shape_the_face_mesh_says_is_not_warned_of(shared, tmp_path, capsys):
    """s04 looks 16:9: converting it as 1280x720 (a 16:9 image's size) says one line and no warning, and writes the
    same copy as ``--camera 16:9``; as 720x1280 (9:16, a shape it does not look) it is warned of, naming the shape."""
    src = shared("data", "signers", "s04.npz")
    assert main(["convert", "--data", str(src), "--camera", "1280x720", "--out", str(tmp_path / "a.npz")]) == 0
    said = capsys.readouterr()
    assert said.err == "" and said.out.splitlines() == [
        f"converted 90 sequence(s) of 3 action(s) from {src} (1280x720: x and z scaled by 1.333) to {tmp_path / 'a.npz'}"]
    assert main(["convert", "--data", str(src), "--camera", "16:9", "--out", str(tmp_path / "b.npz")]) == 0
    assert capsys.readouterr().err == ""
    assert np.array_equal(np.load(tmp_path / "a.npz")["X"], np.load(tmp_path / "b.npz")["X"])
    result = convert_mod.convert(src, convert_mod.parse_camera("720x1280"), tmp_path / "c.npz")
    assert result.warning is not None and "looks 16:9" in result.warning and "not 720x1280 (9:16)" in result.warning
    # given as 4:3 (nothing to convert, nothing written) it is warned of too: it was recorded otherwise
    assert main(["convert", "--data", str(src), "--camera", "4:3", "--out", str(tmp_path / "d.npz")]) == 0
    said = capsys.readouterr()
    assert said.out.startswith("nothing to convert: ") and not (tmp_path / "d.npz").exists()
    assert said.err.count("\n") == 1 and "looks 16:9" in said.err and "not 4:3" in said.err, said.err

def test_auto_without_a_face_is_refused_asking_for_camera(shared, tmp_path, capsys):
    z = np.load(shared("data", "signers", "s04.npz"))
    X = z["X"][:6].copy()
    X[..., layout.FACE.slice] = 0
    root = _tree(tmp_path / "MP_Data", X, z["y"][:6], actions=["hello"], per_action=6)
    assert main(["convert", "--data", str(root), "--camera", "auto", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and str(root) in err[0] and "give --camera" in err[0]
    assert _leftovers(tmp_path, {"MP_Data"}) == []


@pytest.mark.parametrize("name", ["shape258_float64_noface.npy", "git_lfs_pointer.npy", "shape1704_float64.npy"])
def test_a_bad_frame_late_in_the_tree_is_one_line_and_nothing_is_left(shared, tmp_path, name):
    """The defective frame is in the last sequence read: the others were converted into the temp folder already."""
    import subprocess
    import sys

    z = np.load(shared("data", "signers", "s04.npz"))
    root = _tree(tmp_path / "MP_Data", z["X"], z["y"])
    shutil.copy(shared("data", "bad_inputs", name), root / "thanks" / "1" / "7.npy")
    out = tmp_path / "out"
    p = subprocess.run([sys.executable, "-m", "signlstm", "convert", "--data", str(root), "--camera", "16:9",
                        "--out", str(out)], capture_output=True, text=True)
    assert p.returncode == 2 and p.stdout == ""
    assert len(p.stderr.splitlines()) == 1 and "thanks/1/7.npy" in p.stderr and "Traceback" not in p.stderr
    assert _leftovers(tmp_path, {"MP_Data"}) == []


@pytest.mark.parametrize("data", [("bad_inputs", "truncated_sequence"), ("bad_inputs", "shape99.npy"),
                                  ("bad_inputs", "no_such_folder"), ("bad_inputs",)])
def test_bad_data_is_one_line_exit_2(shared, tmp_path, capsys, data):
    path = shared("data", *data) if data[-1] != "no_such_folder" else shared("data", "bad_inputs") / data[-1]
    assert main(["convert", "--data", str(path), "--camera", "16:9", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"signlstm convert: error: {path}"), err
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_npz_is_one_line_and_leaves_nothing(shared, tmp_path, capsys):
    """s04.npz cut short: refused from its zip directory before anything is written; X's data damaged (its CRC no
    longer matches): refused while it is read, and the temp file goes."""
    raw = shared("data", "signers", "s04.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(raw[:len(raw) // 2])
    damaged = bytearray(raw)
    damaged[len(raw) // 2] ^= 0xFF  # inside X's compressed data
    (tmp_path / "damaged.npz").write_bytes(bytes(damaged))
    for name in ("cut.npz", "damaged.npz"):
        assert main(["convert", "--data", str(tmp_path / name), "--camera", "16:9", "--out",
                     str(tmp_path / "out.npz")]) == 2
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and str(tmp_path / name) in err[0], err
        assert _leftovers(tmp_path, {"cut.npz", "damaged.npz"}) == []


def test_outputs_that_exist_or_are_the_data_are_refused(shared, tmp_path, capsys):
    z = np.load(shared("data", "signers", "s04.npz"))
    root = _tree(tmp_path / "MP_Data", z["X"], z["y"], per_action=1)
    before = _files(root)
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    (tmp_path / "old.npz").write_bytes(b"mine")
    npz = shared("data", "signers", "s04.npz")
    for data, out, problem in ((root, taken, "exists and is not empty"), (root, root, "is the data"),
                               (root, root / "hello" / "x", "is inside the data"),
                               (root, tmp_path / "old.npz", "exists and is not a folder"),
                               (npz, tmp_path / "old.npz", "exists"), (npz, npz, "is the data"),
                               (npz, tmp_path / "copy", "ending in .npz"), (npz, taken, "ending in .npz")):
        assert main(["convert", "--data", str(data), "--camera", "16:9", "--out", str(out)]) == 2
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and err[0].startswith(f"signlstm convert: error: {out}: ") and problem in err[0], err
    assert _files(root) == before and (taken / "notes.txt").read_text() == "mine"
    assert (tmp_path / "old.npz").read_bytes() == b"mine" and _leftovers(tmp_path, {"MP_Data", "taken", "old.npz"}) == []
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["convert", "--data", str(root), "--camera", "16:9", "--out", str(empty)]) == 0
    assert _files(empty) == _files(root)


def test_ctrl_c_leaves_no_output_and_no_temp(shared, tmp_path, monkeypatch):
    """Interrupted in the fourth sequence of a tree (30 frames each), in the third chunk of a packed file and in the
    second block of a saved stream."""
    z = np.load(shared("data", "signers", "s04.npz"))
    root = _tree(tmp_path / "MP_Data", z["X"], z["y"])
    np.save(tmp_path / "stream.npy", z["X"].reshape(-1, layout.FRAME_SIZE))
    real, calls = convert_mod._scaled, []

    def interrupted(frames, camera):
        calls.append(len(frames))
        if len(calls) == stop_at:
            raise KeyboardInterrupt
        return real(frames, camera)

    monkeypatch.setattr(convert_mod, "_scaled", interrupted)
    monkeypatch.setattr(datasets, "CHUNK", 7)
    for data, out, stop_at in ((root, tmp_path / "out", 100), (shared("data", "signers", "s04.npz"),
                                                               tmp_path / "out.npz", 3),
                               (tmp_path / "stream.npy", tmp_path / "out.npy", 2)):
        calls.clear()
        with pytest.raises(KeyboardInterrupt):
            convert_mod.convert(data, convert_mod.parse_camera("16:9"), out)
        assert len(calls) == stop_at and _leftovers(tmp_path, {"MP_Data", "stream.npy"}) == []


@pytest.mark.parametrize("text, want", [("16:9", (16, 9)), ("1280x720", (1280, 720)), (" 9:16 ", (9, 16)),
                                        ("1080X1920", (1080, 1920)), ("auto", None)])
def test_camera_shapes_and_sizes(text, want):
    camera = convert_mod.parse_camera(text)
    assert (camera if camera is None else (camera.width, camera.height)) == want


@pytest.mark.parametrize("text", ["wide", "16:0", "0x720", "1280x", "16/9", "-16:9", "999999:1", "1:5"])
def test_a_camera_that_is_no_shape_is_refused(text):
    from signlstm.errors import SignlstmError

    with pytest.raises(SignlstmError, match="--camera"):
        convert_mod.parse_camera(text)


def test_chunks_fit_the_memory_limit_and_a_sequence_too_long_for_it_is_refused(shared, tmp_path, monkeypatch, capsys):
    """s04 (float16, 30 frames): a sequence takes 30 x 1662 x (8 + 4 x 2) bytes to convert, so a limit of 7 of them
    and a bit converts 7 at a time, to the same file; a limit under one sequence is one line naming the file."""
    npz = shared("data", "signers", "s04.npz")
    convert_mod.convert(npz, convert_mod.parse_camera("16:9"), tmp_path / "whole.npz")
    monkeypatch.setenv("SIGNLSTM_MEMORY_LIMIT", str(7 * 797_760 + 1000))
    assert convert_mod.chunk_size(datasets.open_npz(npz), 2) == 7
    convert_mod.convert(npz, convert_mod.parse_camera("16:9"), tmp_path / "chunked.npz")
    a, b = np.load(tmp_path / "whole.npz"), np.load(tmp_path / "chunked.npz")
    assert all(np.array_equal(a[k], b[k]) for k in a.files)
    monkeypatch.setenv("SIGNLSTM_MEMORY_LIMIT", "700000")
    assert main(["convert", "--data", str(npz), "--camera", "16:9", "--out", str(tmp_path / "new" / "s04.npz")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [f"signlstm convert: error: {npz}: one sequence of 30 frames takes 797.8 kB to convert, more than "
                   "the 700.0 kB this command may fill (SIGNLSTM_MEMORY_LIMIT)"]
    assert not (tmp_path / "new").exists()


def test_a_link_as_output_and_folders_made_for_a_failed_copy(shared, tmp_path, capsys):
    """A symbolic link as --out is refused before anything is read; a copy that fails (a bad frame in the last
    sequence) leaves none of the folders made for it."""
    z = np.load(shared("data", "signers", "s04.npz"))
    root = _tree(tmp_path / "MP_Data", z["X"], z["y"], per_action=1)
    (tmp_path / "empty").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "empty")
    assert main(["convert", "--data", str(root), "--camera", "16:9", "--out", str(tmp_path / "link")]) == 2
    assert "is a symbolic link" in capsys.readouterr().err and not any((tmp_path / "empty").iterdir())
    last = sorted(p for p in root.rglob("*") if p.is_dir() and p.parent != root)[-1]
    (last / "7.npy").write_bytes(b"not a frame")
    assert main(["convert", "--data", str(root), "--camera", "16:9", "--out", str(tmp_path / "a" / "b" / "c")]) == 2
    assert "7.npy" in capsys.readouterr().err and not (tmp_path / "a").exists()


def test_a_folder_of_people_is_converted_each_by_its_own_camera(shared, tmp_path, capsys):
    """A folder holding s02 (4:3) and s04 (16:9) with auto: s04 converted as alone, s02 copied byte for byte, one
    line each and a total, the folder's cells.json and README copied beside them (not a hidden file, nor a keypoint
    stream, which would be left unconverted); with a face-zeroed vocabulary beside them, auto cannot tell it and
    nothing is written."""
    import shutil

    people = tmp_path / "people"
    people.mkdir()
    for name in ("s02.npz", "s04.npz", "cells.json", "README.md"):  # the judges read cells.json beside the people
        shutil.copyfile(shared("data", "signers", name), people / name)
    (people / ".DS_Store").write_bytes(b"\0")
    shutil.copyfile(Path(__file__).resolve().parents[3] / "demo" / "s08_stream.npy", people / "stream.npy")
    assert main(["convert", "--data", str(people), "--camera", "auto", "--out", str(tmp_path / "as43")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"copied {people / 's02.npz'} as it was to {tmp_path / 'as43' / 's02.npz'}: it holds")
    assert out[1].startswith(f"converted 90 sequence(s) of 3 action(s) from {people / 's04.npz'} (16:9 as its face")
    assert out[2] == f"wrote 2 file(s) to {tmp_path / 'as43'}: 1 converted, 1 copied as they were"
    assert out[3] == "copied beside them: README.md, cells.json"
    assert sorted(p.name for p in (tmp_path / "as43").iterdir()) == ["README.md", "cells.json", "s02.npz", "s04.npz"]
    assert (tmp_path / "as43" / "cells.json").read_bytes() == (people / "cells.json").read_bytes()
    assert (tmp_path / "as43" / "s02.npz").read_bytes() == (people / "s02.npz").read_bytes()
    convert_mod.convert(people / "s04.npz", None, tmp_path / "alone.npz")
    assert (tmp_path / "as43" / "s04.npz").read_bytes() == (tmp_path / "alone.npz").read_bytes()
    shutil.copyfile(shared("data", "vocab", "o04.npz"), people / "o04.npz")
    assert main(["convert", "--data", str(people), "--camera", "auto", "--out", str(tmp_path / "new")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and f"{people / 'o04.npz'}: cannot tell the camera's shape" in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alone.npz", "as43", "people"]


@pytest.mark.parametrize("text, want", [("4:1", (4, 1)), ("1:4", (1, 4)), ("1280x320", (1280, 320))])
def test_the_widest_and_narrowest_camera_shapes_are_taken(text, want):
    """The real outcome at the bounds: a picture exactly 4 times as wide as high (or as high as wide) is a camera's
    shape (MAX_ASPECT is the widest taken, not the first refused)."""
    camera = convert_mod.parse_camera(text)
    assert (camera.width, camera.height) == want


# Data of pose + both hands without the face (258 values a frame; BAD_INPUTS.md: five public repositories).
POSE_HANDS = np.r_[layout.POSE.slice, layout.LEFT_HAND.start:layout.RIGHT_HAND.stop]  # the 1662 columns they keep


def _renotte(shared, per_action=2):
    """(action, sequence folder) of the first ``per_action`` recordings of each action of MP_Data_renotte."""
    root = shared("data", "MP_Data_renotte")
    return [(a, d) for a in ("hello", "thanks", "iloveyou") for d in sorted((root / a).iterdir())[:per_action]]


def _pose_hands_tree(shared, root, per_action=2):
    """A tree of MP_Data_renotte's real frames with the face block dropped, in the tutorial's float64, as the
    tutorial's variant without the face writes them."""
    for action, d in _renotte(shared, per_action):
        (root / action / d.name).mkdir(parents=True)
        for f in d.glob("*.npy"):
            np.save(root / action / d.name / f.name, np.load(f)[POSE_HANDS])
    return root


def _face_zeroed(frames):
    out = np.array(frames, copy=True)
    out[..., layout.FACE.slice] = 0
    return out


@pytest.mark.parametrize("camera, size", [("16:9", (16, 9)), ("4:3", (4, 3))])
def test_a_tree_of_pose_and_hands_is_copied_with_the_face_zeroed(shared, tmp_path, capsys, camera, size):
    """Every frame of the copy is the original 1662-value frame with its face zeroed, after the camera's conversion
    (at 4:3 exactly the original with its face zeroed), float64 as written; the copy is read as every command reads
    data, where the 258-value tree is refused naming convert."""
    root = _pose_hands_tree(shared, tmp_path / "MP_Data")
    out = tmp_path / "MP_Data1662"
    assert main(["convert", "--data", str(root), "--camera", camera, "--out", str(out)]) == 0
    said = capsys.readouterr()
    scaled = "x and z scaled by 1.333" if camera == "16:9" else "x and z as they were"
    assert said.err == "" and said.out.splitlines() == [
        f"converted 6 sequence(s) of 3 action(s) from {root} ({camera}: {scaled}; pose + both hands (258 values) "
        f"widened to 1662, the face zeroed) to {out}"]
    assert _files(out) == _files(root)
    for action, d in _renotte(shared):
        for f in d.glob("*.npy"):
            original, copy = np.load(f), np.load(out / action / d.name / f.name)
            assert copy.dtype == original.dtype == np.float64 and copy.shape == (layout.FRAME_SIZE,)
            want = _face_zeroed(original) if camera == "4:3" else layout.to_reference_aspect(_face_zeroed(original),
                                                                                             *size)
            assert np.array_equal(copy, want), f
    assert len(datasets.load([out])) == 6
    with pytest.raises(BadInput, match="without the face.*signlstm convert --data"):
        datasets.load([root])
    assert _leftovers(tmp_path, {"MP_Data", out.name}) == []


@pytest.mark.parametrize("name", ["shape258_float64_noface.npy", "shape258_float32_noface.npy"])
def test_the_real_pose_and_hands_files_convert_in_their_own_dtype(shared, tmp_path, capsys, name):
    """The real 258-value frames of two public repositories (float64 and float32) as a tree: the copy holds each
    widened with the face zeroed and scaled, in the file's dtype, and reads as 1662-value data."""
    real = shared("data", "bad_inputs", name)
    root = tmp_path / "MP_Data"
    for seq in ("0", "1"):
        (root / "hello" / seq).mkdir(parents=True)
        for n in range(30):
            shutil.copyfile(real, root / "hello" / seq / f"{n}.npy")
    out = tmp_path / "out"
    assert main(["convert", "--data", str(root), "--camera", "1280x720", "--out", str(out)]) == 0
    assert "widened to 1662, the face zeroed" in capsys.readouterr().out
    raw = np.load(real)
    want = np.zeros(layout.FRAME_SIZE, raw.dtype)
    want[layout.POSE.slice], want[layout.LEFT_HAND.start:] = raw[:layout.POSE.size], raw[layout.POSE.size:]
    want = layout.to_reference_aspect(want, 1280, 720).astype(raw.dtype)
    for f in out.rglob("*.npy"):
        copy = np.load(f)
        assert copy.dtype == raw.dtype and np.array_equal(copy, want), f
    assert len(list(out.rglob("*.npy"))) == 60 and len(datasets.load([out])) == 2


def test_a_packed_file_of_pose_and_hands_converts_too(shared, tmp_path, capsys):
    """An .npz whose X is (N, 30, 258) float64: the copy's X is (N, 30, 1662), the original frames with the face
    zeroed and scaled; its other members are copied byte for byte; the file itself is refused by the readers,
    naming convert."""
    seqs = _renotte(shared, per_action=3)
    X = np.stack([np.stack([np.load(d / f"{n}.npy") for n in range(30)]) for _, d in seqs])  # (9, 30, 1662)
    y = np.repeat(np.arange(3), 3)
    src = tmp_path / "p01.npz"
    np.savez_compressed(src, X=X[..., POSE_HANDS], y=y, seq=np.arange(9))
    out = tmp_path / "p01_1662.npz"
    assert main(["convert", "--data", str(src), "--camera", "16:9", "--out", str(out)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"converted 9 sequence(s) of 3 action(s) from {src} (16:9: x and z scaled by 1.333; pose + both hands (258 "
        f"values) widened to 1662, the face zeroed) to {out}"]
    before, after = np.load(src), np.load(out)
    assert after.files == before.files and after["X"].dtype == np.float64 and after["X"].shape == (9, 30, 1662)
    assert np.array_equal(after["X"], layout.to_reference_aspect(_face_zeroed(X), 16, 9))
    assert np.array_equal(after["y"], y) and np.array_equal(after["seq"], before["seq"])
    assert len(datasets.load([out])) == 9
    with pytest.raises(BadInput, match=r"X: shape \(9, 30, 258\): frames of 258 values.*signlstm convert --data"):
        datasets.load([src])


@pytest.mark.parametrize("camera", ["16:9", "4:3"])
def test_mixed_frame_sizes_are_refused_naming_the_frame(shared, tmp_path, camera):
    """A 1662-value frame late in a tree of pose + hands frames, or a 258-value one in a tree of 1662-value frames
    (the renotte tree): one line naming it, exit 2, nothing left, at 4:3 too (where a 1662-value tree has nothing to
    convert: the tree is judged by every frame's header, not by its first)."""
    import subprocess
    import sys

    root = _pose_hands_tree(shared, tmp_path / "MP_Data")
    late = sorted((root / "thanks").iterdir())[-1] / "12.npy"
    shutil.copyfile(shared("data", "MP_Data_renotte", "hello", "30", "12.npy"), late)
    full = tmp_path / "full"
    shutil.copytree(shared("data", "MP_Data_renotte"), full)
    odd = full / "thanks" / "31" / "7.npy"
    np.save(odd, np.load(odd)[POSE_HANDS])
    for data, name, what in ((root, late, "holds 1662 values where the tree's other 179 frames hold 258"),
                             (full, odd, "holds 258 values where the tree's other 2,699 frames hold 1662")):
        p = subprocess.run([sys.executable, "-m", "signlstm", "convert", "--data", str(data), "--camera", camera,
                            "--out", str(tmp_path / "out")], capture_output=True, text=True)
        assert p.returncode == 2 and p.stdout == "" and "Traceback" not in p.stderr
        assert p.stderr.splitlines() == [
            f"signlstm convert: error: {name}: frame {what}: a copy is made of data of one layout, every frame 1662 "
            "values or every frame 258 (pose + both hands)"]
        assert _leftovers(tmp_path, {"MP_Data", "full"}) == []


def test_a_pose_and_hands_tree_whose_first_sequence_is_empty_is_told_by_its_other_frames(shared, tmp_path, capsys):
    """A pose + hands tree whose first sequence folder is empty (the tutorial makes every folder before recording;
    its first frame file is what the tree was judged by) is told by its other frames: at 4:3 it is not called a 4:3
    tree with nothing to convert (exit 0, which the readers' hint to run convert would loop on) but refused as every
    tree with an empty sequence is, naming that folder, nothing written."""
    root = _pose_hands_tree(shared, tmp_path / "MP_Data")
    first = sorted((root / "hello").iterdir())[0]
    for f in first.iterdir():
        f.unlink()
    assert main(["convert", "--data", str(root), "--camera", "4:3", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"signlstm convert: error: {first}: ")
    assert not (tmp_path / "out").exists()


def test_auto_is_refused_for_pose_and_hands_naming_the_data(shared, tmp_path, capsys):
    """No face mesh to tell the camera by: one line naming the tree (or the packed file in a folder of people) and
    asking for --camera, before anything is written."""
    root = _pose_hands_tree(shared, tmp_path / "MP_Data", per_action=1)
    people = tmp_path / "people"
    people.mkdir()
    shutil.copyfile(shared("data", "signers", "s04.npz"), people / "s04.npz")
    np.savez(people / "p01.npz", X=np.load(people / "s04.npz")["X"][:3][..., POSE_HANDS], y=np.zeros(3, int))
    for data, name in ((root, root), (people, people / "p01.npz")):
        assert main(["convert", "--data", str(data), "--camera", "auto", "--out", str(tmp_path / "out")]) == 2
        assert capsys.readouterr().err.splitlines() == [
            f"signlstm convert: error: {name}: holds pose + both hands without the face (258 values a frame): --camera "
            "auto tells the shape from the face mesh, which it lacks; give --camera (16:9, 4:3, 3:4, 9:16, "
            "WIDTHxHEIGHT (e.g. 1280x720))"]
        assert _leftovers(tmp_path, {"MP_Data", "people"}) == []


def test_258_values_in_another_order_are_refused(shared, tmp_path, capsys):
    """Hands first, then the pose: as many values, but not a pose MediaPipe gives. A recording without hands (its
    "pose" then starts with 31 points of zeros) as a tree, and the frames of a recording with both hands (hand
    coordinates where the pose's visibility goes, some outside 0..1) as a packed file: each refused naming the
    frame."""
    order = np.r_[layout.LEFT_HAND.start:layout.RIGHT_HAND.stop, layout.POSE.slice]
    renotte = shared("data", "MP_Data_renotte")
    no_hands = np.stack([np.load(renotte / "hello" / "30" / f"{n}.npy") for n in range(30)])
    thanks = np.stack([np.load(renotte / "thanks" / "32" / f"{n}.npy") for n in range(30)])
    both = thanks[layout.detected(thanks)["left_hand"] & layout.detected(thanks)["right_hand"]]
    assert not layout.hands_present(no_hands).any() and len(both) == 2
    root = tmp_path / "MP_Data"
    (root / "hello" / "0").mkdir(parents=True)
    for n in range(30):
        np.save(root / "hello" / "0" / f"{n}.npy", no_hands[n, order])
    np.savez(tmp_path / "p01.npz", X=np.ascontiguousarray(both[None, :, order]), y=np.zeros(1, int))
    for data, named in ((root, f"{root / 'hello' / '0' / '0.npy'}: frame "),
                        (tmp_path / "p01.npz", f"{tmp_path / 'p01.npz'}: sequence hello/0 (row 0) frame 0 ")):
        out = tmp_path / ("out.npz" if data.suffix else "out")
        assert main(["convert", "--data", str(data), "--camera", "16:9", "--out", str(out)]) == 2
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and err[0].startswith(f"signlstm convert: error: {named}holds a pose MediaPipe never "
                                                   "gives"), err
    assert _leftovers(tmp_path, {"MP_Data", "p01.npz"}) == []
    widened = layout.with_zero_face(both[:, order])  # the packed file's refusal is its visibility, not zero points
    assert (layout.part(widened, layout.POSE)[..., 3] < 0).any() and layout.part(widened, layout.POSE).any(-1).all()


def _stream(shared, sequences=90):
    """s04's real recordings (a 16:9 camera) end to end as one stream, float64 as np.save of MediaPipe's lists."""
    return np.load(shared("data", "signers", "s04.npz"))["X"][:sequences].reshape(-1, layout.FRAME_SIZE).astype(
        np.float64)


@pytest.mark.parametrize("order", ["C", "F"])
def test_a_saved_stream_of_pose_and_hands_converts_and_live_takes_the_copy(shared, tmp_path, capsys, order):
    """A (T, 258) stream (2,700 real frames, more than a block, stored in either order): the copy is (T, 1662) float32,
    every frame the original with its face zeroed, scaled; live refuses the original naming convert and takes the
    copy."""
    from signlstm.frames.sources import check_stream

    X = _stream(shared)
    src, out = tmp_path / "stream258.npy", tmp_path / "stream1662.npy"
    np.save(src, np.asarray(X[:, POSE_HANDS], order=order))
    assert main(["convert", "--data", str(src), "--camera", "16:9", "--out", str(out)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"converted a stream of 2,700 frame(s) from {src} (16:9: x and z scaled by 1.333; pose + both hands (258 "
        f"values) widened to 1662, the face zeroed) to {out}"]
    copy = np.load(out)
    assert copy.dtype == np.float32 and copy.shape == (2700, layout.FRAME_SIZE)
    assert np.array_equal(copy, layout.to_reference_aspect(_face_zeroed(X).astype(np.float32), 16, 9))
    with pytest.raises(BadInput, match=r"shape \(2700, 258\): frames of 258 values.*signlstm convert --data"):
        check_stream(str(src))
    check_stream(str(out))
    assert _leftovers(tmp_path, {src.name, out.name}) == []


def test_a_16_9_stream_is_told_by_its_face_and_a_4_3_one_is_left(shared, tmp_path, capsys):
    """auto on s04's 1662-value stream: 16:9 from its face mesh, the copy reads 4:3; the copy itself, converted again
    with auto, is 4:3 and nothing is written."""
    X = _stream(shared, 20)
    src, out = tmp_path / "s04.npy", tmp_path / "s04_43.npy"
    np.save(src, X)
    assert main(["convert", "--data", str(src), "--camera", "auto", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"converted a stream of 600 frame(s) from {src} (16:9 as its face mesh says, estimate ")
    assert np.array_equal(np.load(out), layout.to_reference_aspect(X.astype(np.float32), 16, 9))
    assert shape_from_ratios(face_ratios(np.load(out))).name == "4:3"
    again = tmp_path / "again.npy"
    assert main(["convert", "--data", str(out), "--camera", "auto", "--out", str(again)]) == 0
    assert capsys.readouterr().out.startswith(f"nothing to convert: {out} holds a 4:3 image's keypoints (4:3 as its "
                                              "face mesh says")
    assert not again.exists()


@pytest.mark.parametrize("defect", ["nan", "order", "out", "frame", "length"])
def test_a_bad_stream_or_output_is_one_line_and_nothing_is_left(shared, tmp_path, defect):
    """A NaN in frame 1,500 (the second block read), 258 values with the hands first, an output that is not a .npy,
    one frame file instead of a stream, --length given for a stream: one line naming the file (and the frame), exit 2,
    no output and no temp file."""
    import subprocess
    import sys

    X = _stream(shared)[:, POSE_HANDS]
    out = tmp_path / ("out.npz" if defect == "out" else "out.npy")
    if defect == "nan":
        X[1500, 7] = np.nan
    elif defect == "order":
        X = X[:, np.r_[layout.POSE.size:layout.POSE_HANDS_SIZE, :layout.POSE.size]]
    src = tmp_path / "stream.npy"
    np.save(src, X[0] if defect == "frame" else X)  # "frame": one tutorial frame file, not a stream
    p = subprocess.run([sys.executable, "-m", "signlstm", "convert", "--data", str(src), "--camera", "16:9", "--out",
                        str(out), *(["--length", "30"] if defect == "length" else [])], capture_output=True, text=True)
    assert p.returncode == 2 and p.stdout == "" and "Traceback" not in p.stderr
    want = {"nan": f"{src}: frame 1500 holds NaN or infinite values",
            "order": f"{src}: frame 0 holds a pose MediaPipe never gives",
            "out": f"{out}: the copy of a saved stream (.npy) is a .npy: give a file name ending in .npy",
            "frame": f"{src}: holds one frame (258,), not a stream of frames",
            "length": f"--length 30: {src} is a saved stream, which is not cut into sequences"}[defect]
    assert p.stderr.splitlines()[0].startswith(f"signlstm convert: error: {want}") and len(p.stderr.splitlines()) == 1
    assert _leftovers(tmp_path, {src.name}) == []
