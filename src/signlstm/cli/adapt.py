"""signlstm adapt: fit a trained model to a new person (and new signs) from a few of their recordings, in seconds."""
from . import common
from ..sign_names import FEWEST_SIGNS


def register(sub):
    p = sub.add_parser("adapt", help="fit a model to a new person or new signs from a few recordings (seconds)")
    common.add_model(p)
    common.add_data(p, model=True)
    p.add_argument("--out", required=True, metavar="MODEL_DIR", help="bundle folder to write")
    p.add_argument("--shots", type=int, metavar="K",
                   help="use at most K sequences per action, chosen at random (default: all)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random choice and of the fit (default 0)")
    p.add_argument("--method", choices=["top", "head", "ncm", "vocab"],
                   help="top: fit the embedding layer and a new head; head: the head only; "
                        f"ncm: nearest class mean, no fitting; vocab: your own vocabulary ({FEWEST_SIGNS} signs or more; "
                        "measured up to 50): answers only your signs and 'none' for any other, from the shipped trunk "
                        "unless --model names another than the shipped models. Default, as collect --then-adapt and the web page choose: top when "
                        "every recorded sign is one of the model's, vocab when one is new or the model is a vocabulary")
    p.add_argument("--vocabulary", dest="method", action="store_const", const="vocab",
                   help="the same as --method vocab")
    p.add_argument("--radius", type=float,
                   help="with vocab: how far from your recordings a window may be and still be a sign (default "
                        "1.1; smaller rejects more)")
    p.add_argument("--keep-base-actions", action="store_true",
                   help="with vocab: answer the base's own signs too (the shipped trunk's hello, thanks, iloveyou), "
                        "from recordings stored with it; without it a vocabulary answers only your signs")
    p.add_argument("--negatives", nargs="+", metavar="PATH",
                   help="recordings of other signs or idle moments, as extra examples of the base's 'none' (at "
                        "most 3 per sign recording of yours; default: the other signs stored with the base, if any)")
    # outputs refused before any work when they name, hold or lie in an input: common.check_paths_apart
    p.set_defaults(run=run, writes=("out",), reads=("model", "data", "negatives"))


def run(args):
    from .adapting import adapt_to

    adapt_to(args, args.out, shots=args.shots, seed=args.seed, method=args.method, negatives=args.negatives,
             radius=args.radius, keep_base_actions=args.keep_base_actions, every_action=True)
