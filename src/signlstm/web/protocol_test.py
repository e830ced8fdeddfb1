"""The page's messages: keypoint messages round-trip with the layout's zeros, and random, truncated or mutated
binary messages and JSON control messages each end in a refusal the client is told about or a correct result."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path
import re
import struct
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from signlstm import layout
from signlstm.keypoint_files import MAX_VALUE
from signlstm.web import protocol
from signlstm.web.conftest import pack_image
from signlstm.web.protocol import BadMessage


@pytest.fixture(scope="module")
def frames() -> np.ndarray:
    """Real keypoint frames of a DEV signer (hands, pose and face present)."""
    from signlstm.conftest import shared_path
    from signlstm.datasets import load

    X = load([shared_path("data", "signers", "s02.npz")]).X[:4]
    return np.asarray(X, np.float32).reshape(-1, layout.FRAME_SIZE)


def test_a_message_carries_the_masked_parts_and_zeros_for_the_rest(frames):
    f = frames[:3]
    mask = protocol.mask_of(["pose", "left_hand", "right_hand"])
    data = protocol.pack(f, mask, t=1234.5)
    assert len(data) == protocol.HEADER.size + 3 * 4 * (132 + 63 + 63)
    got, t, m = protocol.unpack(data, need=mask)
    assert t == 1234.5 and m == mask and got.shape == (3, 1662) and got.dtype == np.float32
    expect = f.copy()
    expect[:, layout.FACE.slice] = 0
    assert np.array_equal(got, expect)
    everything, _, _ = protocol.unpack(protocol.pack(f[0]))
    assert np.array_equal(everything[0], f[0])
    assert protocol.describe()["parts"][1] == {"name": "face", "points": 468, "values": 3}


_VALUES = st.floats(-MAX_VALUE, MAX_VALUE, width=32)  # every value a reader takes: -0.0, subnormals, the extremes


@settings(max_examples=200, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), mask=st.integers(1, protocol.ALL), t=st.floats(allow_nan=False, allow_infinity=False))
def test_any_frames_and_mask_come_back_as_they_were_sent(frames, data, mask, t):
    """Property: 1 to MAX_FRAMES frames (real ones, or any valid float32 values), any part mask, any finite time and
    any ``need`` the mask holds: unpack(pack(...)) gives the mask, the time and the frames bit for bit (the sign of
    a zero too) in the parts sent, and zeros in the others."""
    n = data.draw(st.integers(1, protocol.MAX_FRAMES), label="count")
    if data.draw(st.booleans(), label="real frames"):
        f = frames[data.draw(st.lists(st.integers(0, len(frames) - 1), min_size=n, max_size=n), label="rows")]
    else:
        f = data.draw(hnp.arrays(np.float32, (n, layout.FRAME_SIZE), elements=_VALUES), label="values")
    need = data.draw(st.integers(0, protocol.ALL).filter(lambda m: not m & ~mask), label="need")
    got, t_got, m = protocol.unpack(protocol.pack(f, mask, t), need)
    assert m == mask and t_got == t and got.shape == f.shape and got.dtype == np.float32
    sent = np.zeros(layout.FRAME_SIZE, bool)
    for p in protocol.parts_of(mask):
        sent[p.slice] = True
    assert np.array_equal(got[:, sent].view(np.uint32), f[:, sent].view(np.uint32)) and not got[:, ~sent].any()


def test_bad_messages_are_refused_with_the_reason(frames):
    good = protocol.pack(frames[0], protocol.ALL)
    head = bytearray(good[:16])

    def with_header(**kw):
        fields = dict(zip(("magic", "version", "mask", "count", "reserved", "t"), protocol.HEADER.unpack(head)))
        fields.update(kw)
        return protocol.HEADER.pack(*fields.values()) + good[16:]

    for data, why in [(good[:10], "shorter than its 16-byte header"), (b"XX" + good[2:], "not a keypoint message"),
                      (with_header(mask=0), "part mask"),
                      (with_header(mask=16), "part mask"), (with_header(count=0), "0 frames"),
                      (with_header(reserved=1), "reserved header field"),
                      (with_header(count=protocol.MAX_FRAMES + 1), f"1 to {protocol.MAX_FRAMES} per message"),
                      (good[:-4], "declares 1 frame"), (good + b"\0\0\0\0", "declares 1 frame"),
                      (with_header(t=float("nan")), "timestamp"),
                      (good[:16] + struct.pack("<f", float("inf")) + good[20:], "not finite"),
                      (good[:16] + struct.pack("<f", 1e6) + good[20:], "not finite or beyond")]:
        with pytest.raises(BadMessage, match=why):
            protocol.unpack(data)
    hands = protocol.pack(frames[0], protocol.mask_of(["left_hand", "right_hand"]))
    with pytest.raises(BadMessage, match="without pose, which the model reads"):
        protocol.unpack(hands, need=protocol.mask_of(["pose", "left_hand"]))


def test_a_message_of_another_version_is_refused_saying_to_reload_the_page(frames, shared):
    """Version 2: the page's frames are resampled by their times and its keypoints are a 4:3 image's. A version-1 page
    (before both) is refused with one message, for either kind of binary message; the page takes the version it sends
    from ``hello`` and refuses a server of another version than its code builds (app.js's PROTOCOL)."""
    assert protocol.VERSION == 2
    jpeg = shared("media", "asl_iloveyou_rohan937_frame20.jpg").read_bytes()
    keypoints, image = protocol.pack(frames[0], t=1.0), pack_image(jpeg, 1.0)
    assert keypoints[2] == image[2] == 2
    assert protocol.unpack(keypoints)[1:] == (1.0, protocol.ALL) and protocol.unpack_image(image) == (jpeg, 1.0)
    reload = "version 1; this server reads version 2 (a page loaded before the server was updated: reload it)"
    for old, read, what in [(keypoints, protocol.unpack, "keypoint message"),
                            (image, protocol.unpack_image, "camera frame message")]:
        for v in (0, 1, 3, 255):
            with pytest.raises(BadMessage, match=f"^{what} version {v}; this server reads version 2 "):
                read(old[:2] + bytes([v]) + old[3:])
        with pytest.raises(BadMessage) as refused:
            read(old[:2] + b"\x01" + old[3:])
        assert str(refused.value) == f"{what} {reload}"
    assert protocol.describe()["version"] == protocol.describe_image()["version"] == protocol.VERSION
    page = (Path(protocol.__file__).with_name("static") / "app.js").read_text()
    assert re.findall(r"^const PROTOCOL = (\d+);", page, re.M) == [str(protocol.VERSION)]
    assert page.count("dv.setUint8(2, L.version);") == 2  # both headers carry hello's version


def test_the_load_test_leaves_as_many_messages_unanswered_as_the_page():
    """``signlstm loadtest``'s simulated pages skip a frame at the page's own count of unanswered keypoint messages,
    so its figures describe the page as it is."""
    from signlstm.web.loadtest import MAX_PENDING

    page = (Path(protocol.__file__).with_name("static") / "app.js").read_text()
    assert re.findall(r"^const MAX_PENDING = (\d+);", page, re.M) == [str(MAX_PENDING)]


def test_a_message_declaring_more_than_it_holds_is_refused_before_allocating(frames):
    """30 frames of 1662 values declared (199 kB) in a 6 kB message: refused for the size it declares, and unpack
    allocates nothing of that; the most a header can declare (65535 frames, 435 MB) is refused for its count, before
    its size is even worked out."""
    one = protocol.pack(frames[0])
    _, version, mask, _, _, t = protocol.HEADER.unpack_from(one)
    for count, why in [(protocol.MAX_FRAMES, f"keypoint message declares {protocol.MAX_FRAMES} frame(s) of 1662 values "
                                             f"({16 + 4 * 1662 * protocol.MAX_FRAMES} bytes) but is {len(one)} bytes"),
                       (65535, f"keypoint message of 65535 frames; 1 to {protocol.MAX_FRAMES} per message")]:
        liar = protocol.HEADER.pack(protocol.MAGIC, version, mask, count, 0, t) + one[16:]
        tracemalloc.start()
        try:
            with pytest.raises(BadMessage, match=f"^{re.escape(why)}$"):
                protocol.unpack(liar)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 20_000, peak


def test_a_camera_frame_carries_the_time_it_was_taken_and_a_bad_header_is_refused(shared):
    jpeg = shared("media", "asl_iloveyou_rohan937_frame20.jpg").read_bytes()
    data = pack_image(jpeg, 1234.5)
    assert protocol.is_image(data) and not protocol.is_keypoints(data) and len(data) == 16 + len(jpeg)
    assert protocol.unpack_image(data) == (jpeg, 1234.5)
    assert protocol.describe_image() == {"version": protocol.VERSION, "magic": "SJ", "header_bytes": 16}
    for bad, why in [(data[:15], "shorter than its 16-byte header"), (data[:2] + b"\x07" + data[3:], "version 7"),
                     (data[:5] + b"\x01" + data[6:], "reserved header field"),
                     (pack_image(jpeg, float("nan")), "not a number"),
                     (pack_image(jpeg, float("inf")), "not a number")]:
        with pytest.raises(BadMessage, match=why):
            protocol.unpack_image(bad)


# -- fuzzing the session: every message ends in a refusal or a correct result ------------------------------------------

@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from signlstm.models.bundle import load_bundle
    from signlstm.web.engine import Engine

    root = tmp_path_factory.mktemp("fuzz")
    e = Engine(load_bundle(), data=root / "data", models=root / "models", pause=0.0)
    yield e
    e.shutdown()


@pytest.mark.parametrize("name", ["v/../x", "a/b", "a\\b", "v\n", "v/../../escape", "me/../../../escape"])
def test_a_visitors_name_that_is_not_one_folder_is_refused_and_nothing_is_written_outside_the_data_folder(
        engine, frames, tmp_path, name):
    """A page asks to record (or adapt) under a name holding a path (a slash, a backslash, ``..``, a line end after
    a good start): refused with the name rule, about that request, and the keypoints the page then sends leave no
    file anywhere; a good name's recording lands inside the server's data folder and nowhere else."""
    from signlstm.web.engine import Engine

    data = tmp_path / "server" / "web_data"
    e = Engine(engine.bundle, data=data, models=tmp_path / "server" / "web_models", pause=0.0)  # compiled already
    try:
        session = e.open()

        async def visit(who, requests=("record", "adapt")):
            refused, told = [], []

            async def send(message):
                told.append(message)

            for kind in requests:
                try:
                    await session.control(json.dumps({"type": kind, "name": who, "action": "hello", "count": 1,
                                                      "pause": 0}), send)
                except BadMessage as err:
                    refused.append((err.about, str(err)))
                if session.adapt_task is not None:  # an adaptation accepted: it runs to its end first
                    await asyncio.wait([session.adapt_task], timeout=60)
            reply = await session.receive(protocol.pack(frames[:30], protocol.ALL))  # a recording's worth
            return refused, reply

        refused, reply = asyncio.run(visit(name))
        written = [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()]
        assert not written  # nothing, in the data folder or out of it (a name let through writes its recording)
        assert refused == [(kind, "name: 1-40 letters, digits, '-' or '_', starting with a letter or digit")
                           for kind in ("record", "adapt")]
        assert "recording" not in reply

        _, reply = asyncio.run(visit("me", ("record",)))  # the same frames under a good name are recorded, inside
        assert reply["recording"]["phase"] == "done"
    finally:
        e.shutdown()
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) == 30 and all(p.parent == data / "me" / "hello" / "0" for p in written)


