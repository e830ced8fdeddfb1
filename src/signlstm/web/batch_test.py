"""The keypoint path's batched classifier gives every page what its own recognizer alone would give."""
from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest
from hypothesis import given, settings

from signlstm import layout
from signlstm.conftest import shared_path
from signlstm.web import protocol

# The stream rule with the settings these tests were written with (words come on these short streams), whatever the
# rule's defaults become: the tests are about the batch giving each page its own recognizer's steps.
RULE = {"rule": "stream", "threshold": 0.8, "stability": 12, "rest": 6, "rearm": 10}


@pytest.fixture(scope="module")
def shipped():
    """The shipped model, loaded once for the tests that share it: its forward passes are compiled by the first
    engine's warm-up, and every later engine on it reuses them (seconds instead of half a minute)."""
    from signlstm.models.bundle import load_bundle

    return load_bundle()


def test_pages_classified_together_get_the_probabilities_and_words_of_their_own_recognizer(tmp_path):
    from signlstm.datasets import load
    from signlstm.models.bundle import load_bundle
    from signlstm.recognizer import Recognizer
    from signlstm.web.engine import Engine

    bundle = load_bundle()
    data = load([shared_path("data", "signers", f"{s}.npz") for s in ("s02", "s03")])
    streams = [np.asarray(data.X[k * 7:k * 7 + 3], np.float32).reshape(-1, data.X.shape[-1]) for k in range(6)]
    engine = Engine(bundle, data=tmp_path / "d", models=tmp_path / "m", **RULE)
    try:
        sessions = [engine.open() for _ in streams]
        mask = protocol.mask_of(bundle.meta["parts_read"])

        async def page(session, stream):
            replies = []
            for i, frame in enumerate(stream):
                # the page sends the parts the model reads; the others arrive as zeros
                replies.append(await session.receive(protocol.pack(frame, mask, t=1000 * (i + 1) / 30)))
            return replies

        async def all_pages():
            return await asyncio.gather(*(page(s, k) for s, k in zip(sessions, streams)))

        got = asyncio.run(all_pages())
    finally:
        engine.shutdown()
    assert engine.batcher.windows == sum(len(k) - 29 for k in streams)
    assert engine.batcher.batches < engine.batcher.windows / 3  # the pages' windows went through together
    for stream, replies in zip(streams, got):
        alone = Recognizer(bundle, **RULE)
        sent = np.concatenate([protocol.unpack(protocol.pack(stream[i:i + 30], mask))[0]
                               for i in range(0, len(stream), 30)])
        steps = [alone.update(f) for f in sent]
        for step, reply in zip(steps, replies):
            assert (step.probs is None) == (reply["probs"] is None)
            if step.probs is not None:
                np.testing.assert_allclose(reply["probs"], step.probs, atol=1e-4)
            assert reply["word"] == step.word and reply["sentence"] == step.sentence
    assert any(r["word"] for replies in got for r in replies)  # words came, so the comparison covers them


