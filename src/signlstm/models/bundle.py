"""A trained model with everything needed to use it: the model bundle.

``MODEL_DIR/model.keras`` is the Keras model (preprocessing included);
``MODEL_DIR/signlstm.json`` holds the labels in output order, sequence length, feature layout,
preprocessing, training data summary, metrics and library versions. Bundles are written
atomically. Tutorial-era ``action.h5`` files load too, given their action labels.
"""
from __future__ import annotations

import json
import platform
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import __version__, layout
from ..errors import BadInput, SignlstmError, first_line
from ..files import folder_atomic
from ..outputs import check_folder_out, not_a_file
from ..sign_names import NONE, rejection_problem, sign_name, text_problem
from ..wording import counted

VOCAB = "vocab"  # the adaptation method that makes a vocabulary of a person's own signs (adapt --vocabulary)
MODEL_FILE = "model.keras"
META_FILE = "signlstm.json"
FORMAT = "signlstm-bundle/1"  # the "format" of the signlstm.json this version writes and reads
DEFAULT_MODEL = Path(__file__).resolve().parent / "default"
# The shipped spotting model (the ``spotting`` recipe's): what ``live`` and ``serve`` use for the recognizer's ``spot``
# rule unless told another model.
SPOTTING_MODEL = Path(__file__).resolve().parent / "spotting"
TRUNK_MODEL = Path(__file__).resolve().parent / "trunk"  # the trunk trained on every kind of sign: vocabularies' base
MAX_META_BYTES = 1 << 20  # a bundle's signlstm.json


def library_versions() -> dict:
    """The versions of signlstm, Keras (and its backend), JAX, NumPy and Python, as a bundle's metadata records them."""
    import jax
    import keras

    return {"signlstm": __version__, "keras": keras.__version__, "backend": keras.backend.backend(),
            "jax": jax.__version__, "numpy": np.__version__, "python": platform.python_version()}


def length_problem(held: int, want: int) -> str | None:
    """What is wrong with sequences of ``held`` frames for a model that reads ``want``-frame windows, or None."""
    return None if held == want else (f"the data has {held}-frame sequences, the model expects {want} (it reads "
                                      f"{want}-frame windows: record {want}-frame sequences, or use a model trained "
                                      f"on {held}-frame ones: signlstm train --length {held} makes one)")


def check_seq_len(held: int, want: int, data=None) -> None:
    """Refuse sequences of ``held`` frames for a model of ``want`` (:func:`length_problem`): :class:`BadInput` naming
    the file or folder of ``data`` (a :class:`~signlstm.datasets.Dataset`) when given, else :class:`SignlstmError`."""
    problem = length_problem(held, want)
    if problem and data is not None:
        from ..datasets.dataset import sources_name

        raise BadInput(sources_name(data.sources), problem)
    if problem:
        raise SignlstmError(problem)


@dataclass
class Bundle:
    """A Keras model with its labels and metadata."""

    model: object
    meta: dict
    path: Path | None = None
    _fast: object = field(default=None, repr=False)
    _batched: dict = field(default_factory=dict, repr=False)

    @property
    def labels(self) -> list[str]:
        return list(self.meta["labels"])

    @property
    def seq_len(self) -> int:
        return int(self.meta["seq_len"])

    @property
    def parts_read(self) -> list[str]:
        """The parts of the frame the model reads (``layout.PARTS`` names; all of them unless the bundle says)."""
        return list(self.meta.get("parts_read", [p.name for p in layout.PARTS]))

    @property
    def reads_face(self) -> bool:
        """False when the model ignores the face block, so landmarks can skip MediaPipe's face mesh."""
        return "face" in self.parts_read

    @property
    def reject_label(self) -> str | None:
        return self.meta.get("reject_label")

    @property
    def signs(self) -> list[str]:
        """Its labels but the rejection label: the signs it can answer."""
        return [a for a in self.labels if a != self.reject_label]

    def predict(self, X: np.ndarray, batch_size: int = 128) -> np.ndarray:
        """Class probabilities for a batch of windows (N, seq_len, 1662), through :func:`batched_forward` (compiled
        once per bundle and batch size, whatever N)."""
        X = np.asarray(X, np.float32)
        if len(X) == 0:
            return np.zeros((0, len(self.labels)), np.float32)
        if self._batched.get(batch_size) is None:
            self._batched[batch_size] = batched_forward(self.model, batch_size)
        return self._batched[batch_size](X)

    def classify(self, window: np.ndarray) -> np.ndarray:
        """Probabilities for one window through the compiled fast path (never ``model.predict``)."""
        if self._fast is None:
            self._fast = fast_forward(self.model)
        return self._fast(np.asarray(window, np.float32)[None])[0]

    def prepare(self) -> None:
        """Check the model reads (seq_len, 1662) windows and compile the fast path before the first frame."""
        self.check_input(seq_len=self.seq_len)
        self.classify(np.zeros((self.seq_len, layout.FRAME_SIZE), np.float32))

    def check_input(self, n_features: int = layout.FRAME_SIZE, seq_len: int | None = None, where="") -> None:
        """Refuse (:class:`SignlstmError`, naming ``where`` or the bundle's path) a model whose input is not windows
        of ``seq_len`` frames (any, when None) of ``n_features`` values."""
        shape = tuple(self.model.input_shape[1:])
        want = (seq_len or shape[0], n_features)
        if shape != want:
            raise SignlstmError(f"{where or self.path}: model input is {shape}, expected {want}"
                                + (f" (its frames look like {layout.describe_size(shape[-1])})" if shape[-1] != n_features else ""))


