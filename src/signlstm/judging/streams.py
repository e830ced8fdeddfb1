"""Continuous-signing benchmark: several signs in a row, rests between, other signs mixed in.

For each held-out person a keypoint stream is built from their own recordings (:func:`build_stream`): up to
``per_label`` recordings per label (only those with a hand in at least ``min_hands`` of their frames: a sign nobody
can see is not a word), ``others`` other-sign recordings by people the model never saw (held to the same share of
frames with a hand: a recording nobody can see tests no rejection), in a seeded random order,
each segment preceded by a rest of ``rest`` frames (the next segment's first frame with both hands out of view) and
a ``tail``-frame rest at the end. The reference is the person's signs in order, a sign made again counting again.

The stream is replayed frame by frame through :class:`signlstm.recognizer.Recognizer`, the object ``live``, the web
page and the demo use (:func:`replay`), and scored (:func:`score`): word errors (edit distance to the reference),
the same with repeats merged, words emitted on other-sign segments, and latency (frames from the last frame of a
sign to its word). :func:`run` does it for every person and rule on leave-one-person-out bases (each rule on bases
of the recipe made for it: :func:`signlstm.models.recipes.for_rule`), on the consistent-gesture cells and on all
cells, with each base's window-level rejection figures beside.
"""
from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..models.bundle import META_FILE
from ..datasets.dataset import sources_name
from ..datasets.synthetic_streams import TAIL, compose
from ..layout import SIGN_HANDS

PER_LABEL = 4
OTHERS = 4
REST = (8, 20)
MIN_HANDS = SIGN_HANDS  # only recordings with a hand in this share of their frames are signs in a stream
DRAWS = 3  # streams per person and cell set: one draw of 4 recordings per label varies by several points of WER


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
    from ..models.bundle import DEFAULT_MODEL, read_meta
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
    meta = read_meta(model or DEFAULT_MODEL)
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
        notes.append(f"note: none of {people[0]}'s signs is one of the default model's ({signs_known}): the stream "
                     "holds them all, under their own names (replay it with a model that knows them)")
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
    return (others.subset(shown) if shown.any() else None), _handless_note(int((~shown).sum()))


def _handless_note(n: int) -> str | None:
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


# ---------------------------------------------------------------------------------------------------- the benchmark

CELLSETS = ("consistent", "recognised", "all")


