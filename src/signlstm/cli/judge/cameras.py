"""signlstm judge cameras: a model's accuracy on recordings as cameras of other shapes give their keypoints."""
from .. import common


def register(sub):
    p = sub.add_parser("cameras", help="accuracy on recordings as other camera shapes give them, as found and as "
                                       "stored")
    common.add_model(p)
    p.add_argument("--data", nargs="+", required=True, metavar="PATH",
                   help="recordings made with a 640x480 camera (packed .npz files, MP_Data folders or folders of them)")
    p.add_argument("--shapes", nargs="+", default=["1280x720", "480x640", "720x1280"], metavar="WxH",
                   help="camera image sizes to score (default: 1280x720 480x640 720x1280)")
    p.add_argument("--actions", nargs="+", help="with a tutorial .h5 --model: its labels in output order")
    p.set_defaults(run=run)


def run(args):
    import re

    from ...errors import SignlstmError
    from ...judging.camera_shapes import camera_rows, moved_most

    sizes = [re.fullmatch(r"([1-9]\d{0,5})x([1-9]\d{0,5})", s.strip().lower()) for s in args.shapes]
    if not all(sizes):  # before any file is read
        bad = args.shapes[[m is None for m in sizes].index(True)]
        raise SignlstmError(f"--shapes {bad!r}: give image sizes WIDTHxHEIGHT, e.g. 1280x720")
    bundle = common.open_model(args)
    base = None
    for shape, found, stored in camera_rows(bundle, args.data, [(int(m[1]), int(m[2])) for m in sizes]):
        if base is None:  # the data is read: the table begins
            print(f"{'camera':>10}  {'as found':>8}  {'as stored':>9}  people moved most (as found)")
        base = base or found
        moved = ", ".join(f"{s} {a:.3f}->{b:.3f}" for s, a, b in moved_most(base, found)) if found is not base else ""
        print(f"{shape:>10}  {found['accuracy']:8.3f}  {stored['accuracy']:9.3f}  {moved}", flush=True)
