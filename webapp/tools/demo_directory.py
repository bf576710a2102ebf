"""The offline demo directory: deterministic, realistic businesses (contacts: `demo_contacts`).
The same (persona, region, country) always gives the same businesses. Websites and emails are
only ever on reserved `.example` domains."""

from __future__ import annotations

import functools
import hashlib
import math
import random
import re
import unicodedata

from webapp.core.business_kinds import singular
from webapp.core.leads import Lead
from webapp.tools import demo_words as words
from webapp.tools.demo_words import Category, City

MIN_SIZE, MAX_SIZE = 30, 120  # businesses one query's directory holds
NO_WEBSITE_SHARE = 0.15
CHAIN_SHARE = 0.07  # businesses that are another branch of an earlier one (same domain)


def search(persona: str, region: str, country: str | None, limit: int) -> list[Lead]:
    """The first `limit` businesses of the query's directory (all of them if it is smaller):
    copies, so that a caller changing one never changes the directory."""
    return [lead.model_copy() for lead in _directory(persona, region, country)[: max(0, limit)]]


def directory_size(persona: str, region: str, country: str | None) -> int:
    return len(_directory(persona, region, country))


@functools.lru_cache(maxsize=64)
def _directory(persona: str, region: str, country: str | None) -> tuple[Lead, ...]:
    """A query's directory, made once (a few ms of work) and kept for the next runs asking."""
    return tuple(_make_directory(persona, region, country))


def category_for(persona: str) -> Category:
    """The category a persona names, or a generic one built from the persona's own words."""
    text = persona.lower()
    for category in words.CATEGORIES:
        if any(re.search(r"\b" + re.escape(keyword), text) for keyword in category.keywords):
            return category
    one = singular(" ".join(text.split())) or "business"
    return Category(
        key=re.sub(r"[^a-z0-9]+", "_", one).strip("_") or "business",
        keywords=(),
        words=words.GENERIC_WORDS,
        templates=words.GENERIC_TEMPLATES,
        titles=words.GENERIC_TITLES,
    )


def cities_for(region: str, country: str | None) -> list[City]:
    """The known cities a region names; a made-up place with no postcodes when none fits."""
    text = " ".join(region.lower().replace(",", " ").split())
    for city in words.CITIES:
        if any(re.search(rf"\b{re.escape(name)}\b", text) for name in _names(city)):
            return [city]
    if "scotland" in text.split():
        return [city for city in words.CITIES if city.name in words.SCOTLAND]
    if "england" in text.split():  # Britain's cities but Scotland's
        return [c for c in words.CITIES if c.country == "GB" and c.name not in words.SCOTLAND]
    code = next((c for c, names in words.COUNTRY_REGIONS.items() if text in names), None)
    if code is None and not text:
        code = (country or "").upper()
    in_country = [city for city in words.CITIES if city.country == code]
    return in_country or [_fallback_city(region, country)]


def _make_directory(persona: str, region: str, country: str | None) -> list[Lead]:
    tag = "|".join(" ".join(part.lower().split()) for part in (persona, region, country or ""))
    rng = seeded_rng("places", tag)
    category = category_for(persona)
    persona_title = singular(" ".join(persona.split())).title() or "Business"
    cities = cities_for(region, country)
    size = rng.randint(MIN_SIZE, MAX_SIZE)
    first_branch = rng.randint(2, 7)
    names: set[str] = set()
    hosts: set[str] = set()
    leads: list[Lead] = []
    parents: list[Lead] = []  # businesses with a website that are not themselves branches
    for index in range(size):
        city = rng.choice(cities)
        wants_branch = index == first_branch or (index > 7 and rng.random() < CHAIN_SHARE)
        branch = (
            _branch(rng, rng.choice(parents), city, names) if wants_branch and parents else None
        )
        lead = branch or _business(rng, category, persona_title, city, names, hosts)
        if branch is None and lead.website:
            parents.append(lead)
        source_id = "demo_" + hashlib.sha256(f"{tag}|{index}".encode()).hexdigest()[:16]
        leads.append(lead.model_copy(update={"source_id": source_id}))
    return leads


def _business(
    rng: random.Random,
    category: Category,
    persona_title: str,
    city: City,
    names: set[str],
    hosts: set[str],
) -> Lead:
    name = _unique_name(rng, category, persona_title, city, names)
    host = _unique_host(_slug(name), city, hosts)
    has_website = rng.random() >= NO_WEBSITE_SHARE
    prefix = "https://www." if rng.random() < 0.3 else "https://"
    return Lead.model_validate(
        {
            "business_name": name,
            "category": category.key,
            "website": prefix + host if has_website else None,
            **_location(rng, city, rng.choice(city.streets)),
            **_reputation(rng),
        }
    )


