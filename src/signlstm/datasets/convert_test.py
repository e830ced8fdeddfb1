"""signlstm convert on real data: s04 (recorded at 16:9) becomes a 4:3 image's keypoints, in the input's own form;
a 4:3 person's data is left alone; defective input and taken outputs are one line, and nothing is left behind."""
import shutil
import zipfile

import numpy as np
import pytest

from signlstm.datasets import convert as convert_mod
from signlstm import datasets, layout
from signlstm.datasets.sequence_writer import SequenceWriter
from signlstm.keypoints.camera_shape import likely_shape
from signlstm.cli import main


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
    assert likely_shape(before["X"]).name == "16:9" and likely_shape(after["X"]).name == "4:3"
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
    assert likely_shape(datasets.load_mp_data(out).X).name == "4:3"
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
    """Interrupted in the fourth sequence of a tree (30 frames each) and in the third chunk of a packed file."""
    z = np.load(shared("data", "signers", "s04.npz"))
    root = _tree(tmp_path / "MP_Data", z["X"], z["y"])
    real, calls = convert_mod._scaled, []

    def interrupted(frames, camera):
        calls.append(len(frames))
        if len(calls) == stop_at:
            raise KeyboardInterrupt
        return real(frames, camera)

    monkeypatch.setattr(convert_mod, "_scaled", interrupted)
    monkeypatch.setattr(datasets, "CHUNK", 7)
    for data, out, stop_at in ((root, tmp_path / "out", 100), (shared("data", "signers", "s04.npz"),
                                                               tmp_path / "out.npz", 3)):
        calls.clear()
        with pytest.raises(KeyboardInterrupt):
            convert_mod.convert(data, convert_mod.parse_camera("16:9"), out)
        assert len(calls) == stop_at and _leftovers(tmp_path, {"MP_Data"}) == []


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
    line each and a total; with a face-zeroed vocabulary beside them, auto cannot tell it and nothing is written."""
    import shutil

    people = tmp_path / "people"
    people.mkdir()
    for name in ("s02", "s04"):
        shutil.copyfile(shared("data", "signers", f"{name}.npz"), people / f"{name}.npz")
    assert main(["convert", "--data", str(people), "--camera", "auto", "--out", str(tmp_path / "as43")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"copied {people / 's02.npz'} as it was to {tmp_path / 'as43' / 's02.npz'}: it holds")
    assert out[1].startswith(f"converted 90 sequence(s) of 3 action(s) from {people / 's04.npz'} (16:9 as its face")
    assert out[2] == f"wrote 2 file(s) to {tmp_path / 'as43'}: 1 converted, 1 copied as they were"
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
