"""What a run's page shows of a step's output is made two ways: by SQLite from the stored
output (a page, a run another process executes) and in memory for a step this process just
ran (its live update). Both must give the page the same numbers."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

from webapp.store.runs import OUTPUT_DIGEST, output_digest

OUTPUTS: list[Any] = [
    {"provider": "demo", "count": 3, "businesses": [{"website": "https://a.example"}] * 3},
    {
        "provider": "google",
        "usage": {"google": {"calls": 2, "costUsd": 0.064}},
        "count": 6,
        "businesses": [
            {"website": "https://a.example"},
            {"website": ""},
            {"website": None},
            {"website": 5},
            {"name": "no site"},
            "not a place",
        ],
    },
    {"provider": "hunter", "withDomain": 4, "businesses": {"x": {"website": "w"}, "y": {}}},
    {"withEmail": 7, "verified": 2, "contacts": [{"email": "a@b.example"}]},
    {"businesses": "not a list", "count": 0},
    {"businesses": []},
    {},
    ["not", "an", "object"],
    "text",
    12,
    None,
]


def sql_digest(output: Any) -> Any:
    conn = sqlite3.connect(":memory:")
    try:
        row = conn.execute(
            f"SELECT {OUTPUT_DIGEST} FROM (SELECT ? AS output_json)", (json.dumps(output),)
        ).fetchone()
    finally:
        conn.close()
    return json.loads(row[0]) if row[0] is not None else None


@pytest.mark.parametrize("output", OUTPUTS)
def test_the_digest_in_memory_is_the_one_sqlite_makes(output: Any) -> None:
    assert output_digest(output) == sql_digest(output)


def test_the_digest_counts_the_places_with_a_website() -> None:
    digest = output_digest(OUTPUTS[1])
    assert digest is not None
    assert (digest["count"], digest["websites"], digest["provider"]) == (6, 1, "google")
