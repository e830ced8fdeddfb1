"""Few-shot cross-validation: one held-out signer end to end, cached folds, the within-signer bound."""
import json
from pathlib import Path

import numpy as np
import pytest

from ..models.adapt import choose_shots
from ..datasets import load_npz


def test_few_shot_cross_validation_runs_one_fold(tmp_path, shared):
    from pathlib import Path

    from ..models.bundle import read_meta
    from .fewshot import few_shot_cv
    from .fewshot_report import format_fewshot

    files = [str(shared("data", "signers", f"{s}.npz")) for s in ("s03", "s04", "s12")]
    kw = dict(workers=1, cache=tmp_path, epochs=2, tutorial_epochs=2, time_k=None, signers=["s12"],
              log=lambda m: None)
    res = few_shot_cv(files, shots=[3], **kw)
    (r,) = res["results"]
    assert r["signer"] == "s12" and list(r["k"]) == [3]
    assert "s12" not in read_meta(Path(res["cache"]) / "s12")["training"]["groups"]  # the fold's base never saw s12
    assert r["k"][3]["test"] == 81 and r["k"][3]["support"] == 9
    assert r["k"][3]["acc"] > 0.5
    assert 0 < r["k"][3]["seconds"] < res["seconds"]["folds"]  # the adaptation alone, within the folds' time
    # the tutorial's network trained from scratch on the same 9 recordings is far behind the adapted base
    assert r["k"][3]["tutorial_acc"] < r["k"][3]["acc"] - 0.2
    assert r["own_acc"] > 0.5  # the base's features separate s12's three gestures given most of its sequences
    assert "K=3: mean" in format_fewshot(res) and "own (5-fold within the signer): mean" in format_fewshot(res)
    # Bases and fold results are cached: a second run trains and adapts nothing and reports the same figures.
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in tmp_path.rglob("*") if p.is_file()}
    again = few_shot_cv(files, shots=[3], **kw)
    after = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before and again["results"] == res["results"]  # no file written again, the base's weights too


def test_own_accuracy_holds_out_what_each_action_can_spare(small_base, shared):
    from .fewshot import within_signer_accuracy

    bundle = small_base
    data = load_npz(shared("data", "signers", "s12.npz"))
    assert np.isnan(within_signer_accuracy(bundle, data.subset(choose_shots(data, 1))))  # nothing to hold out
    assert within_signer_accuracy(bundle, data.subset(choose_shots(data, 4))) > 0.5  # 4 folds: 3 per action to learn, 1 held out


def test_a_ready_base_adapts_only_to_people_it_never_saw(tmp_path, shared, small_base):
    """``base=`` (what ``--shipped`` passes): one ready model adapted to every person, fold results cached under the
    cache folder (never beside the model); a person it was trained on is refused (by the shipped model, which saw
    everyone, and by the shared test base). Measured on s12, whom the test base (conftest's ``small_base``) never saw
    and who signs thanks and iloveyou otherwise (VARIANTS.md): the base alone names 65 % of s12's recordings rightly,
    adapted on 3 recordings a sign 100 %."""
    import pytest

    from ..errors import SignlstmError
    from ..models.bundle import DEFAULT_MODEL, read_meta
    from .fewshot import few_shot_cv
    from .fewshot_report import format_fewshot

    kw = dict(workers=1, cache=tmp_path / "cache", tutorial=False, time_k=None, log=lambda m: None)
    for base in (DEFAULT_MODEL, small_base.path):
        with pytest.raises(SignlstmError, match="was trained on s03"):
            few_shot_cv([str(shared("data", "signers", "s03.npz"))], shots=[3], base=base, **kw)
    assert "s12" not in read_meta(small_base.path)["training"]["groups"]
    res = few_shot_cv([str(shared("data", "signers", "s12.npz"))], shots=[3], base=small_base.path, epochs=3,
                      negatives=[str(shared("data", "other_signs", "o01.npz"))], **kw)
    assert ("note: --epochs, --negatives not used: they make fold bases, and a ready model is adapted instead"
            in res["notes"]), res["notes"]  # what trains fold bases reaches nothing here: said, not dropped silently
    (r,) = res["results"]
    assert r["signer"] == "s12" and r["k"][3]["test"] == 90 - 9
    assert r["k"][3]["acc"] >= 0.9 and r["k"][3]["acc"] >= r["base_acc"] + 0.2, r  # adapting helps a new person
    assert res["base"] == str(small_base.path) and (tmp_path / "cache" / "fewshot" / "folds").is_dir()
    assert not (small_base.path / "folds").exists() and not (small_base.path.parent / "folds").exists()
    assert not (DEFAULT_MODEL.parent / "folds").exists()
    assert "few-shot on people the base never saw" in format_fewshot(res)