def batched_forward(model, chunk: int = 128):
    """The one batched inference pass: ``model`` jitted over fixed-size chunks (one compilation for any number of
    windows; the last chunk is padded). :meth:`Bundle.predict` and ``adapt``'s feature passes use it."""
    import jax

    # Weights are arguments, not constants, so the compiled program depends only on the architecture and can be
    # reused from the persistent compilation cache by the next run. They are read at each call: ``model.predict``
    # replaces (and frees) the arrays behind the variables.
    run_ = jax.jit(lambda tv, ntv, x: model.stateless_call(tv, ntv, x, training=False)[0])

    def run(x):
        return run_([v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables], x)

    def apply(X):
        X = np.asarray(X, np.float32)
        out = []
        for i in range(0, len(X), chunk):
            xb = X[i:i + chunk]
            pad = chunk - len(xb)
            if pad:
                xb = np.concatenate([xb, np.zeros((pad, *xb.shape[1:]), xb.dtype)])
            out.append(np.asarray(run(xb))[:chunk - pad])
        return np.concatenate(out)

    return apply


def fast_forward(model):
    """The model's inference pass as XLA executables compiled ahead of time, one per input shape.

    Calling a compiled executable skips ``model.predict``'s per-call machinery and most of
    ``jax.jit``'s dispatch work; the weights are baked in as constants.
    """
    import jax

    # Copies: ``model.predict`` may later replace (and free) the arrays behind the variables.
    trainable = [np.array(v.value) for v in model.trainable_variables]
    non_trainable = [np.array(v.value) for v in model.non_trainable_variables]
    traced = jax.jit(lambda x: model.stateless_call(trainable, non_trainable, x, training=False)[0])
    compiled = {}

    def run(x):
        x = np.asarray(x, np.float32)
        exe = compiled.get(x.shape)
        if exe is None:
            # One window is too small to share between threads: a single-threaded program is faster.
            exe = compiled[x.shape] = traced.lower(x).compile(
                compiler_options={"xla_cpu_multi_thread_eigen": False})
        return np.asarray(exe(x))

    return run


def weights_problem(model) -> str | None:
    """What is wrong with ``model``'s weights as numbers, or None: how many are NaN or infinite (a training that
    diverged, e.g. on keypoint values far outside any image)."""
    bad = total = 0
    for w in model.weights:
        v = np.asarray(w.numpy() if hasattr(w, "numpy") else w)
        if v.dtype.kind in "fc":
            bad += int(v.size - np.isfinite(v).sum())
        total += v.size
    return f"{bad:,} of its {total:,} weights are NaN or infinite" if bad else None


