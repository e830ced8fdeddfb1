"""signlstm evaluate: accuracy, per-class and per-signer scores, confusion; or signer cross-validation."""
import json

from . import common


def register(sub):
    p = sub.add_parser("evaluate", help="score a model on labelled data, or cross-validate by signer")
    common.add_model(p)
    common.add_data(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--plot", metavar="FILE.png", help="save the confusion matrix as a picture")
    p.add_argument("--cv", choices=["signers"], help="leave-one-signer-out cross-validation instead")
    p.add_argument("--arch", nargs="+", default=["default"], help="with --cv: recipes to compare")
    p.add_argument("--seeds", type=int, nargs="+", default=[0], help="with --cv: training seeds")
    p.add_argument("--epochs", type=int, help="with --cv: maximum epochs per fold")
    p.add_argument("--workers", type=int, default=0, help="with --cv: parallel fold processes (default: all cores)")
    p.add_argument("--shots", type=int, nargs="+", help="with --cv: few-shot adaptation with K sequences per action")
    p.add_argument("--fixes", help="with --cv: apply an audit fixes file to the training folds, or 'audit' to audit "
                                   "each fold's training signers only (strictly held out)")
    p.add_argument("--tutorial-epochs", type=int, default=30,
                   help="with --cv: cap of the tutorial recipe's 500 epochs per fold (it is slow; default 30)")
    p.add_argument("--tutorial-seeds", type=int, nargs="+",
                   help="with --cv: seeds for the tutorial recipe (default: --seeds)")
    p.add_argument("--results", metavar="FILE.json", help="with --cv: also write every fold's predictions here")
    p.add_argument("--negatives", nargs="+", metavar="PATH", help="with --cv: other-sign recordings for rejection")
    p.set_defaults(run=run)


def run(args):
    if args.cv:
        from ..judging.crossval import run_cli

        return run_cli(args)
    from ..judging.metrics import evaluate, format_report, plot_confusion

    bundle = common.open_model(args)
    data = common.load_data(args, actions=[a for a in bundle.labels if a != bundle.reject_label]
                            if args.actions is None and bundle.path and bundle.path.is_dir() else None)
    result = evaluate(bundle, data)
    if args.plot:
        plot_confusion(result, args.plot)
    print(json.dumps(result) if args.json else format_report(result))
