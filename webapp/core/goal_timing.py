"""When a goal wants its leads: "by Friday", "within 2 weeks", "end of the month", "asap"."""

from __future__ import annotations

import re

from webapp.core.goal_reading import Reading
from webapp.core.goal_text import SPACES_RE

_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november"
    r"|december)"
)
_PERIOD = r"(?:day|week|weekend|month|quarter|year)"
_DAY_NUMBER = r"\d{1,2}(?:st|nd|rd|th)"
_AMOUNT = (
    r"(?:\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|(?:a\s+)?(?:few|couple\s+of))"
)
_TIMING_RE = re.compile(
    r"(?<!\w)(?:"
    r"(?:by|before|until|till|no\s+later\s+than)\s+(?:the\s+)?"
    rf"(?:end\s+of\s+(?:the\s+|this\s+|next\s+)?{_PERIOD}|(?:this\s+|next\s+)?{_WEEKDAY}"
    rf"|(?:this\s+|next\s+){_PERIOD}|tomorrow|tonight|today|eod|eow|eom|cob"
    rf"|close\s+of\s+business|christmas|xmas|easter|{_DAY_NUMBER}(?:\s+(?:of\s+)?{_MONTH})?"
    rf"|{_MONTH}(?:\s+{_DAY_NUMBER}|\s+\d{{1,2}}(?!\d))?)"
    rf"|(?:on|for|this|next|coming|this\s+coming)\s+{_WEEKDAY}"
    rf"|(?:this|next|the\s+coming|coming)\s+{_PERIOD}"
    rf"|(?:at\s+the\s+)?end\s+of\s+(?:the\s+|this\s+|next\s+){_PERIOD}"
    rf"|(?:within|in|over)\s+(?:the\s+)?(?:next\s+)?{_AMOUNT}\s+(?:hours?|days?|weeks?|months?)"
    rf"|(?:within|in|over)\s+the\s+next\s+{_PERIOD}"
    r"|today|tomorrow|tonight|asap|a\.s\.a\.p\.?|as\s+soon\s+as\s+(?:possible|you\s+can)"
    r"|right\s+away|right\s+now|straight\s+away|immediately|urgently"
    r")(?!\w)",
    re.IGNORECASE,
)
_ASAP_WORDS = frozenset(
    {"asap", "a.s.a.p", "a.s.a.p.", "as soon as possible", "as soon as you can", "right away"}
    | {"right now", "straight away", "immediately", "urgently"}
)
_CAPITALISED_TIMING_RE = re.compile(rf"\b(?:{_WEEKDAY}|{_MONTH}|christmas|easter)\b")


def take_timing(text: str, reading: Reading) -> str:
    match = _TIMING_RE.search(text)
    if match is None:
        return text
    when = SPACES_RE.sub(" ", match.group(0).lower())
    if when in _ASAP_WORDS:
        reading.timing = "asap"
    else:
        reading.timing = _CAPITALISED_TIMING_RE.sub(lambda m: m.group(0).capitalize(), when)
    return SPACES_RE.sub(" ", _TIMING_RE.sub(" ", text)).strip()
