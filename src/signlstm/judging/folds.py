"""Models trained without one person each (leave-one-person-out bases), trained once and cached.

Every benchmark that tests a person on a model that never saw them (few-shot, streams, vocabularies) asks
:func:`fold_bases` for its bases. A base is trained on the training set that
:func:`signlstm.datasets.training_sets.training_set` builds from every recording in ``paths`` (and ``negatives``) except
the held-out person's. Bases are cached under :func:`signlstm.files.cache_dir` in a folder named by a hash of the
inputs' content, the options and the training code, so a changed file or recipe trains new bases and an unchanged one
reuses them.
"""
from __future__ import annotations

import hashlib
import time
from contextlib import contextmanager
from pathlib import Path

from ..models.bundle import META_FILE
from .. import parallel
from ..datasets import open_sources, packed_files
from ..files import cache_dir
from ..outputs import check_writable_folder

# The code a base's weights depend on (paths relative to the package).
TRAINING_CODE = ("models/features.py", "models/recipes.py", "models/architectures.py", "datasets/augment.py",
                 "models/training.py", "datasets/__init__.py", "datasets/dataset.py", "datasets/mp_data.py",
                 "datasets/packed.py", "keypoint_files.py", "datasets/fixes.py",
                 "layout.py", "datasets/synthetic_streams.py", "models/spotting_batches.py",
                 "datasets/training_sets.py", "sign_names.py")
AUDIT_CODE = ("judging/audit.py",)


def data_files(paths) -> list[Path]:
    """The files behind data paths: ``.npz`` files, folders of them, ``MP_Data`` trees (every ``.npy``)."""
    out = []
    for p in map(Path, paths or []):
        if p.is_dir():
            out += packed_files(p) or sorted(p.rglob("*.npy"))
        else:
            out.append(p)
    return out


def person(path) -> str:
    """The person id of a recording file (its stem), as :func:`signlstm.datasets.load` names groups."""
    return Path(path).stem if Path(path).suffix.lower() == ".npz" else Path(path).name


def person_paths(paths) -> list[Path]:
    """One path per person behind data paths: each ``.npz`` of a folder of them, an ``MP_Data`` folder whole (its
    name is the person, as :func:`signlstm.datasets.load` names its group), a file as it is. (Not
    :func:`data_files`, which lists an ``MP_Data`` tree's every frame file: for hashing.)"""
    out = []
    for p in map(Path, paths or []):
        packed = packed_files(p) if p.is_dir() else []
        out += packed or [p]
    return out


def check_person_files(paths, benchmark: str, judged: bool = False) -> None:
    """Every header of ``paths`` checked (a missing or defective path raises :class:`~signlstm.errors.BadInput`
    naming it) and each path a packed ``.npz`` or a folder of them, one file per person (the file name is the
    person): what the per-person benchmarks read, checked before anything is trained. For the people ``judged``,
    two files of one name (``alice/vocab.npz``, ``bob/vocab.npz``) are refused: they would be judged as one person.
    (Other signs may hold one person in two files, e.g. a vocabulary and the subset cut from it.)"""
    from ..errors import BadInput

    sources = open_sources(paths)  # the path's own defect (no such file, Git LFS pointer, odd frame size, ...)
    for p in map(Path, paths):
        if p.suffix.lower() != ".npz" and not (p.is_dir() and packed_files(p)):
            raise BadInput(p, f"{benchmark} reads packed .npz files, one per person (the file name is the person), "
                              "or folders of them")
    if judged:
        by_person([s.path for s in sources])


def by_person(files) -> dict[str, Path]:
    """Packed ``files`` by person (the file's stem); two files of one name are :class:`SignlstmError`: two people
    would be judged as one."""
    from ..errors import SignlstmError

    named: dict[str, Path] = {}
    for f in map(Path, files):
        other = named.setdefault(f.stem, f)
        if other != f:
            raise SignlstmError(f"{other} and {f} are both person '{f.stem}' (a file's name is its person): rename one")
    return named


def check_unseen(bundle, people, option: str) -> None:
    """Refuse to judge ``people`` with a ready model trained on any of them: the people of its training set
    (``training.groups`` in its ``signlstm.json``; one per recording file) must not include a person judged."""
    from ..errors import SignlstmError
    from ..models.bundle import read_meta

    seen = sorted(set(people) & set(read_meta(bundle).get("training", {}).get("groups", [])))
    if seen:
        raise SignlstmError(f"{option}: {bundle} was trained on {', '.join(seen)}; it can only judge people it "
                            "never saw (a file of another person that shares the name: rename it)")


def fixes_caveat(fixes) -> str:
    """What a fixes file given to leave-one-person-out training means for the figures: one made by auditing every
    person (as the shipped ``default-fixes.csv`` is) has seen the judged people's recordings."""
    return (f"fixes file {fixes} applied to the training people (a fixes file made by auditing all of them has seen "
            "the judged people's recordings: --fixes audit audits each fold's training people only, for strictly "
            "held-out figures)")


