"""Fakes for bench/providers.py: a Google Places Text Search that can page past Google's 60
results, a Hunter fake that knows a person at every place's domain, and an ASGI wrapper that
delays every answer (the providers' latency, simulated on the server side)."""

from __future__ import annotations

import asyncio
import copy
import itertools
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.tools.fakes.google_places import (
    GOOD_KEY,
    MAX_PAGE_SIZE,
    PLACES,
    SEARCH_PATH,
    google_error,
)
from tests.tools.fakes.hunter import hunter_app, person
from webapp.tools.domains import domain_of

# Who Hunter knows at each domain, in turn: (first, last, position, seniority, dept, status).
PEOPLE = [
    ("Ava", "Stone", "Owner", "executive", "management", "valid"),
    ("Ben", "Carter", "Manager", "senior", "management", "accept_all"),
    ("Cleo", "Ward", "Head Barista", "senior", "support", "valid"),
    ("Dev", "Patel", "Marketing Lead", "senior", "marketing", "unknown"),
]


class Delayed:
    """An ASGI app that answers every HTTP request `latency_s` late, then as `app` does."""

    def __init__(self, app: Any, latency_s: float) -> None:
        self.app = app
        self.latency_s = latency_s

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.latency_s > 0:
            await asyncio.sleep(self.latency_s)
        await self.app(scope, receive, send)


def bench_places(count: int) -> list[dict[str, Any]]:
    """`count` distinct places: the test fake's 70 (with their closed, nameless and
    website-less ones) again and again, each round with its own ids, names and domains."""
    places = []
    for i in range(count):
        place = copy.deepcopy(PLACES[i % len(PLACES)])
        round_ = i // len(PLACES)
        place["id"] = f"ChIJbench{i:05d}"
        place["name"] = f"places/{place['id']}"
        if "displayName" in place and round_:
            place["displayName"]["text"] += f" {round_ + 1}"
        if "websiteUri" in place:
            place["websiteUri"] = f"https://{'www.' if i % 2 else ''}{slug(place)}.example/"
        places.append(place)
    return places


def slug(place: dict[str, Any]) -> str:
    name = str(place.get("displayName", {}).get("text", place["id"]))
    return "".join(ch for ch in name.lower() if ch.isalnum())


def hunter_domains(places: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """One to two people at every place's domain; a place listed without a website has one
    too, which Hunter finds by the business's name (its slug is the domain's first label)."""
    domains: dict[str, list[dict[str, Any]]] = {}
    for index, place in enumerate(places):
        domain = domain_of(place.get("websiteUri")) or f"{slug(place)}.example"
        rows = [PEOPLE[index % len(PEOPLE)], PEOPLE[(index + 1) % len(PEOPLE)]]
        domains[domain] = [person(domain, *row) for row in rows[: 1 + index % 2]]
    return domains


def bench_hunter_app(places: list[dict[str, Any]]) -> Starlette:
    return hunter_app(domains=hunter_domains(places))


@dataclass
class _Cursor:
    offset: int
    pages: int


@dataclass
class PlacesFake:
    """Text Search (New), pages of up to 20 with a nextPageToken. Unlike Google (and the test
    fake), which stop at 60 results (3 pages), it pages on to `max_pages` (None: every place),
    so a plan asking for 200 places can be served. `received` counts the requests."""

    places: list[dict[str, Any]]
    max_pages: int | None = None
    received: int = 0
    cursors: dict[str, _Cursor] = field(default_factory=dict)
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def search(self, request: Request) -> Response:
        self.received += 1
        if request.headers.get("x-goog-api-key") != GOOD_KEY:
            return _error(403, "PERMISSION_DENIED", "The request is missing a valid API key.")
        mask = request.headers.get("x-goog-fieldmask", "")
        if not mask.strip():
            return _error(400, "INVALID_ARGUMENT", "FieldMask is a required parameter.")
        body = await request.json()
        token = body.get("pageToken")
        cursor = self.cursors.get(token) if token else _Cursor(0, 0)
        if cursor is None:
            return _error(400, "INVALID_ARGUMENT", "The provided page_token is invalid.")
        size = min(body.get("pageSize") or MAX_PAGE_SIZE, MAX_PAGE_SIZE)
        wanted = {part.strip().removeprefix("places.") for part in mask.split(",")}
        chunk = [
            {key: value for key, value in place.items() if key in wanted}
            for place in self.places[cursor.offset : cursor.offset + size]
        ]
        answer: dict[str, Any] = {"places": chunk} if chunk else {}
        end, pages = cursor.offset + len(chunk), cursor.pages + 1
        more_pages = self.max_pages is None or pages < self.max_pages
        if chunk and end < len(self.places) and more_pages:
            next_token = f"AeCrKXbench{next(self.numbers):04d}"
            self.cursors[next_token] = _Cursor(end, pages)
            answer["nextPageToken"] = next_token
        return JSONResponse(answer)

    def app(self) -> Starlette:
        return Starlette(routes=[Route(SEARCH_PATH, self.search, methods=["POST"])])


def _error(code: int, status: str, message: str) -> Response:
    return JSONResponse(google_error(code, status, message), status_code=code)
