"""Which domains are the business's own: a platform's is not (providers.md §0.1: its Domain
Search returns the platform's staff), and a domain found by name must be that business's."""

from __future__ import annotations

import pytest

from webapp.core.leads import Lead
from webapp.tools.domains import from_website
from webapp.tools.name_match import same_business
from webapp.tools.platforms import platform_of


@pytest.mark.parametrize(
    ("host", "platform"),
    [
        ("facebook.com", "facebook.com"),
        ("m.facebook.com", "facebook.com"),
        ("joesplumbing.wixsite.com", "wixsite.com"),
        ("linktr.ee", "linktr.ee"),
        ("sites.google.com", "sites.google.com"),
        ("joesplumbing.co.uk", None),
        ("notfacebook.com", None),  # a suffix of the name is not the platform
        (None, None),
    ],
)
def test_platforms_are_known_by_their_domain_or_a_subdomain(
    host: str | None, platform: str | None
) -> None:
    assert platform_of(host) == platform


def test_a_website_on_a_platform_gives_no_domain_and_says_why() -> None:
    lead = Lead(business_name="Joe's Plumbing", website="https://www.facebook.com/joesplumbing")

    business = from_website(lead)

    assert business.lead.domain is None and business.origin == "platform"
    assert business.lead.notes == (
        "Website on facebook.com, a platform, not the business's own domain"
    )
    assert business.row()["domainStatus"] == "platform"


@pytest.mark.parametrize(
    ("place", "organization", "domain", "same"),
    [
        ("Northern Bean Cafe", "Northern Bean", None, True),
        ("Copper Kettle 2", "Copper Kettle", None, True),
        ("Café Noir", "Cafe Noir Ltd", None, True),
        ("Lantern Cafe", "Lantern Software Ltd", None, False),  # a generic name, another firm
        ("Joe's Plumbing", "Smith & Sons Plumbing", None, False),
        ("The Cafe", "Cafe Ltd", None, False),  # nothing to tell two businesses apart
        ("Mill Espresso Bar", None, "millespressobar.example", True),  # no organization named
        ("Mill Espresso Bar", None, "harbour.example", False),
    ],
)
def test_a_domain_found_by_name_must_be_the_businesss(
    place: str, organization: str | None, domain: str | None, same: bool
) -> None:
    assert same_business(place, organization, domain) is same
