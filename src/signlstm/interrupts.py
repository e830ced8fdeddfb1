"""Ctrl-C and SIGTERM in a command: remembered when Python swallows them (a garbage-collection callback), held
over the steps that must not be cut in two, and SIGTERM taken as a Ctrl-C, so that neither leaves a half-written
file (:mod:`signlstm.files` puts files in place only when no interrupt was remembered)."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from functools import partial


_INTERRUPTS: list = []  # the Ctrl-C seen inside interrupts_remembered (a list: appended to by a signal handler)


def remember_interrupt(signum=None) -> None:
    """Note a Ctrl-C for :func:`check_not_interrupted` (called by the handlers that hold or raise it)."""
    _INTERRUPTS.append(signum)


def _raise_remembered(signum, frame):
    remember_interrupt(signum)
    raise KeyboardInterrupt


REMEMBERING = _raise_remembered  # the SIGINT handler inside interrupts_remembered
_TERMINATED: list = []  # the SIGTERM seen inside interrupts_remembered


def _as_ctrl_c(signum, frame):
    """SIGTERM handled as a Ctrl-C: by whatever handles SIGINT at that moment (raised, remembered, or held until a
    write is whole); when SIGINT is ignored (a job started with ``&`` from a script) or left to the system, raised
    and remembered as Python's own handler would inside :func:`interrupts_remembered`."""
    import signal

    _TERMINATED.append(signum)
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signum, frame)
    else:
        _raise_remembered(signum, frame)


def terminated() -> bool:
    """True when the interrupt that stopped the block of :func:`interrupts_remembered` was a SIGTERM (``kill``,
    a service manager) rather than a Ctrl-C."""
    return bool(_TERMINATED)


@contextmanager
def interrupts_remembered():
    """Inside the block (the main thread, over Python's own handler), a Ctrl-C raises ``KeyboardInterrupt`` as ever
    and is also remembered. Python swallows the exception when it is raised inside a garbage-collection callback (as
    JAX's are: "Exception ignored in ..."), and the program goes on; :func:`check_not_interrupted` then stops it
    before :func:`~signlstm.files.write_atomic` or :func:`~signlstm.files.folder_atomic` puts anything in place.
    SIGTERM (over the system's default) is taken as a Ctrl-C, so that ``kill`` leaves no half-written file either
    (:func:`terminated` tells which)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    ctrl_c = signal.getsignal(signal.SIGINT) is signal.default_int_handler  # else ignored, or someone else's
    term = signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    _INTERRUPTS.clear()
    _TERMINATED.clear()
    if ctrl_c:
        signal.signal(signal.SIGINT, REMEMBERING)
    if term:
        signal.signal(signal.SIGTERM, _as_ctrl_c)
    unraisable = sys.unraisablehook
    sys.unraisablehook = partial(_quiet_interrupt, unraisable)
    try:
        yield
    finally:
        sys.unraisablehook = unraisable
        if ctrl_c:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        if term:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _INTERRUPTS.clear()


def _quiet_interrupt(hook, unraisable) -> None:
    """An exception Python cannot raise (in a garbage-collection callback, a generator closed by the collector) goes
    to ``hook``, except the Ctrl-C :func:`interrupts_remembered` remembers: it stops the command once, in one line."""
    if not issubclass(unraisable.exc_type, KeyboardInterrupt):
        hook(unraisable)


def forget_interrupts() -> None:
    """Forget the Ctrl-C remembered so far: for a caller that took one as its way to stop and goes on to finish."""
    _INTERRUPTS.clear()


def check_not_interrupted() -> None:
    """Raise ``KeyboardInterrupt`` if a Ctrl-C was remembered (:func:`interrupts_remembered`), whether or not the
    exception it raised reached the program."""
    if _INTERRUPTS:
        raise KeyboardInterrupt


@contextmanager
def interrupts_held(drop: bool = False):
    """Ctrl-C inside the block is held until the block ends, then raised (with ``drop``, not raised: the block
    finished what Ctrl-C would have stopped): for steps that must not be cut in two. Off the main thread (where
    Python runs no signal handler) nothing changes."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = []
    previous = signal.signal(signal.SIGINT, lambda *a: held.append(a))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if held and not drop:
        if callable(previous):
            previous(*held[0])
        elif previous != signal.SIG_IGN or held[0][0] == signal.SIGTERM:  # a SIGTERM (as Ctrl-C) is never ignored
            _raise_remembered(*held[0])
