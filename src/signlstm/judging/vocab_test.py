"""The vocabulary benchmark's pieces on the real files: the taught/untaught draw, one person's row of figures, and the
benchmark's refusals and notes."""
import dataclasses
import shutil

import numpy as np
import pytest

from signlstm.conftest import shared_path
from signlstm.datasets import open_npz
from signlstm.judging import trunks, vocab, vocab_report


def test_split_signs_is_seeded_and_teaches_three_quarters():
    signs = list(np.load(shared_path("data", "vocab", "o07.npz"))["actions"])  # o07's 35 signs
    taught, untaught = vocab.split_signs(signs, seed=0)
    assert (len(taught), len(untaught)) == (26, 9) and sorted(taught + untaught) == sorted(signs)
    assert vocab.split_signs(signs, seed=0) == (taught, untaught) and vocab.split_signs(signs, seed=1) != (taught, untaught)
    assert [len(x) for x in vocab.split_signs(["a", "b", "c"], seed=0)] == [2, 1]
    assert vocab.split_signs(["a", "b"], seed=0) == (["a", "b"], [])
    # a small vocabulary: N of the signs taught (at least 2), the rest untaught
    taught, untaught = vocab.split_signs(signs, seed=0, count=3)
    assert len(taught) == 3 and len(untaught) == 32 and sorted(taught + untaught) == sorted(signs)
    assert len(vocab.split_signs(signs, seed=0, count=1)[0]) == 2 and vocab.split_signs(signs, 0, count=99)[1] == []


def test_one_person_on_a_trunk_gives_accuracy_rejection_and_seconds(unseen_trunk):
    """s23 on a trunk that never saw s23 (conftest's ``unseen_trunk``), K = 3: the taught signs named rightly and
    seldom none, a share of the 2 untaught signs' recordings answered none (none without rejection); the seconds are
    the adaptation's, within the call's own time."""
    import time

    from signlstm.models.vocabulary import RADIUS

    task = dict(person="s23", file=str(shared_path("data", "vocab", "s23.npz")), trunk=str(unseen_trunk.path),
                shots=[3], seeds=[0], radius=RADIUS, tutorial=[], tutorial_epochs=None, streams=2)
    t0 = time.time()
    (row,) = vocab.run_person(task)["rows"]
    wall = time.time() - t0
    assert (row["signs"], row["untaught"], row["test"]) == (6, 2, 6 * 27)
    # chance: 1 in 6; a recording without a hand in view in most frames is none (s23's Good Night: 15 of 30)
    from signlstm.datasets import load

    d = load([task["file"]])
    taught, _ = vocab.split_signs(d.actions, 0)
    handless = int(((d.hand_shares(np.arange(len(d))) < 0.5) & np.isin(d.labels, taught)).sum())
    assert row["acc"] >= 0.8 and row["known_none"] <= 0.1 + handless / row["test"], (row, handless)
    assert 0 < row["seconds"] < wall, (row["seconds"], wall)  # the adaptation alone, in seconds
    assert row["rejected"] >= 0.35  # untaught signs answered 'none'
    # the taught signs made in a row, each stream its own draw: one recording of each taught sign with its hands in
    # view, two untaught signs' recordings between; live's rule gets at least a third of the words right
    first, second = row["streams"]
    assert first["ref"] == second["ref"] == 6 and first["others"] == second["others"] == 2
    assert first["words"] != second["words"] and first["errors"] + second["errors"] <= 8
    summ = vocab.summary({"shots": [3], "rows": [row]})
    assert summ[3]["mean"]["acc"] == row["acc"] and np.isnan(summ[3]["mean"]["tutorial_acc"])
    assert summ[3]["people"]["s23"]["row_wer"] == (first["errors"] + second["errors"]) / 12


