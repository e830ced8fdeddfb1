"""Declared sizes, read before anything is allocated: files that lie about their size are refused in one line.

An ``.npy`` header declares a shape and dtype; a zip archive (``.npz``, ``.keras``) declares each member's unpacked
size; an HDF5 file declares its datasets' shapes. A loader reads these first and refuses, naming the file and the
numbers, an array that could not fit in what the command will hold (:func:`memory_budget`, :data:`MODEL_LIMIT`), a
member whose declared size disagrees with its header, one whose stored bytes would run past the next member or the
archive's directory (a directory that lies about a member's size), or one that unpacks to far more than keypoint data
ever does (:data:`MAX_RATIO`, the classic compressed "bomb"). Nothing here reads array data.

Any other declared array is checked with :func:`check_declared`.
"""
from __future__ import annotations

import bisect
import functools
import io
import math
import os
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import BadInput, first_line

LFS_MAGIC = b"version https://git-lfs"  # how a Git LFS pointer committed in place of a file begins
MODEL_LIMIT = 1 << 30  # bytes a model file may declare (weights, archive members); signlstm's models are < 10 MB
MAX_RATIO = 100  # a zip member may unpack to at most this many times its stored size; keypoint data: 1.1-1.4x
RATIO_FLOOR = 64 << 20  # ... once it unpacks to more than this (small all-zero files still load, and are reported)
MAX_SIDE_ARRAY = 1 << 20  # bytes of a small side array (``actions``) read whole
MAX_TEXT_FILE = 64 << 20  # bytes of a text file read whole (a fixes list, a list of signs, cells.json)
MAX_MEMBERS = 1000  # archive members of a packed file or a model archive (each a few: X, y, seq, actions; config,
# metadata, weights); the archive's directory is counted before it is read, which costs memory and time per member
MAX_DIRECTORY = 1 << 20  # bytes of an archive's directory (its entries: about 100 bytes each), checked beside the
# count, which an archive may understate: Python's reader reads the directory by its size
NPY_MAGIC = b"\x93NUMPY"


def fmt_bytes(n: float) -> str:
    """``n`` bytes as a short figure: 512 B, 3.2 MB, 4.0 GB, 2.5e+06 TB."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(n) < 1000:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB" if n < 1e6 else f"{n:.1e} TB"


def read_small(path: str | Path, what: str, limit: int = MAX_TEXT_FILE) -> bytes:
    """The bytes of the text file ``path`` (a ``what``, named in messages), read whole once its size is known to be
    at most ``limit``; a missing, unreadable or larger file is :class:`BadInput`."""
    path = Path(path)
    try:
        # opened without waiting: a named pipe no program writes to would hold the open for ever (it then reads
        # as empty); reads then wait as usual, for a pipe that is being written (bash's <(...))
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        with open(fd, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > limit:
                raise BadInput(path, f"{fmt_bytes(size)}; a {what} is at most {fmt_bytes(limit)}")
            data = f.read(limit + 1)  # a pipe, or a file that grew since: its size is what was read
            if len(data) > limit:
                raise BadInput(path, f"more than {fmt_bytes(limit)}; a {what} is at most that")
            return data
    except FileNotFoundError:
        raise BadInput(path, "no such file") from None
    except IsADirectoryError:
        raise BadInput(path, f"a folder, not a {what}") from None
    except OSError as e:
        raise BadInput(path, f"unreadable ({e.strerror or e})") from None


def _parse_bytes(text: str) -> int:
    text = text.strip().upper().rstrip("B")
    scale = {"K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}.get(text[-1:], 1)
    return int(float(text.rstrip("KMGT")) * scale)


def budget_source() -> str:
    """Where :func:`memory_budget` comes from, for a message."""
    return ("SIGNLSTM_MEMORY_LIMIT" if os.environ.get("SIGNLSTM_MEMORY_LIMIT")
            else "half the memory; SIGNLSTM_MEMORY_LIMIT sets it")


def memory_budget() -> int:
    """Bytes a command that holds its data may fill: ``SIGNLSTM_MEMORY_LIMIT`` (``4G``, ``500M``, bytes) or half of
    this machine's physical memory."""
    env = os.environ.get("SIGNLSTM_MEMORY_LIMIT")
    if env:
        try:
            return _parse_bytes(env)
        except ValueError:
            from .errors import SignlstmError

            raise SignlstmError(f"SIGNLSTM_MEMORY_LIMIT={env!r} is not a size (e.g. 4G, 500M)") from None
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2


