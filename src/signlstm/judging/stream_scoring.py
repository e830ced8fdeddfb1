"""Streams of signs in a row, replayed and scored: a person's keypoint stream built from their own recordings
(:func:`build_stream`): up to ``per_label`` recordings per label (only those with a hand in at least ``min_hands`` of
their frames: a sign nobody can see is not a word), ``others`` other-sign recordings by people the model never saw
(held to the same share of frames with a hand: a recording nobody can see tests no rejection), in a seeded random
order, each segment preceded by a rest of ``rest`` frames (the next segment's first frame with both hands out of view)
and a ``tail``-frame rest at the end. The reference is the person's signs in order, a sign made again counting again.

The stream is replayed frame by frame through :class:`signlstm.recognizer.Recognizer`, the object ``live``, the web
page and the demo use (:func:`replay`), and scored (:func:`score`): word errors (edit distance to the reference),
the same with repeats merged, words emitted on other-sign segments, and latency (frames from the last frame of a
sign to its word). The stream benchmark (:mod:`signlstm.judging.streams`) and the vocabulary benchmark's signs in a
row use them.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from ..datasets.dataset import sources_name
from ..datasets.synthetic_streams import TAIL, compose
from ..layout import SIGN_HANDS

PER_LABEL = 4
OTHERS = 4
REST = (8, 20)
MIN_HANDS = SIGN_HANDS  # only recordings with a hand in this share of their frames are signs in a stream


@dataclass
class Segment:
    """One recording placed in a stream: frames ``start`` .. ``stop - 1``; ``label`` None for another sign;
    ``source`` and ``recorded`` (its label as recorded) name the recording."""

    start: int
    stop: int
    label: str | None
    source: str
    recorded: str = ""


@dataclass
class Stream:
    """One person's continuous stream: its frames and the recordings placed in it (:class:`Segment`), in order."""

    frames: np.ndarray  # (T, 1662)
    segments: list[Segment] = field(default_factory=list)

    @property
    def reference(self) -> list[str]:
        """The words the stream should be read as: the labels of its sign segments, in order."""
        return [s.label for s in self.segments if s.label is not None]


def pick_signs(signs, labels=None, per_label: int = PER_LABEL, min_hands: float = MIN_HANDS, rng=None, rows=None):
    """Indices of up to ``per_label`` recordings per label (of ``labels``, default all) with hands in view, among
    the ``rows`` of ``signs`` (default all)."""
    rng = rng or np.random.default_rng(0)
    rows = np.arange(len(signs)) if rows is None else np.asarray(rows, np.intp)
    ok = signs.hand_shares(rows) >= min_hands
    held = signs.labels[rows]
    out = []
    for label in labels if labels is not None else sorted(set(held.tolist())):
        idx = rows[(held == label) & ok]
        out += rng.choice(idx, min(per_label, len(idx)), replace=False).tolist()
    return out


def build_stream(signs, others, labels=None, seed=0, per_label: int = PER_LABEL, n_others: int = OTHERS,
                 rest=REST, tail: int = TAIL, min_hands: float = MIN_HANDS, rows=None, names=None) -> Stream:
    """One person's stream from ``signs`` (their recordings, a Dataset; only its ``rows`` when given) and ``others``
    (other signs by people the model never saw, a Dataset or None); ``labels`` limits the signs used (e.g. their
    consistent cells); ``seed``: an int or a sequence of ints (:func:`numpy.random.default_rng`); ``names``: each
    label's word in the reference (a label not in it makes other-sign segments; None: every label as recorded)."""
    rng = np.random.default_rng(seed)
    items = [(signs, i, str(signs.labels[i])) for i in pick_signs(signs, labels, per_label, min_hands, rng, rows)]
    if names is not None:
        items = [(data, i, names.get(label)) for data, i, label in items]
    if others is not None and len(others) and n_others:
        items += [(others, int(i), None) for i in rng.choice(len(others), min(n_others, len(others)), replace=False)]
    items = [items[k] for k in rng.permutation(len(items))]
    gaps = [int(rng.integers(rest[0], rest[1] + 1)) for _ in items]
    frames, spans = compose([data.batch([i])[0] for data, i, _ in items], gaps, tail)
    return Stream(frames, [Segment(a, b, label, data.sources[i], str(data.labels[i]))
                           for (a, b), (data, i, label) in zip(spans, items)])


def person_seed(seed: int, person: str, draw: int = 0) -> tuple[int, ...]:
    """The seed of one person's stream number ``draw``: every person's streams in their own order and recordings,
    the same on every run."""
    return (seed, zlib.crc32(person.encode())) + ((draw,) if draw else ())


