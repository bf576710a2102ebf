"""Google Places API (New) Text Search: one query paged into canonical leads, and Google's error
envelope turned into ToolErrors a person can act on (never echoing the API key)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from webapp.core.errors import ToolError
from webapp.core.leads import Lead
from webapp.core.models import iso_timestamp, utc_now
from webapp.tools.domains import domain_of
from webapp.tools.providers.http import ProviderHttp, RateLimits, retry_after_seconds

PROVIDER = "Google Places"
SOURCE = "google_places"
SEARCH_PATH = "/v1/places:searchText"
PAGE_SIZE = 20
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
_PER_DAY = re.compile(r"per ?day|daily|/d\b", re.IGNORECASE)


@dataclass(frozen=True)
class PlacesSearch:
    """The leads of one search, and what it cost: HTTP requests made and pages read."""

    leads: list[Lead]
    requests: int
    pages: int


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
    ) -> None:
        self.http = http
        self._api_key = api_key
        self.url = base_url.rstrip("/") + SEARCH_PATH
        self.bucket = (limits or http.limits).bucket(BUCKET, BUCKET_RATE, BUCKET_BURST)
        self.clock = clock

    def __repr__(self) -> str:
        return f"GooglePlacesClient(url={self.url!r})"

    async def search(
        self, query: str, *, region: str, country: str | None, max_results: int
    ) -> PlacesSearch:
        """Up to `max_results` open businesses for "query in region", paging as needed."""
        body = search_body(query, region=region, country=country)
        leads: list[Lead] = []
        pages = 0
        token: str | None = None
        while len(leads) < max_results:
            page = await self._page(body, token)
            pages += 1
            retrieved_at = iso_timestamp(self.clock())
            for place in _places_of(page):
                lead = lead_from_place(place, retrieved_at=retrieved_at)
                if lead is not None:
                    leads.append(lead)
            token = page.get("nextPageToken") or None
            if not isinstance(token, str):
                break
        return PlacesSearch(leads=leads[: max(max_results, 0)], requests=pages, pages=pages)

    async def _page(self, body: dict[str, Any], token: str | None) -> dict[str, Any]:
        response = await self.http.send(
            PROVIDER,
            "POST",
            self.url,
            bucket=self.bucket,
            cache=True,
            json={**body, "pageToken": token} if token else body,
            headers={"X-Goog-Api-Key": self._api_key, "X-Goog-FieldMask": FIELD_MASK},
        )
        if response.status_code >= 400:
            raise error_from_response(response, secret=self._api_key)
        page = _json_or_none(response)
        if not isinstance(page, dict):
            raise ToolError(f"{PROVIDER} sent an answer that is not a JSON object; trying again.")
        return page


def search_body(query: str, *, region: str, country: str | None) -> dict[str, Any]:
    """The Text Search request body; paging repeats it unchanged, adding only `pageToken`."""
    query, region = query.strip(), region.strip()
    body: dict[str, Any] = {
        "textQuery": f"{query} in {region}" if region else query,
        "pageSize": PAGE_SIZE,
        "languageCode": "en",
    }
    code = (country or "").strip()
    if len(code) == 2 and code.isalpha():
        body["regionCode"] = code.upper()
    return body


def lead_from_place(place: dict[str, Any], *, retrieved_at: str) -> Lead | None:
    """The canonical lead of one Place; None for a nameless or permanently closed place."""
    name = _text(place.get("displayName"))
    status = _str(place.get("businessStatus"))
    if not name or status == "CLOSED_PERMANENTLY":
        return None
    website = _str(place.get("websiteUri"))
    location = place.get("location")
    location = location if isinstance(location, dict) else {}
    components = _components(place.get("addressComponents"))
    types = [kind for kind in place.get("types") or [] if isinstance(kind, str)]
    return Lead(
        business_name=name,
        category=_str(place.get("primaryType")) or (types[0] if types else None),
        website=website,
        domain=domain_of(website),
        phone=_str(place.get("internationalPhoneNumber")) or _str(place.get("nationalPhoneNumber")),
        address=_str(place.get("formattedAddress")),
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
    )


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
