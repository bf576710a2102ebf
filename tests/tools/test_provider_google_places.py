"""The Google Places (New) client against the fake: the request it sends, paging, more than one
query's 60 places, the mapping to leads, and every error a person must act on (or retried)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.tools.fakes.google_places import (
    CLOSED_TEMPORARILY_AT,
    DAILY_QUOTA,
    GOOD_KEY,
    PLACES,
    RATE_LIMITED,
    SERVICE_AREA_AT,
    SERVICE_AREA_PLACES,
    UNAVAILABLE,
    Scripted,
    expire_tokens,
    google_error,
    google_places_app,
    grid_places,
    received,
)
from tests.tools.live_server import free_port, serving
from webapp.core.errors import ToolError
from webapp.core.leads import Lead
from webapp.settings import Settings
from webapp.tools.providers.clients import ProviderClients
from webapp.tools.providers.google_places import (
    FIELD_MASK,
    SERVICE_AREA_NOTE,
    TEMPORARILY_CLOSED_NOTE,
    GooglePlacesClient,
    error_from_response,
    search_body,
    search_budget_s,
)
from webapp.tools.providers.google_queries import queries_needed
from webapp.tools.providers.http import ProviderHttp, RateLimits, TokenBucket, new_client
from webapp.tools.providers.timeouts import DOCUMENTED, CallTimeouts

NOW = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
STAMP = "2025-03-03T09:30:00.000Z"
SEARCH = "/v1/places:searchText"
LEADS_IN_FIRST_60 = 57  # the fake skips two closed places and one without a name among them
USABLE_PLACES = len(PLACES) - 3  # every place but those three
FULL_PLACE: dict[str, Any] = {
    "id": "ChIJfull",
    "displayName": {"text": "Northern Bean Cafe", "languageCode": "en"},
    "formattedAddress": "12 Oldham St, Manchester M1 1JN, UK",
    "addressComponents": [
        {"longText": "Manchester", "shortText": "Manchester", "types": ["postal_town"]},
        {"longText": "United Kingdom", "shortText": "GB", "types": ["country", "political"]},
        {"longText": "M1 1JN", "shortText": "M1 1JN", "types": ["postal_code"]},
    ],
    "location": {"latitude": 53.4835, "longitude": -2.2363},
    "websiteUri": "https://www.NorthernBean.example/menu",
    "nationalPhoneNumber": "0161 496 0000",
    "internationalPhoneNumber": "+44 161 496 0000",
    "rating": 4.6,
    "userRatingCount": 312,
    "types": ["cafe", "coffee_shop", "food", "point_of_interest", "establishment"],
    "primaryType": "coffee_shop",
    "businessStatus": "OPERATIONAL",
}


@pytest.fixture
async def http() -> AsyncIterator[ProviderHttp]:
    async with new_client("tests@leadgen.example") as client:
        yield ProviderHttp(client)


def places_client(
    http: ProviderHttp,
    base_url: str,
    *,
    key: str = GOOD_KEY,
    limits: RateLimits | None = None,
    timeouts: CallTimeouts = DOCUMENTED,
) -> GooglePlacesClient:
    return GooglePlacesClient(
        http, api_key=key, base_url=base_url, limits=limits, clock=lambda: NOW, timeouts=timeouts
    )


async def search(client: GooglePlacesClient, max_results: int = 20) -> Any:
    return await client.search(
        "coffee shops", region="Manchester", country="GB", max_results=max_results
    )


async def search_failure(
    http: ProviderHttp, script: list[Scripted], *, key: str = GOOD_KEY
) -> ToolError:
    with serving(google_places_app(script=script)) as base_url:
        with pytest.raises(ToolError) as caught:
            await search(places_client(http, base_url, key=key))
    return caught.value


async def test_the_request_is_as_documented(http: ProviderHttp) -> None:
    app = google_places_app()
    with serving(app) as base_url:
        await places_client(http, base_url + "/").search(
            "coffee shops", region="Manchester", country="gb", max_results=5
        )
    [request] = received(app)
    assert (request.method, request.path) == ("POST", SEARCH)
    assert request.headers["x-goog-api-key"] == GOOD_KEY
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"].startswith("leadgen/")
    mask = request.headers["x-goog-fieldmask"].split(",")
    assert "nextPageToken" in mask and "places.websiteUri" in mask and "places.id" in mask
    assert request.body == {
        "textQuery": "coffee shops in Manchester",
        "pageSize": 20,
        "regionCode": "GB",
        "languageCode": "en",
        "includePureServiceAreaBusinesses": True,
    }


@pytest.mark.parametrize(
    ("region", "country", "text", "region_code"),
    [
        ("Manchester", "GB", "dentists in Manchester", "GB"),
        ("", "GB", "dentists", "GB"),
        ("  ", None, "dentists", None),
        ("Leeds", "United Kingdom", "dentists in Leeds", None),
        ("Leeds", "826", "dentists in Leeds", None),
        ("Leeds", " uk ", "dentists in Leeds", "GB"),
        ("Leeds", "UK", "dentists in Leeds", "GB"),
        ("Leeds", "U1", "dentists in Leeds", None),
        ("Leeds", "ÉS", "dentists in Leeds", None),
    ],
)
def test_the_body_names_the_region_and_only_a_two_letter_country(
    region: str, country: str | None, text: str, region_code: str | None
) -> None:
    body = search_body("dentists", region=region, country=country)
    assert body["textQuery"] == text
    assert body.get("regionCode") == region_code
    assert (body["pageSize"], body["languageCode"]) == (20, "en")
    assert body["includePureServiceAreaBusinesses"] is True


@pytest.mark.parametrize(("wanted", "requests"), [(10, 1), (20, 1), (21, 2), (45, 3)])
async def test_pages_until_enough_leads(http: ProviderHttp, wanted: int, requests: int) -> None:
    app = google_places_app()
    with serving(app) as base_url:
        found = await search(places_client(http, base_url), wanted)
    assert (len(found.leads), found.requests, found.pages) == (wanted, requests, requests)
    bodies = [request.body for request in received(app)]
    assert len(bodies) == requests and "pageToken" not in bodies[0]
    for later in bodies[1:]:
        assert later.pop("pageToken").startswith("AeCrKX")
        assert later == bodies[0]
    assert len({lead.source_id for lead in found.leads}) == wanted


async def test_paging_ends_with_the_results_and_a_short_query_is_not_split(
    http: ProviderHttp,
) -> None:
    short = google_places_app(PLACES[:25])
    with serving(short) as base_url:
        found = await search(places_client(http, base_url), 100)
    assert (found.requests, found.pages, found.queries, found.wanted) == (2, 2, 1, 100)
    assert len(found.leads) == 24  # place 21 has closed for good
    assert len(received(short)) == 2


async def test_a_place_becomes_a_lead_field_by_field(http: ProviderHttp) -> None:
    with serving(google_places_app([FULL_PLACE])) as base_url:
        found = await search(places_client(http, base_url))
    assert found.leads == [
        Lead(
            business_name="Northern Bean Cafe",
            category="coffee_shop",
            website="https://www.NorthernBean.example/menu",
            domain="northernbean.example",
            phone="+44 161 496 0000",
            address="12 Oldham St, Manchester M1 1JN, UK",
            city="Manchester",
            postcode="M1 1JN",
            country="GB",
            latitude=53.4835,
            longitude=-2.2363,
            rating=4.6,
            review_count=312,
            business_status="OPERATIONAL",
            source="google_places",
            source_id="ChIJfull",
            retrieved_at=STAMP,
            service_area=False,
        )
    ]


async def test_sparse_places_fall_back_and_unusable_ones_are_skipped(http: ProviderHttp) -> None:
    sparse = {
        "id": "ChIJsparse",
        "displayName": {"text": "Kettle Cafe"},
        "addressComponents": [{"longText": "Salford", "types": ["locality", "political"]}],
        "nationalPhoneNumber": "0161 496 0999",
        "types": ["cafe", "food"],
        "businessStatus": "CLOSED_TEMPORARILY",
    }
    nameless = {**FULL_PLACE, "id": "ChIJnameless", "displayName": {"text": " "}}
    gone = {**FULL_PLACE, "id": "ChIJgone", "businessStatus": "CLOSED_PERMANENTLY"}
    with serving(google_places_app([nameless, sparse, gone, {"id": "ChIJbare"}])) as base_url:
        found = await search(places_client(http, base_url))
    [lead] = found.leads
    assert (lead.business_name, lead.source_id, lead.city) == (
        "Kettle Cafe",
        "ChIJsparse",
        "Salford",
    )
    assert (lead.phone, lead.category, lead.business_status) == (
        "0161 496 0999",
        "cafe",
        "CLOSED_TEMPORARILY",
    )
    assert lead.website is lead.domain is lead.rating is lead.latitude is lead.country is None


async def test_no_results_is_an_empty_object(http: ProviderHttp) -> None:
    app = google_places_app([])
    with serving(app) as base_url:
        found = await search(places_client(http, base_url))
        answer = await http.client.post(
            base_url + SEARCH,
            json={"textQuery": "unicorn stables in Manchester"},
            headers={"X-Goog-Api-Key": GOOD_KEY, "X-Goog-FieldMask": FIELD_MASK},
        )
    assert (found.leads, found.requests, found.pages) == ([], 1, 1)
    assert (answer.status_code, answer.json()) == (200, {})


async def test_throttling_is_retryable_after_retry_after_then_succeeds(http: ProviderHttp) -> None:
    with serving(google_places_app(script=[RATE_LIMITED])) as base_url:
        client = places_client(http, base_url)
        with pytest.raises(ToolError) as caught:
            await search(client)
        found = await search(client)
    assert (caught.value.retryable, caught.value.retry_after) == (True, 2.0)
    assert "throttling" in caught.value.message
    assert len(found.leads) == 20


async def test_the_daily_quota_is_permanent(http: ProviderHttp) -> None:
    error = await search_failure(http, [DAILY_QUOTA])
    assert not error.retryable
    assert error.message == (
        "Google Places daily quota is exhausted; it resets tomorrow or raise the quota in the "
        "Google Cloud console."
    )


@pytest.mark.parametrize("key", ["AIzaSyFAKE-not-the-right-key", ""])
async def test_a_bad_key_is_permanent_and_names_the_setting(http: ProviderHttp, key: str) -> None:
    error = await search_failure(http, [], key=key)
    assert not error.retryable and error.retry_after is None
    assert "GOOGLE_PLACES_API_KEY" in error.message
    if key:
        assert "API_KEY_INVALID" in error.message and key not in error.message
    else:
        assert "PERMISSION_DENIED" in error.message


@pytest.mark.parametrize(
    ("script", "retryable", "words"),
    [
        ([UNAVAILABLE], True, "unavailable (HTTP 503 UNAVAILABLE)"),
        ([(502, "<html><body>Bad Gateway</body></html>")], True, "unavailable (HTTP 502)"),
        ([(200, "<html>captive portal</html>")], True, "not a JSON object"),
        ([(400, "<html>Bad Request</html>")], False, "refused the request: HTTP 400"),
    ],
)
async def test_unavailable_and_unreadable_answers(
    http: ProviderHttp, script: list[Scripted], retryable: bool, words: str
) -> None:
    error = await search_failure(http, script)
    assert error.retryable is retryable
    assert words in error.message and error.message.startswith("Google Places")


async def test_a_refused_connection_is_retryable_and_names_google_places(
    http: ProviderHttp,
) -> None:
    client = places_client(http, f"http://127.0.0.1:{free_port()}")
    with pytest.raises(ToolError) as caught:
        await search(client)
    assert caught.value.retryable
    assert caught.value.message.startswith("Could not reach Google Places")


async def test_requests_take_tokens_from_the_shared_bucket(http: ProviderHttp) -> None:
    moments = [100.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # waits are recorded, and time moves on at once
        waits.append(seconds)
        moments[0] += seconds

    slow = TokenBucket(0.5, 1, clock=lambda: moments[0], sleep=sleep)
    limits = RateLimits(buckets={"google:places": slow})
    with serving(google_places_app()) as base_url:
        client = places_client(http, base_url, limits=limits)
        found = await search(client, 45)
    assert client.bucket is slow and found.requests == 3
    assert waits == [2.0, 2.0]


async def test_the_bucket_is_shared_and_allows_ten_a_second(http: ProviderHttp) -> None:
    limits = RateLimits()
    first = places_client(http, "http://127.0.0.1:1", limits=limits)
    second = places_client(http, "http://127.0.0.1:2", limits=limits)
    assert first.bucket is second.bucket is limits.buckets["google:places"]
    assert (first.bucket.rate, first.bucket.burst) == (10.0, 10)
    assert places_client(http, "http://x").bucket is http.limits.buckets["google:places"]


def google_response(status: int, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def info(code: int, status: str, reason: str, **metadata: str) -> dict[str, Any]:
    return google_error(code, status, "See details.", reason=reason, metadata=metadata)


@pytest.mark.parametrize(
    ("response", "retryable", "words"),
    [
        (google_response(403, info(403, "PERMISSION_DENIED", "SERVICE_DISABLED")), False,
         "Places API (New) is not enabled for this key's project"),
        (google_response(403, info(403, "PERMISSION_DENIED", "BILLING_DISABLED")), False,
         "billing is not enabled"),
        (google_response(403, info(403, "PERMISSION_DENIED", "API_KEY_SERVICE_BLOCKED")), False,
         "API_KEY_SERVICE_BLOCKED"),
        (google_response(403, info(403, "PERMISSION_DENIED", "API_KEY_IP_ADDRESS_BLOCKED")), False,
         "application restrictions"),
        (google_response(401, google_error(401, "UNAUTHENTICATED", "No key.")), False,
         "rejected the API key (UNAUTHENTICATED); check GOOGLE_PLACES_API_KEY"),
        (google_response(429, google_error(429, "RESOURCE_EXHAUSTED", "Quota per day hit.")), False,
         "daily quota is exhausted"),
        (google_response(429, google_error(429, "RESOURCE_EXHAUSTED", "Slow down.")), True,
         "throttling"),
        (google_response(400, google_error(400, "INVALID_ARGUMENT", "Bad textQuery.")), False,
         "Google Places refused the request: Bad textQuery."),
        (google_response(504, google_error(504, "DEADLINE_EXCEEDED", "Too slow.")), True,
         "unavailable (HTTP 504 DEADLINE_EXCEEDED)"),
        (httpx.Response(404, text="Not Found"), False, "LEADGEN_GOOGLE_PLACES_URL"),
    ],
)  # fmt: skip
def test_google_errors_become_tool_errors(
    response: httpx.Response, retryable: bool, words: str
) -> None:
    error = error_from_response(response)
    assert error.retryable is retryable
    assert words in error.message


async def test_the_key_is_never_repeated_in_a_message(http: ProviderHttp) -> None:
    body = google_error(400, "INVALID_ARGUMENT", "Field textQuery bad for key AIzaSECRET.")
    error = error_from_response(google_response(400, body), secret="AIzaSECRET")
    assert "AIzaSECRET" not in error.message and "[redacted]" in error.message
    assert "AIzaSECRET" not in repr(places_client(http, "http://x", key="AIzaSECRET"))


# --- the fake itself keeps to Google's rules ---------------------------------------------------


async def post(base_url: str, body: Any, *, mask: str | None = FIELD_MASK) -> httpx.Response:
    headers = {"X-Goog-Api-Key": GOOD_KEY}
    if mask is not None:
        headers["X-Goog-FieldMask"] = mask
    async with httpx.AsyncClient() as client:
        return await client.post(base_url + SEARCH, json=body, headers=headers)


async def test_the_fake_requires_a_field_mask_a_query_and_a_sane_page_size() -> None:
    with serving(google_places_app()) as base_url:
        no_mask = await post(base_url, {"textQuery": "cafes"}, mask=None)
        no_query = await post(base_url, {"pageSize": 5})
        negative = await post(base_url, {"textQuery": "cafes", "pageSize": -1})
        unknown = await post(base_url, {"textQuery": "cafes", "query": "cafes"})
        bad_path = await post(base_url, {"textQuery": "cafes"}, mask="places.nonsense")
        clamped = await post(base_url, {"textQuery": "cafes", "pageSize": 50})
    error = no_mask.json()["error"]
    assert (no_mask.status_code, error["status"]) == (400, "INVALID_ARGUMENT")
    assert error["message"].startswith("FieldMask is a required parameter.")
    for refused in (no_query, negative, unknown, bad_path):
        assert refused.status_code == 400, refused.text
    assert len(clamped.json()["places"]) == 20


async def test_the_fake_filters_by_the_mask_and_guards_page_tokens() -> None:
    with serving(google_places_app()) as base_url:
        ids_only = await post(base_url, {"textQuery": "cafes"}, mask="places.id")
        first = await post(base_url, {"textQuery": "cafes"}, mask="places.id,nextPageToken")
        token = first.json()["nextPageToken"]
        changed = await post(base_url, {"textQuery": "bars", "pageToken": token})
        resized = await post(base_url, {"textQuery": "cafes", "pageToken": token, "pageSize": 5})
    assert ids_only.json().keys() == {"places"}
    assert all(place.keys() == {"id"} for place in ids_only.json()["places"])
    assert changed.status_code == 400 and "must match" in changed.json()["error"]["message"]
    assert [place["id"] for place in resized.json()["places"]] == [
        f"ChIJfake{i:04d}" for i in range(20, 25)
    ]


# --- what real answers hold: service-area businesses, closures, the region code ----------------


async def test_service_area_businesses_are_asked_for_kept_and_marked(http: ProviderHttp) -> None:
    app = google_places_app()
    with serving(app) as base_url:
        found = await search(places_client(http, base_url), 60)
    assert all(request.body["includePureServiceAreaBusinesses"] for request in received(app))
    by_id = {lead.source_id: lead for lead in found.leads}
    for place in SERVICE_AREA_PLACES:
        lead = by_id[place["id"]]
        assert (lead.service_area, lead.notes) == (True, SERVICE_AREA_NOTE)
        assert lead.address is lead.latitude is lead.longitude is None
        assert lead.phone == place["internationalPhoneNumber"]
    assert by_id["ChIJfakeSAB1"].domain == "kettlecoffeecart.example"
    service_area_ids = {place["id"] for place in SERVICE_AREA_PLACES}
    others = [lead for lead in found.leads if lead.source_id not in service_area_ids]
    assert others and all(lead.service_area is False and lead.address for lead in others)


async def test_the_fake_lists_service_area_businesses_only_when_asked() -> None:
    with serving(google_places_app([FULL_PLACE, *SERVICE_AREA_PLACES])) as base_url:
        plain = await post(base_url, {"textQuery": "coffee carts"}, mask="places.id")
        asked = await post(
            base_url,
            {"textQuery": "coffee carts", "includePureServiceAreaBusinesses": True},
            mask="places.id",
        )
    assert [place["id"] for place in plain.json()["places"]] == ["ChIJfull"]
    assert [place["id"] for place in asked.json()["places"]] == [
        "ChIJfull",
        "ChIJfakeSAB1",
        "ChIJfakeSAB2",
    ]
    assert [PLACES[at]["id"] for at in SERVICE_AREA_AT] == ["ChIJfakeSAB1", "ChIJfakeSAB2"]


async def test_a_temporarily_closed_business_is_kept_and_marked(http: ProviderHttp) -> None:
    with serving(google_places_app()) as base_url:
        found = await search(places_client(http, base_url), 20)
    [closed] = [lead for lead in found.leads if lead.business_status == "CLOSED_TEMPORARILY"]
    assert closed.source_id == PLACES[CLOSED_TEMPORARILY_AT[0]]["id"]
    assert (closed.notes, closed.service_area) == (TEMPORARILY_CLOSED_NOTE, False)
    assert all(lead.notes is None for lead in found.leads if lead is not closed)


@pytest.mark.parametrize("refuse_uk_region", [True, False])
async def test_uk_is_sent_as_gb_whether_or_not_google_refuses_uk(
    http: ProviderHttp, refuse_uk_region: bool
) -> None:
    app = google_places_app(refuse_uk_region=refuse_uk_region)
    with serving(app) as base_url:
        found = await places_client(http, base_url).search(
            "coffee shops", region="Manchester", country="UK", max_results=5
        )
        uk = await post(base_url, {"textQuery": "cafes", "regionCode": "UK"})
        numeric = await post(base_url, {"textQuery": "cafes", "regionCode": "826"})
        lower = await post(base_url, {"textQuery": "cafes", "regionCode": "gb"})
    assert len(found.leads) == 5
    assert received(app)[0].body["regionCode"] == "GB"
    assert uk.status_code == (400 if refuse_uk_region else 200)
    assert (numeric.status_code, lower.status_code) == (400, 200)
    assert numeric.json()["error"]["status"] == "INVALID_ARGUMENT"


# --- more than one query's 60 places -----------------------------------------------------------


def rectangle_of(body: dict[str, Any]) -> tuple[float, float, float, float]:
    rectangle = body["locationRestriction"]["rectangle"]
    low, high = rectangle["low"], rectangle["high"]
    return low["latitude"], low["longitude"], high["latitude"], high["longitude"]


async def test_more_than_60_runs_queries_over_parts_of_the_area(http: ProviderHttp) -> None:
    places = grid_places(100)
    app = google_places_app(places)
    with serving(app) as base_url:
        found = await search(places_client(http, base_url), 100)
    bodies = [request.body for request in received(app)]
    # The region's query (3 pages of 20, Google's cap), then each quarter of its area alone:
    # the quarters list the region's 60 again, and only the 40 others are new.
    assert (found.queries, found.wanted, found.requests) == (5, 100, len(bodies))
    assert found.pages == found.requests
    assert sorted(lead.source_id or "" for lead in found.leads) == sorted(p["id"] for p in places)
    assert all("locationRestriction" not in body for body in bodies[:3])
    rectangles = {rectangle_of(body) for body in bodies[3:]}
    assert len(rectangles) == 4
    assert all(south < north and west < east for south, west, north, east in rectangles)
    assert all("locationBias" not in body for body in bodies)
    later_pages = [body for body in bodies[3:] if "pageToken" in body]
    assert later_pages  # a part's next page repeats its query, rectangle and all
    first_pages = [{k: v for k, v in body.items() if k != "pageToken"} for body in later_pages]
    assert all(first_page in bodies for first_page in first_pages)


async def test_it_stops_as_soon_as_enough_are_found(http: ProviderHttp) -> None:
    app = google_places_app(grid_places(400))
    with serving(app) as base_url:
        found = await search(places_client(http, base_url), 130)
    assert (len(found.leads), found.wanted) == (130, 130)
    assert len({lead.source_id for lead in found.leads}) == 130
    assert 1 < found.queries < queries_needed(130)[0]
    assert found.requests == len(received(app))


async def test_fewer_found_than_wanted_is_reported(http: ProviderHttp) -> None:
    app = google_places_app()
    with serving(app) as base_url:
        found = await search(places_client(http, base_url), 200)
    # Every usable place the fake knows: the quarters hold no more than 60 each, so none is
    # cut again.
    assert (len(found.leads), found.wanted, found.queries) == (USABLE_PLACES, 200, 5)
    assert len({lead.source_id for lead in found.leads}) == USABLE_PLACES
    assert found.requests == found.pages == len(received(app))


def test_the_plan_grows_with_the_places_wanted() -> None:
    assert [queries_needed(wanted) for wanted in (0, 1, 60, 61, 120, 240, 300, 1000)] == [
        (0, 0),
        (5, 15),  # the region's query may come back full with too few usable places
        (5, 15),
        (9, 27),
        (9, 27),
        (17, 51),
        (21, 63),  # the region's box cut, and each of its four parts: two levels at most
        (21, 63),
    ]


# --- refused page tokens, the answer cache, timeouts ------------------------------------------


async def test_a_refused_page_token_restarts_its_query_once(http: ProviderHttp) -> None:
    app = google_places_app()
    expire_tokens(app, 1)
    with serving(app) as base_url:
        found = await search(places_client(http, base_url), 45)
    bodies = [request.body for request in received(app)]
    assert ["pageToken" in body for body in bodies] == [False, True, False, True, True]
    assert bodies[2] == bodies[0]  # the query again, from its first page
    assert (found.requests, found.pages, found.queries, len(found.leads)) == (5, 4, 1, 45)
    assert len({lead.source_id for lead in found.leads}) == 45


async def test_a_page_token_refused_twice_fails(http: ProviderHttp) -> None:
    app = google_places_app()
    expire_tokens(app, 2)
    with serving(app) as base_url:
        with pytest.raises(ToolError) as caught:
            await search(places_client(http, base_url), 45)
    assert len(received(app)) == 4  # page 1, page 2 refused, page 1 again, page 2 refused
    assert not caught.value.retryable
    assert "The provided page_token is invalid." in caught.value.message


class MemoryCache:
    """An AnswerCache that remembers what it was asked and given."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.kept: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        self.asked.append(key)
        return self.kept.get(key)

    def put_soon(self, key: str, provider: str, value: str, ttl_s: float) -> None:
        self.kept[key] = value