@dataclass(frozen=True)
class ArrayHeader:
    """What an ``.npy`` header declares; ``offset`` is where the data starts."""

    shape: tuple[int, ...]
    dtype: np.dtype
    fortran: bool
    offset: int

    @property
    def count(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.count * self.dtype.itemsize

    def describe(self) -> str:
        return f"shape {self.shape} {self.dtype.str}"


NPY_LENGTH_FIELD = {(1, 0): "<H", (2, 0): "<I", (3, 0): "<I"}  # the header length's field in each .npy version
NPY_MAX_HEADER = 10_000  # numpy's own limit on the header it parses (``max_header_size``)


@functools.lru_cache(maxsize=256)
def _parsed_header(version: tuple[int, int], raw: bytes) -> tuple:
    """numpy's (shape, fortran order, dtype) of the ``.npy`` header ``raw`` (its length field and text) of format
    ``version``, parsed once per distinct header: the 30 frame files of a tutorial sequence, and every sequence of a
    tree, share one, and numpy parses its text as Python (a tenth of a millisecond each)."""
    read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    return read(io.BytesIO(raw))


def read_npy_header(f, where, name: str = "") -> ArrayHeader:
    """The header of the ``.npy`` stream ``f`` (positioned at its start); :class:`BadInput` naming ``where`` (and the
    member ``name``) when it is not one, declares Python objects, or a shape that is not a tuple of sizes."""
    what = f"{name}: " if name else ""
    try:
        start = f.tell()
        magic = f.read(len(NPY_MAGIC) + 2)
        if magic[:len(NPY_MAGIC)] != NPY_MAGIC or len(magic) < len(NPY_MAGIC) + 2:
            raise BadInput(where, f"{what}not an .npy array")
        version = (magic[-2], magic[-1])
        field = NPY_LENGTH_FIELD.get(version)
        if field is None:
            raise BadInput(where, f"{what}unknown .npy format version {version}")
        size = f.read(struct.calcsize(field))
        if len(size) < struct.calcsize(field):
            raise BadInput(where, f"{what}unreadable .npy header (the file ends inside it)")
        length = struct.unpack(field, size)[0]
        if length > NPY_MAX_HEADER:
            raise BadInput(where, f"{what}unreadable .npy header (it declares {length:,} bytes; numpy reads at most "
                                  f"{NPY_MAX_HEADER:,})")
        text = f.read(length)
        if len(text) < length:
            raise BadInput(where, f"{what}unreadable .npy header (the file ends inside it)")
        shape, fortran, dtype = _parsed_header(version, size + text)
        offset = f.tell() - start
    except BadInput:
        raise
    except Exception as e:  # noqa: BLE001 - numpy parses the header text with tokenize/ast: any of their errors
        raise BadInput(where, f"{what}unreadable .npy header ({first_line(e)})") from None
    if dtype.hasobject:
        raise BadInput(where, f"{what}declares Python objects (dtype {dtype}); signlstm reads numbers and text only "
                              "(names as np.array(names, dtype=str))")
    if any(not isinstance(n, int) or n < 0 for n in shape):
        raise BadInput(where, f"{what}declares an invalid shape {shape}")
    return ArrayHeader(tuple(int(n) for n in shape), dtype, bool(fortran), offset)


def check_held(where, sequences: int, T: int, K: int, dtype, workers: int | None = None) -> None:
    """Refuse (:class:`BadInput` naming ``where``) ``sequences`` of ``T`` x ``K`` values in ``dtype`` that do not fit
    in :func:`memory_budget`: held by the command, or with ``workers`` by each of that many worker processes."""
    dtype = np.dtype(dtype)
    each = sequences * T * K * dtype.itemsize
    budget = memory_budget()
    if each * (workers or 1) <= budget:
        return
    held = (f" = {fmt_bytes(each)} as {dtype.name}" if workers is None else
            f", which each of the {workers} worker process(es) would hold as {dtype.name}: {fmt_bytes(each)} each, "
            f"{fmt_bytes(workers * each)} in all")
    raise BadInput(where, f"declares {sequences:,} sequences of {T} x {K} values{held}, more than the "
                          f"{fmt_bytes(budget)} this command may hold ({budget_source()})"
                          + ("; give fewer --workers" if workers is not None else ""))


def check_declared(where, what: str, shape, dtype, limit: int) -> int:
    """Bytes of an array of ``shape`` and ``dtype``; :class:`BadInput` naming ``where`` and the numbers when they
    exceed ``limit``."""
    dtype = np.dtype(dtype)
    if any(int(n) < 0 for n in shape):
        raise BadInput(where, f"{what} declares an invalid shape {tuple(shape)}")
    nbytes = math.prod(int(n) for n in shape) * dtype.itemsize
    if nbytes > limit:
        raise BadInput(where, f"{what} declares shape {tuple(int(n) for n in shape)} {dtype} = {fmt_bytes(nbytes)}, "
                              f"more than the {fmt_bytes(limit)} this command can hold")
    return nbytes


@dataclass(frozen=True)
class Member:
    """One array member of an ``.npz``: its header and its zip entry's stored and unpacked sizes."""

    name: str
    header: ArrayHeader
    stored: int
    size: int


def _check_ratio(where, name: str, stored: int, size: int) -> None:
    if size > RATIO_FLOOR and size > MAX_RATIO * max(stored, 1):
        raise BadInput(where, f"{name} unpacks from {fmt_bytes(stored)} to {fmt_bytes(size)} ({size / max(stored, 1):.0f} "
                              f"times its size; keypoint data compresses less than {MAX_RATIO} times): refused as a "
                              f"compression bomb (an empty room, no person in any frame, compresses like that too)")


_LOCAL_HEADER = 30  # bytes of a zip local file header before its file name and extra field
_LOCAL_MAGIC = b"PK\x03\x04"


def _open_zip(where, f) -> zipfile.ZipFile:
    """The zip archive open as the binary file ``f``; :class:`BadInput` naming ``where`` when it declares more than
    :data:`MAX_MEMBERS` members, or a directory of more than :data:`MAX_DIRECTORY` bytes (a count understated), read
    from its end record before its directory is read."""
    end = zipfile._EndRecData(f)  # the standard library's reader of the end record (None: not a zip archive)
    f.seek(0)
    if end is not None and end[zipfile._ECD_ENTRIES_TOTAL] > MAX_MEMBERS:
        raise BadInput(where, f"its archive declares {end[zipfile._ECD_ENTRIES_TOTAL]:,} members; signlstm reads "
                              f"archives of at most {MAX_MEMBERS:,} (a packed file holds X, y, seq and actions)")
    if end is not None and end[zipfile._ECD_SIZE] > MAX_DIRECTORY:
        raise BadInput(where, f"its archive's directory is {fmt_bytes(end[zipfile._ECD_SIZE])}, for "
                              f"{end[zipfile._ECD_ENTRIES_TOTAL]:,} members it declares; signlstm reads archives of "
                              f"at most {MAX_MEMBERS:,} members, a directory of at most {fmt_bytes(MAX_DIRECTORY)}")
    return zipfile.ZipFile(f)


def _check_extents(where, f, z: zipfile.ZipFile, infos) -> None:
    """:class:`BadInput` naming ``where``, the member and the numbers when one of ``infos`` (entries of the archive
    ``z``, read from the binary file ``f``) has no local header where the directory places it, or claims stored bytes
    that run past the next entry or the start of the directory (past the end of the file when that is nearer): what
    the directory says of a member's size must fit in the bytes the file holds. A stored (uncompressed) member must
    also unpack to exactly its stored size."""
    size = os.fstat(f.fileno()).st_size
    end = min(size, getattr(z, "start_dir", size))
    starts = sorted({i.header_offset for i in z.infolist()} | {end})
    for info in infos:
        f.seek(info.header_offset)
        local = f.read(_LOCAL_HEADER)
        if len(local) < _LOCAL_HEADER or local[:4] != _LOCAL_MAGIC:
            raise BadInput(where, f"{info.filename}: no zip entry at byte {info.header_offset:,}, where the archive's "
                                  f"directory places it (the file is {size:,} bytes)")
        name_len, extra_len = struct.unpack_from("<HH", local, 26)
        data = info.header_offset + _LOCAL_HEADER + name_len + extra_len
        at = bisect.bisect_right(starts, info.header_offset)  # the first start after this entry's
        limit = starts[at] if at < len(starts) else end
        if data + info.compress_size > limit:
            what = ("the next member" if limit < end else
                    "the archive's directory" if limit < size else "the end of the file")
            raise BadInput(where, f"{info.filename}: its zip entry claims {info.compress_size:,} stored bytes "
                                  f"({fmt_bytes(info.compress_size)}) from byte {data:,}, but {what} begins at byte "
                                  f"{limit:,} (the file is {size:,} bytes): the archive is cut short or its directory "
                                  f"lies")
        if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
            raise BadInput(where, f"{info.filename} is stored uncompressed but its zip entry declares "
                                  f"{info.compress_size:,} stored and {info.file_size:,} unpacked bytes")


def npz_members(path) -> dict[str, Member]:
    """Every ``.npy`` member of the archive ``path`` by array name (``X`` for ``X.npy``), headers read, sizes checked:
    the zip entry's stored bytes must lie within the file (:func:`_check_extents`), it must unpack to exactly the
    header plus the declared array, and not to more than :data:`MAX_RATIO` times its stored size."""
    out = {}
    try:
        with open(path, "rb") as f, _open_zip(path, f) as z:
            infos = [i for i in z.infolist() if i.filename.endswith(".npy")]
            _check_extents(path, f, z, infos)
            for info in infos:
                name = info.filename[:-4]
                if name in out:  # a zip may hold a name twice; numpy reads the last, a reader may take either
                    raise BadInput(path, f"holds {info.filename} twice: which one is the array is not known")
                _check_ratio(path, info.filename, info.compress_size, info.file_size)
                with z.open(info) as m:
                    header = read_npy_header(m, path, info.filename)
                if header.fortran and len(header.shape) > 1:
                    raise BadInput(path, f"{info.filename} is stored in Fortran order; signlstm reads C-order arrays "
                                         "(save np.ascontiguousarray of it)")
                want = header.offset + header.nbytes
                if info.file_size != want:
                    raise BadInput(path, f"{info.filename} declares {header.describe()} ({fmt_bytes(header.nbytes)}) "
                                         f"but its zip entry unpacks to {info.file_size:,} bytes, not {want:,}")
                out[name] = Member(name, header, info.compress_size, info.file_size)
    except BadInput:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError,
            RuntimeError) as e:
        raise BadInput(path, f"not a readable .npz file ({first_line(e)})") from None
    return out


