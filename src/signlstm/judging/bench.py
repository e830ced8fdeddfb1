"""``signlstm bench``: speed figures measured in one run on this machine, printed as ratios.

* classifier: p50/p95 latency of one window through the compiled fast path vs ``model.predict``
  (same model, same windows) and the largest probability difference between them;
* live loop: frames per second of the whole headless engine on a clip looped to >= 300 frames vs
  the landmark stage alone on the same frames;
* extraction: videos per second with 1 worker vs all cores, and one video alone in one thread vs two;
* training: seconds per epoch of the default recipe on the DEV signers;
* memory (:func:`memory_table`): peak RSS and seconds of ``predict``, ``evaluate`` and one training epoch, each in a
  fresh process, on packed files of 2,000 to 100,000 sequences built from the DEV signers' recordings.
"""
from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

from ..datasets import packed_files
from ..files import write_atomic
from ..outputs import check_free_space


def _percentiles(times: list[float]) -> dict:
    t = np.asarray(times) * 1e3
    return {"p50_ms": float(np.percentile(t, 50)), "p95_ms": float(np.percentile(t, 95))}


CALLS = 200  # windows timed on each path by :func:`classifier`
BLOCK = 20  # calls in a row on one path before the other's turn


def classifier(bundle, windows: np.ndarray) -> dict:
    """Latency of one window: fast path vs ``model.predict``, :data:`CALLS` calls each in alternating blocks of
    :data:`BLOCK` (as a live loop calls the classifier back to back) so that load affects both alike."""
    bundle.classify(windows[0])
    bundle.model.predict(windows[:1], verbose=0)
    fast, slow, diff = [], [], 0.0
    for start in range(0, CALLS, BLOCK):
        xs = [windows[i % len(windows)] for i in range(start, min(start + BLOCK, CALLS))]
        got = []
        for x in xs:
            t0 = time.perf_counter()
            got.append(bundle.classify(x))
            fast.append(time.perf_counter() - t0)
        for x, a in zip(xs, got):
            t0 = time.perf_counter()
            b = bundle.model.predict(x[None], verbose=0)[0]
            slow.append(time.perf_counter() - t0)
            diff = max(diff, float(np.abs(a - b).max()))
    f, s = _percentiles(fast), _percentiles(slow)
    return {"fast": f, "predict": s, "speedup_p50": s["p50_ms"] / f["p50_ms"], "max_abs_diff": diff}


def training(data, epochs: int = 3, seed: int = 0) -> dict:
    """Seconds per epoch of the default recipe, timed epoch by epoch; the first epoch (which compiles) is left out."""
    import dataclasses

    import keras

    from ..models import recipes
    from ..models.training import fit

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    times: list[float] = []
    recipe = recipes.get("default")
    timed = dataclasses.replace(recipe, callbacks=lambda: recipe.callbacks() + [EpochTimer()])
    fit(data, timed, epochs=epochs + 1, seed=seed, progress=False)
    return {"sequences": len(data), "seconds_per_epoch": float(np.mean(times[1:])), "first_epoch_s": times[0]}


def machine() -> dict:
    """The machine a benchmark ran on: CPU count, processor and Python version."""
    return {"cpus": os.cpu_count(), "processor": platform.processor() or platform.machine(),
            "python": platform.python_version()}


def looped_clip(clip, frames: int, out) -> str:
    """Write ``clip`` repeated until it has at least ``frames`` frames, as an MJPG .avi. OpenCV's writer fails
    silently on a full disk: a video that does not hold every frame written is removed and is
    :class:`~signlstm.errors.BadInput` naming ``out``."""
    import cv2

    from ..errors import BadInput
    from ..frames.sources import open_source, stored_frames

    with open_source(clip) as src:
        fps, images = src.fps, list(src)
    h, w = images[0].shape[:2]
    check_free_space(out, 2 * frames * max(len(cv2.imencode(".jpg", img)[1]) for img in images))
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    n = 0
    while n < frames:
        for img in images:
            writer.write(img)
            n += 1
    writer.release()
    held = stored_frames(out)
    if held != n:
        Path(out).unlink(missing_ok=True)
        raise BadInput(out, f"cannot be written: it holds {held} of the {n} frames written (is the disk full?)")
    return str(out)