def test_the_summary_averages_seeds_per_person_then_people_and_names_the_worst():
    def row(person, seed, acc, at_2):
        return {"k": 5, "person": person, "seed": seed, "acc": acc, "known_none": 0.1, "rejected": 0.5,
                "seconds": 1.0 + seed, "signs": 4, "tradeoff": {"2.0": {"acc": at_2, "known_none": 0.0,
                                                                         "rejected": 0.2}}}

    rows = [row("a", 0, 0.6, 0.7), row("a", 1, 0.8, 0.9), row("b", 0, 0.9, 0.95), row("b", 1, 1.0, 0.85)]
    summ = vocab.summary({"shots": [5], "rows": rows, "radii": [2.0]})[5]
    assert summ["people"]["a"]["acc"] == pytest.approx(0.7) and summ["people"]["b"]["acc"] == pytest.approx(0.95)
    assert summ["mean"]["acc"] == pytest.approx(0.825) and summ["mean"]["worst_acc"] == pytest.approx(0.7)
    assert summ["mean"]["seconds"] == 1.5 and (summ["mean"]["people"], summ["mean"]["of"]) == (2, 2)
    assert summ["tradeoff"][2.0]["acc"] == pytest.approx(0.85) and summ["tradeoff"][2.0]["worst_acc"] == pytest.approx(0.8)


def test_the_report_gives_the_trade_off_at_other_radii():
    """Plumbing of the trade-off table, on the shipped trunk (which saw s23: its figures are no measurement): the
    figures at the fit's own radius are the bundle's, a radius of 0.5 rejects far more, a huge one nothing."""
    from signlstm.models.vocabulary import RADIUS, TRUNK_MODEL
    from signlstm.judging.vocab_report import format_vocab

    task = dict(person="s23", file=str(shared_path("data", "vocab", "s23.npz")), trunk=str(TRUNK_MODEL), shots=[3],
                seeds=[1, 0], radius=RADIUS, tutorial=[], tutorial_epochs=None, radii=[0.5, RADIUS, 10.0])
    rows = vocab.run_person(task)["rows"]
    for row in rows:  # at the fit's own radius: the bundle's own figures (numpy twin), whatever seed came before
        for m in ("acc", "known_none", "rejected"):
            assert abs(row["tradeoff"][str(RADIUS)][m] - row[m]) <= 0.01
    row = rows[1]
    t = row["tradeoff"]
    # radius 0.5: far more of both answered none (0.64 / 1.0 against 0.02 / 0.52 when written)
    assert t["0.5"]["known_none"] >= row["known_none"] + 0.2 and t["0.5"]["rejected"] >= row["rejected"] + 0.2
    assert t["10.0"]["rejected"] == 0.0 and t["10.0"]["known_none"] == 0.0
    res = {"shots": [3], "seeds": [0], "radius": RADIUS, "radii": task["radii"], "rows": [row], "seconds": 1.0,
           "started": "a", "ended": "b", "load": [0.5, 0.7]}
    text = format_vocab(res, vocab.summary(res))
    assert "load average 0.5 -> 0.7" in text and "untaught->none" in text and len(text.splitlines()) == 10


