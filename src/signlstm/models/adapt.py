"""Fit a trained bundle to a new person (and new signs) from a handful of their recordings, in seconds.

Method (chosen by measurement, see :mod:`signlstm.judging.fewshot`): the base network up to its learned
``embedding`` is kept frozen (the trunk: body-relative features, GRU, pooling); the ``embedding`` layer is fine-tuned
and a new softmax ``head`` is trained on it, one output per action of the new data (actions the base knows keep their
name, whatever spelling the data gives them, :func:`signlstm.sign_names.same_signs`; new ones are added), plus the
base's rejection output ``none`` when it has one. A vocabulary of the person's own signs, with ``none`` for any
other, is :mod:`signlstm.models.vocabulary`.

1. **Augmented support.** The support windows and a few hundred augmented copies of them (the default recipe's
   augmentation: mirror, scale/rotation/shift, time resampling, dropped hand frames) go through the frozen trunk once.
2. **Prototype start.** The new head starts as a nearest-class-mean classifier on the embedding: class j with mean
   embedding m_j gets weights ``s m_j`` and bias ``-s |m_j|^2 / 2`` (logits rank classes by distance to m_j).
3. **Short fit of the top** (embedding + head) on those features: Adam, label smoothing, dropout, and an L2 pull of
   the embedding weights back to the base's (L2-SP) so a few recordings cannot drag it far (no collapse). The
   trunk is never differentiated, so there is no slow compilation: the whole step takes a second or two on a CPU.
4. When the base has ``none``: the support windows with both hands removed are ``none`` examples (skipped when the
   person's own signs mostly have no hands: their labels win), plus other signs: ``negatives`` if given, else the
   other-sign features stored with the base (:func:`signlstm.models.stored_features.write_other_signs`, written by
   ``signlstm train --negatives``), at most :data:`NEGATIVES_PER_WINDOW` times as many as the person's sign windows
   (a seeded choice); the new ``none``
   output's bias is then lowered by the base's ``reject_bias``, as training does, and by :data:`NEGATIVES_BIAS` more
   when other signs were among the examples. Without any ``none`` example, the base's ``none`` output is kept as it
   was.

The result is a normal bundle; its JSON ``adapted`` entry names the base (path, labels), the shots, the method and
the sequences used.
"""
from __future__ import annotations

import time
import numpy as np

from ..datasets import CHUNK, Dataset, require_person
from ..sign_names import NONE, same_signs
from ..errors import SignlstmError, check_count
from .bundle import VOCAB, Bundle, check_seq_len, is_vocabulary, library_versions
from .cut import HEAD, split_model, trunk_forward
from .stored_features import other_signs_beside, stored_other_signs
from ..wording import counted

METHODS = ("top", "head", "ncm")
# Other-sign recordings given to `adapt` as 'none' examples: at most this many per sign window of the person (all
# 1,000-odd of ../shared/data/other_signs made 'none' win over 6 % of the person's own signs), and the 'none'
# output's prior lowered by this much more than the base's (model card, "Adapting before signing in a row").
NEGATIVES_PER_WINDOW = 3
NEGATIVES_BIAS = 1.0


def choose_shots(data: Dataset, k: int | None, seed: int = 0, rows: np.ndarray | None = None,
                 consecutive: bool = False) -> np.ndarray:
    """Indices of at most ``k`` sequences per action, drawn at random (seeded), sorted; all when ``k`` is None.
    ``rows``: drawn among these indices only. ``consecutive``: each action's ``k`` are neighbours in the data's order
    (the order recorded: a tree's sequence numbers, a packed file's rows), from a seeded start, as a person records
    them one after another, instead of any ``k`` of all."""
    rows = np.arange(len(data)) if rows is None else np.asarray(rows, np.intp)
    if k is None:
        return rows
    check_count("--shots", k, 1)
    rng = np.random.default_rng(seed)
    held = data.labels[rows]
    pools = [pool for pool in (rows[held == a] for a in data.actions) if len(pool)]
    if consecutive:
        starts = [int(rng.integers(0, max(1, len(pool) - k + 1))) for pool in pools]
        idx = [pool[s:s + k] for pool, s in zip(pools, starts)]
    else:
        idx = [rng.choice(pool, min(k, len(pool)), replace=False) for pool in pools]
    return np.sort(np.concatenate(idx)) if idx else np.arange(0)


