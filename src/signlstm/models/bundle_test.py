import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from signlstm.models import architectures, bundle, legacy
from signlstm.datasets import load_npz
from signlstm.conftest import shared_path
from signlstm.errors import BadInput

ACTIONS = ["hello", "thanks", "iloveyou"]


def test_tutorial_model_has_the_seed_parameter_count():
    assert architectures.build_tutorial_model(3).count_params() == 596_675


def _small_bundle():
    model = architectures.build_tutorial_model(3)
    return bundle.Bundle(model, {"labels": ACTIONS, "seq_len": 30, "arch": "tutorial"})


def test_bundle_round_trip_gives_identical_predictions(tmp_path, shared):
    X = load_npz(shared("data", "signers", "s03.npz")).X[::9]
    b = _small_bundle()
    out = bundle.save_bundle(b.model, b.meta, tmp_path / "m")
    assert sorted(p.name for p in out.iterdir()) == ["model.keras", "signlstm.json"]
    meta = json.loads((out / "signlstm.json").read_text())
    assert meta["labels"] == ACTIONS and meta["parameters"] == 596_675 and meta["versions"]["backend"] == "jax"
    assert meta["layout"]["parts"]["left_hand"] == [1536, 1599]
    again = bundle.load_bundle(out)
    assert again.labels == ACTIONS
    assert np.array_equal(again.predict(X), b.predict(X))


def test_saving_over_a_bundle_replaces_it_whole(tmp_path):
    b = _small_bundle()
    bundle.save_bundle(b.model, b.meta, tmp_path / "m")
    bundle.save_bundle(b.model, {**b.meta, "labels": ["a", "b", "c"]}, tmp_path / "m")
    assert bundle.load_bundle(tmp_path / "m").labels == ["a", "b", "c"]
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # no temp or backup folders left


def test_fast_path_matches_model_predict(shared):
    X = load_npz(shared("data", "signers", "s04.npz")).X[::15]
    b = _small_bundle()
    ref = b.predict(X)
    fast = np.stack([b.classify(x) for x in X])
    assert np.abs(fast - ref).max() <= 1e-4
    # Keras' own predict agrees, and both paths still answer after it (it replaces the arrays behind the weights)
    assert np.abs(b.model.predict(X, verbose=0) - ref).max() <= 1e-4
    assert np.abs(b.predict(X) - ref).max() <= 1e-6 and np.abs(b.classify(X[0]) - ref[0]).max() <= 1e-4


LEGACY_OK = {"Atulkoirala__action.h5": True, "Izroth404__action.h5": True}  # loads; untrained
LEGACY_FAIL = {
    "FruitPnchSamuraiG__action.h5": "4 outputs but 3 actions",
    "Omar-AlQashlan__action.h5": "input is (30, 258)",
    "JarrettTo__action.h5": "input is (30, 132)",
    "SidrahRashid__action.h5": "input is (30, 63)",
}


@pytest.mark.parametrize("name", sorted(LEGACY_OK))
def test_untrained_tutorial_h5_loads_and_is_flagged(shared, name):
    b = bundle.load_bundle(shared("data", "legacy_models", name), ACTIONS)
    assert b.model.input_shape == (None, 30, 1662) and b.labels == ACTIONS
    assert legacy.looks_untrained(b.model)
    assert b.predict(load_npz(shared("data", "signers", "s02.npz")).X[:4]).shape == (4, 3)


@pytest.mark.parametrize("name", sorted(LEGACY_FAIL))
def test_incompatible_h5_fails_with_the_reason(shared, name):
    with pytest.raises(BadInput, match=LEGACY_FAIL[name].replace("(", r"\(").replace(")", r"\)")):
        bundle.load_bundle(shared("data", "legacy_models", name), ACTIONS)


def test_an_action_h5_that_is_a_git_lfs_pointer_says_to_run_git_lfs_pull(shared, tmp_path):
    """A tutorial repository cloned without Git LFS holds a pointer file where action.h5 should be (the pointer in
    ../shared/data/bad_inputs, under that name): it is refused in one line that names it as an LFS pointer and says
    what to run, not as an unreadable HDF5 file."""
    import shutil

    path = tmp_path / "action.h5"
    shutil.copy(shared("data", "bad_inputs", "git_lfs_pointer.npy"), path)
    with pytest.raises(BadInput) as e:
        bundle.load_bundle(path, ACTIONS)
    assert str(e.value) == (f"{path}: a Git LFS pointer, not a model (run `git lfs pull` in the source "
                            "repository)")


def test_trained_legacy_model_is_not_flagged_and_its_export_loads_back(shared, tmp_path):
    """The trained tutorial file, exported as .h5 by `signlstm export` (its LSTMs saved as the layer that reads
    Keras 2's arguments), loads back as --model and answers as the original."""
    from signlstm.cli import main

    path, actions = shared("data", "legacy_models", "FruitPnchSamuraiG__action.h5"), ACTIONS + ["rashford"]
    b = bundle.load_bundle(path, actions)
    assert not legacy.looks_untrained(b.model)
    out = tmp_path / "exported.h5"
    assert main(["export", "--model", str(path), "--actions", *actions, "--format", "h5", "--out", str(out)]) == 0
    X = load_npz(shared("data", "signers", "s02.npz")).X[:6]
    np.testing.assert_allclose(bundle.load_bundle(out, actions).predict(X), b.predict(X), atol=1e-6)


