"""Property-based fuzzing of every file loader: truncated files, random bytes, mutated headers (huge or negative
shapes, object and big-endian dtypes, Fortran order), NaN and infinity, zero-length members. Every case ends in a
correct result or one :class:`BadInput` line naming the file, never another exception, and memory stays bounded.

Seeded (``derandomize``): the same cases on every run. Cases per loader: :data:`CASES` (models: :data:`MODEL_CASES`).
"""
import functools
import io
import json
import shutil
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signlstm import datasets, keypoint_files
from signlstm.conftest import s02_head, shared_path
from signlstm.errors import BadInput

CASES = 300
MODEL_CASES = 200
FUZZ = settings(max_examples=CASES, derandomize=True, database=None, deadline=None,
                suppress_health_check=list(HealthCheck))
MODEL_FUZZ = settings(FUZZ, max_examples=MODEL_CASES)

DTYPES = ["<f2", "<f4", "<f8", ">f4", ">f8", "|O", "<i4", "|b1", "|u1", "<c8", "<U3", "|V8", "<M8[s]"]
SIZES = st.one_of(st.integers(0, 3), st.sampled_from([30, 90, 1662, 258, 2 ** 31, 2 ** 40, 2 ** 62]),
                  st.integers(-5, -1))


def npy_header(shape, descr, fortran=False, version=1) -> bytes:
    """A raw .npy header, with any shape and dtype text (invalid ones included), padded as numpy pads it."""
    text = f"{{'descr': {descr!r}, 'fortran_order': {fortran}, 'shape': {tuple(shape)!r}, }}"
    pad = 64 - (10 + len(text) + 1) % 64
    text = (text + " " * pad + "\n").encode("latin1")
    length = struct.pack("<H", len(text)) if version == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes([version, 0]) + length + text


def one_line_or_result(call, path):
    """Run ``call``; a :class:`BadInput` must be one line naming ``path``. Returns the result or None."""
    try:
        return call()
    except BadInput as e:
        msg = str(e)
        assert "\n" not in msg and str(path) in msg, msg
        return None


@pytest.fixture(autouse=True)
def bounded(monkeypatch):
    """Commands hold at most 256 MB here; Python's and numpy's allocations (traced: the process's peak RSS may have
    been set by an earlier test) may not hold more than 600 MB at once over a test."""
    monkeypatch.setenv("SIGNLSTM_MEMORY_LIMIT", "256M")
    tracemalloc.start()
    try:
        yield
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 600 * 2 ** 20, peak


def mutate(data: bytes, draw, hot: int | None = None) -> bytes:
    """Truncate, flip bytes (mostly within the first ``hot`` bytes when given), or splice random bytes."""
    kind = draw(st.sampled_from(["truncate", "flip", "splice", "random"]))
    if kind == "random":
        return draw(st.binary(max_size=300))
    if kind == "truncate":
        return data[:draw(st.integers(0, max(len(data) - 1, 0)))]
    out = bytearray(data)
    top = min(hot or len(out), len(out)) - 1
    if kind == "flip":
        for _ in range(draw(st.integers(1, 8))):
            i = draw(st.integers(0, top))
            out[i] = draw(st.integers(0, 255))
        return bytes(out)
    i = draw(st.integers(0, top))
    return bytes(out[:i]) + draw(st.binary(min_size=1, max_size=64)) + bytes(out[i + 1:])


# --- .npy frames -------------------------------------------------------------------------------------------------

@functools.cache
def frame_file() -> bytes:
    """A real tutorial frame file (float64, 1662 values)."""
    return shared_path("data", "MP_Data_renotte", "hello", "30", "0.npy").read_bytes()


@st.composite
def npy_files(draw):
    kind = draw(st.sampled_from(["mutated", "header", "values"]))
    FRAME = frame_file()
    if kind == "mutated":
        return mutate(FRAME, draw, hot=128)
    if kind == "header":
        shape = tuple(draw(st.lists(SIZES, max_size=3)))
        return npy_header(shape, draw(st.sampled_from(DTYPES)), draw(st.booleans()), draw(st.sampled_from([1, 2]))) \
            + FRAME[128:128 + draw(st.integers(0, 2 * 1662 * 8))]
    values = np.frombuffer(FRAME[128:], "<f8").copy()
    values[draw(st.integers(0, 1661))] = draw(st.sampled_from([np.nan, np.inf, -np.inf, 1e308, -0.0]))
    return FRAME[:128] + values.tobytes()


@FUZZ
@given(data=npy_files())
def test_fuzz_npy_frame(tmp_path, data):
    p = tmp_path / "0.npy"
    p.write_bytes(data)
    frame = one_line_or_result(lambda: keypoint_files.read_frame(p), p)
    if frame is not None:
        assert frame.shape == (1662,) and frame.dtype == np.float32 and np.isfinite(frame).all()


