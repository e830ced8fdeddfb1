"""Data audit: find likely label problems before training, and apply the resulting fixes file.

1. Every sequence gets a pooled feature vector (mean/std/min/max over time of :class:`signlstm.models.features.BodyFeatures`).
2. Signer-grouped out-of-fold probabilities: a logistic regression is trained on the other signers only (mirrored
   copies added so left- and right-handed signers look alike) and predicts each held-out signer's sequences.
3. ``cleanlab.filter.find_label_issues`` flags sequences whose label disagrees with those probabilities.
4. Flags are grouped for a person to check: whole folders (signer + label) and sessions (a run of consecutive sequence
   numbers) whose gestures match another label, single disagreeing sequences, and sequences with no hands in most
   frames.
5. Per person, the camera shape the face mesh's proportions say (:mod:`signlstm.keypoints.camera_shape`): a person whose
   keypoints look taken with a camera that is not 4:3 is named (a finding only; nothing goes into the fixes).

The fixes file (CSV, one row per sequence: ``source, label, action, new_label, reason``) is applied by
:func:`signlstm.datasets.fixes.apply_fixes` when training; the user's data is never edited.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..keypoints import camera_shape
from .. import layout
from ..datasets import Dataset, require_person
from ..errors import BadInput, SignlstmError, optional
from ..datasets.fixes import key as _key

RELABEL_CONFIDENCE = 0.6  # below this out-of-fold probability a flagged sequence is dropped, not relabelled
SESSION_MIN = 5  # a run of at least this many consecutive flagged sequences is reported as a session
ROUNDS = 2  # audit rounds (see :func:`audit`)


_FINGERS = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))  # MCP, PIP, DIP, tip


def _hand_frame_features(shape: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """(..., 20, 3) wrist-relative landmarks 1..20 (palm units) and the (..., 2) hand direction -> (..., 14)
    handshape numbers, mirror-invariant."""
    pts = np.concatenate([np.zeros_like(shape[..., :1, :]), shape], axis=-2)  # landmark 0 = wrist at the origin
    out = []
    for mcp, pip, dip, tip in _FINGERS:
        seg = (np.linalg.norm(pts[..., pip, :] - pts[..., mcp, :], axis=-1)
               + np.linalg.norm(pts[..., dip, :] - pts[..., pip, :], axis=-1)
               + np.linalg.norm(pts[..., tip, :] - pts[..., dip, :], axis=-1))
        out.append(np.linalg.norm(pts[..., tip, :] - pts[..., mcp, :], axis=-1) / np.maximum(seg, 1e-3))  # straight
        out.append(np.linalg.norm(pts[..., tip, :], axis=-1)
                   / np.maximum(np.linalg.norm(pts[..., pip, :], axis=-1), 1e-3))  # reach
    out.append(np.linalg.norm(pts[..., 4, :] - pts[..., 8, :], axis=-1))  # thumb-index tips
    out.append(np.linalg.norm(pts[..., 8, :] - pts[..., 12, :], axis=-1))  # index-middle tips
    out.append(np.abs(direction[..., 0]))  # hand direction (wrist -> middle MCP), |x| so a mirror changes nothing
    out.append(direction[..., 1])
    return np.stack(out, axis=-1)


def data_features(data: Dataset, step=None) -> np.ndarray:
    """:func:`pooled_features` of every sequence of ``data``, a chunk at a time (held in any dtype and columns: only
    one chunk is float32 at once); ``step`` is called with the number of sequences of each chunk done."""
    def chunk(X: np.ndarray) -> np.ndarray:
        F = pooled_features(X)
        if step is not None:
            step(len(X))
        return F

    return data.apply(chunk)


def _bar(total: int, desc: str, unit: str, show: bool):
    """A tqdm bar on stderr (nothing drawn unless ``show``)."""
    import sys

    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=not show)


def pooled_features(X: np.ndarray, batch: int = 512) -> np.ndarray:
    """(N, T, 1662) -> (N, 43) per-sequence summary, mirror-invariant: handshape (finger straightness/reach,
    tip distances, direction) of the dominant and the other hand averaged over the frames they are seen, how often
    each hand and both are seen, where the dominant wrist is (body frame) and how much it moves, hand distance."""
    import keras

    from ..models.features import N_FEATURES, BodyFeatures, hand_blocks

    layer = BodyFeatures()
    F = np.concatenate([np.asarray(layer(keras.ops.convert_to_tensor(np.asarray(X[i:i + batch], np.float32))))
                        for i in range(0, len(X), batch)]) if len(X) else np.zeros((0, 1, N_FEATURES), np.float32)
    hands = [(wrist, _hand_frame_features(shape, direction), mask) for wrist, direction, shape, mask in hand_blocks(F)]
    seen = np.stack([h[2].mean(1) for h in hands], 1)  # (N, 2)
    height = np.stack([-(h[0][..., 1] * h[2]).sum(1) / np.maximum(h[2].sum(1), 1) for h in hands], 1)
    dom = np.where(seen[:, 0] * 2 + height[:, 0] * 0.01 >= seen[:, 1] * 2 + height[:, 1] * 0.01, 0, 1)
    rows = np.arange(len(F))

    def pick(k_of_row, j):
        return np.stack([hands[0][j], hands[1][j]], 1)[rows, k_of_row]

    feats = []
    for which in (dom, 1 - dom):
        wrist, hf, mask = pick(which, 0), pick(which, 1), pick(which, 2)
        n = np.maximum(mask.sum(1), 1)
        feats.append((hf * mask[..., None]).sum(1) / n[:, None])
        feats.append(mask.mean(1)[:, None])
        wy = np.where(mask > 0, wrist[..., 1], np.nan)
        wx = np.where(mask > 0, np.abs(wrist[..., 0]), np.nan)
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                stats = [np.nanmean(wy, 1), np.nanmin(wy, 1), np.nanmean(wx, 1), np.nanstd(wx, 1), np.nanstd(wy, 1)]
        feats.append(np.nan_to_num(np.stack(stats, 1), nan=0.0))
    both = hands[0][2] * hands[1][2]
    dist = np.linalg.norm(hands[0][0] - hands[1][0], axis=-1)
    feats.append(np.stack([both.mean(1), (dist * both).sum(1) / np.maximum(both.sum(1), 1)], 1))
    return np.concatenate(feats, 1).astype(np.float32)


def check_splits(people, n_splits: int | None = None, where: str | None = None) -> None:
    """Refuse, in one line, data of fewer than 2 signers (``people``, their names; the data named by ``where``) or
    ``n_splits`` folds it cannot make (fewer than 2, or more than it has signers): before any feature is computed."""
    people = sorted(set(people))
    if len(people) < 2:
        raise BadInput(where or ",".join(people) or "the data",
                       "the audit needs recordings of at least 2 signers (it predicts each signer from the others)")
    if n_splits is not None and not 2 <= n_splits <= len(people):
        raise SignlstmError(f"cannot make {n_splits} signer-grouped folds of the data's {len(people)} signers "
                            f"(--splits takes 2..{len(people)})")


def _signer_folds(data: Dataset, n_splits: int | None, y: np.ndarray):
    """(train, test) index pairs in which no signer is on both sides: one fold per signer, or ``n_splits``
    signer-grouped folds (the same every call)."""
    from sklearn.model_selection import GroupKFold, LeaveOneGroupOut

    cv = LeaveOneGroupOut() if n_splits is None else GroupKFold(n_splits)
    return cv.split(np.zeros(len(data)), y, data.groups)


def out_of_fold_probs(data: Dataset, n_splits: int | None = None, feats=None, C: float = 1.0,
                      train_y: np.ndarray | None = None, step=None) -> np.ndarray:
    """Signer-grouped out-of-fold class probabilities (N, len(actions)) from a logistic regression on
    :func:`pooled_features`: each signer is predicted by a model that never saw them. ``train_y`` (label index per
    sequence, -1 = leave out) replaces the recorded labels for training, e.g. after a first round of fixes; ``step``
    (no arguments) is called as each fold is done."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    check_splits(data.groups.tolist(), n_splits)
    require_person(data, "nothing to audit")
    F = data_features(data) if feats is None else feats
    y = data.y if train_y is None else np.asarray(train_y)
    probs = np.zeros((len(data), len(data.actions)))
    for tr, te in _signer_folds(data, n_splits, y):
        tr = tr[y[tr] >= 0]
        known = np.unique(y[tr])
        if len(known) < 2:  # the other signers' recordings (as fixed) hold one sign, or none: nothing to tell apart
            probs[te[:, None], known[None, :]] = 1.0
        else:
            clf = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=1000))
            clf.fit(F[tr], y[tr])
            p = np.zeros((len(te), len(data.actions)))
            p[:, clf.classes_] = clf.predict_proba(F[te])
            probs[te] = p
        if step is not None:
            step()
    return probs