def fold(task: dict) -> dict:
    """One held-out person: their streams (consistent cells, all cells; ``draws`` streams of each, other recordings in
    another order) replayed under every rule on the base of that rule's recipe that never saw them
    (``task["bases"]``: recipe -> bundle folder), and each base's window-level rejection figures. A third cell set,
    ``recognised``, holds only the consistent cells' recordings the ``default`` base names rightly on their own (the
    30 frames as recorded, one window): a word lost there is lost to the stream, the rule or a probability under the
    rule's threshold, not to the base naming the sign wrongly. With ``task["adapt"]`` = K, every base is first
    adapted to K of the person's recordings per sign (:func:`signlstm.models.adapt.adapt`, as ``signlstm adapt --shots
    K`` adapts a base that ``signlstm train --negatives`` made: with features of other signs it was trained on,
    ``task["adapt_negatives"]``, stored with it), and the streams and window figures are made of their other
    recordings. Other-sign recordings with a hand in fewer than ``MIN_HANDS`` of their frames are left out, as the
    signs are (``others_handless`` names them); a person none of whose recordings shows a hand gets no streams and
    no adapting (``no_hands``)."""
    from ..models.adapt import adapt, choose_shots, load_negatives
    from ..models.stored_features import other_sign_arrays
    from ..datasets import load
    from ..models.bundle import load_bundle
    from ..recognizer import Recognizer, decide
    from ..datasets.training_sets import usable_negatives
    from .labels import renamed

    signer = task["signer"]
    bundles = {recipe: load_bundle(path) for recipe, path in task["bases"].items()}
    # only the parts the bases read, as float16 (as training holds them): 13x less than whole float32 frames
    held = {"parts": sorted({p for b in bundles.values() for p in b.parts_read}), "dtype": np.float16}
    data = load(task["signs"], **held)
    if not (data.groups == signer).all():  # (the person's own files hold only them: no copy)
        data = data.subset(data.groups == signer)
    if task.get("labels") is not None:  # the person's labels as the models name them (:func:`benchmark`)
        data = renamed(data, task["labels"])
    no_hands = not (data.hand_shares() >= MIN_HANDS).any()
    if task.get("adapt") and not no_hands:
        pick = choose_shots(data, task["adapt"], task["seed"])
        negatives = load_negatives(task.get("adapt_negatives"), data.seq_len)
        # as `signlstm train --negatives` stores them with a base, for `adapt` without --negatives
        bundles = {recipe: adapt(b, data.subset(pick), seed=task["seed"],
                                 other_signs=None if negatives is None else other_sign_arrays(b, negatives))
                   for recipe, b in bundles.items()}
        data = data.subset(np.setdiff1d(np.arange(len(data)), pick))
    others = load(task["others"], **held) if task["others"] else None
    out = {"signer": signer, "streams": {}, "windows": {}, "others_left_out": [], "others_handless": [],
           "no_hands": no_hands}
    if others is not None:  # other signs that are the models' signs under another spelling: left out, as in training
        keep = usable_negatives(others, sorted({a for b in bundles.values() for a in b.labels}))
        out["others_left_out"] = sorted({(src, str(a)) for src, a, k in zip(others.sources, others.labels, keep)
                                         if not k})
        others = others.subset(keep) if keep.any() else None
    if others is not None:
        shown = others.hand_shares() >= MIN_HANDS
        out["others_handless"] = sorted((src, str(a)) for src, a, k in zip(others.sources, others.labels, shown)
                                        if not k)
        others = others.subset(shown) if shown.any() else None
    said = {recipe: decide(b.labels, data.apply(b.predict)) for recipe, b in bundles.items()}
    labels = {"consistent": list(task["consistent"]), "recognised": list(task["consistent"]), "all": None}
    for cellset in CELLSETS:
        if no_hands or cellset != "all" and not labels[cellset]:
            continue
        signs = data.subset(said["default"] == data.labels) if cellset == "recognised" else data
        for draw in range(task.get("draws", DRAWS)):
            stream = build_stream(signs, others, labels[cellset], seed=person_seed(task["seed"], signer, draw),
                                  per_label=task.get("per_label", PER_LABEL), n_others=task.get("n_others", OTHERS))
            for name, settings in task["rules"]:
                bundle = bundles[rule_recipe(name, settings)]
                emitted = replay(lambda c: Recognizer(bundle, classify=c, **settings), stream.frames, bundle.predict)
                out["streams"].setdefault((name, cellset), []).append(score(stream, emitted))
    share = data.hand_shares()
    consistent = np.isin(data.labels, list(task["consistent"]))
    for recipe, bundle in bundles.items():
        rejected = said[recipe] == bundle.reject_label
        windows = out["windows"][recipe] = {}
        for cellset, mask in (("consistent", consistent), ("all", np.ones(len(data), bool))):
            m = mask & (share >= MIN_HANDS)
            windows[cellset] = (int(rejected[m].sum()), int(m.sum()))
        if others is not None and task.get("window_others", True) and not no_hands:  # a person left out: all of it
            told = decide(bundle.labels, others.apply(bundle.predict))
            windows["others"] = (int((told == bundle.reject_label).sum()), len(others))
    return out