def _branch(rng: random.Random, parent: Lead, city: City, names: set[str]) -> Lead | None:
    """Another branch of a chain: a new address, the same website host (give or take `www.`)."""
    street = rng.choice(city.streets)
    name = f"{parent.business_name} ({street})"
    if name in names or not parent.website:
        return None
    names.add(name)
    host = parent.website.split("://", 1)[1].split("/", 1)[0]
    host = host[4:] if host.startswith("www.") else "www." + host
    return Lead.model_validate(
        {
            "business_name": name,
            "category": parent.category,
            "website": f"https://{host}/{_slug(street)}",
            **_location(rng, city, street),
            **_reputation(rng),
        }
    )


def _unique_name(
    rng: random.Random, category: Category, persona_title: str, city: City, names: set[str]
) -> str:
    name = ""
    for _ in range(12):
        adjective = rng.choice(words.ADJECTIVES)
        word, word2 = rng.sample(category.words, 2)
        surname, surname2 = rng.sample(words.SURNAMES, 2)
        name = rng.choice(category.templates).format(
            adj=adjective,
            word=word,
            word2=word2,
            surname=surname,
            surname2=surname2,
            first=rng.choice(words.FIRST_NAMES),
            street=rng.choice(city.streets),
            city=city.name,
            persona=persona_title,
        )
        if city.country in ("US", "CA"):
            for british, local in words.US_TERMS.items():
                name = name.replace(british, local)
        if name not in names:
            break
    while name in names:
        name += " " + rng.choice(("& Co", "Studio", "Central", "West", "East"))
    names.add(name)
    return name


def _location(rng: random.Random, city: City, street: str) -> dict[str, object]:
    postcode = None
    if city.postcodes:
        postcode = rng.choice(city.postcodes) + _fill(rng, city.postcode_tail, city.letters)
    latitude = longitude = None
    if city.lat is not None and city.lon is not None:
        latitude = round(city.lat + rng.gauss(0, 0.02), 6)
        longitude = round(city.lon + rng.gauss(0, 0.02) / math.cos(math.radians(city.lat)), 6)
    return {
        "address": city.address.format(num=rng.randint(1, 240), street=street, postcode=postcode),
        "city": city.name,
        "postcode": postcode,
        "country": city.country,
        "phone": _fill(rng, city.phone, city.letters) if city.phone else None,
        "latitude": latitude,
        "longitude": longitude,
    }


def _reputation(rng: random.Random) -> dict[str, object]:
    return {
        "rating": round(min(5.0, max(2.8, rng.gauss(4.4, 0.35))), 1),
        "review_count": max(3, int(rng.lognormvariate(4.2, 1.0))),
        "business_status": "CLOSED_TEMPORARILY" if rng.random() < 0.04 else "OPERATIONAL",
    }


def _fallback_city(region: str, country: str | None) -> City:
    code = (country or "").upper()
    name = region.strip() or code or "Unknown"
    name = name.title() if name.islower() else name
    return City(
        name=name,
        country=code,
        lat=None,
        lon=None,
        phone=words.FALLBACK_PHONES.get(code),
        postcodes=(),
        postcode_tail="",
        address="{num} {street}, " + name.replace("{", "(").replace("}", ")"),
        streets=words.FALLBACK_STREETS,
    )


def _unique_host(slug: str, city: City, hosts: set[str]) -> str:
    candidates = [slug, f"{slug}-{_slug(city.name)}"]
    candidates += [f"{slug}-{n}" for n in range(2, 100)]
    host = next(f"{c}.example" for c in candidates if f"{c}.example" not in hosts)
    hosts.add(host)
    return host


def _names(city: City) -> tuple[str, ...]:
    return (city.name.lower(), *city.aliases)


def _fill(rng: random.Random, pattern: str, letters: str) -> str:
    """`#` becomes a digit and `@` a letter; everything else is kept."""
    out = (
        str(rng.randint(0, 9)) if c == "#" else rng.choice(letters) if c == "@" else c
        for c in pattern
    )
    return "".join(out)


def _slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    plain = decomposed.encode("ascii", "ignore").decode().lower()
    parts = re.findall(r"[a-z0-9]+", plain.replace("&", " and ").replace("'", ""))
    if len("-".join(parts)) > 28:
        parts = parts[:3]
    return "-".join(parts) or "business"


def seeded_rng(*parts: str) -> random.Random:
    """A generator seeded from SHA-256 of the parts (never the salted built-in `hash()`): the
    same parts, the same numbers."""
    digest = hashlib.sha256("\n".join(parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))
