"""Sequences of keypoint frames with their labels and signer ids, read in bounded memory.

Two on-disk forms are read: the tutorial's ``MP_Data/<action>/<seq>/<frame>.npy`` tree and
packed ``.npz`` files (``X`` (N, T, 1662), ``y``, ``seq``, optional ``actions``; the file name
is the signer id); for ``predict``, also packed files without ``y`` and ``.npy`` arrays of sequences, unlabelled
(:data:`UNLABELLED`). Every file is checked (frame files by :mod:`signlstm.keypoint_files`), and a defect raises
:class:`BadInput` naming it (and the sequence and frame inside a packed file). Declared sizes are read before anything is allocated
(:mod:`signlstm.limits`).

:func:`stream` yields the data in chunks of :data:`CHUNK` sequences (an ``.npz`` member read incrementally from its
zip entry, a tree folder by folder): ``predict`` and ``evaluate`` hold one chunk at a time. :func:`load` collects
everything into one :class:`Dataset`, holding only the parts a model reads (``parts``) in ``dtype``.
The readers are :mod:`.mp_data` (the tree) and :mod:`.packed` (packed files), each opening a :class:`Source`;
:mod:`.dataset` holds :class:`Dataset` and what they share. :class:`signlstm.datasets.sequence_writer.SequenceWriter`
writes the tutorial tree;
:mod:`signlstm.datasets.training_sets` makes the training sets of these.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import numpy as np

from .. import layout, limits
from ..errors import BadInput, SignlstmError
from ..outputs import not_a_file
from ..sign_names import rejection_problem
from .dataset import (CHUNK, UNLABELLED, Dataset, Source, columns, concat, data_name, describe_skipped, is_hidden,
                      no_person, require_person)
from .mp_data import open_mp_data, sequence_folders
from .packed import SIGNER_LABELS, is_packed_folder, npy_problem, open_npz, open_sequences_npy, packed_files, packed_x

__all__ = ["CHUNK", "UNLABELLED", "SIGNER_LABELS", "Dataset", "Source", "columns", "concat", "data_name",
           "describe_skipped", "is_hidden", "no_person", "require_person", "open_mp_data", "sequence_folders",
           "is_packed_folder", "open_npz", "open_sequences_npy", "packed_files", "packed_x", "open_sources", "stream",
           "load_mp_data", "load_npz", "load"]


def path_list(paths) -> list:
    """``paths`` as a list: one path (a ``str`` or ``Path``) alone, or the paths given."""
    return [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)


def open_sources(paths, actions: list[str] | None = None, length: int | None = None,
                 skip_bad: bool = False, labelled: bool = True, pose_hands: bool = False) -> list[Source]:
    """Open any mix of MP_Data folders, packed ``.npz`` files and folders of them (headers checked, nothing large
    read). Unless ``labelled``, packed files without ``y`` and ``.npy`` arrays of sequences are read too, their
    sequences labelled :data:`UNLABELLED`. ``pose_hands`` (``signlstm convert``): a tree or packed file of pose +
    both hands frames (:data:`layout.POSE_HANDS_SIZE` values) is read too, widened with the face zeroed. ``paths``:
    a list of them, or one."""
    out = []
    for p in map(Path, path_list(paths)):
        if not p.is_dir() and (problem := not_a_file(p)):
            raise BadInput(p, problem)
        if is_packed_folder(p):
            out += [open_npz(q, length, skip_bad, labelled, pose_hands) for q in packed_files(p)]
        elif p.is_dir():
            out.append(open_mp_data(p, actions, length, skip_bad, pose_hands=pose_hands))
        elif p.suffix.lower() == ".npz":
            out.append(open_npz(p, length, skip_bad, labelled, pose_hands))
        elif p.suffix.lower() == ".npy" and p.is_file() and not labelled:
            out.append(open_sequences_npy(p, length, skip_bad))
        elif p.suffix.lower() == ".npy":
            raise BadInput(p, npy_problem(p))
        elif not p.exists():
            raise BadInput(p, "no such file or folder")
        else:
            raise BadInput(p, "not keypoint data (expected an MP_Data folder or a packed .npz)")
    if not out:
        raise SignlstmError("no data given")
    where: dict[tuple, Path] = {}
    for s in out:  # a file given twice (itself and in its folder, or by two names, links hard or symbolic) would
        stat = s.path.stat()  # count its recordings twice: one file, one device and inode
        first = where.setdefault((stat.st_dev, stat.st_ino), s.path)
        if first is not s.path:
            raise BadInput(s.path, f"given twice in the data (also as {first})")
    lengths = {s.seq_len for s in out}
    if len(lengths) > 1:
        by_length = "; ".join(f"{n} frames: {', '.join(str(s.path) for s in out if s.seq_len == n)}"
                              for n in sorted(lengths))
        trees = any(Path(s.path).is_dir() for s in out)  # a packed file holds one length; a tree's may be chosen
        raise SignlstmError(f"the data mixes sequence lengths ({by_length[:400]}); give files of one length" + (
            ", or pass --length N to read a tree's N-frame sequences (its others are then left out with --skip-bad)"
            if trees else ""))
    return out


def shared_names_note(sources: list[Source]) -> str | None:
    """A note naming the sources (files or trees) read as one person because they share a person's name (a packed
    file's name, a tree's: :func:`~signlstm.datasets.mp_data.tree_person`), for commands that split or score by
    person: right for one person's files (``vocab/o04.npz`` and ``other_signs/o04.npz``), wrong for two people."""
    named: dict[str, list[Path]] = {}
    for s in sources:
        named.setdefault(s.group, []).append(s.path)
    shared = {g: paths for g, paths in named.items() if len(paths) > 1}
    if not shared:
        return None
    said = "; ".join(f"{' and '.join(map(str, paths))} as '{g}'" for g, paths in shared.items())
    return (f"note: read as one person each (a file's or a tree's name is its person): {said[:600]}; if they are "
            "different people, rename their files")