def test_messages_of_several_frames_and_refusals_keep_each_pages_order_and_words(tmp_path):
    """Pages with several messages in flight at once, some of several frames, one refused among them: each page's
    replies come in its order with what its own recognizer gives (the stream rule, a rest inside a message)."""
    from signlstm.datasets import load
    from signlstm.models.bundle import load_bundle
    from signlstm.recognizer import Recognizer
    from signlstm.web.engine import Engine
    from signlstm.web.protocol import BadMessage

    bundle = load_bundle()
    X = np.asarray(load([shared_path("data", "signers", "s04.npz")]).X[:12], np.float32)
    X[3, :8, 1536:] = 0  # a rest
    streams = [X[k * 4:(k + 1) * 4].reshape(-1, X.shape[-1]) for k in range(3)]
    sizes = [1, 3, 2, 5]
    mask = protocol.mask_of(bundle.parts_read)
    engine = Engine(bundle, data=tmp_path / "d", models=tmp_path / "m", **RULE)
    try:
        sessions = [engine.open() for _ in streams]

        async def page(session, stream):
            tasks, sent, at = [], [], 0
            while at < len(stream):
                n = sizes[len(sent) % len(sizes)]
                tasks.append(asyncio.ensure_future(session.receive(protocol.pack(stream[at:at + n], mask,
                                                                                 t=1000 * (at + 1) / 30))))
                sent.append((at, min(n, len(stream) - at)))
                if len(sent) == 5:
                    tasks.append(asyncio.ensure_future(session.receive(b"SK" + bytes(5))))  # refused
                at += n
                if len(tasks) % 6 == 0:
                    await asyncio.sleep(0)  # several in flight, not all
            return sent, await asyncio.gather(*tasks, return_exceptions=True)

        async def all_pages():
            return await asyncio.gather(*(page(s, k) for s, k in zip(sessions, streams)))

        got = asyncio.run(all_pages())
    finally:
        engine.shutdown()
    words = 0
    for stream, (sent, replies) in zip(streams, got):
        assert isinstance(replies[5], BadMessage) and sum(isinstance(r, BaseException) for r in replies) == 1
        replies = [r for r in replies if not isinstance(r, BaseException)]
        alone = Recognizer(bundle, **RULE)
        sent_frames = np.concatenate([protocol.unpack(protocol.pack(stream[i:i + 30], mask))[0]
                                      for i in range(0, len(stream), 30)])  # the parts the page sends
        steps = [alone.update(f) for f in sent_frames]
        for (at, n), r in zip(sent, replies):
            last = steps[at + n - 1]
            assert r["t"] == 1000 * (at + 1) / 30 and r["frame"] == at + n - 1
            assert (last.probs is None) == (r["probs"] is None)
            if last.probs is not None:
                np.testing.assert_allclose(r["probs"], last.probs, atol=1e-4)
            assert r["word"] == next((s.word for s in reversed(steps[at:at + n]) if s.word), None)
            assert r["words"] == [{"word": s.word, "prob": round(s.word_prob, 4)} for s in steps[at:at + n] if s.word]
            assert r["sentence"] == last.sentence
            words += bool(r["word"])
    assert words  # words came, so the comparison covers them


def test_a_keypoint_pages_recording_is_written_off_the_event_loop_and_whole(tmp_path, monkeypatch):
    import threading

    from signlstm.datasets import sequence_writer
    from signlstm.datasets import load
    from signlstm.models.bundle import load_bundle
    from signlstm.web.engine import Engine

    where = []
    original = sequence_writer.SequenceWriter.write

    def write(self, action, frames):
        where.append(threading.current_thread().name)
        return original(self, action, frames)

    monkeypatch.setattr(sequence_writer.SequenceWriter, "write", write)
    bundle = load_bundle()
    K = np.asarray(load([shared_path("data", "signers", "s02.npz")]).X[1:4], np.float32).reshape(-1, 1662)
    from signlstm.layout import without_hands

    K[30:60] = without_hands(K[30:60])  # the second sequence recorded with the hands out of view
    engine = Engine(bundle, data=tmp_path / "d", models=tmp_path / "m")
    try:
        session = engine.open()

        async def record():
            loop_thread = threading.current_thread().name
            await session.control(json.dumps({"type": "record", "name": "me", "action": "thank you", "count": 2,
                                               "pause": 0}), None)
            replies = await asyncio.gather(*(session.receive(protocol.pack(f, protocol.ALL, t=1000 * (i + 1) / 30))
                                             for i, f in enumerate(K[:60])))
            return loop_thread, replies

        loop_thread, replies = asyncio.run(record())
    finally:
        engine.shutdown()
    assert where == ["signlstm-write_0"] * 2 and loop_thread not in where
    assert [r["frame"] for r in replies] == list(range(60))  # in order, the ones behind a write too
    assert replies[29]["recording"]["saved"].endswith("0") and replies[29]["recording"]["counts"] == {"thank you": 1}
    assert replies[59]["recording"]["phase"] == "done" and replies[59]["recording"]["counts"] == {"thank you": 2}
    # the page hears of the sequence no vocabulary can learn from, as collect says it
    assert "note" not in replies[29]["recording"]
    assert replies[59]["recording"]["note"].startswith("'thank you' 1: a hand is seen in 0% of its frames (fewer than")
    for n in (0, 1):
        seq = tmp_path / "d" / "me" / "thank you" / str(n)
        saved = np.stack([np.load(seq / f"{i}.npy") for i in range(30)])
        assert np.array_equal(saved, K[30 * n:30 * n + 30].astype(np.float64))
    assert not list((tmp_path / "d").rglob(".partial-*"))


