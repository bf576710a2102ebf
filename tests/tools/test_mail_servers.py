"""The MX check marks an address by its domain's mail servers, never drops it; with no DNS
answer it says "unchecked", and it can be turned off. DNS is a stand-in here: no test has DNS."""

from __future__ import annotations

import dns.asyncresolver
import dns.exception
import dns.resolver
import pytest

from webapp.tools.providers.mx import MX_OK, NO_MX, UNCHECKED, MailServers


async def test_each_domain_is_asked_once_and_marked() -> None:
    asked: list[str] = []

    async def resolve(domain: str) -> str:
        asked.append(domain)
        return MX_OK if domain == "joes.co.uk" else NO_MX

    servers = MailServers(enabled=True, resolve=resolve)

    assert await servers.mark("Joes.co.uk") == MX_OK
    assert await servers.mark("joes.co.uk.") == MX_OK
    assert await servers.mark("gone.example") == NO_MX
    assert asked == ["joes.co.uk", "gone.example"]


async def test_turned_off_it_asks_nothing() -> None:
    async def resolve(domain: str) -> str:
        raise AssertionError("asked")

    assert await MailServers(enabled=False, resolve=resolve).mark("joes.co.uk") == UNCHECKED


@pytest.mark.parametrize(
    ("error", "mark"),
    [
        (dns.resolver.NXDOMAIN(), NO_MX),  # type: ignore[no-untyped-call]  # no such domain
        (dns.resolver.NoAnswer(), NO_MX),  # type: ignore[no-untyped-call]  # no mail server
        (dns.resolver.NoNameservers(), UNCHECKED),  # type: ignore[no-untyped-call]
        (dns.exception.Timeout(), UNCHECKED),  # type: ignore[no-untyped-call]
        (OSError("no resolv.conf"), UNCHECKED),
    ],
)
async def test_what_dns_says_is_the_mark(
    monkeypatch: pytest.MonkeyPatch, error: Exception, mark: str
) -> None:
    async def failing(*args: object, **kwargs: object) -> object:
        raise error

    monkeypatch.setattr(dns.asyncresolver, "resolve", failing)

    assert await MailServers(enabled=True).mark("joes.co.uk") == mark
