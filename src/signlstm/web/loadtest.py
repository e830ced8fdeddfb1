"""Load test of ``signlstm serve`` on loopback (``signlstm loadtest``): how many pages one server holds, keypoint
path beside frame path.

Starts ``signlstm serve`` on a free loopback port, then for each client count runs that many simulated pages at once
for a number of seconds:

- keypoint pages replay real keypoints (DEV signers' sequences, the parts the model reads, as the page sends them)
  at ``fps`` frames a second each, without waiting for replies but skipping a frame when 6 are unanswered (as the
  page does);
- image pages send the frames of a real clip (read with ``sources.open_source``, scaled to the page's width, JPEG)
  at most ``fps`` a second, and never more than the fallback page's own rate (``server.FPS``, 12), the next one only
  after the reply (as the fallback page does once allowed to).

A count is held when every page got at least ``min_fps`` replies a second (image pages: the same share of the rate
they send at, 11.6 of 12 with the defaults), the server's own per-frame time (from
the message's arrival in its handler to its reply, the reply's ``ms``) has a 95th percentile under ``max_p95`` ms
(image pages, whose frames the server landmarks: under the page's frame time if longer, 83.3 ms at 12 a second),
and no page saw an error. Each row gives the server's CPU use (user + system of its process, from /proc), the
clients' (this process), the mean windows per forward pass of the keypoint path (from the server's
``/api/health``) and the 1-minute load average (the machine may be shared: say so with the figures). Loopback only;
every run is bounded in time.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

from ..errors import SignlstmError

MAX_PENDING = 6  # keypoint messages a page leaves unanswered before it skips frames (static/app.js)
SIGNERS = ("s02", "s03", "s04")  # DEV signers (files of SHARED/data/signers) whose keypoints the pages replay
CLIP = "asl_thankyou_rohan937.mp4"  # the image pages' clip, in SHARED/media
MOST_SECONDS, MOST_PAGES, MOST_FPS = 120, 500, 120  # a run's longest length, most pages and fastest page rate
COLUMNS = (f"{'path':<10}{'pages':>6}{'fps min':>9}{'fps med':>9}{'srv p50':>9}{'srv p95':>9}{'rtt p95':>9}"
           f"{'errors':>7}{'srv cores':>10}{'cli cores':>10}{'batch':>7}{'load1':>7}  held")


def keypoint_stream(files) -> np.ndarray:
    """Real keypoints to replay: the sequences of a few person files one after the other, (frames, 1662)."""
    from ..datasets import load

    X = load(list(files)).X
    return X.reshape(-1, X.shape[-1])


def jpeg_frames(path, width: int) -> list[bytes]:
    """A clip's frames as the fallback page sends them: scaled to ``width``, JPEG quality 75."""
    import cv2

    from ..frames.sources import open_source

    out = []
    with open_source(str(path)) as src:
        for frame in src:
            h = round(frame.shape[0] * width / frame.shape[1])
            small = cv2.resize(frame, (width, h), interpolation=cv2.INTER_AREA)
            out.append(cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, 75])[1].tobytes())
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:13]) / os.sysconf("SC_CLK_TCK")


async def keypoint_page(n: int, url: str, stream: np.ndarray, seconds: float, fps: float, out: dict) -> None:
    """One page on the keypoint path: a message every 1/fps s from its own point of the stream; replies counted."""
    from websockets.asyncio.client import connect

    import struct

    from . import protocol

    s = out[n] = {"replies": 0, "server_ms": [], "rtt_ms": [], "errors": [], "seconds": 0.0}
    try:
        async with connect(url, max_size=None, open_timeout=60, compression=None) as ws:
            while True:
                m = json.loads(await ws.recv())
                if m["type"] == "model":
                    mask = m["mask"]
                    break
                if m["type"] == "busy":
                    raise RuntimeError(m["message"])
            t0 = time.perf_counter()
            end = t0 + seconds

            async def read():
                async for raw in ws:
                    m = json.loads(raw)
                    if m["type"] == "result":
                        s["replies"] += 1
                        s["server_ms"].append(m["ms"])
                        s["rtt_ms"].append(time.perf_counter() * 1000 - m["t"])
                    elif m["type"] in ("error", "busy"):
                        s["errors"].append(m.get("message"))

            reader = asyncio.create_task(read())
            k, sent, start = 0, 0, 7 * n * 31
            head = protocol.HEADER.size - 8  # the timestamp is the header's last 8 bytes
            while (due := t0 + k / fps) < end:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                if sent - s["replies"] - len(s["errors"]) >= MAX_PENDING:  # as the page: a frame not sent
                    k += 1
                    continue
                sent += 1
                packed = stream[(start + k) % len(stream)][mask]
                await ws.send(packed[:head] + struct.pack("<d", time.perf_counter() * 1000) + packed[head + 8:])
                k += 1
            await asyncio.sleep(0.5)  # the last replies
            s["seconds"] = seconds
            reader.cancel()
    except Exception as e:  # a refused or dropped connection is an error of the run
        s["errors"].append(f"{type(e).__name__}: {e}")


