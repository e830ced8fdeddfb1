"""Cross-validation bookkeeping: the consistent cells, held-out negatives, the training set, scores, collapse."""
import contextlib

import numpy as np
import pytest

from . import cells as cells_file
from . import crossval, crossval_report
from ..datasets import load
from ..datasets.training_sets import training_set
from ..sign_names import NONE
from ..errors import BadInput
from ..recognizer import decide


@pytest.fixture(scope="module")
def cells():
    from ..conftest import shared_path

    return cells_file.load_cells(shared_path("data", "signers", "cells.json"))


@contextlib.contextmanager
def _as_worker(**state):
    """This process holds ``state`` as a fold worker's inside the block, and what it held before after it: a worker
    initialised earlier in this process (an in-process ``judge cv`` run) keeps its data, which the pool does not
    load again (``parallel``)."""
    saved = dict(crossval._STATE)
    crossval._STATE.clear()
    crossval._STATE.update(state)
    try:
        yield
    finally:
        crossval._STATE.clear()
        crossval._STATE.update(saved)


def test_consistent_cells_are_read_from_the_data(cells, shared, tmp_path):
    assert cells_file.find([shared("data", "signers")]) == shared("data", "signers", "cells.json")
    assert cells_file.find([shared("data", "signers", "s02.npz")]) == shared("data", "signers", "cells.json")
    assert not cells.is_consistent("renotte", "hello") and not cells.is_consistent("s16", "thanks")
    assert cells.is_consistent("s09", "thanks") and cells.is_consistent("s06", "hello")
    assert not cells_file.load_cells(None)
    assert cells.missing_note(["s02", "renotte", "paul"]) == (
        f"note: {cells.source} names no cell of renotte, paul: their signs count in the all-cells figures only, not "
        "in the consistent-gesture ones")
    assert cells.missing_note(["s02", "s06"]) is None and cells_file.load_cells(None).missing_note(["paul"]) is None
    many = cells.missing_note(["bad\x1b[31mred"] + [f"p{i}" for i in range(30)])  # short, nothing to the terminal
    assert "of bad\\x1b[31mred, p0, p1, " in many and "p8 and 21 more:" in many and "\x1b" not in many, many
    (tmp_path / "cells.json").write_text("[1, 2]")
    with pytest.raises(BadInput, match="not a cells file"):
        cells_file.load_cells(tmp_path / "cells.json")
    (tmp_path / "cells.json").write_text("[" * 100_000 + "]" * 100_000)  # too deep for json (RecursionError)
    with pytest.raises(BadInput, match=r"not a cells file \(its JSON nests too deeply\)"):
        cells_file.load_cells(tmp_path / "cells.json")
    with open(tmp_path / "cells.json", "wb") as f:  # sparse: claims 65 MB, nothing read
        f.truncate(65 << 20)
    with pytest.raises(BadInput, match=r"68.2 MB; a cells file is at most 67.1 MB"):
        cells_file.load_cells(tmp_path / "cells.json")


def test_held_out_negatives_keep_a_person_together():
    out = crossval.held_out_negatives(["s02", "s05", "s23"], ["o01", "o02", "s23"])
    assert out["s23"] == ["s23"]  # other_signs/s23 is the same person as signers/s23
    held = [g for v in out.values() for g in v]
    assert {"o01", "o02"} <= set(held)


def test_summary_scores_and_collapse(cells):
    true = ["hello"] * 10 + ["thanks"] * 10 + ["iloveyou"] * 10
    good = {"arch": "default", "seed": 0, "signer": "s09", "true": true, "pred": true, "seconds": 1.0,
            "epochs_run": 3, "train_sequences": 5, "parameters": 10}
    bad = {**good, "signer": "s06", "pred": ["hello"] * 30}
    # s08: 9 of 10 hello rightly, then 'none' for the rest: 27 of 30 'hello' would be collapse, 26 is not
    weak = {**good, "signer": "s08", "pred": ["hello"] * 9 + ["thanks"] + ["none"] * 20}
    edge = {**good, "signer": "s03", "pred": ["hello"] * 27 + ["none"] * 3}
    under = {**good, "signer": "s03", "seed": 1, "pred": ["hello"] * 26 + ["none"] * 4}
    s = crossval.summarize([good, bad, weak, edge, under], cells)["default"]
    assert s["table"]["s09"]["consistent"] == 1.0
    assert s["table"]["s06"]["consistent"] == 1.0  # only s06 hello is a consistent cell
    assert s["table"]["s06"]["all"] == 10 / 30
    assert s["consistent"]["min_signer"] == ("s08", 9 / 30)
    assert s["collapsed"] == [("s06", 0), ("s03", 0)]
    text = crossval_report.format_crossval({"default": s}, ["header"])
    assert "consistent-gesture score" in text and "s06" in text
    none = crossval.summarize([good, bad], cells_file.load_cells(None))["default"]  # no cells.json beside the data
    assert "consistent-gesture score: - (no consistent-gesture cells" in crossval_report.format_crossval(
        {"default": none}, ["header"])