def output_labels(base: Bundle, data: Dataset) -> list[str]:
    """Labels of the adapted model: the data's actions (base order first, then new ones), then the base's ``none``."""
    reject = base.reject_label
    have = [a for a in data.actions if a not in (NONE, reject) and (data.labels == a).any()]
    known = [a for a in base.labels if a in have]
    return known + [a for a in have if a not in known] + ([reject] if reject else [])


def hands_shown(data: Dataset, idx: np.ndarray) -> np.ndarray:
    """Of the sign windows ``idx``, those that show a hand in most frames, when the person's signs mostly do (their
    copies with the hands removed are 'none' examples); else none."""
    from .. import layout

    hands = data.hand_shares(idx)
    if not len(hands) or np.median(hands) < layout.SIGN_HANDS:
        return idx[:0]
    return idx[hands >= layout.SIGN_HANDS]


def _windows(data: Dataset, idx: np.ndarray, bare: bool) -> np.ndarray:
    """The windows ``idx`` of ``data`` as float32, with both hands removed when ``bare``."""
    from .. import layout

    X = data.batch(idx)
    return layout.without_hands(X) if bare else X


def adapt(base: Bundle, data: Dataset, shots: int | None = None, seed: int = 0, method: str = "top",
          copies: int = 256, steps: int = 300, batch_size: int = 64, learning_rate: float = 3e-3,
          l2sp: float = 1e-2, negatives: Dataset | None = None, other_signs: dict | None = None,
          log=None) -> Bundle:
    """A new bundle: ``base`` fitted to ``data`` (at most ``shots`` sequences per action, seeded choice).

    ``negatives``: recordings of other signs as extra ``none`` examples; else ``other_signs``, their features as
    :func:`signlstm.models.stored_features.other_sign_arrays` gives them; else those stored with the base, if any.
    Either way a recording of one of the person's signs, under any spelling, is not taught as ``none``
    (:func:`~signlstm.datasets.training_sets.usable_negatives`, :func:`~.stored_features.other_signs_beside`; their
    count is the metadata's ``other_signs_left_out``), and ``negatives`` all of which are is refused.

    ``method``: ``top`` (default: embedding + prototype-initialised head fitted on augmented support features),
    ``head`` (the same with the embedding frozen), ``ncm`` (the prototype head alone, no augmentation or training).
    """
    import keras

    from ..datasets import augment as aug
    from ..datasets.training_sets import check_negatives, usable_negatives
    from .training import lower_reject_logit

    t0 = time.perf_counter()
    if method not in METHODS:
        raise SignlstmError(f"unknown adaptation method '{method}' (choose from {', '.join(METHODS)})")
    check_base(base, method)
    check_seq_len(data.seq_len, base.seq_len, data)
    require_person(data, "nothing to adapt to")
    data = data.renamed(same_signs(data.actions, [a for a in base.labels if a not in (NONE, base.reject_label)]))
    chosen = choose_shots(data, shots, seed)
    support = data if len(chosen) == len(data) else data.subset(chosen)  # (sorted and distinct: all, in order)
    labels = output_labels(base, support)
    reject = base.reject_label
    real = [a for a in labels if a != reject]
    if len(real) < 2 and not (real and reject):
        raise SignlstmError(f"adapting needs at least 2 actions (or 1 plus the base's '{reject or NONE}'); "
                            f"the data has {real or 'none'}")
    if negatives is not None:
        check_negatives(negatives, real)
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)

    # Training windows: the person's signs, plus 'none' examples when the base rejects (those signs with their hands
    # removed, the person's own 'none' recordings, other people's signs); each group (data, indices, label, hands
    # removed) is read a chunk at a time, so no copy of the whole data is made.
    sign_idx = np.flatnonzero(np.isin(support.labels, real))
    groups = [(support, sign_idx, np.array([labels.index(a) for a in support.labels[sign_idx]], np.int64), False)]
    others, stored, left_out = 0, None, 0
    if reject:
        r = labels.index(reject)
        groups += [(support, hands_shown(support, sign_idx), r, True),
                   (support, np.flatnonzero(support.labels == reject), r, False)]
        if negatives is not None and len(negatives):
            usable = np.flatnonzero(usable_negatives(negatives, real))
            left_out = len(negatives) - len(usable)
            others = min(len(usable), NEGATIVES_PER_WINDOW * len(sign_idx))
            groups.append((negatives, np.sort(rng.choice(usable, others, replace=False)), r, False))
        else:
            stored = other_signs if other_signs is not None else stored_other_signs(base)
            if stored is not None:
                kept = other_signs_beside(stored, real)
                left_out, stored = len(stored["F"]) - len(kept), kept
            if stored is not None and len(stored):
                others = min(len(stored), NEGATIVES_PER_WINDOW * len(sign_idx))
                stored = stored[np.sort(rng.choice(len(stored), others, replace=False))]
    y = np.concatenate([np.broadcast_to(np.asarray(lab, np.int64), idx.shape) for _, idx, lab, _ in groups])

    # Frozen trunk features of the windows and of augmented copies of them (stored other signs: their copies).
    tick = {"prepare": time.perf_counter() - t0}
    inp, cut, chain, old_head = split_model(base.model)
    tick["split"] = time.perf_counter() - t0
    reps = 0 if method == "ncm" else max(0, int(np.ceil(copies / (len(y) + others))) - 1)
    trunk = trunk_forward(base.model, split=(inp, cut))
    if reps:  # fewer windows than ``copies``: all of them at once, and their augmented copies
        X = np.concatenate([_windows(*g[:2], g[3]) for g in groups])
        Xa = np.concatenate([X] + [aug.augment(X, rng) for _ in range(reps)])
        tick["augment"] = time.perf_counter() - t0
        F = trunk(Xa)
    else:
        tick["augment"] = time.perf_counter() - t0
        F = np.concatenate([np.zeros((0, int(cut.shape[-1])), np.float32)] + [
            np.asarray(trunk(_windows(data_, idx[k:k + 4 * CHUNK], bare)), np.float32)
            for data_, idx, _, bare in groups for k in range(0, len(idx), 4 * CHUNK)])
    ya = np.tile(y, reps + 1)
    if stored is not None and others:  # (stored_other_signs checked their width against this trunk's)
        rows = stored[:, : min(reps + 1, stored.shape[1])].reshape(-1, stored.shape[-1])
        F = np.concatenate([np.asarray(F, np.float32), rows])
        ya = np.concatenate([ya, np.full(len(rows), labels.index(reject))])
    tick["trunk"] = time.perf_counter() - t0

    # Prototype (nearest-class-mean) head on the embedding.
    dense = [layer for layer in chain if layer.weights]
    W1 = [np.asarray(w, np.float32) for w in dense[0].get_weights()] if dense else None
    act = dense[0].activation if dense else None
    E = _embed(F, W1, act)
    W0, b0 = (np.asarray(v, np.float32) for v in old_head.get_weights())
    scale = 10.0 / max(float(np.mean(np.sum(E ** 2, axis=1))), 1e-6)
    kept_reject = False  # the base's rejection output (and its reject_bias) carried over unchanged
    W = np.zeros((E.shape[1], len(labels)), np.float32)
    b = np.zeros(len(labels), np.float32)
    for j, a in enumerate(labels):
        if a == reject and not (ya == j).any():  # no 'none' example: keep the base's rejection output
            W[:, j], b[j] = W0[:, base.labels.index(a)], b0[base.labels.index(a)]
            kept_reject = True
            continue
        m = E[ya == j].mean(0)
        W[:, j], b[j] = m * scale, -0.5 * scale * float(m @ m)

    if method != "ncm":
        W1, W, b = _fit_top(F, ya, W1, act, W, b, seed, steps, batch_size, learning_rate, l2sp,
                            train_embedding=method == "top" and W1 is not None)
    tick["fit"] = time.perf_counter() - t0

    # The adapted model: the base's trunk (shared, unchanged) + fresh copies of the top layers + the new head.
    x = cut
    for layer in chain:
        fresh = layer.__class__.from_config(layer.get_config())
        x = fresh(x)
        if layer.weights:
            fresh.set_weights(W1 if layer is dense[0] else layer.get_weights())
    head = keras.layers.Dense(len(labels), activation="softmax", name=HEAD)
    model = keras.Model(inp, head(x), name=base.model.name)
    head.set_weights([W, b])
    reject_bias = base.meta.get("reject_bias", 0.0) + (NEGATIVES_BIAS if others else 0.0) if reject else 0.0
    if reject_bias and not kept_reject:
        # The new 'none' output gets the base's prior correction too, as training gives it: it is learnt from as
        # many windows as the signs (each sign window with its hands removed), so it is as over-predicted.
        lower_reject_logit(model, labels.index(reject), reject_bias)

    seconds = time.perf_counter() - t0
    meta = {k: v for k, v in base.meta.items()
            if k not in ("labels", "reject_label", "reject_bias", "metrics", "parameters")}
    meta.update({
        "labels": labels,
        "seq_len": base.seq_len,
        "adapted": {
            "base": {"path": str(base.path) if base.path else None, "labels": base.labels,
                     "arch": base.meta.get("arch")},
            "shots": shots,
            "method": method,
            "seed": seed,
            "sequences": {a: int((support.labels == a).sum()) for a in support.actions},
            "sources": list(support.sources),
            "negatives": int((y == labels.index(reject)).sum()) if reject else 0,
            "other_signs": others,
            "other_signs_from": None if not others else "base" if stored is not None else "negatives",
            "other_signs_left_out": left_out,  # recordings of the person's own signs among them, or given twice
            "new_labels": [a for a in labels if a not in base.labels],
            "augmented_windows": int(len(y) * (reps + 1)),
            "steps": 0 if method == "ncm" else steps,
            "seconds": round(seconds, 2),
            "timeline": {k: round(v, 2) for k, v in tick.items()},
        },
        "versions": library_versions(),
        "training": {**(base.meta.get("training") or {}), "groups": seen_people(base, support)},
    })
    if reject:
        meta["reject_label"] = reject
        if reject_bias:
            meta["reject_bias"] = reject_bias
    if log:
        log(f"adapted in {seconds:.1f} s on {counted(len(support), 'sequence')} ({method})")
    return Bundle(model, meta)


