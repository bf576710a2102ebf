"""A fake Google Places (New) Text Search written from providers.md: Google's checks, at most 60
places a query (service-area ones only when asked for, a rectangle's only), the field mask, page
tokens that can age, scripted answers first, and a record of requests (`received`)."""

from __future__ import annotations

import itertools
import json
import math
import random
from dataclasses import dataclass, field
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
INVALID_TOKEN = "The provided page_token is invalid."
# providers.md §1.2: the request body's fields; any other name is refused as unknown.
BODY_FIELDS = frozenset(
    """
    textQuery pageSize maxResultCount pageToken languageCode regionCode locationBias
    locationRestriction includedType strictTypeFiltering openNow minRating priceLevels
    rankPreference includePureServiceAreaBusinesses evOptions routingParameters
    searchAlongRouteParameters
    """.split()
)
PAGING_FIELDS = frozenset({"pageToken", "pageSize", "maxResultCount"})
# providers.md §1.4: the Place fields a mask may name.
PLACE_FIELDS = frozenset(
    """
    name id displayName formattedAddress shortFormattedAddress addressComponents location
    websiteUri nationalPhoneNumber internationalPhoneNumber rating userRatingCount types
    primaryType primaryTypeDisplayName businessStatus googleMapsUri priceLevel
    regularOpeningHours
    """.split()
)
RESPONSE_FIELDS = frozenset({"places", "nextPageToken", "searchUri", "routingSummaries"})
MAX_RADIUS_M = 50000.0

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
    pages: int  # pages served before the one this token asks for
    signature: str


@dataclass
class _Expiry:
    """Page tokens still to be refused as too old (see `expire_tokens`)."""

    count: int = 0
    page: int | None = None
    once_per_query: bool = False
    refused: set[str] = field(default_factory=set)  # signatures of queries refused once