def landmark_stage(video, face: bool = True, threads: bool = False) -> dict:
    """Frames per second of Holistic alone (``face=False``: without its face mesh) on every frame of ``video``
    (decoded beforehand): its two steps one after the other in one thread, or (``threads``) in two threads as
    ``live`` runs them."""
    from ..keypoints.landmarks import Holistic
    from ..keypoints.pipeline import Pipeline
    from ..frames.sources import open_source

    with open_source(video) as src:
        images = list(src)
    with Holistic(face=face) as h:
        h(images[0])
        t0 = time.perf_counter()
        n = sum(1 for _ in (Pipeline(images, h) if threads else map(h, images)))
        seconds = time.perf_counter() - t0
    return {"frames": n, "fps": n / seconds, "threads": 2 if threads else 1}


def mean_runs(runs: list[dict]) -> dict:
    """Several runs of one measurement as one: the last run's fields, the mean ``fps`` and every run's ``runs``."""
    fps = [r["fps"] for r in runs]
    return {**runs[-1], "fps": sum(fps) / len(fps), "runs": fps}


def live_loop(live, bundle, video, serial: bool = False) -> dict:
    """Frames per second of the whole headless live engine (``live``: :func:`signlstm.fronts.live.run`) on ``video``."""
    summary = live(bundle, video, serial=serial)
    return {"frames": summary["frames"], "fps": summary["fps"], "words": len(summary["words"])}


def extraction(videos: list[str], workers: int) -> dict:
    """Videos per second of ``extract_videos`` with ``workers`` processes, start-up included."""
    from ..keypoints.extraction import extract_videos

    before = _cpu_seconds()
    t0 = time.perf_counter()
    results = list(extract_videos(videos, workers=workers, progress=False))
    seconds = time.perf_counter() - t0
    cpu = _cpu_seconds() - before
    return {"videos": len(results), "workers": workers, "seconds": seconds, "videos_per_s": len(results) / seconds,
            "cores_busy": cpu / seconds}


