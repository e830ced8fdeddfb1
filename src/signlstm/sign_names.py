"""What a sign may be called: any name a folder can hold, with something visible in it, in one Unicode spelling,
other than the rejection label :data:`NONE` in another case; and how a long one is shown in a message. ``collect``,
``extract``, the sequence writer, the data loader and the web page use these. Also when two names are one sign
(:func:`sign_key`): "Thank You" and "thanks"; and a list of signs read from a text file (:func:`read_sign_list`)."""
from __future__ import annotations

import unicodedata

from .errors import REORDERING

NONE = "none"  # the rejection label: none of the known signs
# The zero-width non-joiner and joiner: format characters that are part of how Persian, Hindi and other scripts
# spell words, not control characters.
JOINERS = {"\u200c", "\u200d"}
FEWEST_SIGNS = 2  # in a vocabulary: one sign alone has nothing to tell apart
SKIPPED_FOLDER = "__MACOSX"  # what macOS's unzip puts beside a zip's files: no sign's folder
# Letters and symbols that draw nothing: the blank braille cell, the Hangul fillers, the combining grapheme joiner and
# the variation selectors (Unicode's default-ignorable code points among letters, marks and symbols).
BLANK = frozenset(["\u2800", "\u115f", "\u1160", "\u3164", "\uffa0", "\u034f",
                   *map(chr, range(0xFE00, 0xFE10)), *map(chr, range(0xE0100, 0xE01F0))])
# Spellings of one sign seen in recorded folder names, by normalised name (:func:`sign_key`).
SAME_SIGN = {"thankyou": "thanks", "ily": "iloveyou"}


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
    """Why ``name`` cannot be an action's folder in ``MP_Data`` (a ``/``, ``\\``, NUL or leading dot; a leading ``-``,
    which a list of ``--actions`` would take for an option; more than 255 bytes; a control, format or
    line-separator character; nothing visible; the rejection label in another case, :func:`rejection_problem`), else
    None. (Names are taken in Unicode's composed form, :func:`sign_name`, before they are checked.)"""
    if not name.strip() or "/" in name or "\\" in name or "\0" in name or name.startswith("."):
        return "cannot be a folder name (no /, \\, leading dot or NUL)"
    if name == SKIPPED_FOLDER:
        return "is the folder macOS's unzip leaves, which every reader of a tree skips"
    if len(name.encode("utf-8", "surrogatepass")) > 255:  # first: the checks below take memory by the character
        return f"is {len(name.encode('utf-8', 'surrogatepass'))} bytes long; a folder name holds at most 255"
    if problem := option_problem(name) or text_problem(name):
        return problem
    kinds = [unicodedata.category(c) for c in name]
    if any(k[0] == "C" and c not in JOINERS for c, k in zip(name, kinds)):
        return "holds a control, format or line-separator character"
    if not any(k[0] in "LNPS" and c not in BLANK for c, k in zip(name, kinds)):
        return "has no visible character"
    if name[0] in JOINERS or name[-1] in JOINERS:  # "hello" + a joiner would be a second "hello"
        return "begins or ends with a zero-width joiner, which joins nothing there"
    return rejection_problem(name)


def option_problem(name: str) -> str | None:
    """Why ``name`` cannot be given in a command's list of ``--actions`` (it starts with ``-``, as an option does),
    else None."""
    return "starts with '-' (a list of --actions would take it for an option)" if name.startswith("-") else None


def text_problem(name: str) -> str | None:
    """Why ``name`` cannot be shown as a sign's name on one line, wherever it comes from (bytes that are not UTF-8
    text; a control character such as a line break or a tab; a line or paragraph separator), else None.
    :func:`name_problem` refuses more for a name given to a new folder."""
    kinds = [unicodedata.category(c) for c in name]
    if any(k == "Cs" for k in kinds):  # a lone surrogate: bytes that were not text (a name given as such on Linux)
        return "is not valid text (it holds bytes that are not UTF-8)"
    if any(k in ("Cc", "Zl", "Zp") for k in kinds):
        return "holds a control or line-separator character (a line break, a tab)"
    return None


def reorder_problem(name: str) -> str | None:
    """Why ``name`` would show the text after it in another order (it holds a bidirectional embedding, override or
    isolate, :data:`~signlstm.errors.REORDERING`), else None."""
    if any(c in REORDERING for c in name):
        return "holds a character that reorders the text shown after it (a right-to-left override or isolate)"
    return None


