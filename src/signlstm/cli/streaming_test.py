"""predict and evaluate read their data in chunks; empty rooms are reported, not scored; files that lie are refused."""
import json
import os
import struct
import subprocess
import sys
import time
import zlib

import numpy as np

from signlstm.cli import main


def _signer_with_empty_room(tmp_path, shared, empty=7):
    """s02's 90 sequences followed by ``empty`` all-zero ones, packed as a signer file."""
    z = np.load(shared("data", "signers", "s02.npz"))
    X = np.concatenate([z["X"], np.zeros((empty, 30, 1662), np.float16)])
    out = tmp_path / "s99.npz"
    np.savez_compressed(out, X=X, y=np.concatenate([z["y"], np.zeros(empty, z["y"].dtype)]))
    return out


def test_evaluate_counts_sequences_without_a_person_and_scores_the_rest(tmp_path, shared, capsys):
    data = _signer_with_empty_room(tmp_path, shared)
    assert main(["evaluate", "--data", str(data), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["n"] == 90 and r["no_person"] == {"sequences": 7, "per_signer": {"s99": 7}}
    assert r["accuracy"] > 0.9  # the shipped model on a DEV signer it was trained with
    assert main(["evaluate", "--data", str(data)]) == 0
    assert "not scored: 7 sequence(s) with no person in any frame" in capsys.readouterr().out


def test_predict_marks_empty_rooms_and_an_all_empty_file_is_exit_2(tmp_path, shared, capsys):
    data = _signer_with_empty_room(tmp_path, shared)
    assert main(["predict", "--data", str(data), "--json"]) == 0
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 97 and all(r["no_person"] and r["label"] is None for r in rows[90:])
    assert np.mean([r["label"] == r["true"] for r in rows[:90]]) > 0.9
    assert "7 of 97 sequence(s) show no person" in err
    empty = tmp_path / "room.npz"
    np.savez(empty, X=np.zeros((300, 30, 1662), np.float16), y=np.zeros(300, np.int8))
    for cmd in ("predict", "evaluate"):
        assert main([cmd, "--data", str(empty)]) == 2
        assert f"{empty}: no person in any frame of the 300 sequence(s)" in capsys.readouterr().err  # the file


def _zip(members: dict[str, bytes | tuple[bytes, int, int]]) -> bytes:
    """A zip archive of raw-deflate members: name -> data, or name -> (deflated bytes, crc32, unpacked size)."""
    local, central = b"", b""
    for name, m in members.items():
        if isinstance(m, bytes):
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            m = (c.compress(m) + c.flush(), zlib.crc32(m), len(m))
        data, crc, size = m
        head = struct.pack("<HHHHHIII", 20, 0, 8, 0, 0x21, crc, len(data), size)
        central += b"PK\x01\x02" + struct.pack("<H", 20) + head + struct.pack("<HHHHHII", len(name), 0, 0, 0, 0, 0,
                                                                              len(local)) + name.encode()
        local += b"PK\x03\x04" + head + struct.pack("<HH", len(name), 0) + name.encode() + data
    return local + central + b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, len(members), len(members), len(central),
                                                         len(local), 0)


def zero_bomb(path, sequences=40_000):
    """A valid .npz of ``sequences`` all-zero float16 sequences, ~4 MB on disk for 40,000 (4.0 GB unpacked)."""
    header = np.lib.format.header_data_from_array_1_0(np.zeros((0, 30, 1662), np.float16))
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {**header, "shape": (sequences, 30, 1662)})
    head = buf.getvalue()
    block = bytes(30 * 1662 * 2 * 500)  # 500 sequences
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    c2 = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = c2.compress(block) + c2.flush(zlib.Z_FULL_FLUSH)  # the same bytes for every block after a full flush
    crc = zlib.crc32(head)
    for _ in range(sequences // 500):
        crc = zlib.crc32(block, crc)
    data = first + piece * (sequences // 500) + b"\x03\x00"  # an empty final block
    y = io.BytesIO()
    np.save(y, np.zeros(sequences, np.int8))
    path.write_bytes(_zip({"X.npy": (data, crc, len(head) + len(block) * (sequences // 500)), "y.npy": y.getvalue()}))
    return path


def _run(argv):
    """Exit status, stderr, seconds and peak RSS in bytes of ``signlstm argv`` in a fresh process, started by a small
    launcher (a child forked from this test process would count this process's size in its peak)."""
    from signlstm.judging.bench import _LAUNCHER

    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", _LAUNCHER, sys.executable, "-m", "signlstm", *argv],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    lines = p.stderr.decode().splitlines()
    assert lines and lines[-1].startswith("maxrss "), lines[-5:]  # the launcher's measure of the command's peak
    return p.returncode, "\n".join(lines[:-1]), time.perf_counter() - t0, int(lines[-1].split()[1]) * 1024


def test_a_4_mb_file_declaring_40000_empty_sequences_is_one_line_exit_2_and_under_2_gb(tmp_path):
    bomb = zero_bomb(tmp_path / "bomb.npz")
    assert bomb.stat().st_size < 5_000_000
    z = np.load(bomb)
    assert z.zip.getinfo("X.npy").file_size == 128 + 40_000 * 30 * 1662 * 2 and len(z["y"]) == 40_000
    for cmd in ("evaluate", "predict"):
        code, err, seconds, peak = _run([cmd, "--data", str(bomb)])
        assert code == 2 and "Traceback" not in err
        lines = [line for line in err.splitlines() if line.startswith("signlstm")]
        assert len(lines) == 1 and "bomb.npz: X.npy unpacks from" in lines[0] and "to 4.0 GB" in lines[0], err
        assert peak < 2e9  # its time is a figure of the README, not a test (it depends on the machine's load)
