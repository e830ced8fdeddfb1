"""Scores of a bundle on labelled data: accuracy, per-class, per-signer, confusion, plots.

:func:`evaluate` reads its data chunk by chunk (a :class:`Dataset` or :func:`signlstm.datasets.stream`): memory holds
one chunk of frames plus a label, a prediction and a signer id per sequence (about 100 bytes), whatever the size of
the data. Sequences with no person in any frame are counted, not scored.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ..models.bundle import Bundle, check_seq_len
from ..datasets import CHUNK, Dataset, no_person
from ..datasets.dataset import sources_name
from ..sign_names import NONE, columns, fit_columns, name_column, shown_name
from ..errors import BadInput, SignlstmError
from ..files import write_atomic
from ..recognizer import decide
from .. import unicode_text
from ..wording import counted


def check_labels(bundle: Bundle, data: Dataset, expected=()) -> None:
    """Refuse data with labels the model does not know (but ``expected`` ones) or of another sequence length."""
    unknown = sorted(set(data.labels.tolist()) - set(bundle.labels) - {NONE} - set(expected))
    if unknown:
        raise SignlstmError(f"the data has action(s) {unknown} that the model does not know (it knows {bundle.labels})")
    check_seq_len(data.seq_len, bundle.seq_len, data)


def measured_mean(values, f=np.mean) -> float:
    """``f`` (the mean, or e.g. ``np.median``) of the values measured: None and NaN (not measured) are left out; NaN,
    and no numpy warning, when none is."""
    values = [v for v in values if v is not None and not np.isnan(v)]
    return float(f(values)) if values else float("nan")


def score(true: np.ndarray, pred: np.ndarray, groups: np.ndarray, labels: list[str]) -> dict:
    """Accuracy, per-class precision/recall, confusion and per-signer accuracy."""
    from sklearn.metrics import confusion_matrix, multilabel_confusion_matrix, precision_recall_fscore_support

    names = list(labels) + ([NONE] if NONE not in labels and (NONE in set(pred) or NONE in set(true)) else [])
    p, r, f, s = precision_recall_fscore_support(true, pred, labels=names, zero_division=0)
    confusion = confusion_matrix(true, pred, labels=names)
    answered = confusion.sum(axis=0)  # how often each label was answered

    def defined(value: float, count: int) -> float | None:  # None (JSON null) where the count it divides by is 0
        return float(value) if count else None

    per_signer = {}
    for g in sorted(set(groups.tolist())):
        m = groups == g
        per_signer[g] = {"accuracy": float((pred[m] == true[m]).mean()), "n": int(m.sum()),
                         "per_label": {a: float((pred[m & (true == a)] == a).mean())
                                       for a in names if (m & (true == a)).any()}}
    return {
        "accuracy": float((pred == true).mean()) if len(true) else 0.0,
        "n": int(len(true)),
        "labels": names,
        "per_class": {a: {"precision": defined(p[i], answered[i]), "recall": defined(r[i], s[i]),
                          "f1": defined(f[i], answered[i] and s[i]), "support": int(s[i])}
                      for i, a in enumerate(names)},
        "per_signer": per_signer,
        "confusion": confusion.tolist(),
        "multilabel_confusion": {a: m.tolist() for a, m in
                                 zip(names, multilabel_confusion_matrix(true, pred, labels=names))},
    }


def _chunks(data):
    if isinstance(data, Dataset):
        for start in range(0, len(data), CHUNK):
            yield data.subset(np.arange(start, min(start + CHUNK, len(data))))
    else:
        yield from data


def predictions(bundle: Bundle, chunks):
    """``signlstm predict``'s answers, one per sequence of ``chunks`` (:func:`~signlstm.datasets.stream`), in order:
    (source, true label or None when unlabelled, the label decided, its probabilities), with label and
    probabilities None for a sequence showing no person (every value zero), which is not classified. The chunks'
    skipped files are reported by the chunks themselves (``chunk.skipped``). Sequences of another length than the
    model's window are refused (:class:`BadInput` naming their file), as ``predict`` refuses them."""
    from ..datasets import UNLABELLED

    for chunk in chunks:
        check_seq_len(chunk.seq_len, bundle.seq_len, chunk)
        gone = no_person(chunk.X)
        P = bundle.predict(chunk.X[~gone])
        said = iter(zip(P, decide(bundle.labels, P)))  # one decision per chunk
        for src, true, none in zip(chunk.sources, chunk.labels, gone):
            p, label = (None, None) if none else next(said)
            yield src, None if true == UNLABELLED else str(true), label, p