def person_stream(data, others=None, seed: int = 0, per_label: int = PER_LABEL, n_others: int = OTHERS,
                  model=None) -> tuple[Stream, list[str]]:
    """(the stream of :func:`build_stream`, note lines) for one person's recordings (``data``, paths) with other
    signs from ``others`` (paths or None), seeded for that person (:func:`person_seed`). Its signs and reference are
    what :func:`benchmark` scores for the ``model`` (a bundle folder; default the shipped default model): each sign the
    model knows under the model's name for it; recordings of signs it does not know, recordings labelled as no sign,
    other-sign recordings that are the model's signs and those with a hand in fewer than ``MIN_HANDS`` of their
    frames are left out; each said in a note. A person none of whose signs the model knows (their own vocabulary, for
    a model adapted to it) gets every sign under its own name, with a note. :class:`SignlstmError` when no recording
    of those signs shows a hand, or ``data`` holds more than one person."""
    from ..datasets import load
    from ..datasets.training_sets import usable_negatives
    from ..errors import BadInput, SignlstmError
    from ..models.bundle import DEFAULT_MODEL, load_bundle, read_meta
    from ..sign_names import is_rejection_name, rejection_note
    from .labels import match_labels

    signs = load(data)
    people = sorted(set(signs.groups.tolist()))
    if len(people) != 1:
        raise SignlstmError(f"--write-stream takes one person's recordings in --data, got {len(people)}: "
                            f"{', '.join(people)}")
    rejected = np.array([is_rejection_name(a) for a in signs.labels.tolist()], bool)
    if rejected.all():
        raise SignlstmError(f"--write-stream: every recording of {people[0]} is labelled none: no signs to make a "
                            "stream of")
    meta = load_bundle(model).meta if model else read_meta(DEFAULT_MODEL)  # the network's outputs checked too
    counts = {people[0]: dict(zip(*map(np.ndarray.tolist, np.unique(signs.labels, return_counts=True))))}
    signs = signs.subset(~rejected)  # recordings of no sign are not words of the reference
    signs.actions = [a for a in signs.actions if not is_rejection_name(a)]
    known = " the model knows"
    try:
        names, _, notes = match_labels(counts, meta["labels"], meta.get("reject_label"))
        signs = signs.subset(np.isin(signs.labels, list(names)))  # signs the model does not know: not scored
    except SignlstmError:  # none of them is the model's: their own vocabulary, under its own names
        known = ""
        names = {a: a for a in signs.actions}
        left = rejection_note({a: n for a, n in counts[people[0]].items() if is_rejection_name(a)})
        notes = [left] if left else []
        signs_known = ", ".join(a for a in meta["labels"] if a != meta.get("reject_label"))
        whose = f"{model}'s" if model else "the default model's"
        notes.append(f"note: none of {people[0]}'s signs is one of {whose} ({signs_known}): the stream holds them "
                     "all, under their own names (replay it with a model that knows them)")
    if not (signs.hand_shares() >= MIN_HANDS).any():
        raise BadInput(sources_name(signs.sources[:1]), f"no recording of {people[0]}'s signs{known} shows a hand in "
                       f"at least {MIN_HANDS:.0%} of its frames: nothing to replay as signs")
    others = load(others) if others else None
    if others is not None:
        keep = usable_negatives(others, [a for a in meta["labels"] if a != meta.get("reject_label")])
        if not keep.all():
            notes.append(f"note: left out {int((~keep).sum())} other-sign recording(s) that are the model's signs "
                         "(as training leaves them out)")
        others, note = _shown_others(others.subset(keep))
        notes += [note] if note else []
    return build_stream(signs, others, seed=person_seed(seed, people[0]), per_label=per_label,
                        n_others=n_others, names=names), notes


def _shown_others(others):
    """(``others`` with a hand in at least ``MIN_HANDS`` of their frames, as a stream's signs must have, or None; the
    note line saying how many were left out, or None)."""
    shown = others.hand_shares() >= MIN_HANDS
    return (others.subset(shown) if shown.any() else None), handless_note(int((~shown).sum()))


def handless_note(n: int) -> str | None:
    """The note for ``n`` other-sign recordings left out for showing a hand in too few frames, or None for none."""
    return (f"note: left out {n} other-sign recording(s) with a hand in fewer than {MIN_HANDS:.0%} of their frames "
            "(as the signs are)" if n else None)


def save_stream(stream: Stream, path) -> None:
    """Write ``stream``'s frames to the ``.npy`` file ``path`` atomically: float16 when that holds them exactly (as it
    does recordings stored as float16), else float32."""
    from ..files import write_atomic

    frames = stream.frames.astype(np.float16)
    if not np.array_equal(frames, stream.frames):
        frames = stream.frames.astype(np.float32)

    def save(f_path):
        with open(f_path, "wb") as f:  # a file object: np.save would add .npy to the temporary name
            np.save(f, frames)

    write_atomic(path, save)


