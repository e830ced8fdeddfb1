"""signlstm judge cameras: a model's accuracy on recordings as cameras of other shapes give their keypoints."""
from .. import common

SHAPES = ("1280x720", "480x640", "720x1280")  # a landscape HD webcam, a phone upright, an upright HD picture


def register(sub):
    p = sub.add_parser("cameras", help="accuracy on recordings as other camera shapes give them, as found and as "
                                       "stored")
    common.add_model(p)
    p.add_argument("--data", nargs="+", required=True, metavar="PATH",
                   help="recordings made with a 640x480 camera (packed .npz files, MP_Data folders or folders of them)")
    p.add_argument("--shapes", nargs="+", default=list(SHAPES), metavar="WxH",
                   help=f"camera image sizes to score (default: {' '.join(SHAPES)})")
    common.add_h5_actions(p)
    p.add_argument("--json", action="store_true", help="print the rows as one JSON line instead of the table")
    p.set_defaults(run=run)


def _size(text: str) -> tuple[int, int]:
    """``--shapes``' WIDTHxHEIGHT (read as ``convert --camera`` reads it; a shape such as 16:9 has no size)."""
    from ...datasets.convert import parse_camera
    from ...errors import SignlstmError

    try:
        camera = parse_camera(text)
    except SignlstmError:
        camera = None
    if camera is None or "x" not in camera.name:
        raise SignlstmError(f"--shapes {text!r}: give image sizes WIDTHxHEIGHT, e.g. 1280x720")
    return camera.width, camera.height


def run(args):
    from ...judging.camera_shapes import camera_rows, moved_most

    from ...datasets import open_sources
    from ...errors import SignlstmError
    from ...sign_names import shown_list

    sizes = [_size(s) for s in args.shapes]  # before any file is read
    bundle = common.open_model(args)
    signs = bundle.signs
    held = list(dict.fromkeys(a for src in open_sources(args.data) for a in src.actions))
    if not set(held) & set(signs):  # (the readers, told to keep only these signs, would find nothing to read)
        raise SignlstmError(f"{', '.join(map(str, args.data))}: holds none of the model's signs ({shown_list(signs)});"
                            f" it holds {shown_list(held)}")
    rows = []
    for n, (shape, found, stored) in enumerate(camera_rows(bundle, args.data, sizes)):
        if n == 0:  # the data is read: the table begins, with the data's own camera
            base = found
            if not args.json:
                print(f"{'camera':>10}  {'as found':>8}  {'as stored':>9}  people moved most (as found)")
        moved = moved_most(base, found) if n else []
        rows.append({"camera": shape, "as_found": found["accuracy"], "as_stored": stored["accuracy"],
                     "moved_most": [{"person": s, "from": a, "to": b} for s, a, b in moved]})
        if not args.json:
            text = ", ".join(f"{s} {a:.3f}->{b:.3f}" for s, a, b in moved)
            print(f"{shape:>10}  {found['accuracy']:8.3f}  {stored['accuracy']:9.3f}  {text}", flush=True)
    if args.json:
        print(common.json_line({"rows": rows}))
