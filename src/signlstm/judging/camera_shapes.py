"""What a camera's shape costs a model when keypoints are kept as MediaPipe gives them, and what it costs as signlstm
stores them (``signlstm judge cameras``).

The DEV signers were recorded with the tutorial's code, mostly with a 640x480 webcam. For a ``W x H`` camera of the
same height and centre, the numbers MediaPipe would give for the same people are
:func:`signlstm.layout.from_reference_aspect` of the recordings (x and z scaled about the centre; a part outside the
narrower image is kept). A model is scored on them twice: as found (what a keypoint file held before signlstm stored
every camera's keypoints as a 4:3 image's) and as stored (:func:`~signlstm.layout.to_reference_aspect` of them,
which ``landmarks.Holistic`` applies: a round trip, equal to the 4:3 row by construction; the evidence that the
conversion is right on real frames is ``landmarks_test.py``'s crop).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import layout
from ..datasets import stream
from .metrics import evaluate


def _as_camera(chunks, convert):
    """The chunks with every frame passed through ``convert``."""
    for c in chunks:
        yield replace(c, frames=convert(c.X).astype(np.float32), columns=None)


def camera_rows(bundle, data, cameras):
    """Yield ``(shape, as found, as stored)`` for the data's own 640x480 camera, then for each ``(width, height)`` of
    ``cameras``: :func:`~signlstm.judging.metrics.evaluate`'s results of ``bundle`` on ``data`` (paths), read a chunk
    at a time. A size that is not two whole numbers above 0 is refused (:class:`SignlstmError`) before anything is
    read."""
    import numbers

    from ..errors import SignlstmError

    cameras = list(cameras)
    for size in cameras:
        if len(size) != 2 or not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n > 0
                                     for n in size):
            raise SignlstmError(f"--shapes {'x'.join(map(str, size))}: give image sizes WIDTHxHEIGHT, e.g. 1280x720")
    signs = bundle.signs
    base = evaluate(bundle, stream(data, actions=signs))
    yield "640x480", base, base
    for w, h in cameras:
        def found(X, w=w, h=h):
            return layout.from_reference_aspect(X, w, h)

        yield (f"{w}x{h}", evaluate(bundle, _as_camera(stream(data, actions=signs), found)),
               evaluate(bundle, _as_camera(stream(data, actions=signs),
                                           lambda X: layout.to_reference_aspect(found(X), w, h))))


def moved_most(base: dict, result: dict, n: int = 3) -> list[tuple[str, float, float]]:
    """The ``n`` people whose accuracy ``result`` lowers most from ``base``: (person, before, after)."""
    people = sorted(result["per_signer"],
                    key=lambda s: result["per_signer"][s]["accuracy"] - base["per_signer"][s]["accuracy"])
    return [(s, base["per_signer"][s]["accuracy"], result["per_signer"][s]["accuracy"]) for s in people[:n]]