async def image_page(n: int, url: str, frames: list[bytes], seconds: float, fps: float, out: dict) -> None:
    """One page on the frame path: the next frame only after the reply, at most fps a second. Its first frame, for
    which the server makes the page's landmark graph, is not counted."""
    from websockets.asyncio.client import connect

    s = out[n] = {"replies": 0, "server_ms": [], "rtt_ms": [], "errors": [], "seconds": 0.0}
    try:
        async with connect(url, max_size=None, open_timeout=60, compression=None) as ws:
            while json.loads(await ws.recv())["type"] != "model":
                pass
            await ws.send(frames[(7 * n) % len(frames)])
            while json.loads(await asyncio.wait_for(ws.recv(), 60))["type"] not in ("result", "error", "busy"):
                pass
            t0 = time.perf_counter()
            i = 0
            while time.perf_counter() - t0 < seconds:
                sent = time.perf_counter()
                await ws.send(frames[(i + 7 * n) % len(frames)])
                i += 1
                while True:
                    m = json.loads(await asyncio.wait_for(ws.recv(), 60))
                    if m["type"] == "result":
                        break
                    if m["type"] in ("error", "busy"):
                        s["errors"].append(m.get("message"))
                        break
                now = time.perf_counter()
                s["replies"] += 1
                s["server_ms"].append(m.get("ms", 0.0))
                s["rtt_ms"].append((now - sent) * 1000)
                await asyncio.sleep(max(0.0, 1.0 / fps - (now - sent)))
            s["seconds"] = time.perf_counter() - t0
    except Exception as e:
        s["errors"].append(f"{type(e).__name__}: {e}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(model, clients: int, tmp: str, ports=None) -> tuple[subprocess.Popen, int]:
    """Start ``signlstm serve`` on loopback and wait until it answers; return it and its port. A free port is picked
    afresh (three tries) when the one picked was taken by another process before the server bound it; ``ports``
    gives the ports to try instead."""
    cmd = [sys.executable, "-m", "signlstm", "serve", "--max-clients", str(clients + 5),
           "--data", f"{tmp}/data", "--models", f"{tmp}/models"] + (["--model", str(model)] if model else [])
    log = Path(tmp) / "server.log"  # what the server says (its start, its "interrupted" when stopped) stays out of
    said = ["nothing"]  # the table; it is shown when the server does not start
    for port in ports if ports is not None else (free_port() for _ in range(3)):
        with open(log, "w") as f:
            proc = subprocess.Popen(cmd + ["--port", str(port)], stdout=f, stderr=subprocess.STDOUT)
        end = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2).close()
                return proc, port
            except OSError:
                if proc.poll() is not None or time.monotonic() > end:
                    break
                time.sleep(0.3)
        proc.kill()
        proc.wait()
        said = log.read_text(errors="replace").strip().splitlines()[-1:] or ["nothing"]
        if "is in use" not in said[0]:
            break
    raise SignlstmError(f"the server did not start (exit status {proc.poll()}; it said: {said[0]})")


def health(url: str) -> dict:
    """The server's counters (``/api/health``)."""
    with urllib.request.urlopen(url.replace("ws://", "http://").replace("/ws", "/api/health"), timeout=10) as r:
        return json.loads(r.read())


