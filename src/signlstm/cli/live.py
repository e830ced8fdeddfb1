"""signlstm live: recognise signs from a camera, a video or saved keypoints, in a window or as JSON lines."""

from ..errors import SignlstmError
from . import common, recognizer_options
from ..wording import counted


def register(sub):
    from ..frames.sources import DEFAULT_CAMERA

    p = sub.add_parser("live", help="recognise signs in real time (camera, video file or keypoint file)")
    common.add_front_model(p)
    common.add_h5_actions(p)
    p.add_argument("--source", default=DEFAULT_CAMERA,
                   help=f"camera index (default {DEFAULT_CAMERA}), a video file, a folder of images, or keypoints "
                        "(.npy / MP_Data sequence)")
    recognizer_options.add_rule(p)
    p.add_argument("--headless", action="store_true",
                   help="no window: print one JSON line per word, then a summary line")
    p.add_argument("--out", metavar="FILE.mp4", help="write the annotated video (.mp4 or .avi)")
    p.add_argument("--strip", metavar="FILE.png", help="write a picture (.png or .jpg) of the frames where words "
                                                       "appeared")
    p.add_argument("--serial", action="store_true", help="run the stages one after another (for comparison)")
    p.add_argument("--fps", type=float, help="frames a second of the source (default: a video's frames at their "
                                             "own times, keypoints and images at 30, a camera's frames at the times "
                                             "they arrive); the recognizer sees 30")
    # outputs refused before any work when they name, hold or lie in an input: common.check_paths_apart
    p.set_defaults(run=run, writes=("out", "strip"), reads=("source", "model"), whole=("source", "model"))


def run(args):
    import sys

    from ..fronts.live import check_out_paths, fps_problem, run as run_live
    from ..frames.sources import check_stream, short_input_note
    from ..models.keras_files import use_compilation_cache

    recognizer_options.check_rule(args)
    if problem := fps_problem(args.fps):
        raise SignlstmError(f"--fps {problem}")
    check_out_paths(args.out, args.strip)
    check_stream(args.source)  # a bad keypoint file is refused before the model is loaded
    use_compilation_cache()
    bundle = common.open_model(args, front=True)
    recognizer_options.rule_notes(args, bundle)
    if not args.headless or args.out or args.strip:  # the sign names are drawn
        from ..unicode_text import missing_letters_note

        common.print_note(missing_letters_note(bundle.labels))

    def word(event):
        if args.headless:
            print(common.json_line(event), flush=True)

    summary = run_live(bundle, args.source, args.threshold, args.stability, args.sentence,
                       window=not args.headless, out=args.out, strip=args.strip, serial=args.serial,
                       on_word=word, rule=args.rule, rest=args.rest, rearm=args.rearm, onset=args.onset,
                       refractory=args.refractory, fps=args.fps)
    if "note" in summary:
        print(f"note: {summary['note']}", file=sys.stderr)
    note = short_input_note(args.source, summary["recognized_frames"], bundle.seq_len)
    if note:  # not an error: the input ended before the model's window was ever full
        print(note, file=sys.stderr)
    if "no_word" in summary:
        print(f"note: {args.source}: no word: {summary['no_word']}", file=sys.stderr)
    if args.headless:
        print(common.json_line(summary), flush=True)
    else:
        print(f"{counted(summary['frames'], 'frame')} at {summary['fps']} fps; words: "
              f"{' '.join(summary['words']) or '(none)'}")
