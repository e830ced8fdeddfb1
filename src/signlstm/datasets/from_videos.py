"""Recorded videos written as data: sequences of one action in the tutorial tree, or one keypoint stream file.

:func:`write_videos` is what ``signlstm extract`` does: each video's keypoints (:mod:`signlstm.keypoints.extraction`,
in worker processes) made into sequences (``--mode window``: windows at the models' 30 frames a second, as ``live``
reads a video; ``resample``: one per video) written whole by :class:`~signlstm.datasets.sequence_writer.SequenceWriter`,
or every video's frames at 30 a second appended to one ``.npy`` (:class:`~signlstm.keypoint_files.StreamWriter`,
put in place once every video was read, and only when one could be used). Videos that cannot be used are skipped
and reported.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import layout
from ..wording import counted


@dataclass
class Written:
    """What :func:`write_videos` wrote: sequences (tree) or frames (stream file); the videos found, those used and
    those skipped (:class:`~signlstm.keypoints.extraction.Extracted`, each with its ``error``)."""
    sequences: int = 0
    frames: int = 0
    found: int = 0
    used: int = 0
    skipped: list = field(default_factory=list)
    videos: list = field(default_factory=list)  # the videos whose sequences are being or were put in the tree


@contextlib.contextmanager
def _said_if_interrupted(done: Written, label, writer, note):
    """A Ctrl-C inside the block, after ``writer`` put some videos' sequences in its tree: ``note`` says how many
    (counted on the disk) and from which videos, since they stay there (each sequence whole) and extracting those
    videos again would add them again."""
    from ..sign_names import shown_list
    from .mp_data import sequence_folders

    def on_disk() -> set:
        folder = writer.folder(label)
        return {p for _, p in sequence_folders(folder)} if folder.is_dir() else set()

    before = on_disk() if writer is not None else set()
    try:
        yield
    except KeyboardInterrupt:
        added = len(on_disk() - before) if writer is not None else 0
        if added:
            note(f"interrupted: the {added} sequence(s) of '{label}' written from {len(done.videos)} video(s) "
                 f"({shown_list(done.videos, most=5, whole=True)}) stay in {writer.root}; extracting those again "
                 "would add them again")
        raise


def check_outputs(label: str | None, data=None, keypoints=None, length: int = layout.SEQ_LEN,
                  stride: int | None = None) -> None:
    """Refuse (:class:`SignlstmError`, naming the command's options) what :func:`write_videos` cannot write, before
    any video is read: both or neither of a tree and a stream file, a tree without a valid label, a length or stride
    below 1, a stream file not named ``.npy``; and (:class:`BadInput`) a sequence of the label already in the tree
    that is not whole (an aborted recording: every reader would refuse it once more were written beside it)."""
    from ..errors import BadInput, SignlstmError, check_count
    from ..sign_names import name_problem, shown_name, sign_name

    if bool(data) == bool(keypoints):
        raise SignlstmError("give either --data MP_Data with --label, or --keypoints OUT.npy")
    if data and not label:
        raise SignlstmError("--data needs --label ACTION (the action the videos show)")
    if data and (problem := name_problem(label)):
        raise SignlstmError(f"--label '{shown_name(label)}' {problem}")
    if problem := layout.seq_len_problem(length):
        raise SignlstmError(f"--length {problem}")
    check_count("--stride", stride, 1)
    if keypoints and Path(keypoints).suffix.lower() != ".npy":
        raise SignlstmError(f"--keypoints {keypoints}: a keypoint file is a .npy (live, convert and evaluate read it "
                            "by that name)")
    if data:
        from .sequence_writer import SequenceWriter

        if odd := SequenceWriter(data).unlike([sign_name(label)], length):
            raise BadInput(odd[0], f"{odd[1]} (an aborted recording, or one of another --length): remove it, or "
                                   "extract into another --data; nothing was extracted")


def write_videos(videos, label: str | None = None, data=None, keypoints=None, length: int = layout.SEQ_LEN,
                 mode: str = "window", stride: int | None = None, workers: int = 0, ray: str | None = None,
                 progress: bool = True, note=lambda text: None, ready=lambda done: None) -> Written:
    """Extract ``videos`` (paths, or folders of them) into ``data`` (``label``'s sequences, ``length`` frames each)
    or into the stream file ``keypoints``; ``note(text)`` hears each video's note (a video that ends early) as it
    comes, ``ready(done)`` what was read once every video was, before the stream file is put in place (an exception
    it raises keeps the file from being written). When no video could be used, the stream file is not written.
    The outputs are checked first (:func:`check_outputs`)."""
    from ..keypoint_files import StreamWriter
    from ..keypoints.extraction import extract_videos, find_videos, iter_sequences
    from .sequence_writer import SequenceWriter

    from ..sign_names import sign_name

    check_outputs(label, data, keypoints, length, stride)
    label = sign_name(label) if label else None  # in composed form, as collect and the page name signs
    found, skipped = find_videos(videos)
    done = Written(found=len(found), skipped=skipped)
    writer = SequenceWriter(data) if data is not None else None
    if writer is not None:  # a video named twice (or within a folder named too) would be two people's worth of it
        found, twice = _once(found)
        skipped += twice
    with (StreamWriter(keypoints) if writer is None else contextlib.nullcontext()) as stream, \
            _said_if_interrupted(done, label, writer, note):
        for item in extract_videos(found, workers, progress=progress, ray=ray):
            raw = None if item.error else len(item.keypoints)
            if item.error is None and (mode == "window" or writer is None):  # the models' rate, as live reads it
                item.keypoints = item.at_models_rate()
            if item.error is None and writer is not None:
                if mode == "resample" and len(item.keypoints) < length:
                    stretched = f"{counted(len(item.keypoints), 'frame')} stretched to {length}: frames repeated"
                    item.note = "; ".join(filter(None, [item.note, stretched]))
                # written; windows without a person in any frame (zeros: not written; the windows cover every frame, so
                # some window of a video with a person in a frame has one); of those written, those with few hands
                count = nobody = unseen = 0
                if not np.any(item.keypoints):  # MediaPipe found no one (a dark, blank or tiny picture)
                    item.error = (f"no person is found in any of its {counted(raw, 'frame')}: no sequence of it is "
                                  "written")
                else:
                    for seq in iter_sequences(item.keypoints, length, mode, stride):
                        if not np.any(seq):
                            nobody += 1
                            continue
                        if not count:
                            done.videos.append(item.path)
                        writer.write(label, seq)
                        count += 1
                        unseen += bool(layout.hand_share(seq[None])[0] < layout.SIGN_HANDS)
                    if not count + nobody:
                        item.error = (f"has {counted(len(item.keypoints), 'frame')} at 30 a second ({raw} at its "
                                      f"{item.fps:g}), "
                                      f"fewer than {length}: no window (try --mode resample)")
                said = []
                if nobody:
                    said.append(f"{nobody} of its {count + nobody} window(s) show no one in any frame: not written")
                if unseen:
                    said.append(f"{unseen} of the {count} sequence(s) written show a hand in fewer than "
                                f"{layout.SIGN_HANDS:.0%} of their frames: a vocabulary leaves them out")
                item.note = "; ".join(filter(None, [item.note, *said])) or None
                done.sequences += count
            elif item.error is None:
                stream.write(item.keypoints)
            if item.error is None:
                done.used += 1
                if item.note:
                    note(f"{item.path}: {item.note}")
            else:
                done.skipped.append(item)
        if stream is not None:
            done.frames = stream.frames
        ready(done)
        if stream is not None and done.used:
            stream.commit()
    return done


def _once(found: list[Path]) -> tuple[list[Path], list]:
    """``found`` with each video once (by the file it is: a path, a symbolic or a hard link to it are one), and the
    repeats as skipped entries."""
    from ..keypoints.extraction import Extracted

    first: dict = {}
    once, twice = [], []
    for p in found:
        try:
            st = p.stat()
            key = (st.st_dev, st.st_ino)
        except OSError:  # (said when it is read)
            key = p
        if key in first:
            twice.append(Extracted(str(p), error=f"the same video as {first[key]}: its sequences are written once"))
        else:
            first[key] = p
            once.append(p)
    return once, twice
