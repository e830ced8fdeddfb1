"""The audit finds the swaps VARIANTS.md suspects, and its fixes apply without touching the data."""
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from . import audit, audit_report
from ..datasets import fixes
from ..datasets import load


@pytest.fixture(scope="module")
def dev(request):
    from ..conftest import shared_path

    data = load([shared_path("data", "signers")])
    return data, audit.audit(data)


def _relabels(result, signer, label):
    return {int(f["source"].rsplit("#", 1)[1]): f["new_label"] for f in result.fixes
            if f["action"] == "relabel" and f["label"] == label and f"{signer}.npz#" in f["source"]}


def test_audit_finds_the_s16_swap(dev):
    data, result = dev
    kinds = {(f.signer, f.label): f for f in result.findings if f.kind in ("folder", "session")}
    assert kinds[("s16", "thanks")].suggested == "iloveyou" and kinds[("s16", "thanks")].swap
    assert kinds[("s16", "iloveyou")].suggested == "thanks" and kinds[("s16", "iloveyou")].swap
    assert len(_relabels(result, "s16", "thanks")) >= 15
    assert set(_relabels(result, "s16", "thanks").values()) == {"iloveyou"}


def test_audit_finds_s18_thanks_sequences_16_to_29(dev):
    data, result = dev
    moved = _relabels(result, "s18", "thanks")
    late = [s for s in range(16, 30) if moved.get(s) == "iloveyou"]
    assert len(late) >= 12, f"s18 thanks 16-29 relabelled to iloveyou: {late}"


def test_second_round_finds_the_folder_a_swap_was_hiding(dev):
    # s18 iloveyou is two open hands (the common thanks); s16's swapped iloveyou folder backs it up until the first
    # round relabels s16, so only the second round sees it.
    data, result = dev
    moved = _relabels(result, "s18", "iloveyou")
    assert len(moved) >= 20 and set(moved.values()) == {"thanks"}


def test_audit_drops_no_hand_sequences(dev):
    data, result = dev
    drops = {(f["source"], f["label"]) for f in result.fixes if f["action"] == "drop"}
    renotte_hello = [s for s, a in zip(data.sources, data.labels) if "renotte" in s and a == "hello"]
    assert sum((s, "hello") in drops for s in renotte_hello) >= 20  # 26/30 have no hands in most frames


def test_each_disagreeing_sequence_is_in_one_row_and_the_rows_are_the_fixes(dev):
    data, result = dev
    rows, fixed = Counter(), set()
    for f in result.findings:
        if f.kind != "no-hands":
            rows.update((f.signer, f.label, s) for s in f.seqs)
    for r in result.fixes:
        if not r["reason"].startswith("no hands"):
            name, seq = r["source"].rsplit("#", 1)
            fixed.add((name.rsplit("/", 1)[-1].removesuffix(".npz"), r["label"], int(seq)))
    assert [k for k, n in rows.items() if n > 1] == []
    assert set(rows) == fixed


def test_the_second_rounds_fix_replaces_the_first_rounds_and_half_a_folder_is_a_session(dev):
    """Recordings of s16's and s18's swapped iloveyou folders that the first round could only drop (the other
    signers' models still learnt the swap from the other folder) are relabelled thanks once the second round sees
    the swap: the later fix replaces the earlier one, never the other way round. (And a finding of half to 60 % of
    a folder is a session, not a folder.)"""
    data, result = dev
    one = audit.audit(data, rounds=1)
    first = {(r["source"], r["label"]): r for r in one.fixes}
    final = {(r["source"], r["label"]): r for r in result.fixes}
    changed = {k for k in first if k in final and final[k]["action"] != first[k]["action"]}
    assert len(changed) >= 5 and all((first[k]["action"], final[k]["action"]) == ("drop", "relabel")
                                     for k in changed), changed
    assert {17, 25, 27} <= set(_relabels(result, "s16", "iloveyou"))
    # the first round's s12 thanks: 17 of its 30 recordings look like iloveyou, over half and under 60 %: a session
    s12 = [(f.kind, len(f.seqs), f.of) for f in one.findings if (f.signer, f.label, f.suggested) == ("s12", "thanks",
                                                                                                    "iloveyou")]
    assert s12 == [("session", 17, 30)], s12


