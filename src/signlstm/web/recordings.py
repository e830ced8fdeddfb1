"""A page's recordings: what a keypoint page records is queued by its recorder and written off the event loop
(:class:`LaterWriter`), each sequence whole and atomic as ``collect`` writes it; the sequences saved per sign of a
visitor (:func:`counts`); the reply when one cannot be saved."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import layout
from .protocol import BadMessage


def recording_failed(why) -> BadMessage:
    """The reply to a message whose recorded sequence could not be written: the page's recording stops (``about``
    ``record``, as for a refused record request)."""
    err = BadMessage(f"the recording could not be saved, and stopped: {why}")
    err.about = "record"
    return err


class PendingWrite:
    """A completed sequence not written yet (the recorder lists it as saved): :meth:`write` writes it (in the
    writing thread); then ``path`` is its folder."""

    def __init__(self, writer: "LaterWriter", action: str, frames: np.ndarray):
        self.writer, self.action, self.frames = writer, action, frames
        self.path: Path | None = None
        self.note: str | None = None  # what the recorder tells of it (:func:`~signlstm.fronts.recorder.few_hands`)

    def write(self) -> Path:
        from ..datasets.sequence_writer import SequenceWriter

        self.path = SequenceWriter(self.writer.root).write(self.action, self.frames)
        self.frames = None
        return self.path

    def __str__(self) -> str:
        return str(self.path or f"{self.writer.root / self.action} (being written)")


class LaterWriter:
    """The :class:`~signlstm.fronts.recorder.Recorder`'s writer for a page: ``write`` only queues the sequence; the
    session takes the queue (:meth:`take`) and writes it off the event loop, each sequence whole and atomic as
    :class:`~signlstm.datasets.sequence_writer.SequenceWriter` writes it (the same code)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.queued: list[PendingWrite] = []

    def write(self, action: str, frames: np.ndarray) -> PendingWrite:
        frames = np.asarray(frames)
        if frames.ndim != 2 or frames.shape[1] != layout.FRAME_SIZE:
            raise ValueError(f"frames must be (T, {layout.FRAME_SIZE}), got {frames.shape}")
        w = PendingWrite(self, action, frames)
        self.queued.append(w)
        return w

    def take(self) -> list[PendingWrite]:
        out, self.queued = self.queued, []
        return out


def counts(root: Path) -> dict[str, int]:
    """Saved sequences per action under one visitor's folder."""
    if not root.is_dir():
        return {}
    from ..datasets import is_hidden, sequence_folders

    return {a.name: len(sequence_folders(a)) for a in sorted(root.iterdir()) if a.is_dir() and not is_hidden(a)}
