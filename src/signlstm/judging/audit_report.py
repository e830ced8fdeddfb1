"""Text of the label audit (:mod:`signlstm.judging.audit`): its findings as a table, the cameras that are not 4:3,
what was not checked and why, and a summary line."""
from __future__ import annotations

import numpy as np

from ..keypoints import camera_shape
from .. import layout
from ..datasets import Dataset
from ..sign_names import shown_name
from .audit import AuditResult, lone_labels, signs_only

WEAK_CHECK = 0.5  # out-of-fold accuracy under which the audit warns that its flags say little (signers: 0.84)


def format_findings(result: AuditResult, data: Dataset) -> str:
    """The audit of ``data`` (its signs: :func:`~signlstm.judging.audit.signs_only`) as text: a table of the
    findings, the cameras that are not 4:3, what was not checked and why, and a summary line (out-of-fold accuracy,
    flags, fixes), with a warning when that accuracy is too low to trust the flags."""
    data = signs_only(data)
    head = ["kind", "signer", "label", "sequences", "suggested", "confidence"]
    rows = [f.row() for f in result.findings]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    n_relabel = sum(f["action"] == "relabel" for f in result.fixes)
    n_drop = sum(f["action"] == "drop" for f in result.fixes)
    oof = float((result.probs.argmax(1) == data.y).mean())
    lines += camera_lines(result.cameras)
    lone = lone_labels(data)
    for a in lone:
        lines.append(f"not checked: '{shown_name(a)}', recorded by {data.groups[data.labels == a][0]} alone (no other "
                     "signer's recordings of it to check it against)")
    skipped = np.zeros(len(data), bool) if result.unjudged is None else result.unjudged & ~np.isin(data.labels, lone)
    for a in [a for a in data.actions if skipped[data.labels == a].any()]:  # folds (--splits) that hold all its signers
        these = skipped & (data.labels == a)
        lines.append(f"not checked: {int(these.sum())} of the {int((data.labels == a).sum())} recordings of "
                     f"'{shown_name(a)}' (by {', '.join(sorted(set(data.groups[these].tolist())))}): their fold held "
                     "every signer who recorded it, so its model never learnt it")
    signs = sorted(set(data.labels.tolist()))
    if len(signs) == 1:
        lines.append(f"labels not checked: every recording is '{shown_name(signs[0])}' (no other sign to take one for)")
    lines += ["", f"{len(data)} sequences, {len(set(data.groups.tolist()))} signers; signer-grouped out-of-fold "
                  f"accuracy {'-' if len(signs) == 1 else f'{oof:.3f}'}; cleanlab flagged {int(result.issues.sum())}; "
                  f"fixes: relabel {n_relabel}, drop {n_drop}"]
    if len(signs) > 1 and oof < WEAK_CHECK and result.fixes:
        lines.append(f"warning: other people's recordings name only {oof:.1%} of these recordings rightly (chance "
                     f"{1 / len(signs):.1%}): their signs under one name differ (each person's own vocabulary?), so "
                     "the flags say little; read them before training with these fixes")
    return "\n".join(lines)


def camera_lines(shapes: dict[str, camera_shape.CameraShape | None]) -> list[str]:
    """One line per person whose face mesh says a camera that is not 4:3, one for the people it cannot tell; none
    when everyone looks 4:3."""
    odd = {g: s for g, s in shapes.items() if s is not None and s.name != "4:3"}
    unknown = [g for g, s in shapes.items() if s is None]
    lines = [f"{g}: face mesh proportions say a {s.name} camera (estimate {s.estimate:.2f} wide for 1 high, "
             f"{s.frames} frames); signlstm stores keypoints as a 4:3 image's: these were stored as the camera gave "
             f"them (x distances {layout.ASPECT / s.aspect:.2f} times a 4:3 image's)" for g, s in odd.items()]
    if unknown:
        lines.append(f"camera shape not told for {', '.join(unknown)}: fewer than {camera_shape.MIN_FACE_FRAMES} "
                     "frames with a face")
    if lines:
        told = len(shapes) - len(unknown)
        lines.insert(0, "")
        if told:
            lines.append(f"face mesh proportions say 4:3 for {told - len(odd)} of the {told} people with a face")
    return lines
