"""Whether a goal names a kind of business the planner can look for ("coffee shops", "yoga
studios", "a florist"), or something it cannot read ("asdf"), which must be asked about."""

from __future__ import annotations

import re

# Nouns that name a kind of business or a trade, singular.
KINDS: frozenset[str] = frozenset(
    """
    shop store boutique outlet market supermarket cafe café coffee bakery bakeries patisserie
    restaurant bistro bar pub brewery winery distillery takeaway diner deli butcher grocer
    florist jeweller jeweler optician pharmacy chemist dentist doctor gp surgery clinic
    practice hospital vet veterinary physio physiotherapist chiropractor osteopath therapist
    counsellor psychologist nursery childcare school academy college tutor gym studio spa
    salon barber hairdresser beautician nail tattoo hotel hostel inn motel b&b guesthouse
    lodge campsite agency agent realtor estate lettings firm company business startup
    consultancy consultant solicitor lawyer attorney barrister notary accountant bookkeeper
    architect surveyor engineer designer developer photographer printer publisher studio
    plumber electrician roofer builder carpenter joiner painter decorator plasterer tiler
    glazier locksmith gardener landscaper cleaner handyman contractor installer mechanic
    garage dealer dealership workshop manufacturer factory supplier wholesaler distributor
    retailer merchant caterer florist baker chef cook brewer farmer farm vineyard kennel
    groomer trainer instructor coach club venue theatre cinema gallery museum
    insurer insurance broker bank lender mortgage financial adviser advisor planner
    recruiter recruitment staffing logistics courier haulier removals storage warehouse
    taxi cab transport travel tour operator charity church nonprofit association society
    centre center office service hall parlour parlor kitchen cafeteria canteen laundry
    """.split()
)
# Endings a trade or a kind of place has in English (plumbers, florists, bakeries, stores).
_ENDINGS = ("ers", "ors", "ists", "ians", "ies", "ics", "eries", "shops", "stores")
_WORD = re.compile(r"[a-zà-ÿ&]+")


def names_a_business(persona: str) -> bool:
    """True when some word of `persona` is a kind of business we know, or has a trade's or a
    place's plural ending ("yoga studios", "plumbers", "wineries")."""
    for word in _WORD.findall(persona.lower()):
        if word in KINDS or singular(word) in KINDS:
            return True
        if len(word) >= 5 and word.endswith(_ENDINGS):
            return True
    return False


def singular(word: str) -> str:
    """The English singular of a plural word ("bakeries" -> "bakery"), else the word."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word
