"""``judge cameras`` on a real person: the shape costs the shipped model accuracy as found, nothing as stored."""
from signlstm.cli import main


def test_a_portrait_camera_as_found_costs_accuracy_and_as_stored_costs_none(shared):
    from signlstm.judging.camera_shapes import camera_rows, moved_most
    from signlstm.models.bundle import load_bundle

    people = [shared("data", "signers", f"{p}.npz") for p in ("s21", "s02")]  # s21 signs wide: moved most
    rows = list(camera_rows(load_bundle(), people, [(720, 1280), (640, 480)]))
    assert [r[0] for r in rows] == ["640x480", "720x1280", "640x480"]
    base = rows[0][1]["accuracy"]
    assert base > 0.8 and rows[1][1]["accuracy"] < base - 0.1, (base, rows[1][1]["accuracy"])
    assert rows[1][2]["accuracy"] == base  # stored as a 4:3 image's: the round trip gives the same answers
    assert rows[2][1]["accuracy"] == rows[2][2]["accuracy"] == base  # the recordings' own camera changes nothing
    assert moved_most(rows[0][1], rows[1][1], 1)[0][0] == "s21"


def test_json_gives_the_table_s_rows(shared, capsys):
    """``--json``: one line holding the rows the table prints (s21 as found at 720x1280 moved most, as the function
    says above), the figures unrounded."""
    import json

    data = str(shared("data", "signers", "s21.npz"))
    assert main(["judge", "cameras", "--data", data, "--shapes", "720x1280"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert main(["judge", "cameras", "--data", data, "--shapes", "720x1280", "--json"]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = json.loads(out[0])["rows"]
    assert len(out) == 1 and [r["camera"] for r in rows] == ["640x480", "720x1280"]
    assert [f"{r['as_found']:.3f}" for r in rows] == [line.split()[1] for line in table[1:]]
    assert rows[1]["as_found"] < rows[0]["as_found"] - 0.1 and rows[1]["as_stored"] == rows[0]["as_found"]
    assert rows[1]["moved_most"][0]["person"] == "s21" and rows[0]["moved_most"] == []


def test_a_shape_that_is_not_an_image_size_is_one_line(capsys):
    for shape in ("auto", "wide", "16:9", "0x0"):
        assert main(["judge", "cameras", "--data", "nowhere.npz", "--shapes", "640x480", shape]) == 2
        assert capsys.readouterr().err == (f"signlstm judge cameras: error: --shapes {shape!r}: give image sizes "
                                           "WIDTHxHEIGHT, e.g. 1280x720\n")
    assert main(["judge", "cameras", "--data", "nowhere.npz"]) == 2  # nothing printed before the one line
    out, err = capsys.readouterr()
    assert out == "" and err == "signlstm judge cameras: error: nowhere.npz: no such file\n", (out, err)


def test_data_of_none_of_the_models_signs_is_named_as_such(shared, tmp_path, capsys):
    """A tree of another sign only was "no sequence folders" (the readers kept the model's signs alone)."""
    import shutil

    from signlstm.cli import main

    shutil.copytree(shared("data", "MP_Data_renotte", "hello", "30"), tmp_path / "MP_Data" / "soup" / "0")
    assert main(["judge", "cameras", "--data", str(tmp_path / "MP_Data")]) == 2
    assert capsys.readouterr().err.endswith("holds none of the model's signs (hello, thanks, iloveyou); it holds "
                                            "soup\n")


def test_recordings_of_another_length_are_one_line_naming_their_file(shared, tmp_path, capsys):
    """s02's recordings made 40 frames long: ``judge cameras`` says so in one line naming the file, exit 2, as
    ``evaluate`` does; the library's scoring, predictions and adapting name it too (BadInput with the file's path)."""
    import numpy as np
    import pytest

    from signlstm.datasets import load
    from signlstm.errors import BadInput
    from signlstm.judging.metrics import evaluate
    from signlstm.models.adapt import adapt
    from signlstm.models.bundle import load_bundle

    with np.load(shared("data", "signers", "s02.npz")) as z:
        path = tmp_path / "s02_40.npz"
        np.savez(path, X=np.concatenate([z["X"], z["X"][:, :10]], axis=1), y=z["y"], seq=z["seq"])
    assert main(["judge", "cameras", "--data", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == (f"signlstm judge cameras: error: {path}: the data has 40-frame sequences, the model expects 30 "
                   "(it reads 30-frame windows: record 30-frame sequences, or use a model trained on 40-frame ones: "
                   "signlstm train --length 40 makes one)\n")
    data = load([path])
    from signlstm.judging.metrics import predictions

    for call in (lambda: evaluate(load_bundle(), data), lambda: adapt(load_bundle(), data, shots=3),
                 lambda: list(predictions(load_bundle(), [data]))):
        with pytest.raises(BadInput) as e:
            call()
        assert e.value.path == str(path) and "40-frame sequences" in e.value.problem


def test_the_library_refuses_a_size_no_camera_has(shared):
    """camera_rows given a size of 0 or below refuses it in one line before reading anything (0 divided by zero, a
    negative size gave a figure)."""
    import pytest

    from signlstm.errors import SignlstmError
    from signlstm.judging.camera_shapes import camera_rows
    from signlstm.models.bundle import load_bundle

    for size in ((0, 720), (-1280, 720), (1280.5, 720)):
        with pytest.raises(SignlstmError, match="give image sizes WIDTHxHEIGHT"):
            next(camera_rows(load_bundle(), [str(shared("data", "signers", "s02.npz"))], [size]))
