"""The demo directory: deterministic, local-looking businesses on reserved domains only."""

from __future__ import annotations

import re

import pytest

from webapp.core.leads import Lead
from webapp.tools import demo_directory
from webapp.tools.demo_contacts import contacts_for
from webapp.tools.providers.web_domains import domain_of

QUERIES = [
    ("coffee shops", "Manchester", "GB"),
    ("dentists", "New York", "US"),
    ("florists", "Paris", "FR"),
    ("plumbers", "UK", "GB"),
    ("wedding photographers", "Sheffield", "GB"),
]


def everything(persona: str, region: str, country: str) -> list[Lead]:
    return demo_directory.search(persona, region, country, 10_000)


def test_the_same_query_gives_identical_businesses() -> None:
    first = everything("coffee shops", "Manchester", "GB")
    again = everything("coffee shops", "Manchester", "GB")
    assert [lead.model_dump() for lead in first] == [lead.model_dump() for lead in again]
    # Case and spacing do not make a different directory.
    assert everything("Coffee  Shops", " manchester", "gb") == first


@pytest.mark.parametrize(
    ("region", "country", "postcode", "phone", "centre"),
    [
        ("Manchester", "GB", r"M\d{1,2} \d[A-Z]{2}", r"0161 496 0\d{3}", (53.48, -2.24)),
        ("London", "GB", r"[A-Z]{1,2}\d{1,2}[A-Z]? \d[A-Z]{2}", r"020 7946 0\d{3}", (51.51, -0.13)),
        ("New York", "US", r"100\d\d", r"\(212\) 555-01\d\d", (40.71, -74.01)),
        ("Paris", "FR", r"750\d\d", r"\+33 1 99 00 \d\d \d\d", (48.86, 2.35)),
        ("Toronto", "CA", r"M\d[A-Z] \d[A-Z]\d", r"\(416\) 555-01\d\d", (43.65, -79.38)),
        ("Sydney", "AU", r"2\d{3}", r"\(02\) 5550 \d{4}", (-33.87, 151.21)),
    ],
)
def test_each_city_has_its_own_postcodes_phones_and_place(
    region: str, country: str, postcode: str, phone: str, centre: tuple[float, float]
) -> None:
    leads = everything("coffee shops", region, country)
    for lead in leads:
        assert lead.city == region and lead.country == country
        assert lead.postcode and re.fullmatch(postcode, lead.postcode), lead.postcode
        assert lead.phone and re.fullmatch(phone, lead.phone), lead.phone
        assert lead.postcode in (lead.address or "")
        assert lead.latitude is not None and abs(lead.latitude - centre[0]) < 0.15
        assert lead.longitude is not None and abs(lead.longitude - centre[1]) < 0.25
        assert lead.rating is not None and 1 <= lead.rating <= 5
        assert lead.review_count is not None and lead.review_count > 0


def test_different_cities_give_different_businesses() -> None:
    manchester = {lead.business_name for lead in everything("coffee shops", "Manchester", "GB")}
    leeds = {lead.business_name for lead in everything("coffee shops", "Leeds", "GB")}
    assert len(manchester & leeds) < min(len(manchester), len(leeds)) / 2


@pytest.mark.parametrize(("persona", "region", "country"), QUERIES)
def test_a_search_returns_at_most_max_results(persona: str, region: str, country: str) -> None:
    size = demo_directory.directory_size(persona, region, country)
    assert 30 <= size <= 120
    for limit in (1, 7, 25, size, size + 50):
        leads = demo_directory.search(persona, region, country, limit)
        assert len(leads) == min(limit, size)
        assert leads == everything(persona, region, country)[:limit]


def test_names_are_unique_and_look_like_the_category() -> None:
    leads = everything("bakeries", "Bristol", "GB")
    names = [lead.business_name for lead in leads]
    assert len(names) == len(set(names))
    assert {lead.category for lead in leads} == {"bakery"}
    assert all(lead.business_name.strip() and "{" not in lead.business_name for lead in leads)