def run(signers: dict, bases: dict, others: dict, cells, rules, seed: int = 0, workers: int = 0, ray=None,
        per_label: int = PER_LABEL, n_others: int = OTHERS,
        draws: int = DRAWS, adapt: int | None = None, adapt_negatives: dict | None = None,
        labels: dict | None = None, others_once: bool = False) -> list[dict]:
    """Every held-out person's :func:`fold`, in worker processes. ``signers``: person -> their sign file(s);
    ``bases``: recipe -> person -> base bundle folder (trained without them; ``default`` always, others as the rules
    need); ``others``: person -> other-sign file(s) of people those bases never saw; ``cells``:
    :class:`~signlstm.judging.cells.Cells`; ``rules``: (name, Recognizer keyword arguments) pairs; ``adapt``: K
    recordings per sign each base is adapted to first, with ``adapt_negatives`` (person -> other-sign files) as
    extra ``none`` examples (see :func:`fold`); ``labels``: the data's labels kept, each to the models' name for it
    (:func:`signlstm.judging.labels.match_labels`; None: every label as recorded); ``others_once``: every person
    has the same models and other signs (``--shipped``), so the window-level rejection of other signs is measured
    with the first person's models only, each recording counted once."""
    from .. import parallel

    tasks = [{"signer": s, "bases": {recipe: str(folders[s]) for recipe, folders in bases.items()},
              "signs": [str(p) for p in signers[s]],
              "others": [str(p) for p in others.get(s, [])], "consistent": cells.include.get(s, ()),
              "rules": list(rules), "seed": seed, "labels": labels,
              "per_label": per_label, "n_others": n_others, "draws": draws, "adapt": adapt,
              "adapt_negatives": [str(p) for p in (adapt_negatives or {}).get(s, [])],
              "window_others": not (others_once and i)}
             for i, s in enumerate(sorted(bases["default"]))]
    return list(parallel.map_tasks(fold, tasks, workers=workers, ray=ray))


def summarise(folds: list[dict], rules) -> dict:
    """Pooled stream figures per (rule, cellset), per-person rows, and the pooled window-level rejection per recipe."""
    table = {}
    for name, _ in rules:
        for cellset in CELLSETS:
            rows = {f["signer"]: f["streams"][(name, cellset)] for f in folds if (name, cellset) in f["streams"]}
            table[f"{name}|{cellset}"] = {"pooled": pool([r for rs in rows.values() for r in rs]),
                                      "signers": {s: pool(rs) for s, rs in rows.items()}}
    windows = {}
    for recipe in sorted({r for f in folds for r in f["windows"]}):
        counts = [f["windows"][recipe] for f in folds if recipe in f["windows"]]
        for key in ("consistent", "all", "others"):
            hit = sum(c[key][0] for c in counts if key in c)
            n = sum(c[key][1] for c in counts if key in c)
            windows.setdefault(recipe, {})[key] = {"rejected": hit, "n": n, "share": hit / n if n else float("nan")}
    return {"streams": table, "windows": windows}


def _has_none(files) -> bool:
    """Whether any of the person ``files`` declares recordings labelled ``none`` (read from their headers): a base
    trained on them learns other signs from them, as from ``--negatives``."""
    from ..datasets import open_sources
    from ..sign_names import NONE

    return any(s.label_counts.get(NONE) for s in open_sources(files))


def rule_recipe(name: str, settings: dict) -> str:
    """The recipe whose bases a compared rule (``name`` and its Recognizer keyword arguments) is replayed on."""
    from ..models.recipes import for_rule

    return for_rule(settings.get("rule", name))


def fold_plan(signer_files, other_files) -> dict[str, list[str]]:
    """Which other-sign people are held out with each signer (see
    :func:`signlstm.judging.crossval.held_out_negatives`): person -> other-sign people."""
    from .crossval import held_out_negatives

    return held_out_negatives(sorted(Path(f).stem for f in signer_files), sorted(Path(f).stem for f in other_files))


def check_stream_counts(per_label: int, n_others: int) -> None:
    """Refuse (:class:`SignlstmError`) a stream of no sign's recordings per label, or of fewer than no other signs."""
    from ..errors import SignlstmError

    if per_label < 1 or n_others < 0:
        raise SignlstmError(f"--per-label must be at least 1 and --others-per-stream at least 0, got {per_label} and "
                            f"{n_others}")


