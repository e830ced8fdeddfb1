import io
import math
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from signlstm import limits
from signlstm.errors import BadInput, SignlstmError


def test_real_packed_file_headers(shared):
    m = limits.npz_members(shared("data", "signers", "s02.npz"))
    assert m["X"].header.shape == (90, 30, 1662) and m["X"].header.dtype == np.float16
    assert m["X"].size == m["X"].header.offset + 90 * 30 * 1662 * 2 and m["y"].header.shape == (90,)


def _lying_npz(path, declared_n, real_n=2):
    """An .npz whose X.npy header declares ``declared_n`` sequences but holds ``real_n``."""
    header = {"descr": "<f2", "fortran_order": False, "shape": (declared_n, 30, 1662)}
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    buf.write(np.zeros((real_n, 30, 1662), np.float16).tobytes())
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("X.npy", buf.getvalue())
    return path


def test_a_member_whose_header_declares_more_than_its_entry_holds_is_refused(tmp_path):
    p = _lying_npz(tmp_path / "lie.npz", 40_000)
    with pytest.raises(BadInput, match=r"lie.npz: X.npy declares shape \(40000, 30, 1662\) <f2 \(4.0 GB\) but its "
                                       r"zip entry unpacks to 199,568 bytes"):
        limits.npz_members(p)


def test_a_packed_file_holding_an_array_twice_is_refused_naming_it(shared, tmp_path):
    """A zip may hold two members of one name; numpy's reader takes the last, another tool the first: s02's X stored
    twice, the second with its rows reversed (the same shape, so nothing else gives it away), is refused by name."""
    import warnings

    with np.load(shared("data", "signers", "s02.npz")) as z:
        arrays = {k: z[k] for k in z.files}
    p = tmp_path / "twice.npz"
    np.savez(p, **arrays)
    buf = io.BytesIO()
    np.save(buf, arrays["X"][::-1])
    with warnings.catch_warnings(), zipfile.ZipFile(p, "a") as z:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name it is asked to write
        z.writestr("X.npy", buf.getvalue())
    with pytest.raises(BadInput, match=r"twice.npz: holds X.npy twice"):
        limits.npz_members(p)


def claiming_npz(path, n, members=("X", "y")):
    """A packed file whose ``X.npy`` declares ``n`` sequences and ``y.npy`` ``n`` labels (of ``members``, in that
    order) but each holds two, stored uncompressed: the zipfile module writes it, its central directory entries made
    to claim the sizes the headers declare (in their zip64 fields above 4 GB) before it is closed. About 200 kB."""
    arrays = {"X": ((n, 30, 1662), np.zeros((2, 30, 1662), np.float16)), "y": ((n,), np.zeros(2, np.int64))}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name in members:
            shape, held = arrays[name]
            buf = io.BytesIO()
            np.lib.format.write_array_header_1_0(buf, {"descr": held.dtype.str, "fortran_order": False,
                                                       "shape": shape})
            claimed = buf.tell() + math.prod(shape) * held.itemsize
            z.writestr(f"{name}.npy", buf.getvalue() + held.tobytes())
            info = z.getinfo(f"{name}.npy")
            info.file_size = info.compress_size = claimed
    return path


@pytest.mark.parametrize("n", [40_000, 10 ** 10])
@pytest.mark.parametrize("members", [("X",), ("X", "y"), ("y", "X")])
def test_a_member_whose_directory_entry_claims_more_than_the_file_holds_is_refused(tmp_path, n, members):
    """The directory's sizes agree with the headers (4.0 GB, 997 TB) but the stored bytes would run past the next
    member or the directory itself: refused, naming the member and the numbers, before anything is unpacked."""
    p = claiming_npz(tmp_path / "lie.npz", n, members)
    assert p.stat().st_size < 250_000
    first, nbytes = members[0], (n * 30 * 1662 * 2 if members[0] == "X" else n * 8) + 128
    after = "the next member" if len(members) > 1 else "the archive's directory"
    with pytest.raises(BadInput) as e:
        limits.npz_members(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}: {first}.npy: its zip entry claims {nbytes:,} stored bytes ") and "\n" not in msg
    assert f"but {after} begins at byte " in msg and f"(the file is {p.stat().st_size:,} bytes)" in msg


