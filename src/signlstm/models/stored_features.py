"""Trunk features stored beside a bundle, so that adapting needs no recordings but the person's: the base's own signs
(``examples.npz``, which ``adapt --vocabulary --keep-base-actions`` adds to a vocabulary) and other people's other signs
(``other_signs.npz``, the ``none`` examples of ``adapt``). Written atomically; read with every declared size, type and
value checked first."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ..datasets import Dataset
from ..sign_names import NONE, not_among
from ..errors import SignlstmError, first_line
from ..wording import counted
from .bundle import Bundle
from .cut import trunk_forward, trunk_width

BASE_EXAMPLES = "examples.npz"  # in a bundle folder: trunk features of recordings of the base's own signs
BASE_PER_SIGN = 20  # recordings per sign kept there
OTHER_SIGNS = "other_signs.npz"  # in a bundle folder: trunk features of other-sign recordings, for adapt's 'none'
OTHER_SIGNS_KEPT = 200  # recordings stored there (a seeded choice of the training negatives)
OTHER_SIGNS_COPIES = 4  # rows per recording: the window and augmented copies, as adapt augments its own windows


def base_signs(base: Bundle) -> list[str]:
    """The base's own signs a vocabulary may keep: its labels but ``none`` and a trunk's person classes (``o07/a``)."""
    return [a for a in base.labels if a not in (NONE, base.reject_label) and "/" not in a]


def write_base_examples(bundle_dir, data: Dataset, per_sign: int = BASE_PER_SIGN, seed: int = 0) -> dict[str, int]:
    """Store in ``bundle_dir`` (a saved bundle) its :func:`base_example_arrays` of ``data``, atomically. Returns the
    counts written."""
    from .bundle import load_bundle

    arrays, counts = base_example_arrays(load_bundle(bundle_dir), data, per_sign, seed)
    _store(bundle_dir, BASE_EXAMPLES, **arrays)
    return counts


def base_example_arrays(base: Bundle, data: Dataset, per_sign: int = BASE_PER_SIGN,
                        seed: int = 0) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """(arrays of :data:`BASE_EXAMPLES`, counts per sign): the trunk features of at most ``per_sign`` recordings
    (seeded choice) of each of ``base``'s :func:`base_signs` found in ``data``, so
    ``signlstm.models.vocabulary.adapt_vocab(..., keep_base_actions=True)`` can keep those signs without their
    recordings."""
    want = [a for a in base_signs(base) if (data.labels == a).any()]
    rng = np.random.default_rng(seed)
    idx = np.sort(np.concatenate([rng.choice(pool, min(per_sign, len(pool)), replace=False)
                                  for pool in (np.flatnonzero(data.labels == a) for a in want)])) if want else []
    F = trunk_forward(base.model)(data.batch(idx)) if len(idx) else np.zeros((0, 0))
    labels = np.array(data.labels[idx] if len(idx) else [], dtype=str)
    return {"F": np.asarray(F, np.float16), "labels": labels}, {a: int((labels == a).sum()) for a in want}


def other_sign_arrays(base: Bundle, negatives: Dataset, n: int = OTHER_SIGNS_KEPT, seed: int = 0) -> dict:
    """The arrays of :data:`OTHER_SIGNS`: ``F``, the trunk features (where :func:`signlstm.models.cut.split_model`
    cuts ``base``) of at most ``n`` recordings of ``negatives`` (a seeded choice of those
    :func:`signlstm.datasets.training_sets.usable_negatives` keeps beside the base's signs), each as the window and
    ``OTHER_SIGNS_COPIES - 1`` augmented copies: (recordings, copies, features) float16; ``labels``, the sign each
    recording is of, so that a person's own sign of that name is not taught as ``none`` (:func:`other_signs_beside`)."""
    from ..datasets import augment as aug
    from ..datasets.training_sets import usable_negatives

    pool = np.flatnonzero(usable_negatives(negatives, base.labels))
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(pool, min(n, len(pool)), replace=False))
    X = negatives.batch(idx)
    forward = trunk_forward(base.model)
    F = [forward(X)] + [forward(aug.augment(X, rng)) for _ in range(OTHER_SIGNS_COPIES - 1)]
    return {"F": np.stack([np.asarray(f, np.float16) for f in F], axis=1),
            "labels": np.array(negatives.labels[idx].tolist(), dtype=str)}


def other_signs_beside(others: dict, actions) -> np.ndarray:
    """The rows of ``others`` (:func:`other_sign_arrays`' arrays) that may be taught as ``none`` beside ``actions``:
    those of other signs than the actions, under any spelling (:func:`~signlstm.sign_names.sign_key`); all of them
    when they carry no labels (a bundle written before labels were kept). (recordings, copies, features) float32."""
    F, labels = np.asarray(others["F"], np.float32), others.get("labels")
    if labels is None:
        return F
    return F[np.array(not_among(np.asarray(labels).tolist(), actions), bool)]


def write_other_signs(bundle_dir, negatives: Dataset, n: int = OTHER_SIGNS_KEPT, seed: int = 0) -> int:
    """Store :func:`other_sign_arrays` of ``negatives`` in ``bundle_dir`` (a saved bundle with a rejection label),
    written atomically, for :func:`signlstm.models.adapt.adapt` to keep rejecting other signs when it is given none.
    Returns the count."""
    from .bundle import load_bundle

    arrays = other_sign_arrays(load_bundle(bundle_dir), negatives, n, seed)
    _store(bundle_dir, OTHER_SIGNS, **arrays)
    return len(arrays["F"])