def check_options(negatives, others=None, bases=None, shipped: bool = False, rules=(), per_label: int = PER_LABEL,
                  n_others: int = OTHERS, draws: int = DRAWS, adapt: int | None = None) -> None:
    """Refuse (:class:`SignlstmError`, naming the command's option) what :func:`benchmark` cannot judge with: both the
    shipped models and a folder of bases, no other-sign recordings for the streams' other-sign segments, a rule
    the recognizer does not have, or counts below their least."""
    from ..errors import SignlstmError, check_count
    from ..recognizer import RULES

    if bad := [name for name, _ in rules if name not in RULES]:
        raise SignlstmError(f"--rules: unknown rule(s) {', '.join(bad)} (known: {', '.join(RULES)})")
    check_stream_counts(per_label, n_others)
    check_count("--streams", draws, 1)
    if adapt is not None and adapt < 1:
        raise SignlstmError(f"--adapt must be at least 1 recording per sign, got {adapt}")
    if shipped and bases:
        raise SignlstmError("--shipped and --bases: choose one (the shipped models, or your fold bases)")
    if not (negatives or others):
        raise SignlstmError("--negatives (or --others) is needed: the streams' other signs come from them")


def benchmark(data, negatives, others=None, cells=None, rules=(), fixes=None, seed: int = 0, workers: int = 0,
              ray=None, cache=None, bases=None, shipped: bool = False, per_label: int = PER_LABEL,
              n_others: int = OTHERS, draws: int = DRAWS, adapt: int | None = None, log=print) -> dict:
    """The whole benchmark: leave-one-person-out bases (trained by :func:`signlstm.judging.folds.fold_bases`, each
    without its signer and that fold's other-sign person, whose recordings then make the stream's other signs), every
    signer's streams under every rule, pooled. Each rule is replayed on bases of the recipe made for it
    (:func:`signlstm.models.recipes.for_rule`), the ``default`` recipe's always. ``others``: the other-sign files
    (default: the ``negatives`` files); ``bases``: a folder of ready bases (``bases/<recipe>/<person>/``, trained as
    above) instead; ``shipped``: every person judged by the shipped models (:func:`signlstm.models.bundle.front_model`
    of each rule), for people and other-sign people they never saw, with every other-sign person in every stream;
    ``draws``: streams per person and cell set, each drawing its recordings and order anew (pooled: a steadier figure
    than one draw); ``adapt``: K recordings per sign of each person that every base is adapted to before their
    streams, which are made of their other recordings (what a person gets after ``signlstm adapt --shots K``).
    ``cells``: :class:`~signlstm.judging.cells.Cells` (default: the ``cells.json`` beside the data, if any);
    ``rules``: (name, recognizer settings) pairs (default: every rule at its defaults). Options it cannot judge with
    are refused first (:func:`check_options`)."""
    from ..models.bundle import front_model
    from ..models.recipes import get as get_recipe
    from .folds import (check_distinct_people, check_fold_audit, check_lengths, check_unseen, data_files,
                        fixes_caveat, fold_bases)

    from ..datasets import path_list
    from ..recognizer import RULES, rule_settings
    from .cells import find, load_cells

    data, negatives, others = (p and path_list(p) for p in (data, negatives, others))
    rules = list(rules) or [(name, rule_settings(name)) for name in RULES]  # every rule, at its defaults
    check_options(negatives, others, bases, shipped, rules, per_label, n_others, draws, adapt)
    cells = load_cells(find(data)) if cells is None else cells
    signer_files = data_files(data)
    other_files = data_files(others or negatives)
    if len(signer_files) < 2 and not (shipped or bases):
        from ..errors import SignlstmError

        raise SignlstmError(f"judge streams trains a base without each person: it needs at least 2 people in --data, "
                            f"it has {len(signer_files)} (or judge them with --shipped or --bases)")
    check_distinct_people([*data, *(others or []), *(negatives or [])])
    plan = fold_plan(signer_files, other_files)
    found = {}
    if adapt:  # `adapt` fits window classifiers: a rule made for another recipe's models is left out
        left = [name for name, settings in rules if rule_recipe(name, settings) != "default"]
        rules = [(name, settings) for name, settings in rules if name not in left]
        if left:
            log(f"--adapt: rule(s) {', '.join(left)} left out (adapt is made for the default recipe's models)")
    recipes = {name: rule_recipe(name, settings) for name, settings in rules}
    if fixes == "audit" and not (shipped or bases):
        check_fold_audit(len(signer_files))  # as training the bases would say
    wanting = [name for name, recipe in recipes.items() if get_recipe(recipe).needs_others]
    if wanting and not (shipped or bases or negatives or _has_none(signer_files)):  # before the default bases
        from ..errors import SignlstmError

        raise SignlstmError(f"rule(s) {', '.join(wanting)}: their fold bases learn to say nothing for other signs "
                            "from --negatives (recordings of other signs): give it, or leave the rule(s) out with "
                            "--rules")
    if shipped:
        strangers = sorted(Path(f).stem for f in other_files)  # every other-sign person in every stream
        plan = {s: strangers for s in plan}
        models = {"default": front_model(None)} | {recipes[name]: front_model(settings.get("rule", name))
                                                   for name, settings in rules}
    for recipe in sorted({"default", *recipes.values()}):
        if shipped:
            check_unseen(models[recipe], [*plan, *strangers], "--shipped")
            found[recipe] = {s: models[recipe] for s in plan}
            continue
        if bases:
            found[recipe] = {s: Path(bases) / recipe / s for s in plan}
            missing = [s for s, p in found[recipe].items() if not (p / META_FILE).exists()]
            if missing:
                from ..errors import BadInput

                raise BadInput(bases, f"no {recipe} base bundle for {', '.join(missing)}")
            for s, folder in found[recipe].items():
                check_unseen(folder, [s, *plan[s]], "--bases")
            continue
        found[recipe] = {}
        for person in sorted({g for gs in plan.values() for g in gs} | {""}):
            group = [s for s, gs in plan.items() if (person in gs if person else not gs)]
            if not group:
                continue
            keep = [str(f) for f in data_files(negatives) if Path(f).stem != person]
            found[recipe].update(fold_bases([str(f) for f in signer_files], group, recipe=recipe, seed=seed,
                                            negatives=keep, fixes=fixes, workers=workers, ray=ray, cache=cache,
                                            log=log))
            for s in group:  # trained now or earlier (a cache kept from older code): who it saw, read back
                check_unseen(found[recipe][s], [s, *plan[s]], "a cached base")
    # the people's files, and the other signs each stream holds, against the window of the base that reads them
    check_lengths([(Path(f).stem, f) for f in signer_files], found["default"])
    check_lengths([(s, f) for s, gs in plan.items() for f in other_files if Path(f).stem in gs], found["default"])
    labels, measured, notes = _scored_labels(signer_files, found, adapt)
    found = {recipe: {s: b for s, b in f.items() if s in measured} for recipe, f in found.items()}
    by_stem = {Path(f).stem: f for f in other_files}
    # the other signs each base was trained on: `signlstm train --negatives` stores their features for `adapt`
    adapt_negatives = {s: [f for f in data_files(negatives) if Path(f).stem not in {s, *gs}]
                       for s, gs in plan.items()} if adapt else None
    t0 = time.perf_counter()
    folds = run({Path(f).stem: [f] for f in signer_files}, found,
                {s: [by_stem[g] for g in gs if g in by_stem] for s, gs in plan.items()}, cells, rules, seed=seed,
                workers=workers, ray=ray, per_label=per_label, n_others=n_others, draws=draws, adapt=adapt,
                adapt_negatives=adapt_negatives, labels=labels, others_once=shipped and not adapt)
    left = {}
    for _, label in {x for f in folds for x in map(tuple, f.get("others_left_out", ()))}:
        left[label] = left.get(label, 0) + 1
    if fixes and fixes != "audit" and not shipped and not bases:
        notes.append(f"note: {fixes_caveat(fixes)}")
    unused = [o for o, given in (("--fixes", fixes), ("--negatives", negatives and others and not adapt)) if given]
    if (shipped or bases) and unused:
        notes.append(f"note: {', '.join(unused)} not used: they train fold bases, and "
                     f"{'--shipped' if shipped else '--bases'} gives ready ones")
    if left:
        notes.append(f"note: left out {sum(left.values())} other-sign recording(s) that are the models' signs "
                     f"(as training leaves them out): " + ", ".join(f"{a} ({n})" for a, n in sorted(left.items())))
    if note := _handless_note(len({tuple(x) for f in folds for x in f.get("others_handless", ())})):
        notes.append(note)
    if cells and (note := cells.missing_note([f["signer"] for f in folds])):
        notes.append(note)
    blind = [f["signer"] for f in folds if f.get("no_hands")]
    if blind:
        from ..errors import SignlstmError

        why = (f"none of their recordings of the models' signs shows a hand in at least {MIN_HANDS:.0%} of its "
               "frames (were the hands found?): nothing to replay as signs")
        if len(blind) == len(folds):
            raise SignlstmError(f"nothing to measure: {', '.join(blind)}: {why}")
        notes.append(f"note: left out {', '.join(blind)}: {why}")
    out = summarise(folds, rules)
    out.update(rules=[list(r) for r in rules], seconds=round(time.perf_counter() - t0, 1), draws=draws, adapt=adapt,
               recipes=recipes,
               people=len(folds) - len(blind), shipped=shipped, notes=notes,
               bases={recipe: str(models[recipe] if shipped else Path(next(iter(f.values()))).parent)
                      for recipe, f in found.items() if f})
    return out


