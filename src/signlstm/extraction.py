"""Recorded videos -> keypoints -> ``seq_len``-frame sequences in the tutorial layout.

Each video is read whole and tracked by a fresh Holistic graph (so the result of a video never
depends on which worker ran it or what ran before: 1 or N workers give identical keypoints).
Videos run in parallel processes, in input order, with a tqdm bar; a lone video (fewer videos than
cores) runs Holistic's two steps in two threads instead. A video that cannot be read is reported and
skipped. How a video becomes sequences (:func:`to_sequences`):

- ``window`` (default): windows of ``seq_len`` consecutive frames at the models' 30 a second
  (:func:`~signlstm.resample.at_rate`: a 24 or 60 fps video's frames made into 30 a second, as ``live`` reads
  it), so the tempo matches what ``live`` sees. Window starts are spread evenly from the first to the last possible frame with
  at most ``stride`` frames between starts (default ``seq_len // 2``), so the whole video is
  covered. A video shorter than ``seq_len`` frames gives no window and is reported.
- ``resample``: one sequence per video, ``seq_len`` frames picked at evenly spaced indices
  (frames repeat when the video is shorter, are skipped when longer).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import layout, parallel
from .errors import BadInput
from .sources import VIDEO_SUFFIXES

MODES = ("window", "resample")


@dataclass
class Extracted:
    """One video's outcome: (T, 1662) float64 keypoints of its frames and its frame rate, or the reason it was
    skipped. :meth:`at_models_rate` gives the frames at 30 a second, what :func:`to_sequences` takes."""

    path: str
    keypoints: np.ndarray | None = None
    error: str | None = None
    fps: float = 30.0

    def at_models_rate(self) -> np.ndarray:
        """The keypoints at the models' 30 frames a second (:func:`~signlstm.resample.at_rate`), as ``live`` reads
        the video (MediaPipe's values are float32: nothing is lost)."""
        from .resample import at_rate

        return at_rate(self.keypoints, self.fps)


def find_videos(paths) -> tuple[list[Path], list[Extracted]]:
    """Video files named or found (recursively, sorted) in folders; unusable paths as skipped entries."""
    videos, bad = [], []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in VIDEO_SUFFIXES)
            if not found:
                bad.append(Extracted(str(p), error=f"folder holds no videos ({', '.join(VIDEO_SUFFIXES)})"))
            videos += found
        elif p.exists():
            videos.append(p)
        else:
            bad.append(Extracted(str(p), error="no such file or folder"))
    return videos, bad


def extract_video(path, threads: bool = False) -> Extracted:
    """Keypoints of every frame of one video, or the reason it cannot be read (``threads``: see
    :func:`signlstm.landmarks.video_keypoints`)."""
    from .landmarks import video_keypoints
    from .sources import open_source

    try:
        with open_source(path) as src:
            return Extracted(str(path), video_keypoints(src, threads), fps=src.fps)
    except BadInput as e:
        return Extracted(str(path), error=e.problem)


def extract_videos(paths, workers: int = 0, progress: bool = True, ray: str | None = None):
    """Yield :class:`Extracted` per video in input order.

    Locally on ``workers`` processes (0 = all cores), or on a Ray cluster when ``ray`` is given:
    ``local`` starts a Ray instance on this machine, ``auto`` joins the running cluster, anything
    else is a cluster address. Every video is tracked by a fresh graph, so all give the same keypoints.
    """
    from tqdm.auto import tqdm

    paths = [str(p) for p in paths]
    workers = min(workers or os.cpu_count() or 1, max(len(paths), 1))
    bar = tqdm(total=len(paths), unit="video", desc="extract", disable=not progress)
    try:
        if workers <= 1 and not ray:
            # Fewer videos than cores (one video): the idle cores run the graph's steps in threads instead.
            threads = len(paths) < (os.cpu_count() or 1)
            results = (extract_video(p, threads) for p in paths)
        else:
            results = parallel.map_tasks(extract_video, paths, workers=workers, ray=ray)
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


def to_sequences(keypoints: np.ndarray, seq_len: int = layout.SEQ_LEN, mode: str = "window",
                 stride: int | None = None) -> np.ndarray:
    """(n, seq_len, 1662) sequences of one video's (T, 1662) keypoints, at 30 a second for ``window``
    (:meth:`Extracted.at_models_rate`; see the module doc)."""
    if mode == "resample":
        if len(keypoints) == 0:
            return np.zeros((0, seq_len, keypoints.shape[-1]))
        idx = np.round(np.linspace(0, len(keypoints) - 1, seq_len)).astype(int)
        return keypoints[idx][None]
    if mode != "window":
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    starts = window_starts(len(keypoints), seq_len, stride or max(1, seq_len // 2))
    return np.stack([keypoints[s:s + seq_len] for s in starts]) if starts else np.zeros((0, seq_len, keypoints.shape[-1]))