def unjudged(data: Dataset, n_splits: int | None = None, train_y: np.ndarray | None = None) -> np.ndarray:
    """Per sequence, True when its fold of :func:`out_of_fold_probs` (same ``n_splits`` and ``train_y``) learnt no
    sequence of its label: that model cannot name it, so it is not judged."""
    y = data.y if train_y is None else np.asarray(train_y)
    out = np.zeros(len(data), bool)
    for tr, te in _signer_folds(data, n_splits, y):
        out[te] = ~np.isin(data.y[te], y[tr][y[tr] >= 0])
    return out


def lone_labels(data: Dataset) -> list[str]:
    """The labels only one signer recorded: the audit predicts each signer from the others, who never made these,
    so it cannot check them (their recordings are never flagged)."""
    return [a for a in data.actions if len(set(data.groups[data.labels == a].tolist())) == 1]


def _ranges(seqs: list[int]) -> str:
    """[1, 2, 3, 7] -> '1-3,7'."""
    out, start = [], None
    for k, v in enumerate(seqs):
        if start is None:
            start = v
        if k + 1 == len(seqs) or seqs[k + 1] != v + 1:
            out.append(f"{start}-{v}" if v > start else str(v))
            start = None
    return ",".join(out)


@dataclass
class Finding:
    kind: str  # folder / session / sequence / no-hands
    signer: str
    label: str
    seqs: list[int]
    suggested: str | None
    confidence: float
    of: int = 0  # sequences in the signer's folder for this label
    swap: bool = False  # found swapped both ways for this signer: the fixes relabel it

    def row(self) -> list[str]:
        s = self.seqs
        where = (f"of {self.of}: seq " + _ranges(s) if self.kind in ("folder", "session") else
                 "seq " + _ranges(s))
        return [self.kind + (" SWAP" if self.swap else ""), self.signer, self.label, f"{len(s)} ({where})", self.suggested or "drop",
                f"{self.confidence:.2f}"]