def content_key(*parts, files=(), code=()) -> str:
    """A short hash of ``parts`` (any repr-able values), the bytes of ``files`` and of the package modules ``code``."""
    h = hashlib.sha1(repr(parts).encode())
    for f in files:
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    here = Path(__file__).resolve().parents[1]
    for name in code:
        h.update((here / name).read_bytes())
    return h.hexdigest()[:12]


def shared_recordings(sources) -> dict[tuple[str, str], int]:
    """Recordings that two people of ``sources`` both hold, value for value (compared at float16, so a copy saved in
    another float type counts too; a sequence of zeros, no one in view, is left aside): (person, other person) ->
    how many. Read a chunk at a time; only a 16-byte digest per recording is kept."""
    import numpy as np

    first: dict[bytes, str] = {}
    shared: dict[tuple[str, str], int] = {}
    for src in sources:
        for chunk in src.chunks(256):
            X = chunk.X.astype(np.float16)
            for x, person in zip(X, chunk.groups.tolist()):
                if not x.any():
                    continue
                other = first.setdefault(hashlib.blake2b(x.tobytes(), digest_size=16).digest(), person)
                if other != person:
                    shared[(other, person)] = shared.get((other, person), 0) + 1
    return shared


def check_distinct_people(paths) -> None:
    """Refuse (:class:`~signlstm.errors.SignlstmError`, before any work) data in which two people (files of two
    names) hold the same recordings: one person under two names, who would be on both sides of a split (a person
    in two folders under one name, e.g. a vocabulary and the other signs cut from it, is one person: allowed)."""
    from ..datasets import is_packed_folder
    from ..errors import SignlstmError

    sources: dict[tuple[int, int], list] = {}  # each file once, however often and by whichever path it is given
    for p in map(Path, paths):
        for f in packed_files(p) if p.is_dir() and is_packed_folder(p) else [p]:
            opened = open_sources([f])  # a file that is not data named first; lengths are not checked here
            stat = f.stat()
            sources.setdefault((stat.st_dev, stat.st_ino), opened)
    shared = shared_recordings(s for opened in sources.values() for s in opened)
    if shared:
        (a, b), n = next(iter(shared.items()))
        more = f" (and {len(shared) - 1} more pair(s) of people)" if len(shared) > 1 else ""
        raise SignlstmError(f"{a} and {b} hold {n} of the same recording(s){more}: one person under two names, whose "
                            "recordings would be on both sides of a split; give each person's recordings once, in "
                            "one file")


def check_lengths(files, models: dict) -> None:
    """Refuse (:class:`~signlstm.errors.BadInput` naming the file, as ``adapt`` words it) a person's file whose
    sequences are not as long as the window of the model that judges that person: ``files`` is (person, path) pairs,
    ``models`` each person's model folder (a person without one is not judged by a model: not checked)."""
    from ..errors import BadInput
    from ..models.bundle import length_problem, read_meta

    wants: dict[str, int] = {}
    for person, f in files:
        if person not in models:
            continue
        want = wants.setdefault(str(models[person]), int(read_meta(Path(models[person]))["seq_len"]))
        (src,) = open_sources([f])
        if src.held and src.held != want:
            raise BadInput(f, length_problem(src.held, want))


FOLD_AUDIT_SPLITS = 5  # signer-grouped folds of the audit that --fixes audit runs on each fold's training people


def check_fold_audit(people: int) -> None:
    """:class:`SignlstmError` when ``--fixes audit`` cannot audit each fold's training people (all ``people`` but
    the one held out) in :data:`FOLD_AUDIT_SPLITS` signer-grouped folds, or cleanlab (the ``[audit]`` extra) is not
    installed: said before anything is trained."""
    from .audit import label_issue_finder

    label_issue_finder()
    if people - 1 < FOLD_AUDIT_SPLITS:
        from ..errors import SignlstmError

        raise SignlstmError(f"--fixes audit audits each fold's training people in {FOLD_AUDIT_SPLITS} "
                            f"signer-grouped folds: it needs at least {FOLD_AUDIT_SPLITS + 1} people, the data has "
                            f"{people} (give a fixes file, or none)")


def fold_fixes(data, held_out: str, feats=None) -> list[dict]:
    """``--fixes audit`` for one fold: the fixes of the audit of everyone in ``data`` but ``held_out``, in
    :data:`FOLD_AUDIT_SPLITS` signer-grouped folds (``feats``: the audit's features of all of ``data``, computed
    once), so the held-out person's recordings shape no fix of the model that judges them."""
    from .audit import audit

    keep = data.groups != held_out
    return audit(data.subset(keep), n_splits=FOLD_AUDIT_SPLITS, feats=None if feats is None else feats[keep]).fixes