def test_an_archive_of_more_members_than_a_packed_file_holds_is_refused_before_its_directory_is_read(tmp_path,
                                                                                                     shared):
    """s02's arrays beside 999 or 1,000 one-byte members: the first is read (its 90 recordings), the second refused
    in one line from the count its end record declares; so is a model archive of as many members."""
    from signlstm.datasets import open_npz

    with np.load(shared("data", "signers", "s02.npz")) as z:
        arrays = {k: z[k] for k in ("X", "y", "seq")}
    for junk in (limits.MAX_MEMBERS - 3, limits.MAX_MEMBERS - 2):
        path = tmp_path / f"many{junk}.npz"
        np.savez(path, **arrays)
        with zipfile.ZipFile(path, "a") as z:
            for i in range(junk):
                z.writestr(f"junk{i}.txt", b"x")
        if junk + 3 <= limits.MAX_MEMBERS:
            assert sum(open_npz(path).label_counts.values()) == 90
        else:
            with pytest.raises(BadInput, match=f"{path.name}: its archive declares 1,001 members; signlstm reads "
                                               "archives of at most 1,000"):
                open_npz(path)
            with pytest.raises(BadInput, match="declares 1,001 members"):
                limits.check_model_archive(path)
    # 20,000 members whose end record says 3 (the count and the zip64 one): refused by the directory's size
    path = tmp_path / "understated.npz"
    np.savez(path, **arrays)
    with zipfile.ZipFile(path, "a") as z:
        for i in range(20_000):
            z.writestr(f"junk{i}.txt", b"x")
    raw = bytearray(path.read_bytes())
    struct.pack_into("<HH", raw, raw.rfind(b"PK\x05\x06") + 8, 3, 3)
    if (at := raw.rfind(b"PK\x06\x06")) >= 0:
        struct.pack_into("<QQ", raw, at + 24, 3, 3)
    path.write_bytes(bytes(raw))
    with pytest.raises(BadInput, match=r"understated.npz: its archive's directory is .* MB, for 3 members it declares"):
        open_npz(path)


def test_a_stored_member_that_claims_to_unpack_to_more_than_it_stores_is_refused(tmp_path):
    """X.npy declares 8 sequences, its directory entry 797,888 unpacked bytes to match, but it is stored uncompressed
    in 199,568 bytes (2 sequences): refused before it is read."""
    p = claiming_npz(tmp_path / "lie.npz", 8, ("X",))
    data = bytearray(p.read_bytes())
    struct.pack_into("<I", data, data.find(b"PK\x01\x02") + 20, 199_568)  # the stored size, the true one
    p.write_bytes(bytes(data))
    with pytest.raises(BadInput, match=r"lie.npz: X.npy is stored uncompressed but its zip entry declares 199,568 "
                                       r"stored and 797,888 unpacked bytes$"):
        limits.npz_members(p)


def test_a_compression_bomb_is_refused_from_its_declared_sizes(tmp_path):
    """All zeros above the size where the ratio counts (:data:`limits.RATIO_FLOOR`, 64 MB): refused before anything
    is unpacked; a small all-zero file still loads."""
    p = tmp_path / "zeros.npz"
    np.savez_compressed(p, X=np.zeros((700, 30, 1662), np.float16), y=np.zeros(700, np.int8))
    with pytest.raises(BadInput, match=r"zeros.npz: X.npy unpacks from .* kB to 69.8 MB \(\d+ times its size"):
        limits.npz_members(p)
    np.savez_compressed(p, X=np.zeros((100, 30, 1662), np.float16), y=np.zeros(100, np.int8))
    assert limits.npz_members(p)
    # mostly zeros, one frame in 200 of random values: about 170 times its stored size, also refused
    X = np.zeros((700, 30, 1662), np.float16)
    X.reshape(-1, 1662)[::200] = np.random.default_rng(0).random((105, 1662))
    np.savez_compressed(p, X=X, y=np.zeros(700, np.int8))
    with pytest.raises(BadInput, match=r"X.npy unpacks from .* kB to 69.8 MB \(1\d\d times its size"):
        limits.npz_members(p)


