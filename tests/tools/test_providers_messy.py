"""Whole plans on fakes that answer as messily as the real services document (providers.md §0):
each run succeeds, delivers the leads the good data allows, and says what it dropped and why."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.applications import Starlette

from tests.tools.fakes.google_places import (
    CLOSED_PERMANENTLY_AT,
    CLOSED_TEMPORARILY_AT,
    GOOD_KEY,
    PLACES,
    SERVICE_AREA_PLACES,
    expire_tokens,
    google_places_app,
    received,
)
from tests.tools.fakes.hunter import TEST_KEY, hunter_app, person
from tests.tools.fakes.osm import RATE_LIMITED_PAGE, VirtualTime, nominatim_app, overpass_app
from tests.tools.fakes.web import fake_web_as_proxy
from tests.tools.live_server import serving
from webapp.core import (
    LeadGenExecutionResult,
    LeadGenGoal,
    PlanContext,
    RetryPolicy,
    SupervisorUserContext,
    execute_lead_generation_plan,
    plan_lead_generation,
)
from webapp.core.leads import Lead
from webapp.leads_csv import leads_to_csv
from webapp.settings import Settings
from webapp.tools import ToolServices, default_tool_map
from webapp.tools.providers.clients import ProviderClients
from webapp.tools.providers.http import RateLimits, TokenBucket
from webapp.tools.providers.usage import RunUsage
from webapp.tools.providers.web_domains import domain_of

USER = SupervisorUserContext(user_id="u1")
POLICY = RetryPolicy(jitter=0, base_delay_s=0)


def plan(volume: int) -> Any:
    goal = LeadGenGoal(
        raw_goal=f"Find {volume} coffee shops in Manchester",
        target_region="Manchester",
        target_persona="coffee shops",
        volume=volume,
    )
    return plan_lead_generation(goal, PlanContext(user_id="u1"))


def owner(domain: str, status: str | None = "valid") -> dict[str, Any]:
    """The owner Hunter knows at a domain, with the verification status it reports."""
    entry = person(domain, "Ava", "Stone", "Owner", "executive", "management", status or "valid")
    entry["verification"]["status"] = status
    return entry


def staffed(places: list[dict[str, Any]], status: str | None = "valid") -> dict[str, Any]:
    """An owner at every place's domain."""
    domains = (domain_of(place.get("websiteUri")) for place in places)
    return {domain: [owner(domain, status)] for domain in domains if domain}


@dataclass
class Ran:
    result: LeadGenExecutionResult
    usage: RunUsage

    def data(self, step_id: str) -> dict[str, Any]:
        step = next(s for s in self.result.step_results if s.step_id == step_id)
        assert isinstance(step.data, dict), (step.status, step.error_message)
        return step.data

    @property
    def places(self) -> dict[str, Any]:
        return self.data("google_places_1")

    @property
    def domains(self) -> dict[str, Any]:
        return self.data("hunter_domain_lookup_2")

    @property
    def enrich(self) -> dict[str, Any]:
        return self.data("hunter_enrich_3")

    @property
    def saved(self) -> list[Lead]:
        return [Lead.model_validate(row) for row in self.data("lead_list_save_4")["leads"]]


@contextmanager
def fakes(google: Starlette, hunter: Starlette) -> Iterator[Settings]:
    with ExitStack() as stack:
        google_url = stack.enter_context(serving(google))
        hunter_url = stack.enter_context(serving(hunter))
        yield Settings(
            _env_file=None,
            google_places_api_key=GOOD_KEY,
            hunter_api_key=TEST_KEY,
            email_providers="hunter",
            google_places_url=google_url,
            hunter_url=hunter_url,
            demo_latency_ms=0,
            retry_base_delay_s=0,
            retry_jitter=0,
        )


