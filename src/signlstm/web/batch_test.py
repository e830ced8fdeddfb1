"""The keypoint path's batched classifier gives every page what its own recognizer alone would give."""
from __future__ import annotations

import asyncio

import numpy as np

from signlstm.conftest import shared_path
from signlstm.web import protocol


def test_pages_classified_together_get_the_probabilities_and_words_of_their_own_recognizer(tmp_path):
    from signlstm.datasets import load
    from signlstm.models.bundle import load_bundle
    from signlstm.recognizer import Recognizer
    from signlstm.web.engine import Engine

    bundle = load_bundle()
    data = load([shared_path("data", "signers", f"{s}.npz") for s in ("s02", "s03")])
    streams = [np.asarray(data.X[k * 7:k * 7 + 3], np.float32).reshape(-1, data.X.shape[-1]) for k in range(6)]
    engine = Engine(bundle, data=tmp_path / "d", models=tmp_path / "m")
    try:
        sessions = [engine.open() for _ in streams]
        mask = protocol.mask_of(bundle.meta["parts_read"])

        async def page(session, stream):
            replies = []
            for i, frame in enumerate(stream):
                # the page sends the parts the model reads; the others arrive as zeros
                replies.append(await session.receive(protocol.pack(frame, mask, t=i)))
            return replies

        async def all_pages():
            return await asyncio.gather(*(page(s, k) for s, k in zip(sessions, streams)))

        got = asyncio.run(all_pages())
    finally:
        engine.shutdown()
    assert engine.batcher.windows == sum(len(k) - 29 for k in streams)
    assert engine.batcher.batches < engine.batcher.windows / 3  # the pages' windows went through together
    for stream, replies in zip(streams, got):
        alone = Recognizer(bundle)
        sent = np.concatenate([protocol.unpack(protocol.pack(stream[i:i + 30], mask))[0]
                               for i in range(0, len(stream), 30)])
        steps = [alone.update(f) for f in sent]
        for step, reply in zip(steps, replies):
            assert (step.probs is None) == (reply["probs"] is None)
            if step.probs is not None:
                np.testing.assert_allclose(reply["probs"], step.probs, atol=1e-4)
            assert reply["word"] == step.word and reply["sentence"] == step.sentence
    assert any(r["word"] for replies in got for r in replies)  # words came, so the comparison covers them
