"""signlstm: sign recognition from MediaPipe keypoints with a small recurrent network.

Keras runs on the JAX backend; it is selected here, before Keras is imported anywhere, so users never export
KERAS_BACKEND themselves (one set to another backend is replaced). :func:`import_keras` imports Keras without the
packages it would import only for features signlstm does not use.
"""
import importlib
import os
import sys

os.environ["KERAS_BACKEND"] = "jax"  # the models call JAX itself: another backend set outside cannot run them
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("GLOG_minloglevel", "2")

__version__ = "0.1.0"

# Packages Keras imports, when they are installed, only for features signlstm does not use: scikit-learn for its
# estimator wrappers (keras.wrappers), matplotlib for its image galleries (keras.visualization), pandas for DataFrames
# as inputs. Keras imports each inside a try and goes without it; together they are more than half of Keras's import
# time, which every command that loads a model pays at start-up (BENCHMARKS.md, 2026-12-05).
KERAS_EXTRAS = ("sklearn", "matplotlib", "pandas")


def import_keras() -> None:
    """Import Keras in this process without :data:`KERAS_EXTRAS` (nothing once Keras is imported). Each of them
    imports as usual afterwards for the code that uses it (the judges use scikit-learn, the plots matplotlib); only
    Keras's own scikit-learn wrappers are then unavailable. Call it from the main thread, before threads import."""
    if "keras" in sys.modules:
        return
    hidden = [name for name in KERAS_EXTRAS if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # `import name` raises ImportError, which Keras catches
    try:
        importlib.import_module("keras")
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
