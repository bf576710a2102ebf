"""Where a goal looks: the place cut from its words ("in Leeds", "near me", "London dentists")
and read into a region as shown and its ISO country."""

from __future__ import annotations

import re

from webapp.core import places_known as places
from webapp.core.goal_flags import CONTACT_RE, FIND_RE, POLITE_RE
from webapp.core.goal_numbers import number_at
from webapp.core.goal_text import FIELD_EDGE, SPACES_RE

_LEADING_PLACE_RE = re.compile(r"^(?:in|near|around|across|throughout)\s+", re.IGNORECASE)
_LEADING_PLACE_END_RE = re.compile(r"\s*[,:;]\s+|\s+[-–—]\s+")
_NEAR_ME_RE = re.compile(
    r"(?:^|\s+)(?:(?:that\s+are\s+)?(?:near|around|close\s+to|local\s+to)\s+(?:me|us|here"
    r"|my\s+(?:area|location|office|place|home))|nearby|near\s+by|close\s+by|locally"
    r"|in\s+(?:my|our|the)\s+(?:local\s+)?(?:area|city|town|neighbou?rhood|vicinity)"
    r"|around\s+here)(?=$|[\s,.!?;])",
    re.IGNORECASE,
)
_DISTANCE = (
    r"(?:(?:within|under|less\s+than|up\s+to)\s+|<\s*)?\d+(?:\.\d+)?\s*(?:miles?|mi|km|kms"
    r"|kilomet(?:er|re)s?|minutes?|mins?)\s+(?:of|from|around|near|outside)\s+"
)
_PLACE_PREP_RE = re.compile(
    rf"(?:^|\s+)(?:{_DISTANCE}|(?:(?:based|located|situated|operating|headquartered)\s+)?"
    r"(?:in|near|around(?!\s+\d)|across|within(?!\s+\d)|throughout|inside|close\s+to|from"
    r"|all\s+over|round)\s+)",
    re.IGNORECASE,
)
_PLACE_CLAUSE_RE = re.compile(
    r"\s+(?=(?:that|which|who|whose|with|where|offering|serving|selling|open|specialising"
    r"|specializing|without)\b)",
    re.IGNORECASE,
)
_PLACE_QUALIFIERS_RE = re.compile(
    r"\b(?:central|greater|downtown|uptown|inner|outer|north|south|east|west|northern|southern"
    r"|eastern|western|city\s+cent(?:re|er)|cent(?:re|er)|area|region|metro(?:politan)?"
    r"|suburbs?|outskirts|surrounding(?:s|\s+areas?)?|of|the|county|borough|district)\b",
    re.IGNORECASE,
)
_AREA_RE = re.compile(r"(?:the\s+)?(?P<name>.+?)(?:\s+(?:area|region))?", re.IGNORECASE)
_PLACE_PARTS_RE = re.compile(r"\s*(?:,|/|&|\+|\band\b|\bor\b)\s*", re.IGNORECASE)
_LOWER_PARTICLES = frozenset(
    "upon on of the and de da do dos das del della di la le les du des sur am im an der den"
    " van von y en".split()
)

# --- finding the place in the words ---------------------------------------------------------------


def take_leading_place(text: str) -> tuple[str, str]:
    """Turn "In Manchester, find 20 coffee shops" into ("find 20 coffee shops", "Manchester")."""
    lead = _LEADING_PLACE_RE.match(text)
    if lead is None:
        return text, ""
    for end in _LEADING_PLACE_END_RE.finditer(text, lead.end()):
        rest = text[end.end() :]
        opens_request = FIND_RE.match(rest) or POLITE_RE.match(rest) or CONTACT_RE.match(rest)
        if opens_request or number_at(rest):
            return rest, text[lead.end() : end.start()]
    return text, ""


def take_near_me(text: str) -> tuple[str, bool]:
    stripped, count = _NEAR_ME_RE.subn(" ", text)
    return SPACES_RE.sub(" ", stripped).strip(), count > 0


def split_place(text: str) -> tuple[str, str]:
    """(persona, place) at the first "in"/"near" ..., or a later one if only it names a place."""
    matches = list(_PLACE_PREP_RE.finditer(text))
    if not matches:
        return text, ""
    chosen = matches[0]
    if resolve_place(text[chosen.end() :])[1] is None:
        for later in matches[1:]:
            if resolve_place(text[later.end() :])[1] is not None:
                chosen = later
                break
    persona, place = text[: chosen.start()], text[chosen.end() :]
    clause = _PLACE_CLAUSE_RE.search(place)
    if clause:  # "coffee shops in Leeds with outdoor seating": the clause describes the shops
        persona, place = f"{persona} {place[clause.end() :]}", place[: clause.start()]
    return persona, place


def place_in_persona(text: str) -> tuple[str, str]:
    """A well-known city opening or closing the text: "London dentists", "dentists London"."""
    words = text.split()
    for size in (3, 2, 1):
        if len(words) < size:
            continue
        for candidate, rest in (
            (words[:size], words[size:]),
            (words[-size:], words[:-size]),
        ):
            key = places.fold(" ".join(candidate))
            if key in places.CITIES and key not in places.COMMON_WORD_CITIES:
                return " ".join(rest), " ".join(candidate)
    return text, ""


