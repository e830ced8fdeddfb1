"""The tutorial's other forms of a model, written by the library as ``signlstm export`` writes them."""
import json

import numpy as np
import pytest

from signlstm.conftest import shared_path
from signlstm.errors import BadInput
from signlstm.datasets import load_npz
from signlstm.models.bundle import load_bundle
from signlstm.models.export import FORMATS, export_model, export_path


def test_each_form_is_written_under_the_suffix_keras_reads_it_by_and_gives_the_models_answers(tmp_path):
    """The shipped model exported by the library: weights as ``x.weights.h5`` (loaded into the same network, the
    same probabilities on s02's windows), one ``.h5`` file (loaded back as a model with the labels, the same
    probabilities), the layout as JSON (the network's own); a name that already has the suffix keeps it, and the
    default names are the tutorial's."""
    import keras

    shipped = load_bundle()
    X = load_npz(shared_path("data", "signers", "s02.npz")).X[:6]
    want = shipped.predict(X)
    assert [export_path(f).name for f in ("weights", "json", "h5")] == ["action.weights.h5", "action.json",
                                                                         "action.h5"]
    assert export_path("h5", tmp_path / "m.H5") == tmp_path / "m.H5"
    assert export_path("weights", tmp_path / "w.h5") == tmp_path / "w.weights.h5"

    weights = export_model(shipped, "weights", tmp_path / "w")
    assert weights == tmp_path / "w.weights.h5" and not (tmp_path / "w").exists()
    fresh = load_bundle()
    for w in fresh.model.weights:
        w.assign(np.zeros(w.shape, w.dtype))
    fresh.model.load_weights(weights)
    np.testing.assert_allclose(fresh.predict(X), want, atol=1e-6)

    whole = export_model(shipped, "h5", tmp_path / "m")
    assert whole == tmp_path / "m.h5"
    np.testing.assert_allclose(load_bundle(whole, shipped.labels).predict(X), want, atol=1e-6)

    layout = export_model(shipped, "json", tmp_path / "m.json")
    assert json.loads(layout.read_text()) == json.loads(shipped.model.to_json())
    assert keras.models.model_from_json(layout.read_text()).count_params() == shipped.model.count_params()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.h5", "m.json", "w.weights.h5"]  # no temporary left

    (tmp_path / "d").mkdir()  # a folder given is refused as given, as the command refuses it: no d.h5 beside it
    for fmt in FORMATS:
        with pytest.raises(BadInput, match="is a folder"):
            export_model(shipped, fmt, tmp_path / "d")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "m.h5", "m.json", "w.weights.h5"]

    import shutil  # the model's own folder or file is not written over by its export

    shutil.copytree(shipped.path, tmp_path / "model")
    mine = load_bundle(tmp_path / "model")
    before = {p.name: p.read_bytes() for p in (tmp_path / "model").iterdir()}
    with pytest.raises(BadInput, match=r"is inside the model being exported"):
        export_model(mine, "json", tmp_path / "model" / "signlstm.json")
    with pytest.raises(BadInput, match=r"is the model being exported"):
        export_model(load_bundle(whole, shipped.labels), "h5", whole)
    assert {p.name: p.read_bytes() for p in (tmp_path / "model").iterdir()} == before


def test_export_json_names_its_file_with_json_as_the_other_formats_get_their_endings(tmp_path, capsys):
    """``export --format json --out layout`` writes ``layout.json`` (as ``--out m`` writes ``m.weights.h5`` and
    ``m.h5``), says that name, and the file is the shipped model's layout; a name ending in ``.JSON`` keeps it."""
    from signlstm.cli import main

    assert main(["export", "--format", "json", "--out", str(tmp_path / "layout")]) == 0
    assert capsys.readouterr().out == f"wrote {tmp_path / 'layout.json'}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layout.json"]
    assert json.loads((tmp_path / "layout.json").read_text()) == json.loads(load_bundle().model.to_json())
    assert export_path("json", tmp_path / "m.JSON") == tmp_path / "m.JSON"
    assert export_path("json", tmp_path / "m.txt") == tmp_path / "m.txt.json"
