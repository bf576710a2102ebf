"""Google Places API (New) Text Search: a search paged (and, past one query's 60 places, cut
into parts) into canonical leads, and Google's error envelope turned into ToolErrors a person can
act on (never echoing the API key). Nothing of Google's is cached: its terms allow ids only."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from webapp.core.errors import ToolError
from webapp.core.leads import Lead
from webapp.core.models import iso_timestamp, utc_now
from webapp.tools.providers.google_queries import (
    MAX_DEPTH,
    MAX_PAGES,
    PAGE_SIZE,
    QUERY_CAP,
    Box,
    bounding_box,
    queries_needed,
    restricted,
    split_limit,
)
from webapp.tools.providers.http import ProviderHttp, RateLimits, retry_after_seconds
from webapp.tools.providers.timeouts import DOCUMENTED, CallTimeouts
from webapp.tools.providers.web_domains import domain_of

PROVIDER = "Google Places"
SOURCE = "google_places"
SEARCH_PATH = "/v1/places:searchText"
BUCKET = "google:places"
BUCKET_RATE = 10.0
BUCKET_BURST = 10
KEY_SETTING = "GOOGLE_PLACES_API_KEY"
PLACE_FIELDS = (
    "id",
    "displayName",
    "formattedAddress",
    "addressComponents",
    "location",
    "websiteUri",
    "nationalPhoneNumber",
    "internationalPhoneNumber",
    "rating",
    "userRatingCount",
    "types",
    "primaryType",
    "businessStatus",
)
FIELD_MASK = ",".join([*(f"places.{name}" for name in PLACE_FIELDS), "nextPageToken"])
RETRYABLE_STATUSES = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED", "INTERNAL", "ABORTED"})
SERVICE_AREA_NOTE = (
    "Service-area business: serves customers at their location, no storefront address"
)
TEMPORARILY_CLOSED_NOTE = "Temporarily closed (Google)"
_PER_DAY = re.compile(r"per ?day|daily|/d\b", re.IGNORECASE)


@dataclass(frozen=True)
class PlacesSearch:
    """The leads of one search and what it took: HTTP requests made, pages read, distinct
    queries run, and the leads wanted (`max_results`), which it may fall short of."""

    leads: list[Lead]
    requests: int
    pages: int
    queries: int
    wanted: int


@dataclass
class _Tally:
    """What a search has found so far, across its queries: each place id is taken once."""

    wanted: int
    leads: list[Lead] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    requests: int = 0
    pages: int = 0
    queries: int = 0

    @property
    def enough(self) -> bool:
        return len(self.leads) >= self.wanted

    def take(self, places: list[dict[str, Any]], *, retrieved_at: str) -> None:
        for place in places:
            place_id = _str(place.get("id"))
            if place_id is not None:
                if place_id in self.seen:
                    continue
                self.seen.add(place_id)
            lead = lead_from_place(place, retrieved_at=retrieved_at)
            if lead is not None:
                self.leads.append(lead)

    def result(self) -> PlacesSearch:
        return PlacesSearch(
            leads=self.leads[: self.wanted],
            requests=self.requests,
            pages=self.pages,
            queries=self.queries,
            wanted=self.wanted,
        )


@dataclass(frozen=True)
class _Query:
    """How one query ended: `full` when it stopped at Google's cap, and its places' points."""

    full: bool
    located: list[tuple[float, float]]


class _TokenRefused(Exception):
    """Google refused a page token (an old one: INVALID_ARGUMENT, providers.md §0.2)."""

    def __init__(self, error: ToolError) -> None:
        super().__init__(error.message)
        self.error = error


class GooglePlacesClient:
    """Text Search (New) through the shared HTTP layer and the "google:places" rate limit."""

    def __init__(
        self,
        http: ProviderHttp,
        *,
        api_key: str,
        base_url: str,
        limits: RateLimits | None = None,
        clock: Callable[[], datetime] = utc_now,
        timeouts: CallTimeouts = DOCUMENTED,
    ) -> None:
        self.http = http
        self._api_key = api_key
        self.url = base_url.rstrip("/") + SEARCH_PATH
        self.bucket = (limits or http.limits).bucket(BUCKET, BUCKET_RATE, BUCKET_BURST)
        self.clock = clock
        self.timeouts = timeouts

    def __repr__(self) -> str:
        return f"GooglePlacesClient(url={self.url!r})"

    async def search(
        self, query: str, *, region: str, country: str | None, max_results: int
    ) -> PlacesSearch:
        """Up to `max_results` businesses for "query in region": the region's query, then,
        when it came back full at Google's cap and more are wanted, its area cut into parts."""
        body = search_body(query, region=region, country=country)
        tally = _Tally(wanted=max(max_results, 0))
        if tally.enough:
            return tally.result()
        first = await self._query(body, tally)
        if first.full and not tally.enough:
            # A query that ended short of the cap listed all Google has for it: a part of its
            # area could only list some of the same places again.
            await self._cover(body, bounding_box(first.located), tally, split_limit(max_results))
        return tally.result()

    async def _cover(
        self, body: dict[str, Any], box: Box | None, tally: _Tally, splits: int
    ) -> None:
        """Query each part of `box` alone (a locationRestriction), breadth first; a part that
        comes back full is cut again, MAX_DEPTH levels and `splits` boxes at most."""
        pending: deque[tuple[Box, int]] = deque([(box, 1)] if box else [])
        while pending and splits > 0:
            area, depth = pending.popleft()
            splits -= 1
            for part in area.parts():
                if tally.enough:
                    return
                found = await self._query(restricted(body, part), tally)
                if found.full and depth < MAX_DEPTH:
                    pending.append((part, depth + 1))

    async def _query(self, body: dict[str, Any], tally: _Tally) -> _Query:
        """One query; a refused page token reads it again from its first page, once."""
        tally.queries += 1
        restarted = False
        while True:
            try:
                return await self._pages(body, tally)
            except _TokenRefused as refused:
                if restarted:
                    raise refused.error from None
                restarted = True  # the places already taken are skipped by their ids

    async def _pages(self, body: dict[str, Any], tally: _Tally) -> _Query:
        received = 0
        located: list[tuple[float, float]] = []
        token: str | None = None
        for _ in range(MAX_PAGES):
            page = await self._page(body, token, tally)
            tally.pages += 1
            places = _places_of(page)
            received += len(places)
            located += [point for point in map(_point, places) if point is not None]
            tally.take(places, retrieved_at=iso_timestamp(self.clock()))
            next_token = page.get("nextPageToken")
            token = next_token if isinstance(next_token, str) and next_token else None
            if token is None or tally.enough:
                break
        return _Query(full=token is not None or received >= QUERY_CAP, located=located)

    async def _page(self, body: dict[str, Any], token: str | None, tally: _Tally) -> dict[str, Any]:
        # No `cache=True`: Google's terms let only place ids be kept (providers.md §0.2).
        response = await self.http.send(
            PROVIDER,
            "POST",
            self.url,
            bucket=self.bucket,
            json={**body, "pageToken": token} if token else body,
            headers={"X-Goog-Api-Key": self._api_key, "X-Goog-FieldMask": FIELD_MASK},
            timeout=self.timeouts.of(self.timeouts.google_search_s),
        )
        tally.requests += 1
        if response.status_code >= 400:
            error = error_from_response(response, secret=self._api_key)
            if token and _is_invalid_argument(response):
                raise _TokenRefused(error)
            raise error
        page = _json_or_none(response)
        if not isinstance(page, dict):
            raise ToolError(f"{PROVIDER} sent an answer that is not a JSON object; trying again.")
        return page


