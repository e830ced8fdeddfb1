"""Trunks: the default recipe's network trained on every kind of sign available, each person's signs as that person's
own classes (``o04/ball``; the same folder name in two files is not necessarily the same sign), the
hello / thanks / iloveyou of the signers as shared classes (at most ``per_sign`` recordings per signer and sign, so
three signs do not drown a hundred), and ``none`` (no-hand windows). Its embedding then separates handshapes and
movements in general, not just three signs. :func:`trunks` trains one trunk per held-out person (that person's
recordings in no file of its training set) and caches them like :func:`signlstm.judging.folds.fold_bases`; the
vocabulary benchmark (:mod:`signlstm.judging.vocab`) judges each person on theirs.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..models.bundle import META_FILE
from .. import parallel
from ..datasets import is_hidden
from ..outputs import check_writable_folder
from ..sign_names import is_rejection_name
from .folds import TRAINING_CODE, cache_dir, check_unseen, content_key, data_files, made_once, person, person_paths

PER_SIGN = 10  # signers' recordings per signer and sign in a trunk's training set
TRUNK_SET = "trunk_set/2"  # part of the trunks' cache key: change it when trunk_set changes


def check_folders(paths, option: str) -> None:
    """Refuse an empty folder among ``paths`` (one line naming it and ``option``): it holds no one's recordings."""
    from ..errors import BadInput

    for p in map(Path, paths or []):
        if p.is_dir() and not any(not is_hidden(q) for q in p.iterdir()):
            raise BadInput(p, f"an empty folder: no recordings ({option} takes packed .npz files, one per person, "
                              "folders of them, or MP_Data folders)")


def check_trunk_inputs(vocab, others=(), signers=(), held_out: str | None = None) -> list[str]:
    """What :func:`train_trunk` reads, checked before it trains: every path's header (no empty folder, no defective
    file, one sequence length), and ``held_out`` one of the people in them. Returns the people, sorted."""
    from ..datasets import open_sources, path_list
    from ..errors import SignlstmError

    vocab, others, signers = (path_list(p or ()) for p in (vocab, others, signers))
    for option, paths in (("--data", vocab), ("--negatives", others), ("--signers", signers)):
        check_folders(paths, option)
    open_sources([*vocab, *others, *signers])
    people = sorted({person(f) for f in person_paths([*vocab, *others, *signers])})
    if held_out is not None and held_out not in people:
        shown = ", ".join(people[:30]) + (f", ... ({len(people)} people)" if len(people) > 30 else "")
        raise SignlstmError(f"--held-out {held_out}: no such person in the data (people: {shown})")
    if held_out is not None and people == [held_out]:
        raise SignlstmError(f"--held-out {held_out}: the only person in the data; that leaves no one to train on")
    return people


def trunk_set(vocab, others=(), signers=(), held_out: str | None = None, per_sign: int = PER_SIGN, seed: int = 0):
    """The training set of a trunk: every person's own signs as ``person/sign`` classes (``vocab`` and ``others``
    files; a person of ``others`` who has a ``vocab`` file is read from there only), up to ``per_sign`` recordings
    per signer and sign of ``signers`` (those without a ``vocab`` file) under their shared labels, no-hand windows as
    ``none``; nothing of ``held_out``. A person's recordings labelled ``none`` (any case) are not one of their signs:
    left out."""
    from ..datasets import Dataset, concat, load
    from ..datasets.training_sets import training_set
    from ..models import recipes

    held = recipes.get("default").held  # what the recipe reads, as `train` holds it
    vocab_files, other_files = person_paths(vocab), person_paths(others)
    own = {person(f) for f in vocab_files}
    parts = []
    for f in vocab_files + [f for f in other_files if person(f) not in own]:
        if person(f) == held_out:
            continue
        d = load([f], **held)
        rejected = np.array([is_rejection_name(a) for a in d.labels.tolist()], bool)
        if rejected.any():  # recordings of no sign are not one of the person's signs
            d = d.subset(np.flatnonzero(~rejected))
        labels = np.array([f"{g}/{a}" for g, a in zip(d.groups, d.labels)])
        parts.append(Dataset(d.frames, labels, d.groups, d.sources, sorted(set(labels.tolist())), columns=d.columns))
    rng = np.random.default_rng(seed)
    for f in person_paths(signers):
        if person(f) == held_out or person(f) in own:  # a vocabulary file already has that person's signs
            continue
        d = load([f], **held)
        keep = np.concatenate([rng.choice(idx, min(per_sign, len(idx)), replace=False)
                               for idx in (np.flatnonzero(d.labels == a) for a in d.actions) if len(idx)])
        parts.append(d.subset(np.sort(keep)))
    data = concat(parts)
    return training_set(data, negatives=[], seed=seed)


