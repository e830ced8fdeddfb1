"""Text in any script on a BGR picture: sign names such as ``ñandú``, ``schön`` or ``नमस्ते``.

OpenCV's built-in fonts hold ASCII only (``ñandú`` comes out as ``??and??``), so :mod:`signlstm.fronts.render` draws
text that is not ASCII here, with Pillow and a TrueType font: DejaVu Sans, which matplotlib ships (Latin, Greek,
Cyrillic and more), or, for each letter it lacks, the first font installed on the machine that holds it (matplotlib's
font list). Sizes follow OpenCV's: ``scale`` 1 is about as tall as ``cv2.FONT_HERSHEY_SIMPLEX`` at scale 1. Each word is
rendered once per size and thickness and kept (a live view redraws the same labels every frame). The judges' plots
(:mod:`signlstm.judging.metrics`) take their fonts from :func:`fallback_families`.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

MARKS = ("Mn", "Mc", "Me", "Cf")  # Unicode categories drawn with the letter before them (vowel signs, joiners)
PX_PER_SCALE = 30  # DejaVu Sans at 30 px has the capital height (22 px) of FONT_HERSHEY_SIMPLEX at scale 1


def _size(scale: float) -> int:
    return max(6, round(PX_PER_SCALE * scale))


def _stroke(thickness: int) -> int:
    """Pillow's outline width for an OpenCV line thickness (1-2: none; 3: an outline of 1 px, ...)."""
    return max(0, int(thickness) - 2)


@lru_cache(maxsize=1)
def _default_font() -> str:
    import matplotlib

    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")


@lru_cache(maxsize=None)
def _letters(path: str) -> frozenset:
    """The code points the font at ``path`` has a glyph for (read once; the font file is not kept open)."""
    from matplotlib.ft2font import FT2Font

    try:
        return frozenset(FT2Font(path).get_charmap())
    except Exception:  # a font file FreeType cannot read holds no letter
        return frozenset()


def _has(path: str, letter: str) -> bool:
    return ord(letter) in _letters(path)


@lru_cache(maxsize=1)
def _installed() -> tuple[str, ...]:
    """Every font file matplotlib knows, then those installed since its font list was cached (a font installed
    after matplotlib's first run is found too: its list is not read again)."""
    from matplotlib import font_manager

    paths = [e.fname for e in font_manager.fontManager.ttflist]
    known = set(paths)
    return tuple(paths + sorted(p for p in font_manager.findSystemFonts() if p not in known))


def _placeholder(path: str) -> bool:
    """True for a Last Resort font, which "holds" every letter as a placeholder drawing."""
    return "LastResort" in Path(path).name


@lru_cache(maxsize=4096)
def _holder(letter: str) -> str | None:
    """The path of a font that holds ``letter`` (DejaVu Sans first), or None when no installed font but a Last
    Resort one does."""
    if letter.isspace() or _has(_default_font(), letter):
        return _default_font()
    return next((path for path in _installed() if not _placeholder(path) and _has(path, letter)), None)


def font_for(letter: str) -> str:
    """The path of a font that holds ``letter``: DejaVu Sans when it does, else the first installed font that does
    (matplotlib's list, then fonts installed since), else a Last Resort font (a placeholder for every letter, which
    matplotlib ships), else DejaVu Sans (the letter then shows as a box)."""
    found = _holder(letter)
    if found is None:
        found = next((path for path in _installed() if _placeholder(path) and _has(path, letter)), None)
    return found or _default_font()


def undrawable(texts) -> str:
    """The letters of ``texts`` (strings) that no installed font holds, each once, in order: they are drawn as
    placeholders or boxes. Marks and format characters (a vowel sign, a joiner) are drawn with their letter and not
    counted."""
    import unicodedata

    seen: dict[str, None] = {}
    for text in texts:
        for c in _printable(text):
            if unicodedata.category(c) not in MARKS and _holder(c) is None:
                seen.setdefault(c, None)
    return "".join(seen)


def missing_letters_note(labels) -> str | None:
    """A one-line note naming the ``labels`` whose letters no installed font holds (they will show as boxes in a
    picture), or None when every letter can be drawn."""
    from .sign_names import shown_list

    lacking = [name for name in labels if undrawable([name])]
    if not lacking:
        return None
    names = shown_list(lacking, most=5)
    return (f"note: no font installed here holds the letters of {names}; they are drawn as placeholder boxes "
            f"(install a font with that script, e.g. Debian's fonts-noto-core or fonts-noto-cjk)")


def fallback_families(texts) -> list[str]:
    """matplotlib family names of the installed fonts that ``texts`` need beyond DejaVu Sans (each registered with
    matplotlib's font list), for a font fallback list: ``["DejaVu Sans", *fallback_families(labels)]``."""
    from matplotlib import font_manager

    families: list[str] = []
    for path in dict.fromkeys(font_for(c) for text in texts for c in _printable(text)):
        if path == _default_font():
            continue
        try:
            font_manager.fontManager.addfont(path)
            name = font_manager.FontProperties(fname=path).get_name()
        except Exception:  # a font matplotlib cannot read is left out (its letters then show as boxes)
            continue
        if name not in families:
            families.append(name)
    return families


