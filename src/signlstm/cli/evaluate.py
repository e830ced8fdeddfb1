"""signlstm evaluate: accuracy, per-class and per-signer scores, confusion of a model on labelled data."""

from . import common


def register(sub):
    p = sub.add_parser("evaluate", help="score a model on labelled data")
    common.add_model(p)
    common.add_data(p, model=True)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--plot", metavar="FILE.png", help="save the confusion matrix as a picture")
    # outputs refused before any work when they name, hold or lie in an input: common.check_paths_apart
    p.set_defaults(run=run, writes=("plot",), reads=("model", "data"))


def run(args):
    import sys

    from tqdm.auto import tqdm

    from ..datasets import CHUNK, describe_skipped, shared_names_note
    from ..judging.metrics import check_plot_out, evaluate_data, format_report, plot_confusion
    from ..unicode_text import missing_letters_note
    from ..models.keras_files import use_compilation_cache

    if args.plot:
        check_plot_out(args.plot)  # before the model is loaded and the data read
    use_compilation_cache()
    common.stage("evaluate", f"loading {args.model or 'the shipped model'}")
    sources, bundle = common.open_streamed(args)
    common.print_note(shared_names_note(sources))  # scored per person
    total = sum(src.count for src in sources)
    common.stage("evaluate", f"scoring {total:,} recordings, at most {CHUNK} at a time; the first chunk also "
                             "compiles the model")
    with tqdm(total=total, desc="evaluate", unit="seq", file=sys.stderr, disable=not sys.stderr.isatty()) as bar:
        result, notes = evaluate_data(bundle, args.data, args.actions, sources=sources, step=bar.update)
        bar.update(total - bar.n)  # recordings read but not scored (labelled none, or no sign of the model's) too
    for note in notes:  # what is scored under another name or left out
        print(note, file=sys.stderr)
    if result["skipped"]:
        print(describe_skipped(result["skipped"]), file=sys.stderr)
    if args.plot and not result["n"]:
        print(f"note: {args.plot} not written: no recordings of the model's own signs to plot", file=sys.stderr)
    elif args.plot:
        plot_confusion(result, args.plot)
        common.print_note(missing_letters_note(result["labels"]))
        print(f"wrote {args.plot}", file=sys.stderr)  # (stdout holds the report, or the JSON with --json)
    print(common.json_line(result) if args.json else format_report(result))