def lone_video(video) -> dict:
    """Frames per second of extracting one video alone: the graph's two steps in one thread vs in two (what
    ``extract`` does when there are fewer videos than cores)."""
    from ..keypoints.extraction import extract_video

    out = {}
    for threads in (False, True):
        t0 = time.perf_counter()
        n = len(extract_video(video, threads).keypoints)
        out["threads" if threads else "serial"] = {"frames": n, "fps": n / (time.perf_counter() - t0)}
    out["ratio"] = out["threads"]["fps"] / out["serial"]["fps"]
    return out


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished child processes (worker pools are joined when done)."""
    import resource

    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def rss_mb() -> float:
    """Resident memory of this process in MB (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def soak(live, bundle, video, frames: int) -> dict:
    """RSS before and after a headless live run (``live``: :func:`signlstm.fronts.live.run`) of ``frames`` frames
    (the clip looped), after a warm-up."""
    import gc

    live(bundle, video, max_frames=300)
    gc.collect()  # what earlier measurements left behind is not the live loop's
    before = rss_mb()
    summary = live(bundle, video, max_frames=frames)
    gc.collect()
    after = rss_mb()
    return {"frames": summary["frames"], "rss_before_mb": before, "rss_after_mb": after, "growth_mb": after - before}


def synthetic_packed(signers, sequences: int, out) -> Path:
    """A packed file (``X`` float16, ``y``, ``seq``) of ``sequences`` real recordings: the ``.npz`` files in the folder
    ``signers``, their sequences in turn and repeated, written chunk by chunk, atomically, and stored uncompressed. A
    disk without room for it is :class:`~signlstm.errors.BadInput` naming ``out``, and nothing is left."""
    Xs, ys = [], []
    for f in packed_files(Path(signers)):
        with np.load(f) as z:
            Xs.append(z["X"].astype(np.float16))
            ys.append(z["y"].astype(np.int8))
    X, y = np.concatenate(Xs), np.concatenate(ys)
    out = Path(out)
    check_free_space(out, sequences * X[0].nbytes + 2**20)

    def write(tmp):  # a disk that fills meanwhile (another writer took the room checked above): write_atomic says so
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as z:
            with z.open("X.npy", "w", force_zip64=True) as f:
                np.lib.format.write_array_header_1_0(f, {"descr": X.dtype.str, "fortran_order": False,
                                                         "shape": (sequences, *X.shape[1:])})
                for start in range(0, sequences, len(X)):
                    f.write(X[:min(len(X), sequences - start)].tobytes())
            for name, arr in (("y", np.resize(y, sequences)), ("seq", np.arange(sequences, dtype=np.int32))):
                with z.open(f"{name}.npy", "w") as f:
                    np.lib.format.write_array(f, arr)

    write_atomic(out, write)
    return out


def train_epoch(path, recipe: str = "default") -> None:
    """One training epoch of ``recipe`` on the packed file ``path``, the data held as the recipe's parts in float16
    (what ``bench --memory`` measures in a fresh process)."""
    from ..datasets import load
    from ..models import recipes
    from ..models.training import fit

    r = recipes.get(recipe)
    data = load([path], **r.held)
    fit(data, r, epochs=1, progress=False)


# Runs argv and prints its peak RSS (kB) last on stderr. The kernel counts a process's RSS before exec into its
# peak, so a child of this (large) process would report this process's size: a small launcher forks it instead.
_LAUNCHER = ("import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL); "
             "_, status, usage = os.wait4(p.pid, 0); print('maxrss', usage.ru_maxrss, file=sys.stderr); "
             "sys.exit(os.waitstatus_to_exitcode(status))")


def measured(argv: list[str]) -> dict:
    """Exit status, seconds and peak RSS (MB) of ``argv`` run in a fresh process, its output discarded."""
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", _LAUNCHER, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       env={**os.environ, "PYTHONWARNINGS": "ignore"})
    seconds = time.perf_counter() - t0
    err = p.stderr.decode().splitlines()
    if p.returncode or not err or not err[-1].startswith("maxrss "):
        raise RuntimeError(f"{' '.join(argv)} exited {p.returncode}: {' '.join(err[-5:])}")
    return {"seconds": seconds, "peak_rss_mb": int(err[-1].split()[1]) / 1024}


def memory_table(signers, sizes, tmp, model: str | None = None) -> list[dict]:
    """Peak RSS and seconds of ``signlstm predict``, ``signlstm evaluate`` and one training epoch (:func:`train_epoch`)
    on a packed file of each size in ``sizes`` (built by :func:`synthetic_packed` in ``tmp``, removed after)."""
    rows = []
    cli = [sys.executable, "-m", "signlstm"]
    for n in sizes:
        path = synthetic_packed(signers, n, Path(tmp) / f"bench{n}.npz")
        try:
            model_args = ["--model", str(model)] if model else []
            row = {"sequences": n, "file_mb": path.stat().st_size / 1e6,
                   "predict": measured(cli + ["predict", "--data", str(path), *model_args]),
                   "evaluate": measured(cli + ["evaluate", "--data", str(path), *model_args]),
                   "train_epoch": measured([sys.executable, "-c", "import sys; from signlstm.judging.bench import "
                                            "train_epoch; train_epoch(sys.argv[1])", str(path)])}
        finally:
            path.unlink()
        rows.append(row)
    return rows


PARTS = ("classifier", "live", "extraction", "training")


def run(bundle, shared, *, live, clip=None, frames: int = 300, videos: int = 12, soak_frames: int = 0, memory=(),
        skip=(), tmp, on_part=lambda name, report: None, on_start=lambda name: None) -> dict:
    """Every figure of ``signlstm bench`` in one run: the parts of :data:`PARTS` not in ``skip``, the live soak
    when ``soak_frames`` and the memory table when ``memory`` (sizes) are given; ``live`` is the headless live loop
    (:func:`signlstm.fronts.live.run`), which the judges do not import. Each part's figures go into the
    returned report under its name, ``on_start(name)`` is called as one of :data:`PARTS` or the soak begins and
    ``on_part(name, report)`` as soon as it is measured, so a front can say what runs and show each part while the
    next one runs. ``tmp`` is a folder for the looped clips and packed files. A part not in :data:`PARTS` or a count
    of frames or videos below 1 is refused (:class:`SignlstmError`, as the command)."""
    from ..datasets import load
    from ..errors import SignlstmError, check_count

    skip = (skip,) if isinstance(skip, str) else tuple(skip)
    if unknown := [p for p in skip if p not in PARTS]:
        raise SignlstmError(f"--skip: no part {', '.join(map(repr, unknown))} (the parts: {', '.join(PARTS)})")
    for name, n, least in (("--frames", frames, 1), ("--videos", videos, 1), ("--soak", soak_frames, 0),
                           ("--memory", list(memory or ()), 1)):
        check_count(name, n, least)
    shared, tmp = Path(shared), Path(tmp)
    clip = clip or shared / "media" / "asl_iloveyou_rohan937.mp4"
    report = {"machine": machine(), "model": str(bundle.path), "parameters": bundle.model.count_params()}

    def done(name, figures):
        report[name] = figures
        on_part(name, report)

    if "classifier" not in skip:
        on_start("classifier")
        done("classifier", classifier(bundle, load([shared / "data" / "signers" / "s02.npz"]).X[:32]))
    if not {"live", "extraction"} <= set(skip):  # the clip looped, for the live loop and the lone video
        video = looped_clip(clip, frames, tmp / "loop.avi")
    if "live" not in skip:
        on_start("live")
        full = landmark_stage(video)
        lean = full if bundle.reads_face else landmark_stage(video, face=False)
        # The two-thread stage and the live loop that runs it, interleaved twice: load that drifts during the run
        # then weighs on both alike.
        stages, loops = [], []
        for _ in range(2):
            stages.append(landmark_stage(video, face=bundle.reads_face, threads=True))
            loops.append(live_loop(live, bundle, video))
        lm, lv = mean_runs(stages), mean_runs(loops)
        done("live", {"holistic": full, "one_thread": lean, "landmarks": lm, "loop": lv,
                      "stage": "Holistic" if bundle.reads_face else "pose + hands (no face mesh)",
                      "reads_face": bundle.reads_face, "ratio": lv["fps"] / lm["fps"],
                      "stage_vs_holistic": lean["fps"] / full["fps"], "threads_vs_one": lm["fps"] / lean["fps"]})
    if soak_frames:  # before training, whose data would sit in the baseline
        on_start("soak")
        small = shared / "media" / "asl_iloveyou_rohan937_480x270_mjpg.avi"
        done("soak", soak(live, bundle, looped_clip(small, soak_frames + 300, tmp / "soak.avi"), soak_frames))
    if "extraction" not in skip:
        on_start("extraction")
        clips = sorted(str(p) for p in (shared / "media").glob("*.mp4"))
        chosen = [clips[i % len(clips)] for i in range(videos)]
        one, allc = extraction(chosen, 1), extraction(chosen, os.cpu_count() or 1)
        done("extraction", {"one": one, "all": allc, "ratio": allc["videos_per_s"] / one["videos_per_s"],
                            "lone_video": lone_video(video)})
    if "training" not in skip:
        on_start("training")
        done("training", training(load([shared / "data" / "signers"])))
    if memory:  # (not announced: asked for by name, and a disk without room for its files is one line)
        done("memory", memory_table(shared / "data" / "signers", memory, tmp, bundle.path))
    return report
