"""The foundation commands end to end on real data: train, evaluate, predict, summary, export, bad input."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from signlstm.cli import main


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The default recipe trained briefly on one DEV signer (s03), 20% held back."""
    from signlstm.conftest import shared_path
    from signlstm.models.bundle import save_bundle
    from signlstm.datasets import load_npz
    from signlstm.models.training import fit

    data = load_npz(shared_path("data", "signers", "s03.npz"))
    b = fit(data, "default", epochs=25, seed=1, test_split=0.2, progress=False)
    out = tmp_path_factory.mktemp("models") / "s03"
    save_bundle(b.model, b.meta, out)
    return out, b


def test_short_training_on_one_signer_learns(trained):
    _, b = trained
    m = b.meta["metrics"]
    assert m["test_sequences"] == 18
    assert m["test_accuracy"] >= 0.8  # chance is 1/3


def test_train_command_writes_a_tutorial_bundle(tmp_path, shared, capsys):
    out = tmp_path / "tut"
    assert main(["train", "--data", str(shared("data", "MP_Data_renotte")), "--actions", "hello", "thanks",
                 "iloveyou", "--arch", "tutorial", "--epochs", "2", "--seed", "3", "--out", str(out),
                 "--logdir", str(tmp_path / "logs")]) == 0
    meta = json.loads((out / "signlstm.json").read_text())
    assert meta["labels"] == ["hello", "thanks", "iloveyou"] and meta["parameters"] == 596_675
    assert meta["training"]["sequences"] == 90 and meta["metrics"]["test_sequences"] == 5
    assert meta["training"]["epochs_run"] == 2  # --epochs, not the recipe's 500
    assert any((tmp_path / "logs").iterdir())  # TensorBoard event file
    assert "596,675 parameters" in capsys.readouterr().out


def test_train_seed_gives_its_own_model_and_the_same_one_again(tmp_path, shared):
    """``train --seed``: one epoch on s02 with seed 1 twice gives the same weights, with seed 2 other ones."""
    from signlstm.models.bundle import load_bundle

    def weights(seed, name):
        assert main(["train", "--data", str(shared("data", "signers", "s02.npz")), "--epochs", "1", "--seed",
                     str(seed), "--out", str(tmp_path / name)]) == 0
        return load_bundle(tmp_path / name).model.get_weights()

    one, again, two = weights(1, "a"), weights(1, "b"), weights(2, "c")
    assert all(np.array_equal(x, y) for x, y in zip(one, again))
    assert not all(np.array_equal(x, y) for x, y in zip(one, two))


def test_judge_cv_runs_each_recipe_and_seed_asked_for_and_writes_every_fold(tmp_path, shared, capsys):
    """``judge cv`` from the command line, two people: the default recipe with seeds 0 and 1 and the tutorial's with
    seed 1 (one epoch each), every fold in ``--results`` and both recipes in the ``--json`` summary; a ``--cells``
    file that names no cell of one of them is said."""
    people = [str(shared("data", "signers", f"{p}.npz")) for p in ("s03", "s05")]
    (tmp_path / "cells.json").write_text(json.dumps({"include": {"s03": ["hello"]}}))
    assert main(["judge", "cv", "--data", *people, "--arch", "default", "tutorial", "--seeds", "0", "1",
                 "--tutorial-seeds", "1", "--epochs", "1", "--tutorial-epochs", "1", "--workers", "1", "--json",
                 "--results", str(tmp_path / "r.json"), "--cache", str(tmp_path / "cache"),
                 "--cells", str(tmp_path / "cells.json")]) == 0
    out = capsys.readouterr()
    assert f"note: {tmp_path / 'cells.json'} names no cell of s05: their signs" in out.err
    folds = json.loads((tmp_path / "r.json").read_text())["results"]
    assert sorted((r["arch"], r["seed"], r["signer"]) for r in folds) == [
        ("default", 0, "s03"), ("default", 0, "s05"), ("default", 1, "s03"), ("default", 1, "s05"),
        ("tutorial", 1, "s03"), ("tutorial", 1, "s05")]
    summary = json.loads(out.out.splitlines()[-1])["summary"]
    assert sorted(summary) == ["default", "tutorial"], summary


def test_train_with_negatives_stores_other_signs_that_adapt_uses(tmp_path, shared, capsys):
    """``train --negatives`` writes the trunk features of the other signs beside the model (``other_signs.npz``),
    and ``adapt`` without ``--negatives`` takes its 'none' examples of other signs from them."""
    from signlstm.models.stored_features import OTHER_SIGNS, OTHER_SIGNS_COPIES
    from signlstm.models.bundle import load_bundle

    out = tmp_path / "base"
    assert main(["train", "--data", str(shared("data", "signers", "s02.npz")), "--negatives",
                 str(shared("data", "other_signs", "o04.npz")), "--epochs", "1", "--out", str(out)]) == 0
    assert "no --negatives" not in capsys.readouterr().err
    F = np.load(out / OTHER_SIGNS)["F"]
    n = len(np.load(shared("data", "other_signs", "o04.npz"))["y"])
    assert F.shape[:2] == (min(n, 200), OTHER_SIGNS_COPIES) and np.isfinite(F).all() and F.std() > 0
    assert main(["adapt", "--model", str(out), "--data", str(shared("data", "signers", "s03.npz")), "--shots", "2",
                 "--out", str(tmp_path / "mine")]) == 0
    adapted = load_bundle(tmp_path / "mine").meta["adapted"]
    assert adapted["other_signs"] == 3 * 6 and adapted["other_signs_from"] == "base"
    capsys.readouterr()


def test_long_stages_are_said_on_a_terminal_before_their_silence(tmp_path, shared, capsys):
    """At a terminal, `train --negatives`, `evaluate` and `judge cv` say each stage that keeps them silent for a while
    as it starts (reading, the first epoch's compiling, the other signs' features; loading and scoring with a bar;
    reading and checking every person before the folds); a log or a program reading stderr gets none of it."""
    from signlstm.conftest import in_terminal

    s02, o04 = shared("data", "signers", "s02.npz"), shared("data", "other_signs", "o04.npz")
    n = len(np.load(o04)["y"])
    code, out, shown = in_terminal(["train", "--data", str(s02), "--negatives", str(o04), "--epochs", "1", "--out",
                                    str(tmp_path / "m")])
    assert code == 0 and out.startswith(f"wrote {tmp_path / 'm'}"), shown
    stages = [line for line in shown.splitlines() if line.endswith("...")]
    assert stages == [f"train: reading {s02}...", f"train: reading the other signs, {o04}...",
                      "train: training on 194 sequences for up to 1 epoch; the first epoch also compiles the network, "
                      "so it takes longest...", f"train: storing the trunk features of the {n} other signs, for adapt..."]
    assert shown.index(stages[2]) < shown.index("train: 100%|")  # said before the bar is drawn

    code, out, shown = in_terminal(["evaluate", "--data", str(s02)])
    assert code == 0 and out.startswith("accuracy 0.933 on 90 sequences"), shown
    assert shown.startswith("evaluate: loading the shipped model...\nevaluate: scoring 90 recordings, at most 256 at a "
                            "time; the first chunk also compiles the model...\n"), shown
    assert "evaluate: 100%|" in shown and "| 90/90 [" in shown

    code, out, shown = in_terminal(["judge", "cv", "--data", str(s02), "--epochs", "1"])  # one person: refused
    assert code == 2 and shown.splitlines() == [
        "judge cv: reading every person's recordings (checked for one person under two names, and keyed for the "
        "cache) before the folds...", "signlstm judge cv: error: cross-validation needs at least 2 signers, the "
        "data has ['s02']"], shown

    assert main(["evaluate", "--data", str(s02)]) == 0  # stderr not a terminal: nothing of it
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("command", [["train", "--epochs", "1"], ["adapt"]])
def test_train_with_negatives_that_are_all_its_own_signs_is_refused_before_training(tmp_path, shared, capsys,
                                                                                    command):
    """Another signer's hello / thanks / iloveyou given as negatives are all left out (they are the signs): one line
    naming them and why, exit 2, nothing written, before any training (adapt accepted them silently)."""
    negatives = str(shared("data", "signers", "s04.npz"))
    assert main([command[0], "--data", str(shared("data", "signers", "s02.npz")), "--negatives", negatives,
                 *command[1:], "--out", str(tmp_path / "m")]) == 2
    err = [e for e in capsys.readouterr().err.strip().splitlines() if not e.startswith("note:")]
    assert len(err) == 1 and err[0].startswith(f"signlstm {command[0]}: error: the other signs in {negatives}: none of "), err
    assert "can be trained as 'none': each is one of the signs (hello, thanks, iloveyou)" in err[0]
    assert not (tmp_path / "m").exists()