@dataclass
class AuditResult:
    findings: list[Finding]
    fixes: list[dict]
    probs: np.ndarray
    issues: np.ndarray  # bool per sequence
    cameras: dict[str, camera_shape.CameraShape | None] = field(default_factory=dict)  # per person; None: no face
    unjudged: np.ndarray | None = None  # bool per sequence: its fold learnt no recording of its label (as recorded)


def cameras(data: Dataset) -> dict[str, camera_shape.CameraShape | None]:
    """Per person (``data.groups``): the camera shape their face mesh says
    (:func:`~signlstm.keypoints.camera_shape.shape_from_ratios` of all their frames'
    :func:`~signlstm.keypoints.camera_shape.face_ratios`), None where too few frames have a face."""
    if not len(data):
        return {}
    if data.columns is None:  # only the face columns it needs are read, in any dtype
        ratios = camera_shape.face_ratios(data.frames)
    else:
        ratios = data.apply(camera_shape.face_ratios)
    return {g: camera_shape.shape_from_ratios(ratios[data.groups == g]) for g in sorted(set(data.groups.tolist()))}


def _seq_number(source: str, i: int) -> int:
    """The recording number ``source`` names (a packed file's, or a tree's folder), else ``i``."""
    from ..datasets.dataset import packed_recording

    if packed := packed_recording(source):
        return packed[1]
    tail = Path(source).name
    return int(tail) if tail.isdigit() else i


def fixed_labels(data: Dataset, fixes: list[dict]) -> np.ndarray:
    """Label index per sequence after ``fixes`` (-1 where dropped)."""
    by_key = {(_key(r["source"]), r["label"]): r for r in fixes}
    y = data.y.copy()
    for i, (src, a) in enumerate(zip(data.sources, data.labels)):
        r = by_key.get((_key(src), str(a)))
        if r is not None:
            y[i] = -1 if r["action"] == "drop" else data.actions.index(r["new_label"])
    return y


def signs_only(data: Dataset) -> Dataset:
    """``data`` without its recordings of no sign (labelled ``none`` or another rejection name: training's own
    negatives, with nothing to check and no sign to take one for), its actions the signs alone."""
    from ..sign_names import is_rejection_name

    signs = [a for a in data.actions if not is_rejection_name(a)]
    if len(signs) == len(data.actions):
        return data
    return replace(data.subset(np.isin(data.labels, signs)), actions=signs)


def label_issue_finder():
    """cleanlab's ``find_label_issues``, which the audit judges labels with (the ``[audit]`` extra), or
    :class:`SignlstmError` naming the extra when cleanlab is not installed: checked before any data is read."""
    return optional("cleanlab.filter", "audit", "the audit").find_label_issues


