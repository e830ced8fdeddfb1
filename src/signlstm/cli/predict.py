"""signlstm predict: label and probabilities per sequence."""
import json

from . import common


def register(sub):
    p = sub.add_parser("predict", help="print the predicted label and probabilities per sequence")
    common.add_model(p)
    common.add_data(p)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(run=run)


def run(args):
    from ..datasets import load

    bundle = common.open_model(args)
    data = load(args.data, length=args.length or bundle.seq_len, skip_bad=args.skip_bad)
    probs = bundle.predict(data.X)
    for i, (src, p) in enumerate(zip(data.sources, probs)):
        label = bundle.labels[int(p.argmax())]
        if args.json:
            print(json.dumps({"file": src, "index": i, "label": label, "true": str(data.labels[i]),
                              "probs": {a: round(float(v), 6) for a, v in zip(bundle.labels, p)}}))
        else:
            print(f"{i:5d}  {label:<12} {float(p.max()):.3f}  {src}")