def check_base(base, method: str) -> None:
    """Refuse to adapt a vocabulary (a bundle :func:`~signlstm.models.vocabulary.adapt_vocab` made) by ``method``
    unless it is ``vocab``: its head is a vocabulary's open-set head, which :func:`adapt`'s methods cannot refit.
    ``base``: a bundle, or a bundle folder's path (only its metadata is read, so this can come before anything else;
    a path that is no bundle folder is left to the loader to name)."""
    from pathlib import Path

    from .bundle import META_FILE, read_meta

    if method == VOCAB or not base:
        return
    if isinstance(base, Bundle):
        meta, name = base.meta, base.path or "the base"
    elif (Path(base) / META_FILE).is_file():
        meta, name = read_meta(base), base
    else:
        return
    if is_vocabulary(meta):
        raise SignlstmError(f"{name} is a vocabulary (made by adapt --vocabulary): adapt it with --vocabulary, giving "
                            "the recordings of every sign it should answer")


def _embed(F, W1, act):
    """The top's embedding of trunk features (Dropout is identity at inference)."""
    if W1 is None:
        return np.asarray(F, np.float32)
    return np.asarray(act(F @ W1[0] + W1[1]), np.float32)


def _fit_top(F, y, W1, act, W, b, seed, steps, batch_size, lr, l2sp, train_embedding=True):
    """Cross-entropy (label smoothing 0.1) with dropout on the trunk features (0.3) and the embedding (0.2), Adam,
    and an L2 pull of the embedding weights back to the base's (L2-SP). A few hundred tiny jitted steps."""
    import jax
    import jax.numpy as jnp

    n = W.shape[1]
    Y = np.eye(n, dtype=np.float32)[y] * 0.9 + 0.1 / n
    anchor = [jnp.asarray(w) for w in W1] if W1 is not None else None
    params = {"head": [jnp.asarray(W), jnp.asarray(b)]}
    if train_embedding:
        params["emb"] = [jnp.asarray(w) for w in W1]

    def loss_fn(p, x, yb, key):
        k1, k2 = jax.random.split(key)
        x = x * jax.random.bernoulli(k1, 0.7, x.shape) / 0.7
        if W1 is not None:
            w1 = p.get("emb", anchor)
            x = act(x @ w1[0] + w1[1])
        x = x * jax.random.bernoulli(k2, 0.8, x.shape) / 0.8
        logits = x @ p["head"][0] + p["head"][1]
        ce = -jnp.mean(jnp.sum(yb * jax.nn.log_softmax(logits), axis=-1))
        pull = sum(jnp.sum((w - a) ** 2) for w, a in zip(p["emb"], anchor)) if "emb" in p else 0.0
        return ce + l2sp * pull

    b1, b2, eps = 0.9, 0.999, 1e-8

    def step(p, m, v, t, x, yb, key):
        g = jax.grad(loss_fn)(p, x, yb, key)
        m = jax.tree_util.tree_map(lambda m_, g_: b1 * m_ + (1 - b1) * g_, m, g)
        v = jax.tree_util.tree_map(lambda v_, g_: b2 * v_ + (1 - b2) * g_ * g_, v, g)
        mh = jax.tree_util.tree_map(lambda m_: m_ / (1 - b1 ** t), m)
        vh = jax.tree_util.tree_map(lambda v_: v_ / (1 - b2 ** t), v)
        p = jax.tree_util.tree_map(lambda p_, a, c: p_ - lr * a / (jnp.sqrt(c) + eps), p, mh, vh)
        return p, m, v

    m = jax.tree_util.tree_map(jnp.zeros_like, params)
    v = jax.tree_util.tree_map(jnp.zeros_like, params)
    rng = np.random.default_rng(seed)
    key = jax.random.PRNGKey(seed)
    Fj, Yj = jnp.asarray(F, jnp.float32), jnp.asarray(Y)
    bs = min(batch_size, len(F))
    idx = jnp.asarray(np.stack([rng.choice(len(F), bs, replace=False) for _ in range(steps)]))

    @jax.jit
    def train(params, m, v, key, Fj, Yj, idx):
        def body(carry, t_idx):
            p, m, v, key = carry
            t, ix = t_idx
            key, sub = jax.random.split(key)
            p, m, v = step(p, m, v, t, Fj[ix], Yj[ix], sub)
            return (p, m, v, key), None

        (params, m, v, _), _ = jax.lax.scan(body, (params, m, v, key),
                                            (jnp.arange(1, steps + 1, dtype=jnp.float32), idx))
        return params

    params = train(params, m, v, key, Fj, Yj, idx)
    W, b = (np.asarray(a) for a in params["head"])
    W1 = [np.asarray(a) for a in params["emb"]] if "emb" in params else W1
    return W1, W, b