def test_a_page_that_finds_15_frames_a_second_gives_its_recognizer_30(tmp_path):
    """s02's 12 signs in a row as a browser that keeps up with every other camera frame sends them (15 a second, each
    with the time it was taken): the page's recognizer sees the frames made into 30 a second, as ``live`` does, and
    says the words of the same signs at 30. Without times (0: not known) each frame counts as 1/30 s and words go."""
    from signlstm.datasets import load_npz
    from signlstm.judging.stream_scoring import build_stream
    from signlstm.models.bundle import load_bundle
    from signlstm.web.engine import Engine

    bundle = load_bundle()
    stream = build_stream(load_npz(shared_path("data", "signers", "s02.npz")), None, seed=0, per_label=4)
    frames = stream.frames[::2]
    mask = protocol.mask_of(bundle.parts_read)
    engine = Engine(bundle, data=tmp_path / "d", models=tmp_path / "m", sentence=20)
    try:
        timed, untimed = engine.open(), engine.open()

        async def page(session, times):
            return [await session.receive(protocol.pack(f, mask, t=t)) for f, t in zip(frames, times)]

        async def both():
            return await asyncio.gather(page(timed, [2000 + 1000 * i / 15 for i in range(len(frames))]),
                                        page(untimed, [0.0] * len(frames)))

        got = asyncio.run(both())
    finally:
        engine.shutdown()
    said = [[r["word"] for r in replies if r["word"]] for replies in got]
    assert said[0] == stream.reference and timed.recognizer.frames == 2 * len(frames) - 1
    assert untimed.recognizer.frames == len(frames) and len(said[1]) < len(stream.reference) - 2
    assert [r["frame"] for r in got[0]] == list(range(len(frames)))  # the page's own frames are counted


def test_a_recording_from_a_page_at_15_frames_a_second_holds_a_second_of_signing(tmp_path):
    """A 30-frame recording keeps the frames the recognizer sees (30 a second): from a page sending 15 a second, the
    sequence is the page's first 16 frames with one made between each two, not 30 of the page's frames (2 s)."""
    from signlstm.datasets import load
    from signlstm.models.bundle import load_bundle
    from signlstm.keypoints.resample import between
    from signlstm.web.engine import Engine

    K = np.asarray(load([shared_path("data", "signers", "s02.npz")]).X[0], np.float32)[::2]  # 15 frames a second
    engine = Engine(load_bundle(), data=tmp_path / "d", models=tmp_path / "m")
    try:
        session = engine.open()

        async def record():
            await session.control(json.dumps({"type": "record", "name": "me", "action": "hello", "count": 1,
                                               "pause": 0}), None)
            return [await session.receive(protocol.pack(f, protocol.ALL, t=1000 + 1000 * i / 15))
                    for i, f in enumerate(np.concatenate([K, K]))]

        replies = asyncio.run(record())
    finally:
        engine.shutdown()
    assert replies[15]["recording"]["phase"] == "done"  # 15 of the page's frames made 29, the 16th the 30th
    saved = np.stack([np.load(tmp_path / "d" / "me" / "hello" / "0" / f"{i}.npy") for i in range(30)])
    np.testing.assert_array_equal(saved[::2], K[:15].astype(np.float64))
    np.testing.assert_allclose(saved[1], between(K[0], K[1], 0.5), atol=1e-6)