def test_a_list_of_signs_is_checked_whole_before_its_first_is_recorded(engine, frames, tmp_path):
    """The page sends the rest of its list with its first sign: a name that cannot be a folder last in a list of
    signs is refused, naming its place in the list, before anything is recorded, where the list's first signs had
    been recorded before it; a request nested deeper than JSON is read is refused as such."""
    from signlstm.web.engine import Engine

    e = Engine(engine.bundle, data=tmp_path / "web_data", models=tmp_path / "web_models", pause=0.0)
    try:
        session = e.open()

        async def visit(then):
            try:
                await session.control(json.dumps({"type": "record", "name": "me", "action": "hola", "count": 1,
                                                  "pause": 0, "then": then}), None)
            except BadMessage as err:
                return (err.about, str(err)), await session.receive(protocol.pack(frames[:30], protocol.ALL))
            return None, await session.receive(protocol.pack(frames[:30], protocol.ALL))

        refused, reply = asyncio.run(visit(["adiós", "a/b"]))
        assert refused == ("record", "then[1]: 'a/b' cannot be a folder name (no /, \\, leading dot or NUL)")
        assert "recording" not in reply
        assert not [p for p in tmp_path.rglob("*") if p.is_file()]
        for bad, why in (("a list", "then: a list of at most 200 signs' names"), ([3], "then[0]: a sign's name (text)")):
            assert asyncio.run(visit(bad))[0] == ("record", why)
        refused, reply = asyncio.run(visit(["adiós"]))  # a good list: its first sign is recorded
        assert refused is None and reply["recording"]["phase"] == "done"
        with pytest.raises(BadMessage, match=r"^control message nested too deeply \(a request's fields are flat\)$"):
            asyncio.run(session.control('{"type": "ping", "x": ' + "[" * 1500 + "]" * 1500 + "}", None))
    finally:
        e.shutdown()


