"""A page's recordings: its "record" and "cancel" requests and the frames its recorder keeps (:class:`Recording`,
a part of the engine's ``Session``); what a keypoint page records is queued by its recorder and written off the event
loop (:class:`LaterWriter`), each sequence whole and atomic as ``collect`` writes it; the visitor's name (their
folder), the sequences saved per sign of a visitor (:func:`counts`); the reply when one cannot be saved; paths and
errors as a page is told them."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .. import layout
from ..errors import BadInput, SignlstmError
from ..sign_names import case_clash, case_twin, page_name_problem, shown_name, sign_name, windows_problem
from .protocol import BadMessage

MAX_SEQUENCES = 50  # per "record" request
MAX_LIST = 200  # signs a "record" request's list may name after its own
DISK_RESERVE = 100 * 2**20  # free bytes a recording leaves on the server's disk for the machine's other work
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,39}")  # a visitor's name: their folder under --data


def check_name(name) -> None:
    """Refuse (:class:`BadMessage`) a visitor's name that is not :data:`NAME`."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise BadMessage("name: 1-40 letters, digits, '-' or '_', starting with a letter or digit")
    if problem := windows_problem(name):
        raise BadMessage(f"name: '{name}' {problem}")


def shown_path(path) -> str:
    """``path`` as the page is told it: relative to the server's working folder when it is inside it, else the
    file's own name, so a page never learns where the server's files are on its disk; "(in memory)" for None."""
    if path is None:
        return "(in memory)"
    path = Path(path).resolve()
    try:
        return str(path.relative_to(Path.cwd().resolve()))
    except ValueError:
        return path.name


def for_page(err: BaseException) -> str:
    """The error ``err`` as a page is told it: the file it names shown as :func:`shown_path` shows it."""
    if isinstance(err, BadInput):
        return f"{shown_path(err.path)}: {err.problem}"
    if isinstance(err, OSError) and err.filename:
        return f"{shown_path(err.filename)}: {err.strerror or err}"
    return str(err)


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


