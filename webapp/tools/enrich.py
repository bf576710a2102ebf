"""HUNTER_ENRICH: each business's best contact email, making one lead per business.

Best is a verified personal address, then an accept-all one, then a generic mailbox, then an
unverified personal one; an address known to be invalid is never chosen, only counted.
Served by the run's email provider: the demo directory, or Hunter (a Domain Search per domain,
and the Email Verifier for the chosen address when LEADGEN_HUNTER_VERIFY is on).
"""

from __future__ import annotations

import asyncio
from typing import Any

from webapp.core.leads import Lead
from webapp.core.tooling import ToolEnv
from webapp.tools.demo_calls import DEMO_PROVIDER, demo_call
from webapp.tools.demo_contacts import Contact, contacts_for
from webapp.tools.providers.choice import chosen_provider, require_key
from webapp.tools.providers.hunter import HunterClient, HunterEmail
from webapp.tools.services import ToolServices, services_of
from webapp.tools.step_inputs import lead_json, source_leads

HUNTER_AT_ONCE = 15  # requests in flight (Hunter's rate x a slow answer); the limiter paces them
DOMAIN_SEARCH_LIMIT = 10  # one request (one credit) returns up to 10 addresses

# Lower is better: (type, verification status) -> rank. Anything not listed is never chosen.
CONTACT_RANK = {
    ("personal", "valid"): 0,
    ("personal", "accept_all"): 1,
    ("generic", "valid"): 2,
    ("generic", "accept_all"): 3,
    ("personal", "unknown"): 4,
    ("generic", "unknown"): 5,
}


async def enrich_contacts(params: dict[str, Any], env: ToolEnv) -> dict[str, Any]:
    services = services_of(env)
    _, businesses = source_leads(params, env, "businesses", "leads")
    found, provider, requests = await _find_contacts(services, env, businesses)
    leads = [_with_contact(lead, best_contact(contacts)) for lead, contacts in found]
    if provider == "hunter" and services.settings.hunter_verify:
        leads, verifications = await _verify(services, leads)
        requests += verifications
    contacts_found = sum(len(contacts) for _, contacts in found)
    invalid = sum(1 for _, contacts in found for c in contacts if c["status"] == "invalid")
    with_email = sum(1 for lead in leads if lead.email)
    verified = sum(1 for lead in leads if lead.email and lead.email_status == "valid")
    summary = f"Found an email for {with_email} of {len(leads)} businesses ({verified} verified"
    summary += f"; {invalid} invalid addresses skipped)" if invalid else ")"
    return {
        "leads": [lead_json(lead) for lead in leads],
        "count": len(leads),
        "contactsFound": contacts_found,
        "withEmail": with_email,
        "verified": verified,
        "invalidSkipped": invalid,
        "provider": provider,
        "requests": requests,
        "summary": summary,
    }


def best_contact(contacts: list[Contact]) -> Contact | None:
    """The most usable contact, or None when every one is invalid or there are none."""
    usable = [c for c in contacts if (c["type"], c["status"]) in CONTACT_RANK]
    if not usable:
        return None
    return min(usable, key=lambda c: (CONTACT_RANK[(c["type"], c["status"])], -c["confidence"]))


def _with_contact(lead: Lead, contact: Contact | None) -> Lead:
    if contact is None:
        return lead
    return lead.model_copy(
        update={
            "contact_first_name": contact["first_name"],
            "contact_last_name": contact["last_name"],
            "contact_title": contact["title"],
            "email": contact["email"],
            "email_status": contact["status"],
            "email_confidence": contact["confidence"],
        }
    )


async def _find_contacts(
    services: ToolServices, env: ToolEnv, businesses: list[Lead]
) -> tuple[list[tuple[Lead, list[Contact]]], str, int]:
    """Every business with the contacts found at its domain, the provider that served them and
    the requests it took."""
    settings = services.settings
    provider = chosen_provider(settings, services.provider_overrides, "email")
    if provider != "hunter":
        await demo_call(services, env, "the contact search")
        found = [
            (
                lead,
                contacts_for(lead.domain, lead.business_name, lead.category) if lead.domain else [],
            )
            for lead in businesses
        ]
        return found, DEMO_PROVIDER, 1
    hunter = _hunter(services)
    slots = asyncio.Semaphore(HUNTER_AT_ONCE)

    async def search(lead: Lead) -> tuple[Lead, list[Contact]]:
        if not lead.domain:
            return lead, []
        async with slots:
            result = await hunter.domain_search(domain=lead.domain, limit=DOMAIN_SEARCH_LIMIT)
        return lead, [contact_from(email) for email in result.emails]

    found = list(await asyncio.gather(*(search(lead) for lead in businesses)))
    return found, provider, sum(1 for lead in businesses if lead.domain)


def contact_from(email: HunterEmail) -> Contact:
    return Contact(
        first_name=email.first_name,
        last_name=email.last_name,
        title=email.position,
        email=email.value,
        type="generic" if email.type == "generic" else "personal",
        confidence=email.confidence or 0,
        status=email.verification_status or "unknown",
    )


def _hunter(services: ToolServices) -> HunterClient:
    key = require_key("hunter", services.settings.hunter_api_key, "HUNTER_API_KEY")
    return services.providers().hunter(key)


async def _verify(services: ToolServices, leads: list[Lead]) -> tuple[list[Lead], int]:
    """Check each chosen address with the Email Verifier; an invalid one is dropped."""
    hunter = _hunter(services)
    slots = asyncio.Semaphore(HUNTER_AT_ONCE)

    async def check(lead: Lead) -> Lead:
        if not lead.email or lead.email_status in ("valid", "invalid"):
            return lead
        async with slots:
            status = await hunter.verify(lead.email)
        if status == "invalid":
            return lead.model_copy(update={"email": None, "email_status": "invalid"})
        return lead.model_copy(update={"email_status": status})

    checked = list(await asyncio.gather(*(check(lead) for lead in leads)))
    asked = sum(1 for lead in leads if lead.email and lead.email_status not in ("valid", "invalid"))
    return checked, asked