def test_a_bad_person_file_is_one_line_naming_it_before_any_trunk(tmp_path, capsys):
    from signlstm.cli import main

    for name in ("git_lfs_pointer.npy", "shape99.npy", "truncated_sequence"):
        bad = shared_path("data", "bad_inputs", name)
        assert main(["judge", "vocab", "--data", str(bad), "--cache", str(tmp_path / "cache")]) == 2
        err = capsys.readouterr().err
        assert str(bad) in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    # a bad trunk-training file (--negatives, --signers) is named before the progress bar is drawn
    bad = shared_path("data", "bad_inputs", "shape99.npy")
    assert main(["judge", "vocab", "--data", str(shared_path("data", "vocab", "s23.npz")), "--negatives", str(bad),
                 "--cache", str(tmp_path / "cache")]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [err.strip()] and str(bad) in err and "people" not in err
    assert not (tmp_path / "cache").exists()
    good = shared_path("data", "vocab", "s23.npz")  # no trunk-training files are needed: each trains on the other
    o04 = shared_path("data", "vocab", "o04.npz")
    assert vocab.person_files([good, o04]) == {"s23": good, "o04": o04}
    for bad_option in (["--signs", "1"], ["--streams", "-1"]):
        assert main(["judge", "vocab", "--data", str(good), *bad_option]) == 2
        err = capsys.readouterr().err
        assert err.strip().splitlines() == [err.strip()] and bad_option[0] in err and "people" not in err
    # two people's files of one name would be judged as one person: refused, as --data of judge streams and fewshot
    for who, src in (("alice", "o04"), ("bob", "s23")):
        (tmp_path / who).mkdir()
        shutil.copy(shared_path("data", "vocab", f"{src}.npz"), tmp_path / who / "vocab.npz")
    for command in (["vocab", "--shipped"], ["streams", "--shipped", "--negatives", str(good)], ["fewshot", "--shipped"]):
        assert main(["judge", command[0], "--data", str(tmp_path / "alice"), str(tmp_path / "bob" / "vocab.npz"),
                     *command[1:]]) == 2
        err = capsys.readouterr().err
        assert err.strip().splitlines() == [err.strip()] and "are both person 'vocab'" in err, err
    # a trunk folder without the person's trunk: named before the progress bar, nothing run
    assert main(["judge", "vocab", "--data", str(good), "--trunks", str(tmp_path / "trunks")]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [err.strip()] and "no trunk bundle for s23" in err and "people" not in err


def test_adapt_wall_times_the_command_in_a_fresh_process_on_the_tutorial_folders():
    from signlstm.models.vocabulary import TRUNK_MODEL
    from signlstm.judging.vocab_report import format_vocab

    said = []
    wall = vocab.adapt_wall(shared_path("data", "vocab", "s23.npz"), TRUNK_MODEL, shots=2, runs=1, log=said.append)
    assert (wall["person"], wall["signs"], wall["sequences"]) == ("s23", 8, 16)
    assert len(wall["seconds"]) == 1 and "run 1" in said[0]
    res = {"shots": [], "seeds": [0], "radius": 1.1, "rows": [], "seconds": 1.0, "adapt_wall": wall}
    assert f"s23's 8 signs x 2 recordings: {wall['seconds'][0]:.2f} s" in format_vocab(res, {})


def test_the_shipped_trunk_judges_only_people_it_never_saw(tmp_path, capsys):
    """``--shipped``: one trunk (the shipped one) for every person, no trunk trained; a person it was trained on is
    refused in one line. (A renamed copy of s23's file stands in for a new person: it checks the plumbing only, the
    figures of a person the trunk saw are not a measurement.)"""
    import json
    import shutil

    from signlstm.models.vocabulary import TRUNK_MODEL
    from signlstm.cli import main

    good = shared_path("data", "vocab", "s23.npz")
    assert main(["judge", "vocab", "--data", str(good), "--shipped", "--cache", str(tmp_path / "cache")]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [err.strip()] and "was trained on s23" in err and "people:" not in err
    copy = tmp_path / "newcomer.npz"
    shutil.copy(good, copy)
    assert main(["judge", "vocab", "--data", str(copy), "--shipped", "--shots", "3", "--seeds", "0",
                 "--tutorial-shots", "--adapt-runs", "0", "--json", "--cache", str(tmp_path / "cache")]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["trunks"] == {"newcomer": str(TRUNK_MODEL)} and not (tmp_path / "cache").exists()
    (row,) = res["rows"]
    assert (row["person"], row["signs"], row["untaught"]) == ("newcomer", 6, 2)


def test_judge_vocab_refuses_options_it_cannot_use_before_anything_else(tmp_path, capsys):
    """--cells (no consistent-gesture cells here) and every numeric option out of range are
    one line before any file is read (a missing trunk folder would be named otherwise) and before the bar."""
    from signlstm.cli import main

    good = str(shared_path("data", "vocab", "s23.npz"))
    for bad in (["--cells", str(shared_path("data", "signers", "cells.json"))], ["--shots", "3", "0"],
                ["--seeds", "-1"], ["--tutorial-shots", "0"], ["--tutorial-epochs", "0"], ["--epochs", "0"],
                ["--adapt-runs", "-1"], ["--streams", "-2"], ["--radii", "0"], ["--radii", "1", "1e9"],
                ["--workers", "-1"]):
        assert main(["judge", "vocab", "--data", good, "--trunks", str(tmp_path / "trunks"), *bad]) == 2, bad
        err = capsys.readouterr().err
        assert err.strip().splitlines() == [err.strip()] and err.startswith(f"signlstm judge vocab: error: {bad[0]}")
        assert "people" not in err and "no trunk bundle" not in err, err
    import contextlib
    import io

    from signlstm.cli import build_parser

    help_text = io.StringIO()
    with contextlib.redirect_stdout(help_text), contextlib.suppress(SystemExit):
        build_parser().parse_args(["judge", "vocab", "--help"])
    assert "--cells" not in help_text.getvalue() and "--shots" in help_text.getvalue()


def test_judge_vocab_refuses_a_person_who_cannot_make_a_split(tmp_path, capsys, recwarn):
    """A person file of 4 recordings: too few signs for a taught/untaught split, or too few recordings to test after
    K shots, is one line naming the file, before any trunk, without numpy warnings."""
    from signlstm.cli import main

    src = np.load(shared_path("data", "vocab", "s23.npz"))
    y = src["y"]
    for name, idx, said in (("two_signs", [*np.flatnonzero(y == 0)[:2], *np.flatnonzero(y == 1)[:2]],
                             "4 recording(s) of 2 sign(s); judge vocab needs at least 3 signs"),
                            ("one_each", [np.flatnonzero(y == a)[0] for a in range(4)],
                             "1 recording(s) per sign, K = 1 leaves none to test")):
        f = tmp_path / f"{name}.npz"
        np.savez(f, X=src["X"][idx], y=y[idx], seq=src["seq"][idx], actions=src["actions"])
        assert main(["judge", "vocab", "--data", str(f), "--trunks", str(tmp_path / "trunks"), "--shots", "1",
                     "--seeds", "0"]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"signlstm judge vocab: error: {f}: ") and len(err.strip().splitlines()) == 1, err
        assert said in err, err
        assert "no trunk bundle" not in err and "people" not in err
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    counts = open_npz(shared_path("data", "vocab", "s23.npz")).label_counts
    assert len(counts) == 8 and set(counts.values()) == {30}
    assert vocab.shot_problems(counts, vocab.SHOTS, vocab.SEEDS) == {}
    assert "--signs 8 taught" in vocab.shot_problems(counts, [3], [0], signs=8)[3]
    problems = vocab.shot_problems(counts, [3, 30], [0])
    assert list(problems) == [30] and "K = 30" in problems[30]
    # a person's figures without any untaught sign give no numpy warnings: NaN shown as '-'
    import warnings

    row = {"person": "p", "seed": 0, "k": 1, "signs": 2, "untaught": 0, "test": 2, "acc": 1.0, "known_none": 0.0,
           "rejected": float("nan"), "seconds": 1.0}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(vocab.summary({"shots": [1], "rows": [row]})[1]["people"]["p"]["rejected"])


def test_a_person_with_too_few_recordings_for_some_k_is_not_measured_there_and_the_others_are(tmp_path, capsys):
    """A person whose signs have 4-6 recordings each: at K = 6 nothing is left to test, so that row is n/a with the
    reason and the mean is over the people measured (the run goes on); at K = 5 the signs with 4 or 5 are all shots and not tested, said in a note. The shipped trunk does not use
    --negatives or --epochs (they train trunks), nor a run without --tutorial-shots --tutorial-epochs: said too. (Renamed: a part of s23's file and o05's whole file stand in for two new people.)"""
    import shutil

    from signlstm.cli import main

    src = np.load(shared_path("data", "vocab", "s23.npz"))
    y = src["y"]
    idx = np.concatenate([np.flatnonzero(y == a)[:4 + 2 * (a % 2)] for a in range(len(src["actions"]))])
    few = tmp_path / "few.npz"
    np.savez(few, X=src["X"][idx], y=y[idx], seq=src["seq"][idx], actions=src["actions"])
    shutil.copy(shared_path("data", "vocab", "o05.npz"), tmp_path / "full.npz")  # another person (one file each)
    capsys.readouterr()
    assert main(["judge", "vocab", "--data", str(few), str(tmp_path / "full.npz"), "--shipped", "--shots", "5", "6",
                 "--seeds", "0", "--tutorial-shots", "--adapt-runs", "0", "--streams", "0", "--workers", "1",
                 "--negatives", str(shared_path("data", "other_signs", "o01.npz")), "--epochs", "3",
                 "--tutorial-epochs", "2", "--cache", str(tmp_path / "cache")]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "  6 few      n/a: 4-6 recording(s) per sign, K = 6 leaves none to test" in lines, out
    assert any(x.startswith("  5 few ") and "n/a" not in x for x in lines), out
    assert any(x.startswith("  6 full ") for x in lines) and any(x.startswith("  6 mean ") for x in lines), out
    assert [x for x in lines if x.startswith("  6 mean ")][0].endswith("mean over 1 of 2 people"), out
    assert "mean over" not in [x for x in lines if x.startswith("  5 mean ")][0], out
    assert "note: few: signs with K or fewer recordings are all shots and not tested: K = 5: " in out, out
    assert "note: --negatives and --epochs not used: they make the trunks, and --shipped gives ready ones" in out, out
    assert "note: --tutorial-epochs not used: no --tutorial-shots" in out, out


def test_one_person_is_held_once_whatever_their_data(tmp_path, unseen_trunk):
    """A person's work (``run_person``) holds their recordings once: the taught signs are the data itself and the
    test recordings are scored a chunk at a time. On two files of the signers' recordings (600 and 1,800 sequences,
    3 signs: 2 taught, 1 untaught), what is allocated at once (traced) grows by less than 1.8 times the data added
    as float32 (the data once, plus the untaught signs' copy: about 1.3); copies of the taught and test recordings
    made it about 2.7."""
    import tracemalloc

    from signlstm.judging.bench import synthetic_packed
    from signlstm.models.vocabulary import RADIUS

    peaks = {}
    for n in (100, 600, 1800):  # the first, unmeasured, compiles what every run reuses
        f = synthetic_packed(shared_path("data", "signers"), n, tmp_path / f"p{n}.npz")
        task = dict(person=f.stem, file=str(f), trunk=str(unseen_trunk.path), shots=[5], seeds=[0], radius=RADIUS,
                    tutorial=[], tutorial_epochs=None, streams=1)
        tracemalloc.start()
        try:
            (row,) = vocab.run_person(task)["rows"]
            peaks[n] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()  # a failure here must not leave the rest of the session traced
        assert (row["signs"], row["untaught"]) == (2, 1) and row["acc"] > 0.5
    added = (1800 - 600) * 30 * 1662 * 4
    assert peaks[1800] - peaks[600] < 1.8 * added, (peaks, added)


def test_a_cached_trunk_that_saw_the_person_judged_is_refused(capsys, monkeypatch, tmp_path):
    """A trunk found in the cache (e.g. kept from code that chose the training people otherwise) is read back for
    whom it was trained on before it judges anyone. (The cached trunk is stood in for by a copy of the shipped trunk,
    trained on s23, put where trunks trains each trunk.)"""
    from signlstm.cli import main
    from signlstm.models.vocabulary import TRUNK_MODEL

    monkeypatch.setattr(trunks, "_train", lambda job: shutil.copytree(TRUNK_MODEL, job["out"]) and
                        {"held_out": job["held_out"], "classes": 0, "sequences": 0, "seconds": 0})
    code = main(["judge", "vocab", "--data", str(shared_path("data", "vocab", "s23.npz")), "--shots", "1",
                 "--seeds", "0", "--tutorial-shots", "--adapt-runs", "0", "--streams", "0", "--workers", "1",
                 "--negatives", str(shared_path("data", "other_signs", "o01.npz")),  # someone to train a trunk on
                 "--cache", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert code == 2 and "a cached trunk: " in err and "was trained on s23" in err, err
    assert err.strip().splitlines()[-1].startswith("signlstm judge vocab: error: a cached trunk"), err


def _s23_variant(path, actions=None, handless=False, frames=None):
    """A renamed copy of s23's file at ``path`` (a new person for the shipped trunk: plumbing only), its signs named
    ``actions``, every hand value zeroed (``handless``: MediaPipe found no hands) or its frames resampled to
    ``frames`` per sequence."""
    src = np.load(shared_path("data", "vocab", "s23.npz"))
    X = src["X"].copy()
    if handless:
        X[:, :, 1536:] = 0  # the two hands: the last 126 values of a frame
    if frames:
        X = X[:, np.round(np.linspace(0, X.shape[1] - 1, frames)).astype(int)]
    np.savez(path, X=X, y=src["y"], seq=src["seq"], actions=src["actions"] if actions is None else np.array(actions))
    return path


def _judge_json(capsys, *argv):
    """``judge vocab --shipped`` at K = 3, seed 0, without the tutorial recipe or the adapt timing: (its JSON, its
    stderr)."""
    import json

    from signlstm.cli import main

    capsys.readouterr()
    assert main(["judge", "vocab", "--shipped", "--shots", "3", "--seeds", "0", "--tutorial-shots", "--adapt-runs",
                 "0", "--workers", "1", "--json", *argv]) == 0
    out = capsys.readouterr()
    return json.loads(out.out), out.err


def test_recordings_labelled_none_are_no_sign_of_the_person(tmp_path, capsys):
    """A person file whose sign of index 0 is labelled ``none`` (no sign, as the README has it): those recordings are
    neither taught nor untaught nor tested, and the note of ``adapt --vocabulary`` and ``judge streams`` says so; the
    7 real signs are split (5 taught, 2 untaught), and a trunk's training set has no ``person/none`` class."""
    names = [str(a) for a in np.load(shared_path("data", "vocab", "s23.npz"))["actions"]]
    f = _s23_variant(tmp_path / "withnone.npz", actions=["none", *names[1:]])
    res, _ = _judge_json(capsys, "--data", str(f), "--streams", "0")
    (row,) = res["rows"]
    assert (row["signs"], row["untaught"], row["test"]) == (5, 2, 5 * 27), row
    assert "note: left out 30 recording(s) labelled 'none' (the rejection label is not a sign)" in res["notes"], res
    d = trunks.trunk_set([f], [], [], held_out=None)
    assert "withnone/none" not in d.actions and {"withnone/" + a for a in names[1:]} <= set(d.actions)


def test_a_person_of_another_sequence_length_is_named_before_anything_runs(tmp_path, capsys):
    """A person of 45-frame recordings judged on the shipped trunk (30-frame windows): one line naming the file, in
    ``adapt``'s words, before the progress bar."""
    from signlstm.cli import main

    f = _s23_variant(tmp_path / "long.npz", frames=45)
    assert main(["judge", "vocab", "--data", str(f), "--shipped", "--shots", "1", "--seeds", "0",
                 "--tutorial-shots", "--adapt-runs", "0", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [err.strip()] and "people" not in err, err
    assert f"error: {f}: the data has 45-frame sequences, the model expects 30 (it reads 30-frame windows" in err, err


def test_one_person_without_a_trunk_source_is_told_what_to_give(tmp_path, capsys):
    """One person and nothing else to train their trunk on (no --shipped, --trunks, other people): one line naming
    the person and the ways on, before any trunk is trained."""
    from signlstm.cli import main

    good = str(shared_path("data", "vocab", "s23.npz"))
    assert main(["judge", "vocab", "--data", good, "--shots", "1", "--seeds", "0", "--tutorial-shots",
                 "--adapt-runs", "0", "--workers", "1", "--cache", str(tmp_path / "cache")]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [err.strip()] and "no data given" not in err, err
    assert "s23 is the only person given" in err and all(o in err for o in ("--shipped", "--trunks", "--negatives"))
    assert not (tmp_path / "cache").exists()


def test_a_person_whose_recordings_show_no_hands_is_named_for_the_missing_in_a_row_figure(tmp_path, capsys):
    """Every hand value zeroed (MediaPipe never found the hands): no recording can be made in a row, so no word error
    rate; a note names the person and says why."""
    f = _s23_variant(tmp_path / "nohands.npz", handless=True)
    res, _ = _judge_json(capsys, "--data", str(f), "--streams", "1")
    (row,) = res["rows"]
    assert [x["ref"] for x in row["streams"]] == [0]
    assert any(n.startswith("note: nohands: no in-a-row word error rate: none of their taught signs' test "
                            "recordings shows a hand") for n in res["notes"]), res["notes"]
    # a person with their hands in view has no such note
    f = _s23_variant(tmp_path / "hands.npz")
    res, _ = _judge_json(capsys, "--data", str(f), "--streams", "1")
    assert res["rows"][0]["streams"][0]["ref"] > 0 and not any("in-a-row" in n for n in res["notes"]), res["notes"]


def test_judge_vocab_teaches_signs_scores_radii_and_trains_the_tutorial_at_the_k_asked_for(tmp_path, capsys):
    """``judge vocab`` from the command line with ``--signs 3`` (3 of the person's 8 signs taught, the other 5 never
    taught), ``--radii 0.5 10`` (the same fit scored at those radii too) and ``--tutorial-shots 3`` (the tutorial
    recipe trained from scratch at K = 3, not at its default 5): each reaches the figures. At radius 10 nothing is
    answered none, at 0.5 at least as much of both as at the fit's own radius. (A renamed copy of s23's file on the
    shipped trunk: plumbing, not a measurement.)"""
    f = _s23_variant(tmp_path / "newcomer.npz")
    res, _ = _judge_json(capsys, "--data", str(f), "--signs", "3", "--radii", "0.5", "10", "--tutorial-shots", "3",
                         "--tutorial-epochs", "1", "--streams", "0")
    (row,) = res["rows"]
    assert (row["signs"], row["untaught"], row["test"]) == (3, 5, 3 * 27) and res["signs"] == 3, row
    assert res["radii"] == [0.5, 10.0] and sorted(row["tradeoff"]) == ["0.5", "10.0"], row
    t = row["tradeoff"]
    assert t["10.0"]["rejected"] == 0.0 and t["10.0"]["known_none"] == 0.0, t
    assert t["0.5"]["rejected"] >= row["rejected"] and t["0.5"]["known_none"] >= row["known_none"], (t, row)
    assert t["0.5"]["rejected"] > t["10.0"]["rejected"], t  # the radius changes what is answered none
    assert sorted(res["summary"]["3"]["tradeoff"]) == ["0.5", "10.0"], res["summary"]
    assert 0 <= row["tutorial_acc"] <= 1 and 0 <= res["summary"]["3"]["mean"]["tutorial_acc"] <= 1, row


def test_consecutive_shots_are_neighbours_in_the_order_recorded_and_what_the_vocabulary_is_taught(unseen_trunk):
    """``--consecutive``: each sign's K shots are K recordings made one after another (s23's file, in recording order),
    from a seeded start; those without a hand in view are then left out, as when a person adapts to what they
    recorded; the rest of the taught signs' recordings are tested, and the report says how the shots were drawn."""
    from signlstm.datasets import load
    from signlstm.models.adapt import choose_shots
    from signlstm.models.vocabulary import RADIUS, vocab_shots

    d = load([shared_path("data", "vocab", "s23.npz")])
    starts = set()
    for seed in range(4):
        pick = choose_shots(d, 3, seed=seed, consecutive=True)
        for a in d.actions:
            place = np.flatnonzero(np.isin(np.flatnonzero(d.labels == a), pick))
            assert len(place) == 3 and (np.diff(place) == 1).all(), (a, place)
        starts.add(int(place[0]))
    assert len(starts) > 1
    taught_from, unseen = vocab_shots(d, 3, 0, consecutive=True)
    assert set(taught_from) == set(choose_shots(d, 3, 0, rows=np.flatnonzero(d.labels != "none"),
                                                consecutive=True)) - set(unseen)
    task = dict(person="s23", file=str(shared_path("data", "vocab", "s23.npz")), trunk=str(unseen_trunk.path),
                shots=[3], seeds=[0], radius=RADIUS, tutorial=[], tutorial_epochs=None, streams=0, consecutive=True)
    (row,) = vocab.run_person(task)["rows"]
    signs = dataclasses.replace(d, actions=vocab.split_signs(d.actions, 0)[0])
    taught = np.flatnonzero(np.isin(d.labels, signs.actions))
    assert row["test"] == len(taught) - len(vocab_shots(signs, 3, 0, consecutive=True)[0]) >= 6 * 27
    assert row["acc"] >= 0.6, row
    res = {"rows": [row], "shots": [3], "seeds": [0], "radius": RADIUS, "seconds": 1.0, "consecutive": True}
    assert "taught from K consecutive recordings" in vocab_report.format_vocab(res, vocab.summary(res))


def test_the_vocabulary_table_gives_each_persons_figures_the_mean_over_those_measured_and_who_was_not():
    """``judge vocab``'s table (``vocab_report.format_vocab``) on two people's figures over two seeds (rows as
    ``run_person`` returns them, summed up by ``summary``; worked out by hand) and a third person too short of
    recordings at K = 3: each person's line holds their signs, known-sign accuracy, known signs answered none and
    untaught signs answered none, in that order; the mean line the means of those columns, the worst person, and
    that it is over 2 of the 3 people; the third person's line says why they were not measured."""
    from signlstm.judging.vocab_report import format_vocab

    def row(person, seed, signs, acc, known_none, rejected, seconds):
        return {"person": person, "k": 3, "seed": seed, "signs": signs, "acc": acc, "known_none": known_none,
                "rejected": rejected, "seconds": seconds}

    res = {"shots": [3], "seeds": [0, 1], "radius": 1.0, "seconds": 10.0, "not_measured": {"s24": {3: "too few"}},
           "rows": [row("s20", 0, 8, 0.9, 0.1, 0.6, 1.0), row("s20", 1, 8, 0.8, 0.0, 0.8, 3.0),
                    row("s22", 0, 6, 0.7, 0.2, 0.9, 2.0), row("s22", 1, 6, 0.7, 0.2, 0.9, 2.0)]}
    text = format_vocab(res, vocab.summary(res))
    lines = {tuple(line.split()[:2]): line.split()[2:] for line in text.splitlines() if line.startswith("  3 ")}
    #                           signs  acc    known->none  untaught->none  adapt s  tutorial  in a row
    assert lines[("3", "s20")] == ["8", "85.0", "5.0", "70.0", "2.0", "-", "-", "-"], text
    assert lines[("3", "s22")] == ["6", "70.0", "20.0", "90.0", "2.0", "-", "-", "-"], text
    assert lines[("3", "mean")] == ["77.5", "12.5", "80.0", "2.0", "-", "-", "-", "worst", "person", "70.0", "%,",
                                    "mean", "over", "2", "of", "3", "people"], text
    assert lines[("3", "s24")] == ["n/a:", "too", "few"], text


def test_judge_vocab_consecutive_reaches_the_benchmark(tmp_path, capsys):
    """``judge vocab --consecutive`` from the command line reaches the benchmark (which then draws each sign's K shots
    as K recordings made in a row, as the test of consecutive shots above checks) and its JSON says so; the taught
    signs' other recordings are tested. (A renamed copy of s23's file on the shipped trunk: plumbing.)"""
    f = _s23_variant(tmp_path / "newcomer.npz")
    res, _ = _judge_json(capsys, "--data", str(f), "--consecutive", "--streams", "0")
    (row,) = res["rows"]
    assert res["consecutive"] is True, res
    assert (row["signs"], row["test"]) == (6, 6 * 27), row


def test_the_library_refuses_the_options_the_command_refuses(shared):
    """vocab.run given one taught sign, a radius past the range, a negative count of streams or a tutorial K of 0
    refuses each in one line before anything is read or trained, as ``judge vocab`` does (one taught sign gave
    figures: 20.7 % known, 79.3 % none)."""
    from signlstm.errors import SignlstmError
    from signlstm.judging import vocab

    s23 = [str(shared("data", "vocab", "s23.npz"))]
    for options, said in (({"signs": 1}, "--signs must be at least 2"), ({"radii": [1000]}, "--radii must be"),
                          ({"streams": -1}, "--streams must be 0 or more"),
                          ({"tutorial": [0]}, "--tutorial-shots must be at least 1"),
                          ({"trunk": "t", "trunk_folder": "f"}, "--shipped and --trunks: choose one")):
        with pytest.raises(SignlstmError, match=said):
            vocab.run(s23, adapt_runs=0, log=lambda m: None, **options)
