"""HUNTER_ENRICH: each business's best contact email, making one lead per business.

Best is a verified personal address, then an accept-all one, then a generic mailbox, then an
unverified personal one; an address known to be invalid is never chosen, only counted.
Served by the demo directory for now; `_find_contacts` is the seam a provider switch replaces.
"""

from __future__ import annotations

from typing import Any

from webapp.core.leads import Lead
from webapp.core.tooling import ToolEnv
from webapp.tools.demo_calls import DEMO_PROVIDER, demo_call
from webapp.tools.demo_contacts import Contact, contacts_for
from webapp.tools.services import ToolServices, services_of
from webapp.tools.step_inputs import lead_json, source_leads

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
    found, provider = await _find_contacts(services, env, businesses)
    leads = [_with_contact(lead, best_contact(contacts)) for lead, contacts in found]
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
) -> tuple[list[tuple[Lead, list[Contact]]], str]:
    """Every business with the contacts found at its domain, and the provider that served them."""
    await demo_call(services, env, "the contact search")
    found = [
        (lead, contacts_for(lead.domain, lead.business_name, lead.category) if lead.domain else [])
        for lead in businesses
    ]
    return found, DEMO_PROVIDER