def stream(paths, actions: list[str] | None = None, length: int | None = None, skip_bad: bool = False,
           chunk: int = CHUNK, sources: list[Source] | None = None, labelled: bool = True) -> Iterator[Dataset]:
    """The data of ``paths`` (or the already opened ``sources``) as chunks of at most ``chunk`` sequences, (n, T, 1662)
    float32 each, file after file: memory holds one chunk whatever the size of the data. With ``actions`` only those
    labels are kept. Every file's header is checked before the first chunk. Unless ``labelled``, packed files without
    labels and ``.npy`` arrays of sequences are read too (:func:`open_sources`; what ``predict`` reads)."""
    opened = sources if sources is not None else open_sources(paths, actions, length, skip_bad, labelled=labelled)
    for src in opened:
        for part in src.chunks(chunk):
            yield part.subset(np.isin(part.labels, actions) | (part.labels == UNLABELLED)) if actions else part


def check_rejection_labels(sources: list[Source], actions=None) -> None:
    """An action of ``sources`` (of ``actions``, when given) that spells the rejection label :data:`NONE` in another
    case ("None", "NONE") is :class:`BadInput` naming its folder (or packed file), before anything is read: it would
    be taught as a sign."""
    for s in sources:
        for label in s.label_counts:
            problem = rejection_problem(label)
            if problem and (not actions or label in actions):
                raise BadInput(s.path / label if s.path.is_dir() else s.path, f"action '{label}' {problem}")


def _collect(sources: list[Source], actions, parts, dtype, where) -> Dataset:
    """Every sequence of ``sources`` in one Dataset of ``parts`` columns in ``dtype``, allocated once from the
    declared counts (refused when that exceeds :func:`limits.memory_budget`), the labels checked first
    (:func:`check_rejection_labels`)."""
    check_rejection_labels(sources, actions)
    cols = columns(parts)
    T = sources[0].seq_len
    K = layout.FRAME_SIZE if cols is None else len(cols)
    total = sum(s.count for s in sources)
    limits.check_held(where, total, T, K, dtype)
    frames = np.empty((total, T, K), dtype)
    labels, groups, srcs, skipped, order, n = [], [], [], [], list(actions) if actions else [], 0
    for s in sources:
        seen = set()
        for c in s.chunks(CHUNK):
            if actions:
                c = c.subset(np.isin(c.labels, actions))
            frames[n:n + len(c)] = c.frames if cols is None else c.frames[..., cols]
            n += len(c)
            labels.append(c.labels)
            groups.append(c.groups)
            srcs += c.sources
            skipped += c.skipped
            seen |= set(c.labels.tolist())
        order += [a for a in s.actions if a not in order and a in seen]
    if n < total:
        frames = frames[:n].copy()
    return Dataset(frames, np.concatenate(labels) if labels else np.array([], str),
                   np.concatenate(groups) if groups else np.array([], str), srcs, order, skipped, cols)


def load_mp_data(root: str | Path, actions: list[str] | None = None, length: int | None = None,
                 skip_bad: bool = False, group: str | None = None) -> Dataset:
    """Read the tutorial layout ``root/<action>/<seq>/<frame>.npy`` (see :func:`open_mp_data`) as float32."""
    src = open_mp_data(root, actions, length, skip_bad, group)
    return _collect([src], None, None, np.float32, root)


def load_npz(path: str | Path, length: int | None = None) -> Dataset:
    """Read a packed file (see :func:`open_npz`) as float32."""
    return _collect([open_npz(path, length)], None, None, np.float32, path)


def load(paths, actions: list[str] | None = None, length: int | None = None,
         skip_bad: bool = False, require_all: bool = False, parts=None, dtype=np.float32,
         sources: list[Source] | None = None) -> Dataset:
    """Read any mix of MP_Data folders, packed ``.npz`` files and folders of them into one :class:`Dataset`.

    With ``actions``, only those labels are kept (in that order); ``require_all`` makes a
    missing one an error (training needs every action it is told about). ``parts`` (names of
    ``layout.PARTS``, e.g. a bundle's ``parts_read``) and ``dtype`` set what is held per sequence (see
    :class:`Dataset`); the declared total must fit in :func:`limits.memory_budget`. ``sources``: ``paths`` already
    opened (:func:`open_sources`), not opened again.
    """
    paths = path_list(paths)
    sources = sources if sources is not None else open_sources(paths, actions, length, skip_bad)
    data = _collect(sources, actions, parts, dtype, ", ".join(map(str, paths)))
    if actions:
        missing = [a for a in actions if a not in set(data.labels.tolist())]
        if missing and require_all:
            from ..sign_names import respelling_hint

            hint = respelling_hint(missing, list(dict.fromkeys(a for src in sources for a in src.actions)))
            raise SignlstmError(f"no sequences for action(s) {missing} in {', '.join(map(str, paths))}{hint}")
        data.actions = list(actions)
    return data
