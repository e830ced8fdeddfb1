"""Leave-one-signer-out cross-validation (``signlstm judge cv``).

For every signer: train on all the other signers, test on that one, for every recipe and seed asked, in parallel
worker processes. Nothing of the test signer reaches training: its sequences are removed before the audit fixes are
made (``--fixes audit`` audits the training signers only), before negatives are added (synthetic no-hand windows
are made from the training signers; recorded other signs of the same person, e.g. ``other_signs/s23``, are held out
with them), and no recipe normalises with data statistics or stops early on held-out data (the default recipe
normalises per window inside the model; the tutorial stops on its own training loss).

Scores: per signer and per signer+label accuracy on the labels as recorded (the raw score), and the
consistent-gesture score over the signer+label cells that ``cells.json`` beside the data (the machine-readable
``VARIANTS.md``) assigns to a common gesture (:mod:`signlstm.judging.cells`). With negatives, held-out people's other signs measure the rejection rate.
"""
from __future__ import annotations

import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from .. import parallel
from ..files import cache_dir, write_text
from ..outputs import check_writable_folder
from ..sign_names import NONE
from ..recognizer import decide
from .folds import FOLD_AUDIT_SPLITS, check_distinct_people, check_fold_audit, fold_fixes, result_made_once

COLLAPSE_SHARE = 0.9  # a run that gives one sign label to at least this share of its test sequences has collapsed
HAND_BANDS = (0.0, 0.3, 0.7, 1.01)  # consistent cells scored by share of frames with a detected hand
TUTORIAL_EPOCHS = 30  # default cap of the tutorial recipe's 500 epochs in cross-validation
PRIOR_SHIFTS = (-1.0, 0.0, 1.0, 2.0)  # extra lowering of the none logit for the reported trade-off
GOOD = 0.95  # a signer scored at or above this (consistent-gesture score, accuracy) is counted as at target

_STATE: dict = {}


def _init_worker(data_paths, negative_paths, length, parts=None):
    """Load the data once per worker process (every fold reads it): the keypoint ``parts`` the folds' recipes read
    (None: whole frames, which the audit's features read) as float16, half of float32, the precision
    ``../shared``'s files are stored in; each recipe is given them as float32 batches."""
    import warnings

    warnings.filterwarnings("ignore")
    from ..datasets import load

    _STATE["data"] = load(data_paths, length=length, dtype=np.float16, parts=parts)
    _STATE["neg"] = (load(negative_paths, length=length or _STATE["data"].seq_len, dtype=np.float16, parts=parts)
                     if negative_paths else None)
    _STATE["audit_feats"] = None


def _people(paths, actions, length, skip_bad) -> tuple[list[str], int, int]:
    """(the people, the sequence length, the sequences declared) of the data at ``paths``, read a chunk at a time,
    its files and labels checked as loading them checks them (:func:`signlstm.datasets.load`)."""
    from ..datasets import check_rejection_labels, open_sources, stream

    sources = open_sources(paths, actions, length, skip_bad)
    check_rejection_labels(sources, actions)
    people = set()
    for part in stream(paths, actions, length, skip_bad, sources=sources):
        people.update(part.groups.tolist())
    return sorted(people), sources[0].seq_len, sum(s.count for s in sources)


def held_out_negatives(signers: list[str], neg_groups: list[str]) -> dict[str, list[str]]:
    """Which negative people are held out with each test signer: the same person if present (s23), the others
    spread round-robin over the remaining folds, so every negative person is tested on by models that never saw them."""
    out = {s: [s] if s in neg_groups else [] for s in signers}
    others = [g for g in neg_groups if g not in signers]
    free = [s for s in signers if not out[s]] or list(signers)
    for k, s in enumerate(free):
        if others:
            out[s].append(others[k % len(others)])
    return out


def _fold_fixes(signer: str):
    """Audit the training signers of one fold (never the test signer) -> list of fix rows."""
    from .audit import data_features

    data = _STATE["data"]
    if _STATE["audit_feats"] is None:
        _STATE["audit_feats"] = data_features(data)
    return signer, fold_fixes(data, signer, feats=_STATE["audit_feats"])


