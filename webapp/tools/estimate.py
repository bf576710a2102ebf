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
from webapp.tools.providers.choice import (
    LABELS,
    chosen_email_providers,
    chosen_provider,
    osm_contact_missing,
)
from webapp.tools.providers.google_queries import PAGE_SIZE as PLACES_PAGE
from webapp.tools.providers.google_queries import QUERY_CAP as GOOGLE_SEARCH_CAP
from webapp.tools.providers.google_queries import queries_needed
from webapp.tools.providers.website import MAX_PAGES as WEBSITE_PAGES

# About this share of places list no website or only a platform's page: a lookup by name each.
NO_WEBSITE_SHARE = 0.25


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
    emails = chosen_email_providers(settings, chosen)
    estimates = []
    for step in plan.steps:
        wanted = int(step.params.get("maxResults", 0) or 0)
        if step.tool == GOOGLE_PLACES_SEARCH:
            estimates.append(_places(step.id, places, wanted))
        elif step.tool == HUNTER_DOMAIN_LOOKUP and "hunter" in emails:
            estimates.append(_lookup(step.id, _places_found(plan)))
        elif step.tool == HUNTER_DOMAIN_LOOKUP and "demo" in emails:
            estimates.append(CallEstimate(step.id, LABELS["demo"], 1, False, "free (demo data)"))
        elif step.tool == HUNTER_ENRICH:
            found = _places_found(plan)
            estimates += _enrich(step.id, emails, found, settings.hunter_verify)
    return estimates


def estimate_warnings(settings: Settings, overrides: Mapping[str, str] | None = None) -> list[str]:
    """What the user should know before this run sends its requests."""
    unidentified = osm_contact_missing(settings, overrides or {})
    return [unidentified] if unidentified else []


def _places_found(plan: LeadGenPlan) -> int:
    return max((int(s.params.get("maxResults", 0) or 0) for s in plan.steps), default=0)


def _places(step_id: str, provider: str, wanted: int) -> CallEstimate:
    if provider == "google":
        if wanted > GOOGLE_SEARCH_CAP:
            searches, pages = queries_needed(wanted)
            note = (
                f"Text Search stops at {GOOGLE_SEARCH_CAP} places a search, so {wanted} need "
                f"more than one: up to {searches} searches (the area cut into parts), pages "
                "of up to 20 places"
            )
            return CallEstimate(step_id, LABELS[provider], pages, True, note)
        pages = max(1, math.ceil(wanted / PLACES_PAGE))
        note = f"Text Search, {pages} page{'s' if pages != 1 else ''} of up to 20 places"
        return CallEstimate(step_id, LABELS[provider], pages, True, note)
    if provider == "osm":
        note = "free: Nominatim, then Overpass (a few more if Overpass is busy)"
        return CallEstimate(step_id, LABELS[provider], 2, False, note)
    return CallEstimate(step_id, LABELS["demo"], 1, False, "free (demo data)")


def _lookup(step_id: str, places: int) -> CallEstimate:
    lookups = math.ceil(places * NO_WEBSITE_SHARE)
    note = (
        "a Domain Search by name for each place without a website of its own, and one for "
        f"anyone Hunter knows there when it has no decision maker: 0 to {lookups} credits"
    )
    return CallEstimate(step_id, LABELS["hunter"], 2 * lookups, True, note)


def _enrich(step_id: str, providers: list[str], places: int, verify: bool) -> list[CallEstimate]:
    """One estimate for each provider of the waterfall, in turn; one after the websites is
    asked only for what they leave, so its credits run from none to all."""
    estimates = []
    for index, provider in enumerate(providers):
        rest = " (only for the businesses the ones before leave without)" if index else ""
        if provider == "demo":
            estimates.append(CallEstimate(step_id, LABELS["demo"], 1, False, "free (demo data)"))
        elif provider == "website":
            pages = places * WEBSITE_PAGES
            note = f"free: up to {WEBSITE_PAGES} pages of each business's own website{rest}"
            estimates.append(CallEstimate(step_id, "Websites", pages, True, note))
        else:
            note = (
                "a Domain Search per domain for its owners and executives, and one for anyone "
                f"Hunter knows there when it has none (nothing found is free){rest}: 0 to "
                f"{places} credits"
            )
            calls = 2 * places
            if verify:
                calls += places
                note += f"; the Email Verifier for each chosen address: 0 to {places / 2:g} more"
            estimates.append(CallEstimate(step_id, LABELS["hunter"], calls, True, note))
    return estimates
