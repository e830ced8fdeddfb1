"""signlstm live: recognise signs from a camera, a video or saved keypoints, in a window or as JSON lines."""
import json

from . import common


def register(sub):
    from ..recognizer import SENTENCE, STABILITY, THRESHOLD

    p = sub.add_parser("live", help="recognise signs in real time (camera, video file or keypoint file)")
    common.add_model(p)
    p.add_argument("--actions", nargs="+", help="labels of a tutorial .h5 file, in output order")
    p.add_argument("--source", default="0",
                   help="camera index (default 0), a video file, a folder of images, or keypoints (.npy / MP_Data sequence)")
    p.add_argument("--threshold", type=float, default=THRESHOLD, help=f"least probability for a word (default {THRESHOLD})")
    p.add_argument("--stability", type=int, default=STABILITY,
                   help=f"the last N predictions must agree (default {STABILITY})")
    p.add_argument("--sentence", type=int, default=SENTENCE, help=f"words kept in the sentence (default {SENTENCE})")
    p.add_argument("--headless", action="store_true",
                   help="no window: print one JSON line per word, then a summary line")
    p.add_argument("--out", metavar="FILE.mp4", help="write the annotated video")
    p.add_argument("--strip", metavar="FILE.png", help="write a picture of the frames where words appeared")
    p.add_argument("--serial", action="store_true", help="run the stages one after another (for comparison)")
    p.set_defaults(run=run)


def run(args):
    from ..errors import SignlstmError
    from ..live import run as run_live

    if not 0 <= args.threshold <= 1 or args.stability < 1 or args.sentence < 1:
        raise SignlstmError("--threshold must be within 0..1; --stability and --sentence at least 1")
    bundle = common.open_model(args)

    def word(event):
        if args.headless:
            print(json.dumps(event), flush=True)

    summary = run_live(bundle, args.source, args.threshold, args.stability, args.sentence,
                       window=not args.headless, out=args.out, strip=args.strip, serial=args.serial,
                       on_word=word)
    if args.headless:
        print(json.dumps(summary), flush=True)
    else:
        print(f"{summary['frames']} frames at {summary['fps']} fps; words: {' '.join(summary['words']) or '(none)'}")