def test_a_model_file_whose_last_layer_gives_no_probabilities_is_refused(shared, tmp_path):
    """The trained tutorial file with its softmax taken off (logits, which predict printed as "probabilities" of 1.39
    and -1.08) is refused in one line; exported, a vocabulary (its open-set head) loads back."""
    import keras

    from signlstm.cli import main

    path, actions = shared("data", "legacy_models", "FruitPnchSamuraiG__action.h5"), ACTIONS + ["rashford"]
    model = bundle.load_bundle(path, actions).model
    model.layers[-1].activation = keras.activations.linear
    model.save(tmp_path / "logits.keras")
    with pytest.raises(BadInput, match=r"its last layer '.*' gives no probabilities \(no softmax\)"):
        bundle.load_bundle(tmp_path / "logits.keras", actions)
    vocab = tmp_path / "v"
    assert main(["adapt", "--vocabulary", "--data", str(shared("data", "vocab", "s23.npz")), "--shots", "3",
                 "--out", str(vocab)]) == 0
    assert main(["export", "--model", str(vocab), "--format", "h5", "--out", str(tmp_path / "v.h5")]) == 0
    labels = bundle.load_bundle(vocab).labels
    assert bundle.load_bundle(tmp_path / "v.h5", labels).labels == labels


def test_a_legacy_h5_of_fixed_20_frame_windows_loads_with_seq_len_20_and_is_fed_20_frames(shared, tmp_path):
    """A tutorial-style ``.h5`` trained on 20-frame sequences (input (20, 1662), LSTM, softmax over 3 signs; none is in
    ../shared/data/legacy_models, whose inputs all take 30): it loads with seq_len 20, and the recognizer (live,
    predict) classifies its first window at the 20th frame, a window of 20 frames. Keras runs an LSTM over any length,
    so 30-frame windows would be answered without an error, wrongly."""
    import keras

    from signlstm.recognizer import Recognizer

    layers = keras.layers
    model = keras.Sequential([keras.Input((20, 1662)), layers.LSTM(8), layers.Dense(3, activation="softmax")])
    model.save(tmp_path / "action.h5")
    b = bundle.load_bundle(tmp_path / "action.h5", ACTIONS)
    assert b.model.input_shape == (None, 20, 1662) and b.meta["seq_len"] == 20 and b.seq_len == 20
    X = load_npz(shared("data", "signers", "s02.npz")).X[0]
    windows = []
    rec = Recognizer(b, classify=lambda w: windows.append(np.array(w)) or b.predict(w[None])[0])
    for frame in X[:21]:
        rec.update(frame)
    assert [len(w) for w in windows] == [20, 20]
    np.testing.assert_array_equal(windows[0], X[:20])


def _as_keras_2_wrote_it(config):
    """A Keras 3 model configuration as Keras 2 wrote it into an ``.h5``: recurrent layers with ``time_major``, no
    ``module``, ``registered_name`` or ``build_config``."""
    if isinstance(config, dict):
        for key in ("module", "registered_name", "build_config"):
            config.pop(key, None)
        if config.get("class_name") in ("LSTM", "GRU"):
            config["config"]["time_major"] = False
        for value in config.values():
            _as_keras_2_wrote_it(value)
    elif isinstance(config, list):
        for value in config:
            _as_keras_2_wrote_it(value)


@pytest.mark.parametrize("kind", ["bidirectional", "time_distributed"])
def test_a_keras_2_h5_with_layers_in_wrappers_loads_and_answers_as_its_network(shared, tmp_path, kind):
    """A tutorial user's ``.h5`` from Keras 2 with a Bidirectional LSTM (and a GRU after it), or a TimeDistributed
    Dense before a SimpleRNN: its recurrent layers carry ``time_major``, inside the wrapper too, which Keras 3 refuses,
    and the layer inside a wrapper is named without its module, which Keras 3 needs; it loads, and gives the
    probabilities of the network it was saved from."""
    import h5py
    import keras

    layers = keras.layers
    middle = ([layers.Bidirectional(layers.LSTM(8, return_sequences=True)), layers.GRU(8)] if kind == "bidirectional"
              else [layers.TimeDistributed(layers.Dense(8, activation="relu")), layers.SimpleRNN(8)])
    model = keras.Sequential([keras.Input((30, 1662)), *middle, layers.Dense(3, activation="softmax")])
    path = tmp_path / "action.h5"
    model.save(path)
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        _as_keras_2_wrote_it(config)
        f.attrs["model_config"] = json.dumps(config)
        f.attrs["keras_version"] = "2.9.0"
    X = load_npz(shared("data", "signers", "s02.npz")).X[::10]
    b = bundle.load_bundle(path, ACTIONS)
    np.testing.assert_allclose(b.predict(X), model.predict(X, verbose=0), atol=1e-5)


def test_a_keras_2_archive_with_time_major_loads_and_answers_as_its_network(shared, tmp_path):
    """A ``.keras`` archive as Keras 2.13-2.15 wrote it: its LSTM and the GRU inside a Bidirectional wrapper carry
    ``time_major``, which Keras 3 refuses; it loads (from a copy without it; nothing is left in the temporary folder),
    and gives the probabilities of the network it was saved from."""
    import tempfile
    import zipfile

    import keras

    layers = keras.layers
    model = keras.Sequential([keras.Input((30, 1662)), layers.LSTM(8, return_sequences=True),
                              layers.Bidirectional(layers.GRU(4)), layers.Dense(3, activation="softmax")])
    model.save(tmp_path / "new.keras")
    with zipfile.ZipFile(tmp_path / "new.keras") as z:
        members = {n: z.read(n) for n in z.namelist()}
    config = json.loads(members["config.json"])
    stack = [config]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("class_name") in ("LSTM", "GRU"):
                node["config"]["time_major"] = False
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    members["config.json"] = json.dumps(config).encode()
    path = tmp_path / "action.keras"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    before = set(os.listdir(tempfile.gettempdir()))
    X = load_npz(shared("data", "signers", "s02.npz")).X[::10]
    b = bundle.load_bundle(path, ACTIONS)
    np.testing.assert_allclose(b.predict(X), model.predict(X, verbose=0), atol=1e-5)
    assert not [p for p in set(os.listdir(tempfile.gettempdir())) - before if p.startswith("signlstm-keras2-")]


