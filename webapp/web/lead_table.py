"""The leads table as a workspace: a search, filters, a sort and a page of a run's leads, read
from a URL's query (`?q=&has_email=1&verified=1&status=&source=&sort=&order=&page=`), worked
out on the server so a page carries one page of rows whether the run saved 5 leads or 500."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from webapp.core.accents import without_accents
from webapp.core.leads import Lead, email_counts, is_verified, status_rank

PER_PAGE = 50
MAX_SEARCH = 200
Order = Literal["asc", "desc"]
SortKey = Literal["business", "contact", "email", "status", "confidence", "city"]


def _folded(text: str | None) -> str:
    """Lower case, accents folded: "Café" is found by "cafe"."""
    return without_accents(text or "").casefold()


def _contact(lead: Lead) -> str:
    return " ".join(n for n in (lead.contact_first_name, lead.contact_last_name) if n)


# What each sortable column sorts by; a lead without the value goes last either way.
SORTS: dict[str, Callable[[Lead], Any]] = {
    "business": lambda lead: _folded(lead.business_name),
    "contact": lambda lead: _folded(_contact(lead)) or None,
    "email": lambda lead: (lead.email or "").lower() or None,
    # best first when ascending: verified, accepts all, unknown ... invalid
    "status": lambda lead: status_rank(lead.email_status) if lead.email_status else None,
    "confidence": lambda lead: lead.email_confidence,
    "city": lambda lead: _folded(lead.city) or None,
}
FIRST_ORDER: dict[str, Order] = {"confidence": "desc"}  # a first click shows the best first


class LeadQuery(BaseModel):
    """What the user asked the table for. Empty values mean "not asked"."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    q: str = Field("", max_length=MAX_SEARCH)
    has_email: bool = False
    verified: bool = False
    status: str = Field("", max_length=40)
    source: str = Field("", max_length=40)
    sort: SortKey | None = None
    order: Order = "asc"
    page: int = Field(1, ge=1, le=1_000_000)

    @field_validator("q", "status", "source", mode="before")
    @classmethod
    def _stripped(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("sort", mode="before")
    @classmethod
    def _no_sort(cls, value: object) -> object:
        return value or None

    @field_validator("has_email", "verified", mode="before")
    @classmethod
    def _ticked(cls, value: object) -> object:
        return value or False  # an unticked box may come as an empty value

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> LeadQuery:
        """The query from a URL's parameters; raises `BadLeadQuery` with words a user can act
        on (a page of "abc", a sort by a column the table has not)."""
        try:
            return cls.model_validate({k: v for k, v in params.items() if k in cls.model_fields})
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"])
            raise BadLeadQuery(f"{field}: {first['msg']}") from None

    @property
    def filtered(self) -> bool:
        return bool(self.q or self.has_email or self.verified or self.status or self.source)

    def _matches(self, lead: Lead, needle: str) -> bool:
        """Whether `lead` passes the filters; `needle` is the search, folded once for all."""
        if self.has_email and not lead.email:
            return False
        if self.verified and not is_verified(lead):
            return False
        if self.status and (lead.email_status or "") != self.status:
            return False
        if self.source and lead.source != self.source:
            return False
        if self.q:
            text = " ".join(
                value or ""
                for value in (
                    lead.business_name,
                    _contact(lead),
                    lead.contact_title,
                    lead.email,
                    lead.domain,
                    lead.city,
                    lead.phone,
                )
            )
            return needle in _folded(text)
        return True

    def select(self, leads: Sequence[Lead]) -> list[Lead]:
        """The leads that match, in the asked order (the saved order when none was asked)."""
        needle = _folded(self.q)
        chosen = [lead for lead in leads if self._matches(lead, needle)]
        if self.sort is None:
            return chosen
        key = SORTS[self.sort]
        present = [lead for lead in chosen if key(lead) is not None]
        missing = [lead for lead in chosen if key(lead) is None]
        present.sort(key=key, reverse=self.order == "desc")  # stable: ties keep saved order
        return present + missing

    def link(self, **changes: object) -> str:
        """This query with `changes`, as a URL query string (no "?"); defaults left out."""
        values = self.model_dump()
        values.update(changes)
        defaults = LeadQuery().model_dump()
        kept = {
            key: ("1" if value is True else value)
            for key, value in values.items()
            if value != defaults[key] and value is not None
        }
        return urlencode(kept)

    def sorted_by(self, column: str) -> str:
        """The link a column's header leads to: sort by it, or turn its order round."""
        if self.sort == column:
            order = "desc" if self.order == "asc" else "asc"
        else:
            order = FIRST_ORDER.get(column, "asc")
        return self.link(sort=column, order=order, page=1)

    def aria_sort(self, column: str) -> str:
        if self.sort != column:
            return "none"
        return "ascending" if self.order == "asc" else "descending"


class BadLeadQuery(ValueError):
    """A table query that cannot be read; its text says which part and why."""


@dataclass(frozen=True)
class LeadPage:
    """One page of the table, with what the filters offer and how many each would show."""

    query: LeadQuery
    rows: list[Lead]
    total: int  # leads the run saved
    matching: int  # of them, those the filters let through
    page: int
    pages: int
    first: int  # 1-based position of the first row shown, 0 when none
    with_email: int
    verified: int
    statuses: list[tuple[str, int]]  # email statuses present, best first, with counts
    sources: list[tuple[str, int]]

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def lead_page(leads: Sequence[Lead], query: LeadQuery, per_page: int = PER_PAGE) -> LeadPage:
    """The page of `leads` that `query` asks for; a page past the end shows the last one."""
    matching = query.select(leads)
    pages = max(1, math.ceil(len(matching) / per_page))
    page = min(query.page, pages)
    start = (page - 1) * per_page
    rows = matching[start : start + per_page]
    statuses = Counter(lead.email_status for lead in leads if lead.email_status)
    with_email, verified = email_counts(leads)
    sources = Counter(lead.source for lead in leads)
    return LeadPage(
        query=query,
        rows=rows,
        total=len(leads),
        matching=len(matching),
        page=page,
        pages=pages,
        first=start + 1 if rows else 0,
        with_email=with_email,
        verified=verified,
        statuses=sorted(statuses.items(), key=lambda item: (status_rank(item[0]), item[0])),
        sources=sorted(sources.items()),
    )