def test_training_set_labels_negatives_none_and_holds_people_out(shared):
    data = load([shared("data", "signers", "s09.npz"), shared("data", "signers", "s23.npz")])
    negatives = [shared("data", "other_signs", "o02.npz"), shared("data", "other_signs", "s23.npz")]
    both = training_set(data, negatives=negatives, synthetic=0.1, held_out=["s23"])
    s09 = (data.groups == "s09").sum()
    neg = both.labels == NONE
    assert both.actions[-1] == NONE and neg.sum() == 20 + round(0.1 * s09)
    assert set(both.groups[neg]) == {"o02", "s09"} and "s23" not in set(both.groups)  # s23 out on both sides
    assert not np.any(both.X[neg & (both.groups == "s09")][..., 1536:] != 0)  # no-hand windows
    assert len(both) == s09 + neg.sum()
    assert training_set(data).actions == data.actions  # no negatives: the signs only


def test_rejecting_everything_is_not_collapse_but_is_counted(cells):
    assert not crossval.collapsed(["none"] * 28 + ["hello"] * 2)
    assert crossval.collapsed(["thanks"] * 28 + ["hello"] * 2)
    r = {"arch": "default", "seed": 0, "signer": "renotte", "true": ["hello"] * 4, "pred": ["none"] * 4,
         "seconds": 1.0, "epochs_run": 1, "train_sequences": 1, "parameters": 1}
    s = crossval.summarize([r], cells)["default"]
    assert s["collapsed"] == [] and s["real_signs_rejected"] == 1.0


def test_prior_tradeoff_moves_windows_between_none_and_the_best_sign(cells):
    labels = ["hello", "thanks", "iloveyou", NONE]
    # a hello that is a close call with none, and an other sign that is a close call with thanks
    r = {"arch": "default", "seed": 0, "signer": "s09", "true": ["hello"], "labels": labels,
         "probs": [[0.40, 0.05, 0.05, 0.50]], "pred": ["none"], "neg_groups": ["o01"], "neg_pred": ["none"],
         "neg_probs": [[0.05, 0.15, 0.05, 0.75]], "no_hand_none": 1.0, "reject_bias": 1.0, "seconds": 1.0,
         "epochs_run": 1, "train_sequences": 1, "parameters": 1}
    assert list(decide(labels, r["probs"], 0.5)) == ["hello"]
    rows = {t["reject_bias"]: t for t in crossval.summarize([r], cells)["default"]["prior_tradeoff"]}
    assert rows[1.0]["consistent"] == 0.0 and rows[1.0]["other_signs_rejected"] == 1.0  # as trained
    assert rows[2.0]["consistent"] == 1.0 and rows[2.0]["other_signs_rejected"] == 1.0  # 0.75/e > 0.15
    assert rows[3.0]["other_signs_rejected"] == 0.0  # 0.75/e**2 < 0.15


def test_consistent_windows_are_scored_by_how_often_a_hand_was_seen(cells):
    r = {"arch": "default", "seed": 0, "signer": "s09", "true": ["hello"] * 4 + ["thanks"],
         "pred": ["none", "hello", "hello", "thanks", "hello"], "hands": [0.1, 0.5, 0.9, 1.0, 1.0],
         "seconds": 1.0, "epochs_run": 1, "train_sequences": 1, "parameters": 1}
    s = crossval.summarize([r], cells)["default"]
    low, mid, high = s["by_hands"]
    assert (low["windows"], low["accuracy"], low["rejected"]) == (1, 0.0, 1.0)
    assert (mid["windows"], mid["accuracy"]) == (1, 1.0)
    assert (high["windows"], high["accuracy"], high["rejected"]) == (3, 1 / 3, 0.0)
    assert "consistent cells by share of frames with a hand: 0%-30%: 1 windows" in crossval_report.format_crossval(
        {"default": s}, [])


