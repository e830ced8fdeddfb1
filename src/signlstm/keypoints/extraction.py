"""Recorded videos -> keypoints -> ``seq_len``-frame sequences in the tutorial layout.

Each video is read whole and tracked by a fresh Holistic graph (so the result of a video never
depends on which worker ran it or what ran before: 1 or N workers give identical keypoints).
Videos run in parallel processes, in input order, with a tqdm bar; a lone video (fewer videos than
cores) runs Holistic's two steps in two threads instead. A video that cannot be read or whose frames are too large
(:data:`signlstm.frames.sources.MAX_PIXELS`) is reported and skipped, and ``extract`` given one video says its problem
in one line; one that ends well before the frames its header declares, or repeats one picture for half a second or
more, is used with a note (:attr:`~signlstm.frames.sources.Source.notes`). How a video becomes sequences
(:func:`iter_sequences`):

- ``window`` (default): windows of ``seq_len`` consecutive frames at the models' 30 a second
  (:func:`~signlstm.keypoints.resample.at_rate`: a 24 or 60 fps video's frames made into 30 a second, as ``live`` reads
  it), so the tempo matches what ``live`` sees. Window starts are spread evenly from the first to the last possible frame with
  at most ``stride`` frames between starts (default ``seq_len // 2``), so the whole video is
  covered. A video shorter than ``seq_len`` frames gives no window and is reported.
- ``resample``: one sequence per video, ``seq_len`` frames picked at evenly spaced indices
  (frames repeat when the video is shorter, are skipped when longer).

A video is held whole, so its length is bounded (:func:`frame_limit`): its keypoints and their copy at 30 a second
must fit in the memory a command may fill (:func:`signlstm.limits.memory_budget`), shared by the processes that
extract at once. A video whose header declares more frames (with a little slack: OpenCV often counts one more than a
video holds) is skipped before any is tracked; one that holds more is skipped when the limit is reached. Either way
the reason names the figures.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import layout, parallel
from ..errors import BadInput
from ..frames.sources import VIDEO_SUFFIXES

MODES = ("window", "resample")


@dataclass
class Extracted:
    """One video's outcome: (T, 1662) float32 keypoints of its frames and its frame rate, or the reason it was
    skipped. :meth:`at_models_rate` gives the frames at 30 a second, what :func:`iter_sequences` takes."""

    path: str
    keypoints: np.ndarray | None = None
    error: str | None = None
    fps: float = layout.RATE
    note: str | None = None  # what to tell of a video used (:attr:`~signlstm.frames.sources.Source.notes`)
    times: np.ndarray | None = None  # each frame's own time in seconds (:attr:`~signlstm.frames.sources.Source.time`)

    def at_models_rate(self) -> np.ndarray:
        """The keypoints at the models' 30 frames a second, as ``live`` reads the video: at the frames' own
        :attr:`times` (:func:`~signlstm.keypoints.resample.at_times`), else at :attr:`fps`
        (:func:`~signlstm.keypoints.resample.at_rate`) (MediaPipe's values are float32: nothing is lost)."""
        from .resample import at_rate, at_times

        if self.times is not None:
            return at_times(self.keypoints, self.times)
        return at_rate(self.keypoints, self.fps)


def find_videos(paths) -> tuple[list[Path], list[Extracted]]:
    """Video files named or found (recursively, sorted) in folders; unusable paths as skipped entries."""
    videos, bad = [], []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in VIDEO_SUFFIXES)
            if not found:
                bad.append(Extracted(str(p), error=f"folder holds no videos ({', '.join(VIDEO_SUFFIXES)}; name a "
                                                   ".gif or .ts file itself to read it)"))
            videos += found
        elif p.exists():
            videos.append(p)
        else:
            bad.append(Extracted(str(p), error="no such file or folder"))
    return videos, bad


