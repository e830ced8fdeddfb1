"""Scores of a bundle on labelled data: what is refused, and which people the model was trained on."""
import numpy as np
import pytest

from signlstm.datasets import Dataset, concat, load_npz
from signlstm.errors import SignlstmError
from signlstm.judging.metrics import evaluate
from signlstm.models.bundle import load_bundle


@pytest.fixture(scope="module")
def default():
    return load_bundle()


def test_data_the_model_cannot_score_is_refused(default, shared):
    s02 = load_npz(shared("data", "signers", "s02.npz"))
    short = Dataset(s02.X[:, :20], s02.labels, s02.groups, s02.sources, s02.actions)
    with pytest.raises(SignlstmError, match="the data has 20-frame sequences, the model expects 30"):
        evaluate(default, short)
    with pytest.raises(SignlstmError, match=r"the data has action\(s\) \[.*'india'.*\] that the model does not know"):
        evaluate(default, load_npz(shared("data", "other_signs", "o04.npz")))


def test_trained_on_names_only_the_people_both_scored_and_in_training(default, shared):
    """The shipped model was trained on s02 (and every other DEV signer), not on a person "p99" (s03's recordings
    under another name): a result on both names s02 alone."""
    assert "s02" in default.meta["training"]["groups"] and "p99" not in default.meta["training"]["groups"]
    data = load_npz(shared("data", "signers", "s02.npz")).subset(np.arange(0, 90, 9))
    other = load_npz(shared("data", "signers", "s03.npz")).subset(np.arange(0, 90, 9))
    other.groups = np.full(len(other), "p99")
    r = evaluate(default, concat([data, other]))
    assert r["trained_on"] == ["s02"] and set(r["per_signer"]) == {"s02", "p99"} and r["n"] == 20


def test_the_confusion_plot_of_signs_in_any_script_warns_nothing_per_letter(tmp_path, recwarn):
    """matplotlib warns once per letter its font lacks ("Glyph 2344 missing from font(s) DejaVu Sans"), a dozen
    lines for one Devanagari name; the plot draws the letters a font holds and leaves the note to the command."""
    from signlstm.judging.metrics import plot_confusion

    result = {"labels": ["नमस्ते", "ñandú", "none"], "confusion": [[3, 0, 1], [0, 4, 0], [1, 0, 2]],
              "accuracy": 9 / 11, "n": 11}
    import cv2

    out = plot_confusion(result, tmp_path / "cm.png")
    picture = cv2.imread(str(out))
    assert picture is not None and len(np.unique(picture.reshape(-1, 3), axis=0)) > 20  # a drawn plot, not blank
    assert [str(w.message) for w in recwarn if "missing from" in str(w.message)] == []


def test_the_report_table_lines_up_labels_in_any_script():
    """The label column is counted in terminal columns (a Chinese letter takes two, a vowel sign none): the figures
    of every row start at the same column (早上好, नमस्ते), and a long name widens the column."""
    from signlstm.judging.metrics import format_report
    from signlstm.sign_names import columns

    names = ["早上好", "नमस्ते", "good afternoon friend", "none"]
    result = {"accuracy": 0.5, "n": 4, "labels": names, "per_signer": {},
              "per_class": {a: {"precision": 1.0, "recall": 0.5, "support": 2} for a in names},
              "confusion": [[1, 0, 0, 1], [0, 1, 1, 0], [0, 0, 2, 0], [0, 0, 0, 2]]}
    lines = format_report(result).splitlines()
    rows = [line for line in lines if line.endswith("1.000   0.500     2")]
    assert len(rows) == 4 and len({columns(line) for line in rows}) == 1
    assert any(line.startswith("good afternoon friend ") for line in rows)
    matrix = lines[lines.index("confusion (rows true, columns predicted)") + 1:][:5]
    assert len({columns(line) for line in matrix}) == 1


