"""The ``signlstm serve`` command and the load-test tool (a short run; the README's run is made by hand)."""
from __future__ import annotations

import json
import socket
import subprocess
import sys

import numpy as np
import pytest

from signlstm.web.conftest import need

need("starlette")
need("websockets")


def _listening(port: int) -> list[str]:
    """The addresses (hex, as the kernel lists them) of this machine's TCP sockets listening on ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                    found.append(local.rsplit(":", 1)[0])
    return found


def test_serve_binds_to_localhost_by_default(tmp_path):
    """Only this machine can reach the page unless the operator asks for more: ``signlstm serve`` listens on
    127.0.0.1 alone, and Ctrl-C stops it."""
    import signal
    import time

    with socket.socket() as free:  # a port nothing listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "signlstm", "serve", "--port", str(port), "--data",
                             str(tmp_path / "d"), "--models", str(tmp_path / "m")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        end = time.monotonic() + 180
        while not _listening(port):
            assert proc.poll() is None and time.monotonic() < end, proc.stderr.read() if proc.poll() else "no socket"
            time.sleep(0.2)
        assert _listening(port) == ["0100007F"]  # 127.0.0.1, and no other address
    finally:
        proc.send_signal(signal.SIGINT)
        err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130 and err.strip().splitlines()[-1] == "signlstm serve: interrupted", err


def test_serve_without_uvicorn_says_which_package_is_missing_in_one_line(tmp_path, monkeypatch, capsys):
    """Without uvicorn, as after a ``pip install signlstm`` that brought Starlette for something else but not
    ``[web]``: one line naming the package and the extra, exit 2, before the model loads or "serving" is said."""
    from signlstm.cli import main

    monkeypatch.setitem(sys.modules, "uvicorn", None)  # `import uvicorn` raises ImportError, as when not installed
    assert main(["serve", "--data", str(tmp_path / "d"), "--models", str(tmp_path / "m")]) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err == "signlstm serve: error: serve needs uvicorn: pip install 'signlstm[web]'\n"
    assert not (tmp_path / "d").exists()


@pytest.mark.timeout(120)  # an option no longer refused would start a server that waits for ever
def test_serve_refuses_bad_options_in_one_line_naming_the_cause(tmp_path, capsys):
    from signlstm.cli import main

    (tmp_path / "a_file").write_text("")
    cut = tmp_path / "cut_short"  # a copy of the package that holds holistic.js alone
    cut.mkdir()
    (cut / "holistic.js").write_text("")
    for options, said in ((["--port", "0"], "--port must be within 1..65535, got 0"),
                          (["--holistic", str(cut)], f"{cut}: the npm package @mediapipe/holistic there lacks "
                                                     "holistic.binarypb, holistic_solution_packed_assets_loader.js, "
                                                     "holistic_solution_packed_assets.data, "
                                                     "holistic_solution_simd_wasm_bin.js, "
                                                     "holistic_solution_simd_wasm_bin.wasm, "
                                                     "holistic_solution_wasm_bin.js, holistic_solution_wasm_bin.wasm, "
                                                     "pose_landmark_full.tflite (a copy cut short: copy the whole "
                                                     "folder, or npm ci)"),
                          (["--data", str(tmp_path / "a_file")], f"{tmp_path / 'a_file'}: exists and is not a folder"),
                          (["--models", str(tmp_path / "a_file" / "m")], f"{tmp_path / 'a_file' / 'm'}: cannot be "
                                                                         f"made: {tmp_path / 'a_file'} is not a folder"),
                          (["--certfile", str(tmp_path / "c.pem")], "--certfile and --keyfile go together"),
                          (["--model", str(tmp_path / "missing")], f"{tmp_path / 'missing'}: no such model file or "
                                                                   "bundle folder"),
                          (["--holistic", str(tmp_path)], f"{tmp_path}: no holistic.js there (the folder of the npm "
                                                          "package @mediapipe/holistic)")):
        assert main(["serve", *options]) == 2
        assert capsys.readouterr().err == f"signlstm serve: error: {said}\n", options


def test_loadtest_runs_both_paths_on_loopback_and_reports_each_row(trained_model, shared):
    """A short run of ``signlstm loadtest`` (the figures in the README come from a longer run, by hand)."""
    run = subprocess.run([sys.executable, "-m", "signlstm", "loadtest", "--model", str(trained_model.path),
                          "--shared", str(shared()), "--clients", "3", "--image-clients", "1", "--seconds", "4",
                          "--json"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert [(r["path"], r["clients"]) for r in rows] == [("keypoints", 3), ("images", 1)]
    for r in rows:  # timing-free: every page was served, without an error
        assert r["errors"] == 0 and r["fps_min"] > 0 and r["server_ms_p95"] > 0 and r["server_cpu_cores"] > 0, r
    # an image page sends no faster than the fallback page (12 a second) and is held to the same share of it
    assert [r["min_fps"] for r in rows] == [29.0, 11.6] and rows[1]["fps_median"] <= 12.5, rows
    assert "signlstm serve" not in run.stderr, run.stderr  # its "interrupted" when stopped: not between the rows


def test_loadtest_runs_the_signers_rate_seconds_and_limits_asked_for(trained_model, shared, tmp_path):
    """``loadtest --signers --seconds --fps --min-fps --max-p95``, keypoint path only: the pages replay the person
    file named (from a shared folder that holds only s05's), each run lasts its second (the second row comes about a
    second after the first, not the default's 10), each page sends 10 frames a second (so no page is answered more
    often; the default sends 30), and the rows are held to the limits given (no rate required, 10 s of server time:
    every row held; the default 29 fps could not be)."""
    import signal
    import time

    signers = tmp_path / "shared" / "data" / "signers"
    signers.mkdir(parents=True)
    (signers / "s05.npz").symlink_to(shared("data", "signers", "s05.npz"))
    proc = subprocess.Popen([sys.executable, "-m", "signlstm", "loadtest", "--model", str(trained_model.path),
                             "--shared", str(tmp_path / "shared"), "--signers", "s05", "--clients", "1", "2",
                             "--image-clients", "--seconds", "1", "--fps", "10", "--min-fps", "0", "--max-p95",
                             "10000", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        rows, at = [], []
        for line in proc.stdout:  # each row as soon as it is measured
            rows.append(json.loads(line))
            at.append(time.monotonic())
        err = proc.stderr.read()
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:  # as Ctrl-C: loadtest stops its server
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    assert proc.returncode == 0, err[-2000:]
    assert [(r["path"], r["clients"]) for r in rows] == [("keypoints", 1), ("keypoints", 2)], rows
    # the second run: its 10th frame sent 0.9 s in, half a second for the last replies, two pages connecting
    # (measured 1.4 s); the default --seconds 10 could not end before 10 s
    assert 1.2 <= at[1] - at[0] < 9.5, at
    for r in rows:  # a page sends 10 frames in its second: at most 10 replies
        assert r["errors"] == 0 and 0 < r["fps_min"] <= r["fps_median"] <= 10, r
        assert (r["min_fps"], r["max_p95"], r["held"]) == (0.0, 10000.0, True), r


def test_serve_on_every_address_over_https_listens_there_and_answers_over_tls(tmp_path, certificate):
    """``--host 0.0.0.0 --certfile --keyfile``, as a phone on the local network needs it: the server listens on every
    address (and nothing else) and answers https with the certificate given."""
    import signal
    import ssl
    import time
    import urllib.request

    crt, key = certificate()
    with socket.socket() as free:  # a port nothing listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "signlstm", "serve", "--host", "0.0.0.0", "--port", str(port),
                             "--certfile", str(crt), "--keyfile", str(key), "--data", str(tmp_path / "d"),
                             "--models", str(tmp_path / "m")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        end = time.monotonic() + 180
        while not _listening(port):
            assert proc.poll() is None and time.monotonic() < end, proc.stderr.read() if proc.poll() else "no socket"
            time.sleep(0.2)
        assert _listening(port) == ["00000000"]  # 0.0.0.0: every address
        tls = ssl.create_default_context(cafile=str(crt))  # the certificate given, checked for localhost
        with urllib.request.urlopen(f"https://localhost:{port}/api/health", context=tls, timeout=30) as r:
            assert json.load(r)["labels"] == ["hello", "thanks", "iloveyou", "none"]  # the shipped model
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert f"on https://localhost:{port}/ and this machine's other addresses" in out, (out, err)


def test_serve_says_when_pages_will_send_their_camera_frames(tmp_path, monkeypatch, capsys):
    """Without @mediapipe/holistic to give the pages, the operator is told that pages will ask their visitors to send
    camera images (browser_test: nothing is sent before); listening on every address over http, that other machines
    get no camera, which a loopback address or name in any spelling does not say. The blocking server itself is
    replaced: what is tested is the start-up."""
    from signlstm.cli import main
    from signlstm.web import holistic_assets, server

    started = []
    monkeypatch.setattr(server, "serve", lambda *a, **k: started.append(a))
    monkeypatch.setattr(holistic_assets, "HOLISTIC", tmp_path / "no_node_modules")
    monkeypatch.chdir(tmp_path)  # nor in the current folder
    with socket.socket() as free:  # a port nothing listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    assert main(["serve", "--port", str(port)]) == 0 and started
    err = capsys.readouterr().err
    assert "pages will ask their visitors to send their camera images here" in err and "over https" not in err
    for host in ("127.0.0.2", "LOCALHOST"):  # loopback (as the server's own check names it): the camera works there
        assert main(["serve", "--port", str(port), "--host", host]) == 0, host
        assert "over http get no camera" not in capsys.readouterr().err, host
    assert main(["serve", "--port", str(port), "--host", "0.0.0.0", "--data", str(tmp_path / "d"), "--rule", "stream",
                 "--threshold", "0.7", "--stability", "5", "--rest", "3", "--rearm", "4"]) == 0
    out = capsys.readouterr()
    assert f"on http://localhost:{port}/ and this machine's other addresses" in out.out
    assert "other machines reaching this page over http get no camera" in out.err
    engine, *where = started[-1]
    assert where == ["0.0.0.0", port, None, None]  # the address asked for, no TLS
    try:
        page = engine.open().recognizer  # each page's recognizer has the settings given
        assert (page.rule, page.threshold, page.recent.maxlen, page.rest, page.rearm) == ("stream", 0.7, 5, 3, 4)
    finally:
        engine.shutdown()


def test_an_install_outside_the_checkout_finds_the_pages_holistic_in_the_current_folder(tmp_path, monkeypatch,
                                                                                        capsys):
    """A non-editable install's package lives outside the checkout: run from the checkout, ``serve`` finds the
    ``npm ci`` copy there and says which version from where; run elsewhere, none."""
    from pathlib import Path

    from signlstm.cli import main
    from signlstm.web import holistic_assets, server

    checkout = Path(__file__).resolve().parents[3]
    monkeypatch.setattr(holistic_assets, "HOLISTIC",
                        tmp_path / "site-packages" / "node_modules" / "@mediapipe" / "holistic")
    monkeypatch.setattr(server, "serve", lambda *a, **k: None)
    monkeypatch.chdir(checkout)
    assert holistic_assets.holistic_dir() == Path("node_modules/@mediapipe/holistic"), "npm ci (make install) not run?"
    pinned = json.loads((checkout / "package.json").read_text())["dependencies"]["@mediapipe/holistic"]
    with socket.socket() as free:  # a port nothing listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    assert main(["serve", "--port", str(port), "--data", str(tmp_path / "d"), "--models", str(tmp_path / "m")]) == 0
    assert (f"the pages find their landmarks with @mediapipe/holistic {pinned} from "
            f"{checkout / 'node_modules' / '@mediapipe' / 'holistic'}") in capsys.readouterr().err
    monkeypatch.chdir(tmp_path)
    assert holistic_assets.holistic_dir() is None


def test_loadtest_refuses_what_it_cannot_run_in_one_line(tmp_path, capsys):
    """Counts, lengths or rates out of range (a page rate below zero would never end its run), a missing person file
    or clip, and a folder that is no model, are one line and exit 2 before the table's head is printed or any server
    starts."""
    from signlstm.cli import main

    counts = "--seconds must be above 0 and at most 120, and page counts within 1..500"
    for options, said in ((["--seconds", "0"], counts), (["--clients", "0"], counts),
                          (["--fps", "-1"], "--fps must be within 0..120 (got -1), --min-fps within 0..--fps (got 29) "
                                            "and --max-p95 above 0 (got 30)"),
                          (["--shared", str(tmp_path)], f"{tmp_path}/data/signers/s02.npz: no such file"),
                          (["--model", str(tmp_path)], f"{tmp_path}: not a model bundle (needs model.keras and "
                                                       "signlstm.json)")):
        assert main(["loadtest", *options]) == 2
        assert capsys.readouterr().err == f"signlstm loadtest: error: {said}\n", options


@pytest.mark.timeout(120)  # a library that did not refuse would start a server and run the pages
def test_the_library_loadtest_refuses_what_the_command_refuses_before_any_server_starts(shared, tmp_path):
    """``web.loadtest.loadtest`` as a Python user calls it: a run of no seconds, no pages or a page rate below zero
    (which would never end) is refused in the command's words before a server is started; ``inputs`` names a person
    file that is missing."""
    from signlstm.errors import BadInput, SignlstmError
    from signlstm.web.loadtest import inputs, loadtest

    files, clip = [shared("data", "signers", "s02.npz")], shared("media", "asl_thankyou_rohan937.mp4")
    counts = "--seconds must be above 0 and at most 120, and page counts within 1..500"
    run = dict(clients=[1], image_clients=[], seconds=1.0, fps=30.0, min_fps=29.0, max_p95=30.0)
    for options, said in (({"seconds": 0.0}, counts), ({"clients": [0]}, counts), ({"image_clients": [501]}, counts),
                          ({"fps": -1.0}, r"--fps must be within 0..120 \(got -1\)")):
        with pytest.raises(SignlstmError, match=said):
            next(loadtest(None, **{**run, **options}, signer_files=files, clip=clip))
    assert inputs(shared("."), ["s02"], images=True) == (files, clip)
    with pytest.raises(BadInput, match="s99.npz: no such file"):
        inputs(shared("."), ["s02", "s99"])


def test_loadtest_shows_what_the_server_logged_as_a_problem_and_not_its_quiet_lines(tmp_path):
    from signlstm.web.loadtest import server_problems

    log = tmp_path / "server.log"
    quiet = ["signlstm serve: http://127.0.0.1:8765/ (model default)", "signlstm serve: interrupted"]
    log.write_text("\n".join(quiet) + "\n")
    assert server_problems(log) == [] and server_problems(tmp_path / "absent.log") == []
    fault = ["Traceback (most recent call last):", '  File "engine.py", line 1, in step', "RuntimeError: a fault"]
    log.write_text("\n".join(quiet[:1] + fault + quiet[1:]) + "\n")
    assert server_problems(log) == fault + quiet[1:] and server_problems(log, most=1) == fault[:1]


def test_loadtest_takes_another_port_when_the_one_it_picked_is_taken_before_the_server_binds_it(tmp_path):
    """The port ``loadtest`` picks is free when picked, yet another process may take it before the server binds it:
    the server is then started on another port instead of the run failing; a port that stays taken is said."""
    import signal

    import pytest

    from signlstm.errors import SignlstmError
    from signlstm.web.loadtest import free_port, health, start_server

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        with pytest.raises(SignlstmError, match=f"it said: .*--port {busy}: 127.0.0.1:{busy} is in use"):
            start_server(None, 1, str(tmp_path), ports=[busy])
        free = free_port()
        proc, port = start_server(None, 1, str(tmp_path), ports=[busy, free])
        try:
            assert port == free and health(f"ws://127.0.0.1:{port}/ws")["windows"] == 0
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)


def test_loadtest_summary_gives_the_largest_page_count_held_on_each_path_and_the_counts_tried():
    """The summary under ``loadtest``'s table (``held_lines``): per path, the largest page count whose row was held
    (not the first or smallest: 1 and 8 held, 4 missed its rate), at the limits the rows were held to, and every
    count tried in order; a path with no row held says 0; a path not run gives no line."""
    from signlstm.web.loadtest import held_lines

    def row(path, clients, held, min_fps=29.0, max_p95=50.0):
        return {"path": path, "clients": clients, "held": held, "min_fps": min_fps, "max_p95": max_p95}

    rows = [row("keypoints", 1, True), row("keypoints", 8, True), row("keypoints", 4, False),
            row("images", 2, False, 11.6, 83.3)]
    assert held_lines(rows) == ["keypoints: held 8 pages at >= 29 fps each with server p95 < 50 ms (tried 1, 8, 4)",
                                "images: held 0 pages at >= 11.6 fps each with server p95 < 83.3 ms (tried 2)"]
    assert held_lines(rows[:3]) == held_lines(rows)[:1]


def test_a_runs_figures_are_its_slowest_page_and_a_run_with_errors_is_not_held():
    """``loadtest``'s row from what each page measured: ``fps_min`` the slowest page's replies a second (not the
    median page's), percentiles over every reply of every page, errors counted over pages; a run is held only when
    its slowest page keeps the rate, the server's p95 stays under the limit and no page saw an error."""
    from signlstm.web.loadtest import held, page_figures

    pages = [{"replies": 300, "seconds": 10.0, "server_ms": np.full(300, 2.0), "rtt_ms": np.full(300, 5.0),
              "errors": []},
             {"replies": 240, "seconds": 10.0, "server_ms": np.full(240, 4.0), "rtt_ms": np.full(240, 9.0),
              "errors": []},
             {"replies": 290, "seconds": 10.0, "server_ms": np.r_[np.full(280, 3.0), np.full(10, 50.0)],
              "rtt_ms": np.full(290, 6.0), "errors": ["closed: 1011"]}]
    r = page_figures(pages)
    assert r == {"fps_min": 24.0, "fps_median": 29.0, "server_ms_p50": 3.0, "server_ms_p95": 4.0, "rtt_ms_p95": 9.0,
                 "errors": 1, "first_error": "closed: 1011"}, r
    limits = {"min_fps": 20.0, "max_p95": 30.0}
    assert not held({**r, **limits})  # a page saw an error
    assert held({**page_figures(pages[:2]), **limits})
    assert not held({**page_figures(pages[:2]), **limits, "min_fps": 25.0})  # the slowest page is under 25 a second
    assert not held({**page_figures(pages[:2]), **limits, "max_p95": 4.0})  # p95 4.0 ms is not under 4.0