def _run_fold(task):
    """Train one recipe/seed without ``signer``, test on ``signer``: predictions and timings."""
    import keras

    from ..datasets.training_sets import no_hand_windows, training_set
    from ..layout import hand_share
    from ..models import recipes
    from ..models.training import fit

    arch, seed, signer, epochs, fixes, neg_test = task
    data, neg = _STATE["data"], _STATE["neg"]
    test = data.subset(data.groups == signer)
    # The held-out people: the test signer and the negative people tested with them.
    train = training_set(data, fixes=fixes, negatives=neg, held_out=[signer, *neg_test], seed=seed)
    recipe = recipes.get(arch)
    if recipe.augment is None and recipe.batch_size is None:
        # Whole batches of Keras' default 32 (drops < 32 random sequences) so the compiled step is reused.
        keep = np.random.default_rng(seed).permutation(len(train))[:len(train) - len(train) % 32]
        train = train.subset(np.sort(keep))
    t0 = time.perf_counter()
    keras.backend.clear_session()  # a fresh model per fold: its result never depends on the folds run before
    bundle = fit(train, recipe, epochs=epochs, seed=seed, progress=False, test_split=0.0)
    seconds = time.perf_counter() - t0
    labels = bundle.labels
    probs = bundle.predict(test.X)
    res = {"arch": arch, "seed": seed, "signer": signer, "epochs_cap": epochs, "true": test.labels.tolist(),
           "hands": hand_share(test.X).round(3).tolist(),
           "pred": decide(labels, probs).tolist(), "labels": labels, "probs": np.round(probs, 6).tolist(),
           "reject_bias": bundle.meta.get("reject_bias", 0.0),
           "seconds": seconds, "epochs_run": bundle.meta["training"]["epochs_run"], "train_sequences": len(train),
           "trained_on": sorted(set(train.groups.tolist())),
           "untrained": sorted(set(test.labels.tolist()) - set(train.labels.tolist())),
           "parameters": int(bundle.model.count_params())}
    if neg is not None:
        nh = no_hand_windows(test, 1.0, seed)
        res["no_hand_none"] = float((decide(labels, bundle.predict(nh.X)) == NONE).mean())
        held = neg.subset(np.isin(neg.groups, neg_test))
        if len(held):
            neg_probs = bundle.predict(held.X)
            res["neg_groups"] = held.groups.tolist()
            res["neg_pred"] = decide(labels, neg_probs).tolist()
            res["neg_probs"] = np.round(neg_probs, 6).tolist()
    return res


def _made_fold(job):
    """One fold (``job``: a :func:`_run_fold` task and the cache file of its result, or None), its result written
    there while this process holds the lock of :func:`~signlstm.judging.folds.made_once`: a command run at the same
    time on the same cache waits for it and takes the result instead of training the fold again. Returns (the
    result, whether another command made it meanwhile)."""
    task, out = job
    return (_run_fold(task), False) if out is None else result_made_once(out, lambda: _run_fold(task))


def collapsed(pred: list[str]) -> bool:
    """One sign label for nearly every test sequence. Rejecting (``none``) is not counted: a signer whose hands are
    missing in most frames (renotte) is meant to be rejected; that shows as 'real signs rejected'."""
    signs = [p for p in pred if p != NONE]
    if not pred or not signs:
        return False
    vals, counts = np.unique(signs, return_counts=True)
    return counts.max() >= COLLAPSE_SHARE * len(pred)


def learnable(result: dict) -> tuple[dict, dict[str, int]]:
    """A fold's result with the held-out person's recordings of signs its training set holds none of (no one else
    recorded them, so the fold could not learn them: ``untrained``) left out, and how many of each were left out."""
    untrained = set(result.get("untrained", ()))
    keep = [i for i, t in enumerate(result["true"]) if t not in untrained]
    if len(keep) == len(result["true"]):
        return result, {}
    left: dict[str, int] = {}
    for t in result["true"]:
        if t in untrained:
            left[t] = left.get(t, 0) + 1
    kept = {**result, **{key: [result[key][i] for i in keep] for key in ("true", "pred", "hands", "probs")
                         if key in result}}
    return kept, left