async def run_on(settings: Settings, volume: int = 5, **changes: Any) -> Ran:
    settings = settings.model_copy(update=changes)
    clients = ProviderClients(settings)
    usage = RunUsage()
    services = ToolServices(settings=settings, clients=clients, usage=usage)
    try:
        result = await execute_lead_generation_plan(
            plan(volume), USER, tools=default_tool_map(), services=services, retry_policy=POLICY
        )
    finally:
        await clients.aclose()
    assert result.overall_status == "succeeded", [
        (s.step_id, s.status, s.error_message) for s in result.step_results
    ]
    return Ran(result, usage)


def hunter_asked(app: Starlette, name: str) -> list[str]:
    """The values of `name` in the Domain Searches the fake Hunter received."""
    return [r.params[name] for r in app.state.received if name in r.params]


async def test_one_refused_domain_stays_that_leads_trouble() -> None:
    places = PLACES[:10]
    refused = domain_of(places[0]["websiteUri"])
    assert refused is not None
    hunter = hunter_app(domains=staffed(places), refused={refused})
    with fakes(google_places_app(places), hunter) as settings:
        ran = await run_on(settings)

    lead = next(row for row in ran.enrich["leads"] if row.get("domain") == refused)
    assert "email" not in lead
    assert (
        lead["notes"]
        == "Hunter refused the domain: invalid, no mail server, or its owner opted out"
    )
    assert ran.enrich["trouble"] == {"refused": 1}
    assert "1 refused by Hunter" in ran.enrich["summary"]
    assert ran.enrich["withEmail"] == ran.domains["withDomain"] - 1
    assert len(ran.saved) == 5 and all(lead.email for lead in ran.saved)  # the good data's


async def test_the_verifier_slow_failing_and_claimed_addresses() -> None:
    places = PLACES[:12]
    domains = staffed(places, status=None)  # Hunter has not verified them: the verifier will
    addresses = [f"ava@{domain}" for domain in domains]
    slow, failing, claimed = addresses[:3]
    hunter = hunter_app(domains=domains, slow={slow}, unverifiable={failing}, claimed={claimed})
    with fakes(google_places_app(places), hunter) as settings:
        ran = await run_on(settings, volume=6, hunter_verify=True)

    leads = {row.get("domain"): row for row in ran.enrich["leads"]}
    assert leads[slow.split("@")[1]]["emailStatus"] == "valid"  # 202 first, then an answer
    failed = leads[failing.split("@")[1]]
    assert "email" not in failed
    assert failed["notes"] == "Hunter could not verify the address: verification failed, try later"
    gone = leads[claimed.split("@")[1]]
    assert "email" not in gone
    assert gone["notes"] == "The address's owner asked Hunter not to process it, so it was dropped"
    assert ran.enrich["trouble"] == {"failed": 1, "claimed": 1}
    assert (
        "1 not verifiable now; 1 addresses dropped at their owner's request"
        in (ran.enrich["summary"])
    )
    # the claimed address is never stored, exported or emailed
    assert claimed not in str(ran.enrich) and claimed not in str(ran.data("lead_list_save_4"))
    assert claimed not in leads_to_csv(ran.saved)
    assert len(ran.saved) == 6
    # a credit per Domain Search that found the owner; half a credit per verification that
    # gave a status (§0.1): the slow one once, the failed (222) and claimed (451) ones free
    verified = len(domains) - 2
    assert ran.usage.steps["hunter_enrich_3"]["Hunter"].credits == len(domains) + verified * 0.5


