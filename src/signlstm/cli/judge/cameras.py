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
    from ...convert import parse_camera
    from ...errors import SignlstmError
    from ...judging.camera_shapes import camera_rows, moved_most

    cameras = [parse_camera(s) for s in args.shapes]  # before any file is read
    if any(c is None for c in cameras):
        raise SignlstmError("--shapes: give image sizes (e.g. 1280x720), not auto")
    bundle = common.open_model(args)
    print(f"{'camera':>10}  {'as found':>8}  {'as stored':>9}  people moved most (as found)")
    base = None
    for shape, found, stored in camera_rows(bundle, args.data, [(c.width, c.height) for c in cameras]):
        base = base or found
        moved = ", ".join(f"{s} {a:.3f}->{b:.3f}" for s, a, b in moved_most(base, found)) if found is not base else ""
        print(f"{shape:>10}  {found['accuracy']:8.3f}  {stored['accuracy']:9.3f}  {moved}", flush=True)
