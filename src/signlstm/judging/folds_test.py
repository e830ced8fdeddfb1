"""Leave-one-person-out bases: who may be judged, which recordings two people share, and the cache of bases."""
import numpy as np
import pytest

from signlstm.errors import SignlstmError
from signlstm.judging import folds


def _person(out, source, keep, zero=()):
    """Recordings ``keep`` of a real signer file ``source`` saved as ``out`` (the file name is the person), with the
    recordings at positions ``zero`` of them set to all zeros (no person in any frame)."""
    with np.load(source) as z:
        X = z["X"][keep].copy()
        X[list(zero)] = 0
        np.savez(out, X=X, y=z["y"][keep], seq=z["seq"][keep])
    return out


def test_empty_rooms_are_not_recordings_two_people_share_but_a_copied_recording_is(shared, tmp_path):
    """alice (s02) and bob (s03) each hold two recordings with no person in any frame (every value zero, the same
    bytes in both files): they are no one's recordings, and the two are distinct people. One of alice's recordings
    copied into bob's file makes them one person under two names: counted once, and refused."""
    alice = _person(tmp_path / "alice.npz", shared("data", "signers", "s02.npz"), np.arange(0, 90, 10), zero=(0, 1))
    bob = _person(tmp_path / "bob.npz", shared("data", "signers", "s03.npz"), np.arange(0, 90, 10), zero=(0, 1))
    assert folds.shared_recordings(folds.open_sources([alice, bob])) == {}
    folds.check_distinct_people([alice, bob])
    with np.load(alice) as a, np.load(bob) as b:
        X = b["X"].copy()
        X[5] = a["X"][5]
        np.savez(tmp_path / "bob.npz", X=X, y=b["y"], seq=b["seq"])
    assert folds.shared_recordings(folds.open_sources([alice, bob])) == {("alice", "bob"): 1}
    with pytest.raises(SignlstmError, match="alice and bob hold 1 of the same recording"):
        folds.check_distinct_people([alice, bob])


def test_fixes_audit_needs_one_more_person_than_the_audits_folds():
    """--fixes audit audits each fold's training people (all but the one held out) in 5 signer-grouped folds: 6
    people are enough, 5 are not."""
    folds.check_fold_audit(folds.FOLD_AUDIT_SPLITS + 1)
    with pytest.raises(SignlstmError, match="it needs at least 6 people, the data has 5"):
        folds.check_fold_audit(folds.FOLD_AUDIT_SPLITS)


def test_fold_bases_are_cached_per_epochs_and_a_rerun_trains_nothing(shared, tmp_path):
    """A base (one epoch, 6 recordings of each of two people) is trained once without its person and found again in
    the cache; asked for with another --epochs it is another base, trained anew into another folder; and so it is
    when the same files are named after other people (a base cached without "bob" may have seen the recordings now
    called bob)."""
    from signlstm.models.bundle import read_meta

    paths = [str(_person(tmp_path / f"{p}.npz", shared("data", "signers", f"{s}.npz"), np.r_[0:2, 30:32, 60:62]))
             for p, s in (("alice", "s02"), ("bob", "s03"))]
    said = []
    kw = dict(workers=1, cache=tmp_path / "cache", log=said.append)
    first = folds.fold_bases(paths, ["alice"], epochs=1, **kw)
    assert said[0].startswith("training 1 base model(s) (default, each without one person)"), said
    meta = read_meta(first["alice"])
    assert meta["training"]["held_out"] == "alice" and "alice" not in meta["training"]["groups"]
    said.clear()
    assert folds.fold_bases(paths, ["alice"], epochs=1, **kw) == first and said == []
    again = folds.fold_bases(paths, ["alice"], epochs=2, **kw)
    assert said and said[0].startswith("training 1 base model(s)"), said
    assert again["alice"] != first["alice"] and read_meta(again["alice"])["training"]["held_out"] == "alice"
    # the same two files renamed (anonymised, renumbered): s02's recordings now called bob, s03's carol. The base
    # "without bob" of the first run was trained on s02's recordings: it is not the one used to judge them now
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    for old, new in (("alice", "bob"), ("bob", "carol")):
        (renamed / f"{new}.npz").write_bytes((tmp_path / f"{old}.npz").read_bytes())
    first_bob = folds.fold_bases(paths, ["bob"], epochs=1, **kw)["bob"]
    said.clear()
    now = folds.fold_bases([str(renamed / "bob.npz"), str(renamed / "carol.npz")], ["bob"], epochs=1, **kw)["bob"]
    assert now != first_bob and said, said
    assert read_meta(now)["training"]["groups"] == ["carol"]