def check_model_archive(path, limit: int = MODEL_LIMIT) -> None:
    """A ``.keras`` file: members that unpack to more than ``limit`` in all (or to more than :data:`MAX_RATIO` times
    their size), and weights files whose datasets declare more than ``limit``, are refused before Keras reads them."""
    try:
        with open(path, "rb") as f, _open_zip(path, f) as z:
            infos = z.infolist()
            total = sum(i.file_size for i in infos)
            if total > limit:
                raise BadInput(path, f"its {len(infos)} archive members unpack to {fmt_bytes(total)}, more than the "
                                     f"{fmt_bytes(limit)} a model may take")
            held = 0
            for info in infos:
                _check_ratio(path, info.filename, info.compress_size, info.file_size)
                if info.filename.endswith(".h5"):
                    with z.open(info) as f:
                        held += check_h5(f, path, limit, member=info.filename)
            if "config.json" in z.namelist() and z.getinfo("config.json").file_size <= MAX_TEXT_FILE:
                _check_config(path, z.read("config.json"), held, limit)
    except BadInput:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError,
            RuntimeError) as e:
        raise BadInput(path, f"not a readable .keras archive ({first_line(e)})") from None


# recurrent layers and their cells: weight matrices of units x units the recurrent kernel holds (one per gate)
_RECURRENT_GATES = {"LSTM": 4, "CompatLSTM": 4, "LSTMCell": 4, "GRU": 3, "CompatGRU": 3, "GRUCell": 3,
                    "SimpleRNN": 1, "CompatSimpleRNN": 1, "SimpleRNNCell": 1}