def test_evaluate_json_and_plot(trained, shared, tmp_path, capsys):
    out, _ = trained
    plot = tmp_path / "cm.png"
    assert main(["evaluate", "--model", str(out), "--data", str(shared("data", "signers", "s03.npz")),
                 str(shared("data", "signers", "s04.npz")), "--json", "--plot", str(plot)]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["n"] == 180 and set(r["per_signer"]) == {"s03", "s04"}
    assert r["per_signer"]["s03"]["accuracy"] > 0.8
    assert r["trained_on"] == ["s03"]  # the model was trained on s03 (its meta's training groups), never on s04
    assert np.array(r["confusion"]).sum() == 180
    # the model's three signs, each once, and nothing else (no none row: the model has no none output and
    # no recording is labelled none)
    assert r["labels"] == ["hello", "thanks", "iloveyou"] and list(r["per_class"]) == r["labels"]
    confusion = np.array(r["confusion"])  # rows: the labels as recorded; columns: the model's answers
    assert confusion.shape == (3, 3) and sum(m["support"] for m in r["per_class"].values()) == 180
    for i, a in enumerate(r["labels"]):
        right, told, made = confusion[i, i], confusion[:, i].sum(), confusion[i].sum()
        # undefined (a label never answered, or none of it in the data): null, not a score of 0
        assert r["per_class"][a]["precision"] == (pytest.approx(right / told) if told else None)
        assert r["per_class"][a]["recall"] == (pytest.approx(right / made) if made else None)
        assert r["per_class"][a]["support"] == made
    assert r["accuracy"] == pytest.approx(np.trace(confusion) / 180)
    seen, unseen = r["per_signer"]["s03"]["accuracy"], r["per_signer"]["s04"]["accuracy"]
    assert seen > unseen and (seen + unseen) / 2 == pytest.approx(r["accuracy"])  # 90 recordings each
    assert plot.read_bytes()[:4] == b"\x89PNG"
    # the table says so: figures on people the model saw flatter it
    assert main(["evaluate", "--model", str(out), "--data", str(shared("data", "signers", "s03.npz")),
                 str(shared("data", "signers", "s04.npz"))]) == 0
    text = capsys.readouterr().out
    assert "the model was trained on s03:" in text and "(in training)" in text.split("\ns03")[1].splitlines()[0]
    assert main(["evaluate", "--model", str(out), "--data", str(shared("data", "signers", "s04.npz"))]) == 0
    assert "trained on" not in capsys.readouterr().out


def test_predict_json_lines(trained, shared, capsys):
    out, _ = trained
    assert main(["predict", "--model", str(out), "--data", str(shared("data", "signers", "s03.npz")), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 90 and rows[5]["index"] == 5 and rows[5]["file"].endswith("s03.npz#5")
    assert abs(sum(rows[0]["probs"].values()) - 1) < 1e-4
    assert np.mean([r["label"] == r["true"] for r in rows]) > 0.8


def test_json_lines_keep_sign_names_as_written(shared, tmp_path, capsys):
    """A sign named in other letters comes out of --json as written (one line each, as parsers and people read it);
    only what would end a line, or no output can encode, is escaped."""
    from signlstm.cli.common import json_line

    z = np.load(shared("data", "signers", "s08.npz"))
    np.savez(tmp_path / "s08.npz", X=z["X"], y=z["y"], seq=z["seq"], actions=np.array(["hello", "thanks", "te amo ñ"]))
    assert main(["predict", "--data", str(tmp_path / "s08.npz"), "--json"]) == 0
    out = capsys.readouterr().out
    assert '"true": "te amo ñ"' in out and "\\u00f1" not in out and len(out.splitlines()) == 90
    assert main(["evaluate", "--data", str(tmp_path / "s08.npz"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["unknown_signs"]["per_label"]["te amo ñ"]["n"] == 30
    odd = {"a\u2028b\x85c": os.fsdecode(b"s\xff.npz")}  # a line separator in a name, a file name's undecodable byte
    line = json_line(odd)
    assert json.loads(line) == odd and len(line.splitlines()) == 1 and line.encode("utf-8")


def test_an_output_in_another_encoding_gets_escapes_not_a_traceback(shared, tmp_path):
    """Output to a terminal or file in cp1252 (Windows'), which has no Devanagari: the table writes the sign's name
    as escapes and --json as JSON's own, which parse back to the name."""
    shutil.copytree(shared("data", "MP_Data_renotte", "hello"), tmp_path / "MP_Data" / "नमस्ते")
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    argv = [sys.executable, "-m", "signlstm", "evaluate", "--data", str(tmp_path / "MP_Data")]
    table = subprocess.run(argv, capture_output=True, env=env)
    assert table.returncode == 0 and b"Traceback" not in table.stderr, table.stderr[-600:]
    assert b"\\u0928\\u092e" in table.stdout
    run = subprocess.run([*argv, "--json"], capture_output=True, env=env)
    assert run.returncode == 0 and list(json.loads(run.stdout)["unknown_signs"]["per_label"]) == ["नमस्ते"]


def test_predict_reads_unlabelled_sequences_as_the_labelled_ones(shared, tmp_path, capsys):
    """The tutorial's X saved alone (np.save) or packed without y (with or without its seq, which numbers each sign's
    recordings from 0): predicted with the shipped model, the same labels and probabilities as the labelled file,
    `true` null, named by row; an unlabelled .npy cut short is one line, exit 2."""
    data = shared("data", "signers", "s08.npz")
    X = np.load(data)["X"]
    np.save(tmp_path / "X.npy", X)
    np.savez(tmp_path / "noy.npz", X=X)
    with np.load(data) as z:  # the file without its labels: its numbers, given per sign, name recordings by row
        np.savez(tmp_path / "noy_seq.npz", X=z["X"], seq=z["seq"])

    def rows(path, note=""):
        assert main(["predict", "--data", str(path), "--json"]) == 0
        out, err = capsys.readouterr()
        assert err == note, err
        return [json.loads(line) for line in out.splitlines()]

    want = rows(data)
    by_row = (f"note: {tmp_path / 'noy_seq.npz'}: seq numbers two recordings alike (each sign's from 0?) and there "
              f"are no labels to tell them apart: its recordings are named by row, {tmp_path / 'noy_seq.npz'}#0 to "
              f"{tmp_path / 'noy_seq.npz'}#89\n")
    for path, note in ((tmp_path / "X.npy", ""), (tmp_path / "noy.npz", ""), (tmp_path / "noy_seq.npz", by_row)):
        got = rows(path, note)
        assert [r["label"] for r in got] == [r["label"] for r in want] and len(got) == len(X)
        assert all(r["true"] is None for r in got) and [r["file"] for r in got] == [f"{path}#{i}" for i in range(90)]
        assert np.allclose([list(r["probs"].values()) for r in got], [list(r["probs"].values()) for r in want],
                           atol=1e-5)
    assert np.mean([r["label"] == r["true"] for r in want]) > 0.8  # the labels compared are mostly right
    (tmp_path / "cut.npy").write_bytes((tmp_path / "X.npy").read_bytes()[:-5000])
    assert main(["predict", "--data", str(tmp_path / "cut.npy")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cut.npy: declares" in err[0] and "holds" in err[0]
    assert main(["predict", "--data", str(data)]) == 0  # in text, a packed file's recordings name their sign: each
    text = capsys.readouterr().out.splitlines()  # sign's are numbered from 0
    assert text[30].endswith(f"{data}#0 (thanks)") and text[0].endswith(f"{data}#0 (hello)"), text[:31:30]
    assert main(["predict", "--data", str(tmp_path / "X.npy")]) == 0
    assert capsys.readouterr().out.splitlines()[30].endswith("X.npy#30")
    tree = tmp_path / "my#data"  # a tree's path names its sign, whatever '#' its folders hold
    shutil.copytree(shared("data", "MP_Data_renotte", "hello", "30"), tree / "hello" / "30")
    shutil.copytree(shared("data", "MP_Data_renotte", "thanks", "30"), tree / "thanks" / "30")
    assert main(["predict", "--data", str(tree)]) == 0
    assert [line.split()[-1] for line in capsys.readouterr().out.splitlines()] == [
        str(tree / "hello" / "30"), str(tree / "thanks" / "30")]
    assert main(["evaluate", "--data", str(tmp_path / "noy.npz")]) == 2  # scoring needs the labels
    assert "lacks array 'y'" in capsys.readouterr().err


def test_summary_and_exports(trained, tmp_path, capsys):
    from signlstm.conftest import shared_path
    from signlstm.datasets import load_npz

    out, b = trained
    assert main(["summary", "--model", str(out)]) == 0
    assert f"parameters: {b.model.count_params():,}" in capsys.readouterr().out
    for fmt, name in (("weights", "a.weights.h5"), ("json", "a.json"), ("h5", "a.h5")):
        assert main(["export", "--model", str(out), "--format", fmt, "--out", str(tmp_path / name)]) == 0
        (tmp_path / "d").mkdir()  # a folder is refused whatever the format, not written beside as d.h5
        assert main(["export", "--model", str(out), "--format", fmt, "--out", str(tmp_path / "d")]) == 2
        assert "d: is a folder" in capsys.readouterr().err and sorted(tmp_path.glob("d*")) == [tmp_path / "d"]
        (tmp_path / "d").rmdir()
    assert json.loads((tmp_path / "a.json").read_text())["class_name"] in ("Functional", "Sequential")
    import keras

    copy = keras.models.clone_model(b.model)  # the same network with fresh weights, then the exported ones
    copy.load_weights(tmp_path / "a.weights.h5")
    X = load_npz(shared_path("data", "signers", "s02.npz")).X[:8]
    assert np.allclose(copy.predict(X, verbose=0), b.predict(X), atol=1e-5)
    # the exported .h5 (signlstm's own layers inside) loads back as --model in a fresh process (where nothing has
    # imported those layers yet) and answers as the bundle does
    data = shared_path("data", "signers", "s02.npz")
    run = subprocess.run([sys.executable, "-m", "signlstm", "predict", "--model", str(tmp_path / "a.h5"), "--actions",
                          *b.labels, "--data", str(data), "--json"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    probs = np.array([list(json.loads(line)["probs"].values()) for line in run.stdout.splitlines()])
    assert np.allclose(probs, b.predict(load_npz(data).X), atol=1e-3)


def test_a_keras_backend_set_to_another_is_replaced_by_jax(shared):
    """Tutorial users come from TensorFlow and may have KERAS_BACKEND set: the models call JAX, so signlstm runs on
    it whatever the variable says (TensorFlow is not even installed here)."""
    env = {**os.environ, "KERAS_BACKEND": "tensorflow"}
    run = subprocess.run([sys.executable, "-m", "signlstm", "evaluate", "--data",
                          str(shared("data", "signers", "s08.npz")), "--json"], capture_output=True, text=True, env=env)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert json.loads(run.stdout.splitlines()[-1])["accuracy"] > 0.9


def test_a_tutorial_h5_s_labels_do_not_choose_the_data(shared, capsys):
    """A tutorial .h5's --actions are its labels, in its user's spelling (ILY): the data is read whole, its
    iloveyou scored as ILY with a note (evaluate: 90 recordings, not 60 of them) and every sequence predicted."""
    model = str(shared("data", "legacy_models", "Izroth404__action.h5"))
    args = ["--model", model, "--actions", "hello", "thanks", "ILY", "--data", str(shared("data", "MP_Data_renotte"))]
    assert main(["evaluate", *args, "--json"]) == 0
    out, err = capsys.readouterr()
    assert "note: scored as the model's sign(s) they name: iloveyou as ILY" in err
    result = json.loads(out.splitlines()[-1])
    assert result["n"] == 90 and result["labels"][:3] == ["hello", "thanks", "ILY"]
    assert main(["predict", *args, "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == 90 and sum(r["true"] == "iloveyou" for r in rows) == 30


def test_untrained_legacy_model_warns(shared, capsys):
    assert main(["summary", "--model", str(shared("data", "legacy_models", "Izroth404__action.h5")),
                 "--actions", "hello", "thanks", "iloveyou"]) == 0
    assert "looks untrained" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["shape258_float64_noface.npy", "git_lfs_pointer.npy", "shape63_onehand.npy"])
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, shared, name):
    root = tmp_path / "MP_Data"
    for action in ("hello", "thanks"):
        shutil.copytree(shared("data", "MP_Data_renotte", action, "30"), root / action / "0")
    shutil.copy(shared("data", "bad_inputs", name), root / "hello" / "0" / "3.npy")
    for argv in (["train", "--data", str(root), "--out", str(tmp_path / "m"), "--epochs", "1"],
                 ["predict", "--model", str(shared("data", "legacy_models", "Atulkoirala__action.h5")),
                  "--actions", "hello", "thanks", "iloveyou", "--data", str(root)]):
        p = subprocess.run([sys.executable, "-m", "signlstm", *argv], capture_output=True, text=True,
                           env={**os.environ, "PYTHONWARNINGS": "ignore"})
        assert p.returncode == 2, p.stderr
        err = [line for line in p.stderr.splitlines() if line.startswith("signlstm")]
        assert len(err) == 1 and "hello/0/3.npy" in err[0] and "Traceback" not in p.stderr
    assert sorted(q.name for q in tmp_path.iterdir()) == ["MP_Data"]


def test_truncated_sequence_via_evaluate(shared, capsys):
    assert main(["evaluate", "--model", str(shared("data", "legacy_models", "Atulkoirala__action.h5")),
                 "--actions", "hello", "thanks", "iloveyou",
                 "--data", str(shared("data", "bad_inputs", "truncated_sequence"))]) == 2
    assert "truncated sequence" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_skip_bad_with_nothing_left_is_one_line(command, shared, capsys):
    """Every sequence skipped: one line saying so, exit 2, no traceback."""
    assert main([command, "--data", str(shared("data", "bad_inputs", "truncated_sequence")), "--skip-bad"]) == 2
    err = capsys.readouterr().err
    assert "no usable sequence (1 skipped)" in err and "Traceback" not in err


def test_skip_bad_trains_on_the_rest(tmp_path, shared, capsys):
    root = tmp_path / "MP_Data"
    for action in ("hello", "thanks"):
        for n in (30, 31, 32):
            shutil.copytree(shared("data", "MP_Data_renotte", action, str(n)), root / action / str(n))
    shutil.copy(shared("data", "bad_inputs", "shape99.npy"), root / "thanks" / "31" / "0.npy")
    assert main(["train", "--data", str(root), "--skip-bad", "--arch", "tutorial", "--epochs", "1",
                 "--out", str(tmp_path / "m")]) == 0
    err = capsys.readouterr().err
    assert "skipped 1 bad sequence(s)" in err and "frame has shape (99,)" in err
    assert json.loads((tmp_path / "m" / "signlstm.json").read_text())["training"]["sequences"] == 5


def test_output_cut_short_by_its_reader_is_no_traceback(shared):
    """`signlstm predict ... | head -1`: the pipe closes after one line; the command stops without a traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "signlstm", "predict", "--data", str(shared("data", "signers")),
                             "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()
    proc.stdout.close()  # as `head -1` does: the rest (2,007 lines, far more than a pipe holds) has nowhere to go
    err = proc.stderr.read()
    assert proc.wait(timeout=300) == 1
    assert json.loads(first)["index"] == 0 and "Traceback" not in err and "BrokenPipe" not in err, err


def test_outputs_that_would_replace_data_or_cannot_be_written_are_one_line(shared, tmp_path, capsys):
    """`--out` naming the data folder itself (or any folder that is not a model, or a file) is refused before any
    work and the data stays; a file output the machine refuses names the path asked for, not a temp file."""
    data = tmp_path / "MP_Data"
    shutil.copytree(shared("data", "MP_Data_renotte", "hello", "30"), data / "hello" / "0")
    shutil.copytree(shared("data", "MP_Data_renotte", "thanks", "30"), data / "thanks" / "0")
    before = sorted(p.relative_to(data) for p in data.rglob("*"))
    (tmp_path / "notes.txt").write_text("mine")
    for argv in (["adapt", "--vocabulary", "--data", str(data), "--out", str(data)],
                 ["train", "--data", str(data), "--out", str(data), "--epochs", "1"],
                 ["adapt", "--data", str(data), "--out", str(tmp_path / "notes.txt")],
                 ["train", "--data", str(data), "--out", str(tmp_path / "m"), "--epochs", "0"],
                 ["export", "--format", "json", "--out", str(tmp_path / "notes.txt" / "a.json")],
                 ["export", "--format", "json", "--out", str(data)]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and ".tmp" not in err, err
    assert sorted(p.relative_to(data) for p in data.rglob("*")) == before
    assert (tmp_path / "notes.txt").read_text() == "mine" and not (tmp_path / "m").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_loop_of_links_given_as_data_or_output_is_one_line(shared, tmp_path, capsys):
    """Outputs are checked against the inputs before anything is read: a loop of links among them (a stale link) is
    named in one line, exit 2, as reading it would be, not a traceback from following it."""
    (tmp_path / "loop1").symlink_to("loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    (tmp_path / "loop.npz").symlink_to("loop1")
    s02 = str(shared("data", "signers", "s02.npz"))
    loop = str(tmp_path / "loop.npz")
    for argv in (["evaluate", "--data", loop, "--plot", str(tmp_path / "cm.png")],
                 ["train", "--data", loop, "--out", str(tmp_path / "m"), "--epochs", "1"],
                 ["audit", "--data", s02, "--out", str(tmp_path / "loop1")],
                 ["convert", "--data", s02, "--camera", "auto", "--out", str(tmp_path / "loop1")]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "a link to nothing (broken, or a loop)" in err, (argv, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loop.npz", "loop1", "loop2"]


def test_an_output_that_is_a_link_to_nothing_is_refused_and_left(shared, tmp_path, capsys):
    """An output named by a broken link is refused in one line, exit 2, before any work: renamed into place, the
    output would replace the link rather than make the file or folder it names (convert's copy was refused so, the
    other commands replaced the link)."""
    (tmp_path / "out.json").symlink_to(tmp_path / "gone" / "model.json")
    (tmp_path / "m").symlink_to(tmp_path / "gone" / "m")
    s02 = str(shared("data", "signers", "s02.npz"))
    for argv in (["export", "--format", "json", "--out", str(tmp_path / "out.json")],
                 ["audit", "--data", s02, "--out", str(tmp_path / "out.json")],
                 ["train", "--data", s02, "--out", str(tmp_path / "m"), "--epochs", "1"]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "a link to nothing" in err and str(tmp_path) in err, (argv, err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m", "out.json"]
    assert all((tmp_path / n).is_symlink() for n in ("m", "out.json"))


def test_a_ctrl_c_once_the_command_is_done_ends_the_process_at_once_with_its_status():
    """``signlstm`` (:func:`signlstm.cli.console`): the command has finished, and Python waits for a worker thread
    (a pool's job, a native thread) before the process ends; a Ctrl-C then ends it at once, with the command's status
    and its output, not a traceback, a crash or the wait."""
    import signal
    import time

    script = ("import sys, threading, time\n"
              "import signlstm.cli as cli\n"
              "def main():\n"
              "    threading.Thread(target=time.sleep, args=(30,)).start()  # not a daemon: the exit waits for it\n"
              "    print('done', flush=True)\n"
              "    return 3\n"
              "cli.main = main\n"
              "cli.console()\n")
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline() == "done\n"

    end = time.monotonic() + 10  # well within the thread's 30 s
    while not _caught(p.pid, signal.SIGTERM) and time.monotonic() < end:  # main has returned: console's handlers are set
        time.sleep(0.01)
    time.sleep(0.5)
    start = time.monotonic()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=20)
    assert p.returncode == 3 and err == "" and time.monotonic() - start < 10, (p.returncode, err)


def test_a_ctrl_c_while_python_tears_itself_down_leaves_the_commands_status():
    """``signlstm`` (:func:`signlstm.cli.console`): the command has ended (its files written) and Python tears itself
    down, its own signal handlers gone (here slowly: an object's finaliser takes 3 s); a Ctrl-C then leaves the
    process's status the command's, instead of ending it by the signal (status 130 with no word)."""
    import signal

    script = ("import time\n"
              "import signlstm.cli as cli\n"
              "class Slow:\n"
              "    def __del__(self):\n"
              "        print('tearing down', flush=True)\n"
              "        time.sleep(3)\n"
              "def main():\n"
              "    print('done', flush=True)\n"
              "    return 3\n"
              "cli.main = main\n"
              "slow = Slow()  # finalised with the module, after the exit functions\n"
              "cli.console()\n")
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline() == "done\n" and p.stdout.readline() == "tearing down\n"
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 3 and err == "", (p.returncode, err)


def test_a_ctrl_c_while_signlstm_starts_ends_it_in_one_line():
    """A Ctrl-C while Python imports signlstm's commands and parses the options, or while Keras and JAX are imported
    for the command (the first second or so, before the command runs), ends the process with "interrupted" and status
    130, not a traceback from inside an import, an abort, or an exit by the signal itself."""
    import signal
    import time

    for delay in (0.1, 0.25, 0.4, 0.5):
        p = subprocess.Popen([sys.executable, "-m", "signlstm", "summary"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        end = time.monotonic() + 30
        while not _caught(p.pid, signal.SIGINT) and time.monotonic() < end:  # Python has started (its handler)
            time.sleep(0.005)
        time.sleep(delay)
        p.send_signal(signal.SIGINT)
        err = p.communicate(timeout=60)[1]
        said = err.strip().splitlines()
        assert p.returncode == 130 and said[-1:] in (["signlstm: interrupted"], ["signlstm summary: interrupted"]) \
            and "Traceback" not in err, (delay, p.returncode, err[-1500:])


def _caught(pid: int, sig: int) -> bool:
    """Whether process ``pid`` has a handler for ``sig`` (its SigCgt mask in /proc)."""
    with open(f"/proc/{pid}/status") as f:
        return bool(int(next(line for line in f if line.startswith("SigCgt:")).split()[1], 16) >> (sig - 1) & 1)


def test_extract_writes_a_video_named_twice_once_and_says_what_it_stretches_or_cannot_name(shared, tmp_path, capsys):
    """The same clip under two paths is one video's sequences, with a line for the second; a decomposed é in --label
    is the composed folder collect and the page make; a clip shorter than --length resampled says its frames are
    repeated; a keypoint file not named .npy is refused before anything is read."""
    import unicodedata

    clip = tmp_path / "videos" / "ily.mp4"
    clip.parent.mkdir()
    shutil.copy(shared("media", "asl_iloveyou_rohan937.mp4"), clip)
    alias = str(clip.parent / ".." / clip.parent.name / clip.name)
    os.link(clip, clip.parent / "linked.mp4")  # the same file under another name
    decomposed = unicodedata.normalize("NFD", "école")
    assert main(["extract", "--videos", str(clip), alias, str(clip.parent / "linked.mp4"), "--label", decomposed,
                 "--data", str(tmp_path / "D"), "--workers", "1", "--quiet"]) == 0
    out = capsys.readouterr()
    assert f"skipped {alias}: the same video as {clip}" in out.err and "from 1 video(s), skipped 2" in out.out
    assert f"skipped {clip.parent / 'linked.mp4'}: the same video as {clip}" in out.err
    assert [p.name for p in (tmp_path / "D").iterdir()] == ["école"]  # composed
    assert main(["extract", "--videos", str(clip), "--label", "a", "--data", str(tmp_path / "R"), "--mode",
                 "resample", "--length", "60", "--workers", "1", "--quiet"]) == 0
    assert "39 frames stretched to 60: frames repeated" in capsys.readouterr().err
    assert main(["extract", "--videos", str(clip), "--keypoints", str(tmp_path / "k.npz")]) == 2
    assert "a keypoint file is a .npy" in capsys.readouterr().err and not (tmp_path / "k.npz").exists()


@pytest.mark.parametrize("label", ["../x", "a/../../x", "..", "x" * 300])
def test_extract_refuses_a_label_that_is_not_one_folder_name(shared, tmp_path, label, capsys):
    assert main(["extract", "--videos", str(shared("media", "asl_soup_slp.mp4")), "--label", label,
                 "--data", str(tmp_path / "d" / "MP_Data")]) == 2
    err = capsys.readouterr().err
    assert ("300 bytes long; a folder name holds at most 255" if len(label) > 255 else "cannot be a folder name") in err
    assert not (tmp_path / "d").exists()


def test_evaluate_scores_signs_the_model_does_not_know_by_how_often_it_answers_none(shared, tmp_path, capsys):
    """o07's 35 signs include hello, scored as a sign, and thank you, the model's thanks under another spelling, scored
    as thanks with a note; the 33 others are signs it was never taught, scored by how often it answers none (o05's 24 signs are all
    such: exit 2, "nothing to score", until now). Exact counts come from the same predictions by hand."""
    import json

    from signlstm.datasets import load_npz
    from signlstm.models.bundle import load_bundle
    from signlstm.recognizer import decide

    o07 = shared("data", "vocab", "o07.npz")
    assert main(["evaluate", "--data", str(o07), "--json"]) == 0
    out = capsys.readouterr()
    assert "note: scored as the model's sign(s) they name: thank you as thanks" in out.err
    assert "scored by how often it answers none to them: a, b, bye" in out.err
    r = json.loads(out.out)
    assert r["n"] == 60 and r["per_class"]["hello"]["support"] == r["per_class"]["thanks"]["support"] == 30
    d = load_npz(o07)
    strange = ~np.isin(d.labels, ["hello", "thank you"])
    said = decide(load_bundle().labels, load_bundle().predict(d.X[strange]))
    assert r["unknown_signs"]["n"] == 990 == strange.sum()
    assert r["unknown_signs"]["none"] == int((said == "none").sum())
    assert r["unknown_signs"]["per_label"]["w"]["none"] == int((said[d.labels[strange] == "w"] == "none").sum())
    o05 = shared("data", "vocab", "o05.npz")
    assert main(["evaluate", "--data", str(o05), "--plot", str(tmp_path / "cm.png")]) == 0
    out = capsys.readouterr()
    assert "accuracy not measured" in out.out and "of 720 recordings answered none" in out.out
    assert "cm.png not written" in out.err and not (tmp_path / "cm.png").exists()
    # recordings of unknown signs with nobody in them are counted as such, not scored
    z = np.load(o05)
    X = z["X"].copy()
    X[:2] = 0
    np.savez(tmp_path / "o05.npz", X=X, y=z["y"], seq=z["seq"], actions=z["actions"])
    assert main(["evaluate", "--data", str(tmp_path / "o05.npz"), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["no_person"]["sequences"] == 2 and r["unknown_signs"]["n"] == 718
    # the model's own signs that --actions leaves out are not signs it does not know
    assert main(["evaluate", "--data", str(shared("data", "signers", "s08.npz")), "--actions", "hello",
                 "--json"]) == 0
    out = capsys.readouterr()
    assert "not scored, the model's own sign(s) left out of --actions: iloveyou, thanks" in out.err
    r = json.loads(out.out)
    assert "unknown_signs" not in r and r["n"] == 30


def test_train_on_data_without_a_person_is_refused(shared, tmp_path, capsys):
    real = np.load(shared("data", "signers", "s02.npz"))
    keep = np.r_[0:4, 30:34]
    np.savez(tmp_path / "empty.npz", X=np.zeros_like(real["X"][keep]), y=real["y"][keep], seq=real["seq"][keep])
    assert main(["train", "--data", str(tmp_path / "empty.npz"), "--out", str(tmp_path / "m"), "--epochs", "1"]) == 2
    assert "no person in any frame" in capsys.readouterr().err and not (tmp_path / "m").exists()


def _signer_tree(root, shared, names, per_sign, length=30, signer="s08"):
    """An MP_Data tree of ``signer``'s first ``per_sign`` recordings of hello, thanks and iloveyou, in folders
    ``names`` (in that order), resampled in time (nearest frame) to ``length`` frames."""
    with np.load(shared("data", "signers", f"{signer}.npz")) as z:
        X, y = z["X"], z["y"]
    idx = np.clip(np.rint(np.linspace(0, 29, length)), 0, 29).astype(int)
    for k, action in enumerate(names):
        for n, r in enumerate(np.flatnonzero(y == k)[:per_sign]):
            (root / action / str(n)).mkdir(parents=True)
            for t in range(length):
                np.save(root / action / str(n) / f"{t}.npy", X[r, idx[t]].astype(np.float64))
    return root


def test_evaluate_says_it_leaves_out_the_recordings_labelled_none(shared, tmp_path, capsys):
    """A packed file whose second action is called 'none': its 10 recordings are left out of the score, in a note."""
    z = np.load(shared("data", "signers", "s08.npz"))
    rows = np.concatenate([np.flatnonzero(z["y"] == k)[:10] for k in range(3)])
    np.savez(tmp_path / "mine.npz", X=z["X"][rows], y=z["y"][rows], seq=z["seq"][rows],
             actions=np.array(["hello", "none", "iloveyou"]))
    assert main(["evaluate", "--data", str(tmp_path / "mine.npz"), "--json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["n"] == 20
    assert "note: left out 10 recording(s) labelled 'none' (the rejection label is not a sign)" in out.err.splitlines()


def test_one_person_under_two_names_is_refused_by_every_judge_before_any_work(shared, tmp_path, capsys):
    """s02's recordings again as paul.npz (saved in float16, 60 of its 90): a leave-one-person-out judge would train
    on paul and test on s02, which scores 100 % where s02 alone scores 34 %. Every judge says
    who shares recordings, in one line, exit 2, before anything is trained or written."""
    s02 = str(shared("data", "signers", "s02.npz"))
    with np.load(s02) as z:
        np.savez(tmp_path / "paul.npz", X=z["X"][:60].astype(np.float16), y=z["y"][:60], seq=z["seq"][:60])
    o01, paul = str(shared("data", "other_signs", "o01.npz")), str(tmp_path / "paul.npz")
    for argv in (["cv", "--data", s02, paul], ["streams", "--data", s02, paul, "--others", o01],
                 ["fewshot", "--data", s02, paul], ["vocab", "--data", s02, paul, "--shipped"]):
        assert main(["judge", *argv, "--cache", str(tmp_path / "cache")]) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "s02 and paul hold 60 of the same recording(s)" in err, (argv, err)
    # a file that is not there is named as every command names it (not the system's "No such file or directory")
    assert main(["judge", "fewshot", "--data", s02, "--negatives", str(tmp_path / "gone.npz")]) == 2
    assert capsys.readouterr().err.endswith(f"{tmp_path / 'gone.npz'}: no such file\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["paul.npz"]


def test_two_spellings_of_one_sign_are_said_by_cv_vocab_and_a_vocabulary(shared, tmp_path, capsys):
    """A person whose I LOVE YOU recordings are labelled 'thank you' beside their 'thanks': learnt as two signs by
    ``judge cv``, ``judge vocab`` and ``adapt --vocabulary``, which now say so as ``train`` and ``audit`` do (they
    said nothing). (s08's recordings, renamed alice, stand in for a new person.)"""
    with np.load(shared("data", "signers", "s08.npz")) as z:
        np.savez(tmp_path / "alice.npz", X=z["X"], y=z["y"], seq=z["seq"],
                 actions=np.array(["hello", "thanks", "thank you"]))
    alice, s05 = str(tmp_path / "alice.npz"), str(shared("data", "signers", "s05.npz"))

    def said(text, start="note: "):  # the note's line, its two spellings in the data's order
        return any(line.startswith(start) and "'thanks' and 'thank you' look like one sign spelled in different ways"
                   in line for line in text.splitlines())

    # judge cv says it before any fold is trained (here it then stops: --fixes audit needs 6 people)
    assert main(["judge", "cv", "--data", alice, s05, "--fixes", "audit"]) == 2
    assert said(capsys.readouterr().err)
    assert main(["adapt", "--vocabulary", "--data", alice, "--shots", "5", "--out", str(tmp_path / "mine")]) == 0
    assert said(capsys.readouterr().err)
    assert main(["judge", "vocab", "--data", alice, "--shipped", "--shots", "5", "--seeds", "0", "--tutorial-shots",
                 "--adapt-runs", "0", "--streams", "0", "--workers", "1", "--cache", str(tmp_path / "cache")]) == 0
    out = capsys.readouterr().out
    assert said(out, "note: alice: "), out


def test_audit_leaves_out_the_recordings_labelled_none_and_writes_no_fix_for_them(shared, tmp_path, capsys):
    """Recordings of no sign (a person's 'none', hands out of view) are training's negatives: the audit leaves them
    out with a note, so its fixes do not drop them (it dropped all 20 as hand-less, and training then lost its
    'none' output), and it checks the signs as without them."""
    import csv

    with np.load(shared("data", "signers", "s08.npz")) as z:
        rest = z["X"][:20].copy()
        rest[:, :, 1536:] = 0  # both hands out of view
        np.savez(tmp_path / "fred.npz", X=np.concatenate([z["X"], rest]), y=np.concatenate([z["y"], np.full(20, 3)]),
                 seq=np.concatenate([z["seq"], np.arange(20)]), actions=np.array(["hello", "thanks", "iloveyou", "none"]))
    people = [str(tmp_path / "fred.npz")] + [str(shared("data", "signers", f"{s}.npz")) for s in ("s05", "s06", "s09")]
    assert main(["audit", "--data", *people, "--out", str(tmp_path / "fixes.csv")]) == 0
    out = capsys.readouterr()
    assert "note: left out 20 recording(s) labelled 'none' (the rejection label is not a sign)" in out.err.splitlines()
    assert "none" not in out.out and "360 sequences, 4 signers" in out.out, out.out
    with open(tmp_path / "fixes.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and not [r for r in rows if "none" in r.values()], rows[:3]


def test_train_on_data_with_a_none_folder_learns_none_without_saying_it_has_none(shared, tmp_path, capsys):
    z = np.load(shared("data", "signers", "s08.npz"))
    np.savez(tmp_path / "mine.npz", X=z["X"], y=z["y"], seq=z["seq"], actions=np.array(["hello", "none", "iloveyou"]))
    assert main(["train", "--data", str(tmp_path / "mine.npz"), "--epochs", "1", "--out", str(tmp_path / "m")]) == 0
    assert json.loads((tmp_path / "m" / "signlstm.json").read_text())["reject_label"] == "none"
    assert "no 'none' output" not in capsys.readouterr().err


def test_adapt_vocabulary_says_it_leaves_out_a_folder_called_none(shared, tmp_path, capsys):
    from signlstm.models.bundle import load_bundle

    data = _signer_tree(tmp_path / "MP_Data", shared, ["hello", "thanks", "none"], per_sign=5)
    assert main(["adapt", "--vocabulary", "--data", str(data), "--out", str(tmp_path / "mine")]) == 0
    assert "note: left out 5 recording(s) labelled 'none' (the rejection label is not a sign)" in \
        capsys.readouterr().err.splitlines()
    assert load_bundle(tmp_path / "mine").labels == ["hello", "thanks", "none"]


@pytest.mark.parametrize("argv", [["train", "--epochs", "1"], ["adapt"], ["adapt", "--vocabulary"]])
def test_a_sign_folder_called_none_in_another_case_is_refused_by_train_and_adapt(shared, tmp_path, capsys, argv):
    """'None' is the rejection label in another case: collect and the web page refuse to record it, and so the
    commands that teach signs refuse to teach it (one line naming the folder, nothing written)."""
    data = _signer_tree(tmp_path / "MP_Data", shared, ["hello", "thanks", "None"], per_sign=3)
    assert main([*argv, "--data", str(data), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{data / 'None'}: action 'None' is the rejection label 'none' in another case" in err
    assert not (tmp_path / "m").exists()


def test_judge_refuses_to_train_a_sign_folder_called_none_in_another_case(shared, tmp_path, capsys):
    """judge reads its data with datasets.load, which refuses 'None' as train and adapt do: one line naming the
    first person's folder, before any fold is trained."""
    people = [_signer_tree(tmp_path / p, shared, ["hello", "None"], per_sign=3, signer=s)
              for p, s in (("p1", "s08"), ("p2", "s09"))]
    assert main(["judge", "cv", "--data", *map(str, people), "--epochs", "1", "--workers", "1", "--json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{people[0] / 'None'}: action 'None' is the rejection label 'none' in another " \
                                    "case" in err


def test_evaluate_and_predict_read_the_data_at_the_models_own_length(shared, tmp_path, capsys):
    """A model trained with --length 20 scores a 20-frame tree without --length being given again."""
    data = _signer_tree(tmp_path / "MP_20", shared, ["hello", "thanks", "iloveyou"], per_sign=10, length=20)
    assert main(["train", "--data", str(data), "--length", "20", "--epochs", "1", "--out", str(tmp_path / "m20")]) == 0
    capsys.readouterr()
    assert main(["evaluate", "--model", str(tmp_path / "m20"), "--data", str(data), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 30
    assert main(["predict", "--model", str(tmp_path / "m20"), "--data", str(data), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 30 and lines[0]["file"] == str(data / "hello" / "0")


def test_data_of_another_length_than_the_model_is_named(shared, tmp_path, capsys):
    """The shipped model reads 30 frames: a 20-frame tree and a 40-frame packed file are named with their length."""
    data = _signer_tree(tmp_path / "MP_20", shared, ["hello", "thanks", "iloveyou"], per_sign=2, length=20)
    assert main(["evaluate", "--data", str(data)]) == 2
    assert capsys.readouterr().err.startswith(f"signlstm evaluate: error: {data}: the data has 20-frame sequences, "
                                              "the model expects 30")
    z = np.load(shared("data", "signers", "s08.npz"))
    X = z["X"][:6][:, np.clip(np.rint(np.linspace(0, 29, 40)), 0, 29).astype(int)]
    np.savez(tmp_path / "p40.npz", X=X, y=z["y"][:6], seq=z["seq"][:6])
    assert main(["predict", "--data", str(tmp_path / "p40.npz")]) == 2
    assert capsys.readouterr().err.startswith(f"signlstm predict: error: {tmp_path / 'p40.npz'}: the data has 40-frame "
                                              "sequences, the model expects 30")


def test_live_on_keypoints_shorter_than_the_window_says_so(shared, tmp_path, capsys):
    """A 20-frame keypoint file never fills the model's 30-frame window: no word, exit 0, and a note saying why."""
    np.save(tmp_path / "short.npy", np.load(shared("data", "signers", "s08.npz"))["X"][0, :20])
    assert main(["live", "--source", str(tmp_path / "short.npy"), "--headless"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out.splitlines()[-1])["words"] == []
    assert (f"note: {tmp_path / 'short.npy'}: the input is shorter than the model's window (20 of 30 frames), so "
            "nothing could be said") in out.err.splitlines()
    # taken at 10 frames a second the same 20 frames last 2 s: 58 frames at 30 a second fill the window
    assert main(["live", "--source", str(tmp_path / "short.npy"), "--headless", "--fps", "10"]) == 0
    assert "shorter than the model's window" not in capsys.readouterr().err


def test_judge_in_worker_processes_names_data_with_no_person_in_one_line(shared, tmp_path, capsys):
    """The check that a training set holds a person runs in judge's worker processes: its error crosses back to the
    command whole (one line, exit 2), not as a broken process pool."""
    paths = []
    for person in ("s02", "s03"):
        with np.load(shared("data", "signers", f"{person}.npz")) as z:
            d = dict(z)
        d["X"] = np.zeros_like(d["X"])
        paths.append(tmp_path / f"{person}.npz")
        np.savez(paths[-1], **d)
    assert main(["judge", "cv", "--data", *map(str, paths), "--epochs", "1", "--workers", "2", "--json"]) == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]  # after the folds' progress bar
    assert last.startswith("signlstm judge cv: error: ") and "no person in any frame" in last, err
    assert "Traceback" not in err and err.count("error") == 1, err


def _tiny_tree(root, shared, actions=("hello", "thanks", "iloveyou"), seqs=("30", "31")):
    for action in actions:
        for n in seqs:
            shutil.copytree(shared("data", "MP_Data_renotte", action, n), root / action / n)
    return root


def test_fixes_that_drop_everything_are_one_line_before_training_and_an_emptied_sign_is_left_out(shared, tmp_path,
                                                                                                   capsys):
    """Fixes dropping every sequence stopped in a reshape traceback inside the first batch's augmentation; dropping
    every recording of one sign trained an output with no example, unsaid."""
    data = _tiny_tree(tmp_path / "tiny", shared)
    fixes = tmp_path / "fixes.csv"
    fixes.write_text("source,label,action,new_label,reason\n" + "".join(
        f"/x/tiny/{a}/{n},{a},drop,,\n" for a in ("hello", "thanks", "iloveyou") for n in (30, 31)))
    argv = ["train", "--data", str(data), "--epochs", "1", "--fixes", str(fixes), "--out", str(tmp_path / "m")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "fixes.csv: drops every one of the data's 6 sequence(s)" in err
    assert not (tmp_path / "m").exists()
    fixes.write_text("source,label,action,new_label,reason\n/x/tiny/thanks/30,thanks,drop,,\n"
                     "/x/tiny/thanks/31,thanks,drop,,\n")
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "note: left out 'thanks': the fixes in" in err
    assert "note: no --negatives (nor a 'none' folder in the data): the model has no 'none' output" in err
    assert json.loads((tmp_path / "m" / "signlstm.json").read_text())["labels"] == ["hello", "iloveyou"]


@pytest.mark.parametrize("argv, problem", [
    (["train", "--actions", "hello", "hello", "thanks"], "'hello' is given twice"),
    (["evaluate", "--actions", "hello", "hello", "iloveyou"], "'hello' is given twice"),
    (["predict", "--actions", "hello", "cafe\u0301", "caf\u00e9"], "'caf\u00e9' is given twice"),
    (["summary", "--actions", "hello", "", "iloveyou"], "'' cannot be a folder name"),
    (["summary", "--actions", "hello", "thanks\x1bok", "iloveyou"], "holds a control"),
    (["summary", "--actions", "hello", "NONE", "iloveyou"], "is the rejection label"),
])
def test_actions_that_cannot_label_outputs_are_one_line(shared, tmp_path, capsys, argv, problem):
    """A label twice gave a bundle that `summary` then refused, or scored thanks as hello with a tutorial .h5."""
    data = ["--data", str(_tiny_tree(tmp_path / "tiny", shared))] if argv[0] != "summary" else []
    model = ["--out", str(tmp_path / "m")] if argv[0] == "train" else \
        ["--model", str(shared("data", "legacy_models", "Atulkoirala__action.h5"))]
    assert main([*argv, *data, *model]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error: --actions: '" in err and problem in err
    assert not (tmp_path / "m").exists()


def test_keypoint_values_far_outside_any_image_are_refused_and_a_diverged_model_is_not_written(shared, tmp_path,
                                                                                                 capsys, monkeypatch):
    """A frame of 1e30 (finite) trains a model of NaN weights: the frame is named before training, and with that
    check off a diverged model is not written."""
    from signlstm import keypoint_files

    data = _tiny_tree(tmp_path / "tiny", shared)
    np.save(data / "thanks" / "31" / "7.npy", np.full(1662, 1e30))
    argv = ["train", "--data", str(data), "--epochs", "1", "--out", str(tmp_path / "m")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "thanks/31/7.npy: holds the value 1e+30, far outside any image" in err
    monkeypatch.setattr(keypoint_files, "MAX_VALUE", np.inf)  # the value check off
    with np.errstate(over="ignore", invalid="ignore"):  # 1e30 overflows float16 and the augmentation, as expected here
        assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()[-1]
    assert "m: not written: the trained model is unusable" in err and "weights are NaN or infinite" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny"]


def test_a_bundle_label_with_a_control_character_is_refused_and_never_reaches_the_terminal_raw(tmp_path, shared,
                                                                                              capsys):
    """A bundle's label holding an ESC (here: clear the screen) is refused in one line that shows it escaped."""
    from signlstm.models import architectures
    from signlstm.models.bundle import save_bundle

    model = architectures.build_tutorial_model(3)
    save_bundle(model, {"labels": ["hello", "he\x1b[2Jllo", "thanks"], "seq_len": 30, "arch": "tutorial"},
                tmp_path / "m")
    for command in ("summary", "predict"):
        data = ["--data", str(shared("data", "signers", "s02.npz"))] if command == "predict" else []
        assert main([command, "--model", str(tmp_path / "m"), *data]) == 2
        err = capsys.readouterr().err
        assert "\x1b" not in err and err == (f"signlstm {command}: error: {tmp_path / 'm' / 'signlstm.json'}: label "
                                             "'he\\x1b[2Jllo' holds a control character (a line break, a tab): labels "
                                             "are shown on one line\n"), err


@pytest.mark.parametrize("argv, said", [
    (["train", "--data", "{s02}", "--epochs", "1", "--out", "{file}/m"], "m: cannot be made: {file} is not a folder"),
    (["trunk", "--data", "{o04}", "--epochs", "1", "--out", "{file}/t"], "t: cannot be made: {file} is not a folder"),
    (["train", "--data", "{s02}", "--epochs", "1", "--out", "{tmp}/m", "--logdir", "{file}"],
     "{file}: exists and is not a folder"),
    (["audit", "--data", "{s02}", "{s03}", "--out", "{file}/f.csv"], "{file}: exists and is not a folder"),
    (["audit", "--data", "{s02}", "{s03}", "--out", "{tmp}"], "{tmp}: is a folder: give a file name"),
    (["judge", "cv", "--data", "{s02}", "{s03}", "--epochs", "1", "--results", "{file}/r.json"],
     "{file}: exists and is not a folder"),
    (["extract", "--videos", "{clip}", "--label", "hello", "--data", "{file}/MP"], "MP: cannot be made: {file} is not "
                                                                                    "a folder"),
])
def test_an_output_that_cannot_be_written_is_refused_before_any_work(shared, tmp_path, capsys, argv, said):
    """Outputs under a file (or a file output given a folder) are one line, exit 2, before training, auditing or
    reading a video: no progress bar, nothing written."""
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    names = dict(s02=shared("data", "signers", "s02.npz"), s03=shared("data", "signers", "s03.npz"),
                 o04=shared("data", "vocab", "o04.npz"), clip=shared("media", "asl_hello_rohan937.mp4"),
                 file=afile, tmp=tmp_path)
    assert main([a.format(**names) for a in argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and said.format(**names) in err, err
    assert "epoch" not in err and "%" not in err and sorted(tmp_path.iterdir()) == [afile]


def test_version_is_the_installed_packages(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"signlstm {version('signlstm')}"  # pyproject reads signlstm.__version__


def test_a_length_seed_or_picture_type_no_run_could_use_is_one_line_before_any_work(shared, tmp_path, capsys):
    """A --length beyond signlstm's longest window (which would size arrays by it), a seed numpy refuses, a
    --plot type matplotlib cannot write, and counts below their least (epochs, shots, bench's frames, videos, soak
    and memory sizes; were tracebacks after the work, or a temp file named): one line, exit 2, nothing written."""
    tree, s02 = str(shared("data", "MP_Data_renotte")), str(shared("data", "signers", "s02.npz"))
    o01 = str(shared("data", "other_signs", "o01.npz"))
    clip = str(shared("media", "asl_iloveyou_rohan937.mp4"))
    for argv, said in (
            (["convert", "--data", tree, "--camera", "16:9", "--length", "1001", "--out", str(tmp_path / "c")],
             "--length must be a number of frames from 1 to 1000, got 1001"),
            (["extract", "--videos", clip, "--data", str(tmp_path / "e"), "--label", "x", "--length", "1001"],
             "--length must be a number of frames from 1 to 1000, got 1001"),
            (["train", "--data", s02, "--seed", "-1", "--out", str(tmp_path / "t")],
             "--seed must be a whole number from 0 to 4294967295, got -1"),
            (["adapt", "--data", s02, "--seed", str(2**32), "--out", str(tmp_path / "a")],
             "--seed must be a whole number from 0 to 4294967295, got 4294967296"),
            (["evaluate", "--data", s02, "--plot", str(tmp_path / "cm.txt")], "cm.txt: no picture of type .txt"),
            (["extract", "--videos", clip, "--keypoints", str(tmp_path / "k.npy"), "--workers", "-5"],
             "--workers must be 0 (one per core) or more, got -5"),
            (["judge", "cv", "--data", s02, s02.replace("s02", "s03"), "--epochs", "-1"],
             "--epochs must be at least 1, got -1"),
            (["judge", "fewshot", "--data", s02, "--tutorial-epochs", "0"], "--tutorial-epochs must be at least 1"),
            (["judge", "fewshot", "--data", s02, "--shots", "1", "0"], "--shots must be at least 1, got 0"),
            (["bench", "--videos", "0"], "--videos must be at least 1, got 0"),
            (["bench", "--memory", "100", "-5"], "--memory must be at least 1, got -5"),
            (["bench", "--frames", "0"], "--frames must be at least 1, got 0"),
            (["bench", "--soak", "-1"], "--soak must be 0 or more, got -1"),
            (["extract", "--videos", clip, "--data", str(tmp_path / "e"), "--label", "x", "--mode", "window",
              "--stride", "0"], "--stride must be at least 1, got 0"),
            (["collect", "--actions", "x", "--sequences", "0", "--data", str(tmp_path / "d")],
             "--sequences must be at least 1, got 0"),
            (["judge", "streams", "--data", s02, "--rules", "stream", "nope"],
             "--rules: unknown rule(s) nope (known: "),
            (["judge", "streams", "--data", s02, "--shipped", "--bases", str(tmp_path)],
             "--shipped and --bases: choose one"),
            *((["judge", *command, "--data", s02, s02.replace("s02", "s03"), "--fixes", "audit", "--cache",
                str(tmp_path / "cache")],
               "--fixes audit audits each fold's training people in 5 signer-grouped folds: it needs at least 6 "
               "people, the data has 2") for command in (["cv"], ["streams", "--others", o01], ["fewshot"])),
            (["judge", "streams", "--data", s02, "--others", o01, "--cache", str(tmp_path / "cache")],
             "it needs at least 2 people in --data, it has 1")):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and said in err and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []


def test_an_error_naming_a_path_with_a_line_break_stays_one_line(shared, tmp_path, capsys):
    import shutil

    root = tmp_path / "MP_Data"
    shutil.copytree(shared("data", "MP_Data_renotte", "hello", "30"), root / "a\nb" / "0")
    assert main(["train", "--data", str(root), "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "MP_Data/a\\nb: the action's folder name holds a control" in err, err
    assert not (tmp_path / "m").exists()


def test_a_file_name_with_a_terminal_escape_reaches_the_terminal_escaped(shared, tmp_path, capsys):
    """A data file named with an ESC sequence (which clears a terminal): evaluate's signer table and predict's rows
    show it as ``\\x1b``, not raw; an all-zero file is named in predict's error."""
    a, b = tmp_path / "p\x1b[2Jz.npz", tmp_path / "s03.npz"
    shutil.copy(shared("data", "signers", "s02.npz"), a)
    shutil.copy(shared("data", "signers", "s03.npz"), b)
    assert main(["evaluate", "--data", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "p\\x1b[2Jz" in out, out
    assert main(["predict", "--data", str(a)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and out.count("p\\x1b[2Jz.npz") == 90, out[:300]
    with np.load(b) as z:
        np.savez(tmp_path / "zeros.npz", X=np.zeros_like(z["X"][:3]), y=z["y"][:3], seq=z["seq"][:3])
    assert main(["predict", "--data", str(tmp_path / "zeros.npz")]) == 2
    assert f"{tmp_path / 'zeros.npz'}: no person in any frame of the 3 sequence(s)" in capsys.readouterr().err


@pytest.mark.parametrize("argv, said", [
    (["export", "--model", "{model}", "--format", "json", "--out", "{model}/signlstm.json"], "is inside the input"),
    (["adapt", "--model", "{model}", "--data", "{tree}", "--out", "{model}"], "is the input"),
    (["audit", "--data", "{p1}", "{p2}", "--out", "{p1}"], "is the input"),
    (["judge", "cv", "--data", "{p1}", "{p2}", "--epochs", "1", "--results", "{p2}"], "is the input"),
    (["extract", "--videos", "{clip}", "--keypoints", "{clip}"], "is the input"),
    (["train", "--data", "{tree}", "--epochs", "1", "--out", "{tree}/m"], "is inside the input"),
    (["train", "--data", "{p1}", "--epochs", "1", "--out", "{tmp}/m", "--logdir", "{tmp}/m/logs"], "overlap"),
    (["adapt", "--data", "{tree}/hello", "--out", "{tree}"], "holds the input"),
    (["collect", "--actions", "hello", "--source", "{tree}/hello/30", "--headless", "--data", "{tmp}/c",
      "--then-adapt", "{tmp}/c"], "is the input"),
    (["live", "--source", "{tree}/hello/30", "--headless", "--strip", "{tree}/hello/30/s.png"], "is inside the input"),
])
def test_an_output_that_names_holds_or_lies_in_an_input_is_refused_before_any_work(shared, tmp_path, capsys, argv,
                                                                                   said):
    """Each command's outputs are kept apart from its inputs before any work: an output naming an input (the model
    exported over itself, a data file audited over), inside an input folder (a model written into the data it
    trains on) or holding one, or two outputs in one place. One line, exit 2, every input as it was."""
    from signlstm.models.bundle import DEFAULT_MODEL

    model = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL, model)
    tree = _tiny_tree(tmp_path / "tree", shared)
    p1, p2 = tmp_path / "p1.npz", tmp_path / "p2.npz"
    shutil.copy(shared("data", "signers", "s02.npz"), p1)
    shutil.copy(shared("data", "signers", "s03.npz"), p2)
    clip = tmp_path / "clip.mp4"
    shutil.copy(shared("media", "asl_hello_rohan937.mp4"), clip)

    def state():
        return sorted((str(p.relative_to(tmp_path)), p.stat().st_size) for p in tmp_path.rglob("*") if p.is_file())

    before = state()
    names = dict(model=model, tree=tree, p1=p1, p2=p2, clip=clip, tmp=tmp_path)
    assert main([a.format(**names) for a in argv]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and said in err and "epoch" not in err, err
    assert state() == before


def test_a_sign_whose_every_recording_is_held_back_is_named_as_never_trained(shared, tmp_path, capsys):
    """The tutorial recipe holds back 5 % for its test: a sign of one recording can lose it to the test (seed 0
    here), and its output is never trained; the command says so and the bundle records it."""
    from signlstm.models.bundle import read_meta

    root = _tiny_tree(tmp_path / "MP_Data", shared, actions=("hello",))
    _tiny_tree(root, shared, actions=("thanks",), seqs=("30",))
    assert main(["train", "--data", str(root), "--arch", "tutorial", "--epochs", "1", "--seed", "0", "--out",
                 str(tmp_path / "m")]) == 0
    assert ("note: 'thanks': every recording was held back to test the model, so its output was never trained"
            in capsys.readouterr().err)
    assert read_meta(tmp_path / "m")["training"]["untrained_labels"] == ["thanks"]


def test_a_report_or_picture_may_be_written_inside_a_data_folder(shared, tmp_path, capsys):
    """A fixes file or a plot inside the folder of packed files it reads is no data to a reader: written."""
    for name in ("s02", "s03"):
        shutil.copy(shared("data", "signers", f"{name}.npz"), tmp_path / f"{name}.npz")
    assert main(["evaluate", "--data", str(tmp_path), "--plot", str(tmp_path / "cm.png")]) == 0
    assert (tmp_path / "cm.png").stat().st_size > 0
    assert f"wrote {tmp_path / 'cm.png'}" in capsys.readouterr().err  # said, as every command's written file is
    assert main(["evaluate", "--data", str(tmp_path)]) == 0 and "accuracy" in capsys.readouterr().out


def test_json_output_is_standard_json_with_null_for_what_nothing_measured(shared, tmp_path, capsys):
    """judge streams --json on a person without a cells.json beside them (as anyone's own data): the consistent
    cells measured nothing, and their figures are null, not NaN, which JSON.parse and other strict readers refuse."""
    (tmp_path / "people").mkdir()
    (tmp_path / "others").mkdir()
    shutil.copyfile(shared("data", "signers", "s02.npz"), tmp_path / "people" / "newa.npz")  # a name the models
    shutil.copyfile(shared("data", "other_signs", "o05.npz"), tmp_path / "others" / "othx.npz")  # never saw
    assert main(["judge", "streams", "--data", str(tmp_path / "people"), "--others", str(tmp_path / "others"),
                 "--shipped", "--json", "--streams", "1", "--workers", "1"]) == 0

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    out = json.loads(capsys.readouterr().out, parse_constant=refuse)
    consistent = [v["pooled"] for k, v in out["streams"].items() if k.endswith("|consistent")]
    assert len(consistent) == 3 and all(v["ref"] == 0 and v["wer"] is None for v in consistent), consistent
    measured = [v["pooled"] for k, v in out["streams"].items() if k.endswith("|all")]
    assert len(measured) == 3 and all(isinstance(v["wer"], float) for v in measured), measured


def test_evaluate_says_nothing_of_a_sign_folder_with_no_recordings(shared, tmp_path, capsys):
    """A tree with an empty folder beside hello's (a sign set up and not yet recorded): no note calls it a sign the
    model does not know and scores it, since nothing of it is read; hello's 30 recordings are scored."""
    import json

    shutil.copytree(shared("data", "MP_Data_renotte", "hello"), tmp_path / "MP_Data" / "hello")
    (tmp_path / "MP_Data" / "wave").mkdir()
    assert main(["evaluate", "--data", str(tmp_path / "MP_Data"), "--json"]) == 0
    out = capsys.readouterr()
    assert "wave" not in out.err and json.loads(out.out)["n"] == 30, out.err


def test_evaluate_scores_the_models_signs_under_the_datas_spelling(shared, tmp_path, capsys):
    """s02's recordings labelled Hello / thank you / ILY (as adapt and judge take them) are scored as hello / thanks
    / iloveyou, with a note: the same report as the file under the model's own names; a file holding both hello and
    Hello scores both as hello."""
    import json

    src = shared("data", "signers", "s02.npz")
    z = np.load(src)
    np.savez(tmp_path / "caps.npz", X=z["X"], y=z["y"], seq=z["seq"], actions=np.array(["Hello", "thank you", "ILY"]))
    assert main(["evaluate", "--data", str(src), "--json"]) == 0
    want = json.loads(capsys.readouterr().out)
    assert main(["evaluate", "--data", str(tmp_path / "caps.npz"), "--json"]) == 0
    out = capsys.readouterr()
    assert out.err.splitlines() == [
        "note: scored as the model's sign(s) they name: Hello as hello, ILY as iloveyou, thank you as thanks"]
    got = json.loads(out.out)
    assert got["n"] == want["n"] == 90 and got["accuracy"] == want["accuracy"]
    assert got["confusion"] == want["confusion"] and got["per_class"] == want["per_class"]
    y = z["y"].copy()
    y[y == 1] = 3  # thanks becomes a fourth label, Hello
    np.savez(tmp_path / "both.npz", X=z["X"], y=y, seq=z["seq"], actions=np.array(["hello", "thanks", "iloveyou",
                                                                                    "Hello"]))
    assert main(["evaluate", "--data", str(tmp_path / "both.npz"), "--json"]) == 0
    out = capsys.readouterr()
    assert out.err.splitlines() == ["note: scored as the model's sign(s) they name: Hello as hello"]
    assert json.loads(out.out)["per_class"]["hello"]["support"] == 60
    assert main(["evaluate", "--data", str(tmp_path / "caps.npz"), "--actions", "Hello"]) == 2  # the data's name
    assert "it calls 'Hello' 'hello': give --actions hello" in capsys.readouterr().err
    # train's --actions in another spelling than the data's: the same hint, before any training
    people = [str(shared("data", "signers", f"{p}.npz")) for p in ("s02", "s03")]
    assert main(["train", "--data", *people, "--actions", "Hello", "thanks", "--epochs", "1", "--out",
                 str(tmp_path / "never")]) == 2
    assert "no sequences for action(s) ['Hello'] in " in (err := capsys.readouterr().err)
    assert err.rstrip().endswith("; it calls 'Hello' 'hello': give --actions hello")
    assert not (tmp_path / "never").exists()


def test_predict_and_summary_show_any_label_whole_and_in_line(shared, tmp_path, capsys):
    """A model whose signs are named in Chinese, with a joiner inside an emoji and at length (the shipped model's
    network under other labels): ``predict``'s probabilities start at one terminal column whatever the answer, and
    ``summary`` shows each label as written (a joiner is no escape), quoted where a space would blur it."""
    from signlstm.models.bundle import DEFAULT_MODEL, META_FILE
    from signlstm.sign_names import columns

    model = tmp_path / "m"
    shutil.copytree(DEFAULT_MODEL, model)
    meta = json.loads((model / META_FILE).read_text())
    names = ["谢谢", "👨\u200d👩\u200d👧 family", "a_sign_with_a_long_name_indeed", "none"]
    meta["labels"] = names
    (model / META_FILE).write_text(json.dumps(meta))
    assert main(["summary", "--model", str(model)]) == 0
    assert "labels (4): 谢谢, '👨\u200d👩\u200d👧 family', a_sign_with_a_long_name_indeed, none " in capsys.readouterr().out
    z = np.load(shared("data", "signers", "s08.npz"))
    np.savez(tmp_path / "s08.npz", X=z["X"], y=z["y"], seq=z["seq"], actions=np.array(names[:3]))
    assert main(["predict", "--model", str(model), "--data", str(tmp_path / "s08.npz")]) == 0
    rows = capsys.readouterr().out.splitlines()
    answered = {a for a in names if any(r.split(None, 1)[1].startswith(a + " ") for r in rows)}
    assert len(answered) >= 2 and len(rows) == 90, answered
    assert len({columns(r[:r.index(" 0.") if " 0." in r else r.index(" 1.")]) for r in rows}) == 1, rows[:5]


def _option(command: list[str], flag: str):
    """The argparse action of ``flag`` in the subcommand ``command`` (e.g. ["judge", "streams"])."""
    import argparse

    from signlstm.cli import build_parser

    parser = build_parser()
    for name in command:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = sub.choices[name]
    return next(a for a in parser._actions if flag in a.option_strings)


def test_commands_that_need_no_model_start_without_keras(tmp_path):
    """Under the console's Ctrl-C handler, a command that needs a model imports Keras before it runs (while a Ctrl-C
    still ends the process at once: ``evaluate`` on a missing file has it imported before it refuses the file);
    ``convert``, ``extract`` and ``collect``, which need none, do not, and start faster for it."""
    import subprocess
    import sys

    script = ("import signal, sys; import signlstm.cli as c; signal.signal(signal.SIGINT, c._stop); "
              "c.main(sys.argv[1:]); print('keras' in sys.modules)")
    gone = str(tmp_path / "gone")
    for argv, keras in ((["convert", "--data", gone, "--camera", "auto", "--out", str(tmp_path / "o")], "False"),
                        (["extract", "--videos", gone, "--keypoints", str(tmp_path / "k.npy")], "False"),
                        (["collect", "--actions", "hello", "--data", str(tmp_path / "d"), "--source", gone,
                          "--headless"], "False"),  # (its --then-adapt loads a model, so Keras, before recording)
                        (["evaluate", "--data", gone], "True")):
        done = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True)
        assert "error" in done.stderr and done.stdout.splitlines()[-1] == keras, (argv, done.stdout, done.stderr[-500:])


def test_once_a_real_command_returns_ctrl_c_and_sigterm_are_consoles_again(tmp_path, capsys):
    """Under :func:`signlstm.cli.console`'s handlers, the real :func:`signlstm.cli.main` gives Ctrl-C and SIGTERM back
    to ``_stop`` when the command returns, after a command that ended well (``summary`` of the shipped model) and
    after one refused in one line: a Ctrl-C while Python then waits for a thread or tears itself down ends the process
    with the command's status, not by Python's default handler."""
    import signal

    import signlstm.cli as cli

    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        for argv, status in ((["summary"], 0), (["evaluate", "--data", str(tmp_path / "gone.npz")], 2)):
            for s in before:
                signal.signal(s, cli._stop)  # as console() sets them before it calls main()
            assert cli.main(argv) == status, (argv, capsys.readouterr().err)
            assert signal.getsignal(signal.SIGINT) is cli._stop and signal.getsignal(signal.SIGTERM) is cli._stop, argv
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
    out, err = capsys.readouterr()
    assert out and err.strip().splitlines()[-1].startswith("signlstm evaluate: error:"), err


def test_a_path_the_system_refuses_is_named_in_one_line_exit_2(shared, tmp_path, capsys):
    """An input or output path the operating system refuses (here a file name longer than a folder entry may be) is one
    line on stderr naming that path and the system's reason, exit 2, nothing written, for a data input (evaluate) and
    for each kind of output (export's file, audit's report, train's bundle folder, extract's keypoint file)."""
    long = "x" * 300
    s02 = str(shared("data", "signers", "s02.npz"))
    clip = str(shared("media", "asl_hello_rohan937.mp4"))
    for argv, path in ((["evaluate", "--data", str(tmp_path / f"{long}.npz")], tmp_path / f"{long}.npz"),
                       (["export", "--format", "json", "--out", str(tmp_path / f"{long}.json")],
                        tmp_path / f"{long}.json"),
                       (["audit", "--data", s02, "--out", str(tmp_path / f"{long}.csv")], tmp_path / f"{long}.csv"),
                       (["train", "--data", s02, "--epochs", "1", "--out", str(tmp_path / long)], tmp_path / long),
                       (["extract", "--videos", clip, "--keypoints", str(tmp_path / f"{long}.npy")],
                        tmp_path / f"{long}.npy")):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, (argv, err)
        assert err == f"signlstm {argv[0]}: error: {path}: File name too long\n", (argv, err)
    assert list(tmp_path.iterdir()) == []


def test_export_gives_an_out_without_its_formats_ending_that_ending(tmp_path, capsys):
    """``export --out`` without the format's ending gets it (README): weights to ``w`` or ``w.h5`` are written as
    ``w.weights.h5`` / ``w2.weights.h5`` (Keras reads weights by that ending), a whole model to ``m`` as ``m.h5``; each
    is said and nothing else is written, and the weights load back into the shipped model's network."""
    import keras

    from signlstm.models.bundle import load_bundle

    for fmt, given, written in (("weights", "w", "w.weights.h5"), ("weights", "w2.h5", "w2.weights.h5"),
                                ("h5", "m", "m.h5")):
        assert main(["export", "--format", fmt, "--out", str(tmp_path / given)]) == 0
        assert capsys.readouterr().out == f"wrote {tmp_path / written}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.h5", "w.weights.h5", "w2.weights.h5"]
    shipped = load_bundle().model
    copy = keras.models.clone_model(shipped)
    copy.load_weights(tmp_path / "w2.weights.h5")
    assert all(np.array_equal(a, b) for a, b in zip(copy.get_weights(), shipped.get_weights()))


def test_a_length_other_than_the_models_window_is_refused_in_one_line(shared, tmp_path, capsys):
    """``--length`` that is not the model's window (the shipped model reads 30 frames) is refused in one line naming
    both lengths, exit 2, by evaluate, predict and adapt, before anything is scored or written, though the tree's
    30-frame sequences could be read at that length; the model's own length given again is accepted."""
    tree = str(shared("data", "MP_Data_renotte"))
    for argv in (["evaluate", "--data", tree, "--length", "20"], ["predict", "--data", tree, "--length", "25"],
                 ["adapt", "--data", tree, "--length", "20", "--out", str(tmp_path / "a")]):
        assert main(argv) == 2, argv
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1, (argv, out, err)
        assert f"--length {argv[argv.index('--length') + 1]}, but the model reads 30-frame sequences" in err, err
    assert list(tmp_path.iterdir()) == []
    assert main(["evaluate", "--data", tree, "--length", "30", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == 90


def test_adapt_vocabulary_builds_its_head_at_the_radius_given(shared, tmp_path, capsys):
    """``adapt --vocabulary --radius``: the vocabulary is built at the radius given (stored in its bundle), not at the
    default 1.1: taught 5 recordings of each of three of s23's signs, at radius 0.5 it answers 'none' to more of that
    person's other recordings of those signs than at the default, and to no fewer of them."""
    from signlstm.models.bundle import load_bundle

    s23 = str(shared("data", "vocab", "s23.npz"))
    signs = ["Good Morning", "No", "yes"]
    for name, radius in (("tight", ["--radius", "0.5"]), ("default", [])):
        assert main(["adapt", "--vocabulary", "--data", s23, "--actions", *signs, "--shots", "5", *radius,
                     "--out", str(tmp_path / name)]) == 0
    capsys.readouterr()
    tight, default = load_bundle(tmp_path / "tight"), load_bundle(tmp_path / "default")
    assert (tight.meta["adapted"]["radius"], default.meta["adapted"]["radius"]) == (0.5, 1.1)
    with np.load(s23) as z:
        names = z["actions"][z["y"]]
        X = z["X"][np.isin(names, signs)]
    rejected = {name: float((np.array(b.labels)[b.predict(X).argmax(1)] == "none").mean())
                for name, b in (("tight", tight), ("default", default))}
    assert rejected["tight"] > rejected["default"], rejected


def test_predict_actions_choose_the_recordings_read(shared, capsys):
    """``predict --actions`` with a model bundle reads only the data's recordings of those actions (s02 holds 30 of
    each of three signs: 60 lines for two of them), each still answered with every label of the model."""
    from signlstm.models.bundle import load_bundle

    assert main(["predict", "--data", str(shared("data", "signers", "s02.npz")), "--actions", "thanks", "hello",
                 "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 60 and {line["true"] for line in lines} == {"hello", "thanks"}, len(lines)
    assert all(list(line["probs"]) == load_bundle().labels for line in lines)


def test_the_defaults_a_command_states_are_the_ones_its_library_uses(capsys):
    """Each default an option takes, and each default its help states, is the library's own: the judges' K values,
    seeds, streams, draws and adapt runs, the vocabulary radius, the tutorial recipe's epochs and their cap in
    cross-validation, the bench's frames and videos, the server's port, adapt's methods and its other signs per
    window. (The command layer cannot import the library's heavy modules, which bring Keras, to build its parser, so
    these figures are written there again; this keeps each one fact.) A figure must be in its own option's help."""
    import inspect

    from signlstm.judging import bench, crossval, fewshot, stream_scoring, streams, vocab
    from signlstm.models import adapt as adapting, recipes, vocabulary
    from signlstm.web import server

    def default(fn, name):
        return inspect.signature(fn).parameters[name].default

    def listed(values) -> str:
        return " ".join(map(str, values))

    epochs, port = recipes.TUTORIAL.epochs, default(server.serve, "port")
    few_shots = default(fewshot.few_shot_cv, "shots")
    runs, tutorial_shots = default(vocab.run, "adapt_runs"), default(vocab.run, "tutorial")
    frames, videos = default(bench.run, "frames"), default(bench.run, "videos")
    assert default(server.config, "port") == port
    # command, option, the option's default (None: the library chooses), what the option's help says
    for command, flag, value, said in [
            (["judge", "vocab"], "--shots", list(vocab.SHOTS), f"(default: {listed(vocab.SHOTS)})"),
            (["judge", "vocab"], "--seeds", list(vocab.SEEDS), f"(default: {listed(vocab.SEEDS)})"),
            (["judge", "vocab"], "--streams", vocab.STREAMS, f"(default {vocab.STREAMS}, 0: skip)"),
            (["judge", "vocab"], "--adapt-runs", runs, f"default {runs}, 0: skip)"),
            (["judge", "vocab"], "--tutorial-shots", list(tutorial_shots), f"default: {listed(tutorial_shots)};"),
            (["judge", "vocab"], "--radius", None, f"(default {vocabulary.RADIUS:g}, as adapt's)"),
            (["judge", "vocab"], "--tutorial-epochs", None, f"(default: its {epochs})"),
            (["judge", "streams"], "--per-label", stream_scoring.PER_LABEL, f"(default {stream_scoring.PER_LABEL})"),
            (["judge", "streams"], "--others-per-stream", stream_scoring.OTHERS, f"(default {stream_scoring.OTHERS})"),
            (["judge", "streams"], "--streams", None, f"(default {streams.DRAWS};"),
            (["judge", "fewshot"], "--shots", list(few_shots), f"(default: {listed(few_shots)})"),
            (["judge", "fewshot"], "--tutorial-epochs", None, f"(default: its {epochs})"),
            (["judge", "cv"], "--tutorial-epochs", None,
             f"{epochs} epochs per fold (default {crossval.TUTORIAL_EPOCHS})"),
            (["bench"], "--frames", frames, f"default {frames})"),
            (["bench"], "--videos", videos, f"(default {videos})"),
            (["serve"], "--port", port, f"(default {port})"),
            (["adapt"], "--radius", None, f"(default {vocabulary.RADIUS:g};"),
            (["adapt"], "--negatives", None, f"at most {adapting.NEGATIVES_PER_WINDOW} per sign recording")]:
        action = _option(command, flag)
        assert action.default == value and said in " ".join(action.help.split()), (command, flag, action.help)
    assert _option(["adapt"], "--method").choices == [*adapting.METHODS, "vocab"]
    with pytest.raises(SystemExit):
        main(["judge", "--help"])
    assert vocab.TAUGHT == 3 / 4 and "3/4 of a person's signs" in " ".join(capsys.readouterr().out.split())


def test_extract_of_a_file_that_is_not_a_video_is_one_line_in_a_log(tmp_path, capsys):
    """``extract`` of a text file named .mp4 with stderr not a terminal (a log, a program reading it): the one error
    line and no progress bar before it (a bar is drawn at a terminal only, as evaluate's), exit status 2, no file."""
    video = tmp_path / "clip.mp4"
    video.write_text("this is not a video\n")
    assert main(["extract", "--videos", str(video), "--keypoints", str(tmp_path / "k.npy")]) == 2
    assert capsys.readouterr().err == (f"signlstm extract: error: {video}: unreadable video (no frame could be "
                                       "decoded)\n")
    assert not (tmp_path / "k.npy").exists()
