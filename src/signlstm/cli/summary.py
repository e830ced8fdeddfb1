"""signlstm summary: the layer table and parameter count of a model."""
from . import common


def register(sub):
    p = sub.add_parser("summary", help="print a model's layers, parameters and labels")
    common.add_model(p)
    common.add_h5_actions(p)
    p.set_defaults(run=run)


def run(args):
    from ..sign_names import quoted_names

    bundle = common.open_model(args)
    bundle.model.summary(print_fn=lambda line, **_: print(line))
    print(f"parameters: {bundle.model.count_params():,}")
    names = quoted_names(bundle.labels)
    print(f"labels ({len(bundle.labels)}): {names}   sequence length: {bundle.seq_len}   arch: {bundle.meta.get('arch')}")
