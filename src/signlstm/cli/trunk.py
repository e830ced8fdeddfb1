"""signlstm trunk: train the network whose features `adapt --vocabulary` builds personal vocabularies on."""
def register(sub):
    p = sub.add_parser("trunk", help="train a trunk for personal vocabularies on every kind of sign "
                                     "(what models/trunk was made with)")
    p.add_argument("--data", nargs="+", required=True, metavar="PATH",
                   help="one packed .npz per person with that person's own signs (e.g. ../shared/data/vocab)")
    p.add_argument("--negatives", nargs="+", default=[], metavar="PATH",
                   help="more people's signs (e.g. ../shared/data/other_signs), each person's as their own classes")
    p.add_argument("--signers", nargs="+", default=[], metavar="PATH",
                   help="signers' hello/thanks/iloveyou (e.g. ../shared/data/signers), a few per signer and sign")
    p.add_argument("--held-out", metavar="PERSON", help="leave this person's recordings out of every file")
    p.add_argument("--out", required=True, metavar="MODEL_DIR", help="bundle folder to write")
    p.add_argument("--epochs", type=int, help="epochs (default: the default recipe's)")
    p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    # outputs refused before any work when they name, hold or lie in an input: common.check_paths_apart
    p.set_defaults(run=run, writes=("out",), reads=("data", "negatives", "signers"))


def run(args):
    from ..outputs import check_folder_out
    from ..judging.trunks import check_trunk_inputs, train_trunk
    from ..models.bundle import META_FILE

    check_folder_out(args.out, META_FILE)  # before the training starts
    check_trunk_inputs(args.data, args.negatives, args.signers, args.held_out)
    r = train_trunk(args.data, args.negatives, args.signers, args.held_out, args.out, epochs=args.epochs,
                    seed=args.seed)
    print(f"wrote {r['path']}: {r['classes']} classes, {r['sequences']} sequences, {r['seconds']} s")

