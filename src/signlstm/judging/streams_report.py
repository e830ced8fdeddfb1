"""Text tables of the stream benchmark (:func:`signlstm.judging.streams.benchmark`)."""
from __future__ import annotations

import math

from ..layout import SIGN_HANDS
from ..sign_names import name_column
from .streams import CELLSETS

# The issue's targets on the consistent-gesture streams of held-out people.
TARGETS = {"wer": 0.05, "wer_signer": 0.15, "other_words": 0.05, "latency_median": 15, "signs_rejected": 0.005,
           "others_rejected": 0.90}


def _share(x: float) -> str:
    """A target's share as the report shows it: 0.005 -> "0.5 %"."""
    return f"{round(x * 100, 6):g} %"


def _worst(signers: dict) -> tuple:
    """(person, their figures) of the highest word error rate among people whose stream holds a sign (one of only
    other signs has none: NaN, which ``max`` would keep when it comes first); (None, NaN) when nobody's does."""
    scored = [kv for kv in signers.items() if not math.isnan(kv[1]["wer"])]
    return max(scored, key=lambda kv: kv[1]["wer"], default=(None, {"wer": float("nan")}))


def _pct(x: float) -> str:
    return "  n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:5.1f}"


def _num(x: float, fmt: str = "{:5.1f}") -> str:
    return "  n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else fmt.format(x)


def format_streams(res: dict) -> str:
    """The stream benchmark's result ``res`` as text: pooled word error rates, other-sign words and latencies per rule
    and cell set, two rows per person (WER and other-sign words; WER with repeats merged and latencies), and the
    window-level rejection rates."""
    rules = [name for name, _ in res["rules"]]
    settings = {name: s for name, s in res["rules"]}
    draws = res.get("draws", 1)
    judged = ("people the shipped models never saw (" + ", ".join(res["bases"].values()) + ")" if res.get("shipped")
              else "held-out people (each scored by a base that never saw them, nor the people of its other-sign "
                   "segments)")
    adapted = (f", each base first adapted to {res['adapt']} of the person's recordings per sign (the streams hold "
               "their other recordings)" if res.get("adapt") else "")
    lines = [f"Streams of {res['people']} {judged}{adapted}"
             f"{f', {draws} streams per person and cell set' if draws > 1 else ''}; {res['seconds']} s"]
    lines += res.get("notes", [])
    for name in rules:
        lines.append(f"  rule {name}: " + ", ".join(f"{k}={v}" for k, v in settings[name].items()))
    lines += ["", "pooled         cells        words  WER %  WER merged %  other-sign words/seg  latency median  p95"
                  "  worst person WER %"]
    for cellset in CELLSETS:
        for name in rules:
            t = res["streams"].get(f"{name}|{cellset}")
            if not t or not t["pooled"]["ref"]:  # no such cells (e.g. data without a cells.json)
                continue
            p = t["pooled"]
            worst = _worst(t["signers"])
            lines.append(f"{name:14s} {cellset:11s} {p['ref']:6d}  {_pct(p['wer'])}  {_pct(p['wer_merged']):>12s}"
                         f"  {_num(p['other_words'], '{:20.3f}')}  {_num(p['latency_median'], '{:14.1f}')}"
                         f"  {_num(p['latency_p95'])}  {_pct(worst[1]['wer'])} ({worst[0]})")
    if any(t["pooled"]["ref"] for key, t in res["streams"].items() if key.endswith("|recognised")):
        lines.append("  (recognised: the consistent cells' recordings the base names rightly on their own, one window "
                     "as recorded)")
    lines += ["", "per person: WER % (consistent cells / all cells), other-sign words, per rule"]
    people = sorted({s for t in res["streams"].values() for s in t["signers"]})
    person = name_column(["person", *people], 8)
    lines.append(person("person") + " " + "".join(f"{name:>26s}" for name in rules))
    for s in people:
        row = person(s) + " "
        for name in rules:
            c = _get(res, name, "consistent")["signers"].get(s)
            a = _get(res, name, "all")["signers"].get(s)
            other = _num(a["other_words"] if a else None, "{:6.2f}")
            row += f"{_pct(c['wer'] if c else None):>12s} /{_pct(a['wer'] if a else None)}  {other:>6s}"
        lines.append(row)
    lines += ["", "per person, consistent cells: WER merged %, latency median and p95 (frames), per rule"]
    lines.append(person("person") + " " + "".join(f"{name:>26s}" for name in rules))
    for s in people:
        row = person(s) + " "
        for name in rules:
            c = _get(res, name, "consistent")["signers"].get(s) or {}
            row += (f"{_pct(c.get('wer_merged')):>12s} {_num(c.get('latency_median')):>6s} "
                    f"{_num(c.get('latency_p95')):>6s}")
        lines.append(row)
    recipes = res.get("recipes", {})
    lines += ["", "window level (the same bases, recordings as recorded):"]
    for recipe, w in res["windows"].items():
        used = ", ".join(name for name in rules if recipes.get(name, "default") == recipe)
        lines += [f"  {recipe} bases (rules {used or 'none'}): real signs with a hand in >= {SIGN_HANDS:.0%} of the "
                  f"frames answered none: consistent cells {w['consistent']['rejected']}/{w['consistent']['n']} = "
                  f"{_pct(w['consistent']['share']).strip()} %, all cells {w['all']['rejected']}/{w['all']['n']} = "
                  f"{_pct(w['all']['share']).strip()} %; other signs of held-out people rejected: "
                  f"{w['others']['rejected']}/{w['others']['n']} = {_pct(w['others']['share']).strip()} %"]
    lines.append("")
    for name in rules:
        lines.append(_targets(res, name))
    return "\n".join(lines)


