"""The OpenStreetMap provider against fake Nominatim and Overpass servers on 127.0.0.1: the
persona table, geocoding (settlements first, postcodes) and its cache and rate limit, areas and
bounding boxes, waiting for an Overpass slot, timeouts, the lead mapping and every documented
failure. Time is virtual: the buckets, the client's sleep and the fakes share one clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.tools.fakes.osm import (
    ANOTHER_CAFE,
    DEFAULT_PLACES,
    DENTIST,
    NORTHERN_BEAN,
    RATE_LIMITED_PAGE,
    REMARK_TIMEOUT,
    TOO_BUSY_PAGE,
    UNNAMED,
    UNTAGGED,
    FakeHost,
    VirtualTime,
    envelope,
    nominatim_app,
    nominatim_place,
    osm3s_page,
    overpass_app,
)
from tests.tools.live_server import free_port, serving
from webapp.core.errors import ToolError
from webapp.core.leads import Lead
from webapp.tools.providers.http import (
    ProviderHttp,
    RateLimits,
    TokenBucket,
    new_client,
    user_agent,
)
from webapp.tools.providers.osm import (
    Area,
    OsmClient,
    OsmSearch,
    nominatim_params,
    overpass_query,
    place_from_answer,
    search_budget_s,
)
from webapp.tools.providers.osm_tags import CATEGORIES, filters_for, tag_filters_for
from webapp.tools.providers.overpass_status import slot_wait_s
from webapp.tools.providers.timeouts import DOCUMENTED, CallTimeouts
from webapp.tools.providers.usage import Budget, RunUsage, spending_for

NOW = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
CONTACT = "ops@leadgen.example"


@pytest.fixture
def vtime() -> VirtualTime:
    return VirtualTime()


def virtual_limits(vtime: VirtualTime) -> RateLimits:
    """The client's buckets, made in advance on the virtual clock (same names and rates)."""
    limits = RateLimits(sleep=vtime.sleep)
    limits.buckets["osm:nominatim"] = TokenBucket(1, 1, clock=vtime, sleep=vtime.sleep)
    limits.buckets["osm:overpass"] = TokenBucket(1, 2, clock=vtime, sleep=vtime.sleep)
    return limits


@pytest.fixture(scope="module")
def live_host() -> Iterator[tuple[FakeHost, str]]:
    host = FakeHost()
    with serving(host) as base_url:
        yield host, base_url


Serve = Callable[[Starlette], AbstractContextManager[str]]


@pytest.fixture
def serve(live_host: tuple[FakeHost, str]) -> Serve:
    """`with serve(app) as base_url:`, like `serving`, on the module's one server."""
    host, base_url = live_host
    return lambda app: host.plugged(app, base_url)


@pytest.fixture
def nominatim_fake(vtime: VirtualTime) -> Starlette:
    """The fake Nominatim on the tests' virtual clock, which the client's buckets also use."""
    return nominatim_app(clock=vtime)


@pytest.fixture
async def http_client() -> AsyncIterator[httpx.AsyncClient]:
    async with new_client(CONTACT) as client:
        yield client


MakeClient = Callable[..., OsmClient]


@pytest.fixture
def make_client(http_client: httpx.AsyncClient, vtime: VirtualTime) -> MakeClient:
    """Clients on the test's virtual clock (buckets and the wait for an Overpass slot); they
    share one set of buckets unless given `limits`, or an `http` layer of their own."""
    shared = virtual_limits(vtime)

    def make(nominatim: str, overpass: str = "http://127.0.0.1:9", **options: Any) -> OsmClient:
        http = options.get("http") or ProviderHttp(
            options.get("client", http_client), options.get("limits", shared)
        )
        return OsmClient(
            http,
            nominatim_url=nominatim,
            overpass_url=overpass,
            clock=lambda: NOW,
            timeouts=options.get("timeouts", DOCUMENTED),
            sleep=vtime.sleep,
        )

    return make


# The persona table ------------------------------------------------------------------------------

HOTELS = ['nwr["tourism"~"^(hotel|guest_house)$"]']
DENTISTS = ['nwr["amenity"="dentist"]', 'nwr["healthcare"="dentist"]']
LAWYERS = ['nwr["office"="lawyer"]']
ESTATE_AGENTS = ['nwr["office"="estate_agent"]', 'nwr["shop"="estate_agent"]']


