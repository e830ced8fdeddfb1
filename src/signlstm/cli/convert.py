"""signlstm convert: a copy of keypoints recorded before signlstm stored them as a 4:3 image's, converted, and of
pose + hands data without the face widened to the 1662-value layout (see :mod:`signlstm.datasets.convert`)."""
import sys

from . import common


def register(sub):
    from ..datasets.convert import CAMERA_CHOICES

    p = sub.add_parser("convert", help="copy keypoint data recorded before (an MP_Data folder, a packed .npz or a "
                                       "saved .npy stream) as a 4:3 image's keypoints, as signlstm stores them; data "
                                       "of pose + both hands without the face (258 values a frame) is copied as 1662, "
                                       "the face zeroed")
    p.add_argument("--data", required=True, metavar="PATH",
                   help="one MP_Data folder (<action>/<seq>/<frame>.npy), one packed .npz file, one saved stream "
                        "(.npy of frames, as live --source replays), or a folder of packed files (one person each: "
                        "each converted by its own camera, or copied when 4:3); its frames 1662 values, or all 258 "
                        "(pose + both hands, told from the files)")
    p.add_argument("--camera", required=True, metavar="SHAPE",
                   help=f"the shape of the images the keypoints were found in: {CAMERA_CHOICES} (auto: told from "
                        "the face mesh, as `audit` does; data without the face needs the shape)")
    p.add_argument("--out", required=True, metavar="PATH",
                   help="the copy: a new (or empty) folder for a folder, a new .npz file for a .npz, a new .npy "
                        "file for a stream")
    p.add_argument("--length", type=int, help="frames per sequence (default: from the data, at least 30)")
    p.set_defaults(run=run, keras=False)  # needs no model


def run(args):
    from ..datasets.convert import companions, convert, convert_people, parse_camera
    from ..datasets import is_packed_folder

    camera = parse_camera(args.camera)  # before any file is read
    length = common.checked_length(args)
    people = is_packed_folder(args.data)
    results = (convert_people(args.data, camera, args.out, length=length) if people
               else [convert(args.data, camera, args.out, length=length)])
    for result in results:
        if result.warning:
            print(result.warning, file=sys.stderr)
        print(result.summary())
    if people:
        copied = sum(r.copied for r in results)
        print(f"wrote {len(results)} file(s) to {args.out}: {len(results) - copied} converted, {copied} copied as "
              "they were")
        others = [p.name for p in companions(args.out)]
        if others:
            print(f"copied beside them: {', '.join(others)}")
