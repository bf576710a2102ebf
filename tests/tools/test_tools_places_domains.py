"""GOOGLE_PLACES_SEARCH and HUNTER_DOMAIN_LOOKUP on the demo directory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest

from webapp.core.errors import ToolError
from webapp.core.models import LeadGenStepResult, iso_timestamp
from webapp.core.tooling import ToolEnv
from webapp.tools.places import search_places
from webapp.tools.providers.web_domains import domain_of

RunSteps = Callable[..., Awaitable[dict[str, LeadGenStepResult]]]
CONTACT_KEYS = {"email", "emailStatus", "contactFirstName", "contactLastName", "contactTitle"}


async def test_places_finds_the_businesses_asked_for(
    make_env: Callable[..., ToolEnv], now: datetime
) -> None:
    params = {"query": "coffee shops", "region": "Manchester", "country": "GB", "maxResults": 40}
    data = await search_places(params, make_env("google_places_1"))
    assert data["summary"] == "Found 40 coffee shops in Manchester"
    assert (data["count"], data["provider"], data["query"]) == (40, "demo", "coffee shops")
    assert (data["region"], data["country"]) == ("Manchester", "GB")
    assert len(data["businesses"]) == 40
    for business in data["businesses"]:
        assert business["city"] == "Manchester" and business["source"] == "demo"
        assert business["retrievedAt"] == iso_timestamp(now)
        assert not CONTACT_KEYS & business.keys()
        assert "domain" not in business


async def test_places_is_deterministic(make_env: Callable[..., ToolEnv]) -> None:
    params = {"query": "dentists", "region": "Glasgow", "maxResults": 15}
    first = await search_places(params, make_env("google_places_1"))
    again = await search_places(params, make_env("google_places_1", run_id="another run"))
    assert first == again


async def test_places_returns_no_more_than_the_directory_holds(
    make_env: Callable[..., ToolEnv],
) -> None:
    params = {"query": "florists", "region": "Bristol", "maxResults": 1000}
    data = await search_places(params, make_env("google_places_1"))
    assert 30 <= data["count"] <= 120
    assert data["summary"] == f"Found {data['count']} florists in Bristol"


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"region": "Leeds"}, "'query'"),
        ({"query": "  ", "region": "Leeds"}, "'query'"),
        ({"query": "cafes", "maxResults": 0}, "'maxResults'"),
        ({"query": "cafes", "maxResults": "20"}, "'maxResults'"),
        ({"query": "cafes", "maxResults": True}, "'maxResults'"),
        ({"query": "cafes", "region": 7}, "'region'"),
    ],
)
async def test_places_rejects_bad_parameters(
    make_env: Callable[..., ToolEnv], params: dict[str, Any], names: str
) -> None:
    with pytest.raises(ToolError) as caught:
        await search_places(params, make_env("google_places_1"))
    assert caught.value.retryable is False
    assert names in caught.value.message and "google_places_1" in caught.value.message


async def test_domains_keeps_businesses_without_a_website_and_marks_them(
    run_steps: RunSteps,
) -> None:
    prior = await run_steps("hunter_domain_lookup_2")
    found = prior["google_places_1"].data["businesses"]
    data = prior["hunter_domain_lookup_2"].data
    assert data["count"] == len(data["businesses"]) == len(found) == 40
    assert [b["businessName"] for b in data["businesses"]] == [b["businessName"] for b in found]
    without = [b for b in data["businesses"] if b["domainStatus"] == "no_website"]
    assert without and all("website" not in b and "domain" not in b for b in without)
    with_domain = [b for b in data["businesses"] if b["domainStatus"] == "found"]
    for business in with_domain:
        assert business["domain"] == domain_of(business["website"])
        assert not business["domain"].startswith("www.") and business["domain"].islower()
    assert (data["withDomain"], data["withoutWebsite"]) == (len(with_domain), len(without))
    assert data["provider"] == "demo"
    assert data["summary"] == (
        f"Found the domain of {len(with_domain)} of 40 businesses ({len(without)} have no website)"
    )


@pytest.mark.parametrize(
    ("website", "domain"),
    [
        ("https://www.Northern-Bean.example/manchester", "northern-bean.example"),
        ("http://little-cup.example", "little-cup.example"),
        ("little-cup.example/menu", "little-cup.example"),
        ("https://www.example", "www.example"),
        (None, None),
        ("", None),
        ("not a website", None),
        ("https://[::1", None),
    ],
)
def test_the_domain_is_the_website_host_without_www(
    website: str | None, domain: str | None
) -> None:
    assert domain_of(website) == domain