# --- reading the place ----------------------------------------------------------------------------


def resolve_place(place: str) -> tuple[str, str | None]:
    """(region as shown, ISO country or None) for a place as written."""
    place = SPACES_RE.sub(" ", place).strip(FIELD_EDGE)
    if not place:
        return "", None
    area = _AREA_RE.fullmatch(place)
    if area and _known(area["name"]):
        place = area["name"]
    code = _known(place)
    if code is not None or places.fold(place) in places.MULTI_COUNTRY_REGIONS:
        return _tidy_region(_drop_the(place)), code
    head, comma, suffix = place.rpartition(",")
    if comma and head.strip(" ,") and suffix.strip():
        return _with_suffix(head.strip(" ,"), suffix.strip())
    return _bare_suffix(place) or (_tidy_region(place), _loose_country(place))


def _known(name: str) -> str | None:
    """The country of a whole place name: a city, a state or province, or a country."""
    key = places.fold(name)
    for candidate in (key, key.removeprefix("the ")):
        if candidate in places.CITIES:
            return places.CITIES[candidate]
        if len(candidate) <= 2 and not name.isupper():
            continue  # "in", "me", "us": words before they are codes
        for table in (places.SUBDIVISIONS, places.COUNTRY_NAMES):
            if candidate in table:
                return table[candidate]
    return None


def _drop_the(place: str) -> str:
    rest = place[4:]
    if place[:4].lower() == "the " and rest and places.fold(place) not in places.CITIES:
        return rest if _known(rest) or places.fold(rest) in places.MULTI_COUNTRY_REGIONS else place
    return place


def _with_suffix(head: str, suffix: str, sep: str = ", ") -> tuple[str, str | None]:
    """Bristol, UK -> (Bristol, GB); Austin, TX keeps its state, which tells cities apart."""
    whole = f"{head}{sep}{suffix}"
    key = places.fold(suffix)
    country = places.COUNTRY_NAMES.get(key)
    if country is None and len(key) == 2 and key.upper() in places.ISO_ALPHA2:
        country = key.upper()
    state = places.SUBDIVISIONS.get(key)
    if country and state and country != state:
        city = _known(head)
        if city == country or (city != state and key.upper() in places.CODES_PREFERRING_COUNTRY):
            state = None
        else:
            country = None
    if state:
        return _tidy_region(whole), state
    if country:
        return _tidy_region(head), country
    return _tidy_region(whole), _known(suffix) or _known(head) or _loose_country(whole)


def _bare_suffix(place: str) -> tuple[str, str | None] | None:
    """A country or state closing the place without a comma: "Bristol UK", "Austin Texas"."""
    words = place.split()
    for size in (3, 2, 1):
        if len(words) <= size:
            continue
        tail = " ".join(words[-size:])
        key = places.fold(tail)
        short_ok = tail.isupper() or key in places.COUNTRY_NAMES or place.islower()
        if len(key) <= 3 and not short_ok:
            continue
        if key in places.COUNTRY_NAMES or key in places.SUBDIVISIONS:
            return _with_suffix(" ".join(words[:-size]), tail, " ")
    return None


def _loose_country(place: str) -> str | None:
    """The one country of the known places in "central London", "Leeds and Bradford" ..."""
    bare = _PLACE_QUALIFIERS_RE.sub(" ", place)
    codes = {_known(part.strip()) for part in _PLACE_PARTS_RE.split(bare) if part.strip()}
    codes.discard(None)
    return codes.pop() if len(codes) == 1 else None


def _tidy_region(region: str) -> str:
    """Proper names as written; an all-lower or ALL-CAPS place is title-cased."""
    region = SPACES_RE.sub(" ", region).strip(FIELD_EDGE)
    cased = [char for char in region if char.isupper() or char.islower()]
    if not cased or not (region.islower() or region.isupper()):
        return region
    if places.fold(region) in places.UPPER_WORDS:
        return region.upper()
    pieces = re.split(r"([\s,-]+)", region)
    words = [index for index, piece in enumerate(pieces) if piece.strip(" ,-")]
    for position, index in enumerate(words):
        after_comma = index > 0 and "," in pieces[index - 1]
        pieces[index] = _title_word(
            pieces[index],
            first=position == 0 or after_comma,
            code_place=position > 0 and (after_comma or index == words[-1]),
        )
    return "".join(pieces)


def _title_word(word: str, *, first: bool, code_place: bool) -> str:
    """Capitalise one word of a place: Austin, de in Rio de Janeiro, TX closing a place."""
    key = places.fold(word)
    is_code = key in places.UPPER_WORDS or key in places.SUBDIVISIONS
    if code_place and len(key) <= 3 and (is_code or key.upper() in places.ISO_ALPHA2):
        return word.upper()
    if key in _LOWER_PARTICLES and not first:
        return word.lower()
    if any(char.isdigit() for char in word):  # a postcode: SW1A 1AA
        return word
    return word[:1].upper() + word[1:].lower()
