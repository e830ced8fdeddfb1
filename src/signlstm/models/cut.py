"""Where a trained network splits into a frozen trunk and a small top: what adapting refits, and the trunk features
it (and the stored features beside a bundle) are made of."""
from __future__ import annotations

from ..errors import SignlstmError
from .bundle import batched_forward

EMBEDDING, HEAD = "embedding", "head"


def split_model(model):
    """Cut a base model into a frozen trunk and a small trainable top.

    Returns (input, trunk output tensor, top layers, head layer). The trunk ends where the ``embedding`` layer starts
    (default recipe: after the GRU and the mean+max pooling); the top is ``embedding`` and what follows it up to the
    head. A model without an ``embedding`` layer (e.g. the tutorial's) is cut just before its last layer.
    """
    names = [layer.name for layer in model.layers]
    head = model.get_layer(HEAD) if HEAD in names else model.layers[-1]
    if not hasattr(head, "kernel"):
        raise SignlstmError(f"cannot adapt this model: its last layer '{head.name}' is not a Dense head")
    if EMBEDDING in names and names.index(EMBEDDING) < names.index(head.name):
        chain = model.layers[names.index(EMBEDDING):names.index(head.name)]
        return model.inputs[0], model.get_layer(EMBEDDING).input, chain, head
    return model.inputs[0], head.input, [], head


def trunk_forward(model, chunk: int = 256, split=None):
    """The batched forward pass of ``model``'s trunk (input -> where :func:`split_model` cuts it): windows (N, T, 1662)
    -> trunk features (N, width). ``split``: the (input, cut) of :func:`split_model` when the caller has them."""
    import keras

    inp, cut = split if split is not None else split_model(model)[:2]
    return batched_forward(keras.Model(inp, cut), chunk=chunk)


def trunk_width(model) -> int:
    """The number of trunk features of ``model`` (the width where :func:`split_model` cuts it)."""
    return int(split_model(model)[1].shape[-1])
