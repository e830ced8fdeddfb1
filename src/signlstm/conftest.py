"""Test fixtures: the real data in ../shared (tests fail, not skip, under CI when it is missing)."""
import functools
import os
from pathlib import Path
from typing import NoReturn

import numpy as np
import pytest

import signlstm  # noqa: F401  selects the Keras backend

SHARED = Path(os.environ.get("SIGNLSTM_SHARED", Path(__file__).resolve().parents[3] / "shared"))


def in_terminal(argv: list[str], timeout: float = 600) -> tuple[int, str, str]:
    """``python -m signlstm *argv`` with its stderr on a pseudo-terminal, as a person at a terminal runs it:
    (exit status, stdout, what the terminal showed, each ``\\r`` redraw of a bar as a line of its own)."""
    import fcntl
    import pty
    import struct
    import subprocess
    import sys
    import termios
    import threading

    main, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))  # 120 columns, as a window's
    proc = subprocess.Popen([sys.executable, "-m", "signlstm", *argv], stdout=subprocess.PIPE, stderr=terminal)
    os.close(terminal)
    shown = bytearray()

    def drain():  # until the command's end closes the terminal's other side (EIO on Linux)
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:
                return
            if not chunk:
                return
            shown.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    out, _ = proc.communicate(timeout=timeout)
    reader.join(timeout=10)
    os.close(main)
    return proc.returncode, out.decode(), shown.decode(errors="replace").replace("\r\n", "\n").replace("\r", "\n")


def pytest_configure(config):
    """Ctrl-C as a terminal gives it: a run started in the background by a shell without job control inherits SIGINT
    ignored, as would every command it starts, and the tests of what Ctrl-C does would then all fail."""
    import signal

    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def unavailable(msg: str) -> NoReturn:
    """What a test does when something it needs is not on this machine (data, a program, an optional package): under
    CI (the ``CI`` environment variable set, as CI services set it) it fails, saying ``msg``; elsewhere it is skipped
    with ``msg`` (the whole module when called while the module is imported)."""
    if os.environ.get("CI"):
        pytest.fail(msg, pytrace=False)
    pytest.skip(msg, allow_module_level=True)


def shared_path(*parts) -> Path:
    """A file under ../shared; missing is :func:`unavailable`."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        unavailable(f"{p} is missing (../shared must be beside the checkout)")
    return p


@pytest.fixture
def shared():
    return shared_path


@functools.cache
def s02_head() -> dict[str, np.ndarray]:
    """The first 8 recordings of a real packed file, s02.npz (its X, y and seq as stored, read-only), read once: the
    property tests that draw a few real recordings for each case take them from here (inflating the whole file again
    for each case took most of their time)."""
    with np.load(shared_path("data", "signers", "s02.npz")) as z:
        head = {k: z[k][:8].copy() for k in ("X", "y", "seq")}
    for v in head.values():
        v.setflags(write=False)
    return head


@pytest.fixture(autouse=True)
def _xla_threads_as_they_were():
    """Each test leaves ``XLA_FLAGS`` as it found it: a command run in the test process with one worker sets it (so
    that a command's in-process work runs on one XLA thread, as a worker's does), and the commands later tests start
    would inherit it."""
    before = os.environ.get("XLA_FLAGS")
    yield
    if before is None:
        os.environ.pop("XLA_FLAGS", None)
    else:
        os.environ["XLA_FLAGS"] = before


@pytest.fixture
def slow_camera():
    """The one thing tests simulate, a physical webcam: ``slow_camera(frames, every)`` is a source that reports 30
    frames a second and delivers the keypoint ``frames`` one every ``every`` seconds, in real time (as a webcam in dim
    light delivers 15 while it reports 30)."""
    import time

    from signlstm.frames.sources import Source

    class SlowCamera(Source):
        name, fps, live, keypoints = "camera 0", 30.0, True, True

        def __init__(self, frames, every):
            self.frames, self.every, self.i, self.t0 = frames, every, 0, None

        def read(self):
            if self.i >= len(self.frames):
                return None
            self.t0 = self.t0 or time.perf_counter()
            time.sleep(max(0.0, self.t0 + self.i * self.every - time.perf_counter()))
            self.i += 1
            return self.frames[self.i - 1]

    return SlowCamera


def made_once_by_two(script: str, starts: str, timeout: float = 900) -> list[str]:
    """Run the Python ``script`` in two processes at once, each asking for the same cached model and printing its
    log and then the model's path: both must find it missing (their first line starts with ``starts``), one train it,
    the other take it as "trained by another command meanwhile", and both end with the same path. Returns the first
    process's lines."""
    import subprocess
    import sys

    runs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    outs = [p.communicate(timeout=timeout) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], outs
    said = [out.splitlines() for out, _ in outs]
    assert all(lines[0].startswith(starts) for lines in said), said  # both found it missing
    done = sorted(lines[1].split(": ", 1)[1].split(" (")[0] for lines in said)
    assert done[1] == "trained by another command meanwhile" and done[0].endswith(" s"), said  # one trained it
    assert said[0][-1] == said[1][-1], said
    return said[0]


