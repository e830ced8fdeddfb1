"""Few-shot cross-validation by signer: how well does ``adapt`` fit a person it has never seen from K recordings?

For every signer: a base model is trained on all the OTHER signers (the default recipe; cached on disk, so a rerun
only adapts), K sequences per action of the held-out signer are drawn at random (seeded), the base is adapted on them
(:func:`signlstm.adapt.adapt`) and tested on the rest of that signer's sequences, labels as recorded. Beside it, the
tutorial recipe is trained from scratch on the same K sequences. Folds run in parallel worker processes.

A third figure bounds what any adaptation of that base can do for the signer: ``own`` is the accuracy of a logistic
regression on the base's frozen features (where ``adapt`` cuts the network) trained on 4/5 of the signer's own
sequences and tested on the other 1/5 (stratified 5-fold, about 24 shots per action, signs only, no ``none``). A
signer low there is limited by their recordings (gestures that are the same under two labels, hands undetected), not
by the number of shots.

``signlstm evaluate --cv signers --shots 1 3 5`` calls :func:`run_cli`.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

CACHE = Path(__file__).resolve().parents[2] / "out" / "cache" / "fewshot"


# ---------------------------------------------------------------------------------------------------------------- bases

def data_key(paths, recipe: str, epochs: int | None, seed: int, negatives=None, fixes=None) -> str:
    """A short hash naming the base models trained from these files with this recipe (file names, sizes, mtimes)."""
    h = hashlib.sha1()
    files = []
    fix_files = [Path(fixes)] if fixes and fixes != "audit" else []
    for p in list(map(Path, paths)) + list(map(Path, negatives or [])) + fix_files:
        files += sorted(p.glob("*.npz")) if p.is_dir() else [p]
    for f in files:
        st = f.stat()
        h.update(f"{f.resolve()}|{st.st_size}|{int(st.st_mtime)}\n".encode())
    h.update(f"{recipe}|{epochs}|{seed}|neg={bool(negatives)}|fixes={fixes}".encode())
    here = Path(__file__).resolve().parent
    # the recipe's code
    for name in ("features.py", "augment.py", "recipes.py", "architectures.py", "training.py", "datasets.py",
                 "audit.py"):
        if (here / name).exists():
            h.update((here / name).read_bytes())
    return f"{recipe}-e{epochs or 'default'}-s{seed}-{h.hexdigest()[:10]}"


def _limit_threads():
    """One worker process = one core's worth of XLA threads (the machine is shared)."""
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
    os.environ.setdefault("KERAS_BACKEND", "jax")


def train_base(paths, held_out: str, out: Path, recipe: str = "default", epochs: int | None = None, seed: int = 0,
               negatives=None, fixes=None) -> dict:
    """Train ``recipe`` on every signer in ``paths`` except ``held_out`` and save the bundle to ``out``."""
    from ..models.bundle import save_bundle
    from ..datasets import add_negatives, load
    from ..training import fit

    t0 = time.time()
    data = load(paths)
    data = data.subset(data.groups != held_out)
    if fixes:  # "audit": audit the training signers only, so nothing of the held-out signer reaches the fixes
        from .audit import apply_fixes, audit

        data = apply_fixes(data, audit(data, n_splits=5).fixes if fixes == "audit" else fixes)
    if negatives:
        data = add_negatives(data, negatives, seed=seed)
        data = data.subset(data.groups != held_out)  # the held-out signer's other signs stay out too
    bundle = fit(data, recipe, epochs=epochs, seed=seed, progress=False, test_split=0.0)
    bundle.meta["training"]["held_out"] = held_out
    save_bundle(bundle.model, bundle.meta, out)
    return {"signer": held_out, "seconds": round(time.time() - t0, 1), "path": str(out)}


def _train_base_worker(kwargs):
    _limit_threads()
    import signlstm  # noqa: F401

    return train_base(**kwargs)