async def test_a_website_on_facebook_is_looked_up_by_name_never_searched() -> None:
    places = copy.deepcopy(PLACES[:10])
    places[0]["websiteUri"] = "https://www.facebook.com/NorthernBean"
    places[1]["websiteUri"] = "https://lanterncafe.wixsite.com/home"
    own, other = (place["displayName"]["text"] for place in places[:2])
    domains = staffed(places)
    domains["its-own-site.example"] = [owner("its-own-site.example")]
    domains["lantern-software.example"] = [owner("lantern-software.example")]
    domains["facebook.com"] = [owner("facebook.com")]  # the platform's own staff
    companies = {
        own: ("its-own-site.example", own),  # the business's own domain, found by its name
        other: ("lantern-software.example", "Lantern Software Ltd"),  # another firm's
    }
    hunter = hunter_app(domains=domains, companies=companies)
    with fakes(google_places_app(places), hunter) as settings:
        ran = await run_on(settings)

    searched = hunter_asked(hunter, "domain")
    assert "facebook.com" not in searched and "wixsite.com" not in searched
    assert not any("wixsite" in domain or "facebook" in domain for domain in searched)
    rows = {row["businessName"]: row for row in ran.domains["businesses"]}
    assert rows[own]["domainStatus"] == "by_name"
    assert rows[own]["domain"] == "its-own-site.example"
    assert rows[other]["domainStatus"] == "name_mismatch" and "domain" not in rows[other]
    assert "belongs to Lantern Software Ltd" in rows[other]["notes"]
    assert "wixsite.com, a platform" in rows[other]["notes"]
    assert (ran.domains["onPlatforms"], ran.domains["nameMismatches"]) == (2, 1)
    assert "1 matched another firm by name, dropped" in ran.domains["summary"]
    # the domain found by name is not searched again by HUNTER_ENRICH
    assert searched.count("its-own-site.example") == 0  # (its search was by company)
    enriched = {row["businessName"]: row for row in ran.enrich["leads"]}
    assert enriched[own]["email"] == "ava@its-own-site.example"
    assert "email" not in enriched[other]


# Google Places (New) ----------------------------------------------------------------------------


async def test_service_area_and_closed_businesses_on_google() -> None:
    """§0.2: service-area businesses come only when asked for, without an address; a closed
    business is left out, a temporarily closed one marked."""
    places = PLACES[:60]
    google = google_places_app(places)
    with fakes(google, hunter_app(domains=staffed(places))) as settings:
        ran = await run_on(settings, volume=30)

    found = {row["businessName"]: row for row in ran.places["businesses"]}
    bodies = [request.body for request in received(google)]
    assert all(body["includePureServiceAreaBusinesses"] is True for body in bodies)
    for sab in SERVICE_AREA_PLACES:
        lead = found[sab["displayName"]["text"]]
        assert lead["serviceArea"] is True and "address" not in lead and "latitude" not in lead
        assert lead["notes"].startswith("Service-area business")
    assert ran.places["serviceArea"] == len(SERVICE_AREA_PLACES)
    closed_now = places[CLOSED_TEMPORARILY_AT[0]]["displayName"]["text"]
    assert found[closed_now]["notes"] == "Temporarily closed (Google)"
    assert ran.places["temporarilyClosed"] == 1
    for position in CLOSED_PERMANENTLY_AT:
        assert places[position]["displayName"]["text"] not in found
    # the notes travel with the lead to the list the user keeps
    saved = {lead.business_name: lead for lead in ran.saved}
    assert all(saved[name].notes == found[name].get("notes") for name in saved)


async def test_a_refused_page_token_restarts_the_search_once() -> None:
    """§0.2: an old page token is refused with INVALID_ARGUMENT."""
    places = PLACES[:60]
    google = google_places_app(places)
    expire_tokens(google, 1)
    with fakes(google, hunter_app(domains=staffed(places))) as settings:
        ran = await run_on(settings, volume=20)

    tokens = [request.body.get("pageToken") for request in received(google)]
    assert tokens[:3] == [None, tokens[1], None]  # refused, then the query from its start
    assert tokens[1] is not None
    assert ran.places["count"] == 40 and len(ran.saved) == 20


