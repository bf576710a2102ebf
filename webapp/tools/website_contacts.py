"""The `website` email provider: each business's best contact from its own web pages, its
address marked by whether its domain has a mail server, the page it came from kept on the lead."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from webapp.core.leads import Lead
from webapp.tools.providers.page_contacts import PageContact
from webapp.tools.providers.usage import spent_so_far
from webapp.tools.providers.website import PROVIDER as WEBSITES
from webapp.tools.services import ToolServices

PROVIDER = "website"
SITES_AT_ONCE = 40  # businesses' sites read side by side (each paced on its own host)


@dataclass(frozen=True)
class FromSite:
    """What one business's site gave its lead: the lead (with a contact, or as it was), and
    why nothing came of it (words for the notes, kept only if no later provider finds an
    email)."""

    lead: Lead
    trouble: str | None = None


async def from_websites(services: ToolServices, leads: list[Lead]) -> tuple[list[FromSite], int]:
    """Each lead with the best contact its own site shows (a business listing no site of its
    own, or a platform's page, is left as it is); and the requests sent."""
    clients = services.providers()
    site = clients.website()
    slots = asyncio.Semaphore(SITES_AT_ONCE)
    before = spent_so_far(WEBSITES).requests

    async def one(lead: Lead) -> FromSite:
        if not lead.website or not lead.domain:
            return FromSite(lead)
        async with slots:
            found = await site.contacts(lead.website)
        if not found.contacts:
            words = found.trouble or "Its website shows no email address"
            return FromSite(lead, words)
        best = found.contacts[0]
        mark = await clients.mail_servers.mark(best.email.rsplit("@", 1)[1])
        return FromSite(_with_site_contact(lead, best, mark))

    results = list(await asyncio.gather(*(one(lead) for lead in leads)))
    return results, spent_so_far(WEBSITES).requests - before


def _with_site_contact(lead: Lead, contact: PageContact, mark: str) -> Lead:
    first, _, last = (contact.name or "").partition(" ")
    return lead.model_copy(
        update={
            "contact_first_name": first or None,
            "contact_last_name": last or None,
            "contact_title": contact.role,
            "email": contact.email,
            "email_status": mark,
            "email_confidence": None,
            "phone": lead.phone or contact.phone,
            "email_found_by": PROVIDER,
            "email_source": contact.source_url,
        }
    )