def test_a_person_with_one_of_the_base_s_signs_gets_the_tutorial_column_n_a_not_a_stop(tmp_path, shared, small_base):
    """A person who recorded one of the base's signs (s12's hello, beside a sign it does not know): adapted and
    scored; the tutorial recipe, which needs two signs to learn from scratch, is n/a for them with a note, where the
    whole run had stopped ("training needs at least 2 actions")."""
    from .fewshot import few_shot_cv
    from .fewshot_report import format_fewshot

    z = np.load(shared("data", "signers", "s12.npz"))
    keep = z["y"] != 1  # thanks left out; iloveyou called "wave", which the base does not know
    np.savez(tmp_path / "s12.npz", X=z["X"][keep], y=z["y"][keep], seq=z["seq"][keep],
             actions=np.array(["hello", "thanks", "wave"]))
    res = few_shot_cv([str(tmp_path / "s12.npz")], shots=[3], base=small_base.path, workers=1,
                      cache=tmp_path / "cache", tutorial=True, tutorial_epochs=2, time_k=None, log=lambda m: None)
    (r,) = res["results"]
    assert r["k"][3]["test"] == 30 - 3 and r["k"][3]["acc"] > 0.5 and "tutorial_acc" not in r["k"][3]
    assert "note: s12: the tutorial recipe is n/a (only hello of the signs the base knows" in "\n".join(res["notes"])
    assert format_fewshot(res).count("    n/a") >= 2  # the person's tutorial cell and the mean's


def test_a_person_with_k_or_fewer_recordings_per_sign_is_not_measured_at_that_k(tmp_path, shared, recwarn):
    """--shipped on a person with 5 recordings per sign, spelled Hello / thank you / iloveyou, with a sign the model
    does not know (please) and recordings labelled none: at K = 5 nothing is left to test, so that K is n/a with the
    reason (no nan %, no numpy RuntimeWarnings); the labels are the model's (the base named
    none of 'Hello' rightly: 0 %), please and none are left out, said in notes; nobody measurable at any K is one
    line. (A renamed copy of s03's recordings stands in for a new person: plumbing, not a measurement.)"""
    import pytest

    from ..datasets import load
    from ..errors import SignlstmError
    from ..models.bundle import DEFAULT_MODEL
    from .fewshot import few_shot_cv
    from .fewshot_report import format_fewshot

    s03, o01 = load([shared("data", "signers", "s03.npz")]), load([shared("data", "other_signs", "o01.npz")])
    idx = np.concatenate([np.flatnonzero(s03.labels == a)[:5] for a in ("hello", "thanks", "iloveyou")])
    names = ["Hello", "iloveyou", "none", "please", "thank you"]
    labels = ["Hello"] * 5 + ["thank you"] * 5 + ["iloveyou"] * 5 + ["please"] * 3 + ["none"] * 2
    f = tmp_path / "newcomer.npz"
    np.savez_compressed(f, X=np.concatenate([s03.X[idx], o01.X[:3], s03.X[np.flatnonzero(s03.labels == "hello")[5:7]]]),
                        y=np.array([names.index(a) for a in labels], np.int16), seq=np.arange(20, dtype=np.int16),
                        actions=np.array(names))
    kw = dict(workers=1, cache=tmp_path / "cache", tutorial=False, time_k=None, base=DEFAULT_MODEL,
              log=lambda m: None)
    res = few_shot_cv([str(f)], shots=[2, 5], **kw)
    (r,) = res["results"]
    assert r["k"][2]["test"] == 9 and r["base_acc"] > 0.8 and r["k"][2]["acc"] > 0.8, r
    assert r["k"][5] == {"na": "5 recording(s) per sign, K = 5 leaves none to test", "test": 0, "support": 15}
    text = format_fewshot(res)
    assert "nan" not in text and "K=5: mean n/a over 0 of 1 signers" in text and "newcomer n/a: 5 recording(s)" in text
    assert "note: left out 2 recording(s) labelled 'none'" in text and "does not know: please (3)" in text, text
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    with pytest.raises(SignlstmError, match="too few recordings to measure: newcomer has 5 recording"):
        few_shot_cv([str(f)], shots=[5], **kw)


