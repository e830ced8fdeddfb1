"""Continuous-signing benchmark: several signs in a row, rests between, other signs mixed in.

For each held-out person, keypoint streams built from their own recordings, replayed frame by frame through the
recognizer and scored (:mod:`signlstm.judging.stream_scoring`: :func:`~signlstm.judging.stream_scoring.build_stream`,
:func:`~signlstm.judging.stream_scoring.replay`, :func:`~signlstm.judging.stream_scoring.score`). :func:`run` does it
for every person and rule on leave-one-person-out bases (each rule on bases of the recipe made for it:
:func:`signlstm.models.recipes.for_rule`), on the consistent-gesture cells and on all cells, with each base's
window-level rejection figures beside.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..models.bundle import META_FILE
from .stream_scoring import MIN_HANDS, OTHERS, PER_LABEL, build_stream, handless_note, person_seed, pool, replay, score

DRAWS = 3  # streams per person and cell set: one draw of 4 recordings per label varies by several points of WER
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
                                            log=log, also_unseen={s: plan[s] for s in group}))
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
    if note := handless_note(len({tuple(x) for f in folds for x in f.get("others_handless", ())})):
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
