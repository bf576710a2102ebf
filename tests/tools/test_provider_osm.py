"""The OpenStreetMap provider against fake Nominatim and Overpass servers on 127.0.0.1: the
persona table, geocoding and its cache and rate limit, the Overpass query, the lead mapping and
every documented failure. Time is virtual: the buckets and the fake share a clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager
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
    osm3s_page,
    overpass_app,
)
from tests.tools.live_server import free_port, serving
from webapp.core.errors import ToolError
from webapp.core.leads import Lead
from webapp.tools.providers.http import ProviderHttp, RateLimits, TokenBucket, new_client
from webapp.tools.providers.osm import Area, OsmClient, nominatim_params, overpass_query
from webapp.tools.providers.osm_tags import CATEGORIES, filters_for, tag_filters_for

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
    """Clients on the test's virtual clock; they share one set of buckets unless given `limits`."""
    shared = virtual_limits(vtime)

    def make(nominatim: str, overpass: str = "http://127.0.0.1:9", **options: Any) -> OsmClient:
        return OsmClient(
            ProviderHttp(options.get("client", http_client), options.get("limits", shared)),
            nominatim_url=nominatim,
            overpass_url=overpass,
            clock=lambda: NOW,
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
    assert [request["params"]["q"] for request in nominatim_fake.state.requests] == [
        "Manchester",
        "Atlantis",
    ]


async def test_a_place_nominatim_does_not_know_fails_for_good(
    make_client: MakeClient, nominatim_fake: Starlette, serve: Serve
) -> None:
    with serve(nominatim_fake) as nominatim:
        client = make_client(nominatim)
        assert await client.geocode("Manchester", "US") is None  # filtered by countrycodes
        with pytest.raises(ToolError) as caught:
            await client.search("cafes", region="Atlantis", country="GB", max_results=5)
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
    params = nominatim_params(" Leeds ", country)
    assert params == {"format": "jsonv2", "limit": "1", "addressdetails": "1", **expected}


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


# The Overpass query -----------------------------------------------------------------------------

MANCHESTER = Area("Manchester", "relation", 146656, 53.48, -2.24, (53.34, -2.32, 53.54, -2.15))
DIDSBURY = Area("Didsbury", "node", 21302413, 53.42, -2.23, (53.3966, -2.251, 53.4366, -2.211))


def test_a_relation_is_searched_as_its_area() -> None:
    filters = tag_filters_for("dentists")
    assert filters is not None
    assert overpass_query(MANCHESTER, filters, 20) == (
        "[out:json][timeout:60];\n"
        "area(id:3600146656)->.a;\n"
        "(\n"
        '  nwr["amenity"="dentist"]["name"](area.a);\n'
        '  nwr["healthcare"="dentist"]["name"](area.a);\n'
        ");\n"
        "out center 20;\n"
    )


def test_other_places_are_searched_by_bounding_box() -> None:
    filters = tag_filters_for("hotels")
    assert filters is not None
    assert overpass_query(DIDSBURY, filters, 5) == (
        "[out:json][timeout:60];\n"
        "(\n"
        '  nwr["tourism"~"^(hotel|guest_house)$"]["name"](53.3966,-2.251,53.4366,-2.211);\n'
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
    assert first_query.startswith("[out:json][timeout:60];\narea(id:3600146656)->.a;\n")
    assert 'nwr["amenity"="cafe"]["name"](area.a);' in first_query
    assert first_query.endswith("out center 20;\n")
    assert "area(" not in second_query
    assert 'nwr["amenity"="cafe"]["name"](53.3966,-2.251,53.4366,-2.211);' in second_query
    assert second_query.endswith("out center 3;\n")
    assert [lead.business_name for lead in found.leads] == ["Northern Bean", "Another Cafe"]
    assert (found.requests, again.requests) == (2, 2)


async def test_a_cached_place_costs_only_the_overpass_request(
    make_client: MakeClient, nominatim_fake: Starlette, serve: Serve
) -> None:
    with serve(nominatim_fake) as nominatim, serve(overpass_app([])) as overpass_url:
        client = make_client(nominatim, overpass_url)
        await client.search("gyms", region="Manchester", country="GB", max_results=5)
        second = await client.search("vets", region="Manchester", country="GB", max_results=5)
    assert second.requests == 1 and len(nominatim_fake.state.requests) == 1


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


@pytest.mark.parametrize(
    ("status", "page", "words"),
    [(429, RATE_LIMITED_PAGE, "rate limiting"), (504, TOO_BUSY_PAGE, "too busy")],
)
async def test_overpass_throttling_pages_are_retryable(
    make_client: MakeClient,
    status: int,
    page: str,
    words: str,
    nominatim_fake: Starlette,
    serve: Serve,
) -> None:
    overpass = overpass_app(script=[(status, page)])
    with serve(nominatim_fake) as nominatim, serve(overpass) as overpass_url:
        with pytest.raises(ToolError) as caught:
            await make_client(nominatim, overpass_url).search(
                "cafes", region="Manchester", country="GB", max_results=5
            )
    assert caught.value.retryable is True and caught.value.retry_after is None
    assert words in caught.value.message and f"HTTP {status}" in caught.value.message


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
            data={"data": '[out:json];(nwr["amenity"="cafe"]["name"](1,2,3,4););out 5;'},
        )
        bad = await http_client.post(f"{url}/api/interpreter", data={"data": "nwr[x];out;"})
    body = good.json()
    assert set(body) == set(envelope([])) == {"version", "generator", "osm3s", "elements"}
    assert [element["id"] for element in body["elements"]] == [123, 456]
    assert "center" not in body["elements"][1]  # only `out center` adds it
    assert bad.status_code == 400 and "OSM3S Response" in bad.text
    assert "parse error" in bad.text


async def test_the_nominatim_fake_blocks_curl(
    http_client: httpx.AsyncClient, nominatim_fake: Starlette, serve: Serve
) -> None:
    with serve(nominatim_fake) as url:
        answer = await http_client.get(
            f"{url}/search", params={"q": "Manchester"}, headers={"User-Agent": "curl/8.5.0"}
        )
    assert answer.status_code == 403
