"""A business's contact addresses in the HTML of its own pages (mailto links, schema.org JSON-LD,
visible text and its common obfuscations), the links worth following for more, and a ranking."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from webapp.core.accents import without_accents
from webapp.tools.providers.web_domains import registrable_domain, same_site


@dataclass(frozen=True)
class PageContact:
    email: str
    kind: str  # "personal", "role" or "webmail"
    name: str | None
    role: str | None
    phone: str | None
    source_url: str
    how: str  # "mailto", "json-ld", "text" or "obfuscated"


ROLE_WORDS = frozenset(
    "info contact contacts hello hi enquiry enquiries inquiry inquiries office sales support"
    " bookings booking reservations orders accounts admin team mail reception events jobs careers"
    " press marketing general studio help service customerservice".split()
)
_ROLE_PREFERENCE = ("contact", "hello", "info", "enquiries")
WEBMAIL_DOMAINS = frozenset(
    "gmail.com googlemail.com outlook.com icloud.com me.com mac.com btinternet.com aol.com"
    " proton.me protonmail.com pm.me msn.com mail.com zoho.com yandex.com fastmail.com"
    " tutanota.com sky.com talktalk.net virginmedia.com ntlworld.com blueyonder.co.uk"
    " tiscali.co.uk".split()
)
# Providers that register the same name under many suffixes (hotmail.co.uk, yahoo.fr, gmx.de).
_WEBMAIL_FAMILIES = frozenset("hotmail yahoo ymail gmx live outlook web aol".split())
_PLACEHOLDER_LOCALS = frozenset("yourname your.name youremail your.email username".split())
_ASSET_ENDINGS = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".css", ".js", ".ico")
_HOW_PRIORITY = ("mailto", "json-ld", "obfuscated", "text")

_LOCAL = r"(?<![\w.%+'’-])([a-z0-9][a-z0-9._%+-]*)"
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
_AT_MARK = r"\s*[\[({<]\s*at\s*[\])}>]\s*"
_DOT_MARK = r"\s*[\[({<]\s*dot\s*[\])}>]\s*"
_PLAIN = re.compile(rf"{_LOCAL}@({_LABEL}(?:\.{_LABEL})+)", re.I)
_BRACKETED = re.compile(rf"{_LOCAL}{_AT_MARK}({_LABEL}(?:(?:{_DOT_MARK}|\.){_LABEL})+)", re.I)
# Spelled out with bare words every dot must be a word too: "visit us at joes.co.uk" is prose.
_SPELLED = re.compile(rf"{_LOCAL} +at +({_LABEL}(?: +dot +{_LABEL})+)\b", re.I)
_DOT_WORD = re.compile(rf"{_DOT_MARK}| +dot +", re.I)
_VALID = re.compile(r"[a-z0-9](?:[a-z0-9._%+-]*[a-z0-9_%+-])?@(?:[a-z0-9-]+\.)+[a-z]{2,24}")
# Words in front of a spelled-out " at " that mean prose ("find us at ..."), not a mailbox.
_PROSE_LOCALS = frozenset("us we me you it them him her find meet visit see open are is be".split())

_TITLE = re.compile(
    r"\b(owner|co-?founder|founder|director|manager|chef|partner|ceo|cfo|coo|cto|proprietor"
    r"|principal|president|chair(?:man|woman|person)?|secretary|administrator|head of \w+)\b",
    re.I,
)
_NOT_NAME_WORDS = frozenset(
    "contact email e-mail us call phone tel telephone team our the about get in touch meet"
    " opening hours find follow book now info office and of customer service sales support"
    " mobile address visit open menu home news privacy policy terms ltd limited inc llc plc co"
    " company cafe café coffee restaurant bar shop studio house kitchen bakery salon hotel pub"
    " street road lane reservations bookings enquiries welcome hello all rights reserved"
    " copyright cookie cookies".split()
)
_FRAGMENT_BREAK = re.compile(r"[\n,|•·–—:;]| - ")

_LINK_TIERS = (
    re.compile(r"\b(contact|kontakt|impressum|get in touch)"),
    re.compile(r"\b(about|team|people|staff)\b"),
    re.compile(r"\b(mentions legales|legal|find us|locations?|visit)\b"),
)


@dataclass
class _Draft:
    email: str
    how: str
    name: str | None = None
    role: str | None = None
    phone: str | None = None


def read_page(html: str, *, page_url: str, domain: str) -> tuple[list[PageContact], list[str]]:
    """The page's contacts (`contacts_on_page`) and its links to more (`contact_links`), from
    one parse of it."""
    tree = LexborHTMLParser(html)
    return _contacts_in(tree, page_url, domain), _links_in(tree, page_url, 4)


def contacts_on_page(html: str, *, page_url: str, domain: str) -> list[PageContact]:
    """Every usable address on the page, once each, with what the page says about it."""
    return _contacts_in(LexborHTMLParser(html), page_url, domain)


def _contacts_in(tree: LexborHTMLParser, page_url: str, domain: str) -> list[PageContact]:
    found: dict[str, _Draft] = {}
    for draft in _structured_drafts(tree):
        _merge(found, draft)
    for draft in _text_drafts(tree):
        _merge(found, draft)
    # A business's own telephone in JSON-LD with no address beside it is its mailboxes' number.
    shared = found.pop("", None)
    business = _host_of(domain)
    contacts = []
    for draft in found.values():
        kind = _kind(draft.email, business)
        if kind is None:
            continue
        phone = draft.phone or (shared.phone if shared and kind == "role" else None)
        contacts.append(
            PageContact(draft.email, kind, draft.name, draft.role, phone, page_url, draft.how)
        )
    return contacts


def contact_links(html: str, *, page_url: str, limit: int = 4) -> list[str]:
    """Links on the page's own site that likely lead to contacts, best first."""
    return _links_in(LexborHTMLParser(html), page_url, limit)


