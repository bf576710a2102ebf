"""The words around a goal's search, read into its email and monitoring flags: the verbs it
opens with ("Can you email") and what follows the search ("... and keep an eye on them")."""

from __future__ import annotations

import re

from webapp.core.goal_reading import Reading

# --- the verb a goal opens with -------------------------------------------------------------------

_NUMBER_AHEAD = (
    r"(?=\s+(?:\d|~|(?:a|an|the|some|all|every|any|local|new|more|me|us|up|around|about"
    r"|approximately|roughly|at|over|several|few|top|best|one|two|three|four|five|six|seven"
    r"|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty"
    r"|ninety|hundred|dozen)\b))"
)
POLITE_RE = re.compile(
    r"^(?:please|pls|plz|kindly|hey|hi|hello|ok|okay|so|now|just|quickly|also|and|then"
    r"|(?:can|could|would|will)\s+(?:you|we)(?:\s+please)?|help\s+me(?:\s+to)?"
    r"|(?:i|we)(?:'d|\s+would)\s+like(?:\s+you)?\s+to|(?:i|we)\s+(?:want|need)(?:\s+you)?\s+to"
    r"|let'?s|go(?:\s+and)?|try\s+to|(?:goal|task)\s*:)(?:[\s,:!]+|$)",
    re.IGNORECASE,
)
FIND_RE = re.compile(
    r"^(?:(?:(?:i'?m|i\s+am|we'?re|we\s+are)\s+)?(?:looking|searching|hunting)\s+(?:out\s+)?for"
    r"|(?:(?:i|we)\s+)?(?:need|want|require)|(?:i|we)(?:'d|\s+would)\s+like"
    r"|find|get|fetch|grab|give|show|list|search(?:\s+for)?|look\s+(?:for|up)|source"
    r"|pull(?:\s+up)?|scrape|generate|compile|collect|gather|locate|discover|identify"
    r"|hunt(?:\s+(?:down|for))?|research|bring|return|produce|dig\s+up|track\s+down"
    r"|round\s+up|build|make|create|put\s+together|draw\s+up|prospect(?:\s+for)?|target)"
    r"(?:\s+(?:me|us))?(?:[\s,:]+|$)",
    re.IGNORECASE,
)
CONTACT_RE = re.compile(
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

# --- what follows the search: outreach, monitoring ------------------------------------------------

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


def take_verbs(text: str, reading: Reading) -> str:
    """Drop the opening verbs ("Can you please find me"); note "email"/"monitor" ones."""
    for _ in range(8):
        found = _opening_verb(text)
        if found is None:
            break
        pattern, match = found
        if pattern is CONTACT_RE and (match["email"] or match["email2"]):
            reading.email = True
        if pattern is _MONITOR_RE:
            reading.monitoring = True
        text = text[match.end() :]
    return text


def _opening_verb(text: str) -> tuple[re.Pattern[str], re.Match[str]] | None:
    for pattern in (POLITE_RE, FIND_RE, CONTACT_RE, _MONITOR_RE):
        match = pattern.match(text)
        if match and match.end() > 0:
            return pattern, match
    return None


def take_tail(text: str, reading: Reading) -> str:
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
