"""Text table of leave-one-signer-out cross-validation (:func:`signlstm.judging.crossval.summarize`)."""
from __future__ import annotations

import numpy as np

from ..sign_names import fit_columns, name_column, shown_name
from .crossval import GOOD


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