class _FakeSearch:
    def __init__(
        self, places: list[dict[str, Any]], script: list[Scripted], *, refuse_uk_region: bool
    ) -> None:
        self.places = places
        self.script = script
        self.refuse_uk_region = refuse_uk_region
        self.received: list[ReceivedRequest] = []
        self.cursors: dict[str, _Cursor] = {}
        self.token_numbers = itertools.count(1)
        self.expiry = _Expiry()

    async def search(self, request: Request) -> Response:
        raw = await request.body()
        body = _json_object(raw)
        recorded = body if body is not None else raw.decode(errors="replace")
        self.received.append(
            ReceivedRequest(request.method, request.url.path, dict(request.headers), recorded)
        )
        refusal = _refuse_credentials(request) or _refuse_mask(_mask_of(request))
        refusal = refusal or _refuse_body(body, refuse_uk_region=self.refuse_uk_region)
        refusal = refusal or self._refuse_token(body or {})
        if refusal is not None:
            return refusal
        if self.script:
            return _scripted(self.script.pop(0))
        assert body is not None
        return JSONResponse(_filtered(self._page(body), _mask_of(request)))

    def _page(self, body: dict[str, Any]) -> dict[str, Any]:
        # providers.md §1.2: pageSize 0 or unset means 20, and more than 20 is cut to 20.
        size = min(body.get("pageSize") or body.get("maxResultCount") or 20, MAX_PAGE_SIZE)
        token = body.get("pageToken")
        cursor = self.cursors[token] if token else _Cursor(0, 0, _signature(body))
        # providers.md §1.3: at most 60 results over at most 3 pages for one query.
        matching = self._matching(body)[: MAX_PAGES * MAX_PAGE_SIZE]
        chunk = matching[cursor.offset : cursor.offset + size]
        # providers.md §1.3: an empty result is `{}` (proto3 JSON leaves empty lists out).
        answer: dict[str, Any] = {"places": chunk} if chunk else {}
        end, pages = cursor.offset + len(chunk), cursor.pages + 1
        if chunk and end < len(matching) and pages < MAX_PAGES:
            next_token = f"AeCrKXfake{next(self.token_numbers):04d}"
            self.cursors[next_token] = _Cursor(end, pages, cursor.signature)
            answer["nextPageToken"] = next_token
        if chunk:
            answer["searchUri"] = "https://maps.google.com/maps?q=fake"
        return answer

    def _matching(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        # providers.md §0.2: businesses without a storefront (they have no location) come only
        # when includePureServiceAreaBusinesses is true; it defaults to false.
        with_service_area = body.get("includePureServiceAreaBusinesses") is True
        rectangle = (body.get("locationRestriction") or {}).get("rectangle")
        return [
            place
            for place in self.places
            if (with_service_area or "location" in place)
            and (rectangle is None or _inside(place, rectangle))
        ]

    def _refuse_token(self, body: dict[str, Any]) -> Response | None:
        token = body.get("pageToken")
        if not token:
            return None
        cursor = self.cursors.get(token)
        if cursor is None:
            return _error(400, "INVALID_ARGUMENT", INVALID_TOKEN)
        # providers.md §1.2: every parameter but pageToken and pageSize must match the call
        # that returned the token.
        if cursor.signature != _signature(body):
            return _error(
                400,
                "INVALID_ARGUMENT",
                "All parameters except page_token and page_size must match the request that "
                "returned the page_token.",
            )
        if self._expires(token, cursor):
            # providers.md §0.2: how long a token lives is [U]; "expect INVALID_ARGUMENT for an
            # old one". The wording is the one this fake gives for any unknown token.
            return _error(400, "INVALID_ARGUMENT", INVALID_TOKEN)
        return None

    def _expires(self, token: str, cursor: _Cursor) -> bool:
        expiry = self.expiry
        if expiry.count <= 0 or expiry.page not in (None, cursor.pages + 1):
            return False
        if expiry.once_per_query and cursor.signature in expiry.refused:
            return False
        expiry.count -= 1
        expiry.refused.add(cursor.signature)
        del self.cursors[token]
        return True


def google_places_app(
    places: list[dict[str, Any]] | None = None,
    *,
    script: list[Scripted] | None = None,
    refuse_uk_region: bool = True,
) -> Starlette:
    """The fake, serving `places` (default: the invented PLACES) after any scripted answers.

    Whether Google refuses the regionCode "UK" is [U] (providers.md §0.2): by default the fake
    refuses it as it refuses any code that is not CLDR's; `refuse_uk_region=False` accepts it."""
    search = _FakeSearch(
        PLACES if places is None else places,
        list(script or []),
        refuse_uk_region=refuse_uk_region,
    )
    app = Starlette(routes=[Route(SEARCH_PATH, search.search, methods=["POST"])])
    app.state.received = search.received
    app.state.search = search
    return app


def received(app: Starlette) -> list[ReceivedRequest]:
    """The requests the fake has received, oldest first."""
    requests: list[ReceivedRequest] = app.state.received
    return requests


def expire_tokens(
    app: Starlette, count: int = 1, *, page: int | None = None, once_per_query: bool = False
) -> None:
    """Make the next `count` page tokens presented answer 400 INVALID_ARGUMENT "The provided
    page_token is invalid." as an old token does (providers.md §0.2); only tokens for result
    page `page` when given, and only one token of each distinct query when `once_per_query`."""
    search: _FakeSearch = app.state.search
    search.expiry = _Expiry(count, page, once_per_query)


def _refuse_credentials(request: Request) -> Response | None:
    # providers.md §1.5: no key is 403 PERMISSION_DENIED; a wrong one 400 API_KEY_INVALID.
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
    # providers.md §1.1: the field mask is required; there is no default.
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
        field_name = rest.split(".")[0]
        known = head == "*" or (
            head in RESPONSE_FIELDS
            and (head != "places" or not rest or field_name in PLACE_FIELDS | {"*"})
        )
        if not known:
            return _error(
                400,
                "INVALID_ARGUMENT",
                "Error expanding 'fields' parameter. Cannot find matching fields for path "
                f"'{path.strip()}'.",
            )
    return None


def _refuse_body(body: dict[str, Any] | None, *, refuse_uk_region: bool) -> Response | None:
    if body is None:
        return _error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
    unknown = sorted(set(body) - BODY_FIELDS)
    if unknown:
        return _error(
            400,
            "INVALID_ARGUMENT",
            f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot find field.',
        )
    # providers.md §1.2: textQuery is required; a negative pageSize is INVALID_ARGUMENT.
    query = body.get("textQuery")
    if not isinstance(query, str) or not query.strip():
        return _error(400, "INVALID_ARGUMENT", "Missing required field: text_query.")
    for name in ("pageSize", "maxResultCount"):
        size = body.get(name, 0)
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            return _error(400, "INVALID_ARGUMENT", f"{name} must be a non-negative integer.")
    return _refuse_region(body.get("regionCode"), refuse_uk_region) or _refuse_location(body)


def _refuse_region(code: Any, refuse_uk: bool) -> Response | None:
    # providers.md §1.2 and §0.2: a CLDR two-letter region ("GB"); three-digit codes are not
    # supported. Whether "UK" is refused is [U]: the fake's constructor chooses.
    if code is None:
        return None
    two_letters = isinstance(code, str) and len(code) == 2 and code.isascii() and code.isalpha()
    if two_letters and not (refuse_uk and code.upper() == "UK"):
        return None
    return _error(400, "INVALID_ARGUMENT", f"Invalid region_code: {code!r}.")


def _refuse_location(body: dict[str, Any]) -> Response | None:
    bias, restriction = body.get("locationBias"), body.get("locationRestriction")
    # providers.md §1.2: locationBias cannot be combined with locationRestriction.
    if bias is not None and restriction is not None:
        return _error(
            400, "INVALID_ARGUMENT", "location_bias and location_restriction cannot both be set."
        )
    if restriction is not None:
        # providers.md §1.2: for searchText the restriction's only member is `rectangle`.
        if not isinstance(restriction, dict) or set(restriction) != {"rectangle"}:
            return _error(400, "INVALID_ARGUMENT", "location_restriction must be a rectangle.")
        return _refuse_rectangle(restriction["rectangle"])
    if bias is not None:
        # providers.md §1.2: the bias is one of a circle or a rectangle.
        if not isinstance(bias, dict) or len(bias) != 1 or not set(bias) <= {"circle", "rectangle"}:
            return _error(400, "INVALID_ARGUMENT", "location_bias must be a circle or rectangle.")
        if "rectangle" in bias:
            return _refuse_rectangle(bias["rectangle"])
        return _refuse_circle(bias["circle"])
    return None


def _refuse_rectangle(rectangle: Any) -> Response | None:
    # providers.md §1.2 (Viewport): `low` and `high` are both required, and a `low.latitude`
    # above `high.latitude` is an empty range and an error.
    low = _lat_lng(rectangle.get("low")) if isinstance(rectangle, dict) else None
    high = _lat_lng(rectangle.get("high")) if isinstance(rectangle, dict) else None
    if low is None or high is None:
        return _error(400, "INVALID_ARGUMENT", "A rectangle needs both low and high points.")
    if low[0] > high[0]:
        return _error(
            400, "INVALID_ARGUMENT", "Viewport low.latitude is above high.latitude: empty range."
        )
    return None


def _refuse_circle(circle: Any) -> Response | None:
    # providers.md §1.2 (Circle): the radius must be within [0.0, 50000.0] metres.
    center = _lat_lng(circle.get("center")) if isinstance(circle, dict) else None
    radius = circle.get("radius") if isinstance(circle, dict) else None
    if center is None or not isinstance(radius, int | float) or not 0 <= radius <= MAX_RADIUS_M:
        return _error(400, "INVALID_ARGUMENT", "The radius must be within [0.0, 50000.0] meters.")
    return None


def _lat_lng(point: Any) -> tuple[float, float] | None:
    if not isinstance(point, dict):
        return None
    lat, lng = point.get("latitude", 0.0), point.get("longitude", 0.0)
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lng))
    if not numbers or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return float(lat), float(lng)