def evaluate_data(bundle: Bundle, paths, actions: list[str] | None = None,
                  sources=None, step=None) -> tuple[dict, list[str]]:
    """``bundle`` scored on the recordings of ``paths`` (or the already opened ``sources`` of them), read a chunk at
    a time, as ``signlstm evaluate`` scores them: (:func:`evaluate`'s result, notes for the person). The signs scored
    are ``actions``, else the model's own signs (:attr:`Bundle.signs`); labels that are the model's
    signs in another spelling are scored as the model names them ("thank you" as thanks), and other labels as signs
    it was never taught (:func:`~signlstm.judging.labels.scored_labels`; the notes say which). ``step(n)`` is called
    with the number of sequences of each chunk once it is scored (a progress bar's)."""
    from ..datasets import open_sources, stream
    from .labels import scored_labels

    if actions is None:
        actions = bundle.signs or None
    sources = open_sources(paths) if sources is None else sources
    unknown, spelled, notes = scored_labels(sources, bundle, actions) if actions else ([], {}, [])
    chunks = stream(paths, actions=actions + unknown + list(spelled) if actions else None, sources=sources)
    return evaluate(bundle, (chunk.renamed(spelled) for chunk in chunks), unknown=unknown, step=step), notes


def evaluate(bundle: Bundle, data, unknown=(), step=None) -> dict:
    """Scores of ``bundle`` on ``data`` (a :class:`Dataset` or an iterable of chunks), read one chunk at a time.

    Sequences whose every value is zero (no person in any frame) are left out of the scores and counted under
    ``no_person``; when no sequence shows a person, :class:`SignlstmError` says so instead of scoring an empty room.
    Recordings labelled with one of ``unknown`` (signs the model was never taught) are not scored as signs: the
    model should answer them ``none``, and ``unknown_signs`` counts how often it does (:func:`_unknown_counts`).
    ``step(n)``, when given, is called with the number of sequences of each chunk once it is scored.
    """
    true, pred, groups, skipped, empty, seen, empty_sources = [], [], [], [], {}, 0, []
    unknown, strangers, people = set(unknown), {}, set()  # people: whose recordings of unknown signs were read
    for c in _chunks(data):
        check_labels(bundle, c, unknown)
        skipped += c.skipped
        seen += len(c)
        X = c.X
        gone = no_person(X)
        for g in c.groups[gone]:  # of any label
            empty[str(g)] = empty.get(str(g), 0) + 1
        if not pred and gone.any():  # named if no sequence shows a person: each chunk's file or common folder
            empty_sources.append(sources_name([s for s, none in zip(c.sources, gone) if none]))
        strange = np.isin(c.labels, sorted(unknown)) if unknown else np.zeros(len(c), bool)
        if strange.any():
            people.update(str(g) for g in c.groups[strange])
            shown = strange & ~gone
            _unknown_counts(bundle, c.labels[shown], X[shown], strangers)
        keep = np.flatnonzero(~gone & ~strange)
        if len(keep):
            pred.append(decide(bundle.labels, bundle.predict(X[keep])))
            true.append(c.labels[keep])
            groups.append(c.groups[keep])
        if step is not None:
            step(len(c))
    if not pred and strangers:  # only signs the model does not know: how often it says none is the score
        result = {"accuracy": None, "n": 0, "labels": [], "per_class": {}, "per_signer": {}, "confusion": [],
                  "multilabel_confusion": {}}
    elif not pred and seen:
        raise BadInput(sources_name(empty_sources), f"no person in any frame of the {seen} sequence(s) (every value "
                                                    "is zero): nothing to score")
    elif not pred:
        raise SignlstmError(f"no sequence of the model's actions ({', '.join(bundle.labels)}) in the data: nothing to "
                            "score")
    else:
        result = score(np.concatenate(true), np.concatenate(pred), np.concatenate(groups), bundle.labels)
    if unknown:
        n = sum(v["n"] for v in strangers.values())
        result["unknown_signs"] = {"n": n, "none": sum(v["none"] for v in strangers.values()), "per_label": strangers}
    result["no_person"] = {"sequences": sum(empty.values()), "per_signer": empty}
    result["skipped"] = [list(s) for s in skipped]
    trained = (bundle.meta.get("training") or {}).get("groups") or []
    # people the model saw in training
    result["trained_on"] = sorted((set(result["per_signer"]) | people) & set(trained))
    return result


