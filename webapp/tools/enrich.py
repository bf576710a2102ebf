"""HUNTER_ENRICH: each business's best contact email, making one lead per business."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from webapp.core.leads import Lead, email_counts
from webapp.core.tooling import ToolEnv
from webapp.tools.demo_calls import DEMO_PROVIDER, demo_call
from webapp.tools.demo_contacts import Contact, contacts_for
from webapp.tools.domains import CONTACTS_KEY, hunter_calls, hunter_client
from webapp.tools.hunter_contacts import contacts_at, verified_choice
from webapp.tools.providers.choice import chosen_email_providers, provider_label
from webapp.tools.providers.hunter import PROVIDER as HUNTER
from webapp.tools.providers.hunter import HunterClient
from webapp.tools.providers.usage import spent_so_far
from webapp.tools.services import ToolServices, services_of
from webapp.tools.step_inputs import lead_json, leads_in, source_output
from webapp.tools.website_contacts import from_websites

# Lower is better: (type, verification status) -> rank. Anything not listed is never chosen.
CONTACT_RANK = {
    ("personal", "valid"): 0,
    ("personal", "accept_all"): 1,
    ("generic", "valid"): 2,
    ("generic", "accept_all"): 3,
    ("personal", "unknown"): 4,
    ("generic", "unknown"): 5,
}
TROUBLE_WORDS = {  # kinds of trouble one lead may have had, as the summary counts them
    "refused": "refused by Hunter",
    "unanswered": "not answered by Hunter (try later)",
    "failed": "not verifiable now",
    "claimed": "addresses dropped at their owner's request",
}


@dataclass
class Found:
    """A business, the contacts found for it, and its trouble (words for its notes, a kind)."""

    lead: Lead
    contacts: list[Contact]
    trouble: str | None = None
    kind: str | None = None
    invalid: int = 0  # addresses the verifier found invalid
    site_trouble: str | None = None  # why its website gave no email (noted if none came)


async def enrich_contacts(params: dict[str, Any], env: ToolEnv) -> dict[str, Any]:
    """Served by the run's email provider: the demo directory, or Hunter (a Domain Search per
    domain for its decision makers, else whoever it knows there; the Email Verifier for the
    chosen address when LEADGEN_HUNTER_VERIFY is on). One business's trouble with Hunter stays
    on its lead's notes."""
    services = services_of(env)
    source, data = source_output(params, env)
    businesses = leads_in(data, env, source, "businesses", "leads")
    carried = _carried_contacts(data)
    carried += [None] * (len(businesses) - len(carried))
    providers = chosen_email_providers(services.settings, services.provider_overrides)
    found = [Found(lead, []) for lead in businesses]
    leads = list(businesses)
    waterfall = Waterfall(providers)
    for provider in providers:
        wanting = [i for i, lead in enumerate(leads) if not usable(lead)]
        if not wanting:
            break
        if provider == "website":
            sites, sent = await from_websites(services, [leads[i] for i in wanting])
            for i, site in zip(wanting, sites, strict=True):
                leads[i] = site.lead
                found[i].site_trouble = site.trouble
            waterfall.pages += sent
        elif provider == "hunter":
            await _from_hunter(services, wanting, leads, found, carried, waterfall)
        else:
            await demo_call(services, env, "the contact search")
            for i in wanting:
                found[i].contacts = _demo_contacts(leads[i])
                leads[i] = _with_contact(leads[i], best_contact(found[i].contacts), DEMO_PROVIDER)
            waterfall.requests += 1
        waterfall.served[provider] = sum(1 for i in wanting if usable(leads[i]))
    leads = [_noted(each, lead) for each, lead in zip(found, leads, strict=True)]
    return _output(found, leads, waterfall)


@dataclass
class Waterfall:
    """The providers asked in turn, what each served, and what they sent and spent."""

    providers: list[str]
    served: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    pages: int = 0
    credits: float = 0.0


