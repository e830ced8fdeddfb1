"""signlstm audit: find likely label problems (swapped folders, odd sequences, no-hand recordings) before training,
and people whose keypoints look taken with a camera that is not 4:3."""
from . import common


def register(sub):
    p = sub.add_parser("audit", help="find likely label problems and write a fixes file for `train --fixes`")
    common.add_data(p)
    p.add_argument("--out", metavar="FIXES.csv", help="write the fixes (one row per sequence: relabel or drop) here")
    p.add_argument("--splits", type=int, help="signer-grouped folds for the out-of-fold model (default: one per signer)")
    p.set_defaults(run=run)


def run(args):
    import numpy as np

    from ..errors import BadInput, SignlstmError
    from ..datasets.fixes import write_fixes
    from ..judging.audit import audit, format_findings

    if args.splits is not None and args.splits < 2:  # before any file is read
        raise SignlstmError(f"--splits must be at least 2 (signer-grouped folds), got {args.splits}")
    sources = common.open_data(args)
    if len({src.group for src in sources}) < 2:  # one file or tree is one person: known before reading
        raise BadInput(", ".join(str(src.path) for src in sources), "the audit needs recordings of at least 2 "
                       "signers (it predicts each signer from the others): give more --data")
    data = common.load_data(args, sources=sources, dtype=np.float16)  # read a chunk at a time as float32
    common.print_note(common.spelled_alike_note(data.actions))
    result = audit(data, n_splits=args.splits)
    print(format_findings(result, data))
    if args.out:
        write_fixes(result.fixes, args.out)
        print(f"wrote {args.out}: {len(result.fixes)} fixes (apply with `signlstm train --fixes {args.out}`); "
              "your data was not changed")
