"""Fake Nominatim and Overpass servers (Starlette apps) written from providers.md §0.3 and §3
(not from our client): string coordinates, featureType, postcodes, the User-Agent and 1/s rules,
areas, bounding boxes, `remark`, the HTML pages, /api/status; a virtual clock and one live host."""

from __future__ import annotations

import itertools
import math
import re
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

GENERIC_AGENTS = ("python-httpx", "python-requests", "python-urllib", "curl", "wget", "aiohttp")
LICENCE = "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright"
# providers.md §3.2: a query that ran out of time is a 200 with this `remark`.
REMARK_TIMEOUT = 'runtime error: Query timed out in "query" at line 3 after 61 seconds.'


class VirtualTime:
    """A monotonic clock that moves only when something sleeps on it; records each wait.
    Give it to the client's token buckets and to `nominatim_app` so both see the same time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


class FakeHost:
    """An ASGI app for one live server shared by many tests (starting uvicorn costs ~0.2 s):
    each fake is plugged in under its own path prefix and unplugged when its test is done."""

    def __init__(self) -> None:
        self.apps: dict[str, Any] = {}
        self.plugs = itertools.count(1)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        name, _, rest = scope["path"].lstrip("/").partition("/")
        app = self.apps.get(name) or PlainTextResponse("no fake here", 404)
        await app({**scope, "path": f"/{rest}", "raw_path": f"/{rest}".encode()}, receive, send)

    @contextmanager
    def plugged(self, app: Any, base_url: str) -> Iterator[str]:
        """Serve `app` under a fresh prefix of `base_url` until the block ends."""
        name = f"fake{next(self.plugs)}"
        self.apps[name] = app
        try:
            yield f"{base_url}/{name}"
        finally:
            del self.apps[name]


def nominatim_place(
    name: str,
    *,
    osm_type: str,
    osm_id: int,
    lat: str,
    lon: str,
    boundingbox: list[str],
    country_code: str = "gb",
    category: str | None = None,
    kind: str | None = None,
) -> dict[str, Any]:
    """One jsonv2 search result; lat, lon and the boundingbox entries are strings (providers.md
    §3.4). `category` and `kind` (jsonv2's `type`) say what it is: a settlement or not."""
    category = category or ("boundary" if osm_type == "relation" else "place")
    kind = kind or ("administrative" if osm_type == "relation" else "suburb")
    return {
        "place_id": 100000 + osm_id % 1000,
        "licence": LICENCE,
        "osm_type": osm_type,
        "osm_id": osm_id,
        "lat": lat,
        "lon": lon,
        "category": category,
        "type": kind,
        "place_rank": 16,
        "importance": 0.7,
        "addresstype": kind if category == "place" else "city",
        "name": name,
        "display_name": f"{name}, England, United Kingdom",
        "address": {"city": name, "country": "United Kingdom", "country_code": country_code},
        "boundingbox": boundingbox,
    }


def nominatim_postcode(
    postcode: str,
    *,
    lat: str,
    lon: str,
    boundingbox: list[str],
    city: str,
    country_code: str = "gb",
) -> dict[str, Any]:
    """A postcode result: no osm_type and no osm_id (providers.md §0.3, Nominatim Output.md)."""
    return {
        "place_id": 200000 + len(postcode),
        "licence": LICENCE,
        "lat": lat,
        "lon": lon,
        "category": "place",
        "type": "postcode",
        "place_rank": 21,
        "importance": 0.3,
        "addresstype": "postcode",
        "name": postcode,
        "display_name": f"{postcode}, {city}, England, United Kingdom",
        "address": {
            "postcode": postcode,
            "city": city,
            "country": "United Kingdom",
            "country_code": country_code,
        },
        "boundingbox": boundingbox,
    }


DEFAULT_PLACES: dict[str, dict[str, Any]] = {
    "Manchester": nominatim_place(
        "Manchester",
        osm_type="relation",
        osm_id=146656,
        lat="53.4794892",
        lon="-2.2451148",
        boundingbox=["53.3401044", "53.5445923", "-2.3199185", "-2.1468288"],
    ),
    "Didsbury": nominatim_place(
        "Didsbury",
        osm_type="node",
        osm_id=21302413,
        lat="53.4166",
        lon="-2.2310",
        boundingbox=["53.3966", "53.4366", "-2.2510", "-2.2110"],
    ),
    # A quarter mapped as a boundary=place relation: no admin_level, not a multipolygon, so
    # Overpass builds no area for it (providers.md §0.3); not in OVERPASS_AREAS below.
    "Ancoats": nominatim_place(
        "Ancoats",
        osm_type="relation",
        osm_id=4087262,
        lat="53.4850",
        lon="-2.2290",
        boundingbox=["53.4800", "53.4900", "-2.2380", "-2.2200"],
        category="place",
        kind="quarter",
    ),
    # providers.md §0.3: postcodes have no osm_type/osm_id; use their boundingbox.
    "M1 1JN": nominatim_postcode(
        "M1 1JN",
        lat="53.4836",
        lon="-2.2364",
        boundingbox=["53.4810", "53.4860", "-2.2390", "-2.2330"],
        city="Manchester",
    ),
}

# What featureType=settlement keeps: places people live in, "from state down to neighbourhood";
# shops, other points of interest and postcodes are left out (providers.md §0.3).
SETTLEMENT_TYPES = frozenset(
    {"administrative", "state", "county", "city", "town", "village", "hamlet", "borough"}
    | {"suburb", "quarter", "neighbourhood", "isolated_dwelling"}
)


def is_settlement(place: dict[str, Any]) -> bool:
    return place.get("category") in ("boundary", "place") and place.get("type") in SETTLEMENT_TYPES


def nominatim_app(
    places: dict[str, dict[str, Any]] | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    min_interval_s: float = 1.0,
) -> Starlette:
    """GET /search?q=... over `places` (keyed by name, any case); `featureType=settlement`
    leaves out what is no settlement. 403 for a missing or stock User-Agent, 429 for a second
    request from a client within `min_interval_s` of `clock` (providers.md §3.4, §5).
    Every request is recorded in `app.state.requests` (path, params, user_agent, status)."""
    known = {
        " ".join(name.split()).casefold(): place
        for name, place in (DEFAULT_PLACES if places is None else places).items()
    }
    last_served: dict[str, float] = {}
    requests: list[dict[str, Any]] = []

    async def search(request: Request) -> Response:
        agent = request.headers.get("user-agent", "")
        host = request.client.host if request.client else "?"
        record: dict[str, Any] = {
            "path": request.url.path,
            "params": dict(request.query_params),
            "user_agent": agent,
        }
        requests.append(record)
        now = clock()
        # providers.md §3.4: stock User-Agents are refused (403); at most 1 request/s (429).
        if not agent or agent.lower().startswith(GENERIC_AGENTS):
            record["status"] = 403
            return HTMLResponse(_blocked_page("Access blocked: identify your app."), 403)
        if host in last_served and now - last_served[host] < min_interval_s:
            record["status"] = 429
            page = _blocked_page("Too many requests: at most 1 request per second.")
            return HTMLResponse(page, 429, headers={"Retry-After": "1"})
        last_served[host] = now
        record["status"] = 200
        return JSONResponse(_search(known, request.query_params))

    app = Starlette(routes=[Route("/search", search)])
    app.state.requests = requests
    return app


def _search(known: dict[str, dict[str, Any]], params: Any) -> list[dict[str, Any]]:
    place = known.get(" ".join(str(params.get("q", "")).split()).casefold())
    codes = [code for code in str(params.get("countrycodes", "")).lower().split(",") if code]
    if place is None or (codes and place["address"]["country_code"] not in codes):
        return []
    # providers.md §0.3: featureType=settlement keeps shops and other points of interest out.
    if params.get("featureType") == "settlement" and not is_settlement(place):
        return []
    return [place]


def _blocked_page(message: str) -> str:
    return f"<html><head><title>Nominatim</title></head><body><p>{message}</p></body></html>"


def osm3s_page(message: str) -> str:
    """Overpass's HTML error page, sent even for [out:json] queries (providers.md §3.3)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">\n'
        "<head>\n  <title>OSM3S Response</title>\n</head>\n<body>\n\n"
        "<p>The data included in this document is from www.openstreetmap.org. "
        "The data is made available under ODbL.</p>\n"
        f'<p><strong style="color:#FF0000">Error</strong>: {message} </p>\n\n</body>\n</html>\n'
    )


# providers.md §3.3: the dispatcher's 429 (rate_limited) and 504 (timeout) pages.
RATE_LIMITED_PAGE = osm3s_page(
    "runtime error: open64: 0 Success /osm3s_v0.7.62_osm_base "
    "Dispatcher_Client::request_read_and_idx::rate_limited. "
    "Please check /api/status for the quota of your IP address."
)
TOO_BUSY_PAGE = osm3s_page(
    "runtime error: open64: 0 Success /osm3s_v0.7.62_osm_base "
    "Dispatcher_Client::request_read_and_idx::timeout. "
    "The server is probably too busy to handle your request."
)


def envelope(elements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "version": 0.6,
        "generator": "Overpass API 0.7.62.1 084b4234",
        "osm3s": {
            "timestamp_osm_base": "2025-03-03T09:00:00Z",
            "timestamp_areas_base": "2025-03-03T08:00:00Z",
            "copyright": "The data included in this document is from www.openstreetmap.org. "
            "The data is made available under ODbL.",
        },
        "elements": elements,
    }


# The reference answer's sample elements (providers reference 3.2).
NORTHERN_BEAN = {
    "type": "node",
    "id": 123,
    "lat": 53.4835,
    "lon": -2.2363,
    "tags": {
        "amenity": "cafe",
        "name": "Northern Bean",
        "website": "https://www.northernbean.example/menu",
        "phone": "+44 161 000 0000",
        "contact:email": "hello@northernbean.example",
        "addr:housenumber": "12",
        "addr:street": "Oldham Street",
        "addr:city": "Manchester",
        "addr:postcode": "M1 1JN",
        "opening_hours": "Mo-Fr 08:00-17:00",
    },
}
ANOTHER_CAFE = {
    "type": "way",
    "id": 456,
    "center": {"lat": 53.48, "lon": -2.24},
    "nodes": [1, 2, 3, 1],
    "tags": {
        "amenity": "cafe",
        "name": "Another Cafe",
        "contact:website": "another.example",
        "contact:phone": "+44 161 111 1111; +44 7700 900000",
        "addr:country": "gb",
    },
}
UNNAMED = {"type": "node", "id": 7, "lat": 53.1, "lon": -2.1, "tags": {"amenity": "cafe"}}
UNTAGGED = {"type": "node", "id": 8, "lat": 53.2, "lon": -2.2}
DENTIST = {
    "type": "node",
    "id": 9,
    "lat": 53.3,
    "lon": -2.3,
    "tags": {"name": "Smile Dental", "amenity": "dentist", "healthcare": "dentist"},
}
SAMPLE_ELEMENTS = [NORTHERN_BEAN, ANOTHER_CAFE, UNNAMED, UNTAGGED, DENTIST]


AREA_ID_OFFSET = 3_600_000_000  # providers.md §3.1: area id of a relation = 3600000000 + id
# providers.md §0.3: areas exist only for named boundaries and multipolygons. Of DEFAULT_PLACES,
# Manchester (an admin_level=8 boundary) has one; Ancoats (a boundary=place quarter) has none.
OVERPASS_AREAS = frozenset({146656})
RATE_LIMIT = 2  # providers.md §3.3: two query slots per IP address by default
STATUS_EPOCH = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # "Current time" when the fake starts


def overpass_app(
    elements: list[dict[str, Any]] | None = None,
    *,
    script: list[tuple[int, str | dict[str, Any]]] | None = None,
    areas: Collection[int] = OVERPASS_AREAS,
    clock: Callable[[], float] = time.monotonic,
    cooldown_s: float = 12.0,
    status_script: list[tuple[int, str]] | None = None,
) -> Starlette:
    """POST /api/interpreter with form field `data`, GET /api/status.

    Scripted answers come first, in order: a str is an HTML page, a dict is laid over the JSON
    envelope (e.g. {"remark": ...}). A scripted 429 or 504 leaves both slots busy, the first for
    `cooldown_s` of `clock`: until then every query gets the 429 page, and /api/status says when
    a slot frees (or answers `status_script` first). Otherwise the `elements` (default: the
    reference's samples) that `select` finds; a query not starting with [out:json] gets a 400
    page. Queries are kept in `app.state.queries`, status pages sent in `app.state.statuses`."""
    pending = list(script or [])
    pending_status = list(status_script or [])
    queries: list[str] = []
    statuses: list[str] = []
    busy_until: list[float] = []  # when each busy slot frees
    started = clock()

    async def interpreter(request: Request) -> Response:
        form = await request.form()
        query = str(form.get("data") or "")
        queries.append(query)
        if pending:
            status, body = pending.pop(0)
            if status in (429, 504):
                # providers.md §0.3: after a 429 the cool-down grows; /api/status tells it.
                busy_until[:] = [clock() + cooldown_s, clock() + cooldown_s + 18]
            if isinstance(body, str):
                return HTMLResponse(body, status)
            return JSONResponse({**envelope([]), **body}, status)
        if sum(moment > clock() for moment in busy_until) >= RATE_LIMIT:
            # providers.md §3.3: no free slot for this address is the dispatcher's rate_limited.
            return HTMLResponse(RATE_LIMITED_PAGE, 429)
        if not query.lstrip().startswith("[out:json]"):
            # providers.md §3.3: parse errors are a 400 with the HTML page.
            return HTMLResponse(osm3s_page('line 1: parse error: Unknown type "' + query[:8]), 400)
        found = select(SAMPLE_ELEMENTS if elements is None else elements, query, areas=areas)
        return JSONResponse(envelope(found))

    async def status(request: Request) -> Response:
        if pending_status:
            code, text = pending_status.pop(0)
            statuses.append(text)
            return PlainTextResponse(text, code)
        text = status_page(clock() - started, [moment - started for moment in busy_until])
        statuses.append(text)
        return PlainTextResponse(text)

    app = Starlette(
        routes=[
            Route("/api/interpreter", interpreter, methods=["POST"]),
            Route("/api/status", status),
        ]
    )
    app.state.queries = queries
    app.state.statuses = statuses
    return app


def status_page(now_s: float, busy_until_s: list[float]) -> str:
    """/api/status as Overpass writes it (providers.md §3.1, the status output in §0.3's
    sources): "N slots available now." and a "Slot available after: <time>, in N seconds."
    line per busy slot. Times are seconds after STATUS_EPOCH."""

    def moment(seconds: float) -> str:
        return (STATUS_EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")

    busy = sorted(until for until in busy_until_s if until > now_s)
    lines = [
        "Connected as: 2130706433",
        f"Current time: {moment(now_s)}",
        "Announced endpoint: none",
        f"Rate limit: {RATE_LIMIT}",
    ]
    if len(busy) < RATE_LIMIT:
        lines.append(f"{RATE_LIMIT - len(busy)} slots available now.")
    lines += [
        f"Slot available after: {moment(until)}, in {math.ceil(until - now_s)} seconds."
        for until in busy
    ]
    lines.append("Currently running queries (pid, space limit, time limit, start time):")
    return "\n".join(lines) + "\n"


_AREA = re.compile(r"area\(id:(\d+)\)->\.(\w+);")
_STATEMENT = re.compile(r"nwr((?:\[[^\]]+\])+)\(([^)]*)\)")
_CONDITION = re.compile(r'\["([^"]+)"(?:(=|~)"([^"]*)")?\]')
_OUT = re.compile(r"(?:^|(?<=[;\n]))\s*(?:\.(\w+)\s+)?out\b([^;]*);", re.MULTILINE)


def select(
    elements: list[dict[str, Any]], query: str, *, areas: Collection[int] = OVERPASS_AREAS
) -> list[dict[str, Any]]:
    """What the query prints, out statement by out statement: a named set (`.a out ids;`) is
    the area it holds, if Overpass has one; the default set is the elements that any
    `nwr[...](area.a)` or `nwr[...](s,w,n,e)` statement matches, up to `out ... N`, with a
    centre only for `out center`. The fake knows no outlines: an existing area holds every
    element, a missing one none (providers.md §0.3); a bounding box holds what lies in it."""
    sets = {
        name: [int(area_id)] if int(area_id) - AREA_ID_OFFSET in areas else []
        for area_id, name in _AREA.findall(query)
    }
    statements = [
        (_CONDITION.findall(conditions), where) for conditions, where in _STATEMENT.findall(query)
    ]
    chosen = [
        element
        for element in elements
        if not statements
        or any(
            _matches(element, conditions) and _inside(element, where, sets)
            for conditions, where in statements
        )
    ]
    printed: list[dict[str, Any]] = []
    for name, options in _OUT.findall(query):
        if name:
            printed += [{"type": "area", "id": area_id} for area_id in sets.get(name, [])]
            continue
        count = re.search(r"\d+", options)
        shown = chosen[: int(count.group())] if count else chosen
        if "center" not in options.split():
            shown = [{k: v for k, v in element.items() if k != "center"} for element in shown]
        printed += shown
    return printed


def _inside(element: dict[str, Any], where: str, sets: dict[str, list[int]]) -> bool:
    if where.startswith("area."):
        return bool(sets.get(where.removeprefix("area.")))
    south, west, north, east = (float(value) for value in where.split(","))
    point = element if element.get("type") == "node" else element.get("center") or {}
    lat, lon = point.get("lat"), point.get("lon")
    return lat is not None and lon is not None and south <= lat <= north and west <= lon <= east


def _matches(element: dict[str, Any], conditions: list[tuple[str, str, str]]) -> bool:
    tags = element.get("tags") or {}
    for key, operator, value in conditions:
        if key not in tags:
            return False
        if operator == "=" and tags[key] != value:
            return False
        if operator == "~" and not re.search(value, tags[key]):
            return False
    return True
