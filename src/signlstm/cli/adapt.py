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
                        "unless --model is given. Default, as collect --then-adapt and the web page choose: top when "
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
    adapt_to(args, args.out, shots=args.shots, seed=args.seed, method=args.method, negatives=args.negatives,
             radius=args.radius, keep_base_actions=args.keep_base_actions, every_action=True)


def adapt_to(args, out, shots=None, seed=0, method=None, negatives=None, radius=None, keep_base_actions=False,
             asked=None, every_action=False):
    """Adapt ``args.model`` (or the shipped model) to ``args.data`` by ``method`` (default: the one
    :func:`signlstm.models.adapting.choose_method` chooses from the recordings) and write ``out``; used by ``collect
    --then-adapt`` too. ``args`` needs model, data, actions, length, skip_bad; ``asked``: the signs the person asked
    for, each named when the model does not answer it (default ``args.actions``); ``every_action``: a sign of
    ``args.actions`` that the data records under another spelling is refused, naming the data's (``adapt --actions``:
    Thanks for thanks would adapt to no recording of it); one the data does not hold at all is named in a note."""
    import time

    t0 = time.perf_counter()
    from ..errors import SignlstmError
    from ..outputs import check_folder_out
    from ..models.adapt import check_base
    from ..models.adapting import VOCAB, adapt_recordings, choose_method, recorded_signs
    from ..models.bundle import META_FILE, TRUNK_MODEL, load_bundle, save_bundle
    from ..models.keras_files import use_compilation_cache
    from ..sign_names import quoted_names

    check_options(method, radius, keep_base_actions, negatives)  # a method given: its options before any work
    if method:  # a vocabulary --model that it cannot refit: refused before any work
        check_base(args.model, method)
    check_folder_out(out, META_FILE)
    use_compilation_cache()
    # a vocabulary asked for starts from the trunk (--model, else the shipped one): the data's actions are new signs
    base = load_bundle(args.model or TRUNK_MODEL) if method == VOCAB else common.open_model(args, new_signs=True)
    if every_action and args.actions:
        from ..sign_names import same_signs

        held = list(dict.fromkeys(a for src in common.open_data(args) for a in src.actions))
        if spelled := same_signs([a for a in args.actions if a not in held], held):
            import shlex

            raise SignlstmError("--actions: " + "; ".join(f"'{a}' is recorded as '{b}' in the data: give --actions "
                                                          f"{shlex.quote(b)}" for a, b in spelled.items()))
    data = common.load_data(args, bundle=base)
    trunk = base if args.model or method == VOCAB else None  # else a vocabulary chosen below: the shipped trunk
    if method is None:  # chosen from what was recorded: its options checked now, saying why it was chosen
        method = choose_method(base, recorded_signs(data))
        check_options(method, radius, keep_base_actions, negatives, base=base)
    done = adapt_recordings(base, data, method=method, trunk=trunk,
                            shots=shots, seed=seed, radius=radius, keep_base_actions=keep_base_actions,
                            negatives=negatives, asked=args.actions if asked is None else asked)
    for kind, line in done.said:
        common.print_note(f"{kind}: {line}")
    bundle = done.bundle
    save_bundle(bundle.model, bundle.meta, out)
    a = bundle.meta["adapted"]
    counts = ", ".join(f"{k} {v}" for k, v in a["sequences"].items())
    new = f" (new: {', '.join(a['new_labels'])})" if a.get("new_labels") else ""
    new += f" (kept from the base: {', '.join(a['kept_base_actions'])})" if a.get("kept_base_actions") else ""
    print(f"wrote {out}: labels [{quoted_names(bundle.labels, always=True)}]{new}, adapted from {done.start.path} "
          f"on {counts} sequence(s) in {a['seconds']:.1f} s ({time.perf_counter() - t0:.1f} s in all)")
    if "check" in a:
        from ..models.vocabulary import check_lines

        print("\n".join(check_lines(a["check"])))
    return bundle


def check_options(method, radius, keep_base_actions, negatives, base=None) -> None:
    """Refuse options that do not go with ``method``; ``base``: the model whose signs chose it (the method was not
    given), named with the reason."""
    from ..errors import SignlstmError
    from ..models.adapting import VOCAB
    from ..models.bundle import is_vocabulary

    if method is None:
        return
    why = ""
    if base is not None and is_vocabulary(base.meta):
        why = f" ({base.path} is a vocabulary: recordings given to it make a vocabulary again)"
    elif base is not None:
        why = (f" (these recordings hold signs {base.path} does not know, which make a vocabulary of your own: give "
               "--method top to add them to it instead)" if method == VOCAB else
               f" (these recordings hold only signs {base.path} knows, so they adapt it: give --vocabulary for a "
               "vocabulary of them)")
    if keep_base_actions and method != VOCAB:
        raise SignlstmError("--keep-base-actions goes with --vocabulary (the other methods keep the base's signs "
                            "that --data has recordings of)" + why)
    if radius is not None and method != VOCAB:
        raise SignlstmError("--radius goes with --vocabulary (the other methods answer none from the base's own "
                            "none output)" + why)
    if negatives and method == VOCAB:
        raise SignlstmError("--negatives goes with the other methods: a vocabulary answers none for what lies beyond "
                            "--radius of your recordings, and learns no other signs" + why)
