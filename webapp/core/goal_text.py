"""Checks on a goal's raw text and on an override's: length, control characters, HTML markup,
emptiness; the text comes back normalised (NFKC, plain quotes, single spaces)."""

from __future__ import annotations

import re
import unicodedata

from webapp.core.errors import GoalError

MAX_GOAL_LENGTH = 500
MAX_FIELD_LENGTH = 100

EXAMPLE_GOAL = "“Find 20 coffee shops in Manchester”"
EMPTY_GOAL_MESSAGE = f"Type a goal, for example {EXAMPLE_GOAL}."
HTML_GOAL_MESSAGE = (
    "The goal contains HTML markup; describe what you are looking for in plain words."
)

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_MARKUP_RE = re.compile(
    r"<\s*/?\s*[a-z][\w:-]*(?:\s[^<>]*)?/?\s*>"  # a whole tag: <b>, </b>, <img src=x>, <br/>
    r"|<\s*/?\s*(?:script|iframe|svg|style|object|embed|math|template)\b"  # left open
    r"|<\s*[a-z][\w:-]*\s+[\w-]+\s*=|<\s*[a-z][\w:-]*\s*/"  # <img src=..., <br /
    r"|<!--|<!\s*doctype|<\?",
    re.IGNORECASE,
)
_QUOTES = str.maketrans({"’": "'", "‘": "'", "‛": "'", "“": '"', "”": '"', "„": '"'})
_GOAL_EDGE = " \"'.!?,;:"
FIELD_EDGE = " \t\"'.,;:!?*#|/\\-–—_~`"
SPACES_RE = re.compile(r"\s+")


def check_goal_text(text: object) -> str:
    """The goal, normalised; the length is checked before any other work."""
    if not isinstance(text, str):
        raise GoalError(EMPTY_GOAL_MESSAGE, field="goal")
    if len(text) > MAX_GOAL_LENGTH:
        raise GoalError(
            f"The goal is {len(text):,} characters long; keep it to {MAX_GOAL_LENGTH} "
            "characters or fewer.",
            field="goal",
        )
    _reject_controls(text, "goal", "The goal")
    clean = _normalise(text).strip(_GOAL_EDGE)
    if not clean:
        raise GoalError(EMPTY_GOAL_MESSAGE, field="goal")
    if _MARKUP_RE.search(clean):
        raise GoalError(HTML_GOAL_MESSAGE, field="goal")
    return clean


def _reject_controls(text: str, field: str, label: str) -> None:
    for char in text:
        if char in "\t\n\r":
            continue
        if unicodedata.category(char) in ("Cc", "Cs") or char in _BIDI_CONTROLS:
            raise GoalError(
                f"{label} contains an invisible control character (U+{ord(char):04X}); "
                "type it again in plain words.",
                field=field,
            )


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = "".join(char for char in text if unicodedata.category(char) != "Cf")
    return SPACES_RE.sub(" ", text.translate(_QUOTES)).strip()


def check_field(value: object, field: str, label: str) -> str:
    """An override's text, normalised: at most MAX_FIELD_LENGTH characters, no markup."""
    if not isinstance(value, str):
        raise GoalError(f"{label} must be text.", field=field)
    if len(value) > MAX_FIELD_LENGTH:
        raise GoalError(
            f"{label} is {len(value):,} characters long; keep it to {MAX_FIELD_LENGTH} "
            "characters or fewer.",
            field=field,
        )
    _reject_controls(value, field, label)
    clean = _normalise(value).strip(FIELD_EDGE)
    if _MARKUP_RE.search(clean):
        raise GoalError(f"{label} contains HTML markup; type it in plain words.", field=field)
    return clean
