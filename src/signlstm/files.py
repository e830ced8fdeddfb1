"""Where files go: atomic writing (a temp file beside the target, flushed to the disk, renamed into place) and the
user cache folder."""
from __future__ import annotations

import errno
import os
import tempfile
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from .interrupts import check_not_interrupted, interrupts_held

DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)  # a write the disk has no room for, whatever file it names


def made_parents(path: str | Path) -> list[Path]:
    """Create the missing folders above ``path``; return those created, deepest first (for :func:`remove_made`). An
    ``OSError`` (not writable, a file in the way) is raised as the machine gives it."""
    made, folder = [], Path(path).parent
    while not folder.exists() and not folder.is_symlink() and folder != folder.parent:
        made.append(folder)
        folder = folder.parent
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return made


def remove_made(made: list[Path]) -> None:
    """Remove the folders :func:`made_parents` created, deepest first, as long as they are empty."""
    for folder in made:
        try:
            folder.rmdir()
        except OSError:
            return


OLD_SEP, OLD_SUFFIX = ".old-", "prev"  # the name of a replaced output folder while its successor is renamed in


def temp_prefix(name: str, sep: str = ".", pid: int | None = None) -> str:
    """The start of a hidden temp name beside the output ``name``: ``.<name><sep><pid>-<machine>.``, the process that
    writes it (``pid``, default this one) and a short hash of the process table it is in (this machine's name, boot
    and process namespace), so that :func:`sweep_leftovers` can tell, after that process was killed (SIGKILL, a power
    cut), that the temp is nobody's. A name too long to hold the tag gets the process id only (and is never swept)."""
    pid = os.getpid() if pid is None else pid
    prefix = f".{name}{sep}{pid}-{_machine()}."
    return prefix if len(os.fsencode(prefix)) <= _TAGGED_MAX else f".{name}{sep}{pid}."


_TAGGED_MAX = 236  # a file name holds 255 bytes: the tagged prefix, 8 random characters and a suffix such as .partial
_SWEPT: set = set()  # the folders swept by this process


@lru_cache(maxsize=1)
def _machine() -> str:
    """A short hash of what makes a process id mean one process: the machine's name, its boot and the process
    namespace (two containers of one name, or two machines of one name on a shared disk, hash apart)."""
    import hashlib
    import socket

    where = [socket.gethostname()]
    try:
        where.append(Path("/proc/sys/kernel/random/boot_id").read_text().strip())
        where.append(str(os.stat("/proc/self/ns/pid").st_ino))
    except OSError:  # not Linux: the name alone
        pass
    return hashlib.sha1("/".join(where).encode("utf-8", "replace")).hexdigest()[:6]


def sweep_leftovers(folder: str | Path) -> None:
    """Remove the hidden temp files and folders (named by :func:`temp_prefix`) that processes of this machine left in
    ``folder`` when they were killed before they could clean up, i.e. whose process is no longer running; an output
    folder that such a process had moved aside to replace it (``_swap_folders``) and whose successor it never renamed
    in (its ``.partial`` folder is still there) is renamed back instead, while nothing holds its name. Once per folder
    and process; nothing else is touched, and what the machine refuses to remove stays. Only where processes can be
    asked whether they run without being signalled (POSIX)."""
    import re
    import shutil

    key = str(Path(folder).absolute())
    if os.name != "posix" or key in _SWEPT:
        return
    _SWEPT.add(key)
    tag = re.compile(rf"[.-](\d+)-{_machine()}\.")
    moved = re.compile(rf"\.(.+){re.escape(OLD_SEP)}\d+-{_machine()}\.{OLD_SUFFIX}")
    try:
        entries = [e for e in os.scandir(key) if e.name.startswith(".")]
    except OSError:
        return
    names = [e.name for e in entries]
    for entry in entries:
        found = tag.search(entry.name)
        if found is None or _running(int(found.group(1))):
            continue
        aside = moved.fullmatch(entry.name)
        if aside:  # put back while its successor (the writer's .partial) never came in and nothing took its name
            own, successor = os.path.join(key, aside.group(1)), temp_prefix(aside.group(1), pid=int(found.group(1)))
            if not os.path.lexists(own) and any(n.startswith(successor) and n.endswith(".partial") for n in names):
                try:
                    os.rename(entry.path, own)
                except OSError:
                    pass
                continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            pass


def temp_file(folder: str | Path, name: str, suffix: str) -> tuple[int, str]:
    """A new hidden temp file in ``folder`` for the output ``name`` (its open descriptor and path), named by
    :func:`temp_prefix` after :func:`sweep_leftovers` of ``folder``. ``OSError`` as the machine gives it."""
    sweep_leftovers(folder)
    return tempfile.mkstemp(prefix=temp_prefix(name), suffix=suffix, dir=folder)


def temp_folder(folder: str | Path, name: str, suffix: str = "", sep: str = ".") -> Path:
    """:func:`temp_file`'s folder: a new hidden temp folder in ``folder`` for the output ``name``."""
    sweep_leftovers(folder)
    return Path(tempfile.mkdtemp(prefix=temp_prefix(name, sep), suffix=suffix, dir=folder))


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists (signal 0 asks without signalling; a process of another user exists too)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True
    return True


