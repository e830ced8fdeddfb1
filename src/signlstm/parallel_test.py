"""The one worker pool: in-process, spawned processes and a local Ray instance give the same results."""
import os

import numpy as np
import pytest

from . import parallel
from .errors import SignlstmError

_SEEN: dict = {}


def _init(offset):
    _SEEN["offset"] = offset
    _SEEN["pid"] = os.getpid()


def _work(task):
    return task * task + _SEEN["offset"], os.environ.get("XLA_FLAGS"), os.getpid(), _SEEN["pid"]


def test_map_tasks_gives_the_same_results_everywhere():
    """The same results in this process, in two spawned processes and on Ray, each task run where its worker's
    initializer ran; workers other than this process where more than one is asked for."""
    tasks = list(range(7))
    inline = list(parallel.map_tasks(_work, tasks, workers=1, initializer=_init, initargs=(5,)))
    procs = list(parallel.map_tasks(_work, tasks, workers=2, initializer=_init, initargs=(5,)))
    ray = list(parallel.map_tasks(_work, tasks, workers=2, ray="local", initializer=_init, initargs=(5,)))
    assert [r[0] for r in inline] == [t * t + 5 for t in tasks]
    assert [r[:2] for r in procs] == [r[:2] for r in ray] and [r[0] for r in procs] == [r[0] for r in inline]
    assert all(r[1] == parallel.THREAD_FLAGS for r in procs)  # one XLA thread per worker
    assert all(r[1] == parallel.THREAD_FLAGS for r in inline)  # and in this process, as a worker
    assert {r[2] for r in inline} == {os.getpid()}
    for run in (procs, ray):  # other processes, each initialised itself
        pids = {r[2] for r in run}
        assert os.getpid() not in pids and len(pids) <= 2 and all(r[2] == r[3] for r in run), run
    unordered = sorted(parallel.map_tasks(_work, tasks, workers=2, initializer=_init, initargs=(5,), ordered=False))
    assert [r[:2] for r in unordered] == sorted(r[:2] for r in procs)


def test_cross_validation_folds_on_ray_equal_local_workers(shared):
    from .judging.crossval import cross_validate

    files = [str(shared("data", "signers", f"{s}.npz")) for s in ("s03", "s09", "s12")]
    kw = dict(archs=["default"], seeds=[0], epochs=1, workers=2, progress=False)
    local, _, _ = cross_validate(files, **kw)
    remote, _, header = cross_validate(files, ray="local", **kw)
    by_signer = lambda rs: {r["signer"]: r for r in rs}  # noqa: E731
    local, remote = by_signer(local), by_signer(remote)
    assert sorted(local) == ["s03", "s09", "s12"] and "on Ray (local)" in header[0]
    for s in local:
        assert local[s]["pred"] == remote[s]["pred"]
        assert np.allclose(local[s]["probs"], remote[s]["probs"], atol=1e-5)


def test_ordered_results_keep_at_most_the_window_in_flight():
    """Whatever the order tasks finish in, results come in task order and no more than the window is submitted
    and not yet given back (the bound on what waits in memory behind a slow task)."""
    from hypothesis import given, settings, strategies as st

    @given(st.lists(st.integers(0, 9), max_size=30), st.integers(1, 6))
    @settings(deadline=None, derandomize=True, database=None)  # the same cases on every machine, however loaded
    def check(tasks, window):
        submitted, out = [], []

        def result(t):
            assert len(submitted) - len(out) <= window
            return t * 2

        for r in parallel._windowed(lambda t: submitted.append(t) or t, result, tasks, window):
            out.append(r)
        assert out == [t * 2 for t in tasks] and submitted == tasks

    check()


def test_a_second_run_in_this_process_with_other_initargs_initialises_its_worker_again():
    """Two in-process runs (``workers=1``, as ``judge cv --workers 1`` runs its folds) whose initializer is given
    other arguments (other data): the second run's tasks see the second arguments, not what the first run loaded;
    the same arguments again are not loaded twice."""
    calls = []

    def count(offset):
        calls.append(offset)
        _init(offset)

    assert [r[0] for r in parallel.map_tasks(_work, [1, 2], workers=1, initializer=count, initargs=(5,))] == [6, 9]
    assert [r[0] for r in parallel.map_tasks(_work, [1, 2], workers=1, initializer=count, initargs=(7,))] == [8, 11]
    assert [r[0] for r in parallel.map_tasks(_work, [3], workers=1, initializer=count, initargs=(7,))] == [16]
    assert calls == [5, 7]


