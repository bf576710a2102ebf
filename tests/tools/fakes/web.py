"""A fake web of small businesses' sites, served on 127.0.0.1 and chosen by the Host header, so
that sites keep real-looking names: the crawler reaches it as its HTTP proxy (HTTP_PROXY, the
way company networks route traffic). Each site shows one thing a real one does: a mailto link,
JSON-LD, an obfuscated address, a contact page two links deep, a robots.txt that forbids us, a
redirect to another domain, a huge page, a slow page, a 403, other firms' addresses, assets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from tests.tools.live_server import serving

SLOW_S = 3.0  # how long the slow site takes to answer (the tests' clients wait less)
HUGE_BYTES = 2 * 1024 * 1024


def page(body: str, title: str = "Welcome") -> str:
    return f"<!doctype html><html><head><title>{title}</title></head><body>{body}</body></html>"


def json_ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


NAV = '<nav><a href="/">Home</a> <a href="/about">About us</a> <a href="/contact">Contact</a></nav>'

# host -> path -> page (a str is HTML; a callable answers itself)
Handler = Callable[[Request], Response]
SITES: dict[str, dict[str, str | Response]] = {
    "mailto.example": {
        "/": page(NAV + "<p>Fresh coffee every day.</p>"),
        "/contact": page(
            '<p><strong>Maya Okafor</strong>, Owner — <a href="mailto:maya@mailto.example?'
            'subject=Hello">maya@mailto.example</a></p>'
            '<p>Bookings: <a href="mailto:bookings@mailto.example">email us</a></p>'
        ),
    },
    "jsonld.example": {
        "/": page(
            json_ld(
                {
                    "@context": "https://schema.org",
                    "@type": "CafeOrCoffeeShop",
                    "name": "JSON-LD Cafe",
                    "email": "mailto:hello@jsonld.example",
                    "telephone": "+44 161 496 0101",
                    "employee": {
                        "@type": "Person",
                        "name": "Omar Lindqvist",
                        "jobTitle": "Manager",
                        "email": "omar@jsonld.example",
                    },
                }
            )
            + "<p>Come in.</p>"
        )
    },
    "twopages.example": {  # a guess around a link on one page, stated outright on another
        "/": page(
            NAV + '<p><strong>Sam Reyes</strong>, Barista — <a href="mailto:sam@twopages.example">'
            "sam@twopages.example</a></p>"
        ),
        "/contact": page(
            json_ld(
                {
                    "@context": "https://schema.org",
                    "@type": "Person",
                    "name": "Samantha Reyes",
                    "jobTitle": "Owner",
                    "email": "sam@twopages.example",
                }
            )
        ),
    },
    "obfuscated.example": {
        "/": page("<p>Write to priya [at] obfuscated [dot] example, Owner Priya Hale.</p>"),
    },
    "deep.example": {
        "/": page('<p>Hello!</p><a href="/about">About</a>'),
        "/about": page('<p>Our story.</p><a href="/about/contact">Get in touch</a>'),
        "/about/contact": page('<a href="mailto:info@deep.example">info@deep.example</a>'),
    },
    "robots.example": {
        "/robots.txt": "User-agent: *\nDisallow: /\n",
        "/": page('<a href="mailto:owner@robots.example">owner@robots.example</a>'),
    },
    "redirect.example": {
        "/": RedirectResponse("http://elsewhere.example/", status_code=301),
    },
    "elsewhere.example": {
        "/": page('<a href="mailto:sales@elsewhere.example">sales@elsewhere.example</a>'),
    },
    "forbidden.example": {
        "/": PlainTextResponse("Forbidden", status_code=403),
    },
    "others.example": {
        "/": page(
            '<img src="/img/logo@2x.png" alt="logo@2x.png"><p>logo@2x.png</p>'
            '<footer>Site by <a href="mailto:studio@designco.example">Design Co</a> · '
            "support@wix.com</footer>"
        ),
    },
    "canonical.example": {
        "/": RedirectResponse("http://www.canonical.example/home", status_code=301),
    },
    "www.canonical.example": {
        "/home": page('<a href="mailto:team@canonical.example">team@canonical.example</a>'),
    },
}
HUGE_SITE = "huge.example"  # a 2 MB page whose only address is at its end
SLOW_SITE = "slow.example"  # answers after SLOW_S


@dataclass
class FakeWeb:
    """The fake web as an ASGI app; `requests` records (host, path) in order."""

    requests: list[tuple[str, str]] = field(default_factory=list)

    async def __call__(self, scope: dict[str, object], receive: object, send: object) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope)
        host = (request.headers.get("host") or "").split(":")[0]
        self.requests.append((host, request.url.path))
        response = await self.answer(host, request.url.path)
        await response(scope, receive, send)  # type: ignore[arg-type]

    async def answer(self, host: str, path: str) -> Response:
        if host == SLOW_SITE:
            await asyncio.sleep(SLOW_S)
            return HTMLResponse(page('<a href="mailto:owner@slow.example">owner</a>'))
        if host == HUGE_SITE:
            filler = "<p>" + "Lorem ipsum dolor sit amet. " * 40 + "</p>"
            body = filler * (HUGE_BYTES // len(filler)) + "<p>late@huge.example</p>"
            return HTMLResponse(page(body))
        site = SITES.get(host)
        if site is None:
            return PlainTextResponse("no such site", status_code=502)
        found = site.get(path)
        if found is None:
            return PlainTextResponse("Not Found", status_code=404)
        if isinstance(found, Response):
            return found
        if path.endswith(".txt"):
            return PlainTextResponse(found)
        return HTMLResponse(found)

    def pages_of(self, host: str) -> list[str]:
        return [path for asked, path in self.requests if asked == host]


@contextmanager
def fake_web_as_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeWeb]:
    """The fake web, reached as this process's HTTP proxy; 127.0.0.1 (the other fakes) is not
    proxied (NO_PROXY)."""
    web = FakeWeb()
    with serving(web) as url:
        monkeypatch.setenv("HTTP_PROXY", url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        yield web
