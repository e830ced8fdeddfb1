"""signlstm summary: the layer table and parameter count of a model."""
from . import common


def register(sub):
    p = sub.add_parser("summary", help="print a model's layers, parameters and labels")
    common.add_model(p)
    common.add_h5_actions(p)
    p.set_defaults(run=run)


def run(args):
    bundle = common.open_model(args)
    bundle.model.summary(print_fn=lambda line, **_: print(line))
    print(f"parameters: {bundle.model.count_params():,}")
    # quoted when a space or comma would blur where it ends, escaped (repr) when it holds a character a terminal
    # would act on (a control character, a line separator)
    names = ", ".join(repr(a) if not a.isprintable() or any(c.isspace() or c == "," for c in a) else a
                      for a in bundle.labels)
    print(f"labels ({len(bundle.labels)}): {names}   sequence length: {bundle.seq_len}   arch: {bundle.meta.get('arch')}")