def _inside(place: dict[str, Any], rectangle: dict[str, Any]) -> bool:
    """Whether the place lies in the rectangle; one without a location lies in none."""
    point = _lat_lng(place.get("location"))
    low, high = _lat_lng(rectangle["low"]), _lat_lng(rectangle["high"])
    if point is None or low is None or high is None:
        return False
    lat, lng = point
    if not low[0] <= lat <= high[0]:
        return False
    if low[1] <= high[1]:
        return low[1] <= lng <= high[1]
    return lng >= low[1] or lng <= high[1]  # [U] a viewport across the 180th meridian


def _signature(body: dict[str, Any]) -> str:
    """What must not change between pages: every field except the paging ones."""
    return json.dumps({k: v for k, v in body.items() if k not in PAGING_FIELDS}, sort_keys=True)


def _filtered(answer: dict[str, Any], mask: str) -> Any:
    # providers.md §1.3: the field mask applies to the whole response, nextPageToken included.
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


# --- 70 invented coffee places and 2 coffee carts around Manchester, on .example domains ------

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
# Positions in PLACES (within the first 60, so the fake serves them to the region's query) of
# places the client must skip, or mark.
CLOSED_PERMANENTLY_AT = (21, 47)
NAMELESS_AT = (33,)
CLOSED_TEMPORARILY_AT = (13,)
# Service-area businesses: within the first 60, as past them no query would list them (they lie
# in no rectangle), and past the 40 places a 20-lead plan reads, which keeps its counts.
SERVICE_AREA_AT = (50, 55)
MANCHESTER = (53.4808, -2.2426)
LNG_PER_LAT = 1.68  # at 53.5°N a degree of longitude is about 0.6 of a degree of latitude


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