def test_the_boundaries_of_the_hand_bands_and_of_the_target_are_counted_on_their_upper_side(cells):
    """A window whose share of frames with a hand is exactly 0, 0.3 or 0.7 is counted in the band that starts there,
    and a signer whose consistent-gesture score is exactly the target (19 of 20) is counted as at target."""
    true = ["hello"] * 10 + ["thanks"] * 10  # both consistent cells of s09
    r = {"arch": "default", "seed": 0, "signer": "s09", "true": true, "pred": ["thanks"] + true[1:],
         "hands": [0.0, 0.3, 0.7] + [1.0] * 17, "seconds": 1.0, "epochs_run": 1, "train_sequences": 1,
         "parameters": 1}
    s = crossval.summarize([r], cells)["default"]
    assert s["table"]["s09"]["consistent"] == crossval.GOOD == 0.95
    assert (s["consistent"]["signers_at_target"], s["consistent"]["signers"]) == (1, 1)
    low, mid, high = s["by_hands"]
    assert (low["windows"], low["accuracy"]) == (1, 0.0)  # the wrong answer is the hand-less window
    assert (mid["windows"], high["windows"], high["accuracy"]) == (1, 18, 1.0)


def test_a_worker_holds_the_frames_in_float16_and_a_fold_learns_the_same(shared):
    """``judge cv``'s workers hold every frame as float16 (half of float32; ``../shared``'s files are stored so): a
    fold trained on them (default recipe, 1 epoch, s05 held out) answers s05's recordings exactly as one trained on
    the same data held as float32."""
    paths = [str(shared("data", "signers", f"{s}.npz")) for s in ("s02", "s03", "s05")]
    task = ("default", 0, "s05", 1, None, [])
    with _as_worker(data=load(paths), neg=None, audit_feats=None):
        as_float32 = crossval._run_fold(task)
        crossval._init_worker(paths, [], None)
        assert crossval._STATE["data"].frames.dtype == np.float16
        held = crossval._run_fold(task)
    assert held["signer"] == "s05" and len(held["pred"]) == 90
    assert held["trained_on"] == as_float32["trained_on"] == ["s02", "s03"]  # never the person it judges
    assert held["pred"] == as_float32["pred"] and held["probs"] == as_float32["probs"]


def test_a_fold_is_trained_and_audited_without_its_person_and_the_negatives_held_out_with_them(shared, cells):
    """One fold of ``judge cv`` with other signs and ``--fixes audit``: the audit that fixes its labels never saw the
    held-out person (s02's hand-less recordings would be among its drops), and the model trains on neither them nor
    the other-sign person tested with them. Its summary's "other signs rejected" is the share of the held-out other
    signs answered ``none``, and its hand-share bands hold every consistent window, those with no hand (a share of
    exactly 0) in the lowest."""
    from signlstm.judging.folds import FOLD_AUDIT_SPLITS, fold_fixes

    people = ["s02", "s03", "s05", "s06", "s08", "s09", "s11"][:FOLD_AUDIT_SPLITS + 2]
    data = load([str(shared("data", "signers", f"{s}.npz")) for s in people])
    fixes = fold_fixes(data, "s02")
    assert fixes and not [r for r in fixes if "s02.npz" in r["source"]]
    assert {r["source"].rsplit("/", 1)[-1].split("#")[0] for r in fixes} <= {f"{s}.npz" for s in people[1:]}
    neg = load([str(shared("data", "other_signs", f"{o}.npz")) for o in ("o04", "o06")])
    with _as_worker(data=data, neg=neg, audit_feats=None):
        res = crossval._run_fold(("default", 0, "s02", 1, fixes, ["o04"]))
    assert res["trained_on"] == sorted(people[1:] + ["o06"]) and res["neg_groups"] == ["o04"] * len(res["neg_groups"])
    # the fold trains on its fixed labels: the audit's drops are not among its sequences
    from signlstm.datasets.training_sets import training_set

    fixed = len(training_set(data, fixes=fixes, negatives=neg, held_out=["s02", "o04"], seed=0))
    assert res["train_sequences"] == fixed < len(training_set(data, negatives=neg, held_out=["s02", "o04"], seed=0))
    s = crossval.summarize([res], cells)["default"]
    rejected = float(np.mean([p == NONE for p in res["neg_pred"]]))
    assert s["rejection"]["other_signs"] == s["rejection"]["per_person"]["o04"] == rejected
    hands = np.asarray(res["hands"])
    assert np.sum(hands == 0) >= 3  # s02's hand-less recordings
    assert [b["windows"] for b in s["by_hands"]] == [np.sum(hands < 0.3), np.sum((hands >= 0.3) & (hands < 0.7)),
                                                     np.sum(hands >= 0.7)]
    assert sum(b["windows"] for b in s["by_hands"]) == len(res["true"]) == 90  # all of s02's cells are consistent


