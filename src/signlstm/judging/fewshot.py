"""Few-shot cross-validation by signer: how well does ``adapt`` fit a person it has never seen from K recordings?

For every signer: a base model is trained on all the OTHER signers (the default recipe; cached on disk, so a rerun
only adapts), K sequences per action of the held-out signer are drawn at random (seeded), the base is adapted on them
(:func:`signlstm.models.adapt.adapt`) and tested on the rest of that signer's sequences, labels as recorded. Beside it,
the tutorial recipe is trained from scratch on the same K sequences. Folds run in parallel worker processes.

A third figure bounds what any adaptation of that base can do for the signer: ``own`` is the accuracy of a logistic
regression on the base's frozen features (where ``adapt`` cuts the network) trained on 4/5 of the signer's own
sequences and tested on the other 1/5 (stratified 5-fold, fewer folds when an action has fewer than 5 recordings:
24 shots per action for 30 recordings; signs only, no ``none``). A
signer low there is limited by their recordings (gestures that are the same under two labels, hands undetected), not
by the number of shots.

``signlstm judge fewshot`` runs :func:`few_shot_cv`; :func:`signlstm.judging.fewshot_report.format_fewshot` prints
it.
"""
from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

import numpy as np

from .. import parallel
from ..datasets import packed_files
from ..files import write_text
from ..outputs import check_writable_folder
from ..recognizer import decide
from .folds import by_person, content_key, fold_bases, result_made_once

# ---------------------------------------------------------------------------------------------------------------- folds

def run_fold(task: dict) -> dict:
    """One held-out signer: adapt its base on K shots (for every K), and train the tutorial recipe from scratch on
    the same shots; test both on the signer's other sequences. The signer's recordings are read here, from their
    ``files``, under the labels ``mapping`` gives them (:func:`~signlstm.judging.labels.match_labels`), and held once:
    the test recordings are scored a chunk at a time, not copied."""
    import keras

    from ..datasets import load, open_sources
    from ..models.adapt import adapt, choose_shots
    from ..models.bundle import load_bundle
    from ..models.training import fit

    from .labels import none_left, renamed

    signer, seed = task["signer"], task["seed"]
    sources = open_sources(task["files"])  # only the labels the base knows are read, in the files' order
    kept = list(dict.fromkeys(a for src in sources for a in src.actions if a in task["mapping"]))
    data = renamed(load(task["files"], actions=kept, sources=sources), task["mapping"])
    out = {"signer": signer, "seed": seed, "n": len(data), "k": {}}
    for k in task["shots"]:
        pick = choose_shots(data, k, seed)
        rest = np.setdiff1d(np.arange(len(data)), pick)
        if not len(rest):  # K shots of each sign use every recording: not measured at this K
            counts = {a: int((data.labels == a).sum()) for a in data.actions if (data.labels == a).any()}
            out["k"][k] = {"na": none_left(counts, k), "test": 0, "support": int(len(pick))}
            continue
        truth = data.labels[rest]
        base = load_bundle(task["base"])
        if "base_acc" not in out:  # on the test recordings of the first K that leaves any
            p = decide(base.labels, data.apply(base.predict, rest))
            out["base_acc"] = float((p == truth).mean())
            out["own_acc"] = within_signer_accuracy(base, data, seed)
        t0 = time.perf_counter()
        b = adapt(base, data, shots=k, seed=seed, method=task["method"])
        secs = time.perf_counter() - t0
        pred = decide(b.labels, data.apply(b.predict, rest))
        row = {"acc": float((pred == truth).mean()), "seconds": secs, "test": len(rest),
               "support": int(len(pick)), "errors": _errors(truth, pred)}
        if task["tutorial"] and len(set(data.labels[pick].tolist())) > 1:  # (it learns two signs at least)
            keras.backend.clear_session()
            t0 = time.perf_counter()
            tb = fit(data.subset(pick), "tutorial", epochs=task["tutorial_epochs"], seed=seed, progress=False,
                     test_split=0.0)
            row["tutorial_seconds"] = time.perf_counter() - t0
            tp = decide(tb.labels, data.apply(tb.predict, rest))
            row["tutorial_acc"] = float((tp == truth).mean())
            row["tutorial_epochs"] = tb.meta["training"]["epochs_run"]
        out["k"][k] = row
        keras.backend.clear_session()
    return out


