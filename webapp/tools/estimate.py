"""Before a run: how many provider calls it will make, step by step, and what they cost."""

from __future__ import annotations

import math
from dataclasses import dataclass

from webapp.core.models import (
    GOOGLE_PLACES_SEARCH,
    HUNTER_DOMAIN_LOOKUP,
    HUNTER_ENRICH,
    LeadGenPlan,
)
from webapp.settings import Settings

PLACES_PAGE = 20  # Google Places Text Search (New) returns at most 20 places a page


@dataclass(frozen=True)
class CallEstimate:
    step_id: str
    provider: str
    calls: int
    up_to: bool
    note: str


def estimate_provider_calls(plan: LeadGenPlan, settings: Settings) -> list[CallEstimate]:
    """All tools serve from the demo directory for now: one free call per provider step.
    The note says what the same step would cost against the real service."""
    estimates = []
    for step in plan.steps:
        wanted = int(step.params.get("maxResults", 0) or 0)
        if step.tool == GOOGLE_PLACES_SEARCH:
            pages = max(1, math.ceil(wanted / PLACES_PAGE))
            note = f"Google Places would take {pages} request{'s' if pages != 1 else ''}"
        elif step.tool == HUNTER_DOMAIN_LOOKUP:
            note = "Hunter: a Domain Search only for places with no website"
        elif step.tool == HUNTER_ENRICH:
            note = "Hunter: about one Domain Search per domain found"
        else:
            continue
        estimates.append(CallEstimate(step.id, "demo", 1, False, f"free (demo); {note}"))
    return estimates
