"""Whether a domain can receive mail, without sending any: its MX records, by DNS (dnspython).
An address is only ever marked by this, never dropped; no DNS answer at all marks it
"unchecked". LEADGEN_MX_CHECK=off skips it, for networks whose DNS cannot be used."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import dns.asyncresolver
import dns.exception
import dns.resolver

logger = logging.getLogger(__name__)

MX_OK = "mx_ok"  # the domain names a mail server
NO_MX = "no_mx"  # the domain does not exist, or names no mail server
UNCHECKED = "unchecked"  # no DNS answer could be had, or the check is off
LIFETIME_S = 5.0  # the longest one check waits for DNS


Resolve = Callable[[str], Awaitable[str]]


class MailServers:
    """Marks for domains, each domain asked once per process (`resolve`: how a domain is
    asked, DNS by default)."""

    def __init__(self, *, enabled: bool, resolve: Resolve | None = None) -> None:
        self.enabled = enabled
        self.resolve = resolve or _ask
        self.known: dict[str, str] = {}
        self._asking: dict[str, asyncio.Task[str]] = {}

    async def mark(self, domain: str) -> str:
        if not self.enabled:
            return UNCHECKED
        domain = domain.lower().rstrip(".")
        if domain in self.known:
            return self.known[domain]
        task = self._asking.get(domain)
        if task is None:
            task = self._asking[domain] = asyncio.ensure_future(self.resolve(domain))
        try:
            mark = await asyncio.shield(task)
        finally:
            if task.done():
                self._asking.pop(domain, None)
        self.known[domain] = mark
        return mark


async def _ask(domain: str) -> str:
    try:
        answer = await dns.asyncresolver.resolve(domain, "MX", lifetime=LIFETIME_S)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return NO_MX
    except (dns.exception.DNSException, OSError) as error:  # no resolver, a timeout ...
        logger.info("no DNS answer for %s: %s", domain, type(error).__name__)
        return UNCHECKED
    return MX_OK if len(answer) else NO_MX