def test_websites_and_emails_are_only_on_example_domains() -> None:
    for query in QUERIES:
        for lead in everything(*query):
            if lead.website is None:
                continue
            domain = domain_of(lead.website)
            assert domain and domain.endswith(".example"), lead.website
            for contact in contacts_for(domain, lead.business_name, lead.category):
                assert contact["email"].endswith("@" + domain)
    assert contacts_for("gmail.com", "A real business") == []
    assert contacts_for(None, "No website") == []


def test_about_one_business_in_seven_has_no_website() -> None:
    leads = [lead for query in QUERIES for lead in everything(*query)]
    share = sum(1 for lead in leads if lead.website is None) / len(leads)
    assert 0.07 < share < 0.25


@pytest.mark.parametrize(("persona", "region", "country"), QUERIES)
def test_a_chain_shares_a_domain_within_the_first_ten(
    persona: str, region: str, country: str
) -> None:
    domains = [
        domain_of(lead.website) for lead in demo_directory.search(persona, region, country, 10)
    ]
    present = [domain for domain in domains if domain]
    assert len(present) > len(set(present))


def test_contacts_mix_people_mailboxes_and_none() -> None:
    leads = [lead for query in QUERIES for lead in everything(*query) if lead.website]
    found = [contacts_for(domain_of(lead.website), lead.business_name) for lead in leads]
    contacts = [contact for group in found for contact in group]
    assert any(not group for group in found)
    assert any(group and all(c["type"] == "generic" for c in group) for group in found)
    assert {c["status"] for c in contacts} == {"valid", "accept_all", "unknown", "invalid"}
    assert all(0 <= c["confidence"] <= 100 for c in contacts)
    people = [c for c in contacts if c["type"] == "personal"]
    assert people and all(c["first_name"] and c["last_name"] and c["title"] for c in people)
    mailboxes = [c for c in contacts if c["type"] == "generic"]
    assert all(
        c["email"].split("@")[0] in {"hello", "info", "enquiries", "contact", "office", "bookings"}
        for c in mailboxes
    )


def test_contacts_are_the_same_for_every_branch_of_a_chain() -> None:
    first = contacts_for("northern-bean.example", "Northern Bean")
    assert contacts_for("NORTHERN-BEAN.example", "Northern Bean (Deansgate)") == first


def test_an_unknown_persona_and_place_fall_back_to_generic_businesses() -> None:
    leads = everything("wedding photographers", "Sheffield", "GB")
    assert {lead.category for lead in leads} == {"wedding_photographer"}
    assert any("Wedding Photographer" in lead.business_name for lead in leads)
    for lead in leads:
        assert lead.city == "Sheffield" and lead.country == "GB"
        assert lead.address and lead.address.endswith("Sheffield")
        assert lead.phone and re.fullmatch(r"01632 960\d{3}", lead.phone)
        assert lead.latitude is None and lead.postcode is None


def test_a_country_as_the_region_spreads_over_its_cities() -> None:
    cities = {lead.city for lead in everything("plumbers", "UK", "GB")}
    assert len(cities) > 2
    assert cities <= {
        "Manchester",
        "Leeds",
        "Bristol",
        "London",
        "Birmingham",
        "Glasgow",
        "Edinburgh",
    }


def test_a_caller_changing_the_businesses_it_got_does_not_change_the_directory() -> None:
    first = demo_directory.search("coffee shops", "Manchester", "GB", 5)
    first[0].email = "changed@example.com"
    first[0].business_name = "Changed"

    again = demo_directory.search("coffee shops", "Manchester", "GB", 5)

    assert again[0].email != "changed@example.com" and again[0].business_name != "Changed"


def test_england_is_searched_in_englands_cities_and_scotland_in_scotlands() -> None:
    english = {lead.city for lead in everything("gyms", "England", "GB")}
    scottish = {lead.city for lead in everything("gyms", "Scotland", "GB")}
    british = {lead.city for lead in everything("gyms", "United Kingdom", "GB")}

    assert english and not english & {"Glasgow", "Edinburgh"}
    assert scottish and scottish <= {"Glasgow", "Edinburgh"}
    assert {"Glasgow", "Edinburgh"} & british and english & british
