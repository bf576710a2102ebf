"""A fake Google Places API (New) Text Search: checks requests as Google does, pages ~70 invented
places (at most 3 pages of 20), filters answers by the field mask, plays scripted answers first
and records every request it receives. `google_places_app()` builds it; `received(app)` reads."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

GOOD_KEY = "good-key"
SEARCH_PATH = "/v1/places:searchText"
MAX_PAGE_SIZE = 20
MAX_PAGES = 3
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
BODY_FIELDS = frozenset(
    {
        "textQuery",
        "pageSize",
        "maxResultCount",
        "pageToken",
        "languageCode",
        "regionCode",
        "locationBias",
        "locationRestriction",
        "includedType",
        "strictTypeFiltering",
        "openNow",
        "minRating",
        "priceLevels",
        "rankPreference",
        "includePureServiceAreaBusinesses",
        "evOptions",
        "routingParameters",
        "searchAlongRouteParameters",
    }
)
PAGING_FIELDS = frozenset({"pageToken", "pageSize", "maxResultCount"})
PLACE_FIELDS = frozenset(
    {
        "name",
        "id",
        "displayName",
        "formattedAddress",
        "shortFormattedAddress",
        "addressComponents",
        "location",
        "websiteUri",
        "nationalPhoneNumber",
        "internationalPhoneNumber",
        "rating",
        "userRatingCount",
        "types",
        "primaryType",
        "primaryTypeDisplayName",
        "businessStatus",
        "googleMapsUri",
        "priceLevel",
        "regularOpeningHours",
    }
)
RESPONSE_FIELDS = frozenset({"places", "nextPageToken", "searchUri", "routingSummaries"})

# A script entry: (status, JSON body or raw text) with optional response headers.
Scripted = tuple[int, dict[str, Any] | str] | tuple[int, dict[str, Any] | str, dict[str, str]]
MaskTree = dict[str, "MaskTree | None"]


def google_error(
    code: int,
    status: str,
    message: str,
    *,
    reason: str | None = None,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Google's error envelope (google.rpc.Status), with an ErrorInfo detail when given a reason."""
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if reason:
        info = {"@type": ERROR_INFO, "reason": reason, "domain": "googleapis.com"}
        error["details"] = [{**info, "metadata": metadata or {}}]
    return {"error": error}


def _quota_exceeded(limit: str, unit: str) -> dict[str, Any]:
    message = (
        "Quota exceeded for quota metric 'SearchTextRequest' and limit "
        f"'{limit}' of service 'places.googleapis.com' for consumer 'project_number:123456'."
    )
    metadata = {
        "service": "places.googleapis.com",
        "consumer": "projects/123456",
        "quota_metric": "places.googleapis.com/search_text_requests",
        "quota_limit": limit,
        "quota_unit": unit,
        "quota_limit_value": "600",
    }
    return google_error(
        429, "RESOURCE_EXHAUSTED", message, reason="RATE_LIMIT_EXCEEDED", metadata=metadata
    )


RATE_LIMITED: Scripted = (
    429,
    _quota_exceeded("SearchTextRequestsPerMinutePerProject", "1/min/{project}"),
    {"Retry-After": "2"},
)
DAILY_QUOTA: Scripted = (
    429,
    _quota_exceeded("SearchTextRequestsPerDayPerProject", "1/d/{project}"),
)
UNAVAILABLE: Scripted = (
    503,
    google_error(503, "UNAVAILABLE", "The service is currently unavailable."),
)


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names, as Starlette gives them
    body: Any  # the parsed JSON, or the raw text when it is not JSON


@dataclass(frozen=True)
class _Cursor:
    offset: int
    pages: int
    signature: str


class _FakeSearch:
    def __init__(self, places: list[dict[str, Any]], script: list[Scripted]) -> None:
        self.places = places[: MAX_PAGES * MAX_PAGE_SIZE]
        self.script = script
        self.received: list[ReceivedRequest] = []
        self.cursors: dict[str, _Cursor] = {}
        self.token_numbers = itertools.count(1)

    async def search(self, request: Request) -> Response:
        raw = await request.body()
        body = _json_object(raw)
        recorded = body if body is not None else raw.decode(errors="replace")
        self.received.append(
            ReceivedRequest(request.method, request.url.path, dict(request.headers), recorded)
        )
        refusal = _refuse_credentials(request) or _refuse_mask(_mask_of(request))
        refusal = refusal or _refuse_body(body) or self._refuse_token(body or {})
        if refusal is not None:
            return refusal
        if self.script:
            return _scripted(self.script.pop(0))
        assert body is not None
        return JSONResponse(_filtered(self._page(body), _mask_of(request)))

    def _page(self, body: dict[str, Any]) -> dict[str, Any]:
        size = min(body.get("pageSize") or body.get("maxResultCount") or 20, MAX_PAGE_SIZE)
        token = body.get("pageToken")
        cursor = self.cursors[token] if token else _Cursor(0, 0, _signature(body))
        chunk = self.places[cursor.offset : cursor.offset + size]
        answer: dict[str, Any] = {"places": chunk} if chunk else {}
        end, pages = cursor.offset + len(chunk), cursor.pages + 1
        if chunk and end < len(self.places) and pages < MAX_PAGES:
            next_token = f"AeCrKXfake{next(self.token_numbers):04d}"
            self.cursors[next_token] = _Cursor(end, pages, cursor.signature)
            answer["nextPageToken"] = next_token
        if chunk:
            answer["searchUri"] = "https://maps.google.com/maps?q=fake"
        return answer

    def _refuse_token(self, body: dict[str, Any]) -> Response | None:
        token = body.get("pageToken")
        if not token:
            return None
        cursor = self.cursors.get(token)
        if cursor is None:
            return _error(400, "INVALID_ARGUMENT", "The provided page_token is invalid.")
        if cursor.signature != _signature(body):
            return _error(
                400,
                "INVALID_ARGUMENT",
                "All parameters except page_token and page_size must match the request that "
                "returned the page_token.",
            )
        return None


