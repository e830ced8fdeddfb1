"""signlstm loadtest: how many web pages one `signlstm serve` holds on this machine (loopback, both paths)."""
import json
import os
import sys

from . import common


def register(sub):
    from ..web.loadtest import MOST_SECONDS, SIGNERS

    p = sub.add_parser("loadtest", help="how many pages one `signlstm serve` holds here (simulated pages, loopback)",
                       description=__doc__.splitlines()[0])
    p.add_argument("--model", help="model bundle the server loads (default: the shipped model)")
    common.add_shared(p, "DEV signers and clips")
    p.add_argument("--clients", type=int, nargs="+", default=[10, 25, 50, 75, 100],
                   help="keypoint-page counts to run, each for --seconds (default 10 25 50 75 100)")
    p.add_argument("--image-clients", type=int, nargs="*", default=[1, 2],
                   help="image-page counts to run (default 1 2; none: skip the frame path)")
    p.add_argument("--seconds", type=float, default=10.0,
                   help=f"length of each run (default 10, at most {MOST_SECONDS})")
    p.add_argument("--fps", type=float, default=30.0,
                   help="frames a second each keypoint page sends (default 30); image pages send at most the "
                        "fallback page's 12")
    p.add_argument("--min-fps", type=float, default=29.0,
                   help="a keypoint page is served at this rate or more (default 29); an image page at the same "
                        "share of its own rate")
    p.add_argument("--max-p95", type=float, default=30.0,
                   help="server p95 per-frame ms to hold (default 30; an image page's frame time if longer)")
    p.add_argument("--signers", nargs="+", default=list(SIGNERS),
                   help="DEV signers (files of SHARED/data/signers) whose keypoints the pages replay (default: "
                        f"{' '.join(SIGNERS)})")
    p.add_argument("--clip", help="clip of the image pages (default: the shared THANK YOU clip)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON lines only")
    p.set_defaults(run=run, keras=False)  # its server is another process


def run(args):
    from ..judging.bench import machine
    from ..web.loadtest import COLUMNS, check_options, held_lines, inputs, loadtest, row_line
    from ..web.server import FPS

    check_options(args.clients, args.image_clients, args.seconds, args.fps, args.min_fps, args.max_p95)
    # the person files and the clip checked, and the model the server will load, before the table's head is printed
    files, clip = inputs(args.shared, args.signers, args.clip, images=bool(args.image_clients))
    if args.model:
        from ..models.bundle import load_bundle

        load_bundle(args.model)

    if not args.json:
        print(f"signlstm serve on loopback; {args.seconds:g} s a run at {args.fps:g} fps a keypoint page, "
              f"{min(args.fps, FPS):g} an image page; machine "
              f"{json.dumps(machine())}; load average {' '.join(f'{v:.2f}' for v in os.getloadavg())} (load1: the "
              "1-minute load at the end of each run, this test's own processes included)")
        print(COLUMNS)
    rows = []
    for row in loadtest(args.model, args.clients, args.image_clients, args.seconds, args.fps, args.min_fps,
                        args.max_p95, files, clip):
        rows.append(row)
        print(common.json_line(row) if args.json else row_line(row), flush=True)
    if not args.json:
        print("\n".join(held_lines(rows)))
    if any(r["errors"] for r in rows):
        print("some pages saw errors (the rows' first_error)", file=sys.stderr)
        return 1
    return 0
