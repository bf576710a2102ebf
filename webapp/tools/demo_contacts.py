"""The demo directory's contacts: people and generic mailboxes at a business's `.example` domain.

Deterministic per domain, so every branch of a chain reports the same people.
"""

from __future__ import annotations

import random
import re
from typing import Literal, TypedDict

from webapp.tools import demo_words as words
from webapp.tools.demo_directory import seeded_rng

NO_CONTACTS_SHARE = 0.12
GENERIC_ONLY_SHARE = 0.30  # of domains: below this (and above NO_CONTACTS) only hello@/info@
EMAIL_STATUSES = ("valid", "accept_all", "unknown", "invalid")
CONFIDENCE = {"valid": (80, 99), "accept_all": (55, 85), "unknown": (30, 70), "invalid": (5, 40)}


class Contact(TypedDict):
    """One person (or a generic mailbox) at a business, as an email provider reports it."""

    first_name: str | None
    last_name: str | None
    title: str | None
    email: str
    type: Literal["personal", "generic"]
    confidence: int
    status: str  # valid | accept_all | unknown | invalid


def contacts_for(
    domain: str | None, business_name: str, category: str | None = None
) -> list[Contact]:
    """The people and mailboxes found at a `.example` domain; none for any other domain."""
    if not domain or not domain.lower().endswith(".example"):
        return []
    domain = domain.lower()
    rng = seeded_rng("contacts", domain)
    roll = rng.random()
    if roll < NO_CONTACTS_SHARE:
        return []
    titles = next((c.titles for c in words.CATEGORIES if c.key == category), words.GENERIC_TITLES)
    owner = next((w for w in re.findall(r"[A-Za-z]+", business_name) if w in words.SURNAMES), None)
    contacts: list[Contact] = []
    if roll >= GENERIC_ONLY_SHARE:
        for index in range(rng.randint(1, 3)):
            contact = _person(rng, domain, titles, owner if index == 0 else None)
            if all(contact["email"] != seen["email"] for seen in contacts):
                contacts.append(contact)
    if roll < GENERIC_ONLY_SHARE or rng.random() < 0.5:
        contacts.append(_mailbox(rng, domain))
    return contacts


def _person(rng: random.Random, domain: str, titles: tuple[str, ...], owner: str | None) -> Contact:
    first = rng.choice(words.FIRST_NAMES)
    last = owner or rng.choice(words.SURNAMES)
    local = rng.choice((first, f"{first}.{last}", f"{first[0]}.{last}", f"{first}{last}"))
    status = rng.choices(EMAIL_STATUSES, weights=(55, 20, 15, 10))[0]
    return Contact(
        first_name=first,
        last_name=last,
        title=rng.choice(titles),
        email=f"{local.lower()}@{domain}",
        type="personal",
        confidence=rng.randint(*CONFIDENCE[status]),
        status=status,
    )


def _mailbox(rng: random.Random, domain: str) -> Contact:
    status = rng.choices(EMAIL_STATUSES[:3], weights=(50, 35, 15))[0]
    return Contact(
        first_name=None,
        last_name=None,
        title=None,
        email=f"{rng.choice(words.GENERIC_MAILBOXES)}@{domain}",
        type="generic",
        confidence=rng.randint(*CONFIDENCE[status]),
        status=status,
    )
