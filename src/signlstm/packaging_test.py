"""A user's install: the package built as a wheel and installed without the checkout runs `live` on the demo
keypoints with the shipped model (package data), from a folder outside the checkout."""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_wheel_install_runs_live_with_the_shipped_model_outside_the_checkout(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(wheels), str(ROOT)], check=True, capture_output=True)
    (wheel,) = wheels.glob("signlstm-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for model in ("default", "spotting"):
        assert f"signlstm/models/{model}/model.keras" in names and f"signlstm/models/{model}/signlstm.json" in names
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    away = tmp_path / "elsewhere"
    away.mkdir()
    # The installed copy comes first on the path: the checkout's editable install is not what runs.
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "import signlstm; print(signlstm.__file__)"], cwd=away, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).is_relative_to(site)
    demo = ROOT / "demo" / "s08_stream.npy"
    out = subprocess.run([sys.executable, "-m", "signlstm", "live", "--source", str(demo), "--headless"], cwd=away,
                         env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["frames"] == 367 and summary["words"].count("hello") == 2  # the stream demo: hello made twice


def test_the_readmes_python_example_prints_what_the_readme_says(shared):
    """README.md's "From Python" block, run as written from the repository root (``../shared`` beside it), prints
    the lines the README shows after it: the library gives what the commands give."""
    shared("data", "signers", "s02.npz")  # under CI a missing file fails here
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## From Python", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    said = section.split("```python\n", 1)[1].split("```\n```\n", 1)[1].split("```", 1)[0]
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "KERAS_BACKEND": "jax"}, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout == said, (run.stdout, said)


def test_make_says_what_it_installs_before_each_step_that_takes_long(tmp_path):
    """A first `make demo` or `make test` installs for minutes: each step that downloads (the lock's packages,
    MediaPipe, the page's npm packages, Debian's Chromium) is announced on a line of its own before it runs, and pip
    shows what it collects (no --quiet on the two big installs). Read from `make -n` in a copy of the files the
    targets depend on, with no .venv, so nothing is installed."""
    import shutil

    from signlstm.conftest import unavailable

    if shutil.which("make") is None:
        unavailable("make is not installed (apt-get install make)")
    for name in ("Makefile", "requirements.lock", "pyproject.toml", "package.json", "package-lock.json"):
        shutil.copy(ROOT / name, tmp_path / name)
    plan = {}
    for target in ("demo", "test"):
        run = subprocess.run(["make", "--no-print-directory", "-n", target], cwd=tmp_path, capture_output=True,
                             text=True)  # (run by `make test`, a make inside a make would say where it is)
        assert run.returncode == 0, run.stderr
        plan[target] = run.stdout.splitlines()
    assert plan["demo"][0] == plan["test"][0]
    assert plan["test"][0].startswith('echo "make: installing the locked dependencies into .venv (a few minutes, once')
    for target, steps in (("demo", ("pip install -r requirements.lock", "pip install --no-deps mediapipe==")),
                          ("test", ("pip install -r requirements.lock", "pip install --no-deps mediapipe==",
                                    "npm ci", "apt-get update"))):
        lines = plan[target]
        for step in steps:  # the line before the one running the step says what is installed
            (at,) = [i for i, line in enumerate(lines) if step in line]
            assert "echo \"make: installing " in lines[at - 1], (step, lines)
        assert not [line for line in lines if "pip install" in line and "--quiet" in line and "-e ." not in line]