def test_precision_and_recall_that_nothing_defines_are_shown_as_a_dash():
    """A label never answered has no precision, one absent from the data no recall (nor F1): the table shows '-',
    the JSON null, not 0. A label absent from the data but answered (the shipped model's none on signs only) has
    precision 0 by definition: the table shows '-' there too and says how often it was answered."""
    from signlstm.judging.metrics import format_report, score

    true = np.array(["a", "a", "b", "b"])
    pred = np.array(["a", "b", "b", "none"])
    result = score(true, pred, np.array(["p"] * 4), ["a", "b", "c"])
    lines = format_report(result).splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("label"))
    rows = {line.split()[0]: line.split(maxsplit=4)[1:] for line in lines[start + 1:start + 5]}
    assert rows == {"a": ["1.000", "0.500", "2"], "b": ["0.500", "0.500", "2"], "c": ["-", "-", "0"],
                    "none": ["-", "-", "0", "(none in the data; answered 1 time)"]}
    assert result["per_class"]["c"] == {"precision": None, "recall": None, "f1": None, "support": 0}
    assert result["per_class"]["none"] == {"precision": 0.0, "recall": None, "f1": None, "support": 0}
    assert result["per_class"]["b"]["f1"] == 0.5
    # recordings labelled none that a model without a none output never answers none: none is a row all the same
    result = score(np.array(["a", "none"]), np.array(["a", "b"]), np.array(["p"] * 2), ["a", "b"])
    assert result["labels"] == ["a", "b", "none"] and result["confusion"][2] == [0, 1, 0]
    assert result["per_class"]["none"] == {"precision": None, "recall": 0.0, "f1": None, "support": 1}


def test_the_per_person_table_lines_up_names_in_any_script_and_of_any_length(default, shared):
    """Two people named in Japanese and with a long name (s02's and s03's recordings): their rows' figures start at
    the same terminal column, after the whole name."""
    from signlstm.judging.metrics import format_report
    from signlstm.sign_names import columns

    data = load_npz(shared("data", "signers", "s02.npz")).subset(np.arange(0, 90, 9))
    other = load_npz(shared("data", "signers", "s03.npz")).subset(np.arange(0, 90, 9))
    data.groups, other.groups = np.full(len(data), "長い名前の人たち"), np.full(len(other), "a_person_with_a_long_name")
    r = evaluate(default, concat([data, other]))
    lines = format_report(r).splitlines()
    head = next(x for x in lines if x.startswith("signer "))
    ends = set()
    for g in ("長い名前の人たち", "a_person_with_a_long_name"):
        (row,) = [x for x in lines if x.startswith(g + " ")]
        ends.add(columns(row[:row.index(f"{r['per_signer'][g]['accuracy']:.3f}")]))
    assert len(ends) == 1 and columns(head[:head.index("accuracy")]) + 3 == ends.pop(), lines


