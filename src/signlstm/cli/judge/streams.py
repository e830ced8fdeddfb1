"""signlstm judge streams: continuous signing, several signs in a row with rests and other signs between."""
import sys

from .. import common, recognizer_options
from ...wording import counted


def register(sub):
    from ...recognizer import RULES

    p = sub.add_parser("streams", help="word error rate, other-sign words and latency on each held-out person's "
                                       "stream of signs, per recognizer rule")
    common.add_data(p, people=True)
    common.add_judging(p)
    p.add_argument("--others", nargs="+", metavar="PATH",
                   help="other-sign recordings for the streams (default: the --negatives files); each fold holds "
                        "one of these people out of training and puts their recordings in the stream")
    p.add_argument("--rules", nargs="+", default=None, metavar="RULE",
                   help="recognizer rules compared, each with its defaults (and those of the settings below it reads) "
                        f"and on bases of the recipe made for it (default: {' '.join(RULES)})")
    recognizer_options.add_settings(p)  # each applied to the rules compared that read it, as live and serve apply it
    p.add_argument("--seed", type=int, default=0, help="seed of the bases and the streams (default 0)")
    p.add_argument("--fixes", help="an audit fixes file applied to the bases' training data, or 'audit'")
    p.add_argument("--bases", metavar="DIR",
                   help="ready fold bases (DIR/<recipe>/<person>/, each trained without that person and its "
                        "fold's other-sign person; recipes: default, and spotting for the spot rule) instead of "
                        "training them")
    p.add_argument("--shipped", action="store_true",
                   help="judge every person with the shipped models instead of fold bases (the default model, and "
                        "the spotting model for the spot rule): for people and other-sign people they never saw, "
                        "every --others person in every stream; a person they were trained on is refused")
    p.add_argument("--adapt", type=int, metavar="K",
                   help="adapt every base to K of the person's recordings per sign first (as `signlstm adapt "
                        "--shots K`), and make the streams of their other recordings: what a person gets after "
                        "recording K of each sign")
    p.add_argument("--write-stream", metavar="FILE.npy",
                   help="only write the stream of the one person in --data (signs of every label, with --others' "
                        "recordings; signs the model does not know left out, unless it knows none: --model) as a "
                        "(frames, 1662) keypoint file for `live --source`, print its segments and its reference (the "
                        "words scored, by the model's names, as a JSON list), and stop")
    p.add_argument("--model", metavar="M",
                   help="with --write-stream: a model bundle folder whose signs the stream holds, under its names "
                        "(default: the shipped model; a person's own vocabulary needs the model adapted to it)")
    p.add_argument("--per-label", type=int, default=4, help="recordings per label in a stream (default 4)")
    p.add_argument("--others-per-stream", type=int, default=4, help="other-sign recordings in a stream (default 4)")
    p.add_argument("--streams", type=int, default=None, metavar="N",
                   help="streams per person and cell set, each with its own draw of recordings and order, pooled "
                        "(default 3; 1: the first draw alone)")
    # outputs refused before any work when they name, hold or lie in an input: common.check_paths_apart
    p.set_defaults(run=run, writes=("write_stream",), reads=("data", "negatives", "others", "fixes", "cells", "model"))


def run(args):
    from ...errors import SignlstmError
    from ...judging.folds import check_person_files
    from ...judging import cells as cells_mod
    from ...judging.streams import DRAWS, benchmark, check_options, check_stream_counts
    from ...judging.streams_report import format_streams
    from ...recognizer import RULES

    check_stream_counts(args.per_label, args.others_per_stream)
    recognizer_options.check_rule(args)
    if args.model is not None and not args.write_stream:
        raise SignlstmError("--model is read only with --write-stream: the benchmark judges fold bases it trains "
                            "(or, with --shipped, the shipped models)")
    if args.write_stream:
        given = [n for n in (*recognizer_options.SETTINGS, "rules", "streams", "adapt") if getattr(args, n) is not None]
        if given:
            print(f"note: --write-stream writes the stream and replays nothing: "
                  f"{', '.join('--' + n for n in given)} not read", file=sys.stderr)
        return write_stream(args)
    rules = args.rules or list(RULES)
    draws = DRAWS if args.streams is None else args.streams
    check_options(args.negatives, args.others, args.bases, args.shipped, [(r, {}) for r in rules], args.per_label,
                  args.others_per_stream, draws, args.adapt)
    if unread := set.intersection(*(set(recognizer_options.unread(args, r)) for r in rules)):
        print(f"note: no rule compared ({' '.join(rules)}) reads "
              f"{', '.join('--' + n for n in recognizer_options.SETTINGS if n in unread)}", file=sys.stderr)
    for paths in (args.data, args.negatives, args.others):
        if paths:
            check_person_files(paths, "judge streams", judged=paths is args.data)  # every defect before any training
    cells = cells_mod.load_cells(args.cells or cells_mod.find(args.data))
    res = benchmark(args.data, args.negatives, others=args.others, cells=cells,
                    rules=[(r, recognizer_options.settings_of(args, r)) for r in rules], fixes=args.fixes,
                    seed=args.seed, per_label=args.per_label, n_others=args.others_per_stream, draws=draws,
                    workers=args.workers, ray=args.ray, cache=args.cache, bases=args.bases, shipped=args.shipped,
                    adapt=args.adapt,
                    log=lambda m: print(m, file=sys.stderr, flush=True))
    print(common.json_line(res) if args.json else format_streams(res))


def write_stream(args):
    from ...errors import SignlstmError
    from ...outputs import check_file_out
    from ...judging.stream_scoring import person_stream, save_stream
    from ...sign_names import name_column

    if not str(args.write_stream).lower().endswith(".npy"):  # `live --source` knows keypoints by their suffix
        raise SignlstmError(f"--write-stream writes a keypoint file: name it .npy, got {args.write_stream}")
    check_file_out(args.write_stream, "stream")
    stream, notes = person_stream(args.data, args.others, seed=args.seed, per_label=args.per_label,
                                  n_others=args.others_per_stream, model=args.model)
    for note in notes:
        print(note, file=sys.stderr)
    save_stream(stream, args.write_stream)
    shown = [seg.label or "(other sign)" for seg in stream.segments]
    label = name_column(shown, 15)
    for seg, name in zip(stream.segments, shown):
        print(f"{seg.start:5d}-{seg.stop - 1:5d}  {label(name)}{seg.source} ({seg.recorded})")
    print(f"{counted(len(stream.frames), 'frame')}; reference: {common.json_line(stream.reference)}")