def test_the_signs_a_page_is_shown_it_has_recorded_leave_out_folders_a_tool_or_the_system_put_there(
        engine, frames, tmp_path):
    """A visitor's folder that also holds what Jupyter (``.ipynb_checkpoints``) and a Mac's unzip (``__MACOSX``) put
    there: the signs listed to the page, when a recording starts and once its sequence (30 real frames of s02) is
    written, are the ones recorded, ``{"hello": 1}``, and no folder of a tool's is shown as a sign."""
    from signlstm.web.engine import Engine

    data = tmp_path / "web_data"
    for other in (".ipynb_checkpoints", "__MACOSX"):
        (data / "me" / other / "0").mkdir(parents=True)
    e = Engine(engine.bundle, data=data, models=tmp_path / "web_models", pause=0.0)  # compiled already
    try:
        session = e.open()

        async def visit():
            async def send(message):
                pass

            started = await session.control(json.dumps({"type": "record", "name": "me", "action": "hello",
                                                        "count": 1, "pause": 0}), send)
            return started, await session.receive(protocol.pack(frames[:30], protocol.ALL))

        started, reply = asyncio.run(visit())
    finally:
        e.shutdown()
    assert started["counts"] == {}
    assert reply["recording"]["phase"] == "done" and reply["recording"]["counts"] == {"hello": 1}


