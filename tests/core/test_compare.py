"""Two runs' leads compared: new, gone, changed (a new email, a better verification) and the
same, one business matched by its place id, else its domain, else its name."""

from __future__ import annotations

from typing import Any

from webapp.core.compare import compare_leads
from webapp.core.leads import Lead


def lead(name: str, **fields: Any) -> Lead:
    return Lead(business_name=name, source="google_places", **fields)


def test_new_gone_changed_and_the_same() -> None:
    earlier = [
        lead("Kept", source_id="p1", email="a@kept.example", email_status="valid"),
        lead("Gone", source_id="p2"),
        lead("Better", source_id="p3", email="b@better.example", email_status="unknown"),
        lead("Emailed", source_id="p4"),
        lead("Moved", domain="moved.example", email="old@moved.example"),
    ]
    current = [
        lead("Kept", source_id="p1", email="a@kept.example", email_status="valid"),
        lead("Better", source_id="p3", email="b@better.example", email_status="valid"),
        lead("Emailed", source_id="p4", email="c@emailed.example", contact_first_name="Ann"),
        lead("Moved", domain="MOVED.example", email="new@moved.example"),
        lead("Fresh", source_id="p9"),
    ]

    result = compare_leads(current, earlier)

    assert result.counts() == {"new": 1, "gone": 1, "changed": 3, "same": 1}
    assert [x.business_name for x in result.new] == ["Fresh"]
    assert [x.business_name for x in result.gone] == ["Gone"]
    what = {c.lead.business_name: c.what for c in result.changed}
    assert what == {
        "Better": ["a better verification"],
        "Emailed": ["an email, where there was none", "a new contact"],
        "Moved": ["a new email"],
    }
