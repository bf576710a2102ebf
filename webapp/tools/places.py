"""GOOGLE_PLACES_SEARCH: find businesses matching a persona in a region.

Served by the run's places provider: the demo directory, Google Places (New) or OpenStreetMap.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webapp.core.leads import Lead
from webapp.core.models import iso_timestamp
from webapp.core.tooling import ToolEnv
from webapp.tools import demo_directory
from webapp.tools.demo_calls import DEMO_PROVIDER, demo_call
from webapp.tools.providers.choice import chosen_provider, require_key
from webapp.tools.providers.google_queries import QUERY_CAP
from webapp.tools.services import ToolServices, services_of
from webapp.tools.step_inputs import int_param, lead_json, optional_text, text_param

MAX_RESULTS = 1000


async def search_places(params: dict[str, Any], env: ToolEnv) -> dict[str, Any]:
    services = services_of(env)
    query = text_param(params, env, "query", example="coffee shops")
    region = optional_text(params, env, "region") or ""
    country = optional_text(params, env, "country")
    limit = int_param(params, env, "maxResults", low=1, high=MAX_RESULTS, default=20) or 20
    found = await _search(services, env, query, region, country, limit)
    businesses = found.leads
    retrieved_at = iso_timestamp(services.clock())
    rows = [
        lead_json(
            lead if lead.retrieved_at else lead.model_copy(update={"retrieved_at": retrieved_at})
        )
        for lead in businesses
    ]
    where = f" in {region}" if region else ""
    count = len(rows)
    return {
        "businesses": rows,
        "count": count,
        "wanted": limit,
        "query": query,
        "region": region,
        "country": country,
        "provider": found.provider,
        "requests": found.requests,
        "searches": found.queries,
        "serviceArea": sum(1 for lead in businesses if lead.service_area),
        "temporarilyClosed": sum(
            1 for lead in businesses if lead.business_status == "CLOSED_TEMPORARILY"
        ),
        **({"scope": found.scope} if found.scope else {}),
        "summary": _summary(found, count, limit, query, where),
    }


def _summary(found: Found, count: int, wanted: int, query: str, where: str) -> str:
    """How many were found ("Found 40 coffee shops in Leeds"); from Google, of how many
    wanted when fewer, and why it took several searches; from OpenStreetMap, where it looked."""
    text = f"Found {count} {query}{where}"
    if found.provider == "google" and count < wanted:
        text = f"Found {count} of the {wanted} {query} wanted{where}"
    notes = []
    if found.queries > 1:
        cap = f"Google returns at most {QUERY_CAP} places a search"
        notes.append(f"{found.queries} searches: {cap}")
    if found.scope:
        notes.append(f"OpenStreetMap searched {found.scope}")
    return text + (f" ({'; '.join(notes)})" if notes else "")


@dataclass(frozen=True)
class Found:
    """The businesses a search found, who found them, and what it took: requests sent,
    distinct searches run, and where OpenStreetMap looked (its words)."""

    leads: list[Lead]
    provider: str
    requests: int
    queries: int = 1
    scope: str | None = None


async def _search(
    services: ToolServices, env: ToolEnv, query: str, region: str, country: str | None, limit: int
) -> Found:
    settings = services.settings
    provider = chosen_provider(settings, services.provider_overrides, "places")
    if provider == "google":
        key = require_key(provider, settings.google_places_api_key, "GOOGLE_PLACES_API_KEY")
        client = services.providers().google(key)
        found = await client.search(query, region=region, country=country, max_results=limit)
        return Found(found.leads, provider, found.requests, found.queries)
    if provider == "osm":
        osm = services.providers().osm()
        result = await osm.search(query, region=region, country=country, max_results=limit)
        return Found(result.leads, provider, result.requests, scope=result.scope)
    await demo_call(services, env, "the places search")
    return Found(demo_directory.search(query, region, country, limit), DEMO_PROVIDER, 1)
