"""What ``signlstm adapt`` and ``collect --then-adapt`` share: adapting a model to ``--data`` the one way every front
does (:func:`signlstm.models.adapting.adapt_recordings`), writing it, and saying what it made."""
from . import common


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
    trunk = base if method == VOCAB else None  # asked for: the trunk loaded above; else adapting.vocabulary_start
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
        why = f"; {base.path} is a vocabulary: recordings given to it make a vocabulary again"
    elif base is not None:
        why = (f"; these recordings hold signs {base.path} does not know, which make a vocabulary of your own: give "
               "--method top to add them to it instead" if method == VOCAB else
               f"; these recordings hold only signs {base.path} knows, so they adapt it: give --vocabulary for a "
               "vocabulary of them")
    if keep_base_actions and method != VOCAB:
        raise SignlstmError("--keep-base-actions goes with --vocabulary (the other methods keep the base's signs "
                            "that --data has recordings of)" + why)
    if radius is not None and method != VOCAB:
        raise SignlstmError("--radius goes with --vocabulary (the other methods answer none from the base's own "
                            "none output)" + why)
    if negatives and method == VOCAB:
        raise SignlstmError("--negatives goes with the other methods: a vocabulary answers none for what lies beyond "
                            "--radius of your recordings, and learns no other signs" + why)
