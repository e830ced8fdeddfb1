"""The benchmark of ``adapt --vocabulary`` on a person's own signs, on trunks that serve signs they never saw
(:mod:`signlstm.judging.trunks`).

**Benchmark** (:func:`run`): for each person file, a trunk that never saw that person; their signs split by a seeded
draw into three quarters taught and one quarter never taught; K recordings of each taught sign given to
:func:`signlstm.models.vocabulary.adapt_vocab`; tested on the other recordings of the taught signs (accuracy, share
answered ``none``) and on every recording of the untaught signs (share answered ``none``: rejected). Beside it, the
tutorial recipe trained from scratch on the same shots. With ``streams``, the same adapted model also reads the person's
signs made in a row (:func:`in_a_row`): word error rate and words said on untaught signs, as ``live`` would say them.
"""
from __future__ import annotations

import dataclasses
import time
from functools import partial
from pathlib import Path

import numpy as np

from ..models.bundle import META_FILE
from .. import parallel
from ..sign_names import FEWEST_SIGNS, NONE, is_rejection_name, rejection_note, spelled_alike_note
from .folds import check_distinct_people, check_person_files, check_unseen, data_files, person, person_paths
from .labels import leaves_none, rejection_counts, used_up_note
from .trunks import check_folders, check_trunk_inputs, trunks

SHOTS = (1, 3, 5, 10)
SEEDS = (0, 1, 2)
TAUGHT = 0.75
STREAMS = 1  # streams per person, seed and K in which the taught signs are made in a row


def sign_counts(label_counts: dict[str, int]) -> dict[str, int]:
    """``label_counts`` (label -> recordings) without the labels that spell the rejection label ``none`` (any case):
    recordings of no sign, never one of a person's signs to teach or leave untaught."""
    return {a: n for a, n in label_counts.items() if not is_rejection_name(a)}


def check_run_options(signs=None, tutorial=(), streams=STREAMS, adapt_runs=0, radii=(), radius=None, trunk=None,
                      trunk_folder=None) -> None:
    """Refuse (:class:`SignlstmError`, naming the command's option) what :func:`run` cannot measure: fewer taught
    signs than a vocabulary has, counts below their least, radii outside
    :data:`~signlstm.models.vocabulary.RADIUS_RANGE`, one trunk for all and a folder of trunks at once."""
    from ..errors import SignlstmError, check_count
    from ..models.vocabulary import RADIUS_RANGE, check_radius

    if trunk and trunk_folder:
        raise SignlstmError("--shipped and --trunks: choose one (the shipped trunk, or your trunks)")
    if signs is not None and signs < FEWEST_SIGNS:
        raise SignlstmError(f"--signs must be at least {FEWEST_SIGNS} (a vocabulary of one sign has nothing to tell "
                            f"apart), got {signs}")
    at_least = [("--tutorial-shots", tutorial or (), 1), ("--streams", [streams], 0),
                ("--adapt-runs", [adapt_runs], 0)]  # (--shots and the epochs: the command's common.check_counts)
    for option, values, low in at_least:
        check_count(option, values, low)
    low, high = RADIUS_RANGE  # as adapt's --radius
    bad = [r for r in radii or () if not low <= r <= high]
    if bad:
        raise SignlstmError(f"--radii must be numbers from {low:g} to {high:g}, got {bad[0]:g}")
    if radius is not None:
        check_radius(radius)


def shot_problems(counts: dict[str, int], shots, seeds, signs: int | None = None) -> dict[int, str]:
    """Why a person with ``counts`` recordings per sign cannot be measured at each K of ``shots``: K -> the reason,
    for the K they cannot (none: measured at every K). Every draw of :func:`split_signs` must leave at least 2 signs
    taught and 1 never taught (else no K can be measured), and at every seed a taught sign must have a recording
    beyond its K shots to test on."""
    held = f"{sum(counts.values())} recording(s) of {len(counts)} sign(s)"
    need = max(FEWEST_SIGNS, signs or 0) + 1
    if len(counts) < need:
        why = f"{FEWEST_SIGNS} taught and 1 never taught" if signs is None else \
            f"--signs {signs} taught and 1 never taught"
        return {k: f"{held}; judge vocab needs at least {need} signs with recordings ({why})" for k in sorted(shots)}
    out = {}
    for k in sorted(shots):
        for seed in seeds:
            taught, _ = split_signs(list(counts), seed, count=signs)
            most = max(counts[a] for a in taught)
            if most <= k:
                out[k] = (leaves_none(counts, k)
                          + ("" if max(counts.values()) <= k else
                             f" (the signs taught at seed {seed} have at most {most} each)"))
                break
    return out


