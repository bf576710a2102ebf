"""A host's registrable domain ("joes.co.uk" for "www.shop.joes.co.uk"), by the Public Suffix
List that ships inside the `publicsuffixlist` package: nothing is downloaded at run time."""

from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList


@cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()  # the list bundled with the package, read once


def registrable_domain(host: str | None) -> str | None:
    """The domain a business registered for `host`: one label below its public suffix (which
    may be a private one, such as a site builder's `wixsite.com`). None for no host, a bare
    suffix or an IP address."""
    if not host:
        return None
    host = host.strip().lower().rstrip(".")
    if not host or host.replace(".", "").isdigit() or ":" in host:
        return None
    found = _suffixes().privatesuffix(host)
    return found if isinstance(found, str) else None


def same_site(host: str | None, domain: str | None) -> bool:
    """Whether `host` belongs to the registrable domain of `domain`."""
    ours = registrable_domain(domain)
    return ours is not None and registrable_domain(host) == ours


def domain_of(website: str | None) -> str | None:
    """The lowercase host of a website without `www.`; None when there is none to read."""
    if not website or not website.strip():
        return None
    text = website.strip()
    try:
        host = urlsplit(text if "://" in text else f"https://{text}").hostname
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") and "." in host[4:] else host
