"""signlstm predict: label and probabilities per sequence, streamed (memory holds one chunk of the data); the data may
be unlabelled (a packed file without ``y``, an ``.npy`` of sequences)."""
import sys

from . import common


def register(sub):
    p = sub.add_parser("predict", help="print the predicted label and probabilities per sequence")
    common.add_model(p)
    common.add_data(p, unlabelled=True, model=True)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(run=run)


def run(args):
    from ..datasets import describe_skipped, stream
    from ..datasets.dataset import packed_recording
    from ..errors import SignlstmError
    from ..judging.metrics import predictions
    from ..models.keras_files import use_compilation_cache
    from ..sign_names import name_column, shown_name

    use_compilation_cache()
    sources, bundle = common.open_streamed(args, labelled=False)
    answer = name_column(bundle.labels, 13)  # the answers' column, as wide as the widest label
    i = empty = 0
    skipped = []  # the files the chunks skipped, said after the answers

    def read():
        for chunk in stream(args.data, actions=common.data_actions(args), sources=sources):
            skipped.extend(chunk.skipped)
            yield chunk

    for i, (src, true, label, p) in enumerate(predictions(bundle, read()), 1):
        if args.json:
            line = {"file": src, "index": i - 1, "label": label, "true": true}
            print(common.json_line({**line, "no_person": True} if p is None else
                                   {**line, "probs": {a: round(float(v), 6) for a, v in zip(bundle.labels, p)}}))
        else:
            where = shown_name(src, len(src))  # a file name's control characters sent to no terminal
            if true is not None and packed_recording(src):  # a packed file numbers each sign's recordings from 0:
                where += f" ({shown_name(true)})"  # s02.npz#0 is a hello and a thanks; a tree's path names its sign
            print(f"{i - 1:5d}  {answer('-')}{'':5}  {where}  (no person in any frame)" if p is None else
                  f"{i - 1:5d}  {answer(label)}{float(p.max()):.3f}  {where}")
        empty += p is None
    if skipped:
        print(describe_skipped(skipped), file=sys.stderr)
    if empty == i:
        where = ", ".join(map(str, args.data))
        raise SignlstmError(f"{where}: no person in any frame of the {i} sequence(s) (every value is zero): nothing "
                            "to predict" if i else f"{where}: no sequences to predict")
    if empty:
        print(f"{empty} of {i} sequence(s) show no person in any frame (every value zero): not classified",
              file=sys.stderr)