def save_bundle(model, meta: dict, out: str | Path, extra: dict[str, bytes] | None = None) -> Path:
    """Write ``model.keras`` + ``signlstm.json`` (+ the files of ``extra``, name -> bytes, e.g. the stored features of
    :mod:`signlstm.models.stored_features`) to ``out`` in one rename. Only an absent or empty folder, or an
    earlier bundle, is replaced (:func:`signlstm.outputs.check_folder_out`); a path the machine refuses is
    :class:`BadInput` naming ``out``, and a model whose weights are not finite (:func:`weights_problem`) is
    :class:`SignlstmError`, nothing written."""
    out = Path(out)
    check_folder_out(out, META_FILE)
    problem = weights_problem(model)
    if problem:
        raise SignlstmError(f"{out}: not written: the trained model is unusable, {problem} (the training diverged; "
                            "look for extreme values in its data)")
    meta = dict(meta)
    meta.setdefault("format", FORMAT)
    meta.setdefault("layout", {"name": layout.LAYOUT_NAME, "frame_size": layout.FRAME_SIZE,
                               "parts": {p.name: [p.start, p.stop] for p in layout.PARTS}})
    meta.setdefault("versions", library_versions())
    meta["parameters"] = int(model.count_params())
    with folder_atomic(out, replace=True) as tmp:
        model.save(tmp / MODEL_FILE)
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2, default=_json_default) + "\n")
        for name, data in (extra or {}).items():
            (tmp / name).write_bytes(data)
    return out


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o).__name__)


def _custom_objects() -> dict:
    from . import architectures, features  # registers the preprocessing and head layers  # noqa: F401

    return {}


MAX_REJECT_BIAS = 50  # a `none` logit shifted by more (e**50 times likelier) is no prior but a broken file


def read_meta(path: str | Path) -> dict:
    """A bundle folder's ``signlstm.json``, checked (size, JSON, labels, window length) without loading its model."""
    meta_file = Path(path) / META_FILE
    if meta_file.stat().st_size > MAX_META_BYTES:
        raise BadInput(meta_file, f"{meta_file.stat().st_size:,} bytes; a bundle's {META_FILE} is at most "
                                  f"{MAX_META_BYTES:,}")
    try:
        meta = json.loads(meta_file.read_bytes())
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise BadInput(meta_file, f"not valid JSON ({str(e)[:120]})") from None
    labels = meta.get("labels") if isinstance(meta, dict) else None
    if not (isinstance(labels, list) and labels and all(isinstance(a, str) and a for a in labels)
            and len(set(labels)) == len(labels)):
        raise BadInput(meta_file, "has no 'labels' list of distinct names")
    odd = [a for a in labels if any(unicodedata.category(c) == "Cc" for c in a)]
    if odd:
        raise BadInput(meta_file, f"label {_short(odd[0])} holds a control character (a line break, a tab): "
                                  "labels are shown on one line")
    for a in labels:  # what no reader of recordings lets through, so that no training could have written it
        if problem := text_problem(a) or rejection_problem(a):
            raise BadInput(meta_file, f"label {_short(a)} {problem}")
    if len({sign_name(a) for a in labels}) < len(labels):
        raise BadInput(meta_file, "has two labels that are one name in two Unicode spellings (composed and not): "
                                  "each label names one output")
    seq_len = meta.get("seq_len")
    if not (isinstance(seq_len, int) and not isinstance(seq_len, bool) and 0 < seq_len <= layout.MAX_SEQ_LEN):
        raise BadInput(meta_file, f"'seq_len' {seq_len!r} is not a number of frames from 1 to {layout.MAX_SEQ_LEN}")
    problem = _field_problem(meta)
    if problem:
        raise BadInput(meta_file, problem)
    return meta


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _field_problem(meta: dict) -> str | None:
    """What is wrong with the optional fields of a bundle's metadata that the code reads, or None: each must have
    the type (and value) the code expects when present (``rule`` and ``reject_label`` may be null)."""
    parts = [p.name for p in layout.PARTS]
    if "format" in meta and meta["format"] != FORMAT:
        return (f"'format' {_short(meta['format'])} is not {FORMAT!r}, the one this signlstm reads (a bundle of "
                "another version of signlstm, or not a signlstm bundle)")
    if "layout" in meta and not isinstance(meta["layout"], dict):
        return f"'layout' {_short(meta['layout'])} is not an object"
    size = meta.get("layout", {}).get("frame_size")
    if "layout" in meta and size != layout.FRAME_SIZE:
        return (f"'layout' says frames of {_short(size)} values; this signlstm's frames hold {layout.FRAME_SIZE} "
                f"({layout.LAYOUT_NAME})")
    training = meta.get("training")
    if "training" in meta and not isinstance(training, dict):
        return f"'training' {_short(training)} is not an object"
    groups = (training or {}).get("groups")
    if groups is not None and not (isinstance(groups, list) and all(isinstance(g, str) for g in groups)):
        return f"'training.groups' {_short(groups)} is not a list of names"
    counts = (training or {}).get("actions")
    if counts is not None and not (isinstance(counts, dict) and all(
            isinstance(n, int) and not isinstance(n, bool) for n in counts.values())):
        return f"'training.actions' {_short(counts)} is not an object of sign names and sequence counts"
    if "parts_read" in meta:
        read = meta["parts_read"]
        if not (isinstance(read, list) and read and all(isinstance(p, str) for p in read)):
            return f"'parts_read' {_short(read)} is not a list of part names ({', '.join(parts)})"
        unknown = [p for p in read if p not in parts]
        if unknown:
            return f"'parts_read' names unknown part(s) {', '.join(map(repr, unknown))} (known: {', '.join(parts)})"
    if "reject_bias" in meta:
        bias = meta["reject_bias"]
        if not (isinstance(bias, (int, float)) and not isinstance(bias, bool) and abs(bias) <= MAX_REJECT_BIAS):
            return f"'reject_bias' {_short(bias)} is not a number from -{MAX_REJECT_BIAS} to {MAX_REJECT_BIAS}"
    reject = meta.get("reject_label")
    if reject is not None and reject not in meta["labels"]:
        return f"'reject_label' {_short(reject)} is not one of its labels"
    for key in ("rule", "arch"):
        if meta.get(key) is not None and not isinstance(meta[key], str):
            return f"'{key}' {_short(meta[key])} is not a name"
    if "adapted" in meta:
        adapted = meta["adapted"]
        if not isinstance(adapted, dict):
            return f"'adapted' {_short(adapted)} is not an object"
        if adapted.get("check") is not None and not isinstance(adapted["check"], dict):
            return f"'adapted.check' {_short(adapted['check'])} is not an object"
    return None


