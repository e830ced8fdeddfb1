"""Tutorial-era models: Keras 2 ``action.h5`` files (and bare Keras 3 files) with user-given labels."""
from __future__ import annotations

import zipfile
from contextlib import contextmanager, nullcontext
from pathlib import Path

import keras
import numpy as np

from .. import layout
from ..errors import BadInput, first_line
from ..outputs import MODEL_FILE_SUFFIXES, not_a_file
from .keras_files import load_model
from ..wording import counted


class CompatLSTM(keras.layers.LSTM):
    """Keras 2 saved LSTMs with a ``time_major`` argument that Keras 3 no longer knows."""

    def __init__(self, *args, time_major=None, **kwargs):
        super().__init__(*args, **kwargs)


class CompatGRU(keras.layers.GRU):
    def __init__(self, *args, time_major=None, **kwargs):
        super().__init__(*args, **kwargs)


class CompatSimpleRNN(keras.layers.SimpleRNN):
    def __init__(self, *args, time_major=None, **kwargs):
        super().__init__(*args, **kwargs)


def keras_2_names() -> dict:
    """The classes a Keras 2 model file names its layers by: every Keras layer by its bare class name (Keras 2 wrote
    the layer a wrapper such as TimeDistributed holds without its module, which Keras 3 needs), the recurrent ones
    taking ``time_major`` (:class:`CompatLSTM`, :class:`CompatGRU`, :class:`CompatSimpleRNN`), also under their own
    names (a file ``export`` wrote, and the backward copy a Bidirectional wrapper makes of its layer by class name)."""
    names = {n: c for n, c in vars(keras.layers).items() if isinstance(c, type) and issubclass(c, keras.layers.Layer)}
    compat = {"LSTM": CompatLSTM, "GRU": CompatGRU, "SimpleRNN": CompatSimpleRNN}
    return {**names, **compat, **{c.__name__: c for c in compat.values()}}


def _keras_version(path: Path) -> str:
    try:
        import h5py

        with h5py.File(path, "r") as f:
            v = f.attrs.get("keras_version", b"?")
            return v.decode() if isinstance(v, bytes) else str(v)
    except Exception:
        return "?"


def check_declared_sizes(path: Path) -> None:
    """Refuse a model file whose declared sizes (``.keras`` archive members, HDF5 weight shapes, the layers its
    configuration describes) exceed :data:`signlstm.limits.MODEL_LIMIT` or what its weights hold, and a file that is
    empty or not of its suffix's kind, before Keras reads it."""
    from .. import limits

    head = _head(path)
    if not head:
        raise BadInput(path, "an empty file, not a model")
    if head.startswith(limits.LFS_MAGIC):
        raise BadInput(path, "a Git LFS pointer, not a model (run `git lfs pull` in the source repository)")
    if zipfile.is_zipfile(path):
        if Path(path).suffix.lower() in (".h5", ".hdf5"):
            raise BadInput(path, "a zip archive under an HDF5 name (a .keras model is a zip archive): if it is a "
                                 "Keras model, name it .keras")
        limits.check_model_archive(path)
    elif Path(path).suffix.lower() == ".keras":
        if head.startswith(b"PK\x03\x04"):  # a cut archive: its directory is at the end
            raise BadInput(path, "a truncated .keras archive (its zip directory is missing: the file was cut short)")
        if head.startswith(HDF5_SIGNATURE):
            raise BadInput(path, "an HDF5 model under a .keras name (a .keras model is a zip archive): name it .h5")
        raise BadInput(path, "not a .keras model (a .keras model is a zip archive)")
    else:
        limits.check_h5(path)


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _head(path) -> bytes:
    """The first bytes of ``path`` (enough for the signatures looked for)."""
    with open(path, "rb") as f:
        return f.read(23)


MAX_LAYER_VALUES = 1 << 20  # values a layer may output per window, beyond the window itself (signlstm's: < 50,000)


def io_shape(path: Path, model) -> tuple:
    """The input shape (without the batch axis) of a model with one input and one output of class probabilities per
    window, else :class:`BadInput`; so is a window longer than :data:`~signlstm.layout.MAX_SEQ_LEN` frames, and a
    layer whose output per window is larger than both the window and :data:`MAX_LAYER_VALUES` (a small file may
    describe a model whose running needs any memory: its weights are checked before loading, this after)."""
    try:
        inp, out = model.input_shape, model.output_shape
    except (AttributeError, ValueError) as e:
        raise BadInput(path, f"the model has no defined input and output shape ({first_line(e, typed=True)})") from None
    if not (isinstance(inp, tuple) and isinstance(out, tuple) and all(isinstance(n, (int, type(None))) for n in inp)):
        raise BadInput(path, f"the model has input {inp} and output {out}; signlstm reads one (T, "
                             f"{layout.FRAME_SIZE}) input and one vector of class probabilities")
    if len(out) != 2 or not isinstance(out[1], int):
        raise BadInput(path, f"the model gives {out[1:]} per window (an answer per frame?); signlstm reads one "
                             "vector of class probabilities per window")
    frames = inp[1] if len(inp) > 1 else None
    if frames is not None and not 0 < frames <= layout.MAX_SEQ_LEN:
        raise BadInput(path, f"the model reads windows of {counted(frames, 'frame')}; signlstm reads at most "
                             f"{layout.MAX_SEQ_LEN}")
    window = int(np.prod([layout.SEQ_LEN if n is None else n for n in inp[1:]]))
    name, values = _largest_output(model, frames or layout.SEQ_LEN)
    if values > max(window, MAX_LAYER_VALUES):
        raise BadInput(path, f"its layer '{name}' outputs {values:,} values per window (at most {MAX_LAYER_VALUES:,} "
                             "here): running it would take memory no sign model needs")
    return tuple(inp[1:])


