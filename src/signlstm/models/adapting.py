"""A model made from a person's recordings the one way every front makes it (``signlstm adapt``, ``collect
--then-adapt``, the web page): :func:`choose_method` says how, from what was recorded; :func:`adapt_recordings` loads
the trunk a vocabulary needs, fits, and says what the person should know of the result.

The rule (:func:`choose_method`): recordings whose every sign is one of the base's (under any spelling) adapt the
base itself (:func:`signlstm.models.adapt.adapt`, ``top``); recordings with a sign the base does not know, or any
recordings given to a vocabulary, are a vocabulary of the person's own (:func:`signlstm.models.vocabulary.adapt_vocab`
from :func:`vocabulary_start`): it answers their signs and ``none`` for any other, where the base adapted with new outputs
names nearly every untaught sign as one of them (docs/vocabulary.md).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..datasets import Dataset
from ..errors import SignlstmError
from ..sign_names import NONE, same_signs
from .adapt import METHODS, adapt, adapt_notes, check_base, load_negatives
from .bundle import DEFAULT_MODEL, SPOTTING_MODEL, TRUNK_MODEL, VOCAB, Bundle, is_vocabulary, load_bundle
from .vocabulary import RADIUS, adapt_vocab


@dataclass
class Adapted:
    """What :func:`adapt_recordings` made: the new ``bundle``, the ``method`` that made it, the model it was made
    from (``start``: the base, or the trunk of a vocabulary), and what to tell the person, one (kind, line) each:
    kind ``note``, or ``warning`` for a vocabulary whose recordings mostly show no hand."""
    bundle: Bundle
    method: str
    start: Bundle
    said: list[tuple[str, str]]


def recorded_signs(data: Dataset) -> list[str]:
    """The signs ``data`` holds recordings of (its ``none`` recordings are no sign)."""
    return [a for a in data.actions if a != NONE and (data.labels == a).any()]


def choose_method(base: Bundle, signs) -> str:
    """How recordings of ``signs`` adapt ``base`` when nobody says how: :data:`VOCAB` when ``base`` is a vocabulary
    (its signs are a person's own, recorded again) or some sign is not one of ``base``'s under any spelling
    (:func:`~signlstm.sign_names.same_signs`: "Hello" is the base's "hello"); else ``top``, ``base`` fitted to the
    person."""
    signs = [a for a in signs if a != NONE]
    spelled = same_signs(signs, base.signs)
    return VOCAB if is_vocabulary(base.meta) or not all(a in base.signs or a in spelled for a in signs) else "top"


def vocabulary_start(base: Bundle) -> Bundle:
    """The model whose embedding a vocabulary of recordings given to ``base`` is learnt on: ``base`` itself (a
    model the person chose, their vocabulary, a trunk), unless it is one of the shipped three-sign models (default,
    spotting), whose embedding knows three signs: then the shipped trunk, trained on every kind of sign."""
    from pathlib import Path

    shipped = {DEFAULT_MODEL.resolve(), SPOTTING_MODEL.resolve()}
    return load_bundle(TRUNK_MODEL) if base.path and Path(base.path).resolve() in shipped else base


def adapt_recordings(base: Bundle, data: Dataset, method: str | None = None, trunk: Bundle | None = None,
                     shots: int | None = None, seed: int = 0, radius: float | None = None,
                     keep_base_actions: bool = False, negatives=None, asked=None, base_name: str | None = None,
                     people_seen: bool = True) -> Adapted:
    """``base`` adapted to the recordings ``data``, by ``method`` (default: :func:`choose_method`'s).

    A vocabulary (``vocab``) is learnt from ``trunk`` (default: :func:`vocabulary_start` of ``base``), at ``radius``
    (default :data:`~signlstm.models.vocabulary.RADIUS`), keeping the trunk's own signs when ``keep_base_actions``;
    the other methods fit ``base`` (``shots``, ``seed`` as :func:`~signlstm.models.adapt.adapt` takes them) with the
    recordings of other signs at the paths ``negatives`` as extra ``none`` examples. A vocabulary given to another
    method is refused (:func:`~signlstm.models.adapt.check_base`). The notes are
    :func:`~signlstm.models.adapt.adapt_notes`' (``asked``, ``base_name``, ``people_seen`` as it takes them; a
    vocabulary's say which of ``base``'s own signs it no longer answers), then what a vocabulary's recordings lacked
    in hands."""
    method = method or choose_method(base, recorded_signs(data))
    if method not in (*METHODS, VOCAB):
        raise SignlstmError(f"unknown adaptation method '{method}' (choose from {', '.join((*METHODS, VOCAB))})")
    check_base(base, method)
    if method == VOCAB:
        start = trunk if trunk is not None else vocabulary_start(base)
        bundle = adapt_vocab(start, data, shots=shots, seed=seed, radius=RADIUS if radius is None else radius,
                             keep_base_actions=keep_base_actions)
    else:
        start = base
        bundle = adapt(base, data, shots=shots, seed=seed, method=method,
                       negatives=load_negatives(negatives, base.seq_len))
    said = [("note", n) for n in adapt_notes(start, data, bundle, base_name=base_name, asked=asked, replaced=base,
                                              people_seen=people_seen)]
    said += [(kind, bundle.meta["adapted"][key]) for key, kind in (("hands_unseen", "note"), ("hands_rare", "warning"))
             if bundle.meta["adapted"].get(key)]  # what a vocabulary's shots lacked
    return Adapted(bundle, method, start, said)