def ensure_bases(paths, signers, cache: Path, recipe="default", epochs=None, seed=0, negatives=None, fixes=None,
                 workers: int = 0, log=print) -> dict[str, Path]:
    """The per-fold base bundles, trained (in parallel processes) only where the cache lacks them."""
    import multiprocessing as mp

    folder = Path(cache) / data_key(paths, recipe, epochs, seed, negatives, fixes)
    want = {s: folder / s for s in signers}
    todo = [s for s, p in want.items() if not (p / "signlstm.json").exists()]
    if todo:
        workers = min(len(todo), workers or os.cpu_count() or 1)
        log(f"training {len(todo)} base model(s) ({recipe}, without the held-out signer) into {folder} "
            f"with {workers} worker(s)")
        jobs = [dict(paths=[str(p) for p in paths], held_out=s, out=want[s], recipe=recipe, epochs=epochs,
                     seed=seed, negatives=negatives, fixes=fixes) for s in todo]
        t0 = time.time()
        if workers <= 1:
            for j in jobs:
                r = train_base(**j)
                log(f"  base without {r['signer']}: {r['seconds']} s")
        else:
            with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as ex:
                for f in as_completed([ex.submit(_train_base_worker, j) for j in jobs]):
                    r = f.result()
                    log(f"  base without {r['signer']}: {r['seconds']} s ({time.time() - t0:.0f} s elapsed)")
    return want




# ---------------------------------------------------------------------------------------------------------------- folds

def run_fold(task: dict) -> dict:
    """One held-out signer: adapt its base on K shots (for every K), and train the tutorial recipe from scratch on
    the same shots; test both on the signer's other sequences."""
    import keras

    from ..adapt import adapt, choose_shots
    from ..models.bundle import load_bundle
    from ..training import fit

    data, signer, seed = task["data"], task["signer"], task["seed"]
    out = {"signer": signer, "seed": seed, "n": len(data), "k": {}}
    for k in task["shots"]:
        pick = choose_shots(data, k, seed)
        test = data.subset(np.setdiff1d(np.arange(len(data)), pick))
        base = load_bundle(task["base"])
        if k == task["shots"][0]:
            p = np.array(base.labels)[base.predict(test.X).argmax(1)]
            out["base_acc"] = float((p == test.labels).mean())
            out["own_acc"] = within_signer_accuracy(base, data, seed)
        t0 = time.time()
        b = adapt(base, data, shots=k, seed=seed, method=task["method"])
        secs = time.time() - t0
        pred = np.array(b.labels)[b.predict(test.X).argmax(1)]
        row = {"acc": float((pred == test.labels).mean()), "seconds": secs, "test": len(test),
               "support": int(len(pick)), "errors": _errors(test, pred)}
        if task["tutorial"]:
            keras.backend.clear_session()
            t0 = time.time()
            tb = fit(data.subset(pick), "tutorial", epochs=task["tutorial_epochs"], seed=seed, progress=False,
                     test_split=0.0)
            row["tutorial_seconds"] = time.time() - t0
            tp = np.array(tb.labels)[tb.predict(test.X).argmax(1)]
            row["tutorial_acc"] = float((tp == test.labels).mean())
            row["tutorial_epochs"] = tb.meta["training"]["epochs_run"]
        out["k"][k] = row
        keras.backend.clear_session()
    return out


def within_signer_accuracy(base, data, seed: int = 0, folds: int = 5) -> float:
    """Stratified ``folds``-fold accuracy of a logistic regression on ``base``'s frozen features of one signer's
    sequences (its signs only): how well those features separate the signer's own labels given most of them."""
    import keras
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from ..adapt import forward_fn, split_model

    counts = [int((data.labels == a).sum()) for a in set(data.labels.tolist())]
    folds = min([folds] + counts)
    if folds < 2 or len(counts) < 2:
        return float("nan")  # too few sequences of some action to hold any out
    inp, cut, _, _ = split_model(base.model)
    features = forward_fn(keras.Model(inp, cut))(data.X)
    clf = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=3000))
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    return float(cross_val_score(clf, features, data.labels, cv=cv).mean())