def search_budget_s(
    max_results: int, timeouts: CallTimeouts, *, rate: float = BUCKET_RATE
) -> float:
    """The longest one `search(max_results=...)` may take while each request keeps to its
    timeout: every page `queries_needed` allows, read twice (a refused token restarts a query
    once), one after another, each waiting its connect and read timeouts and a bucket token."""
    _, pages = queries_needed(max_results)
    read_s = timeouts.google_search_s
    per_request = min(timeouts.connect_s, read_s) + read_s + 1 / rate
    return 2 * pages * per_request


def search_body(query: str, *, region: str, country: str | None) -> dict[str, Any]:
    """The Text Search request body; paging repeats it unchanged, adding only `pageToken`.
    Businesses without a storefront are asked for too: they are leads as well (§0.2)."""
    query, region = query.strip(), region.strip()
    body: dict[str, Any] = {
        "textQuery": f"{query} in {region}" if region else query,
        "pageSize": PAGE_SIZE,
        "languageCode": "en",
        "includePureServiceAreaBusinesses": True,
    }
    code = region_code(country)
    if code is not None:
        body["regionCode"] = code
    return body


def region_code(country: str | None) -> str | None:
    """`country` as a CLDR region code (providers.md §0.2: the United Kingdom is "GB", not
    "UK"); None, and left out of the request, when it is not two letters."""
    code = (country or "").strip().upper()
    code = "GB" if code == "UK" else code
    return code if len(code) == 2 and code.isascii() and code.isalpha() else None


