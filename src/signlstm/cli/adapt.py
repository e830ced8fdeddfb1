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
    p.add_argument("--method", choices=["top", "head", "ncm", "vocab"], default="top",
                   help="top: fit the embedding layer and a new head (default); head: the head only; "
                        f"ncm: nearest class mean, no fitting; vocab: your own vocabulary ({FEWEST_SIGNS} signs or more; "
                        "measured up to 50): answers only your signs and 'none' for any other, from the shipped trunk "
                        "unless --model is given")
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


def adapt_to(args, out, shots=None, seed=0, method="top", negatives=None, radius=None, keep_base_actions=False,
             asked=None, every_action=False):
    """Adapt ``args.model`` (or the shipped model) to ``args.data`` and write ``out``; used by ``collect --then-adapt``
    too. ``args`` needs model, data, actions, length, skip_bad; ``asked``: the signs the person asked for, each named
    when the model does not answer it (default ``args.actions``); ``every_action``: a sign of ``args.actions`` that
    the data records under another spelling is refused, naming the data's (``adapt --actions``: Thanks for thanks
    would adapt to no recording of it); one the data does not hold at all is named in a note."""
    import time

    t0 = time.perf_counter()
    from ..errors import SignlstmError
    from ..models.adapt import adapt, adapt_notes, load_negatives
    from ..models.keras_files import use_compilation_cache
    from ..models.bundle import save_bundle
    from ..models.vocabulary import RADIUS, TRUNK_MODEL, adapt_vocab
    from ..sign_names import quoted_names

    if keep_base_actions and method != "vocab":
        raise SignlstmError("--keep-base-actions goes with --vocabulary (the other methods keep the base's signs "
                            "that --data has recordings of)")
    if radius is not None and method != "vocab":
        raise SignlstmError("--radius goes with --vocabulary (the other methods answer none from the base's own "
                            "none output)")
    if negatives and method == "vocab":
        raise SignlstmError("--negatives goes with the other methods: a vocabulary answers none for what lies beyond "
                            "--radius of your recordings, and learns no other signs")
    check_base(args.model, method)
    from ..outputs import check_folder_out
    from ..models.bundle import META_FILE

    check_folder_out(out, META_FILE)
    use_compilation_cache()
    if method == "vocab":  # the base is a trunk: the data's actions are new signs, not its labels
        from ..models.bundle import load_bundle

        base = load_bundle(args.model or TRUNK_MODEL)
    else:
        base = common.open_model(args, new_signs=True)
    if every_action and args.actions:
        from ..sign_names import same_signs

        held = list(dict.fromkeys(a for src in common.open_data(args) for a in src.actions))
        if spelled := same_signs([a for a in args.actions if a not in held], held):
            import shlex

            raise SignlstmError("--actions: " + "; ".join(f"'{a}' is recorded as '{b}' in the data: give --actions "
                                                          f"{shlex.quote(b)}" for a, b in spelled.items()))
    data = common.load_data(args, bundle=base)
    if method == "vocab":
        bundle = adapt_vocab(base, data, shots=shots, seed=seed, radius=RADIUS if radius is None else radius,
                             keep_base_actions=keep_base_actions)
    else:
        bundle = adapt(base, data, shots=shots, seed=seed, method=method,
                       negatives=load_negatives(negatives, base.seq_len))
    for note in adapt_notes(base, data, bundle, asked=args.actions if asked is None else asked):
        common.print_note(f"note: {note}")
    for key, kind in (("hands_unseen", "note"), ("hands_rare", "warning")):  # what the vocabulary's shots lacked
        if bundle.meta["adapted"].get(key):
            common.print_note(f"{kind}: {bundle.meta['adapted'][key]}")
    save_bundle(bundle.model, bundle.meta, out)
    a = bundle.meta["adapted"]
    counts = ", ".join(f"{k} {v}" for k, v in a["sequences"].items())
    new = f" (new: {', '.join(a['new_labels'])})" if a.get("new_labels") else ""
    new += f" (kept from the base: {', '.join(a['kept_base_actions'])})" if a.get("kept_base_actions") else ""
    print(f"wrote {out}: labels [{quoted_names(bundle.labels, always=True)}]{new}, adapted from {base.path} on "
          f"{counts} sequence(s) in {a['seconds']:.1f} s ({time.perf_counter() - t0:.1f} s in all)")
    if "check" in a:
        from ..models.vocabulary import check_lines

        print("\n".join(check_lines(a["check"])))
    return bundle


def check_base(model, method: str, how: str = "adapt it with --vocabulary") -> None:
    """Refuse, before anything is read or recorded, to adapt a vocabulary model (one ``adapt --vocabulary`` made)
    by another method: its head is a vocabulary's, which those methods cannot refit; ``how`` says what to do
    instead."""
    from pathlib import Path

    from ..errors import SignlstmError
    from ..models.bundle import META_FILE, is_vocabulary, read_meta

    if method == "vocab" or not model or not (Path(model) / META_FILE).is_file():
        return
    if is_vocabulary(read_meta(model)):
        raise SignlstmError(f"{model} is a vocabulary (made by adapt --vocabulary): {how}, giving the recordings "
                            "of every sign it should answer")
