"""The data's labels as a ready model names them. For the benchmarks that score a model's answers (``streams``,
``fewshot``, :func:`match_labels`): each label matched to one of the model's by :func:`signlstm.sign_names.sign_key`
("Hello", "thank you" are the model's "hello", "thanks"); recordings labelled ``none`` (no sign) and those of signs the
model does not know are left out of the scoring, each said in a note line. For ``signlstm evaluate``
(:func:`scored_labels`): the model's signs under another spelling are scored as them, with a note, and signs it does
not know are scored by how often it answers its rejection label."""
from __future__ import annotations

import dataclasses

import numpy as np

from ..sign_names import is_rejection_name, rejection_note, same_signs, shown_name


def count_span(values) -> str:
    """Recordings per sign (``values``) as "6-8", or "30" when they are all one number."""
    lo, hi = min(values), max(values)
    return f"{lo}" if lo == hi else f"{lo}-{hi}"


def none_left(counts: dict[str, int], k: int) -> str | None:
    """Why K shots of each sign leave none of a person's recordings (``counts`` per sign) to test, or None."""
    if counts and max(counts.values()) > k:
        return None
    return leaves_none(counts, k)


def leaves_none(counts: dict[str, int], k: int) -> str:
    """The reason a person with ``counts`` recordings per sign has none left to test after ``k`` shots."""
    return f"{count_span(counts.values() or [0])} recording(s) per sign, K = {k} leaves none to test"


def used_up_note(person: str, counts: dict[str, int], short: dict[int, list[str]]) -> str | None:
    """The note naming ``person``'s signs that K shots use up at each K (``short``: K -> those signs, K or fewer
    recordings each: all shots, none tested; ``counts``: recordings per sign), or None when there are none."""
    parts = [f"K = {k}: {', '.join(f'{shown_name(a)} ({counts[a]})' for a in signs)}" for k, signs in short.items()
             if signs]
    return (f"note: {person}: signs with K or fewer recordings are all shots and not tested: " + "; ".join(parts)
            if parts else None)


def rejection_counts(label_counts) -> dict[str, int]:
    """Recordings labelled ``none`` (any case) in each of ``label_counts`` (label -> recordings), summed per label."""
    rejected: dict[str, int] = {}
    for counts in label_counts:
        for label, n in counts.items():
            if n and is_rejection_name(label):
                rejected[label] = rejected.get(label, 0) + n
    return rejected


def match_labels(counts: dict[str, dict[str, int]], labels, reject: str | None) -> tuple[dict[str, str], list[str],
                                                                                            list[str]]:
    """The data's labels matched to a model's ``labels`` (its rejection label ``reject`` aside). ``counts``: person ->
    recordings per label. Returns (data label -> the model's label, for the labels kept; the people left with
    recordings to score; note lines for what is left out). Raises :class:`~signlstm.errors.SignlstmError` (one line)
    when nothing is left to score."""
    from ..errors import SignlstmError

    signs = [a for a in labels if a != reject and not is_rejection_name(a)]
    said = {a for c in counts.values() for a, n in c.items() if n and not is_rejection_name(a)}
    mapping = {**{a: a for a in said if a in signs}, **same_signs(said, signs)}
    rejected, unknown = rejection_counts(counts.values()), {}
    for person_counts in counts.values():
        for label, n in person_counts.items():
            if n and not is_rejection_name(label) and label not in mapping:
                unknown[label] = unknown.get(label, 0) + n
    people = [p for p, c in counts.items() if any(n and a in mapping for a, n in c.items())]
    if not people:
        said = ", ".join(shown_name(a) for a in sorted({a for c in counts.values() for a in c})[:10]) or "none"
        raise SignlstmError(f"nothing to score: none of the data's labels ({said}) is one of the model's signs "
                            f"({', '.join(signs)})")
    def whose(keep) -> str:  # with several people, whose recordings a note counts: "; alice: please (4)"
        if len(counts) < 2:
            return ""
        mine = {p: [(a, n) for a, n in sorted(c.items()) if n and keep(a)] for p, c in counts.items()}
        shown = [f"{shown_name(p)}: " + ", ".join(f"{shown_name(a)} ({n})" for a, n in m) for p, m in mine.items() if m]
        return "; by person: " + "; ".join(shown[:10]) + (f"; and {len(shown) - 10} more" if len(shown) > 10 else "")

    notes = [rejection_note(rejected) + whose(is_rejection_name)] if sum(rejected.values()) else []
    if unknown:
        shown = ", ".join(f"{shown_name(a)} ({n})" for a, n in sorted(unknown.items()))
        notes.append(f"note: not scored, the data's action(s) the model does not know: {shown} (it knows "
                     f"{', '.join(signs)})" + whose(lambda a: a in unknown))
    if len(people) < len(counts):
        notes.append(f"note: left out {', '.join(p for p in counts if p not in people)}: none of their recordings "
                     "is one of the model's signs")
    return mapping, people, [n for n in notes if n]


def renamed(data, mapping: dict[str, str]):
    """``data``'s recordings whose label ``mapping`` keeps, under the model's label (:func:`match_labels`); the same
    frames, not a copy, when it keeps them all."""
    keep = np.isin(data.labels, list(mapping))
    sub = (data if keep.all() else data.subset(keep)).renamed(mapping)
    return dataclasses.replace(sub, actions=[a for a in sub.actions if (sub.labels == a).any()])


def scored_labels(sources, bundle, actions: list[str]) -> tuple[list[str], dict[str, str], list[str]]:
    """What ``signlstm evaluate`` scores beside the signs ``actions`` (the model's, or ``--actions``): (the data's
    labels the model does not know, scored by how often it answers its rejection label to them; the data's spellings
    of the model's signs in ``actions`` (data label -> the model's: "Hello" -> "hello"), scored as those signs; the
    note lines that say what is scored under another name, what is left out and why). Recordings labelled ``none``,
    and the model's own signs left out of ``actions``, are neither; without a rejection label, labels the model does
    not know are not scored either."""
    from ..sign_names import shown_list

    notes = []
    rejected = rejection_counts(src.label_counts for src in sources)
    rejected = {label: n for label, n in rejected.items() if label not in actions}
    if rejected:
        notes.append(rejection_note(rejected))
    held = {a for src in sources for a, n in src.label_counts.items() if n}  # an empty sign folder holds nothing
    other = sorted({a for src in sources for a in src.actions if a in held and not is_rejection_name(a)}
                   - set(actions) - {bundle.reject_label})
    signs = bundle.signs
    spelled = same_signs(other, signs)  # the model's signs under another spelling: scored as them, if in actions
    scored = {a: sign for a, sign in spelled.items() if sign in actions}
    if scored:
        notes.append(f"note: scored as the model's sign(s) they name: "
                     f"{shown_list([f'{a} as {sign}' for a, sign in scored.items()])}")
    left = [a for a in other if (a in signs or a in spelled) and a not in scored]  # what --actions leaves out
    if left:
        notes.append(f"note: not scored, the model's own sign(s) left out of --actions: "
                     f"{shown_list([f'{a} ({spelled[a]})' if a in spelled else a for a in left])}")
    unknown = [a for a in other if a not in left and a not in scored]
    if unknown and bundle.reject_label:
        notes.append(f"note: the data's action(s) the model does not know, scored by how often it answers "
                     f"{bundle.reject_label} to them: {shown_list(unknown)} (it knows {shown_list(signs)})")
    elif unknown:
        notes.append(f"note: not scored, the data's action(s) the model does not know (it has no rejection label): "
                     f"{shown_list(unknown)}")
        unknown = []
    return unknown, scored, notes