class Recording:
    """The recording part of a page's ``Session`` (:mod:`.engine`): its "record" and "cancel" requests, checked
    against the visitor's folder and the server's disk, and the frames its recorder keeps, written whole. Uses the
    session's ``engine``, ``bundle``, ``guard`` (held around the recorder), ``recorder``, ``name`` and ``watching``."""

    def record(self, name: str, action: str, count: int, pause: float | None = None, then=None) -> dict:
        """Start recording ``count`` sequences of ``action`` for the visitor ``name``; ``then``: the signs the page
        will ask for next (its list's rest), each checked now as ``action`` is, so a bad name late in a list is
        refused before anything of the list is recorded."""
        from ..fronts.recorder import Recorder

        check_name(name)
        if then is not None and (not isinstance(then, list) or len(then) > MAX_LIST):
            raise BadMessage(f"then: a list of at most {MAX_LIST} signs' names")
        for field, sign in [("action", action), *((f"then[{i}]", a) for i, a in enumerate(then or []))]:
            self._check_sign(name, sign, field)
        action = sign_name(action)  # the page's letters, as one spelling
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_SEQUENCES:
            raise BadMessage(f"count: a whole number from 1 to {MAX_SEQUENCES}")
        pause = self.engine.pause if pause is None else pause
        if not isinstance(pause, (int, float)) or isinstance(pause, bool) or not 0 <= pause <= 10:
            raise BadMessage("pause: 0 to 10 seconds")
        self._check_room(count)
        with self.guard:
            self.name = self.watching = name
            self.recorder = Recorder(LaterWriter(self.engine.data / name), action, count, self.bundle.seq_len,
                                     float(pause))
        return {"type": "recording", "name": name, **self.recorder.status(),
                "counts": counts(self.engine.data / name)}

    def _check_sign(self, name: str, action, field: str = "action") -> None:
        """Refuse (:class:`BadMessage`, naming the message's ``field``) a sign's name ``action`` that ``name`` cannot
        record (see :meth:`record`)."""
        if not isinstance(action, str):
            raise BadMessage(f"{field}: a sign's name (text)")
        action = sign_name(action)
        problem = page_name_problem(action) or self._case_clash(name, action)
        if problem:
            raise BadMessage(f"{field}: '{shown_name(action)}' {problem}")

    def _check_room(self, count: int) -> None:
        """Refuse (:class:`BadMessage`) a recording of ``count`` sequences the server's disk cannot take while
        keeping :data:`DISK_RESERVE` free: a visitor does not fill the machine's disk."""
        from ..datasets.sequence_writer import FRAME_FILE_BYTES
        from ..outputs import free_bytes
        from ..limits import fmt_bytes

        need = count * self.bundle.seq_len * FRAME_FILE_BYTES
        free = free_bytes(self.engine.data)
        if free - need < DISK_RESERVE:
            raise BadMessage(f"count: the server's disk has {fmt_bytes(free)} free; {count} sequence(s) need about "
                             f"{fmt_bytes(need)} and {fmt_bytes(DISK_RESERVE)} stay free for its other work")

    def _case_clash(self, name: str, action: str) -> str | None:
        """Why ``action`` cannot be recorded beside the signs ``name`` has recorded or another page is recording
        for ``name``, else None: on a disk that takes names differing only in case for one folder (macOS, Windows),
        a sign recorded under such a name would join that folder. On other disks they are two signs (I and i may
        be)."""
        from ..datasets.sequence_writer import SequenceWriter

        if not self.engine.ignores_case:
            return None
        other = SequenceWriter(self.engine.data / name).recorded_in_other_case(action)
        where = "already recorded"
        if other is None:
            recording = {r.action for s in list(self.engine.sessions)
                         if s is not self and (r := s.recorder) is not None and s.name.lower() == name.lower()}
            other = case_twin(action, recording)
            where = "being recorded on another page"
        if other is None:
            return None
        return case_clash(other, where, "the server's disk")

    def cancel(self) -> dict:
        with self.guard:
            self.recorder = None  # a sequence in progress is dropped whole: nothing was written yet
        return {"type": "recording", "phase": "cancelled"}

    def _record_guarded(self, frames: np.ndarray) -> dict:
        with self.guard:
            if self.recorder is None:
                return {"phase": "cancelled"}
            try:
                return self.record_frames(frames)[0]
            except (OSError, SignlstmError) as err:  # a full disk: the recording stops, and the page hears why
                self.recorder = None
                raise recording_failed(for_page(err)) from None

    def record_frames(self, frames: np.ndarray, write: bool = True) -> tuple[dict, list | None]:
        """Feed the recorder; (its status for the page, the sequences it completed). They are written here when
        ``write`` (the image path: already in a pool thread), else left to the caller (:meth:`_write` in the writing
        thread). The caller holds the guard."""
        r = self.recorder
        status = {"name": self.name}
        for f in frames:
            r.feed(f)
        status.update(r.status())
        if r.phase == "done":
            self.recorder = None
        writes = r.writer.take()
        notes = {id(saved): note for saved, note in zip(r.saved, r.notes)}  # saved: the writer's PendingWrites
        for w in writes:
            w.note = notes.get(id(w))
        if writes and write:
            status.update(self._write(writes))
            writes = None
        return status, writes or None

    def _write(self, writes: list) -> dict:
        """Write completed sequences (each whole, as ``collect`` does): the status fields that say so, with a
        ``note`` for a sequence a hand is seen in too few frames of (the recorder's,
        :func:`~signlstm.fronts.recorder.few_hands`)."""
        notes = []
        for w in writes:
            w.write()
            if w.note:
                notes.append(f"'{w.action}' {w.path.name}: {w.note}")
        self.engine.counts_changed(self.name, self)
        return {"saved": shown_path(writes[-1].path), "counts": counts(writes[-1].writer.root),
                **({"note": "; ".join(notes)} if notes else {})}