def test_h5_without_actions_asks_for_them(shared):
    with pytest.raises(BadInput, match="--actions"):
        bundle.load_bundle(shared("data", "legacy_models", "Atulkoirala__action.h5"))


def _shipped_with(tmp_path, **fields):
    """A copy of the shipped default bundle whose ``signlstm.json`` has ``fields`` set (None: removed)."""
    import shutil

    folder = tmp_path / "m"
    shutil.copytree(bundle.DEFAULT_MODEL, folder)
    meta = json.loads((folder / bundle.META_FILE).read_text())
    for key, value in fields.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    (folder / bundle.META_FILE).write_text(json.dumps(meta))
    return folder


BAD_FIELDS = [
    ({"training": "x"}, "'training' 'x' is not an object"),
    ({"training": {"groups": 5}}, "'training.groups' 5 is not a list of names"),
    ({"parts_read": 5}, "'parts_read' 5 is not a list of part names"),
    ({"parts_read": "pose"}, "'parts_read' 'pose' is not a list of part names"),
    ({"parts_read": ["pose", "bogus"]}, "'parts_read' names unknown part(s) 'bogus'"),
    ({"training": {"actions": 5}}, "'training.actions' 5 is not an object of sign names and sequence counts"),
    ({"training": {"actions": ["hello"]}}, "'training.actions' ['hello'] is not an object of sign names"),
    ({"reject_bias": "x"}, "'reject_bias' 'x' is not a number"),
    ({"reject_bias": 1e308}, "'reject_bias' 1e+308 is not a number from -50 to 50"),
    ({"labels": ["hello", "None", "iloveyou", "none"]}, "label 'None' is the rejection label 'none' in another case"),
    ({"labels": ["caf\u00e9", "cafe\u0301", "iloveyou", "none"]}, "has two labels that are one name in two Unicode"),
    ({"labels": ["hel\u2028lo", "thanks", "iloveyou", "none"]}, "label 'hel\\u2028lo' holds a control or line-"),
    ({"reject_label": "zzz"}, "'reject_label' 'zzz' is not one of its labels"),
    ({"reject_label": 5}, "'reject_label' 5 is not one of its labels"),
    ({"rule": 5}, "'rule' 5 is not a name"),
    ({"arch": {"a": 1}}, "'arch' {'a': 1} is not a name"),
    ({"adapted": "x"}, "'adapted' 'x' is not an object"),
    ({"format": "signlstm-bundle/2"}, "'format' 'signlstm-bundle/2' is not 'signlstm-bundle/1', the one this "
                                      "signlstm reads"),
    ({"layout": {"name": "pose-only", "frame_size": 132}}, "'layout' says frames of 132 values; this signlstm's "
                                                          "frames hold 1662"),
    ({"layout": "x"}, "'layout' 'x' is not an object"),
]


@pytest.mark.parametrize("fields,problem", BAD_FIELDS, ids=[str(f) for f, _ in BAD_FIELDS])
def test_a_wrongly_typed_metadata_field_is_bad_input_naming_the_json(tmp_path, fields, problem):
    folder = _shipped_with(tmp_path, **fields)
    with pytest.raises(BadInput) as e:
        bundle.load_bundle(folder)
    assert e.value.path == str(folder / bundle.META_FILE) and e.value.problem.startswith(problem)
    assert "\n" not in str(e.value)


def test_the_metadata_of_every_shipped_bundle_passes_the_checks(tmp_path):
    for folder in (bundle.DEFAULT_MODEL, bundle.SPOTTING_MODEL, bundle.DEFAULT_MODEL.parent / "trunk"):
        meta = bundle.read_meta(folder)
        assert meta["labels"] and set(meta.get("parts_read", [])) <= {"pose", "face", "left_hand", "right_hand"}
    # fields read with a default may be absent: the bundle loads, and reads every part of the frame
    loaded = bundle.load_bundle(_shipped_with(tmp_path, training=None, parts_read=None, reject_bias=None,
                                              format=None, layout=None))
    assert loaded.parts_read == ["pose", "face", "left_hand", "right_hand"] and loaded.reads_face


@pytest.mark.parametrize("command,fields,problem", [
    ("evaluate", {"training": "x"}, "'training' 'x' is not an object"),
    ("live", {"parts_read": 5}, "'parts_read' 5 is not a list"),
    ("adapt", {"reject_bias": "x"}, "'reject_bias' 'x' is not a number"),
    ("predict", {"reject_label": "zzz"}, "'reject_label' 'zzz' is not one of its labels"),
])
def test_commands_given_a_bundle_with_a_wrongly_typed_field_say_so_in_one_line(tmp_path, shared, capsys, command,
                                                                              fields, problem):
    """Were an AttributeError (evaluate), a TypeError (live, adapt) traceback, or silently accepted (predict)."""
    from signlstm.cli import main

    folder = _shipped_with(tmp_path, **fields)
    data = str(shared("data", "signers", "s02.npz"))
    argv = {"evaluate": ["--data", data], "predict": ["--data", data],
            "adapt": ["--data", data, "--shots", "2", "--out", str(tmp_path / "out")],
            "live": ["--source", str(shared("media", "asl_iloveyou_rohan937_frame20.jpg")), "--headless"]}[command]
    assert main([command, "--model", str(folder), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{folder / bundle.META_FILE}: {problem}" in err[0], err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("fields,problem", [
    ({"labels": ["hello", "hello", "iloveyou", "none"]}, "has no 'labels' list of distinct names"),
    ({"seq_len": 0}, "'seq_len' 0 is not a number of frames from 1 to"),
    ({"labels": ["hello", "thanks", "iloveyou", "bye", "none"]},
     "the model reads (30, 1662) and gives 4 outputs; its signlstm.json says (30, 1662) and 5 labels"),
])
def test_labels_and_window_that_do_not_match_the_model_are_bad_input(tmp_path, fields, problem):
    """Labels name the model's outputs in order: duplicates or one label too many would name the wrong sign."""
    folder = _shipped_with(tmp_path, **fields)
    with pytest.raises(BadInput) as e:
        bundle.load_bundle(folder)
    assert problem in str(e.value)