@pytest.mark.parametrize(
    ("persona", "filters"),
    [
        ("coffee shops", ['nwr["amenity"="cafe"]']),
        ("Cafés", ['nwr["amenity"="cafe"]']),
        ("coffee shop owners", ['nwr["amenity"="cafe"]']),
        ("independent coffee shops", ['nwr["amenity"="cafe"]']),
        ("restaurants", ['nwr["amenity"="restaurant"]']),
        ("bars & pubs", ['nwr["amenity"~"^(bar|pub)$"]']),
        ("dentists", DENTISTS),
        ("Dental Clinics", DENTISTS),
        (
            "GPs",
            ['nwr["amenity"="doctors"]', 'nwr["healthcare"="doctor"]', 'nwr["amenity"="clinic"]'],
        ),
        ("plumbers", ['nwr["craft"="plumber"]']),
        ("electricians", ['nwr["craft"="electrician"]']),
        ("roofers", ['nwr["craft"="roofer"]']),
        ("heating engineers", ['nwr["craft"="hvac"]']),
        ("joiners", ['nwr["craft"~"^(carpenter|joiner)$"]']),
        ("painters and decorators", ['nwr["craft"="painter"]']),
        ("hair salons", ['nwr["shop"="hairdresser"]']),
        ("barbers", ['nwr["shop"="hairdresser"]']),
        ("beauty salons", ['nwr["shop"="beauty"]']),
        ("gyms", ['nwr["leisure"="fitness_centre"]']),
        ("car repair shops", ['nwr["shop"="car_repair"]']),
        ("solicitors", LAWYERS),
        ("lawyers", LAWYERS),
        ("law firms", LAWYERS),
        ("accountants", ['nwr["office"~"^(accountant|tax_advisor)$"]']),
        ("estate agents", ESTATE_AGENTS),
        ("realtors", ESTATE_AGENTS),
        ("vets", ['nwr["amenity"="veterinary"]']),
        ("hotels", HOTELS),
        ("B&Bs", HOTELS),
        ("bed and breakfasts", HOTELS),
        ("bakeries", ['nwr["shop"="bakery"]']),
        ("pâtisseries", ['nwr["shop"="bakery"]']),
        ("florists", ['nwr["shop"="florist"]']),
        ("pharmacies", ['nwr["amenity"="pharmacy"]', 'nwr["healthcare"="pharmacy"]']),
        ("insurance brokers", ['nwr["office"="insurance"]']),
        ("photographers", ['nwr["craft"="photographer"]', 'nwr["shop"="photo"]']),
        ("cleaning companies", ['nwr["craft"="cleaning"]', 'nwr["shop"="dry_cleaning"]']),
        ("nurseries", ['nwr["amenity"~"^(childcare|kindergarten)$"]']),
        ("crèches", ['nwr["amenity"~"^(childcare|kindergarten)$"]']),
        ("bars and restaurants", ['nwr["amenity"~"^(bar|pub)$"]', 'nwr["amenity"="restaurant"]']),
    ],
)
def test_personas_map_to_their_overpass_filters(persona: str, filters: list[str]) -> None:
    assert filters_for(persona) == filters


@pytest.mark.parametrize("persona", ["unicorn farms", "", "   ", "coffee and unicorns", "SaaS"])
def test_unknown_personas_have_no_filters(persona: str) -> None:
    assert filters_for(persona) is None


def test_the_table_holds_the_reference_categories() -> None:
    assert len(CATEGORIES) == 27
    tags = {tag.key for category in CATEGORIES for tag in category.filters}
    assert tags == {"amenity", "healthcare", "craft", "shop", "leisure", "office", "tourism"}


# Geocoding --------------------------------------------------------------------------------------


async def test_geocode_sends_a_policy_conforming_search(
    make_client: MakeClient, nominatim_fake: Starlette, serve: Serve
) -> None:
    with serve(nominatim_fake) as nominatim:
        area = await make_client(nominatim).geocode("Manchester", "GB")
    [request] = nominatim_fake.state.requests
    assert request["path"] == "/search"
    assert request["params"] == {
        "q": "Manchester",
        "format": "jsonv2",
        "limit": "1",
        "addressdetails": "1",
        "featureType": "settlement",  # keeps shops and other points of interest out
        "countrycodes": "gb",
    }
    assert request["user_agent"].startswith("leadgen/") and CONTACT in request["user_agent"]
    assert not request["user_agent"].startswith("python-httpx")
    assert area is not None


async def test_geocode_reads_string_coordinates(
    make_client: MakeClient, nominatim_fake: Starlette, serve: Serve
) -> None:
    with serve(nominatim_fake) as nominatim:
        area = await make_client(nominatim).geocode("Manchester", "GB")
    assert DEFAULT_PLACES["Manchester"]["lat"] == "53.4794892"  # the fake sends strings
    assert area == Area(
        name="Manchester, England, United Kingdom",
        osm_type="relation",
        osm_id=146656,
        latitude=53.4794892,
        longitude=-2.2451148,
        bbox=(53.3401044, -2.3199185, 53.5445923, -2.1468288),
        country_code="GB",
    )


async def test_geocode_answers_are_cached(
    make_client: MakeClient, nominatim_fake: Starlette, serve: Serve
) -> None:
    with serve(nominatim_fake) as nominatim:
        client = make_client(nominatim)
        first = await client.geocode("Manchester", "GB")
        again = await client.geocode("  manchester ", "gb")
        missing = await client.geocode("Atlantis", "GB")
        missing_again = await client.geocode("Atlantis", "GB")
    assert first == again and missing is None and missing_again is None
    # An unknown place costs a settlement search and an unrestricted one, once.
    assert [
        (request["params"]["q"], request["params"].get("featureType"))
        for request in nominatim_fake.state.requests
    ] == [("Manchester", "settlement"), ("Atlantis", "settlement"), ("Atlantis", None)]


async def test_a_place_nominatim_does_not_know_fails_for_good(
    make_client: MakeClient, nominatim_fake: Starlette, serve: Serve
) -> None:
    with serve(nominatim_fake) as nominatim:
        client = make_client(nominatim)
        assert await client.geocode("Manchester", "US") is None  # filtered by countrycodes
        with pytest.raises(ToolError) as caught:
            await client.search("cafes", region="Atlantis", country="GB", max_results=5)
    # Both searches asked twice (settlement, then any place) before giving up.
    assert [request["params"]["q"] for request in nominatim_fake.state.requests] == [
        "Manchester",
        "Manchester",
        "Atlantis",
        "Atlantis",
    ]
    assert caught.value.retryable is False
    assert caught.value.message == (
        "OpenStreetMap does not know the place “Atlantis”; check the region."
    )


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("GB", {"q": "Leeds", "countrycodes": "gb"}),
        ("UK", {"q": "Leeds", "countrycodes": "gb"}),
        (None, {"q": "Leeds"}),
        ("United Kingdom", {"q": "Leeds, United Kingdom"}),
    ],
)
def test_the_country_narrows_the_search(country: str | None, expected: dict[str, str]) -> None:
    params = nominatim_params(" Leeds ", country, settlement=False)
    assert params == {"format": "jsonv2", "limit": "1", "addressdetails": "1", **expected}
    settled = nominatim_params(" Leeds ", country, settlement=True)
    assert settled == {**params, "featureType": "settlement"}