def train_trunk(vocab, others, signers, held_out: str | None, out, epochs: int | None = None, seed: int = 0,
                per_sign: int = PER_SIGN) -> dict:
    """Train the default recipe on :func:`trunk_set` and save the bundle to ``out`` (checked before it trains);
    ``held_out``: the person the trunk is for, left out of its data whether the data holds them or not (the command
    checks they are there: :func:`check_trunk_inputs`)."""
    from ..datasets import path_list
    from ..outputs import check_folder_out
    from ..models.stored_features import BASE_EXAMPLES, base_example_arrays, npz_bytes
    from ..models.bundle import save_bundle
    from ..models.training import fit

    t0 = time.perf_counter()
    vocab, others, signers = (path_list(p or ()) for p in (vocab, others, signers))
    check_folder_out(out, META_FILE)
    data = trunk_set(vocab, others, signers, held_out, per_sign, seed)
    bundle = fit(data, "default", epochs=epochs, seed=seed, progress=False, test_split=0.0)
    bundle.meta["training"]["held_out"] = held_out
    bundle.meta["trunk"] = {"vocab": [str(p) for p in vocab], "others": [str(p) for p in others],
                            "signers": [str(p) for p in signers], "per_sign": per_sign, "held_out": held_out}
    examples, kept = base_example_arrays(bundle, data, seed=seed)  # what adapt --vocabulary --keep-base-actions keeps
    save_bundle(bundle.model, bundle.meta, out, extra={BASE_EXAMPLES: npz_bytes(**examples)})
    return {"held_out": held_out, "seconds": round(time.perf_counter() - t0, 1), "path": str(out),
            "classes": len(data.actions), "sequences": len(data), "base_examples": kept}


def _train(job: dict) -> dict:
    with made_once(job["out"]):  # (as a base: a trunk another command trained meanwhile is not trained again)
        if (Path(job["out"]) / META_FILE).exists():
            return {"held_out": job["held_out"], "path": str(job["out"]), "made_by_another": True}
        return train_trunk(**job)


def trunks(vocab, others, signers, held_out, epochs: int | None = None, seed: int = 0, per_sign: int = PER_SIGN,
           workers: int = 0, ray: str | None = None, cache=None, log=print) -> dict[str | None, Path]:
    """One trunk per person in ``held_out`` (None: a trunk on everyone), trained where the cache lacks it. Each trunk,
    trained now or earlier (a cache kept from older code), is read back for whom it saw
    (:func:`~signlstm.judging.folds.check_unseen`): one that saw its held-out person is refused."""
    vocab, others, signers = ([str(p) for p in v] for v in (vocab, others or [], signers or []))
    people = [person(f) for f in person_paths([*vocab, *others, *signers])]  # whom each file holds
    key = content_key(TRUNK_SET, epochs, seed, per_sign, people,
                      files=data_files(vocab) + data_files(others) + data_files(signers), code=TRAINING_CODE)
    folder = cache_dir(cache) / "trunks" / f"trunk-s{seed}-{key}"
    want = {p: folder / (p or "all") for p in held_out}
    todo = [p for p, f in want.items() if not (f / META_FILE).exists()]
    if todo:
        check_writable_folder(folder)  # before any trunk is trained
        log(f"training {len(todo)} trunk(s) (each without one person) into {folder}")
        jobs = [dict(vocab=vocab, others=others, signers=signers, held_out=p, out=want[p], epochs=epochs, seed=seed,
                     per_sign=per_sign) for p in todo]
        t0 = time.perf_counter()
        for r in parallel.map_tasks(_train, jobs, workers=workers, ray=ray, ordered=False):
            done = ("trained by another command meanwhile" if r.get("made_by_another") else
                    f"{r['classes']} classes, {r['sequences']} sequences, {r['seconds']} s")
            log(f"  trunk without {r['held_out']}: {done} ({time.perf_counter() - t0:.0f} s elapsed)")
    for p, trunk in want.items():
        check_unseen(trunk, [p], "a cached trunk")
    return want
