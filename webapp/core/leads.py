"""The canonical lead record and the rules that rank and deduplicate leads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from webapp.core.models import CamelModel

EMAIL_STATUS_RANK = {
    "valid": 0,
    "accept_all": 1,
    "unknown": 2,
    "mx_ok": 2,  # found on the business's site, its domain has a mail server
    "unchecked": 2,  # found on the business's site, no DNS answer to check its domain
    "webmail": 3,
    "disposable": 5,
    "no_mx": 5,  # found on the business's site, but its domain has no mail server
    "invalid": 6,
}


def status_rank(status: str | None) -> int:
    """Where an email status stands, best first (no status reads as "unknown"; one not
    listed comes after "webmail")."""
    return EMAIL_STATUS_RANK.get(status or "unknown", 4)


class Lead(CamelModel):
    # One lead is one business with its best contact. Fields follow the "Suggested canonical
    # lead record" of the providers reference, so every provider maps onto the same shape.
    business_name: str
    category: str | None = None
    website: str | None = None
    domain: str | None = None
    phone: str | None = None
    address: str | None = None
    city: str | None = None
    postcode: str | None = None
    country: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    rating: float | None = None
    review_count: int | None = None
    business_status: str | None = None
    contact_first_name: str | None = None
    contact_last_name: str | None = None
    contact_title: str | None = None
    email: str | None = None
    email_status: str | None = None
    email_confidence: int | None = None
    linkedin_url: str | None = None
    source: str = "demo"
    source_id: str | None = None
    retrieved_at: str | None = None
    # Who found the email (website, hunter, demo, openstreetmap) and the page it was on.
    email_found_by: str | None = None
    email_source: str | None = None
    # A business that serves customers at their place (a plumber) and lists no storefront.
    service_area: bool | None = None
    # What the user should know about this lead, in words: why it has no contact, why its
    # website was not searched, that it is temporarily closed ... ("; " between notes).
    notes: str | None = None

    def with_note(self, note: str) -> Lead:
        """This lead with `note` added to its notes (once)."""
        present = self.notes.split("; ") if self.notes else []
        if note in present:
            return self
        return self.model_copy(update={"notes": "; ".join([*present, note])})


def is_verified(lead: Lead) -> bool:
    """The lead has an email the verifier called valid."""
    return bool(lead.email) and lead.email_status == "valid"


def email_counts(leads: Iterable[Lead]) -> tuple[int, int]:
    """How many of `leads` have an email, and how many a verified one."""
    with_email = verified = 0
    for lead in leads:
        if lead.email:
            with_email += 1
            verified += lead.email_status == "valid"
    return with_email, verified


def delivered_words(saved: int, wanted: int | None, with_email: int, verified: int) -> str:
    """What a run delivered against what it asked for: "83 of 100 leads (67 with an email, 44
    verified)"; "No leads saved" when it saved none."""
    if not saved:
        return "No leads saved"
    noun = "lead" if (wanted or saved) == 1 else "leads"
    of = f"{saved} of {wanted} {noun}" if wanted else f"{saved} {noun}"
    return f"{of} ({with_email} with an email, {verified} verified)"


def lead_sort_key(lead: Lead) -> tuple[int, int, int, str]:
    """Best first: a usable verified email, then any email, then a domain, then the rest."""
    if lead.email:
        rank = status_rank(lead.email_status)
        tier = 0 if rank <= 1 else 1
    elif lead.domain:
        tier, rank = 2, 9
    else:
        tier, rank = 3, 9
    return (tier, rank, -(lead.email_confidence or 0), lead.business_name.lower())


def dedupe_leads(leads: Iterable[Lead]) -> tuple[list[Lead], int]:
    """Drop repeats by email, then domain, then source id; keep the first of each.

    Returns the kept leads in their original order and how many were dropped.
    """
    seen_emails: set[str] = set()
    seen_domains: set[str] = set()
    seen_sources: set[tuple[str, str]] = set()
    kept: list[Lead] = []
    dropped = 0
    for lead in leads:
        email = (lead.email or "").strip().lower()
        domain = (lead.domain or "").strip().lower()
        source = (lead.source, lead.source_id) if lead.source_id else None
        if (
            (email and email in seen_emails)
            or (domain and domain in seen_domains)
            or (source and source in seen_sources)
        ):
            dropped += 1
            continue
        if email:
            seen_emails.add(email)
        if domain:
            seen_domains.add(domain)
        if source:
            seen_sources.add(source)
        kept.append(lead)
    return kept, dropped


def leads_from_data(rows: Sequence[Any]) -> list[Lead]:
    """Leads as a tool's output carries them (camelCase dicts) back into models."""
    return [row if isinstance(row, Lead) else Lead.model_validate(row) for row in rows]