def test_an_oversized_metadata_file_is_refused_before_it_is_parsed(tmp_path):
    folder = _shipped_with(tmp_path, notes="x" * bundle.MAX_META_BYTES)
    with pytest.raises(BadInput, match=r"signlstm.json: 1,0\d\d,\d\d\d bytes; a bundle's signlstm.json is at most"):
        bundle.load_bundle(folder)


def test_asking_a_bundle_for_actions_it_does_not_know_names_them():
    from signlstm.errors import SignlstmError

    with pytest.raises(SignlstmError, match=r"the model does not know \['bye'\]"):
        bundle.load_bundle(bundle.DEFAULT_MODEL, ["hello", "bye", "none"])
    assert bundle.load_bundle(bundle.DEFAULT_MODEL, ["hello", "none"]).labels == ["hello", "thanks", "iloveyou", "none"]


def test_a_saved_bundle_folder_gets_the_usual_permissions(tmp_path):
    import os
    import stat

    umask = os.umask(0o022)
    try:
        out = bundle.save_bundle(_small_bundle().model, _small_bundle().meta, tmp_path / "m")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755


def test_front_models_by_rule():
    assert bundle.front_model("spot") == bundle.SPOTTING_MODEL
    for rule in (None, "stream", "tutorial"):
        assert bundle.front_model(rule) == bundle.DEFAULT_MODEL


def test_openset_head_says_none_outside_every_radius_and_its_numpy_twin_agrees():
    """The vocabulary head: a window within its nearest sign's radius (distance per sqrt(dimension)) is that sign;
    beyond every radius it is ``none`` (the last output); at the radius itself, a tie. The Keras layer and
    ``openset_probs`` give the same probabilities, which sum to 1."""
    import keras

    D = 4
    weights = {"mean": np.zeros(D), "scale": np.ones(D), "prototypes": np.array([[2.0, 0, 0, 0], [-2.0, 0, 0, 0]]),
               "radii": np.array([1.0, 0.5]), "kernel": np.array([[1.0, -1.0], [0, 0], [0, 0], [0, 0]]),
               "bias": np.zeros(2)}
    weights = {k: np.asarray(v, np.float32) for k, v in weights.items()}
    points = np.array([[2.0, 0, 0, 0],  # on sign 0's prototype
                       [-2.0, 0, 0, 0],  # on sign 1's: far from sign 0's, near its own
                       [2.0, 0, 0, 2.0],  # 2 / sqrt(4) = 1: at sign 0's radius
                       [-2.0, 0, 0, 2.0],  # 1 from sign 1's prototype, twice its radius 0.5
                       [0.0, 0, 9.0, 0]], np.float32)  # far from both
    probs = architectures.openset_probs(weights, points)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-6)
    assert probs[[0, 1, 3, 4]].argmax(1).tolist() == [0, 1, 2, 2]
    assert probs[:2, 2].max() < 1e-3 and probs[3:, 2].min() > 0.99
    np.testing.assert_allclose(probs[2, 2], 0.5, atol=1e-6)
    inp = keras.Input((D,))
    model = architectures.build_openset_model(inp, inp, weights)
    np.testing.assert_allclose(np.asarray(model(points)), probs, atol=1e-5)
    # tied: none outside the radius of the sign the linear map names. On sign 1's prototype, but named sign 0 (its
    # bias): the nearest-radius rule answers sign 0, the tied one none; on a prototype named rightly, both the sign
    weights["bias"] = np.array([5.0, 0.0], np.float32)
    for tied, answers in ((False, [0, 0]), (True, [0, 2])):
        probs = architectures.openset_probs(weights, points[:2], tied=tied)
        np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-6)
        assert probs.argmax(1).tolist() == answers
        model = architectures.build_openset_model(inp, inp, weights, tied=tied)
        np.testing.assert_allclose(np.asarray(model(points[:2])), probs, atol=1e-5)
        assert model.get_layer("head").get_config()["tied"] is tied


def test_saving_over_a_folder_that_is_not_a_bundle_is_refused_and_leaves_it_whole(tmp_path, shared):
    """``--out`` given a data folder by mistake: the folder would be swapped out and deleted."""
    import shutil

    data = tmp_path / "MP_Data"
    shutil.copytree(shared("data", "MP_Data_renotte", "hello", "30"), data / "hello" / "0")
    b = _small_bundle()
    with pytest.raises(BadInput, match="a folder that is not a model"):
        bundle.save_bundle(b.model, b.meta, data)
    assert len(list((data / "hello" / "0").glob("*.npy"))) == 30 and [p.name for p in tmp_path.iterdir()] == ["MP_Data"]