async def test_geocodes_wait_their_turn_in_the_one_per_second_bucket(
    make_client: MakeClient, vtime: VirtualTime, nominatim_fake: Starlette, serve: Serve
) -> None:
    with serve(nominatim_fake) as nominatim:
        client = make_client(nominatim)
        await client.geocode("Manchester", "GB")
        await client.geocode("Didsbury", "GB")
    assert vtime.waits == [pytest.approx(1.0)]
    assert [request["status"] for request in nominatim_fake.state.requests] == [200, 200]


def test_the_client_makes_the_shared_buckets_it_needs(http_client: httpx.AsyncClient) -> None:
    limits = RateLimits()
    OsmClient(ProviderHttp(http_client, limits), nominatim_url="x", overpass_url="y")
    nominatim, overpass = limits.buckets["osm:nominatim"], limits.buckets["osm:overpass"]
    assert (nominatim.rate, nominatim.burst) == (1, 1)
    assert (overpass.rate, overpass.burst) == (1, 2)


async def test_a_nominatim_throttle_is_retryable_with_its_wait(
    make_client: MakeClient, vtime: VirtualTime, nominatim_fake: Starlette, serve: Serve
) -> None:
    with serve(nominatim_fake) as nominatim:
        await make_client(nominatim).geocode("Manchester", "GB")
        # Another process, with buckets of its own: only the server's rule stops it.
        with pytest.raises(ToolError) as caught:
            await make_client(nominatim, limits=virtual_limits(vtime)).geocode("Didsbury", "GB")
    assert [request["status"] for request in nominatim_fake.state.requests] == [200, 429]
    assert caught.value.retryable is True and caught.value.retry_after == 1.0
    assert "usage policy" in caught.value.message and "HTTP 429" in caught.value.message


async def test_a_stock_user_agent_is_blocked_and_retryable(
    make_client: MakeClient, nominatim_fake: Starlette, serve: Serve
) -> None:
    with serve(nominatim_fake) as nominatim:
        async with httpx.AsyncClient() as stock:
            with pytest.raises(ToolError) as caught:
                await make_client(nominatim, client=stock).geocode("Manchester", "GB")
    assert nominatim_fake.state.requests[0]["user_agent"].startswith("python-httpx/")
    assert caught.value.retryable is True
    assert "usage policy" in caught.value.message and "HTTP 403" in caught.value.message


async def test_a_place_that_is_no_settlement_is_found_by_a_second_unrestricted_search(
    make_client: MakeClient, vtime: VirtualTime, nominatim_fake: Starlette, serve: Serve
) -> None:
    with serve(nominatim_fake) as nominatim:
        area = await make_client(nominatim).geocode("M1 1JN", "GB")
    first, second = nominatim_fake.state.requests
    assert first["params"]["featureType"] == "settlement" and "featureType" not in second["params"]
    assert (first["status"], second["status"]) == (200, 200)  # the second waited its turn
    assert vtime.waits == [pytest.approx(1.0)]
    assert area is not None and area.name == "M1 1JN, Manchester, England, United Kingdom"


def test_a_postcode_answer_is_an_area_without_an_osm_object() -> None:
    postcode = DEFAULT_PLACES["M1 1JN"]
    assert "osm_id" not in postcode and "osm_type" not in postcode  # as Nominatim sends it
    area = place_from_answer([postcode])
    assert area == Area(
        name="M1 1JN, Manchester, England, United Kingdom",
        osm_type=None,
        osm_id=None,
        latitude=53.4836,
        longitude=-2.2364,
        bbox=(53.481, -2.239, 53.486, -2.233),
        country_code="GB",
    )
    assert area is not None and not area.may_have_area