def train_base(paths, held_out: str, out: str | Path, recipe: str = "default", epochs: int | None = None,
               seed: int = 0, negatives=None, fixes=None) -> dict:
    """Train ``recipe`` on everyone in ``paths`` (+ ``negatives``) except ``held_out`` and save the bundle to
    ``out``. ``fixes``: a fixes file, or "audit" to audit the training people only."""
    from ..datasets import load
    from ..datasets.training_sets import training_set
    from ..models import recipes
    from ..models.bundle import save_bundle
    from ..models.training import fit

    t0 = time.perf_counter()
    # what the recipe reads, as `train` holds it (the audit reads the whole frame)
    held = {} if fixes == "audit" else recipes.get(recipe).held
    data = load(paths, **held)
    if fixes == "audit":
        fixes = fold_fixes(data, held_out)
    train = training_set(data, fixes=fixes, negatives=negatives, held_out=[held_out], seed=seed)
    bundle = fit(train, recipe, epochs=epochs, seed=seed, progress=False, test_split=0.0)
    bundle.meta["training"]["held_out"] = held_out
    save_bundle(bundle.model, bundle.meta, out)
    return {"held_out": held_out, "seconds": round(time.perf_counter() - t0, 1), "path": str(out)}


@contextmanager
def made_once(out: str | Path):
    """Hold, against the other processes of this machine that make the same cache entry ``out`` (a base, a trunk),
    the lock of a hidden ``.<name>.lock`` file beside it: a command started while another trains ``out`` waits for it
    and then finds it made, instead of training it again and swapping it under the other's feet. Where the machine
    has no ``flock`` (Windows), nothing is held."""
    out = Path(out)
    try:
        import fcntl
    except ImportError:
        yield
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{out.name}.lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield  # (the lock ends with the file's closing)


def result_made_once(out: str | Path, make, load=None) -> tuple[object, bool]:
    """The result kept as JSON in the cache file ``out``, made by ``make()`` and written there while this process
    holds the lock of :func:`made_once` (or read back, through ``load`` when given, if another command wrote it while
    this one waited): (the result, whether another command made it)."""
    import json

    from ..files import write_text

    with made_once(out):
        if Path(out).is_file():
            kept = json.loads(Path(out).read_text())
            return (load(kept) if load else kept), True
        result = make()
        write_text(out, json.dumps(result, default=str))
        return result, False


def _train(job: dict) -> dict:
    with made_once(job["out"]):
        if (Path(job["out"]) / META_FILE).exists():  # another command trained it while this one waited
            return {"held_out": job["held_out"], "seconds": 0.0, "path": str(job["out"]), "made_by_another": True}
        return train_base(**job)


def fold_bases(paths, held_out, recipe: str = "default", epochs: int | None = None, seed: int = 0, negatives=None,
               fixes=None, workers: int = 0, ray: str | None = None, cache=None, log=print,
               also_unseen: dict[str, list[str]] | None = None) -> dict[str, Path]:
    """One base bundle per person in ``held_out``, trained without that person where the cache lacks it. Each base,
    trained now or earlier (a cache kept from older code), is read back for whom it saw (:func:`check_unseen`): one
    that saw its held-out person, or a person ``also_unseen`` names for it, is refused."""
    paths = [str(p) for p in paths]
    negatives = [str(p) for p in negatives] if negatives else negatives
    fix_files = [fixes] if fixes and fixes != "audit" else []
    key = content_key(recipe, epochs, seed, negatives is not None, fixes == "audit",
                      [person(f) for f in person_paths([*paths, *(negatives or [])])],  # whom each file holds
                      files=data_files(paths) + data_files(negatives) + fix_files,
                      code=TRAINING_CODE + (AUDIT_CODE if fixes == "audit" else ()))
    folder = cache_dir(cache) / "bases" / f"{recipe}-s{seed}-{key}"
    want = {s: folder / s for s in held_out}
    todo = [s for s, p in want.items() if not (p / META_FILE).exists()]
    if todo and fixes == "audit":
        check_fold_audit(len(data_files(paths)))
    if todo:
        check_writable_folder(folder)  # before any base is trained
        log(f"training {len(todo)} base model(s) ({recipe}, each without one person) into {folder}")
        jobs = [dict(paths=paths, held_out=s, out=want[s], recipe=recipe, epochs=epochs, seed=seed,
                     negatives=negatives, fixes=fixes) for s in todo]
        t0 = time.perf_counter()
        for r in parallel.map_tasks(_train, jobs, workers=workers, ray=ray, ordered=False):
            done = "trained by another command meanwhile" if r.get("made_by_another") else f"{r['seconds']} s"
            log(f"  base without {r['held_out']}: {done} ({time.perf_counter() - t0:.0f} s elapsed)")
    for s, base in want.items():
        check_unseen(base, [s, *(also_unseen or {}).get(s, ())], "a cached base")
    return want
