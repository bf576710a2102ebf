"""Fakes for bench/providers.py: the test fakes of Google Places (60 places a search, areas cut
by locationRestriction) and Hunter, over businesses spread around Manchester, clean or messy as
providers.md §0 documents, and an ASGI wrapper that delays every answer (the providers' latency).

Messy: one domain in ten refused by Hunter (400 invalid_domain), one verification in ten
failing (222: every tenth address the verifier is asked about), and a tenth of the places
listing a platform page (facebook.com, a wixsite.com site) as their website; two in three of
those Hunter finds by the business's name."""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette

from tests.tools.fakes.google_places import google_places_app, grid_places
from tests.tools.fakes.hunter import hunter_app, person
from webapp.tools.providers.web_domains import domain_of

# Who Hunter knows at each domain, in turn: (first, last, position, seniority, dept, status).
PEOPLE = [
    ("Ava", "Stone", "Owner", "executive", "management", "valid"),
    ("Ben", "Carter", "Manager", "senior", "management", "accept_all"),
    ("Cleo", "Ward", "Head Barista", "senior", "support", "valid"),
    ("Dev", "Patel", "Marketing Lead", "senior", "marketing", "unknown"),
]
NO_WEBSITE_EVERY = 9  # a place in nine lists no website
MESSY_EVERY = 10  # one in ten: a platform website, a refused domain, a failed verification


class Delayed:
    """An ASGI app that answers every HTTP request `latency_s` late, then as `app` does."""

    def __init__(self, app: Any, latency_s: float) -> None:
        self.app = app
        self.latency_s = latency_s

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.latency_s > 0:
            await asyncio.sleep(self.latency_s)
        await self.app(scope, receive, send)


@dataclass
class World:
    """The businesses both fakes serve, and the messy parts of what Hunter knows of them."""

    places: list[dict[str, Any]]
    domains: dict[str, list[dict[str, Any]]]
    companies: dict[str, tuple[str, str]]
    refused: set[str]
    unverifiable_every: int  # every Nth address verified fails (222); 0: none
    platforms: set[str]  # the platform hosts places list as their website

    def google(self) -> Starlette:
        return google_places_app(self.places)

    def hunter(self) -> Starlette:
        return hunter_app(
            domains=self.domains,
            companies=self.companies,
            refused=self.refused,
            unverifiable_every=self.unverifiable_every,
            slow=set(),
        )


def world(count: int, *, messy: bool) -> World:
    """`count` businesses on a grid around Manchester; one in nine lists no website."""
    places = grid_places(count)
    domains: dict[str, list[dict[str, Any]]] = {}
    companies: dict[str, tuple[str, str]] = {}
    platforms: set[str] = set()
    for index, place in enumerate(places):
        place["websiteUri"] = place["websiteUri"].replace("https://", "http://")  # via the proxy
        own = domain_of(place["websiteUri"]) or ""
        domains[own] = people_at(own, index)
        name = place["displayName"]["text"]
        if messy and index % MESSY_EVERY == 7:
            page = platform_page(index, own)
            place["websiteUri"] = page
            platforms.add(domain_of(page) or "")
            if index % 3:  # two in three found by name; the rest Hunter does not know
                companies[name] = (own, name)
        elif index % NO_WEBSITE_EVERY == 4:
            del place["websiteUri"]
            companies[name] = (own, name)  # Hunter finds it by its name
    refused = {domain for i, domain in enumerate(sorted(domains)) if i % MESSY_EVERY == 5}
    staff = ("Pat", "Lee", "Engineer", "senior", "it", "valid")
    for platform in platforms:  # searched, they would name the platform's own staff
        domains[platform] = [person(platform, *staff)]
    return World(
        places,
        domains,
        companies,
        refused if messy else set(),
        MESSY_EVERY if messy else 0,
        platforms,
    )


def people_at(domain: str, index: int) -> list[dict[str, Any]]:
    """One or two people at a domain, in turn from PEOPLE."""
    rows = [PEOPLE[index % len(PEOPLE)], PEOPLE[(index + 1) % len(PEOPLE)]]
    return [person(domain, *row) for row in rows[: 1 + index % 2]]


def platform_page(index: int, own: str) -> str:
    slug = own.split(".")[0]
    if index % 2:
        return f"https://www.facebook.com/{slug}"
    return f"https://{slug}.wixsite.com/home"


# -- the businesses' own websites -----------------------------------------------------------

WEB_EMAIL_SHARE = 7  # of every 10 sites, this many show an address a crawler can find
WEB_LATENCY_S = (0.1, 0.8)  # a page takes this long, as small businesses' sites do


def site_of(place: dict[str, Any]) -> str | None:
    """The host of a place's own website (http: the bench reaches it through its proxy)."""
    host = domain_of(place.get("websiteUri"))
    return host if host and "facebook" not in host and "wixsite" not in host else None


class BenchWeb:
    """Every business's site, chosen by the Host header, each page `WEB_LATENCY_S` late (by a
    hash of its address): seven sites in ten show an address (a mailto link on /contact, the
    home page's JSON-LD, or an obfuscated one on /about), the rest none. Reached as the HTTP
    proxy. `pages` counts the requests."""

    def __init__(self, hosts: list[str]) -> None:
        self.kinds = {host: index % 10 for index, host in enumerate(sorted(hosts))}
        self.pages = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").decode().split(":")[0]
        path = scope["path"]
        self.pages += 1
        low, high = WEB_LATENCY_S
        spread = zlib.crc32(f"{host}{path}".encode()) % 1000 / 1000
        await asyncio.sleep(low + spread * (high - low))
        status, body = self.answer(host, path)
        kind = b"text/plain" if path.endswith(".txt") else b"text/html; charset=utf-8"
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", kind)]}
        )
        await send({"type": "http.response.body", "body": body.encode()})

    def answer(self, host: str, path: str) -> tuple[int, str]:
        kind = self.kinds.get(host)
        if kind is None:
            return 502, "no such site"
        if path == "/robots.txt":
            return 404, "Not Found"
        name = host.split(".")[0]
        nav = '<a href="/about">About us</a> <a href="/contact">Contact</a>'
        shows = kind < WEB_EMAIL_SHARE
        if path == "/":
            ld = (
                '<script type="application/ld+json">{"@type": "CafeOrCoffeeShop", '
                f'"email": "hello@{host}"}}</script>'
                if shows and kind % 3 == 1
                else ""
            )
            return 200, f"<html><body>{ld}<h1>{name}</h1>{nav}</body></html>"
        if path == "/contact":
            mail = (
                f'<a href="mailto:owner@{host}">Email the owner</a>'
                if shows and kind % 3 == 0
                else ""
            )
            return 200, f"<html><body><p>Find us on the high street.</p>{mail}</body></html>"
        if path == "/about":
            hidden = (
                f"<p>Write to info [at] {name} [dot] example</p>" if shows and kind % 3 == 2 else ""
            )
            return 200, f"<html><body><p>Our story.</p>{hidden}</body></html>"
        return 404, "Not Found"