def run_pages(path: str, clients: int, url: str, data, seconds: float, fps: float, pid: int) -> dict:
    """``clients`` pages on one path for ``seconds``: one row of the table."""
    page = keypoint_page if path == "keypoints" else image_page
    out: dict = {}

    async def all_pages():
        await asyncio.gather(*(page(n, url, data, seconds, fps, out) for n in range(clients)))

    h0 = health(url)
    cpu0, own0, t0 = cpu_seconds(pid), time.process_time(), time.perf_counter()
    import threading

    # asyncio turns Ctrl-C into cancelling its main task only over Python's own handler, not the command's
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler) if main else None
    try:
        asyncio.run(all_pages())
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)
    wall, cpu, own = time.perf_counter() - t0, cpu_seconds(pid) - cpu0, time.process_time() - own0
    h1 = health(url)
    batches = h1.get("batches", 0) - h0.get("batches", 0)
    per_batch = (h1.get("windows", 0) - h0.get("windows", 0)) / batches if batches else 0.0
    return {"path": path, "clients": clients, **page_figures(list(out.values())),
            "server_cpu_cores": round(cpu / wall, 2), "clients_cpu_cores": round(own / wall, 2),
            "load1": round(os.getloadavg()[0], 2), "windows_per_batch": round(per_batch, 1)}


def page_figures(pages: list[dict]) -> dict:
    """A run's figures from what each page measured (``replies`` in ``seconds``, ``server_ms`` and ``rtt_ms`` per
    reply, ``errors``): the slowest page's and the median page's replies a second, the server's time per message
    (p50, p95) and the round trip's p95 over every reply, and the errors of all pages (the first of them)."""
    rates = np.array([s["replies"] / s["seconds"] if s["seconds"] else 0.0 for s in pages])
    server = np.concatenate([s["server_ms"] for s in pages] + [np.zeros(0)])
    rtt = np.concatenate([s["rtt_ms"] for s in pages] + [np.zeros(0)])
    errors = [e for s in pages for e in s["errors"]]
    pct = lambda a, q: round(float(np.percentile(a, q)), 2) if len(a) else float("nan")  # noqa: E731
    return {"fps_min": round(float(rates.min()), 2), "fps_median": round(float(np.median(rates)), 2),
            "server_ms_p50": pct(server, 50), "server_ms_p95": pct(server, 95), "rtt_ms_p95": pct(rtt, 95),
            "errors": len(errors), "first_error": errors[0] if errors else None}


def held(r: dict) -> bool:
    """Whether the run ``r`` held (see the module docstring): its slowest page got at least ``min_fps`` replies a
    second, the server's p95 time stayed under ``max_p95`` ms, and no page saw an error."""
    return r["fps_min"] >= r["min_fps"] and r["server_ms_p95"] < r["max_p95"] and not r["errors"]


def check_options(clients: list[int], image_clients: list[int], seconds: float, fps: float, min_fps: float,
                  max_p95: float) -> None:
    """:class:`SignlstmError` unless every run can be made and ends: ``seconds`` above 0 and at most
    :data:`MOST_SECONDS`, page counts within 1..:data:`MOST_PAGES`, ``fps`` within 0..:data:`MOST_FPS`, ``min_fps``
    within 0..``fps`` and ``max_p95`` above 0."""
    counts = list(clients) + list(image_clients)
    if not 0 < seconds <= MOST_SECONDS or min(counts + [1]) < 1 or max(counts + [0]) > MOST_PAGES:
        raise SignlstmError(f"--seconds must be above 0 and at most {MOST_SECONDS}, and page counts within "
                            f"1..{MOST_PAGES}")
    if not (0 < fps <= MOST_FPS and 0 <= min_fps <= fps and max_p95 > 0):
        raise SignlstmError(f"--fps must be within 0..{MOST_FPS} (got {fps:g}), --min-fps within 0..--fps (got "
                            f"{min_fps:g}) and --max-p95 above 0 (got {max_p95:g})")