PAGE_NAME_MOST = 40  # characters of a sign's name from the web page
NOT_ON_EVERY_DISK = ':*?"<>|'  # characters some file systems refuse in a folder name
# Names Windows keeps for devices, with or without an extension ("con", "nul.txt"): no folder there can have them
# (Microsoft's list: COM and LPT with a digit, also 0 and the superscripts 1-3; and the console's CONIN$, CONOUT$).
WINDOWS_DEVICES = {"con", "prn", "aux", "nul", "conin$", "conout$",
                   *(f"{port}{n}" for port in ("com", "lpt") for n in (*"0123456789", "\u00b9", "\u00b2", "\u00b3"))}


def windows_problem(name: str) -> str | None:
    """Why a folder called ``name`` cannot be made, or would be another name's folder, on Windows, else None: a
    device name (:data:`WINDOWS_DEVICES`) or a dot at the end (Windows drops it: "a." would be "a")."""
    if name.split(".")[0].rstrip(" ").lower() in WINDOWS_DEVICES:
        return "is a device name on Windows (CON, NUL, COM1...), which no folder there can have"
    if name.endswith("."):
        return "ends with a dot, which Windows drops from a folder name"
    return None


def page_name_problem(name: str) -> str | None:
    """Why ``name`` (in Unicode's composed form) cannot be a sign's name sent by the web page, else None: what
    :func:`name_problem` refuses, ``none`` itself (every name from a page is a sign to record), more than
    :data:`PAGE_NAME_MOST` characters, a space at either end, a character of :data:`NOT_ON_EVERY_DISK` or a name
    Windows refuses (:func:`windows_problem`): the server's folders may be on any disk."""
    problem = rejection_problem(name, none_ok=False) or name_problem(name)
    if problem:
        return problem
    if len(name) > PAGE_NAME_MOST:
        return f"is {len(name)} characters long; the page takes at most {PAGE_NAME_MOST}"
    if name != name.strip():
        return "begins or ends with a space"
    if any(c in NOT_ON_EVERY_DISK for c in name):
        return f"holds one of {NOT_ON_EVERY_DISK}, which some disks refuse in a folder name"
    return windows_problem(name)


def shown_name(name: str, most: int = 40) -> str:
    """``name`` for a message: its first ``most`` characters (fewer where the cut would split a letter made of
    several: a syllable of Hangul jamo, a letter and its marks), then "..." when it is longer; a control, format or
    line-separator character shown as its escape (``\\x1b``, ``\\u2028``), so a message stays one line and sends
    nothing to the terminal."""
    short = name if len(name) <= most else name[:_whole_cut(name, most)] + "..."
    return "".join(c.encode("unicode_escape").decode("ascii")
                   if (unicodedata.category(c)[0] == "C" and c not in JOINERS) or unicodedata.category(c) in ("Zl", "Zp")
                   else c for c in short)


def _joins_before(before: str, c: str) -> bool:
    """Whether ``c`` belongs to the letter drawn with ``before`` (a cut between them would split one letter): a mark, a
    joiner or the character after one, a letter after a virama (an Indic conjunct), a variation selector, a Hangul
    vowel or final consonant jamo, Thai and Lao's SARA AM, an emoji skin tone or tag."""
    o = ord(c)
    return (unicodedata.category(c)[0] == "M" or c in JOINERS or before == "\u200d" or c in BLANK
            or unicodedata.combining(before) == 9 and unicodedata.category(c) == "Lo" or c in "\u0e33\u0eb3"
            or 0x1160 <= o <= 0x11FF or 0xD7B0 <= o <= 0xD7FF or 0x1F3FB <= o <= 0x1F3FF or 0xE0020 <= o <= 0xE007F)


def _flag_letter(c: str) -> bool:
    """Whether ``c`` is a regional indicator (two make a flag)."""
    return 0x1F1E6 <= ord(c) <= 0x1F1FF


def _joins_at(name: str, i: int) -> bool:
    """Whether ``name[i]`` belongs to the letter drawn with ``name[i - 1]`` (:func:`_joins_before`; a flag's second
    regional indicator: an odd count of them runs up to ``i``)."""
    if _flag_letter(name[i]):
        run = 0
        while i - 1 - run >= 0 and _flag_letter(name[i - 1 - run]):
            run += 1
        return run % 2 == 1
    return _joins_before(name[i - 1], name[i])


def _whole_cut(name: str, most: int) -> int:
    """Where to cut ``name`` to at most ``most`` characters without splitting a letter drawn from several (a
    syllable of Hangul jamo, a letter and its marks); at ``most`` when its first letter alone is longer."""
    cut = most
    while 0 < cut < len(name) and _joins_at(name, cut):
        cut -= 1
    return cut or most


