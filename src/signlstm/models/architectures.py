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
                        learning_rate: float = 2e-3, label_smoothing: float = 0.1) -> keras.Model:
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
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing),
                  metrics=["categorical_accuracy"])
    return model


@keras.saving.register_keras_serializable(package="signlstm")
class OpenSetHead(layers.Layer):
    """Trunk features (B, D) -> probabilities of ``n_classes`` signs and, last, of ``none``.

    The features are standardised (``mean``, ``scale``); the signs' probabilities are a softmax of a linear map
    (``kernel``, ``bias``); ``none`` is the probability that the window lies outside every sign: a logistic step of
    width 1 / ``sharpness`` at 1 on min over classes j of d_j / ``radii``_j, where d_j is the distance to class j's
    prototype (its mean standardised features) divided by sqrt(D). The sign probabilities are scaled by
    1 - p(none), so a window outside every class's radius is answered ``none`` whatever the linear map says.

    With ``tied``, p(none) is instead the sign probabilities' weighted sum of each class's own step at its radius:
    a window is ``none`` when it lies outside the radius of the sign the linear map names. A vocabulary that keeps
    a base's signs (recorded by many people, so of wide radii) uses it: otherwise every window inside one of those
    wide radii would count as a sign, whichever sign it is named.
    """

    WEIGHTS = ("mean", "scale", "prototypes", "radii", "kernel", "bias")

    def __init__(self, n_features: int, n_classes: int, sharpness: float = 10.0, tied: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.n_features, self.n_classes, self.sharpness = int(n_features), int(n_classes), float(sharpness)
        self.tied = bool(tied)
        shape = {"mean": (n_features,), "scale": (n_features,), "prototypes": (n_classes, n_features),
                 "radii": (n_classes,), "kernel": (n_features, n_classes), "bias": (n_classes,)}
        for name in self.WEIGHTS:
            setattr(self, name, self.add_weight(shape=shape[name], trainable=False, name=name,
                                                initializer="ones" if name in ("scale", "radii") else "zeros"))

    def get_config(self):
        return {**super().get_config(), "n_features": self.n_features, "n_classes": self.n_classes,
                "sharpness": self.sharpness, "tied": self.tied}

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n_classes + 1)

    def call(self, x):
        from keras import ops

        z = (ops.cast(x, "float32") - self.mean) / self.scale
        d2 = (ops.sum(z * z, axis=-1, keepdims=True) - 2 * ops.matmul(z, ops.transpose(self.prototypes))
              + ops.sum(self.prototypes * self.prototypes, axis=-1)[None, :])
        d = ops.sqrt(ops.maximum(d2, 0.0) / self.n_features) / self.radii
        signs = ops.softmax(ops.matmul(z, self.kernel) + self.bias, axis=-1)
        if self.tied:
            outside = ops.sum(signs * ops.sigmoid(self.sharpness * (d - 1.0)), axis=-1, keepdims=True)
        else:
            outside = ops.sigmoid(self.sharpness * (ops.min(d, axis=-1, keepdims=True) - 1.0))
        return ops.concatenate([signs * (1.0 - outside), outside], axis=-1)


def openset_probs(weights: dict, features, sharpness: float = 10.0, tied: bool = False):
    """:meth:`OpenSetHead.call` in numpy, for trunk ``features`` (N, D) and the head's ``weights`` (arrays named as
    :data:`OpenSetHead.WEIGHTS`): the same probabilities, without compiling a model (the benchmark's trade-off)."""
    import numpy as np

    z = (np.asarray(features, np.float32) - weights["mean"]) / weights["scale"]
    d2 = (z * z).sum(-1, keepdims=True) - 2 * z @ weights["prototypes"].T + (weights["prototypes"] ** 2).sum(-1)
    d = np.sqrt(np.maximum(d2, 0.0) / z.shape[1]) / weights["radii"]
    logits = z @ weights["kernel"] + weights["bias"]
    signs = np.exp(logits - logits.max(-1, keepdims=True))
    signs /= signs.sum(-1, keepdims=True)
    if tied:
        outside = (signs / (1.0 + np.exp(-sharpness * (d - 1.0)))).sum(-1, keepdims=True)
    else:
        outside = 1.0 / (1.0 + np.exp(-sharpness * (d.min(-1, keepdims=True) - 1.0)))
    return np.concatenate([signs * (1.0 - outside), outside], axis=-1)


def build_openset_model(inputs, features, weights: dict, name: str = "signlstm_vocab",
                        tied: bool = False) -> keras.Model:
    """A trunk (``inputs`` -> ``features`` tensors of a trained model) topped by an :class:`OpenSetHead` holding
    ``weights`` (arrays named as :data:`OpenSetHead.WEIGHTS`), its rejection ``tied`` to the named sign or not."""
    n_classes, n_features = weights["prototypes"].shape
    head = OpenSetHead(n_features, n_classes, tied=tied, name="head")
    model = keras.Model(inputs, head(features), name=name)
    for name_, var in zip(head.WEIGHTS, head.weights):
        var.assign(weights[name_])
    return model