async def test_a_region_written_uk_is_sent_as_gb() -> None:
    """§0.2: regionCode is a CLDR code; Google may refuse "UK" (the fake does)."""
    places = PLACES[:20]
    google = google_places_app(places, refuse_uk_region=True)
    with fakes(google, hunter_app(domains=staffed(places))) as settings:
        goal = LeadGenGoal(
            raw_goal="Find 5 coffee shops in Manchester, UK",
            target_region="Manchester",
            target_persona="coffee shops",
            target_country="UK",
            volume=5,
        )
        clients = ProviderClients(settings)
        try:
            result = await execute_lead_generation_plan(
                plan_lead_generation(goal, PlanContext(user_id="u1")),
                USER,
                tools=default_tool_map(),
                services=ToolServices(settings=settings, clients=clients),
                retry_policy=POLICY,
            )
        finally:
            await clients.aclose()

    assert result.overall_status == "succeeded"
    assert {request.body["regionCode"] for request in received(google)} == {"GB"}


# OpenStreetMap ----------------------------------------------------------------------------------


@contextmanager
def osm_fakes(vtime: VirtualTime, **overpass: Any) -> Iterator[tuple[Settings, Starlette]]:
    overpass_fake = overpass_app(clock=vtime, **overpass)
    with (
        serving(nominatim_app(clock=vtime)) as nominatim_url,
        serving(overpass_fake) as overpass_url,
    ):
        settings = Settings(
            _env_file=None,
            nominatim_url=nominatim_url,
            overpass_url=overpass_url,
            places_provider="osm",
            email_providers="demo",
            mx_check="off",  # no DNS here
            demo_latency_ms=0,
            contact="ops@leadgen.example",
        )
        yield settings, overpass_fake


async def run_on_osm(settings: Settings, vtime: VirtualTime, region: str, volume: int = 2) -> Ran:
    """A whole plan for cafés in `region` on the OSM fakes, time virtual (the buckets, the
    wait for a slot and the fakes share one clock), emails from the demo directory."""
    clients = ProviderClients(settings)
    clients.limits = RateLimits(sleep=vtime.sleep)
    clients.limits.buckets["osm:nominatim"] = TokenBucket(1, 1, clock=vtime, sleep=vtime.sleep)
    clients.limits.buckets["osm:overpass"] = TokenBucket(1, 2, clock=vtime, sleep=vtime.sleep)
    goal = LeadGenGoal(
        raw_goal=f"Find {volume} cafes in {region}",
        target_region=region,
        target_persona="cafes",
        volume=volume,
    )
    usage = RunUsage()
    try:
        result = await execute_lead_generation_plan(
            plan_lead_generation(goal, PlanContext(user_id="u1")),
            USER,
            tools=default_tool_map(),
            services=ToolServices(settings=settings, clients=clients, usage=usage),
            retry_policy=POLICY,
        )
    finally:
        await clients.aclose()
    assert result.overall_status == "succeeded", [
        (s.step_id, s.status, s.error_message) for s in result.step_results
    ]
    return Ran(result, usage)


async def test_a_postcode_is_searched_by_its_bounding_box() -> None:
    """§0.3: postcode results have no osm_type and osm_id."""
    vtime = VirtualTime()
    with osm_fakes(vtime) as (settings, overpass):
        ran = await run_on_osm(settings, vtime, "M1 1JN")

    assert ran.places["count"] >= 1 and ran.saved
    assert "OpenStreetMap searched the bounding box of M1 1JN" in ran.places["summary"]
    assert "area(id:" not in overpass.state.queries[-1]


async def test_a_relation_without_an_overpass_area_is_searched_by_its_box() -> None:
    """§0.3: areas exist only for named boundaries and multipolygons."""
    vtime = VirtualTime()
    with osm_fakes(vtime) as (settings, overpass):
        ran = await run_on_osm(settings, vtime, "Ancoats")

    assert ran.places["count"] >= 1 and ran.saved
    assert "(OpenStreetMap has no area for it)" in ran.places["summary"]
    assert len(overpass.state.queries) == 2  # the area, found empty, then the box