def test_fold_results_are_cached_and_a_rerun_trains_nothing(shared, tmp_path):
    """``judge cv --cache``: each fold's result is kept under a hash of the data and options; a rerun reuses them all
    (the same results, no file written again) and one more seed trains only its own folds."""
    paths = [str(shared("data", "signers", f"{s}.npz")) for s in ("s03", "s05")]
    kw = dict(epochs=1, workers=1, cache=tmp_path, progress=False)
    first, _, header = crossval.cross_validate(paths, **kw)
    assert not any("reused" in h for h in header) and {r["signer"] for r in first} == {"s03", "s05"}
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.json")}
    assert len(stamps) == 2
    again, _, header = crossval.cross_validate(paths, **kw)
    assert "2 of 2 fold result(s) reused" in header[-1] and again == first
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*.json")} == stamps
    more, _, header = crossval.cross_validate(paths, seeds=(0, 1), **kw)
    assert "2 of 4 fold result(s) reused" in header[-1] and len(list(tmp_path.rglob("*.json"))) == 4
    assert [r for r in more if r["seed"] == 0] == first
    # the same bytes under another name (a person, or a tree's sign folder, renamed) are other data
    import shutil

    shutil.copyfile(paths[1], tmp_path / "s06.npz")
    folder = crossval.fold_results_folder(tmp_path, paths, None, None, None, None, False)
    assert crossval.fold_results_folder(tmp_path, [paths[0], tmp_path / "s06.npz"], None, None, None, None,
                                        False) != folder and folder == next(tmp_path.rglob("*.json")).parent


def test_a_sign_only_the_held_out_person_recorded_is_not_scored_but_named(shared, tmp_path):
    """s05's iloveyou renamed "wave": no one else recorded wave, and now no one else iloveyou (s03's), so neither
    fold's training set holds the held-out person's third sign: those 30 recordings of each are left out of their
    figures and named in the report, where they had counted as 30 errors."""
    z = np.load(shared("data", "signers", "s05.npz"))
    np.savez(tmp_path / "s05.npz", X=z["X"], y=z["y"], seq=z["seq"], actions=np.array(["hello", "thanks", "wave"]))
    paths = [str(shared("data", "signers", "s03.npz")), str(tmp_path / "s05.npz")]
    results, archs, header = crossval.cross_validate(paths, epochs=1, workers=1, progress=False)
    s = crossval.summarize(results, cells_file.load_cells(None), archs)["default"]
    assert s["unlearnable"] == {"s03": {"iloveyou": 30}, "s05": {"wave": 30}} and "wave" not in s["table"]["s05"]
    fold = next(r for r in results if r["signer"] == "s05")
    known = [t == p for t, p in zip(fold["true"], fold["pred"]) if t != "wave"]
    assert len(fold["true"]) == 90 and s["table"]["s05"]["all"] == pytest.approx(np.mean(known))
    text = crossval_report.format_crossval({"default": s}, header)
    assert "not scored, held-out signs no one else recorded (no fold learns them): s03 iloveyou (30); s05 wave (30)" \
        in text