def test_command_seconds_runs_the_command_itself(shared, tmp_path):
    """The judges' timer runs ``signlstm <args>``: what it times writes the bundle the command writes, and a refused
    input is a failure naming the command and the command's own one-line refusal."""
    import pytest

    from .models.bundle import DEFAULT_MODEL, read_meta

    seconds = parallel.command_seconds(["adapt", "--model", DEFAULT_MODEL, "--data", shared("data", "signers", "s03.npz"),
                                        "--shots", 1, "--out", tmp_path / "adapted"])
    assert seconds > 0 and read_meta(tmp_path / "adapted")["adapted"]["shots"] == 1
    with pytest.raises(RuntimeError, match=r"signlstm adapt exited 2: .*no-such\.npz"):
        parallel.command_seconds(["adapt", "--data", tmp_path / "no-such.npz", "--out", tmp_path / "other"])
    assert not (tmp_path / "other").exists()


def test_sigterm_ends_a_command_running_on_ray_as_terminated(shared, tmp_path):
    """``kill`` of a command whose folds run on a local Ray instance: Ray's start replaces the command's SIGTERM
    handler (with its own exit, and a crash handler that prints "SIGTERM received ... logging.cc" and aborts); the
    command's is put back, so it ends as on a Ctrl-C: "terminated", status 143, no crash lines, no temp file left in
    its cache."""
    import signal
    import subprocess
    import sys
    import time

    import pytest

    data = [str(shared("data", "signers", f"{s}.npz")) for s in ("s03", "s09")]
    p = subprocess.Popen([sys.executable, "-m", "signlstm", "judge", "cv", "--data", *data, "--epochs", "1",
                          "--workers", "1", "--ray", "local", "--cache", str(tmp_path / "cache")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    said = []
    for line in p.stderr:  # Ray says when its instance has started (and the command's handlers were put back)
        said.append(line)
        if "Started a local Ray instance" in line:
            break
    else:
        pytest.fail(f"Ray never started: {''.join(said)}")
    time.sleep(3)  # the first fold is being trained
    p.send_signal(signal.SIGTERM)
    err = "".join(said) + p.stderr.read()
    assert p.wait(timeout=120) == 143, err
    assert err.rstrip().splitlines()[-1].endswith("signlstm judge cv: terminated") and "SIGTERM received" not in err
    # (a fold's lock file stays beside where its result goes: folds.made_once)
    assert not [f for f in (tmp_path / "cache").rglob("*") if f.is_file() and not f.name.endswith(".json.lock")]


def test_ray_local_starts_its_own_instance_whatever_ray_address_says(monkeypatch):
    """``--ray local`` where ``$RAY_ADDRESS`` names a cluster (as on a machine set up for one; here nothing listens
    there): a local instance is started and runs the tasks, instead of Ray joining that address and refusing the
    local instance's core count (a ValueError traceback)."""
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:9")
    got = list(parallel.map_tasks(_work, [1, 2], workers=1, ray="local", initializer=_init, initargs=(5,)))
    assert [r[0] for r in got] == [6, 9] and all(r[2] != os.getpid() for r in got)


def test_a_local_ray_instance_that_does_not_start_is_one_line(monkeypatch):
    """Ray raises a bare ``Exception`` when its node does not come up within its 30 s (its raylet waits for a metrics
    agent whose imports can take longer on a busy machine): that is one line naming what failed and what to do, not a
    traceback. (Ray's start-up cannot be made to time out on purpose here, so its ``init`` raises what it raised.)"""
    import ray

    def timed_out(**kwargs):
        raise Exception("The current node timed out during startup. This could happen because some of the raylet "
                        "failed to startup or the GCS has become overloaded.")

    monkeypatch.setattr(ray, "init", timed_out)
    with pytest.raises(SignlstmError, match=r"^could not start a local Ray instance \(The current node timed out "
                                            r"during startup\..*\); on a machine this busy, retry, or run without --ray$"):
        list(parallel.map_tasks(_work, [1], workers=1, ray="local", initializer=_init, initargs=(5,)))
