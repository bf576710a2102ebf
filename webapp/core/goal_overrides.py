"""Chooses between what a goal's text says and the overrides a form, the API or the CLI give
(persona, volume, region, country, timing, email, monitoring), checking each."""

from __future__ import annotations

from webapp.core import places_known as places
from webapp.core.business_kinds import names_a_business
from webapp.core.errors import GoalError
from webapp.core.goal_numbers import typed_count
from webapp.core.goal_places import resolve_place
from webapp.core.goal_text import EXAMPLE_GOAL, MAX_FIELD_LENGTH, check_field

NO_PERSONA_MESSAGE = (
    "Say what kind of business to look for (coffee shops, dentists, plumbers ...), "
    f"for example {EXAMPLE_GOAL}."
)
UNREAD_PERSONA_MESSAGE = (
    "leadgen could not find a kind of business in “{persona}”. Say what to look for, for "
    f"example {EXAMPLE_GOAL}, “50 dentists in Leeds” or “plumbers near Bristol”."
)
OVERRIDE_NAMES = frozenset(
    {"volume", "region", "country", "persona", "email", "monitoring", "timing"}
    | {"max_volume", "default_volume"}
)

_STOPWORDS = frozenset(
    "a an the and or of for to in on at by with near me us some any all them it this that"
    " these those please new more".split()
)
_GENERIC_PERSONAS = frozenset(
    "lead leads prospect prospects contact contacts result results one ones people things"
    " stuff entries records email emails something anything someone anyone".split()
) | {"email addresses", "contact details"}


def choose_persona(from_text: str, override: object) -> str:
    if override is not None:
        persona = check_field(override, "persona", "The kind of business").lower()
    else:
        persona = from_text
        if len(persona) > MAX_FIELD_LENGTH:
            raise GoalError(
                f"The kind of business is {len(persona)} characters long; describe it in "
                f"{MAX_FIELD_LENGTH} characters or fewer, such as “independent coffee shops”.",
                field="persona",
            )
    if _is_missing(persona):
        raise GoalError(NO_PERSONA_MESSAGE, field="persona")
    if override is None and not names_a_business(persona):
        # read from the goal's words, it may be no business at all ("asdf"); one the user
        # typed as the kind of business is taken as they wrote it
        raise GoalError(UNREAD_PERSONA_MESSAGE.format(persona=persona), field="persona")
    return persona


def _is_missing(persona: str) -> bool:
    words = persona.split()
    return (
        not any(char.isalpha() for char in persona)
        or persona in _GENERIC_PERSONAS
        or all(word in _STOPWORDS for word in words)
    )


def choose_volume(from_text: int | str | None, override: object, default: int, top: int) -> int:
    if override is not None:
        volume = _coerce_volume(override)
    elif isinstance(from_text, str):
        raise GoalError(
            f"Ask for a whole number of leads, such as 20, not “{from_text}”.", field="volume"
        )
    else:
        volume = default if from_text is None else from_text
    if not 1 <= volume <= top:
        asked = "the goal asks" if override is None else "you asked"
        raise GoalError(
            f"Ask for between 1 and {top:,} leads; {asked} for {volume:,}.", field="volume"
        )
    return volume


def _coerce_volume(value: object) -> int:
    count = typed_count(value)
    if count is not None:
        return count
    shown = str(value)[:30]
    raise GoalError(
        f"The number of leads must be a whole number, such as 20, not “{shown}”.", field="volume"
    )


def choose_place(from_text: str, override: object) -> tuple[str, str | None]:
    if override is not None:
        return resolve_place(check_field(override, "region", "The region"))
    region, country = resolve_place(from_text)
    if len(region) > MAX_FIELD_LENGTH:
        raise GoalError(
            f"The place is {len(region)} characters long; name it in {MAX_FIELD_LENGTH} "
            "characters or fewer, such as “Manchester”.",
            field="region",
        )
    return region, country


def coerce_country(value: object) -> str | None:
    text = check_field(value, "country", "The country")
    if not text:
        return None
    key = places.fold(text)
    if len(key) == 2 and key.upper() in places.ISO_ALPHA2:
        return key.upper()
    code = places.COUNTRY_NAMES.get(key) or places.COUNTRY_NAMES.get(key.removeprefix("the "))
    if code is None:
        raise GoalError(
            f"“{text}” is not a country I know; use a two-letter ISO code such as GB, US or FR, "
            "or a country name such as France.",
            field="country",
        )
    return code


def choose_flag(from_text: bool | None, override: object, field: str) -> bool:
    if override is None:
        return bool(from_text)
    if not isinstance(override, bool):
        raise GoalError(
            f"“{field}” must be true or false, not {str(override)[:30]!r}.", field=field
        )
    return override


def choose_timing(from_text: str | None, override: object) -> str:
    if override is None:
        return from_text or "asap"
    return check_field(override, "timing", "The timing") or "asap"