class MemoryCache:
    """The answer cache's interface, in a dict."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.values.get(key)

    def put_soon(self, key: str, provider: str, value: str, ttl_s: float) -> None:
        self.values[key] = value


async def test_the_answer_cache_keeps_both_searches_of_a_place(
    make_client: MakeClient,
    http_client: httpx.AsyncClient,
    vtime: VirtualTime,
    nominatim_fake: Starlette,
    serve: Serve,
) -> None:
    http = ProviderHttp(http_client, virtual_limits(vtime), cache=MemoryCache(), cache_ttl_s=60)
    with serve(nominatim_fake) as nominatim:
        first = await make_client(nominatim, http=http).geocode("M1 1JN", "GB")
        # Another process's client (no in-memory places) with the same answer cache.
        second = await make_client(nominatim, http=http).geocode("M1 1JN", "GB")
    assert first == second and first is not None
    assert len(nominatim_fake.state.requests) == 2  # the empty settlement answer was kept too


# The Overpass query -----------------------------------------------------------------------------

MANCHESTER = Area("Manchester", "relation", 146656, 53.48, -2.24, (53.34, -2.32, 53.54, -2.15))
DIDSBURY = Area("Didsbury", "node", 21302413, 53.42, -2.23, (53.3966, -2.251, 53.4366, -2.211))
MANCHESTER_SCOPE = "the area of Manchester, England, United Kingdom"


def test_a_relation_is_searched_as_its_area_which_is_printed_first() -> None:
    filters = tag_filters_for("dentists")
    assert filters is not None
    # `.a out ids;` is new: with it, an empty answer means Overpass has no area for the relation.
    assert overpass_query(MANCHESTER, filters, 20, timeout_s=60, in_area=True) == (
        "[out:json][timeout:60];\n"
        "area(id:3600146656)->.a;\n"
        ".a out ids;\n"
        "(\n"
        '  nwr["amenity"="dentist"]["name"](area.a);\n'
        '  nwr["healthcare"="dentist"]["name"](area.a);\n'
        ");\n"
        "out center 20;\n"
    )


def test_other_places_are_searched_by_bounding_box() -> None:
    filters = tag_filters_for("hotels")
    assert filters is not None
    assert overpass_query(DIDSBURY, filters, 5, timeout_s=60, in_area=True) == (
        "[out:json][timeout:60];\n"
        "(\n"
        '  nwr["tourism"~"^(hotel|guest_house)$"]["name"](53.3966,-2.251,53.4366,-2.211);\n'
        ");\n"
        "out center 5;\n"
    )
    assert overpass_query(MANCHESTER, filters, 5, timeout_s=25, in_area=False) == (
        "[out:json][timeout:25];\n"
        "(\n"
        '  nwr["tourism"~"^(hotel|guest_house)$"]["name"](53.34,-2.32,53.54,-2.15);\n'
        ");\n"
        "out center 5;\n"
    )


async def test_search_posts_the_query_for_the_geocoded_area(
    make_client: MakeClient, nominatim_fake: Starlette, serve: Serve
) -> None:
    overpass = overpass_app([NORTHERN_BEAN, ANOTHER_CAFE])
    with serve(nominatim_fake) as nominatim, serve(overpass) as overpass_url:
        client = make_client(nominatim, overpass_url)
        found = await client.search(
            "coffee shops", region="Manchester", country="GB", max_results=20
        )
        again = await client.search("cafés", region="Didsbury", country="GB", max_results=3)
    first_query, second_query = overpass.state.queries
    assert first_query.startswith(
        "[out:json][timeout:60];\narea(id:3600146656)->.a;\n.a out ids;\n"
    )
    assert 'nwr["amenity"="cafe"]["name"](area.a);' in first_query
    assert first_query.endswith("out center 20;\n")
    assert "area(" not in second_query
    assert 'nwr["amenity"="cafe"]["name"](53.3966,-2.251,53.4366,-2.211);' in second_query
    assert second_query.endswith("out center 3;\n")
    assert [lead.business_name for lead in found.leads] == ["Northern Bean", "Another Cafe"]
    assert (found.requests, again.requests) == (2, 2)
    assert found.scope == MANCHESTER_SCOPE
    assert again.scope == "the bounding box of Didsbury, England, United Kingdom"


async def test_a_cached_place_costs_only_the_overpass_request(
    make_client: MakeClient, nominatim_fake: Starlette, serve: Serve
) -> None:
    with serve(nominatim_fake) as nominatim, serve(overpass_app([])) as overpass_url:
        client = make_client(nominatim, overpass_url)
        await client.search("gyms", region="Manchester", country="GB", max_results=5)
        second = await client.search("vets", region="Manchester", country="GB", max_results=5)
    assert second.requests == 1 and len(nominatim_fake.state.requests) == 1


async def test_an_area_with_no_such_business_is_not_searched_again_by_its_box(
    make_client: MakeClient, nominatim_fake: Starlette, serve: Serve
) -> None:
    overpass = overpass_app([DENTIST])
    with serve(nominatim_fake) as nominatim, serve(overpass) as overpass_url:
        found = await make_client(nominatim, overpass_url).search(
            "cafes", region="Manchester", country="GB", max_results=5
        )
    assert found.leads == [] and found.scope == MANCHESTER_SCOPE
    assert len(overpass.state.queries) == 1  # the area answered (itself), so it exists


async def test_a_relation_without_an_overpass_area_is_searched_by_its_bounding_box(
    make_client: MakeClient, nominatim_fake: Starlette, serve: Serve
) -> None:
    overpass = overpass_app([NORTHERN_BEAN, ANOTHER_CAFE])
    with serve(nominatim_fake) as nominatim, serve(overpass) as overpass_url:
        found = await make_client(nominatim, overpass_url).search(
            "cafes", region="Ancoats", country="GB", max_results=5
        )
    area_query, box_query = overpass.state.queries
    assert "area(id:3604087262)->.a;" in area_query
    assert "area(" not in box_query
    assert 'nwr["amenity"="cafe"]["name"](53.48,-2.238,53.49,-2.22);' in box_query
    assert [lead.business_name for lead in found.leads] == ["Northern Bean"]  # the other is out
    assert found.requests == 3  # Nominatim, then both Overpass queries
    assert found.scope == (
        "the bounding box of Ancoats, England, United Kingdom (OpenStreetMap has no area for it)"
    )


async def test_a_postcode_is_searched_by_its_bounding_box_without_a_retry(
    make_client: MakeClient, nominatim_fake: Starlette, serve: Serve
) -> None:
    overpass = overpass_app([NORTHERN_BEAN, ANOTHER_CAFE])
    with serve(nominatim_fake) as nominatim, serve(overpass) as overpass_url:
        found = await make_client(nominatim, overpass_url).search(
            "cafes", region="M1 1JN", country="GB", max_results=5
        )
    [query] = overpass.state.queries
    assert 'nwr["amenity"="cafe"]["name"](53.481,-2.239,53.486,-2.233);' in query
    assert [lead.business_name for lead in found.leads] == ["Northern Bean"]
    assert found.requests == 3  # the settlement search, the unrestricted one, Overpass
    assert found.scope == "the bounding box of M1 1JN, Manchester, England, United Kingdom"


# Elements and leads -----------------------------------------------------------------------------


FindLeads = Callable[..., Awaitable[list[Lead]]]


@pytest.fixture
def find_leads(make_client: MakeClient, serve: Serve, nominatim_fake: Starlette) -> FindLeads:
    """The leads a search in Manchester finds when Overpass holds `elements`."""

    async def find(
        elements: list[dict[str, Any]], persona: str = "cafes", limit: int = 20
    ) -> list[Lead]:
        with serve(nominatim_fake) as nominatim, serve(overpass_app(elements)) as overpass:
            client = make_client(nominatim, overpass)
            found = await client.search(
                persona, region="Manchester", country="GB", max_results=limit
            )
        return found.leads

    return find


async def test_a_node_becomes_a_complete_lead(find_leads: FindLeads) -> None:
    [lead] = await find_leads([NORTHERN_BEAN])
    assert lead == Lead(
        business_name="Northern Bean",
        category="cafe",
        website="https://www.northernbean.example/menu",
        domain="northernbean.example",
        phone="+44 161 000 0000",
        address="12 Oldham Street, Manchester, M1 1JN",
        city="Manchester",
        postcode="M1 1JN",
        country="GB",
        latitude=53.4835,
        longitude=-2.2363,
        email="hello@northernbean.example",
        email_found_by="openstreetmap",
        source="osm",
        source_id="node/123",
        retrieved_at="2025-03-03T09:30:00.000Z",
    )


async def test_a_way_uses_its_centre_and_the_contact_keys(find_leads: FindLeads) -> None:
    [lead] = await find_leads([ANOTHER_CAFE])
    assert (lead.latitude, lead.longitude) == (53.48, -2.24)
    assert (lead.website, lead.domain) == ("another.example", "another.example")
    assert lead.phone == "+44 161 111 1111"  # the first of several
    assert (lead.address, lead.city, lead.postcode, lead.email) == (None, None, None, None)
    assert (lead.country, lead.source_id) == ("GB", "way/456")


async def test_unnamed_untagged_and_repeated_elements_are_skipped(find_leads: FindLeads) -> None:
    elements = [UNNAMED, UNTAGGED, NORTHERN_BEAN, NORTHERN_BEAN, ANOTHER_CAFE]
    leads = await find_leads(elements)
    assert [lead.source_id for lead in leads] == ["node/123", "way/456"]


async def test_the_category_is_the_matched_tag(find_leads: FindLeads) -> None:
    [lead] = await find_leads([DENTIST, NORTHERN_BEAN], persona="dentists")
    assert (lead.business_name, lead.category, lead.source_id) == (
        "Smile Dental",
        "dentist",
        "node/9",
    )


async def test_no_more_leads_than_asked_for(find_leads: FindLeads) -> None:
    many = [
        {
            "type": "node",
            "id": n,
            "lat": 53.0,
            "lon": -2.0,
            "tags": {"amenity": "cafe", "name": f"Cafe {n}"},
        }
        for n in range(1, 11)
    ]
    leads = await find_leads(many, limit=4)
    assert [lead.business_name for lead in leads] == ["Cafe 1", "Cafe 2", "Cafe 3", "Cafe 4"]


# Failures ---------------------------------------------------------------------------------------


async def test_a_remark_is_a_retryable_failure_and_not_remembered(
    make_client: MakeClient, nominatim_fake: Starlette, serve: Serve
) -> None:
    script: list[tuple[int, str | dict[str, Any]]] = [(200, {"remark": REMARK_TIMEOUT})]
    overpass = overpass_app([NORTHERN_BEAN], script=script)
    with serve(nominatim_fake) as nominatim, serve(overpass) as overpass_url:
        client = make_client(nominatim, overpass_url)
        with pytest.raises(ToolError) as caught:
            await client.search("cafes", region="Manchester", country="GB", max_results=5)
        found = await client.search("cafes", region="Manchester", country="GB", max_results=5)
    assert caught.value.retryable is True
    assert caught.value.message == (
        f"Overpass could not finish the query ({REMARK_TIMEOUT}); trying again."
    )
    assert [lead.business_name for lead in found.leads] == ["Northern Bean"]
    assert len(overpass.state.queries) == 2


# Waiting for an Overpass slot --------------------------------------------------------------------

THROTTLES = pytest.mark.parametrize(
    ("status", "page", "words"),
    [(429, RATE_LIMITED_PAGE, "rate limiting"), (504, TOO_BUSY_PAGE, "too busy")],
)


async def search_manchester(client: OsmClient) -> OsmSearch:
    return await client.search("cafes", region="Manchester", country="GB", max_results=5)


@THROTTLES
async def test_a_throttled_query_waits_as_the_status_page_says_and_is_sent_again(
    make_client: MakeClient,
    vtime: VirtualTime,
    status: int,
    page: str,
    words: str,
    nominatim_fake: Starlette,
    serve: Serve,
) -> None:
    # Was a retryable ToolError at once; now the same call waits for the slot and asks again.
    overpass = overpass_app([NORTHERN_BEAN], script=[(status, page)], clock=vtime, cooldown_s=12)
    with serve(nominatim_fake) as nominatim, serve(overpass) as overpass_url:
        found = await search_manchester(make_client(nominatim, overpass_url))
    [status_text] = overpass.state.statuses
    assert "Slot available after: 2025-03-03T09:00:12Z, in 12 seconds." in status_text
    assert vtime.waits == [13.0]  # the shortest wait and a second's margin, nothing else
    refused, sent_again = overpass.state.queries
    assert sent_again == refused
    assert [lead.business_name for lead in found.leads] == ["Northern Bean"]
    assert found.requests == 4  # Nominatim, the refused query, the status page, the query


@pytest.mark.parametrize(
    "status_answer",
    [(200, "<html><body>Service Unavailable</body></html>"), (503, "busy"), (200, "Rate limit: 2")],
)
@THROTTLES
async def test_an_unreadable_status_page_leaves_the_throttling_retryable(
    make_client: MakeClient,
    vtime: VirtualTime,
    status: int,
    page: str,
    words: str,
    status_answer: tuple[int, str],
    nominatim_fake: Starlette,
    serve: Serve,
) -> None:
    overpass = overpass_app(script=[(status, page)], clock=vtime, status_script=[status_answer])
    with serve(nominatim_fake) as nominatim, serve(overpass) as overpass_url:
        with pytest.raises(ToolError) as caught:
            await search_manchester(make_client(nominatim, overpass_url))
    assert caught.value.retryable is True and caught.value.retry_after is None
    assert words in caught.value.message and f"HTTP {status}" in caught.value.message
    assert vtime.waits == [] and len(overpass.state.queries) == 1


async def test_past_three_waits_the_throttling_is_retryable_with_the_last_wait(
    make_client: MakeClient, vtime: VirtualTime, nominatim_fake: Starlette, serve: Serve
) -> None:
    script: list[tuple[int, str | dict[str, Any]]] = [(429, RATE_LIMITED_PAGE)] * 4
    overpass = overpass_app(script=script, clock=vtime, cooldown_s=12)
    with serve(nominatim_fake) as nominatim, serve(overpass) as overpass_url:
        with pytest.raises(ToolError) as caught:
            await search_manchester(make_client(nominatim, overpass_url))
    assert vtime.waits == [13.0, 13.0, 13.0]
    assert len(overpass.state.queries) == 4 and len(overpass.state.statuses) == 4
    assert (
        caught.value.message == "Overpass is rate limiting this address (HTTP 429); trying again."
    )
    assert caught.value.retryable is True and caught.value.retry_after == 13.0


async def test_a_wait_longer_than_the_cap_is_not_waited(
    make_client: MakeClient, vtime: VirtualTime, nominatim_fake: Starlette, serve: Serve
) -> None:
    overpass = overpass_app(script=[(504, TOO_BUSY_PAGE)], clock=vtime, cooldown_s=200)
    with serve(nominatim_fake) as nominatim, serve(overpass) as overpass_url:
        with pytest.raises(ToolError) as caught:
            await search_manchester(make_client(nominatim, overpass_url))
    assert vtime.waits == [] and len(overpass.state.queries) == 1
    assert caught.value.message == "Overpass is too busy or timed out (HTTP 504); trying again."
    assert caught.value.retry_after == 201.0


async def test_the_120_seconds_of_waiting_are_for_the_whole_search(
    make_client: MakeClient, vtime: VirtualTime, nominatim_fake: Starlette, serve: Serve
) -> None:
    script: list[tuple[int, str | dict[str, Any]]] = [
        (429, RATE_LIMITED_PAGE),  # the area query: wait 51 s
        (200, {}),  # then no elements at all: Ancoats has no area
        (429, RATE_LIMITED_PAGE),  # the bounding-box query: wait 51 s more (102 s)
        (429, RATE_LIMITED_PAGE),  # 51 s more would pass 120 s
    ]
    overpass = overpass_app(script=script, clock=vtime, cooldown_s=50)
    with serve(nominatim_fake) as nominatim, serve(overpass) as overpass_url:
        with pytest.raises(ToolError) as caught:
            await make_client(nominatim, overpass_url).search(
                "cafes", region="Ancoats", country="GB", max_results=5
            )
    assert vtime.waits == [51.0, 51.0]
    assert caught.value.retryable is True and caught.value.retry_after == 51.0


async def test_the_status_page_counts_against_the_run_budget(
    make_client: MakeClient, nominatim_fake: Starlette, serve: Serve
) -> None:
    run = RunUsage(budget=Budget(requests=2))
    overpass = overpass_app(script=[(429, RATE_LIMITED_PAGE)])
    with serve(nominatim_fake) as nominatim, serve(overpass) as overpass_url:
        client = make_client(nominatim, overpass_url)
        with spending_for(run, "places"), pytest.raises(ToolError) as caught:
            await search_manchester(client)
    # The status page was the third request: refused, and that refusal is not hidden.
    assert caught.value.retryable is False and caught.value.message.startswith("Budget reached")
    assert overpass.state.statuses == []


@pytest.mark.parametrize(
    ("page", "wait"),
    [
        (
            "Connected as: 3232235777\nCurrent time: 2025-03-03T09:00:00Z\n"
            "Announced endpoint: none\nRate limit: 2\n"
            "Slot available after: 2025-03-03T09:00:30Z, in 30 seconds.\n"
            "Slot available after: 2025-03-03T09:00:12Z, in 12 seconds.\n"
            "Currently running queries (pid, space limit, time limit, start time):\n",
            13.0,
        ),
        ("Rate limit: 2\n2 slots available now.\nCurrently running queries:\n", 1.0),
        ("Rate limit: 2\n1 slots available now.\nSlot available after: x, in 9 seconds.\n", 1.0),
        ("Slot available after: x, in 0 seconds.\nSlot available after: y, in 4 seconds.", 1.0),
        ("Slot available after: x, in -3 seconds.\n", 1.0),
        ("Rate limit: 2\nCurrently running queries:\n", None),
        ("<html>Gateway Timeout</html>", None),
        # numbers int() cannot read (it refuses 4,301 digits, and "²") are not read at all
        (f"{'9' * 4301} slots available now.\nSlot available after: x, in 7 seconds.\n", 8.0),
        (f"Slot available after: x, in {'9' * 4301} seconds.\n", None),
        ("² slots available now.\nSlot available after: x, in ² seconds.\n", None),
    ],
)
def test_the_status_page_says_how_long_to_wait(page: str, wait: float | None) -> None:
    assert slot_wait_s(page) == wait


# Timeouts ---------------------------------------------------------------------------------------


class RecordingTransport(httpx.AsyncBaseTransport):
    """Sends as usual and remembers each request's timeout (httpx's `timeout` extension)."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[tuple[str, dict[str, float]]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        endpoint = request.url.path.rsplit("/", 1)[-1]
        self.sent.append((endpoint, dict(request.extensions["timeout"])))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_each_request_waits_as_long_as_its_call_may_take(
    make_client: MakeClient, vtime: VirtualTime, nominatim_fake: Starlette, serve: Serve
) -> None:
    timeouts = CallTimeouts(nominatim_s=11, overpass_query_s=42, overpass_read_s=77)
    transport = RecordingTransport()
    overpass = overpass_app(script=[(429, RATE_LIMITED_PAGE)], clock=vtime)
    async with httpx.AsyncClient(
        transport=transport, headers={"User-Agent": user_agent(CONTACT)}
    ) as recording:
        with serve(nominatim_fake) as nominatim, serve(overpass) as overpass_url:
            client = make_client(nominatim, overpass_url, client=recording, timeouts=timeouts)
            await search_manchester(client)

    def waits(read: float) -> dict[str, float]:
        return {"connect": 5.0, "read": read, "write": read, "pool": read}

    assert transport.sent == [
        ("search", waits(11)),
        ("interpreter", waits(77)),
        ("status", waits(10)),
        ("interpreter", waits(77)),
    ]
    assert all(query.startswith("[out:json][timeout:42];") for query in overpass.state.queries)