def label_order_problem(meta: dict) -> str | None:
    """What says a trained bundle's labels were reordered after training, or None: its ``training.actions`` (the
    counts of the set it was trained on, in output order) name the same labels in another order. (An adapted
    bundle keeps its base's ``training``, whose order may differ from its own.)"""
    if "adapted" in meta:
        return None
    trained = list(((meta.get("training") or {}).get("actions") or {}))
    labels = list(meta["labels"])
    if sorted(trained) == sorted(labels) and trained != labels:
        return (f"its labels {labels} are not in the order it was trained in ({trained}, 'training.actions'): "
                "its answers would be named wrongly")
    return None


def front_model(rule: str | None = None) -> Path:
    """The shipped bundle for a front (``live``, ``serve``) asked for ``rule`` (None: the default model's rule)."""
    return SPOTTING_MODEL if rule == "spot" else DEFAULT_MODEL


def is_vocabulary(meta: dict) -> bool:
    """Whether a bundle's metadata ``meta`` is a vocabulary's (``adapt --vocabulary``: its signs are a person's own,
    on a trunk's features)."""
    return (meta.get("adapted") or {}).get("method") == VOCAB


def bundle_meta(path: str | Path) -> dict:
    """The metadata of the bundle folder ``path`` (:func:`read_meta`), refused (:class:`BadInput`) as
    :func:`load_bundle` refuses it: no such folder, or one without :data:`MODEL_FILE` and :data:`META_FILE`."""
    path = Path(path)
    if not path.is_dir():
        raise BadInput(path, "no such model file or bundle folder" if not path.exists() else
                       f"not a model bundle (a folder holding {MODEL_FILE} and {META_FILE})")
    for name in (META_FILE, MODEL_FILE):
        f = path / name
        if problem := not_a_file(f):
            raise BadInput(f, problem)
        if not f.is_file():
            raise BadInput(path, f"not a model bundle (needs {MODEL_FILE} and {META_FILE})")
    return read_meta(path)


