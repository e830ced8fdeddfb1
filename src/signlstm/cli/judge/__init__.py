"""signlstm judge: benchmarks that test every person on models that never saw them, one module per benchmark."""
import importlib

BENCHMARKS = ["cv", "fewshot", "streams", "vocab"]


def register(sub):
    p = sub.add_parser("judge", help="benchmarks by held-out person: cv, fewshot, streams, vocab",
                       description=__doc__.splitlines()[0])
    benchmarks = p.add_subparsers(dest="benchmark", required=True, metavar="BENCHMARK")
    for name in BENCHMARKS:
        importlib.import_module(f"{__name__}.{name}").register(benchmarks)
