"""signlstm extract: keypoints from recorded videos, as MP_Data sequences or one keypoint file."""
import sys

from .. import layout
from ..wording import counted


def register(sub):
    from ..keypoints.extraction import MODES

    p = sub.add_parser("extract", help="turn recorded videos into keypoint sequences (MP_Data layout)")
    p.add_argument("--videos", nargs="+", required=True, metavar="FILE_OR_DIR", help="video files or folders of them")
    p.add_argument("--label", metavar="ACTION", help="the action the videos show (with --data)")
    p.add_argument("--data", metavar="MP_Data", help="write sequences to MP_Data/<label>/<n>/<frame>.npy")
    p.add_argument("--keypoints", metavar="OUT.npy",
                   help="instead, write all videos' frames, concatenated in order, as one (T, 1662) file at "
                        f"{layout.RATE:g} frames a second (the rate live reads keypoint files at)")
    p.add_argument("--length", type=int, default=layout.SEQ_LEN,
                   help=f"frames per sequence (default {layout.SEQ_LEN})")
    p.add_argument("--mode", choices=MODES, default=MODES[0],
                   help=f"window: windows of consecutive frames at {layout.RATE:g} a second covering the video "
                        "(default); resample: one sequence per video")
    p.add_argument("--stride", type=int, help="with --mode window: most frames between window starts (default length/2)")
    p.add_argument("--workers", type=int, default=0, help="processes (default: all cores)")
    p.add_argument("--ray", metavar="local|auto|ADDRESS",
                   help="run on a Ray cluster: local (start one here), auto (the running cluster) or its address")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    # outputs refused before any work when they name, hold or lie in an input: common.check_paths_apart
    p.set_defaults(run=run, writes=("keypoints",), reads=("videos", "data"), keras=False)  # needs no model


def run(args):
    from ..datasets.from_videos import check_outputs, write_videos
    from ..errors import BadInput, SignlstmError
    from ..sign_names import sign_name
    check_outputs(args.label, args.data, args.keypoints, args.length, args.stride)
    if args.stride is not None and (args.keypoints or args.mode == "resample"):
        print("note: --stride is read with --data and --mode window only", file=sys.stderr)
    from ..outputs import check_file_out, check_writable_folder

    if args.data:
        check_writable_folder(args.data)  # before any video is read
    else:
        check_file_out(args.keypoints, "stream")
    def report(done):  # said before the keypoint file is put in place (which may fail on a full disk)
        if not done.used and len(done.skipped) == 1:  # the one input's problem is the one line
            raise BadInput(done.skipped[0].path, done.skipped[0].error)
        for item in done.skipped:
            print(f"skipped {item.path}: {item.error}", file=sys.stderr)
        if not done.used:
            raise SignlstmError("no video found in " + " ".join(args.videos) if not done.found
                                else f"none of the {done.found} video(s) could be used")

    label = sign_name(args.label) if args.label else None  # in composed form, as collect and the page name signs
    done = write_videos(args.videos, label, args.data or None, args.keypoints or None, args.length, args.mode,
                        args.stride, args.workers, args.ray,
                        progress=not args.quiet and sys.stderr.isatty(),  # a bar at a terminal, as evaluate's
                        note=lambda text: print(f"note: {text}", file=sys.stderr), ready=report)
    out = (f"{done.sequences} sequence(s) of '{label}' to {args.data}" if args.data
           else f"{args.keypoints}: {counted(done.frames, 'frame')} x {layout.FRAME_SIZE} values")
    print(f"wrote {out} from {done.used} video(s)" + (f", skipped {len(done.skipped)}" if done.skipped else ""))
