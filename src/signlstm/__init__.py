"""signlstm: sign recognition from MediaPipe keypoints with a small recurrent network.

Keras runs on the JAX backend; it is selected here, before Keras is imported anywhere,
so users never export KERAS_BACKEND themselves.
"""
import os

os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("GLOG_minloglevel", "2")

__version__ = "0.1.0"