def _largest_output(model, frames: int) -> tuple[str, int]:
    """``(layer name, values)``: the layer of ``model`` (nested models' layers included) with the most output values
    per window, an axis of unknown length counted as ``frames``."""
    best = ("", 0)
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            best = max(best, _largest_output(layer, frames), key=lambda b: b[1])
        for node in getattr(layer, "_inbound_nodes", []):
            for t in getattr(node, "outputs", []):
                shape = getattr(t, "shape", None) or ()
                values = int(np.prod([frames if n is None else n for n in shape[1:]], dtype=np.float64))
                if values > best[1]:
                    best = (layer.name, values)
    return best


@contextmanager
def _without_time_major(path: Path):
    """``path``, or for a ``.keras`` archive whose configuration gives a recurrent layer ``time_major`` (Keras 2.13 to
    2.15 wrote them so; Keras 3 names its own layers by module there, so :func:`keras_2_names` does not reach them) a
    copy of it in a temporary folder with that argument left out, removed afterwards."""
    import json
    import shutil
    import tempfile

    from .. import limits

    with zipfile.ZipFile(path) if zipfile.is_zipfile(path) else nullcontext() as z:
        names = z.namelist() if z else []
        if "config.json" not in names or z.getinfo("config.json").file_size > limits.MAX_TEXT_FILE \
                or b"time_major" not in (text := z.read("config.json")):
            yield path
            return
        config = json.loads(text)
        stack = [config]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                if isinstance(node.get("config"), dict):
                    node["config"].pop("time_major", None)
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
        with tempfile.TemporaryDirectory(prefix="signlstm-keras2-") as folder:
            copy = Path(folder) / Path(path).name
            with zipfile.ZipFile(copy, "w") as out:
                for info in z.infolist():
                    if info.filename == "config.json":
                        out.writestr(info, json.dumps(config))
                    else:
                        with z.open(info) as src, out.open(info, "w") as dst:
                            shutil.copyfileobj(src, dst)
            yield copy


def gives_probabilities(model) -> bool:
    """Whether ``model``'s last layer makes class probabilities: a softmax (a Dense or Activation layer's, or a
    Softmax layer), or signlstm's own open-set head; a nested model is looked into."""
    from .architectures import OpenSetHead

    last = model.layers[-1] if model.layers else None
    if isinstance(last, keras.Model):
        return gives_probabilities(last)
    if isinstance(last, (keras.layers.Softmax, OpenSetHead)):
        return True
    return getattr(getattr(last, "activation", None), "__name__", None) == "softmax"


def load_legacy(path: Path, actions: list[str] | None) -> tuple[object, dict]:
    """``(model, meta)`` of an ``action.h5``; its input must be (T, 1662) and its outputs match ``actions``."""
    if path.suffix.lower() not in MODEL_FILE_SUFFIXES:
        raise BadInput(path, "not a model (expected a bundle folder, an .h5 or a .keras file)")
    if problem := not_a_file(path):
        raise BadInput(path, problem)
    if not actions:
        raise BadInput(path, "a bare model file carries no labels: pass them in output order, "
                             "e.g. --actions hello thanks iloveyou")
    check_declared_sizes(path)
    from . import architectures, features  # noqa: F401 - registers signlstm's layers, for files `export` wrote
    names = keras_2_names()
    try:
        with keras.saving.custom_object_scope(names), _without_time_major(path) as readable:
            model = load_model(readable, compile=False, custom_objects=names)  # (a scope: also inside wrappers)
    except Exception as e:  # noqa: BLE001 - any loader failure is a bad file for the user
        raise BadInput(path, f"cannot be loaded as a Keras model ({first_line(e, typed=True)})") from None
    shape = io_shape(path, model)
    if len(shape) != 2 or shape[-1] != layout.FRAME_SIZE:
        raise BadInput(path, f"model input is {shape}, expected ({layout.SEQ_LEN}, {layout.FRAME_SIZE}): "
                             f"it was trained on {layout.describe_size(shape[-1])}, which signlstm does not extract")
    if not gives_probabilities(model):
        raise BadInput(path, f"its last layer '{model.layers[-1].name}' gives no probabilities (no softmax): signlstm "
                             "reads one vector of class probabilities per window")
    n_out = model.output_shape[-1]
    if n_out != len(actions):
        raise BadInput(path, f"model has {counted(n_out, 'output')} but {counted(len(actions), 'action')} "
                             f"{'was' if len(actions) == 1 else 'were'} given ({' '.join(actions)})")
    # a window of any length (an LSTM built without input_length): given the tutorial's 30 frames
    meta = {"labels": list(actions), "seq_len": layout.SEQ_LEN if shape[0] is None else int(shape[0]),
            "arch": "legacy-h5",
            "source": str(path), "keras_version_saved": _keras_version(path)}
    return model, meta


UNTRAINED = ("this model looks untrained (every bias is still at Keras' initial value); its predictions will be "
             "meaningless")  # what a command or the page says of a model :func:`looks_untrained`


def looks_untrained(model) -> bool:
    """True when every bias still holds Keras' initial value (zeros; LSTM forget gate ones).

    Tutorial notebooks often saved a freshly built model; its biases never moved.
    """
    seen = False
    for layer in model.layers:
        for w in layer.weights:
            if not w.name.endswith("bias"):
                continue
            b = np.asarray(w.numpy() if hasattr(w, "numpy") else w)
            seen = True
            if np.all(b == 0):
                continue
            if isinstance(layer, keras.layers.LSTM) and b.size % 4 == 0:
                u = b.size // 4
                init = np.concatenate([np.zeros(u), np.ones(u), np.zeros(2 * u)])
                if np.array_equal(b, init):
                    continue
            return False
    return seen
