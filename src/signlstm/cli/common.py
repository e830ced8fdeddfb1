"""Options and loading steps shared by several subcommands."""
from __future__ import annotations

import sys


def add_data(p, required=True):
    p.add_argument("--data", nargs="+", required=required, metavar="PATH",
                   help="MP_Data folders (<action>/<seq>/<frame>.npy), packed .npz files or folders of them")
    p.add_argument("--actions", nargs="+", help="actions to use, in label order (default: folder names)")
    p.add_argument("--length", type=int, help="frames per sequence (default: from the data, at least 30)")
    p.add_argument("--skip-bad", action="store_true", help="skip defective sequences instead of stopping")


def add_model(p, required=False):
    p.add_argument("--model", required=required, metavar="M",
                   help="a model bundle folder (default: the shipped model) or a tutorial .h5 with --actions")


def add_front_model(p):
    p.add_argument("--model", metavar="M",
                   help="a model bundle folder or a tutorial .h5 with --actions (default: the shipped model; with "
                        "--rule spot, the shipped spotting model)")


def add_judging(p):
    """Options of every ``signlstm judge`` benchmark."""
    p.add_argument("--negatives", nargs="+", metavar="PATH",
                   help="recordings of other signs (trained as 'none'; held-out people's are tested)")
    p.add_argument("--cells", metavar="cells.json",
                   help="consistent-gesture cells (default: cells.json beside the data, if any)")
    p.add_argument("--workers", type=int, default=0, help="parallel worker processes (default: one per core)")
    p.add_argument("--ray", metavar="ADDRESS", help="run the folds on Ray: 'local', 'auto' or a cluster address")
    p.add_argument("--cache", metavar="DIR",
                   help="where trained fold models are cached (default: $SIGNLSTM_CACHE or ~/.cache/signlstm)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def load_data(args, actions=None, require_all=False, parts=None, dtype=None):
    """``--data`` as one dataset; ``parts`` and ``dtype`` keep only what a model reads (see ``datasets.Dataset``)."""
    import numpy as np

    from ..datasets import describe_skipped, load

    data = load(args.data, actions=actions or args.actions, length=args.length, skip_bad=args.skip_bad,
                require_all=require_all, parts=parts, dtype=dtype or np.float32)
    if data.skipped:
        print(describe_skipped(data.skipped), file=sys.stderr)
    return data


def open_model(args, front: bool = False):
    """Load ``--model`` (or the shipped one: for a ``front``, the one for its ``--rule``) and warn when it looks
    untrained."""
    from ..models.bundle import front_model, load_bundle
    from ..models.legacy import looks_untrained

    path = args.model or (front_model(args.rule) if front else None)
    bundle = load_bundle(path, getattr(args, "actions", None))
    if looks_untrained(bundle.model):
        print(f"warning: {bundle.path}: this model looks untrained (every bias is still at Keras' initial value); "
              "its predictions will be meaningless", file=sys.stderr)
    return bundle


def open_streamed(args):
    """``(sources, bundle)`` for a command that streams ``--data`` through a model: every data file's header checked
    before the model loads, and freed chunks handed back to the system as the data is read one chunk at a time."""
    from ..datasets import open_sources
    from ..limits import return_freed_memory

    return_freed_memory()
    sources = open_sources(args.data, args.actions, args.length, args.skip_bad)
    return sources, open_model(args)
