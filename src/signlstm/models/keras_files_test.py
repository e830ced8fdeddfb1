"""Model files loaded without their initializers (signlstm.models.keras_files): the same weights and answers as
Keras's own loader, nothing left deferred, and a failed load leaves nothing behind; compiled programs kept for the
next run."""
import keras
import numpy as np
import pytest
from keras.src.backend.common import global_state

from signlstm.datasets import load_npz
from signlstm.models import bundle, legacy
from signlstm.models.keras_files import load_model

LEGACY = {"LSTM": legacy.CompatLSTM, "GRU": legacy.CompatGRU}


def _pending() -> list:
    return list(global_state.get_global_attribute("uninitialized_variables") or [])


@pytest.mark.parametrize("name", ["default", "trunk", "spotting", "FruitPnchSamuraiG__action.h5",
                                  "SidrahRashid__action.h5"])
def test_a_model_file_loads_to_the_weights_and_answers_of_keras_own_loader(name, shared):
    bundle._custom_objects()
    path = (shared("data", "legacy_models", name) if name.endswith(".h5")
            else bundle.DEFAULT_MODEL.parent / name / bundle.MODEL_FILE)
    extra = {"custom_objects": LEGACY} if name.endswith(".h5") else {}
    fast = load_model(path, compile=False, **extra)
    assert _pending() == []
    plain = keras.models.load_model(path, compile=False, **extra)
    assert len(fast.variables) == len(plain.variables)
    for v, w in zip(fast.variables, plain.variables):
        if "seed_generator" in v.path:  # numbered per process; each load draws its own seed, as Keras's does
            assert "seed_generator" in w.path and v.shape == w.shape and v.dtype == w.dtype
        else:  # the file's weights
            assert v.path == w.path
            np.testing.assert_array_equal(np.asarray(v), np.asarray(w), err_msg=v.path)
    X = load_npz(shared("data", "signers", "s02.npz")).X[::12].astype(np.float32)
    X = X[..., :fast.input_shape[-1]]  # (the files made for fewer values per frame read a prefix: shapes only)
    np.testing.assert_array_equal(fast.predict(X, verbose=0), plain.predict(X, verbose=0))


def test_a_loaded_model_trains_and_a_new_one_builds_after_it(shared):
    """Nothing of the load stays deferred: a loaded model takes a training step and a model built afterwards starts
    with initial values of its own."""
    model = load_model(bundle.DEFAULT_MODEL / bundle.MODEL_FILE, compile=False)
    data = load_npz(shared("data", "signers", "s02.npz"))
    before = [np.asarray(v) for v in model.trainable_variables]
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    model.fit(data.X[:8].astype(np.float32), np.zeros(8, int), epochs=1, verbose=0)
    assert any(not np.array_equal(b, np.asarray(v)) for b, v in zip(before, model.trainable_variables))
    fresh = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    assert np.abs(np.asarray(fresh.layers[0].kernel)).sum() > 0 and _pending() == []


def test_a_file_that_fails_to_load_leaves_no_deferred_variables(tmp_path):
    """The shipped default model's configuration with the trunk's weights: the layers are built (their variables
    deferred) before the weights fail to fit; none of them stays deferred."""
    import zipfile

    bundle._custom_objects()
    mixed = tmp_path / "model.keras"
    config = zipfile.ZipFile(bundle.DEFAULT_MODEL / bundle.MODEL_FILE)
    weights = zipfile.ZipFile(bundle.DEFAULT_MODEL.parent / "trunk" / bundle.MODEL_FILE)
    with zipfile.ZipFile(mixed, "w") as z:
        for name in config.namelist():
            z.writestr(name, (weights if name.endswith(".h5") else config).read(name))
    with pytest.raises(ValueError, match="could not be loaded"):
        load_model(mixed, compile=False)
    assert _pending() == []


