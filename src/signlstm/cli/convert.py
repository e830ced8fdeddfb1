"""signlstm convert: a copy of keypoints recorded before signlstm stored them as a 4:3 image's, converted
(see :mod:`signlstm.convert`)."""
import sys

from . import common


def register(sub):
    p = sub.add_parser("convert", help="copy keypoint data recorded before (an MP_Data folder or a packed .npz) as "
                                       "a 4:3 image's keypoints, as signlstm stores them")
    p.add_argument("--data", required=True, metavar="PATH",
                   help="one MP_Data folder (<action>/<seq>/<frame>.npy) or one packed .npz file, as recorded")
    p.add_argument("--camera", required=True, metavar="SHAPE",
                   help="the shape of the images the keypoints were found in: 16:9, 4:3, 3:4, 9:16, WIDTHxHEIGHT "
                        "(e.g. 1280x720), or auto (told from the face mesh, as `audit` does)")
    p.add_argument("--out", required=True, metavar="PATH",
                   help="the copy: a new (or empty) folder for an MP_Data folder, a new .npz file for a .npz")
    p.add_argument("--length", type=int, help="frames per sequence (default: from the data, at least 30)")
    p.set_defaults(run=run)


def run(args):
    from ..convert import convert, parse_camera

    camera = parse_camera(args.camera)  # before any file is read
    result = convert(args.data, camera, args.out, length=common.checked_length(args))
    if result.warning:
        print(result.warning, file=sys.stderr)
    print(result.summary())
