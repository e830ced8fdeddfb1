"""Training recipes, an explicit table: a model builder plus how to fit it.

``tutorial`` is the seed notebook's recipe exactly. ``default`` is signlstm's own signer-independent recipe
(features: :mod:`signlstm.models.features`; network: :func:`signlstm.models.architectures.build_default_model`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import keras

from .. import augment, layout
from . import architectures
from .features import PARTS_READ


@dataclass(frozen=True)
class Recipe:
    name: str
    build: Callable[[int, int], keras.Model]  # (n_classes, seq_len) -> compiled model
    epochs: int
    batch_size: int | None
    test_split: float  # share of sequences held back for the bundle's test metrics
    preprocessing: str
    callbacks: Callable[[], list] = field(default=lambda: [])
    augment: Callable | None = None  # (X batch, rng) -> X batch, raw 1662-value frames
    stratify: bool = False
    # Prior correction of the rejection output: after training, the ``none`` logit is lowered by this much, so a
    # window is rejected only when ``none`` is e**reject_bias times likelier than the best sign (see the model card).
    reject_bias: float = 0.0
    # The keypoint parts the model reads; ``live`` skips MediaPipe's face mesh for a model that reads no face.
    parts_read: tuple[str, ...] = tuple(p.name for p in layout.PARTS)


def _tutorial_callbacks():
    return [keras.callbacks.EarlyStopping(monitor="loss", patience=10, restore_best_weights=True)]


TUTORIAL = Recipe(
    name="tutorial",
    build=lambda n, t: architectures.build_tutorial_model(n, t),
    epochs=500,
    batch_size=None,
    test_split=0.05,
    preprocessing="none (raw 1662-value frames)",
    callbacks=_tutorial_callbacks,
)

DEFAULT = Recipe(
    name="default",
    build=lambda n, t: architectures.build_default_model(n, t),
    epochs=20,
    batch_size=64,
    test_split=0.0,  # a random split is not signer-independent; use `signlstm judge cv`
    preprocessing="inside the model: signlstm.models.features.BodyFeatures (body-relative pose, no face mesh, "
                  "wrist-relative hands with missing/low-hand mask, motion)",
    augment=augment.augment,
    stratify=True,
    reject_bias=1.0,
    parts_read=PARTS_READ,
)

RECIPES: dict[str, Recipe] = {"tutorial": TUTORIAL, "default": DEFAULT}


def get(name: str) -> Recipe:
    """The recipe called ``name``; an unknown name is a user error."""
    from ..errors import SignlstmError

    if name not in RECIPES:
        raise SignlstmError(f"unknown --arch '{name}' (choose from {', '.join(sorted(RECIPES))})")
    return RECIPES[name]