def _service_area_place(number: int, name: str, website: str | None) -> dict[str, Any]:
    """A business that comes to its customers (providers.md §0.2): no location, no address and
    no address components; the rest as any place."""
    place_id = f"ChIJfakeSAB{number}"
    place: dict[str, Any] = {
        "id": place_id,
        "name": f"places/{place_id}",
        "displayName": {"text": name, "languageCode": "en"},
        "nationalPhoneNumber": f"07700 900{number:03d}",
        "internationalPhoneNumber": f"+44 7700 900{number:03d}",
        "types": ["cafe", "food", "point_of_interest", "establishment"],
        "primaryType": "cafe",
        "businessStatus": "OPERATIONAL",
    }
    if website:
        place["websiteUri"] = website
    return place


SERVICE_AREA_PLACES = [
    _service_area_place(1, "Kettle Coffee Cart", "https://kettlecoffeecart.example/"),
    _service_area_place(2, "Mill Espresso Van", None),
]


def _with_service_area(located: list[dict[str, Any]]) -> list[dict[str, Any]]:
    places = list(located)
    for position, place in zip(SERVICE_AREA_AT, SERVICE_AREA_PLACES, strict=True):
        places.insert(position, place)
    return places


PLACES: list[dict[str, Any]] = _with_service_area([_place(i) for i in range(70)])


def grid_places(count: int, *, span_deg: float = 0.12) -> list[dict[str, Any]]:
    """`count` open places with a location, on a square grid `span_deg` high (and about as wide
    on the ground) around Manchester, with distinct ids, names and `.example` websites. They come
    in a scattered order, as Google ranks by relevance and not by position, so a query's first
    60 are spread over the whole grid."""
    side = max(1, math.ceil(math.sqrt(count)))
    cells = [(row, col) for row in range(side) for col in range(side)][:count]
    random.Random(count).shuffle(cells)
    step = span_deg / side
    return [
        _grid_place(
            i,
            MANCHESTER[0] + (row - side / 2) * step,
            MANCHESTER[1] + (col - side / 2) * step * LNG_PER_LAT,
        )
        for i, (row, col) in enumerate(cells)
    ]


def _grid_place(i: int, lat: float, lng: float) -> dict[str, Any]:
    prefix = _PREFIXES[i % len(_PREFIXES)]
    street, postcode, town = _STREETS[i % len(_STREETS)]
    number = 1 + i % 199
    return {
        "id": f"ChIJgrid{i:05d}",
        "name": f"places/ChIJgrid{i:05d}",
        "displayName": {"text": f"{prefix} Cafe No. {i}", "languageCode": "en"},
        "formattedAddress": f"{number} {street}, {town} {postcode}, UK",
        "addressComponents": _components(number, street, postcode, town),
        "location": {"latitude": round(lat, 6), "longitude": round(lng, 6)},
        "websiteUri": f"https://{prefix.lower()}cafe{i}.example/",
        "nationalPhoneNumber": f"0161 496 {i % 10000:04d}",
        "types": ["cafe", "food", "point_of_interest", "establishment"],
        "primaryType": "cafe",
        "businessStatus": "OPERATIONAL",
    }