async def test_google_answers_are_never_cached() -> None:
    cache = MemoryCache()
    app = google_places_app()
    expire_tokens(app, 1)  # a restarted query asks Google again too
    async with new_client("tests@leadgen.example") as client:
        cached_http = ProviderHttp(client, cache=cache, cache_ttl_s=3600)
        with serving(app) as base_url:
            first = await search(places_client(cached_http, base_url), 30)
            again = await search(places_client(cached_http, base_url), 30)
    assert (first.requests, again.requests) == (4, 2)  # pages 1, 2 (refused), 1 and 2
    assert len(received(app)) == 6
    assert cache.asked == [] and cache.kept == {}


class VirtualTime(httpx.AsyncBaseTransport):
    """Answers from `app` in-process, each request taking on a virtual clock the longest its
    timeouts allow (connect, then read); records each request's timeouts."""

    def __init__(self, app: Starlette, clock: list[float]) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.clock = clock
        self.timeouts: list[dict[str, float]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions["timeout"]
        self.timeouts.append(timeout)
        self.clock[0] += timeout["connect"] + timeout["read"]
        return await self.inner.handle_async_request(request)


async def test_each_request_is_sent_with_the_search_timeout() -> None:
    timeouts = CallTimeouts(connect_s=3.0, google_search_s=7.5)
    transport = VirtualTime(google_places_app(), [0.0])
    async with httpx.AsyncClient(transport=transport) as client:
        found = await search(
            places_client(ProviderHttp(client), "http://google.test", timeouts=timeouts), 45
        )
    assert found.requests == len(transport.timeouts) == 3
    assert all(
        timeout == {"connect": 3.0, "read": 7.5, "write": 7.5, "pool": 7.5}
        for timeout in transport.timeouts
    )
    settings = Settings(_env_file=None, google_places_url="http://google.test")
    assert ProviderClients(settings, timeouts=timeouts).google("k").timeouts is timeouts


@pytest.mark.parametrize("wanted", [20, 100, 1000])
async def test_the_search_budget_covers_the_worst_search(wanted: int) -> None:
    """Every query comes back full of places that are all closed (none is a lead), and each
    query's page-3 token is refused once: the most requests the plan allows, each taking all
    of its timeouts, with the bucket's pacing on the same virtual clock."""
    closed = [{**place, "businessStatus": "CLOSED_PERMANENTLY"} for place in grid_places(1600)]
    app = google_places_app(closed)
    expire_tokens(app, 10_000, page=3, once_per_query=True)
    clock = [0.0]

    async def sleep(seconds: float) -> None:
        clock[0] += seconds

    bucket = TokenBucket(10.0, 10, clock=lambda: clock[0], sleep=sleep)
    transport = VirtualTime(app, clock)
    async with httpx.AsyncClient(transport=transport) as client:
        client_ = places_client(
            ProviderHttp(client),
            "http://google.test",
            limits=RateLimits(buckets={"google:places": bucket}),
        )
        found = await search(client_, wanted)
    queries, pages = queries_needed(wanted)
    assert (found.queries, found.requests, found.leads) == (queries, 2 * pages, [])
    assert clock[0] <= search_budget_s(wanted, DOCUMENTED)
    assert clock[0] > 0.9 * search_budget_s(wanted, DOCUMENTED)  # and not far beyond it


async def test_the_fake_keeps_to_rectangles_as_google_does() -> None:
    far = {**FULL_PLACE, "id": "ChIJfar", "location": {"latitude": 51.5, "longitude": -0.12}}
    around = {"latitude": 53.47, "longitude": -2.25}, {"latitude": 53.49, "longitude": -2.23}
    rectangle = {"low": around[0], "high": around[1]}
    everything = {"textQuery": "cafes", "includePureServiceAreaBusinesses": True}
    circle = {"center": around[0], "radius": 1000.0}
    refused_bodies = [
        {
            **everything,
            "locationRestriction": {"rectangle": rectangle},
            "locationBias": {"circle": circle},
        },
        {**everything, "locationRestriction": {"rectangle": {"low": around[1], "high": around[0]}}},
        {**everything, "locationRestriction": {"rectangle": {"low": around[0]}}},
        {**everything, "locationRestriction": {"circle": circle}},
        {**everything, "locationBias": {"circle": {**circle, "radius": 50001.0}}},
    ]
    with serving(google_places_app([FULL_PLACE, far, *SERVICE_AREA_PLACES])) as base_url:
        inside = await post(
            base_url,
            {**everything, "locationRestriction": {"rectangle": rectangle}},
            mask="places.id",
        )
        biased = await post(
            base_url, {**everything, "locationBias": {"circle": circle}}, mask="places.id"
        )
        refused = [await post(base_url, body) for body in refused_bodies]
    # A service-area business has no location, so it lies in no rectangle (providers.md §0.2).
    assert inside.json() == {"places": [{"id": "ChIJfull"}]}
    assert len(biased.json()["places"]) == 4  # a bias only biases
    for answer in refused:
        assert (answer.status_code, answer.json()["error"]["status"]) == (400, "INVALID_ARGUMENT")