def test_each_judge_given_one_path_alone_reads_that_file(shared):
    """cross_validate, few_shot_cv, the stream benchmark, the vocabulary benchmark and its trunks' check given one path
    as a str (not a list): each reads that one person's file and says it needs more people, instead of taking each
    letter for a path ("/": the whole disk)."""
    import pytest

    from signlstm.errors import SignlstmError
    from signlstm.judging import streams, trunks, vocab
    from signlstm.judging.crossval import cross_validate
    from signlstm.judging.fewshot import few_shot_cv

    s02, o04 = str(shared("data", "signers", "s02.npz")), str(shared("data", "other_signs", "o04.npz"))
    for call, said in ((lambda: cross_validate(s02, epochs=1, progress=False), "at least 2 signers, the data has"),
                       (lambda: few_shot_cv(s02, shots=(1,), log=lambda m: None), "at least 2 signers, the data has"),
                       (lambda: streams.benchmark(s02, o04, log=lambda m: None), "at least 2 people in --data"),
                       (lambda: vocab.run(str(shared("data", "vocab", "s23.npz")), adapt_runs=0, log=lambda m: None),
                        "s23 is the only person given"),
                       (lambda: trunks.check_trunk_inputs(str(shared("data", "vocab", "s23.npz")), held_out="s23"),
                        "--held-out s23: the only person in the data")):
        with pytest.raises(SignlstmError, match=said):
            call()


def test_a_cache_that_cannot_hold_the_bases_is_refused_before_any_base_is_trained(shared, tmp_path):
    """``--cache`` naming a file: one line naming it and why, before a base is trained."""
    from signlstm.errors import BadInput

    people = [_person(tmp_path / f"{p}.npz", shared("data", "signers", f"{s}.npz"), np.arange(0, 90, 10))
              for p, s in (("alice", "s02"), ("bob", "s03"))]
    (tmp_path / "cache").write_text("not a folder")
    with pytest.raises(BadInput, match=r"cache/bases/default-s0-\w+: cannot be made: .*cache is not a folder"):
        folds.fold_bases(people, ["alice"], epochs=1, workers=1, cache=tmp_path / "cache", log=lambda *a: None)


def test_two_commands_asking_for_one_base_at_once_train_it_once(shared, tmp_path):
    """Two processes (two judges run at once on one cache) ask for the same base together: one trains it, the other
    waits and then takes it as made ("trained by another command meanwhile"), instead of training it a second time
    and swapping its folder under the first one's feet."""
    from signlstm.conftest import made_once_by_two
    from signlstm.models.bundle import read_meta

    paths = [str(_person(tmp_path / f"{p}.npz", shared("data", "signers", f"{s}.npz"), np.r_[0:2, 30:32, 60:62]))
             for p, s in (("alice", "s02"), ("bob", "s03"))]
    script = ("from signlstm.judging.folds import fold_bases\n"
              f"print(fold_bases({paths!r}, ['alice'], epochs=1, workers=1, cache={str(tmp_path / 'cache')!r},\n"
              "                 log=lambda m: print(m, flush=True))['alice'])\n")
    said = made_once_by_two(script, "training 1 base model(s)", timeout=600)
    assert (tmp_path / "cache").is_dir()
    assert read_meta(said[-1])["training"]["held_out"] == "alice"