def within_signer_accuracy(base, data, seed: int = 0, folds: int = 5) -> float:
    """Stratified ``folds``-fold accuracy of a logistic regression on ``base``'s frozen features of one signer's
    sequences (its signs only): how well those features separate the signer's own labels given most of them."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from ..models.cut import trunk_forward

    counts = [int((data.labels == a).sum()) for a in set(data.labels.tolist())]
    folds = min([folds] + counts)
    if folds < 2 or len(counts) < 2:
        return float("nan")  # too few sequences of some action to hold any out
    features = trunk_forward(base.model, chunk=128)(data.X)
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000))
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    return float(cross_val_score(clf, features, data.labels, cv=cv).mean())


def _errors(truth, pred) -> dict:
    """true -> predicted -> count, for the wrong predictions."""
    err: dict = {}
    for t, p in zip(truth.tolist(), pred.tolist()):
        if t != p:
            err.setdefault(t, {}).setdefault(p, 0)
            err[t][p] += 1
    return err


def timed_k(shots) -> int:
    """The K whose adaptation is timed by default: 5 when it is among ``shots``, else the largest measured."""
    return 5 if 5 in shots else max(shots)


def few_shot_cv(paths, shots=(1, 3, 5), seed: int = 0, workers: int = 0, cache=None, ray: str | None = None,
                recipe: str = "default", epochs: int | None = None, negatives=None, fixes=None,
                tutorial: bool = True, tutorial_epochs: int | None = None, method: str = "top",
                time_k: int | str | None = "auto", signers=None, base=None, log=print) -> dict:
    """Few-shot leave-one-signer-out cross-validation; see the module docstring. Returns per-signer results.
    ``time_k``: the K whose `signlstm adapt` is timed (``"auto"``: :func:`timed_k` of ``shots``; None: no timing).
    ``base``: one ready model adapted to every signer instead of fold bases (e.g. the shipped model, for people it
    never saw; a signer it was trained on is refused)."""
    from ..datasets import open_sources, path_list
    from ..errors import SignlstmError
    from ..files import cache_dir
    from ..models.bundle import read_meta
    from .folds import check_distinct_people, check_lengths, check_unseen
    from .labels import match_labels

    paths, negatives = path_list(paths), negatives and path_list(negatives)
    t_start = time.perf_counter()
    shots = sorted(set(int(k) for k in shots))
    time_k = timed_k(shots) if time_k == "auto" else time_k
    files = _signer_files(paths)  # two people's files of one name refused before anything is read
    check_distinct_people([*paths, *(negatives or [])])  # one person under two names, refused as well
    sources = open_sources(paths)  # headers only: each fold reads its own person's recordings
    held: dict[str, list[str]] = {}  # person -> the files of their recordings
    declared: dict[str, Counter] = {}  # person -> recordings per label
    for src in sources:
        held.setdefault(src.group, []).append(str(src.path))
        declared.setdefault(src.group, Counter()).update(src.label_counts)
    all_signers = sorted(held)
    signers = [s for s in (signers or all_signers)]
    if base is None:  # fold bases learn the data's own labels: checked before any is trained (it may take hours)
        _check_measurable(_counts(declared, signers), shots)
    if base is not None:
        check_unseen(base, signers, "--shipped")
        bases = {s: Path(base) for s in signers}
        check_lengths([(src.group, src.path) for src in sources], bases)  # before any work, naming the file
    elif len(all_signers) < 2:
        raise SignlstmError(f"few-shot cross-validation needs at least 2 signers, the data has {all_signers}")
    else:
        bases = fold_bases(paths, signers, recipe, epochs, seed, negatives, fixes, workers, ray, cache, log)
    t_bases = time.perf_counter() - t_start
    # the data's labels as the bases name them; recordings of none and of signs they do not know left out, said
    meta = read_meta(bases[signers[0]])
    mapping, signers, notes = match_labels(_counts(declared, signers), meta["labels"], meta.get("reject_label"))
    _check_measurable(_counts(declared, signers, mapping), shots)  # again, on the labels the bases know
    notes += _untested_notes(_counts(declared, signers, mapping), shots)
    if tutorial:
        notes += _one_sign_notes(_counts(declared, signers, mapping))
    unused = [o for o, given in (("--arch", recipe != "default"), ("--epochs", epochs is not None),
                                 ("--negatives", negatives), ("--fixes", fixes)) if given]
    if base is not None and unused:
        notes.append(f"note: {', '.join(unused)} not used: they make fold bases, and a ready model is adapted "
                     "instead")
    # Fold results are cached beside the bases (a ready base's in the cache folder), keyed by everything that makes
    # them (and the adaptation code).
    key = content_key(shots, seed, method, tutorial, tutorial_epochs, str(base),
                      files=sorted(Path(base).iterdir()) if base is not None else (),  # weights, stored features
                      code=("models/adapt.py", "judging/fewshot.py", "judging/labels.py"))
    home = cache_dir(cache) / "fewshot" if base is not None else Path(bases[signers[0]]).parent
    fold_dir = home / "folds" / key
    results, tasks = [], []
    for s in signers:
        f = fold_dir / f"{s}.json"
        if f.exists():
            results.append(_from_json(json.loads(f.read_text())))
        else:
            tasks.append(dict(files=held[s], mapping=mapping, signer=s, seed=seed, shots=shots,
                              base=str(bases[s]), method=method, tutorial=tutorial, tutorial_epochs=tutorial_epochs))
    if results:
        log(f"{len(results)} fold result(s) reused from {fold_dir}")
    if tasks:
        check_writable_folder(fold_dir)  # before any signer is adapted
    log(f"adapting {len(tasks)} signer(s) x K={shots}" + (" + tutorial from scratch" if tutorial else ""))
    t0 = time.perf_counter()
    jobs = [(task, str(fold_dir / f"{task['signer']}.json")) for task in tasks]
    for r, seconds in parallel.map_tasks(_made_fold, jobs, workers=workers, ray=ray, ordered=False):
        results.append(r)
        if not (out := fold_dir / f"{r['signer']}.json").is_file():  # a Ray cluster's worker wrote it on its own disk
            write_text(out, json.dumps(r, default=str))
        done = "trained by another command meanwhile" if seconds is None else f"{seconds:.0f} s"
        log(f"  {r['signer']}: {done} ({time.perf_counter() - t0:.0f} s elapsed)")
    results.sort(key=lambda r: r["signer"])
    t_folds = time.perf_counter() - t0

    # The user's view of speed: `signlstm adapt --shots K` in a fresh process, one at a time (nothing else of ours
    # running), on the signer's own packed file.
    if time_k:
        import tempfile

        log(f"timing `signlstm adapt --shots {time_k}` in a fresh process per signer")
        with tempfile.TemporaryDirectory() as tmp:
            for r in results:
                f = files.get(r["signer"])
                if f is not None:
                    r["cli_seconds"] = parallel.command_seconds(
                        ["adapt", "--model", bases[r["signer"]], "--data", f, "--shots", time_k, "--seed", seed,
                         "--out", Path(tmp) / r["signer"]])
    return {"results": results, "shots": shots, "seed": seed, "method": method, "recipe": recipe, "notes": notes,
            "cache": str(home), "base": str(base) if base is not None else None, "time_k": time_k,
            "seconds": {"bases": t_bases, "folds": t_folds, "total": time.perf_counter() - t_start},
            "load": os.getloadavg()}


def _made_fold(job) -> tuple[dict, float | None]:
    """:func:`run_fold` of ``job`` (a task and the cache file of its result), the result written there while this
    process holds the lock of :func:`~signlstm.judging.folds.made_once`: a command run at the same time on the same
    cache waits for it and takes the result instead of adapting again. Returns (the result, the seconds it took, or
    None when another command made it meanwhile)."""
    task, out = job
    t0 = time.perf_counter()
    result, by_another = result_made_once(out, lambda: run_fold(task), load=_from_json)
    return result, None if by_another else time.perf_counter() - t0


def _counts(declared: dict[str, Counter], signers, mapping: dict[str, str] | None = None) -> dict[str, dict[str, int]]:
    """Recordings per label of each of ``signers`` (``declared``: person -> their files' counts per label); with
    ``mapping``, of the labels it keeps, under their new names (:func:`~signlstm.judging.labels.renamed`)."""
    out = {}
    for s in signers:
        counts: Counter = Counter()
        for label, n in declared.get(s, {}).items():
            if n and (mapping is None or label in mapping):
                counts[label if mapping is None else mapping[label]] += int(n)
        out[s] = {str(a): n for a, n in sorted(counts.items())}
    return out


def _from_json(r: dict) -> dict:
    r["k"] = {int(k): v for k, v in r["k"].items()}
    return r


def _check_measurable(counts: dict, shots) -> None:
    """:class:`~signlstm.errors.SignlstmError` when no person (``counts``: person -> recordings per sign, recordings
    of the rejection label aside) has a recording left to test at any K of ``shots``."""
    from ..errors import SignlstmError
    from ..sign_names import is_rejection_name
    from .labels import none_left

    counts = {s: {a: n for a, n in c.items() if not is_rejection_name(a)} for s, c in counts.items()}
    if all(none_left(c, k) for c in counts.values() for k in shots):  # nobody measured at any K
        raise SignlstmError("too few recordings to measure: " + "; ".join(
            f"{s} has {none_left(c, shots[0])}" for s, c in counts.items()))


def _untested_notes(counts: dict, shots) -> list[str]:
    """A note for each person (``counts``: person -> recordings per sign) with signs that K shots use up (K or fewer
    recordings) at a K where their other signs are tested: those signs are in none of that K's test, so the person's
    figure there is of their other signs."""
    from .labels import none_left, used_up_note

    notes = (used_up_note(person, c, {k: [a for a, n in c.items() if n <= k] for k in shots if not none_left(c, k)})
             for person, c in counts.items())
    return [n for n in notes if n]


def _one_sign_notes(counts: dict) -> list[str]:
    """A note for each person (``counts``: person -> recordings per sign) who holds one sign the bases know: the
    tutorial recipe, trained from scratch on their shots, needs two signs to learn, so its column is n/a for them."""
    return [f"note: {person}: the tutorial recipe is n/a (only {next(iter(c))} of the signs the base knows; trained "
            "from scratch it needs two)" for person, c in counts.items() if len(c) == 1]


def _signer_files(paths) -> dict[str, str]:
    files = [f for p in map(Path, paths) for f in (packed_files(p) if p.is_dir() else [p] if p.suffix.lower() == ".npz"
                                                   else [])]
    return {name: str(f) for name, f in by_person(files).items()}
