"""The Google Places (New) client against the fake on a real socket: the request it sends,
paging, the mapping to leads, and every error a person must act on (or that is retried)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.tools.fakes.google_places import (
    DAILY_QUOTA,
    GOOD_KEY,
    PLACES,
    RATE_LIMITED,
    UNAVAILABLE,
    Scripted,
    google_error,
    google_places_app,
    received,
)
from tests.tools.live_server import free_port, serving
from webapp.core.errors import ToolError
from webapp.core.leads import Lead
from webapp.tools.providers.google_places import (
    FIELD_MASK,
    GooglePlacesClient,
    error_from_response,
    search_body,
)
from webapp.tools.providers.http import ProviderHttp, RateLimits, TokenBucket, new_client

NOW = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
STAMP = "2025-03-03T09:30:00.000Z"
SEARCH = "/v1/places:searchText"
LEADS_IN_FIRST_60 = 57  # the fake skips two closed places and one without a name among them
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
    http: ProviderHttp, base_url: str, *, key: str = GOOD_KEY, limits: RateLimits | None = None
) -> GooglePlacesClient:
    return GooglePlacesClient(
        http, api_key=key, base_url=base_url, limits=limits, clock=lambda: NOW
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
    }


@pytest.mark.parametrize(
    ("region", "country", "text", "region_code"),
    [
        ("Manchester", "GB", "dentists in Manchester", "GB"),
        ("", "GB", "dentists", "GB"),
        ("  ", None, "dentists", None),
        ("Leeds", "United Kingdom", "dentists in Leeds", None),
        ("Leeds", "826", "dentists in Leeds", None),
    ],
)
def test_the_body_names_the_region_and_only_a_two_letter_country(
    region: str, country: str | None, text: str, region_code: str | None
) -> None:
    body = search_body("dentists", region=region, country=country)
    assert body["textQuery"] == text
    assert body.get("regionCode") == region_code
    assert (body["pageSize"], body["languageCode"]) == (20, "en")


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


async def test_paging_ends_with_the_results(http: ProviderHttp) -> None:
    app = google_places_app()
    with serving(app) as base_url:
        found = await search(places_client(http, base_url), 100)
    assert (found.requests, found.pages, len(found.leads)) == (3, 3, LEADS_IN_FIRST_60)
    assert len(received(app)) == 3

    short = google_places_app(PLACES[:25])
    with serving(short) as base_url:
        found = await search(places_client(http, base_url), 100)
    assert (found.requests, len(found.leads)) == (2, 24)  # place 21 has closed for good


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