def test_too_few_recordings_for_every_k_is_said_before_any_base_is_trained(tmp_path, shared):
    """Fold bases learn the data's own labels, so whether anyone can be measured is known before training them."""
    import pytest

    from ..errors import SignlstmError
    from .fewshot import few_shot_cv

    files = []
    for s in ("s03", "s04"):
        with np.load(shared("data", "signers", f"{s}.npz")) as z:
            keep = np.concatenate([np.flatnonzero(z["y"] == k)[:3] for k in range(3)])
            np.savez(tmp_path / f"{s}.npz", X=z["X"][keep], y=z["y"][keep], seq=z["seq"][keep])
        files.append(str(tmp_path / f"{s}.npz"))
    with pytest.raises(SignlstmError, match="too few recordings to measure: s03 has 3 recording"):
        few_shot_cv(files, shots=[3, 5], workers=1, cache=tmp_path / "cache", epochs=1, tutorial=False, time_k=None,
                    log=lambda m: None)
    assert not (tmp_path / "cache").exists()


def test_a_fold_holds_its_person_once_whatever_their_data(tmp_path, small_base, shared):
    """A fold (``run_fold``) reads its own person's file and holds it once, scoring the test recordings a chunk at a
    time: on two files of the signers' recordings (600 and 1,800 sequences), what is allocated at once (traced)
    grows by less than 1.5 times the data added as float32 (the data once is 1; a copy of the test recordings would
    make it 2)."""
    import tracemalloc

    from ..judging.bench import synthetic_packed
    from .fewshot import run_fold

    peaks = {}
    for n in (100, 600, 1800):  # the first, unmeasured, compiles what every run reuses
        f = synthetic_packed(shared("data", "signers"), n, tmp_path / f"p{n}.npz")
        task = dict(files=[str(f)], mapping={a: a for a in ("hello", "thanks", "iloveyou")}, signer=f.stem, seed=0,
                    shots=[5], base=str(small_base.path), method="top", tutorial=False, tutorial_epochs=None)
        tracemalloc.start()
        try:
            r = run_fold(task)
            peaks[n] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()  # a failure here must not leave the rest of the session traced
        assert r["n"] == n and r["k"][5]["test"] == n - 15 and r["k"][5]["acc"] > 0.5
    added = (1800 - 600) * 30 * 1662 * 4
    assert peaks[1800] - peaks[600] < 1.5 * added, (peaks, added)


