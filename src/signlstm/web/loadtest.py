"""Load test of ``signlstm serve``: N pages streaming a real clip at once, on loopback.

    python -m signlstm.web.loadtest --model MODEL_DIR --source ../shared/media/asl_iloveyou_rohan937.mp4 \\
        --clients 4 --seconds 60

Starts ``signlstm serve`` on a free port (or uses ``--url``), then runs ``--clients`` WebSocket clients that behave
like the page: each sends the clip's frames (scaled to the page's width, JPEG) in a loop, the next one only after
the reply, at most ``--fps`` a second. Prints per-client frames, fps, latency (median, 95th percentile), words and
errors, and the server's CPU use (user + system time of its process over the run, from /proc). Exit status 1 when
any client saw an error or a dropped connection.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np


def frames_of(path, width: int = 480, quality: int = 75) -> list[bytes]:
    import cv2

    cap = cv2.VideoCapture(str(path))
    out = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        h = round(frame.shape[0] * width / frame.shape[1])
        frame = cv2.resize(frame, (width, h), interpolation=cv2.INTER_AREA)
        out.append(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes())
    cap.release()
    if not out:
        raise SystemExit(f"{path}: no frame could be read")
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its finished children, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


async def client(n: int, url: str, frames: list[bytes], seconds: float, fps: float, stats: dict) -> None:
    from websockets.asyncio.client import connect

    s = stats[n] = {"frames": 0, "latency_ms": [], "server_ms": [], "words": [], "errors": [], "seconds": 0.0}
    try:
        async with connect(url, max_size=None, open_timeout=30) as ws:
            while json.loads(await ws.recv())["type"] != "model":
                pass
            t0 = time.perf_counter()
            i = 0
            while time.perf_counter() - t0 < seconds:
                sent = time.perf_counter()
                await ws.send(frames[(i + 7 * n) % len(frames)])  # clients start at different points of the clip
                i += 1
                while True:
                    m = json.loads(await asyncio.wait_for(ws.recv(), 60))
                    if m["type"] == "result":
                        break
                    if m["type"] in ("error", "busy"):
                        s["errors"].append(m.get("message"))
                        break
                now = time.perf_counter()
                s["frames"] += 1
                s["latency_ms"].append((now - sent) * 1000)
                s["server_ms"].append(m.get("ms", 0.0))
                if m.get("word"):
                    s["words"].append(m["word"])
                await asyncio.sleep(max(0.0, 1.0 / fps - (now - sent)))
            s["seconds"] = time.perf_counter() - t0
    except Exception as e:  # a dropped connection is an error of the run, reported per client
        s["errors"].append(f"{type(e).__name__}: {e}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(model, workers: int, port: int, tmp: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "signlstm", "serve", "--port", str(port), "--workers", str(workers),
           "--data", f"{tmp}/data", "--models", f"{tmp}/models"] + (["--model", str(model)] if model else [])
    proc = subprocess.Popen(cmd, stdout=sys.stderr)  # keep our stdout for the report
    end = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2).close()
            return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > end:
                proc.kill()
                raise SystemExit(f"the server did not start (exit status {proc.poll()})")
            time.sleep(0.3)


def report(stats: dict, cpu: float | None, wall: float) -> dict:
    rows = []
    for n in sorted(stats):
        s = stats[n]
        lat = np.array(s["latency_ms"]) if s["latency_ms"] else np.zeros(1)
        rows.append({"client": n, "frames": s["frames"], "fps": round(s["frames"] / s["seconds"], 2) if s["seconds"] else 0.0,
                     "latency_ms_p50": round(float(np.percentile(lat, 50)), 1),
                     "latency_ms_p95": round(float(np.percentile(lat, 95)), 1),
                     "server_ms_p50": round(float(np.median(s["server_ms"])) if s["server_ms"] else 0.0, 1),
                     "words": len(s["words"]), "word_set": sorted(set(s["words"])), "errors": len(s["errors"]),
                     "first_error": s["errors"][0] if s["errors"] else None})
    out = {"clients": rows, "total_fps": round(sum(r["fps"] for r in rows), 2), "wall_seconds": round(wall, 1),
           "errors": sum(r["errors"] for r in rows)}
    if cpu is not None:
        out["server_cpu_seconds"] = round(cpu, 1)
        out["server_cpu_percent_of_one_core"] = round(100 * cpu / wall, 1)
        out["machine_cores"] = os.cpu_count()
    return out


def main(argv=None) -> int:
    import signlstm  # noqa: F401

    p = argparse.ArgumentParser(prog="python -m signlstm.web.loadtest", description=__doc__.splitlines()[0])
    p.add_argument("--model", help="model bundle for the server it starts (default: the shipped model)")
    p.add_argument("--url", help="use a running server (ws://host:port/ws) instead of starting one")
    p.add_argument("--source", required=True, help="a video clip the clients stream")
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--fps", type=float, default=12.0, help="frames a second each client sends at most (the page's rate)")
    p.add_argument("--workers", type=int, default=2, help="--workers of the server it starts")
    p.add_argument("--json", action="store_true", help="print the report as JSON only")
    args = p.parse_args(argv)

    frames = frames_of(args.source)
    proc = None
    with tempfile.TemporaryDirectory(prefix="signlstm-loadtest-") as tmp:
        url = args.url
        if not url:
            port = free_port()
            proc = start_server(args.model, args.workers, port, tmp)
            url = f"ws://127.0.0.1:{port}/ws"
        try:
            stats: dict = {}
            cpu0 = cpu_seconds(proc.pid) if proc else None
            t0 = time.perf_counter()

            async def run_all():
                await asyncio.gather(*(client(n, url, frames, args.seconds, args.fps, stats)
                                       for n in range(args.clients)))

            asyncio.run(run_all())
            wall = time.perf_counter() - t0
            cpu = cpu_seconds(proc.pid) - cpu0 if proc else None
        finally:
            if proc:
                proc.terminate()
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
    out = report(stats, cpu, wall)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"{args.clients} clients x {args.seconds:.0f} s on {url}, clip {args.source}")
        print(f"{'client':>6} {'frames':>7} {'fps':>6} {'lat p50':>8} {'lat p95':>8} {'srv p50':>8} {'words':>6} {'errors':>6}")
        for r in out["clients"]:
            print(f"{r['client']:>6} {r['frames']:>7} {r['fps']:>6.2f} {r['latency_ms_p50']:>6.0f}ms {r['latency_ms_p95']:>6.0f}ms "
                  f"{r['server_ms_p50']:>6.0f}ms {r['words']:>6} {r['errors']:>6}" + (f"  {r['first_error']}" if r['errors'] else ""))
        print(f"total {out['total_fps']} fps; errors {out['errors']}")
        if cpu is not None:
            print(f"server CPU: {out['server_cpu_seconds']} s in {out['wall_seconds']} s = "
                  f"{out['server_cpu_percent_of_one_core']}% of one core ({out['machine_cores']} cores on this machine)")
    return 1 if out["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
