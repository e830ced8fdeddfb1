"""What a sign may be called: any name a folder can hold, with something visible in it, in one Unicode spelling,
other than the rejection label :data:`NONE` in another case; and how a long one is shown in a message. ``collect``,
``extract``, the sequence writer, the data loader and the web page use these."""
from __future__ import annotations

import unicodedata

NONE = "none"  # the rejection label: none of the known signs


def is_rejection_name(name) -> bool:
    """True when ``name`` is :data:`NONE` in any case ("none", "None", "NONE"): the model's answer for anything that
    is not one of the signs, never a sign's own name."""
    return str(name).casefold() == NONE


def rejection_problem(name: str, none_ok: bool = True) -> str | None:
    """Why ``name`` cannot be a sign's name as a spelling of the rejection label :data:`NONE`, else None: ``none`` in
    another case ("None", "NONE") would be taught as a sign; ``none`` itself names recordings of no sign, and is
    refused only without ``none_ok`` (where every name must be a sign's: a list of signs to learn, the web page)."""
    if not is_rejection_name(name) or (none_ok and name == NONE):
        return None
    if not none_ok:
        return "is the answer for anything that is not one of your signs, not a sign to record"
    return (f"is the rejection label '{NONE}' in another case, not a sign name: call the sign something else, or "
            f"'{NONE}' for recordings of no sign")


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an action's folder in ``MP_Data`` (a ``/``, ``\\``, NUL or leading dot; more than 255
    bytes; a control, format or line-separator character; nothing visible; the rejection label in another case,
    :func:`rejection_problem`), else None. (Names are taken in Unicode's composed form, :func:`sign_name`, before
    they are checked.)"""
    if not name.strip() or "/" in name or "\\" in name or "\0" in name or name.startswith("."):
        return "cannot be a folder name (no /, \\, leading dot or NUL)"
    if len(name.encode("utf-8")) > 255:
        return f"is {len(name.encode('utf-8'))} bytes long; a folder name holds at most 255"
    kinds = [unicodedata.category(c) for c in name]
    if any(k[0] == "C" or k in ("Zl", "Zp") for k in kinds):
        return "holds a control, format or line-separator character"
    if not any(k[0] in "LNPS" and c != "\u2800" for c, k in zip(name, kinds)):  # U+2800: the blank braille cell
        return "has no visible character"
    return rejection_problem(name)


def shown_name(name: str, most: int = 40) -> str:
    """``name`` for a message: its first ``most`` characters, then "..." when it is longer."""
    return name if len(name) <= most else name[:most] + "..."


def sign_name(name: str) -> str:
    """A sign's name as typed, in Unicode's composed form (NFC): two spellings of one letter are one sign."""
    return unicodedata.normalize("NFC", name)