def used_up(counts: dict[str, int], k: int, seeds, signs: int | None = None) -> list[str]:
    """The signs taught at some seed that have ``k`` or fewer recordings: all of them are shots, none is tested."""
    taught = {a for seed in seeds for a in split_signs(list(counts), seed, count=signs)[0]}
    return sorted(a for a in taught if counts[a] <= k)


def not_measured(files: dict[str, Path], shots, seeds, signs: int | None = None) -> dict[str, dict[int, str]]:
    """Per person, the K of ``shots`` at which they cannot be measured and why (:func:`shot_problems`); a person
    measured at every K is left out. Raises :class:`~signlstm.errors.BadInput` (one person) or
    :class:`~signlstm.errors.SignlstmError` (several) when no one can be measured at any K."""
    from ..datasets import open_npz
    from ..errors import BadInput, SignlstmError

    out = {p: shot_problems(sign_counts(open_npz(f).label_counts), shots, seeds, signs) for p, f in files.items()}
    out = {p: v for p, v in out.items() if v}
    if files and all(len(out.get(p, ())) == len(set(shots)) for p in files):
        if len(files) == 1:
            ((p, f),) = files.items()
            raise BadInput(f, next(iter(out[p].values())))
        raise SignlstmError("no person can be measured at any K: " + "; ".join(
            f"{p}: {next(iter(v.values()))}" for p, v in out.items()))
    return out


def person_files(vocab, others=(), signers=(), trunk_folder=None, trunk=None, shots=None, seeds=None,
                 signs: int | None = None) -> dict[str, Path]:
    """The benchmark's person files (``.npz`` files or folders of them) by person, every header checked first
    (:func:`~signlstm.judging.folds.check_person_files`; the trunks' ``others`` and ``signers`` files too), before any
    trunk is trained; with ``shots`` and ``seeds``, that someone can be measured at some K (:func:`not_measured`);
    with ``trunk_folder``, a trunk bundle ``<trunk_folder>/<person>`` for each person too, and with ``trunk`` (one
    trunk for everyone), that it never saw any of them; and that no two people hold the same recordings
    (:func:`~signlstm.judging.folds.check_distinct_people`)."""
    from ..errors import BadInput

    check_folders(vocab, "--data")
    check_person_files(vocab, "judge vocab", judged=True)
    if others or signers:
        check_trunk_inputs(vocab, others, signers)  # each file, and one sequence length for the trunks' training set
    check_distinct_people([*vocab, *others, *signers])
    files = {person(f): f for f in data_files(vocab)}
    if shots is not None and seeds is not None:
        not_measured(files, shots, seeds, signs)  # a person not measured at some K is a row of the report
    if trunk_folder:
        missing = [p for p in files if not (Path(trunk_folder) / p / META_FILE).exists()]
        if missing:
            raise BadInput(trunk_folder, f"no trunk bundle for {', '.join(missing)}")
        for p in files:
            check_unseen(Path(trunk_folder) / p, [p], "--trunks")
    if trunk:
        check_unseen(trunk, list(files), "--shipped")
    if trunk or trunk_folder:
        check_lengths(files, trunk, trunk_folder)
    else:
        check_trunk_people(files, others, signers)
    return files


def check_lengths(files: dict[str, Path], trunk=None, trunk_folder=None) -> None:
    """Refuse (:class:`~signlstm.errors.BadInput` naming the file, as ``adapt`` words it) a person file whose
    sequences are not as long as the window of the trunk that judges it (``trunk``, or ``<trunk_folder>/<person>``)."""
    from . import folds

    folds.check_lengths(files.items(), {p: Path(trunk) if trunk else Path(trunk_folder) / p for p in files})