def test_signs_that_k_shots_use_up_are_named_as_not_tested(tmp_path, shared):
    """--shipped on a person with 2 recordings of hello and 5 of thanks and iloveyou: at K = 2 and K = 3 hello is all
    shots, so those K test only thanks and iloveyou; a note names hello and its count at each. (A renamed copy of
    s03's recordings stands in for a new person: plumbing, not a measurement.)"""
    from ..datasets import load
    from ..models.bundle import DEFAULT_MODEL
    from .fewshot import few_shot_cv
    from .fewshot_report import format_fewshot

    s03 = load([shared("data", "signers", "s03.npz")])
    idx = np.concatenate([np.flatnonzero(s03.labels == a)[:n] for a, n in (("hello", 2), ("thanks", 5),
                                                                           ("iloveyou", 5))])
    names = ["hello", "thanks", "iloveyou"]
    f = tmp_path / "newcomer.npz"
    np.savez_compressed(f, X=s03.X[idx], y=np.array([names.index(a) for a in s03.labels[idx]], np.int16),
                        seq=np.arange(len(idx), dtype=np.int16), actions=np.array(names))
    res = few_shot_cv([str(f)], shots=[1, 2, 3], workers=1, cache=tmp_path / "cache", tutorial=False, time_k=None,
                      base=DEFAULT_MODEL, log=lambda m: None)
    (r,) = res["results"]
    assert [r["k"][k]["test"] for k in (1, 2, 3)] == [9, 6, 4], r
    assert res["notes"] == ["note: newcomer: signs with K or fewer recordings are all shots and not tested: K = 2: "
                            "hello (2); K = 3: hello (2)"]
    assert res["notes"][0] in format_fewshot(res)