def usable(lead: Lead) -> bool:
    """A lead whose email needs no further provider: one not known to bounce."""
    return bool(lead.email) and lead.email_status not in ("invalid", "no_mx")


async def _from_hunter(
    services: ToolServices,
    wanting: list[int],
    leads: list[Lead],
    found: list[Found],
    carried: list[list[Contact] | None],
    waterfall: Waterfall,
) -> None:
    hunter = hunter_client(services)
    before = spent_so_far(HUNTER)
    asked = await _hunter_contacts(
        services, hunter, [leads[i] for i in wanting], [carried[i] for i in wanting]
    )
    chosen = await _choose(services, hunter, asked)
    for i, each, lead in zip(wanting, asked, chosen, strict=True):
        found[i].contacts, found[i].trouble = each.contacts, each.trouble
        found[i].kind, found[i].invalid = each.kind, each.invalid
        leads[i] = lead  # built on the lead as it came: a website's marked address stays
    after = spent_so_far(HUNTER)
    waterfall.requests += after.requests - before.requests
    waterfall.credits += after.credits - before.credits


def best_contact(contacts: list[Contact]) -> Contact | None:
    """The most usable contact, or None when every one is invalid or there are none. Best is a
    verified personal address, then an accept-all one, then a generic mailbox, then an
    unverified personal one; an address known to be invalid is never chosen, only counted."""
    ranked = usable_contacts(contacts)
    return ranked[0] if ranked else None


def usable_contacts(contacts: list[Contact]) -> list[Contact]:
    """The contacts that may be chosen, best first."""
    usable = [c for c in contacts if (c["type"], c["status"]) in CONTACT_RANK]
    return sorted(usable, key=lambda c: (CONTACT_RANK[(c["type"], c["status"])], -c["confidence"]))


def _demo_contacts(lead: Lead) -> list[Contact]:
    return contacts_for(lead.domain, lead.business_name, lead.category) if lead.domain else []


def _with_contact(lead: Lead, contact: Contact | None, found_by: str) -> Lead:
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
            "email_found_by": found_by,
            "email_source": None,
        }
    )


def _carried_contacts(data: dict[str, Any]) -> list[list[Contact] | None]:
    """The contacts HUNTER_DOMAIN_LOOKUP found with each business's domain (None: not
    searched there), in the order of its businesses."""
    rows = data.get("businesses", data.get("leads"))
    carried: list[list[Contact] | None] = []
    for row in rows if isinstance(rows, list) else []:
        contacts = row.get(CONTACTS_KEY) if isinstance(row, dict) else None
        if isinstance(contacts, list):
            carried.append([c for c in map(_as_contact, contacts) if c is not None])
        else:
            carried.append(None)
    return carried


def _as_contact(value: Any) -> Contact | None:
    if not isinstance(value, dict) or not isinstance(value.get("email"), str):
        return None
    return Contact(
        first_name=value.get("first_name"),
        last_name=value.get("last_name"),
        title=value.get("title"),
        email=value["email"],
        type="generic" if value.get("type") == "generic" else "personal",
        confidence=value["confidence"] if isinstance(value.get("confidence"), int) else 0,
        status=str(value.get("status") or "unknown"),
    )


async def _hunter_contacts(
    services: ToolServices,
    hunter: HunterClient,
    businesses: list[Lead],
    carried: list[list[Contact] | None],
) -> list[Found]:
    """Every business with the contacts Hunter knows at its domain: those the domain lookup
    already found, else one search per distinct domain (a chain's branches share one)."""
    pairs = list(zip(businesses, carried, strict=True))
    domains = sorted({lead.domain for lead, known in pairs if lead.domain and known is None})
    searched = await hunter_calls(services).run(domains, lambda domain: contacts_at(hunter, domain))
    answers = dict(zip(domains, searched, strict=True))
    found = []
    for lead, known in pairs:
        if known is not None or not lead.domain:
            found.append(Found(lead, known or []))
            continue
        answer = answers[lead.domain]
        kind = None if answer.trouble is None else "unanswered" if answer.unanswered else "refused"
        found.append(Found(lead, answer.value or [], answer.trouble, kind))
    return found