def lead_from_place(place: dict[str, Any], *, retrieved_at: str) -> Lead | None:
    """The canonical lead of one Place; None for a nameless or permanently closed place. A
    place with neither location nor address serves customers where they are (§0.2)."""
    name = _text(place.get("displayName"))
    status = _str(place.get("businessStatus"))
    if not name or status == "CLOSED_PERMANENTLY":
        return None
    website = _str(place.get("websiteUri"))
    location = place.get("location")
    location = location if isinstance(location, dict) else {}
    components = _components(place.get("addressComponents"))
    types = [kind for kind in place.get("types") or [] if isinstance(kind, str)]
    address = _str(place.get("formattedAddress"))
    service_area = not location and address is None
    lead = Lead(
        business_name=name,
        category=_str(place.get("primaryType")) or (types[0] if types else None),
        website=website,
        domain=domain_of(website),
        phone=_str(place.get("internationalPhoneNumber")) or _str(place.get("nationalPhoneNumber")),
        address=address,
        city=components.get("locality") or components.get("postal_town"),
        postcode=components.get("postal_code"),
        country=components.get("country"),
        latitude=_number(location.get("latitude")),
        longitude=_number(location.get("longitude")),
        rating=_number(place.get("rating")),
        review_count=_whole(place.get("userRatingCount")),
        business_status=status,
        source=SOURCE,
        source_id=_str(place.get("id")),
        retrieved_at=retrieved_at,
        service_area=service_area,
    )
    if service_area:
        lead = lead.with_note(SERVICE_AREA_NOTE)
    if status == "CLOSED_TEMPORARILY":
        lead = lead.with_note(TEMPORARILY_CLOSED_NOTE)
    return lead


def error_from_response(response: httpx.Response, *, secret: str = "") -> ToolError:
    """Google's error envelope as a ToolError: credentials, bad requests and the daily quota
    are permanent; throttling, 5xx and timeouts are retryable."""
    error = _error_of(_json_or_none(response))
    code = response.status_code
    status = _str(error.get("status")) or ""
    message = (_str(error.get("message")) or "").strip()
    if secret:
        message = message.replace(secret, "[redacted]")
    reason, metadata = _error_info(error)
    if reason.startswith("API_KEY_") or reason in {"SERVICE_DISABLED", "BILLING_DISABLED"}:
        return ToolError(_credential_message(reason, status or str(code)), retryable=False)
    if code in (401, 403) or status in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        return ToolError(_credential_message(reason, status or str(code)), retryable=False)
    if code == 429 or status == "RESOURCE_EXHAUSTED":
        return _exhausted(response, message, metadata)
    if code >= 500 or code == 408 or status in RETRYABLE_STATUSES:
        return ToolError(
            f"{PROVIDER} is unavailable (HTTP {code}{f' {status}' if status else ''}); "
            "trying again.",
            retry_after=retry_after_seconds(response),
        )
    if code == 404 and not error:
        return ToolError(
            f"{PROVIDER} answered 404 Not Found; check LEADGEN_GOOGLE_PLACES_URL.",
            retryable=False,
        )
    detail = message or f"HTTP {code}{f' {status}' if status else ''}"
    return ToolError(f"{PROVIDER} refused the request: {detail}", retryable=False)