def test_each_persons_accuracy_is_their_own_and_people_seen_through_unknown_signs_count_as_trained_on(default, shared):
    """Three people of the shipped model's training set: s02 as recorded, s03 under the name p99 with its hello
    recordings labelled thanks (so its accuracy is its own, lower one), and s04 whose recordings are all labelled
    'wave', a sign the model does not know. Each person's accuracy and per-label figures are theirs alone (checked
    against the model's answers by hand), and s04, scored only through the unknown sign, is still named as a person
    the model was trained on."""
    from signlstm.recognizer import decide

    s02 = load_npz(shared("data", "signers", "s02.npz")).subset(np.arange(0, 90, 6))
    s03 = load_npz(shared("data", "signers", "s03.npz")).subset(np.arange(0, 90, 6))
    s04 = load_npz(shared("data", "signers", "s04.npz")).subset(np.arange(0, 90, 9))
    p99 = Dataset(s03.X, np.where(s03.labels == "hello", "thanks", s03.labels), np.full(len(s03), "p99"),
                  s03.sources, s03.actions)
    wave = Dataset(s04.X, np.full(len(s04), "wave"), s04.groups, s04.sources, ["wave"])
    assert "s04" in default.meta["training"]["groups"]
    r = evaluate(default, concat([s02, p99, wave]), unknown=("wave",))
    expected = {}
    for name, d in (("s02", s02), ("p99", p99)):
        said = decide(default.labels, default.predict(d.X))
        expected[name] = float((said == d.labels).mean())
        assert r["per_signer"][name]["accuracy"] == pytest.approx(expected[name])
        assert r["per_signer"][name]["n"] == len(d)
        per_label = r["per_signer"][name]["per_label"]
        assert sorted(per_label) == sorted(set(d.labels)), (name, per_label)  # each sign the person recorded
        for a, acc in per_label.items():
            assert acc == pytest.approx(float((said[d.labels == a] == a).mean())), (name, a)
    assert expected["p99"] < expected["s02"] - 0.2  # the two people's figures differ: neither is the pooled one
    assert r["accuracy"] == pytest.approx((expected["s02"] * len(s02) + expected["p99"] * len(p99)) / (len(s02) +
                                                                                                     len(p99)))
    assert set(r["per_signer"]) == {"s02", "p99"} and r["unknown_signs"]["n"] == len(s04)
    assert r["trained_on"] == ["s02", "s04"]
    # o04's other signs, which the model should answer none: how often it does, and what it names otherwise
    from signlstm.datasets import no_person

    o04 = load_npz(shared("data", "other_signs", "o04.npz"))
    o04 = o04.subset(np.flatnonzero(~no_person(o04.X))[::3])
    said = decide(default.labels, default.predict(o04.X))
    r = evaluate(default, concat([s02, o04]), unknown=sorted(set(o04.labels.tolist())))
    rows = r["unknown_signs"]["per_label"].values()
    assert r["unknown_signs"]["n"] == len(o04) and 0 < r["unknown_signs"]["none"] == int((said == "none").sum())
    assert sum(n for row in rows for n in row["named"].values()) == int((said != "none").sum())


def test_the_report_lists_the_unknown_signs_the_model_lets_through_most_first():
    """Signs the model does not know are listed by the share it answers none, lowest first (the ones it names as
    its own signs most), ten at most, then one line for the rest."""
    from signlstm.judging.metrics import format_report

    per_label = {f"sign{k:02d}": {"n": 10, "none": k % 10, "named": {"hello": 10 - k % 10} if k % 10 < 10 else {}}
                 for k in range(12)}
    result = {"accuracy": None, "n": 0, "labels": [], "per_class": {}, "per_signer": {}, "confusion": [],
              "unknown_signs": {"n": 120, "none": sum(v["none"] for v in per_label.values()), "per_label": per_label}}
    lines = format_report(result).splitlines()
    rows = [line.split(":")[0].strip() for line in lines if line.startswith("  sign")]
    assert rows == ["sign00", "sign10", "sign01", "sign11", "sign02", "sign03", "sign04", "sign05", "sign06", "sign07"]
    assert lines[-1] == "  and 2 more: 17 of 20 none"
    assert "  sign00: 0 of 10 none; named hello 10" in lines


