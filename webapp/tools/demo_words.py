"""Word lists and city facts behind the demo directory (`webapp.tools.demo_directory`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    key: str  # the Google Places type the businesses get as their category
    keywords: tuple[str, ...]  # word starts that pick this category from a persona
    words: tuple[str, ...]
    templates: tuple[str, ...]  # {adj} {word} {word2} {surname} {surname2} {first} {street} {city}
    titles: tuple[str, ...]


@dataclass(frozen=True)
class City:
    """A city the directory knows. Phone numbers use ranges reserved for fiction where a country
    has them (Ofcom's 0161 496 0xxx, North America's 555-01xx, ACMA's 02 5550 xxxx ...). In
    patterns `#` is a digit, `@` a letter."""

    name: str
    country: str
    lat: float | None
    lon: float | None
    phone: str | None
    postcodes: tuple[str, ...]  # prefixes; `postcode_tail` completes them
    postcode_tail: str
    address: str  # {num} {street} {postcode}
    streets: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    letters: str = "ABDEFGHJLNPQRSTUWXYZ"  # the letters a UK inward code may use


def _uk(
    name: str,
    lat: float,
    lon: float,
    code: str,
    postcodes: tuple[str, ...],
    streets: tuple[str, ...],
) -> City:
    """A UK city: Ofcom drama numbers `{code} 496 0###` (London has its own), `M4 1AB` codes."""
    phone = "020 7946 0###" if code == "020" else f"{code} 496 0###"
    address = "{num} {street}, " + name + " {postcode}"
    return City(name, "GB", lat, lon, phone, postcodes, " #@@", address, streets)


def _districts(area: str, top: int) -> tuple[str, ...]:
    """Postcode districts `M1` ... `M22`."""
    return tuple(f"{area}{n}" for n in range(1, top + 1))


# fmt: off
ADJECTIVES = (
    "Northern", "Little", "Golden", "Copper", "Old Town", "Riverside", "Hidden", "Wild",
    "Bright", "Green", "Red Brick", "Silver", "Oak", "Harbour", "Union", "Market", "Corner",
    "Blue Door", "Honest", "Good", "Kindred", "Hillside", "Parkside", "True",
)
FIRST_NAMES = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Grace", "Sophie", "Chloe", "Hannah", "Priya",
    "Aisha", "Zara", "Emma", "Laura", "Claire", "Niamh", "Oliver", "George", "Harry", "Jack",
    "Noah", "Leo", "Arjun", "Omar", "James", "Daniel", "Tom", "Sam", "Luca", "Ben", "Marcus",
    "Ethan", "Rory", "Callum", "Mateo", "Felix",
)
SURNAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Wright", "Walker", "Hughes", "Green", "Hall", "Clarke", "Khan", "Murphy", "Kelly",
    "Harrison", "Bennett", "Fletcher", "Morgan", "Reid", "Campbell", "Okafor", "Nowak",
    "Fischer", "Moreau", "Rossi", "Chen", "Nguyen", "Sullivan", "Hart", "Lowe", "Doyle", "Byrne",
)
GENERIC_MAILBOXES = ("hello", "info", "enquiries", "contact", "office", "bookings")
GENERIC_TITLES = ("Owner", "Director", "Manager", "Founder", "Operations Manager")
GENERIC_TEMPLATES = (
    "{adj} {persona}", "{surname} {persona}", "{street} {persona}", "{city} {persona} Co",
    "The {adj} {persona}", "{surname} & {surname2} {persona}", "{adj} {word} {persona}",
)
GENERIC_WORDS = ("Studio", "House", "Works", "Collective", "Lab", "Hub")
FALLBACK_STREETS = (
    "High Street", "Station Road", "Church Street", "Market Street", "Park Road",
    "Victoria Road", "Mill Lane", "King Street", "Queen Street", "Bridge Street",
)
# Words that read wrong in North America, and what a local would say.
US_TERMS = {
    "Solicitors": "Law Group", "Estate Agents": "Realty", "Centre": "Center",
    "Chartered Accountants": "CPAs", "Lettings": "Rentals", "Harbour": "Harbor",
}

CATEGORIES = (
    Category(
        "cafe", ("coffee", "cafe", "café", "espresso", "tea room", "tearoom", "roaster"),
        ("Bean", "Roast", "Grind", "Cup", "Brew", "Crema", "Pour", "Mug", "Kettle", "Press"),
        ("{adj} {word}", "{adj} {word} Coffee", "The {word} Room", "{surname}'s Coffee House",
         "{word} & {word2}", "{adj} {word} Roasters", "{street} Espresso"),
        ("Owner", "Co-founder", "Head Barista", "Café Manager"),
    ),
    Category(
        "dentist", ("dentist", "dental", "orthodont"),
        ("Smile", "Pearl", "Care", "Tooth", "Bright"),
        ("{surname} Dental Practice", "{street} Dental Care", "{adj} Smiles Dental",
         "{city} Family Dentistry", "{surname} & {surname2} Dental", "{word} Dental Studio"),
        ("Practice Manager", "Principal Dentist", "Practice Owner", "Clinical Director"),
    ),
    Category(
        "plumber", ("plumb", "heating engineer", "boiler"),
        ("Flow", "Pipe", "Tap", "Valve", "Drain", "Water"),
        ("{surname} Plumbing & Heating", "{adj} Plumbing", "{word}Right Plumbers",
         "{city} Boiler Services", "{surname} & Sons Plumbing", "{word}line Plumbing Services"),
        ("Owner", "Director", "Lead Plumber", "Office Manager"),
    ),
    Category(
        "florist", ("florist", "flower"),
        ("Petal", "Bloom", "Stem", "Posy", "Blossom", "Fern", "Thistle", "Peony"),
        ("{adj} {word}", "{word} & {word2} Flowers", "{surname}'s Florist", "The {word} Studio",
         "{street} Flowers", "{adj} {word} Florist"),
        ("Owner", "Head Florist", "Studio Manager"),
    ),
    Category(
        "bakery", ("bake", "bakery", "bakeries", "patisserie", "bread", "cake"),
        ("Crust", "Loaf", "Crumb", "Rye", "Sourdough", "Butter", "Flour", "Dough"),
        ("{adj} {word} Bakery", "{surname}'s Bakehouse", "The {word} Bakery", "{word} & {word2}",
         "{street} Bakehouse", "{adj} Loaf"),
        ("Owner", "Head Baker", "Co-founder", "Shop Manager"),
    ),
    Category(
        "restaurant",
        ("restaurant", "bistro", "dining", "eatery", "diner", "pizzeria", "trattoria", "brasserie"),
        ("Table", "Kitchen", "Fig", "Olive", "Ember", "Salt", "Larder", "Vine"),
        ("The {adj} {word}", "{surname}'s Kitchen", "{word} & {word2}", "{street} Bistro",
         "{adj} {word} Dining Rooms", "Trattoria {surname}"),
        ("Owner", "General Manager", "Head Chef", "Restaurant Manager"),
    ),
    Category(
        "hair_salon", ("hair", "salon", "barber"),
        ("Mane", "Fringe", "Curl", "Shear", "Style", "Braid"),
        ("{adj} {word} Hair", "{first}'s Hair Studio", "{word} & {word2} Salon", "The {word} Room",
         "{street} Barbers", "{surname} Hair Co"),
        ("Salon Owner", "Salon Manager", "Creative Director", "Senior Stylist"),
    ),
    Category(
        "gym", ("gym", "fitness", "crossfit", "pilates", "yoga", "personal trainer"),
        ("Iron", "Pulse", "Core", "Forge", "Lift", "Motion", "Summit"),
        ("{word} Fitness", "{adj} {word} Gym", "{city} {word} Club", "{word}House Gym",
         "{street} Strength & Conditioning", "{adj} Fitness Studio"),
        ("Owner", "General Manager", "Head Coach", "Membership Manager"),
    ),
    Category(
        "lawyer", ("lawyer", "solicitor", "law firm", "attorney", "legal"),
        ("Legal", "Law"),
        ("{surname} & {surname2} Solicitors", "{surname} Law", "{surname} {surname2} LLP",
         "{adj} Legal", "{city} Legal Partners", "{surname} & Co Solicitors"),
        ("Managing Partner", "Partner", "Practice Manager", "Senior Associate"),
    ),
    Category(
        "accounting", ("accountant", "accounting", "bookkeep", "tax advis"),
        ("Ledger", "Balance", "Tally", "Clearview", "Summit"),
        ("{surname} & Co Accountants", "{surname} {surname2} Chartered Accountants",
         "{adj} Ledger Accounting", "{word} Tax & Accounts", "{city} Bookkeeping Services",
         "{surname} Associates"),
        ("Director", "Partner", "Practice Manager", "Senior Accountant"),
    ),
    Category(
        "real_estate_agency", ("estate agen", "letting", "realtor", "real estate", "property"),
        ("Key", "Door", "Home", "Nest", "Hearth"),
        ("{surname} Estates", "{adj} Homes", "{surname} & {surname2} Property",
         "{street} Lettings", "{city} {word} Estate Agents", "{adj} Key Property"),
        ("Branch Manager", "Director", "Lettings Manager", "Senior Negotiator"),
    ),
    Category(
        "veterinary_care", ("vet", "veterinar", "animal hospital", "pet clinic"),
        ("Paws", "Tails", "Ark", "Willow", "Whisker"),
        ("{street} Veterinary Clinic", "{adj} Paws Vets", "{surname} & {surname2} Veterinary",
         "{word} Animal Hospital", "{city} Pet Care Centre", "{adj} {word} Vets"),
        ("Practice Manager", "Clinical Director", "Veterinary Surgeon", "Head Nurse"),
    ),
    Category(
        "hotel", ("hotel", "hostel", "b&b", "bed and breakfast", "guest house", "guesthouse"),
        ("Grand", "Crown", "Lodge", "Victoria", "Station", "Harbour"),
        ("The {adj} Hotel", "{street} House Hotel", "{city} {word} Hotel", "The {word} Inn",
         "{surname}'s Guest House", "{adj} {word} Rooms"),
        ("General Manager", "Owner", "Front Office Manager", "Sales Manager"),
    ),
    Category(
        "electrician", ("electric",),
        ("Volt", "Circuit", "Live", "Current", "Switch", "Spark"),
        ("{surname} Electrical", "{adj} Spark Electrical Services", "{word} Electrics",
         "{city} Electrical Contractors", "{surname} & Sons Electrical", "{word}point Electrical"),
        ("Owner", "Director", "Lead Electrician", "Office Manager"),
    ),
)


CITIES = (
    _uk("Manchester", 53.4808, -2.2426, "0161", _districts("M", 22),
        ("Oldham Street", "Deansgate", "Thomas Street", "Tib Street", "Burton Road",
         "Wilmslow Road", "Great Ancoats Street", "Beech Road")),
    _uk("Leeds", 53.8008, -1.5491, "0113", _districts("LS", 17),
        ("Call Lane", "Briggate", "Kirkgate", "Otley Road", "Boar Lane", "Street Lane",
         "The Calls", "Merrion Street")),
    _uk("Bristol", 51.4545, -2.5879, "0117", _districts("BS", 16),
        ("Gloucester Road", "Park Street", "Whiteladies Road", "North Street", "Stokes Croft",
         "Corn Street", "Cheltenham Road", "Wapping Road")),
    _uk("London", 51.5072, -0.1276, "020",
        ("E1", "E2", "E8", "EC1R", "N1", "N16", "SE22", "SW11", "W1U", "SE1"),
        ("Columbia Road", "Upper Street", "Brick Lane", "Exmouth Market", "Lordship Lane",
         "Broadway Market", "Marylebone High Street", "Northcote Road")),
    _uk("Birmingham", 52.4862, -1.8904, "0121", _districts("B", 30),
        ("Colmore Row", "Bull Street", "Harborne High Street", "Moseley Road", "Broad Street",
         "Corporation Street", "Warstone Lane", "Digbeth High Street")),
    _uk("Glasgow", 55.8642, -4.2518, "0141", _districts("G", 42),
        ("Byres Road", "Sauchiehall Street", "Buchanan Street", "Argyle Street",
         "Great Western Road", "Dumbarton Road", "Duke Street", "Victoria Road")),
    _uk("Edinburgh", 55.9533, -3.1883, "0131", _districts("EH", 12),
        ("Leith Walk", "Rose Street", "Broughton Street", "Bruntsfield Place", "Grassmarket",
         "Victoria Street", "Morningside Road", "Raeburn Place")),
    City("Dublin", "IE", 53.3498, -6.2603, "+353 1 ### ####",
         ("D01", "D02", "D04", "D06", "D07", "D08", "D24"), " @#@#",
         "{num} {street}, Dublin {postcode}",
         ("Camden Street", "Grafton Street", "Capel Street", "Dame Street", "Baggot Street",
          "Drury Street", "Thomas Street", "Rathmines Road"), letters="ACDEFHKNPRTVWXY"),
    City("New York", "US", 40.7128, -74.0060, "(212) 555-01##",
         ("10001", "10002", "10003", "10011", "10012", "10013", "10014", "10016", "10019"), "",
         "{num} {street}, New York, NY {postcode}",
         ("Bleecker Street", "Broadway", "Lexington Avenue", "Mulberry Street",
          "West 14th Street", "Amsterdam Avenue", "Orchard Street", "Hudson Street"),
         aliases=("new york city", "nyc", "manhattan")),
    City("Chicago", "US", 41.8781, -87.6298, "(312) 555-01##",
         ("60601", "60605", "60607", "60610", "60611", "60614", "60618", "60622", "60647"), "",
         "{num} {street}, Chicago, IL {postcode}",
         ("North Milwaukee Avenue", "West Division Street", "North Clark Street",
          "West Randolph Street", "South Michigan Avenue", "North Halsted Street")),
    City("San Francisco", "US", 37.7749, -122.4194, "(415) 555-01##",
         ("94102", "94103", "94107", "94109", "94110", "94114", "94117", "94122", "94133"), "",
         "{num} {street}, San Francisco, CA {postcode}",
         ("Valencia Street", "Market Street", "Hayes Street", "Fillmore Street",
          "Columbus Avenue", "Irving Street", "Divisadero Street", "Mission Street"),
         aliases=("sf", "san fran")),
    City("Paris", "FR", 48.8566, 2.3522, "+33 1 99 00 ## ##",
         tuple(f"750{n:02d}" for n in range(1, 21)), "", "{num} {street}, {postcode} Paris",
         ("rue de Rivoli", "rue Oberkampf", "boulevard Saint-Germain", "rue des Martyrs",
          "rue de Charonne", "avenue Parmentier", "rue Montorgueil")),
    City("Berlin", "DE", 52.5200, 13.4050, "+49 30 23125 ###",
         ("10115", "10119", "10178", "10245", "10405", "10435", "10827", "10961", "12047"), "",
         "{street} {num}, {postcode} Berlin",
         ("Torstraße", "Kastanienallee", "Oranienstraße", "Bergmannstraße", "Kantstraße",
          "Schönhauser Allee", "Weserstraße")),
    City("Sydney", "AU", -33.8688, 151.2093, "(02) 5550 ####",
         ("2000", "2007", "2010", "2021", "2026", "2037", "2040", "2042", "2060"), "",
         "{num} {street}, Sydney NSW {postcode}",
         ("George Street", "Pitt Street", "Crown Street", "King Street", "Oxford Street",
          "Glebe Point Road", "Darling Street", "Bondi Road")),
    City("Toronto", "CA", 43.6532, -79.3832, "(416) 555-01##",
         ("M5V", "M5A", "M4Y", "M6J", "M6G", "M5T", "M4M", "M6K", "M5R"), " #@#",
         "{num} {street}, Toronto, ON {postcode}",
         ("Queen Street West", "Ossington Avenue", "Dundas Street West", "College Street",
          "King Street East", "Yonge Street", "Roncesvalles Avenue", "Danforth Avenue"),
         letters="ABCEGHJKLMNPRSTVWXYZ"),
)

# Regions that name a whole country: its businesses are spread over its known cities.
COUNTRY_REGIONS = {
    "GB": ("uk", "gb", "united kingdom", "great britain", "britain", "england"),
    "IE": ("ie", "ireland", "republic of ireland"),
    "US": ("us", "usa", "united states", "america"),
    "FR": ("fr", "france"),
    "DE": ("de", "germany", "deutschland"),
    "AU": ("au", "australia"),
    "CA": ("ca", "canada"),
}
SCOTLAND = ("Glasgow", "Edinburgh")
# Fictional phone ranges for places the directory does not know.
FALLBACK_PHONES = {"GB": "01632 960###", "US": "(555) 555-01##", "CA": "(555) 555-01##"}
# fmt: on
