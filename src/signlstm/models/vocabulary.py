"""A person's own vocabulary from a few recordings of each sign, and ``none`` for the signs never taught.

The trunk (:data:`TRUNK_MODEL`, trained on every kind of sign in ``../shared``) stays frozen; :func:`vocab_head` fits a
classifier and open-set prototypes with a radius on its features (:class:`signlstm.models.architectures.OpenSetHead`),
and :func:`check_shots` names each recording by a head fitted without it. :func:`adapt_vocab` puts these together into
a bundle that ``live``, ``predict``, ``evaluate`` and the web page use like any other. docs/vocabulary.md has the
method and its measurements.
"""
from __future__ import annotations

import time

import numpy as np

from .adapt import choose_shots, hands_shown, seen_people
from .. import layout
from ..datasets import Dataset, require_person
from ..sign_names import FEWEST_SIGNS, NONE, shown_name
from ..errors import SignlstmError
from .bundle import TRUNK_MODEL, VOCAB, Bundle, check_seq_len, library_versions
from .cut import split_model, trunk_forward
from .stored_features import base_examples, base_signs
from ..wording import counted

RADIUS = 1.1  # open-set radius, in standardised trunk units per sqrt(dimension), for a class with many shots
WITHIN = 0.5  # weight of the within-sign spread in adapt_vocab's standardisation (see vocab_head)
# adapt_vocab's classifier also learns each shot as a sliding window sees it this many frames before its end (> 0,
# a rest before it) or after (< 0): in a stream a sign's own window is one of many (docs/vocabulary.md, "In a row")
VIEW_SHIFTS = (-4, 4, 8, 12)
# vocab_head's per-feature spreads are shrunk toward their mean as if this many more recordings said so: a few
# recordings of two or three signs estimate 256 spreads badly (docs/vocabulary.md, "Few signs")
SHRINK = 20
CHECK_FOLDS = 5  # adapt_vocab's check of the shots: each recording named by a head fitted on the others (5 groups)


def shift_in_time(X: np.ndarray, frames: int) -> np.ndarray:
    """Windows (N, T, 1662) as a sliding window sees them ``frames`` before their end (``frames`` > 0: each begins
    with that many hand-less copies of its first frame, a rest, and loses its last frames) or after it (< 0: it loses
    its first frames and ends with hand-less copies of its last frame)."""
    from ..layout import without_hands

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
                views: tuple[np.ndarray, np.ndarray] | None = None, folds: int = CHECK_FOLDS, tied: bool = False,
                **head) -> np.ndarray:
    """Each of the person's recordings named by a :func:`vocab_head` fitted without it: the recordings are split into
    ``folds`` groups (the i-th recording of every sign in group i mod ``folds``), each group named by a head fitted
    on the others (and their ``views``, whose rows follow ``F``'s own rows in :data:`VIEW_SHIFTS` blocks). Returns,
    per row of ``F`` from the person (``y < own``), the class named (``n_classes``: ``none``), -1 where the row's
    sign has a single recording (nothing to fit it from without it). ``tied``: the head's rejection
    (:class:`~signlstm.models.architectures.OpenSetHead`)."""
    from .architectures import openset_probs

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
        named[held] = openset_probs(w, F[held], tied=tied).argmax(1)
    return named


