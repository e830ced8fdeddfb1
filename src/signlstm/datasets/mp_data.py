"""The tutorial's ``MP_Data/<action>/<seq>/<frame>.npy`` tree, opened as a :class:`~signlstm.datasets.dataset.Source`
and read sequence folder by sequence folder; every frame file checked (:mod:`signlstm.keypoint_files`)."""
from __future__ import annotations

import os
import shlex
from collections import Counter
from pathlib import Path
from typing import Iterator

import numpy as np

from .. import layout
from ..errors import BadInput
from ..keypoint_files import frame_files, listed_numbers, read_frames, read_keypoint_header
from ..sign_names import option_problem, reorder_problem, shown_list, sign_name, text_problem
from .dataset import Dataset, Source, is_hidden, look_alike


def _numbered(p: Path) -> bool:
    return p.name.isascii() and p.name.isdigit()


def _listing(folder: Path) -> tuple[list[tuple[int, Path]], list[tuple[Path, str]]]:
    """One listing of an action's folder: its sequence folders as (number, path) in number order, and the entries
    that are neither a sequence folder nor hidden, each with what it is instead."""
    seqs, odd = [], []
    for p in sorted(folder.iterdir()):
        if _numbered(p) and p.is_dir():
            seqs.append((int(p.name), p))
        elif _numbered(p):
            odd.append((p, "named like a sequence but not a folder (a file, a link to nothing or a loop of links)"))
        elif p.is_dir() and not is_hidden(p):
            odd.append((p, "not a sequence folder (those are numbered 0, 1, 2, ...)"))
    return sorted(seqs), odd


def sequence_folders(folder: Path) -> list[tuple[int, Path]]:
    """The sub-folders of ``folder`` named by a number (a tree's sequences of one action), as (number, path) in
    number order."""
    return _listing(folder)[0]


def _numbered_twice(seqs: list[tuple[int, Path]]) -> list[tuple[Path, Path]]:
    """Of one action's ``seqs`` (:func:`sequence_folders`), each folder that numbers the same recording as another
    (``01`` beside ``1``), with the folder kept for that number: the one named as the tutorial names it, else the
    first."""
    by_number: dict[int, list[Path]] = {}
    for n, d in seqs:
        by_number.setdefault(n, []).append(d)
    twice = []
    for n, ds in by_number.items():
        kept = next((d for d in ds if d.name == str(n)), ds[0])
        twice += [(d, kept) for d in ds if d is not kept]
    return twice


def _one_recording(folder: Path) -> bool:
    """Whether ``folder`` holds a recording's frames, ``<frame>.npy`` files of one frame each (its first file's header
    says so; nothing of the data is read)."""
    numbered = sorted((f for f in folder.glob("*.npy") if f.stem.isdigit()), key=lambda f: int(f.stem))
    try:
        return bool(numbered) and len(read_keypoint_header(numbered[0]).shape) == 1
    except BadInput:
        return False


def _not_a_tree(root: Path, actions: list[Path]) -> tuple[Path, str] | None:
    """(path, problem) when ``root``'s sign folders (``actions``) hold no sequence folder because ``root`` is not
    the tree itself: a folder holding the tree (``project/MP_Data``), or a sign folder holding one ``.npy`` per
    recording (``hello/0.npy``) instead of a folder per recording; or packed files beside the folders, or in them
    (a folder of people's ``.npz`` files holds nothing else)."""
    if packed := sorted(q.name for q in root.iterdir() if q.suffix.lower() == ".npz" and not is_hidden(q)):
        return root, (f"holds packed files ({shown_list(packed, most=3)}) beside folders and no sequence folders: a folder of "
                      "packed files holds nothing else (give the files one by one, or move the folders out)")
    if any(_one_recording(a) for a in actions[:20] if a.is_dir()):
        return root, (f"is one sign's folder (<number>/<frame>.npy): give the tree above it, {root.parent} (with "
                      f"--actions {shlex.quote(root.name)}, for a command that takes it)")
    for a in actions:
        if packed := sorted(q.name for q in a.glob("*.npz") if not is_hidden(q)) if a.is_dir() else []:
            return root, (f"holds folders of packed files ({a.name}/{packed[0]}): give each folder ({a}, ...) "
                          "instead")
        inner = [b for b in sorted(a.iterdir()) if b.is_dir() and not is_hidden(b)] if a.is_dir() else []
        if any(sequence_folders(b) for b in inner[:20]):
            return root, f"holds a tree of sign folders in {a.name}/ ({a.name}/<action>/<number>/): give {a} instead"
        files = sorted(f.name for f in a.glob("*.npy") if f.stem.isdigit())
        if files:
            return a, (f"holds {', '.join(files[:3])}{' ...' if len(files) > 3 else ''} and no sequence folders: the "
                       "tutorial's layout is a folder per recording, <action>/<number>/<frame>.npy")
    return None