def _lie_about_sizes(path, size=0xFFFFFFF0):
    """Rewrite every central-directory entry of the zip ``path`` to declare ``size`` unpacked bytes."""
    data = bytearray(path.read_bytes())
    i = data.find(b"PK\x01\x02")
    while i != -1:
        struct.pack_into("<I", data, i + 24, size)
        i = data.find(b"PK\x01\x02", i + 4)
    path.write_bytes(bytes(data))


def test_a_keras_archive_declaring_more_than_10_gb_is_refused(tmp_path):
    from signlstm.models.bundle import DEFAULT_MODEL

    p = tmp_path / "big.keras"
    p.write_bytes((DEFAULT_MODEL / "model.keras").read_bytes())
    limits.check_model_archive(p)  # the shipped model passes
    _lie_about_sizes(p)
    with pytest.raises(BadInput, match=r"big.keras: its 3 archive members unpack to 12.9 GB, more than the 1.1 GB"):
        limits.check_model_archive(p)


def test_an_h5_declaring_huge_weights_is_refused_without_reading_them(tmp_path, shared):
    import h5py

    # the tutorial network saved without its optimiser: 596,675 float32 weights
    assert limits.check_h5(shared("data", "legacy_models", "Atulkoirala__action.h5")) == 596_675 * 4
    p = tmp_path / "action.h5"
    with h5py.File(p, "w") as f:
        f.create_dataset("model_weights/dense/kernel", shape=(200_000, 100_000), dtype="f4", chunks=(64, 64))
    assert p.stat().st_size < 100_000
    with pytest.raises(BadInput, match=r"declare 80.0 GB \(the largest, model_weights/dense/kernel, shape "
                                       r"\(200000, 100000\)"):
        limits.check_h5(p)


def test_a_member_claiming_one_stored_byte_more_than_lies_before_the_next_is_refused(shared, tmp_path):
    """Two real sequences of s02 and their labels stored uncompressed, X's directory entry claiming one byte more
    than it stores: its bytes would run one byte into y's entry, and it is refused naming X and the numbers."""
    z2 = np.load(shared("data", "signers", "s02.npz"))
    path = tmp_path / "one.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, arr in (("X", z2["X"][:2]), ("y", z2["y"][:2])):
            buf = io.BytesIO()
            np.save(buf, arr)
            z.writestr(f"{name}.npy", buf.getvalue())
            if name == "X":
                info = z.getinfo("X.npy")
                info.file_size = info.compress_size = len(buf.getvalue()) + 1
    with pytest.raises(BadInput, match=r"one.npz: X.npy: its zip entry claims [\d,]+ stored bytes .* but the next "
                                       r"member begins at byte"):
        limits.npz_members(path)


def test_a_model_declaring_exactly_the_limit_is_read_and_one_byte_less_refuses_it(shared, tmp_path):
    """The limit is the most a model may declare: the tutorial network's .h5 (596,675 float32 weights) and the shipped
    .keras archive (its members' unpacked sizes) pass a limit of exactly their size and are refused one byte under.
    An .h5 holding a dataset of variable-length values (objects, not weights) is refused naming it."""
    import h5py

    from signlstm.models.bundle import DEFAULT_MODEL

    h5 = shared("data", "legacy_models", "Atulkoirala__action.h5")
    assert limits.check_h5(h5, limit=596_675 * 4) == 596_675 * 4
    with pytest.raises(BadInput, match=r"action.h5: its \d+ weight arrays declare 2.4 MB"):
        limits.check_h5(h5, limit=596_675 * 4 - 1)
    archive = DEFAULT_MODEL / "model.keras"
    with zipfile.ZipFile(archive) as z:
        total = sum(i.file_size for i in z.infolist())
    limits.check_model_archive(archive, limit=total)
    with pytest.raises(BadInput, match=r"model.keras: its \d+ archive members unpack to"):
        limits.check_model_archive(archive, limit=total - 1)
    with h5py.File(tmp_path / "vl.h5", "w") as f:
        f.create_dataset("model_weights/x", (3,), dtype=h5py.vlen_dtype(np.dtype("float32")))
    with pytest.raises(BadInput, match=r"vl.h5: dataset model_weights/x holds variable-length objects"):
        limits.check_h5(tmp_path / "vl.h5")


