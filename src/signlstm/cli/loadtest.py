"""signlstm loadtest: how many web pages one `signlstm serve` holds on this machine (loopback, both paths)."""
import json
import os
import sys

from . import common
from ..errors import BadInput, SignlstmError


def register(sub):
    p = sub.add_parser("loadtest", help="how many pages one `signlstm serve` holds here (simulated pages, loopback)",
                       description=__doc__.splitlines()[0])
    p.add_argument("--model", help="model bundle the server loads (default: the shipped model)")
    p.add_argument("--shared", default="../shared",
                   help="the shared data folder (DEV signers and clips; default ../shared)")
    p.add_argument("--clients", type=int, nargs="+", default=[10, 25, 50, 75, 100],
                   help="keypoint-page counts to run, each for --seconds (default 10 25 50 75 100)")
    p.add_argument("--image-clients", type=int, nargs="*", default=[1, 2],
                   help="image-page counts to run (default 1 2; none: skip the frame path)")
    p.add_argument("--seconds", type=float, default=10.0, help="length of each run (default 10, at most 120)")
    p.add_argument("--fps", type=float, default=30.0,
                   help="frames a second each keypoint page sends (default 30); image pages send at most the "
                        "fallback page's 12")
    p.add_argument("--min-fps", type=float, default=29.0,
                   help="a keypoint page is served at this rate or more (default 29); an image page at the same "
                        "share of its own rate")
    p.add_argument("--max-p95", type=float, default=30.0,
                   help="server p95 per-frame ms to hold (default 30; an image page's frame time if longer)")
    p.add_argument("--signers", nargs="+", default=["s02", "s03", "s04"],
                   help="DEV signers (files of SHARED/data/signers) whose keypoints the pages replay (default: s02 "
                        "s03 s04)")
    p.add_argument("--clip", help="clip of the image pages (default: the shared THANK YOU clip)")
    p.add_argument("--json", action="store_true", help="print the rows as JSON lines only")
    p.set_defaults(run=run, keras=False)  # its server is another process


def run(args):
    from pathlib import Path

    from ..judging.bench import machine
    from ..web.loadtest import COLUMNS, held_lines, loadtest, row_line
    from ..web.server import FPS

    if not 0 < args.seconds <= 120 or min(args.clients + args.image_clients + [1]) < 1 \
            or max(args.clients + args.image_clients + [0]) > 500:
        raise SignlstmError("--seconds must be above 0 and at most 120, and page counts within 1..500")
    if not (0 < args.fps <= 120 and 0 <= args.min_fps <= args.fps and args.max_p95 > 0):
        raise SignlstmError(f"--fps must be within 0..120 (got {args.fps:g}), --min-fps within 0..--fps (got "
                            f"{args.min_fps:g}) and --max-p95 above 0 (got {args.max_p95:g})")
    shared = Path(args.shared)
    files = [shared / "data" / "signers" / f"{s}.npz" for s in args.signers]
    clip = Path(args.clip or shared / "media" / "asl_thankyou_rohan937.mp4")
    for f in files + ([clip] if args.image_clients else []):  # before the table's head is printed
        if not f.is_file():
            raise BadInput(f, "no such file")
    from ..datasets import open_sources

    open_sources(files)  # each person file's arrays checked, and the model the server will load, before the table
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