def replay(make, frames, predict=None) -> list[tuple[int, str]]:
    """(frame, word) for every word a recognizer emits while fed ``frames`` one by one, as ``live`` feeds it.

    ``make(classify)`` builds the recognizer (``classify`` None: its bundle's compiled per-window path). With
    ``predict`` (a batched ``Bundle.predict``), the same recognizer is run twice: once to collect the windows it
    classifies (which depend on the frames and the rule, never on the probabilities), then with those windows'
    probabilities from one batched forward pass. Same words, many times faster (tested against the per-window path).
    """
    if predict is None:
        return _feed(make(None), frames)
    windows = []
    probe = make(lambda w: windows.append(w) or np.zeros(len(probe.labels), np.float32))
    _feed(probe, frames)
    probs = iter(predict(np.stack(windows)) if windows else [])
    return _feed(make(lambda w: next(probs)), frames)


def _feed(recognizer, frames) -> list[tuple[int, str]]:
    out = []
    for f in frames:
        step = recognizer.update(f)
        if step.word:
            out.append((step.frame, step.word))
    step = recognizer.finish()  # the end of the stream, as `live` ends a video or a keypoint file
    if step.word:
        out.append((step.frame, step.word))
    return out


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Levenshtein distance between two word lists: substitutions, insertions and deletions, each counting one."""
    n, m = len(ref), len(hyp)
    d = np.zeros((n + 1, m + 1), np.int64)
    d[:, 0], d[0, :] = np.arange(n + 1), np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i, j] = min(d[i - 1, j] + 1, d[i, j - 1] + 1, d[i - 1, j - 1] + (ref[i - 1] != hyp[j - 1]))
    return int(d[n, m])


def merge_repeats(words: list[str]) -> list[str]:
    """``words`` with each run of one word repeated back to back kept once (``a a b a`` -> ``a b a``)."""
    return [w for k, w in enumerate(words) if k == 0 or words[k - 1] != w]


def score(stream: Stream, emitted: list[tuple[int, str]]) -> dict:
    """Word errors, errors with repeats merged, words on other-sign segments and latencies of one replay.

    Word errors are the edit distance between the reference and the words said, in order (the usual word error rate:
    a word counts by its label and place in the sentence, not its time). Words on other signs and latency are read in
    time: a word belongs to the segment whose span (its first frame up to the next segment's first frame) holds the
    frame it was emitted on. Every word in another sign's span is a word on another sign (one emitted on the rest
    before the first segment belongs to no segment: an insertion only); a sign's latency is the frame of the first
    word in its own span that names it, minus the sign's last frame (a sign without one has none).
    """
    ref = stream.reference
    hyp = [w for _, w in emitted]
    errors = edit_distance(ref, hyp)
    merged = edit_distance(merge_repeats(ref), merge_repeats(hyp))
    starts = np.array([s.start for s in stream.segments])
    said: list[list[tuple[int, str]]] = [[] for _ in stream.segments]
    for frame, word in emitted:
        k = int(np.searchsorted(starts, frame, side="right")) - 1
        if k >= 0:
            said[k].append((frame, word))
    latencies = []
    for seg, words in zip(stream.segments, said):
        right = [frame for frame, word in words if seg.label is not None and word == seg.label]
        if right:
            latencies.append(right[0] - (seg.stop - 1))
    on_others = sum(len(words) for seg, words in zip(stream.segments, said) if seg.label is None)
    return {"ref": len(ref), "errors": errors, "merged_ref": len(merge_repeats(ref)), "merged_errors": merged,
            "others": sum(s.label is None for s in stream.segments), "other_words": int(on_others),
            "latencies": latencies, "words": hyp}


def pool(rows: list[dict]) -> dict:
    """Pooled figures over several scored streams."""
    ref = sum(r["ref"] for r in rows)
    mref = sum(r["merged_ref"] for r in rows)
    others = sum(r["others"] for r in rows)
    lat = [x for r in rows for x in r["latencies"]]
    return {"ref": ref, "wer": sum(r["errors"] for r in rows) / ref if ref else float("nan"),
            "wer_merged": sum(r["merged_errors"] for r in rows) / mref if mref else float("nan"),
            "other_segments": others,
            "other_words": sum(r["other_words"] for r in rows) / others if others else float("nan"),
            "latency_median": float(np.median(lat)) if lat else float("nan"),
            "latency_p95": float(np.percentile(lat, 95)) if lat else float("nan")}
