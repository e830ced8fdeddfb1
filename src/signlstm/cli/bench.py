"""signlstm bench: speed figures measured in one run, printed as ratios."""
import tempfile

from ..judging.bench import PARTS
from . import common


def register(sub):
    p = sub.add_parser("bench", help="measure classifier, live-loop, extraction and training speed in one run")
    common.add_model(p)
    common.add_shared(p, "clips and DEV signers")
    p.add_argument("--clip", help="clip for the live loop (default: the shared I LOVE YOU clip)")
    p.add_argument("--frames", type=int, default=300,
                   help="live-loop frames, at least (the clip is looped whole: 39-frame clips make 117 of 100; "
                        "default 300)")
    p.add_argument("--videos", type=int, default=12, help="videos for the extraction figure (default 12)")
    p.add_argument("--soak", type=int, default=0, metavar="N", help="also run N live frames and report memory growth")
    p.add_argument("--memory", type=int, nargs="+", metavar="N",
                   help="also measure peak RSS and seconds of predict, evaluate and one training epoch on N sequences "
                        "(e.g. 2000 20000 100000; files built from the DEV signers in a temporary folder)")
    p.add_argument("--skip", nargs="+", default=[], choices=PARTS, help="parts not to run")
    common.add_h5_actions(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


# What each part of the run measures, said on stderr as it starts.
STARTING = {"classifier": "the classifier (compiled path vs model.predict)...",
            "live": "the landmark stage and the live loop (runs over the looped clip, interleaved)...",
            "soak": "memory over a long live run (--soak)...",
            "extraction": "extraction (the videos with one worker, then all cores, then one video alone)...",
            "training": "seconds per training epoch..."}


def run(args):
    import sys

    from ..fronts.live import run as live
    from ..judging import bench, bench_report

    def show(name, report):
        if not args.json:
            print("\n".join(bench_report.part_lines(name, report)))

    def starting(name):  # each part takes seconds to minutes: say which one runs
        print(f"bench: measuring {STARTING[name]}", file=sys.stderr, flush=True)

    bundle = common.open_model(args)
    with tempfile.TemporaryDirectory() as tmp:
        report = bench.run(bundle, args.shared, live=live, clip=args.clip, frames=args.frames, videos=args.videos,
                           soak_frames=args.soak, memory=args.memory or (), skip=args.skip, tmp=tmp, on_part=show,
                           on_start=starting)
    if args.json:
        print(common.json_line(report))