def held_back(data, k, seed=0):
    """The recordings of ``data`` that ``adapt``'s seeded choice of ``k`` shots per sign leaves: its test set."""
    import numpy as np

    from signlstm.models.adapt import choose_shots

    return data.subset(np.setdiff1d(np.arange(len(data)), choose_shots(data, k, seed)))


@pytest.fixture
def two_small_people(shared, tmp_path):
    """Packed files of two people (s02's and s03's every tenth recording, as alice and bob): a fold run that stops
    before any training needs no more."""
    import numpy as np

    people = []
    for p, s in (("alice", "s02"), ("bob", "s03")):
        with np.load(shared("data", "signers", f"{s}.npz")) as z:
            np.savez(tmp_path / f"{p}.npz", X=z["X"][::10], y=z["y"][::10], seq=z["seq"][::10])
        people.append(tmp_path / f"{p}.npz")
    return people


# People whose recordings train the shared test model: six DEV signers with the common gestures (VARIANTS.md).
BASE_SIGNERS = ("s02", "s03", "s04", "s05", "s08", "s11")


@pytest.fixture(scope="session")
def small_base(tmp_path_factory):
    """One small default-recipe model shared by every test that needs a trained network: 12 epochs on
    :data:`BASE_SIGNERS`, with 'none' learnt from no-hand windows. Returns the loaded bundle (saved on disk)."""
    from signlstm.datasets import concat, load_npz
    from signlstm.datasets.training_sets import training_set
    from signlstm.models.bundle import load_bundle, save_bundle
    from signlstm.models.training import fit

    data = concat([load_npz(shared_path("data", "signers", f"{s}.npz")) for s in BASE_SIGNERS])
    b = fit(training_set(data, negatives=[], synthetic=0.25, seed=0), "default", epochs=12, seed=0, progress=False,
            test_split=0.0)
    out = tmp_path_factory.mktemp("models") / "small_base"
    save_bundle(b.model, b.meta, out)
    return load_bundle(out)


# People of ../shared/data/vocab whose recordings, in every folder, train nothing in :func:`unseen_trunk`.
UNSEEN_BY_TRUNK = ("o07", "s23")


@pytest.fixture(scope="session")
def unseen_trunk(tmp_path_factory):
    """A vocabulary trunk (``signlstm trunk``'s recipe, :func:`signlstm.judging.trunks.train_trunk`) that never saw
    :data:`UNSEEN_BY_TRUNK`, for the tests that measure a vocabulary on a person (the shipped trunk was trained on
    everyone in ../shared): the other vocab people's signs, the other signs' people, 5 recordings per signer and sign
    of the signers, 20 epochs, seed 0 (about a minute on 2 cores). Returns the loaded bundle (saved on disk, with its
    ``examples.npz``)."""
    from signlstm.judging.trunks import train_trunk
    from signlstm.models.bundle import load_bundle

    def files(folder):
        return [p for p in sorted(shared_path("data", folder).glob("*.npz")) if p.stem not in UNSEEN_BY_TRUNK]

    out = tmp_path_factory.mktemp("models") / "unseen_trunk"
    train_trunk(files("vocab"), files("other_signs"), files("signers"), held_out="o07", out=out, epochs=20, seed=0,
                per_sign=5)
    b = load_bundle(out)
    assert not set(UNSEEN_BY_TRUNK) & set(b.meta["training"]["groups"]), b.meta["training"]["groups"]
    return b
