"""Scores of a bundle on labelled data: accuracy, per-class, per-signer, confusion, plots."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix, multilabel_confusion_matrix, precision_recall_fscore_support

from ..models.bundle import Bundle
from ..datasets import NONE, Dataset
from ..errors import SignlstmError
from ..files import write_atomic


def decide(bundle: Bundle, probs: np.ndarray) -> np.ndarray:
    """Label per row of probabilities; the rejection output (if any) gives ``none``."""
    return np.array(bundle.labels)[probs.argmax(1)]


def check_labels(bundle: Bundle, data: Dataset) -> None:
    unknown = sorted(set(data.labels.tolist()) - set(bundle.labels) - {NONE})
    if unknown:
        raise SignlstmError(f"the data has action(s) {unknown} that the model does not know (it knows {bundle.labels})")
    if data.seq_len != bundle.seq_len:
        raise SignlstmError(f"the data has {data.seq_len}-frame sequences, the model expects {bundle.seq_len}")


def score(true: np.ndarray, pred: np.ndarray, groups: np.ndarray, labels: list[str]) -> dict:
    """Accuracy, per-class precision/recall, confusion and per-signer accuracy."""
    names = list(labels) + ([NONE] if NONE not in labels and (NONE in set(pred) or NONE in set(true)) else [])
    p, r, f, s = precision_recall_fscore_support(true, pred, labels=names, zero_division=0)
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
        "per_class": {a: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                      for i, a in enumerate(names)},
        "per_signer": per_signer,
        "confusion": confusion_matrix(true, pred, labels=names).tolist(),
        "multilabel_confusion": {a: m.tolist() for a, m in
                                 zip(names, multilabel_confusion_matrix(true, pred, labels=names))},
    }


def evaluate(bundle: Bundle, data: Dataset) -> dict:
    check_labels(bundle, data)
    pred = decide(bundle, bundle.predict(data.X))
    return score(data.labels, pred, data.groups, bundle.labels)


def format_report(result: dict) -> str:
    """A plain-text table of an evaluation result."""
    lines = [f"accuracy {result['accuracy']:.3f} on {result['n']} sequences", "",
             f"{'label':<14}{'precision':>10}{'recall':>8}{'n':>6}"]
    for a, m in result["per_class"].items():
        lines.append(f"{a:<14}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['support']:>6}")
    names = result["labels"]
    lines += ["", "confusion (rows true, columns predicted)", " " * 14 + "".join(f"{a[:9]:>10}" for a in names)]
    for a, row in zip(names, result["confusion"]):
        lines.append(f"{a:<14}" + "".join(f"{v:>10}" for v in row))
    if len(result["per_signer"]) > 1:
        lines += ["", f"{'signer':<14}{'accuracy':>10}{'n':>6}"]
        for g, m in result["per_signer"].items():
            lines.append(f"{g:<14}{m['accuracy']:>10.3f}{m['n']:>6}")
    return "\n".join(lines)


def plot_confusion(result: dict, out: str | Path) -> Path:
    """Save the confusion matrix as a PNG (written atomically)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    out = Path(out)
    fig, ax = plt.subplots(figsize=(1.2 * len(result["labels"]) + 2.5, 1.2 * len(result["labels"]) + 2))
    ConfusionMatrixDisplay(np.array(result["confusion"]), display_labels=result["labels"]).plot(
        ax=ax, cmap="Blues", colorbar=False)
    ax.set_title(f"accuracy {result['accuracy']:.3f} (n={result['n']})")
    fig.tight_layout()
    write_atomic(out, lambda p: fig.savefig(p, format=out.suffix.lstrip(".") or "png"))
    plt.close(fig)
    return out