def seen_people(base: Bundle, data: Dataset | None = None) -> list[str]:
    """The people whose recordings shaped a model adapted from ``base`` to ``data``: ``base``'s ``training.groups``
    and ``data``'s own (an adapted bundle's ``training.groups``, which ``evaluate`` and ``judge`` read)."""
    people = set((base.meta.get("training") or {}).get("groups") or [])
    return sorted(people | (set() if data is None else {str(g) for g in np.unique(data.groups)}))


def adapt_notes(base: Bundle, data: Dataset, adapted: Bundle, base_name: str | None = None, asked=None,
                replaced: Bundle | None = None, people_seen: bool = True) -> list[str]:
    """What a person should know about ``adapted``, ``base`` adapted to the recordings ``data`` (by :func:`adapt`, or
    as a vocabulary of their own by :func:`~signlstm.models.vocabulary.adapt_vocab`), one line each, for every front
    to show once the fit worked: people the base already saw (figures on them flatter it, a vocabulary's check
    included), taught signs spelled alike, recordings labelled ``none`` a vocabulary leaves out, the replaced model's
    signs a vocabulary does not answer, the base's signs under another spelling or not recorded, several people taught
    as one, and signs ``asked`` for (a list the person gave) that it does not answer. ``base_name``: the base as the
    notes name it (default: its path, and "the base" for its signs); ``replaced``: the model ``adapted`` replaces
    (default ``base``), whose own signs a vocabulary answers only when they are recorded again or kept (said unless it
    is a trunk, whose classes are other people's signs); ``people_seen``: whether to say whom the base saw (a page's
    person is only the name typed there)."""
    from ..sign_names import quoted_names, rejection_note, shown_list, shown_name, spelled_alike_note

    notes = []
    vocabulary = is_vocabulary(adapted.meta)
    where, whose = base_name or str(base.path or "the base"), base_name or "the base"
    people = sorted({str(g) for g in np.unique(data.groups)})
    seen = sorted(set(people) & set(seen_people(base))) if people_seen else []
    if seen:
        notes.append(f"{where} was trained on recordings of {', '.join(seen)}: figures on them"
                     f"{' (the check below included)' if vocabulary else ''} flatter it")
    if vocabulary:  # the person's own signs: two spellings of one are learnt as two; 'none' teaches nothing
        notes += [spelled_alike_note([a for a in adapted.labels if a != adapted.reject_label]),
                  rejection_note({NONE: int((data.labels == NONE).sum())})]
        replaced = base if replaced is None else replaced
        if "trunk" not in replaced.meta:  # the person's model (not a trunk's classes): the signs it no longer answers
            answers = [a for a in adapted.labels if a != adapted.reject_label]
            gone = [a for a in replaced.labels if a not in (NONE, replaced.reject_label) and a not in answers
                    and not same_signs([a], answers)]
            if gone:
                notes.append(f"{base_name or str(replaced.path or 'the base')}'s own sign(s) {shown_list(gone)} are "
                             "not in the data: the new vocabulary does not answer them (give their recordings too "
                             "to keep them)")
        if len(people) > 1:
            notes.append(f"the data holds {len(people)} people's recordings ({', '.join(people)}); a sign name two "
                         "of them use is taught as one sign")
    names = [a for a in base.labels if a not in (NONE, base.reject_label)]
    if not vocabulary:  # the base's signs: under the data's spelling of them, and those the data lacks
        same = same_signs(data.actions, names)
        notes += [f"'{shown_name(theirs)}' is taught as {whose}'s '{ours}'" for theirs, ours in same.items()]
        have = {same.get(a, a) for a in data.actions if (data.labels == a).any()}
        missing = [a for a in names if a not in have]
        if missing:
            notes.append(f"no recordings of {whose}'s {', '.join(map(repr, missing))}: the adapted model does not "
                         f"answer {'it' if len(missing) == 1 else 'them'} (record a few of each sign it should keep)")
    answered = set(adapted.labels)  # (a vocabulary keeping the base's signs answers some from the base's recordings)
    unrecorded = [a for a in dict.fromkeys(asked or []) if not (data.labels == a).any() and a not in answered
                  and a not in same_signs([a], answered)]
    if not vocabulary:  # the base's signs among them are said just above
        unrecorded = [a for a in unrecorded if same_signs([a], names).get(a, a) not in names]
    if unrecorded:
        notes.append(f"no recordings of {quoted_names(unrecorded, always=True)}, asked for: the adapted model does "
                     f"not answer {'it' if len(unrecorded) == 1 else 'them'} (record a few, then adapt again)")
    return [n.removeprefix("note: ") for n in notes if n]


def load_negatives(paths, seq_len: int) -> Dataset | None:
    """Recordings of other signs (any labels), used as extra ``none`` examples."""
    if not paths:
        return None
    from ..datasets import load

    return load(paths, length=seq_len)