async def _choose(services: ToolServices, hunter: HunterClient, found: list[Found]) -> list[Lead]:
    """Each business's lead with its chosen contact (verified first when asked to)."""
    if not services.settings.hunter_verify:
        return [_with_contact(f.lead, best_contact(f.contacts), "hunter") for f in found]
    checked = await hunter_calls(services).run(
        found, lambda f: verified_choice(hunter, usable_contacts(f.contacts))
    )
    leads = []
    for each, answer in zip(found, checked, strict=True):
        if answer.value is None:  # the verifier refused it, or did not answer
            each.trouble = answer.trouble
            each.kind = "unanswered" if answer.unanswered else "refused"
            leads.append(each.lead)
            continue
        result = answer.value
        each.invalid = result.invalid
        if result.claimed or result.failed:
            each.kind = "claimed" if result.claimed else "failed"
        lead = _with_contact(each.lead, result.contact, "hunter")
        leads.append(lead.with_note(result.note) if result.note else lead)
    return leads


def _noted(found: Found, lead: Lead) -> Lead:
    """The lead with its trouble on its notes; a website's only when no email came at all."""
    if found.trouble:
        lead = lead.with_note(found.trouble)
    if found.site_trouble and not lead.email:
        lead = lead.with_note(found.site_trouble)
    return lead


def _output(found: list[Found], leads: list[Lead], waterfall: Waterfall) -> dict[str, Any]:
    invalid = sum(f.invalid for f in found)
    invalid += sum(1 for f in found for c in f.contacts if c["status"] == "invalid")
    with_email, verified = email_counts(leads)
    kinds = Counter(f.kind for f in found if f.kind)
    summary = f"Found an email for {with_email} of {len(leads)} businesses ({verified} verified"
    summary += f"; {invalid} invalid addresses skipped" if invalid else ""
    summary += "".join(f"; {kinds[k]} {words}" for k, words in TROUBLE_WORDS.items() if kinds[k])
    summary += _sources(waterfall)
    providers = waterfall.providers
    return {
        "leads": [lead_json(lead) for lead in leads],
        "count": len(leads),
        "contactsFound": sum(len(f.contacts) for f in found),
        "withEmail": with_email,
        "verified": verified,
        "invalidSkipped": invalid,
        "troubled": sum(kinds.values()),
        "trouble": dict(kinds),
        "provider": ",".join(providers),
        "providers": providers,
        "byProvider": waterfall.served,
        "requests": waterfall.requests + waterfall.pages,
        "pages": waterfall.pages,
        "creditsSaved": _credits_saved(waterfall),
        "summary": summary + ")",
    }


def _sources(waterfall: Waterfall) -> str:
    """Which provider found how many ("website: 41 emails; Hunter: 12 more, 12 credits; 29
    credits saved"), when more than one was asked or the websites were."""
    if waterfall.providers in (["hunter"], ["demo"]):
        return ""
    parts = []
    for index, provider in enumerate(waterfall.providers):
        if provider not in waterfall.served:
            continue
        count = waterfall.served[provider]
        text = f"{provider_label(provider, short=True)}: {count} {'more' if index else 'emails'}"
        if provider == "hunter":
            text += f", {waterfall.credits:g} credits"
        parts.append(text)
    saved = _credits_saved(waterfall)
    if saved:
        parts.append(f"{saved} credits saved")
    return "".join(f"; {part}" for part in parts)


def _credits_saved(waterfall: Waterfall) -> int:
    """What the free sources saved: a Domain Search (a credit) for each email they found
    before Hunter was asked."""
    if "hunter" not in waterfall.providers:
        return 0
    before = waterfall.providers[: waterfall.providers.index("hunter")]
    return sum(waterfall.served.get(provider, 0) for provider in before if provider != "demo")