def test_predict_keeps_its_compiled_programs_for_the_next_run_and_answers_the_same(shared, tmp_path):
    """``predict`` (as ``live`` and ``evaluate``) keeps the programs it compiles in the cache folder's ``xla``; a
    second run finds them there and prints the same answers."""
    import os
    import re
    import subprocess
    import sys

    env = {**os.environ, "SIGNLSTM_CACHE": str(tmp_path / "cache")}
    argv = [sys.executable, "-m", "signlstm", "predict", "--data", str(shared("data", "signers", "s02.npz"))]
    first = subprocess.run(argv, capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stderr[-2000:]

    def kept():
        return {p.name: p.stat().st_mtime_ns for p in (tmp_path / "cache" / "xla").iterdir()}

    programs = kept()
    assert programs, "no compiled program kept"
    # JAX's log names each program it reads from the cache (a debug line on stderr)
    logged = {**env, "JAX_DEBUG_LOG_MODULES": "jax._src.compiler"}
    again = subprocess.run(argv, capture_output=True, text=True, env=logged)
    assert again.returncode == 0 and again.stdout == first.stdout and len(first.stdout.splitlines()) >= 90
    read = set(re.findall(r"Persistent compilation cache hit for '[^']*' with key '([^']+)'", again.stderr))
    assert {name.removesuffix("-cache") for name in programs} <= read, (sorted(programs), sorted(read))
    # read, not compiled and written anew; a program kept only now is one whose compile took under the kept
    # programs' 0.1 s the first time and over it on a busier machine now (jit_convert_element_type, seen)
    assert kept().items() >= programs.items()


def test_a_compiled_program_cut_short_in_the_cache_is_never_kept_and_is_compiled_anew(shared, tmp_path):
    """``predict`` on a disk that takes at most 20,000 bytes a file (the limit a full disk sets, given by
    RLIMIT_FSIZE): the larger compiled programs cannot be kept, and none is kept cut short (JAX wrote the entry in
    place, leaving the truncated file, which it warned about as "Error reading persistent compilation cache entry"
    and never replaced, on every later run). Run again with room, each program is kept whole, without a warning; and
    an entry cut short by hand is removed as it is read and written whole by that run."""
    import os
    import subprocess
    import sys
    import zlib

    from jax._src.compilation_cache import decompress_executable

    most = 20_000
    env = {**os.environ, "SIGNLSTM_CACHE": str(tmp_path / "cache")}
    argv = [sys.executable, "-m", "signlstm", "predict", "--data", str(shared("data", "signers", "s02.npz"))]
    xla = tmp_path / "cache" / "xla"

    def run(limit=None):
        # the limit set by a small Python that then becomes the command (a preexec_fn would fork JAX's threads)
        small = [sys.executable, "-c", "import os, resource, sys; n = int(sys.argv[1]); resource.setrlimit("
                 "resource.RLIMIT_FSIZE, (n, n)); os.execv(sys.argv[2], sys.argv[2:])", str(limit)] if limit else []
        done = subprocess.run([*small, *argv], capture_output=True, text=True, env=env)
        assert done.returncode == 0 and "Error reading persistent compilation cache" not in done.stderr, done.stderr
        return done

    def kept():
        out = {}
        for p in xla.iterdir():
            assert p.name.endswith("-cache"), p.name  # no temp file left
            decompress_executable(p.read_bytes())  # whole: zlib.error if cut short
            out[p.name] = p.stat().st_size
        return out

    first = run(most)
    # the programs kept, if any (those compiled in under 0.1 s are not kept, as on a fast machine), are whole and small
    assert all(size < most for size in kept().values())
    again = run()
    assert again.stdout == first.stdout and max(kept().values()) >= most
    big = max(kept(), key=kept().get)
    whole = (xla / big).read_bytes()
    (xla / big).write_bytes(whole[:len(whole) // 2])
    with pytest.raises(zlib.error):
        decompress_executable((xla / big).read_bytes())
    assert run().stdout == first.stdout and kept()[big] > len(whole) // 2  # compiled again, not always byte for byte
