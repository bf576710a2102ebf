"""Leads as CSV, with the columns of the canonical lead record (providers reference) and a
header row. Text cells a spreadsheet would run as a formula are escaped with a leading `'`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from webapp.core.leads import Lead

COLUMNS: tuple[tuple[str, str], ...] = (
    ("Business Name", "business_name"),
    ("Category", "category"),
    ("Website", "website"),
    ("Domain", "domain"),
    ("Phone", "phone"),
    ("Address", "address"),
    ("City", "city"),
    ("Postcode", "postcode"),
    ("Country", "country"),
    ("Latitude", "latitude"),
    ("Longitude", "longitude"),
    ("Rating", "rating"),
    ("Review Count", "review_count"),
    ("Business Status", "business_status"),
    ("Contact First Name", "contact_first_name"),
    ("Contact Last Name", "contact_last_name"),
    ("Contact Title", "contact_title"),
    ("Email", "email"),
    ("Email Status", "email_status"),
    ("Email Confidence", "email_confidence"),
    ("LinkedIn URL", "linkedin_url"),
    ("Email Found By", "email_found_by"),
    ("Email Source", "email_source"),
    ("Service Area Business", "service_area"),
    ("Notes", "notes"),
    ("Source", "source"),
    ("Source ID", "source_id"),
    ("Retrieved At", "retrieved_at"),
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)  # a number is data, even when negative
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def leads_csv_rows(leads: Iterable[Lead]) -> Iterable[list[str]]:
    yield [header for header, _ in COLUMNS]
    for lead in leads:
        yield [safe_cell(getattr(lead, field)) for _, field in COLUMNS]


def leads_to_csv(leads: Iterable[Lead]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(leads_csv_rows(leads))
    return buffer.getvalue()