def test_the_data_every_worker_would_hold_is_checked_before_any_fold_and_the_people_read_a_chunk_at_a_time(
        shared, monkeypatch, capsys, tmp_path):
    """``judge cv`` lists the people without holding the data (a chunk at a time) and refuses, in one line before
    any fold, data that its worker processes could not each hold as float16 within the memory budget: the keypoint
    parts the recipes read (the default's pose and hands: two people's 180 recordings are 2.8 MB a worker, so 4 MB
    holds one worker's and not the two that two folds start), whole frames for the tutorial's (17.9 MB, not even
    one). A label that spells none in another case is found before any worker starts, as loading finds it."""
    from ..cli import main
    from ..sign_names import rejection_problem

    people = [str(shared("data", "signers", f"{p}.npz")) for p in ("s03", "s05")]
    monkeypatch.setenv("SIGNLSTM_MEMORY_LIMIT", "4M")
    assert crossval._people(people, None, None, False) == (["s03", "s05"], 30, 180)
    # two folds: at most two workers start, whatever --workers says
    for arch, workers, said in (("default", "4", "30 x 258 values, which each of the 2 worker process(es) would hold "
                                                 "as float16: 2.8 MB each, 5.6 MB in all"),
                                ("tutorial", "1", "30 x 1662 values, which each of the 1 worker process(es) would "
                                                  "hold as float16: 17.9 MB each, 17.9 MB in all")):
        assert main(["judge", "cv", "--data", *people, "--epochs", "1", "--workers", workers, "--arch", arch]) == 2
        err = capsys.readouterr().err
        assert err == (f"signlstm judge cv: error: {', '.join(people)}: declares 180 sequences of {said}, more than "
                       "the 4.0 MB this command may hold (SIGNLSTM_MEMORY_LIMIT); give fewer --workers\n"), err
    monkeypatch.delenv("SIGNLSTM_MEMORY_LIMIT")
    z = np.load(people[0])
    np.savez(tmp_path / "s03.npz", X=z["X"], y=z["y"], seq=z["seq"], actions=np.array(["hello", "thanks", "None"]))
    assert main(["judge", "cv", "--data", str(tmp_path / "s03.npz"), people[1], "--epochs", "1"]) == 2
    assert capsys.readouterr().err == (f"signlstm judge cv: error: {tmp_path / 's03.npz'}: action 'None' "
                                       f"{rejection_problem('None')}\n")


def test_a_local_ray_instances_workers_are_counted_as_this_machines_like_worker_processes(shared, monkeypatch, capsys):
    """``--ray local`` runs the folds in Ray workers on this machine, one per --workers core, each holding the data
    as a worker process does: two people's 2.8 MB a worker do not fit 4 MB twice, refused in one line before Ray
    starts, as without Ray."""
    from ..cli import main

    people = [str(shared("data", "signers", f"{p}.npz")) for p in ("s03", "s05")]
    monkeypatch.setenv("SIGNLSTM_MEMORY_LIMIT", "4M")
    assert main(["judge", "cv", "--data", *people, "--epochs", "1", "--workers", "2", "--ray", "local"]) == 2
    err = capsys.readouterr().err
    assert err == (f"signlstm judge cv: error: {', '.join(people)}: declares 180 sequences of 30 x 258 values, which "
                   "each of the 2 worker process(es) would hold as float16: 2.8 MB each, 5.6 MB in all, more than "
                   "the 4.0 MB this command may hold (SIGNLSTM_MEMORY_LIMIT); give fewer --workers\n"), err