def test_two_rounds_merge_into_rows_that_show_each_sequence_once():
    F = audit.Finding
    earlier = [F("session", "a", "hello", [36, 37, 44, 48, 53, 58, 59], "thanks", 0.86, 60),
               F("sequence", "a", "thanks", [5], "hello", 0.9, 30),
               F("folder", "b", "thanks", list(range(18)), "iloveyou", 0.8, 30),
               F("no-hands", "a", "hello", [1, 2], None, 0.9, 60)]
    later = [F("sequence", "a", "hello", [44], "thanks", 1.0, 60), F("sequence", "a", "hello", [48], "thanks", 1.0, 60),
             F("sequence", "a", "hello", [58, 59], "thanks", 0.99, 60),
             F("sequence", "a", "thanks", [5], "iloveyou", 0.7, 30),
             F("sequence", "b", "thanks", [20], "iloveyou", 0.9, 30),
             F("sequence", "b", "thanks", [25], "iloveyou", 0.9, 30), F("no-hands", "a", "hello", [1], None, 1.0, 60)]
    rows = {(f.kind, f.signer, f.label, f.suggested, tuple(f.seqs)) for f in audit.merge_rounds(earlier, later)}
    assert rows == {("sequence", "a", "hello", "thanks", (36, 37, 44, 53)), ("sequence", "a", "hello", "thanks", (48,)),
                    ("sequence", "a", "hello", "thanks", (58, 59)),
                    ("sequence", "a", "thanks", "iloveyou", (5,)),  # the later round's fix replaced the earlier one
                    ("folder", "b", "thanks", "iloveyou", tuple(range(18)) + (20, 25)),
                    ("no-hands", "a", "hello", None, (1, 2))}


def test_fixes_file_round_trip_and_apply(dev, tmp_path):
    data, result = dev
    path = fixes.write_fixes(result.fixes, tmp_path / "fixes.csv")
    before = data.labels.copy()
    fixed = fixes.apply_fixes(data, path)
    assert np.array_equal(data.labels, before)  # the original is untouched
    n_drop = sum(f["action"] == "drop" for f in result.fixes)
    assert len(fixed) == len(data) - n_drop
    expected = Counter(data.labels.tolist())
    for f in result.fixes:
        expected[f["label"]] -= 1
        if f["action"] == "relabel":
            expected[f["new_label"]] += 1
    assert Counter(fixed.labels.tolist()) == +expected


def test_bad_fixes_file_is_a_named_error(tmp_path):
    from ..errors import BadInput

    p = tmp_path / "f.csv"
    p.write_text("source,label,action,new_label,reason\nx.npz#1,hello,rename,thanks,?\n")
    with pytest.raises(BadInput, match="rename"):
        fixes.read_fixes(p)