def _targets(res, name: str) -> str:
    """One line: the issue's targets for rule ``name`` on the consistent cells (on all cells when the data has no
    consistent cells, e.g. people without a cells.json), met, missed, or not measured (with why) when there was
    nothing to measure them on."""
    w = res["windows"].get(res.get("recipes", {}).get(name, "default")) or res["windows"]["default"]
    cellset = "consistent" if _get(res, name, "consistent")["pooled"].get("ref") else "all"
    p = _get(res, name, cellset)["pooled"]
    if not p.get("ref"):
        return f"targets (rule {name}): no signs in the streams"
    worst = _worst(_get(res, name, cellset)["signers"])[1]["wer"]
    no_others = "not measured (no other-sign recordings)"
    checks = [("WER pooled", p["wer"] <= TARGETS["wer"], f"{_pct(p['wer']).strip()} % <= {_share(TARGETS['wer'])}"),
              ("WER every person", worst <= TARGETS["wer_signer"], f"{_pct(worst).strip()} % <= {_share(TARGETS['wer_signer'])}"),
              ("other-sign words", p["other_words"] <= TARGETS["other_words"] if p.get("other_segments") else no_others,
               f"{_num(p['other_words'], '{:.3f}').strip()} <= {TARGETS['other_words']:g}"),
              ("median latency", p["latency_median"] <= TARGETS["latency_median"],
               f"{_num(p['latency_median']).strip()} <= {TARGETS['latency_median']:g} frames"),
              ("signs answered none", w[cellset]["share"] <= TARGETS["signs_rejected"] if w[cellset]["n"]
               else f"not measured (no sign with a hand in at least {SIGN_HANDS:.0%} of its frames)",
               f"{_pct(w[cellset]['share']).strip()} % <= {_share(TARGETS['signs_rejected'])}"),
              ("other signs rejected", w["others"]["share"] >= TARGETS["others_rejected"] if w["others"]["n"]
               else no_others, f"{_pct(w['others']['share']).strip()} % >= {_share(TARGETS['others_rejected'])}")]
    return (f"targets (rule {name}, {cellset} cells): "
            + "; ".join(f"{label} {ok}" if isinstance(ok, str) else f"{label} {'met' if ok else 'MISSED'} ({txt})"
                        for label, ok, txt in checks))


def _get(res, name, cellset):
    return res["streams"].get(f"{name}|{cellset}") or {"pooled": {}, "signers": {}}
