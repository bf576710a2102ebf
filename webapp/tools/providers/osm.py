"""OpenStreetMap as a places provider: Nominatim geocodes the region (at most once a second,
cached), Overpass lists the persona's businesses inside it. Both are free, keyless and strict
about fair use, so every request goes through a shared token bucket."""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from webapp.core.errors import ToolError
from webapp.core.leads import Lead
from webapp.core.models import iso_timestamp, utc_now
from webapp.tools.providers.http import ProviderHttp, RateLimits, Sleep, retry_after_seconds
from webapp.tools.providers.osm_tags import TagFilter, category_of, tag_filters_for
from webapp.tools.providers.overpass_status import (
    MAX_WAIT_S,
    MAX_WAITS,
    SlotWaits,
    read_slot_wait,
)
from webapp.tools.providers.timeouts import DOCUMENTED, CallTimeouts
from webapp.tools.providers.web_domains import domain_of

NOMINATIM = "OpenStreetMap Nominatim"
OVERPASS = "OpenStreetMap Overpass"
AREA_ID_OFFSET = 3_600_000_000  # Overpass area id of a relation: 3600000000 + its osm_id
NOMINATIM_PACE_S = 1.0  # the usage policy's one request a second (providers.md §0.3)
OVERPASS_PACE_S = 1.0  # the "osm:overpass" bucket's rate

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Area:
    """A geocoded region: its OSM object (none for a postcode), centre, bounding box and ISO
    country code."""

    name: str
    osm_type: str | None
    osm_id: int | None
    latitude: float
    longitude: float
    bbox: tuple[float, float, float, float]  # south, west, north, east
    country_code: str | None = None

    @property
    def may_have_area(self) -> bool:
        """Overpass builds areas only for some relations (providers.md §0.3)."""
        return self.osm_type == "relation" and self.osm_id is not None


@dataclass
class OsmSearch:
    leads: list[Lead]
    requests: int  # HTTP requests this search sent (a cached geocode sends none)
    scope: str  # where Overpass looked, in words for the step's summary


@dataclass
class _Spent:
    """What one search has used so far: requests, and what it may still wait for slots."""

    requests: int = 0
    slots: SlotWaits = field(default_factory=SlotWaits)


