"""Text tables of the judging benchmarks: leave-one-signer-out cross-validation and few-shot adaptation."""
from __future__ import annotations

import os

import numpy as np

from ..sign_names import fit_columns, name_column, shown_name
from .crossval import GOOD
from .metrics import measured_mean


def _pct(v):
    return "   -  " if v is None else f"{100 * v:5.1f}%"


def format_crossval(summary: dict, header: list[str]) -> str:
    """The leave-one-signer-out table (:func:`signlstm.judging.crossval.summarize`)."""
    archs = list(summary)
    labels = summary[archs[0]]["labels"]
    cols = list(labels) + ["all", "cons"]
    lines = list(header) + ["", "per signer, accuracy on held-out signer (mean over seeds); cons = consistent-gesture "
                                "cells of VARIANTS.md only", ""]
    signers = sorted(summary[archs[0]]["table"])
    name = name_column(["signer", *signers], 8)
    lines.append(name("") + " | ".join(f"{a:^{7 * len(cols) - 1}}" for a in archs))
    lines.append(name("signer") + " | ".join(" ".join(fit_columns(c, 6, right=True) for c in cols) for _ in archs))
    for s in signers:
        parts = []
        for a in archs:
            row = summary[a]["table"].get(s, {})
            vals = [row.get(x) for x in labels] + [row.get("all"), row.get("consistent")]
            parts.append(" ".join(_pct(v) for v in vals))
        lines.append(name(s) + " | ".join(parts))
    lines.append(name("mean") + " | ".join(
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
        if lo is None:  # no consistent-gesture cells for these people (no cells.json beside the data)
            lines.append("  consistent-gesture score: - (no consistent-gesture cells for these people)")
        else:
            lines.append(f"  consistent-gesture score: pooled {_pct(c['pooled']).strip()}, mean per signer "
                         f"{_pct(c['mean_per_signer']).strip()}, lowest signer {lo[0]} {_pct(lo[1]).strip()}, "
                         f"{c['signers_at_target']}/{c['signers']} signers >= {GOOD:.0%}")
        lines.append(f"  raw score (all cells, labels as recorded): pooled {_pct(sm['raw']['pooled']).strip()}, "
                     f"mean per signer {_pct(sm['raw']['mean_per_signer']).strip()}")
        if sm.get("unlearnable"):
            lines.append("  not scored, held-out signs no one else recorded (no fold learns them): " + "; ".join(
                f"{s} " + ", ".join(f"{shown_name(a)} ({n})" for a, n in sorted(left.items()))
                for s, left in sorted(sm["unlearnable"].items())))
        lines.append("  per seed: " + ", ".join(f"seed {k}: raw {_pct(v['raw']).strip()} cons "
                                               f"{_pct(v['consistent']).strip()}" for k, v in sm["per_seed"].items()))
        lines.append(f"  collapsed runs (one sign label for >= {sm['collapse_share']:.0%} of a test signer): "
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





def format_fewshot(res: dict) -> str:
    """The few-shot cross-validation table (:func:`signlstm.judging.fewshot.few_shot_cv`). A signer whose K shots
    per sign leave nothing to test is n/a at that K, with the reason; the means are over the signers measured."""
    shots = res["shots"]
    rs = res["results"]
    tut = any("tutorial_acc" in r["k"][k] for r in rs for k in shots)
    own = any("own_acc" in r for r in rs)
    name = name_column(["signer", *(r["signer"] for r in rs)], 9)
    head = (f"{name('signer')}{'base':>6} " + (f"{'own':>7} |" if own else "")
            + "".join(f"{'K=' + str(k):>7}" for k in shots))
    if tut:
        head += " |" + "".join(f"{'tut' + str(k):>7}" for k in shots)
    head += " |" + "".join(f"{'s K=' + str(k):>7}" for k in shots)
    if any("cli_seconds" in r for r in rs):
        head += f" | cli K={res['time_k']}"
    based = (f"few-shot on people the base never saw: base = {res['base']} (results cached in {res['cache']})"
             if res.get("base") else f"few-shot leave-one-signer-out: base = '{res['recipe']}' recipe trained without "
                                     f"the signer (cached in {res['cache']})")
    lines = [f"{based}, adapted with method '{res['method']}' on K random sequences per action "
             f"(seed {res['seed']}), tested on the signer's other sequences, labels as recorded",
             "columns: base = un-adapted base; own = logistic regression on the base's features, 5-fold within the "
             "signer (4/5 of its recordings of each action as shots, 24 of 30; signs only); K=k adapted accuracy; "
             "tutk = tutorial recipe trained from scratch on the same K; s K=k = adaptation seconds in the worker "
             "(no start-up); cli = wall seconds of `signlstm adapt` in a fresh process", *res.get("notes", ()), "",
             head]

    def pct(v):
        return "    n/a" if v is None or not np.isfinite(v) else f"{100 * v:6.1f}%"

    def secs(v):
        return "    n/a" if v is None or not np.isfinite(v) else f"{v:7.1f}"

    def measured(k, key="acc"):  # signer -> figure at K, for the signers measured there
        return {r["signer"]: r["k"][k][key] for r in rs if key in r["k"][k]}

    for r in rs:
        row = (f"{name(r['signer'])}{pct(r.get('base_acc'))}" + (pct(r.get("own_acc")) + " |" if own else "")
               + "".join(pct(r["k"][k].get("acc")) for k in shots))
        if tut:
            row += " |" + "".join(pct(r["k"][k].get("tutorial_acc")) for k in shots)
        row += " |" + "".join(secs(r["k"][k].get("seconds")) for k in shots)
        if "cli_seconds" in r:
            row += f" | {r['cli_seconds']:7.1f}"
        lines.append(row)
    means = {k: measured_mean(measured(k).values()) for k in shots}
    row = (f"{name('mean')}{pct(measured_mean([r.get('base_acc') for r in rs]))}"
           + (pct(measured_mean([r.get("own_acc") for r in rs])) + " |" if own else "")
           + "".join(pct(means[k]) for k in shots))
    if tut:
        row += " |" + "".join(pct(measured_mean(measured(k, "tutorial_acc").values())) for k in shots)
    row += " |" + "".join(secs(measured_mean(measured(k, "seconds").values(), np.median)) for k in shots)
    cli = [r["cli_seconds"] for r in rs if "cli_seconds" in r]
    if cli:
        row += f" | {np.median(cli):7.1f}"
    lines += [row + "   (seconds: median)", ""]
    for k in shots:
        accs = {s: a for s, a in measured(k).items() if np.isfinite(a)}
        low = {s: a for s, a in accs.items() if a < GOOD}
        na = {r["signer"]: r["k"][k]["na"] for r in rs if "na" in r["k"][k]}
        over = f" over {len(accs)} of {len(rs)} signers" if na else ""
        lines.append(f"K={k}: mean {pct(means[k]).strip()}{over}, {len(accs) - len(low)}/{len(accs)} signers >= "
                     f"{GOOD:.0%}" + (", below: " + ", ".join(
                         f"{s} {100 * a:.1f}% (errors {_fmt_err(next(r for r in rs if r['signer'] == s)['k'][k]['errors'])})"
                         for s, a in low.items()) if low else "")
                     + "".join(f"; {s} n/a: {why}" for s, why in na.items()))
    accs = {r["signer"]: r["own_acc"] for r in rs if np.isfinite(r.get("own_acc", np.nan))}
    if accs:
        low = {s_: a for s_, a in accs.items() if a < GOOD}
        lines.append(f"own (5-fold within the signer): mean {100 * np.mean(list(accs.values())):.1f}%, "
                     f"{len(accs) - len(low)}/{len(accs)} signers >= {GOOD:.0%}"
                     + (", below: " + ", ".join(f"{s_} {100 * a:.1f}%" for s_, a in low.items()) if low else ""))
    if cli:
        lines.append(f"`signlstm adapt --shots {res['time_k']}` wall time incl. start-up: median {np.median(cli):.1f} s, "
                     f"max {max(cli):.1f} s over {len(cli)} signers")
    s = res["seconds"]
    lines.append(f"wall time {s['total'] / 60:.1f} min (bases {s['bases']:.0f} s, folds {s['folds']:.0f} s); "
                 f"load average at the end {res['load'][0]:.1f} on {os.cpu_count()} cores")
    return "\n".join(lines)


def _fmt_err(err: dict) -> str:
    return ", ".join(f"{t}->{p} x{n}" for t, ps in err.items() for p, n in ps.items()) or "-"