def npz_bytes(**arrays) -> bytes:
    """``arrays`` as the bytes of a compressed ``.npz``, made in memory (a file is then written whole or not at all:
    numpy leaves its zip archive open on a failed write)."""
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def _store(bundle_dir, name: str, **arrays) -> None:
    """Write ``arrays`` to ``bundle_dir/name`` (a compressed .npz beside the model), atomically."""
    from ..files import write_atomic

    data = npz_bytes(**arrays)
    write_atomic(Path(bundle_dir) / name, lambda path: Path(path).write_bytes(data))


def _stored(base: Bundle, name: str, shapes: dict[str, tuple[str, ...]], width: int | None = None,
            text: tuple[str, ...] = (), what: str = "features",
            optional: tuple[str, ...] = ()) -> dict[str, np.ndarray] | None:
    """The arrays of ``base``'s ``name`` file (written by :func:`_store`), or None when the bundle has none. ``shapes``:
    array -> what it holds, one name per dimension; a dimension named in several arrays has one size in all of them,
    and ``features`` is ``width`` values (the trunk's) unless there are no rows. Arrays in ``text`` hold names, the
    others finite numbers (``what``: what the features are, for messages); those in ``optional`` may be absent, and
    are then left out of the result. Declared sizes and types are checked
    before anything is read; a file that breaks any of this is :class:`BadInput` naming it."""
    from .. import limits
    from ..errors import BadInput
    from ..outputs import not_a_file

    path = Path(base.path) / name if base.path else None
    if path is not None and (problem := not_a_file(path)):
        raise BadInput(path, problem)
    if path is None or not path.is_file():
        return None
    members = limits.npz_members(path)
    sizes: dict[str, tuple[str, int]] = {}
    shapes = {key: dims for key, dims in shapes.items() if key in members or key not in optional}
    for key, dims in shapes.items():
        if key not in members or len(members[key].header.shape) != len(dims):
            raise BadInput(path, f"holds no ({', '.join(dims)}) array {key}")
        header = members[key].header
        limits.check_declared(path, key, header.shape, header.dtype, limits.MODEL_LIMIT)
        if header.dtype.kind not in ("US" if key in text else "fiu"):
            raise BadInput(path, f"{key} holds {header.dtype} values, not {'names' if key in text else 'numbers'}")
        for dim, n in zip(dims, header.shape):
            first = sizes.setdefault(dim, (key, n))
            if first[1] != n:
                raise BadInput(path, f"{key} has {n} {dim} but {first[0]} has {first[1]}")
    rows = sizes[next(iter(shapes.values()))[0]][1]
    empty = [dim for dim, (_, n) in sizes.items() if n == 0]
    if rows and empty:
        raise BadInput(path, f"holds {rows} recordings but no {empty[0]}")
    if width is not None and "features" in sizes and rows and sizes["features"][1] != width:
        raise BadInput(path, f"its {what} have {sizes['features'][1]} values each, the model's trunk gives {width}: "
                             "write them again for this model")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {key: z[key] for key in shapes}
    except (OSError, ValueError, EOFError) as e:
        raise BadInput(path, f"not a readable .npz file ({first_line(e)})") from None
    for key, a in arrays.items():
        if key not in text and not np.isfinite(a).all():
            bad = int((~np.isfinite(a)).sum())
            raise BadInput(path, f"{key} holds {counted(bad, 'value', grouped=True)} that "
                                 f"{'is not a finite number' if bad == 1 else 'are not finite numbers'} "
                                 "(NaN or infinity)")
    return arrays


def stored_other_signs(base: Bundle) -> dict | None:
    """The other-sign arrays stored with ``base`` (:func:`write_other_signs`): ``F`` float32 and ``labels`` (absent
    from a bundle written before they were kept), or None."""
    stored = _stored(base, OTHER_SIGNS, {"F": ("recordings", "copies", "features"), "labels": ("recordings",)},
                     width=trunk_width(base.model), text=("labels",), what="other-sign features", optional=("labels",))
    return None if stored is None else {**stored, "F": stored["F"].astype(np.float32)}


def base_examples(base: Bundle, skip) -> tuple[np.ndarray, np.ndarray]:
    """The stored features and labels of the base's signs not in ``skip``, under any spelling
    (:func:`~signlstm.sign_names.sign_key`; see :func:`write_base_examples`)."""
    from ..errors import BadInput

    width = trunk_width(base.model)
    stored = _stored(base, BASE_EXAMPLES, {"F": ("recordings", "features"), "labels": ("recordings",)}, width=width,
                     text=("labels",), what="sign features")
    if stored is None:
        raise SignlstmError(f"cannot keep the base's signs: {base.path or 'the base'} holds no recordings of them "
                            f"({BASE_EXAMPLES}); add recordings of the signs you want to --data instead")
    F, labels = stored["F"].astype(np.float32).reshape(-1, width), stored["labels"].astype(str)
    unknown = sorted(set(labels.tolist()) - set(base_signs(base)))
    if unknown:
        raise BadInput(Path(base.path) / BASE_EXAMPLES, f"labels name {len(unknown)} sign(s) that are not the model's "
                                                        f"own ({', '.join(map(repr, unknown[:5]))})")
    keep = np.array(not_among(labels.tolist(), skip), bool)
    return F[keep], labels[keep]
