"""Before a run: how many provider requests each step will make and what they may cost, for
the providers this run will use."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from webapp.core.models import (
    GOOGLE_PLACES_SEARCH,
    HUNTER_DOMAIN_LOOKUP,
    HUNTER_ENRICH,
    LeadGenPlan,
)
from webapp.settings import Settings
from webapp.tools.providers.choice import LABELS, chosen_provider

PLACES_PAGE = 20  # Google Places Text Search (New) returns at most 20 places a page
GOOGLE_MAX_PAGES = 3  # and stops issuing page tokens after 60 places
NO_WEBSITE_SHARE = 0.15  # about this share of places list no website (a lookup by name each)


@dataclass(frozen=True)
class CallEstimate:
    step_id: str
    provider: str
    calls: int
    up_to: bool
    note: str


def estimate_provider_calls(
    plan: LeadGenPlan, settings: Settings, overrides: Mapping[str, str] | None = None
) -> list[CallEstimate]:
    chosen = overrides or {}
    places = chosen_provider(settings, chosen, "places")
    email = chosen_provider(settings, chosen, "email")
    estimates = []
    for step in plan.steps:
        wanted = int(step.params.get("maxResults", 0) or 0)
        if step.tool == GOOGLE_PLACES_SEARCH:
            estimates.append(_places(step.id, places, wanted))
        elif step.tool in (HUNTER_DOMAIN_LOOKUP, HUNTER_ENRICH):
            estimates.append(_email(step.id, step.tool, email, _places_found(plan, places)))
    return estimates


def _places_found(plan: LeadGenPlan, provider: str) -> int:
    wanted = max((int(s.params.get("maxResults", 0) or 0) for s in plan.steps), default=0)
    return min(wanted, PLACES_PAGE * GOOGLE_MAX_PAGES) if provider == "google" else wanted


def _places(step_id: str, provider: str, wanted: int) -> CallEstimate:
    if provider == "google":
        pages = min(GOOGLE_MAX_PAGES, max(1, math.ceil(wanted / PLACES_PAGE)))
        note = f"Text Search, {pages} page{'s' if pages != 1 else ''} of up to 20 places"
        return CallEstimate(step_id, LABELS[provider], pages, True, note)
    if provider == "osm":
        return CallEstimate(step_id, LABELS[provider], 2, False, "free: Nominatim, then Overpass")
    return CallEstimate(step_id, LABELS["demo"], 1, False, "free (demo data)")


def _email(step_id: str, tool: str, provider: str, places: int) -> CallEstimate:
    if provider != "hunter":
        return CallEstimate(step_id, LABELS["demo"], 1, False, "free (demo data)")
    if tool == HUNTER_DOMAIN_LOOKUP:
        lookups = math.ceil(places * NO_WEBSITE_SHARE)
        note = "a Domain Search by name for each place without a website (1 credit if found)"
        return CallEstimate(step_id, LABELS[provider], lookups, True, note)
    note = "a Domain Search per domain: 1 credit for each that finds addresses"
    return CallEstimate(step_id, LABELS[provider], places, True, note)