def _unknown_counts(bundle: Bundle, labels: np.ndarray, X: np.ndarray, counts: dict) -> None:
    """Add to ``counts`` (label -> ``n``, ``none``, ``named``: answer -> recordings) the answers of ``bundle`` to
    recordings ``X`` of signs it does not know, labelled ``labels``."""
    if not len(X):
        return
    said = decide(bundle.labels, bundle.predict(X))
    for label, answer in zip(labels.tolist(), said.tolist()):
        row = counts.setdefault(label, {"n": 0, "none": 0, "named": {}})
        row["n"] += 1
        if answer == bundle.reject_label:
            row["none"] += 1
        else:
            row["named"][answer] = row["named"].get(answer, 0) + 1


def format_report(result: dict) -> str:
    """A plain-text table of an evaluation result."""
    lines = [f"accuracy {result['accuracy']:.3f} on {counted(result['n'], 'sequence')}" if result["n"] else
             "no recordings of the model's own signs: accuracy not measured"]
    seen = result.get("trained_on") or []
    if seen:
        lines.append(f"the model was trained on {', '.join(map(shown_name, seen))}: figures on people it saw flatter "
                     "it (`signlstm judge` measures people it never saw)")
    empty = result.get("no_person", {}).get("sequences", 0)
    if empty:
        lines.append(f"not scored: {empty} sequence(s) with no person in any frame (every value zero): "
                     + ", ".join(f"{shown_name(g)} {n}" for g, n in result["no_person"]["per_signer"].items()))
    if result["n"]:
        names = result["labels"]
        w = min(30, max([13] + [columns(a) for a in names]))  # the label column, in terminal columns
        lines += ["", f"{'label':<{w + 1}}{'precision':>10}{'recall':>8}{'n':>6}"]
        answered = np.asarray(result["confusion"]).sum(axis=0)  # how often each label was answered
        for i, (a, m) in enumerate(result["per_class"].items()):  # None: undefined (never answered; none in the data)
            # a label absent from the data has precision 0 whenever it is answered, which says nothing more than
            # how often it was: the row says that instead of a bare 0.000
            absent = not m["support"] and answered[i]
            precision = f"{'-':>10}" if m["precision"] is None or absent else f"{m['precision']:>10.3f}"
            recall = f"{'-':>8}" if m["recall"] is None else f"{m['recall']:>8.3f}"
            why = f"  (none in the data; answered {answered[i]} time{'s' * (answered[i] != 1)})" if absent else ""
            lines.append(f"{fit_columns(a, w)} {precision}{recall}{m['support']:>6}{why}")
        lines += ["", "confusion (rows true, columns predicted)",
                  " " * (w + 1) + "".join(" " + fit_columns(a, 9, right=True) for a in names)]
        for a, row in zip(names, result["confusion"]):
            lines.append(f"{fit_columns(a, w)} " + "".join(f"{v:>10}" for v in row))
    if len(result["per_signer"]) > 1:
        person = name_column(["signer", *result["per_signer"]], 14)
        lines += ["", f"{person('signer')}{'accuracy':>10}{'n':>6}"]
        for g, m in result["per_signer"].items():
            trained = "  (in training)" if g in seen else ""
            lines.append(f"{person(g)}{m['accuracy']:>10.3f}{m['n']:>6}{trained}")
    strangers = result.get("unknown_signs")
    if strangers and strangers["n"]:
        lines += ["", f"signs the model does not know (it should answer none): {strangers['none']} of "
                      f"{counted(strangers['n'], 'recording')} answered none "
                      f"({100 * strangers['none'] / strangers['n']:.1f} %)"]
        rows = sorted(strangers["per_label"].items(), key=lambda kv: (kv[1]["none"] / kv[1]["n"], kv[0]))
        for label, row in rows[:10]:  # the signs it lets through most, first
            named = ", ".join(f"{a} {k}" for a, k in sorted(row["named"].items(), key=lambda kv: -kv[1])[:3])
            lines.append(f"  {shown_name(label)}: {row['none']} of {row['n']} none" + (f"; named {named}" if named
                                                                                    else ""))
        if len(rows) > 10:
            rest = [row for _, row in rows[10:]]
            lines.append(f"  and {len(rest)} more: {sum(r['none'] for r in rest)} of {sum(r['n'] for r in rest)} none")
    return "\n".join(lines)


