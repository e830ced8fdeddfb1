"""What the web page's "adapt" does on the server: the visitor's recordings made into a model of their own (the shipped
model adapted to them, or a vocabulary of their own signs), saved under a dated name, and their older models removed."""
from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Callable

from ..errors import BadInput, SignlstmError
from .batch import Forward

KEEP_ADAPTED = 3  # a visitor's newest adapted models kept on disk; older ones no page uses are removed


def adapted_models(models: Path, name: str) -> list[Path]:
    """``name``'s adapted models in ``models`` (``<name>-<date>-<time>``, as :func:`adapt_job` names them), oldest
    first."""
    pattern = re.compile(re.escape(name) + r"-\d{8}-\d{6}x*")
    if not models.is_dir():
        return []
    return sorted((p for p in models.iterdir() if p.is_dir() and pattern.fullmatch(p.name)), key=lambda p: p.name)


def prune_adapted(models: Path, name: str, in_use: set[Path]) -> list[Path]:
    """Remove all but the :data:`KEEP_ADAPTED` newest of ``name``'s adapted models, sparing those ``in_use`` (a page
    uses them): the removed folders. Each is renamed aside first, so no half-removed folder looks like a model."""
    removed = []
    for old in adapted_models(models, name)[:-KEEP_ADAPTED]:
        if old.resolve() in in_use:
            continue
        aside = old.with_name(f".removing-{old.name}")
        try:
            old.rename(aside)
        except OSError:
            continue  # another job removed it, or the disk refuses: it stays
        shutil.rmtree(aside, ignore_errors=True)
        removed.append(old)
    return removed


def check_recorded(root: Path, name: str) -> None:
    """Refuse, in the words the page shows, a name nothing has been recorded under yet (no folder ``root``)."""
    if not root.is_dir():
        raise SignlstmError(f"no recordings for '{name}' yet: record some sequences first")


def adapt_job(base, root: Path, models: Path, name: str, state: dict,
               in_use: Callable[[], set[Path]] = set):
    """Load the visitor's recordings and make their model from them as ``signlstm adapt`` makes it
    (:func:`signlstm.models.adapting.adapt_recordings`: ``base`` adapted to them when every recorded sign is one of
    its own, else a vocabulary of their signs from :func:`~signlstm.models.adapting.vocabulary_start`). Save and
    warm the result, and remove ``name``'s older adapted models that no page uses (:func:`prune_adapted`, sparing
    ``in_use()``): (the adapted bundle, its batch forward pass)."""
    from ..datasets import load_mp_data
    from ..models.adapting import VOCAB, adapt_recordings, choose_method, recorded_signs
    from ..models.bundle import load_bundle, save_bundle

    state.update(phase="loading your recordings", progress=0.05)
    check_recorded(root, name)
    try:
        # the visitor is the person, whatever their folder's name (one named MP_Data is not the data folder's)
        data = load_mp_data(root, length=base.seq_len, skip_bad=True, group=name)
    except BadInput as e:  # the page hears what is wrong, not where the server keeps its files
        raise SignlstmError(f"none of your recordings could be read ({e.problem})") from None
    signs = recorded_signs(data)
    state["notes"] = left_out(root, data.skipped)
    method = choose_method(base, signs)
    state.update(phase=f"learning your vocabulary from {len(data)} sequences of {', '.join(signs)}"
                 if method == VOCAB else f"adapting to {len(data)} sequences of {', '.join(data.actions)}",
                 progress=0.15)
    try:
        done = adapt_recordings(base, data, method=method, base_name="the model", people_seen=False)
    except SignlstmError as e:
        raise SignlstmError("; ".join([str(e), *state["notes"]])) from None
    state["notes"] += [line for _, line in done.said]  # recordings without hands too: the page says so
    bundle = done.bundle
    state.update(phase="saving the adapted model", progress=0.85)
    out = models / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    while out.exists():
        out = out.with_name(out.name + "x")
    save_bundle(bundle.model, bundle.meta, out)
    state.update(phase="loading the adapted model", progress=0.92)
    bundle = load_bundle(out)
    prune_adapted(models, name, in_use())
    bundle.prepare()
    # one page uses it, so a round holds one of its windows: one batch size, compiled in seconds
    return bundle, Forward(bundle, sizes=(1,))


def left_out(root: Path, skipped) -> list[str]:
    """One line for each sign some of whose recordings under ``root`` could not be read (``skipped``, as
    :class:`~signlstm.datasets.Dataset` lists them): how many, and the first problem, without the server's paths."""
    by_sign: dict[str, list[str]] = {}
    for path, why in skipped:
        try:
            sign = Path(path).relative_to(root).parts[0]
        except (ValueError, IndexError):
            sign = "?"
        by_sign.setdefault(sign, []).append(why)
    return [f"{len(whys)} recording(s) of '{sign}' left out, unreadable ({whys[0]})" for sign, whys in by_sign.items()]


def adapt_check(bundle) -> list[str]:
    """The lines ``adapt --vocabulary`` prints on how well the recordings tell the signs apart (none for others)."""
    from ..models.vocabulary import check_lines

    check = (bundle.meta.get("adapted") or {}).get("check")
    return check_lines(check) if check else []
