"""signlstm evaluate: accuracy, per-class and per-signer scores, confusion of a model on labelled data."""
import json

from . import common


def register(sub):
    p = sub.add_parser("evaluate", help="score a model on labelled data")
    common.add_model(p)
    common.add_data(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--plot", metavar="FILE.png", help="save the confusion matrix as a picture")
    p.set_defaults(run=run)


def run(args):
    import sys

    from ..datasets import describe_skipped, stream
    from ..judging.metrics import evaluate, format_report, plot_confusion
    from ..unicode_text import missing_letters_note

    sources, bundle = common.open_streamed(args)
    actions = ([a for a in bundle.labels if a != bundle.reject_label]
               if args.actions is None and bundle.path and bundle.path.is_dir() else None) or args.actions
    if actions:  # the data's other actions are not scored: say which, before the figures that leave them out
        from ..sign_names import is_rejection_name, shown_name

        note = common.left_out_note(sources, actions)
        if note:
            print(note, file=sys.stderr)
        other = sorted({a for src in sources for a in src.actions if not is_rejection_name(a)} - set(actions)
                       - {bundle.reject_label})
        if other:
            shown = ", ".join(map(shown_name, other[:10])) + (f" and {len(other) - 10} more" if len(other) > 10 else "")
            print(f"note: not scored, the data's action(s) the model does not know: {shown} (it knows "
                  f"{', '.join(map(shown_name, actions))})", file=sys.stderr)
    result = evaluate(bundle, stream(args.data, actions=actions, sources=sources))
    if result["skipped"]:
        print(describe_skipped(result["skipped"]), file=sys.stderr)
    if args.plot:
        plot_confusion(result, args.plot)
        common.print_note(missing_letters_note(result["labels"]))
    print(json.dumps(result) if args.json else format_report(result))