def checked_names(names, option: str = "--actions") -> list[str]:
    """``names`` in Unicode's composed form (:func:`sign_name`), or :class:`~signlstm.errors.SignlstmError` (naming
    ``option``) for the first that cannot be a sign's name (:func:`name_problem`) or is given twice: a list of labels
    with a name twice would give two outputs one name, or record one sign twice over."""
    from .errors import SignlstmError

    out, seen = [sign_name(a) for a in names], set()
    for a in out:
        if problem := name_problem(a):
            raise SignlstmError(f"{option}: '{shown_name(a)}' {problem}")
        if a in seen:
            raise SignlstmError(f"{option}: '{shown_name(a)}' is given twice; each label names one output")
        seen.add(a)
    return out


def sign_name(name: str) -> str:
    """A sign's name as typed, in Unicode's composed form (NFC): two spellings of one letter are one sign."""
    return unicodedata.normalize("NFC", name)


def look_alike_key(name: str) -> str:
    """What two names that look the same share: the composed form, spaces around dropped and runs of them as one
    ("thank  you " and "thank you")."""
    return " ".join(sign_name(name).split())


def sign_key(label: str) -> str:
    """A label as the sign it names: case, spaces and punctuation ignored, known spellings merged
    (:data:`SAME_SIGN`): "Thank You", "thank_you" and "thanks" are one sign. Letters, digits and the marks that
    make letters in many scripts (Devanagari's vowel signs) count; a name of punctuation alone keeps itself."""
    name = sign_name(str(label))
    key = "".join(ch for ch in name.casefold() if ch.isalnum() or unicodedata.category(ch)[0] == "M")
    return SAME_SIGN.get(key, key) if key else name


def _by_sign(labels) -> dict[str, list[str]]:
    """``labels`` grouped by :func:`sign_key`, in the order of each group's first label."""
    by_key: dict[str, list[str]] = {}
    for a in labels:
        by_key.setdefault(sign_key(a), []).append(a)
    return by_key


def same_signs(labels, names) -> dict[str, str]:
    """Each of ``labels`` that is one of ``names`` under another spelling (:func:`sign_key`: "Hello", "thank you"
    for "hello", "thanks"), mapped to that name; labels spelled as a name, or naming none of them, are left out."""
    names = list(names)
    by_key = _by_sign(names)
    # a label spelled as one of the names is that name; a key two names share ("I" and "i") maps to neither
    return {a: by_key[sign_key(a)][0] for a in labels if a not in names and len(by_key.get(sign_key(a), ())) == 1}


def not_among(labels, signs) -> list[bool]:
    """For each of ``labels``, whether it names none of ``signs`` under any spelling (:func:`sign_key`; ``none`` among
    ``signs`` counts for nothing): a recording of it may stand for another sign beside them."""
    keys = {sign_key(a) for a in signs if a != NONE}
    return [sign_key(a) not in keys for a in labels]


def respelling_hint(labels, names) -> str:
    """For each of ``labels`` that is one of ``names`` in another spelling (:func:`same_signs`), "; it calls 'Hello'
    'hello': give --actions hello" (the name quoted for a shell where it needs it), to end a message; else ""."""
    import shlex

    return "".join(f"; it calls '{a}' '{b}': give --actions {shlex.quote(b)}" for a, b in same_signs(labels,
                                                                                                     names).items())


def spelled_alike(labels) -> list[list[str]]:
    """The groups of two or more of ``labels`` that name one sign (:func:`sign_key`: "thanks" and "thank you"), in
    the order of their first label."""
    return [names for names in _by_sign(labels).values() if len(names) > 1]


def spelled_alike_note(labels) -> str | None:
    """The note for labels of the data that look like one sign spelled in different ways ("thanks" and "thank you"),
    which a command learns as different signs, or None."""
    groups = spelled_alike(labels)
    if not groups:
        return None
    said = "; ".join(" and ".join(f"'{shown_name(a)}'" for a in g) for g in groups)
    return (f"note: {said} look like one sign spelled in different ways; they are taken as different signs (give "
            "them one name to make them one)")


def case_twins(names) -> list[list[str]]:
    """The groups of two or more of ``names`` that differ only in case (as a disk that ignores case compares them:
    "Hello" and "hello", not "straße" and "STRASSE"), in the order of their first name."""
    by_case: dict[str, list[str]] = {}
    for name in dict.fromkeys(names):
        by_case.setdefault(name.lower(), []).append(name)
    return [group for group in by_case.values() if len(group) > 1]