def test_a_model_of_nan_or_infinite_weights_is_neither_written_nor_loaded(tmp_path, shared):
    """A training that diverged (keypoint values of 1e30) left NaN weights whose every answer is NaN (``predict
    --json`` printed ``NaN``, not JSON): saving it is refused with nothing written, and a model file holding such
    weights (saved before the check) is named when loaded. Infinite weights (an overflow, no NaN yet) are refused
    alike."""
    from signlstm.errors import SignlstmError

    b = _small_bundle()
    good = bundle.save_bundle(b.model, b.meta, tmp_path / "good")
    kernel, bias = b.model.layers[-1].get_weights()
    for bad in (np.full_like(bias, np.nan), np.array([np.inf, -np.inf, np.inf], bias.dtype)):
        b.model.layers[-1].set_weights([kernel, bad])
        with pytest.raises(SignlstmError, match=r"m: not written: .* 3 of its 596,675 weights are NaN or infinite"):
            bundle.save_bundle(b.model, b.meta, tmp_path / "m")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["good"]
    b.model.layers[-1].set_weights([kernel, np.array([np.nan, np.inf, -np.inf], bias.dtype)])
    b.model.save(good / "model.keras")  # as an older signlstm wrote it
    with pytest.raises(BadInput, match=r"model.keras: unusable model: 3 of its 596,675 weights are NaN"):
        bundle.load_bundle(good)


def test_a_bundle_whose_keras_archive_was_cut_short_says_so(tmp_path):
    """A copy or download cut short loses the zip's directory, which is at its end: the file is named as truncated,
    not as "not a readable HDF5 file"."""
    import shutil

    shutil.copytree(bundle.DEFAULT_MODEL, tmp_path / "m")
    whole = (tmp_path / "m" / bundle.MODEL_FILE).read_bytes()
    (tmp_path / "m" / bundle.MODEL_FILE).write_bytes(whole[:len(whole) // 2])
    with pytest.raises(BadInput, match=r"model.keras: a truncated .keras archive"):
        bundle.load_bundle(tmp_path / "m")


def _tiny_lstm(path, length, per_frame=False, outputs=3):
    """A tutorial-style model saved at ``path``: LSTM over (``length``, 1662) frames, softmax over ``outputs``; with
    ``per_frame`` an answer for every frame."""
    import keras

    model = keras.Sequential([keras.Input((length, 1662)), keras.layers.LSTM(4, return_sequences=per_frame),
                              keras.layers.Dense(outputs, activation="softmax")])
    model.save(path)
    return path


def test_a_model_that_answers_per_frame_is_refused_and_one_of_any_length_reads_30_frames(tmp_path, shared):
    """An LSTM built without input_length reads windows of any length: it loads with the tutorial's 30 frames and
    answers. One that answers for every frame is refused by name, as a tutorial file and inside a bundle."""
    import shutil

    any_length = bundle.load_bundle(_tiny_lstm(tmp_path / "any.h5", None), ["hello", "thanks", "iloveyou"])
    X = load_npz(shared("data", "signers", "s02.npz")).X[:4]
    assert any_length.seq_len == 30 and any_length.predict(X).shape == (4, 3)
    with pytest.raises(BadInput, match=r"per_frame.h5: the model gives \(30, 3\) per window \(an answer per frame"):
        bundle.load_bundle(_tiny_lstm(tmp_path / "per_frame.h5", 30, per_frame=True), ["hello", "thanks", "iloveyou"])
    shutil.copytree(bundle.DEFAULT_MODEL, tmp_path / "m")
    _tiny_lstm(tmp_path / "m" / bundle.MODEL_FILE, 30, per_frame=True, outputs=4)
    with pytest.raises(BadInput, match=r"model.keras: the model gives \(30, 4\) per window"):
        bundle.load_bundle(tmp_path / "m")


def test_a_configuration_describing_layers_its_weights_do_not_hold_is_refused_before_it_is_built(tmp_path):
    """The shipped bundle with its GRUs' units edited from 64 to 8000 in the archive's config.json (1.6 MB on disk):
    Keras would allocate gigabytes building it before reading a weight. It is refused from the declared sizes, as is
    an edit to 1000 units (tens of MB: under the memory limit, but far more than the archive's weights hold)."""
    import shutil
    import zipfile

    shutil.copytree(bundle.DEFAULT_MODEL, tmp_path / "m")
    archive = tmp_path / "m" / bundle.MODEL_FILE
    with zipfile.ZipFile(bundle.DEFAULT_MODEL / bundle.MODEL_FILE) as z:
        members = {n: z.read(n) for n in z.namelist()}
    config = members["config.json"].decode()
    assert config.count('"units": 64') >= 2
    for units, size in (("8000", "GB"), ("1000", "MB")):  # 1000: under the memory limit, far over what it holds
        members["config.json"] = config.replace('"units": 64', f'"units": {units}').encode()
        with zipfile.ZipFile(archive, "w") as z:
            for name, data in members.items():
                z.writestr(name, data)
        with pytest.raises(BadInput, match=rf"model.keras: config.json describes layers of at least [\d.]+ {size} of "
                                           r"weights, but the archive holds [\d.]+ [kM]B"):
            bundle.load_bundle(tmp_path / "m")  # (built, it would fail on the weights' shapes with another message)


def test_model_files_of_the_wrong_kind_and_bundle_members_that_are_not_files_say_what_they_are(tmp_path):
    """An HDF5 model saved as model.keras, an empty model.keras, a text one, a model.keras that is a folder, a .keras
    model saved as action.h5: each is named with what it is."""
    import shutil

    cases = [(lambda f: _tiny_lstm(f.with_suffix(".h5"), 30, outputs=4).rename(f),
              "an HDF5 model under a .keras name (a .keras model is a zip archive): name it .h5"),
             (lambda f: f.write_bytes(b""), "an empty file, not a model"),
             (lambda f: f.write_text("not a model"), "not a .keras model (a .keras model is a zip archive)"),
             (lambda f: f.mkdir(), "a folder, not a file")]
    for n, (make, said) in enumerate(cases):
        folder = tmp_path / f"m{n}"
        shutil.copytree(bundle.DEFAULT_MODEL, folder)
        (folder / bundle.MODEL_FILE).unlink()
        make(folder / bundle.MODEL_FILE)
        with pytest.raises(BadInput) as e:
            bundle.load_bundle(folder)
        assert str(e.value) == f"{folder / bundle.MODEL_FILE}: {said}", str(e.value)
    renamed = shutil.copy(bundle.DEFAULT_MODEL / bundle.MODEL_FILE, tmp_path / "action.h5")  # the other way round
    with pytest.raises(BadInput) as e:
        bundle.load_bundle(renamed, ["hello", "thanks", "iloveyou", "none"])
    assert str(e.value) == (f"{renamed}: a zip archive under an HDF5 name (a .keras model is a zip archive): if it is "
                            "a Keras model, name it .keras")


def test_a_label_with_a_line_break_is_refused_and_reordered_labels_are_warned_of(tmp_path, capsys):
    """Labels are shown on one line: one holding a line break is refused. Labels put in another order than the one
    the model was trained in (its training.actions) would name every answer wrongly: the commands warn."""
    from signlstm.cli import main

    with pytest.raises(BadInput, match=r"label 'than\\nks' holds a control character"):
        bundle.load_bundle(_shipped_with(tmp_path, labels=["hello", "than\nks", "iloveyou", "none"]))
    swapped = _shipped_with(tmp_path / "s", labels=["thanks", "hello", "iloveyou", "none"])
    assert bundle.label_order_problem(bundle.read_meta(bundle.DEFAULT_MODEL)) is None
    assert main(["summary", "--model", str(swapped)]) == 0
    assert (f"warning: {swapped}: its labels ['thanks', 'hello', 'iloveyou', 'none'] are not in the order it was "
            "trained in (['hello', 'thanks', 'iloveyou', 'none'], 'training.actions')") in capsys.readouterr().err


def test_a_model_whose_window_or_layers_would_take_any_memory_to_run_is_refused(tmp_path, shared):
    """A real tutorial file whose configuration is edited to read windows of 10^9 frames, and a small bundle (its
    weights a few kB) whose layer repeats a vector 400,000 times: their weights pass the size checks, running them
    would not fit in memory. Both are refused when loaded, by name; the shipped models load."""
    import shutil

    import h5py
    import keras

    path = tmp_path / "long.h5"
    shutil.copy(shared("data", "legacy_models", "Izroth404__action.h5"), path)
    with h5py.File(path, "r+") as f:
        config = f.attrs["model_config"]
        text = config.decode() if isinstance(config, bytes) else config
        assert text.count("[null, 30, 1662]") == 2  # the input layer and the first LSTM
        f.attrs["model_config"] = text.replace("[null, 30, 1662]", "[null, 1000000000, 1662]")
    with pytest.raises(BadInput, match=r"long.h5: the model reads windows of 1000000000 frames; signlstm reads at "
                                       r"most 1000"):
        bundle.load_bundle(path, ACTIONS)
    inp = keras.Input((30, 1662))
    x = keras.layers.Dense(8)(keras.layers.GlobalAveragePooling1D()(inp))
    x = keras.layers.GlobalMaxPooling1D()(keras.layers.Conv1D(8, 5)(keras.layers.RepeatVector(400_000)(x)))
    model = keras.Model(inp, keras.layers.Dense(4, activation="softmax")(x))
    bundle.save_bundle(model, {"labels": ACTIONS + ["none"], "seq_len": 30, "arch": "odd"}, tmp_path / "b")
    with pytest.raises(BadInput, match=r"model.keras: its layer 'repeat_vector' outputs 3,200,000 values per window"):
        bundle.load_bundle(tmp_path / "b")
    for shipped in (bundle.DEFAULT_MODEL, bundle.SPOTTING_MODEL):
        bundle.load_bundle(shipped)


def test_a_model_without_biases_is_not_flagged_as_untrained():
    """A model with no bias in any layer (LSTM and Dense built with ``use_bias=False``) gives nothing to tell an
    untrained model by: the real outcome is that it is not flagged (no "untrained" warning on a model that may be
    trained)."""
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input((30, 1662)), layers.LSTM(8, use_bias=False),
                              layers.Dense(3, activation="softmax", use_bias=False)])
    assert not legacy.looks_untrained(model)


