"""HUNTER_DOMAIN_LOOKUP: the web domain of each business found, from its website.

Businesses without a website are kept and marked `no_website`. Served by the demo directory for
now; `_lookup` is the seam a provider switch replaces.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from webapp.core.leads import Lead
from webapp.core.tooling import ToolEnv
from webapp.tools.demo_calls import DEMO_PROVIDER, demo_call
from webapp.tools.services import ToolServices, services_of
from webapp.tools.step_inputs import lead_json, source_leads


async def lookup_domains(params: dict[str, Any], env: ToolEnv) -> dict[str, Any]:
    services = services_of(env)
    _, businesses = source_leads(params, env, "businesses", "leads")
    found, provider = await _lookup(services, env, businesses)
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
) -> tuple[list[Lead], str]:
    """Each business with its domain set (or left empty) and the provider that served it."""
    await demo_call(services, env, "the domain lookup")
    return [
        lead.model_copy(update={"domain": domain_of(lead.website) or lead.domain})
        for lead in businesses
    ], DEMO_PROVIDER