def least_weight_bytes(config) -> int:
    """Bytes of float32 weights the layers a Keras model configuration (parsed ``config.json``) describes must hold
    at least, counted without building them: a recurrent layer's (or cell's) recurrent kernel (gates x units x
    units), another layer's ``units`` once (a dense layer's bias; its kernel's input width is not counted). Keras
    allocates these when it builds the model, before it reads a weight."""
    least, stack = 0, [config]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            cls, conf = node.get("class_name"), node.get("config")
            units = conf.get("units") if isinstance(conf, dict) else None
            if isinstance(units, int) and not isinstance(units, bool) and units > 0:
                least += 4 * (_RECURRENT_GATES[cls] * units * units if cls in _RECURRENT_GATES else units)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return least


def _check_config(path, text: bytes, held: int, limit: int) -> None:
    """A ``.keras`` archive's ``config.json`` whose layers need more weights than the archive's weights files hold
    (``held`` bytes; a configuration edited after saving) or than ``limit`` is :class:`BadInput`: building it would
    take that memory first."""
    import json

    try:
        least = least_weight_bytes(json.loads(text))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return  # Keras says what is wrong with it
    if least > min(limit, max(held, 0) * 2):
        raise BadInput(path, f"config.json describes layers of at least {fmt_bytes(least)} of weights, but the "
                             f"archive holds {fmt_bytes(held)} (the model's description does not match its weights)")