def summarize(results: list[dict], cells, archs: list[str] | None = None) -> dict:
    """Per recipe: per-signer and per-cell accuracy (means over seeds), raw and consistent-gesture scores
    (``cells``: :class:`signlstm.judging.cells.Cells`). A held-out person's signs that no one else recorded are
    left out (:func:`learnable`), named in ``unlearnable`` (person -> sign -> recordings)."""
    out = {}
    for arch in archs or dict.fromkeys(r["arch"] for r in results):
        rs, unlearnable = [], {}
        for r in (r for r in results if r["arch"] == arch):
            kept, left = learnable(r)
            rs.append(kept)
            if left:
                unlearnable[r["signer"]] = left
        flags = defaultdict(list)  # (signer, label) -> correct flags over all seeds
        per_seed = defaultdict(lambda: {"all": [], "cons": []})
        for r in rs:
            for t, p in zip(r["true"], r["pred"]):
                ok = t == p
                flags[(r["signer"], t)].append(ok)
                per_seed[r["seed"]]["all"].append(ok)
                if cells.is_consistent(r["signer"], t):
                    per_seed[r["seed"]]["cons"].append(ok)
        signers = sorted({s for s, _ in flags})
        labels = list(dict.fromkeys(t for r in rs for t in r["true"]))
        table = {}
        for s in signers:
            row = {a: float(np.mean(flags[(s, a)])) for a in labels if (s, a) in flags}
            allc = [ok for a in labels for ok in flags.get((s, a), [])]
            cons = [ok for a in labels if cells.is_consistent(s, a) for ok in flags.get((s, a), [])]
            row["all"] = float(np.mean(allc))
            row["consistent"] = float(np.mean(cons)) if cons else None
            table[s] = row
        raw_pooled = float(np.mean([ok for v in flags.values() for ok in v]))
        cons_flags = [ok for (s, a), v in flags.items() if cells.is_consistent(s, a) for ok in v]
        cons_signers = {s: row["consistent"] for s, row in table.items() if row["consistent"] is not None}
        summary = {
            "table": table,
            "labels": labels,
            "raw": {"pooled": raw_pooled, "mean_per_signer": float(np.mean([r["all"] for r in table.values()]))},
            "consistent": {
                "pooled": float(np.mean(cons_flags)) if cons_flags else None,
                "mean_per_signer": float(np.mean(list(cons_signers.values()))) if cons_signers else None,
                "min_signer": min(cons_signers.items(), key=lambda kv: kv[1]) if cons_signers else None,
                "signers_at_target": sum(v >= GOOD for v in cons_signers.values()),
                "signers": len(cons_signers), "sequences_per_seed": len(cons_flags) // max(len(per_seed), 1),
            },
            "per_seed": {int(k): {"raw": float(np.mean(v["all"])),
                                  "consistent": float(np.mean(v["cons"])) if v["cons"] else None}
                         for k, v in sorted(per_seed.items())},
            "collapsed": [(r["signer"], r["seed"]) for r in rs if collapsed(r["pred"])],
            "runs": len(rs),
            "fold_seconds": {"mean": float(np.mean([r["seconds"] for r in rs])),
                             "max": float(np.max([r["seconds"] for r in rs]))},
            "epochs_run": {"min": int(min(r["epochs_run"] for r in rs)), "max": int(max(r["epochs_run"] for r in rs))},
            "parameters": rs[0]["parameters"],
            "unlearnable": unlearnable,
        }
        summary["collapse_share"] = COLLAPSE_SHARE
        real_none = [p == NONE for r in rs for p in r["pred"]]
        summary["real_signs_rejected"] = float(np.mean(real_none))
        summary["rejected_per_signer"] = {s: float(np.mean([p == NONE for r in rs if r["signer"] == s
                                                            for p in r["pred"]])) for s in signers}
        cons_none = [p == NONE for r in rs for t, p in zip(r["true"], r["pred"]) if cells.is_consistent(r["signer"], t)]
        summary["consistent_rejected"] = float(np.mean(cons_none)) if cons_none else 0.0
        if all("hands" in r for r in rs):
            summary["by_hands"] = by_hands(rs, cells)
        if any("neg_pred" in r for r in rs):
            by_group = defaultdict(list)
            for r in rs:
                for g, p in zip(r.get("neg_groups", []), r.get("neg_pred", [])):
                    by_group[g].append(p == NONE)
            summary["rejection"] = {
                "other_signs": float(np.mean([ok for v in by_group.values() for ok in v])),
                "per_person": {g: float(np.mean(v)) for g, v in sorted(by_group.items())},
                "no_hand_windows": float(np.mean([r["no_hand_none"] for r in rs])),
            }
            if all("probs" in r and "neg_probs" in r for r in rs if "neg_pred" in r):
                summary["prior_tradeoff"] = prior_tradeoff(rs, cells)
        out[arch] = summary
    return out


def by_hands(rs: list[dict], cells) -> list[dict]:
    """Consistent-cell test windows grouped by the share of their frames with a detected hand: how many, accuracy,
    and how many were answered ``none`` (a window without hands is rejected by design)."""
    rows = []
    for lo, hi in zip(HAND_BANDS[:-1], HAND_BANDS[1:]):
        hit = [(t, p) for r in rs for t, p, h in zip(r["true"], r["pred"], r["hands"])
               if cells.is_consistent(r["signer"], t) and lo <= h < hi]
        rows.append({"from": lo, "to": min(hi, 1.0), "windows": len(hit),
                     "accuracy": float(np.mean([t == p for t, p in hit])) if hit else None,
                     "rejected": float(np.mean([p == NONE for _, p in hit])) if hit else None})
    return rows