def case_twin(name: str, names) -> str | None:
    """The first of ``names`` that differs from ``name`` only in case (:func:`case_twins`), else None."""
    return next((n for group in case_twins([name, *names]) if name in group for n in group if n != name), None)


def case_clash(other: str, where: str, disk: str) -> str:
    """Why a sign cannot be recorded beside ``other`` (recorded or being recorded, as ``where`` says), from which it
    differs only in case, where ``disk`` takes such names for one folder (:func:`case_twin`)."""
    return (f"differs only in case from '{shown_name(other)}', {where}, and {disk} takes such names for one folder: "
            "use that name or another")


def columns(text: str) -> int:
    """How many terminal columns ``text`` takes: two for a wide letter (Chinese, Japanese, Korean, full-width forms),
    none for a combining mark or a format character (a vowel sign, a joiner), one for any other."""
    width = 0
    for c in text:
        if unicodedata.category(c) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1
    return width


def fit_columns(text: str, width: int, right: bool = False) -> str:
    """``text`` cut to at most ``width`` terminal columns (:func:`columns`; a mark stays with its letter) and padded
    with spaces to exactly ``width``, on the left when ``right`` (a table's right-aligned column)."""
    cut = ""
    for c in text:
        if columns(cut + c) > width:
            break
        cut += c
    pad = " " * (width - columns(cut))
    return pad + cut if right else cut + pad


def name_column(names, least: int):
    """For a table's column of ``names`` (people, signs): a function that shows a name whole (:func:`shown_name`)
    padded to the column's width, in terminal columns (:func:`columns`): ``least``, or one more than the widest
    name."""
    def shown(name) -> str:  # whole, whatever its length: two long names may differ only at their ends
        return shown_name(str(name), len(str(name)))

    width = max([least, *(columns(shown(n)) + 1 for n in names)])
    return lambda name: fit_columns(shown(name), width)


def quoted_names(names, always: bool = False) -> str:
    """``names`` for one line of output, comma-separated, each whole as :func:`shown_name` shows it (a control
    character as its escape, a joiner kept), in quotes when a space or a comma would blur where it ends, an escape
    was made, or ``always``."""
    shown = [(a, shown_name(a, len(a))) for a in map(str, names)]
    return ", ".join(f"'{s}'" if always or s != a or any(c.isspace() or c == "," for c in a) else s for a, s in shown)


def shown_list(names, most: int = 10, whole: bool = False) -> str:
    """``names`` for a message: each as :func:`shown_name` shows it (``whole``: not cut, as a path), comma-separated,
    the first ``most`` and then how many more."""
    names = [str(n) for n in names]
    shown = ", ".join(shown_name(n, len(n) if whole else 40) for n in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def rejection_note(counts: dict[str, int]) -> str | None:
    """One line for recordings left out because their label is the rejection label: ``counts`` per label spelling."""
    if not sum(counts.values()):
        return None
    labels = " and ".join(f"'{a}'" for a in sorted(counts))
    return (f"note: left out {sum(counts.values())} recording(s) labelled {labels} (the rejection label is not a "
            "sign)")


LINE_MOST = 1024  # characters of a line of a list of signs: composed, more are always over 255 bytes (a character
# composes at most four into one)


def read_sign_list(path) -> list[str]:
    """The signs of an actions file, in order: one per line, stripped, in Unicode's composed form, blank and ``#``
    lines skipped, repeats once. A name no folder can have (:func:`name_problem`), ``none`` in any
    case, or an unreadable file raises :class:`BadInput`."""
    from .errors import BadInput
    from .limits import read_small

    try:
        text = read_small(path, "list of signs").decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise BadInput(path, f"cannot be read as UTF-8 text ({e.__class__.__name__})") from None
    names = {}  # (a dict: in order, and a repeat found at once, however long the list)
    for n, line in enumerate(text.split("\n"), 1):  # lines end at \n only: a U+2028 is refused, not a new line
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if len(line) > LINE_MOST:  # refused before its composed form is made, which takes memory by the character
            raise BadInput(path, f"line {n}: '{shown_name(line)}' is {len(line.encode('utf-8', 'surrogatepass'))} "
                                 "bytes long; a folder name holds at most 255")
        name = sign_name(line)
        problem = rejection_problem(name, none_ok=False) or name_problem(name)
        if problem:
            raise BadInput(path, f"line {n}: '{shown_name(name)}' {problem}")
        names.setdefault(name)
    if not names:
        raise BadInput(path, "no sign names (one per line)")
    return list(names)
