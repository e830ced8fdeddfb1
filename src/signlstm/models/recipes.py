"""Training recipes, an explicit table: a model builder plus how to fit it.

``tutorial`` is the seed notebook's recipe exactly. ``default`` is signlstm's own signer-independent recipe
(features: :mod:`signlstm.models.features`; network: :func:`signlstm.models.architectures.build_default_model`).
``spotting`` is the same network trained on windows of synthetic streams
(:class:`signlstm.models.spotting_batches.SpottingBatches`) to say a sign as it ends and nothing elsewhere, for the
recognizer's ``spot`` rule.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import keras

from ..datasets import augment
from .. import layout
from . import architectures
from .spotting_batches import SpottingBatches
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
    # The batch maker: (data, indices, one-hot targets, batch size, augment, seed) -> keras PyDataset; None: the
    # training sequences themselves (signlstm.models.training).
    batches: Callable | None = None
    # The recognizer rule the recipe's models are made for (written in the bundle; None: the recognizer's default).
    rule: str | None = None
    # Whether training needs recordings of other signs (``--negatives``, or a ``none`` folder in the data).
    needs_others: bool = False

    @property
    def held(self) -> dict:
        """How training holds its data (``datasets.load(..., **recipe.held)``): the parts the model reads, as float16
        (the packed files' own precision): 15,480 bytes per 30-frame sequence for the default recipe, not 199,440."""
        import numpy as np

        return {"parts": self.parts_read, "dtype": np.float16}


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

SPOTTING = Recipe(
    name="spotting",
    build=lambda n, t: architectures.build_default_model(n, t, label_smoothing=0.0),
    epochs=10,  # of 120 batches of 64 windows, 2 streams a batch
    batch_size=64,
    test_split=0.0,
    preprocessing=DEFAULT.preprocessing,
    augment=augment.augment,
    parts_read=PARTS_READ,
    batches=SpottingBatches,  # its streams' other-sign segments: the data's `none` recordings
    rule="spot",
    needs_others=True,
)

RECIPES: dict[str, Recipe] = {"tutorial": TUTORIAL, "default": DEFAULT, "spotting": SPOTTING}


def for_rule(rule: str) -> str:
    """The name of the recipe whose models a recognizer ``rule`` is made for (``default`` unless one says so)."""
    return next((r.name for r in RECIPES.values() if r.rule == rule), DEFAULT.name)


def get(name: str) -> Recipe:
    """The recipe called ``name``; an unknown name is a user error."""
    from ..errors import SignlstmError

    if name not in RECIPES:
        raise SignlstmError(f"unknown --arch '{name}' (choose from {', '.join(sorted(RECIPES))})")
    return RECIPES[name]
