"""signlstm bench: speed figures measured in one run, printed as ratios."""
import json
import os
import tempfile

from . import common


def register(sub):
    p = sub.add_parser("bench", help="measure classifier, live-loop, extraction and training speed in one run")
    common.add_model(p)
    p.add_argument("--shared", default="../shared", help="the shared data folder (clips and DEV signers)")
    p.add_argument("--clip", help="clip for the live loop (default: the shared I LOVE YOU clip)")
    p.add_argument("--frames", type=int, default=300,
                   help="live-loop frames, at least (the clip is looped whole: 39-frame clips make 117 of 100)")
    p.add_argument("--videos", type=int, default=12, help="videos for the extraction figure")
    p.add_argument("--soak", type=int, default=0, metavar="N", help="also run N live frames and report memory growth")
    p.add_argument("--memory", type=int, nargs="+", metavar="N",
                   help="also measure peak RSS and seconds of predict, evaluate and one training epoch on N sequences "
                        "(e.g. 2000 20000 100000; files built from the DEV signers in a temporary folder)")
    p.add_argument("--skip", nargs="+", default=[], choices=["classifier", "live", "extraction", "training"])
    common.add_h5_actions(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


def run(args):
    from pathlib import Path

    from ..judging import bench
    from ..datasets import load

    shared = Path(args.shared)
    bundle = common.open_model(args)
    clip = args.clip or str(shared / "media" / "asl_iloveyou_rohan937.mp4")
    report = {"machine": bench.machine(), "model": str(bundle.path), "parameters": bundle.model.count_params()}
    say = (lambda *a: None) if args.json else print
    with tempfile.TemporaryDirectory() as tmp:
        if "classifier" not in args.skip:
            X = load([shared / "data" / "signers" / "s02.npz"]).X[:32]
            c = report["classifier"] = bench.classifier(bundle, X)
            say(f"classifier  fast p50 {c['fast']['p50_ms']:.3f} ms p95 {c['fast']['p95_ms']:.3f} ms | predict p50 "
                f"{c['predict']['p50_ms']:.3f} ms p95 {c['predict']['p95_ms']:.3f} ms | {c['speedup_p50']:.1f}x faster,"
                f" max |diff| {c['max_abs_diff']:.1e}")
        if not {"live", "extraction"} <= set(args.skip):  # the clip looped, for the live loop and the lone video
            video = bench.looped_clip(clip, args.frames, Path(tmp) / "loop.avi")
        if "live" not in args.skip:
            full = bench.landmark_stage(video)
            lean = full if bundle.reads_face else bench.landmark_stage(video, face=False)
            # The two-thread stage and the live loop that runs it, interleaved twice: load that drifts during the
            # run then weighs on both alike.
            stages, loops = [], []
            for _ in range(2):
                stages.append(bench.landmark_stage(video, face=bundle.reads_face, threads=True))
                loops.append(bench.live_loop(bundle, video))
            lm, lv = bench.mean_runs(stages), bench.mean_runs(loops)
            stage = "Holistic" if bundle.reads_face else "pose + hands (no face mesh)"
            report["live"] = {"holistic": full, "one_thread": lean, "landmarks": lm, "stage": stage, "loop": lv,
                              "ratio": lv["fps"] / lm["fps"], "stage_vs_holistic": lean["fps"] / full["fps"],
                              "threads_vs_one": lm["fps"] / lean["fps"]}
            say(f"landmarks   Holistic {full['fps']:.1f} fps (one thread)" if bundle.reads_face else
                f"landmarks   Holistic {full['fps']:.1f} fps | {stage} {lean['fps']:.1f} fps | ratio "
                f"{lean['fps'] / full['fps']:.2f} (one thread each)")
            say(f"            {stage} in two threads (pose | {'hands + face' if bundle.reads_face else 'hands'}) "
                f"{lm['fps']:.1f} fps | {lm['fps'] / lean['fps']:.2f}x one thread")
            say(f"live loop   {lv['fps']:.1f} fps over {lv['frames']} frames | its landmark stage ({stage}, two "
                f"threads) alone {lm['fps']:.1f} fps | ratio {lv['fps'] / lm['fps']:.2f} (means of 2 interleaved runs: "
                f"{' '.join(f'{r:.1f}' for r in lv['runs'])} and {' '.join(f'{r:.1f}' for r in lm['runs'])} fps)")
        if args.soak:  # before training, whose data would sit in the baseline
            small = shared / "media" / "asl_iloveyou_rohan937_480x270_mjpg.avi"
            s = report["soak"] = bench.soak(bundle, bench.looped_clip(small, args.soak + 300, Path(tmp) / "soak.avi"),
                                            args.soak)
            say(f"memory      {s['frames']} live frames: RSS {s['rss_before_mb']:.0f} -> {s['rss_after_mb']:.0f} MB"
                f" ({s['growth_mb']:+.1f} MB)")
        if "extraction" not in args.skip:
            clips = sorted(str(p) for p in (shared / "media").glob("*.mp4"))
            videos = [clips[i % len(clips)] for i in range(args.videos)]
            one = bench.extraction(videos, 1)
            allc = bench.extraction(videos, os.cpu_count() or 1)
            lone = bench.lone_video(video)
            report["extraction"] = {"one": one, "all": allc, "ratio": allc["videos_per_s"] / one["videos_per_s"],
                                    "lone_video": lone}
            say(f"extraction  {one['videos_per_s']:.2f} videos/s with 1 worker ({one['cores_busy']:.2f} cores busy) | "
                f"{allc['videos_per_s']:.2f} with {allc['workers']} ({allc['cores_busy']:.2f} cores busy) | ratio "
                f"{report['extraction']['ratio']:.2f}")
            say(f"            one video of {lone['threads']['frames']} frames alone: {lone['serial']['fps']:.1f} fps in one "
                f"thread | {lone['threads']['fps']:.1f} fps in two | ratio {lone['ratio']:.2f}")
        if "training" not in args.skip:
            data = load([shared / "data" / "signers"])
            t = report["training"] = bench.training(data)
            say(f"training    {t['seconds_per_epoch']:.1f} s per epoch of the default recipe on {t['sequences']} "
                f"sequences (first epoch with compilation {t['first_epoch_s']:.1f} s)")
        if args.memory:
            rows = report["memory"] = bench.memory_table(shared / "data" / "signers", args.memory, tmp, args.model)
            say("memory      peak RSS and seconds, each command in a fresh process (data: DEV signers' recordings "
                "repeated, float16, stored)")
            say(f"            {'sequences':>11} {'file':>8} | {'predict':>17} | {'evaluate':>17} | {'train 1 epoch':>17}")
            for r in rows:
                say(f"            {r['sequences']:>11,} {r['file_mb'] / 1e3:>5.1f} GB | " + " | ".join(
                    f"{r[k]['peak_rss_mb']:>7.0f} MB {r[k]['seconds']:>6.1f} s" for k in ("predict", "evaluate",
                                                                                        "train_epoch")))
    if args.json:
        print(json.dumps(report))
