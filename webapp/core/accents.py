"""Text without its accents ("Café" -> "Cafe"), for matching what people type."""

from __future__ import annotations

import unicodedata


def without_accents(text: str) -> str:
    """`text` with the combining marks NFKD splits off removed; letters with none stay."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
