"""Stream benchmark: each person's streams on the bases that never saw them, under every rule, and its refusals,
notes and table."""
import json
from pathlib import Path

import numpy as np
import pytest

from signlstm import layout
from signlstm.datasets import load
from signlstm.judging import streams
from signlstm.judging.stream_scoring import MIN_HANDS, PER_LABEL, build_stream, person_seed, replay, score
from signlstm.models.bundle import DEFAULT_MODEL, SPOTTING_MODEL
from signlstm.recognizer import Recognizer, rule_settings


def test_bad_data_is_one_line_before_any_base_is_trained(shared, tmp_path, capsys):
    from signlstm.cli import main

    cases = [(shared("data", "bad_inputs", "shape99.npy"), "frame has shape (99,)"),
             (shared("data", "MP_Data_renotte"), "packed .npz files, one per person")]
    for data, message in cases:
        code = main(["judge", "streams", "--data", str(data), "--negatives", str(shared("data", "other_signs")),
                     "--cache", str(tmp_path / "cache")])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and message in err and str(data) in err, err
    code = main(["judge", "streams", "--data", str(shared("data", "signers")), "--negatives",
                 str(shared("data", "other_signs")), "--streams", "0", "--cache", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--streams must be at least 1" in err, err
    assert not (tmp_path / "cache").exists()


def test_fold_scores_every_draw_rule_and_cell_set_and_the_report_shows_them(shared):
    from signlstm.judging.cells import load_cells
    from signlstm.judging.streams_report import format_streams
    from signlstm.recognizer import RULES

    rules = [(r, rule_settings(r)) for r in RULES]
    consistent = load_cells(shared("data", "signers", "cells.json")).include["s02"]
    task = {"signer": "s02", "bases": {"default": str(DEFAULT_MODEL), "spotting": str(SPOTTING_MODEL)},
            "signs": [shared("data", "signers", "s02.npz")],
            "others": [shared("data", "other_signs", "o01.npz")], "consistent": consistent, "rules": rules,
            "seed": 0, "draws": 2}
    out = streams.fold(task)
    assert set(out["streams"]) == {(r, c) for r, _ in rules for c in streams.CELLSETS}
    assert all(len(rows) == 2 for rows in out["streams"].values())
    # each draw picks its own recordings and order; a draw's stream is the same whatever the rule
    first, second = (row["words"] for row in out["streams"][("stream", "all")])
    assert out["streams"][("stream", "all")][0]["ref"] == 12 and first != second
    signs = load([task["signs"][0]])
    draws = [build_stream(signs, None, seed=person_seed(0, "s02", d)) for d in (0, 1)]
    assert draws[0].reference != draws[1].reference
    assert person_seed(0, "s02", 0) == person_seed(0, "s02")  # draw 0: the one-stream benchmark's
    # the spot rule ran on the spotting model: draw 0 replayed so, from the frames as the fold holds them, scores
    # as the fold's row
    from signlstm.models.bundle import load_bundle

    spotting = load_bundle(SPOTTING_MODEL)
    held = {"parts": sorted(set(spotting.parts_read) | set(load_bundle(DEFAULT_MODEL).parts_read)),
            "dtype": np.float16}
    stream = build_stream(load(task["signs"], **held), load(task["others"], **held), seed=person_seed(0, "s02", 0))
    emitted = replay(lambda c: Recognizer(spotting, classify=c, **dict(rules)["spot"]), stream.frames, spotting.predict)
    assert score(stream, emitted) == out["streams"][("spot", "all")][0]
    # the window-level counts, per base, are the recordings with hands in view
    ok = layout.hand_share(signs.X) >= MIN_HANDS
    assert set(out["windows"]) == {"default", "spotting"}
    for counts in out["windows"].values():
        assert counts["all"][1] == int(ok.sum())
        assert counts["consistent"][1] == int((ok & np.isin(signs.labels, list(consistent))).sum())
        assert counts["others"][1] == 20
    # ... and of them, those each base answers none (its own window as recorded)
    from signlstm.models.bundle import load_bundle
    from signlstm.recognizer import decide

    others = load(task["others"])
    for recipe, counts in out["windows"].items():
        b = load_bundle(task["bases"][recipe])
        said = decide(b.labels, b.predict(signs.X))
        assert counts["all"][0] == int((ok & (said == b.reject_label)).sum())
        assert counts["others"][0] == int((decide(b.labels, b.predict(others.X)) == b.reject_label).sum())
        if recipe == "default":  # the recognised cells: only the consistent recordings this base names rightly
            right = ok & (said == signs.labels)
            assert right.sum() < ok.sum()
            assert [row["ref"] for row in out["streams"][("stream", "recognised")]] == 2 * [
                sum(min(PER_LABEL, int((right & (signs.labels == a)).sum())) for a in consistent)]

    res = streams.summarise([out], rules)
    res.update(rules=rules, seconds=0.0, people=1, draws=2, recipes={"tutorial": "default", "stream": "default",
                                                                     "spot": "spotting"})
    pooled = res["streams"]["stream|consistent"]["pooled"]
    assert pooled["ref"] == sum(r["ref"] for r in out["streams"][("stream", "consistent")])
    text = format_streams(res)
    assert "2 streams per person" in text and "recognised" in text and "\ns02 " in text
    assert text.count("consistent ") >= 2 and all(f"targets (rule {r}, consistent cells)" in text for r, _ in rules)
    assert "spotting bases (rules spot)" in text and "default bases (rules tutorial, stream)" in text


def test_shipped_models_judge_only_people_they_never_saw(shared, tmp_path, capsys):
    """``--shipped``: a person outside ../shared (rohan937's three real clips, keypoints from the repository's demo
    file) with another outsider's sign (slp's SOUP, extracted here) is judged by the shipped models; DEV people,
    whom those models were trained on, are refused in one line."""
    from signlstm.cli import main

    people, others = tmp_path / "people", tmp_path / "others"
    people.mkdir()
    others.mkdir()
    clips = np.load(Path(__file__).resolve().parents[3] / "demo" / "rohan937_hello_thanks_iloveyou.npy")
    X = np.stack([clips[0:30], clips[46:76], clips[86:116]])  # hello, thank you, I love you: 46, 40, 47 frames
    np.savez_compressed(people / "rohan937.npz", X=X.astype(np.float16), y=np.arange(3, dtype=np.int8),
                        seq=np.arange(3, dtype=np.int16))
    assert main(["extract", "--videos", str(shared("media", "asl_soup_slp.mp4")), "--keypoints",
                 str(tmp_path / "soup.npy"), "--workers", "1"]) == 0
    soup = np.load(tmp_path / "soup.npy")[None, :30]
    np.savez_compressed(others / "slp.npz", X=soup.astype(np.float16), y=np.zeros(1, np.int8),
                        seq=np.zeros(1, np.int16), actions=np.array(["soup"]))
    capsys.readouterr()
    assert main(["judge", "streams", "--data", str(people), "--others", str(others), "--shipped", "--json",
                 "--workers", "1", "--cache", str(tmp_path / "cache")]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["shipped"] and res["people"] == 1 and not (tmp_path / "cache").exists()  # nothing trained
    assert res["bases"] == {"default": str(DEFAULT_MODEL), "spotting": str(SPOTTING_MODEL)}
    tutorial = res["streams"]["tutorial|all"]["pooled"]
    assert tutorial["ref"] == 9 and tutorial["other_segments"] == 3  # 3 streams of 3 signs and the soup
    assert tutorial["wer"] <= 1 / 3  # the tutorial rule names at least two of the three (as `live` does)
    assert res["windows"]["default"]["others"] == {"rejected": 1, "n": 1, "share": 1.0}  # soup is none
    assert res["streams"]["stream|consistent"]["pooled"]["ref"] == 0  # no cells.json: all cells only
    # a rule's settings as live takes them: applied to the rules that read them, the others said to be unread
    assert main(["judge", "streams", "--data", str(people), "--others", str(others), "--shipped", "--json",
                 "--rules", "stream", "--threshold", "0.9999", "--rest", "3", "--onset", "0.5"]) == 0
    said = capsys.readouterr()
    strict = json.loads(said.out)
    assert "note: no rule compared (stream) reads --onset" in said.err
    assert strict["rules"] == [["stream", {**rule_settings("stream"), "threshold": 0.9999, "rest": 3}]]
    assert strict["streams"]["stream|all"]["pooled"]["wer"] > res["streams"]["stream|all"]["pooled"]["wer"]

    code = main(["judge", "streams", "--data", str(shared("data", "signers", "s08.npz")), "--others",
                 str(shared("data", "other_signs", "o07.npz")), "--shipped", "--cache", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "was trained on o07, s08" in err, err


def test_a_cached_base_that_saw_the_person_judged_is_refused(shared, capsys, monkeypatch, tmp_path):
    """A base found in the cache (e.g. kept from code that chose the training people otherwise) is read back for
    whom it was trained on before it judges anyone: one that saw the person judged, or the other-sign person of its
    stream, is refused. (The cached base is stood in for by a copy of the shipped model, trained on s08 and o07, put
    where fold_bases trains each base.)"""
    import shutil

    from signlstm.cli import main
    from signlstm.judging import folds

    monkeypatch.setattr(folds, "_train", lambda job: shutil.copytree(DEFAULT_MODEL, job["out"]) and
                        {"held_out": job["held_out"], "seconds": 0})
    code = main(["judge", "streams", "--data", *(str(shared("data", "signers", f"{s}.npz")) for s in ("s08", "s13")),
                 "--others", str(shared("data", "other_signs", "o07.npz")), "--negatives",
                 str(shared("data", "other_signs")), "--rules", "stream", "--workers", "1",
                 "--cache", str(tmp_path / "cache")])
    err = capsys.readouterr().err  # the bases' training said, then the refusal in one line
    last = err.strip().splitlines()[-1]
    assert code == 2 and last.startswith("signlstm judge streams: error: a cached base: ") and "Traceback" not in err
    assert "was trained on o07, s08" in last, err


def test_one_person_without_ready_models_is_refused_in_one_line(shared, capsys, tmp_path):
    """A base is trained without each person: with one person in --data there is no one to train it on, which is
    said in one line (exit 2) before anything is trained, instead of training on nothing."""
    from signlstm.cli import main

    code = main(["judge", "streams", "--data", str(shared("data", "signers", "s02.npz")), "--others",
                 str(shared("data", "other_signs", "o01.npz")), "--rules", "stream", "--streams", "1",
                 "--workers", "1", "--cache", str(tmp_path / "cache")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "needs at least 2 people in --data, it has 1" in err, err
    assert not (tmp_path / "cache").exists()


def test_adapted_bases_are_judged_on_the_recordings_they_were_not_adapted_to(small_base, shared, capsys):
    """``adapt``: each base first adapted to K recordings per sign of the person (as ``signlstm adapt --shots K``);
    the streams and the window figures hold only the person's other recordings. s12 is not among the small base's
    signers, and makes thanks and iloveyou unlike most people (VARIANTS.md): adapting to it is what helps."""
    from signlstm.models.adapt import choose_shots
    from signlstm.cli import main

    rules = [("stream", rule_settings("stream"))]
    task = {"signer": "s12", "bases": {"default": str(small_base.path)},
            "signs": [shared("data", "signers", "s12.npz")],
            "others": [shared("data", "other_signs", "o04.npz")], "consistent": ["hello", "thanks", "iloveyou"],
            "rules": rules, "seed": 0, "draws": 1}
    signs = load([task["signs"][0]])
    rest = np.setdiff1d(np.arange(len(signs)), choose_shots(signs, 5, 0))
    ok = layout.hand_share(signs.X) >= MIN_HANDS
    plain, adapted = streams.fold(task), streams.fold({**task, "adapt": 5})
    assert plain["windows"]["default"]["all"][1] == int(ok.sum())
    assert adapted["windows"]["default"]["all"][1] == int(ok[rest].sum()) < int(ok.sum())
    assert adapted["streams"][("stream", "all")][0]["ref"] == 12  # 4 per sign from the other 75
    # adapted to the person, the stream rule loses fewer of their words (measured: 8 of 12 wrong before, 3 after)
    errors = {k: f["streams"][("stream", "all")][0]["errors"] for k, f in (("plain", plain), ("adapted", adapted))}
    assert errors["adapted"] < errors["plain"], errors
    code = main(["judge", "streams", "--data", str(shared("data", "signers")), "--negatives",
                 str(shared("data", "other_signs")), "--adapt", "0"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--adapt must be at least 1" in err, err


def _person(path, X, names, labels):
    """A packed person file of recordings ``X`` labelled ``labels`` (each one of ``names``, the file's actions)."""
    np.savez_compressed(path, X=X.astype(np.float16), y=np.array([names.index(a) for a in labels], np.int16),
                        seq=np.arange(len(labels), dtype=np.int16), actions=np.array(names))
    return path


def _with_hands(data, label, n, skip=0):
    """``n`` of ``data``'s recordings of ``label`` with a hand in most frames (streams use only those)."""
    idx = np.flatnonzero((data.labels == label) & (layout.hand_share(data.X) >= 0.6))
    return idx[skip:skip + n]


def test_labels_are_matched_to_the_models_and_none_unknown_signs_and_its_own_signs_among_others_left_out(
        shared, tmp_path, capsys):
    """--shipped on a person whose labels are spelled Hello / thank you / ILoveYou, with a sign the model does not
    know (please) and recordings labelled none, and other signs that hold the model's hello and thank you under
    another person's spelling: the labels are the model's, please and none are left out of the streams (as words
    of the reference, 'none', 'please' and 'Hello' could never be matched), the other person's hello
    and thank you are not 'other signs' (as training leaves them out), each said in a note. (A renamed copy of s03's
    recordings stands in for a new person: the figures check the plumbing, not a measurement.)"""
    from signlstm.cli import main

    s03, o01 = load([shared("data", "signers", "s03.npz")]), load([shared("data", "other_signs", "o01.npz")])
    pick = {a: _with_hands(s03, a, 4) for a in ("hello", "thanks", "iloveyou")}
    none = _with_hands(s03, "hello", 2, skip=4)
    X = np.concatenate([s03.X[pick["hello"]], s03.X[pick["thanks"]], s03.X[pick["iloveyou"]], o01.X[:4], s03.X[none]])
    names = ["Hello", "ILoveYou", "none", "please", "thank you"]
    people, others = tmp_path / "people", tmp_path / "others"
    people.mkdir(), others.mkdir()
    _person(people / "newcomer.npz", X, names,
            ["Hello"] * 4 + ["thank you"] * 4 + ["ILoveYou"] * 4 + ["please"] * 4 + ["none"] * 2)
    o06 = load([shared("data", "vocab", "o06.npz")])
    idx = np.concatenate([np.flatnonzero(o06.labels == a)[:3] for a in ("bye", "hello", "thank you")])
    _person(others / "stranger.npz", o06.X[idx], ["bye", "hello", "thank you"], o06.labels[idx].tolist())
    capsys.readouterr()
    assert main(["judge", "streams", "--data", str(people), "--others", str(others), "--shipped", "--json",
                 "--rules", "stream", "--streams", "1", "--workers", "1"]) == 0
    res = json.loads(capsys.readouterr().out)
    pooled = res["streams"]["stream|all"]["pooled"]
    assert pooled["ref"] == 12 and pooled["wer"] <= 0.25 and pooled["other_segments"] == 3, pooled
    assert res["windows"]["default"]["others"]["n"] == 3  # bye only
    notes = "\n".join(res["notes"])
    assert "left out 2 recording(s) labelled 'none'" in notes, notes
    assert "not scored, the data's action(s) the model does not know: please (4)" in notes, notes
    assert "left out 6 other-sign recording(s) that are the models' signs" in notes, notes
    assert "hello (3), thank you (3)" in notes, notes
    # nothing left to score: one line, exit 2
    _person(people / "newcomer.npz", o01.X[:4], ["please"], ["please"] * 4)
    assert main(["judge", "streams", "--data", str(people), "--others", str(others), "--shipped"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nothing to score" in err and "please" in err, err


def test_adapt_with_too_few_recordings_for_k_shots_is_said_and_the_others_measured(shared, tmp_path, capsys):
    """--adapt 3 on a person with 3 recordings per sign leaves nothing for the streams: one line, exit 2, no table;
    beside a person with more, a note and the other
    measured."""
    from signlstm.cli import main

    s03 = load([shared("data", "signers", "s03.npz")])
    names = ["hello", "thanks", "iloveyou"]
    people, others = tmp_path / "people", tmp_path / "others"
    people.mkdir(), others.mkdir()
    idx = np.concatenate([_with_hands(s03, a, 3) for a in names])
    _person(people / "few.npz", s03.X[idx], names, s03.labels[idx].tolist())
    o01 = load([shared("data", "other_signs", "o01.npz")])
    _person(others / "stranger.npz", o01.X[:2], ["soup"], ["soup"] * 2)
    argv = ["judge", "streams", "--data", str(people), "--others", str(others), "--shipped", "--adapt", "3",
            "--rules", "stream", "--streams", "1", "--workers", "1"]
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "few has 3 recording(s) per sign: --adapt 3 shots use them all" in err, err
    s05 = load([shared("data", "signers", "s05.npz")])  # another person: one person's recordings are one file
    idx = np.concatenate([_with_hands(s05, a, 6) for a in names])
    _person(people / "more.npz", s05.X[idx], names, s05.labels[idx].tolist())
    assert main([*argv, "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["people"] == 1 and res["streams"]["stream|all"]["pooled"]["ref"] == 9
    assert any("not measured, too few recordings: few has 3 recording(s) per sign" in n for n in res["notes"])


def test_shipped_models_count_each_other_sign_once_however_many_people_are_judged(shared, tmp_path, capsys):
    """With ``--shipped`` every person has the same models and the same other signs: the window-level rejection of
    other signs counts each recording once (two people judged: 2 of 2, not 4), with ``--adapt`` once per adapted
    model."""
    from signlstm.cli import main

    s03 = load([shared("data", "signers", "s03.npz")])
    names = ["hello", "thanks", "iloveyou"]
    people, others = tmp_path / "people", tmp_path / "others"
    people.mkdir(), others.mkdir()
    for name, skip in (("first", 0), ("second", 8)):
        idx = np.concatenate([_with_hands(s03, a, 8, skip=skip) for a in names])
        _person(people / f"{name}.npz", s03.X[idx], names, s03.labels[idx].tolist())
    o01 = load([shared("data", "other_signs", "o01.npz")])
    _person(others / "stranger.npz", o01.X[:2], ["soup"], ["soup"] * 2)
    argv = ["judge", "streams", "--data", str(people), "--others", str(others), "--shipped", "--rules", "stream",
            "--streams", "1", "--workers", "1", "--json"]
    capsys.readouterr()
    assert main(argv) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["people"] == 2 and res["windows"]["default"]["others"]["n"] == 2
    assert main([*argv, "--adapt", "3"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["people"] == 2 and res["windows"]["default"]["others"]["n"] == 4


def test_write_stream_makes_the_demo_and_leaves_recordings_of_no_sign_out_of_the_reference(shared, tmp_path, capsys):
    """``judge streams --write-stream`` with demo/README.md's command writes demo/s08_stream.npy as shipped; a person
    file whose recordings include some labelled ``none`` (no sign) gets a stream whose reference holds signs only,
    with a note."""
    from signlstm.cli import main

    demo = Path(__file__).resolve().parents[3] / "demo" / "s08_stream.npy"
    out = tmp_path / "s08_stream.npy"
    args = ["judge", "streams", "--data", str(shared("data", "signers", "s08.npz")), "--others",
            str(shared("data", "other_signs", "o07.npz")), "--per-label", "2", "--others-per-stream", "2"]
    assert main([*args, "--write-stream", str(out), "--threshold", "0.5", "--rules", "wave", "--streams", "0"]) == 0
    assert np.array_equal(np.load(out), np.load(demo))
    said = capsys.readouterr()
    assert said.out.splitlines()[-1] == \
        '367 frames; reference: ["iloveyou", "thanks", "hello", "hello", "iloveyou", "thanks"]'
    assert ("note: --write-stream writes the stream and replays nothing: --threshold, --rules, --streams not read"
            in said.err), said.err
    assert main([*args, "--write-stream", str(tmp_path / "never.npy"), "--threshold", "2"]) == 2  # as any rule's
    assert "--threshold must be within 0..1" in capsys.readouterr().err and not (tmp_path / "never.npy").exists()

    z = np.load(shared("data", "signers", "s08.npz"))
    y = z["y"].copy()
    y[y == 2] = 3  # s08's iloveyou recordings, labelled none
    np.savez(tmp_path / "s08.npz", X=z["X"], y=y, seq=z["seq"],
             actions=np.array(["hello", "thanks", "iloveyou", "none"]))
    args[3] = str(tmp_path / "s08.npz")
    assert main([*args, "--write-stream", str(tmp_path / "mixed.npy")]) == 0
    out, err = capsys.readouterr()
    reference = json.loads(out.splitlines()[-1].split("reference: ")[1])
    assert sorted(reference) == ["hello", "hello", "thanks", "thanks"]
    assert "left out 30 recording(s) labelled 'none'" in err
    for bad in (["--per-label", "-2"], ["--others-per-stream", "-1"]):  # a numpy traceback
        assert main([*args, *bad, "--write-stream", str(tmp_path / "bad.npy")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "--per-label must be at least 1" in err, err
    assert not (tmp_path / "bad.npy").exists()
    y[:] = 3  # every recording labelled none, each under a number of its own
    np.savez(tmp_path / "s08.npz", X=z["X"], y=y, seq=np.arange(len(y)), actions=np.array(["hello", "thanks",
                                                                                           "iloveyou", "none"]))
    assert main([*args, "--write-stream", str(tmp_path / "bad.npy")]) == 2  # a stream of no sign, exit 0
    assert "every recording of s08 is labelled none" in capsys.readouterr().err
    assert main([*args, "--write-stream", str(tmp_path / "stream")]) == 2  # live would not read it as keypoints
    assert "name it .npy" in capsys.readouterr().err and not (tmp_path / "stream").exists()
    # signs named in Chinese and at length: each segment's source starts at one terminal column
    np.savez(tmp_path / "s08.npz", X=z["X"], y=z["y"], seq=z["seq"], actions=np.array(["你好", "谢谢你", "a" * 30]))
    assert main([*args, "--write-stream", str(tmp_path / "zh.npy")]) == 0
    from signlstm.sign_names import columns

    rows = [r for r in capsys.readouterr().out.splitlines() if "npz#" in r]
    assert len(rows) == 8 and len({columns(r[:r.index("../") if "../" in r else r.index("/")]) for r in rows}) == 1, \
        rows


def test_write_stream_holds_the_signs_of_the_model_given(shared, tmp_path, capsys):
    """``--model`` names the model whose signs the stream holds (a person's own vocabulary needs the model adapted to
    it): o07's stream with the shipped model holds only the signs it knows (hello, and 'thank you' as thanks); with
    a model adapted to o07's hello, my and name, those three. ``--model`` without ``--write-stream`` is refused."""
    from signlstm.cli import main

    o07 = str(shared("data", "vocab", "o07.npz"))
    model = tmp_path / "o07_ncm"
    assert main(["adapt", "--data", o07, "--actions", "hello", "my", "name", "--method", "ncm", "--shots", "2",
                 "--out", str(model)]) == 0
    args = ["judge", "streams", "--data", o07, "--per-label", "1", "--others-per-stream", "0", "--write-stream"]
    capsys.readouterr()
    assert main([*args, str(tmp_path / "shipped.npy")]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith('reference: ["hello", "thanks"]')
    assert main([*args, str(tmp_path / "own.npy"), "--model", str(model)]) == 0
    assert sorted(json.loads(capsys.readouterr().out.splitlines()[-1].split("reference: ")[1])) == \
        ["hello", "my", "name"]
    assert main([*args, str(tmp_path / "never.npy"), "--model", str(tmp_path / "nothing")]) == 2
    assert "nothing: no such model file or bundle folder" in capsys.readouterr().err
    assert main(["judge", "streams", "--data", o07, "--model", str(model)]) == 2
    assert "--model is read only with --write-stream" in capsys.readouterr().err
    assert not (tmp_path / "never.npy").exists()


def test_other_signs_without_hands_are_left_out_and_targets_with_nothing_to_measure_say_so(shared, tmp_path, capsys):
    """Other-sign recordings are held to the signs' hand share: o01's recordings with the hands zeroed (as when
    MediaPipe loses them) are left out of the streams and of the window-level count, with a note (not counted
    'rejected': they would lower the words on other signs). With no other-sign recording left (--others holding the
    model's own signs only), the other-sign targets are 'not measured' and the per-person figure n/a, not MISSED and
    nan."""
    from signlstm.cli import main

    s03, o01 = load([shared("data", "signers", "s03.npz")]), load([shared("data", "other_signs", "o01.npz")])
    names = ["hello", "thanks", "iloveyou"]
    people, others = tmp_path / "people", tmp_path / "others"
    people.mkdir(), others.mkdir()
    idx = np.concatenate([_with_hands(s03, a, 6) for a in names])
    _person(people / "newcomer.npz", s03.X[idx], names, s03.labels[idx].tolist())
    shown = np.flatnonzero(layout.hand_share(o01.X) >= 0.6)[:2]
    X = np.concatenate([o01.X[shown], layout.without_hands(o01.X[:3])])
    _person(others / "stranger.npz", X, ["soup"], ["soup"] * 5)
    argv = ["judge", "streams", "--data", str(people), "--shipped", "--rules", "stream", "--streams", "1",
            "--workers", "1"]
    capsys.readouterr()
    assert main([*argv, "--others", str(others), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["windows"]["default"]["others"]["n"] == 2  # the two with hands (5 before)
    assert res["streams"]["stream|all"]["pooled"]["other_segments"] == 2
    assert any("left out 3 other-sign recording(s) with a hand in fewer than 50% of their frames" in n
               for n in res["notes"]), res["notes"]

    o06 = load([shared("data", "vocab", "o06.npz")])
    own = np.concatenate([np.flatnonzero(o06.labels == a)[:2] for a in ("hello", "thank you")])
    (others / "stranger.npz").unlink()
    _person(others / "stranger.npz", o06.X[own], ["hello", "thank you"], o06.labels[own].tolist())
    assert main([*argv, "--others", str(others)]) == 0
    out = capsys.readouterr().out
    assert "other-sign words not measured (no other-sign recordings)" in out, out
    assert "other signs rejected not measured (no other-sign recordings)" in out, out
    assert "MISSED (nan" not in out and "MISSED (n/a" not in out, out
    row = next(line for line in out.splitlines() if line.startswith("newcomer "))
    assert row.split()[-1] == "n/a" and "nan" not in row, row


def test_signs_used_up_by_adapt_shots_and_people_without_hands_are_said(shared, tmp_path, capsys):
    """--adapt 3 on a person with 2 hello recordings: hello is all shots and leaves the streams, a note names it (the
    person's figure covers thanks and iloveyou only); a person whose every recording has the hands zeroed is left out
    with a note naming them (not n/a rows without a reason), and alone is refused in one line."""
    from signlstm.cli import main

    s03 = load([shared("data", "signers", "s03.npz")])
    names = ["hello", "thanks", "iloveyou"]
    people, others, blind = tmp_path / "people", tmp_path / "others", tmp_path / "blind"
    people.mkdir(), others.mkdir(), blind.mkdir()
    idx = np.concatenate([_with_hands(s03, "hello", 2), _with_hands(s03, "thanks", 6),
                          _with_hands(s03, "iloveyou", 6)])
    _person(people / "few.npz", s03.X[idx], names, s03.labels[idx].tolist())
    idx = np.concatenate([_with_hands(s03, a, 6, skip=6) for a in names])
    _person(people / "handless.npz", layout.without_hands(s03.X[idx]), names, s03.labels[idx].tolist())
    _person(blind / "handless.npz", layout.without_hands(s03.X[idx]), names, s03.labels[idx].tolist())
    o01 = load([shared("data", "other_signs", "o01.npz")])
    _person(others / "stranger.npz", o01.X[np.flatnonzero(layout.hand_share(o01.X) >= 0.6)[:2]], ["soup"],
            ["soup"] * 2)
    argv = ["--others", str(others), "--shipped", "--rules", "stream", "--streams", "1", "--workers", "1"]
    capsys.readouterr()
    assert main(["judge", "streams", "--data", str(people), *argv, "--adapt", "3", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["people"] == 1 and res["streams"]["stream|all"]["pooled"]["ref"] == 6  # the 3 thanks, 3 iloveyou left
    notes = "\n".join(res["notes"])
    assert "note: few: --adapt 3 shots use every recording of hello (2)" in notes, notes
    assert "note: left out handless: none of their recordings" in notes, notes
    assert "handless" not in res["streams"]["stream|all"]["signers"]
    assert main(["judge", "streams", "--data", str(blind), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "handless: none of their recordings" in err, err


def test_write_stream_reference_is_what_is_scored(shared, tmp_path, capsys):
    """--write-stream's stream and reference are what is scored, the reference as a JSON list: labels spelled Hello /
    thank you take the model's names, a sign it does not know (please) is left out with the scoring's note (a
    word of the reference the model can never say), hand-less other signs are left out with a note; a person with no
    recording showing a hand is refused in one line naming the file (no stream of other signs only is written); a
    person none of whose signs the model knows (their own vocabulary) gets them all under their own names, with a
    note."""
    from signlstm.cli import main

    s03, o01 = load([shared("data", "signers", "s03.npz")]), load([shared("data", "other_signs", "o01.npz")])
    pick = np.concatenate([_with_hands(s03, a, 2) for a in ("hello", "thanks")])
    shown = np.flatnonzero(layout.hand_share(o01.X) >= 0.6)
    X = np.concatenate([s03.X[pick], o01.X[shown[:2]]])
    people, others = tmp_path / "people", tmp_path / "others"
    people.mkdir(), others.mkdir()
    _person(people / "newcomer.npz", X, ["Hello", "please", "thank you"], ["Hello"] * 2 + ["thank you"] * 2
            + ["please"] * 2)
    _person(others / "stranger.npz", np.concatenate([o01.X[shown[2:4]], layout.without_hands(o01.X[:3])]),
            ["soup"], ["soup"] * 5)
    argv = ["judge", "streams", "--data", str(people / "newcomer.npz"), "--others", str(others / "stranger.npz"),
            "--others-per-stream", "5"]
    capsys.readouterr()
    assert main([*argv, "--write-stream", str(tmp_path / "s.npy")]) == 0
    out, err = capsys.readouterr()
    reference = json.loads(out.splitlines()[-1].split("reference: ")[1])
    assert sorted(reference) == ["hello", "hello", "thanks", "thanks"], out
    segments = out.splitlines()[:-1]
    assert sum("(other sign)" in line for line in segments) == 2 and "please" not in out, out  # 2 soup with hands
    assert "not scored, the data's action(s) the model does not know: please (2)" in err, err
    assert "left out 3 other-sign recording(s) with a hand in fewer than 50% of their frames" in err, err
    _person(people / "newcomer.npz", layout.without_hands(X), ["Hello", "please", "thank you"],
            ["Hello"] * 2 + ["thank you"] * 2 + ["please"] * 2)
    assert main([*argv, "--write-stream", str(tmp_path / "blind.npy")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "newcomer.npz: no recording of newcomer's signs" in err, err
    assert "nothing to replay as signs" in err and not (tmp_path / "blind.npy").exists()
    _person(people / "newcomer.npz", X, ["bonjour", "please", "merci"], ["bonjour"] * 2 + ["merci"] * 2
            + ["please"] * 2)
    assert main([*argv, "--write-stream", str(tmp_path / "own.npy")]) == 0
    out, err = capsys.readouterr()
    assert sorted(json.loads(out.splitlines()[-1].split("reference: ")[1])) == ["bonjour", "bonjour", "merci",
                                                                                "merci", "please", "please"], out
    assert "note: none of newcomer's signs is one of the default model's (hello, thanks, iloveyou)" in err, err


def test_a_person_is_held_as_the_parts_the_models_read_in_float16(shared, tmp_path, capsys, monkeypatch):
    """A fold holds the person and the other signs as training does: only the parts the models read (pose and hands,
    258 values) in float16, 15,480 bytes a recording, and prices the memory check so. s03's 90 recordings under an
    8 MB limit are judged (as whole float32 frames, 18 MB, they were refused)."""
    from signlstm.cli import main

    s03 = load([shared("data", "signers", "s03.npz")])
    people, others = tmp_path / "people", tmp_path / "others"
    people.mkdir(), others.mkdir()
    _person(people / "newcomer.npz", s03.X, list(s03.actions), s03.labels.tolist())
    o01 = load([shared("data", "other_signs", "o01.npz")])
    _person(others / "stranger.npz", o01.X[:4], ["soup"], ["soup"] * 4)
    assert len(s03) * s03.seq_len * layout.FRAME_SIZE * 4 > 16e6
    monkeypatch.setenv("SIGNLSTM_MEMORY_LIMIT", "8M")
    capsys.readouterr()
    code = main(["judge", "streams", "--data", str(people), "--others", str(others), "--shipped", "--rules", "stream",
                 "--streams", "1", "--workers", "1", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    res = json.loads(out)
    assert res["streams"]["stream|all"]["pooled"]["ref"] == 12 and res["windows"]["default"]["all"]["n"] > 0


def test_per_label_others_per_stream_and_seed_make_the_benchmarks_streams(shared, tmp_path, capsys):
    """``judge streams --per-label 2 --others-per-stream 1 --seed 3`` (with --shipped: nothing trained): each of the
    two streams holds 2 recordings per sign and 1 other sign (the defaults, 4 and 4, make 12 words and 4 other signs
    a stream of a person with 6 per sign and 4 other signs), and the figures are those of the fold seeded 3, not
    seed 0's (the seed draws each stream's recordings and order). (A renamed copy of s03's recordings stands in for a
    new person.)"""
    from signlstm.cli import main
    from signlstm.cli.common import json_line

    s03, o01 = load([shared("data", "signers", "s03.npz")]), load([shared("data", "other_signs", "o01.npz")])
    names = ["hello", "thanks", "iloveyou"]
    people, others = tmp_path / "people", tmp_path / "others"
    people.mkdir(), others.mkdir()
    idx = np.concatenate([_with_hands(s03, a, 6) for a in names])
    person = _person(people / "newcomer.npz", s03.X[idx], names, s03.labels[idx].tolist())
    stranger = _person(others / "stranger.npz", o01.X[np.flatnonzero(layout.hand_share(o01.X) >= 0.6)[:4]],
                       ["soup"], ["soup"] * 4)
    capsys.readouterr()
    assert main(["judge", "streams", "--data", str(people), "--others", str(others), "--shipped", "--rules", "stream",
                 "--streams", "2", "--workers", "1", "--json", "--per-label", "2", "--others-per-stream", "1",
                 "--seed", "3", "--fixes", "audit", "--negatives", str(others)]) == 0
    res = json.loads(capsys.readouterr().out)
    assert "note: --fixes, --negatives not used: they train fold bases, and --shipped gives ready ones" in res["notes"]
    pooled = res["streams"]["stream|all"]["pooled"]
    assert pooled["ref"] == 2 * 2 * 3 and pooled["other_segments"] == 2 * 1, pooled
    rules = [("stream", rule_settings("stream"))]
    task = {"signer": "newcomer", "bases": {"default": str(DEFAULT_MODEL)}, "signs": [str(person)],
            "others": [str(stranger)], "consistent": (), "rules": rules, "per_label": 2, "n_others": 1, "draws": 2}
    seeded = {seed: json.loads(json_line(streams.summarise([streams.fold({**task, "seed": seed})], rules)))[
        "streams"]["stream|all"]["pooled"] for seed in (0, 3)}
    assert pooled == seeded[3] != seeded[0], (pooled, seeded)


def test_a_file_of_another_length_than_the_models_window_is_named_before_any_work(shared, tmp_path, capsys):
    """20-frame recordings (a person's, or the other signs of a stream) judged by 30-frame models: one line naming the
    file, exit 2, before anything is replayed (not as 20-frame windows with full tables). (Renamed
    copies of s02's and o01's recordings, cut to 20 frames, stand in for new people.)"""
    from signlstm.cli import main

    def cut(src, out, frames):
        with np.load(src) as z:
            np.savez(out, **{k: z[k][:, :frames] if k == "X" else z[k] for k in z.files})
        return out

    (tmp_path / "p").mkdir(), (tmp_path / "o").mkdir()
    for person, other in ((20, 30), (30, 20)):
        p = cut(shared("data", "signers", "s02.npz"), tmp_path / "p" / f"lena{person}.npz", person)
        o = cut(shared("data", "other_signs", "o01.npz"), tmp_path / "o" / f"ozz{other}.npz", other)
        code = main(["judge", "streams", "--shipped", "--data", str(p), "--others", str(o), "--streams", "1",
                     "--rules", "stream"])
        err = capsys.readouterr().err
        named = p if person == 20 else o
        assert code == 2 and err.count("\n") == 1, err
        assert f"{named}: the data has 20-frame sequences, the model expects 30" in err, err


def test_bases_rules_cells_and_others_choose_the_models_rules_cells_and_other_signs(shared, tmp_path, capsys):
    """``judge streams --bases DIR --rules stream --cells FILE --others DIR2 --negatives DIR3`` (nothing trained): the
    person is judged by DIR's default base (a copy of the shipped model, which never saw them), under the stream rule
    only (DIR holds no spotting base, which the spot rule would need: asked for, it is refused in one line); the
    consistent cells are FILE's (hello and thanks: 8 words a stream), not those of the cells.json beside the data
    (hello: 4); the other signs are DIR2's 3 recordings, not DIR3's 2. A ready base that saw the person judged is
    refused in one line. (Renamed copies of s03's and o01's recordings stand in for new people.)"""
    import shutil

    from signlstm.cli import main

    s03, o01 = load([shared("data", "signers", "s03.npz")]), load([shared("data", "other_signs", "o01.npz")])
    names = ["hello", "thanks", "iloveyou"]
    people, others, negatives, bases = (tmp_path / d for d in ("people", "others", "negatives", "bases"))
    for d in (people, others, negatives):
        d.mkdir()
    idx = np.concatenate([_with_hands(s03, a, 6) for a in names])
    _person(people / "newcomer.npz", s03.X[idx], names, s03.labels[idx].tolist())
    (people / "cells.json").write_text(json.dumps({"include": {"newcomer": ["hello"]}}))
    (tmp_path / "cells.json").write_text(json.dumps({"include": {"newcomer": ["hello", "thanks"]}}))
    shown = np.flatnonzero(layout.hand_share(o01.X) >= 0.6)
    _person(others / "stranger.npz", o01.X[shown[:3]], ["soup"], ["soup"] * 3)
    _person(negatives / "passerby.npz", o01.X[shown[3:5]], ["soup"], ["soup"] * 2)
    shutil.copytree(DEFAULT_MODEL, bases / "default" / "newcomer")
    argv = ["judge", "streams", "--data", str(people), "--others", str(others), "--negatives", str(negatives),
            "--bases", str(bases), "--cells", str(tmp_path / "cells.json"), "--streams", "1", "--workers", "1",
            "--cache", str(tmp_path / "cache")]
    capsys.readouterr()
    code = main([*argv, "--rules", "stream", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    res = json.loads(out)
    assert res["bases"] == {"default": str(bases / "default")} and res["people"] == 1
    assert not (tmp_path / "cache").exists()  # nothing trained
    assert res["recipes"] == {"stream": "default"} and [r[0] for r in res["rules"]] == ["stream"]
    assert sorted(res["streams"]) == ["stream|all", "stream|consistent", "stream|recognised"]
    assert sorted(res["windows"]) == ["default"]
    streams_of = {k.split("|")[1]: v["pooled"] for k, v in res["streams"].items()}
    assert streams_of["all"]["ref"] == 12 and streams_of["consistent"]["ref"] == 8, streams_of
    assert streams_of["all"]["other_segments"] == 3 and res["windows"]["default"]["others"]["n"] == 3, res
    assert main([*argv, "--rules", "spot"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no spotting base bundle for newcomer" in err, err
    (tmp_path / "cells.json").write_text(json.dumps({"include": {"someone": ["hello"]}}))  # not newcomer's
    assert main([*argv, "--rules", "stream", "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert f"note: {tmp_path / 'cells.json'} names no cell of newcomer: their signs count in the all-cells figures " \
        "only, not in the consistent-gesture ones" in res["notes"], res["notes"]
    shutil.copytree(DEFAULT_MODEL, bases / "default" / "s08")  # the shipped model was trained on s08
    code = main(["judge", "streams", "--data", str(shared("data", "signers", "s08.npz")), "--others", str(others),
                 "--bases", str(bases), "--rules", "stream", "--streams", "1", "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--bases: " in err and "was trained on s08" in err, err


def test_fixes_are_applied_to_the_training_data_of_the_fold_bases(shared, tmp_path, capsys):
    """``judge streams --fixes FILE`` trains each fold base on its people's recordings with FILE's fixes applied: a
    file dropping every iloveyou recording of two people (6 each) makes bases that know hello and thanks only, so
    iloveyou is left out of the streams with a note (2 people x 2 signs x 2 recordings scored, not 3 signs), and the
    caveat of a fixes file is noted. (Renamed copies of 6 recordings per sign of s03 and s05 stand in for the
    people; the bases are the default recipe's, each trained on the other person's 12 or 18 recordings.)"""
    from signlstm.cli import main
    from signlstm.models.bundle import read_meta

    names = ["hello", "thanks", "iloveyou"]
    people, others = tmp_path / "people", tmp_path / "others"
    people.mkdir(), others.mkdir()
    rows = ["source,label,action,new_label,reason"]
    for person, real in (("ann", "s03"), ("bob", "s05")):
        signs = load([shared("data", "signers", f"{real}.npz")])
        idx = np.concatenate([_with_hands(signs, a, 6) for a in names])
        _person(people / f"{person}.npz", signs.X[idx], names, signs.labels[idx].tolist())
        rows += [f"{person}.npz#{k},iloveyou,drop,,not a sign here" for k in range(12, 18)]
    (tmp_path / "fixes.csv").write_text("\n".join(rows) + "\n")
    o01 = load([shared("data", "other_signs", "o01.npz")])
    _person(others / "stranger.npz", o01.X[np.flatnonzero(layout.hand_share(o01.X) >= 0.6)[:2]], ["soup"],
            ["soup"] * 2)
    capsys.readouterr()
    # every rule (the default), the spot rule's among them, whose bases learn other signs from --negatives: without
    # it, refused in one line before any base is trained
    assert main(["judge", "streams", "--data", str(people), "--others", str(others), "--workers", "1", "--cache",
                 str(tmp_path / "cache")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "rule(s) spot: their fold bases learn to say nothing for other signs from " \
        "--negatives" in err and not (tmp_path / "cache").exists(), err
    # people whose own recordings hold some labelled none teach the spotting bases other signs themselves
    _person(tmp_path / "own_none.npz", o01.X[:2], ["hello", "none"], ["none", "none"])
    assert streams._has_none([tmp_path / "own_none.npz"]) and not streams._has_none([people / "ann.npz"])
    code = main(["judge", "streams", "--data", str(people), "--others", str(others), "--fixes",
                 str(tmp_path / "fixes.csv"), "--rules", "stream", "--streams", "1", "--per-label", "2", "--workers", "1",
                 "--json", "--cache", str(tmp_path / "cache")])
    out, err = capsys.readouterr()
    assert code == 0, err
    res = json.loads(out)
    folder = Path(res["bases"]["default"])
    for person in ("ann", "bob"):
        assert read_meta(folder / person)["labels"] == ["hello", "thanks", "none"]
    notes = "\n".join(res["notes"])
    assert "not scored, the data's action(s) the model does not know: iloveyou (12)" in notes, notes
    assert "; by person: ann: iloveyou (6); bob: iloveyou (6)" in notes, notes  # whose, with several people
    assert f"fixes file {tmp_path / 'fixes.csv'} applied to the training people" in notes, notes
    assert res["streams"]["stream|all"]["pooled"]["ref"] == 2 * 2 * 2


def test_the_streams_table_puts_each_figure_in_its_column_and_the_targets_are_judged_on_the_right_side(monkeypatch):
    """``judge streams``'s report (``streams_report.format_streams``) on two people's scored streams (as ``fold``
    returns them, pooled by ``summarise``; figures worked out by hand): each pooled row holds the words, WER, WER
    with repeats merged, other-sign words, latencies and the worst person (the one with the highest WER); each
    person's row holds their consistent-cells WER, then their all-cells WER and other-sign words, and a second row
    their consistent-cells WER with repeats merged and latency median and p95 (the issue's figures per person); the
    targets are met here (pooled WER 5 % <= 5 %, worst person 10 % <= 15 %, 95 % of other signs rejected >= 90 %),
    and each bound shown is the one checked (other targets: other bounds and verdicts)."""
    from signlstm.judging import streams_report
    from signlstm.judging.streams_report import format_streams

    def row(ref, errors, merged_ref, merged_errors, other_words, latencies):
        return [{"ref": ref, "errors": errors, "merged_ref": merged_ref, "merged_errors": merged_errors, "others": 4,
                 "other_words": other_words, "latencies": latencies}]

    folds = [{"signer": "s02", "streams": {("stream", "consistent"): row(10, 0, 8, 1, 0, [10, 12]),
                                           ("stream", "all"): row(20, 4, 16, 4, 1, [10, 12, 14])},
              "windows": {"default": {"consistent": (0, 10), "all": (1, 20), "others": (10, 10)}}},
             {"signer": "s05", "streams": {("stream", "consistent"): row(10, 1, 10, 2, 0, [20]),
                                           ("stream", "all"): row(20, 5, 18, 6, 0, [20, 30])},
              "windows": {"default": {"consistent": (0, 10), "all": (0, 20), "others": (9, 10)}}}]
    rules = [("stream", {"threshold": 0.5})]
    res = streams.summarise(folds, rules)
    res.update(rules=rules, seconds=1, people=2)
    text = format_streams(res)
    lines = {tuple(line.split()[:2]): line.split()[2:] for line in text.splitlines() if line.split()}
    #                                 words  WER  merged  other   median  p95   worst
    assert lines[("stream", "consistent")] == ["20", "5.0", "16.7", "0.000", "12.0", "19.2", "10.0", "(s05)"], text
    assert lines[("stream", "all")] == ["40", "22.5", "29.4", "0.125", "14.0", "28.0", "25.0", "(s05)"], text
    #                  consistent  all   other words
    assert lines[("s02", "0.0")] == ["/", "20.0", "0.25"], text
    assert lines[("s05", "10.0")] == ["/", "25.0", "0.00"], text
    #                  merged  latency median  p95 (consistent cells)
    assert lines[("s02", "12.5")] == ["11.0", "11.9"], text
    assert lines[("s05", "20.0")] == ["20.0", "20.0"], text
    assert ("targets (rule stream, consistent cells): WER pooled met (5.0 % <= 5 %); WER every person met "
            "(10.0 % <= 15 %); other-sign words met (0.000 <= 0.05); median latency met (12.0 <= 15 frames); signs "
            "answered none met (0.0 % <= 0.5 %); other signs rejected met (95.0 % >= 90 %)") in text, text
    targets = {"wer": 0.04, "wer_signer": 0.2, "other_words": 0.1, "latency_median": 10, "signs_rejected": 0.01,
               "others_rejected": 0.96}  # each shown bound is the one checked
    monkeypatch.setattr(streams_report, "TARGETS", targets)
    assert ("WER pooled MISSED (5.0 % <= 4 %); WER every person met (10.0 % <= 20 %); other-sign words met (0.000 "
            "<= 0.1); median latency MISSED (12.0 <= 10 frames); signs answered none met (0.0 % <= 1 %); other signs "
            "rejected MISSED (95.0 % >= 96 %)") in format_streams(res)
    # the worst person (10 %), not the pooled WER (5 %), is held to the every-person bound; a bound reached is met
    monkeypatch.setattr(streams_report, "TARGETS", {**targets, "wer_signer": 0.08, "others_rejected": 0.95})
    assert ("WER every person MISSED (10.0 % <= 8 %)" in format_streams(res)
            and "other signs rejected met (95.0 % >= 95 %)" in format_streams(res))


def test_a_person_whose_stream_holds_no_sign_is_not_taken_for_the_worst():
    """A person none of whose recordings of a cell set is usable has a stream of other signs only: no words to get
    wrong, WER undefined. Listed first, they hid the worst person (``n/a (s02)``) from the pooled row and the
    every-person target; the worst is the highest WER among people whose stream holds signs."""
    from signlstm.judging.streams_report import format_streams

    def row(ref, errors):
        return [{"ref": ref, "errors": errors, "merged_ref": ref, "merged_errors": errors, "others": 4,
                 "other_words": 0, "latencies": [10] if ref else []}]

    windows = {"default": {"consistent": (0, 10), "all": (0, 10), "others": (10, 10)}}
    folds = [{"signer": "s02", "streams": {("stream", "consistent"): row(0, 0), ("stream", "all"): row(10, 1)},
              "windows": windows},
             {"signer": "s05", "streams": {("stream", "consistent"): row(10, 3), ("stream", "all"): row(10, 3)},
              "windows": windows}]
    rules = [("stream", {})]
    res = streams.summarise(folds, rules)
    res.update(rules=rules, seconds=1, people=2)
    text = format_streams(res)
    lines = {tuple(line.split()[:2]): line.split()[2:] for line in text.splitlines() if line.split()}
    assert lines[("stream", "consistent")][-2:] == ["30.0", "(s05)"], text
    assert "WER every person MISSED (30.0 % <= 15 %)" in text, text


def test_the_library_refuses_what_the_command_refuses_before_any_work(shared, tmp_path):
    """``benchmark`` given both the shipped models and a folder of bases, or no other-sign recordings, is refused
    with the command's line, before anything is trained or read."""
    from signlstm.errors import SignlstmError

    signers = [str(shared("data", "signers", f"{p}.npz")) for p in ("s02", "s03")]
    with pytest.raises(SignlstmError, match=r"^--shipped and --bases: choose one"):
        streams.benchmark(signers, [str(shared("data", "other_signs", "o04.npz"))], shipped=True, bases=tmp_path)
    with pytest.raises(SignlstmError, match=r"^--negatives \(or --others\) is needed"):
        streams.benchmark(signers, None, shipped=True)
    assert not any(tmp_path.iterdir())


def test_the_benchmarks_defaults_are_usable_and_its_options_are_checked(shared):
    """``benchmark`` refuses a rule it does not have, no sign per label, no draw, or fewer than no other signs in
    one line with the command's words, before anything is read (here before it finds that the shipped models saw
    s02); with its default cells and rules it reaches the people (one person: too few)."""
    from signlstm.errors import SignlstmError

    s02, o04 = str(shared("data", "signers", "s02.npz")), str(shared("data", "other_signs", "o04.npz"))
    with pytest.raises(SignlstmError, match="at least 2 people in --data"):
        streams.benchmark([s02], [o04], log=lambda m: None)
    for options, said in (({"rules": [("wave", {})]}, "--rules: unknown rule"),
                          ({"per_label": 0}, "--per-label must be at least 1"),
                          ({"n_others": -1}, "--others-per-stream at least 0"),
                          ({"draws": 0}, "--streams must be at least 1")):
        with pytest.raises(SignlstmError, match=said):
            streams.benchmark([s02], [o04], shipped=True, log=lambda m: None, **options)
    streams.check_options([o04], per_label=1, n_others=0, draws=1)  # the least of each is taken
