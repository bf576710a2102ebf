"""GOOGLE_PLACES_SEARCH: find businesses matching a persona in a region.

Served by the run's places provider: the demo directory, Google Places (New) or OpenStreetMap.
"""

from __future__ import annotations

from typing import Any

from webapp.core.leads import Lead
from webapp.core.models import iso_timestamp
from webapp.core.tooling import ToolEnv
from webapp.tools import demo_directory
from webapp.tools.demo_calls import DEMO_PROVIDER, demo_call
from webapp.tools.providers.choice import chosen_provider, require_key
from webapp.tools.services import ToolServices, services_of
from webapp.tools.step_inputs import int_param, lead_json, optional_text, text_param

MAX_RESULTS = 1000


async def search_places(params: dict[str, Any], env: ToolEnv) -> dict[str, Any]:
    services = services_of(env)
    query = text_param(params, env, "query", example="coffee shops")
    region = optional_text(params, env, "region") or ""
    country = optional_text(params, env, "country")
    limit = int_param(params, env, "maxResults", low=1, high=MAX_RESULTS, default=20) or 20
    businesses, provider, requests = await _search(services, env, query, region, country, limit)
    retrieved_at = iso_timestamp(services.clock())
    rows = [
        lead_json(
            lead if lead.retrieved_at else lead.model_copy(update={"retrieved_at": retrieved_at})
        )
        for lead in businesses
    ]
    where = f" in {region}" if region else ""
    return {
        "businesses": rows,
        "count": len(rows),
        "query": query,
        "region": region,
        "country": country,
        "provider": provider,
        "requests": requests,
        "summary": f"Found {len(rows)} {query}{where}",
    }


async def _search(
    services: ToolServices, env: ToolEnv, query: str, region: str, country: str | None, limit: int
) -> tuple[list[Lead], str, int]:
    """The businesses found, the provider that found them and the requests it took."""
    settings = services.settings
    provider = chosen_provider(settings, services.provider_overrides, "places")
    if provider == "google":
        key = require_key(provider, settings.google_places_api_key, "GOOGLE_PLACES_API_KEY")
        client = services.providers().google(key)
        found = await client.search(query, region=region, country=country, max_results=limit)
        return found.leads, provider, found.requests
    if provider == "osm":
        osm = services.providers().osm()
        result = await osm.search(query, region=region, country=country, max_results=limit)
        return result.leads, provider, result.requests
    await demo_call(services, env, "the places search")
    return demo_directory.search(query, region, country, limit), DEMO_PROVIDER, 1
