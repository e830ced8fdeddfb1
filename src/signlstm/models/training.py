"""Fit a recipe on a dataset and return a bundle, with progress and optional TensorBoard logs.

Memory: ``fit`` reads the data batch by batch from what the :class:`Dataset` holds (load it with
``parts=recipe.parts_read, dtype=np.float16``: 15,480 bytes per 30-frame sequence for the default recipe, 99,720 for
the tutorial's, which reads the whole frame); only the batch in hand is expanded to 1662-value float32 frames.
"""
from __future__ import annotations

import contextlib
import signal
import threading
import time
from pathlib import Path

import keras
import numpy as np
from sklearn.model_selection import train_test_split

from . import recipes
from .bundle import Bundle, library_versions
from ..datasets import Dataset
from ..sign_names import NONE
from ..errors import SignlstmError
from ..wording import counted

EMA_SPAN = 5  # an optimizer's moving average spans at least 1/EMA_SPAN of the training's steps (see ema_fit)


class _Progress(keras.callbacks.Callback):
    """One tqdm bar over epochs showing loss and accuracy."""

    def __init__(self, epochs: int):
        super().__init__()
        from tqdm.auto import tqdm

        self.bar = tqdm(total=epochs, unit="epoch", desc="train", leave=True)

    def on_epoch_end(self, epoch, logs=None):
        self.bar.update(1)
        self.bar.set_postfix({k: f"{v:.3f}" for k, v in (logs or {}).items() if "loss" in k or "acc" in k})

    def on_train_end(self, logs=None):
        self.bar.close()


class _TensorBoard(keras.callbacks.Callback):
    """Per-epoch scalars as TensorBoard event files (tensorboardX; no TensorFlow needed)."""

    def __init__(self, logdir: str):
        super().__init__()
        from ..errors import optional
        from ..outputs import check_free_space

        # tensorboardX fails on a full disk with tracebacks from its thread and its exit handler: refuse it first
        check_free_space(logdir, 1 << 20)
        self.logdir = logdir
        self.writer = optional("tensorboardX", "logs", "--logdir").SummaryWriter(logdir)

    def on_epoch_end(self, epoch, logs=None):
        for k, v in (logs or {}).items():
            self.writer.add_scalar(k, float(v), epoch)

    def on_train_end(self, logs=None):
        from ..files import not_written

        try:
            self.writer.close()
        except OSError as e:  # the disk filled during training
            raise not_written(self.logdir, e) from None