def look_alike(named: np.ndarray, y: np.ndarray, signs: list[str], top: int = 3, least: int = 2,
               own: int | None = None) -> dict:
    """What :func:`check_shots` found: the share of recordings named rightly and answered ``none``, the ``top``
    pairs of signs most often taken for each other, at least ``least`` times (each with how many of their recordings
    were), and the signs taught from one recording, which it cannot check."""
    ok = named >= 0
    n = len(signs)
    pairs = {}
    for t, p in zip(y[ok], named[ok]):
        if p != t and p < n:
            key = tuple(sorted((int(t), int(p))))
            pairs[key] = pairs.get(key, 0) + 1
    alike = sorted(((k, c) for k, c in pairs.items() if c >= least), key=lambda kv: (-kv[1], kv[0]))[:top]
    own = n if own is None else own  # the person's signs (the base's kept ones after them are never checked)
    once = [signs[int(c)] for c in np.unique(y[y < own]) if int((y == c).sum()) == 1]  # nothing to fit them from
    return {"recordings": int(ok.sum()), "unchecked": once,
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


RADIUS_RANGE = (0.01, 100.0)  # past these a radius answers none for everything, or overflows float32 distances


def check_radius(radius) -> float:
    """``radius`` as a float; :class:`SignlstmError` naming ``--radius`` unless it is a number in
    :data:`RADIUS_RANGE`."""
    try:
        r = float(radius)
    except (TypeError, ValueError):
        r = float("nan")
    low, high = RADIUS_RANGE
    if isinstance(radius, bool) or not low <= r <= high:  # (False for NaN)
        raise SignlstmError(f"--radius must be a number from {low:g} to {high:g} (default {RADIUS:g}), got {radius!r}")
    return r


def vocab_shots(data: Dataset, shots: int | None, seed: int = 0,
                consecutive: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(the recordings a vocabulary is taught from, the recordings left out as :func:`hands_unseen`): at most
    ``shots`` per sign (seeded; all when None), drawn among the recordings that are signs (not ``none``) and show a
    hand (what ``judge vocab`` teaches too, and tests on the rest); ``consecutive``: ``shots`` recordings of each sign
    made one after another (:func:`~signlstm.models.adapt.choose_shots`), those without a hand in view then left out,
    as when a person records ``shots`` and adapts."""
    signs = np.flatnonzero(data.labels != NONE)
    unseen = hands_unseen(data, signs)
    if consecutive:
        return np.setdiff1d(choose_shots(data, shots, seed, rows=signs, consecutive=True), unseen), unseen
    return choose_shots(data, shots, seed, rows=np.setdiff1d(signs, unseen)), unseen


def hands_unseen(data: Dataset, idx: np.ndarray) -> np.ndarray:
    """Of the recordings ``idx``, those in which MediaPipe found a hand in fewer than half of the frames, when the
    person's recordings mostly show one (else none: then hands are not what tells their signs apart). A vocabulary
    leaves them out: a sign learnt from hand-less recordings would be answered for every window without hands (a
    rest)."""
    shown = hands_shown(data, idx)
    return np.setdiff1d(idx, shown) if len(shown) else idx[:0]


def hands_rare(data: Dataset, idx: np.ndarray) -> str | None:
    """A warning when most of the recordings ``idx`` show a hand in fewer than half of their frames (then
    :func:`hands_unseen` keeps them all: hands are not what tells them apart), else None. Taught from such recordings,
    a vocabulary tells its signs by what else moves and may name a rest, the hands out of view, as a sign."""
    if not len(idx) or len(hands_shown(data, idx)):  # hands_shown's rule: some are kept when most show a hand
        return None
    seen = int((data.hand_shares(idx) >= layout.SIGN_HANDS).sum())
    return (f"only {seen} of {len(idx)} recording(s) show a hand in at least {layout.SIGN_HANDS:.0%} of their frames: "
            "the signs are taught from what else moves, and a rest with the hands out of view may be named a sign; "
            "check that the hands are in the picture (MediaPipe finds them there)")


def unseen_note(labels: np.ndarray, taught) -> str:
    """The recordings :func:`hands_unseen` left out (their ``labels``) in words, naming the signs not ``taught``
    because of it."""
    counts = {a: int((labels == a).sum()) for a in dict.fromkeys(labels.tolist())}
    gone = [a for a in counts if a not in set(taught)]
    return (f"left out {len(labels)} recording(s) with a hand seen in fewer than {layout.SIGN_HANDS:.0%} of their "
            "frames: "
            + ", ".join(f"'{shown_name(a)}' {n}" for a, n in counts.items())
            + (f"; {', '.join(repr(shown_name(a)) for a in gone)} had no recording with the hand in view and "
               f"{'is' if len(gone) == 1 else 'are'} not taught: record {'it' if len(gone) == 1 else 'them'} again "
               "with the hand in view" if gone else ""))


def support_features(trunk, support: Dataset, shifts=VIEW_SHIFTS) -> tuple[np.ndarray, np.ndarray | None]:
    """The trunk features of ``support``'s windows, and of the same windows as a sliding window sees them ``shifts``
    frames before and after their end (:func:`shift_in_time`; all windows at the first shift, then the second...;
    None without shifts), read a chunk of windows at a time: memory holds one chunk and its shifted copy beside the
    data."""
    F, views = [], [[] for _ in shifts]
    for X in support.chunks():
        F.append(trunk(X))
        for out, s in zip(views, shifts):
            out.append(trunk(shift_in_time(X, s)))
    width = F[0].shape[1] if F else 0
    F = np.concatenate(F) if F else np.zeros((0, width), np.float32)
    return F, (np.concatenate([np.concatenate(v) for v in views]) if shifts else None)


def adapt_vocab(base: Bundle, data: Dataset, shots: int | None = None, seed: int = 0, radius: float = RADIUS,
                log=None, within: float = WITHIN, keep_base_actions: bool = False, shift_views: bool = True,
                consecutive: bool = False) -> Bundle:
    """A new bundle answering ``data``'s signs and ``none`` for anything else, from ``base``'s frozen trunk.

    The support windows (at most ``shots`` per sign, seeded choice; ``consecutive``: :func:`vocab_shots`) go once
    through the trunk (``base`` cut where :func:`signlstm.models.cut.split_model` cuts it); :func:`vocab_head` fits
    the sign classifier and the prototypes with their radius (:class:`signlstm.models.architectures.OpenSetHead`). Nothing of the untaught signs is needed. The
    base's own labels are not kept: the vocabulary is the data's, unless ``keep_base_actions``: then the base's own
    signs (:func:`base_signs`, e.g. the trunk's hello / thanks / iloveyou) that the data lacks are added from the
    recordings' features stored with the base (:func:`signlstm.models.stored_features.write_base_examples`), and a
    window is ``none`` when it lies outside the radius of the sign it is named (the head's ``tied`` rejection: those
    signs, recorded by many people, have wide radii that would take in the person's untaught signs). With
    ``shift_views``, the classifier also learns each support window as a sliding window sees it a few frames before and
    after (:data:`VIEW_SHIFTS`), so a sign made in a row is named from more of the windows that overlap it. Last,
    :func:`check_shots` names each support recording by a head fitted without it; what it finds (:func:`look_alike`: the
    share named rightly, the signs taken for each other) is the metadata's ``adapted.check`` (:func:`check_lines` puts
    it in words).
    """
    from .architectures import build_openset_model

    t0 = time.perf_counter()
    check_radius(radius)
    check_seq_len(data.seq_len, base.seq_len, data)
    require_person(data, "nothing to adapt to")
    idx, unseen = vocab_shots(data, shots, seed, consecutive)
    support = data if len(idx) == len(data) else data.subset(idx)  # all of the data: held once, not copied
    signs = [a for a in support.actions if a != NONE and (support.labels == a).any()]
    if len(signs) < FEWEST_SIGNS:
        raise SignlstmError(f"a vocabulary needs at least {FEWEST_SIGNS} signs with recordings; the data has "
                            + (f"only '{shown_name(signs[0])}'" if signs else "none")
                            + (f" ({unseen_note(data.labels[unseen], signs)})" if len(unseen) else ""))
    inp, cut, _, _ = split_model(base.model)
    trunk = trunk_forward(base.model, split=(inp, cut))
    F, F_views = support_features(trunk, support, VIEW_SHIFTS if shift_views else ())
    names = support.labels
    tick = {"trunk": time.perf_counter() - t0}
    kept = []
    if keep_base_actions:
        Fb, Lb = base_examples(base, signs)
        kept = [a for a in base_signs(base) if (Lb == a).any()]
        signs = signs + kept
        F, names = np.concatenate([F, Fb]), np.concatenate([names, Lb])
    y = np.array([signs.index(a) for a in names])
    views = None if F_views is None else (F_views, np.tile(y[:len(support)], len(VIEW_SHIFTS)))  # the shots' labels
    weights = vocab_head(F, y, len(signs), radius=radius, within=within, own=len(signs) - len(kept), views=views)
    tied = bool(kept)  # the base's signs have wide radii: a window is none outside the named sign's own
    model = build_openset_model(inp, cut, weights, tied=tied)
    tick["fit"] = time.perf_counter() - t0
    check = look_alike(check_shots(F, y, len(signs), own=len(signs) - len(kept), views=views, radius=radius,
                                   within=within, tied=tied), y, signs, own=len(signs) - len(kept))
    tick["check"] = time.perf_counter() - t0
    labels = signs + [NONE]
    seconds = time.perf_counter() - t0
    meta = {k: v for k, v in base.meta.items()
            if k not in ("labels", "reject_label", "reject_bias", "metrics", "parameters", "training", "trunk")}
    meta.update({
        "labels": labels,
        "seq_len": base.seq_len,
        "reject_label": NONE,
        "adapted": {
            "base": {"path": str(base.path) if base.path else None, "labels": len(base.labels),
                     "arch": base.meta.get("arch")},
            "shots": shots, "method": VOCAB, "seed": seed, "radius": radius, "within": within,
            "view_shifts": list(VIEW_SHIFTS) if shift_views else [],
            "sequences": {a: int((names == a).sum()) for a in signs},
            "kept_base_actions": kept,
            "hands_unseen": unseen_note(data.labels[unseen], signs) if len(unseen) else None,
            "hands_rare": hands_rare(support, np.arange(len(support))),
            "check": check,
            "sources": list(support.sources),
            "seconds": round(seconds, 2),
            "timeline": {k: round(v, 2) for k, v in tick.items()},
        },
        "versions": library_versions(),
        "training": {"groups": seen_people(base, support)},
    })
    if log:
        log(f"adapted to {len(signs)} signs in {seconds:.1f} s on {counted(len(support), 'sequence')} (vocab)")
    return Bundle(model, meta)


def check_lines(check: dict) -> list[str]:
    """:func:`look_alike`'s findings in words, for ``adapt``'s output."""
    if not check.get("recordings"):
        return ["(record at least 2 of each sign, with a hand in view, for adapt to check them against each other)"]
    out = [f"check: each recording named by a model fitted without it: {100 * check['right']:.0f} % of "
           f"{check['recordings']} named rightly, {100 * check['none']:.0f} % answered none"]
    for a, b, c, n in check["alike"]:
        out.append(f"  alike: '{a}' and '{b}' ({c} of their {n} recordings taken for the other)")
    if check.get("unchecked"):
        out.append(f"  not checked, taught from one recording: "
                   f"{', '.join(repr(shown_name(a)) for a in check['unchecked'])} "
                   "(a sign needs 2 taught recordings to be checked)")
    return out