def prior_tradeoff(rs: list[dict], cells) -> list[dict]:
    """What lowering the ``none`` logit further (or less) would have given, from the folds' probabilities:
    consistent-gesture score, other signs rejected, consistent sign windows rejected, per total bias."""
    rows = []
    for shift in PRIOR_SHIFTS:
        cons, cons_none, neg_none = [], [], []
        for r in rs:
            pred = decide(r["labels"], r["probs"], shift)
            for t, p in zip(r["true"], pred):
                if cells.is_consistent(r["signer"], t):
                    cons.append(t == p)
                    cons_none.append(p == NONE)
            if r.get("neg_probs"):
                neg_none += (decide(r["labels"], r["neg_probs"], shift) == NONE).tolist()
        rows.append({"reject_bias": float(np.mean([r["reject_bias"] for r in rs])) + shift,
                     "consistent": float(np.mean(cons)) if cons else None,
                     "other_signs_rejected": float(np.mean(neg_none)) if neg_none else None,
                     "consistent_rejected": float(np.mean(cons_none)) if cons_none else None})
    return rows


def cross_validate(data_paths, archs=("default",), seeds=(0,), epochs: int | None = None, workers: int = 0,
                   ray: str | None = None, fixes=None, negatives=None, length: int | None = None,
                   tutorial_epochs: int | None = None, tutorial_seeds=None, actions=None, skip_bad: bool = False,
                   progress: bool = True, cache=None) -> tuple[list[dict], list[str], list[str]]:
    """Every (recipe, seed, held-out signer) fold, in worker processes: (fold results, recipes, header lines). With
    ``cache`` (a folder), each fold's result is kept there under a hash of the data files' content, the options and
    the training code, and a rerun trains only the folds it lacks; a fold that another command on the same cache is
    training meanwhile is waited for and its result taken (:func:`_made_fold`), not trained twice."""
    from tqdm.auto import tqdm

    from .. import layout, limits
    from ..datasets import path_list
    from ..datasets.dataset import columns
    from ..errors import SignlstmError
    from ..datasets.fixes import read_fixes
    from ..models import recipes
    from .folds import fixes_caveat

    data_paths, negatives = path_list(data_paths), negatives and path_list(negatives)
    check_distinct_people([*data_paths, *(negatives or [])])  # before anything else is read
    workers = workers or os.cpu_count() or 1
    archs = list(dict.fromkeys(archs))
    # what the workers hold: the parts the recipes read, or whole frames for the audit's features
    parts = None if fixes == "audit" else sorted({p for a in archs for p in recipes.get(a).parts_read})
    signers, seq_len, sequences = _people(data_paths, actions, length, skip_bad)
    if len(signers) < 2:
        raise SignlstmError(f"cross-validation needs at least 2 signers, the data has {signers}")
    if fixes == "audit":
        check_fold_audit(len(signers))
    neg_groups, _, neg_sequences = _people(negatives, None, seq_len, False) if negatives else ([], 0, 0)
    neg_test = held_out_negatives(signers, neg_groups)
    tut_cap = tutorial_epochs or TUTORIAL_EPOCHS
    epochs_of = {a: (epochs if a != "tutorial" else min(epochs or tut_cap, tut_cap)) for a in archs}
    header = [f"leave-one-signer-out cross-validation: {len(signers)} signers x seeds {list(seeds)} x "
              f"recipes {archs}, {workers} worker process(es)" + (f" on Ray ({ray})" if ray else "")]
    if "tutorial" in archs and tutorial_seeds:
        header.append(f"tutorial recipe seeds: {list(tutorial_seeds)}")
    if "tutorial" in archs:
        header.append(f"tutorial recipe capped at {epochs_of['tutorial']} epochs per fold for time (its own maximum "
                      "is 500, with early stopping on training loss); its training folds are trimmed to whole "
                      "batches of 32")
    fixes_note = "labels as recorded"
    if fixes == "audit":
        fixes_note = ("audit fixes made per fold from the training signers only (signlstm audit with "
                      f"{FOLD_AUDIT_SPLITS} signer-grouped folds, cleanlab)")
    elif fixes:
        fixes_note = fixes_caveat(fixes)
    header.append(f"training folds: {fixes_note}; "
                  + (f"negatives {', '.join(neg_groups)} as '{NONE}' (held-out people's negatives excluded) plus "
                     "no-hand windows of the training signers" if neg_groups else "no negatives"))
    header.append("test folds: every sequence of the held-out signer with its label as recorded")
    # Slow recipes first so the workers stay busy to the end.
    order = sorted(archs, key=lambda a: a != "tutorial")
    seeds_of = {a: (tutorial_seeds or seeds) if a == "tutorial" else seeds for a in archs}
    folds = [(a, seed, s, epochs_of[a]) for a in order for seed in seeds_of[a] for s in signers]
    kept, folder = {}, None
    if cache is not None:
        folder = fold_results_folder(cache, data_paths, negatives, fixes, length, actions, skip_bad)
        kept = {f: json.loads(p.read_text()) for f in folds if (p := folder / _result_name(f)).is_file()}
        if kept:
            header.append(f"{len(kept)} of {len(folds)} fold result(s) reused from {folder}")
    todo = [f for f in folds if f not in kept]
    if folder is not None and todo:  # a cache no result could be written to, said before any fold is trained
        check_writable_folder(folder)
    # the workers that start (one per fold to run, at most --workers) each hold the data and the negatives: on this
    # machine with a local Ray instance too (its --workers cores run a worker each); a cluster's are on its machines
    audits = len({s for _, _, s, _ in todo}) if fixes == "audit" else 0
    cols = columns(parts)
    limits.check_held(", ".join(map(str, [*data_paths, *(negatives or [])])), sequences + neg_sequences, seq_len,
                      layout.FRAME_SIZE if cols is None else len(cols), np.float16,
                      workers=1 if ray and ray != "local" else min(workers, max(len(todo), audits)))
    init = (list(map(str, data_paths)), list(map(str, negatives or [])), length, parts)
    fold_fixes = {s: None for s in signers}
    if fixes == "audit":  # each fold's audit, for the held-out people of the folds to train
        audited = sorted({s for _, _, s, _ in todo})
        for s, fx in tqdm(parallel.map_tasks(_fold_fixes, audited, workers, ray, _init_worker, init, ordered=False),
                          total=len(audited), desc="audit folds", file=sys.stderr, disable=not progress):
            fold_fixes[s] = fx
    elif fixes:
        rows = read_fixes(fixes)
        fold_fixes = {s: rows for s in signers}
    jobs = [((a, seed, s, ep, fold_fixes[s], neg_test[s]), None if folder is None else str(folder / _result_name(
        (a, seed, s, ep)))) for a, seed, s, ep in todo]
    results, by_another = list(kept.values()), 0
    for r, another in tqdm(parallel.map_tasks(_made_fold, jobs, workers, ray, _init_worker, init, ordered=False),
                           total=len(jobs), desc="folds", unit="fold", file=sys.stderr, disable=not progress):
        results.append(r)
        by_another += another
        out = folder and folder / _result_name((r["arch"], r["seed"], r["signer"], r["epochs_cap"]))
        if out and not out.is_file():  # a Ray cluster's worker wrote it on its own machine's disk
            write_text(out, json.dumps(r))
    if by_another:
        header.append(f"{by_another} of {len(folds)} fold result(s) trained by another command meanwhile, taken "
                      f"from {folder}")
    return results, archs, header


# The code a fold's result depends on beyond its model's training (paths relative to the package).
SCORING_CODE = ("judging/crossval.py", "judging/folds.py", "recognizer.py", "models/bundle.py")


def fold_results_folder(cache, data_paths, negatives, fixes, length, actions, skip_bad) -> Path:
    """Where :func:`cross_validate` keeps its fold results: a folder of the cache named by a hash of the data files'
    content and paths (a tree's signs and people are its folders' names; the negatives', the fixes file's too), the
    options that shape the data, and the code that trains and scores a fold."""
    from .folds import AUDIT_CODE, TRAINING_CODE, content_key, data_files

    fix_files = [fixes] if fixes and fixes != "audit" else []
    files = data_files(data_paths) + data_files(negatives) + fix_files
    key = content_key(length, actions, skip_bad, fixes == "audit", negatives is not None,
                      [os.path.abspath(f) for f in files], files=files,
                      code=TRAINING_CODE + SCORING_CODE + (AUDIT_CODE if fixes == "audit" else ()))
    return cache_dir(cache) / "cv" / key


def _result_name(fold: tuple) -> str:
    arch, seed, signer, epochs = fold
    return f"{arch}-s{seed}-e{epochs}-{signer}.json"
