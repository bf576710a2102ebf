"""Whether the organization Hunter found for a company name is the business we searched for:
a company-name search may pick another firm's domain for a generic name (providers.md §0.1)."""

from __future__ import annotations

import re
import unicodedata

# Words that do not tell one business from another: legal forms, joiners and trade words.
COMMON_WORDS: frozenset[str] = frozenset(
    """
    the and of a an at in on by for to
    ltd limited llc llp inc incorporated plc co company corp corporation group holdings gmbh
    sarl sa srl bv ag pty uk gb us intl international
    services service solutions shop store studio cafe caffe coffee house bar kitchen
    restaurant bakery salon clinic practice dental dentist surgery garage motors agency
    agents estate law legal accountants accounting partners associates hotel inn pub
    plumbing plumber plumbers electrical electrician electricians builders building
    cleaning cleaners roofing roofers repairs centre center
    """.split()
)


def distinctive_words(name: str) -> set[str]:
    """The words of a name that tell it apart: folded, without accents, possessives, punctuation
    or the common words above."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    folded = re.sub(r"['’]s\b", "", folded).replace("&", " and ")
    return {word for word in re.findall(r"[a-z0-9]+", folded) if word not in COMMON_WORDS}


def same_business(place_name: str, organization: str | None, domain: str | None) -> bool:
    """True when Hunter's organization (or, without one, the domain's name) is the place's:
    most of the organization's distinctive words are in the place's name and at least half of
    the name's are in the organization's."""
    ours = distinctive_words(place_name)
    if not ours:
        return False  # a name of common words only: nothing to tell businesses apart
    if organization:
        theirs = distinctive_words(organization)
        if not theirs:
            return False
        shared = len(ours & theirs)
        return shared * 3 >= len(theirs) * 2 and shared * 2 >= len(ours)
    label = (domain or "").split(".")[0].replace("-", "")
    return bool(label) and all(word in label for word in ours)