def _check_reply(reply: dict, labels: list[str]) -> None:
    assert reply["type"] == "result" and isinstance(reply["sentence"], list)
    if reply["probs"] is not None:
        assert len(reply["probs"]) == len(labels) and abs(sum(reply["probs"]) - 1) < 1e-3
    json.dumps(reply)  # what the server sends must serialise


def _mutations(frames):
    valid = st.builds(lambda i, n, mask, t: protocol.pack(frames[i:i + n], mask, t),
                      st.integers(0, len(frames) - 3), st.integers(1, 3), st.integers(1, protocol.ALL),
                      st.floats(allow_nan=False, allow_infinity=False, width=64))

    def mutate(data: bytes, how: str, at: int, value: int, extra: bytes) -> bytes:
        at %= len(data)
        if how == "truncate":
            return data[:at]
        if how == "flip":
            return data[:at] + bytes([data[at] ^ (value or 1)]) + data[at + 1:]
        if how == "header":
            return data[:at % 16] + bytes([value]) + data[at % 16 + 1:]
        return data + extra

    mutated = st.builds(mutate, valid, st.sampled_from(["truncate", "flip", "header", "append"]),
                        st.integers(0, 10 ** 6), st.integers(0, 255), st.binary(max_size=64))
    return st.one_of(valid, mutated, st.binary(max_size=256),
                     st.binary(max_size=64).map(lambda b: b"SK" + bytes([protocol.VERSION]) + b),
                     st.binary(max_size=64).map(lambda b: b"\xff\xd8" + b),
                     st.builds(lambda b, t: pack_image(b"\xff\xd8" + b, t), st.binary(max_size=64),
                               st.floats(width=64)))  # a camera frame with its time: a broken JPEG


CONTROL = st.one_of(
    st.text(max_size=64),
    st.fixed_dictionaries({"type": st.sampled_from(["record", "cancel", "clear", "ping", "adapt", "nope", ""])},
                          optional={"name": st.one_of(st.text(max_size=45), st.integers(), st.none()),
                                    "action": st.one_of(st.text(max_size=45), st.sampled_from(["hello", "../x"])),
                                    "count": st.one_of(st.integers(-5, 100), st.floats(), st.booleans()),
                                    "pause": st.one_of(st.floats(), st.integers(-1, 20), st.text(max_size=3))}
                          ).map(json.dumps),
    st.recursive(st.none() | st.booleans() | st.integers(), lambda c: st.lists(c, max_size=3), max_leaves=20
                 ).map(json.dumps),
    st.just("[" * 5000), st.just("x" * 5000))


