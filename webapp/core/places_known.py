"""Place names the goal parser knows: ISO 3166-1 alpha-2 codes, country names and aliases,
US states and other subdivisions, and a compact table of well-known cities."""

from __future__ import annotations

import re

from webapp.core.accents import without_accents

ISO_ALPHA2: frozenset[str] = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
    """.split()
)

_COUNTRIES = """
GB: united kingdom|uk|u.k.|great britain|britain|england|scotland|wales|northern ireland
US: united states|united states of america|usa|u.s.a.|us|u.s.|america|the states
IE: ireland|republic of ireland|eire|éire
CA: canada
AU: australia
NZ: new zealand|aotearoa
FR: france
DE: germany|deutschland
ES: spain|españa
IT: italy|italia
NL: netherlands|the netherlands|holland
BE: belgium|belgique|belgië
CH: switzerland|schweiz|suisse|svizzera
AT: austria|österreich
PT: portugal
SE: sweden|sverige
NO: norway|norge
DK: denmark|danmark
FI: finland|suomi
IS: iceland
PL: poland|polska
CZ: czechia|czech republic
HU: hungary
GR: greece
TR: turkey|türkiye|turkiye
LU: luxembourg
MT: malta
CY: cyprus
RO: romania
BG: bulgaria
HR: croatia
SI: slovenia
SK: slovakia
EE: estonia
LV: latvia
LT: lithuania
UA: ukraine
RU: russia
BR: brazil|brasil
MX: mexico|méxico
AR: argentina
CL: chile
CO: colombia
PE: peru|perú
JP: japan|nippon
CN: china
HK: hong kong
TW: taiwan
KR: south korea|korea
IN: india
PK: pakistan
BD: bangladesh
LK: sri lanka
SG: singapore
MY: malaysia
TH: thailand
VN: vietnam|viet nam
ID: indonesia
PH: philippines
AE: united arab emirates|uae
SA: saudi arabia
QA: qatar
IL: israel
EG: egypt
MA: morocco
NG: nigeria
KE: kenya
GH: ghana
ZA: south africa
JE: jersey
GG: guernsey
IM: isle of man
GE: georgia
"""

_SUBDIVISIONS = """
US: alabama|al|alaska|ak|arizona|az|arkansas|ar|california|ca|colorado|co|connecticut|ct
US: delaware|de|florida|fl|georgia|ga|hawaii|hi|idaho|id|illinois|il|indiana|in|iowa|ia
US: kansas|ks|kentucky|ky|louisiana|la|maine|me|maryland|md|massachusetts|ma|michigan|mi
US: minnesota|mn|mississippi|ms|missouri|mo|montana|mt|nebraska|ne|nevada|nv|new hampshire
US: nh|new jersey|nj|new mexico|nm|new york state|ny|north carolina|nc|north dakota|nd|ohio
US: oh|oklahoma|ok|oregon|or|pennsylvania|pa|rhode island|ri|south carolina|sc
US: south dakota|sd|tennessee|tn|texas|tx|utah|ut|vermont|vt|virginia|va|washington|wa
US: west virginia|wv|wisconsin|wi|wyoming|wy|district of columbia|dc|d.c.
CA: ontario|on|quebec|québec|qc|british columbia|bc|alberta|ab|manitoba|mb|saskatchewan
CA: nova scotia|ns|new brunswick|nb|newfoundland|newfoundland and labrador
CA: prince edward island|pei|yukon
AU: new south wales|nsw|victoria|vic|queensland|qld|tasmania|tas|south australia
AU: western australia|northern territory|australian capital territory|act
"""

_CITIES = """
GB: london|greater london|manchester|greater manchester|birmingham|leeds|liverpool|bristol
GB: sheffield|newcastle|newcastle upon tyne|nottingham|leicester|glasgow|edinburgh|cardiff
GB: belfast|brighton|oxford|cambridge|southampton|york|bath|aberdeen|coventry|norwich|exeter
GB: plymouth|swansea|dundee|derby|milton keynes|reading|bradford|hull|stoke-on-trent
GB: wolverhampton|portsmouth|inverness|chester|canterbury|shoreditch|soho|camden|hackney
GB: yorkshire|lancashire|kent|surrey|essex|sussex|cornwall|devon|hampshire|cheshire
IE: dublin|cork|galway|limerick|waterford
US: new york|new york city|nyc|manhattan|brooklyn|los angeles|la|chicago|houston|phoenix
US: philadelphia|san antonio|san diego|dallas|austin|san francisco|sf|san jose|seattle
US: boston|miami|atlanta|denver|washington dc|las vegas|portland|nashville|detroit
US: minneapolis|new orleans|indianapolis|orlando|charlotte|baltimore|pittsburgh|honolulu
US: salt lake city|st louis|saint louis|kansas city|tampa|silicon valley|bay area
CA: toronto|montreal|montréal|vancouver|calgary|ottawa|edmonton|winnipeg|quebec city|halifax
AU: sydney|melbourne|brisbane|perth|adelaide|canberra|gold coast|hobart|darwin
NZ: auckland|wellington|christchurch|queenstown
FR: paris|lyon|marseille|toulouse|nice|bordeaux|lille|nantes|strasbourg
DE: berlin|munich|münchen|hamburg|frankfurt|cologne|köln|stuttgart|düsseldorf|leipzig|dresden
ES: madrid|barcelona|valencia|seville|sevilla|málaga|bilbao
IT: rome|roma|milan|milano|naples|napoli|turin|torino|florence|firenze|venice|venezia|bologna
NL: amsterdam|rotterdam|the hague|den haag|utrecht|eindhoven
BE: brussels|bruxelles|brussel|antwerp|antwerpen|ghent|gent|bruges
CH: zürich|zurich|geneva|genève|basel|bern|lausanne
AT: vienna|wien|salzburg|innsbruck|graz
PT: lisbon|lisboa|porto|oporto
SE: stockholm|gothenburg|göteborg|malmö
NO: oslo|bergen
DK: copenhagen|københavn|aarhus
FI: helsinki
PL: warsaw|kraków
CZ: prague|praha
HU: budapest
GR: athens
TR: istanbul
BR: são paulo|rio de janeiro|rio|brasília|belo horizonte
MX: mexico city|ciudad de méxico|cdmx|guadalajara|monterrey|cancún
AR: buenos aires
JP: tokyo|osaka|kyoto|yokohama
KR: seoul
CN: beijing|shanghai
IN: mumbai|delhi|new delhi|bangalore|bengaluru|chennai|hyderabad|pune|kolkata
AE: dubai|abu dhabi
ZA: cape town|johannesburg|durban|pretoria
"""

# Cities that are also everyday words: never taken as a place unless after "in", "near" ...
COMMON_WORD_CITIES: frozenset[str] = frozenset(
    {"bath", "nice", "reading", "rio", "la", "sf", "hull", "derby", "chester", "darwin", "york"}
    | {"kent", "essex", "surrey", "devon", "cork", "perth", "soho", "camden", "phoenix"}
)
# Regions spanning several countries: a place, but no single country.
MULTI_COUNTRY_REGIONS: frozenset[str] = frozenset(
    {"europe", "asia", "africa", "north america", "south america", "latin america"}
    | {"central america", "the caribbean", "caribbean", "scandinavia", "the nordics", "emea"}
    | {"the middle east", "middle east", "oceania", "the balkans", "benelux", "dach"}
)
# Written in capitals whatever case the user typed: "nyc" -> "NYC".
UPPER_WORDS: frozenset[str] = frozenset(
    {"nyc", "la", "sf", "dc", "uk", "us", "usa", "uae", "nsw", "qld", "act", "cdmx", "pei"}
)
# Two-letter codes that are both a country and a US state: the state wins, except these.
CODES_PREFERRING_COUNTRY: frozenset[str] = frozenset({"DE"})

_FOLD_DROP = re.compile(r"[.'’]")
_FOLD_SPACE = re.compile(r"[\s\-_]+")


def fold(text: str) -> str:
    """A lookup key: no accents, case-folded, no dots or apostrophes, single spaces."""
    bare = without_accents(text).casefold()
    return _FOLD_SPACE.sub(" ", _FOLD_DROP.sub("", bare)).strip()


def _table(spec: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for line in spec.strip().splitlines():
        code, names = line.split(":", 1)
        for name in names.split("|"):
            table.setdefault(fold(name), code.strip())
    return table


COUNTRY_NAMES: dict[str, str] = _table(_COUNTRIES)
SUBDIVISIONS: dict[str, str] = _table(_SUBDIVISIONS)
CITIES: dict[str, str] = _table(_CITIES)