def _frame_count(folder: Path) -> int:
    with os.scandir(folder) as it:
        return sum(1 for e in it if e.name.endswith(".npy") and e.name[:-4].isdigit())  # (a pipe too: named later)


def _expected_length(counts: Counter, length: int | None) -> int:
    """``length``, else the commonest of the sequences' frame ``counts`` (at least the tutorial's 30)."""
    if length:
        return length
    common = counts.most_common(1)[0][0] if counts else layout.SEQ_LEN
    # A recording shorter than the tutorial's 30 frames is an aborted one unless the user says otherwise.
    return max(common, layout.SEQ_LEN) if common < layout.SEQ_LEN else common


def _tree_width(seqs: list[tuple[str, Path]]) -> int:
    """The values per frame of a tree's frame files, from every one's header (nothing of their data read):
    :data:`layout.POSE_HANDS_SIZE` when they hold pose + both hands, else :data:`layout.FRAME_SIZE`; a tree holding
    both is :class:`BadInput` naming the first file of the fewer kind. Files of another size or with a defect are left
    to the reading of the frames, which refuses them as in every tree."""
    first: dict[int, Path] = {}
    counts: Counter = Counter()
    for _, d in seqs:
        try:
            files = frame_files(d)
        except BadInput:
            continue
        for _, f in files:
            try:
                shape = read_keypoint_header(f).shape
            except BadInput:
                continue
            n = shape[-1] if shape else 0
            if n in (layout.FRAME_SIZE, layout.POSE_HANDS_SIZE):
                counts[n] += 1
                first.setdefault(n, f)
    if len(counts) == 2:
        (most, k), (fewer, _) = counts.most_common()
        raise BadInput(first[fewer], f"frame holds {fewer} values where the tree's other {k:,} frames hold {most}: a "
                                     f"copy is made of data of one layout, every frame {layout.FRAME_SIZE} values or "
                                     f"every frame {layout.POSE_HANDS_SIZE} (pose + both hands)")
    return layout.POSE_HANDS_SIZE if layout.POSE_HANDS_SIZE in counts else layout.FRAME_SIZE


TUTORIAL_TREE = "MP_Data"  # the name the tutorial gives every tree it writes


def tree_person(root: str | Path) -> str:
    """Whose recordings the tree ``root`` holds, as a person's name: the tree's folder name, or, for a tree of the
    tutorial's own name (:data:`TUTORIAL_TREE`, which every tutorial user's tree has: ``alice/MP_Data``,
    ``bob/MP_Data``), the name of the folder that holds it."""
    root = Path(root)
    if root.name != TUTORIAL_TREE:
        return root.name
    return Path(os.path.abspath(root)).parent.name or root.name