def inputs(shared, signers=SIGNERS, clip=None, images: bool = True) -> tuple[list[Path], Path]:
    """The person files (``shared/data/signers/<signer>.npz``) the keypoint pages replay and the clip the image pages
    send (default ``shared/media/``:data:`CLIP`), each checked (:class:`~signlstm.errors.BadInput` naming a missing
    file; the person files' arrays are checked too); the clip only when ``images``."""
    from ..datasets import open_sources
    from ..errors import BadInput

    shared = Path(shared)
    files = [shared / "data" / "signers" / f"{s}.npz" for s in signers]
    clip = Path(clip or shared / "media" / CLIP)
    for f in files + ([clip] if images else []):
        if not f.is_file():
            raise BadInput(f, "no such file")
    open_sources(files)
    return files, clip


def loadtest(model, clients: list[int], image_clients: list[int], seconds: float, fps: float, min_fps: float,
             max_p95: float, signer_files, clip):
    """Start a server on a free loopback port, run each count of keypoint pages then of image pages for ``seconds``,
    and yield one row per run as it is measured (``held``: see the module docstring). Options out of range are
    refused before any server starts (:func:`check_options`)."""
    from . import protocol
    from .server import FPS, SEND_WIDTH

    check_options(clients, image_clients, seconds, fps, min_fps, max_p95)
    frames_kp = keypoint_stream(signer_files)
    # every frame packed once per part mask a model may ask for (the clients only stamp the time)
    stream = [{mask: protocol.pack(f, mask) for mask in range(1, protocol.ALL + 1)} for f in frames_kp[:3000]]
    frames = jpeg_frames(clip, SEND_WIDTH) if image_clients else []
    with tempfile.TemporaryDirectory(prefix="signlstm-loadtest-") as tmp:
        proc, port = start_server(model, max(clients + image_clients), tmp)
        try:
            page_fps = min(fps, FPS)  # the fallback page sends no faster
            for path, counts, data, rate in (("keypoints", clients, stream, fps),
                                             ("images", image_clients, frames, page_fps)):
                for n in counts:
                    r = run_pages(path, n, f"ws://127.0.0.1:{port}/ws", data, seconds, rate, proc.pid)
                    r["min_fps"] = round(min_fps * rate / fps, 2)
                    # an image page's frame is landmarked on the server: held if it comes within the page's frame time
                    r["max_p95"] = max_p95 if path == "keypoints" else round(max(max_p95, 1000 / rate), 1)
                    r["held"] = held(r)
                    yield r
        finally:
            proc.send_signal(signal.SIGINT)  # as Ctrl+C: the server stops quietly (SIGTERM says "terminated")
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
            said = server_problems(Path(tmp) / "server.log")
            if said:
                print("the server logged a problem while it ran:", *said, sep="\n", file=sys.stderr)


def server_problems(log: Path, most: int = 40) -> list[str]:
    """The lines of the server's log from its first traceback, error or exception on (at most ``most``): what the
    operator must see, where its start and its "interrupted" when stopped are not."""
    lines = log.read_text(errors="replace").splitlines() if log.is_file() else []
    first = next((i for i, line in enumerate(lines) if re.search(r"Traceback|Error|Exception", line)), None)
    return [] if first is None else lines[first:first + most]


def row_line(r: dict) -> str:
    """One run as a line of the table under :data:`COLUMNS`."""
    return (f"{r['path']:<10}{r['clients']:>6}{r['fps_min']:>9.1f}{r['fps_median']:>9.1f}{r['server_ms_p50']:>9.2f}"
            f"{r['server_ms_p95']:>9.2f}{r['rtt_ms_p95']:>9.1f}{r['errors']:>7}{r['server_cpu_cores']:>10.2f}"
            f"{r['clients_cpu_cores']:>10.2f}{r['windows_per_batch']:>7.1f}{r['load1']:>7.2f}"
            f"  {'yes' if r['held'] else 'no'}" + (f"  ({r['first_error']})" if r["errors"] else ""))


def held_lines(rows: list[dict]) -> list[str]:
    """Per path run, the largest page count held (at the rate and server time each row was held to), and the counts
    tried."""
    lines = []
    for path in ("keypoints", "images"):
        held = [r["clients"] for r in rows if r["path"] == path and r["held"]]
        tried = [r for r in rows if r["path"] == path]
        if tried:
            lines.append(f"{path}: held {max(held) if held else 0} pages at >= {tried[0]['min_fps']:g} fps each with "
                         f"server p95 < {tried[0]['max_p95']:g} ms (tried {', '.join(str(r['clients']) for r in tried)})")
    return lines
