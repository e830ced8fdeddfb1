"""What a sign may be called: any name a folder can hold, with something visible in it, in one Unicode spelling;
and how a long one is shown in a message. ``collect``, ``extract``, the sequence writer and the web page use these."""
from __future__ import annotations

import unicodedata


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an action's folder in ``MP_Data`` (a ``/``, ``\\``, NUL or leading dot; more than 255
    bytes; a control, format or line-separator character; nothing visible), else None. (Names are taken in Unicode's
    composed form, :func:`sign_name`, before they are checked.)"""
    if not name.strip() or "/" in name or "\\" in name or "\0" in name or name.startswith("."):
        return "cannot be a folder name (no /, \\, leading dot or NUL)"
    if len(name.encode("utf-8")) > 255:
        return f"is {len(name.encode('utf-8'))} bytes long; a folder name holds at most 255"
    kinds = [unicodedata.category(c) for c in name]
    if any(k[0] == "C" or k in ("Zl", "Zp") for k in kinds):
        return "holds a control, format or line-separator character"
    if not any(k[0] in "LNPS" and c != "\u2800" for c, k in zip(name, kinds)):  # U+2800: the blank braille cell
        return "has no visible character"
    return None


def shown_name(name: str, most: int = 40) -> str:
    """``name`` for a message: its first ``most`` characters, then "..." when it is longer."""
    return name if len(name) <= most else name[:most] + "..."


def sign_name(name: str) -> str:
    """A sign's name as typed, in Unicode's composed form (NFC): two spellings of one letter are one sign."""
    return unicodedata.normalize("NFC", name)