class OsmClient:
    """Geocodes with Nominatim and searches with Overpass through `http` (which sets the
    User-Agent); shares the "osm:nominatim" (1/s) and "osm:overpass" buckets of `limits`.
    `sleep` waits for an Overpass slot after a 429 or 504."""

    def __init__(
        self,
        http: ProviderHttp,
        *,
        nominatim_url: str,
        overpass_url: str,
        limits: RateLimits | None = None,
        clock: Callable[[], datetime] = utc_now,
        timeouts: CallTimeouts = DOCUMENTED,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.http = http
        self.nominatim_url = nominatim_url.rstrip("/")
        self.overpass_url = overpass_url.rstrip("/")
        limits = limits or http.limits
        self.nominatim_bucket = limits.bucket("osm:nominatim", 1 / NOMINATIM_PACE_S, 1)
        self.overpass_bucket = limits.bucket("osm:overpass", 1 / OVERPASS_PACE_S, 2)
        self.clock = clock
        self.timeouts = timeouts
        self.sleep = sleep
        self._places: dict[tuple[str, str | None], Area | None] = {}
        self._geocoding = asyncio.Lock()  # Nominatim asks for a single thread per application

    async def geocode(self, region: str, country: str | None) -> Area | None:
        """The region's place, None when Nominatim knows none; answers are cached."""
        area, _ = await self._geocode(region, country)
        return area

    async def search(
        self, persona: str, *, region: str, country: str | None, max_results: int
    ) -> OsmSearch:
        filters = tag_filters_for(persona)
        if filters is None:
            raise _permanent(
                f"OpenStreetMap has no category for “{persona}”; "
                "use the Google provider or the demo directory."
            )
        if not region.strip():
            raise _permanent("OpenStreetMap needs a region to search in; name a town or city.")
        area, requests = await self._geocode(region, country)
        if area is None:
            raise _permanent(f"OpenStreetMap does not know the place “{region}”; check the region.")
        spent = _Spent(requests)
        place = area.name or region.strip()  # how the scope names it
        elements, scope = await self._elements(area, place, filters, max_results, spent)
        leads = leads_from_elements(
            elements,
            filters,
            country=area.country_code,
            retrieved_at=iso_timestamp(self.clock()),
            limit=max_results,
        )
        return OsmSearch(leads, spent.requests, scope)

    async def _elements(
        self, area: Area, place: str, filters: tuple[TagFilter, ...], limit: int, spent: _Spent
    ) -> tuple[list[Any], str]:
        """The elements inside a relation's Overpass area, else inside the bounding box, and
        which of the two was searched. The area query prints the area itself first, so an
        answer with no elements at all means Overpass has no area for the relation."""
        timeout_s = self.timeouts.overpass_query_s
        if area.may_have_area:
            query = overpass_query(area, filters, limit, timeout_s=timeout_s, in_area=True)
            elements = await self._overpass(query, spent)
            if elements:
                return elements, f"the area of {place}"
        query = overpass_query(area, filters, limit, timeout_s=timeout_s, in_area=False)
        elements = await self._overpass(query, spent)
        if area.may_have_area:
            return elements, f"the bounding box of {place} (OpenStreetMap has no area for it)"
        return elements, f"the bounding box of {place}"

    async def _overpass(self, query: str, spent: _Spent) -> list[Any]:
        """The query's elements. After a 429 or 504 it waits as /api/status says and asks
        again, within the search's `SlotWaits`; past them, or with no readable status page,
        the throttling is a retryable ToolError."""
        while True:
            response = await self.http.send(
                OVERPASS,
                "POST",
                f"{self.overpass_url}/api/interpreter",
                bucket=self.overpass_bucket,
                cache=True,
                cacheable=_complete,
                data={"data": query},
                timeout=self.timeouts.of(self.timeouts.overpass_read_s),
            )
            spent.requests += 1
            status = response.status_code
            if status not in _THROTTLED:
                return overpass_elements(response)
            spent.requests += 1
            wait = await read_slot_wait(
                self.http,
                OVERPASS,
                f"{self.overpass_url}/api/status",
                self.timeouts.of(self.timeouts.overpass_status_s),
            )
            if wait is None or not spent.slots.allows(wait):
                retry_after = wait if wait is not None else retry_after_seconds(response)
                raise ToolError(_THROTTLED[status], retry_after=retry_after)
            logger.info("Overpass answered HTTP %s; waiting %.0f s for a slot", status, wait)
            spent.slots.spend(wait)
            await self.sleep(wait)

    async def _geocode(self, region: str, country: str | None) -> tuple[Area | None, int]:
        """The place and how many requests finding it took (0 when cached): a settlement
        first, then any place (a postcode, say) before the region counts as unknown."""
        key = (" ".join(region.split()).casefold(), (country or "").strip().upper() or None)
        async with self._geocoding:
            if key in self._places:
                return self._places[key], 0
            area, requests = None, 0
            for settlement in (True, False):
                area = await self._nominatim(region, country, settlement=settlement)
                requests += 1
                if area is not None:
                    break
            self._places[key] = area
            return area, requests

    async def _nominatim(
        self, region: str, country: str | None, *, settlement: bool
    ) -> Area | None:
        response = await self.http.send(
            NOMINATIM,
            "GET",
            f"{self.nominatim_url}/search",
            bucket=self.nominatim_bucket,
            cache=True,
            params=nominatim_params(region, country, settlement=settlement),
            timeout=self.timeouts.of(self.timeouts.nominatim_s),
        )
        return place_from_answer(nominatim_answer(response, region))


def search_budget_s(timeouts: CallTimeouts) -> float:
    """The longest `OsmClient.search` takes while each of its calls keeps within its timeout
    (connect, then read), each request at its bucket's pace:

          2 Nominatim searches      2 × (1 s pace + connect_s + nominatim_s)
        + 2 Overpass queries and    5 × (1 s pace + connect_s + overpass_read_s)
          3 sent again after a wait
        + 4 status pages            4 × (connect_s + overpass_status_s)
          (one per 429/504: 3 waited for, 1 that ends the search)
        + the waits for slots       MAX_WAIT_S (120 s)

    With the documented timeouts: 2 × 16 + 5 × 91 + 4 × 15 + 120 = 667 s."""
    nominatim = NOMINATIM_PACE_S + timeouts.connect_s + timeouts.nominatim_s
    overpass = OVERPASS_PACE_S + timeouts.connect_s + timeouts.overpass_read_s
    status = timeouts.connect_s + timeouts.overpass_status_s
    return 2 * nominatim + (2 + MAX_WAITS) * overpass + (MAX_WAITS + 1) * status + MAX_WAIT_S


def _complete(response: httpx.Response) -> bool:
    """An Overpass answer may be kept only when it finished: no `remark` in it."""
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and "remark" not in body


def nominatim_params(region: str, country: str | None, *, settlement: bool) -> dict[str, str]:
    """Search parameters; an ISO country ("GB", or the common "UK") narrows by countrycodes.
    `settlement` keeps shops and other points of interest out (providers.md §0.3)."""
    params = {"q": region.strip(), "format": "jsonv2", "limit": "1", "addressdetails": "1"}
    if settlement:
        params["featureType"] = "settlement"
    code = (country or "").strip().lower()
    code = "gb" if code == "uk" else code
    if len(code) == 2 and code.isalpha():
        params["countrycodes"] = code
    elif code:
        params["q"] = f"{region.strip()}, {(country or '').strip()}"
    return params


def nominatim_answer(response: httpx.Response, region: str) -> list[Any]:
    status = response.status_code
    if status in (403, 429):
        raise ToolError(
            f"Nominatim refused the request (HTTP {status}) under its usage policy (at most one "
            "request a second from an identified application); trying again later.",
            retry_after=retry_after_seconds(response),
        )
    if status >= 500:
        raise ToolError(f"Nominatim failed (HTTP {status}); trying again.")
    if status != 200:
        raise _permanent(f"Nominatim rejected the search for “{region}” (HTTP {status}).")
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, list):
        raise ToolError("Nominatim sent an answer that could not be read; trying again.")
    return answer


