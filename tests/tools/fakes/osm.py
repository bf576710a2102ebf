"""Fake Nominatim and Overpass servers (Starlette apps) that answer as the real ones do (string
coordinates, User-Agent and 1/s rules, the JSON envelope, `remark`, the HTML "OSM3S Response"
pages; providers reference 3), plus a virtual clock and one live host to plug them into."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

GENERIC_AGENTS = ("python-httpx", "python-requests", "python-urllib", "curl", "wget", "aiohttp")
LICENCE = "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright"
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
) -> dict[str, Any]:
    """One jsonv2 search result; lat, lon and the boundingbox entries are strings."""
    return {
        "place_id": 100000 + osm_id % 1000,
        "licence": LICENCE,
        "osm_type": osm_type,
        "osm_id": osm_id,
        "lat": lat,
        "lon": lon,
        "category": "boundary" if osm_type == "relation" else "place",
        "type": "administrative" if osm_type == "relation" else "suburb",
        "place_rank": 16,
        "importance": 0.7,
        "addresstype": "city",
        "name": name,
        "display_name": f"{name}, England, United Kingdom",
        "address": {"city": name, "country": "United Kingdom", "country_code": country_code},
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
}


def nominatim_app(
    places: dict[str, dict[str, Any]] | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    min_interval_s: float = 1.0,
) -> Starlette:
    """GET /search?q=... over `places` (keyed by name, any case). 403 for a missing or stock
    User-Agent, 429 for a second request from a client within `min_interval_s` of `clock`.
    Every request is recorded in `app.state.requests` (path, params, user_agent, status)."""
    known = {
        name.casefold(): place
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
    return [place]


def _blocked_page(message: str) -> str:
    return f"<html><head><title>Nominatim</title></head><body><p>{message}</p></body></html>"


def osm3s_page(message: str) -> str:
    """Overpass's HTML error page (sent even for [out:json] queries)."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">\n'
        "<head>\n  <title>OSM3S Response</title>\n</head>\n<body>\n\n"
        "<p>The data included in this document is from www.openstreetmap.org. "
        "The data is made available under ODbL.</p>\n"
        f'<p><strong style="color:#FF0000">Error</strong>: {message} </p>\n\n</body>\n</html>\n'
    )


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


def overpass_app(
    elements: list[dict[str, Any]] | None = None,
    *,
    script: list[tuple[int, str | dict[str, Any]]] | None = None,
) -> Starlette:
    """POST /api/interpreter with form field `data`. Scripted answers come first, in order: a
    str is an HTML page, a dict is laid over the JSON envelope (e.g. {"remark": ...}). Then the
    `elements` (default: the reference's samples) that the query's `nwr[...]` filters match, up
    to its `out center N`; a query not starting with [out:json] gets a 400 page. Queries are
    kept in `app.state.queries`."""
    pending = list(script or [])
    queries: list[str] = []

    async def interpreter(request: Request) -> Response:
        form = await request.form()
        query = str(form.get("data") or "")
        queries.append(query)
        if pending:
            status, body = pending.pop(0)
            if isinstance(body, str):
                return HTMLResponse(body, status)
            return JSONResponse({**envelope([]), **body}, status)
        if not query.lstrip().startswith("[out:json]"):
            return HTMLResponse(osm3s_page('line 1: parse error: Unknown type "' + query[:8]), 400)
        return JSONResponse(
            envelope(select(SAMPLE_ELEMENTS if elements is None else elements, query))
        )

    app = Starlette(routes=[Route("/api/interpreter", interpreter, methods=["POST"])])
    app.state.queries = queries
    return app


_STATEMENT = re.compile(r"nwr((?:\[[^\]]+\])+)\(")
_CONDITION = re.compile(r'\["([^"]+)"(?:(=|~)"([^"]*)")?\]')
_OUT = re.compile(r"out\s+(center\s+)?(\d+)?\s*;")


def select(elements: list[dict[str, Any]], query: str) -> list[dict[str, Any]]:
    """The elements any `nwr[...]` statement of the query matches (area and bbox are ignored)."""
    statements = [_CONDITION.findall(found) for found in _STATEMENT.findall(query)]
    chosen = [
        element
        for element in elements
        if not statements or any(_matches(element, conditions) for conditions in statements)
    ]
    out = _OUT.search(query)
    if out and out.group(2):
        chosen = chosen[: int(out.group(2))]
    if not (out and out.group(1)):
        chosen = [{k: v for k, v in element.items() if k != "center"} for element in chosen]
    return chosen


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