# --- .npz packed files -------------------------------------------------------------------------------------------

def _npy(arr) -> bytes:
    b = io.BytesIO()
    np.save(b, arr, allow_pickle=False)
    return b.getvalue()


def zip_of(members: dict[str, bytes], compress: bool) -> bytes:
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return b.getvalue()


@st.composite
def npz_files(draw):
    n = draw(st.integers(0, 4))
    members = {f"{k}.npy": _npy(v[:n]) for k, v in s02_head().items()}
    kind = draw(st.sampled_from(["archive", "member", "header", "values", "drop", "actions"]))
    if kind == "member":
        name = draw(st.sampled_from(sorted(members)))
        members[name] = mutate(members[name], draw, hot=128)
    elif kind == "header":
        name = draw(st.sampled_from(sorted(members)))
        shape = tuple(draw(st.lists(SIZES, max_size=4)))
        members[name] = npy_header(shape, draw(st.sampled_from(DTYPES)), draw(st.booleans())) + members[name][128:]
    elif kind == "values" and n:
        X = np.load(io.BytesIO(members["X.npy"])).copy()
        X[draw(st.integers(0, n - 1)), draw(st.integers(0, 29)), draw(st.integers(0, 1661))] = draw(
            st.sampled_from([np.nan, np.inf, -np.inf]))
        members["X.npy"] = _npy(X)
    elif kind == "drop":
        members.pop(draw(st.sampled_from(sorted(members))))
    elif kind == "actions":
        members["actions.npy"] = draw(st.sampled_from([_npy(np.array(["a", "b"])), _npy(np.array(["a", "a", "b"])),
                                                       _npy(np.arange(3)), _npy(np.array([], "<U1"))]))
    data = zip_of(members, draw(st.booleans()))
    return mutate(data, draw) if kind == "archive" else data


@FUZZ
@given(data=npz_files())
def test_fuzz_npz(tmp_path, data):
    p = tmp_path / "s99.npz"
    p.write_bytes(data)
    chunks = one_line_or_result(lambda: list(datasets.stream([p], chunk=2)), p)
    for c in chunks or []:
        assert c.X.dtype == np.float32 and c.X.shape[1:] == (30, 1662) and np.isfinite(c.X).all()
        assert len(c.labels) == len(c) == len(c.sources)


# --- MP_Data trees -----------------------------------------------------------------------------------------------

@functools.cache
def tutorial_sequences() -> dict[str, bytes]:
    """Sequences 30 and 31 of hello and thanks in the tutorial's MP_Data tree, as {path under the tree (their
    numbers made 0 and 1): bytes}, read once."""
    source = shared_path("data", "MP_Data_renotte")
    return {f"{action}/{n}/{f.name}": f.read_bytes() for action in ("hello", "thanks") for n in (0, 1)
            for f in sorted((source / action / str(30 + n)).iterdir())}


def write_tree(root) -> None:
    """The four tutorial sequences of :func:`tutorial_sequences` as an MP_Data tree at ``root``."""
    for name, data in tutorial_sequences().items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)


@st.composite
def tree_edits(draw):
    return draw(st.lists(st.tuples(st.sampled_from(["remove", "extra", "replace", "rename", "empty_dir", "zero_file",
                                                    "file_as_seq"]),
                                   st.sampled_from(["hello", "thanks"]), st.integers(0, 1), st.integers(0, 35)),
                         min_size=1, max_size=3)), draw(npy_files()), draw(st.booleans())


@FUZZ
@given(case=tree_edits())
def test_fuzz_mp_data_tree(tmp_path, case):
    edits, frame_bytes, skip_bad = case
    root = tmp_path / "MP_Data"
    shutil.rmtree(root, ignore_errors=True)
    write_tree(root)
    for kind, action, n, frame in edits:
        seq = root / action / str(n)
        if not seq.is_dir():
            continue
        f = seq / f"{frame}.npy"
        if kind == "remove" and f.exists():
            f.unlink()
        elif kind == "extra":
            (seq / f"{30 + frame}.npy").write_bytes(frame_file())
        elif kind == "replace":
            f.write_bytes(frame_bytes)
        elif kind == "rename":
            seq.rename(root / action / f"x{n}")
        elif kind == "empty_dir":
            shutil.rmtree(seq)
            seq.mkdir()
        elif kind == "zero_file":
            f.write_bytes(b"")
        elif kind == "file_as_seq":
            shutil.rmtree(seq)
            seq.write_bytes(frame_file())
    data = one_line_or_result(lambda: datasets.load([root], skip_bad=skip_bad), root)
    if data is not None:
        assert data.X.shape[1:] == (30, 1662) and np.isfinite(data.X).all() and len(data) <= 4