def test_a_model_no_page_uses_is_freed_and_one_in_use_keeps_its_compiled_program():
    """A model nothing holds any more (its bundle and forward passes dropped) is collected with its compiled program;
    a model still held keeps its program, which every forward pass made for it then shares (compiled once)."""
    import gc
    import weakref

    from signlstm.models.bundle import load_bundle
    from signlstm.web.batch import Forward

    window = np.asarray(load_first_window(), np.float32)
    kept = load_bundle()
    forward = Forward(kept, sizes=(1,))
    probs = forward([window])
    assert Forward(kept, sizes=(1,), warm=False).run is forward.run
    program = weakref.ref(forward.run)

    gone = load_bundle()
    assert gone.model is not kept.model and gone.parts_read == kept.parts_read
    assert len(kept.parts_read) < len(layout.PARTS)  # the program puts back the parts the model does not read
    np.testing.assert_allclose(Forward(gone, sizes=(1,))([window]), probs, atol=1e-6)
    model = weakref.ref(gone.model)
    del forward, gone
    gc.collect()
    assert model() is None
    assert program() is not None and Forward(kept, sizes=(1,), warm=False).run is program()
    np.testing.assert_allclose(Forward(kept, sizes=(1,), warm=False)([window]), probs, atol=0)
    np.testing.assert_allclose(probs[0], kept.classify(window), atol=1e-4)


def load_first_window() -> np.ndarray:
    """The first window of s02's recordings, (30, 1662)."""
    from signlstm.datasets import load

    return load([shared_path("data", "signers", "s02.npz")]).X[0]


def _sent(frames: np.ndarray, mask: int) -> np.ndarray:
    """``frames`` as a page sending the parts of ``mask`` delivers them (the others zeros)."""
    return np.concatenate([protocol.unpack(protocol.pack(frames[i:i + 30], mask))[0]
                           for i in range(0, len(frames), 30)])


def test_more_pages_than_one_batch_holds_in_one_round_each_get_their_own_windows_probabilities(shipped, tmp_path):
    """40 pages (more than the largest compiled batch, 32) each send a 30-frame recording of their own in the same
    turn of the loop: the 40 windows go through in one round, split into batches, and every page is answered with
    the probabilities its own recognizer gives its window (none refused, none given another page's)."""
    from signlstm.datasets import load
    from signlstm.recognizer import Recognizer
    from signlstm.web.batch import SIZES
    from signlstm.web.engine import Engine

    X = np.asarray(load([shared_path("data", "signers", f"{s}.npz") for s in ("s02", "s03")]).X[::2][:40],
                   np.float32)
    assert len(X) == 40 > SIZES[-1]
    mask = protocol.mask_of(shipped.parts_read)
    engine = Engine(shipped, data=tmp_path / "d", models=tmp_path / "m")
    try:
        sessions = [engine.open() for _ in X]

        async def all_pages():
            return await asyncio.gather(*(s.receive(protocol.pack(w, mask, t=1000.0)) for s, w in zip(sessions, X)))

        replies = asyncio.run(all_pages())
    finally:
        engine.shutdown()
    assert engine.batcher.windows == 40 and engine.batcher.rounds == 1  # all 40 windows in one round
    for window, reply in zip(X, replies):
        alone = Recognizer(shipped, **engine.options)
        step = [alone.update(f) for f in _sent(window, mask)][-1]
        assert reply["frame"] == 29
        np.testing.assert_allclose(reply["probs"], step.probs, atol=1e-4)
    assert len({int(np.argmax(r["probs"])) for r in replies}) > 1  # the windows differ: a mix-up would show


def test_a_refused_message_is_answered_after_the_pages_earlier_messages_read_with_it(shipped, tmp_path):
    """A page's good message, a malformed one and a good one, all arriving in the same turn of the loop (read in
    one go): the replies come in that order (the page pairs replies with its messages by order), the refusal
    after the first message's result, not before it."""
    from signlstm.datasets import load
    from signlstm.web.engine import Engine
    from signlstm.web.protocol import BadMessage

    K = np.asarray(load([shared_path("data", "signers", "s02.npz")]).X[0], np.float32)
    mask = protocol.mask_of(shipped.parts_read)
    engine = Engine(shipped, data=tmp_path / "d", models=tmp_path / "m")
    try:
        session = engine.open()
        answered = []

        async def page():
            ended = asyncio.get_running_loop().create_future()

            def done(which):
                def reply(r):
                    answered.append((which, r))
                    if len(answered) == 3:
                        ended.set_result(None)
                return reply

            # as the server puts a page's messages into the batcher: in one turn, before any round
            engine.batcher.put(session, protocol.pack(K[:5], mask, t=1000.0), done("first"))
            engine.batcher.put(session, b"SK" + bytes(5), done("refused"))
            engine.batcher.put(session, protocol.pack(K[5:10], mask, t=1000 + 5000 / 30), done("third"))
            await asyncio.wait_for(ended, 30)

        asyncio.run(page())
    finally:
        engine.shutdown()
    assert [which for which, _ in answered] == ["first", "refused", "third"]
    assert answered[0][1]["frame"] == 4 and isinstance(answered[1][1], BadMessage) and answered[2][1]["frame"] == 9


