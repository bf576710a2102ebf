"""OpenStreetMap as a places provider: Nominatim geocodes the region (at most once a second,
cached), Overpass lists the persona's businesses inside it. Both are free, keyless and strict
about fair use, so every request goes through a shared token bucket."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from webapp.core.errors import ToolError
from webapp.core.leads import Lead
from webapp.core.models import iso_timestamp, utc_now
from webapp.tools.domains import domain_of
from webapp.tools.providers.http import ProviderHttp, RateLimits, retry_after_seconds
from webapp.tools.providers.osm_tags import TagFilter, category_of, tag_filters_for

NOMINATIM = "OpenStreetMap Nominatim"
OVERPASS = "OpenStreetMap Overpass"
AREA_ID_OFFSET = 3_600_000_000  # Overpass area id of a relation: 3600000000 + its osm_id
QUERY_TIMEOUT_S = 60


@dataclass(frozen=True)
class Area:
    """A geocoded region: its OSM object, centre, bounding box and ISO country code."""

    name: str
    osm_type: str
    osm_id: int
    latitude: float
    longitude: float
    bbox: tuple[float, float, float, float]  # south, west, north, east
    country_code: str | None = None

    def overpass_scope(self) -> tuple[str, str]:
        """The line that defines the area (may be empty) and the suffix each filter takes."""
        if self.osm_type == "relation":
            return f"area(id:{AREA_ID_OFFSET + self.osm_id})->.a;\n", "(area.a)"
        return "", "({},{},{},{})".format(*self.bbox)


@dataclass
class OsmSearch:
    leads: list[Lead]
    requests: int  # HTTP requests this search sent (a cached geocode sends none)


class OsmClient:
    """Geocodes with Nominatim and searches with Overpass through `http` (which sets the
    User-Agent); shares the "osm:nominatim" (1/s) and "osm:overpass" buckets of `limits`."""

    def __init__(
        self,
        http: ProviderHttp,
        *,
        nominatim_url: str,
        overpass_url: str,
        limits: RateLimits | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.http = http
        self.nominatim_url = nominatim_url.rstrip("/")
        self.overpass_url = overpass_url.rstrip("/")
        limits = limits or http.limits
        self.nominatim_bucket = limits.bucket("osm:nominatim", 1, 1)
        self.overpass_bucket = limits.bucket("osm:overpass", 1, 2)
        self.clock = clock
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
        response = await self.http.send(
            OVERPASS,
            "POST",
            f"{self.overpass_url}/api/interpreter",
            bucket=self.overpass_bucket,
            cache=True,
            cacheable=_complete,
            data={"data": overpass_query(area, filters, max_results)},
        )
        leads = leads_from_elements(
            overpass_elements(response),
            filters,
            country=area.country_code,
            retrieved_at=iso_timestamp(self.clock()),
            limit=max_results,
        )
        return OsmSearch(leads, requests + 1)

    async def _geocode(self, region: str, country: str | None) -> tuple[Area | None, int]:
        """The place and how many requests finding it took (0 when cached)."""
        key = (" ".join(region.split()).casefold(), (country or "").strip().upper() or None)
        async with self._geocoding:
            if key in self._places:
                return self._places[key], 0
            response = await self.http.send(
                NOMINATIM,
                "GET",
                f"{self.nominatim_url}/search",
                bucket=self.nominatim_bucket,
                cache=True,
                params=nominatim_params(region, country),
            )
            area = place_from_answer(nominatim_answer(response, region))
            self._places[key] = area
            return area, 1


def _complete(response: httpx.Response) -> bool:
    """An Overpass answer may be kept only when it finished: no `remark` in it."""
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and "remark" not in body


def nominatim_params(region: str, country: str | None) -> dict[str, str]:
    """Search parameters; an ISO country ("GB", or the common "UK") narrows by countrycodes."""
    params = {"q": region.strip(), "format": "jsonv2", "limit": "1", "addressdetails": "1"}
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
    """The first place of a search answer; its coordinates and bounding box are strings."""
    if not answer:
        return None
    place = answer[0]
    try:
        south, north, west, east = (float(value) for value in place["boundingbox"])
        address = place.get("address") or {}
        code = address.get("country_code") if isinstance(address, dict) else None
        return Area(
            name=str(place.get("display_name") or place.get("name") or ""),
            osm_type=str(place.get("osm_type") or ""),
            osm_id=int(place["osm_id"]),
            latitude=float(place["lat"]),
            longitude=float(place["lon"]),
            bbox=(south, west, north, east),
            country_code=code.upper() if isinstance(code, str) and code else None,
        )
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise ToolError("Nominatim sent a place that could not be read; trying again.") from error


def overpass_query(area: Area, filters: tuple[TagFilter, ...], limit: int) -> str:
    """Named objects matching any filter inside the area, nodes with lat/lon, the rest a centre."""
    area_statement, scope = area.overpass_scope()
    union = "".join(f'  {tag.overpass}["name"]{scope};\n' for tag in filters)
    header = f"[out:json][timeout:{QUERY_TIMEOUT_S}];\n{area_statement}"
    return f"{header}(\n{union});\nout center {limit};\n"


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
