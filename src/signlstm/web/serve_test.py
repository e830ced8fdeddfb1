"""The ``signlstm serve`` command and the load-test tool (a short run; the README's run is made by hand)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from signlstm.web.conftest import need

need("starlette")
need("websockets")


def test_serve_binds_to_localhost_by_default():
    from signlstm.cli import build_parser

    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.workers, args.holistic) == ("127.0.0.1", 8000, 2, None)


def test_serve_refuses_bad_options(tmp_path):
    from signlstm.cli import main

    assert main(["serve", "--port", "0"]) == 2
    assert main(["serve", "--certfile", str(tmp_path / "c.pem")]) == 2
    assert main(["serve", "--model", str(tmp_path / "missing")]) == 2
    assert main(["serve", "--holistic", str(tmp_path)]) == 2


def test_loadtest_runs_both_paths_on_loopback_and_reports_each_row(trained_model):
    """A short run of tools/loadtest.py (the figures in the README come from a longer run, by hand)."""
    tool = Path(__file__).resolve().parents[3] / "tools" / "loadtest.py"
    run = subprocess.run([sys.executable, str(tool), "--model", str(trained_model.path), "--clients", "3",
                          "--image-clients", "1", "--seconds", "4", "--json"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert [(r["path"], r["clients"]) for r in rows] == [("keypoints", 3), ("images", 1)]
    for r in rows:  # timing-free: every page was served, without an error
        assert r["errors"] == 0 and r["fps_min"] > 0 and r["server_ms_p95"] > 0 and r["server_cpu_cores"] > 0, r


def test_serve_says_when_pages_will_send_their_camera_frames(tmp_path, monkeypatch, capsys):
    """Without @mediapipe/holistic to give the pages, the operator is told that camera frames will come to the
    server (the page says it too). The blocking server itself is replaced: what is tested is the start-up."""
    from signlstm.cli import main
    from signlstm.web import server

    started = []
    monkeypatch.setattr(server, "serve", lambda *a, **k: started.append(k))
    monkeypatch.setattr(server, "HOLISTIC", tmp_path / "no_node_modules")
    assert main(["serve", "--port", "8765"]) == 0 and started
    err = capsys.readouterr().err
    assert "pages will send their camera frames here" in err
