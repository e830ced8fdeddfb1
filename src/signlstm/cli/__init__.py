"""The ``signlstm`` command: a thin layer over the library, one module per subcommand.

Errors a user can cause print one line on stderr and exit with status 2.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from ..errors import SignlstmError, one_line
from .common import check_counts, check_paths_apart

COMMANDS = ["train", "evaluate", "predict", "summary", "export", "audit", "adapt",
            "extract", "collect", "convert", "live", "bench", "serve", "loadtest", "judge", "trunk"]
DESCRIPTION = ("Recognize sign-language signs from MediaPipe keypoints: record, extract, train, judge by held-out "
               "person, adapt to a person's own signs, and run live or in a browser.")


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(prog="signlstm", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"signlstm {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv=None) -> int:
    import warnings

    import signlstm  # noqa: F401  selects the Keras backend before anything imports Keras

    warnings.filterwarnings("ignore", category=UserWarning, module="keras")

    from ..files import check_not_interrupted, interrupts_remembered, terminated

    for stream in (sys.stdout, sys.stderr):  # a terminal or file in another encoding than UTF-8 (Windows' cp1252):
        if hasattr(stream, "reconfigure"):  # a sign's letters it lacks are written as \u escapes, not a traceback
            stream.reconfigure(errors="backslashreplace")
    args = build_parser().parse_args(argv)
    name = " ".join(filter(None, [args.command, getattr(args, "benchmark", None)]))  # e.g. "judge cv"
    try:
        with interrupts_remembered():  # a Ctrl-C that Python swallowed still ends the command as interrupted
            check_counts(args)
            check_paths_apart(args)
            status = args.run(args) or 0
            check_not_interrupted()
        return status
    except SignlstmError as e:
        print(f"signlstm {name}: error: {one_line(str(e))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C, or SIGTERM taken as one: 128 + the signal's number, as a shell reports it
        print(f"signlstm {name}: {'terminated' if terminated() else 'interrupted'}", file=sys.stderr)
        return 143 if terminated() else 130
    except BrokenPipeError:  # the reader stopped reading (`... | head`): nothing more to say, and no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's own flush at exit would fail
        return 1
    except OSError as e:  # the machine's answer about a path (not writable, a folder, too long...): one line
        if e.filename is None:
            raise
        print(f"signlstm {name}: error: {one_line(f'{e.filename}: {e.strerror or e}')}", file=sys.stderr)
        return 2


def console() -> None:
    """The ``signlstm`` command: :func:`main`, then its status as the process's. A Ctrl-C after the command has
    finished (while Python waits for worker threads, or its native threads end) ends the process at once with the
    command's status, output flushed, instead of a traceback or a crash in the middle of the shutdown."""
    import signal

    status = main()

    def done(*_):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed or broken output: nothing more can be said there
                pass
        os._exit(status)

    signal.signal(signal.SIGINT, done)
    signal.signal(signal.SIGTERM, done)
    sys.exit(status)


if __name__ == "__main__":
    console()