def place_from_answer(answer: list[Any]) -> Area | None:
    """The first place of a search answer; its coordinates and bounding box are strings, and
    a postcode has no osm_type or osm_id (providers.md §0.3): it is searched by its box."""
    if not answer:
        return None
    place = answer[0]
    try:
        south, north, west, east = (float(value) for value in place["boundingbox"])
        address = place.get("address") or {}
        code = address.get("country_code") if isinstance(address, dict) else None
        osm_id = None if place.get("osm_id") is None else int(place["osm_id"])
        osm_type = str(place.get("osm_type") or "") if osm_id is not None else ""
        return Area(
            name=str(place.get("display_name") or place.get("name") or ""),
            osm_type=osm_type or None,
            osm_id=osm_id,
            latitude=float(place["lat"]),
            longitude=float(place["lon"]),
            bbox=(south, west, north, east),
            country_code=code.upper() if isinstance(code, str) and code else None,
        )
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise ToolError("Nominatim sent a place that could not be read; trying again.") from error


def overpass_query(
    area: Area, filters: tuple[TagFilter, ...], limit: int, *, timeout_s: int, in_area: bool
) -> str:
    """Named objects matching any filter, nodes with lat/lon, the rest a centre: inside the
    relation's Overpass area (`in_area`; the area itself is printed first, so that an empty
    answer tells a missing area from an area with no such business) or the bounding box."""
    if in_area and area.may_have_area and area.osm_id is not None:
        head, scope = f"area(id:{AREA_ID_OFFSET + area.osm_id})->.a;\n.a out ids;\n", "(area.a)"
    else:
        head, scope = "", "({},{},{},{})".format(*area.bbox)
    union = "".join(f'  {tag.overpass}["name"]{scope};\n' for tag in filters)
    return f"[out:json][timeout:{timeout_s}];\n{head}(\n{union});\nout center {limit};\n"


_THROTTLED = {
    429: "Overpass is rate limiting this address (HTTP 429); trying again.",
    504: "Overpass is too busy or timed out (HTTP 504); trying again.",
}
_HTML_ERROR = re.compile(r"Error</strong>:\s*(.*?)\s*</p>", re.DOTALL)


