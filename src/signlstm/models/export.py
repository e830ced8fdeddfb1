"""A model in the tutorial's other forms: its weights (``save_weights``), its layout as JSON (``to_json``) or one
``.h5`` file (``model.save``), each written atomically."""
from __future__ import annotations

from pathlib import Path

from .bundle import Bundle

FORMATS = {"weights": "action.weights.h5", "json": "action.json", "h5": "action.h5"}  # format -> default file


def export_path(fmt: str, out=None) -> Path:
    """Where :func:`export_model` writes format ``fmt``: ``out`` (default :data:`FORMATS`' file), with the format's
    suffix added when it lacks it (``.weights.h5`` for weights and ``.h5`` for a whole model, which Keras reads the
    format by; ``.json`` for the layout, as the default file and the other formats are named)."""
    from ..outputs import H5_SUFFIXES

    out = Path(out or FORMATS[fmt])
    if fmt == "weights" and not out.name.endswith(".weights.h5"):
        return out.with_name(out.name.removesuffix(".h5") + ".weights.h5")
    if fmt == "h5" and out.suffix.lower() not in H5_SUFFIXES:
        return out.with_name(out.name + ".h5")
    if fmt == "json" and out.suffix.lower() != ".json":
        return out.with_name(out.name + ".json")
    return out


def check_export_out(fmt: str, out=None) -> Path:
    """:func:`export_path` of ``out``, refused (:class:`~signlstm.errors.BadInput`) when ``out`` as given (a folder,
    before a suffix would make it the name of a file) or that path is no place for the file: nothing is written."""
    from ..outputs import check_file_out

    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (one of {', '.join(FORMATS)})")
    kind = "report" if fmt == "json" else "model"  # the network's layout holds no weights: it replaces no model file
    given = Path(out or FORMATS[fmt])
    check_file_out(given, kind)
    path = export_path(fmt, out)
    if path != given:
        check_file_out(path, kind)
    return path


def export_model(bundle: Bundle, fmt: str, out=None) -> Path:
    """Write ``bundle``'s model in format ``fmt`` (a key of :data:`FORMATS`) to :func:`export_path` of ``out``,
    atomically (an interrupted or failed write leaves no file and keeps an earlier one); refused before anything is
    written when the path is no place for a file (:func:`check_export_out`) or the disk cannot hold the weights.
    Returns the path written."""
    from ..errors import BadInput
    from ..files import write_atomic, write_text
    from ..outputs import check_free_space

    out = check_export_out(fmt, out)
    if bundle.path is not None:  # the model read, or a file of its folder, would be replaced by its own export
        source = Path(bundle.path).resolve()
        if out.resolve() == source or source in out.resolve().parents:
            raise BadInput(out, f"is {'inside ' if source != out.resolve() else ''}the model being exported "
                                f"({bundle.path}): give a path outside it")
    if fmt == "json":
        write_text(out, bundle.model.to_json())
        return out
    # HDF5 can crash on a full disk: the weights and 1 MB of layout must fit before it starts
    check_free_space(out, sum(int(w.numpy().nbytes) for w in bundle.model.weights) + (1 << 20))
    save = _save_weights if fmt == "weights" else _save_h5
    write_atomic(out, lambda p: save(bundle.model, p))
    return out


def _save_h5(model, tmp) -> None:
    import absl.logging  # Keras warns through absl that .h5 is a legacy format: the tutorial's is what was asked

    level = absl.logging.get_verbosity()
    absl.logging.set_verbosity(absl.logging.ERROR)
    try:
        _saved_as(tmp, ".h5", model.save)
    finally:
        absl.logging.set_verbosity(level)


def _save_weights(model, tmp) -> None:
    _saved_as(tmp, ".weights.h5", model.save_weights)


def _saved_as(tmp: str, suffix: str, save) -> None:
    """``save(tmp + suffix)`` (Keras picks the format by the suffix), then renamed to ``tmp``; the file is removed
    if the save fails or is interrupted."""
    named = Path(tmp + suffix)
    try:
        save(str(named))
        named.replace(tmp)
    finally:
        named.unlink(missing_ok=True)
