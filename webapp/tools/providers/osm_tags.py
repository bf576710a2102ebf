"""The persona → OpenStreetMap tag table (providers reference 3.5) and the matching of the ways
people name a persona ("coffee shop owners", "cafés", "B&Bs") to its Overpass filters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from webapp.core.accents import without_accents


@dataclass(frozen=True)
class TagFilter:
    """Objects whose `key` tag is one of `values` (several become an anchored regex)."""

    key: str
    values: tuple[str, ...]

    @property
    def overpass(self) -> str:
        if len(self.values) == 1:
            return f'nwr["{self.key}"="{self.values[0]}"]'
        return f'nwr["{self.key}"~"^({"|".join(self.values)})$"]'

    def match(self, tags: Mapping[str, object]) -> str | None:
        """The tag value this filter matched in `tags`, if any."""
        value = tags.get(self.key)
        return value if isinstance(value, str) and value in self.values else None


@dataclass(frozen=True)
class Category:
    name: str
    filters: tuple[TagFilter, ...]
    aliases: str  # comma-separated, singular or plural, any case

    def names(self) -> list[str]:
        return [self.name, *self.aliases.split(",")]


def _tag(key: str, *values: str) -> TagFilter:
    return TagFilter(key, values)


CATEGORIES: tuple[Category, ...] = (
    Category(
        "coffee shops",
        (_tag("amenity", "cafe"),),
        "coffee shop, cafe, coffee house, coffeehouse, coffee bar, coffee, espresso bar, "
        "tea room, tearoom",
    ),
    Category(
        "restaurants",
        (_tag("amenity", "restaurant"),),
        "restaurant, bistro, brasserie, eatery, diner, trattoria, pizzeria",
    ),
    Category(
        "bars and pubs",
        (_tag("amenity", "bar", "pub"),),
        "bar, pub, bar and pub, pub and bar, public house, tavern, wine bar, cocktail bar, "
        "gastropub",
    ),
    Category(
        "dentists",
        (_tag("amenity", "dentist"), _tag("healthcare", "dentist")),
        "dentist, dental clinic, dental practice, dental surgery, dental office, dental, "
        "orthodontist",
    ),
    Category(
        "doctors",
        (_tag("amenity", "doctors"), _tag("healthcare", "doctor"), _tag("amenity", "clinic")),
        "doctor, gp, gp practice, gp surgery, general practitioner, doctor surgery, "
        "medical practice, medical clinic, medical centre, medical center, clinic, family doctor, "
        "physician",
    ),
    Category("plumbers", (_tag("craft", "plumber"),), "plumber, plumbing"),
    Category(
        "electricians",
        (_tag("craft", "electrician"),),
        "electrician, electrical contractor, electrical",
    ),
    Category("roofers", (_tag("craft", "roofer"),), "roofer, roofing"),
    Category(
        "HVAC and heating engineers",
        (_tag("craft", "hvac"),),
        "hvac, heating engineer, heating, heating and cooling, air conditioning, boiler engineer, "
        "gas engineer",
    ),
    Category(
        "carpenters and joiners",
        (_tag("craft", "carpenter", "joiner"),),
        "carpenter, joiner, carpentry, joinery, carpenter and joiner",
    ),
    Category(
        "painters and decorators",
        (_tag("craft", "painter"),),
        "painter, decorator, painter and decorator, painting and decorating, house painter",
    ),
    Category(
        "hair salons and barbers",
        (_tag("shop", "hairdresser"),),
        "hair salon, hairdresser, barber, barber shop, barbershop, hair stylist, hairstylist, "
        "salon, hair salon and barber",
    ),
    Category(
        "beauty salons",
        (_tag("shop", "beauty"),),
        "beauty salon, beautician, beauty parlour, beauty parlor, nail salon, nail bar, "
        "beauty therapist",
    ),
    Category(
        "gyms",
        (_tag("leisure", "fitness_centre"),),
        "gym, fitness centre, fitness center, fitness studio, health club, fitness club, fitness",
    ),
    Category(
        "car repair garages",
        (_tag("shop", "car_repair"),),
        "car repair, garage, auto repair, mechanic, car mechanic, motor mechanic, car garage, "
        "auto shop, body shop, vehicle repair",
    ),
    Category(
        "lawyers and solicitors",
        (_tag("office", "lawyer"),),
        "lawyer, solicitor, law firm, attorney, barrister, legal practice, legal",
    ),
    Category(
        "accountants",
        (_tag("office", "accountant", "tax_advisor"),),
        "accountant, accountancy, accounting, accounting firm, bookkeeper, chartered accountant, "
        "cpa, tax advisor, tax adviser",
    ),
    Category(
        "estate agents",
        (_tag("office", "estate_agent"), _tag("shop", "estate_agent")),
        "estate agent, estate agency, real estate agent, real estate agency, real estate, "
        "realtor, letting agent, property agent",
    ),
    Category(
        "veterinary clinics",
        (_tag("amenity", "veterinary"),),
        "vet, veterinary, veterinary clinic, veterinary practice, veterinary surgery, "
        "veterinarian, vet clinic, animal hospital",
    ),
    Category(
        "hotels and B&Bs",
        (_tag("tourism", "hotel", "guest_house"),),
        "hotel, b&b, bnb, bed and breakfast, guest house, guesthouse, inn, hotel and b&b",
    ),
    Category("bakeries", (_tag("shop", "bakery"),), "bakery, baker, patisserie, bakehouse"),
    Category("florists", (_tag("shop", "florist"),), "florist, flower shop, flower"),
    Category(
        "pharmacies",
        (_tag("amenity", "pharmacy"), _tag("healthcare", "pharmacy")),
        "pharmacy, chemist, drugstore, pharmacist",
    ),
    Category(
        "insurance agents",
        (_tag("office", "insurance"),),
        "insurance, insurance agent, insurance broker, insurance agency",
    ),
    Category(
        "photographers",
        (_tag("craft", "photographer"), _tag("shop", "photo")),
        "photographer, photography, photography studio, photo studio",
    ),
    Category(
        "cleaning services",
        (_tag("craft", "cleaning"), _tag("shop", "dry_cleaning")),
        "cleaning, cleaner, commercial cleaner, office cleaner, dry cleaner, dry cleaning, "
        "janitorial",
    ),
    Category(
        "childcare and nurseries",
        (_tag("amenity", "childcare", "kindergarten"),),
        "childcare, child care, nursery, day nursery, daycare, day care, kindergarten, preschool, "
        "pre school, creche, childminder",
    ),
)

# Words that say who or how big, not what kind of business; dropped when the whole phrase misses.
_WHO = frozenset(
    {
        "owner",
        "manager",
        "proprietor",
        "local",
        "independent",
        "small",
        "the",
        "a",
        "an",
        "all",
        "of",
        "for",
        "in",
        "near",
    }
)
_KIND = frozenset(
    {
        "business",
        "company",
        "firm",
        "service",
        "provider",
        "contractor",
        "practice",
        "shop",
        "store",
        "specialist",
        "professional",
        "studio",
    }
)
_SEPARATORS = re.compile(r"\s*(?:[,/;+|]|\s&\s|\band\b|\bor\b)\s*", re.IGNORECASE)


def _canonical(word: str) -> str:
    """One spelling for the singular and plural of a word (it need not be a real word)."""
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("es") and word[:-2].endswith(("ch", "sh", "x", "ss", "z")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ie"):
        word = word[:-2] + "y"
    elif word.endswith("e") and word[:-1].endswith(("ch", "sh")):
        word = word[:-1]
    return word


def _words(text: str) -> tuple[str, ...]:
    """Lowercase, accent-free, singular words; "&" reads as "and", apostrophes vanish."""
    plain = without_accents(text)
    plain = plain.lower().replace("&", " and ").replace("'", "").replace("’", "")
    return tuple(_canonical(word) for word in re.findall(r"[a-z0-9]+", plain))


_BY_ALIAS: dict[tuple[str, ...], Category] = {
    _words(alias): category for category in CATEGORIES for alias in category.names()
}


def _category(phrase: str) -> Category | None:
    words = _words(phrase)
    for dropped in (frozenset[str](), _WHO, _WHO | _KIND):
        category = _BY_ALIAS.get(tuple(word for word in words if word not in dropped))
        if category is not None:
            return category
    return None


def tag_filters_for(persona: str) -> tuple[TagFilter, ...] | None:
    """The filters for a persona; "bars and restaurants" unions two categories. None if unknown."""
    category = _category(persona)
    if category is not None:
        return category.filters
    parts = [part for part in _SEPARATORS.split(persona) if part.strip()]
    if len(parts) < 2:
        return None
    filters: list[TagFilter] = []
    for part in parts:
        found = _category(part)
        if found is None:
            return None
        filters.extend(tag for tag in found.filters if tag not in filters)
    return tuple(filters)


def filters_for(persona: str) -> list[str] | None:
    """The Overpass filters (`nwr[...]`, to union over an area) for a persona, None if unknown."""
    filters = tag_filters_for(persona)
    return None if filters is None else [tag.overpass for tag in filters]


def category_of(tags: Mapping[str, object], filters: tuple[TagFilter, ...]) -> str | None:
    """The value of the first filter that `tags` match: the business's category ("cafe")."""
    for tag in filters:
        value = tag.match(tags)
        if value is not None:
            return value
    return None