def test_declared_arrays_and_budget():
    f4 = np.dtype("float32")
    assert limits.check_declared("upload", "the recording", (5, 30, 1662), f4, 10 << 20) == 5 * 30 * 1662 * 4
    with pytest.raises(BadInput, match=r"upload: the recording declares shape \(40000, 30, 1662\) float32 = 8.0 GB"):
        limits.check_declared("upload", "the recording", (40_000, 30, 1662), f4, 1 << 30)


def test_memory_budget_from_the_environment(monkeypatch):
    monkeypatch.setenv("SIGNLSTM_MEMORY_LIMIT", "4G")
    assert limits.memory_budget() == 4_000_000_000
    monkeypatch.setenv("SIGNLSTM_MEMORY_LIMIT", "lots")
    with pytest.raises(SignlstmError, match="not a size"):
        limits.memory_budget()


def test_an_array_of_exactly_the_limit_fits_and_one_byte_more_does_not():
    exact = 5 * 30 * 1662 * 4
    assert limits.check_declared("upload", "the recording", (5, 30, 1662), np.dtype("float32"), exact) == exact
    with pytest.raises(BadInput, match="more than the"):
        limits.check_declared("upload", "the recording", (5, 30, 1662), np.dtype("float32"), exact - 1)


def test_memory_budget_units_and_default(monkeypatch):
    """Sizes are decimal (as :func:`limits.fmt_bytes` prints them); without ``SIGNLSTM_MEMORY_LIMIT`` the budget is
    half this machine's physical memory (``MemTotal`` of /proc/meminfo)."""
    for text, n in (("500K", 500_000), ("500M", 500_000_000), ("2.5G", 2_500_000_000), ("1T", 10 ** 12),
                    ("10MB", 10_000_000), ("123456", 123_456)):
        monkeypatch.setenv("SIGNLSTM_MEMORY_LIMIT", text)
        assert limits.memory_budget() == n, text
    monkeypatch.delenv("SIGNLSTM_MEMORY_LIMIT")
    meminfo = Path("/proc/meminfo")
    if not meminfo.exists():
        pytest.skip("no /proc/meminfo")
    total = int(next(line for line in meminfo.read_text().splitlines() if line.startswith("MemTotal:")).split()[1])
    assert limits.memory_budget() == pytest.approx(total * 1024 / 2, rel=0.01)


def test_a_member_that_unpacks_to_more_than_it_declares_is_refused(tmp_path):
    p = _lying_npz(tmp_path / "long.npz", 2, real_n=3)
    with pytest.raises(BadInput, match=r"long.npz: X.npy declares shape \(2, 30, 1662\) <f2 .* but its zip entry "
                                       r"unpacks to 299,"):
        limits.npz_members(p)


def test_a_fortran_ordered_packed_file_is_refused(tmp_path, shared):
    """Read as C order, its frames would be scrambled values with no error."""
    with np.load(shared("data", "signers", "s02.npz")) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["X"] = np.asfortranarray(arrays["X"][:4])
    arrays["y"], arrays["seq"] = arrays["y"][:4], arrays["seq"][:4]
    np.savez(tmp_path / "f.npz", **arrays)
    with pytest.raises(BadInput, match=r"f.npz: X.npy is stored in Fortran order"):
        limits.npz_members(tmp_path / "f.npz")


def test_a_stream_whose_header_declares_a_negative_length_is_one_line(shared, tmp_path):
    """numpy's header parser takes a negative length; a saved stream of two real frames whose header says (-2, 1662)
    (same header length) is refused naming the shape, read whole or memory-mapped as a replay maps it."""
    from signlstm.keypoint_files import map_keypoint_file, read_keypoint_file

    X = np.load(shared("data", "signers", "s02.npz"))["X"][0, :2].astype(np.float32)
    f = io.BytesIO()
    np.save(f, X)
    raw = f.getvalue().replace(b"(2, 1662), ", b"(-2, 1662),")
    assert len(raw) == len(f.getvalue())
    (tmp_path / "neg.npy").write_bytes(raw)
    for read in (map_keypoint_file, read_keypoint_file):
        with pytest.raises(BadInput, match=r"neg.npy: declares an invalid shape \(-2, 1662\)"):
            read(tmp_path / "neg.npy")