def check_plot_out(out: str | Path) -> None:
    """Refuse (:class:`~signlstm.errors.BadInput`), before any work, a picture path whose type matplotlib does not
    write (its suffix; none: PNG) or where no file can be made."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ..errors import BadInput
    from ..outputs import check_file_out

    kinds = FigureCanvasAgg(Figure()).get_supported_filetypes()
    kind = Path(out).suffix.lstrip(".").lower() or "png"
    if kind not in kinds:
        raise BadInput(out, f"no picture of type .{kind} can be written (types: {', '.join(sorted(kinds))})")
    check_file_out(out)


PLOT_LABEL = 24  # characters of a sign's name the confusion plot shows (longer ones end in an ellipsis)


def plot_confusion(result: dict, out: str | Path) -> Path:
    """Save the confusion matrix as a PNG (written atomically); names longer than :data:`PLOT_LABEL` characters are
    cut, and names longer than 8 are written aslant."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    out = Path(out)
    labels = result["labels"]
    family = ["DejaVu Sans", *unicode_text.fallback_families(labels)]  # the labels' scripts, where a font has them
    with plt.rc_context({"font.family": family}), warnings.catch_warnings():
        # a letter no installed font holds is a box; the command's note says so once (not a warning per letter)
        warnings.filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)
        fig, ax = plt.subplots(figsize=(1.2 * len(labels) + 2.5, 1.2 * len(labels) + 2))
        shown = [a if len(a) <= PLOT_LABEL else a[:PLOT_LABEL - 1] + "…" for a in labels]  # a long name stays in its cell
        ConfusionMatrixDisplay(np.array(result["confusion"]), display_labels=shown).plot(ax=ax, cmap="Blues",
                                                                                          colorbar=False)
        if max(map(len, shown)) > 8:  # aslant, each name ending under its column
            plt.setp(ax.get_xticklabels(), rotation=45, ha="right", rotation_mode="anchor")
        ax.set_title(f"accuracy {result['accuracy']:.3f} (n={result['n']})")
        fig.tight_layout()
        write_atomic(out, lambda p: fig.savefig(p, format=out.suffix.lstrip(".").lower() or "png"))
        plt.close(fig)
    return out