def test_judge_fewshot_shipped_from_the_command_line_refuses_a_person_the_shipped_model_saw(tmp_path, shared, capsys):
    """``judge fewshot --shipped`` adapts the shipped model, which was trained on every signer of ../shared: asked to
    judge one of them (s03) from the command line it refuses in one line naming the model and the person, before any
    work (without --shipped, one person's file would be refused for too few signers instead)."""
    from ..cli import main
    from ..models.bundle import DEFAULT_MODEL

    assert main(["judge", "fewshot", "--data", str(shared("data", "signers", "s03.npz")), "--shipped", "--shots", "2",
                 "--workers", "1", "--cache", str(tmp_path / "cache")]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [err.strip()], err
    assert f"error: --shipped: {DEFAULT_MODEL} was trained on s03; it can only judge people it never saw" in err, err
    assert not (tmp_path / "cache").exists()


def test_judge_fewshot_from_the_command_line_trains_fold_bases_with_the_negatives_and_seed_asked_for(tmp_path, shared,
                                                                                                    capsys):
    """``judge fewshot`` run to its end from the command line on fold bases (one epoch each): each base is trained
    without its person, with ``--seed`` and with the ``--negatives`` (o01's other sign) as ``none``; the ``--json``
    line holds every person at the ``--shots`` K asked for, drawn with that seed, and the tutorial recipe trained
    beside for the ``--tutorial-epochs`` asked for, and ``signlstm adapt --shots 2`` timed for each person. s03 (8 recordings per sign) is
    adapted on 2 of each and tested on the other 6; s12 (2 per sign: it only trains s03's base) is n/a at K = 2,
    which keeps the run to one fold's work."""
    from ..cli import main
    from ..models.bundle import read_meta

    people = []
    for s, n in (("s03", 8), ("s12", 2)):
        with np.load(shared("data", "signers", f"{s}.npz")) as z:
            keep = np.concatenate([np.flatnonzero(z["y"] == a)[:n] for a in range(3)])
            np.savez(tmp_path / f"{s}.npz", X=z["X"][keep], y=z["y"][keep], seq=z["seq"][keep])
        people.append(str(tmp_path / f"{s}.npz"))
    capsys.readouterr()
    assert main(["judge", "fewshot", "--data", *people, "--negatives", str(shared("data", "other_signs", "o01.npz")),
                 "--shots", "2", "--seed", "7", "--epochs", "1", "--tutorial-epochs", "1", "--workers", "1", "--json",
                 "--cache", str(tmp_path / "cache")]) == 0
    res = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert res["base"] is None and res["shots"] == [2] and res["seed"] == 7 and res["time_k"] == 2, res
    s03, s12 = res["results"]
    assert [(r["signer"], r["seed"], list(r["k"])) for r in (s03, s12)] == [("s03", 7, ["2"]), ("s12", 7, ["2"])]
    assert (s03["k"]["2"]["support"], s03["k"]["2"]["test"]) == (6, 18) and 0 <= s03["k"]["2"]["acc"] <= 1, s03
    assert s03["k"]["2"]["tutorial_epochs"] == 1, s03  # the tutorial recipe beside, capped at --tutorial-epochs
    assert s12["k"]["2"] == {"na": "2 recording(s) per sign, K = 2 leaves none to test", "test": 0, "support": 6}
    assert s03["cli_seconds"] > 0 and s12["cli_seconds"] > 0  # `signlstm adapt --shots 2` timed for each person
    for s in ("s03", "s12"):
        meta = read_meta(Path(res["cache"]) / s)
        assert meta["labels"][-1] == "none" and meta["training"]["seed"] == 7, meta["training"]
        assert set(meta["training"]["groups"]) == {"s03", "s12", "o01"} - {s}, meta["training"]["groups"]


def test_a_person_of_another_length_than_the_shipped_window_is_named_before_any_work(shared, tmp_path, capsys):
    """``--shipped`` on 20-frame recordings: one line naming the file, exit 2, before any adapting, not from
    inside a fold. (s02's recordings cut to 20 frames, renamed, stand in for a new person.)"""
    import numpy as np

    from signlstm.cli import main

    with np.load(shared("data", "signers", "s02.npz")) as z:
        np.savez(tmp_path / "lena.npz", **{k: z[k][:, :20] if k == "X" else z[k] for k in z.files})
    code = main(["judge", "fewshot", "--shipped", "--data", str(tmp_path / "lena.npz"), "--shots", "1", "--workers",
                 "1", "--cache", str(tmp_path / "cache")])
    captured = capsys.readouterr()
    assert code == 2 and captured.err.count("\n") == 1, captured.err
    assert f"{tmp_path / 'lena.npz'}: the data has 20-frame sequences, the model expects 30" in captured.err
    assert "adapting" not in captured.err + captured.out and not (tmp_path / "cache").exists()


def test_a_fold_adapts_with_the_method_it_is_given(small_base, shared):
    """``run_fold`` adapts its person with the task's ``method`` (``judge fewshot --method``): with ``ncm`` (the
    prototype head alone) s12's figure at K = 3 on the small test base is what ``adapt(..., method="ncm")`` on the
    same shots scores on the rest of s12's recordings, not what the default ``top`` scores (the two differ here); its
    errors are the recordings it names wrongly."""
    from ..models.adapt import adapt
    from ..recognizer import decide
    from .fewshot import run_fold

    f = shared("data", "signers", "s12.npz")
    data = load_npz(f)
    rest = np.setdiff1d(np.arange(len(data)), choose_shots(data, 3, 0))

    def accuracy(method):
        b = adapt(small_base, data, shots=3, seed=0, method=method)
        return float((decide(b.labels, b.predict(data.X[rest])) == data.labels[rest]).mean())

    ncm, top = accuracy("ncm"), accuracy("top")
    assert ncm != top, (ncm, top)
    task = dict(files=[str(f)], mapping={a: a for a in ("hello", "thanks", "iloveyou")}, signer="s12", seed=0,
                shots=[3], base=str(small_base.path), method="ncm", tutorial=False, tutorial_epochs=None)
    row = run_fold(task)["k"][3]
    assert row["test"] == len(rest) == 81
    assert abs(row["acc"] - ncm) < abs(top - ncm) / 2, (row["acc"], ncm, top)
    # its errors (true -> said -> count) are the recordings named wrongly, and only those
    assert all(t not in said for t, said in row["errors"].items())
    assert sum(n for said in row["errors"].values() for n in said.values()) == round(81 * (1 - row["acc"]))


def test_the_few_shot_table_gives_each_signers_figures_their_means_and_who_is_below_target():
    """``judge fewshot``'s table (``fewshot_report.format_fewshot``) on three signers' figures (as ``few_shot_cv`` returns
    them; worked out by hand): each signer's row holds its base, adapted (K=3) and tutorial accuracy; the mean row
    averages each column (the base's too, not a median: 0.5, 0.6, 1.0 give 70.0 %), and its tutorial column is the
    tutorial's mean, not the adapted one's; the K line counts a signer at exactly 95 % as at target and names the one
    below with its errors."""
    from .fewshot_report import format_fewshot

    def signer(name, base, acc, tut, secs, errors):
        return {"signer": name, "base_acc": base,
                "k": {3: {"acc": acc, "tutorial_acc": tut, "seconds": secs, "errors": errors, "test": 20}}}

    res = {"shots": [3], "seed": 0, "method": "head", "recipe": "default", "cache": "cache", "notes": [],
           "seconds": {"total": 120.0, "bases": 60.0, "folds": 60.0}, "load": [1.0, 1.0, 1.0],
           "results": [signer("s12", 0.5, 0.95, 0.4, 1.0, {}), signer("s03", 0.6, 0.8, 0.5, 2.0,
                                                                          {"hello": {"thanks": 2}}),
                       signer("s04", 1.0, 1.0, 0.6, 4.0, {})]}
    text = format_fewshot(res)
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines()
            if line.split() and line.split()[0] in ("s12", "s03", "s04", "mean")}
    #              base     K=3            tut3           s K=3
    assert rows == {"s12": ["50.0%", "95.0%", "|", "40.0%", "|", "1.0"],
                    "s03": ["60.0%", "80.0%", "|", "50.0%", "|", "2.0"],
                    "s04": ["100.0%", "100.0%", "|", "60.0%", "|", "4.0"],
                    "mean": ["70.0%", "91.7%", "|", "50.0%", "|", "2.0", "(seconds:", "median)"]}, text
    assert "K=3: mean 91.7%, 2/3 signers >= 95%, below: s03 80.0% (errors hello->thanks x2)\n" in text, text


