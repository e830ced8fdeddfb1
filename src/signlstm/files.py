"""Where files go: atomic writing (a temp file beside the target, renamed into place) and the user cache folder."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(out: str | Path, write) -> None:
    """Call ``write(tmp_path)`` then rename the temp file onto ``out``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
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