def test_the_crossval_table_shows_each_signers_row_the_means_and_the_pooled_scores_in_their_columns(cells):
    """``judge cv``'s table (``crossval_report.format_crossval``) on folds scored against the DEV signers'
    ``cells.json``: every held-out signer has a row whose label, all-cells and consistent-gesture columns hold that
    signer's figures (s06's all cells and its one consistent cell differ; renotte, whom the file names no cell of,
    shows ``-`` there), the mean row averages each column over the signers that have it, and the score lines give the
    pooled figures and the signers at target out of those with consistent cells (worked out by hand)."""
    true = ["hello"] * 10 + ["thanks"] * 10 + ["iloveyou"] * 10
    good = {"arch": "default", "seed": 0, "signer": "s09", "true": true, "pred": true, "seconds": 1.0,
            "epochs_run": 3, "train_sequences": 5, "parameters": 10}
    results = [good, {**good, "signer": "s06", "pred": ["hello"] * 30},
               {**good, "signer": "s08", "pred": ["hello"] * 9 + ["thanks"] + ["none"] * 20},
               {**good, "signer": "renotte", "true": ["hello"] * 4 + ["thanks"] * 4,
                "pred": ["hello"] * 4 + ["none"] * 4}]
    text = crossval_report.format_crossval(crossval.summarize(results, cells), ["header"])
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines()
            if line.split() and line.split()[0] in ("renotte", "s06", "s08", "s09", "mean")}
    #          hello     thanks    iloveyou  all       cons
    assert rows == {"renotte": ["100.0%", "0.0%", "-", "50.0%", "-"],
                    "s06": ["100.0%", "0.0%", "0.0%", "33.3%", "100.0%"],
                    "s08": ["90.0%", "0.0%", "0.0%", "30.0%", "30.0%"],
                    "s09": ["100.0%", "100.0%", "100.0%", "100.0%", "100.0%"],
                    "mean": ["97.5%", "25.0%", "33.3%", "53.3%", "76.7%"]}, text
    # consistent cells: s06 10/10, s08 9/30, s09 30/30 = 49/70; all cells 53 of 98 recordings
    assert ("consistent-gesture score: pooled 70.0%, mean per signer 76.7%, lowest signer s08 30.0%, "
            "2/3 signers >= 95%") in text, text
    assert "raw score (all cells, labels as recorded): pooled 54.1%, mean per signer 53.3%" in text, text


@pytest.mark.parametrize("include", ['{"s02": "hello"}', '["s02", "s05"]', '{"s02": null}', '{"s02": [0, 1, 2]}'])
def test_a_cells_file_whose_include_is_not_signers_to_lists_of_labels_is_refused_naming_it(tmp_path, include):
    """A hand-edited ``cells.json`` whose ``include`` gives a person's labels as one string (read as its letters, no
    cell of theirs would be consistent), lists signers without labels, gives no list, or gives labels by their
    numbers (a packed file's ``y``, which match no label), is one line naming the file and what ``include`` must be,
    not a silently wrong consistent-gesture score or a traceback."""
    (tmp_path / "cells.json").write_text('{"include": ' + include + "}")
    with pytest.raises(BadInput, match=r"cells.json: not a cells file \('include' must map signer ids to lists of "
                                       r"labels\)"):
        cells_file.load_cells(tmp_path / "cells.json")


def test_a_cache_that_cannot_hold_the_fold_results_is_refused_before_any_fold_is_trained(two_small_people, tmp_path):
    """``judge cv --cache`` naming a file: one line naming it and why, before a fold is trained."""
    (tmp_path / "cache").write_text("not a folder")
    with pytest.raises(BadInput, match=r"cache/cv/\w+: cannot be made: .*cache is not a folder"):
        crossval.cross_validate(two_small_people, epochs=1, workers=1, cache=tmp_path / "cache", progress=False)


@pytest.mark.timeout(3600)  # two processes training at once on a busy machine
def test_two_commands_running_the_same_folds_at_once_train_each_fold_once(two_small_people, tmp_path):
    """Two processes (two ``judge cv`` on one cache) run the same two folds together: each fold is trained by one of
    them while the other waits for it and takes its result ("trained by another command meanwhile"), instead of both
    training every fold; both find no result cached when they start and end with the same figures."""
    import json
    import subprocess
    import sys

    script = ("import json\n"
              "from signlstm.judging.crossval import cross_validate\n"
              f"results, _, header = cross_validate({list(map(str, two_small_people))!r}, epochs=1, workers=1,\n"
              f"                                    progress=False, cache={str(tmp_path / 'cache')!r})\n"
              "print(json.dumps({'header': header, 'pred': sorted((r['signer'], r['pred']) for r in results)}))\n")
    runs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    outs = [p.communicate(timeout=1800) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], outs
    said = [json.loads(out.splitlines()[-1]) for out, _ in outs]
    assert not any("reused" in h for s in said for h in s["header"]), said  # both found every fold missing
    taken = [int(h.split(" of 2 fold result(s) trained by another command")[0])
             for s in said for h in s["header"] if "by another command meanwhile" in h]
    assert sum(taken) == 2, said  # each of the two folds trained once, by one of the two
    assert said[0]["pred"] == said[1]["pred"] and len(list((tmp_path / "cache").rglob("*.json"))) == 2