def test_the_k_timed_by_default_is_one_the_run_measures():
    """The library's default timing (``time_k="auto"``), which the command uses: K = 5 when measured, else the
    largest K measured, never a K the run leaves out."""
    from .fewshot import timed_k

    assert (timed_k([1, 3]), timed_k([1, 3, 5, 10]), timed_k([10])) == (3, 5, 10)


def test_a_cache_that_cannot_hold_the_fold_results_is_refused_before_anyone_is_adapted(two_small_people, tmp_path):
    """``judge fewshot --shipped --cache`` naming a file: one line naming it and why, before a person is adapted."""
    import pytest

    from ..errors import BadInput
    from ..models.bundle import DEFAULT_MODEL
    from .fewshot import few_shot_cv

    (tmp_path / "cache").write_text("not a folder")
    with pytest.raises(BadInput, match=r"cache/fewshot/folds/\w+: cannot be made: .*cache is not a folder"):
        few_shot_cv(two_small_people, shots=(1,), workers=1, cache=tmp_path / "cache", base=DEFAULT_MODEL, tutorial=False,
                    time_k=None, log=lambda *a: None)


@pytest.mark.timeout(3600)  # two processes training at once on a busy machine
def test_two_commands_adapting_one_person_at_once_adapt_them_once(two_small_people, tmp_path):
    """Two processes (two ``judge fewshot`` on one cache) adapt one base (trained without alice, one epoch) to alice
    together: one adapts and scores her, the other waits and takes that fold's result ("trained by another command
    meanwhile") instead of adapting her a second time; both report the same figures."""
    from ..conftest import made_once_by_two
    from .folds import fold_bases

    base = fold_bases(two_small_people, ["alice"], epochs=1, workers=1, cache=tmp_path / "bases",
                      log=lambda m: None)["alice"]
    script = ("from signlstm.judging.fewshot import few_shot_cv\n"
              f"res = few_shot_cv([{str(two_small_people[0])!r}], shots=[1], base={str(base)!r}, workers=1,\n"
              f"                  cache={str(tmp_path / 'cache')!r}, tutorial=False, time_k=None,\n"
              "                  log=lambda m: print(m, flush=True))\n"
              "print(res['results'][0]['k'][1])\n")
    said = made_once_by_two(script, "adapting 1 signer(s) x K=[1]", timeout=1200)
    assert "'test': 6" in said[-1], said  # alice's 9 recordings, 3 a sign: one shot of each, the other 6 tested
