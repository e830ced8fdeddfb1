"""Where files go: atomic writing (a temp file beside the target, renamed into place) and the user cache folder."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(out: str | Path, write) -> None:
    """Call ``write(tmp_path)`` then rename the temp file onto ``out``. A path the machine refuses (no such folder,
    not writable, a folder in the way) is :class:`~signlstm.errors.BadInput` naming ``out``; nothing is left."""
    from .errors import BadInput

    out = Path(out)
    if out.is_dir():
        raise BadInput(out, "is a folder; give a file name")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    except OSError as e:
        raise BadInput(out, f"cannot be written ({e.strerror or e})") from None
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, out)
    except BaseException as e:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(e, OSError) and e.filename in (tmp, str(out)):
            raise BadInput(out, f"cannot be written ({e.strerror or e})") from None
        raise


def check_folder_out(out: str | Path, marker: str) -> None:
    """Refuse (:class:`~signlstm.errors.BadInput`) an output folder that would replace something other than an
    earlier output of the same kind: an existing file, or a non-empty folder without ``marker`` (e.g. the data
    folder itself given as ``--out``). An absent or empty folder, or one holding ``marker``, may be (re)written."""
    from .errors import BadInput

    path = Path(out)
    if path.is_dir():
        if (path / marker).is_file() or not any(path.iterdir()):
            return
        raise BadInput(path, f"a folder that is not a model (no {marker}): signlstm replaces only a model folder; "
                             "choose another output folder")
    if path.exists() or path.is_symlink():
        raise BadInput(path, "exists and is not a folder: choose another output folder")


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
