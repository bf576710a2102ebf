"""Two runs' leads side by side: the leads that are new in one, gone from it, and changed
(a new email, a better verification), a business matched by its place id, else its domain."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from webapp.core.leads import Lead, status_rank


@dataclass(frozen=True)
class Changed:
    lead: Lead  # as the run compared has it
    was: Lead  # as the other run had it
    what: list[str]  # "a new email", "a better verification" ...


@dataclass
class Comparison:
    new: list[Lead] = field(default_factory=list)
    gone: list[Lead] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)
    same: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "new": len(self.new),
            "gone": len(self.gone),
            "changed": len(self.changed),
            "same": self.same,
        }


def business_key(lead: Lead) -> str:
    """What says two leads are one business: its place id, else its domain, else its name."""
    if lead.source_id:
        return f"{lead.source}:{lead.source_id}"
    if lead.domain:
        return f"domain:{lead.domain.lower()}"
    return f"name:{' '.join(lead.business_name.lower().split())}"


def compare_leads(current: Iterable[Lead], other: Iterable[Lead]) -> Comparison:
    """The leads of `current` against those of `other`: new, gone, changed, the same."""
    before = {business_key(lead): lead for lead in other}
    result = Comparison()
    seen: set[str] = set()
    for lead in current:
        key = business_key(lead)
        seen.add(key)
        was = before.get(key)
        if was is None:
            result.new.append(lead)
            continue
        what = changes(lead, was)
        if what:
            result.changed.append(Changed(lead, was, what))
        else:
            result.same += 1
    result.gone = [lead for key, lead in before.items() if key not in seen]
    return result


def changes(lead: Lead, was: Lead) -> list[str]:
    """How a business's lead changed between two runs, in words."""
    found: list[str] = []
    if lead.email and (lead.email or "").lower() != (was.email or "").lower():
        found.append("a new email" if was.email else "an email, where there was none")
    elif not lead.email and was.email:
        found.append("no email any more")
    if lead.email and (lead.email or "").lower() == (was.email or "").lower():
        now, then = status_rank(lead.email_status), status_rank(was.email_status)
        if now < then:
            found.append("a better verification")
        elif now > then:
            found.append("a worse verification")
    if lead.contact_first_name and (lead.contact_first_name, lead.contact_last_name) != (
        was.contact_first_name,
        was.contact_last_name,
    ):
        found.append("a new contact")
    return found
