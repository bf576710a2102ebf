"""How wide a line of text is drawn, estimated without a browser: the graph's SVG labels are
wrapped to their node by it (an SVG <text> never wraps itself)."""

from __future__ import annotations

import unicodedata

# Advance widths in em of DejaVu Sans Bold (what system-ui and weight 600 give on Debian, and
# among the widest sans-serifs: a line that fits in it fits in Segoe UI, SF or Roboto), as
# Chromium measures them, for printable ASCII from the space to "~".
_ASCII = (
    ".35 .46 .52 .84 .70 1.0 .87 .31 .46 .46 .52 .84 .38 .42 .38 .37 .70 .70 .70 .70 .70 .70 "
    ".70 .70 .70 .70 .40 .40 .84 .84 .84 .58 1.0 .77 .76 .73 .83 .68 .68 .82 .84 .37 .37 .77 "
    ".64 1.0 .84 .85 .73 .85 .77 .72 .68 .81 .77 1.1 .77 .72 .73 .46 .37 .46 .84 .50 .50 .67 "
    ".72 .59 .72 .68 .44 .72 .71 .34 .34 .67 .34 1.04 .71 .69 .72 .72 .49 .60 .48 .71 .65 .92 "
    ".65 .65 .58 .71 .37 .71 .84"
)
_WIDTHS = {chr(32 + i): float(w) for i, w in enumerate(_ASCII.split())}
_WIDTHS.update({"’": 0.38, "‘": 0.38, "“": 0.60, "”": 0.60, "…": 1.0, "–": 0.5, "—": 1.0})
_OTHER, _WIDE = 0.85, 1.0  # a letter not listed (as wide as a wide Latin one); CJK


def em_width(text: str) -> float:
    """The width of `text` in em (its font size)."""
    return sum(_char_width(char) for char in text)


def _char_width(char: str) -> float:
    known = _WIDTHS.get(char)
    if known is None:  # "é" is as wide as "e"
        known = _WIDTHS.get(unicodedata.normalize("NFD", char)[:1])
    if known is not None:
        return known
    return _WIDE if unicodedata.east_asian_width(char) in ("W", "F") else _OTHER


def fit(text: str, limit_em: float) -> str:
    """`text` as it is if it fits in `limit_em`, else cut and ended with "…"."""
    if em_width(text) <= limit_em:
        return text
    while text and em_width(text.rstrip() + "…") > limit_em:
        text = text[:-1]
    return text.rstrip() + "…"
