"""Text table of the vocabulary benchmark (:mod:`signlstm.judging.vocab`)."""
from __future__ import annotations

import math

from ..sign_names import name_column


def _pct(v: float) -> str:
    return "   -" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:5.1f}"


def _row(v: dict) -> str:
    """The two in-a-row columns of one line."""
    other = v.get("row_other", float("nan"))
    return f" {_pct(v.get('row_wer')):>12} {'-' if math.isnan(other) else f'{other:.3f}':>18}"


def format_vocab(res: dict, summ: dict) -> str:
    """Per K, one line per person and the mean: known-sign accuracy, known signs answered none, untaught signs
    rejected, adapt seconds (median), the tutorial recipe's accuracy on the same shots, and with streams the word
    error rate of the taught signs made in a row and the words said on untaught signs there, a segment."""
    taught = "3/4 of the signs taught" if res.get("signs") is None else f"{res['signs']} signs taught"
    taught += " from K consecutive recordings" if res.get("consecutive") else ""
    lines = [f"vocabulary benchmark: {taught}, {len(res['seeds'])} seed(s) {res['seeds']}, radius {res['radius']}, "
             f"{res['seconds']:.0f} s wall ({res.get('started', '?')} - {res.get('ended', '?')}, load average "
             f"{' -> '.join(str(x) for x in res.get('load', [])) or '?'})", *res.get("notes", ())]
    person = name_column(["person", *(p for s in summ.values() for p in [*s["people"], *s.get("not_measured", {})])],
                         8)
    head = f"{'K':>3} {person('person')} {'signs':>5} {'known acc':>9} {'known->none':>11} {'untaught->none':>14} " \
           f"{'adapt s':>7} {'tutorial acc':>12} {'in a row WER':>12} {'untaught words/seg':>18}"
    for k, s in summ.items():
        lines += ["", head]
        for p, v in s["people"].items():
            lines.append(f"{k:>3} {person(p)} {v['signs']:>5} {_pct(v['acc']):>9} {_pct(v['known_none']):>11} "
                         f"{_pct(v['rejected']):>14} {v['seconds']:>7.1f} {_pct(v['tutorial_acc']):>12}"
                         f"{_row(v)}")
        for p, why in s.get("not_measured", {}).items():
            lines.append(f"{k:>3} {person(p)} n/a: {why}")
        m = s["mean"]
        if m:
            over = (f", mean over {m['people']} of {m['of']} people" if m.get("of", 0) > m.get("people", 0)
                    else "")
            lines.append(f"{k:>3} {person('mean')} {'':>5} {_pct(m['acc']):>9} {_pct(m['known_none']):>11} "
                         f"{_pct(m['rejected']):>14} {m['seconds']:>7.1f} {_pct(m['tutorial_acc']):>12}"
                         f"{_row(m)}   worst person {_pct(m['worst_acc']).strip()} %{over}")
        if s.get("tradeoff"):
            lines += ["", f"{'K':>3} {'radius':>6} {'known acc':>9} {'worst':>6} {'known->none':>11} "
                          f"{'untaught->none':>14}   (the same fits, mean over people)"]
            for r, v in s["tradeoff"].items():
                lines.append(f"{k:>3} {r:>6} {_pct(v['acc']):>9} {_pct(v['worst_acc']):>6} {_pct(v['known_none']):>11} "
                             f"{_pct(v['rejected']):>14}")
    wall = res.get("adapt_wall")
    if wall:
        lines += ["", f"adapt --vocabulary in a fresh process (start-up included), {wall['person']}'s {wall['signs']} "
                      f"signs x {wall['shots']} recordings: {', '.join(f'{x:.2f}' for x in wall['seconds'])} s, "
                      f"median {wall['median']:.2f} s"]
    return "\n".join(lines)