def check_h5(file, where=None, limit: int = MODEL_LIMIT, member: str = "") -> int:
    """Bytes the HDF5 ``file`` (a path or a seekable binary file) declares in its datasets; :class:`BadInput` when they
    exceed ``limit`` or when it is not HDF5."""
    import h5py

    where = where if where is not None else file
    what = f"{member}: " if member else ""
    sizes = []

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            if obj.dtype.hasobject and obj.dtype.kind != "S":
                raise BadInput(where, f"{what}dataset {name} holds variable-length objects ({obj.dtype})")
            sizes.append((name, obj.shape, math.prod(obj.shape or ()) * obj.dtype.itemsize))

    try:
        with h5py.File(file, "r") as f:
            f.visititems(visit)
    except BadInput:
        raise
    except Exception as e:  # noqa: BLE001 - h5py raises many types for a damaged file; each is a bad file here
        raise BadInput(where, f"{what}not a readable HDF5 file ({first_line(e, typed=True)})") from None
    total = sum(s for _, _, s in sizes)
    if total > limit:
        name, shape, big = max(sizes, key=lambda s: s[2])
        raise BadInput(where, f"{what}its {len(sizes)} weight arrays declare {fmt_bytes(total)} (the largest, {name}, "
                              f"shape {shape} = {fmt_bytes(big)}), more than the {fmt_bytes(limit)} a model may take")
    return total


def trim_freed_memory() -> None:
    """Have glibc give the system back the free memory of its heaps now (``malloc_trim``): after a large native
    object is freed (a MediaPipe graph), the process's resident size falls back. No-op where the C library is not
    glibc."""
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)


def _libc():
    """The C library, through ctypes; None where it cannot be loaded."""
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def return_freed_memory(threshold: int = 1 << 20) -> None:
    """Have glibc hand freed buffers of ``threshold`` bytes or more straight back to the system.

    By default glibc raises its mmap threshold to the size of the last large buffer freed (up to 32 MB), after which
    chunk-sized buffers come from the heap and stay there: a streamed run's RSS then creeps up by 60-100 MB. A fixed
    threshold keeps it flat. No-op where the C library is not glibc.
    """
    libc = _libc()
    if libc is not None and hasattr(libc, "mallopt"):
        libc.mallopt(-3, int(threshold))  # M_MMAP_THRESHOLD
