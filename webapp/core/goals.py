"""Reads a goal typed in plain words ("Find 20 coffee shops in Manchester") into a LeadGenGoal.

Keyword overrides, as a form's fields give them, win over what the text says.
"""

from __future__ import annotations

import re
from typing import Any

from webapp.core.errors import GoalError
from webapp.core.goal_flags import take_tail, take_verbs
from webapp.core.goal_numbers import DEFAULT_MAX_VOLUME, DEFAULT_VOLUME, config_count, take_volume
from webapp.core.goal_overrides import (
    NO_PERSONA_MESSAGE,
    OVERRIDE_NAMES,
    UNREAD_PERSONA_MESSAGE,
    choose_flag,
    choose_persona,
    choose_place,
    choose_timing,
    choose_volume,
    coerce_country,
)
from webapp.core.goal_places import place_in_persona, split_place, take_leading_place, take_near_me
from webapp.core.goal_reading import Reading
from webapp.core.goal_text import (
    EMPTY_GOAL_MESSAGE,
    EXAMPLE_GOAL,
    FIELD_EDGE,
    HTML_GOAL_MESSAGE,
    MAX_FIELD_LENGTH,
    MAX_GOAL_LENGTH,
    SPACES_RE,
    check_goal_text,
)
from webapp.core.goal_timing import take_timing
from webapp.core.models import LeadGenGoal

__all__ = [
    "DEFAULT_MAX_VOLUME",
    "DEFAULT_VOLUME",
    "EMPTY_GOAL_MESSAGE",
    "EXAMPLE_GOAL",
    "HTML_GOAL_MESSAGE",
    "MAX_FIELD_LENGTH",
    "MAX_GOAL_LENGTH",
    "NO_PERSONA_MESSAGE",
    "UNREAD_PERSONA_MESSAGE",
    "GoalError",
    "LeadGenGoal",
    "parse_goal",
]

_TRAILING_RE = re.compile(
    r"(?:\s*[,;:&+\-–—]+|\s+(?:and|then|also|plus|please|pls|plz|thanks|thank\s+you|for\s+me"
    r"|for\s+us|to|so|now|quickly|if\s+possible|if\s+you\s+can|ok|okay|in|near|around|at|from"
    r"|within|across))+\s*$",
    re.IGNORECASE,
)
_PERSONA_TAIL_RE = re.compile(r"\s+(?:leads?|prospects?|contacts?)$", re.IGNORECASE)


def parse_goal(text: str, **overrides: Any) -> LeadGenGoal:
    """Read a goal; raise GoalError, naming the input at fault, when it cannot be planned."""
    unknown = sorted(set(overrides) - OVERRIDE_NAMES)
    if unknown:
        raise TypeError(f"parse_goal() got an unexpected keyword argument {unknown[0]!r}")
    max_volume = config_count(overrides.get("max_volume"), DEFAULT_MAX_VOLUME, "max_volume")
    default_volume = config_count(overrides.get("default_volume"), DEFAULT_VOLUME, "default_volume")
    reading = _read(check_goal_text(text))
    persona = choose_persona(reading.persona, overrides.get("persona"))
    volume = choose_volume(
        reading.volume, overrides.get("volume"), min(default_volume, max_volume), max_volume
    )
    region, country = choose_place(reading.place, overrides.get("region"))
    if overrides.get("country") is not None:
        country = coerce_country(overrides["country"])
    email = choose_flag(reading.email, overrides.get("email"), "email")
    return LeadGenGoal(
        raw_goal=text.strip(),
        target_region=region,
        target_persona=persona,
        volume=volume,
        timing=choose_timing(reading.timing, overrides.get("timing")),
        preferred_channels=["email"] if email else [],
        include_monitoring=choose_flag(
            reading.monitoring, overrides.get("monitoring"), "monitoring"
        ),
        target_country=country,
    )


# --- reading the text -----------------------------------------------------------------------------


def _read(text: str) -> Reading:
    reading = Reading()
    text = take_timing(text, reading)
    text, place = take_leading_place(text)
    text = take_verbs(text, reading)
    text = take_tail(text, reading)
    text = _TRAILING_RE.sub("", text)
    text = take_volume(text, reading)
    text, near_me = take_near_me(text)
    if not place:
        text, place = split_place(text)
        if not place and not near_me:
            text, place = place_in_persona(text)
    reading.persona = _tidy_persona(text)
    reading.place = "" if near_me else place
    return reading


def _tidy_persona(text: str) -> str:
    persona = SPACES_RE.sub(" ", text).strip(FIELD_EDGE).lower()
    for _ in range(4):
        shorter = _PERSONA_TAIL_RE.sub("", _TRAILING_RE.sub("", persona)).strip(FIELD_EDGE)
        if shorter == persona or not shorter:
            break
        persona = shorter
    return persona
