"""Reads a goal typed in plain words ("Find 20 coffee shops in Manchester") into a LeadGenGoal.

Keyword overrides, as a form's fields give them, win over what the text says.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from webapp.core import places_known as places
from webapp.core.business_kinds import names_a_business
from webapp.core.errors import GoalError
from webapp.core.models import LeadGenGoal

DEFAULT_VOLUME = 20
DEFAULT_MAX_VOLUME = 500
MAX_GOAL_LENGTH = 500
MAX_FIELD_LENGTH = 100

EXAMPLE_GOAL = "“Find 20 coffee shops in Manchester”"
EMPTY_GOAL_MESSAGE = f"Type a goal, for example {EXAMPLE_GOAL}."
HTML_GOAL_MESSAGE = (
    "The goal contains HTML markup; describe what you are looking for in plain words."
)
NO_PERSONA_MESSAGE = (
    "Say what kind of business to look for (coffee shops, dentists, plumbers ...), "
    f"for example {EXAMPLE_GOAL}."
)
UNREAD_PERSONA_MESSAGE = (
    "leadgen could not find a kind of business in “{persona}”. Say what to look for, for "
    f"example {EXAMPLE_GOAL}, “50 dentists in Leeds” or “plumbers near Bristol”."
)
_OVERRIDE_NAMES = frozenset(
    {"volume", "region", "country", "persona", "email", "monitoring", "timing"}
    | {"max_volume", "default_volume"}
)

# --- checks on raw text ------------------------------------------------------------------

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_MARKUP_RE = re.compile(
    r"<\s*/?\s*[a-z][\w:-]*(?:\s[^<>]*)?/?\s*>"  # a whole tag: <b>, </b>, <img src=x>, <br/>
    r"|<\s*/?\s*(?:script|iframe|svg|style|object|embed|math|template)\b"  # left open
    r"|<\s*[a-z][\w:-]*\s+[\w-]+\s*=|<\s*[a-z][\w:-]*\s*/"  # <img src=..., <br /
    r"|<!--|<!\s*doctype|<\?",
    re.IGNORECASE,
)
_QUOTES = str.maketrans({"’": "'", "‘": "'", "‛": "'", "“": '"', "”": '"', "„": '"'})
_GOAL_EDGE = " \"'.!?,;:"
_FIELD_EDGE = " \t\"'.,;:!?*#|/\\-–—_~`"
_SPACES_RE = re.compile(r"\s+")

# --- timing ------------------------------------------------------------------------------

_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november"
    r"|december)"
)
_PERIOD = r"(?:day|week|weekend|month|quarter|year)"
_DAY_NUMBER = r"\d{1,2}(?:st|nd|rd|th)"
_AMOUNT = (
    r"(?:\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|(?:a\s+)?(?:few|couple\s+of))"
)
_TIMING_RE = re.compile(
    r"(?<!\w)(?:"
    r"(?:by|before|until|till|no\s+later\s+than)\s+(?:the\s+)?"
    rf"(?:end\s+of\s+(?:the\s+|this\s+|next\s+)?{_PERIOD}|(?:this\s+|next\s+)?{_WEEKDAY}"
    rf"|(?:this\s+|next\s+){_PERIOD}|tomorrow|tonight|today|eod|eow|eom|cob"
    rf"|close\s+of\s+business|christmas|xmas|easter|{_DAY_NUMBER}(?:\s+(?:of\s+)?{_MONTH})?"
    rf"|{_MONTH}(?:\s+{_DAY_NUMBER}|\s+\d{{1,2}}(?!\d))?)"
    rf"|(?:on|for|this|next|coming|this\s+coming)\s+{_WEEKDAY}"
    rf"|(?:this|next|the\s+coming|coming)\s+{_PERIOD}"
    rf"|(?:at\s+the\s+)?end\s+of\s+(?:the\s+|this\s+|next\s+){_PERIOD}"
    rf"|(?:within|in|over)\s+(?:the\s+)?(?:next\s+)?{_AMOUNT}\s+(?:hours?|days?|weeks?|months?)"
    rf"|(?:within|in|over)\s+the\s+next\s+{_PERIOD}"
    r"|today|tomorrow|tonight|asap|a\.s\.a\.p\.?|as\s+soon\s+as\s+(?:possible|you\s+can)"
    r"|right\s+away|right\s+now|straight\s+away|immediately|urgently"
    r")(?!\w)",
    re.IGNORECASE,
)
_ASAP_WORDS = frozenset(
    {"asap", "a.s.a.p", "a.s.a.p.", "as soon as possible", "as soon as you can", "right away"}
    | {"right now", "straight away", "immediately", "urgently"}
)
_CAPITALISED_TIMING_RE = re.compile(rf"\b(?:{_WEEKDAY}|{_MONTH}|christmas|easter)\b")

# --- the verb a goal opens with -------------------------------------------------------------

_NUMBER_AHEAD = (
    r"(?=\s+(?:\d|~|(?:a|an|the|some|all|every|any|local|new|more|me|us|up|around|about"
    r"|approximately|roughly|at|over|several|few|top|best|one|two|three|four|five|six|seven"
    r"|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty"
    r"|ninety|hundred|dozen)\b))"
)
_POLITE_RE = re.compile(
    r"^(?:please|pls|plz|kindly|hey|hi|hello|ok|okay|so|now|just|quickly|also|and|then"
    r"|(?:can|could|would|will)\s+(?:you|we)(?:\s+please)?|help\s+me(?:\s+to)?"
    r"|(?:i|we)(?:'d|\s+would)\s+like(?:\s+you)?\s+to|(?:i|we)\s+(?:want|need)(?:\s+you)?\s+to"
    r"|let'?s|go(?:\s+and)?|try\s+to|(?:goal|task)\s*:)(?:[\s,:!]+|$)",
    re.IGNORECASE,
)
_FIND_RE = re.compile(
    r"^(?:(?:(?:i'?m|i\s+am|we'?re|we\s+are)\s+)?(?:looking|searching|hunting)\s+(?:out\s+)?for"
    r"|(?:(?:i|we)\s+)?(?:need|want|require)|(?:i|we)(?:'d|\s+would)\s+like"
    r"|find|get|fetch|grab|give|show|list|search(?:\s+for)?|look\s+(?:for|up)|source"
    r"|pull(?:\s+up)?|scrape|generate|compile|collect|gather|locate|discover|identify"
    r"|hunt(?:\s+(?:down|for))?|research|bring|return|produce|dig\s+up|track\s+down"
    r"|round\s+up|build|make|create|put\s+together|draw\s+up|prospect(?:\s+for)?|target)"
    r"(?:\s+(?:me|us))?(?:[\s,:]+|$)",
    re.IGNORECASE,
)
_CONTACT_RE = re.compile(
    r"^(?:(?:(?P<email>(?:cold[- ]?)?e-?mail)|contact|message|call|phone|ring)"
    rf"{_NUMBER_AHEAD}\s+"
    r"|(?P<email2>cold[- ]?e-?mail|send\s+(?:an?\s+)?e-?mails?\s+to)\s+"
    r"|(?:reach\s+out\s+to|get\s+in\s+touch\s+with)\s+)",
    re.IGNORECASE,
)
_MONITOR_RE = re.compile(
    r"^(?:(?:monitor|track|watch(?:\s+out)?\s+for|keep\s+(?:an?\s+)?eye\s+(?:out\s+)?(?:on|for)"
    r"|keep\s+track\s+of|alert\s+me\s+(?:to|about|of)|notify\s+me\s+(?:of|about))\s+"
    rf"|watch{_NUMBER_AHEAD}\s+)(?:(?:any|all)\s+)?(?:new(?:ly\s+opened)?\s+)?",
    re.IGNORECASE,
)
_LEADING_PLACE_RE = re.compile(r"^(?:in|near|around|across|throughout)\s+", re.IGNORECASE)
_LEADING_PLACE_END_RE = re.compile(r"\s*[,:;]\s+|\s+[-–—]\s+")

# --- what follows the search: outreach, monitoring ----------------------------------------

_EMAIL_WORD = r"e-?mail(?:s|ing|ed)?"
_NOT_OUTREACH = r"(?!\s+(?:address|addresses|list|lists|contacts?|details|marketing))"
_STRONG_CUE = (
    rf"(?:by|via|over|through|using|with)\s+(?:an?\s+|the\s+|some\s+)?(?:cold\s+)?{_EMAIL_WORD}\b"
    rf"{_NOT_OUTREACH}"
    rf"|(?:cold[- ]?)?{_EMAIL_WORD}\s+(?:them|each|every|all|those|these|it)\b"
    r"|(?:send|sending)\s+(?:them|each|every|all|those|these|it|an?|some)\b"
    rf"|cold[- ]?{_EMAIL_WORD}\b{_NOT_OUTREACH}"
    r"|monitor(?:ing)?\s+(?:for|weekly|daily|monthly|them|it|regularly|continuously|new|every"
    r"|each|ongoing|going)\b"
    r"|keep\s+(?:an?\s+)?eye\b|keep\s+(?:watching|tracking|monitoring|checking|looking)\b"
    r"|watch(?:ing)?\s+(?:out\s+)?for\b|track(?:ing)?\s+(?:new|any|future|upcoming|fresh)\b"
    r"|look(?:ing)?\s+out\s+for\b|(?:alert|notify|ping)\s+(?:me|us)\b|let\s+(?:me|us)\s+know\b"
    r"|keep\s+(?:me|us)\s+(?:posted|updated|informed)\b"
    r"|(?:weekly|daily|monthly|ongoing|continuous|regular)\s+monitoring\b"
)
_WEAK_CUE = (
    rf"(?:(?:cold[- ]?)?{_EMAIL_WORD}|send|sending|reach(?:ing)?\s+out|contact(?:ing)?|message"
    r"|call|phone|ring|get\s+in\s+touch|follow[- ]?up|monitor(?:ing)?|keep|watch(?:ing)?"
    r"|track(?:ing)?|notify|alert|set\s*up|start|launch|run|draft|write|add|put|enrich|check"
    r"|ping|save|export|outreach)"
    r"(?=\s*$|\s+(?:them|each|every|all|those|these|it|me|us|to|with|about|for|by|via|on|out"
    r"|up|a|an|the|some|any|new|weekly|daily|monthly|regularly|back|again|in|and|then)\b)"
    rf"|(?:an?\s+|the\s+)?(?:cold\s+)?{_EMAIL_WORD}\s+(?:sequences?|campaigns?|outreach|drips?"
    r"|cadences?|follow[- ]?ups?|blasts?)\b"
    r"|monitoring\b"
)
_LINK = (
    r"(?:and|then|also|plus|so|to|for|with|using|via|by|over|through|please|but|afterwards"
    r"|after\s+that|so\s+(?:that\s+)?(?:i|we)\s+can|(?:i|we)\s+(?:want|need|would\s+like|'d\s+like)"
    r"(?:\s+you)?(?:\s+to)?|don'?t|do\s+not|no|not|never|without|skip|&|\+)"
)
_BREAK = r"\s*(?:[,;:!?]|\.(?=\s)|\s[-–—]+)\s*"
_TAIL_RE = re.compile(
    rf"(?:{_BREAK}|\s+)(?:{_LINK}\s+)*(?:{_STRONG_CUE})"
    rf"|(?:{_BREAK}(?:{_LINK}\s+)*|\s+(?:{_LINK}\s+)+)(?:{_WEAK_CUE})",
    re.IGNORECASE,
)
_CLAUSE_SPLIT_RE = re.compile(r"\s*(?:[,;]|\b(?:and|then|but|plus|also)\b|&|\+)\s*", re.I)
_NEGATION_RE = re.compile(r"\b(?:don'?t|do\s+not|no|not|never|without|skip|except)\b", re.I)
_EMAIL_CUE_RE = re.compile(r"\be-?mail|\bmailshots?\b|\bnewsletters?\b", re.IGNORECASE)
_MONITOR_CUE_RE = re.compile(
    r"\bmonitor|\bkeep\s+(?:an?\s+)?eye|\bkeep\s+(?:watching|tracking|checking|looking)"
    r"|\bwatch|\btrack|\balert|\bnotif|\b(?:let|tell)\s+(?:me|us)\b"
    r"|\bkeep\s+(?:me|us)\s+(?:posted|updated|informed)|\blook(?:ing)?\s+out"
    r"|\bcheck\s+(?:back|again|weekly|daily|monthly|regularly)"
    r"|\bnew\s+(?:ones|openings?|businesses|places|listings|arrivals|entries)\b"
    r"|\bnewly\s+opened|\b(?:as|when)\s+(?:they|new\s+ones)\s+open",
    re.IGNORECASE,
)

# --- how many -------------------------------------------------------------------------------

_QUALIFIERS_RE = re.compile(
    r"^(?:(?:around|about|approx(?:imately)?|roughly|circa|up\s+to|upto|at\s+least|at\s+most"
    r"|no\s+more\s+than|no\s+less\s+than|not\s+more\s+than|max(?:imum)?(?:\s+of)?"
    r"|min(?:imum)?(?:\s+of)?|some|like|maybe|perhaps|only|just|exactly|over|under|nearly"
    r"|almost|more\s+than|less\s+than|fewer\s+than|(?:the\s+)?top|(?:the\s+)?first|another"
    r"|an?\s+(?:extra|additional|further)|(?:a\s+)?(?:list|batch|total|set|group)\s+of"
    r"|between)\b\.?\s*|~\s*)*",
    re.IGNORECASE,
)
_UNIT = (
    r"hours?|hrs?|h|stars?|minutes?|mins?|days?|years?|yrs?|weeks?|months?|storey|stor(?:y|ies)"
    r"|floors?|beds?|bedrooms?|rooms?|seats?|seaters?|screens?|miles?|mi|km|kms|kilomet(?:er|re)s?"
    r"|metres?|meters?|m|ft|feet|pence|p|cents?|pounds?|dollars?|euros?|acres?|inch(?:es)?|cm|mm"
)
_WHOLE = r"\d{1,3}(?:,\d{3})+(?![\d,])|\d+"
_NUMBER_RE = re.compile(
    rf"(?P<sign>[-−])?(?P<num>{_WHOLE})(?P<frac>\.\d+)?"
    r"(?:\s*(?P<mult>k|thousand|million|hundred|dozen)\b)?"
    rf"(?:\s*(?:-|–|to|and)\s*(?P<hi>{_WHOLE})(?![\d.]))?"
    r"(?:\s*[x×](?=\s))?"
    rf"(?!\w)(?!\s*-?\s*(?:{_UNIT})(?!\w))",
    re.IGNORECASE,
)
_UNIT_AHEAD_RE = re.compile(rf"\s*-?\s*(?:{_UNIT})(?!\w)", re.IGNORECASE)
_LATE_VOLUME_RE = re.compile(
    rf"(?:^|\s+|,\s*|\()[x×]?\s*(?P<num>{_WHOLE})\s*(?:leads|results|contacts|prospects"
    r"|records|entries|listings|of\s+them|max|maximum|in\s+total|total)\b\)?"
    rf"|\s*\((?P<paren>{_WHOLE})\)"
    rf"|(?:^|\s+|,\s*)(?:limit|max(?:imum)?|up\s+to|[x×])\s*(?:of\s*)?:?\s*(?P<cap>{_WHOLE})(?!\w)",
    re.IGNORECASE,
)
_WORD_RE = re.compile(r"\s*([^\W\d_]+(?:-[^\W\d_]+)*)")
_SMALL_NUMBERS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
        " fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_TENS = {
    word: 10 * (index + 2)
    for index, word in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())
}
_SCALES = {"thousand": 1_000, "million": 1_000_000}

# --- what kind of business, and where --------------------------------------------------------

_FILLER_RE = re.compile(
    r"^(?:some|(?:a\s+)?few|several|(?:a\s+)?handful\s+of|any|all(?:\s+of)?(?:\s+the)?|every"
    r"|each|the|a|an|local|nearby|(?:the\s+)?(?:very\s+)?best|(?:the\s+)?top(?:[-\s]rated)?"
    r"|highly[-\s]rated|well[-\s]reviewed|good|great|decent|popular|quality|reputable|more"
    r"|other|different|extra|additional|of(?:\s+the)?|(?:dozens|hundreds|lots|loads|plenty)\s+of"
    r"|a\s+(?:lot|bunch)\s+of|bunch\s+of|many|various"
    r"|(?:an?\s+)?(?:lead\s+|prospect\s+|contact\s+)?(?:list|database|spreadsheet|csv)\s+(?:of|with)"
    r"|(?:leads?|prospects?|contacts?)\s*:|leads?\s+(?:for|of|on|from|in|among)|prospects?\s+(?:for|of|in)|contacts?\s+(?:for|at|of|in)"
    r"|(?:e-?mails?|e-?mail\s+addresses|contact\s+details)\s+(?:for|of|from)"
    r"|(?:businesses|places)\s+like|x)(?:\s+|$)",
    re.IGNORECASE,
)
_TRAILING_RE = re.compile(
    r"(?:\s*[,;:&+\-–—]+|\s+(?:and|then|also|plus|please|pls|plz|thanks|thank\s+you|for\s+me"
    r"|for\s+us|to|so|now|quickly|if\s+possible|if\s+you\s+can|ok|okay|in|near|around|at|from"
    r"|within|across))+\s*$",
    re.IGNORECASE,
)
_PERSONA_TAIL_RE = re.compile(r"\s+(?:leads?|prospects?|contacts?)$", re.IGNORECASE)
_NEAR_ME_RE = re.compile(
    r"(?:^|\s+)(?:(?:that\s+are\s+)?(?:near|around|close\s+to|local\s+to)\s+(?:me|us|here"
    r"|my\s+(?:area|location|office|place|home))|nearby|near\s+by|close\s+by|locally"
    r"|in\s+(?:my|our|the)\s+(?:local\s+)?(?:area|city|town|neighbou?rhood|vicinity)"
    r"|around\s+here)(?=$|[\s,.!?;])",
    re.IGNORECASE,
)
_DISTANCE = (
    r"(?:(?:within|under|less\s+than|up\s+to)\s+|<\s*)?\d+(?:\.\d+)?\s*(?:miles?|mi|km|kms"
    r"|kilomet(?:er|re)s?|minutes?|mins?)\s+(?:of|from|around|near|outside)\s+"
)
_PLACE_PREP_RE = re.compile(
    rf"(?:^|\s+)(?:{_DISTANCE}|(?:(?:based|located|situated|operating|headquartered)\s+)?"
    r"(?:in|near|around(?!\s+\d)|across|within(?!\s+\d)|throughout|inside|close\s+to|from"
    r"|all\s+over|round)\s+)",
    re.IGNORECASE,
)
_PLACE_CLAUSE_RE = re.compile(
    r"\s+(?=(?:that|which|who|whose|with|where|offering|serving|selling|open|specialising"
    r"|specializing|without)\b)",
    re.IGNORECASE,
)
_PLACE_QUALIFIERS_RE = re.compile(
    r"\b(?:central|greater|downtown|uptown|inner|outer|north|south|east|west|northern|southern"
    r"|eastern|western|city\s+cent(?:re|er)|cent(?:re|er)|area|region|metro(?:politan)?"
    r"|suburbs?|outskirts|surrounding(?:s|\s+areas?)?|of|the|county|borough|district)\b",
    re.IGNORECASE,
)
_AREA_RE = re.compile(r"(?:the\s+)?(?P<name>.+?)(?:\s+(?:area|region))?", re.IGNORECASE)
_PLACE_PARTS_RE = re.compile(r"\s*(?:,|/|&|\+|\band\b|\bor\b)\s*", re.IGNORECASE)
_LOWER_PARTICLES = frozenset(
    "upon on of the and de da do dos das del della di la le les du des sur am im an der den"
    " van von y en".split()
)
_STOPWORDS = frozenset(
    "a an the and or of for to in on at by with near me us some any all them it this that"
    " these those please new more".split()
)
_GENERIC_PERSONAS = frozenset(
    "lead leads prospect prospects contact contacts result results one ones people things"
    " stuff entries records email emails something anything someone anyone".split()
) | {"email addresses", "contact details"}


@dataclass
class _Reading:
    """What the text says, before overrides and checks."""

    persona: str = ""
    place: str = ""
    volume: int | str | None = None  # a str is a number that is not whole, as written
    timing: str | None = None
    email: bool | None = None
    monitoring: bool | None = None


def parse_goal(text: str, **overrides: Any) -> LeadGenGoal:
    """Read a goal; raise GoalError, naming the input at fault, when it cannot be planned."""
    unknown = sorted(set(overrides) - _OVERRIDE_NAMES)
    if unknown:
        raise TypeError(f"parse_goal() got an unexpected keyword argument {unknown[0]!r}")
    max_volume = _config_count(overrides.get("max_volume"), DEFAULT_MAX_VOLUME, "max_volume")
    default_volume = _config_count(
        overrides.get("default_volume"), DEFAULT_VOLUME, "default_volume"
    )
    reading = _read(_check_goal_text(text))
    persona = _choose_persona(reading.persona, overrides.get("persona"))
    volume = _choose_volume(
        reading.volume, overrides.get("volume"), min(default_volume, max_volume), max_volume
    )
    region, country = _choose_place(reading.place, overrides.get("region"))
    if overrides.get("country") is not None:
        country = _coerce_country(overrides["country"])
    email = _choose_flag(reading.email, overrides.get("email"), "email")
    return LeadGenGoal(
        raw_goal=text.strip(),
        target_region=region,
        target_persona=persona,
        volume=volume,
        timing=_choose_timing(reading.timing, overrides.get("timing")),
        preferred_channels=["email"] if email else [],
        include_monitoring=_choose_flag(
            reading.monitoring, overrides.get("monitoring"), "monitoring"
        ),
        target_country=country,
    )


# --- checks ------------------------------------------------------------------------------


def _config_count(value: object, default: int, name: str) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")
    return value


def _check_goal_text(text: object) -> str:
    """The goal, normalised; the length is checked before any other work."""
    if not isinstance(text, str):
        raise GoalError(EMPTY_GOAL_MESSAGE, field="goal")
    if len(text) > MAX_GOAL_LENGTH:
        raise GoalError(
            f"The goal is {len(text):,} characters long; keep it to {MAX_GOAL_LENGTH} "
            "characters or fewer.",
            field="goal",
        )
    _reject_controls(text, "goal", "The goal")
    clean = _normalise(text).strip(_GOAL_EDGE)
    if not clean:
        raise GoalError(EMPTY_GOAL_MESSAGE, field="goal")
    if _MARKUP_RE.search(clean):
        raise GoalError(HTML_GOAL_MESSAGE, field="goal")
    return clean


def _reject_controls(text: str, field: str, label: str) -> None:
    for char in text:
        if char in "\t\n\r":
            continue
        if unicodedata.category(char) in ("Cc", "Cs") or char in _BIDI_CONTROLS:
            raise GoalError(
                f"{label} contains an invisible control character (U+{ord(char):04X}); "
                "type it again in plain words.",
                field=field,
            )


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = "".join(char for char in text if unicodedata.category(char) != "Cf")
    return _SPACES_RE.sub(" ", text.translate(_QUOTES)).strip()


def _check_field(value: object, field: str, label: str) -> str:
    """An override's text, normalised: at most MAX_FIELD_LENGTH characters, no markup."""
    if not isinstance(value, str):
        raise GoalError(f"{label} must be text.", field=field)
    if len(value) > MAX_FIELD_LENGTH:
        raise GoalError(
            f"{label} is {len(value):,} characters long; keep it to {MAX_FIELD_LENGTH} "
            "characters or fewer.",
            field=field,
        )
    _reject_controls(value, field, label)
    clean = _normalise(value).strip(_FIELD_EDGE)
    if _MARKUP_RE.search(clean):
        raise GoalError(f"{label} contains HTML markup; type it in plain words.", field=field)
    return clean


