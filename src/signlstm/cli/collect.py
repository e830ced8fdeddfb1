"""signlstm collect: record keypoint sequences per action in the tutorial's MP_Data layout."""
from .. import layout


def register(sub):
    p = sub.add_parser("collect", help="record keypoint sequences for each action (MP_Data layout)")
    p.add_argument("--actions", nargs="+", required=True, help="actions to record, in order")
    p.add_argument("--sequences", type=int, default=30, help="sequences per action (default 30)")
    p.add_argument("--length", type=int, default=layout.SEQ_LEN, help="frames per sequence (default 30)")
    p.add_argument("--data", default="MP_Data", help="output folder (default MP_Data); existing sequences are kept")
    p.add_argument("--source", default="0", help="camera index (default 0), a video file or a folder of images")
    p.add_argument("--pause", type=float, default=2.0,
                   help="seconds of 'STARTING COLLECTION' before each sequence (default 2; not recorded)")
    p.add_argument("--headless", action="store_true", help="no window; print each saved sequence")
    p.add_argument("--then-adapt", metavar="MODEL_DIR",
                   help="right after recording, adapt --model (default: the shipped one) to every sequence in --data "
                        "and write your own model to MODEL_DIR (see `signlstm adapt`)")
    p.add_argument("--model", metavar="M", help="with --then-adapt: the model to start from (default: the shipped one)")
    p.set_defaults(run=run)


def run(args):
    from ..errors import SignlstmError
    from ..recorder import collect

    if args.sequences < 1 or args.length < 1:
        raise SignlstmError("--sequences and --length must be at least 1")
    wanted = args.sequences * len(args.actions)
    saved = collect(args.actions, args.sequences, args.data, args.source, args.length,
                    window=not args.headless, pause=args.pause,
                    on_saved=lambda path: print(f"saved {path}", flush=True))
    if saved < wanted:
        print(f"stopped after {saved} of {wanted} sequence(s): the source ended or the window was closed")
    else:
        print(f"collected {saved} sequence(s) in {args.data}")
    if args.then_adapt and saved:
        import argparse

        from .adapt import adapt_to

        adapt_to(argparse.Namespace(model=args.model, data=[args.data], actions=None, length=args.length,
                                    skip_bad=False), args.then_adapt)