class _Batches(keras.utils.PyDataset):
    """Training batches expanded from the dataset's stored parts to (B, T, 1662) float32, in a new random order each
    epoch, with the recipe's augmentation applied anew when it has one."""

    def __init__(self, data: Dataset, idx, Y, batch_size, augment, seed):
        super().__init__()
        self.data, self.idx, self.Y, self.bs, self.augment = data, np.asarray(idx), Y, batch_size, augment
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(self.idx)

    def __len__(self):
        if self.augment is None:
            return max(1, -(-len(self.idx) // self.bs))
        # Augmented recipes take full batches only (the order is reshuffled every epoch, so every sequence is still
        # seen): one batch shape, one compiled train step, which lets cross-validation reuse it across folds.
        return max(1, len(self.idx) // self.bs)

    def __getitem__(self, i):
        sel = self.order[i * self.bs:(i + 1) * self.bs]
        X = self.data.batch(sel)
        return (X if self.augment is None else self.augment(X, self.rng)), self.Y[sel]

    def on_epoch_end(self):
        self.order = self.rng.permutation(self.idx)


class _HeldInterrupt(keras.callbacks.Callback):
    """Raises a Ctrl-C held by :func:`held_interrupts` at the end of a training batch or epoch, where the model and
    its optimizer are whole."""

    def __init__(self, pending):
        super().__init__()
        self.pending = pending

    def _check(self):
        if self.pending:
            raise KeyboardInterrupt

    def on_train_batch_end(self, batch, logs=None):
        self._check()

    def on_epoch_end(self, epoch, logs=None):
        self._check()


@contextlib.contextmanager
def held_interrupts():
    """Hold Ctrl-C (SIGINT) while Keras builds and steps the model: yields a list that a first Ctrl-C fills, for
    :class:`_HeldInterrupt` to raise as ``KeyboardInterrupt`` at the next batch's end (and this block at its end);
    a second Ctrl-C raises at once. A ``KeyboardInterrupt`` raised inside JAX's tracing of the first training step
    (while it compiles, the first seconds) or in a garbage-collection callback is swallowed or turned into another
    error by Keras' clean-up (``TypeError: 'NoneType' object is not callable``, or training that goes on). Only in
    the main thread, and only over Python's own handler or the command's
    (:func:`signlstm.interrupts.interrupts_remembered`, which is told of the Ctrl-C too), not where a program has set
    its own or ignores SIGINT."""
    from ..interrupts import REMEMBERING, remember_interrupt

    pending: list = []
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or \
            previous not in (signal.default_int_handler, REMEMBERING):
        yield pending
        return

    def hold(signum, frame):
        if previous is REMEMBERING:
            remember_interrupt(signum)
        if pending:
            raise KeyboardInterrupt
        pending.append(signum)

    signal.signal(signal.SIGINT, hold)
    try:
        yield pending
    finally:
        signal.signal(signal.SIGINT, previous)
    if pending:
        raise KeyboardInterrupt


def _interrupted(e: BaseException) -> bool:
    """True when ``e`` was raised while a KeyboardInterrupt was being handled (its context chain holds one)."""
    seen = set()
    while e is not None and id(e) not in seen:
        if isinstance(e, KeyboardInterrupt):
            return True
        seen.add(id(e))
        e = e.__context__
    return False


def split(data: Dataset, share: float, seed: int, stratify: bool):
    """Indices of a random train/test split (the tutorial's ``train_test_split``)."""
    idx = np.arange(len(data))
    if share <= 0:
        return idx, idx[:0]
    strat = data.y if stratify and np.bincount(data.y).min() >= 2 else None
    return train_test_split(idx, test_size=share, random_state=seed, stratify=strat)


def lower_reject_logit(model, index: int, amount: float) -> None:
    """Subtract ``amount`` from the bias of output ``index`` of the model's softmax head (its last layer)."""
    head = model.layers[-1]
    kernel, bias = head.get_weights()
    bias = bias.copy()
    bias[index] -= amount
    head.set_weights([kernel, bias])


def ema_fit(optimizer, steps: int) -> None:
    """Shorten the moving average of an optimizer with ``use_ema`` to what ``steps`` optimizer steps can fill: its
    momentum at most ``1 - EMA_SPAN / steps``. Keras starts the average at the first step's weights, so 0.99 over
    the 40-odd steps of a tutorial-sized folder (90 recordings, 20 epochs) would keep two thirds of those nearly
    untrained weights; from 500 steps on (every benchmark's and the shipped models' training) nothing changes."""
    if getattr(optimizer, "use_ema", False) and steps > 0:
        optimizer.ema_momentum = min(float(optimizer.ema_momentum), max(0.0, 1.0 - EMA_SPAN / steps))


def train_bundle(data: Dataset, recipe: str | recipes.Recipe = "default", others: Dataset | None = None,
                 fixes=None, epochs: int | None = None, seed: int = 0, logdir: str | None = None,
                 named: dict | None = None, on_stage=None) -> tuple[Bundle, dict, list[str]]:
    """What ``signlstm train`` makes of ``data``: (the bundle, the extra files to save beside it, notes for the
    person, one line each). The fixes (a file or rows) are applied (none of them naming a recording of ``data`` is a
    note: :func:`~signlstm.datasets.fixes.matched_none`) and ``others`` (other signs, a Dataset) trained as
    ``none`` (:func:`~signlstm.datasets.training_sets.training_set`); the other signs' trunk features are stored for
    ``adapt`` (:func:`~signlstm.models.stored_features.other_sign_arrays`), so an adapted model keeps rejecting
    them. ``named``: how the metadata names the fixes and the other signs (``{"fixes": ..., "negatives": [...]}``,
    e.g. their paths). ``on_stage(text)`` is told of each stage that may take a while as it starts (see :func:`fit`)."""
    from ..datasets.fixes import matched_none
    from ..datasets.training_sets import check_negatives, training_set

    if others is not None:
        check_negatives(others, data.actions)
    signs = list(data.actions)
    notes = [note] if fixes is not None and (note := matched_none(data, fixes)) else []
    data = training_set(data, fixes=fixes, negatives=others, seed=seed)
    if gone := [a for a in signs if a not in data.actions]:
        why = f"the fixes in {fixes} leave" if isinstance(fixes, (str, Path)) else \
            "the fixes leave" if fixes else "the data holds"
        notes.append(f"left out {', '.join(repr(a) for a in gone)}: {why} no recording of "
                     f"{'it' if len(gone) == 1 else 'them'} to learn from")
    bundle = fit(data, recipe, epochs=epochs, seed=seed, logdir=logdir, on_stage=on_stage)
    if untrained := bundle.meta["training"]["untrained_labels"]:
        notes.append(f"{', '.join(repr(a) for a in untrained)}: every recording was held back to test the model, so "
                     f"{'its output was' if len(untrained) == 1 else 'their outputs were'} never trained; record more")
    bundle.meta["training"].update(named or {})
    extra = {}
    if others is not None and bundle.reject_label:  # for `adapt`, which then keeps rejecting other signs
        from .stored_features import OTHER_SIGNS, npz_bytes, other_sign_arrays

        if on_stage:
            on_stage(f"storing the trunk features of the {len(others):,} other signs, for adapt")
        extra[OTHER_SIGNS] = npz_bytes(**other_sign_arrays(bundle, others, seed=seed))
    return bundle, extra, notes


def fit(data: Dataset, recipe: str | recipes.Recipe = "default", epochs: int | None = None, seed: int = 0,
        logdir: str | None = None, progress: bool = True, test_split: float | None = None,
        verbose: int = 0, on_stage=None) -> Bundle:
    """Train ``recipe`` on ``data``; the bundle's metrics come from the held-back split. ``on_stage(text)`` is told,
    as each starts, of the stages before the first epoch ends that take a while: a recipe's own batches (the
    spotting recipe's synthetic streams) and the first epoch, which also compiles the network."""
    r = recipes.get(recipe) if isinstance(recipe, str) else recipe
    if len(data.actions) < 2:
        raise SignlstmError(f"training needs at least 2 actions, the data has {data.actions}")
    keras.utils.set_random_seed(seed)
    n = len(data.actions)
    Y = keras.utils.to_categorical(data.y, n).astype(np.float32)
    share = r.test_split if test_split is None else test_split
    tr, te = split(data, share, seed, r.stratify)
    model = r.build(n, data.seq_len)
    epochs = epochs or r.epochs
    if on_stage and r.batches:
        on_stage(f"making the {r.name} recipe's training batches from {counted(len(tr), 'sequence', grouped=True)}")
    batches = (r.batches or _Batches)(data, tr, Y, r.batch_size or 32, r.augment, seed)  # may refuse the data
    logs = [_TensorBoard(logdir)] if logdir else []  # (refused on a full disk before the progress bar shows)
    if on_stage:  # before the bar is drawn
        on_stage(f"training on {counted(len(tr), 'sequence', grouped=True)} for up to {counted(epochs, 'epoch')}; "
                 "the first epoch also compiles the network, so it takes longest")
    bar = [_Progress(epochs)] if progress else []
    callbacks = r.callbacks() + bar + logs
    ema_fit(model.optimizer, epochs * len(batches))
    t0 = time.perf_counter()
    with held_interrupts() as pending:
        try:
            hist = model.fit(batches, epochs=epochs, callbacks=[_HeldInterrupt(pending)] + callbacks, verbose=verbose)
        except Exception as e:  # noqa: BLE001 - a second Ctrl-C inside the first step's tracing: Keras' clean-up
            if _interrupted(e):  # fails on the half-built step (TypeError) while the KeyboardInterrupt propagates
                raise KeyboardInterrupt from None
            raise
        finally:  # Keras ends no callback on an exception: the bar's line ends before anything said next
            for b in bar:
                b.bar.close()
    seconds = time.perf_counter() - t0
    if getattr(model.optimizer, "use_ema", False):
        # Keras' EMA finalisation leaves each weight sharing its buffer with its moving average; the next predict,
        # which donates the weights' buffers on JAX, would free the averages too and saving would then fail.
        for v in model.trainable_variables:
            v.assign(np.array(v.value))
    if NONE in data.actions and r.reject_bias:
        lower_reject_logit(model, data.actions.index(NONE), r.reject_bias)
    bundle = Bundle(model, {
        "labels": list(data.actions),
        "seq_len": data.seq_len,
        "arch": r.name,
        "preprocessing": r.preprocessing,
        "parts_read": list(r.parts_read),
        "training": {**data.summary(), "seed": seed, "epochs_run": len(hist.history["loss"]),
                     "epochs_max": epochs, "seconds": round(seconds, 1), "test_split": share,
                     "train_sequences": len(tr),
                     # labels whose every recording the split held back for the test: outputs never trained
                     "untrained_labels": [a for k, a in enumerate(data.actions) if not (data.y[tr] == k).any()]},
        "versions": library_versions(),
    })
    if r.rule:
        bundle.meta["rule"] = r.rule
    if NONE in data.actions:
        bundle.meta["reject_label"] = NONE
        bundle.meta["reject_bias"] = r.reject_bias
    metrics = {"train_loss": float(hist.history["loss"][-1])}
    if len(te):
        pred = np.concatenate([bundle.predict(data.batch(te[i:i + 1024])) for i in range(0, len(te), 1024)]).argmax(1)
        metrics.update(test_accuracy=float((pred == data.y[te]).mean()), test_sequences=int(len(te)))
    bundle.meta["metrics"] = metrics
    return bundle