def test_a_library_user_scores_a_file_as_the_command_does(default, shared, capsys):
    """o06's whole vocabulary (24 signs, 720 recordings) on the shipped model: ``evaluate_data`` scores its hello and
    its "thank you" (as thanks), counts its 22 other signs as never taught, and gives the notes and figures that
    ``signlstm evaluate --json`` prints."""
    import json

    from signlstm.cli import main
    from signlstm.conftest import shared_path
    from signlstm.judging.metrics import evaluate_data

    path = shared_path("data", "vocab", "o06.npz")
    result, notes = evaluate_data(default, [path])
    assert result["n"] == 60 and result["per_signer"]["o06"]["per_label"].keys() == {"hello", "thanks"}
    assert result["unknown_signs"]["n"] == 660 and len(result["unknown_signs"]["per_label"]) == 22
    assert notes[0] == "note: scored as the model's sign(s) they name: thank you as thanks"
    assert main(["evaluate", "--data", str(path), "--json"]) == 0
    out = capsys.readouterr()
    said = json.loads(out.out)
    assert said["accuracy"] == result["accuracy"] and said["confusion"] == result["confusion"]
    assert said["unknown_signs"] == json.loads(json.dumps(result["unknown_signs"]))
    assert out.err.splitlines() == notes
    # a tutorial .h5 loaded with its labels: scored on its signs, as `evaluate --model F.h5 --actions ...` scores
    legacy = shared("data", "legacy_models", "FruitPnchSamuraiG__action.h5")
    labels = ["hello", "thanks", "iloveyou", "rashford"]
    result, _ = evaluate_data(load_bundle(legacy, labels), [path])
    assert main(["evaluate", "--model", str(legacy), "--actions", *labels, "--data", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == result["accuracy"] and result["n"] == 60


def test_the_mean_over_measured_values_leaves_out_the_unmeasured_and_is_nan_when_none_is(recwarn):
    """``measured_mean`` (the few-shot table's and ``judge vocab``'s means over people): None and NaN are not
    measured and left out; with nothing measured it is NaN, with no numpy warning; another reducer (the median) too."""
    from signlstm.judging.metrics import measured_mean

    assert measured_mean([0.5, None, float("nan"), 1.0]) == 0.75
    assert measured_mean([1.0, None, 3.0, 10.0], np.median) == 3.0
    assert np.isnan(measured_mean([None, float("nan")])) and np.isnan(measured_mean([]))
    assert not recwarn.list


def test_every_recording_is_scored_across_chunks_and_unknown_signs_with_nobody_are_not_counted(default, shared,
                                                                                               monkeypatch):
    """Data read in chunks of 7 recordings: all 20 of s02's recordings scored, none lost at a chunk's end; s04's
    recordings of a sign the model does not know, three of them with every value zero: those three are counted as
    showing nobody, not as answers to the unknown sign. The table of one person has no per-person block; a 40-letter
    sign name does not widen the label column past 30 columns."""
    from signlstm.judging import metrics

    monkeypatch.setattr(metrics, "CHUNK", 7)
    s02 = load_npz(shared("data", "signers", "s02.npz")).subset(np.arange(0, 90, 9)[:10].tolist() + list(range(1, 11)))
    s04 = load_npz(shared("data", "signers", "s04.npz")).subset(np.arange(0, 90, 9))
    X = s04.X.copy()
    X[:3] = 0
    wave = Dataset(X, np.full(len(s04), "wave"), s04.groups, s04.sources, ["wave"])
    r = evaluate(default, concat([s02, wave]), unknown=("wave",))
    assert r["n"] == len(s02) == 20 and sum(m["n"] for m in r["per_signer"].values()) == 20
    assert r["unknown_signs"]["n"] == len(wave) - 3 and r["no_person"]["per_signer"] == {"s04": 3}
    lines = metrics.format_report(r).splitlines()
    assert not any(x.startswith("signer ") for x in lines), lines  # one person scored: no per-person block
    long = "a sign whose name runs to forty letters."
    assert len(long) == 40
    table = metrics.format_report(metrics.score(np.array([long, "b"]), np.array([long, "b"]), np.array(["p"] * 2),
                                                [long, "b"])).splitlines()
    head = next(x for x in table if x.startswith("label"))
    assert head.index("precision") == 30 + 2, head  # the column: 30 wide, one space, then 'precision' in 10


def test_recordings_labelled_none_are_no_unknown_sign_for_a_model_without_a_none_output(shared):
    """A tutorial-style model answers hello / thanks / iloveyou only; recordings labelled ``none`` (no sign) are
    still taken (scored as a row of their own, as :func:`score` shows), while a sign it does not know is refused."""
    from signlstm.judging.metrics import check_labels
    from signlstm.models.bundle import Bundle

    tutorial = Bundle(None, {"labels": ["hello", "thanks", "iloveyou"], "seq_len": 30})
    s02 = load_npz(shared("data", "signers", "s02.npz")).subset(np.arange(0, 90, 9))
    s02.labels = np.where(s02.labels == "hello", "none", s02.labels)
    check_labels(tutorial, s02)
    s02.labels = np.where(s02.labels == "none", "wave", s02.labels)
    with pytest.raises(SignlstmError, match=r"action\(s\) \['wave'\] that the model does not know"):
        check_labels(tutorial, s02)
