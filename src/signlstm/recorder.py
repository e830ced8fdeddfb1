"""The tutorial's collection loop: for each action, record numbered sequences of keypoint frames.

Before each sequence the view says "STARTING COLLECTION" for ``pause`` seconds (the tutorial's
``waitKey(2000)``); from a camera those frames are shown but not recorded. Each sequence is kept in
memory and written by :class:`~signlstm.datasets.SequenceWriter` only once complete, so an
interrupted run never leaves a partial sequence, and reruns number after the highest existing one.
Frames are read and landmarked in threads (:class:`~signlstm.pipeline.Pipeline`, as in ``live``): the
pose of the next frame is found while the hands and face of this one are (full Holistic on 2 cores:
34.6 instead of 26.0 frames per second, ``signlstm bench`` with a tutorial model, see the README); from
a file the frames and keypoints are the same as one after the other.
"""
from __future__ import annotations

import time

import numpy as np

from . import layout


def collect(actions: list[str], sequences: int, data, spec="0", length: int = layout.SEQ_LEN,
            window: bool = False, pause: float = 2.0, on_saved=None) -> int:
    """Record ``sequences`` sequences per action from ``spec``; returns how many were saved.

    Stops early (returning the count so far) when a video file ends or the user quits the window.
    """
    from . import render
    from .datasets import SequenceWriter
    from .landmarks import Holistic
    from .pipeline import Pipeline
    from .sources import open_source

    writer = SequenceWriter(data)
    saved = 0
    win = holistic = pipe = None
    source = open_source(spec)
    try:
        holistic = Holistic()
        if window:
            from .window import Window

            win = Window(f"signlstm collect - {source.name}")
        pipe = Pipeline(source, holistic)
        stream = iter(pipe)  # (index, image, keypoints)
        for action in actions:
            for k in range(sequences):
                title = f"Collecting frames for {action} - sequence {k + 1} of {sequences}"
                if not _pause(source, stream, win, pause, ["STARTING COLLECTION", title]):
                    return saved
                frames = []
                while len(frames) < length:
                    item = next(stream, None)
                    if item is None:
                        return saved  # the video ended mid-sequence: that sequence is dropped
                    _, image, keypoints = item
                    frames.append(keypoints)
                    if win:
                        view = render.annotate(image, keypoints, banner=[title, f"frame {len(frames)} of {length}"])
                        if not win.show(view):
                            return saved
                path = writer.write(action, np.stack(frames))
                saved += 1
                if on_saved:
                    on_saved(path)
        return saved
    finally:
        if pipe:
            pipe.close()  # its threads stop before the graphs and the source close
        source.close()
        if win:
            win.close()
        if holistic:
            holistic.close()


def _pause(source, stream, win, seconds: float, banner: list[str]) -> bool:
    """Show the banner for ``seconds``: over live camera frames from ``stream`` (not recorded), else over a still
    canvas."""
    from . import render

    if seconds <= 0 or (win is None and not source.live):
        return True
    end = time.monotonic() + seconds
    if not source.live:
        return win.wait(seconds, render.annotate(None, None, banner=banner))
    while time.monotonic() < end:
        item = next(stream, None)
        if item is None:
            return False
        if win and not win.show(render.annotate(item[1], None, banner=banner)):
            return False
    return True
