"""signlstm audit: find likely label problems (swapped folders, odd sequences, no-hand recordings) before training,
and people whose keypoints look taken with a camera that is not 4:3."""
from . import common


def register(sub):
    p = sub.add_parser("audit", help="find likely label problems and write a fixes file for `train --fixes`")
    common.add_data(p)
    p.add_argument("--out", metavar="FIXES.csv", help="write the fixes (one row per sequence: relabel or drop) here")
    p.add_argument("--splits", type=int, help="signer-grouped folds for the out-of-fold model (default: one per signer)")
    # outputs refused before any work when they name, hold or lie in an input: common.check_paths_apart
    p.set_defaults(run=run, writes=("out",), reads=("data",))


def run(args):
    import numpy as np

    from ..datasets.fixes import write_fixes
    from ..outputs import check_file_out
    from ..judging.audit import audit, check_splits, label_issue_finder
    from ..judging.audit_report import format_findings
    from ..judging.labels import rejection_counts
    from ..sign_names import is_rejection_name, rejection_note, spelled_alike_note

    label_issue_finder()  # cleanlab installed, before the data is read
    if args.out:
        check_file_out(args.out)  # before any feature is computed
    from ..datasets import shared_names_note

    sources = common.open_data(args)
    common.print_note(shared_names_note(sources))
    # one file or tree is one person: the people and the folds are known before anything is read
    check_splits([src.group for src in sources], args.splits, where=", ".join(str(src.path) for src in sources))
    # recordings of no sign (training's own negatives) are not read: the audit leaves them out (audit.signs_only)
    actions = common.checked_actions(args) or list(dict.fromkeys(a for src in sources for a in src.actions))
    signs = [a for a in actions if not is_rejection_name(a)]
    common.print_note(rejection_note(rejection_counts(
        {a: n for a, n in src.label_counts.items() if a in actions} for src in sources)))
    data = common.load_data(args, actions=signs, sources=sources, dtype=np.float16)  # a chunk at a time as float32
    common.print_note(spelled_alike_note(data.actions))
    result = audit(data, n_splits=args.splits, progress=True)
    print(format_findings(result, data))
    if args.out:
        write_fixes(result.fixes, args.out)
        print(f"wrote {args.out}: {len(result.fixes)} fixes (apply with `signlstm train --fixes {args.out}`); "
              "your data was not changed")