def _errors(test, pred) -> dict:
    """true -> predicted -> count, for the wrong predictions."""
    err: dict = {}
    for t, p in zip(test.labels.tolist(), pred.tolist()):
        if t != p:
            err.setdefault(t, {}).setdefault(p, 0)
            err[t][p] += 1
    return err


def _fold_worker(task):
    _limit_threads()
    import warnings

    import signlstm  # noqa: F401

    warnings.filterwarnings("ignore")
    return run_fold(task)


def time_cli(model: Path, data_file: str, k: int, seed: int, out: Path) -> float:
    """Wall time of ``signlstm adapt`` as a user runs it (a fresh process: start-up, loading, adapting, saving)."""
    import subprocess

    exe = Path(sys.executable).with_name("signlstm")
    cmd = ([str(exe)] if exe.exists() else [sys.executable, "-m", "signlstm"]) + [
        "adapt", "--model", str(model), "--data", data_file, "--shots", str(k), "--seed", str(seed),
        "--out", str(out)]
    env = {k_: v for k_, v in os.environ.items() if k_ != "XLA_FLAGS"}
    t0 = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.time() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {p.stderr.strip()[-500:]}")
    return wall


def few_shot_cv(paths, shots=(1, 3, 5), seed: int = 0, workers: int = 0, cache: Path = CACHE,
                recipe: str = "default", epochs: int | None = None, negatives=None, fixes=None,
                tutorial: bool = True, tutorial_epochs: int | None = None, method: str = "top",
                time_k: int | None = 5, signers=None, log=print) -> dict:
    """Few-shot leave-one-signer-out cross-validation; see the module docstring. Returns per-signer results."""
    import multiprocessing as mp

    from ..datasets import load
    from ..errors import SignlstmError

    t_start = time.time()
    shots = sorted(set(int(k) for k in shots))
    data = load(paths)
    all_signers = sorted(set(data.groups.tolist()))
    signers = [s for s in (signers or all_signers)]
    if len(all_signers) < 2:
        raise SignlstmError(f"--cv signers needs at least 2 signers, the data has {all_signers}")
    bases = ensure_bases(paths, signers, cache, recipe, epochs, seed, negatives, fixes, workers, log)
    t_bases = time.time() - t_start
    # Fold results are cached beside the bases, keyed by everything that makes them (and the adaptation code).
    h = hashlib.sha1(f"{shots}|{seed}|{method}|{tutorial}|{tutorial_epochs}".encode())
    for name in ("adapt.py", "fewshot.py"):
        h.update((Path(__file__).resolve().parent / name).read_bytes())
    fold_dir = Path(bases[signers[0]]).parent / "folds" / h.hexdigest()[:10]
    results, tasks = [], []
    for s in signers:
        f = fold_dir / f"{s}.json"
        if f.exists():
            results.append(_from_json(json.loads(f.read_text())))
        else:
            tasks.append(dict(data=data.subset(data.groups == s), signer=s, seed=seed, shots=shots,
                              base=str(bases[s]), method=method, tutorial=tutorial, tutorial_epochs=tutorial_epochs))
    if results:
        log(f"{len(results)} fold result(s) reused from {fold_dir}")
    del data
    workers = max(1, min(len(tasks), workers or os.cpu_count() or 1))
    fold_dir.mkdir(parents=True, exist_ok=True)

    def keep(r):
        results.append(r)
        from ..files import write_text

        write_text(fold_dir / f"{r['signer']}.json", json.dumps(r, default=str))

    log(f"adapting {len(tasks)} signer(s) x K={shots}" + (" + tutorial from scratch" if tutorial else "")
        + f" with {workers} worker(s)")
    t0 = time.time()
    if workers <= 1:
        for t in tasks:
            keep(run_fold(t))
            log(f"  {t['signer']} done ({time.time() - t0:.0f} s)")
    else:
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as ex:
            for f in as_completed([ex.submit(_fold_worker, t) for t in tasks]):
                keep(f.result())
                log(f"  {results[-1]['signer']} done ({time.time() - t0:.0f} s elapsed)")
    results.sort(key=lambda r: r["signer"])
    t_folds = time.time() - t0

    # The user's view of speed: `signlstm adapt --shots K` in a fresh process, one at a time (nothing else of ours
    # running), on the signer's own packed file.
    files = _signer_files(paths)
    if time_k:
        import tempfile

        log(f"timing `signlstm adapt --shots {time_k}` in a fresh process per signer (sequentially)")
        with tempfile.TemporaryDirectory() as tmp:
            for r in results:
                f = files.get(r["signer"])
                if f is not None:
                    r["cli_seconds"] = time_cli(bases[r["signer"]], f, time_k, seed, Path(tmp) / r["signer"])
    return {"results": results, "shots": shots, "seed": seed, "method": method, "recipe": recipe,
            "cache": str(Path(bases[signers[0]]).parent), "time_k": time_k,
            "seconds": {"bases": t_bases, "folds": t_folds, "total": time.time() - t_start},
            "load": os.getloadavg()}


