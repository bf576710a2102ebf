"""The CSV export: canonical columns, a header row, formula cells escaped, numbers kept."""

from __future__ import annotations

import csv
import io

from webapp.core import Lead
from webapp.leads_csv import COLUMNS, leads_to_csv


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_header_is_the_canonical_lead_record() -> None:
    header = parse(leads_to_csv([]))[0]

    assert header[:4] == ["Business Name", "Category", "Website", "Domain"]
    assert header[-3:] == ["Source", "Source ID", "Retrieved At"]
    assert len(header) == len(COLUMNS) == 28


def test_cells_a_spreadsheet_would_run_as_a_formula_are_escaped() -> None:
    lead = Lead(
        business_name='=HYPERLINK("http://evil.example","click")',
        category="@SUM(A1)",
        address="-1+1",
        contact_title="+cmd|' /C calc'!A0",
        phone="\t=1+1",
        longitude=-2.2426,
        latitude=53.48,
        rating=4.5,
        email="ok@shop.example",
        source="demo",
    )

    row = dict(zip([h for h, _ in COLUMNS], parse(leads_to_csv([lead]))[1], strict=True))

    assert row["Business Name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["Category"] == "'@SUM(A1)"
    assert row["Address"] == "'-1+1"
    assert row["Contact Title"].startswith("'+")
    assert row["Phone"] == "'\t=1+1"
    assert row["Longitude"] == "-2.2426"  # a negative number is data, not a formula
    assert row["Rating"] == "4.5"
    assert row["Email"] == "ok@shop.example"
    assert row["LinkedIn URL"] == ""
