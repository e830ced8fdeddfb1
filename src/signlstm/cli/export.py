"""signlstm export: the tutorial's save_weights / to_json / .h5 forms of a model."""
from pathlib import Path

from . import common


def register(sub):
    p = sub.add_parser("export", help="write the model as weights, JSON architecture or a single .h5 file")
    common.add_model(p)
    common.add_h5_actions(p)
    p.add_argument("--format", required=True, choices=["weights", "json", "h5"])
    p.add_argument("--out", help="output file (default: action.weights.h5 / action.json / action.h5)")
    # outputs refused before any work when they name, hold or lie in an input: common.check_paths_apart
    p.set_defaults(run=run, writes=("out",), reads=("model",))


def run(args):
    from ..files import H5_SUFFIXES, check_file_out, check_free_space, write_atomic, write_text

    default = {"weights": "action.weights.h5", "json": "action.json", "h5": "action.h5"}[args.format]
    out = Path(args.out or default)
    # a folder is refused as given, before a suffix would make it the name of a file; the JSON of the network's
    # layout holds no weights: no model file is replaced by it
    check_file_out(out, "report" if args.format == "json" else "model")
    bundle = common.open_model(args)
    if args.format == "json":
        write_text(out, bundle.model.to_json())
    else:
        if args.format == "weights" and not out.name.endswith(".weights.h5"):
            out = out.with_name(out.name.removesuffix(".h5") + ".weights.h5")
        elif args.format == "h5" and out.suffix.lower() not in H5_SUFFIXES:  # `--model` reads it by its suffix
            out = out.with_name(out.name + ".h5")
        check_file_out(out, "model")
        save = _save_weights if args.format == "weights" else _save_h5
        # HDF5 can crash on a full disk: the weights and 1 MB of layout must fit before it starts
        check_free_space(out, sum(int(w.numpy().nbytes) for w in bundle.model.weights) + (1 << 20))
        write_atomic(out, lambda p: save(bundle.model, p))
    print(f"wrote {out}")


def _save_h5(model, tmp):
    import absl.logging  # Keras warns through absl that .h5 is a legacy format: the tutorial's is what was asked

    level = absl.logging.get_verbosity()
    absl.logging.set_verbosity(absl.logging.ERROR)
    try:
        _saved_as(tmp, ".h5", model.save)
    finally:
        absl.logging.set_verbosity(level)


def _save_weights(model, tmp):
    _saved_as(tmp, ".weights.h5", model.save_weights)


def _saved_as(tmp: str, suffix: str, save) -> None:
    """``save(tmp + suffix)`` (Keras picks the format by the suffix), then renamed to ``tmp``; the file is removed
    if the save fails or is interrupted."""
    named = Path(tmp + suffix)
    try:
        save(str(named))
        named.replace(tmp)
    finally:
        named.unlink(missing_ok=True)
