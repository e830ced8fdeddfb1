"""``judge cameras`` on a real person: the shape costs the shipped model accuracy as found, nothing as stored."""
from signlstm.cli import main


def test_a_portrait_camera_as_found_costs_accuracy_and_as_stored_costs_none(shared):
    from signlstm.judging.camera_shapes import camera_rows, moved_most
    from signlstm.models.bundle import load_bundle

    person = shared("data", "signers", "s21.npz")  # a wide-armed signer: the narrow image moves them most
    rows = list(camera_rows(load_bundle(), [person], [(720, 1280), (640, 480)]))
    assert [r[0] for r in rows] == ["640x480", "720x1280", "640x480"]
    base = rows[0][1]["accuracy"]
    assert base > 0.8 and rows[1][1]["accuracy"] < base - 0.1, (base, rows[1][1]["accuracy"])
    assert rows[1][2]["accuracy"] == base  # stored as a 4:3 image's: the round trip gives the same answers
    assert rows[2][1]["accuracy"] == rows[2][2]["accuracy"] == base  # the recordings' own camera changes nothing
    assert moved_most(rows[0][1], rows[1][1], 1)[0][0] == "s21"


def test_a_shape_that_is_not_an_image_size_is_one_line(capsys):
    for shape in ("auto", "wide"):
        assert main(["judge", "cameras", "--data", "nowhere.npz", "--shapes", shape]) == 2
        err = capsys.readouterr().err
        assert err.startswith("signlstm judge cameras: error: ") and len(err.splitlines()) == 1, err