def audit(data: Dataset, n_splits: int | None = None, feats=None, rounds: int = ROUNDS,
          progress: bool = False) -> AuditResult:
    """The whole audit of ``data``'s signs (:func:`signs_only`; ``feats``: :func:`data_features` of ``data``, when
    computed already): out-of-fold predictions, findings and fixes, repeated ``rounds`` times (with ``progress``, a
    bar on stderr over the sequences whose features are computed, then one over every round's folds). From the second
    round on, the out-of-fold models learn from the labels as the previous round fixed them (swaps relabelled,
    disagreeing sequences left out), so a folder that only looked right because another signer's swapped folder
    backed it up (two open hands labelled iloveyou by both) is found too. A later round's fix of a sequence replaces
    an earlier one; what an earlier round found and a later one does not see stays. Labels judged are always as
    recorded."""
    label_issue_finder()  # before any feature is computed
    signs = signs_only(data)
    if feats is not None and len(signs) < len(data):
        feats = feats[np.isin(data.labels, signs.actions)]
    data = signs
    check_splits(data.groups.tolist(), n_splits)
    require_person(data, "nothing to audit")
    if feats is None:
        with _bar(len(data), "audit: features", "seq", progress) as bar:
            feats = data_features(data, step=bar.update)
    F = feats
    skip = unjudged(data, n_splits)
    folds = n_splits or len(set(data.groups.tolist()))
    with _bar(rounds * folds, "audit: folds", "fold", progress) as bar:
        result = run_audit(data, out_of_fold_probs(data, n_splits, F, step=bar.update), skip)
        for _ in range(rounds - 1):
            train_y = fixed_labels(data, result.fixes)
            later = run_audit(data, out_of_fold_probs(data, n_splits, F, train_y=train_y, step=bar.update),
                              unjudged(data, n_splits, train_y))
            fixes = {(r["source"], r["label"]): r for r in result.fixes}
            fixes.update({(r["source"], r["label"]): r for r in later.fixes})
            result = AuditResult(merge_rounds(result.findings, later.findings), list(fixes.values()), later.probs,
                                 result.issues | later.issues)
    result.cameras, result.unjudged = cameras(data), skip
    return result


_ORDER = {"folder": 0, "session": 1, "sequence": 2, "no-hands": 3}


def _kind(n: int, of: int, kind: str) -> str:
    """What a finding of kind ``kind`` is called when it holds ``n`` disagreeing sequences of a folder of ``of``:
    most of the folder a folder, half of it a session; under half, a folder or session finding becomes a session if
    it keeps :data:`SESSION_MIN` sequences, else a sequence, and a sequence finding stays one."""
    if n >= 0.5 * of:
        return "folder" if n >= 0.6 * of else "session"
    if kind in ("folder", "session"):
        return "session" if n >= SESSION_MIN else "sequence"
    return kind


def merge_rounds(earlier: list[Finding], later: list[Finding]) -> list[Finding]:
    """Two rounds' findings as one table, each sequence in one row: what the later round shows of a signer's label
    is as it says (its fix replaces the earlier one); the earlier round's other sequences of that label join the later
    finding with the same suggestion, or stay a row of their own. Findings of one signer, label and suggestion that
    together hold half the folder become one."""
    findings = list(later)
    for f in earlier:
        hands = f.kind == "no-hands"
        shown = {s for g in later if (g.signer, g.label) == (f.signer, f.label) and (g.kind == "no-hands") == hands
                 for s in g.seqs}
        rest = [s for s in f.seqs if s not in shown]
        if not rest:
            continue
        same = [g for g in findings if (g.signer, g.label, g.suggested) == (f.signer, f.label, f.suggested)
                and (g.kind == "no-hands") == hands]
        if not same:
            findings.append(replace(f, seqs=rest, kind=f.kind if hands else _kind(len(rest), f.of, f.kind)))
            continue
        g = same[0]
        g.seqs = sorted(set(g.seqs) | set(rest))
        together = set().union(*(h.seqs for h in same))
        if not hands and len(together) >= 0.5 * g.of:
            g.seqs, g.kind = sorted(together), _kind(len(together), g.of, g.kind)
            findings = [h for h in findings if h is g or all(h is not x for x in same)]
    findings.sort(key=lambda f: (_ORDER[f.kind], f.signer, f.label))
    return findings


