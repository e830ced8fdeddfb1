"""Checks of output paths before any work: what an output folder or file may replace, and room on the disk."""
import pytest

from signlstm.errors import BadInput
from signlstm.outputs import check_folder_out


def test_an_output_folder_may_replace_only_an_earlier_output_of_its_kind(tmp_path, shared):
    check_folder_out(tmp_path / "absent", "signlstm.json")  # absent: fine
    (tmp_path / "empty").mkdir()
    check_folder_out(tmp_path / "empty", "signlstm.json")
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "signlstm.json").write_text("{}")
    check_folder_out(tmp_path / "model", "signlstm.json")
    with pytest.raises(BadInput, match="a folder that is not a model"):
        check_folder_out(shared("data", "MP_Data_renotte"), "signlstm.json")
    (tmp_path / "file").write_text("x")
    with pytest.raises(BadInput, match="exists and is not a folder"):
        check_folder_out(tmp_path / "file", "signlstm.json")


def test_a_file_output_replaces_only_a_file_of_its_own_kind(shared, tmp_path, capsys):
    """Keypoint recordings (an ``.npz``, an ``.npy`` of sequences) are never written over; a keypoint stream only by
    a stream (``judge streams --write-stream``, ``extract --keypoints``), a model file only by a model (``export``,
    not its JSON layout, which holds no weights); a report (``audit --out``) by none of them. A refusal is one line
    naming the file, exit 2, the file unchanged."""
    import shutil
    from pathlib import Path

    import numpy as np

    from signlstm.cli import main
    from signlstm.outputs import held_kind

    demo = Path(__file__).resolve().parents[2] / "demo" / "s08_stream.npy"
    s08 = shared("data", "signers", "s08.npz")
    files = {"recordings.npy": None, "s08.npz": s08, "stream.npy": demo,
             "action.h5": shared("data", "legacy_models", "JarrettTo__action.h5")}
    for name, source in files.items():
        if source is None:
            np.save(tmp_path / name, np.load(s08)["X"][:4])
        else:
            shutil.copyfile(source, tmp_path / name)
    assert {name: held_kind(tmp_path / name) for name in files} == {
        "recordings.npy": "recordings", "s08.npz": "recordings", "stream.npy": "stream", "action.h5": "model"}
    assert held_kind(tmp_path / "absent.npy") is None and held_kind(demo.parent / "README.md") is None
    before = {name: (tmp_path / name).read_bytes() for name in files}

    def refused(args, name, what):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert f": error: {tmp_path / name}: holds {what}, which " in err and err.count("\n") == 1, err
        assert "nothing is overwritten" in err and (tmp_path / name).read_bytes() == before[name]

    stream = ["judge", "streams", "--data", str(s08), "--others", str(shared("data", "other_signs", "o07.npz")),
              "--per-label", "2", "--others-per-stream", "1", "--write-stream"]
    for name, what in (("recordings.npy", "keypoint recordings"), ("s08.npz", "keypoint recordings"),
                       ("stream.npy", "a keypoint stream"), ("action.h5", "a model")):
        refused(["audit", "--data", str(s08), "--out", str(tmp_path / name)], name, what)
        refused(["export", "--format", "json", "--out", str(tmp_path / name)], name, what)  # a layout, no weights
    refused([*stream, str(tmp_path / "recordings.npy")], "recordings.npy", "keypoint recordings")
    refused(["extract", "--videos", str(shared("media", "asl_hello_rohan937.mp4")), "--keypoints",
             str(tmp_path / "recordings.npy")],
            "recordings.npy", "keypoint recordings")
    assert main([*stream, str(tmp_path / "stream.npy")]) == 0  # a stream over a stream
    assert np.load(tmp_path / "stream.npy").shape != np.load(demo).shape
    assert main(["export", "--format", "h5", "--out", str(tmp_path / "action.h5")]) == 0  # a model over a model
    assert (tmp_path / "action.h5").read_bytes() != before["action.h5"]


def test_a_write_is_refused_when_the_disk_holds_less_than_it_needs_and_taken_when_it_holds_just_enough(tmp_path,
                                                                                                      monkeypatch):
    """``check_free_space`` (before ``bench --memory``'s packed files, an export, a training log): a write of 200 MB
    on a disk with 150 MB free is refused naming the file and both sizes, and one of exactly the free bytes is taken
    (the disk's free space is the one thing faked: a full disk cannot be made here)."""
    import shutil
    from collections import namedtuple

    from signlstm.outputs import check_free_space

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**9, 10**9 - 150 * 10**6, 150 * 10**6))
    with pytest.raises(BadInput) as e:
        check_free_space(tmp_path / "big.npz", 200 * 10**6)
    assert str(e.value) == (f"{tmp_path / 'big.npz'}: cannot be written: it needs about 200.0 MB and the disk holds "
                            "150.0 MB free")
    check_free_space(tmp_path / "fits.npz", 150 * 10**6)