def _credential_message(reason: str, fallback: str) -> str:
    if reason == "SERVICE_DISABLED":
        return (
            f"{PROVIDER} refused the key (SERVICE_DISABLED): Places API (New) is not enabled "
            "for this key's project; enable it in the Google Cloud console."
        )
    if reason == "BILLING_DISABLED":
        return (
            f"{PROVIDER} refused the key (BILLING_DISABLED): billing is not enabled for this "
            "key's Google Cloud project; enable billing in the Google Cloud console."
        )
    if reason == "API_KEY_SERVICE_BLOCKED":
        return (
            f"{PROVIDER} refused the key (API_KEY_SERVICE_BLOCKED): its API restrictions do "
            f"not allow Places API (New); allow it for the key or change {KEY_SETTING}."
        )
    if reason.endswith("_BLOCKED"):
        return (
            f"{PROVIDER} refused the key ({reason}): its application restrictions block this "
            f"server; relax them in the Google Cloud console or change {KEY_SETTING}."
        )
    return f"{PROVIDER} rejected the API key ({reason or fallback}); check {KEY_SETTING}."


def _exhausted(response: httpx.Response, message: str, metadata: dict[str, str]) -> ToolError:
    quota = " ".join(metadata.get(key, "") for key in ("quota_limit", "quota_unit"))
    if _PER_DAY.search(quota) or _PER_DAY.search(message):
        return ToolError(
            f"{PROVIDER} daily quota is exhausted; it resets tomorrow or raise the quota in "
            "the Google Cloud console.",
            retryable=False,
        )
    return ToolError(
        f"{PROVIDER} is throttling requests (HTTP 429 RESOURCE_EXHAUSTED); trying again.",
        retry_after=retry_after_seconds(response),
    )


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:  # not JSON (an HTML error page, an empty body): judged by status alone
        return None


def _error_of(payload: Any) -> dict[str, Any]:
    error = payload.get("error") if isinstance(payload, dict) else None
    return error if isinstance(error, dict) else {}


def _error_info(error: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """The reason and metadata of the google.rpc.ErrorInfo detail, if there is one."""
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith(".ErrorInfo"):
            metadata = detail.get("metadata")
            pairs = metadata.items() if isinstance(metadata, dict) else ()
            return _str(detail.get("reason")) or "", {str(k): str(v) for k, v in pairs}
    return "", {}


def _is_invalid_argument(response: httpx.Response) -> bool:
    """Google's answer to an old page token (providers.md §0.2); its words are not documented."""
    error = _error_of(_json_or_none(response))
    return response.status_code == 400 and error.get("status") == "INVALID_ARGUMENT"


def _point(place: dict[str, Any]) -> tuple[float, float] | None:
    location = place.get("location")
    if not isinstance(location, dict):
        return None
    lat, lng = _number(location.get("latitude")), _number(location.get("longitude"))
    return (lat, lng) if lat is not None and lng is not None else None


def _places_of(page: dict[str, Any]) -> list[dict[str, Any]]:
    places = page.get("places")
    if not isinstance(places, list):
        return []
    return [place for place in places if isinstance(place, dict)]


def _components(value: Any) -> dict[str, str]:
    """Address component text by type: the long text, except a country's two-letter code."""
    found: dict[str, str] = {}
    for component in value if isinstance(value, list) else []:
        if not isinstance(component, dict):
            continue
        for kind in component.get("types") or []:
            key = "shortText" if kind == "country" else "longText"
            text = _str(component.get(key))
            if isinstance(kind, str) and text and kind not in found:
                found[kind] = text
    return found


def _text(value: Any) -> str | None:
    return _str(value.get("text")) if isinstance(value, dict) else None


def _str(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _whole(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