def check_trunk_people(files: dict[str, Path], others=(), signers=()) -> None:
    """Refuse (one line naming the person) to train a trunk for a person when no one else's recordings are given
    (``files``, ``others`` and ``signers`` hold that person only): the trunk that never sees them has nothing to learn
    from; the message says what to give instead."""
    from ..errors import SignlstmError

    people = {person(f) for f in person_paths([*files.values(), *(others or ()), *(signers or ())])}
    if len(files) == 1 and people == set(files):
        (p,) = files
        raise SignlstmError(f"{p} is the only person given, and the trunk that judges {p} is trained without them: "
                            "it would have no training data; give --shipped (the shipped trunk) or --trunks DIR (ready "
                            "trunks), or other people's recordings to train it on (more --data files, --negatives or "
                            "--signers)")


def split_signs(actions, seed: int, taught: float = TAUGHT, count: int | None = None) -> tuple[list[str], list[str]]:
    """A seeded draw of a person's signs: (taught, untaught), about ``taught`` of them taught (at least 2 taught
    and 1 untaught when there are 3 or more), or ``count`` of them taught (at least 2) when given."""
    actions = sorted(actions)
    if count is not None:
        n_untaught = max(0, len(actions) - max(FEWEST_SIGNS, count))
    else:
        n_untaught = min(max(1, round(len(actions) * (1 - taught))), len(actions) - FEWEST_SIGNS) \
            if len(actions) > FEWEST_SIGNS else 0
    perm = np.random.default_rng(seed).permutation(len(actions))
    untaught = sorted(actions[i] for i in perm[:n_untaught])
    return [a for a in actions if a not in untaught], untaught


def run_person(task: dict) -> dict:
    """Every (K, seed) of one person on its trunk: adapt on K shots of the taught signs, test the rest (recordings
    labelled ``none``, any case, are no sign: neither taught, tested nor untaught). The person's
    recordings are held once: the taught signs are that data under their names (no copy), the test recordings are
    scored a chunk at a time; only the untaught signs' recordings are copied."""
    from ..datasets import load
    from ..models.architectures import openset_probs
    from ..models.bundle import load_bundle
    from ..models.vocabulary import adapt_vocab, vocab_shots

    data = load([task["file"]])
    actions = [a for a in data.actions if not is_rejection_name(a)]  # not the recordings labelled none: no sign
    base = load_bundle(task["trunk"])
    rows = []
    if task.get("radii"):  # trunk features of every recording of the person, once, for the trade-off's other radii
        from ..models.cut import trunk_forward

        every = data.apply(trunk_forward(base.model))
    for seed in task["seeds"]:
        taught, untaught = split_signs(actions, seed, count=task.get("signs"))
        signs = dataclasses.replace(data, actions=list(taught))  # the data itself, its signs the taught ones
        taught_idx = np.flatnonzero(np.isin(data.labels, taught))
        other_idx = np.flatnonzero(np.isin(data.labels, untaught))
        other = data.subset(other_idx)
        for k in task["shots"]:
            pick = vocab_shots(signs, k, seed, task.get("consecutive", False))[0]  # what adapt_vocab is taught from
            test = np.setdiff1d(taught_idx, pick)  # rows of the data
            truth = data.labels[test]
            t0 = time.perf_counter()
            bundle = adapt_vocab(base, signs, shots=k, seed=seed, radius=task["radius"],
                                 consecutive=task.get("consecutive", False))
            seconds = time.perf_counter() - t0
            row = {"person": task["person"], "seed": seed, "k": k, "signs": len(taught), "untaught": len(untaught),
                   "test": len(test), **_scores(bundle.labels, data.apply(bundle.predict, test), truth,
                                                bundle.predict(other.X) if len(other) else []),
                   "seconds": seconds}
            if task.get("radii"):  # the same fit at other radii: the trade-off curve
                head = bundle.model.get_layer("head")
                weights = {n: np.asarray(v.numpy()) for n, v in zip(head.WEIGHTS, head.weights)}
                fitted = weights["radii"]
                for r in task["radii"]:
                    weights["radii"] = fitted * (r / task["radius"])
                    probs = partial(openset_probs, weights, sharpness=head.sharpness, tied=head.tied)
                    row.setdefault("tradeoff", {})[str(r)] = _scores(
                        bundle.labels, probs(every[test]), truth, probs(every[other_idx]) if len(other_idx) else [])
            if task.get("streams"):
                row["streams"] = in_a_row(bundle, signs, test, other, f"{task['person']}/{k}", seed, task["streams"])
            if k in task["tutorial"] and seed == task["seeds"][0]:
                row.update(_tutorial(signs.subset(pick), signs, test, task["tutorial_epochs"], seed))
            rows.append(row)
    return {"person": task["person"], "rows": rows}


