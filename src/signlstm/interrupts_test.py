"""Ctrl-C held over a step that must not be cut in two, and remembered where Python cannot raise it."""
import os

import pytest


def test_a_ctrl_c_held_over_the_last_step_of_a_finished_run_is_dropped_when_asked(tmp_path):
    """``live`` puts its video and picture into place with Ctrl-C held and dropped: a run whose outputs are written
    is done, not interrupted; without ``drop`` the held Ctrl-C comes after the block."""
    import signal

    from signlstm.interrupts import interrupts_held

    with interrupts_held(drop=True):
        os.kill(os.getpid(), signal.SIGINT)
        (tmp_path / "a").write_text("written")
    with pytest.raises(KeyboardInterrupt):
        with interrupts_held():
            os.kill(os.getpid(), signal.SIGINT)
            (tmp_path / "b").write_text("written")
    assert (tmp_path / "a").read_text() == (tmp_path / "b").read_text() == "written"


def test_a_ctrl_c_python_cannot_raise_is_remembered_and_not_printed(monkeypatch):
    """Inside a command (:func:`interrupts_remembered`), a Ctrl-C raised where Python cannot raise it (a
    garbage-collection callback, as JAX's are) does not reach the hook that prints "Exception ignored" tracebacks,
    and still stops the command (:func:`check_not_interrupted`); another exception there reaches it as ever."""
    import gc
    import signal
    import sys

    from signlstm.interrupts import check_not_interrupted, interrupts_remembered

    printed = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: printed.append(u.exc_type))

    class Collected:
        def __init__(self, raise_):
            self.raise_ = raise_

        def __del__(self):
            self.raise_()

    with interrupts_remembered():
        Collected(lambda: signal.raise_signal(signal.SIGINT))  # the handler raises inside __del__
        gc.collect()
        Collected(lambda: int("x"))
        gc.collect()
        with pytest.raises(KeyboardInterrupt):
            check_not_interrupted()
    assert printed == [ValueError], printed