def test_a_search_budget_covers_every_call_it_may_make() -> None:
    t = DOCUMENTED
    parts = 2 * t.nominatim_s + 2 * t.overpass_read_s + 120 + 3 * t.overpass_status_s
    assert search_budget_s(t) > parts
    assert search_budget_s(t) > t.overpass_read_s + t.overpass_query_s  # one query, queued


@pytest.mark.parametrize(
    "name", ["connect_s", "nominatim_s", "overpass_read_s", "overpass_status_s"]
)
def test_a_longer_timeout_makes_a_longer_search_budget(name: str) -> None:
    longer = replace(DOCUMENTED, **{name: getattr(DOCUMENTED, name) + 1})
    assert search_budget_s(longer) > search_budget_s(DOCUMENTED)


@pytest.mark.parametrize(
    "answer", [(502, "<html><body>Bad Gateway</body></html>"), (200, "<html>not json</html>")]
)
async def test_server_errors_and_unreadable_answers_are_retryable(
    make_client: MakeClient, answer: tuple[int, str], nominatim_fake: Starlette, serve: Serve
) -> None:
    with serve(nominatim_fake) as nominatim, serve(overpass_app(script=[answer])) as url:
        with pytest.raises(ToolError) as caught:
            await make_client(nominatim, url).search(
                "cafes", region="Manchester", country="GB", max_results=5
            )
    assert caught.value.retryable is True