def test_audit_refuses_folds_it_cannot_make_in_one_line_before_any_work(shared, tmp_path, capsys, monkeypatch):
    """``--splits`` below 2 or above the number of signers (and ``--length`` below 1) are one line, exit 2, before the
    features are computed and before any fixes file is written."""
    from ..cli import main

    def no_features(*a, **k):
        raise AssertionError("features computed before the options were checked")

    monkeypatch.setattr(audit, "pooled_features", no_features)
    two = [str(shared("data", "signers", "s02.npz")), str(shared("data", "signers", "s03.npz"))]
    out = tmp_path / "fixes.csv"
    for argv, said in ((["--splits", "0"], "--splits takes 2..2"), (["--splits", "1"], "--splits"),
                       (["--splits", "3"], "3 signer-grouped folds of the data's 2 signers"),
                       (["--length", "0"], "--length must be a number of frames from 1 to 1000, got 0"),
                       (["--length", "1001"], "--length must be a number of frames from 1 to 1000")):
        assert main(["audit", "--data", *two, "--out", str(out), *argv]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and err.startswith("signlstm audit: error: "), err
        assert said in err and "Traceback" not in err, err
    assert not out.exists()
    data = load(two)
    with pytest.raises(audit.SignlstmError, match=r"2\.\.2"):  # the library says the same
        audit.out_of_fold_probs(data, n_splits=5, feats=np.zeros((len(data), 43)))


def test_audit_without_cleanlab_says_so_in_one_line_before_reading_the_data(shared, tmp_path, capsys, monkeypatch):
    """Without cleanlab (the ``[audit]`` extra, not installed): ``signlstm audit``, the library's ``audit`` and the
    judges' ``--fixes audit`` say which extra to install, in one line, before any recording is read, any feature
    computed or any fold trained."""
    import sys

    from ..cli import main
    from .. import datasets

    def no_reading(*a, **k):
        raise AssertionError("data read before cleanlab was checked")

    for name in ["cleanlab", "cleanlab.filter", *[n for n in sys.modules if n.startswith("cleanlab.")]]:
        monkeypatch.setitem(sys.modules, name, None)  # importing it raises ImportError, as when it is not installed
    monkeypatch.setattr(audit, "pooled_features", no_reading)
    data = load([shared("data", "signers", "s02.npz"), shared("data", "signers", "s03.npz")])
    with pytest.raises(audit.SignlstmError, match=r"^the audit needs cleanlab: pip install 'signlstm\[audit\]'$"):
        audit.audit(data)
    monkeypatch.setattr(datasets, "load", no_reading)
    assert main(["audit", "--data", str(shared("data", "signers")), "--out", str(tmp_path / "f.csv")]) == 2
    assert capsys.readouterr().err == "signlstm audit: error: the audit needs cleanlab: pip install 'signlstm[audit]'\n"
    assert not (tmp_path / "f.csv").exists()
    from .folds import check_fold_audit  # the judges' --fixes audit, before any fold is trained

    with pytest.raises(audit.SignlstmError, match=r"^the audit needs cleanlab"):
        check_fold_audit(22)


def test_the_command_shows_its_progress_over_the_features_and_every_rounds_folds(shared, capsys):
    """``signlstm audit`` draws a bar on stderr over the sequences whose features it computes and over each round's
    out-of-fold models (two people: two folds a round); the library draws none unless asked."""
    from ..cli import main

    two = [str(shared("data", "signers", f"{p}.npz")) for p in ("s02", "s03")]
    assert main(["audit", "--data", *two]) == 0
    err = capsys.readouterr().err
    folds = 2 * audit.ROUNDS
    assert "audit: features" in err and "180/180" in err, err
    assert "audit: folds" in err and f"{folds}/{folds}" in err, err
    audit.audit(load(two))
    assert "audit:" not in capsys.readouterr().err


def test_audit_names_the_people_whose_camera_was_16_9(dev):
    """s04 and s15 (whose face mesh is narrower for its height than everyone else's) are named with a 16:9 camera; a
    640x480 signer is not; the finding changes no fix."""
    data, result = dev
    lines = audit_report.format_findings(result, data).splitlines()
    for person in ("s04", "s15"):
        said = [ln for ln in lines if ln.startswith(f"{person}: ")]
        assert len(said) == 1 and "16:9 camera" in said[0] and "4:3 image's" in said[0], said
    assert not [ln for ln in lines if ln.startswith("s02: ")]
    assert result.cameras["s02"].name == "4:3"
    assert not any("camera" in f["reason"] for f in result.fixes)


def test_camera_findings_of_data_held_compact_and_of_people_without_a_face(shared):
    """Data holding only the face in float16 (read chunk by chunk) says the same, and a file whose face block is
    zeroed is one line: not told."""
    data = load([shared("data", "signers", "s04.npz"), shared("data", "signers", "s02.npz"),
                 shared("data", "vocab", "o04.npz")], parts=["face"], dtype=np.float16)
    shapes = audit.cameras(data)
    assert shapes["s04"].name == "16:9" and shapes["s02"].name == "4:3" and shapes["o04"] is None
    lines = audit_report.camera_lines(shapes)
    assert lines[0] == "" and lines[1].startswith("s04: face mesh proportions say a 16:9 camera (estimate 1.7")
    assert lines[2:] == ["camera shape not told for o04: fewer than 30 frames with a face",
                         "face mesh proportions say 4:3 for 1 of the 2 people with a face"]


def test_a_sign_only_one_signer_recorded_is_not_checked_and_a_spelling_twin_is_noted(shared, tmp_path, capsys):
    """s02 files its thanks as 'thank you' beside the tutorial author's tree: no other signer made 'thank you', so
    the out-of-fold model can never say it. The audit runs (its later rounds' folds may hold one sign), flags none
    of those recordings, names the sign as not checked and notes the two spellings; one file is refused
    before it is read."""
    from ..cli import main

    z = np.load(shared("data", "signers", "s02.npz"))
    np.savez(tmp_path / "s02.npz", X=z["X"], y=z["y"], actions=np.array(["hello", "thank you", "iloveyou"]))
    out = tmp_path / "fixes.csv"
    assert main(["audit", "--data", str(shared("data", "MP_Data_renotte")), str(tmp_path / "s02.npz"),
                 "--out", str(out)]) == 0
    got = capsys.readouterr()
    assert "not checked: 'thank you', recorded by s02 alone" in got.out
    assert "'thanks' and 'thank you' look like one sign spelled in different ways" in got.err
    import csv

    rows = list(csv.DictReader(out.open()))
    twin = [r["reason"] for r in rows if r["label"] == "thank you"]  # only dropped for lack of hands, never judged
    assert rows and all(reason.startswith("no hands in") for reason in twin), twin
    assert main(["audit", "--data", str(tmp_path / "s02.npz")]) == 2
    assert "the audit needs recordings of at least 2 signers" in capsys.readouterr().err


def test_a_sign_whose_signers_share_a_fold_of_splits_is_named_not_checked(shared, tmp_path, capsys):
    """With ``--splits 2`` over three people, the two smaller ones share a fold (scikit-learn's GroupKFold fills the
    lighter fold); a sign only they recorded ('merci') is never learnt by the model that tests them. Those
    recordings are not judged, and the audit says how many and whose, beside the lone sign of the third person."""
    from ..cli import main

    for name, keep in (("s02", 90), ("s03", 60), ("s04", 50)):
        z = np.load(shared("data", "signers", f"{name}.npz"))
        actions = ["hello", "thanks" if name == "s02" else "merci", "iloveyou"]
        np.savez(tmp_path / f"{name}.npz", X=z["X"][:keep], y=z["y"][:keep], actions=np.array(actions))
    merci = sum(int((np.load(tmp_path / f"{n}.npz")["y"] == 1).sum()) for n in ("s03", "s04"))
    assert main(["audit", "--data", str(tmp_path), "--splits", "2"]) == 0
    out = capsys.readouterr().out
    assert "not checked: 'thanks', recorded by s02 alone" in out, out
    assert (f"not checked: {merci} of the {merci} recordings of 'merci' (by s03, s04): their fold held every signer "
            "who recorded it") in out, out
    assert main(["audit", "--data", str(tmp_path)]) == 0  # one fold per signer: each is checked against the other
    assert "recordings of 'merci'" not in capsys.readouterr().out


def test_data_of_one_sign_is_audited_for_hands_without_judging_labels_or_warnings(shared, tmp_path, capsys):
    """Three people's hello alone: no label can be taken for another, so the audit says labels are not checked,
    gives no accuracy, prints no scikit-learn warning, and still drops the recordings without hands."""
    import warnings

    from ..cli import main

    for name in ("s02", "s03", "s04"):
        z = np.load(shared("data", "signers", f"{name}.npz"))
        hello = z["y"] == 0
        np.savez(tmp_path / f"{name}.npz", X=z["X"][hello], y=z["y"][hello], seq=z["seq"][hello])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would be a failure
        assert main(["audit", "--data", str(tmp_path), "--out", str(tmp_path / "fixes.csv")]) == 0
    out = capsys.readouterr().out
    assert "labels not checked: every recording is 'hello'" in out and "out-of-fold accuracy -;" in out, out
    assert "cleanlab flagged 0" in out and "relabel 0" in out
    assert "no-hands" in out  # s02's hello 0, 7-9 hold no hand


def test_data_with_no_person_in_any_frame_is_one_line_before_any_work(shared, tmp_path, capsys):
    """Two people's files whose frames are all zero (an empty room: they compress to almost nothing) are refused in
    one line naming them, exit 2, no fixes file, before any sequence is judged."""
    from ..cli import main

    y = np.load(shared("data", "signers", "s02.npz"))["y"]
    for person in ("p1", "p2"):
        np.savez_compressed(tmp_path / f"{person}.npz", X=np.zeros((len(y), 30, 1662), np.float32), y=y,
                            actions=np.array(["hello", "thanks", "iloveyou"]))
    out = tmp_path / "fixes.csv"
    assert main(["audit", "--data", str(tmp_path / "p1.npz"), str(tmp_path / "p2.npz"), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"signlstm audit: error: {tmp_path}: no person in any frame"), err
    assert "nothing to audit" in err[0] and not out.exists()


def test_people_s_own_vocabularies_get_a_warning_not_silent_drops(shared, capsys):
    """Two people's own vocabularies (o04, o06; the face zeroed): few signs share a name and a gesture, the other
    person's recordings name few of them rightly, and the audit says its flags say little (the signers' data, one
    gesture per name, checks at 0.84); with no face, no camera line counts "0 of the 0 people"."""
    import re

    from signlstm.cli import main

    assert main(["audit", "--data", *(str(shared("data", "vocab", f"{p}.npz")) for p in ("o04", "o06"))]) == 0
    out = capsys.readouterr().out
    oof = float(re.search(r"out-of-fold accuracy ([0-9.]+)", out).group(1))
    assert oof < 0.5 and "warning: other people's recordings name only" in out and "the flags say little" in out
    assert "0 of the 0 people" not in out and "camera shape not told for o04, o06" in out


def test_recordings_of_no_sign_are_left_out_of_the_audit_by_the_library_as_by_the_command(shared, tmp_path, capsys):
    """s02-s05's files, each with 20 of o04's other signs added under ``none`` (training's own negatives): the
    library's audit and format_findings leave them out, as ``signlstm audit`` does (which does not read them), and
    give the fixes and summary of the files without them; features given for every recording are cut to match."""
    from ..cli import main
    from ..conftest import shared_path
    from ..datasets.packed import SIGNER_LABELS

    others = np.load(shared_path("data", "other_signs", "o04.npz"))["X"]
    plain, paths = [], []
    for k, who in enumerate(["s02", "s03", "s04", "s05"]):
        with np.load(shared_path("data", "signers", f"{who}.npz")) as z:
            arrays = {key: z[key] for key in z.files}
        plain.append(shared_path("data", "signers", f"{who}.npz"))
        extra = others[20 * k:20 * (k + 1)]
        arrays["X"] = np.concatenate([arrays["X"], extra.astype(arrays["X"].dtype)])
        arrays["y"] = np.concatenate([arrays["y"], np.full(20, len(SIGNER_LABELS))])
        arrays["seq"] = np.concatenate([arrays["seq"], np.arange(20)])
        arrays["actions"] = np.array([*SIGNER_LABELS, "none"])
        paths.append(tmp_path / f"{who}.npz")
        np.savez(paths[-1], **arrays)
    mixed = load(paths)
    assert (mixed.labels == "none").sum() == 80
    result = audit.audit(mixed)
    assert not [f for f in result.fixes if f["label"] == "none" or f.get("new_label") == "none"]
    expected = audit.audit(load(plain))
    assert len(result.fixes) == len(expected.fixes) > 0
    assert [(f["action"], f["label"], f["new_label"]) for f in result.fixes] == \
        [(f["action"], f["label"], f["new_label"]) for f in expected.fixes]
    text = audit_report.format_findings(result, mixed)
    assert text.splitlines()[-1] == audit_report.format_findings(expected, load(plain)).splitlines()[-1]
    assert "360 sequences, 4 signers" in text.splitlines()[-1]
    feats = audit.data_features(mixed)
    with_feats = audit.audit(mixed, feats=feats)
    assert [f["source"] for f in with_feats.fixes] == [f["source"] for f in result.fixes]
    # the audit's parts take the data as given: a row per recording, none among them
    assert audit.out_of_fold_probs(mixed, feats=feats).shape == (len(mixed), len(mixed.actions)) == (440, 4)
    assert main(["audit", "--data", *map(str, paths)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == text.splitlines()[-1]


@pytest.fixture(scope="module")
def six_people():
    """Eight recordings of each sign of six DEV signers (real data), with the audit's pooled features."""
    from ..conftest import shared_path

    data = load([shared_path("data", "signers", f"{s}.npz") for s in ("s02", "s03", "s04", "s05", "s08", "s11")])
    keep = np.concatenate([np.flatnonzero((data.groups == g) & (data.labels == a))[:8]
                           for g in np.unique(data.groups) for a in data.actions])
    data = data.subset(np.sort(keep))
    return data, audit.data_features(data)


@settings(max_examples=25, deadline=None, database=None, derandomize=True)
@given(st.data())
def test_any_signer_folds_keep_each_person_on_one_side_and_never_learn_the_held_out_persons_labels(six_people, data):
    """Property, real signers: for any 2-6 of them and any fold count (one per signer, or 2..people), every fold's
    training and test people are disjoint, every recording is tested exactly once (one person per fold when a fold is
    one signer's), and a person's out-of-fold probabilities and ``unjudged`` flags do not change whatever labels that
    person's recordings are given for training (``train_y``, -1 leaving one out): each person is judged only by
    models that never saw them. Every recording's probabilities sum to 1."""
    full, feats = six_people
    people = data.draw(st.lists(st.sampled_from(sorted(set(full.groups))), min_size=2, max_size=6, unique=True))
    rows = np.flatnonzero(np.isin(full.groups, people))
    d, F = full.subset(rows), feats[rows]
    n_splits = data.draw(st.none() | st.integers(2, len(people)))
    tested = np.zeros(len(d), int)
    for tr, te in audit._signer_folds(d, n_splits, d.y):
        assert not set(d.groups[tr]) & set(d.groups[te]) and len(tr) + len(te) == len(d)
        assert n_splits is not None or len(set(d.groups[te])) == 1
        tested[te] += 1
    assert (tested == 1).all()
    held = data.draw(st.sampled_from(people))
    mine = d.groups == held
    train_y = d.y.copy()
    train_y[mine] = data.draw(st.lists(st.integers(-1, len(d.actions) - 1), min_size=int(mine.sum()),
                                       max_size=int(mine.sum())))
    probs = audit.out_of_fold_probs(d, n_splits, feats=F)
    again = audit.out_of_fold_probs(d, n_splits, feats=F, train_y=train_y)
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-6)
    np.testing.assert_allclose(again[mine], probs[mine], atol=1e-9)
    assert (audit.unjudged(d, n_splits, train_y)[mine] == audit.unjudged(d, n_splits)[mine]).all()
