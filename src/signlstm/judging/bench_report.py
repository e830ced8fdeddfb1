"""Text lines of ``signlstm bench`` (:mod:`signlstm.judging.bench`), one part at a time."""
from __future__ import annotations


def _classifier(c: dict) -> list[str]:
    return [f"classifier  fast p50 {c['fast']['p50_ms']:.3f} ms p95 {c['fast']['p95_ms']:.3f} ms | predict p50 "
            f"{c['predict']['p50_ms']:.3f} ms p95 {c['predict']['p95_ms']:.3f} ms | {c['speedup_p50']:.1f}x faster, "
            f"max |diff| {c['max_abs_diff']:.1e}"]


def _live(v: dict) -> list[str]:
    full, lean, lm, lv, stage = v["holistic"], v["one_thread"], v["landmarks"], v["loop"], v["stage"]
    first = (f"landmarks   Holistic {full['fps']:.1f} fps (one thread)" if v["reads_face"] else
             f"landmarks   Holistic {full['fps']:.1f} fps | {stage} {lean['fps']:.1f} fps | ratio "
             f"{v['stage_vs_holistic']:.2f} (one thread each)")
    return [first,
            f"            {stage} in two threads (pose | {'hands + face' if v['reads_face'] else 'hands'}) "
            f"{lm['fps']:.1f} fps | {v['threads_vs_one']:.2f}x one thread",
            f"live loop   {lv['fps']:.1f} fps over {lv['frames']} frames | its landmark stage ({stage}, two threads) "
            f"alone {lm['fps']:.1f} fps | ratio {v['ratio']:.2f} (means of 2 interleaved runs: "
            f"{' '.join(f'{r:.1f}' for r in lv['runs'])} and {' '.join(f'{r:.1f}' for r in lm['runs'])} fps)"]


def _soak(s: dict) -> list[str]:
    return [f"memory      {s['frames']} live frames: RSS {s['rss_before_mb']:.0f} -> {s['rss_after_mb']:.0f} MB "
            f"({s['growth_mb']:+.1f} MB)"]


def _extraction(e: dict) -> list[str]:
    one, allc, lone = e["one"], e["all"], e["lone_video"]
    return [f"extraction  {one['videos_per_s']:.2f} videos/s with 1 worker ({one['cores_busy']:.2f} cores busy) | "
            f"{allc['videos_per_s']:.2f} with {allc['workers']} ({allc['cores_busy']:.2f} cores busy) | ratio "
            f"{e['ratio']:.2f}",
            f"            one video of {lone['threads']['frames']} frames alone: {lone['serial']['fps']:.1f} fps in one "
            f"thread | {lone['threads']['fps']:.1f} fps in two | ratio {lone['ratio']:.2f}"]


def _training(t: dict) -> list[str]:
    return [f"training    {t['seconds_per_epoch']:.1f} s per epoch of the default recipe on {t['sequences']} "
            f"sequences (first epoch with compilation {t['first_epoch_s']:.1f} s)"]


def _memory(rows: list[dict]) -> list[str]:
    out = ["memory      peak RSS and seconds, each command in a fresh process (data: DEV signers' recordings "
           "repeated, float16, stored)",
           f"            {'sequences':>11} {'file':>8} | {'predict':>17} | {'evaluate':>17} | {'train 1 epoch':>17}"]
    for r in rows:
        out.append(f"            {r['sequences']:>11,} {r['file_mb'] / 1e3:>5.1f} GB | " + " | ".join(
            f"{r[k]['peak_rss_mb']:>7.0f} MB {r[k]['seconds']:>6.1f} s" for k in ("predict", "evaluate",
                                                                                "train_epoch")))
    return out


_PARTS = {"classifier": _classifier, "live": _live, "soak": _soak, "extraction": _extraction,
          "training": _training, "memory": _memory}


def part_lines(name: str, report: dict) -> list[str]:
    """The lines of one measured part of a bench report (``classifier``, ``live``, ``soak``, ``extraction``,
    ``training`` or ``memory``)."""
    return _PARTS[name](report[name])
