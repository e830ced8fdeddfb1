"""signlstm judge: the benchmarks, by held-out person (cv, fewshot, streams, vocab) and by camera shape (cameras).

One module each; the held-out ones test every person on models that never saw them."""
import importlib

BENCHMARKS = ["cv", "fewshot", "streams", "vocab", "cameras"]


def register(sub):
    p = sub.add_parser("judge", help="benchmarks by held-out person (cv, fewshot, streams, vocab) and by camera "
                                     "shape (cameras)", description=__doc__.splitlines()[0])
    benchmarks = p.add_subparsers(dest="benchmark", required=True, metavar="BENCHMARK")
    for name in BENCHMARKS:
        importlib.import_module(f"{__name__}.{name}").register(benchmarks)
