"""The training sets every trainer uses: signs, other people's signs as :data:`NONE`, and no-hand windows.

:func:`training_set` is the one builder (``train``, cross-validation, few-shot and stream bases, vocabulary trunks);
:func:`usable_negatives` says which other-sign recordings may be trained as :data:`NONE` beside a model's signs.
"""
from __future__ import annotations

import numpy as np

from .. import layout
from . import Dataset, concat, load, require_person
from .dataset import data_name, packed_recording
from ..sign_names import NONE, not_among, sign_key


def no_hand_windows(data: Dataset, share: float = 0.25, seed: int = 0) -> Dataset:
    """Synthetic negatives: a share of ``data``'s sequences with both hands removed (idle / no-hand windows), every
    third of them with the person removed too (an empty room: all zeros), labelled :data:`NONE`, each kept in the
    group (signer) of the sequence it came from; held as ``data`` holds its frames (same columns and dtype)."""
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(data), int(round(share * len(data))), replace=False))
    sub = data.subset(idx)
    frames = np.array(sub.frames, copy=True)
    cols = np.arange(layout.FRAME_SIZE) if sub.columns is None else sub.columns
    frames[..., (cols >= layout.LEFT_HAND.start) & (cols < layout.RIGHT_HAND.stop)] = 0
    frames[::3] = 0
    return Dataset(frames, np.full(len(idx), NONE), sub.groups.copy(), [f"{s}#no-hands" for s in sub.sources], [NONE],
                   columns=sub.columns)


def usable_negatives(other: Dataset, actions) -> np.ndarray:
    """Mask of the recordings of ``other`` that may be trained as :data:`NONE` beside ``actions``: not one of the
    actions under another spelling (a vocabulary's own "thank you" is not "none" for a model of thanks), and each
    recording once (the same person's label and sequence number read from two files, e.g. a subset file and the
    whole vocabulary it was cut from)."""
    keep = np.array(not_among(other.labels.tolist(), actions), bool)
    seen = set()
    for i, (group, label, source) in enumerate(zip(other.groups, other.labels, other.sources)):
        if not (packed := packed_recording(source)) or not keep[i]:
            continue
        key = (group, sign_key(label), packed[1])
        keep[i] = key not in seen
        seen.add(key)
    return keep


def negatives_problem(other: Dataset, actions) -> str | None:
    """Why ``other``, given as negatives, teaches nothing beside ``actions`` (it holds recordings, and
    :func:`usable_negatives` keeps none: each is one of the actions, or a recording twice), else None."""
    if not len(other) or usable_negatives(other, actions).any():
        return None
    signs = [a for a in actions if a != NONE]
    return (f"none of its {len(other):,} recordings can be trained as '{NONE}': each is one of the signs "
            f"({', '.join(signs)}) under some spelling, or a recording given twice; give recordings of other signs")


def check_negatives(other: Dataset, actions) -> None:
    """Refuse (:class:`~signlstm.errors.SignlstmError` naming the file or folder ``other`` was read from) other signs
    that teach nothing beside ``actions`` (:func:`negatives_problem`)."""
    if problem := negatives_problem(other, actions):
        from ..errors import SignlstmError

        raise SignlstmError(f"the other signs in {data_name(other)}: {problem}")


def training_set(data: Dataset, fixes=None, negatives=None, held_out=(), seed: int = 0,
                 synthetic: float = 0.15) -> Dataset:
    """The one training-set builder used by every trainer (``train``, cross-validation, few-shot bases).

    ``data`` (signs) less the ``held_out`` people, with ``fixes`` (a fixes file or its rows, see
    :mod:`signlstm.datasets.fixes`) applied; an action they leave without a recording is left out
    (:func:`~signlstm.datasets.fixes.without_emptied`: an output with nothing to learn from). With ``negatives`` (paths
    or a :class:`Dataset` of other signs, any labels; held-out people's recordings left out; ``[]`` for none recorded)
    the rejection label :data:`NONE` is trained: those recordings plus ``synthetic`` x len no-hand windows of the
    training signers (see :func:`no_hand_windows`). Without ``negatives`` the model learns the signs only (the
    tutorial's setup). Negatives that are one of the signs under another spelling, or the same recording twice, are left
    out (:func:`usable_negatives`). ``data`` without a person in any frame is :class:`BadInput`
    (:func:`require_person`), whatever the negatives hold.
    """
    from .fixes import apply_fixes, without_emptied

    require_person(data, "nothing to learn from")
    held = list(held_out)
    train = data.subset(~np.isin(data.groups, held)) if held else data
    if fixes is not None:
        train = without_emptied(apply_fixes(train, fixes))[0]
    if negatives is None:
        return train
    parts = [train]
    parts_held = None if train.columns is None else [p.name for p in layout.PARTS if np.isin(p.start, train.columns)]
    other = (negatives if isinstance(negatives, Dataset) else
             load(negatives, length=train.seq_len, parts=parts_held, dtype=train.frames.dtype) if negatives else None)
    if other is not None:
        if held:
            other = other.subset(~np.isin(other.groups, held))
        other = other.subset(usable_negatives(other, train.actions))
        parts.append(Dataset(other.frames, np.full(len(other), NONE), other.groups, other.sources, [NONE],
                             columns=other.columns))  # as stored: concat converts it a chunk at a time
    if synthetic:
        parts.append(no_hand_windows(train.subset(train.labels != NONE), synthetic, seed))
    return concat(parts, [a for a in train.actions if a != NONE] + [NONE])
