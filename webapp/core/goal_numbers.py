"""How many leads a goal asks for: numbers in digits ("20", "1,000", "20-30") or words ("a
dozen", "twenty-five"), and the limits the settings put on them."""

from __future__ import annotations

import re
from fractions import Fraction

from webapp.core.goal_reading import Reading

DEFAULT_VOLUME = 20
DEFAULT_MAX_VOLUME = 500

_QUALIFIERS_RE = re.compile(
    r"^(?:(?:around|about|approx(?:imately)?|roughly|circa|up\s+to|upto|at\s+least|at\s+most"
    r"|no\s+more\s+than|no\s+less\s+than|not\s+more\s+than|max(?:imum)?(?:\s+of)?"
    r"|min(?:imum)?(?:\s+of)?|some|like|maybe|perhaps|only|just|exactly|over|under|nearly"
    r"|almost|more\s+than|less\s+than|fewer\s+than|(?:the\s+)?top|(?:the\s+)?first|another"
    r"|an?\s+(?:extra|additional|further)|(?:a\s+)?(?:list|batch|total|set|group)\s+of"
    r"|between)\b\.?\s*|~\s*)*",
    re.IGNORECASE,
)
_UNIT = (
    r"hours?|hrs?|h|stars?|minutes?|mins?|days?|years?|yrs?|weeks?|months?|storey|stor(?:y|ies)"
    r"|floors?|beds?|bedrooms?|rooms?|seats?|seaters?|screens?|miles?|mi|km|kms|kilomet(?:er|re)s?"
    r"|metres?|meters?|m|ft|feet|pence|p|cents?|pounds?|dollars?|euros?|acres?|inch(?:es)?|cm|mm"
)
WHOLE = r"\d{1,3}(?:,\d{3})+(?![\d,])|\d+"
_TYPED_WHOLE_RE = re.compile(rf"\s*([-+]?)({WHOLE})\s*")


