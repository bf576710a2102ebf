"""HUNTER_DOMAIN_LOOKUP: the web domain of each business found, from its website.

Businesses without a website are kept and marked `no_website`. With Hunter as the email
provider, a business with no website is looked up by name (Domain Search by company).
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from webapp.core.leads import Lead
from webapp.core.tooling import ToolEnv
from webapp.tools.demo_calls import DEMO_PROVIDER, demo_call
from webapp.tools.providers.choice import chosen_provider, require_key
from webapp.tools.services import ToolServices, services_of
from webapp.tools.step_inputs import lead_json, source_leads

HUNTER_AT_ONCE = 15  # requests in flight (Hunter's rate x a slow answer); the limiter paces them


async def lookup_domains(params: dict[str, Any], env: ToolEnv) -> dict[str, Any]:
    services = services_of(env)
    _, businesses = source_leads(params, env, "businesses", "leads")
    found, provider, requests = await _lookup(services, env, businesses)
    rows = []
    for lead in found:
        row = lead_json(lead)
        row["domainStatus"] = "found" if lead.domain else "no_website"
        rows.append(row)
    with_domain = sum(1 for lead in found if lead.domain)
    return {
        "businesses": rows,
        "count": len(rows),
        "withDomain": with_domain,
        "withoutWebsite": len(rows) - with_domain,
        "provider": provider,
        "requests": requests,
        "summary": f"Found the domain of {with_domain} of {len(rows)} businesses"
        + (f" ({len(rows) - with_domain} have no website)" if with_domain < len(rows) else ""),
    }


def domain_of(website: str | None) -> str | None:
    """The lowercase host of a website without `www.`; None when there is none to read."""
    if not website or not website.strip():
        return None
    text = website.strip()
    try:
        host = urlsplit(text if "://" in text else f"https://{text}").hostname
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") and "." in host[4:] else host


async def _lookup(
    services: ToolServices, env: ToolEnv, businesses: list[Lead]
) -> tuple[list[Lead], str, int]:
    """Each business with its domain set (or left empty), the provider that served it and the
    requests it took."""
    with_site = [
        lead.model_copy(update={"domain": domain_of(lead.website) or lead.domain})
        for lead in businesses
    ]
    settings = services.settings
    provider = chosen_provider(settings, services.provider_overrides, "email")
    if provider != "hunter":
        await demo_call(services, env, "the domain lookup")
        return with_site, DEMO_PROVIDER, 1
    hunter = services.providers().hunter(
        require_key(provider, settings.hunter_api_key, "HUNTER_API_KEY")
    )
    slots = asyncio.Semaphore(HUNTER_AT_ONCE)

    async def by_name(lead: Lead) -> Lead:
        async with slots:
            return lead.model_copy(update={"domain": await hunter.find_domain(lead.business_name)})

    missing = [index for index, lead in enumerate(with_site) if not lead.domain]
    named = await asyncio.gather(*(by_name(with_site[index]) for index in missing))
    for index, lead in zip(missing, named, strict=True):
        with_site[index] = lead
    return with_site, provider, len(missing)