def streamless(rows) -> list[str]:
    """A note per person whose streams (:func:`in_a_row`) held none of their taught signs at any K and seed, so that
    no word error rate is shown for them: none of their test recordings shows a hand in enough of its frames to be
    made in a row."""
    from .stream_scoring import MIN_HANDS

    people = dict.fromkeys(r["person"] for r in rows if r.get("streams"))
    empty = [p for p in people if not any(x["ref"] for r in rows if r["person"] == p for x in r.get("streams", ()))]
    return [f"note: {p}: no in-a-row word error rate: none of their taught signs' test recordings shows a hand in at "
            f"least {MIN_HANDS:.0%} of its frames (only those are made in a row)"
            for p in empty]


def in_a_row(bundle, signs, test, other, name: str, seed: int, draws: int = STREAMS) -> list[dict]:
    """The taught signs made in a row: ``draws`` keypoint streams (:func:`signlstm.judging.stream_scoring.build_stream`:
    one of each taught sign's test recordings (the rows ``test`` of ``signs``) and as many recordings of the untaught
    signs (``other``) as there are untaught signs, in a seeded order, rests of hand-less frames between), replayed
    through the ``Recognizer`` under the bundle's own rule and settings, as ``live --model`` runs it; each stream
    scored by :func:`signlstm.judging.stream_scoring.score` (an untaught sign's word counts as a word on another sign)."""
    from ..recognizer import Recognizer
    from .stream_scoring import build_stream, person_seed, replay, score

    n_other = len(set(other.labels.tolist())) if len(other) else 0
    out = []
    for draw in range(draws):
        stream = build_stream(signs, other if n_other else None, seed=person_seed(seed, name, draw),
                              per_label=1, n_others=n_other, rows=test)
        said = replay(lambda c: Recognizer(bundle, classify=c), stream.frames, bundle.predict)
        out.append(score(stream, said))
    return out


def _scores(labels, probs, truth, probs_other) -> dict:
    """Known-sign accuracy (``none`` counts as wrong), known signs answered ``none``, untaught signs answered ``none``
    (NaN without any), from the probabilities of the known signs' test recordings and of the untaught signs'."""
    from ..recognizer import decide

    pred = decide(labels, probs)
    return {"acc": float((pred == truth).mean()), "known_none": float((pred == NONE).mean()),
            "rejected": float((decide(labels, probs_other) == NONE).mean()) if len(probs_other) else float("nan")}


def _tutorial(support, data, test, epochs, seed) -> dict:
    """The tutorial recipe trained from scratch on the same shots (``support``), tested on the same recordings (the
    rows ``test`` of ``data``)."""
    import keras

    from ..recognizer import decide
    from ..models.training import fit

    keras.backend.clear_session()
    t0 = time.perf_counter()
    b = fit(support, "tutorial", epochs=epochs, seed=seed, progress=False, test_split=0.0)
    pred = decide(b.labels, data.apply(b.predict, test))
    return {"tutorial_acc": float((pred == data.labels[test]).mean()), "tutorial_seconds": time.perf_counter() - t0}