def run_audit(data: Dataset, probs: np.ndarray | None = None, skip: np.ndarray | None = None) -> AuditResult:
    """Out-of-fold predictions + cleanlab -> findings (for people) and per-sequence fixes (for ``train --fixes``);
    sequences ``skip`` marks (default: those of a label only one signer recorded) are not judged."""
    find_label_issues = label_issue_finder()

    if probs is None:
        probs = out_of_fold_probs(data)
    y = data.y
    if len(np.unique(y)) < 2:  # one sign: no label to take it for (cleanlab would warn and flag nothing)
        issues = np.zeros(len(y), bool)
    else:
        issues = find_label_issues(y, probs, filter_by="prune_by_noise_rate", n_jobs=1)
    pred = probs.argmax(1)
    issues &= (pred != y) & ~(np.isin(data.labels, lone_labels(data)) if skip is None else skip)
    hand_share = data.hand_shares()
    no_hands = hand_share < layout.SIGN_HANDS  # dropped: a recording without its sign
    seqs = np.array([_seq_number(s, i) for i, s in enumerate(data.sources)])
    findings, fixes = [], []
    for g in sorted(set(data.groups.tolist())):
        for a in data.actions:
            cell = np.flatnonzero((data.groups == g) & (data.labels == a))
            if not len(cell):
                continue
            cell = cell[np.argsort(seqs[cell], kind="stable")]
            nh = cell[no_hands[cell]]
            if len(nh):
                findings.append(Finding("no-hands", g, a, sorted(seqs[nh].tolist()), None,
                                        float(1 - hand_share[nh].mean()), len(cell)))
            flagged = cell[issues[cell] & ~no_hands[cell]]
            for s in sorted(set(pred[flagged].tolist())):
                idx = flagged[pred[flagged] == s]
                new = data.actions[s]
                conf = float(probs[idx, s].mean())
                if len(idx) >= 0.5 * len(cell):
                    findings.append(Finding("folder" if len(idx) >= 0.6 * len(cell) else "session", g, a,
                                            sorted(seqs[idx].tolist()), new, conf, len(cell)))
                    continue
                # Runs of consecutive flagged sequences (in sequence order within the folder) form sessions.
                pos = np.searchsorted(cell, idx) if np.all(np.diff(cell) > 0) else np.array(
                    [int(np.flatnonzero(cell == i)[0]) for i in idx])
                runs, start = [], 0
                for k in range(1, len(pos) + 1):
                    if k == len(pos) or pos[k] > pos[k - 1] + 2:
                        runs.append(idx[start:k])
                        start = k
                for run in runs:
                    kind = "session" if len(run) >= SESSION_MIN else "sequence"
                    findings.append(Finding(kind, g, a, sorted(seqs[run].tolist()), new, float(probs[run, s].mean()),
                                            len(cell)))
    # Fixes, one row per sequence. A folder/session-level finding whose two labels are found swapped the other way
    # round too for the same signer (thanks -> iloveyou and iloveyou -> thanks) is a swap: relabel it. Everything
    # else that disagrees (a folder of an odd variant, a lone sequence) is dropped rather than guessed.
    swaps = set()
    big = [f for f in findings if f.kind in ("folder", "session")]
    for f in big:
        if any(h.signer == f.signer and h.label == f.suggested and h.suggested == f.label for h in big):
            swaps.add((f.signer, f.label))
            f.swap = True
    for i in range(len(data)):
        g, a = data.groups[i], data.labels[i]
        if no_hands[i]:
            fixes.append({"source": data.sources[i], "label": a, "action": "drop", "new_label": "",
                          "reason": f"no hands in {100 * (1 - hand_share[i]):.0f}% of frames"})
        elif issues[i]:
            new = data.actions[pred[i]]
            conf = float(probs[i, pred[i]])
            swapped = any(f.signer == g and f.label == a and f.suggested == new and seqs[i] in f.seqs
                          and (g, a) in swaps for f in big)
            if swapped and conf >= RELABEL_CONFIDENCE:
                fixes.append({"source": data.sources[i], "label": a, "action": "relabel", "new_label": new,
                              "reason": f"{a}<->{new} swap for {g}; looks like {new} (p={conf:.2f}) to a model "
                                        "trained on other signers"})
            else:
                fixes.append({"source": data.sources[i], "label": a, "action": "drop", "new_label": "",
                              "reason": f"disagrees with its label; looks like {new} (p={conf:.2f})"})
    findings.sort(key=lambda f: (_ORDER[f.kind], f.signer, f.label))
    return AuditResult(findings, fixes, probs, issues)