def test_a_model_reading_long_windows_whose_layers_output_no_more_than_the_window_is_taken(tmp_path):
    """A model reading 640-frame windows (within MAX_SEQ_LEN) whose first layer (Masking) outputs the window itself,
    640 x 1662 = 1,063,680 values, more than MAX_LAYER_VALUES (2**20): the real outcome is that its input shape is
    taken, since no layer outputs more than the window it reads."""
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input((640, 1662)), layers.Masking(), layers.LSTM(4),
                              layers.Dense(3, activation="softmax")])
    assert 640 * 1662 > legacy.MAX_LAYER_VALUES
    assert legacy.io_shape(tmp_path / "long.keras", model) == (640, 1662)


def test_a_model_ending_in_a_sigmoid_is_not_taken_for_one_giving_class_probabilities():
    """A last Dense layer with a sigmoid gives each class a score on its own (they need not sum to 1): the real
    outcome is that it is not read as class probabilities, while the same model ending in a softmax is."""
    import keras
    from keras import layers

    def ending(activation):
        return keras.Sequential([keras.Input((30, 1662)), layers.LSTM(4), layers.Dense(3, activation=activation)])

    assert legacy.gives_probabilities(ending("softmax"))
    assert not legacy.gives_probabilities(ending("sigmoid"))


