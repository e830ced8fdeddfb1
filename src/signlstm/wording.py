"""Counts in the words of a message: ``1 frame``, ``2 frames``, ``1 person``, ``3 people``."""
from __future__ import annotations


def counted(n, noun: str, plural: str | None = None, grouped: bool = False) -> str:
    """``n`` followed by ``noun`` when ``n`` is 1, else by its plural (``plural``, by default ``noun`` + ``s``); with
    ``grouped``, ``n`` with thousands separators (``1,662 values``)."""
    word = noun if n == 1 else plural or noun + "s"
    return f"{n:,} {word}" if grouped else f"{n} {word}"
