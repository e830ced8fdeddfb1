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
    from ..fronts.unicode_text import missing_letters_note

    sources, bundle = common.open_streamed(args)
    actions = ([a for a in bundle.labels if a != bundle.reject_label]
               if args.actions is None and bundle.path and bundle.path.is_dir() else None) or args.actions
    unknown: list[str] = []
    if actions:  # the data's other actions are not scored as signs: say which, before the figures
        from ..sign_names import is_rejection_name, same_signs, shown_list

        note = common.left_out_note(sources, actions)
        if note:
            print(note, file=sys.stderr)
        other = sorted({a for src in sources for a in src.actions if not is_rejection_name(a)} - set(actions)
                       - {bundle.reject_label})
        signs = [a for a in bundle.labels if a != bundle.reject_label]
        spelled = same_signs(other, signs)  # the model's signs under another spelling: neither scored nor unknown
        left = [a for a in other if a in signs or a in spelled]  # its own signs that --actions leaves out, too
        if left:
            print(f"note: not scored, the model's own sign(s) spelled otherwise or left out of --actions: "
                  f"{shown_list([f'{a} ({spelled[a]})' if a in spelled else a for a in left])}", file=sys.stderr)
        unknown = [a for a in other if a not in left]
        if unknown and bundle.reject_label:
            print(f"note: the data's action(s) the model does not know, scored by how often it answers "
                  f"{bundle.reject_label} to them: {shown_list(unknown)} (it knows {shown_list(signs)})",
                  file=sys.stderr)
        elif unknown:
            print(f"note: not scored, the data's action(s) the model does not know (it has no rejection label): "
                  f"{shown_list(unknown)}", file=sys.stderr)
            unknown = []
    result = evaluate(bundle, stream(args.data, actions=actions + unknown if actions else None, sources=sources),
                      unknown=unknown if actions else ())
    if result["skipped"]:
        print(describe_skipped(result["skipped"]), file=sys.stderr)
    if args.plot and not result["n"]:
        print(f"note: {args.plot} not written: no recordings of the model's own signs to plot", file=sys.stderr)
    elif args.plot:
        plot_confusion(result, args.plot)
        common.print_note(missing_letters_note(result["labels"]))
    print(json.dumps(result) if args.json else format_report(result))