def test_a_model_file_whose_softmax_is_inside_a_nested_model_loads_and_answers_as_keras_does(shared, tmp_path):
    """A tutorial user's network wrapped in another Sequential (a nested model whose last layer is the softmax) and
    saved as ``.h5``: its class probabilities come from the nested model's softmax, so it loads with its labels and
    answers s02's recordings as Keras does; the same nesting ending in a linear layer is refused."""
    import keras
    from keras import layers

    def nested(activation, name):
        inner = keras.Sequential([keras.Input((30, 1662)), layers.LSTM(8), layers.Dense(3, activation=activation)],
                                 name="network")
        outer = keras.Sequential([keras.Input((30, 1662)), inner], name="wrapped")
        outer.save(tmp_path / name)
        return outer

    model = nested("softmax", "nested.h5")
    X = load_npz(shared("data", "signers", "s02.npz")).X[::20].astype(np.float32)
    b = bundle.load_bundle(tmp_path / "nested.h5", ACTIONS)
    assert b.labels == ACTIONS and b.seq_len == 30
    np.testing.assert_allclose(b.predict(X), model.predict(X, verbose=0), atol=1e-5)
    nested("linear", "logits.h5")
    with pytest.raises(BadInput, match="gives no probabilities"):
        bundle.load_bundle(tmp_path / "logits.h5", ACTIONS)


def test_a_save_that_fails_midway_leaves_the_earlier_bundle_whole(tmp_path, shared):
    """``save_bundle`` fills a temporary folder renamed onto ``out`` at the end: a save that fails after its
    model.keras and signlstm.json are written (here an extra file whose data is not bytes; a full disk or a Ctrl-C
    alike) leaves the earlier bundle at ``out`` as it was, its labels and its answers, and nothing beside it."""
    X = load_npz(shared("data", "signers", "s03.npz")).X[::30]
    b = _small_bundle()
    bundle.save_bundle(b.model, b.meta, tmp_path / "m")
    before = bundle.load_bundle(tmp_path / "m").predict(X)
    other = architectures.build_tutorial_model(3)
    assert not np.allclose(other.predict(X, verbose=0), before)  # another model: its answers would show
    with pytest.raises(TypeError):
        bundle.save_bundle(other, {**b.meta, "labels": ["a", "b", "c"]}, tmp_path / "m", extra={"F.npz": None})
    again = bundle.load_bundle(tmp_path / "m")
    assert again.labels == ACTIONS and np.array_equal(again.predict(X), before)
    assert [p.name for p in tmp_path.iterdir()] == ["m"]
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["model.keras", "signlstm.json"]


def test_a_tutorial_h5_holding_nan_weights_is_refused_naming_it(shared, tmp_path):
    """The trained tutorial file (FruitPnchSamuraiG's) saved again with NaN and infinite biases in its softmax layer,
    as a diverged notebook run leaves it: loaded as ``--model FILE.h5 --actions ...`` it is refused naming the file,
    as a bundle folder's model.keras is, instead of answering NaN for every window."""
    path, actions = shared("data", "legacy_models", "FruitPnchSamuraiG__action.h5"), ACTIONS + ["rashford"]
    model = bundle.load_bundle(path, actions).model
    kernel, bias = model.layers[-1].get_weights()
    model.layers[-1].set_weights([kernel, np.array([np.nan, np.inf, -np.inf, 0.0], bias.dtype)])
    model.save(tmp_path / "action.h5")
    with pytest.raises(BadInput, match=r"action.h5: unusable model: 3 of its [\d,]+ weights are NaN or infinite"):
        bundle.load_bundle(tmp_path / "action.h5", actions)


def test_a_model_reading_windows_of_max_seq_len_frames_is_taken_and_one_frame_more_is_not(tmp_path):
    """The window limit is inclusive, as a bundle's ``seq_len`` (1 to MAX_SEQ_LEN) is: a tutorial-style LSTM reading
    windows of exactly MAX_SEQ_LEN (1000) frames is taken with that shape; one reading a frame more is refused by
    name."""
    import keras
    from keras import layers

    from signlstm.layout import MAX_SEQ_LEN

    def reading(frames):
        return keras.Sequential([keras.Input((frames, 1662)), layers.LSTM(4), layers.Dense(3, activation="softmax")])

    assert legacy.io_shape(tmp_path / "max.h5", reading(MAX_SEQ_LEN)) == (MAX_SEQ_LEN, 1662)
    too_long = f"reads windows of {MAX_SEQ_LEN + 1} frames; signlstm reads at most {MAX_SEQ_LEN}"
    with pytest.raises(BadInput, match=too_long):
        legacy.io_shape(tmp_path / "over.h5", reading(MAX_SEQ_LEN + 1))


def test_a_bundle_whose_labels_hold_format_characters_still_loads(tmp_path):
    """A tree's sign folders could be named with a zero-width space or a right-to-left override before such names
    were refused: a bundle trained on them loads as before (only a label no line can show is refused), its labels as
    written."""
    b = _small_bundle()
    labels = ["hel\u200blo", "\u202ethanks", "iloveyou"]
    bundle.save_bundle(b.model, {**b.meta, "labels": labels}, tmp_path / "m")
    assert bundle.load_bundle(tmp_path / "m").labels == labels


def _sign_names():
    """Names ``collect``/``extract`` take for a sign (any script, spaces inside, marks, joiners, look-alikes in other
    cases and spellings), composed, each refused name left out."""
    from hypothesis import strategies as st

    from signlstm.sign_names import name_problem, sign_name

    letters = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"))
    tricky = st.sampled_from(["none", "hello", "Hello", "thank you", "ñandú", "schön", "e\u0301", "é",
                              "नमस्ते", "長い名前", "a\u200db", "ß", "SS", "ǅ", "x" * 60, "it's", '"q"', "a\\b", "1", "Σ"])
    return (tricky | st.text(letters, min_size=1, max_size=12)).map(sign_name).filter(lambda n: not name_problem(n))


