"""signlstm predict: label and probabilities per sequence, streamed (memory holds one chunk of the data); the data may
be unlabelled (a packed file without ``y``, an ``.npy`` of sequences)."""
import json
import sys

from . import common


def register(sub):
    p = sub.add_parser("predict", help="print the predicted label and probabilities per sequence")
    common.add_model(p)
    common.add_data(p, unlabelled=True)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(run=run)


def run(args):
    from ..datasets import UNLABELLED, describe_skipped, no_person, stream
    from ..errors import SignlstmError
    from ..recognizer import decide
    from ..sign_names import shown_name

    sources, bundle = common.open_streamed(args, labelled=False)
    i = empty = 0
    skipped = []
    for chunk in stream(args.data, actions=args.actions, sources=sources):
        skipped += chunk.skipped
        X = chunk.X
        gone = no_person(X)
        P = bundle.predict(X[~gone])
        said = iter(zip(P, decide(bundle.labels, P, reject=bundle.reject_label)))  # one decision per chunk
        for src, true, none in zip(chunk.sources, chunk.labels, gone):
            p, label = (None, None) if none else next(said)
            if args.json:
                line = {"file": src, "index": i, "label": label, "true": None if true == UNLABELLED else str(true)}
                print(json.dumps({**line, "no_person": True} if none else
                                 {**line, "probs": {a: round(float(v), 6) for a, v in zip(bundle.labels, p)}}))
            else:
                print(f"{i:5d}  {'-':<12} {'':5}  {src}  (no person in any frame)" if none else
                      f"{i:5d}  {shown_name(label, len(label)):<12} {float(p.max()):.3f}  {src}")
            i += 1
        empty += int(gone.sum())
    if skipped:
        print(describe_skipped(skipped), file=sys.stderr)
    if empty == i:
        raise SignlstmError(f"no person in any frame of the {i} sequence(s) (every value is zero): nothing to predict"
                            if i else "no sequences to predict")
    if empty:
        print(f"{empty} of {i} sequence(s) show no person in any frame (every value zero): not classified",
              file=sys.stderr)
