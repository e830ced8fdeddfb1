"""Model builders, side by side. Each returns a compiled Keras model taking (seq_len, 1662) keypoint windows."""
from __future__ import annotations

import keras
from keras import layers

from .. import layout
from .features import FILL, BodyFeatures


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


def build_default_model(n_classes: int, seq_len: int = layout.SEQ_LEN, units: int = 64,
                        learning_rate: float = 2e-3) -> keras.Model:
    """BodyFeatures -> Dense 96 -> BiGRU 64 -> mean+max pool -> Dense 64 ``embedding`` -> softmax ``head``."""
    inp = keras.Input((seq_len, layout.FRAME_SIZE), name="keypoints")
    x = BodyFeatures(fill=FILL, name="features")(inp)
    x = layers.GaussianNoise(0.02, name="noise")(x)
    x = layers.Dense(96, activation="gelu", name="project")(x)
    x = layers.Dropout(0.1, name="project_dropout")(x)
    x = layers.Bidirectional(layers.GRU(units, return_sequences=True), name="bigru")(x)
    x = layers.Concatenate(name="pool")([layers.GlobalAveragePooling1D(name="mean")(x),
                                         layers.GlobalMaxPooling1D(name="max")(x)])
    x = layers.Dropout(0.3, name="pool_dropout")(x)
    x = layers.Dense(64, activation="gelu", name="embedding")(x)
    x = layers.Dropout(0.2, name="embedding_dropout")(x)
    out = layers.Dense(n_classes, activation="softmax", name="head")(x)
    model = keras.Model(inp, out, name="signlstm_default")
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate, weight_decay=1e-4, clipnorm=1.0, use_ema=True,
                                                   ema_momentum=0.99),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
                  metrics=["categorical_accuracy"])
    return model