# --- models: .keras bundles and tutorial .h5 files -----------------------------------------------------------------

def _model_loaded(path, actions=None):
    from signlstm.models.bundle import load_bundle

    return one_line_or_result(lambda: load_bundle(path, actions), path)


@st.composite
def keras_bundles(draw):
    from signlstm.models.bundle import DEFAULT_MODEL

    archive = (DEFAULT_MODEL / "model.keras").read_bytes()
    meta = (DEFAULT_MODEL / "signlstm.json").read_text()
    kind = draw(st.sampled_from(["archive", "directory", "config", "meta", "sizes"]))
    if kind == "archive":
        archive = mutate(archive, draw)
    elif kind == "directory":  # the central directory and the end record
        cut = archive.find(b"PK\x01\x02")
        head, tail = archive[:cut], archive[cut:]
        archive = head + mutate(tail, draw)
    elif kind == "config":  # config.json is stored uncompressed: edit its text in place
        i = archive.find(b'{"module"')
        j = i + draw(st.integers(0, 2000))
        archive = archive[:j] + bytes([draw(st.integers(32, 126))]) + archive[j + 1:]
    elif kind == "meta":
        m = json.loads(meta)
        key = draw(st.sampled_from(["labels", "seq_len"]))
        m[key] = draw(st.sampled_from([None, [], ["a"], ["a", "a", "b", "c"], 0, -3, 10 ** 12, "30", [1, 2, 3, 4]]))
        meta = draw(st.sampled_from([json.dumps(m), meta[:draw(st.integers(0, len(meta)))], "[]"]))
    else:
        data = bytearray(archive)
        i = data.find(b"PK\x01\x02")
        while i != -1:
            struct.pack_into("<I", data, i + 24, draw(st.sampled_from([0, 1, 0xFFFFFFFF, 0x7FFFFFFF])))
            i = data.find(b"PK\x01\x02", i + 4)
        archive = bytes(data)
    return archive, meta


@MODEL_FUZZ
@given(case=keras_bundles())
def test_fuzz_keras_bundle(tmp_path, case):
    archive, meta = case
    folder = tmp_path / "model"
    folder.mkdir(exist_ok=True)
    (folder / "model.keras").write_bytes(archive)
    (folder / "signlstm.json").write_text(meta)
    b = _model_loaded(folder)
    if b is not None:
        assert b.model.input_shape == (None, b.seq_len, 1662) and b.model.output_shape[-1] == len(b.labels)


@MODEL_FUZZ
@given(data=st.data())
def test_fuzz_h5_model(tmp_path, data):
    raw = shared_path("data", "legacy_models", "Atulkoirala__action.h5").read_bytes()
    p = tmp_path / "action.h5"
    p.write_bytes(mutate(raw, data.draw, hot=data.draw(st.sampled_from([4096, len(raw)]))))
    b = _model_loaded(p, ["hello", "thanks", "iloveyou"])
    if b is not None:
        assert b.model.input_shape == (None, 30, 1662) and b.model.output_shape == (None, 3)


def test_the_files_each_fuzz_starts_from_load(tmp_path):
    """The fuzz tests accept a refusal for every case: the files they mutate, unmutated (and a frame holding -0.0),
    go through the same calls and load, so a loader that refused everything would fail here."""
    from signlstm.models.bundle import DEFAULT_MODEL, load_bundle

    p = tmp_path / "0.npy"
    p.write_bytes(frame_file())
    assert keypoint_files.read_frame(p).shape == (1662,)
    values = np.frombuffer(frame_file()[128:], "<f8").copy()
    values[7] = -0.0
    p.write_bytes(frame_file()[:128] + values.tobytes())
    assert keypoint_files.read_frame(p)[7] == 0
    members = {f"{k}.npy": _npy(v[:4]) for k, v in s02_head().items()}
    for compress in (False, True):
        p = tmp_path / f"s99{compress}.npz"
        p.write_bytes(zip_of(members, compress))
        assert sum(len(c) for c in datasets.stream([p], chunk=2)) == 4
    root = tmp_path / "MP_Data"
    write_tree(root)
    assert datasets.load([root]).X.shape == (4, 30, 1662)
    assert load_bundle(DEFAULT_MODEL).labels == json.loads((DEFAULT_MODEL / "signlstm.json").read_text())["labels"]
    h5 = load_bundle(shared_path("data", "legacy_models", "Atulkoirala__action.h5"), ["hello", "thanks", "iloveyou"])
    assert h5.model.output_shape == (None, 3)
