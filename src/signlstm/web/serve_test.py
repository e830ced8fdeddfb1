"""The ``signlstm serve`` command and the load-test script (a short run; the 60 s one is run by hand)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from signlstm.web.conftest import need

need("starlette")
need("websockets")


def test_serve_binds_to_localhost_by_default():
    from signlstm.cli import build_parser

    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.workers) == ("127.0.0.1", 8000, 2)


def test_serve_refuses_bad_options(tmp_path):
    from signlstm.cli import main

    assert main(["serve", "--port", "0"]) == 2
    assert main(["serve", "--certfile", str(tmp_path / "c.pem")]) == 2
    assert main(["serve", "--model", str(tmp_path / "missing")]) == 2


def test_loadtest_starts_signlstm_serve_and_reports_per_client_fps(trained_model, shared):
    clip = shared("media", "asl_thankyou_rohan937.mp4")
    run = subprocess.run([sys.executable, "-m", "signlstm.web.loadtest", "--model", str(trained_model.path),
                          "--source", str(clip), "--clients", "2", "--seconds", "12", "--json"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout[run.stdout.index("{"):])
    assert report["errors"] == 0 and len(report["clients"]) == 2
    assert all(c["frames"] >= 1 and c["fps"] > 0 for c in report["clients"])  # timing-free: every client was served
    assert report["server_cpu_seconds"] > 0