def test_a_file_that_is_not_npy_says_so(shared):
    from signlstm.keypoint_files import read_keypoint_file

    jpg = shared("media", "asl_iloveyou_rohan937_frame20.jpg")
    with pytest.raises(BadInput, match="not an .npy array"):
        with open(jpg, "rb") as f:
            limits.read_npy_header(f, jpg)
    with pytest.raises(BadInput, match=r"frame20.jpg: not an .npy file"):
        read_keypoint_file(jpg)


def test_npy_headers_read_as_numpy_reads_them_and_a_cut_or_oversized_one_is_refused(shared):
    """Each .npy format version, C and Fortran order, read from the header alone as numpy reads it (headers that
    are alike are parsed once and shared); a file that ends inside its header, or that declares a header longer than
    numpy parses, is one line naming the file."""
    real = np.load(shared("data", "MP_Data_renotte", "hello", "30", "0.npy"))
    arrays = [real, real[None], np.asfortranarray(np.stack([real, real]).astype(np.float16))]
    for version in ((1, 0), (2, 0), (3, 0)):
        for i, arr in enumerate(arrays):
            f = io.BytesIO()
            np.lib.format.write_array(f, arr, version=version)
            f.seek(0)
            header = limits.read_npy_header(f, f"a{i}.npy")
            assert (header.shape, header.dtype, header.fortran) == (arr.shape, arr.dtype, np.isfortran(arr))
            assert np.array_equal(np.frombuffer(f.getvalue()[header.offset:], arr.dtype), arr.ravel(order="K"))
    raw = shared("data", "MP_Data_renotte", "hello", "30", "0.npy").read_bytes()
    for cut in (8, 9, 40):
        with pytest.raises(BadInput, match=r"cut.npy: unreadable .npy header \(the file ends inside it\)"):
            limits.read_npy_header(io.BytesIO(raw[:cut]), "cut.npy")
    long = limits.NPY_MAGIC + bytes([2, 0]) + struct.pack("<I", 10**9) + b"{" * 100
    with pytest.raises(BadInput, match=r"long.npy: unreadable .npy header \(it declares 1,000,000,000 bytes"):
        limits.read_npy_header(io.BytesIO(long), "long.npy")


def test_a_named_pipe_nobody_writes_to_reads_as_empty_instead_of_waiting_for_ever(tmp_path):
    """A list of signs, a fixes or cells file given as a named pipe with no writer: opening it does not wait for a
    writer for ever: it reads as nothing (and the command says the file holds nothing)."""
    import os

    from signlstm.limits import read_small

    os.mkfifo(tmp_path / "signs.txt")
    assert read_small(tmp_path / "signs.txt", "list of signs") == b""



@pytest.mark.timeout(60)  # a pipe read wrongly would wait for ever
def test_a_named_pipe_longer_than_the_limit_is_refused_not_cut(tmp_path):
    """A pipe has no size to check before reading: the start of the shipped fixes file (4,000 bytes, which the
    smallest pipe buffer holds) fed through a named pipe is read whole under a larger limit, and refused in one line
    under a smaller one, never cut to the limit."""
    import os

    import signlstm
    from signlstm.limits import read_small

    text = (Path(signlstm.__file__).parent / "models" / "default-fixes.csv").read_bytes()[:4000]
    assert len(text) == 4000
    fifo = tmp_path / "fixes.csv"
    os.mkfifo(fifo)

    def fed(limit):
        """read_small of the pipe holding ``text``, its writer gone (as ``head -c 4000 default-fixes.csv |`` leaves
        it)."""
        held = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader, so that the writer opens without waiting
        try:
            w = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            try:
                assert os.write(w, text) == len(text)
            finally:
                os.close(w)
            return read_small(fifo, "fixes file", limit=limit)
        finally:
            os.close(held)

    assert fed(10_000) == text
    with pytest.raises(BadInput, match=r"fixes.csv: more than 1.0 kB; a fixes file is at most that"):
        fed(1000)


def test_a_text_file_of_exactly_the_limit_is_read_and_one_byte_over_is_refused(tmp_path):
    """``read_small``'s limit is the most a file may hold: the start of the shipped fixes file, 4,000 bytes, is read
    whole under a limit of 4,000 and refused in one line under 3,999."""
    import signlstm
    from signlstm.limits import read_small

    text = (Path(signlstm.__file__).parent / "models" / "default-fixes.csv").read_bytes()[:4000]
    (tmp_path / "fixes.csv").write_bytes(text)
    assert read_small(tmp_path / "fixes.csv", "fixes file", limit=4000) == text
    with pytest.raises(BadInput, match=r"fixes.csv: 4.0 kB; a fixes file is at most 4.0 kB"):
        read_small(tmp_path / "fixes.csv", "fixes file", limit=3999)