# --- choosing between the text and the overrides ---------------------------------------------


def _choose_persona(from_text: str, override: object) -> str:
    if override is not None:
        persona = _check_field(override, "persona", "The kind of business").lower()
    else:
        persona = from_text
        if len(persona) > MAX_FIELD_LENGTH:
            raise GoalError(
                f"The kind of business is {len(persona)} characters long; describe it in "
                f"{MAX_FIELD_LENGTH} characters or fewer, such as “independent coffee shops”.",
                field="persona",
            )
    if _is_missing(persona):
        raise GoalError(NO_PERSONA_MESSAGE, field="persona")
    if override is None and not names_a_business(persona):
        # read from the goal's words, it may be no business at all ("asdf"); one the user
        # typed as the kind of business is taken as they wrote it
        raise GoalError(UNREAD_PERSONA_MESSAGE.format(persona=persona), field="persona")
    return persona


def _is_missing(persona: str) -> bool:
    words = persona.split()
    return (
        not any(char.isalpha() for char in persona)
        or persona in _GENERIC_PERSONAS
        or all(word in _STOPWORDS for word in words)
    )


def _choose_volume(from_text: int | str | None, override: object, default: int, top: int) -> int:
    if override is not None:
        volume = _coerce_volume(override)
    elif isinstance(from_text, str):
        raise GoalError(
            f"Ask for a whole number of leads, such as 20, not “{from_text}”.", field="volume"
        )
    else:
        volume = default if from_text is None else from_text
    if not 1 <= volume <= top:
        raise GoalError(
            f"Ask for between 1 and {top:,} leads; the goal asks for {volume:,}.", field="volume"
        )
    return volume