@seed(20261201)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_messages_end_in_a_refusal_or_a_result_and_the_session_keeps_working(engine, frames, data):
    labels = engine.bundle.labels
    session = engine.open()
    sent: list = []

    async def send(msg):
        sent.append(msg)

    async def one_round():
        for _ in range(3):
            if data.draw(st.booleans(), label="binary"):
                msg = data.draw(_mutations(frames), label="binary message")
                try:
                    _check_reply(await session.receive(msg), labels)
                except BadMessage as e:
                    assert str(e)
            else:
                msg = data.draw(CONTROL, label="control message")
                try:
                    reply = await session.control(msg, send)
                    assert reply is None or isinstance(reply.get("type"), str)
                except BadMessage as e:
                    assert str(e)
        reply = await session.receive(protocol.pack(frames[0], protocol.ALL, 1.0))  # still works
        _check_reply(reply, labels)
        assert reply["t"] == 1.0
        if session.adapt_task is not None:
            await asyncio.wait([session.adapt_task], timeout=30)

    try:
        asyncio.run(one_round())
    finally:
        engine.sessions.discard(session)
        session.close()


def test_a_pages_own_pause_is_kept_and_another_page_under_its_name_is_sent_the_new_counts(engine, frames, tmp_path):
    """A record request's ``pause`` is the page's, not the server's default: with 10 s asked on a server whose pause
    is 0, the 30 real frames (s02) sent at once fall in the pause and nothing is recorded; asked for 0, the same
    frames are the sequence. Once it is written, another page showing the same name's counts is sent the folder's
    new counts, and the page that recorded (whose reply holds them) is not."""
    from signlstm.web.engine import Engine

    e = Engine(engine.bundle, data=tmp_path / "web_data", models=tmp_path / "web_models", pause=0.0)  # compiled
    told = {"recorder": [], "watcher": []}
    try:
        recorder, watcher = e.open(), e.open()
        recorder.notify, watcher.notify = told["recorder"].append, told["watcher"].append

        async def visit():
            await watcher.control(json.dumps({"type": "counts", "name": "me"}), None)
            started = await recorder.control(json.dumps({"type": "record", "name": "me", "action": "hello",
                                                         "count": 1, "pause": 10}), None)
            paused = await recorder.receive(protocol.pack(frames[:30], protocol.ALL))
            await recorder.control(json.dumps({"type": "record", "name": "me", "action": "hello", "count": 1,
                                               "pause": 0}), None)
            return started, paused, await recorder.receive(protocol.pack(frames[:30], protocol.ALL))

        started, paused, saved = asyncio.run(visit())
    finally:
        e.shutdown()
    assert started["phase"] == "pause" and paused["recording"]["phase"] == "pause"
    assert paused["recording"]["frame"] == 0 and "saved" not in paused["recording"]
    assert saved["recording"]["phase"] == "done" and saved["recording"]["counts"] == {"hello": 1}
    assert told == {"recorder": [], "watcher": [{"type": "counts", "name": "me", "counts": {"hello": 1}}]}


def test_a_model_an_open_page_uses_is_spared_when_its_visitors_older_models_are_removed(engine, tmp_path):
    """Five adapted models of one visitor (the shipped model's files, dated 2000): the server's pruning keeps the
    3 newest and the oldest, which an open page was switched to; once that page has left, the oldest goes too."""
    import shutil

    from signlstm.models.bundle import load_bundle
    from signlstm.web import adapted
    from signlstm.web.engine import Engine

    models = tmp_path / "web_models"
    older = [models / f"me-20000101-00000{i}" for i in range(5)]
    for folder in older:
        shutil.copytree(engine.bundle.path, folder)
    e = Engine(engine.bundle, data=tmp_path / "web_data", models=models, pause=0.0)  # compiled already
    try:
        page = e.open()
        page.use(load_bundle(older[0]), engine.forward)  # (its windows are never classified here)
        assert adapted.prune_adapted(models, "me", e.models_in_use()) == [older[1]]
        assert adapted.adapted_models(models, "me") == [older[0], *older[2:]]
        page.close()
        e.sessions.discard(page)  # the page left, as the server forgets it
        assert adapted.prune_adapted(models, "me", e.models_in_use()) == [older[0]]
    finally:
        e.shutdown()
    assert adapted.adapted_models(models, "me") == older[2:]
