"""Leave-one-signer-out cross-validation (``signlstm evaluate --cv signers``).

For every signer: train on all the other signers, test on that one, for every recipe and seed asked, in parallel
worker processes. Nothing of the test signer reaches training: its sequences are removed before the audit fixes are
made (``--fixes audit`` audits the training signers only), before negatives are added (synthetic no-hand windows
are made from the training signers; recorded other signs of the same person, e.g. ``other_signs/s23``, are held out
with them), and no recipe normalises with data statistics or stops early on held-out data (the default recipe
normalises per window inside the model; the tutorial stops on its own training loss).

Scores: per signer and per signer+label accuracy on the labels as recorded (the raw score), and the
consistent-gesture score over the signer+label cells :data:`CONSISTENT` that ``VARIANTS.md`` assigns to a common
gesture. With negatives, held-out people's other signs measure the rejection rate.
"""
from __future__ import annotations

import os
import sys
import time
from collections import defaultdict

import numpy as np

from ..datasets import NONE

# Signer+label cells whose recorded gesture is the common one, from ../shared/data/signers/VARIANTS.md ("DEV table"):
# cells assigned hello-A (any motion: A, A1, A2, A3, mixed), thanks-A, thanks-B, thanks-A/B or iloveyou-A, and not
# marked SWAP or unclear. Left out: renotte (all unclear), s06 thanks-C / iloveyou-B, s12 thanks-D / iloveyou-D,
# s16 thanks SWAP / iloveyou-B (swapped), s18 thanks partly SWAP / iloveyou-B, s21 thanks-C / iloveyou-C.
_ALL3 = ("hello", "thanks", "iloveyou")
CONSISTENT: dict[str, tuple[str, ...]] = {
    "s02": _ALL3, "s03": _ALL3, "s04": _ALL3, "s05": _ALL3, "s06": ("hello",), "s08": _ALL3, "s09": _ALL3,
    "s11": _ALL3, "s12": ("hello",), "s13": _ALL3, "s15": _ALL3, "s16": ("hello",), "s17": _ALL3,
    "s18": ("hello",), "s19": _ALL3, "s20": _ALL3, "s21": ("hello",), "s22": _ALL3, "s23": _ALL3, "s30": _ALL3,
    "s32": _ALL3,
}
TARGET_POOLED, TARGET_SIGNER = 0.99, 0.95  # issue 6 "done when"
COLLAPSE_SHARE = 0.9  # a run that gives one sign label to at least this share of its test sequences has collapsed
SYNTHETIC = 0.15  # no-hand windows per training sequence, as datasets.add_negatives
HAND_BANDS = (0.0, 0.3, 0.7, 1.01)  # consistent cells scored by share of frames with a detected hand
TUTORIAL_EPOCHS = 30  # default cap of the tutorial recipe's 500 epochs in cross-validation

_STATE: dict = {}


def is_consistent(signer: str, label: str) -> bool:
    return label in CONSISTENT.get(signer, ())


def _init_worker(data_paths, negative_paths, length):
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
    import signlstm  # noqa: F401  selects the backend
    import warnings

    warnings.filterwarnings("ignore")
    from ..datasets import load

    _STATE["data"] = load(data_paths, length=length)
    _STATE["neg"] = load(negative_paths, length=length or _STATE["data"].seq_len) if negative_paths else None
    _STATE["audit_feats"] = None


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
    from .audit import audit, pooled_features

    data = _STATE["data"]
    if _STATE["audit_feats"] is None:
        _STATE["audit_feats"] = pooled_features(data.X)
    keep = data.groups != signer
    train = data.subset(keep)
    return signer, audit(train, n_splits=5, feats=_STATE["audit_feats"][keep]).fixes


_MODELS: dict = {}
PREDICT_BATCH = 128


def _reusing(recipe):
    """The recipe with a builder that re-initialises one cached model per (recipe, classes, length) instead of
    building a new one, so a worker compiles the train and predict steps once, not once per fold. The fresh weights
    come from the recipe's own builder under the fold's seed; optimizer moments and step count are zeroed."""
    import dataclasses

    def build(n, t):
        fresh = recipe.build(n, t)
        key = (recipe.name, n, t)
        model = _MODELS.get(key)
        if model is None or not model.optimizer.built:
            _MODELS[key] = fresh
            return fresh
        model.set_weights(fresh.get_weights())
        for v in model.optimizer.variables:
            if not v.path.endswith("learning_rate"):
                v.assign(np.zeros(v.shape, v.dtype))
        return model

    return dataclasses.replace(recipe, build=build)