def google_places_app(
    places: list[dict[str, Any]] | None = None, *, script: list[Scripted] | None = None
) -> Starlette:
    """The fake, serving `places` (default: the invented PLACES) after any scripted answers."""
    fake = _FakeSearch(PLACES if places is None else places, list(script or []))
    app = Starlette(routes=[Route(SEARCH_PATH, fake.search, methods=["POST"])])
    app.state.received = fake.received
    return app


def received(app: Starlette) -> list[ReceivedRequest]:
    """The requests the fake has received, oldest first."""
    requests: list[ReceivedRequest] = app.state.received
    return requests


def _refuse_credentials(request: Request) -> Response | None:
    key = request.headers.get("x-goog-api-key") or request.query_params.get("key")
    if not key:
        return _error(403, "PERMISSION_DENIED", "The request is missing a valid API key.")
    if key != GOOD_KEY:
        return _error(
            400,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
            reason="API_KEY_INVALID",
            metadata={"service": "places.googleapis.com"},
        )
    return None


def _mask_of(request: Request) -> str:
    params = request.query_params
    return (
        request.headers.get("x-goog-fieldmask")
        or params.get("$fields")
        or params.get("fields")
        or ""
    )


def _refuse_mask(mask: str) -> Response | None:
    if not mask.strip():
        return _error(
            400,
            "INVALID_ARGUMENT",
            "FieldMask is a required parameter. See "
            "https://cloud.google.com/apis/docs/system-parameters on how to provide it. As an "
            "example, you can set the header 'X-Goog-FieldMask' to value 'places.displayName' "
            "to ask for the display name of every place in the response.",
        )
    for path in mask.split(","):
        head, _, rest = path.strip().partition(".")
        field = rest.split(".")[0]
        known = head == "*" or (
            head in RESPONSE_FIELDS
            and (head != "places" or not rest or field in PLACE_FIELDS | {"*"})
        )
        if not known:
            return _error(
                400,
                "INVALID_ARGUMENT",
                "Error expanding 'fields' parameter. Cannot find matching fields for path "
                f"'{path.strip()}'.",
            )
    return None


def _refuse_body(body: dict[str, Any] | None) -> Response | None:
    if body is None:
        return _error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
    unknown = sorted(set(body) - BODY_FIELDS)
    if unknown:
        return _error(
            400,
            "INVALID_ARGUMENT",
            f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot find field.',
        )
    query = body.get("textQuery")
    if not isinstance(query, str) or not query.strip():
        return _error(400, "INVALID_ARGUMENT", "Missing required field: text_query.")
    for name in ("pageSize", "maxResultCount"):
        size = body.get(name, 0)
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            return _error(400, "INVALID_ARGUMENT", f"{name} must be a non-negative integer.")
    return None


def _signature(body: dict[str, Any]) -> str:
    """What must not change between pages: every field except the paging ones."""
    return json.dumps({k: v for k, v in body.items() if k not in PAGING_FIELDS}, sort_keys=True)


def _filtered(answer: dict[str, Any], mask: str) -> Any:
    tree: MaskTree = {}
    for path in mask.split(","):
        _insert(tree, path.strip().split("."))
    return _apply(answer, tree)


def _insert(tree: MaskTree, parts: list[str]) -> None:
    node: MaskTree | None = tree
    for part in parts[:-1]:
        if node is None:
            return  # a shorter path already asks for the whole of this field
        child = node.setdefault(part, {})
        node = child
    if node is not None:
        node[parts[-1]] = None


def _apply(value: Any, tree: MaskTree | None) -> Any:
    if tree is None or ("*" in tree and tree["*"] is None):
        return value
    if isinstance(value, list):
        return [_apply(item, tree) for item in value]
    if isinstance(value, dict):
        return {key: _apply(item, tree[key]) for key, item in value.items() if key in tree}
    return value