def run(vocab, others=(), signers=(), shots=SHOTS, seeds=SEEDS, radius: float | None = None, tutorial=(5,),
        tutorial_epochs: int | None = None, trunk_folder=None, trunk=None, epochs: int | None = None,
        workers: int = 0, ray: str | None = None, cache=None, log=print, progress=None, radii=(),
        adapt_runs: int = 3, streams: int = STREAMS, signs: int | None = None, consecutive: bool = False) -> dict:
    """The vocabulary benchmark over every person file in ``vocab`` (see the module docstring). ``trunk_folder``: a
    folder with one trunk per person (``<folder>/<person>``) instead of :func:`trunks`; ``trunk``: one trunk for
    every person (e.g. the shipped one, for people it never saw). ``radii``: the same fits
    scored at these open-set radii too (the trade-off between known signs and untaught signs answered ``none``).
    ``adapt_runs``: how many times :func:`adapt_wall` times ``adapt --vocabulary`` on the largest vocabulary (0: not);
    ``streams``: streams per person, seed and K of :func:`in_a_row` (0: none); ``signs``: how many of each person's
    signs are taught (a seeded choice, the rest untaught) instead of three quarters of them; ``consecutive``: each sign's K
    shots are K of its recordings made one after another (a seeded start), as a person records them, not any K."""
    from ..models.vocabulary import RADIUS

    from ..datasets import open_npz, path_list

    vocab, others, signers = (p and path_list(p) for p in (vocab, others, signers))
    check_run_options(signs, tutorial, streams, adapt_runs, radii, radius, trunk, trunk_folder)

    t0, started, load0 = time.perf_counter(), time.time(), _load()  # a duration; the clock's time, for the report
    files = person_files(vocab, others, signers, trunk_folder, trunk, shots, seeds, signs)
    unmeasured = not_measured(files, shots, seeds, signs)
    todo = {p: [k for k in shots if k not in unmeasured.get(p, {})] for p in files}
    notes = []
    unused = [o for o, v in (("--negatives", others), ("--signers", signers), ("--epochs", epochs is not None)) if v]
    if (trunk or trunk_folder) and unused:
        notes.append(f"note: {' and '.join(unused)} not used: they make the trunks, and "
                     f"{'--shipped' if trunk else '--trunks'} gives ready ones")
    if tutorial_epochs is not None and not tutorial:
        notes.append("note: --tutorial-epochs not used: no --tutorial-shots, so the tutorial recipe is not trained")
    # recordings labelled none, of every person: no sign, left out
    if note := rejection_note(rejection_counts(open_npz(f).label_counts for f in files.values())):
        notes.append(note)
    for p, f in files.items():
        counts = sign_counts(open_npz(f).label_counts)
        if note := used_up_note(p, counts, {k: used_up(counts, k, seeds, signs) for k in todo[p]}):
            notes.append(note)
        if note := spelled_alike_note(list(counts)):  # learnt as two signs of the person's vocabulary
            notes.append(f"note: {p}: {note.removeprefix('note: ')}")
    if trunk:
        bases = {p: Path(trunk) for p in files}
    elif trunk_folder:
        bases = {p: Path(trunk_folder) / p for p in files}
    else:
        bases = trunks(vocab, others, signers, [p for p in files if todo[p]], epochs=epochs, workers=workers,
                       ray=ray, cache=cache, log=log)
    tasks = [dict(person=p, file=str(f), trunk=str(bases[p]), shots=todo[p], seeds=list(seeds),
                  radius=RADIUS if radius is None else radius, tutorial=list(tutorial or ()),
                  tutorial_epochs=tutorial_epochs, radii=list(radii or ()), streams=streams, signs=signs,
                  consecutive=consecutive)
             for p, f in files.items() if todo[p]]
    for p in files:
        if not todo[p] and progress:
            progress(p)
    rows = []
    for r in parallel.map_tasks(run_person, tasks, workers=workers, ray=ray, ordered=False):
        rows += r["rows"]
        if progress:
            progress(r["person"])
    notes += streamless(rows)
    wall = None
    if adapt_runs and tasks:  # after the parallel work: the largest vocabulary, as a person would adapt it
        size = {p: len(sign_counts(open_npz(files[p]).label_counts)) for p in files if todo[p]}
        largest = max(size, key=lambda p: (size[p], p))
        wall = adapt_wall(files[largest], bases[largest], shots=5, runs=adapt_runs, log=log)
    return {"rows": rows, "adapt_wall": wall, "shots": list(shots), "seeds": list(seeds), "streams": streams,
            "signs": signs, "consecutive": consecutive, "people": list(files), "not_measured": unmeasured, "notes": notes,
            "radius": tasks[0]["radius"] if tasks else None, "radii": list(radii or ()),
            "trunks": {p: str(b) for p, b in bases.items()}, "seconds": round(time.perf_counter() - t0, 1),
            "started": _utc(started), "ended": _utc(time.time()), "load": [round(x, 1) for x in load0 + _load()]}


