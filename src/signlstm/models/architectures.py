"""Model builders. Each returns a compiled Keras model taking (seq_len, 1662) keypoint windows."""
from __future__ import annotations

import keras
from keras import layers

from .. import layout


def build_tutorial_model(n_actions: int, seq_len: int = layout.SEQ_LEN,
                         n_features: int = layout.FRAME_SIZE) -> keras.Model:
    """The tutorial's network exactly: three relu LSTMs, two relu Dense layers, softmax.

    596,675 parameters for 3 actions. Adam, categorical cross-entropy, categorical accuracy.
    """
    model = keras.Sequential([
        keras.Input((seq_len, n_features)),
        layers.LSTM(64, return_sequences=True, activation="relu"),
        layers.LSTM(128, return_sequences=True, activation="relu"),
        layers.LSTM(64, return_sequences=False, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(n_actions, activation="softmax"),
    ], name="tutorial_lstm")
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["categorical_accuracy"])
    return model
