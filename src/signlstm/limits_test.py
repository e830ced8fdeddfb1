import struct
import zipfile

import numpy as np
import pytest

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


def test_a_compression_bomb_is_refused_from_its_declared_sizes(tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "RATIO_FLOOR", 1 << 20)
    p = tmp_path / "zeros.npz"
    np.savez_compressed(p, X=np.zeros((100, 30, 1662), np.float16), y=np.zeros(100, np.int8))
    with pytest.raises(BadInput, match=r"zeros.npz: X.npy unpacks from .* kB to 10.0 MB \(\d+ times its size"):
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

    assert 0 < limits.check_h5(shared("data", "legacy_models", "Atulkoirala__action.h5")) < 10 << 20
    p = tmp_path / "action.h5"
    with h5py.File(p, "w") as f:
        f.create_dataset("model_weights/dense/kernel", shape=(200_000, 100_000), dtype="f4", chunks=(64, 64))
    assert p.stat().st_size < 100_000
    with pytest.raises(BadInput, match=r"declare 80.0 GB \(the largest, model_weights/dense/kernel, shape "
                                       r"\(200000, 100000\)"):
        limits.check_h5(p)


def test_declared_recordings_and_budget():
    assert limits.check_recording("upload", 5, 30, 1662, limit=10 << 20) == 5 * 30 * 1662 * 4
    with pytest.raises(BadInput, match=r"upload: the recording declares shape \(40000, 30, 1662\) float32 = 8.0 GB"):
        limits.check_recording("upload", 40_000, 30, 1662, limit=1 << 30)
    with pytest.raises(BadInput, match="sequences must be a positive whole number"):
        limits.check_recording("upload", -1, 30, 1662)


def test_memory_budget_from_the_environment(monkeypatch):
    monkeypatch.setenv("SIGNLSTM_MEMORY_LIMIT", "4G")
    assert limits.memory_budget() == 4_000_000_000
    monkeypatch.setenv("SIGNLSTM_MEMORY_LIMIT", "lots")
    with pytest.raises(SignlstmError, match="not a size"):
        limits.memory_budget()