def _links_in(tree: LexborHTMLParser, page_url: str, limit: int) -> list[str]:
    page, _ = urldefrag(page_url)
    host = urlsplit(page).hostname
    ranked: list[tuple[int, str]] = []
    seen = {page.rstrip("/")}
    for link in tree.css("a[href]"):
        url = _absolute(page, link.attrs.sget("href"))
        parts = urlsplit(url or "")
        if (
            url is None
            or parts.scheme not in ("http", "https")
            or not same_site(parts.hostname, host)
        ):
            continue
        words = _fold(f"{link.text(separator=' ')} {unquote(parts.path)}")
        tier = next((i for i, tier in enumerate(_LINK_TIERS) if tier.search(words)), None)
        if tier is not None and url.rstrip("/") not in seen:
            seen.add(url.rstrip("/"))
            ranked.append((tier, url))
    return [url for _, url in sorted(ranked, key=lambda pair: pair[0])][:limit]


def rank_contacts(contacts: Iterable[PageContact]) -> list[PageContact]:
    """Best first: named people with a title, named people, other people, mailboxes, webmail."""

    def key(contact: PageContact) -> tuple[int, int]:
        if contact.kind == "webmail":
            return (4, 0)
        if contact.kind == "role":
            word = _first_word(contact.email)
            return (3, _ROLE_PREFERENCE.index(word) if word in _ROLE_PREFERENCE else 4)
        return (0 if contact.name and contact.role else 1 if contact.name else 2, 0)

    return sorted(contacts, key=key)  # stable: ties keep the order found


def found_again(known: str | None, new: str | None, new_how: str) -> str | None:
    """A contact's name, role or phone when its address is found again (on the same page or
    another): JSON-LD states it outright and wins; what is read around a link is a guess, and
    only fills a gap."""
    return new if new_how == "json-ld" and new else known or new


def surest_how(known: str, new: str) -> str:
    """How an address found twice was found: the surer of the two ways."""
    return min(known, new, key=_HOW_PRIORITY.index)


def _merge(found: dict[str, _Draft], new: _Draft) -> None:
    old = found.setdefault(new.email, new)
    if old is new:
        return
    old.how = surest_how(old.how, new.how)
    old.name = found_again(old.name, new.name, new.how)
    old.role = found_again(old.role, new.role, new.how)
    old.phone = found_again(old.phone, new.phone, new.how)


def _structured_drafts(tree: LexborHTMLParser) -> Iterator[_Draft]:
    """Mailto links, Cloudflare-protected addresses and JSON-LD, in document order."""
    if tree.root is None:
        return
    for node in tree.root.traverse():
        attrs = node.attrs
        if node.tag == "script" and attrs.sget("type").strip().lower() == "application/ld+json":
            yield from _json_ld_drafts(node.text())
        elif node.tag == "a" and attrs.sget("href").strip().lower().startswith("mailto:"):
            name, role, phone = _context(node)
            body = unquote(attrs.sget("href").strip()[7:].split("?", 1)[0])
            for match in _PLAIN.finditer(body):
                yield _Draft(match.group(0).lower(), "mailto", name, role, phone)
        elif "data-cfemail" in attrs and (email := _cloudflare(attrs.sget("data-cfemail"))):
            yield _Draft(email, "obfuscated", *_context(node))


def _text_drafts(tree: LexborHTMLParser) -> Iterator[_Draft]:
    visible = tree.clone()
    visible.strip_tags(["script", "style", "noscript", "template"], recursive=True)
    text = visible.body.text(separator=" ") if visible.body is not None else ""
    for pattern, how in ((_PLAIN, "text"), (_BRACKETED, "obfuscated"), (_SPELLED, "obfuscated")):
        for match in pattern.finditer(text):
            local, domain = match.group(1), _DOT_WORD.sub(".", match.group(2))
            if pattern is _SPELLED and local.lower() in _PROSE_LOCALS:
                continue
            yield _Draft(f"{local}@{domain}".lower(), how)


def _json_ld_drafts(raw: str) -> Iterator[_Draft]:
    try:
        data = json.loads(raw)
    except ValueError:
        return  # a broken block on someone's site is theirs to fix; the rest of the page counts
    yield from _walk(data, person=False)