def load_bundle(path: str | Path | None = None, actions: list[str] | None = None) -> Bundle:
    """Load a bundle folder (``path`` None: the shipped model, :data:`DEFAULT_MODEL`), or a tutorial-era ``.h5`` /
    bare ``.keras`` file with ``actions`` (its labels in output order).

    Declared sizes are checked before anything is read (:func:`signlstm.models.legacy.check_declared_sizes`); a file
    that is not a usable model is :class:`BadInput` naming it.
    A bundle folder that another command replaces while it is read (``train --out`` of the folder a starting ``live``
    or ``serve`` reads) is read again, so the metadata and the model come from one and the same bundle.
    """
    from .legacy import load_legacy

    path = Path(path) if path else DEFAULT_MODEL
    if path.is_dir():
        import time

        give_up = time.monotonic() + REPLACED_PATIENCE
        while time.monotonic() < give_up:
            before = _folder_id(path)
            try:
                bundle = _load_folder(path, actions)
            except SignlstmError:
                if _folder_id(path) == before:
                    raise
                continue
            if _folder_id(path) == before:
                return bundle
        raise SignlstmError(f"{path}: replaced again and again for {REPLACED_PATIENCE} s while being read (another "
                            "command keeps writing it); try again once it is written")
    if not path.exists():
        raise BadInput(path, "no such model file or bundle folder")
    model, meta = load_legacy(path, actions)
    _check_weights(path, model)
    return Bundle(model, meta, path)


REPLACED_PATIENCE = 60  # seconds a bundle folder replaced while it is being read is read again, until read whole


def _folder_id(path: Path) -> tuple[int, int, int] | None:
    """What tells the folder at ``path`` from the one that replaces it (a writer renames a new folder into place):
    its device, inode and change time (an inode freed by the folder replaced may be the next one's); None while no
    folder is there (between a replacing writer's two renames)."""
    import os

    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_ctime_ns


def _load_folder(path: Path, actions) -> Bundle:
    """:func:`load_bundle` of a bundle folder, read once (its metadata, then its model)."""
    from .keras_files import load_model
    from .legacy import check_declared_sizes, io_shape

    meta = bundle_meta(path)
    model_file = path / MODEL_FILE
    check_declared_sizes(model_file)
    _custom_objects()
    try:
        model = load_model(model_file, compile=False)
    except Exception as e:  # noqa: BLE001 - any loader failure is a bad file for the user
        raise BadInput(model_file, f"cannot be loaded as a Keras model ({first_line(e, typed=True)})") from None
    shape = io_shape(model_file, model)
    if shape != (meta["seq_len"], layout.FRAME_SIZE) or model.output_shape[-1] != len(meta["labels"]):
        raise BadInput(path, f"the model reads {shape} and gives {counted(model.output_shape[-1], 'output')}; its "
                             f"{META_FILE} says ({meta['seq_len']}, {layout.FRAME_SIZE}) and {len(meta['labels'])} "
                             f"labels")
    if not is_vocabulary(meta) and _open_set(model):  # adapt's methods would refit its head as a Dense one
        raise BadInput(path, f"its network ends in a vocabulary's open-set head, but its {META_FILE} does not say it "
                             f"is a vocabulary ('adapted.method' {VOCAB!r}): the metadata is not this network's")
    unknown = sorted(set(actions or []) - set(meta["labels"]) - {NONE})
    if unknown:
        from ..sign_names import respelling_hint

        hint = respelling_hint(unknown, meta["labels"])  # "Hello" for "hello": --actions takes the model's name
        raise SignlstmError(f"{path}: the model does not know {unknown} (its labels are {meta['labels']}){hint}")
    _check_weights(model_file, model)
    return Bundle(model, meta, path)


def _open_set(model) -> bool:
    """Whether ``model`` holds a vocabulary's open-set head (:class:`~signlstm.models.architectures.OpenSetHead`)."""
    from .architectures import OpenSetHead

    return any(isinstance(layer, OpenSetHead) for layer in model.layers)


def _check_weights(path, model) -> None:
    """:class:`BadInput` naming ``path`` when ``model``'s weights are not finite: every answer would be NaN."""
    problem = weights_problem(model)
    if problem:
        raise BadInput(path, f"unusable model: {problem} (its training diverged; train it again)")