def _scripted(entry: Scripted) -> Response:
    status, body = entry[0], entry[1]
    headers = entry[2] if len(entry) == 3 else {}
    if isinstance(body, str):
        return PlainTextResponse(body, status_code=status, headers=headers, media_type="text/html")
    return JSONResponse(body, status_code=status, headers=headers)


def _error(
    code: int,
    status: str,
    message: str,
    *,
    reason: str | None = None,
    metadata: dict[str, str] | None = None,
) -> Response:
    body = google_error(code, status, message, reason=reason, metadata=metadata)
    return JSONResponse(body, status_code=code)


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


# --- ~70 invented coffee places around Manchester, on reserved .example domains -----------------

_PREFIXES = (
    "Northern", "Ancoats", "Copper", "Velvet", "Little", "Mill", "Canal", "Redbrick",
    "Cotton", "Foundry", "Piccadilly", "Lantern", "Saltire", "Kettle",
)  # fmt: skip
_SUFFIXES = ("Bean", "Roasters", "Coffee House", "Espresso Bar", "Cafe", "Brew Co")
_STREETS = (
    ("Oldham St", "M1 1JN", "Manchester"),
    ("Tib St", "M4 1LN", "Manchester"),
    ("Deansgate", "M3 2BW", "Manchester"),
    ("Chapel St", "M3 5JZ", "Salford"),
    ("Wilmslow Rd", "M14 5TQ", "Manchester"),
    ("Burton Rd", "M20 1LP", "Manchester"),
    ("Beech Rd", "M21 9EG", "Manchester"),
    ("Underbank", "SK1 1LA", "Stockport"),
)
_KINDS = ("coffee_shop", "cafe", "coffee_shop", "bakery", "cafe")
# Positions (within the first 60, so the fake serves them) of places the client must skip.
CLOSED_PERMANENTLY_AT = (21, 47)
NAMELESS_AT = (33,)
CLOSED_TEMPORARILY_AT = (13,)


def _components(number: int, street: str, postcode: str, town: str) -> list[dict[str, Any]]:
    def part(long: str, short: str, *types: str) -> dict[str, Any]:
        return {"longText": long, "shortText": short, "types": list(types), "languageCode": "en"}

    return [
        part(str(number), str(number), "street_number"),
        part(street.replace(" St", " Street").replace(" Rd", " Road"), street, "route"),
        part(town, town, "postal_town"),
        part(
            "Greater Manchester", "Greater Manchester", "administrative_area_level_2", "political"
        ),
        part("England", "England", "administrative_area_level_1", "political"),
        part("United Kingdom", "GB", "country", "political"),
        part(postcode, postcode, "postal_code"),
    ]


def _place(i: int) -> dict[str, Any]:
    name = f"{_PREFIXES[i % len(_PREFIXES)]} {_SUFFIXES[i // len(_PREFIXES) % len(_SUFFIXES)]}"
    street, postcode, town = _STREETS[i % len(_STREETS)]
    number = 3 + (i * 7) % 180
    kind = _KINDS[i % len(_KINDS)]
    place: dict[str, Any] = {
        "id": f"ChIJfake{i:04d}",
        "name": f"places/ChIJfake{i:04d}",
        "displayName": {"text": name, "languageCode": "en"},
        "formattedAddress": f"{number} {street}, {town} {postcode}, UK",
        "addressComponents": _components(number, street, postcode, town),
        "location": {
            "latitude": round(53.4808 + (i % 9 - 4) * 0.0041, 6),
            "longitude": round(-2.2426 + (i % 7 - 3) * 0.0057, 6),
        },
        "types": [kind, "food", "point_of_interest", "establishment"],
        "businessStatus": "OPERATIONAL",
    }
    slug = "".join(ch for ch in name.lower() if ch.isalnum())
    if i % 9 != 4:
        place["websiteUri"] = f"https://{'www.' if i % 2 else ''}{slug}.example/"
    if i % 11 != 6:
        place["nationalPhoneNumber"] = f"0161 496 0{i:03d}"
        if i % 7 != 3:
            place["internationalPhoneNumber"] = f"+44 161 496 0{i:03d}"
    if i % 13 != 10:
        place["rating"] = round(3.6 + (i * 37 % 14) / 10, 1)
        place["userRatingCount"] = (i * 53) % 900 + 12
    if i % 8 != 5:
        place["primaryType"] = kind
    return _with_status(i, place)


def _with_status(i: int, place: dict[str, Any]) -> dict[str, Any]:
    if i in CLOSED_PERMANENTLY_AT:
        place["businessStatus"] = "CLOSED_PERMANENTLY"
    elif i in CLOSED_TEMPORARILY_AT:
        place["businessStatus"] = "CLOSED_TEMPORARILY"
    if i in NAMELESS_AT:
        del place["displayName"]
    return place


PLACES: list[dict[str, Any]] = [_place(i) for i in range(70)]