@pytest.fixture(scope="module")
def s03_windows():
    from signlstm.conftest import shared_path

    return load_npz(shared_path("data", "signers", "s03.npz")).X[::15]


@settings(max_examples=15, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(_sign_names(), min_size=1, max_size=5, unique=True), seed=st.integers(0, 3), data=st.data())
def test_a_bundle_saved_with_any_valid_labels_loads_back_with_them_in_order_and_answers_alike(tmp_path, s03_windows,
                                                                                             names, seed, data):
    """Property: a bundle saved with any 2-6 distinct sign names the recorders take (composed; the same name in
    other cases, which are other signs on a disk that tells cases apart; ``none`` among them the rejection label)
    loads back with the same labels in the same order, the same rejection label, no reordering warning against its
    own training counts, and the same probabilities for real windows, output by output."""
    import keras

    from signlstm.sign_names import name_problem, sign_name

    twins = [sign_name(v) for v in (names[0].upper(), names[0].lower(), names[0].swapcase(), names[0].title())]
    labels = list(dict.fromkeys(names + data.draw(st.lists(st.sampled_from(twins), max_size=2), label="cases")))
    labels = [a for a in labels if not name_problem(a)]
    assume(len(labels) >= 2)
    labels = data.draw(st.permutations(labels), label="order")

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((30, 1662))
    model = keras.Model(inputs, keras.layers.Dense(len(labels), activation="softmax")(
        keras.layers.GlobalAveragePooling1D()(inputs)))
    reject = "none" if "none" in labels else None
    meta = {"labels": labels, "seq_len": 30, "reject_label": reject, "training": {"actions": {a: 3 for a in labels}}}
    out = bundle.save_bundle(model, meta, tmp_path / f"m{len(list(tmp_path.iterdir()))}")
    again = bundle.load_bundle(out)
    assert again.labels == labels and again.reject_label == reject
    assert bundle.label_order_problem(again.meta) is None
    np.testing.assert_array_equal(again.predict(s03_windows), bundle.Bundle(model, meta).predict(s03_windows))


def test_a_bundle_replaced_while_it_is_read_is_read_whole(tmp_path):
    """Another command replaces the bundle folder (``train --out`` of the folder a starting ``serve`` reads: a new
    folder renamed into place) 30 times, a fifth of a second apart, while it is loaded over and over: every load
    gives one bundle's metadata with that same bundle's model (the shipped model's 4 labels, or the trunk's 109),
    never one's labels with the other's network (refused as a model whose outputs are not its labels, or silently
    misnamed when the counts agree)."""
    import subprocess
    import sys

    sources = []
    for name, src in (("four", bundle.DEFAULT_MODEL), ("many", bundle.TRUNK_MODEL)):
        (tmp_path / name).mkdir()
        for f in (bundle.MODEL_FILE, bundle.META_FILE):
            (tmp_path / name / f).write_bytes((src / f).read_bytes())
        sources.append(str(tmp_path / name))
    out = tmp_path / "m"
    script = ("import os, shutil, sys, time\n"
              "from signlstm.files import folder_atomic\n"
              "out, sources = sys.argv[1], sys.argv[2:]\n"
              "for i in range(31):\n"
              "    with folder_atomic(out, replace=True) as tmp:\n"
              "        for f in ('model.keras', 'signlstm.json'):\n"
              "            shutil.copy(os.path.join(sources[i % 2], f), tmp / f)\n"
              "    print(i, flush=True)\n"
              "    time.sleep(0.2)\n")
    writer = subprocess.Popen([sys.executable, "-c", script, str(out), *sources], stdout=subprocess.PIPE, text=True)
    writer.stdout.readline()  # the first bundle is in place
    labels = []
    while writer.poll() is None:
        b = bundle.load_bundle(out)
        assert b.model.output_shape[-1] == len(b.labels)
        labels.append(len(b.labels))
    assert writer.returncode == 0 and labels and set(labels) <= {4, 109}, labels


@pytest.mark.parametrize("edit", ["no 'adapted'", "method 'top'"])
def test_a_vocabulary_whose_metadata_does_not_say_so_is_refused_naming_it(tmp_path, capsys, edit):
    """A vocabulary bundle (``adapt --vocabulary`` of s23) whose ``signlstm.json`` lost its ``adapted`` record, or
    names another method: loading it is one :class:`BadInput` naming the folder, and ``adapt --model`` of it is one
    line and exit status 2 with nothing written, not a traceback from refitting its open-set head as a Dense one."""
    from signlstm.cli import main
    from signlstm.models.vocabulary import TRUNK_MODEL, adapt_vocab

    s23 = shared_path("data", "vocab", "s23.npz")
    made = adapt_vocab(bundle.load_bundle(TRUNK_MODEL), load_npz(s23), shots=2)
    meta = dict(made.meta)
    if edit == "no 'adapted'":
        del meta["adapted"]
    else:
        meta["adapted"] = {**meta["adapted"], "method": "top"}
    folder = bundle.save_bundle(made.model, meta, tmp_path / "vocab")
    with pytest.raises(BadInput, match="open-set head") as e:
        bundle.load_bundle(folder)
    assert e.value.path == str(folder)
    capsys.readouterr()
    assert main(["adapt", "--model", str(folder), "--data", str(s23), "--shots", "2", "--out",
                 str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "open-set head" in err and not (tmp_path / "out").exists()
