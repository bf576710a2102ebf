"""HUNTER_ENRICH: one lead per business with its best usable contact."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from webapp.core.models import LeadGenStepResult
from webapp.tools.demo_contacts import Contact, contacts_for
from webapp.tools.enrich import best_contact

RunSteps = Callable[..., Awaitable[dict[str, LeadGenStepResult]]]


async def enriched(
    run_steps: RunSteps, **places: Any
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    prior = await run_steps("hunter_enrich_3", google_places_1=places)
    return prior["hunter_domain_lookup_2"].data["businesses"], prior["hunter_enrich_3"].data


async def test_every_business_becomes_one_lead(run_steps: RunSteps) -> None:
    businesses, data = await enriched(run_steps)
    assert data["count"] == len(data["leads"]) == len(businesses) == 40
    assert [lead["businessName"] for lead in data["leads"]] == [
        business["businessName"] for business in businesses
    ]
    for business, lead in zip(businesses, data["leads"], strict=True):
        if "domain" not in business:
            assert "email" not in lead  # kept, without an email
        assert {k: v for k, v in lead.items() if k in business} == {
            k: v for k, v in business.items() if k != "domainStatus"
        }
    assert data["provider"] == "demo"


async def test_invalid_addresses_are_counted_but_never_chosen(run_steps: RunSteps) -> None:
    businesses, data = await enriched(
        run_steps, query="estate agents", region="Leeds", maxResults=200
    )
    all_contacts = [
        contacts_for(business.get("domain"), business["businessName"], business["category"])
        for business in businesses
    ]
    invalid = {c["email"] for group in all_contacts for c in group if c["status"] == "invalid"}
    assert invalid and data["invalidSkipped"] == sum(
        1 for group in all_contacts for c in group if c["status"] == "invalid"
    )
    emails = [lead["email"] for lead in data["leads"] if "email" in lead]
    assert emails and not invalid & set(emails)
    assert all(lead.get("emailStatus") != "invalid" for lead in data["leads"])
    assert data["contactsFound"] == sum(len(group) for group in all_contacts)
    assert data["withEmail"] == len(emails)
    assert data["verified"] == sum(
        1 for lead in data["leads"] if lead.get("emailStatus") == "valid"
    )
    assert data["summary"] == (
        f"Found an email for {data['withEmail']} of {data['count']} businesses "
        f"({data['verified']} verified; {data['invalidSkipped']} invalid addresses skipped)"
    )


async def test_a_chosen_contact_carries_the_persons_details(run_steps: RunSteps) -> None:
    _, data = await enriched(run_steps)
    personal = [lead for lead in data["leads"] if "contactFirstName" in lead]
    assert personal
    for lead in personal:
        assert lead["email"].endswith("@" + lead["domain"])
        assert lead["contactLastName"] and lead["contactTitle"]
        assert 0 <= lead["emailConfidence"] <= 100


def contact(kind: str, status: str, confidence: int, email: str) -> Contact:
    personal = kind == "personal"
    return Contact(
        first_name="Jo" if personal else None,
        last_name="Hart" if personal else None,
        title="Owner" if personal else None,
        email=email,
        type="personal" if personal else "generic",
        confidence=confidence,
        status=status,
    )


def test_best_contact_prefers_valid_people_then_accept_all_then_mailboxes() -> None:
    invalid = contact("personal", "invalid", 99, "bad@x.example")
    unknown = contact("personal", "unknown", 90, "maybe@x.example")
    generic = contact("generic", "valid", 95, "hello@x.example")
    accept_all = contact("personal", "accept_all", 60, "jo@x.example")
    valid = contact("personal", "valid", 81, "jo.hart@x.example")
    better_valid = contact("personal", "valid", 97, "j.hart@x.example")
    assert (
        best_contact([invalid, unknown, generic, accept_all, valid, better_valid]) == better_valid
    )
    assert best_contact([invalid, unknown, generic, accept_all]) == accept_all
    assert best_contact([invalid, unknown, generic]) == generic
    assert best_contact([invalid, unknown]) == unknown
    assert best_contact([invalid]) is None
    assert best_contact([]) is None
