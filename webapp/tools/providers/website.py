"""The `website` email provider's crawler: a business's home page and a few pages likely to hold
its contacts, on its own domain only, as its robots.txt allows, paced per host and in all, each
page cut at a size limit and given up on when slow; a host that refused is never asked again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx
from protego import Protego

from webapp.core.errors import ToolError
from webapp.tools.providers.http import TRUNCATED_HEADER, ProviderHttp, RateLimits, Sleep
from webapp.tools.providers.page_contacts import (
    PageContact,
    found_again,
    rank_contacts,
    read_page,
    surest_how,
)
from webapp.tools.providers.timeouts import DOCUMENTED, CallTimeouts
from webapp.tools.providers.web_domains import registrable_domain, same_site

PROVIDER = "Websites"  # free: counted, never against a run's budget (usage.FREE_PROVIDERS)
ROBOTS_AGENT = "leadgen"  # the token robots.txt rules name us by
MAX_PAGES = 4  # pages read per business: its home page and three more at most
MAX_BYTES = 512 * 1024  # of one page; a larger one is read this far
MAX_REDIRECTS = 3
HOST_INTERVAL_S = 1.0  # between two requests to one host
PAGES_A_SECOND = 40  # in all, whatever the hosts (each host keeps its own slow pace)
REFUSED = frozenset({401, 403, 429, 451})  # the host does not want us: never asked again


@dataclass
class SiteContacts:
    """What a business's site gave: its contacts, best first; the pages read; and, when it
    could not be read, why (in words for the lead's notes)."""

    contacts: list[PageContact] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    trouble: str | None = None


class _Stop(Exception):
    """The site cannot be read further; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WebsiteClient:
    def __init__(
        self,
        http: ProviderHttp,
        *,
        limits: RateLimits | None = None,
        timeouts: CallTimeouts = DOCUMENTED,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.http = http
        self.bucket = (limits or http.limits).bucket("web:pages", PAGES_A_SECOND, PAGES_A_SECOND)
        self.timeouts = timeouts
        self.sleep = sleep
        self.clock = clock
        self.refused: set[str] = set()  # hosts that refused this process
        self._robots: dict[str, Protego | None] = {}
        self._hosts: dict[str, tuple[asyncio.Lock, list[float]]] = {}

    async def contacts(self, website: str) -> SiteContacts:
        """The contacts on a business's own site, from its home page and the pages its links
        say hold contacts (two links deep at most), MAX_PAGES in all."""
        start = _absolute(website)
        domain = registrable_domain(urlsplit(start).hostname) if start else None
        if start is None or domain is None:
            return SiteContacts(trouble="Its website address could not be read")
        found = SiteContacts()
        queue, seen = [start], {start}
        try:
            while queue and len(found.pages) < MAX_PAGES:
                url = queue.pop(0)
                page = await self._page(url, domain, home=not found.pages)
                if page is None:
                    continue
                final_url, html = page
                found.pages.append(final_url)
                contacts, links = read_page(html, page_url=final_url, domain=domain)
                found.contacts += contacts
                for link in links:
                    if link not in seen:
                        seen.add(link)
                        queue.append(link)
        except _Stop as stop:
            found.trouble = stop.reason
        found.contacts = rank_contacts(_merged(found.contacts))
        return found

    async def _page(self, url: str, domain: str, *, home: bool) -> tuple[str, str] | None:
        """The page's final address and HTML, redirects followed on the business's own domain;
        None for a page to pass over. A refusal, a closed robots.txt or a home page that
        cannot be had stops the site."""
        for _ in range(MAX_REDIRECTS + 1):
            host = urlsplit(url).hostname or ""
            if host in self.refused:
                raise _Stop(f"Its website ({host}) refused leadgen earlier; not asked again")
            if not await self._allowed(url):
                if home:
                    raise _Stop("Its website's robots.txt does not allow reading its pages")
                return None
            response = await self._get(url, home=home)
            if response is None:
                return None
            if response.status_code in REFUSED:
                self.refused.add(host)
                raise _Stop(f"Its website refused leadgen (HTTP {response.status_code})")
            if response.is_redirect:
                target = urljoin(url, response.headers.get("location", ""))
                if not same_site(urlsplit(target).hostname, domain):
                    if home:
                        raise _Stop(
                            f"Its website sends visitors to another domain ({_host(target)})"
                        )
                    return None
                url = target
                continue
            if response.status_code != 200 or "html" not in response.headers.get(
                "content-type", ""
            ):
                if home:
                    raise _Stop(
                        f"Its website's home page could not be read (HTTP {response.status_code})"
                    )
                return None
            return url, response.text
        return None

    async def _get(self, url: str, *, home: bool) -> httpx.Response | None:
        host = urlsplit(url).hostname or ""
        await self._pace(host)
        try:
            return await self.http.send(
                PROVIDER,
                "GET",
                url,
                bucket=self.bucket,
                cache=True,
                cacheable=_a_page,
                headers={"Accept": "text/html,application/xhtml+xml"},
                timeout=self.timeouts.of(self.timeouts.website_s),
                max_bytes=MAX_BYTES,
            )
        except ToolError as error:
            if not error.retryable:
                raise  # the run's budget, say: that is the step's
            if home:
                raise _Stop("Its website did not answer (slow or unreachable)") from error
            return None

    async def _allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = await self._read_robots(origin)
        rules = self._robots[origin]
        return rules is None or bool(rules.can_fetch(url, ROBOTS_AGENT))

    async def _read_robots(self, origin: str) -> Protego | None:
        """The site's robots.txt rules; None (everything allowed) when it has none (4xx). A
        robots.txt that cannot be had (5xx, no answer) closes the site, as crawlers do."""
        response = await self._get(f"{origin}/robots.txt", home=True)  # no answer: _Stop
        if response is None or response.status_code >= 500:
            return Protego.parse("User-agent: *\nDisallow: /")
        if response.status_code != 200:
            return None
        return Protego.parse(response.text)

    async def _pace(self, host: str) -> None:
        """At most one request every HOST_INTERVAL_S to one host."""
        lock, last = self._hosts.setdefault(host, (asyncio.Lock(), [float("-inf")]))
        async with lock:
            wait = last[0] + HOST_INTERVAL_S - self.clock()
            if wait > 0:
                await self.sleep(wait)
            last[0] = self.clock()


def _absolute(website: str) -> str | None:
    text = website.strip()
    url = text if "://" in text else f"http://{text}"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def _a_page(response: httpx.Response) -> bool:
    """A page is kept in the answer cache only when it was read whole."""
    return bool(response.headers.get(TRUNCATED_HEADER) != "yes")


def _merged(contacts: list[PageContact]) -> list[PageContact]:
    """Each address once, its details found again on other pages merged as on one page
    (`found_again`); its page is the one its name came from."""
    merged: dict[str, PageContact] = {}
    for contact in contacts:
        known = merged.get(contact.email)
        if known is None:
            merged[contact.email] = contact
            continue
        name = found_again(known.name, contact.name, contact.how)
        merged[contact.email] = PageContact(
            email=known.email,
            kind=known.kind,
            name=name,
            role=found_again(known.role, contact.role, contact.how),
            phone=found_again(known.phone, contact.phone, contact.how),
            source_url=known.source_url if name == known.name else contact.source_url,
            how=surest_how(known.how, contact.how),
        )
    return list(merged.values())