async def test_a_rejected_query_is_permanent(
    make_client: MakeClient, nominatim_fake: Starlette, serve: Serve
) -> None:
    page = osm3s_page('line 3: parse error: Unknown type "nwrr"')
    with serve(nominatim_fake) as nominatim, serve(overpass_app(script=[(400, page)])) as url:
        with pytest.raises(ToolError) as caught:
            await make_client(nominatim, url).search(
                "cafes", region="Manchester", country="GB", max_results=5
            )
    assert caught.value.retryable is False
    assert caught.value.message == (
        'Overpass rejected the query (line 3: parse error: Unknown type "nwrr"); '
        "trying again will not help."
    )


@pytest.mark.parametrize("region", ["Manchester", "   "])
async def test_an_unknown_persona_fails_before_any_request(
    make_client: MakeClient, region: str, nominatim_fake: Starlette, serve: Serve
) -> None:
    overpass = overpass_app([NORTHERN_BEAN])
    with serve(nominatim_fake) as nominatim, serve(overpass) as overpass_url:
        with pytest.raises(ToolError) as caught:
            await make_client(nominatim, overpass_url).search(
                "unicorn farms", region=region, country="GB", max_results=5
            )
    assert caught.value.retryable is False
    assert caught.value.message == (
        "OpenStreetMap has no category for “unicorn farms”; "
        "use the Google provider or the demo directory."
    )
    assert nominatim_fake.state.requests == [] and overpass.state.queries == []


