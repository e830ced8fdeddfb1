"""signlstm train: fit a recipe on keypoint data and write a model bundle."""
from . import common
from ..wording import counted


def register(sub):
    p = sub.add_parser("train", help="train a model and write a bundle folder")
    common.add_data(p)
    p.add_argument("--out", required=True, metavar="MODEL_DIR", help="bundle folder to write")
    p.add_argument("--arch", default="default",
                   help="recipe: default (signer-independent), spotting (the same network trained on synthetic "
                        "streams, for the spot rule) or tutorial (the seed's model); default: default")
    p.add_argument("--epochs", type=int, help="maximum epochs (default: the recipe's)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the starting weights, the order of the batches and the augmentation (default 0)")
    p.add_argument("--logdir", help="write TensorBoard logs here")
    p.add_argument("--fixes", help="a fixes CSV from `signlstm audit` to apply (relabel or drop)")
    p.add_argument("--negatives", nargs="+", metavar="PATH",
                   help="recordings of other signs, all trained as the rejection label 'none'")
    # outputs refused before any work when they name, hold or lie in an input: common.check_paths_apart
    p.set_defaults(run=run, writes=("out", "logdir"), reads=("data", "negatives", "fixes"))


def stage(text: str) -> None:
    """Say on stderr which stage of the training starts (each may take seconds to a minute before the bar moves)."""
    common.stage("train", text)


def run(args):
    from ..datasets import load
    from ..outputs import check_folder_out, check_writable_folder
    from ..models.bundle import META_FILE
    from ..sign_names import spelled_alike_note

    check_folder_out(args.out, META_FILE)
    if args.logdir:
        check_writable_folder(args.logdir)
    stage(f"reading {' '.join(map(str, args.data))}")  # (Keras loads meanwhile: seconds before the bar)
    from ..models import recipes
    from ..models.bundle import save_bundle
    from ..models.training import train_bundle

    recipe = recipes.get(args.arch)
    data = common.load_data(args, require_all=True, **recipe.held)
    common.print_note(spelled_alike_note(data.actions))
    others = None  # read once: trained as 'none', and stored for `adapt`
    if args.negatives:
        stage(f"reading the other signs, {' '.join(map(str, args.negatives))}")
        others = load(args.negatives, length=data.seq_len, parts=recipe.parts_read, dtype=data.frames.dtype)
    named = {**({"fixes": str(args.fixes)} if args.fixes else {}),
             **({"negatives": [str(p) for p in args.negatives]} if args.negatives else {})}
    bundle, extra, notes = train_bundle(data, recipe, others, fixes=args.fixes, epochs=args.epochs, seed=args.seed,
                                        logdir=args.logdir, named=named, on_stage=stage)
    for note in notes:
        common.print_note(f"note: {note}")
    save_bundle(bundle.model, bundle.meta, args.out, extra=extra)  # the model and its features in one rename
    m = bundle.meta["metrics"]
    acc = (f", held-back accuracy {m['test_accuracy']:.3f} on {counted(m['test_sequences'], 'sequence')}"
           if "test_accuracy" in m else "")
    print(f"wrote {args.out}: {bundle.meta['arch']} model, {bundle.model.count_params():,} parameters, "
          f"labels {bundle.labels}, {counted(bundle.meta['training']['epochs_run'], 'epoch')}{acc}")
    if bundle.reject_label is None and args.arch == "default":  # (the tutorial's own setup has none)
        common.print_note("note: no --negatives (nor a 'none' folder in the data): the model has no 'none' output, so "
                          "every window is named one of its signs; the shipped model was trained with --negatives "
                          "(other signs)")