def _probs(bundle, X) -> np.ndarray:
    """Probabilities for X, padded to whole batches so the compiled predict step is reused."""
    n = len(X)
    pad = (-n) % PREDICT_BATCH
    Xp = np.concatenate([X, np.zeros((pad, *X.shape[1:]), X.dtype)]) if pad else X
    return np.asarray(bundle.model.predict(Xp, batch_size=PREDICT_BATCH, verbose=0))[:n]


def decide(labels: list[str], probs, lower: float = 0.0) -> np.ndarray:
    """Label per row of ``probs``; ``lower`` > 0 lowers the ``none`` logit by that much first (< 0 raises it)."""
    p = np.asarray(probs, np.float64).copy()
    if NONE in labels and lower:
        p[:, labels.index(NONE)] *= np.exp(-lower)
    return np.array(labels)[p.argmax(1)] if len(p) else np.array([], dtype=str)


PRIOR_SHIFTS = (-1.0, 0.0, 1.0, 2.0)  # extra lowering of the none logit for the reported trade-off


def _run_fold(task):
    """Train one recipe/seed without ``signer``, test on ``signer``: predictions and timings."""
    from ..models import recipes
    from .audit import apply_fixes
    from ..datasets import Dataset, concat, no_hand_windows
    from ..layout import hands_present
    from ..training import fit

    arch, seed, signer, epochs, fixes, neg_test = task
    data, neg = _STATE["data"], _STATE["neg"]
    train, test = data.subset(data.groups != signer), data.subset(data.groups == signer)
    if fixes:
        train = apply_fixes(train, fixes)
    labels = [a for a in data.actions if a != NONE]
    parts = [train]
    if neg is not None:
        nt = neg.subset(~np.isin(neg.groups, neg_test))
        parts.append(Dataset(nt.X, np.full(len(nt), NONE), nt.groups, nt.sources, [NONE]))
        parts.append(no_hand_windows(train, SYNTHETIC, seed))
    train = concat(parts, labels + ([NONE] if neg is not None else []))
    recipe = recipes.get(arch)
    if recipe.augment is None and recipe.batch_size is None:
        # Whole batches of Keras' default 32 (drops < 32 random sequences) so the compiled step is reused.
        keep = np.random.default_rng(seed).permutation(len(train))[:len(train) - len(train) % 32]
        train = train.subset(np.sort(keep))
    t0 = time.time()
    bundle = fit(train, _reusing(recipe), epochs=epochs, seed=seed, progress=False, test_split=0.0)
    seconds = time.time() - t0
    labels = bundle.labels
    probs = _probs(bundle, test.X)
    res = {"arch": arch, "seed": seed, "signer": signer, "true": test.labels.tolist(),
           "hands": hands_present(test.X).mean(1).round(3).tolist(),
           "pred": decide(labels, probs).tolist(), "labels": labels, "probs": np.round(probs, 6).tolist(),
           "reject_bias": bundle.meta.get("reject_bias", 0.0),
           "seconds": seconds, "epochs_run": bundle.meta["training"]["epochs_run"], "train_sequences": len(train),
           "parameters": int(bundle.model.count_params())}
    if neg is not None:
        nh = no_hand_windows(test, 1.0, seed)
        res["no_hand_none"] = float((decide(labels, _probs(bundle, nh.X)) == NONE).mean())
        held = neg.subset(np.isin(neg.groups, neg_test))
        if len(held):
            neg_probs = _probs(bundle, held.X)
            res["neg_groups"] = held.groups.tolist()
            res["neg_pred"] = decide(labels, neg_probs).tolist()
            res["neg_probs"] = np.round(neg_probs, 6).tolist()
    return res


def collapsed(pred: list[str]) -> bool:
    """One sign label for nearly every test sequence. Rejecting (``none``) is not counted: a signer whose hands are
    missing in most frames (renotte) is meant to be rejected; that shows as 'real signs rejected'."""
    signs = [p for p in pred if p != NONE]
    if not pred or not signs:
        return False
    vals, counts = np.unique(signs, return_counts=True)
    return counts.max() >= COLLAPSE_SHARE * len(pred)