def _scored_labels(signer_files, bases: dict, adapt: int | None) -> tuple[dict[str, str], list[str], list[str]]:
    """The people's labels kept, each to the name the ``default`` bases give it
    (:func:`signlstm.judging.labels.match_labels`), the people who can be measured, and the note lines for what is
    left out: recordings labelled ``none``, signs the bases do not know, and with ``adapt`` = K a person whose K
    shots per sign use every recording (:class:`~signlstm.errors.SignlstmError` when that leaves no one)."""
    from ..datasets import open_npz
    from ..errors import SignlstmError
    from ..models.bundle import read_meta
    from ..sign_names import shown_list
    from .labels import count_span, match_labels

    counts = {Path(f).stem: open_npz(f).label_counts for f in signer_files}
    meta = read_meta(next(iter(bases["default"].values())))
    mapping, people, notes = match_labels(counts, meta["labels"], meta.get("reject_label"))
    if adapt:
        short = {}
        for p in people:
            mine = {}
            for a, n in counts[p].items():
                if n and a in mapping:
                    mine[mapping[a]] = mine.get(mapping[a], 0) + n
            if max(mine.values()) <= adapt:
                short[p] = (f"{p} has {count_span(mine.values())} recording(s) per sign: --adapt {adapt} shots use "
                            "them all, none are left for the streams")
            elif gone := sorted((a, n) for a, n in mine.items() if n <= adapt):
                notes.append(f"note: {p}: --adapt {adapt} shots use every recording of "
                             f"{shown_list(f'{a} ({n})' for a, n in gone)}: no test recordings, the streams hold "
                             "their other signs only")
        if len(short) == len(people):
            raise SignlstmError("too few recordings to measure: " + "; ".join(short.values()))
        if short:
            notes.append("note: not measured, too few recordings: " + "; ".join(short.values()))
        people = [p for p in people if p not in short]
    return mapping, people, notes
