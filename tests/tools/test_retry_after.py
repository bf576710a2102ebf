"""`Retry-After` as the provider clients read it (webapp/tools/providers/http.py): seconds or
an HTTP date; anything else is as if it were absent, so the retry policy's backoff applies."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from webapp.tools.providers.http import LONGEST_WAIT_S, retry_after_seconds

NOW = datetime(2026, 11, 24, 9, 0, 0, tzinfo=UTC)


def answer(retry_after: str) -> httpx.Response:
    """A 429 with that header, sent as UTF-8 bytes (httpx decodes them back)."""
    return httpx.Response(429, headers=[(b"Retry-After", retry_after.encode())])


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("0", 0.0),
        ("Tue, 24 Nov 2026 09:01:30 GMT", 90.0),
        ("Tue, 24 Nov 2026 10:01:30 +0100", 90.0),
        ("Mon, 23 Nov 2026 09:00:00 GMT", 0.0),  # past: at once
    ],
)
def test_seconds_and_http_dates_are_read(value: str, seconds: float) -> None:
    assert retry_after_seconds(answer(value), NOW) == seconds


@pytest.mark.parametrize(
    "value",
    ["²", "①", "٣", "1.5", "-3", "soon", "Wed, 99 Oct 2026 07:28:00 GMT", "24 Nov 99999"],
)
def test_an_unreadable_value_is_as_if_absent(value: str) -> None:
    # "²" and "①" are digits to isdigit(), not to float(): they once failed the step
    assert retry_after_seconds(answer(value), NOW) is None


@pytest.mark.parametrize(
    "value", ["9" * 10, "9" * 5000, "Fri, 31 Dec 9999 23:59:59 GMT"], ids=["10", "5000", "9999"]
)
def test_a_huge_wait_reads_as_the_longest_one(value: str) -> None:
    # longer than any retry policy waits: the step fails saying the provider asked to wait
    assert retry_after_seconds(answer(value), NOW) == LONGEST_WAIT_S


def test_no_header_is_none() -> None:
    assert retry_after_seconds(httpx.Response(429), NOW) is None