def usual_permissions(path: str | Path, folder: bool = False) -> None:
    """Give a file (0666) or folder (0777) made by ``tempfile`` (0600 / 0700) the permissions of the umask."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, (0o777 if folder else 0o666) & ~umask)


def not_written(out: str | Path, error: OSError):
    """The :class:`~signlstm.errors.BadInput` for ``out`` when writing it failed with ``error`` (a full disk, a file
    too large, a folder that is not writable)."""
    from .errors import BadInput

    if error.strerror:
        why = error.strerror
    elif "errno = 28" in str(error) or "No space left" in str(error):  # HDF5's own words for a full disk
        why = "No space left on device"
    else:
        why = f"the write was cut short: {' '.join(str(error).split())[:200]}; is the disk full?"  # one line
    return BadInput(out, f"cannot be written ({why})")


def flush(path: str | Path) -> None:
    """Have the disk hold what was written to the file ``path``, or a folder's list of names, before going on: a rename
    after it then puts in place data that a power cut does not take back. A file system that cannot (some network
    and FUSE mounts refuse ``fsync``) is left as it is."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def flush_tree(folder: str | Path) -> None:
    """:func:`flush` for every file and folder written under ``folder``, in one call: ``syncfs`` of the file system
    that holds it (Linux; ``os.sync`` where there is one), not a sync per file (a tree of frame files holds
    thousands)."""
    import ctypes

    try:
        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError, TypeError):  # no syncfs (macOS) or no C library to ask (Windows)
        if hasattr(os, "sync"):
            os.sync()
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        syncfs(fd)
    finally:
        os.close(fd)


def write_atomic(out: str | Path, write) -> None:
    """Call ``write(tmp_path)`` then rename the temp file onto ``out``. A path the machine refuses (no such folder,
    not writable, a folder in the way) or a write it cannot finish (a full disk) is
    :class:`~signlstm.errors.BadInput` naming ``out``; nothing is left, not even the folders made for it."""
    from .errors import BadInput

    out = Path(out)
    if out.is_dir():
        raise BadInput(out, "is a folder; give a file name")
    made = []
    try:
        made = made_parents(out)
        fd, tmp = temp_file(out.parent, out.name, ".tmp")
    except OSError as e:
        remove_made(made)
        raise not_written(out, e) from None
    os.close(fd)
    try:
        write(tmp)
        usual_permissions(tmp)
        flush(tmp)
        check_not_interrupted()
        os.replace(tmp, out)
        flush(out.parent)
    except BaseException as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        remove_made(made)
        if isinstance(e, OSError) and (e.filename in (None, tmp, str(out)) or e.errno in DISK_FULL):
            raise not_written(out, e) from None
        raise


def _swap_folders(tmp: Path, out: Path) -> None:
    """Put the folder ``tmp`` in the place of the existing folder ``out`` and remove the old one: two renames and the
    removal with Ctrl-C held (and dropped: the write is then done), the old folder put back if the second rename
    fails."""
    import shutil

    # a writer killed between the two renames leaves this name, which the next sweep puts back
    old = out.with_name(temp_prefix(out.name, OLD_SEP) + OLD_SUFFIX)
    with interrupts_held(drop=True):  # once both renames are done the new folder is written: not interrupted
        os.rename(out, old)
        try:
            os.rename(tmp, out)
        except BaseException:
            os.rename(old, out)
            raise
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def folder_atomic(out: str | Path, replace: bool = False):
    """A temporary folder beside ``out`` to fill in the ``with`` block, renamed onto ``out`` (absent or an empty
    folder; with ``replace``, also a folder holding files, which the caller has checked may go) when the block ends;
    on an error or Ctrl-C it is removed, with the folders made for it, and ``out`` is untouched. A write the machine
    refuses or cannot finish is :class:`~signlstm.errors.BadInput` naming ``out``."""
    import shutil

    out = Path(out)
    if replace and out.is_symlink() and out.is_dir():  # a link to an earlier output: that folder is replaced
        out = out.resolve()
    made = []
    try:
        made = made_parents(out)
        tmp = temp_folder(out.parent, out.name, ".partial")
    except OSError as e:
        remove_made(made)
        raise not_written(out, e) from None
    try:
        usual_permissions(tmp, folder=True)
        yield tmp
        flush_tree(tmp)
        check_not_interrupted()
        try:
            if replace and out.is_dir() and any(out.iterdir()):  # (a link to a folder was resolved above)
                _swap_folders(tmp, out)
            else:
                os.replace(tmp, out)  # onto an empty folder too
        except OSError as e:
            raise not_written(out, e) from None
        flush(out.parent)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        remove_made(made)
        if isinstance(e, OSError) and (e.filename is None or e.errno in DISK_FULL):  # whatever file was copied
            raise not_written(out, e) from None
        raise


def write_text(out: str | Path, text: str) -> None:
    """Write a text file atomically."""
    write_atomic(out, lambda p: Path(p).write_text(text))


def cache_dir(cache: str | Path | None = None) -> Path:
    """``cache`` if given, else ``$SIGNLSTM_CACHE``, else the user cache folder (``$XDG_CACHE_HOME`` or
    ``~/.cache``) / signlstm. Never inside the checkout."""
    if cache:
        return Path(cache)
    if os.environ.get("SIGNLSTM_CACHE"):
        return Path(os.environ["SIGNLSTM_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "signlstm"
