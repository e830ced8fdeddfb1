"""The ``signlstm`` command: a thin layer over the library, one module per subcommand.

Errors a user can cause print one line on stderr and exit with status 2.
"""
from __future__ import annotations

import importlib
import os
import sys

from ..errors import SignlstmError, one_line

COMMANDS = ["train", "evaluate", "predict", "summary", "export", "audit", "adapt",
            "extract", "collect", "convert", "live", "bench", "serve", "loadtest", "judge", "trunk"]
DESCRIPTION = ("Recognize sign-language signs from MediaPipe keypoints: record, extract, train, judge by held-out "
               "person, adapt to a person's own signs, and run live or in a browser.")


def build_parser() -> argparse.ArgumentParser:
    import argparse  # here, as every import of this module's: the module itself imports next to nothing

    from .. import __version__

    parser = argparse.ArgumentParser(prog="signlstm", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"signlstm {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv=None) -> int:
    """Run the command ``argv`` (default: the process's arguments) and return its exit status."""
    import signal

    console_s = [s for s in (signal.SIGINT, signal.SIGTERM) if signal.getsignal(s) is _stop]
    try:
        return _main(argv, console_s)
    finally:
        for s in console_s:  # the command has ended: a Ctrl-C from here on ends the process at once, quietly
            signal.signal(s, _stop)


def _main(argv, console_s: list) -> int:
    """:func:`main`; ``console_s``: the signals :func:`console` handles, which the command takes over once its
    options are parsed."""
    import signal
    import warnings

    import signlstm  # noqa: F401  selects the Keras backend before anything imports Keras

    warnings.filterwarnings("ignore", category=UserWarning, module="keras")

    from ..interrupts import check_not_interrupted, interrupts_remembered, terminated
    from .common import check_counts, check_paths_apart

    for stream in (sys.stdout, sys.stderr):  # a terminal or file in another encoding than UTF-8 (Windows' cp1252):
        if hasattr(stream, "reconfigure"):  # a sign's letters it lacks are written as \u escapes, not a traceback
            stream.reconfigure(errors="backslashreplace")
    args = build_parser().parse_args(argv)
    name = " ".join(filter(None, [args.command, getattr(args, "benchmark", None)]))  # e.g. "judge cv"
    if console_s and getattr(args, "keras", True):  # Keras and JAX imported while a Ctrl-C still ends the process
        signlstm.import_keras()  # at once (:func:`_stop`): one raised inside their import may abort it (a command
        # that needs no model says keras=False)
    for s in console_s:  # Python's own handlers, which the command's own handling of Ctrl-C and SIGTERM builds on
        signal.signal(s, signal.default_int_handler if s == signal.SIGINT else signal.SIG_DFL)
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


_STATUS: list = []  # the status of the command the process ran, once it has ended


def _stop(signum, frame) -> None:
    """The process's Ctrl-C and SIGTERM handler outside the command itself (while Python starts signlstm and parses
    the options, and once the command has ended): end the process at once, output flushed, with the command's status,
    or before it ran with "interrupted" and 130 (143: "terminated"), instead of a traceback from inside an import or
    a crash in the middle of the shutdown. Nothing is being written then."""
    import signal

    if not _STATUS:
        print(f"signlstm: {'terminated' if signum == signal.SIGTERM else 'interrupted'}", file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken output: nothing more can be said there
            pass
    os._exit(_STATUS[0] if _STATUS else 128 + signum)


def _ignore_stops() -> None:
    """The last of the process's exit functions: Python then takes its own signal handlers away as it tears itself
    down, and a Ctrl-C there would end the process by the signal (status 130, with no word) after a command that had
    ended well. From here on Ctrl-C and SIGTERM are ignored; the teardown is short."""
    import signal

    for s in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(s) is _stop:
            signal.signal(s, signal.SIG_IGN)


def console() -> None:
    """The ``signlstm`` command: :func:`main`, then its status as the process's. Ctrl-C and SIGTERM outside the
    command itself are :func:`_stop`'s (where the system or Python's own handler had them: not where they are
    ignored), and ignored once Python tears itself down (:func:`_ignore_stops`)."""
    import atexit
    import signal

    atexit.register(_ignore_stops)  # the first registered runs last
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _stop)
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _stop)
    _STATUS.append(main())
    sys.exit(_STATUS[0])


if __name__ == "__main__":
    console()