def typed_count(value: object) -> int | None:
    """A count as JSON gives it (20, 20.0) or a field types it ("20", " -5 ", "1,000", read
    as the goal's words are); None for anything else (true, 2.5, "abc", a 1 MB text)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and len(value) <= 20:
        match = _TYPED_WHOLE_RE.fullmatch(value)
        if match:
            return int(match[1] + match[2].replace(",", ""))
    return None


_NUMBER_RE = re.compile(
    rf"(?P<sign>[-−])?(?P<num>{WHOLE})(?P<frac>\.\d+)?"
    r"(?:\s*(?P<mult>k|thousand|million|hundred|dozen)\b)?"
    rf"(?:\s*(?:-|–|to|and)\s*(?P<hi>{WHOLE})(?![\d.]))?"
    r"(?:\s*[x×](?=\s))?"
    rf"(?!\w)(?!\s*-?\s*(?:{_UNIT})(?!\w))",
    re.IGNORECASE,
)
_UNIT_AHEAD_RE = re.compile(rf"\s*-?\s*(?:{_UNIT})(?!\w)", re.IGNORECASE)
_LATE_VOLUME_RE = re.compile(
    rf"(?:^|\s+|,\s*|\()[x×]?\s*(?P<num>{WHOLE})\s*(?:leads|results|contacts|prospects"
    r"|records|entries|listings|of\s+them|max|maximum|in\s+total|total)\b\)?"
    rf"|\s*\((?P<paren>{WHOLE})\)"
    rf"|(?:^|\s+|,\s*)(?:limit|max(?:imum)?|up\s+to|[x×])\s*(?:of\s*)?:?\s*(?P<cap>{WHOLE})(?!\w)",
    re.IGNORECASE,
)
_WORD_RE = re.compile(r"\s*([^\W\d_]+(?:-[^\W\d_]+)*)")
_SMALL_NUMBERS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
        " fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_TENS = {
    word: 10 * (index + 2)
    for index, word in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())
}
_SCALES = {"thousand": 1_000, "million": 1_000_000}
_FILLER_RE = re.compile(
    r"^(?:some|(?:a\s+)?few|several|(?:a\s+)?handful\s+of|any|all(?:\s+of)?(?:\s+the)?|every"
    r"|each|the|a|an|local|nearby|(?:the\s+)?(?:very\s+)?best|(?:the\s+)?top(?:[-\s]rated)?"
    r"|highly[-\s]rated|well[-\s]reviewed|good|great|decent|popular|quality|reputable|more"
    r"|other|different|extra|additional|of(?:\s+the)?|(?:dozens|hundreds|lots|loads|plenty)\s+of"
    r"|a\s+(?:lot|bunch)\s+of|bunch\s+of|many|various"
    r"|(?:an?\s+)?(?:lead\s+|prospect\s+|contact\s+)?(?:list|database|spreadsheet|csv)\s+(?:of|with)"
    r"|(?:leads?|prospects?|contacts?)\s*:|leads?\s+(?:for|of|on|from|in|among)|prospects?\s+(?:for|of|in)|contacts?\s+(?:for|at|of|in)"
    r"|(?:e-?mails?|e-?mail\s+addresses|contact\s+details)\s+(?:for|of|from)"
    r"|(?:businesses|places)\s+like|x)(?:\s+|$)",
    re.IGNORECASE,
)


def config_count(value: object, default: int, name: str) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")
    return value


def number_at(text: str) -> bool:
    start = _QUALIFIERS_RE.match(text)
    offset = start.end() if start else 0
    return bool(_NUMBER_RE.match(text, offset)) or _word_number(text[offset:]) is not None


def take_volume(text: str, reading: Reading) -> str:
    volume, text = _leading_volume(text)
    text = _strip_filler(text)
    if volume is None:
        volume, text = _leading_volume(text)
        text = _strip_filler(text)
    if volume is None:
        late = _LATE_VOLUME_RE.search(text)
        if late:
            volume = int((late["num"] or late["paren"] or late["cap"]).replace(",", ""))
            text = (text[: late.start()] + " " + text[late.end() :]).strip()
    reading.volume = volume
    return text


def _strip_filler(text: str) -> str:
    for _ in range(8):
        match = _FILLER_RE.match(text)
        if match is None or match.end() == 0:
            break
        text = text[match.end() :]
    return text


def _leading_volume(text: str) -> tuple[int | str | None, str]:
    """The number a goal opens with: "20", "1,000", "up to 30", "a dozen", "20-30" (-> 30)."""
    qualifiers = _QUALIFIERS_RE.match(text)
    start = qualifiers.end() if qualifiers else 0
    digits = _NUMBER_RE.match(text, start)
    if digits:
        return _digits_value(digits), text[digits.end() :].lstrip()
    words = _word_number(text[start:])
    if words is not None:
        value, length = words
        return value, text[start + length :].lstrip()
    return None, text


def _digits_value(match: re.Match[str]) -> int | str:
    written = match["hi"] or match["num"] + (match["frac"] or "")
    value = Fraction(written.replace(",", ""))
    scale = {"k": 1_000, "thousand": 1_000, "million": 1_000_000, "hundred": 100, "dozen": 12}
    value *= scale.get((match["mult"] or "").lower(), 1)
    if (match["frac"] and not match["mult"]) or value.denominator != 1:
        return match.group(0).strip()
    return -int(value) if match["sign"] else int(value)


def _word_number(text: str) -> tuple[int, int] | None:
    """(value, length) of a number in words opening the text: "twenty-five", "a hundred"."""
    tokens: list[tuple[list[str], int]] = []
    position = 0
    while len(tokens) < 8 and (match := _WORD_RE.match(text, position)):
        tokens.append((match.group(1).lower().split("-"), match.end()))
        position = match.end()
    words = [word for parts, _ in tokens for word in parts]
    used = _count_number_words(words)
    consumed, end = 0, 0
    for parts, token_end in tokens:
        if consumed + len(parts) > used:
            break
        consumed, end = consumed + len(parts), token_end
    if consumed == 0 or _UNIT_AHEAD_RE.match(text, end):
        return None
    value = _words_value(words[:consumed])
    return (value, end) if value is not None else None


def _count_number_words(words: list[str]) -> int:
    count = 0
    for index, word in enumerate(words):
        after = words[index + 1] if index + 1 < len(words) else ""
        numeric = word in _SMALL_NUMBERS or word in _TENS or word in _SCALES
        if numeric or word in ("hundred", "dozen", "couple"):
            count = index + 1
        elif word in ("a", "an") and after in ("hundred", "thousand", "million", "dozen", "couple"):
            continue
        elif word == "half" and words[index + 1 : index + 3] == ["a", "dozen"]:
            continue
        elif not (word == "and" and count and (after in _SMALL_NUMBERS or after in _TENS)):
            break
    return count


def _words_value(words: list[str]) -> int | None:
    if words[:3] == ["half", "a", "dozen"]:
        return 6
    total = current = 0
    for word in words:
        if word in _SMALL_NUMBERS or word in _TENS:
            current += _SMALL_NUMBERS.get(word, 0) + _TENS.get(word, 0)
        elif word in ("hundred", "dozen", "couple"):
            current = max(current, 1) * {"hundred": 100, "dozen": 12, "couple": 2}[word]
        elif word in _SCALES:
            total, current = total + max(current, 1) * _SCALES[word], 0
        elif word in ("a", "an"):
            current += 1
    value = total + current
    return value if words and words != ["and"] else None