def _from_json(r: dict) -> dict:
    r["k"] = {int(k): v for k, v in r["k"].items()}
    return r


def _signer_files(paths) -> dict[str, str]:
    out = {}
    for p in map(Path, paths):
        for f in (sorted(p.glob("*.npz")) if p.is_dir() else [p] if p.suffix == ".npz" else []):
            out[f.stem] = str(f)
    return out


TARGET_MEAN, TARGET_SIGNER, TARGET_COUNT = 0.98, 0.95, 20  # issue 7 "done when", for K = 5


def format_cv(res: dict) -> str:
    shots = res["shots"]
    rs = res["results"]
    tut = any("tutorial_acc" in r["k"][shots[0]] for r in rs)
    own = all("own_acc" in r for r in rs)
    head = (f"{'signer':9}{'base':>6} " + (f"{'own':>7} |" if own else "")
            + "".join(f"{'K=' + str(k):>7}" for k in shots))
    if tut:
        head += " |" + "".join(f"{'tut' + str(k):>7}" for k in shots)
    head += " |" + "".join(f"{'s K=' + str(k):>7}" for k in shots)
    if any("cli_seconds" in r for r in rs):
        head += f" | cli K={res['time_k']}"
    lines = [f"few-shot leave-one-signer-out: base = '{res['recipe']}' recipe trained without the signer "
             f"(cached in {res['cache']}), adapted with method '{res['method']}' on K random sequences per action "
             f"(seed {res['seed']}), tested on the signer's other sequences, labels as recorded",
             "columns: base = un-adapted base; own = logistic regression on the base's features, 5-fold within the "
             "signer (about 24 shots per action; signs only); K=k adapted accuracy; tutk = tutorial recipe trained "
             "from scratch on the same K; s K=k = adaptation seconds in the worker (no start-up); cli = wall "
             "seconds of `signlstm adapt` in a fresh process", "", head]

    def pct(v):
        return f"{100 * v:6.1f}%"

    for r in rs:
        row = (f"{r['signer']:9}{pct(r.get('base_acc', float('nan')))}" + (pct(r["own_acc"]) + " |" if own else "")
               + "".join(pct(r["k"][k]["acc"]) for k in shots))
        if tut:
            row += " |" + "".join(pct(r["k"][k]["tutorial_acc"]) for k in shots)
        row += " |" + "".join(f"{r['k'][k]['seconds']:7.1f}" for k in shots)
        if "cli_seconds" in r:
            row += f" | {r['cli_seconds']:7.1f}"
        lines.append(row)
    mean = {k: float(np.mean([r["k"][k]["acc"] for r in rs])) for k in shots}
    row = (f"{'mean':9}{pct(np.mean([r.get('base_acc', np.nan) for r in rs]))}"
           + (pct(np.nanmean([r["own_acc"] for r in rs])) + " |" if own else "") + "".join(pct(mean[k]) for k in shots))
    if tut:
        row += " |" + "".join(pct(np.mean([r["k"][k]["tutorial_acc"] for r in rs])) for k in shots)
    row += " |" + "".join(f"{np.median([r['k'][k]['seconds'] for r in rs]):7.1f}" for k in shots)
    cli = [r["cli_seconds"] for r in rs if "cli_seconds" in r]
    if cli:
        row += f" | {np.median(cli):7.1f}"
    lines += [row + "   (seconds: median)", ""]
    for k in shots:
        accs = {r["signer"]: r["k"][k]["acc"] for r in rs}
        low = {s: a for s, a in accs.items() if a < TARGET_SIGNER}
        lines.append(f"K={k}: mean {100 * mean[k]:.1f}%, {len(accs) - len(low)}/{len(accs)} signers >= "
                     f"{TARGET_SIGNER:.0%}" + (", below: " + ", ".join(
                         f"{s} {100 * a:.1f}% (errors {_fmt_err(next(r for r in rs if r['signer'] == s)['k'][k]['errors'])})"
                         for s, a in low.items()) if low else ""))
    accs = {r["signer"]: r["own_acc"] for r in rs if np.isfinite(r.get("own_acc", np.nan))}
    if accs:
        low = {s_: a for s_, a in accs.items() if a < TARGET_SIGNER}
        lines.append(f"own (5-fold within the signer): mean {100 * np.mean(list(accs.values())):.1f}%, "
                     f"{len(accs) - len(low)}/{len(accs)} signers >= {TARGET_SIGNER:.0%}"
                     + (", below: " + ", ".join(f"{s_} {100 * a:.1f}%" for s_, a in low.items()) if low else ""))
    if 5 in shots:
        accs = [r["k"][5]["acc"] for r in rs]
        ok = mean[5] >= TARGET_MEAN and sum(a >= TARGET_SIGNER for a in accs) >= min(TARGET_COUNT, len(accs))
        lines.append(f"target K=5 (mean >= {TARGET_MEAN:.0%}, >= {TARGET_COUNT} signers >= {TARGET_SIGNER:.0%}): "
                     + ("MET" if ok else "NOT MET"))
    if cli:
        lines.append(f"`signlstm adapt --shots {res['time_k']}` wall time incl. start-up: median {np.median(cli):.1f} s, "
                     f"max {max(cli):.1f} s over {len(cli)} signers (target median < 10 s)")
    s = res["seconds"]
    lines.append(f"wall time {s['total'] / 60:.1f} min (bases {s['bases']:.0f} s, folds {s['folds']:.0f} s); "
                 f"load average at the end {res['load'][0]:.1f} on {os.cpu_count()} cores")
    return "\n".join(lines)


def _fmt_err(err: dict) -> str:
    return ", ".join(f"{t}->{p} x{n}" for t, ps in err.items() for p, n in ps.items()) or "-"


def run_cli(args) -> int:
    """``signlstm evaluate --cv signers --shots K...``."""
    archs = [a for a in args.arch if a != "tutorial"] or ["default"]
    res = few_shot_cv(args.data, shots=args.shots, seed=args.seeds[0], workers=args.workers, recipe=archs[0],
                      epochs=args.epochs, negatives=args.negatives, fixes=args.fixes,
                      tutorial_epochs=getattr(args, "tutorial_epochs", None),
                      method=getattr(args, "method", None) or "top",
                      time_k=5 if 5 in args.shots else max(args.shots),
                      log=lambda m: print(m, file=sys.stderr, flush=True))
    if getattr(args, "json", False):
        print(json.dumps(res, default=str))
    else:
        print(format_cv(res))
    return 0