def _runs(text: str) -> list[tuple[str, str]]:
    """``text`` cut into (letters, font path) runs (a space in DejaVu Sans: a placeholder font would draw it; a
    combining mark or a format character, such as a vowel sign or an emoji's variation selector, in its letter's
    run, so that the two are shaped together)."""
    import unicodedata

    runs: list[list[str]] = []
    for c in text:
        if runs and unicodedata.category(c) in MARKS:
            runs[-1][0] += c
            continue
        path = font_for(c)
        if runs and runs[-1][1] == path:
            runs[-1][0] += c
        else:
            runs.append([c, path])
    return [(t, p) for t, p in runs]


@lru_cache(maxsize=64)
def _font(path: str, px: int):
    """Pillow's font at ``px`` pixels; DejaVu Sans when ``path`` cannot be drawn at that size (a colour emoji font
    holds bitmaps of one size only)."""
    from PIL import ImageFont

    try:
        return ImageFont.truetype(path, px)
    except OSError:
        return ImageFont.truetype(_default_font(), px)


def _printable(text: str) -> str:
    """``text`` with each character that is not printable (a line break, a control code) as ``?``, as OpenCV
    draws it: one line, whatever a label holds."""
    return "".join(c if c.isprintable() else "?" for c in text)


@lru_cache(maxsize=2048)
def _mask(word: str, px: int, stroke: int) -> tuple[np.ndarray, int, int]:
    """``word`` (printable, no space) rendered white on black (H, W) uint8, and the offset of its top-left corner
    from the baseline's left end."""
    from PIL import Image, ImageDraw

    placed, x = [], 0.0
    for letters, path in _runs(word):
        font = _font(path, px)
        left, top, right, bottom = font.getbbox(letters, anchor="ls", stroke_width=stroke)
        placed.append((letters, font, x, (x + left, top, x + right, bottom)))
        x += font.getlength(letters)
    x0 = int(np.floor(min(b[0] for *_, b in placed)))
    y0 = int(min(b[1] for *_, b in placed))
    x1 = int(np.ceil(max(b[2] for *_, b in placed)))
    y1 = int(max(b[3] for *_, b in placed))
    im = Image.new("L", (max(1, x1 - x0), max(1, y1 - y0)))
    draw = ImageDraw.Draw(im)
    for letters, font, x, _ in placed:
        draw.text((x - x0, -y0), letters, fill=255, font=font, anchor="ls", stroke_width=stroke, stroke_fill=255)
    return np.asarray(im), x0, y0


@lru_cache(maxsize=4096)
def _advance(word: str, px: int) -> float:
    """How far ``word`` moves the pen along the baseline."""
    return sum(_font(path, px).getlength(t) for t, path in _runs(word))


def _words(text: str) -> list[str]:
    """``text``'s words, printable: each is rendered and measured once and kept, so a label with a number that
    changes every frame (``ñandú 0.42``) costs a few cached pieces, not a new rendering."""
    return _printable(text).split(" ")


def width(text: str, scale: float, thickness: int = 1) -> int:
    """Pixels ``text`` takes along its baseline."""
    px = _size(scale)
    words = _words(text)
    pen = sum(_advance(w, px) for w in words) + (len(words) - 1) * _advance(" ", px)
    return int(np.ceil(pen)) + 2 * _stroke(thickness)


def draw(image: np.ndarray, text: str, org: tuple[int, int], scale: float = 0.6, color=(255, 255, 255),
         thickness: int = 1) -> np.ndarray:
    """Draw ``text`` in place, its baseline starting at ``org`` (as ``cv2.putText``), in BGR ``color``."""
    px, stroke = _size(scale), _stroke(thickness)
    pen, space = float(org[0]), _advance(" ", px)
    for word in _words(text):
        if word:
            _blit(image, *_mask(word, px, stroke), (round(pen), org[1]), color)
        pen += _advance(word, px) + space
    return image


def _blit(image: np.ndarray, mask: np.ndarray, left: int, top: int, org: tuple[int, int], color) -> None:
    """Blend ``color`` into ``image`` through ``mask``, whose top-left corner is (``left``, ``top``) from ``org``."""
    x0, y0 = org[0] + left, org[1] + top
    h, w = image.shape[:2]
    ya, yb, xa, xb = max(0, y0), min(h, y0 + mask.shape[0]), max(0, x0), min(w, x0 + mask.shape[1])
    if ya >= yb or xa >= xb:
        return
    alpha = mask[ya - y0:yb - y0, xa - x0:xb - x0, None].astype(np.float32) / 255.0
    region = image[ya:yb, xa:xb].astype(np.float32)
    image[ya:yb, xa:xb] = (region * (1.0 - alpha) + np.asarray(color, np.float32) * alpha).round().astype(np.uint8)