def adapt_wall(file, trunk, shots: int = 5, runs: int = 3, seed: int = 0, log=print) -> dict:
    """Wall seconds of ``signlstm adapt --vocabulary`` in a fresh process, start-up included, as a person would run
    it: ``shots`` recordings of each of the person's signs written in the tutorial's folders (``MP_Data/<sign>/<n>/
    <frame>.npy``), adapted from ``trunk`` ``runs`` times; the bundle of each run is thrown away."""
    import tempfile

    from ..models.adapt import choose_shots
    from ..datasets import load
    from ..datasets.mp_data import TUTORIAL_TREE
    from ..datasets.sequence_writer import SequenceWriter

    data = load([file])
    pick = choose_shots(data, shots, seed)
    pick = pick[[not is_rejection_name(a) for a in data.labels[pick].tolist()]]  # recordings of no sign: not taught
    signs = len([a for a in data.actions if not is_rejection_name(a)])
    seconds = []
    with tempfile.TemporaryDirectory(prefix="signlstm-adapt-") as tmp:
        writer = SequenceWriter(Path(tmp) / TUTORIAL_TREE)
        for i in pick:
            writer.write(str(data.labels[i]), data.frames[i])
        cmd = ["adapt", "--vocabulary", "--model", trunk, "--data", writer.root, "--out", Path(tmp) / "bundle"]
        for i in range(runs):
            seconds.append(round(parallel.command_seconds(cmd), 2))
            log(f"  adapt --vocabulary on {person(file)} ({signs} signs x {shots}), run {i + 1}: "
                f"{seconds[-1]:.2f} s")
    return {"person": person(file), "signs": signs, "shots": shots, "sequences": int(len(pick)),
            "seconds": seconds, "median": float(np.median(seconds)) if seconds else float("nan")}


def _utc(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(t))


def _load() -> list[float]:
    """The 1-minute load average (the benchmark's seconds depend on it), or nothing where the system has none."""
    import os

    try:
        return [os.getloadavg()[0]]
    except (OSError, AttributeError):
        return []


def summary(res: dict) -> dict:
    """Per K: per person (mean over seeds) and the mean over people of each figure (over the people measured at that
    K: ``mean["people"]`` of ``mean["of"]``; ``not_measured``: person -> why not); with streams, each person's
    streams pooled (``row_wer``: word error rate; ``row_other``: words said on untaught signs a segment) and the
    mean over people of those."""
    from .metrics import measured_mean
    from .stream_scoring import pool

    out = {}
    for k in res["shots"]:
        rows = [r for r in res["rows"] if r["k"] == k]
        people = sorted({r["person"] for r in rows})
        per = {}
        for p in people:
            rp = [r for r in rows if r["person"] == p]
            per[p] = {m: measured_mean([r[m] for r in rp]) for m in ("acc", "known_none", "rejected")}
            per[p]["seconds"] = float(np.median([r["seconds"] for r in rp]))
            per[p]["signs"] = rp[0]["signs"]
            tut = [r["tutorial_acc"] for r in rp if "tutorial_acc" in r]
            per[p]["tutorial_acc"] = float(np.mean(tut)) if tut else float("nan")
            scored = pool([x for r in rp for x in r.get("streams", ())])
            per[p]["row_wer"], per[p]["row_other"] = scored["wer"], scored["other_words"]
        mean = {m: measured_mean([v[m] for v in per.values()]) for m in
                ("acc", "known_none", "rejected", "tutorial_acc", "row_wer", "row_other")} if per else {}
        if per:
            mean["worst_acc"] = min(v["acc"] for v in per.values())
            mean["seconds"] = float(np.median([r["seconds"] for r in rows]))
        tradeoff = {}
        for r in res.get("radii") or ():  # mean over people of each person's mean over seeds
            by = [[x["tradeoff"][str(r)] for x in rows if x["person"] == p] for p in people]
            tradeoff[r] = {m: float(np.nanmean([np.nanmean([x[m] for x in b]) for b in by]))
                           for m in ("acc", "known_none", "rejected")}
            tradeoff[r]["worst_acc"] = float(min(np.mean([x["acc"] for x in b]) for b in by))
        # people not measured at this K (too few recordings), with the reason; the means are over the others
        missing = {q: v[k] for q, v in (res.get("not_measured") or {}).items() if k in v}
        if mean:
            mean["people"], mean["of"] = len(per), len(per) + len(missing)
        out[k] = {"people": per, "mean": mean, "tradeoff": tradeoff, "not_measured": missing}
    return out
