"""signlstm collect: record keypoint sequences per action in the tutorial's MP_Data layout."""
from .. import layout


def register(sub):
    from ..datasets.mp_data import TUTORIAL_TREE
    from ..frames.sources import DEFAULT_CAMERA
    from ..fronts.recorder import PAUSE

    p = sub.add_parser("collect", help="record keypoint sequences for each action (MP_Data layout)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--actions", nargs="+", help="actions to record, in order")
    which.add_argument("--actions-file", metavar="FILE",
                       help="a UTF-8 text file with one sign per line (any name a folder can have: spaces, accents; "
                            "blank lines and lines starting with # skipped); resumable: each sign is recorded up "
                            "to --sequences, counting the sequences already in --data")
    p.add_argument("--sequences", type=int, default=30, help="sequences per action (default 30)")
    p.add_argument("--length", type=int, default=layout.SEQ_LEN,
                   help=f"frames per sequence (default {layout.SEQ_LEN})")
    p.add_argument("--data", default=TUTORIAL_TREE,
                   help=f"output folder (default {TUTORIAL_TREE}); existing sequences are kept")
    p.add_argument("--source", default=DEFAULT_CAMERA,
                   help=f"camera index (default {DEFAULT_CAMERA}), a video file, a folder of images or saved "
                        "keypoints (.npy); recorded at "
                        f"{layout.RATE:g} frames a second whatever its rate")
    p.add_argument("--rounds", action="store_true",
                   help="one sequence of each sign in turn, round after round, instead of all of one sign's before "
                        "the next: each sign's recordings spread over the session (a vocabulary taught from "
                        "recordings made one after another names the person's others less well: docs/vocabulary.md)")
    p.add_argument("--pause", type=float, default=PAUSE,
                   help=f"seconds of 'STARTING COLLECTION' before each sequence (default {PAUSE:g}; not recorded)")
    p.add_argument("--headless", action="store_true", help="no window; print each saved sequence")
    p.add_argument("--then-adapt", metavar="MODEL_DIR",
                   help="right after recording, adapt to the recordings in --data (with --actions-file: of its "
                        "signs only; with --actions: every sequence) and write your own model to MODEL_DIR, as "
                        "`signlstm adapt` and the web page do: the model adapted to you when every sign is one of "
                        "its own, else a vocabulary of your signs (as `signlstm adapt --vocabulary`, from the shipped "
                        "trunk)")
    p.add_argument("--model", metavar="M", help="with --then-adapt: the model to start from (default: the shipped "
                                                "model; a vocabulary starts from it unless it is a shipped one, "
                                                "then from the shipped trunk)")
    # outputs refused before any work when they name, hold or lie in an input: common.check_paths_apart
    p.set_defaults(run=run, writes=("then_adapt",), reads=("data", "source", "model", "actions_file"),
                   keras=False)  # needs no model (but --then-adapt loads its base, so Keras, before recording)