def open_mp_data(root: str | Path, actions: list[str] | None = None, length: int | None = None,
                 skip_bad: bool = False, group: str | None = None, pose_hands: bool = False) -> Source:
    """The tutorial layout ``root/<action>/<seq>/<frame>.npy``, read sequence folder by sequence folder.

    Actions are the folder names in Unicode's composed form (sorted) unless ``actions`` names them (in that order).
    The sequence length is ``length`` or the most common frame count (at least 30). ``pose_hands``
    (``signlstm convert``): a tree whose first frame holds pose + both hands (:data:`layout.POSE_HANDS_SIZE` values)
    is read widened with the face zeroed (:func:`~signlstm.keypoint_files.read_frames`), every frame of it refused
    unless it holds them too; one whose first frame holds 1662 values, every frame refused unless it does.
    """
    root = Path(root)
    if not root.is_dir():
        raise BadInput(root, "no such data folder")
    on_disk = [p.name for p in root.iterdir() if p.is_dir() and not is_hidden(p)]
    twice = look_alike(on_disk)  # checked before the names are composed, which would make the two one
    if twice:
        raise BadInput(root, f"folders {twice} look the same (they differ only in spaces or in how a letter is "
                             "encoded): merge them or rename one")
    folder = {sign_name(f): root / f for f in on_disk}  # each sign's name in composed form, as --actions gives it
    names = [sign_name(a) for a in actions] if actions else sorted(folder)
    problem = {a: text_problem(a) or reorder_problem(a) or option_problem(a) for a in names if a in folder}
    odd = [a for a, p in problem.items() if p]
    if odd:
        shown = " (a sign's name is shown on one line)" if text_problem(odd[0]) else ""
        raise BadInput(folder[odd[0]], f"the action's folder name {problem[odd[0]]}: rename it{shown}")
    seqs, unnumbered = [], []  # each action's folder listed once
    for a in [a for a in names if a in folder]:
        found, strays = _listing(folder[a])
        again = _numbered_twice(found)
        second = {d for d, _ in again}
        seqs += [(a, d) for _, d in found if d not in second]
        unnumbered += strays + [(d, f"numbers the same recording as folder {kept.name}") for d, kept in again]
    if not seqs and (why := _not_a_tree(root, [folder[a] for a in names if a in folder])):
        raise BadInput(*why)
    if unnumbered and not skip_bad:
        raise BadInput(unnumbered[0][0], f"{unnumbered[0][1]}: rename it, or pass --skip-bad to leave it out")
    if not seqs and _one_recording(root):
        raise BadInput(root, f"is one recording's folder (<frame>.npy): give the tree, {root.parent.parent} (with "
                             f"--actions {shlex.quote(root.parent.name)}, for a command that takes it)")
    if not seqs:
        raise BadInput(root, "no sequence folders (expected <action>/<number>/<frame>.npy)")
    counts = Counter(_frame_count(d) for _, d in seqs)
    T = _expected_length(counts, length)
    commonest, k = counts.most_common(1)[0]
    held = commonest if k >= 2 and 2 * k > len(seqs) else 0  # the tree's length, when most sequences (2+) agree
    group = group or tree_person(root)
    width = _tree_width(seqs) if pose_hands else None  # None: 1662 values, 258 refused naming convert

    def hint(n: int) -> str:
        """What a sequence of ``n`` frame files says beside its defect when most of the tree's sequences hold that
        many too: the tree was recorded at another length than expected."""
        if not held or n != held or held == T:
            return ""
        return (f"{counts[held]} of the {len(seqs)} sequences of {root} hold {held} frames: if your recordings are "
                f"{held} frames long, give --length {held}")

    def chunks(size: int) -> Iterator[Dataset]:
        X, labels, sources, skipped, used = [], [], [], list(unnumbered), 0

        def emit():
            return Dataset(np.stack(X) if X else np.zeros((0, T, layout.FRAME_SIZE), np.float32), np.array(labels, dtype=str),
                           np.full(len(X), group), list(sources), list(names), list(skipped))

        for action, d in seqs:
            try:
                numbers = [n for n, _ in frame_files(d)]
                present = set(numbers)
                missing = [n for n in range(T) if n not in present]
                if not numbers and (whole := sorted(f.name for f in d.glob("*.npy"))):
                    raise BadInput(d, f"holds {', '.join(whole[:3])}{' ...' if len(whole) > 3 else ''} and no frame "
                                      f"files: the tutorial's layout is one file per frame, 0.npy to {T - 1}.npy")
                if not numbers and (inner := sorted(f.name for f in d.iterdir() if f.is_dir())):
                    raise BadInput(d, f"holds folders ({', '.join(inner[:3])}{' ...' if len(inner) > 3 else ''}) "
                                      "and no frame files: a recording's folder holds 0.npy, 1.npy, ... (a link to a "
                                      "sign's folder?)")
                if missing and numbers == list(range(len(numbers))):
                    more = hint(len(numbers))
                    raise BadInput(d, f"truncated sequence: holds {len(numbers)} of {T} frames (recording aborted?"
                                      f"{' ' + more if more else ''})")
                if numbers == list(range(1, T + 1)):
                    raise BadInput(d, f"its frame files are numbered 1 to {T}; the tutorial's start at 0 (0.npy to "
                                      f"{T - 1}.npy): number them from 0")
                if missing:
                    raise BadInput(d, f"frame file(s) {listed_numbers(missing)} of 0-{T - 1} missing (the sequence holds "
                                      f"{len(numbers)} frame files)")
                if len(numbers) > T:
                    more = hint(len(numbers))
                    raise BadInput(d, f"sequence has extra frames {listed_numbers(numbers[T:])} beyond the {T}-frame layout"
                                      f"{' (' + more + ')' if more else ''}")
                X.append(read_frames([d / f"{n}.npy" for n in range(T)], width))
            except BadInput as e:
                if not skip_bad:
                    raise
                skipped.append((e.path, e.problem))
                continue
            labels.append(action)
            sources.append(str(d))
            used += 1
            if len(X) == size:
                yield emit()
                X, labels, sources, skipped = [], [], [], []
        if X or skipped:
            yield emit()
        if not used:
            raise BadInput(root, f"no usable sequence ({len(skipped)} skipped)")

    return Source(root, len(seqs), T, names, chunks, held, dict(Counter(a for a, _ in seqs)), group,
                  width or layout.FRAME_SIZE)
