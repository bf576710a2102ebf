"""What the contact steps ask of Hunter: the decision makers at a domain (else whoever it knows),
the domain behind a company name when it is that business's, and a check of the chosen address
that falls back to the next one when Hunter finds it invalid, claimed or unverifiable."""

from __future__ import annotations

from dataclasses import dataclass, field

from webapp.tools.demo_contacts import Contact
from webapp.tools.name_match import same_business
from webapp.tools.platforms import platform_of
from webapp.tools.providers.hunter import Audience, DomainSearch, HunterClient, HunterEmail

# Owners and executives: the people a small business's lead is about (providers.md §0.1).
DECISION_MAKERS = Audience(
    type="personal", seniority="senior,executive", department="executive,management"
)
SEARCH_LIMIT = 10  # one credit buys up to 10 addresses
MOST_CHECKS = 2  # addresses verified for one lead at most (half a credit each)
NO_CONTACT = {  # why a lead ends without a contact, by the verifier's last verdict
    "invalid": "Hunter's verifier found the address invalid",
    "claimed": "The address's owner asked Hunter not to process it, so it was dropped",
    "failed": "Hunter could not verify the address: verification failed, try later",
}
FIRST_DROPPED = "Hunter's first choice of address was dropped"
DROPPED_BECAUSE = {
    "invalid": "invalid",
    "claimed": "its owner asked not to be processed",
    "failed": "verification failed",
}


@dataclass(frozen=True)
class NameLookup:
    """What a search by company name gave: the domain (when it is the business's), the
    contacts found with it, or why there is none."""

    domain: str | None = None
    contacts: list[Contact] = field(default_factory=list)
    trouble: str | None = None
    mismatch: bool = False


async def contacts_at(hunter: HunterClient, domain: str) -> list[Contact]:
    """The decision makers Hunter knows at `domain`, else whoever it knows there (mailboxes
    such as info@, people whose role it does not know)."""
    first = await hunter.domain_search(domain=domain, limit=SEARCH_LIMIT, audience=DECISION_MAKERS)
    return await _or_anyone(hunter, first, domain)


async def lookup_by_name(hunter: HunterClient, name: str) -> NameLookup:
    """The business's domain from its name (Domain Search by company), checked against the
    organization Hunter names; a platform or another firm's domain is not used."""
    first = await hunter.domain_search(company=name, limit=SEARCH_LIMIT, audience=DECISION_MAKERS)
    if not first.domain:
        return NameLookup(trouble="Hunter knows no domain for this name")
    platform = platform_of(first.domain)
    if platform:
        return NameLookup(trouble=f"Hunter's domain for this name is {platform}, a platform")
    if not same_business(name, first.organization, first.domain):
        owner = first.organization or "another business"
        return NameLookup(
            trouble=f"Hunter's domain for this name ({first.domain}) belongs to {owner}; not used",
            mismatch=True,
        )
    return NameLookup(domain=first.domain, contacts=await _or_anyone(hunter, first, None))


async def _or_anyone(
    hunter: HunterClient, first: DomainSearch, domain: str | None
) -> list[Contact]:
    if first.emails:
        return [contact_from(email) for email in first.emails]
    target = first.domain or domain
    if not target:
        return []
    # A search that finds nothing is free (§0.1): asking again without the filters costs a
    # credit only when Hunter knows someone there.
    second = await hunter.domain_search(domain=target, limit=SEARCH_LIMIT)
    return [contact_from(email) for email in second.emails]


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


@dataclass(frozen=True)
class Checked:
    """The contact to keep after verification (None: none usable) and what happened."""

    contact: Contact | None
    note: str | None = None
    checks: int = 0
    invalid: int = 0
    claimed: int = 0
    failed: int = 0


async def verified_choice(hunter: HunterClient, ranked: list[Contact]) -> Checked:
    """The first of `ranked` that Hunter already knows valid, or that its verifier does not
    find invalid, claimed (451: dropped, never kept) or unverifiable (222); at most
    MOST_CHECKS verifications."""
    counts = {"invalid": 0, "claimed": 0, "failed": 0}
    dropped: str | None = None  # the last verdict that dropped an address
    checks = 0
    for contact in ranked:
        if contact["status"] != "valid":
            if checks == MOST_CHECKS:
                break
            checks += 1
            verdict = await hunter.verify(contact["email"])
            if verdict in counts:
                counts[verdict] += 1
                dropped = verdict
                continue
            contact = contact.copy()
            contact["status"] = verdict
        note = f"{FIRST_DROPPED} ({DROPPED_BECAUSE[dropped]})" if dropped else None
        return Checked(contact, note, checks, **counts)
    return Checked(None, NO_CONTACT[dropped] if dropped else None, checks, **counts)