def run(args):
    import sys

    from ..errors import BadInput, SignlstmError
    from ..outputs import check_writable_folder
    from ..fronts.collect import check_names, check_plan, check_recording, collect, recording_plan
    from ..datasets.sequence_writer import SequenceWriter
    from ..sign_names import FEWEST_SIGNS, NONE, read_sign_list

    from .common import checked_actions, checked_length

    checked_length(args)  # (--sequences: common.check_counts)
    check_plan(args.length, args.pause)
    if args.model and not args.then_adapt:
        raise SignlstmError("--model goes with --then-adapt (the model to adapt after recording)")
    checked_actions(args)
    if args.actions_file:
        args.actions = read_sign_list(args.actions_file)
    if args.then_adapt:  # what adapting will need, checked before anything is recorded
        from pathlib import Path

        from ..outputs import check_folder_out
        from ..models.adapting import VOCAB, choose_method, vocabulary_start
        from ..models.bundle import DEFAULT_MODEL, META_FILE, is_vocabulary, load_bundle
        from ..sign_names import quoted_names, same_signs

        check_folder_out(args.then_adapt, META_FILE)
        if args.model and Path(args.model).is_file():  # collect's --actions are the signs to record, not its labels
            raise SignlstmError(f"--then-adapt starts from a model folder; {args.model} is a bare model file, which "
                                f"names no signs: record, then run signlstm adapt --model {args.model} --actions "
                                "<its signs in output order> --data ...")
        base = load_bundle(args.model or DEFAULT_MODEL)  # loaded whole, as adapting will load it: a broken base is said now
        # the signs adapting will take: a list's, else every sign in --data and those to record
        signs = [a for a in dict.fromkeys(args.actions if args.actions_file else
                                          [*SequenceWriter(args.data).recorded(), *args.actions]) if a != NONE]
        if choose_method(base, signs) == VOCAB:  # as adapting will choose it, once recorded
            if len(signs) < FEWEST_SIGNS:
                new = [a for a in signs if a not in base.signs and not same_signs([a], base.signs)]
                why = ("the model is a vocabulary" if is_vocabulary(base.meta) else
                       f"{quoted_names(new, always=True)} {'is' if len(new) == 1 else 'are'} not among its signs")
                raise SignlstmError(f"--then-adapt: a vocabulary needs at least {FEWEST_SIGNS} signs; {why}, so "
                                    f"recordings of {quoted_names(signs, always=True)} alone would make one")
            base = vocabulary_start(base)  # its start
        else:  # adapting the model reads the other signs stored with it: a broken file is said now, not after recording
            from ..models.stored_features import stored_other_signs

            stored_other_signs(base)
        wanted = base.seq_len
        if args.length != wanted:
            raise SignlstmError(f"--then-adapt adapts a model that reads {wanted}-frame sequences: record them with "
                                f"--length {wanted}")
    check_writable_folder(args.data)  # before any camera opens
    if note := check_names(args.actions, args.data):
        print(f"note: {note}", file=sys.stderr)
    check_recording(args.actions, args.data, args.length, args.pause)
    if args.actions_file:
        counts = SequenceWriter(args.data).still_to_record(args.actions, args.sequences)
        done = sum(args.sequences - c for c in counts.values())
        plan = recording_plan(args.actions, counts, args.sequences, args.rounds)
        complete = sum(not counts[a] for a in args.actions)
        print(f"{len(args.actions)} sign(s) in {args.actions_file}: {complete} complete, "
              f"{done} of {args.sequences * len(args.actions)} sequence(s) recorded"
              + (f"; next: {plan[0][0]}" if plan else ""), flush=True)
        wanted = sum(counts.values())
    else:
        counts, wanted = args.sequences, args.sequences * len(args.actions)

    def said_saved(path, note: str | None) -> None:  # each sequence as it is saved, and one nobody could learn from
        print(f"saved {path}", flush=True)
        if note:
            print(f"note: {path}: {note}", file=sys.stderr, flush=True)

    saved = collect(args.actions, counts, args.data, args.source, args.length,
                    window=not args.headless, pause=args.pause,
                    on_saved=said_saved, each=args.sequences, rounds=args.rounds)
    from ..frames.sources import is_camera

    if saved < wanted and not saved and args.headless and not is_camera(args.source):
        raise BadInput(args.source, f"ended before a whole sequence of {args.length} frames (at {layout.RATE:g} "
                                    f"a second) was recorded: nothing saved of the {wanted} sequence(s) asked for")
    if saved < wanted:
        ended = ("the source ended" if args.headless else "the source ended or the window was closed")
        print(f"stopped after {saved} of {wanted} sequence(s): {ended}")
    else:
        print(f"collected {saved} sequence(s) in {args.data}")
    if args.then_adapt and wanted and not saved:
        print("not adapted: nothing was recorded (run again to record, then adapt)")
    elif args.then_adapt:  # what was recorded now, or every sign already recorded before
        import argparse

        from .adapting import adapt_to

        # a list's signs only, else every sign in --data; the method chosen from them as adapt and the page choose it
        adapt_to(argparse.Namespace(model=args.model, data=[args.data], actions=args.actions if args.actions_file
                                    else None, length=args.length, skip_bad=False), args.then_adapt,
                 asked=args.actions)
