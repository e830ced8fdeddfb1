"""signlstm export: the tutorial's save_weights / to_json / .h5 forms of a model."""
from . import common


def register(sub):
    p = sub.add_parser("export", help="write the model as weights, JSON architecture or a single .h5 file")
    common.add_model(p)
    common.add_h5_actions(p)
    p.add_argument("--format", required=True, choices=["weights", "json", "h5"])
    p.add_argument("--out", help="output file (default: action.weights.h5 / action.json / action.h5); a name "
                                 "without the format's ending gets it: --out m writes m.weights.h5 / m.json / m.h5")
    # outputs refused before any work when they name, hold or lie in an input: common.check_paths_apart
    p.set_defaults(run=run, writes=("out",), reads=("model",))


def run(args):
    from ..models.export import check_export_out, export_model

    check_export_out(args.format, args.out)  # before the model is loaded
    print(f"wrote {export_model(common.open_model(args), args.format, args.out)}")
