"""Sequences written in the tutorial's ``MP_Data/<action>/<seq>/<frame>.npy`` tree, each whole or not at all: for
``collect``, ``extract --data`` and the web page's recordings."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from .. import layout
from . import sequence_folders
from ..errors import SignlstmError
from ..files import flush, flush_tree, made_parents, not_written, remove_made, temp_folder, usual_permissions
from ..interrupts import check_not_interrupted
from ..sign_names import case_twin, look_alike_key, name_problem, shown_name

FRAME_DTYPE = np.float64  # a written frame's values, as the tutorial saves them
FRAME_FILE_BYTES = layout.FRAME_SIZE * np.dtype(FRAME_DTYPE).itemsize + 128  # one frame's .npy file, header included


class SequenceWriter:
    """Write sequences in the tutorial layout, each one whole or not at all.

    Frames go to a hidden temporary folder beside the target; the folder is renamed to
    ``<root>/<action>/<n>`` only when every frame is saved and flushed to the disk, with ``n`` after the highest
    existing number, so nothing is ever overwritten and an interrupted sequence leaves nothing.
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def recorded_in_other_case(self, action: str) -> str | None:
        """The name of a sign recorded here that differs from ``action`` only in case
        (:func:`~signlstm.sign_names.case_twin`), or None. On a disk that ignores case
        (:func:`~signlstm.outputs.ignores_case`) ``action``'s sequences would join that folder."""
        try:
            names = [p.name for p in self.root.iterdir() if p.is_dir()]
        except OSError:  # no folder yet, or one that cannot be read: nothing recorded to clash with
            return None
        return case_twin(action, names)

    def recorded(self) -> list[str]:
        """The signs with a sequence here (their folders' names in composed form, ``none`` too), in name order."""
        from ..sign_names import sign_name

        try:
            folders = sorted(p for p in self.root.iterdir() if p.is_dir())
        except OSError:  # no folder yet, or one that cannot be read: nothing recorded
            return []
        return [sign_name(p.name) for p in folders if sequence_folders(p)]

    def folder(self, action: str) -> Path:
        """The action's folder: ``<root>/<action>``, or an existing folder whose name looks the same
        (:func:`~signlstm.sign_names.look_alike_key`: ``action`` in another Unicode form, as a tree copied from a Mac
        keeps ``ñ`` as ``n`` and a combining tilde, or with other spaces), so that recordings of one sign go on in
        one folder, and the tree stays one the reader takes."""
        exact = self.root / action
        if exact.is_dir() or not self.root.is_dir():
            return exact
        want = look_alike_key(action)
        return next((p for p in sorted(self.root.iterdir())
                     if p.is_dir() and look_alike_key(p.name) == want), exact)

    def still_to_record(self, actions, sequences: int) -> dict[str, int]:
        """Sequences still to record per action of ``actions`` so that each has ``sequences`` complete ones."""
        def have(action):
            folder = self.folder(action)
            return len(sequence_folders(folder)) if folder.is_dir() else 0

        return {a: max(0, sequences - have(a)) for a in actions}

    def unlike(self, actions, length: int) -> tuple[Path, str] | None:
        """The first sequence already recorded under one of ``actions`` that is not frames 0 to ``length`` - 1 (an
        aborted recording of the tutorial's own code, or one of another length), with what it holds; None when all
        are whole."""
        from ..keypoint_files import frame_files

        for action in actions:
            folder = self.folder(action)
            for _, seq in sequence_folders(folder) if folder.is_dir() else []:
                numbers = [n for n, _ in frame_files(seq)]
                if numbers != list(range(length)):
                    return seq, f"holds {len(numbers)} frame file(s), not the frames 0-{length - 1} of a whole sequence"
        return None

    def next_number(self, action: str) -> int:
        folder = self.folder(action)
        numbers = [n for n, _ in sequence_folders(folder)] if folder.is_dir() else []
        return max(numbers) + 1 if numbers else 0

    def write(self, action: str, frames: np.ndarray) -> Path:
        """Store ``frames`` ((T, 1662)) as the action's next numbered sequence folder, put in place whole or not at
        all; returns that folder. An action that cannot be a folder name is :class:`SignlstmError`."""
        frames = np.asarray(frames)
        if frames.ndim != 2 or frames.shape[1] != layout.FRAME_SIZE or not len(frames):
            raise ValueError(f"frames must be (T, {layout.FRAME_SIZE}) with T >= 1, got {frames.shape}")
        if name_problem(action):
            raise SignlstmError(f"action '{shown_name(action)}' {name_problem(action)}")
        folder = self.folder(action)
        made = made_parents(folder / ".partial")  # the action's folder (and the root) when new
        try:
            tmp = temp_folder(folder, "partial", sep="-")
        except BaseException:
            remove_made(made)
            raise
        try:
            self._save(tmp, frames, folder)
            flush_tree(tmp)  # the frames on the disk before the sequence's number names them
            check_not_interrupted()  # after a Ctrl-C that Python swallowed, nothing more is put in place
            while True:
                target = folder / str(self.next_number(action))
                try:
                    os.rename(tmp, target)  # fails if a folder of that number appeared meanwhile
                    flush(folder)
                    return target
                except OSError:
                    if not target.exists():
                        raise
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            remove_made(made)
            raise

    @staticmethod
    def _save(tmp: Path, frames: np.ndarray, folder: Path) -> None:
        """The frames as ``tmp/<i>.npy`` (float64, as the tutorial's); a write the machine cannot finish (a full
        disk) is :class:`BadInput` naming ``folder``."""
        try:
            for i, frame in enumerate(frames):
                np.save(tmp / f"{i}.npy", frame.astype(FRAME_DTYPE))
        except OSError as e:
            if e.filename is not None:
                raise
            raise not_written(folder, e) from None
        usual_permissions(tmp, folder=True)