def summarize(results: list[dict], archs: list[str] | None = None) -> dict:
    """Per recipe: per-signer and per-cell accuracy (means over seeds), raw and consistent-gesture scores."""
    out = {}
    for arch in archs or dict.fromkeys(r["arch"] for r in results):
        rs = [r for r in results if r["arch"] == arch]
        cells = defaultdict(list)  # (signer, label) -> correct flags over all seeds
        per_seed = defaultdict(lambda: {"all": [], "cons": []})
        for r in rs:
            for t, p in zip(r["true"], r["pred"]):
                ok = t == p
                cells[(r["signer"], t)].append(ok)
                per_seed[r["seed"]]["all"].append(ok)
                if is_consistent(r["signer"], t):
                    per_seed[r["seed"]]["cons"].append(ok)
        signers = sorted({s for s, _ in cells})
        labels = list(dict.fromkeys(t for r in rs for t in r["true"]))
        table = {}
        for s in signers:
            row = {a: float(np.mean(cells[(s, a)])) for a in labels if (s, a) in cells}
            allc = [ok for a in labels for ok in cells.get((s, a), [])]
            cons = [ok for a in labels if is_consistent(s, a) for ok in cells.get((s, a), [])]
            row["all"] = float(np.mean(allc))
            row["consistent"] = float(np.mean(cons)) if cons else None
            table[s] = row
        raw_pooled = float(np.mean([ok for v in cells.values() for ok in v]))
        cons_flags = [ok for (s, a), v in cells.items() if is_consistent(s, a) for ok in v]
        cons_signers = {s: row["consistent"] for s, row in table.items() if row["consistent"] is not None}
        summary = {
            "table": table,
            "labels": labels,
            "raw": {"pooled": raw_pooled, "mean_per_signer": float(np.mean([r["all"] for r in table.values()]))},
            "consistent": {
                "pooled": float(np.mean(cons_flags)) if cons_flags else None,
                "mean_per_signer": float(np.mean(list(cons_signers.values()))) if cons_signers else None,
                "min_signer": min(cons_signers.items(), key=lambda kv: kv[1]) if cons_signers else None,
                "signers_at_target": sum(v >= TARGET_SIGNER for v in cons_signers.values()),
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
        }
        c = summary["consistent"]
        summary["target_met"] = bool(c["pooled"] is not None and c["pooled"] >= TARGET_POOLED
                                     and c["signers_at_target"] == c["signers"] and not summary["collapsed"])
        real_none = [p == NONE for r in rs for p in r["pred"]]
        summary["real_signs_rejected"] = float(np.mean(real_none))
        summary["rejected_per_signer"] = {s: float(np.mean([p == NONE for r in rs if r["signer"] == s
                                                            for p in r["pred"]])) for s in signers}
        cons_none = [p == NONE for r in rs for t, p in zip(r["true"], r["pred"]) if is_consistent(r["signer"], t)]
        summary["consistent_rejected"] = float(np.mean(cons_none)) if cons_none else 0.0
        if all("hands" in r for r in rs):
            summary["by_hands"] = by_hands(rs)
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
                summary["prior_tradeoff"] = prior_tradeoff(rs)
        out[arch] = summary
    return out


def by_hands(rs: list[dict]) -> list[dict]:
    """Consistent-cell test windows grouped by the share of their frames with a detected hand: how many, accuracy,
    and how many were answered ``none`` (a window without hands is rejected by design)."""
    rows = []
    for lo, hi in zip(HAND_BANDS[:-1], HAND_BANDS[1:]):
        hit = [(t, p) for r in rs for t, p, h in zip(r["true"], r["pred"], r["hands"])
               if is_consistent(r["signer"], t) and lo <= h < hi]
        rows.append({"from": lo, "to": min(hi, 1.0), "windows": len(hit),
                     "accuracy": float(np.mean([t == p for t, p in hit])) if hit else None,
                     "rejected": float(np.mean([p == NONE for _, p in hit])) if hit else None})
    return rows


def prior_tradeoff(rs: list[dict]) -> list[dict]:
    """What lowering the ``none`` logit further (or less) would have given, from the folds' probabilities:
    consistent-gesture score, other signs rejected, consistent sign windows rejected, per total bias."""
    rows = []
    for shift in PRIOR_SHIFTS:
        cons, cons_none, neg_none = [], [], []
        for r in rs:
            pred = decide(r["labels"], r["probs"], shift)
            for t, p in zip(r["true"], pred):
                if is_consistent(r["signer"], t):
                    cons.append(t == p)
                    cons_none.append(p == NONE)
            if r.get("neg_probs"):
                neg_none += (decide(r["labels"], r["neg_probs"], shift) == NONE).tolist()
        rows.append({"reject_bias": float(np.mean([r["reject_bias"] for r in rs])) + shift,
                     "consistent": float(np.mean(cons)) if cons else None,
                     "other_signs_rejected": float(np.mean(neg_none)) if neg_none else None,
                     "consistent_rejected": float(np.mean(cons_none)) if cons_none else None})
    return rows


def _pct(v):
    return "   -  " if v is None else f"{100 * v:5.1f}%"


def format_summary(summary: dict, header: list[str]) -> str:
    archs = list(summary)
    labels = summary[archs[0]]["labels"]
    cols = [a[:5] for a in labels] + ["all", "cons"]
    lines = list(header) + ["", "per signer, accuracy on held-out signer (mean over seeds); cons = consistent-gesture "
                                "cells of VARIANTS.md only", ""]
    lines.append(f"{'':8}" + " | ".join(f"{a:^{7 * len(cols) - 1}}" for a in archs))
    lines.append(f"{'signer':8}" + " | ".join(" ".join(f"{c:>6}" for c in cols) for _ in archs))
    signers = sorted(summary[archs[0]]["table"])
    for s in signers:
        parts = []
        for a in archs:
            row = summary[a]["table"].get(s, {})
            vals = [row.get(x) for x in labels] + [row.get("all"), row.get("consistent")]
            parts.append(" ".join(_pct(v) for v in vals))
        lines.append(f"{s:8}" + " | ".join(parts))
    lines.append(f"{'mean':8}" + " | ".join(
        " ".join(_pct(float(np.mean([summary[a]["table"][s].get(x) for s in signers
                                     if summary[a]["table"][s].get(x) is not None]))) for x in labels)
        + " " + _pct(summary[a]["raw"]["mean_per_signer"]) + " " + _pct(summary[a]["consistent"]["mean_per_signer"])
        for a in archs))
    lines.append("")
    for a in archs:
        sm = summary[a]
        c = sm["consistent"]
        lo = c["min_signer"]
        lines.append(f"[{a}] {sm['parameters']:,} parameters, {sm['runs']} runs, epochs run {sm['epochs_run']['min']}-"
                     f"{sm['epochs_run']['max']}, fit {sm['fold_seconds']['mean']:.0f} s per fold "
                     f"(max {sm['fold_seconds']['max']:.0f} s)")
        lines.append(f"  consistent-gesture score: pooled {_pct(c['pooled']).strip()}, mean per signer "
                     f"{_pct(c['mean_per_signer']).strip()}, lowest signer {lo[0]} {_pct(lo[1]).strip()}, "
                     f"{c['signers_at_target']}/{c['signers']} signers >= {TARGET_SIGNER:.0%}  "
                     f"(target pooled >= {TARGET_POOLED:.0%} and every signer >= {TARGET_SIGNER:.0%}: "
                     f"{'MET' if sm['target_met'] else 'NOT MET'})")
        lines.append(f"  raw score (all cells, labels as recorded): pooled {_pct(sm['raw']['pooled']).strip()}, "
                     f"mean per signer {_pct(sm['raw']['mean_per_signer']).strip()}")
        lines.append("  per seed: " + ", ".join(f"seed {k}: raw {_pct(v['raw']).strip()} cons "
                                               f"{_pct(v['consistent']).strip()}" for k, v in sm["per_seed"].items()))
        lines.append(f"  collapsed runs (one sign label for >= {COLLAPSE_SHARE:.0%} of a test signer): "
                     + (", ".join(f"{s} seed {k}" for s, k in sm["collapsed"]) or "none")
                     + f" of {sm['runs']}")
        if "rejection" in sm:
            rj = sm["rejection"]
            lines.append(f"  rejection: other signs of people outside training -> none {_pct(rj['other_signs']).strip()} "
                         f"(" + ", ".join(f"{g} {_pct(v).strip()}" for g, v in rj["per_person"].items()) + "); "
                         f"no-hand windows of the held-out signer -> none {_pct(rj['no_hand_windows']).strip()}; "
                         f"real signs rejected {_pct(sm['real_signs_rejected']).strip()} (consistent cells "
                         f"{_pct(sm['consistent_rejected']).strip()}; most: " + ", ".join(
                             f"{g} {_pct(v).strip()}" for g, v in sorted(sm["rejected_per_signer"].items(),
                                                                         key=lambda kv: -kv[1])[:4]) + ")")
        if "by_hands" in sm:
            lines.append("  consistent cells by share of frames with a hand: " + "; ".join(
                f"{b['from']:.0%}-{b['to']:.0%}: {b['windows']} windows, {_pct(b['accuracy']).strip()} right, "
                f"{_pct(b['rejected']).strip()} none" for b in sm["by_hands"]))
        if "prior_tradeoff" in sm:
            lines.append("  none-logit prior (reject_bias) trade-off from the same probabilities: " + "; ".join(
                f"{t['reject_bias']:g}: cons {_pct(t['consistent']).strip()}, other signs rejected "
                f"{_pct(t['other_signs_rejected']).strip()}, consistent rejected "
                f"{_pct(t['consistent_rejected']).strip()}" for t in sm["prior_tradeoff"]))
    return "\n".join(lines)


def run_cli(args) -> int:
    import json
    import multiprocessing as mp

    from tqdm.auto import tqdm

    from ..datasets import load
    from ..errors import SignlstmError

    if getattr(args, "shots", None):
        try:
            from .fewshot import run_cli as fewshot_cli
        except ImportError:
            raise SignlstmError("--shots needs few-shot adaptation (signlstm.fewshot), which this build does not have")
        return fewshot_cli(args)
    t_start = time.time()
    data = load(args.data, actions=args.actions, length=args.length, skip_bad=args.skip_bad)
    signers = sorted(set(data.groups.tolist()))
    if len(signers) < 2:
        raise SignlstmError(f"--cv signers needs at least 2 signers, the data has {signers}")
    from ..models import recipes

    archs = list(dict.fromkeys(args.arch))
    for a in archs:
        recipes.get(a)
    neg_groups = sorted(set(load(args.negatives, length=data.seq_len).groups.tolist())) if args.negatives else []
    neg_test = held_out_negatives(signers, neg_groups)
    tut_cap = getattr(args, "tutorial_epochs", None) or TUTORIAL_EPOCHS
    epochs = {a: (args.epochs if a != "tutorial" else min(args.epochs or tut_cap, tut_cap)) for a in archs}
    workers = args.workers or os.cpu_count() or 1
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
    ctx = mp.get_context("spawn")
    header = [f"leave-one-signer-out cross-validation: {len(signers)} signers x seeds {list(args.seeds)} x "
              f"recipes {archs}, {workers} worker process(es)"]
    if "tutorial" in archs and getattr(args, "tutorial_seeds", None):
        header.append(f"tutorial recipe seeds: {list(args.tutorial_seeds)}")
    if "tutorial" in archs:
        header.append(f"tutorial recipe capped at {epochs['tutorial']} epochs per fold for time (its own maximum is 500, "
                      "with early stopping on training loss); its training folds are trimmed to whole batches of 32")
    fixes_note = "labels as recorded"
    if args.fixes == "audit":
        fixes_note = ("audit fixes made per fold from the training signers only (signlstm audit with 5 signer-grouped "
                      "folds, cleanlab)")
    elif args.fixes:
        fixes_note = (f"fixes file {args.fixes} applied to the training signers (note: a fixes file made by auditing "
                      "all signers has seen the test signer's recordings; use --fixes audit for strictly held-out numbers)")
    header.append(f"training folds: {fixes_note}; "
                  + (f"negatives {', '.join(neg_groups)} as '{NONE}' (held-out people's negatives excluded) plus "
                     "no-hand windows of the training signers" if neg_groups else "no negatives"))
    header.append("test folds: every sequence of the held-out signer with its label as recorded")
    import signal

    def _stop(signum, frame):
        raise KeyboardInterrupt  # leaves the pool's context: its worker processes are terminated too

    signal.signal(signal.SIGTERM, _stop)
    with ctx.Pool(workers, initializer=_init_worker,
                  initargs=(list(map(str, args.data)), list(map(str, args.negatives or [])), args.length)) as pool:
        fold_fixes = {s: None for s in signers}
        if args.fixes == "audit":
            for s, fx in tqdm(pool.imap_unordered(_fold_fixes, signers), total=len(signers), desc="audit folds",
                              file=sys.stderr):
                fold_fixes[s] = fx
        elif args.fixes:
            from .audit import read_fixes

            rows = read_fixes(args.fixes)
            fold_fixes = {s: rows for s in signers}
        # Slow recipes first so the pool stays busy to the end.
        order = sorted(archs, key=lambda a: a != "tutorial")
        seeds = {a: (getattr(args, "tutorial_seeds", None) or args.seeds) if a == "tutorial" else args.seeds
                 for a in archs}
        tasks = [(a, seed, s, epochs[a], fold_fixes[s], neg_test[s]) for a in order for seed in seeds[a]
                 for s in signers]
        results = []
        for r in tqdm(pool.imap_unordered(_run_fold, tasks), total=len(tasks), desc="folds", unit="fold",
                      file=sys.stderr):
            results.append(r)
    summary = summarize(results, archs)
    if getattr(args, "results", None):
        from ..files import write_text

        write_text(args.results, json.dumps({"header": header, "results": results}, default=str) + "\n")
    wall = time.time() - t_start
    header.append(f"wall time {wall / 60:.1f} min")
    if getattr(args, "json", False):
        print(json.dumps({"summary": summary, "wall_seconds": wall, "header": header}, default=str))
    else:
        print(format_summary(summary, header))
    return 0
