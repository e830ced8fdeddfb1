"""Text table of few-shot adaptation (:func:`signlstm.judging.fewshot.few_shot_cv`)."""
from __future__ import annotations

import os

import numpy as np

from ..sign_names import name_column
from .crossval import GOOD
from .metrics import measured_mean


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
