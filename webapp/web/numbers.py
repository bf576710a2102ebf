"""Whole numbers as requests (and `serve` for its workers) write them: ASCII digits, and few
enough that `int()` takes them ("²" and "①" pass `isdigit()`; `int()` refuses both, and more
than 4,300 digits)."""

from __future__ import annotations

MAX_DIGITS = 18  # any count, size or id the web layer reads fits; no more is worth reading


def whole_number(text: str, *, max_digits: int = MAX_DIGITS) -> int | None:
    """`text` as a whole number when it is 1 to `max_digits` ASCII digits; None otherwise."""
    if not 0 < len(text) <= max_digits or not (text.isascii() and text.isdecimal()):
        return None
    return int(text)