@pytest.fixture(scope="module")
def s02_X():
    """s02's recordings as they are packed (float16), for packed files of any size cut from real data."""
    from signlstm.conftest import shared_path

    return np.load(shared_path("data", "signers", "s02.npz"))["X"]


def _npz_bytes(members: dict, compressed: bool) -> bytes:
    f = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(f, **members)
    return f.getvalue()


def _with_header(data: bytes, name: str, shape) -> bytes:
    """The archive ``data`` with member ``name``'s .npy header declaring ``shape``, its values left as they are."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            raw = src.read(info)
            if info.filename == name:
                f = io.BytesIO(raw)
                h = limits.read_npy_header(f, "x")
                head = io.BytesIO()
                np.lib.format.write_array_header_2_0(head, {"descr": h.dtype.str, "fortran_order": False,
                                                            "shape": tuple(shape)})
                raw = head.getvalue() + raw[h.offset:]
            z.writestr(info.filename, raw)
    return out.getvalue()


@settings(max_examples=30, deadline=None, database=None, derandomize=True)
@given(data=st.data())
def test_any_honest_packed_file_is_read_as_declared_and_any_header_declaring_other_than_it_holds_is_refused(
        s02_X, tmp_path_factory, data):
    """Property, real keypoints: a packed file of any 0-5 of s02's recordings, cut to any 1-30 frames, float16 or
    float32, with its y, seq and actions, compressed or not, is accepted with each member's header exactly numpy's
    (shape, dtype, bytes); the same file whose X header declares any shape of another size (more or fewer sequences
    or frames, what a corrupt or hostile header says) is BadInput naming it. And the declared-size check refuses
    exactly the shapes whose bytes exceed its limit (one byte over, at it, any size), and returns the others' bytes."""
    n = data.draw(st.integers(0, 5), label="sequences")
    T = data.draw(st.integers(1, 30), label="frames")
    dtype = data.draw(st.sampled_from([np.float16, np.float32]), label="dtype")
    start = data.draw(st.integers(0, len(s02_X) - 5), label="first")
    X = np.ascontiguousarray(s02_X[start:start + n, :T]).astype(dtype)
    members = {"X": X, "y": np.arange(n) % 3, "seq": np.arange(n), "actions": np.array(["hello", "thanks", "iloveyou"])}
    compressed = data.draw(st.booleans(), label="compressed")
    raw = _npz_bytes(members, compressed)
    path = tmp_path_factory.mktemp("npz") / "p.npz"
    path.write_bytes(raw)
    got = limits.npz_members(path)
    assert set(got) == set(members)
    for name, arr in members.items():
        h = got[name].header
        assert (h.shape, h.dtype, h.nbytes) == (arr.shape, arr.dtype, arr.nbytes)
        assert got[name].size == h.offset + arr.nbytes
    other = data.draw(st.tuples(st.integers(0, 2 * n + 3), st.integers(0, 60), st.sampled_from([1662, 1661, 1663,
                                                                                                  258]))
                      .filter(lambda s: math.prod(s) != X.size), label="declared shape")
    path.write_bytes(_with_header(raw, "X.npy", other))
    with pytest.raises(BadInput, match=r"p\.npz: X\.npy declares shape"):
        limits.npz_members(path)
    shape = data.draw(st.lists(st.integers(0, 1 << 40), max_size=4), label="shape")
    dt = np.dtype(data.draw(st.sampled_from(["<f2", "<f4", "<f8", "u1", "<U9"])))
    nbytes = math.prod(shape) * dt.itemsize
    limit = data.draw(st.sampled_from([nbytes, nbytes + 1, max(nbytes - 1, 0)]) | st.integers(0, 1 << 45),
                      label="limit")
    if nbytes > limit:
        with pytest.raises(BadInput, match="more than the"):
            limits.check_declared("f", "X", shape, dt, limit)
    else:
        assert limits.check_declared("f", "X", shape, dt, limit) == nbytes
