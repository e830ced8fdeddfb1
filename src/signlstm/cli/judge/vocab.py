"""signlstm judge vocab: each person's own vocabulary taught with K recordings per sign, untaught signs must be none."""
import sys

from .. import common
from ...sign_names import FEWEST_SIGNS


def register(sub):
    p = sub.add_parser("vocab", help="personal vocabularies: 3/4 of a person's signs taught with K recordings each, "
                                     "the rest never taught (must be 'none'), on trunks that never saw the person")
    p.add_argument("--data", nargs="+", required=True, metavar="PATH",
                   help="one packed .npz per person (its signs, e.g. ../shared/data/vocab), or folders of them")
    common.add_judging(p, cells=False,  # --cells is refused in check_options, with its reason
                       negatives="more people's signs (e.g. ../shared/data/other_signs) in the trunks' training set, "
                                 "each person's as classes of their own; not tested")
    p.add_argument("--signers", nargs="+", metavar="PATH",
                   help="signers' hello/thanks/iloveyou recordings, also in the trunks' training set")
    p.add_argument("--shots", type=int, nargs="+", default=[1, 3, 5, 10], help="K values (default: 1 3 5 10)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                   help="seeds of the taught/untaught split and the shot draws (default: 0 1 2)")
    p.add_argument("--consecutive", action="store_true",
                   help="each sign's K recordings are K made one after another (in the file's order, from a seeded "
                        "start), as a person records them, instead of any K of its recordings")
    p.add_argument("--radius", type=float, help="open-set radius of adapt (default 1.1, as adapt's)")
    p.add_argument("--radii", type=float, nargs="+", default=[],
                   help="also score the same fits at these radii: the trade-off table (known signs answered none "
                        "against untaught signs answered none)")
    p.add_argument("--tutorial-shots", type=int, nargs="*", default=[5],
                   help="K values at which the tutorial recipe is trained from scratch beside (first seed; "
                        "default: 5; none: skip)")
    p.add_argument("--tutorial-epochs", type=int, help="cap of the tutorial recipe's epochs (default: its 500)")
    p.add_argument("--epochs", type=int, help="maximum epochs per trunk (default: the recipe's)")
    p.add_argument("--adapt-runs", type=int, default=3, metavar="N",
                   help="time `signlstm adapt --vocabulary` N times in a fresh process on the largest vocabulary "
                        "(5 recordings per sign, start-up included; default 3, 0: skip)")
    p.add_argument("--streams", type=int, default=1, metavar="N",
                   help="N streams per person, seed and K in which the taught signs are made in a row (one recording "
                        "each, the untaught signs between, rests of hand-less frames), read as `live` reads them: "
                        "word error rate and words said on untaught signs (default 1, 0: skip)")
    p.add_argument("--signs", type=int, metavar="N",
                   help=f"teach N of each person's signs (a seeded choice, at least {FEWEST_SIGNS}; the rest never "
                        "taught) instead of three quarters of them: small vocabularies")
    p.add_argument("--trunks", metavar="DIR", help="use DIR/<person> as each person's trunk instead of training them")
    p.add_argument("--shipped", action="store_true",
                   help="use the shipped trunk (what `adapt --vocabulary` starts from) for every person instead of "
                        "training trunks: for people it never saw; a person it was trained on is refused")
    p.set_defaults(run=run)


def run(args):
    from tqdm import tqdm

    from ...models.vocabulary import TRUNK_MODEL
    from ...judging import vocab, vocab_report

    check_options(args)
    trunk = TRUNK_MODEL if args.shipped else None
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    # every file checked before the bar is drawn, each person's signs and recordings against the splits too
    people = vocab.person_files(args.data, args.negatives or [], args.signers or [], args.trunks, trunk,
                                shots=args.shots, seeds=args.seeds, signs=args.signs)
    bar = tqdm(total=len(people), desc="people", unit="person", file=sys.stderr)
    try:
        res = vocab.run(args.data, others=args.negatives or [], signers=args.signers or [], shots=args.shots,
                        seeds=args.seeds, radius=args.radius, tutorial=args.tutorial_shots,
                        tutorial_epochs=args.tutorial_epochs, trunk_folder=args.trunks, trunk=trunk,
                        epochs=args.epochs, workers=args.workers, ray=args.ray, cache=args.cache, log=log,
                        progress=lambda p: bar.update(), radii=args.radii, adapt_runs=args.adapt_runs,
                        streams=args.streams, signs=args.signs, consecutive=args.consecutive)
    finally:
        bar.close()  # ends the bar's line: anything said next (an error too) starts on its own line
    summ = vocab.summary(res)
    print(common.json_line({**res, "summary": summ}) if args.json else vocab_report.format_vocab(res, summ))


def check_options(args) -> None:
    """Every option refused in one line before any file is read, any trunk trained or the progress bar drawn."""
    from ...errors import SignlstmError

    if args.cells:
        raise SignlstmError("--cells: judge vocab does not use consistent-gesture cells (each person's own signs are "
                            "their own classes); leave it out")
    from ...judging.vocab import check_run_options

    check_run_options(signs=args.signs, tutorial=args.tutorial_shots, streams=args.streams,
                      adapt_runs=args.adapt_runs, radii=args.radii, radius=args.radius,
                      trunk=args.shipped or None, trunk_folder=args.trunks)