def _walk(data: Any, *, person: bool) -> Iterator[_Draft]:
    if isinstance(data, list):
        for item in data:
            yield from _walk(item, person=person)
        return
    if not isinstance(data, dict):
        return
    person = person or "person" in _lower_strings(data.get("@type"))
    phone = _text(data.get("telephone"))
    if person:
        name = _text(data.get("name")) or _text(
            f"{_text(data.get('givenName')) or ''} {_text(data.get('familyName')) or ''}"
        )
        role = _text(data.get("jobTitle"))
    else:
        name, role = None, _text(data.get("contactType"))
    emails = [e.removeprefix("mailto:") for e in _lower_strings(data.get("email"))]
    for email in emails:
        yield _Draft(email, "json-ld", name, role, phone)
    if phone and not emails and not person:
        yield _Draft("", "json-ld", phone=phone)  # the business's number, for its mailboxes
    for key, value in data.items():
        if isinstance(value, dict | list) and key != "email":
            yield from _walk(value, person=key in ("employee", "employees", "founder", "founders"))


def _context(link: LexborNode) -> tuple[str | None, str | None, str | None]:
    """A name, title and phone from the link and up to three elements around it,
    stopping before one that holds someone else's address too (a whole team list)."""
    name = role = phone = None
    node: LexborNode | None = link  # its own text first: <a href="mailto:...">Sam Jones</a>
    for _ in range(4):
        if node is None or node.tag in ("body", "html") or _addresses_in(node) > 1:
            break
        fragments = [f.strip() for f in _FRAGMENT_BREAK.split(node.text(separator="\n"))]
        name = name or next((f for f in fragments if _looks_like_name(f)), None)
        role = role or next((f for f in fragments if _looks_like_title(f)), None)
        tel = next(
            (a for a in node.css("a[href]") if a.attrs.sget("href").startswith("tel:")), None
        )
        phone = phone or (unquote(tel.attrs.sget("href")[4:]).strip() or None if tel else None)
        node = node.parent
    return name, role, phone


def _addresses_in(node: LexborNode) -> int:
    hrefs = (a.attrs.sget("href").strip().lower() for a in node.css("a[href]"))
    return len({href.split("?", 1)[0] for href in hrefs if href.startswith("mailto:")})


def _looks_like_name(text: str) -> bool:
    words = text.split()
    return (
        2 <= len(words) <= 4
        and all(w[0].isupper() and all(c.isalpha() or c in "'’.-" for c in w) for w in words)
        and not any(w.lower().strip(".") in _NOT_NAME_WORDS for w in words)
        and not _TITLE.search(text)
    )


def _looks_like_title(text: str) -> bool:
    return 0 < len(text.split()) <= 6 and "@" not in text and bool(_TITLE.search(text))


def _kind(email: str, business: str | None) -> str | None:
    """ "personal", "role" or "webmail" for an address worth keeping, None for the rest."""
    if not _VALID.fullmatch(email) or email.endswith(_ASSET_ENDINGS):
        return None
    local, host = email.rsplit("@", 1)
    squashed = re.sub(r"[-_.]", "", local)
    if squashed.startswith(("noreply", "donotreply")) or squashed in ("mailerdaemon", "postmaster"):
        return None
    if same_site(host, business):
        return "role" if _first_word(email) in ROLE_WORDS else "personal"
    # Placeholders on example.com and the like fail the test above; these fill in webmail.
    return "webmail" if _is_webmail(host) and local not in _PLACEHOLDER_LOCALS else None


def _is_webmail(host: str) -> bool:
    registered = registrable_domain(host) or ""
    return registered in WEBMAIL_DOMAINS or registered.split(".")[0] in _WEBMAIL_FAMILIES


def _first_word(email: str) -> str:
    return re.split(r"[-_.+]", email.split("@", 1)[0], maxsplit=1)[0]


def _cloudflare(encoded: str) -> str | None:
    """Cloudflare's email protection: hex bytes XORed with the first byte as the key."""
    try:
        raw = bytes.fromhex(encoded)
        return bytes(b ^ raw[0] for b in raw[1:]).decode().lower() if raw else None
    except (ValueError, UnicodeDecodeError):
        return None  # not Cloudflare's encoding after all; the address is simply not read


def _absolute(page: str, href: str) -> str | None:
    try:
        return urldefrag(urljoin(page, href.strip())).url
    except ValueError:
        return None  # a malformed href (a broken IPv6 host) is no link to follow


def _host_of(domain: str) -> str | None:
    return urlsplit(domain).hostname if "://" in domain else domain


def _lower_strings(value: Any) -> list[str]:
    """A JSON-LD value that may be one string or a list of them, stripped and lower-cased."""
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return [v.strip().lower() for v in values if isinstance(v, str)]


def _text(value: Any) -> str | None:
    return " ".join(value.split()) or None if isinstance(value, str) else None


def _fold(text: str) -> str:
    """Lower-case ASCII words, single-spaced: "Mentions_Légales" -> "mentions legales"."""
    ascii_text = without_accents(text).lower()
    return " ".join(re.split(r"[^a-z0-9]+", ascii_text)).strip()
