"""signlstm judge fewshot: how well `adapt` fits a person it never saw from K of their recordings."""
import sys

from .. import common


def register(sub):
    p = sub.add_parser("fewshot", help="few-shot adaptation to each held-out signer, K recordings per sign")
    common.add_data(p, people=True)
    common.add_judging(p)
    p.add_argument("--shots", type=int, nargs="+", default=[1, 3, 5], help="K values (default: 1 3 5)")
    p.add_argument("--arch", default="default", help="recipe of the base models (default: default)")
    p.add_argument("--seed", type=int, default=0, help="seed of the bases and the shot draws (default 0)")
    p.add_argument("--epochs", type=int, help="maximum epochs per base (default: the recipe's)")
    p.add_argument("--fixes", help="an audit fixes file applied to the bases' training data, or 'audit'")
    p.add_argument("--tutorial-epochs", type=int,
                   help="cap of the epochs of the tutorial recipe trained from scratch on the shots (default: its 500)")
    p.add_argument("--shipped", action="store_true",
                   help="adapt the shipped model to every person instead of fold bases: for people it never saw; a "
                        "person it was trained on is refused")
    p.set_defaults(run=run)


def run(args):
    from ...judging import fewshot_report
    from ...judging.fewshot import few_shot_cv
    from ...models.bundle import DEFAULT_MODEL

    res = few_shot_cv(args.data, shots=args.shots, seed=args.seed, workers=args.workers, cache=args.cache,
                      ray=args.ray, recipe=args.arch, epochs=args.epochs, negatives=args.negatives, fixes=args.fixes,
                      tutorial_epochs=args.tutorial_epochs,
                      base=DEFAULT_MODEL if args.shipped else None,
                      log=lambda m: print(m, file=sys.stderr, flush=True))
    print(common.json_line(res) if args.json else fewshot_report.format_fewshot(res))