def _coerce_volume(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and len(value) <= 20:
        match = re.fullmatch(rf"\s*(?P<sign>[-+]?)(?P<num>{_WHOLE})\s*", value)
        if match:
            return int(match["sign"] + match["num"].replace(",", ""))
    shown = str(value)[:30]
    raise GoalError(
        f"The number of leads must be a whole number, such as 20, not “{shown}”.", field="volume"
    )


def _choose_place(from_text: str, override: object) -> tuple[str, str | None]:
    if override is not None:
        return _resolve_place(_check_field(override, "region", "The region"))
    region, country = _resolve_place(from_text)
    if len(region) > MAX_FIELD_LENGTH:
        raise GoalError(
            f"The place is {len(region)} characters long; name it in {MAX_FIELD_LENGTH} "
            "characters or fewer, such as “Manchester”.",
            field="region",
        )
    return region, country


def _coerce_country(value: object) -> str | None:
    text = _check_field(value, "country", "The country")
    if not text:
        return None
    key = places.fold(text)
    if len(key) == 2 and key.upper() in places.ISO_ALPHA2:
        return key.upper()
    code = places.COUNTRY_NAMES.get(key) or places.COUNTRY_NAMES.get(key.removeprefix("the "))
    if code is None:
        raise GoalError(
            f"“{text}” is not a country I know; use a two-letter ISO code such as GB, US or FR, "
            "or a country name such as France.",
            field="country",
        )
    return code


def _choose_flag(from_text: bool | None, override: object, field: str) -> bool:
    if override is None:
        return bool(from_text)
    if not isinstance(override, bool):
        raise GoalError(
            f"“{field}” must be true or false, not {str(override)[:30]!r}.", field=field
        )
    return override


def _choose_timing(from_text: str | None, override: object) -> str:
    if override is None:
        return from_text or "asap"
    return _check_field(override, "timing", "The timing") or "asap"


# --- reading the text ------------------------------------------------------------------------


def _read(text: str) -> _Reading:
    reading = _Reading()
    text = _take_timing(text, reading)
    text, place = _take_leading_place(text)
    text = _take_verbs(text, reading)
    text = _take_tail(text, reading)
    text = _TRAILING_RE.sub("", text)
    text = _take_volume(text, reading)
    text, near_me = _take_near_me(text)
    if not place:
        text, place = _split_place(text)
        if not place and not near_me:
            text, place = _place_in_persona(text)
    reading.persona = _tidy_persona(text)
    reading.place = "" if near_me else place
    return reading


def _take_timing(text: str, reading: _Reading) -> str:
    match = _TIMING_RE.search(text)
    if match is None:
        return text
    when = _SPACES_RE.sub(" ", match.group(0).lower())
    if when in _ASAP_WORDS:
        reading.timing = "asap"
    else:
        reading.timing = _CAPITALISED_TIMING_RE.sub(lambda m: m.group(0).capitalize(), when)
    return _SPACES_RE.sub(" ", _TIMING_RE.sub(" ", text)).strip()


def _take_leading_place(text: str) -> tuple[str, str]:
    """Turn "In Manchester, find 20 coffee shops" into ("find 20 coffee shops", "Manchester")."""
    lead = _LEADING_PLACE_RE.match(text)
    if lead is None:
        return text, ""
    for end in _LEADING_PLACE_END_RE.finditer(text, lead.end()):
        rest = text[end.end() :]
        opens_request = _FIND_RE.match(rest) or _POLITE_RE.match(rest) or _CONTACT_RE.match(rest)
        if opens_request or _number_at(rest):
            return rest, text[lead.end() : end.start()]
    return text, ""


def _number_at(text: str) -> bool:
    start = _QUALIFIERS_RE.match(text)
    offset = start.end() if start else 0
    return bool(_NUMBER_RE.match(text, offset)) or _word_number(text[offset:]) is not None


def _take_verbs(text: str, reading: _Reading) -> str:
    """Drop the opening verbs ("Can you please find me"); note "email"/"monitor" ones."""
    for _ in range(8):
        found = _opening_verb(text)
        if found is None:
            break
        pattern, match = found
        if pattern is _CONTACT_RE and (match["email"] or match["email2"]):
            reading.email = True
        if pattern is _MONITOR_RE:
            reading.monitoring = True
        text = text[match.end() :]
    return text


def _opening_verb(text: str) -> tuple[re.Pattern[str], re.Match[str]] | None:
    for pattern in (_POLITE_RE, _FIND_RE, _CONTACT_RE, _MONITOR_RE):
        match = pattern.match(text)
        if match and match.end() > 0:
            return pattern, match
    return None


def _take_tail(text: str, reading: _Reading) -> str:
    """Cut off what follows the search ("... and email them"), noting the cues it holds."""
    match = _TAIL_RE.search(text)
    if match is None:
        return text
    clauses = _CLAUSE_SPLIT_RE.split(text[match.start() :])
    reading.email = reading.email or _cue(clauses, _EMAIL_CUE_RE)
    reading.monitoring = reading.monitoring or _cue(clauses, _MONITOR_CUE_RE)
    return text[: match.start()]


def _cue(clauses: list[str], cue: re.Pattern[str]) -> bool | None:
    """True if a clause asks for it, False if clauses only refuse it, None if none mention it."""
    found: bool | None = None
    for clause in clauses:
        match = cue.search(clause)
        if match is None:
            continue
        if not _NEGATION_RE.search(clause[: match.start()]):
            return True
        found = False
    return found


def _take_volume(text: str, reading: _Reading) -> str:
    volume, text = _leading_volume(text)
    text = _strip_filler(text)
    if volume is None:
        volume, text = _leading_volume(text)
        text = _strip_filler(text)
    if volume is None:
        late = _LATE_VOLUME_RE.search(text)
        if late:
            volume = int((late["num"] or late["paren"] or late["cap"]).replace(",", ""))
            text = (text[: late.start()] + " " + text[late.end() :]).strip()
    reading.volume = volume
    return text


def _strip_filler(text: str) -> str:
    for _ in range(8):
        match = _FILLER_RE.match(text)
        if match is None or match.end() == 0:
            break
        text = text[match.end() :]
    return text


def _leading_volume(text: str) -> tuple[int | str | None, str]:
    """The number a goal opens with: "20", "1,000", "up to 30", "a dozen", "20-30" (-> 30)."""
    qualifiers = _QUALIFIERS_RE.match(text)
    start = qualifiers.end() if qualifiers else 0
    digits = _NUMBER_RE.match(text, start)
    if digits:
        return _digits_value(digits), text[digits.end() :].lstrip()
    words = _word_number(text[start:])
    if words is not None:
        value, length = words
        return value, text[start + length :].lstrip()
    return None, text


def _digits_value(match: re.Match[str]) -> int | str:
    written = match["hi"] or match["num"] + (match["frac"] or "")
    value = Fraction(written.replace(",", ""))
    scale = {"k": 1_000, "thousand": 1_000, "million": 1_000_000, "hundred": 100, "dozen": 12}
    value *= scale.get((match["mult"] or "").lower(), 1)
    if (match["frac"] and not match["mult"]) or value.denominator != 1:
        return match.group(0).strip()
    return -int(value) if match["sign"] else int(value)


def _word_number(text: str) -> tuple[int, int] | None:
    """(value, length) of a number in words opening the text: "twenty-five", "a hundred"."""
    tokens: list[tuple[list[str], int]] = []
    position = 0
    while len(tokens) < 8 and (match := _WORD_RE.match(text, position)):
        tokens.append((match.group(1).lower().split("-"), match.end()))
        position = match.end()
    words = [word for parts, _ in tokens for word in parts]
    used = _count_number_words(words)
    consumed, end = 0, 0
    for parts, token_end in tokens:
        if consumed + len(parts) > used:
            break
        consumed, end = consumed + len(parts), token_end
    if consumed == 0 or _UNIT_AHEAD_RE.match(text, end):
        return None
    value = _words_value(words[:consumed])
    return (value, end) if value is not None else None


def _count_number_words(words: list[str]) -> int:
    count = 0
    for index, word in enumerate(words):
        after = words[index + 1] if index + 1 < len(words) else ""
        numeric = word in _SMALL_NUMBERS or word in _TENS or word in _SCALES
        if numeric or word in ("hundred", "dozen", "couple"):
            count = index + 1
        elif word in ("a", "an") and after in ("hundred", "thousand", "million", "dozen", "couple"):
            continue
        elif word == "half" and words[index + 1 : index + 3] == ["a", "dozen"]:
            continue
        elif not (word == "and" and count and (after in _SMALL_NUMBERS or after in _TENS)):
            break
    return count


def _words_value(words: list[str]) -> int | None:
    if words[:3] == ["half", "a", "dozen"]:
        return 6
    total = current = 0
    for word in words:
        if word in _SMALL_NUMBERS or word in _TENS:
            current += _SMALL_NUMBERS.get(word, 0) + _TENS.get(word, 0)
        elif word in ("hundred", "dozen", "couple"):
            current = max(current, 1) * {"hundred": 100, "dozen": 12, "couple": 2}[word]
        elif word in _SCALES:
            total, current = total + max(current, 1) * _SCALES[word], 0
        elif word in ("a", "an"):
            current += 1
    value = total + current
    return value if words and words != ["and"] else None


def _take_near_me(text: str) -> tuple[str, bool]:
    stripped, count = _NEAR_ME_RE.subn(" ", text)
    return _SPACES_RE.sub(" ", stripped).strip(), count > 0


def _split_place(text: str) -> tuple[str, str]:
    """(persona, place) at the first "in"/"near" ..., or a later one if only it names a place."""
    matches = list(_PLACE_PREP_RE.finditer(text))
    if not matches:
        return text, ""
    chosen = matches[0]
    if _resolve_place(text[chosen.end() :])[1] is None:
        for later in matches[1:]:
            if _resolve_place(text[later.end() :])[1] is not None:
                chosen = later
                break
    persona, place = text[: chosen.start()], text[chosen.end() :]
    clause = _PLACE_CLAUSE_RE.search(place)
    if clause:  # "coffee shops in Leeds with outdoor seating": the clause describes the shops
        persona, place = f"{persona} {place[clause.end() :]}", place[: clause.start()]
    return persona, place


def _place_in_persona(text: str) -> tuple[str, str]:
    """A well-known city opening or closing the text: "London dentists", "dentists London"."""
    words = text.split()
    for size in (3, 2, 1):
        if len(words) < size:
            continue
        for candidate, rest in (
            (words[:size], words[size:]),
            (words[-size:], words[:-size]),
        ):
            key = places.fold(" ".join(candidate))
            if key in places.CITIES and key not in places.COMMON_WORD_CITIES:
                return " ".join(rest), " ".join(candidate)
    return text, ""


def _tidy_persona(text: str) -> str:
    persona = _SPACES_RE.sub(" ", text).strip(_FIELD_EDGE).lower()
    for _ in range(4):
        shorter = _PERSONA_TAIL_RE.sub("", _TRAILING_RE.sub("", persona)).strip(_FIELD_EDGE)
        if shorter == persona or not shorter:
            break
        persona = shorter
    return persona


# --- places ----------------------------------------------------------------------------------


def _resolve_place(place: str) -> tuple[str, str | None]:
    """(region as shown, ISO country or None) for a place as written."""
    place = _SPACES_RE.sub(" ", place).strip(_FIELD_EDGE)
    if not place:
        return "", None
    area = _AREA_RE.fullmatch(place)
    if area and _known(area["name"]):
        place = area["name"]
    code = _known(place)
    if code is not None or places.fold(place) in places.MULTI_COUNTRY_REGIONS:
        return _tidy_region(_drop_the(place)), code
    head, comma, suffix = place.rpartition(",")
    if comma and head.strip(" ,") and suffix.strip():
        return _with_suffix(head.strip(" ,"), suffix.strip())
    return _bare_suffix(place) or (_tidy_region(place), _loose_country(place))


def _known(name: str) -> str | None:
    """The country of a whole place name: a city, a state or province, or a country."""
    key = places.fold(name)
    for candidate in (key, key.removeprefix("the ")):
        if candidate in places.CITIES:
            return places.CITIES[candidate]
        if len(candidate) <= 2 and not name.isupper():
            continue  # "in", "me", "us": words before they are codes
        for table in (places.SUBDIVISIONS, places.COUNTRY_NAMES):
            if candidate in table:
                return table[candidate]
    return None


def _drop_the(place: str) -> str:
    rest = place[4:]
    if place[:4].lower() == "the " and rest and places.fold(place) not in places.CITIES:
        return rest if _known(rest) or places.fold(rest) in places.MULTI_COUNTRY_REGIONS else place
    return place


def _with_suffix(head: str, suffix: str, sep: str = ", ") -> tuple[str, str | None]:
    """Bristol, UK -> (Bristol, GB); Austin, TX keeps its state, which tells cities apart."""
    whole = f"{head}{sep}{suffix}"
    key = places.fold(suffix)
    country = places.COUNTRY_NAMES.get(key)
    if country is None and len(key) == 2 and key.upper() in places.ISO_ALPHA2:
        country = key.upper()
    state = places.SUBDIVISIONS.get(key)
    if country and state and country != state:
        city = _known(head)
        if city == country or (city != state and key.upper() in places.CODES_PREFERRING_COUNTRY):
            state = None
        else:
            country = None
    if state:
        return _tidy_region(whole), state
    if country:
        return _tidy_region(head), country
    return _tidy_region(whole), _known(suffix) or _known(head) or _loose_country(whole)


def _bare_suffix(place: str) -> tuple[str, str | None] | None:
    """A country or state closing the place without a comma: "Bristol UK", "Austin Texas"."""
    words = place.split()
    for size in (3, 2, 1):
        if len(words) <= size:
            continue
        tail = " ".join(words[-size:])
        key = places.fold(tail)
        short_ok = tail.isupper() or key in places.COUNTRY_NAMES or place.islower()
        if len(key) <= 3 and not short_ok:
            continue
        if key in places.COUNTRY_NAMES or key in places.SUBDIVISIONS:
            return _with_suffix(" ".join(words[:-size]), tail, " ")
    return None


def _loose_country(place: str) -> str | None:
    """The one country of the known places in "central London", "Leeds and Bradford" ..."""
    bare = _PLACE_QUALIFIERS_RE.sub(" ", place)
    codes = {_known(part.strip()) for part in _PLACE_PARTS_RE.split(bare) if part.strip()}
    codes.discard(None)
    return codes.pop() if len(codes) == 1 else None


def _tidy_region(region: str) -> str:
    """Proper names as written; an all-lower or ALL-CAPS place is title-cased."""
    region = _SPACES_RE.sub(" ", region).strip(_FIELD_EDGE)
    cased = [char for char in region if char.isupper() or char.islower()]
    if not cased or not (region.islower() or region.isupper()):
        return region
    if places.fold(region) in places.UPPER_WORDS:
        return region.upper()
    pieces = re.split(r"([\s,-]+)", region)
    words = [index for index, piece in enumerate(pieces) if piece.strip(" ,-")]
    for position, index in enumerate(words):
        after_comma = index > 0 and "," in pieces[index - 1]
        pieces[index] = _title_word(
            pieces[index],
            first=position == 0 or after_comma,
            code_place=position > 0 and (after_comma or index == words[-1]),
        )
    return "".join(pieces)


def _title_word(word: str, *, first: bool, code_place: bool) -> str:
    """Capitalise one word of a place: Austin, de in Rio de Janeiro, TX closing a place."""
    key = places.fold(word)
    is_code = key in places.UPPER_WORDS or key in places.SUBDIVISIONS
    if code_place and len(key) <= 3 and (is_code or key.upper() in places.ISO_ALPHA2):
        return word.upper()
    if key in _LOWER_PARTICLES and not first:
        return word.lower()
    if any(char.isdigit() for char in word):  # a postcode: SW1A 1AA
        return word
    return word[:1].upper() + word[1:].lower()
