"""Keras's start-up costs, cut: model files loaded without running the layers' initializers, and compiled programs
kept on disk for the next process.

``keras.models.load_model`` builds every layer, which gives each variable its initial value (random draws, the
recurrent layers' orthogonal matrices: on JAX each a compiled program, 1-3 s for a bundle), and then overwrites
them with the file's weights. :func:`load_model` builds the layers inside a :class:`keras.StatelessScope`, where
Keras defers the initial values, takes the file's weights from that scope and gives only the model's variables the
file holds no value for (the seed generators' states) their initial values. The model is the same, weight for
weight.
"""
from __future__ import annotations

from pathlib import Path


def load_model(path, **kwargs):
    """``keras.models.load_model(path, **kwargs)``, without computing initial values the file's weights replace."""
    import keras

    try:
        from keras.src.backend.common import global_state
    except ImportError:  # a Keras that keeps its state elsewhere: the usual load
        return keras.models.load_model(path, **kwargs)
    pending = "uninitialized_variables"  # Keras's list of the variables whose initial value is deferred
    before = list(global_state.get_global_attribute(pending) or [])
    try:
        with keras.StatelessScope(initialize_variables=False) as scope:
            model = keras.models.load_model(path, **kwargs)
    except BaseException:
        global_state.set_global_attribute(pending, before)  # the half-built model's variables are not kept
        raise
    unset = []
    for v in model.variables:
        value = scope.get_current_value(v)
        if value is None:
            unset.append(v)
        else:
            v.assign(value)
    # Deferred now: what was before, and the model's variables the file holds no value for. (Layers the loader builds
    # and the model does not use, such as the layer a Bidirectional wrapper copies, keep theirs deferred for good.)
    global_state.set_global_attribute(pending, before + unset)
    with keras.StatelessScope():  # leaving it gives the deferred variables their initial values
        pass
    return model


def use_compilation_cache() -> None:
    """Keep compiled XLA programs on disk (the user cache folder's ``xla``): the next command that runs the same model
    (``predict``, ``live``, ``evaluate``, ``adapt``, ``serve``) skips compiling it. Entries are written whole or not
    at all, and one that cannot be read back (cut short by a full disk or a killed process) is removed as it is read,
    so the program is compiled and kept anew (:func:`_sound_cache`)."""
    import os

    import jax

    from ..files import cache_dir

    folder = str(cache_dir() / "xla")
    try:
        os.makedirs(folder, exist_ok=True)
        _sound_cache()
        jax.config.update("jax_compilation_cache_dir", folder)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.1)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    except (OSError, AttributeError, ImportError):  # read-only home or another jax: compile every time
        pass


def _sound_cache() -> None:
    """Make JAX's persistent compilation cache (``jax._src.compilation_cache``, the file cache it makes with
    ``get_file_cache``) a :class:`~jax._src.lru_cache.LRUCache` that writes each entry to a temp file renamed into
    place (JAX writes the entry's file itself, so a full disk leaves it cut short, and JAX never writes an entry
    that exists) and that removes an entry which does not decompress as it is read (JAX would warn "Error reading
    persistent compilation cache entry" and compile again on every later run). ``AttributeError`` or
    ``ImportError`` from a JAX without these."""
    from jax._src import compilation_cache, lru_cache

    from ..files import write_atomic

    class SoundCache(lru_cache.LRUCache):
        def _entry(self, key: str):
            return self.path / f"{key}{lru_cache._CACHE_SUFFIX}"

        def get(self, key: str) -> bytes | None:
            value = super().get(key)
            if value is not None:
                try:
                    compilation_cache.decompress_executable(value)
                except Exception:  # noqa: BLE001 - cut short or garbled: whichever error the decompressor gives
                    self._entry(key).unlink(missing_ok=True)
                    return None
            return value

        def put(self, key: str, val: bytes) -> None:
            if self.eviction_enabled:  # a size limit (JAX's lock and eviction); signlstm sets none
                return super().put(key, val)
            if not self._entry(key).exists():
                write_atomic(self._entry(key), lambda tmp: Path(tmp).write_bytes(val))

    def get_file_cache(path: str):
        return SoundCache(path, max_size=jax_config.compilation_cache_max_size.value), path

    jax_config = compilation_cache.config
    compilation_cache.get_file_cache = get_file_cache