async def test_an_empty_region_fails_before_any_request(
    make_client: MakeClient, nominatim_fake: Starlette, serve: Serve
) -> None:
    with serve(nominatim_fake) as nominatim:
        with pytest.raises(ToolError) as caught:
            await make_client(nominatim).search("cafes", region=" ", country="GB", max_results=5)
    assert caught.value.retryable is False and nominatim_fake.state.requests == []


async def test_an_unreachable_overpass_is_retryable(
    make_client: MakeClient, nominatim_fake: Starlette, serve: Serve
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    with serve(nominatim_fake) as nominatim:
        with pytest.raises(ToolError) as caught:
            await make_client(nominatim, closed).search(
                "cafes", region="Manchester", country="GB", max_results=5
            )
    assert caught.value.retryable is True
    assert caught.value.message.startswith("Could not reach OpenStreetMap Overpass")


# The fakes themselves ---------------------------------------------------------------------------


async def test_the_overpass_fake_answers_like_overpass(
    http_client: httpx.AsyncClient, serve: Serve
) -> None:
    overpass = overpass_app([NORTHERN_BEAN, ANOTHER_CAFE, DENTIST])
    with serve(overpass) as url:
        good = await http_client.post(
            f"{url}/api/interpreter",
            data={
                "data": '[out:json];(nwr["amenity"="cafe"]["name"](53.4,-2.3,53.5,-2.2););out 5;'
            },
        )
        elsewhere = await http_client.post(
            f"{url}/api/interpreter",
            data={"data": '[out:json];(nwr["amenity"="cafe"]["name"](1,2,3,4););out 5;'},
        )
        bad = await http_client.post(f"{url}/api/interpreter", data={"data": "nwr[x];out;"})
    body = good.json()
    assert set(body) == set(envelope([])) == {"version", "generator", "osm3s", "elements"}
    assert [element["id"] for element in body["elements"]] == [123, 456]
    assert "center" not in body["elements"][1]  # only `out center` adds it
    assert elsewhere.json()["elements"] == []  # a bounding box holds only what lies in it
    assert bad.status_code == 400 and "OSM3S Response" in bad.text
    assert "parse error" in bad.text


async def test_the_overpass_fake_has_areas_only_for_some_relations(
    http_client: httpx.AsyncClient, serve: Serve
) -> None:
    def query(relation: int) -> str:
        return (
            f"[out:json];area(id:{3600000000 + relation})->.a;.a out ids;"
            '(nwr["amenity"="cafe"](area.a););out center 5;'
        )

    with serve(overpass_app([NORTHERN_BEAN])) as url:
        manchester = await http_client.post(f"{url}/api/interpreter", data={"data": query(146656)})
        ancoats = await http_client.post(f"{url}/api/interpreter", data={"data": query(4087262)})
    assert [(e["type"], e["id"]) for e in manchester.json()["elements"]] == [
        ("area", 3600146656),
        ("node", 123),
    ]
    assert ancoats.status_code == 200 and ancoats.json()["elements"] == []


async def test_the_overpass_fake_keeps_a_throttled_address_waiting(
    http_client: httpx.AsyncClient, vtime: VirtualTime, serve: Serve
) -> None:
    query = {"data": '[out:json];(nwr["amenity"="cafe"](53.4,-2.3,53.5,-2.2););out;'}
    overpass = overpass_app([NORTHERN_BEAN], script=[(429, RATE_LIMITED_PAGE)], clock=vtime)
    with serve(overpass) as url:
        first = await http_client.post(f"{url}/api/interpreter", data=query)
        vtime.now += 11
        too_soon = await http_client.post(f"{url}/api/interpreter", data=query)
        busy = await http_client.get(f"{url}/api/status")
        vtime.now += 2
        after = await http_client.post(f"{url}/api/interpreter", data=query)
        free = await http_client.get(f"{url}/api/status")
    assert (first.status_code, too_soon.status_code, after.status_code) == (429, 429, 200)
    assert "rate_limited" in too_soon.text
    assert busy.headers["content-type"].startswith("text/plain")
    assert busy.text.splitlines()[3:6] == [
        "Rate limit: 2",
        "Slot available after: 2025-03-03T09:00:12Z, in 1 seconds.",
        "Slot available after: 2025-03-03T09:00:30Z, in 19 seconds.",
    ]
    assert free.text.splitlines()[4:6] == [
        "1 slots available now.",
        "Slot available after: 2025-03-03T09:00:30Z, in 17 seconds.",
    ]


async def test_the_nominatim_fake_keeps_other_places_out_of_a_settlement_search(
    http_client: httpx.AsyncClient, serve: Serve
) -> None:
    cafe = nominatim_place(
        "Northern Bean",
        osm_type="node",
        osm_id=123,
        lat="53.4835",
        lon="-2.2363",
        boundingbox=["53.4834", "53.4836", "-2.2364", "-2.2362"],
        category="amenity",
        kind="cafe",
    )
    places = {**DEFAULT_PLACES, "Northern Bean": cafe}
    agent = {"User-Agent": user_agent(CONTACT)}
    found: dict[tuple[str, bool], list[Any]] = {}
    with serve(nominatim_app(places, min_interval_s=0)) as url:
        for name in ("Manchester", "M1 1JN", "Northern Bean"):
            for settlement in (True, False):
                params = {"q": name, "format": "jsonv2"}
                if settlement:
                    params["featureType"] = "settlement"
                answer = await http_client.get(f"{url}/search", params=params, headers=agent)
                found[name, settlement] = answer.json()
    assert [len(found[name, True]) for name in ("Manchester", "M1 1JN", "Northern Bean")] == [
        1,
        0,
        0,
    ]
    assert all(len(found[name, False]) == 1 for name in ("Manchester", "M1 1JN", "Northern Bean"))
    assert set(found["M1 1JN", False][0]).isdisjoint({"osm_type", "osm_id"})


async def test_the_nominatim_fake_blocks_curl(
    http_client: httpx.AsyncClient, nominatim_fake: Starlette, serve: Serve
) -> None:
    with serve(nominatim_fake) as url:
        answer = await http_client.get(
            f"{url}/search", params={"q": "Manchester"}, headers={"User-Agent": "curl/8.5.0"}
        )
    assert answer.status_code == 403
