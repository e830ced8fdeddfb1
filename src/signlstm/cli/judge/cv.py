"""signlstm judge cv: leave-one-signer-out cross-validation of training recipes."""
import sys
import time

from .. import common


def register(sub):
    p = sub.add_parser("cv", help="leave-one-signer-out cross-validation of training recipes")
    common.add_data(p)
    common.add_judging(p)
    p.add_argument("--arch", nargs="+", default=["default"], help="recipes to compare (default: default)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0], help="training seeds (default: 0)")
    p.add_argument("--epochs", type=int, help="maximum epochs per fold (default: the recipe's)")
    p.add_argument("--fixes", help="an audit fixes file applied to the training folds, or 'audit' to audit each "
                                   "fold's training signers only (strictly held out)")
    p.add_argument("--tutorial-epochs", type=int, help="cap of the tutorial recipe's 500 epochs per fold (default 30)")
    p.add_argument("--tutorial-seeds", type=int, nargs="+", help="seeds for the tutorial recipe (default: --seeds)")
    p.add_argument("--results", metavar="FILE.json", help="also write every fold's predictions here")
    # outputs refused before any work when they name, hold or lie in an input: common.check_paths_apart
    p.set_defaults(run=run, writes=("results",), reads=("data", "negatives", "fixes", "cells"))


def run(args):
    from ...datasets import shared_names_note
    from ...sign_names import is_rejection_name, spelled_alike_note
    from ...files import cache_dir, write_text
    from ...outputs import check_file_out
    from ...judging import cells, crossval, crossval_report

    if args.results:
        check_file_out(args.results)  # before any fold is trained
    t0 = time.perf_counter()
    sources = common.open_data(args)
    common.print_note(shared_names_note(sources))  # before any fold is trained
    common.print_note(spelled_alike_note(list(dict.fromkeys(a for src in sources for a in src.actions
                                                            if not is_rejection_name(a)))))
    consistent = cells.load_cells(args.cells or cells.find(args.data))
    # seconds before the folds' bar: every recording is read, checked against the others' and hashed for the cache
    common.stage("judge cv", "reading every person's recordings (checked for one person under two names, and keyed "
                             "for the cache) before the folds")
    results, archs, header = crossval.cross_validate(
        args.data, args.arch, args.seeds, args.epochs, args.workers, args.ray, args.fixes, args.negatives,
        common.checked_length(args), args.tutorial_epochs, args.tutorial_seeds, common.checked_actions(args),
        args.skip_bad, cache=cache_dir(args.cache))
    summary = crossval.summarize(results, consistent, archs)
    common.print_note(consistent.missing_note(list(dict.fromkeys(s.group for s in sources))))  # beside the table
    header.append(f"consistent-gesture cells: {consistent.source or 'none given (no cells.json beside the data)'}")
    if args.results:
        write_text(args.results, common.json_line({"header": header, "results": results}) + "\n")
    header.append(f"wall time {(time.perf_counter() - t0) / 60:.1f} min")
    if args.json:
        print(common.json_line({"summary": summary, "header": header}))
    else:
        print(crossval_report.format_crossval(summary, header))
    sys.stdout.flush()
