"""HUNTER_DOMAIN_LOOKUP: the web domain of each business found, from its website."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webapp.core.leads import Lead
from webapp.core.tooling import ToolEnv
from webapp.tools.demo_calls import DEMO_PROVIDER, demo_call
from webapp.tools.demo_contacts import Contact
from webapp.tools.hunter_contacts import NameLookup, lookup_by_name
from webapp.tools.lead_calls import LeadCalls
from webapp.tools.platforms import platform_of
from webapp.tools.providers.choice import chosen_email_providers, require_key
from webapp.tools.providers.hunter import PROVIDER as HUNTER
from webapp.tools.providers.hunter import HunterClient
from webapp.tools.providers.usage import spent_so_far
from webapp.tools.providers.web_domains import domain_of
from webapp.tools.services import ToolServices, services_of
from webapp.tools.step_inputs import lead_json, source_leads

HUNTER_AT_ONCE = 15  # requests in flight (Hunter's rate x a slow answer); the limiter paces them
CONTACTS_KEY = "hunterContacts"  # a row's contacts found with its domain by name


@dataclass
class Business:
    """One business on its way through the step: its lead, how its domain was found (or why
    not) and, when Hunter found the domain by name, the contacts that came with it."""

    lead: Lead
    origin: str  # the website's domain was: found, no_website, platform
    lookup: str | None = None  # by name: by_name, name_mismatch, not_found, trouble
    contacts: list[Contact] | None = None

    def row(self) -> dict[str, Any]:
        row = lead_json(self.lead)
        row["domainStatus"] = self.lookup or self.origin
        if self.contacts is not None:
            row[CONTACTS_KEY] = [dict(contact) for contact in self.contacts]
        return row


async def lookup_domains(params: dict[str, Any], env: ToolEnv) -> dict[str, Any]:
    """A website on a platform (facebook.com, a site builder's shared host: `platforms.py`) is
    not the business's own domain. With Hunter as the email provider, a business without a
    domain of its own is looked up by its name; the domain is kept only when Hunter's
    organization is that business, and the contacts found with it go on to HUNTER_ENRICH, which
    does not search that domain again."""
    services = services_of(env)
    _, leads = source_leads(params, env, "businesses", "leads")
    found = [from_website(lead) for lead in leads]
    emails = chosen_email_providers(services.settings, services.provider_overrides)
    if "hunter" in emails:  # a business without a site of its own is looked up by name
        provider, requests = "hunter", await _by_name(services, found)
    elif "demo" in emails:
        await demo_call(services, env, "the domain lookup")
        provider, requests = DEMO_PROVIDER, 1
    else:  # the websites alone: each business's domain is its site's, nothing to ask
        provider, requests = "website", 0
    counts = {
        status: sum(1 for b in found if status in (b.origin, b.lookup)) for status in STATUS_WORDS
    }
    with_domain = sum(1 for business in found if business.lead.domain)
    return {
        "businesses": [business.row() for business in found],
        "count": len(found),
        "withDomain": with_domain,
        "withoutWebsite": counts["no_website"],  # listed no website at all
        "onPlatforms": counts["platform"],
        "byName": counts["by_name"],
        "nameMismatches": counts["name_mismatch"],
        "provider": provider,
        "requests": requests,
        "summary": _summary(with_domain, len(found), counts),
    }


def website_domain(website: str | None, domain: str | None) -> str | None:
    """The domain a business's website (else its listed domain) is on, platform or not."""
    return domain_of(website) or domain


def has_own_domain(website: str | None, domain: str | None) -> bool:
    """Whether the business has a domain of its own: one that is not a platform's."""
    found = website_domain(website, domain)
    return bool(found) and platform_of(found) is None


def from_website(lead: Lead) -> Business:
    """The business with the domain of its own website, or why it has none."""
    domain = website_domain(lead.website, lead.domain)
    platform = platform_of(domain)
    if platform:
        note = f"Website on {platform}, a platform, not the business's own domain"
        return Business(lead.model_copy(update={"domain": None}).with_note(note), "platform")
    if domain:
        return Business(lead.model_copy(update={"domain": domain}), "found")
    return Business(lead, "no_website")


def hunter_client(services: ToolServices) -> HunterClient:
    key = require_key("hunter", services.settings.hunter_api_key, "HUNTER_API_KEY")
    return services.providers().hunter(key)


def hunter_calls(services: ToolServices) -> LeadCalls:
    """Hunter requests one per lead, HUNTER_AT_ONCE in flight, each retried on its own."""
    return LeadCalls(
        HUNTER,
        at_once=HUNTER_AT_ONCE,
        policy=services.settings.retry_policy(),
        sleep=services.sleep,
    )


async def _by_name(services: ToolServices, found: list[Business]) -> int:
    """Look each business without a domain of its own up by name on Hunter; the requests sent."""
    hunter = hunter_client(services)
    before = spent_so_far(HUNTER).requests
    missing = [business for business in found if not business.lead.domain]
    names = [business.lead.business_name for business in missing]
    answers = await hunter_calls(services).run(names, lambda name: lookup_by_name(hunter, name))
    for business, answer in zip(missing, answers, strict=True):
        _take(business, answer.value, answer.trouble)
    return spent_so_far(HUNTER).requests - before


def _take(business: Business, lookup: NameLookup | None, trouble: str | None) -> None:
    if lookup is not None and lookup.domain:
        business.lead = business.lead.model_copy(update={"domain": lookup.domain})
        business.lookup, business.contacts = "by_name", lookup.contacts
        return
    note = (lookup.trouble if lookup else None) or trouble
    if note:
        business.lead = business.lead.with_note(note)
    if lookup is None:
        business.lookup = "trouble"
    else:
        business.lookup = "name_mismatch" if lookup.mismatch else "not_found"


STATUS_WORDS = {
    "no_website": "have no website",
    "platform": "list a platform as their website",
    "by_name": "found by name",
    "name_mismatch": "matched another firm by name, dropped",
    "not_found": "not found by name",
    "trouble": "could not be looked up",
}


def _summary(with_domain: int, count: int, counts: dict[str, int]) -> str:
    summary = f"Found the domain of {with_domain} of {count} businesses"
    parts = [
        f"{counts[status]} {words}" for status, words in STATUS_WORDS.items() if counts[status]
    ]
    return summary + (f" ({'; '.join(parts)})" if parts else "")