def overpass_elements(response: httpx.Response) -> list[Any]:
    """The elements of an answer; a `remark` (a runtime error inside a 200) is a failure."""
    status = response.status_code
    if status in _THROTTLED:
        raise ToolError(_THROTTLED[status], retry_after=retry_after_seconds(response))
    if status == 400:
        found = _HTML_ERROR.search(response.text)
        detail = " ".join(html.unescape(found.group(1)).split())[:200] if found else "HTTP 400"
        raise _permanent(f"Overpass rejected the query ({detail}); trying again will not help.")
    if status >= 500:
        raise ToolError(f"Overpass failed (HTTP {status}); trying again.")
    if status != 200:
        raise _permanent(f"Overpass refused the request (HTTP {status}).")
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if not isinstance(payload, dict) or not isinstance(payload.get("elements"), list):
        raise ToolError("Overpass sent an answer that could not be read; trying again.")
    if payload.get("remark"):
        raise ToolError(f"Overpass could not finish the query ({payload['remark']}); trying again.")
    elements: list[Any] = payload["elements"]
    return elements


def leads_from_elements(
    elements: list[Any],
    filters: tuple[TagFilter, ...],
    *,
    country: str | None,
    retrieved_at: str,
    limit: int,
) -> list[Lead]:
    """One lead per named element, each (type, id) once, at most `limit`."""
    seen: set[str] = set()
    leads: list[Lead] = []
    for element in elements:
        if len(leads) >= limit:
            break
        if not isinstance(element, dict) or not isinstance(element.get("id"), int):
            continue
        key = f"{element.get('type')}/{element['id']}"
        if key in seen:
            continue
        seen.add(key)
        lead = lead_from_element(element, filters, country=country, retrieved_at=retrieved_at)
        if lead is not None:
            leads.append(lead)
    return leads


def lead_from_element(
    element: Mapping[str, Any],
    filters: tuple[TagFilter, ...],
    *,
    country: str | None,
    retrieved_at: str,
) -> Lead | None:
    """The lead of one element (reference section 4, OSM column); None when it has no name."""
    tags = element.get("tags")
    tags = tags if isinstance(tags, dict) else {}
    name = _tag(tags, "name")
    if name is None:
        return None
    point = element if element.get("type") == "node" else element.get("center")
    point = point if isinstance(point, Mapping) else {}
    website = _first(_tag(tags, "website", "contact:website"))
    email = _first(_tag(tags, "email", "contact:email"))
    return Lead(
        business_name=name,
        category=category_of(tags, filters),
        website=website,
        domain=domain_of(website),
        phone=_first(_tag(tags, "phone", "contact:phone")),
        email=email.removeprefix("mailto:") if email else None,
        email_found_by="openstreetmap" if email else None,  # the map lists it: no one is asked
        address=_address(tags),
        city=_tag(tags, "addr:city"),
        postcode=_tag(tags, "addr:postcode"),
        country=(_tag(tags, "addr:country") or country or "").upper() or None,
        latitude=_number(point.get("lat")),
        longitude=_number(point.get("lon")),
        source="osm",
        source_id=f"{element['type']}/{element['id']}",
        retrieved_at=retrieved_at,
    )


def _permanent(message: str) -> ToolError:
    return ToolError(message, retryable=False)


def _tag(tags: Mapping[str, Any], *keys: str) -> str | None:
    """The first non-empty value among `keys`, stripped."""
    for key in keys:
        value = tags.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _first(value: str | None) -> str | None:
    """Of several contact values ("a; b", OSM's list form) the first."""
    return value.split(";")[0].strip() or None if value else None


def _address(tags: Mapping[str, Any]) -> str | None:
    """The addr:* keys there are, joined: "12 Oldham Street, Manchester, M1 1JN"."""
    street = _tag(tags, "addr:street")
    number = _tag(tags, "addr:housenumber")
    line = f"{number} {street}" if street and number else street
    parts = [part for part in (line, _tag(tags, "addr:city"), _tag(tags, "addr:postcode")) if part]
    return ", ".join(parts) or None


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