async def test_overpass_busy_is_waited_out_as_its_status_page_says() -> None:
    """§0.3: after a 429, /api/status says when a slot frees."""
    vtime = VirtualTime()
    with osm_fakes(vtime, script=[(429, RATE_LIMITED_PAGE)], cooldown_s=12) as (settings, fake):
        ran = await run_on_osm(settings, vtime, "Manchester")

    assert ran.places["count"] >= 1
    assert ran.result.step_results[0].attempts == 1  # waited inside the step, not retried
    assert 13.0 in vtime.waits  # the status page's 12 s, and a second's margin
    assert len(fake.state.statuses) == 1


# The businesses' own websites, then Hunter ----------------------------------------------------


def on_the_web(host: str, number: int, **tags: str) -> dict[str, Any]:
    """A café OpenStreetMap lists with its website on the fake web."""
    return {
        "type": "node",
        "id": 9000 + number,
        "lat": 53.4835 + number / 1000,
        "lon": -2.2363,
        "tags": {
            "amenity": "cafe",
            "name": f"{host.split('.')[0].title()} Cafe",
            **tags,
            "website": f"http://{host}/",
        },
    }


WEB_CAFES = [
    on_the_web(host, number)
    for number, host in enumerate(
        ["mailto.example", "jsonld.example", "deep.example", "robots.example", "others.example"]
    )
]


async def test_with_no_key_the_websites_give_real_leads(monkeypatch: pytest.MonkeyPatch) -> None:
    vtime = VirtualTime()
    with (
        fake_web_as_proxy(monkeypatch) as web,
        osm_fakes(vtime, elements=WEB_CAFES) as (
            settings,
            _,
        ),
    ):
        ran = await run_on_osm(
            settings.model_copy(update={"email_providers": None}), vtime, "Manchester", volume=5
        )

    assert ran.enrich["providers"] == ["website"]  # no Hunter key: the free source alone
    saved = {lead.business_name: lead for lead in ran.saved}
    assert saved["Mailto Cafe"].email == "maya@mailto.example"
    assert saved["Mailto Cafe"].contact_first_name == "Maya"
    assert saved["Mailto Cafe"].email_found_by == "website"
    assert saved["Mailto Cafe"].email_source == "http://mailto.example/contact"
    assert saved["Mailto Cafe"].email_status == "unchecked"  # LEADGEN_MX_CHECK=off here
    assert saved["Deep Cafe"].email == "info@deep.example"
    assert saved["Robots Cafe"].email is None
    assert "robots.txt does not allow" in (saved["Robots Cafe"].notes or "")
    assert ran.enrich["byProvider"] == {"website": 3}
    assert "website: 3 emails" in ran.enrich["summary"]
    assert web.pages_of("mailto.example")


async def test_hunter_is_asked_only_for_what_the_websites_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    vtime = VirtualTime()
    left = ["others.example", "robots.example"]
    hunter = hunter_app(domains={domain: [owner(domain)] for domain in left})
    with (
        fake_web_as_proxy(monkeypatch),
        osm_fakes(vtime, elements=WEB_CAFES) as (settings, _),
        serving(hunter) as hunter_url,
    ):
        waterfall = settings.model_copy(
            update={
                "hunter_api_key": SecretStr(TEST_KEY),
                "hunter_url": hunter_url,
                "email_providers": None,
            }
        )
        ran = await run_on_osm(waterfall, vtime, "Manchester", volume=5)

    assert ran.enrich["providers"] == ["website", "hunter"]
    assert sorted(set(hunter_asked(hunter, "domain"))) == left  # only the rest
    saved = {lead.business_name: lead for lead in ran.saved}
    assert saved["Robots Cafe"].email == "ava@robots.example"
    assert saved["Robots Cafe"].email_found_by == "hunter"
    assert saved["Robots Cafe"].notes is None  # its site's refusal is moot: Hunter found one
    assert ran.enrich["byProvider"] == {"website": 3, "hunter": 2}
    assert ran.enrich["creditsSaved"] == 3
    assert (
        "website: 3 emails; Hunter: 2 more, 2 credits; 3 credits saved" in (ran.enrich["summary"])
    )
