"""The one worker pool: run a function over tasks in spawned local processes or as Ray tasks.

Every worker runs one core's worth of XLA threads (:data:`THREAD_FLAGS`), so N workers keep N cores busy without
oversubscribing them. An ``initializer`` runs once per worker process before its first task (loading data shared by
the tasks), on local processes and Ray workers alike. Results come back in task order, or as they finish with
``ordered=False``. :func:`command_seconds` times one of the project's commands in a fresh process.
"""
from __future__ import annotations

import os
from contextlib import contextmanager

from .errors import SignlstmError, first_line, optional

THREAD_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"

_initialised: set = set()


def limit_threads() -> None:
    """Make this process use one XLA thread (call before JAX starts); selects the Keras backend too."""
    os.environ.setdefault("XLA_FLAGS", THREAD_FLAGS)
    os.environ["KERAS_BACKEND"] = "jax"


def _call(fn, initializer, initargs, task):
    limit_threads()
    if initializer is not None:
        key = (initializer.__module__, initializer.__qualname__, repr(initargs))
        if key not in _initialised:
            initializer(*initargs)
            _initialised.add(key)
    return fn(task)


def map_tasks(fn, tasks, workers: int = 0, ray: str | None = None, initializer=None, initargs=(),
              ordered: bool = True):
    """Yield ``fn(task)`` for every task: in this process (``workers`` == 1 and no Ray), in ``workers`` spawned
    processes (0: one per core), or on Ray (``ray`` = "local" for a local instance, "auto" or an address to join
    a cluster). ``fn`` and ``initializer`` must be importable module-level functions. In input order (``ordered``)
    processes, or Ray's cores, hold at most twice their number of tasks in flight, so finished results never pile up
    behind a slow one."""
    tasks = list(tasks)
    if not tasks:
        return
    workers = workers or os.cpu_count() or 1
    if ray:
        yield from _ray_map(fn, tasks, ray, workers, initializer, initargs, ordered)
    elif workers <= 1 or len(tasks) == 1:
        for t in tasks:
            yield _call(fn, initializer, initargs, t)
    else:
        yield from _process_map(fn, tasks, min(workers, len(tasks)), initializer, initargs, ordered)


def _process_map(fn, tasks, workers, initializer, initargs, ordered):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from functools import partial

    call = partial(_call, fn, initializer, initargs)
    # spawn: a fresh interpreter per worker; forking a process that runs MediaPipe or XLA threads is unsafe.
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_ignore_ctrl_c)
    try:
        if ordered:  # at most twice the workers' tasks in flight: results never pile up behind a slow one
            yield from _windowed(lambda t: pool.submit(call, t), lambda f: f.result(), tasks, 2 * workers)
        else:
            for f in as_completed([pool.submit(call, t) for t in tasks]):
                yield f.result()
    except BaseException as e:  # Ctrl-C, an error, or the caller stopped reading: the tasks running are not waited for
        _stop(pool, ending=isinstance(e, KeyboardInterrupt))
        raise
    pool.shutdown()


def _ignore_ctrl_c() -> None:
    """In a worker: Ctrl-C (sent by a terminal to every process of the command) is the main process's to handle."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pool, ending: bool = False) -> None:
    """Cancel ``pool``'s queued tasks and end its worker processes now (their tasks' results are not wanted).
    ``ending``: the command ends (Ctrl-C): the pool's queue thread, which may still be writing to a worker that is
    gone, then drops the write quietly, as it does while Python exits, instead of printing a traceback after the
    command's "interrupted"."""
    import multiprocessing.util

    if ending:
        multiprocessing.util._exiting = True  # what multiprocessing.util.is_exiting() reads
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for w in workers:
        w.terminate()
    for w in workers:
        w.join(10)


def _windowed(submit, result, tasks, in_flight):
    """Yield ``result(submit(task))`` in task order with at most ``in_flight`` tasks submitted and not yet yielded."""
    from collections import deque
    from itertools import islice

    todo = iter(tasks)
    pending = deque(submit(t) for t in islice(todo, in_flight))
    while pending:
        done = result(pending.popleft())
        for t in islice(todo, 1):
            pending.append(submit(t))
        yield done


def _ray_map(fn, tasks, address, workers, initializer, initargs, ordered):
    ray = optional("ray", "ray", "--ray")
    started = not ray.is_initialized()
    if started:
        import warnings

        try:
            with warnings.catch_warnings(), _sigterm_kept():
                # Ray starts its daemons through a preexec_fn (its choice, not ours), which fires JAX's at-fork
                # warning here; the forked child only masks SIGINT and sets a parent-death signal, then execs.
                warnings.filterwarnings("ignore", r"os\.fork\(\) was called", RuntimeWarning)
                if address == "local":  # a new instance here, even where $RAY_ADDRESS names a cluster
                    ray.init(address="local", num_cpus=workers, include_dashboard=False, log_to_driver=False)
                else:
                    ray.init(address=address, log_to_driver=False)
        except ConnectionError as e:
            raise SignlstmError(f"cannot reach a Ray cluster at '{address}': {e}") from None
        except OSError:  # a temp folder Ray cannot write, or its sockets' paths too long: said as any OSError is
            raise
        except Exception as e:  # noqa: BLE001 - Ray raises a bare Exception when its node does not start in time
            ray.shutdown()  # what it started of its processes
            if address != "local":
                raise SignlstmError(f"cannot join the Ray cluster at '{address}': {first_line(e)}") from None
            raise SignlstmError(f"could not start a local Ray instance ({first_line(e)}); on a machine this busy, "
                                "retry, or run without --ray") from None
    try:
        remote = ray.remote(num_cpus=1)(_call)
        submit = lambda t: remote.remote(fn, initializer, initargs, t)  # noqa: E731
        if ordered:  # as with processes: at most twice the cluster's cores in flight
            yield from _windowed(submit, ray.get, tasks, 2 * max(1, int(ray.cluster_resources().get("CPU", workers))))
        else:
            pending = [submit(t) for t in tasks]
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                yield ray.get(done[0])
    finally:
        if started:
            ray.shutdown()


@contextmanager
def _sigterm_kept():
    """Put back, after the block (``ray.init``), the SIGTERM handler this process had before it: Ray replaces it
    with its own exit and a crash handler of its C++ core that prints a stack trace ("SIGTERM received",
    ``logging.cc``) and aborts, so that ``kill`` would end a command running on Ray without its "terminated" and
    with its outputs' temp files left behind."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.getsignal(signal.SIGTERM)
    try:
        yield
    finally:
        if before is not None:  # (None: a handler not set from Python, which cannot be put back)
            signal.signal(signal.SIGTERM, before)


def command_seconds(args) -> float:
    """Wall seconds of ``signlstm <args>`` run in a fresh process, from its start: the interpreter's start-up and
    every import included, as a person running the command sees them; its output is discarded. A command that fails
    raises :class:`RuntimeError` naming its exit status and the last line it printed to stderr."""
    import subprocess
    import sys
    import time

    args = [str(a) for a in args]
    argv = [sys.executable, "-m", "signlstm", *args]
    t0 = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})
    seconds = time.perf_counter() - t0
    if done.returncode:
        raise RuntimeError(f"signlstm {' '.join(args[:1])} exited {done.returncode}: "
                           f"{' '.join(done.stderr.strip().splitlines()[-1:])}")
    return seconds