def frame_limit(fps: float, budget: int) -> int:
    """Most frames of a video at ``fps`` whose keypoints (float32) and, twice, their frames at 30 a second (made, then
    stacked) fit in ``budget`` bytes."""
    return int(budget // (layout.FRAME_SIZE * 4 * (1 + 2 * max(1.0, layout.RATE / fps))))


def _too_long(frames: str, fps: float, most: int, budget: int) -> str:
    from ..limits import fmt_bytes

    return (f"{frames} frames at {fps:g} a second, more than the {most:,} whose keypoints fit in the "
            f"{fmt_bytes(budget)} one video may fill here (SIGNLSTM_MEMORY_LIMIT): cut it into shorter videos")


def extract_video(path, threads: bool = False, budget: int | None = None) -> Extracted:
    """Keypoints of every frame of one video, or the reason it cannot be read or is too long for ``budget`` bytes
    (default :func:`signlstm.limits.memory_budget`; see :func:`frame_limit`) (``threads``: see
    :func:`signlstm.keypoints.landmarks.video_keypoints`)."""
    from itertools import islice

    from .landmarks import video_keypoints
    from ..limits import memory_budget
    from ..frames.sources import open_source

    budget = budget or memory_budget()
    try:
        with open_source(path) as src:
            most = frame_limit(src.fps, budget)
            declared = getattr(src, "declared_frames", 0)  # often one more than a video holds: a little slack
            if declared > most + max(2, most // 100):
                return Extracted(str(path), error="declares " + _too_long(f"{declared:,}", src.fps, most, budget),
                                 fps=src.fps)
            times: list[float] = []  # each frame's own time (the source's, as it is read)

            def timed():
                for frame in islice(src, most + 1):
                    times.append(src.time)
                    yield frame

            keypoints = video_keypoints(timed(), threads)
            if len(keypoints) > most:
                return Extracted(str(path), error="holds " + _too_long(f"over {most:,}", src.fps, most, budget),
                                 fps=src.fps)
            # read at its frames' own times: at 30 a second they give as many frames as their span, bounded so too
            if len(times) != len(keypoints) or None in times:  # a source without its frames' times: its rate
                times = None
            own = (len(times) - 1) / times[-1] if times and len(times) > 1 and times[-1] > 0 else src.fps
            if own < src.fps and len(keypoints) > (fit := frame_limit(own, budget)):
                return Extracted(str(path), error="holds " + _too_long(f"{len(keypoints):,}", own, fit, budget),
                                 fps=own)
            rate = src.times_rate  # a header that states another rate than the frames keep: said
            said = (f"read at {rate:.1f} frames a second, its frames' own times (its header says "
                    f"{src.stated_rate})") if rate else None
            note = "; ".join(src.notes + ([said] if said else []))
            return Extracted(str(path), keypoints, fps=rate or src.fps, note=note or None,
                             times=None if times is None else np.array(times))
    except BadInput as e:
        return Extracted(str(path), error=e.problem)


def extract_videos(paths, workers: int = 0, progress: bool = True, ray: str | None = None):
    """Yield :class:`Extracted` per video in input order.

    Locally on ``workers`` processes (0 = all cores), or on a Ray cluster when ``ray`` is given:
    ``local`` starts a Ray instance on this machine, ``auto`` joins the running cluster, anything
    else is a cluster address. Every video is tracked by a fresh graph, so all give the same keypoints.
    """
    from functools import partial

    from tqdm.auto import tqdm

    from ..limits import memory_budget

    paths = [str(p) for p in paths]
    workers = min(workers or os.cpu_count() or 1, max(len(paths), 1))
    # in processes, up to twice the workers' videos are held at once (parallel.map_tasks), and one by this loop
    budget = memory_budget() // (2 * workers + 1 if workers > 1 or ray else 1)
    bar = tqdm(total=len(paths), unit="video", desc="extract", disable=not progress)
    try:
        if workers <= 1 and not ray:
            # Fewer videos than cores (one video): the idle cores run the graph's steps in threads instead.
            threads = len(paths) < (os.cpu_count() or 1)
            results = (extract_video(p, threads, budget) for p in paths)
        else:
            results = parallel.map_tasks(partial(extract_video, budget=budget), paths, workers=workers, ray=ray)
        for result in results:
            yield result
            bar.update(1)
    finally:
        bar.close()


def window_starts(n_frames: int, seq_len: int, stride: int) -> list[int]:
    """Evenly spread window starts covering ``n_frames`` with gaps of at most ``stride``."""
    if n_frames < seq_len:
        return []
    last = n_frames - seq_len
    count = -(-last // max(stride, 1)) + 1
    return sorted({int(round(s)) for s in np.linspace(0, last, count)})


def iter_sequences(keypoints: np.ndarray, seq_len: int = layout.SEQ_LEN, mode: str = "window",
                   stride: int | None = None):
    """The ``seq_len``-frame sequences of one video's (T, 1662) keypoints, one at a time, each (seq_len, 1662) (a
    window is a view of ``keypoints``: nothing is copied); for ``window``, the keypoints at 30 a second
    (:meth:`Extracted.at_models_rate`; see the module doc)."""
    if mode == "resample":
        if len(keypoints):
            yield keypoints[np.round(np.linspace(0, len(keypoints) - 1, seq_len)).astype(int)]
        return
    if mode != "window":
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    for start in window_starts(len(keypoints), seq_len, stride or max(1, seq_len // 2)):
        yield keypoints[start:start + seq_len]
