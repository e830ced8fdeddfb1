"""Fit a trained bundle to a new person (and new signs) from a handful of their recordings, in seconds.

Method (chosen by measurement, see :mod:`signlstm.judging.fewshot`): the base network up to its learned ``embedding`` is kept
frozen (the trunk: body-relative features, GRU, pooling); the ``embedding`` layer is fine-tuned and a new softmax
``head`` is trained on it, one output per action of the new data (actions the base knows keep their name, new ones
are added), plus the base's rejection output ``none`` when it has one.

1. **Augmented support.** The support windows and a few hundred augmented copies of them (the default recipe's
   augmentation: mirror, scale/rotation/shift, time resampling, dropped hand frames) go through the frozen trunk once.
2. **Prototype start.** The new head starts as a nearest-class-mean classifier on the embedding: class j with mean
   embedding m_j gets weights ``s m_j`` and bias ``-s |m_j|^2 / 2`` (logits rank classes by distance to m_j).
3. **Short fit of the top** (embedding + head) on those features: Adam, label smoothing, dropout, and an L2 pull of
   the embedding weights back to the base's (L2-SP) so a few recordings cannot drag it far (no collapse). The
   trunk is never differentiated, so there is no slow compilation: the whole step takes a second or two on a CPU.
4. When the base has ``none``: the support windows with both hands removed are ``none`` examples (skipped when the
   person's own signs mostly have no hands: their labels win), plus other signs: ``negatives`` if given, else the
   other-sign features stored with the base (:func:`write_other_signs`, written by ``signlstm train --negatives``),
   at most :data:`NEGATIVES_PER_WINDOW` times as many as the person's sign windows (a seeded choice); the new ``none``
   output's bias is then lowered by the base's ``reject_bias``, as training does, and by :data:`NEGATIVES_BIAS` more
   when other signs were among the examples. Without any ``none`` example, the base's ``none`` output is kept as it
   was.

The result is a normal bundle; its JSON ``adapted`` entry names the base (path, labels), the shots, the method and
the sequences used.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .models.bundle import Bundle, batched_forward, library_versions
from .datasets import NONE, Dataset, require_person
from .errors import SignlstmError

EMBEDDING, HEAD = "embedding", "head"
METHODS = ("top", "head", "ncm")
TRUNK_MODEL = Path(__file__).resolve().parent / "models" / "trunk"  # the trunk trained on every kind of sign
RADIUS = 1.1  # open-set radius, in standardised trunk units per sqrt(dimension), for a class with many shots
BASE_EXAMPLES = "examples.npz"  # in a bundle folder: trunk features of recordings of the base's own signs
BASE_PER_SIGN = 20  # recordings per sign kept there
WITHIN = 0.5  # weight of the within-sign spread in adapt_vocab's standardisation (see vocab_head)
# adapt_vocab's classifier also learns each shot as a sliding window sees it this many frames before its end (> 0,
# a rest before it) or after (< 0): in a stream a sign's own window is one of many (docs/vocabulary.md, "In a row")
VIEW_SHIFTS = (-4, 4, 8, 12)
# vocab_head's per-feature spreads are shrunk toward their mean as if this many more recordings said so: a few
# recordings of two or three signs estimate 256 spreads badly (docs/vocabulary.md, "Few signs")
SHRINK = 20
CHECK_FOLDS = 5  # adapt_vocab's check of the shots: each recording named by a head fitted on the others (5 groups)
# Other-sign recordings given to `adapt` as 'none' examples: at most this many per sign window of the person (all
# 1,000-odd of ../shared/data/other_signs made 'none' win over 6 % of the person's own signs), and the 'none'
# output's prior lowered by this much more than the base's (model card, "Adapting before signing in a row").
NEGATIVES_PER_WINDOW = 3
NEGATIVES_BIAS = 1.0
OTHER_SIGNS = "other_signs.npz"  # in a bundle folder: trunk features of other-sign recordings, for adapt's 'none'
OTHER_SIGNS_KEPT = 200  # recordings stored there (a seeded choice of the training negatives)
OTHER_SIGNS_COPIES = 4  # rows per recording: the window and augmented copies, as adapt augments its own windows


def choose_shots(data: Dataset, k: int | None, seed: int = 0) -> np.ndarray:
    """Indices of at most ``k`` sequences per action, drawn at random (seeded), sorted; all when ``k`` is None."""
    if k is None:
        return np.arange(len(data))
    if k < 1:
        raise SignlstmError(f"--shots must be at least 1, got {k}")
    rng = np.random.default_rng(seed)
    idx = [rng.choice(pool, min(k, len(pool)), replace=False)
           for pool in (np.flatnonzero(data.labels == a) for a in data.actions) if len(pool)]
    return np.sort(np.concatenate(idx)) if idx else np.arange(0)


def output_labels(base: Bundle, data: Dataset) -> list[str]:
    """Labels of the adapted model: the data's actions (base order first, then new ones), then the base's ``none``."""
    reject = base.reject_label
    have = [a for a in data.actions if a not in (NONE, reject) and (data.labels == a).any()]
    known = [a for a in base.labels if a in have]
    return known + [a for a in have if a not in known] + ([reject] if reject else [])


def split_model(model):
    """Cut a base model into a frozen trunk and a small trainable top.

    Returns (input, trunk output tensor, top layers, head layer). The trunk ends where the ``embedding`` layer starts
    (default recipe: after the GRU and the mean+max pooling); the top is ``embedding`` and what follows it up to the
    head. A model without an ``embedding`` layer (e.g. the tutorial's) is cut just before its last layer.
    """
    names = [layer.name for layer in model.layers]
    head = model.get_layer(HEAD) if HEAD in names else model.layers[-1]
    if not hasattr(head, "kernel"):
        raise SignlstmError(f"cannot adapt this model: its last layer '{head.name}' is not a Dense head")
    if EMBEDDING in names and names.index(EMBEDDING) < names.index(head.name):
        chain = model.layers[names.index(EMBEDDING):names.index(head.name)]
        return model.inputs[0], model.get_layer(EMBEDDING).input, chain, head
    return model.inputs[0], head.input, [], head


def _hand_removed(signs: Dataset) -> np.ndarray:
    """Support windows with both hands removed, when the person's signs mostly show hands."""
    from . import layout

    hands = layout.hands_present(signs.X).mean(1)  # share of frames with a hand, per sequence
    if not len(hands) or np.median(hands) < 0.5:
        return signs.X[:0]
    return layout.without_hands(signs.X[hands >= 0.5])


def use_compilation_cache() -> None:
    """Keep compiled XLA programs on disk (the user cache folder's ``xla``) so the next ``adapt`` skips compiling."""
    import os

    import jax

    from .files import cache_dir

    folder = str(cache_dir() / "xla")
    try:
        os.makedirs(folder, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", folder)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.1)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    except (OSError, AttributeError):  # read-only home or an older jax: compile every time
        pass


def adapt(base: Bundle, data: Dataset, shots: int | None = None, seed: int = 0, method: str = "top",
          copies: int = 256, steps: int = 300, batch_size: int = 64, learning_rate: float = 3e-3,
          l2sp: float = 1e-2, negatives: Dataset | None = None, other_signs: np.ndarray | None = None,
          log=None) -> Bundle:
    """A new bundle: ``base`` fitted to ``data`` (at most ``shots`` sequences per action, seeded choice).

    ``negatives``: recordings of other signs as extra ``none`` examples; else ``other_signs``, their features as
    :func:`other_sign_features` gives them; else those stored with the base, if any.

    ``method``: ``top`` (default: embedding + prototype-initialised head fitted on augmented support features),
    ``head`` (the same with the embedding frozen), ``ncm`` (the prototype head alone, no augmentation or training).
    """
    import keras

    from . import augment as aug
    from .training import lower_reject_logit

    t0 = time.time()
    if method not in METHODS:
        raise SignlstmError(f"unknown adaptation method '{method}' (choose from {', '.join(METHODS)})")
    if data.seq_len != base.seq_len:
        raise SignlstmError(f"the data has {data.seq_len}-frame sequences, the model expects {base.seq_len}")
    require_person(data, "nothing to adapt to")
    support = data.subset(choose_shots(data, shots, seed))
    labels = output_labels(base, support)
    reject = base.reject_label
    real = [a for a in labels if a != reject]
    if len(real) < 2 and not (real and reject):
        raise SignlstmError(f"adapting needs at least 2 actions (or 1 plus the base's '{reject or NONE}'); "
                            f"the data has {real or 'none'}")
    rng = np.random.default_rng(seed)
    keras.utils.set_random_seed(seed)

    # Training windows: the person's signs, plus 'none' examples when the base rejects.
    signs = support.subset(np.isin(support.labels, real))
    X, y = signs.X, np.array([labels.index(a) for a in signs.labels], dtype=np.int64)
    others, stored = 0, None
    if reject:
        neg = [_hand_removed(signs), support.X[support.labels == reject]]
        if negatives is not None and len(negatives):
            others = min(len(negatives), NEGATIVES_PER_WINDOW * len(signs))
            neg.append(negatives.X[np.sort(rng.choice(len(negatives), others, replace=False))])
        else:
            stored = other_signs if other_signs is not None else _stored_other_signs(base)
            if stored is not None and len(stored):
                others = min(len(stored), NEGATIVES_PER_WINDOW * len(signs))
                stored = stored[np.sort(rng.choice(len(stored), others, replace=False))]
        Xn = np.concatenate(neg)
        X, y = np.concatenate([X, Xn]), np.concatenate([y, np.full(len(Xn), labels.index(reject))])
    X = np.asarray(X, np.float32)

    # Frozen trunk features of the windows and of augmented copies of them (stored other signs: their copies).
    tick = {"prepare": time.time() - t0}
    inp, cut, chain, old_head = split_model(base.model)
    tick["split"] = time.time() - t0
    reps = 0 if method == "ncm" else max(0, int(np.ceil(copies / (len(X) + others))) - 1)
    Xa = np.concatenate([X] + [aug.augment(X, rng) for _ in range(reps)])
    ya = np.tile(y, reps + 1)
    tick["augment"] = time.time() - t0
    F = batched_forward(keras.Model(inp, cut), chunk=256)(Xa)
    if stored is not None and others:
        rows = stored[:, : min(reps + 1, stored.shape[1])].reshape(-1, stored.shape[-1])
        if rows.shape[1] != F.shape[1]:
            raise SignlstmError(f"{base.path}: its other-sign features ({OTHER_SIGNS}) have {rows.shape[1]} values, "
                                f"its trunk gives {F.shape[1]}: write them again for this model")
        F = np.concatenate([np.asarray(F, np.float32), rows])
        ya = np.concatenate([ya, np.full(len(rows), labels.index(reject))])
    tick["trunk"] = time.time() - t0

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
    tick["fit"] = time.time() - t0

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

    seconds = time.time() - t0
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
            "new_labels": [a for a in labels if a not in base.labels],
            "augmented_windows": int(len(Xa)),
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
        log(f"adapted in {seconds:.1f} s on {len(support)} sequences ({method})")
    return Bundle(model, meta)


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


def shift_in_time(X: np.ndarray, frames: int) -> np.ndarray:
    """Windows (N, T, 1662) as a sliding window sees them ``frames`` before their end (``frames`` > 0: each begins
    with that many hand-less copies of its first frame, a rest, and loses its last frames) or after it (< 0: it loses
    its first frames and ends with hand-less copies of its last frame)."""
    from .layout import without_hands

    X = np.asarray(X)
    if frames == 0:
        return X.copy()
    n = min(abs(frames), X.shape[1])
    if frames > 0:
        return np.concatenate([np.repeat(without_hands(X[:, :1]), n, 1), X[:, :X.shape[1] - n]], 1)
    return np.concatenate([X[:, n:], np.repeat(without_hands(X[:, -1:]), n, 1)], 1)


def vocab_head(F: np.ndarray, y: np.ndarray, n_classes: int, radius: float = RADIUS, within: float = WITHIN,
               own: int | None = None, views: tuple[np.ndarray, np.ndarray] | None = None,
               shrink: float = SHRINK) -> dict:
    """The weights of an :class:`~signlstm.models.architectures.OpenSetHead` for trunk features ``F`` of labels ``y``.

    Standardisation: each feature is divided by a blend of its total spread over the support and its spread within a
    sign (pooled over the signs, ``within`` of the weight when every sign has at least 2 shots, less with fewer
    degrees of freedom, none at 1 shot): distances then count mostly the variation that separates signs, not the
    variation between two recordings of one sign. Each feature's squared spread is then shrunk toward their mean
    as if ``shrink`` more recordings said so (10 recordings of two signs cannot tell 256 spreads apart: a feature
    that barely varied in them would make any new window far from every sign); not at 1 shot per sign, where
    nearest-prototype distances in the total spread's units reject more untaught signs. Classifier: shrinkage LDA
    (Ledoit-Wolf covariance, scikit-learn's ``lsqr`` solution, :func:`_lda_covariance`) on the standardised features
    when there are more recordings than signs, else the nearest prototype (one shot per sign; 79.8 % against a
    logistic regression's 78.9 % at K = 1).
    Rejection: each sign's prototype is its mean; a window farther than ``radius`` *
    sqrt(1 + 1/n) from every prototype (n: the sign's shots) is ``none``. Classes from ``own`` on (the base's
    signs, recorded by many people) get a prototype and an output but do not enter the spreads and the covariance,
    which are the person's. ``views`` (features, labels): other views of the person's recordings (e.g. shifted in
    time) that the LDA classifier learns too (its class means and covariance); the standardisation, the prototypes
    and their radii stay those of ``F``.
    """
    own = n_classes if own is None else own
    F = np.asarray(F, np.float64)
    counts = np.bincount(y, minlength=n_classes)
    mine = y < own
    mean, total = F[mine].mean(0), F[mine].std(0) + 1e-3
    Z = (F - mean) / total
    centres = np.stack([Z[y == j].mean(0) for j in range(n_classes)])
    dof = int(mine.sum()) - own
    w = within * min(1.0, dof / own)
    spread = (((Z[mine] - centres[y[mine]]) ** 2).sum(0) / dof) if dof > 0 else np.ones(Z.shape[1])
    scale = total * np.sqrt((1.0 - w) + w * spread) + 1e-6
    if dof > 0:  # the person's recordings estimate the spreads; the mean spread steadies each one
        m = int(mine.sum())
        scale = np.sqrt((m * scale ** 2 + shrink * np.mean(scale ** 2)) / (m + shrink))
    Z = (F - mean) / scale
    prototypes = np.stack([Z[y == j].mean(0) for j in range(n_classes)])
    means = prototypes
    if dof > 0:  # LDA: the person's pooled covariance, each sign's prior from its recordings (capped at theirs)
        Zc, yc = Z[mine], y[mine]
        if views is not None and len(views[0]):
            Zc = np.concatenate([Zc, (np.asarray(views[0], np.float64) - mean) / scale])
            yc = np.concatenate([yc, views[1]])
            means = np.stack([Zc[yc == j].mean(0) for j in range(own)] + list(prototypes[own:]))
        kernel = np.linalg.lstsq(_lda_covariance(Zc, yc), means.T, rcond=None)[0]
        capped = np.minimum(counts, counts[:own].max())
        priors = capped / capped.sum()
    else:  # one shot per sign: nothing to estimate a covariance from; the nearest prototype
        kernel, priors = prototypes.T, np.ones(n_classes) / n_classes
    bias = -0.5 * np.sum(means * kernel.T, 1) + np.log(priors)
    radii = radius * np.sqrt(1.0 + 1.0 / counts)
    if own < n_classes:  # the base's signs spread over many people: their radius grows with their spread
        rms = np.array([np.sqrt(np.mean(np.sum((Z[y == j] - prototypes[j]) ** 2, 1))) for j in range(n_classes)])
        radii[own:] *= np.maximum(1.0, rms[own:] / max(float(np.sqrt(np.mean(rms[:own] ** 2))), 1e-6))
    weights = {"mean": mean, "scale": scale, "prototypes": prototypes, "radii": radii, "kernel": kernel,
               "bias": bias}
    return {k: np.asarray(v, np.float32) for k, v in weights.items()}


def check_shots(F: np.ndarray, y: np.ndarray, n_classes: int, own: int | None = None,
                views: tuple[np.ndarray, np.ndarray] | None = None, folds: int = CHECK_FOLDS, **head) -> np.ndarray:
    """Each of the person's recordings named by a :func:`vocab_head` fitted without it: the recordings are split into
    ``folds`` groups (the i-th recording of every sign in group i mod ``folds``), each group named by a head fitted
    on the others (and their ``views``, whose rows follow ``F``'s own rows in :data:`VIEW_SHIFTS` blocks). Returns,
    per row of ``F`` from the person (``y < own``), the class named (``n_classes``: ``none``), -1 where the row's
    sign has a single recording (nothing to fit it from without it)."""
    from .models.architectures import openset_probs

    own = n_classes if own is None else own
    y = np.asarray(y)
    rank = np.zeros(len(y), int)
    for j in range(n_classes):
        rank[y == j] = np.arange(int((y == j).sum()))
    mine = y < own
    group = np.where(mine, rank % folds, -1)
    enough = np.zeros(len(y), bool)
    enough[mine] = np.bincount(y[mine], minlength=own)[y[mine]] >= 2
    named = np.full(len(y), -1)
    n_views = 0 if views is None else len(views[0]) // max(int(mine.sum()), 1)
    for g in range(folds):
        held = (group == g) & enough
        if not held.any():
            continue
        keep = ~held
        view = None
        if n_views:  # the views of the recordings kept (view rows: VIEW_SHIFTS blocks of the person's rows)
            kept_rows = np.tile(keep[mine], n_views)
            view = (views[0][kept_rows], views[1][kept_rows])
        w = vocab_head(F[keep], y[keep], n_classes, own=own, views=view, **head)
        named[held] = openset_probs(w, F[held]).argmax(1)
    return named


def look_alike(named: np.ndarray, y: np.ndarray, signs: list[str], top: int = 3, least: int = 2) -> dict:
    """What :func:`check_shots` found: the share of recordings named rightly and answered ``none``, and the
    ``top`` pairs of signs most often taken for each other, at least ``least`` times (each with how many of their
    recordings were)."""
    ok = named >= 0
    n = len(signs)
    pairs = {}
    for t, p in zip(y[ok], named[ok]):
        if p != t and p < n:
            key = tuple(sorted((int(t), int(p))))
            pairs[key] = pairs.get(key, 0) + 1
    alike = sorted(((k, c) for k, c in pairs.items() if c >= least), key=lambda kv: (-kv[1], kv[0]))[:top]
    return {"recordings": int(ok.sum()),
            "right": float((named[ok] == y[ok]).mean()) if ok.any() else None,
            "none": float((named[ok] == n).mean()) if ok.any() else None,
            "alike": [[signs[a], signs[b], c, int(np.isin(y[ok], (a, b)).sum())] for (a, b), c in alike]}


def _lda_covariance(Z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The within-class covariance of scikit-learn's ``LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")``
    (same values to 1e-5, without importing scikit-learn, 1-2 s of adapt's start-up): per class, the Ledoit-Wolf
    shrunk covariance of the standardised features, scaled back; averaged with the classes' shares as weights."""
    p = Z.shape[1]
    cov = np.zeros((p, p))
    for c in np.unique(y):
        X = Z[y == c]
        n = len(X)
        scale = X.std(0)
        scale[scale == 0] = 1.0
        Xs = (X - X.mean(0)) / scale
        emp = Xs.T @ Xs / n
        mu = np.trace(emp) / p
        delta_ = np.sum(emp ** 2)
        delta = (delta_ - 2.0 * mu * np.trace(emp) + p * mu ** 2) / p
        beta = min((np.sum((Xs ** 2).T @ Xs ** 2) / n - delta_) / (p * n), delta)
        shrink = 0.0 if beta == 0 else beta / delta
        s = (1.0 - shrink) * emp
        s.flat[::p + 1] += shrink * mu
        cov += n / len(y) * scale[:, None] * s * scale[None, :]
    return cov


def base_signs(base: Bundle) -> list[str]:
    """The base's own signs a vocabulary may keep: its labels but ``none`` and a trunk's person classes (``o07/a``)."""
    return [a for a in base.labels if a not in (NONE, base.reject_label) and "/" not in a]


def write_base_examples(bundle_dir, data: Dataset, per_sign: int = BASE_PER_SIGN, seed: int = 0) -> dict[str, int]:
    """Store in ``bundle_dir`` (a saved bundle) the trunk features of at most ``per_sign`` recordings (seeded choice)
    of each of its :func:`base_signs` found in ``data``, so ``adapt_vocab(..., keep_base_actions=True)`` can keep
    those signs without their recordings. Returns the counts written."""
    import keras

    from .models.bundle import load_bundle

    base = load_bundle(bundle_dir)
    want = [a for a in base_signs(base) if (data.labels == a).any()]
    rng = np.random.default_rng(seed)
    idx = np.sort(np.concatenate([rng.choice(pool, min(per_sign, len(pool)), replace=False)
                                  for pool in (np.flatnonzero(data.labels == a) for a in want)])) if want else []
    inp, cut, _, _ = split_model(base.model)
    F = batched_forward(keras.Model(inp, cut), chunk=256)(data.batch(idx)) if len(idx) else np.zeros((0, 0))
    labels = np.array(data.labels[idx] if len(idx) else [], dtype=str)
    _store(bundle_dir, BASE_EXAMPLES, F=np.asarray(F, np.float16), labels=labels)
    return {a: int((labels == a).sum()) for a in want}


def other_sign_features(base: Bundle, negatives: Dataset, n: int = OTHER_SIGNS_KEPT, seed: int = 0) -> np.ndarray:
    """Trunk features (where :func:`split_model` cuts ``base``) of at most ``n`` recordings of ``negatives`` (a seeded
    choice of those :func:`signlstm.datasets.usable_negatives` keeps beside the base's signs), each as the window and
    ``OTHER_SIGNS_COPIES - 1`` augmented copies: (recordings, copies, features) float16."""
    import keras

    from . import augment as aug
    from .datasets import usable_negatives

    pool = np.flatnonzero(usable_negatives(negatives, base.labels))
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(pool, min(n, len(pool)), replace=False))
    X = negatives.batch(idx)
    inp, cut, _, _ = split_model(base.model)
    forward = batched_forward(keras.Model(inp, cut), chunk=256)
    F = [forward(X)] + [forward(aug.augment(X, rng)) for _ in range(OTHER_SIGNS_COPIES - 1)]
    return np.stack([np.asarray(f, np.float16) for f in F], axis=1)


def write_other_signs(bundle_dir, negatives: Dataset, n: int = OTHER_SIGNS_KEPT, seed: int = 0) -> int:
    """Store :func:`other_sign_features` of ``negatives`` in ``bundle_dir`` (a saved bundle with a rejection label),
    written atomically, for :func:`adapt` to keep rejecting other signs when it is given none. Returns the count."""
    from .models.bundle import load_bundle

    F = other_sign_features(load_bundle(bundle_dir), negatives, n, seed)
    _store(bundle_dir, OTHER_SIGNS, F=F)
    return len(F)


def _store(bundle_dir, name: str, **arrays) -> None:
    """Write ``arrays`` to ``bundle_dir/name`` (a compressed .npz beside the model), atomically."""
    from .files import write_atomic

    def save(path):
        with open(path, "wb") as f:
            np.savez_compressed(f, **arrays)

    write_atomic(Path(bundle_dir) / name, save)


def _stored(base: Bundle, name: str, shapes: dict[str, tuple[str, ...]], width: int | None = None,
            text: tuple[str, ...] = (), what: str = "features") -> dict[str, np.ndarray] | None:
    """The arrays of ``base``'s ``name`` file (written by :func:`_store`), or None when the bundle has none. ``shapes``:
    array -> what it holds, one name per dimension; a dimension named in several arrays has one size in all of them,
    and ``features`` is ``width`` values (the trunk's) unless there are no rows. Arrays in ``text`` hold names, the
    others finite numbers (``what``: what the features are, for messages). Declared sizes and types are checked
    before anything is read; a file that breaks any of this is :class:`BadInput` naming it."""
    from . import limits
    from .errors import BadInput

    path = Path(base.path) / name if base.path else None
    if path is None or not path.is_file():
        return None
    members = limits.npz_members(path)
    sizes: dict[str, tuple[str, int]] = {}
    for key, dims in shapes.items():
        if key not in members or len(members[key].header.shape) != len(dims):
            raise BadInput(path, f"holds no ({', '.join(dims)}) array {key}")
        header = members[key].header
        limits.check_declared(path, key, header.shape, header.dtype, limits.MODEL_LIMIT)
        if header.dtype.kind not in ("US" if key in text else "fiu"):
            raise BadInput(path, f"{key} holds {header.dtype} values, not {'names' if key in text else 'numbers'}")
        for dim, n in zip(dims, header.shape):
            first = sizes.setdefault(dim, (key, n))
            if first[1] != n:
                raise BadInput(path, f"{key} has {n} {dim} but {first[0]} has {first[1]}")
    rows = sizes[next(iter(shapes.values()))[0]][1]
    empty = [dim for dim, (_, n) in sizes.items() if n == 0]
    if rows and empty:
        raise BadInput(path, f"holds {rows} recordings but no {empty[0]}")
    if width is not None and "features" in sizes and rows and sizes["features"][1] != width:
        raise BadInput(path, f"its {what} have {sizes['features'][1]} values each, the model's trunk gives {width}: "
                             "write them again for this model")
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {key: z[key] for key in shapes}
    except (OSError, ValueError, EOFError) as e:
        why = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
        raise BadInput(path, f"not a readable .npz file ({why})") from None
    for key, a in arrays.items():
        if key not in text and not np.isfinite(a).all():
            raise BadInput(path, f"{key} holds {int((~np.isfinite(a)).sum()):,} values that are not finite numbers "
                                 "(NaN or infinity)")
    return arrays


def trunk_width(base: Bundle) -> int:
    """The number of trunk features of ``base`` (the width where :func:`split_model` cuts it)."""
    return int(split_model(base.model)[1].shape[-1])


def _stored_other_signs(base: Bundle) -> np.ndarray | None:
    """The other-sign features stored with ``base`` (:func:`write_other_signs`), float32, or None."""
    stored = _stored(base, OTHER_SIGNS, {"F": ("recordings", "copies", "features")}, width=trunk_width(base),
                     what="other-sign features")
    return None if stored is None else stored["F"].astype(np.float32)


def _base_examples(base: Bundle, skip) -> tuple[np.ndarray, np.ndarray]:
    """The stored features and labels of the base's signs not in ``skip`` (see :func:`write_base_examples`)."""
    from .errors import BadInput

    width = trunk_width(base)
    stored = _stored(base, BASE_EXAMPLES, {"F": ("recordings", "features"), "labels": ("recordings",)}, width=width,
                     text=("labels",), what="sign features")
    if stored is None:
        raise SignlstmError(f"cannot keep the base's signs: {base.path or 'the base'} holds no recordings of them "
                            f"({BASE_EXAMPLES}); add recordings of the signs you want to --data instead")
    F, labels = stored["F"].astype(np.float32).reshape(-1, width), stored["labels"].astype(str)
    unknown = sorted(set(labels.tolist()) - set(base_signs(base)))
    if unknown:
        raise BadInput(Path(base.path) / BASE_EXAMPLES, f"labels name {len(unknown)} sign(s) that are not the model's "
                                                        f"own ({', '.join(map(repr, unknown[:5]))})")
    keep = ~np.isin(labels, list(skip))
    return F[keep], labels[keep]


def check_radius(radius) -> float:
    """``radius`` as a float; :class:`SignlstmError` naming ``--radius`` unless it is a finite number above 0."""
    try:
        r = float(radius)
    except (TypeError, ValueError):
        r = float("nan")
    if isinstance(radius, bool) or not (np.isfinite(r) and r > 0):
        raise SignlstmError(f"--radius must be a finite number above 0, got {radius!r}")
    return r


def adapt_vocab(base: Bundle, data: Dataset, shots: int | None = None, seed: int = 0, radius: float = RADIUS,
                log=None, within: float = WITHIN, keep_base_actions: bool = False, shift_views: bool = True) -> Bundle:
    """A new bundle answering ``data``'s signs and ``none`` for anything else, from ``base``'s frozen trunk.

    The support windows (at most ``shots`` per sign, seeded choice) go once through the trunk (``base`` cut where
    :func:`split_model` cuts it); :func:`vocab_head` fits the sign classifier and the prototypes with their radius
    (:class:`signlstm.models.architectures.OpenSetHead`). Nothing of the untaught signs is needed. The base's own
    labels are not kept: the vocabulary is the data's, unless ``keep_base_actions``: then the base's own signs
    (:func:`base_signs`, e.g. the trunk's hello / thanks / iloveyou) that the data lacks are added from the
    recordings' features stored with the base (:func:`write_base_examples`). With ``shift_views``, the classifier
    also learns each support window as a sliding window sees it a few frames before and after (:data:`VIEW_SHIFTS`),
    so a sign made in a row is named from more of the windows that overlap it. Last, :func:`check_shots` names each
    support recording by a head fitted without it; what it finds (:func:`look_alike`: the share named rightly, the
    signs taken for each other) is the metadata's ``adapted.check`` (:func:`check_lines` puts it in words).
    """
    import keras

    from .models.architectures import build_openset_model

    t0 = time.time()
    check_radius(radius)
    if data.seq_len != base.seq_len:
        raise SignlstmError(f"the data has {data.seq_len}-frame sequences, the model expects {base.seq_len}")
    require_person(data, "nothing to adapt to")
    support = data.subset(choose_shots(data, shots, seed))
    support = support.subset(support.labels != NONE)
    signs = [a for a in support.actions if a != NONE and (support.labels == a).any()]
    if len(signs) < 2:
        raise SignlstmError(f"a vocabulary needs at least 2 signs with recordings; the data has {signs or 'none'}")
    inp, cut, _, _ = split_model(base.model)
    trunk = batched_forward(keras.Model(inp, cut), chunk=256)
    X = support.X
    F = trunk(X)
    names = support.labels
    # the same windows as a sliding window sees them a few frames before and after their end, one shift at a time
    # (at most one more copy of the support's windows in memory)
    F_views = np.concatenate([trunk(shift_in_time(X, s)) for s in VIEW_SHIFTS]) if shift_views else None
    tick = {"trunk": time.time() - t0}
    kept = []
    if keep_base_actions:
        Fb, Lb = _base_examples(base, signs)
        kept = [a for a in base_signs(base) if (Lb == a).any()]
        signs = signs + kept
        F, names = np.concatenate([F, Fb]), np.concatenate([names, Lb])
    y = np.array([signs.index(a) for a in names])
    views = None if F_views is None else (F_views, np.tile(y[:len(X)], len(VIEW_SHIFTS)))  # the shots' labels
    weights = vocab_head(F, y, len(signs), radius=radius, within=within, own=len(signs) - len(kept), views=views)
    model = build_openset_model(inp, cut, weights)
    tick["fit"] = time.time() - t0
    check = look_alike(check_shots(F, y, len(signs), own=len(signs) - len(kept), views=views, radius=radius,
                                   within=within), y, signs)
    tick["check"] = time.time() - t0
    labels = signs + [NONE]
    seconds = time.time() - t0
    meta = {k: v for k, v in base.meta.items()
            if k not in ("labels", "reject_label", "reject_bias", "metrics", "parameters", "training", "trunk")}
    meta.update({
        "labels": labels,
        "seq_len": base.seq_len,
        "reject_label": NONE,
        "adapted": {
            "base": {"path": str(base.path) if base.path else None, "labels": len(base.labels),
                     "arch": base.meta.get("arch")},
            "shots": shots, "method": "vocab", "seed": seed, "radius": radius, "within": within,
            "view_shifts": list(VIEW_SHIFTS) if shift_views else [],
            "sequences": {a: int((names == a).sum()) for a in signs},
            "kept_base_actions": kept,
            "check": check,
            "sources": list(support.sources),
            "seconds": round(seconds, 2),
            "timeline": {k: round(v, 2) for k, v in tick.items()},
        },
        "versions": library_versions(),
        "training": {"groups": seen_people(base, support)},
    })
    if log:
        log(f"adapted to {len(signs)} signs in {seconds:.1f} s on {len(support)} sequences (vocab)")
    return Bundle(model, meta)


def seen_people(base: Bundle, data: Dataset | None = None) -> list[str]:
    """The people whose recordings shaped a model adapted from ``base`` to ``data``: ``base``'s ``training.groups``
    and ``data``'s own (an adapted bundle's ``training.groups``, which ``evaluate`` and ``judge`` read)."""
    people = set((base.meta.get("training") or {}).get("groups") or [])
    return sorted(people | (set() if data is None else {str(g) for g in np.unique(data.groups)}))


def check_lines(check: dict) -> list[str]:
    """:func:`look_alike`'s findings in words, for ``adapt``'s output."""
    if not check.get("recordings"):
        return ["(record at least 2 of each sign for adapt to check them against each other)"]
    out = [f"check: each recording named by a model fitted without it: {100 * check['right']:.0f} % of "
           f"{check['recordings']} named rightly, {100 * check['none']:.0f} % answered none"]
    for a, b, c, n in check["alike"]:
        out.append(f"  alike: '{a}' and '{b}' ({c} of their {n} recordings taken for the other)")
    return out


def load_negatives(paths, seq_len: int) -> Dataset | None:
    """Recordings of other signs (any labels), used as extra ``none`` examples."""
    if not paths:
        return None
    from .datasets import load

    return load(paths, length=seq_len)