def _page_replies(bundle, tmp_path, frames: np.ndarray, size: int, fps: float) -> tuple[list, dict]:
    """The replies of one page of a server on ``bundle`` that sends ``frames`` taken at ``fps`` a second, ``size`` a
    message, each stamped with its first frame's time; and the server's recognizer options."""
    from signlstm.web.engine import Engine

    mask = protocol.mask_of(bundle.parts_read)
    engine = Engine(bundle, data=tmp_path / "d", models=tmp_path / "m")
    try:
        session = engine.open()

        async def page():
            return [await session.receive(protocol.pack(frames[i:i + size], mask, t=1000 + 1000 * i / fps))
                    for i in range(0, len(frames), size)]

        return asyncio.run(page()), engine.options
    finally:
        engine.shutdown()


def test_a_word_said_in_the_middle_of_a_message_of_many_frames_is_in_that_messages_reply(shipped, tmp_path):
    """s02's ``iloveyou`` twice, then hands down, sent in messages of 25 frames: the message during which the
    recognizer says the word (on a frame that is not the message's last) is answered with that word, as the page's
    own recognizer fed frame by frame says it, and the sentence grows there."""
    from signlstm.datasets import load_npz
    from signlstm.recognizer import Recognizer

    d = load_npz(shared_path("data", "signers", "s02.npz"))
    sign = np.asarray(d.X[d.labels == "iloveyou"][0], np.float32)
    frames = np.concatenate([sign, sign, layout.without_hands(sign[-1:].repeat(40, 0))])
    mask = protocol.mask_of(shipped.parts_read)
    replies, options = _page_replies(shipped, tmp_path, frames, 25, 30)
    alone = Recognizer(shipped, **options)
    steps = [alone.update(f) for f in _sent(frames, mask)]
    said = [i for i, s in enumerate(steps) if s.word]
    assert [steps[i].word for i in said] == ["iloveyou"] and said[0] % 25 != 24  # said mid-message
    for k, reply in enumerate(replies):
        assert reply["word"] == next((s.word for s in reversed(steps[25 * k:25 * k + 25]) if s.word), None)
        assert [w["word"] for w in reply["words"]] == [s.word for s in steps[25 * k:25 * k + 25] if s.word]
        assert reply["sentence"] == steps[min(25 * k + 24, len(steps) - 1)].sentence
    assert replies[said[0] // 25]["word"] == "iloveyou"


def test_a_message_that_makes_several_words_lists_each_with_its_probability(shipped, tmp_path):
    """The demo's stream (s08's signs in a row, the repository's own keypoints) kept at 15 frames a second and sent
    30 frames a message, each stamped with its first frame's time: a message's frames are read 1/30 s apart and the
    second before the next message is made up between them, so a message can give two words. Every word the
    recognizer says on a message's frames is in its reply's ``words``, in order, with the probability it was said
    with (a recognizer fed the frames :class:`~signlstm.keypoints.resample.Resample` makes of the same times), and
    some replies hold more than one."""
    from pathlib import Path

    from signlstm.keypoints.resample import RATE, Resample
    from signlstm.recognizer import Recognizer

    frames = np.load(Path(__file__).resolve().parents[3] / "demo" / "s08_stream.npy").astype(np.float32)[::2]
    starts = range(0, len(frames), 30)
    mask = protocol.mask_of(shipped.parts_read)
    replies, options = _page_replies(shipped, tmp_path, frames, 30, 15)
    alone, resample, sent = Recognizer(shipped, **options), Resample(), _sent(frames, mask)
    said = [[(step.word, round(step.word_prob, 4)) for k, f in enumerate(sent[i:i + 30])
             for due in resample(1 + i / 15 + k / RATE, f) if (step := alone.update(due)).word] for i in starts]
    assert sum(map(len, said)) >= 3 and max(map(len, said)) >= 2
    assert [[(w["word"], w["prob"]) for w in r["words"]] for r in replies] == said


def test_a_timed_message_of_several_frames_gives_the_recognizer_every_frame(shipped, tmp_path):
    """Three messages of 10 frames each, stamped with the time of their first frame (a page at 30 frames a second):
    the recognizer sees all 30 frames, the ones sent (the first at the stamp, each next 1/30 s later), and the last
    reply has the probabilities of the whole 30-frame recording."""
    from signlstm.datasets import load
    from signlstm.recognizer import Recognizer
    from signlstm.web.engine import Engine

    K = np.asarray(load([shared_path("data", "signers", "s02.npz")]).X[0], np.float32)
    mask = protocol.mask_of(shipped.parts_read)
    engine = Engine(shipped, data=tmp_path / "d", models=tmp_path / "m")
    try:
        session, due = engine.open(), engine.open()

        async def page():
            return [await session.receive(protocol.pack(K[i:i + 10], mask, t=1000 + 1000 * i / 30))
                    for i in (0, 10, 20)]

        replies = asyncio.run(page())
        with due.guard:
            made = [due.due_frames(K[i:i + 10], 1000 + 1000 * i / 30) for i in (0, 10, 20)]
    finally:
        engine.shutdown()
    assert [len(m) for m in made] == [10, 10, 10]
    np.testing.assert_allclose(np.stack([f for m in made for f in m]), K, atol=1e-5)
    assert session.recognizer.frames == 30 and [r["frame"] for r in replies] == [9, 19, 29]
    alone = Recognizer(shipped, **engine.options)
    step = [alone.update(f) for f in _sent(K, mask)][-1]
    np.testing.assert_allclose(replies[-1]["probs"], step.probs, atol=1e-4)


def test_a_page_whose_clock_stands_still_runs_back_or_counts_seconds_is_told_so(shipped, tmp_path):
    """s02's frames sent one a message by pages whose clocks are broken: one stamps every frame with the same time,
    one stamps 1e300 ms (where 1/30 s is lost to rounding), one sends seconds where milliseconds are due (a frame
    every 1/30 ms), one runs 33 ms backwards a frame. None makes a frame due after its first (the backward clock
    but its frame a second back, which starts its time afresh); once 30 frames in a row (a second's worth) have made
    none due, a message that makes none is refused saying why, with the times sent; a page whose clock starts again
    at 2 s is answered again. A page that sends 0 (not known) after a time of 1e19 ms is answered
    at every frame: its time starts afresh."""
    from signlstm.datasets import load
    from signlstm.web.engine import Engine
    from signlstm.web.protocol import BadMessage

    K = np.asarray(load([shared_path("data", "signers", "s02.npz")]).X[0], np.float32)
    mask = protocol.mask_of(shipped.parts_read)
    engine = Engine(shipped, data=tmp_path / "d", models=tmp_path / "m")
    clocks = {"still": lambda i: 5000.0, "huge": lambda i: 1e300, "seconds": lambda i: 1.7e9 + i / 30,
              "back": lambda i: 5000.0 - 33 * i, "then unknown": lambda i: 1e19 if i < 5 else 0.0}
    try:
        async def page(session, clock):
            said = []
            for i in range(40):
                try:
                    said.append(await session.receive(protocol.pack(K[i % 30][None], mask, t=clock(i))))
                except BadMessage as e:
                    said.append(str(e))
            said.append(await session.receive(protocol.pack(K[0][None], mask, t=2000.0)))
            return said

        async def pages():
            return await asyncio.gather(*(page(engine.open(), clock) for clock in clocks.values()))

        got = dict(zip(clocks, asyncio.run(pages())))
    finally:
        engine.shutdown()
    expect = {"still": range(30, 40), "huge": range(30, 40), "seconds": range(30, 40), "back": [30],
              "then unknown": []}
    for name, said in got.items():
        refused = [i for i, r in enumerate(said) if isinstance(r, str)]
        assert refused == list(expect[name]), (name, refused)
        assert said[-1]["frame"] == 40 - len(refused), (name, said[-1])  # answered (the page's frames taken count)
    assert got["still"][30] == ("the last 30 frames made no frame due: their times did not move on by a frame's "
                                "33.3 ms (this message's 5000 ms, the latest before 5000 ms); give each frame the time "
                                "it was taken, in milliseconds on one clock (0 when it is not known)")
    assert "(this message's 1700000001 ms, the latest before 1700000000.96667 ms)" in got["seconds"][30]
    assert got["then unknown"][-2]["probs"] is not None


@pytest.fixture(scope="module")
def signing():
    """Real signing to stream: twelve of s05's recordings (hello, thanks, iloveyou) as (12, 30, 1662) frames."""
    from signlstm.datasets import load

    X = np.asarray(load([shared_path("data", "signers", "s05.npz")]).X, np.float32)
    return X[np.linspace(0, len(X) - 1, 12).astype(int)]


def _stream_case():
    """A page's stream: 2-4 real recordings in a row, some with their hands (or one hand) gone for a while, the
    page's frame times at one rate (8-75 a second, jittered, sometimes a pause longer than a window), the parts sent
    (those the model reads, with or without the face), and the message boundaries."""
    from hypothesis import strategies as st

    @st.composite
    def case(draw):
        picks = draw(st.lists(st.integers(0, 11), min_size=2, max_size=4))
        n = 30 * len(picks)
        holes = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(1, 12), st.sampled_from(["both", "left",
                                                                                                     "right"])),
                              max_size=3))
        if draw(st.booleans()):  # a page at exactly 30 a second
            fps, steps, pause = 30.0, [1.0] * (n - 1), None
        else:
            fps = draw(st.sampled_from([30.0, 8.0, 15.0, 24.0, 60.0, 75.0]) | st.floats(8.0, 75.0))
            jitter = draw(st.sampled_from([0.0, 0.3]))
            steps = draw(st.lists(st.floats(1.0 - jitter, 1.0 + jitter), min_size=n - 1, max_size=n - 1))
            pause = draw(st.none() | st.tuples(st.integers(1, n - 1), st.floats(1.1, 5.0)))
        t0 = draw(st.sampled_from([0.0, 1000.0 / 30, 123456.789, 1.7e12]))  # 1.7e12: a page sending Date.now()
        cuts = sorted(set(draw(st.lists(st.integers(1, n - 1), max_size=n // 3))))
        face = draw(st.booleans())
        rule = draw(st.sampled_from(["stream", "tutorial", "spot"]))
        return picks, holes, fps, steps, pause, t0, cuts, face, rule

    return case()


@settings(max_examples=12, deadline=None, database=None, derandomize=True)
@given(case=_stream_case())
def test_any_messages_of_a_stream_give_what_the_recognizer_gives_the_frames_at_30_a_second(shipped, signing, case):
    """Property, real signing: however a page cuts its frames into messages (1-30 frames each, sent all at once), at
    whatever rate and timing it took them (a pause longer than a window included), with hands missing for a while
    and with or without the face, the replies carry what a Recognizer gives the same frames resampled to 30 a second
    by their times (each message's frames 1/30 s apart from its ``t``, as the protocol says): each reply's
    probabilities are those of the last window its frames made due, its ``frame`` number and ``t`` are the page's,
    and the words, their probabilities and the sentence are the recognizer's, in order. At exactly 30 a second the
    cuts make no difference: the same replies as one frame per message."""
    import tempfile

    from signlstm.keypoints.resample import Resample
    from signlstm.recognizer import Recognizer
    from signlstm.web.engine import Engine

    picks, holes, fps, steps, pause, t0, cuts, face, rule = case
    frames = signing[picks].reshape(-1, layout.FRAME_SIZE).copy()
    for at, length, which in holes:
        part = {"both": np.s_[layout.LEFT_HAND.start:layout.RIGHT_HAND.stop], "left": layout.LEFT_HAND.slice,
                "right": layout.RIGHT_HAND.slice}[which]
        frames[at:at + length, part] = 0
    mask = protocol.mask_of(shipped.parts_read + (["face"] if face else []))
    for p in layout.PARTS:  # what arrives: the parts not sent are zeros
        if not mask & protocol.mask_of([p.name]):
            frames[:, p.slice] = 0
    gaps = np.array([0.0, *steps]) * 1000 / fps
    if pause:
        gaps[pause[0]] += pause[1] * 1000
    times = t0 + np.cumsum(gaps)  # the page's clock, milliseconds
    bounds = sorted({0, *cuts, *range(30, len(frames), 30), len(frames)})  # at most 30 frames a message
    messages = [(a, b) for a, b in zip(bounds, bounds[1:])]
    options = {"stream": RULE, "tutorial": {"rule": "tutorial", "threshold": 0.8, "stability": 10},
               "spot": {"rule": "spot", "threshold": 0.6, "onset": 0.2, "refractory": 10}}[rule]

    def expected(messages):
        """The recognizer alone over each message's frames at their protocol times, resampled to 30 a second."""
        rec, resample, out = Recognizer(shipped, **options), Resample(), []
        for a, b in messages:
            t = times[a]
            step, words = None, []
            for k in range(a, b):
                for f in resample(t / 1000 + (k - a) / 30 if t else None, frames[k]):
                    step = rec.update(f)
                    if step.word:
                        words.append((step.word, step.word_prob))
            out.append((step, words, list(rec.sentence), rec.last_probs))
        return out

    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(shipped, data=f"{tmp}/d", models=f"{tmp}/m", **options)
        try:
            async def page(messages):
                s = engine.open()
                try:
                    return await asyncio.gather(*(s.receive(protocol.pack(frames[a:b], mask, t=times[a]))
                                                  for a, b in messages))
                finally:
                    s.close()
                    engine.sessions.discard(s)

            replies = asyncio.run(page(messages))
            regular = fps == 30.0 and not pause and set(steps) == {1.0}  # frames exactly 1/30 s apart
            ones = asyncio.run(page([(k, k + 1) for k in range(len(frames))])) if regular else None
        finally:
            engine.shutdown()
    said = []
    for (a, b), reply, (step, words, sentence, last) in zip(messages, replies, expected(messages)):
        assert reply["frame"] == b - 1 and reply["t"] == times[a]
        assert (reply["probs"] is None) == (last is None)
        if last is not None:
            np.testing.assert_allclose(reply["probs"], last, atol=2e-4)
        assert [(w["word"], w["prob"]) for w in reply["words"]] == [(w, pytest.approx(p, abs=2e-4)) for w, p in words]
        assert reply["word"] == (words[-1][0] if words else None) and reply["sentence"] == sentence
        said += words
    if ones is not None:
        assert [w["word"] for r in ones for w in r["words"]] == [w for w, _ in said]
        np.testing.assert_allclose(ones[-1]["probs"] or [], replies[-1]["probs"] or [], atol=2e-4)
        assert ones[-1]["sentence"] == replies[-1]["sentence"]


def test_an_engine_refuses_folders_it_could_not_save_in(shipped, tmp_path):
    """Engine given a data or models folder under a file (as ``serve`` refuses them): BadInput naming it when the
    engine is made, not when a page first saves a recording or a model."""
    from signlstm.errors import BadInput
    from signlstm.web.engine import Engine

    (tmp_path / "afile").write_text("mine")
    for where in ({"data": tmp_path / "afile" / "d"}, {"models": tmp_path / "afile"}):
        with pytest.raises(BadInput, match="afile"):
            Engine(shipped, **{"data": tmp_path / "d", "models": tmp_path / "m", **where})
    assert (tmp_path / "afile").read_text() == "mine"
