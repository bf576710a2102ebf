"""Credits as Hunter charges them (providers.md §0.1): a request already charged in the billing
period is free when repeated; the period is read from the account's reset date (§2.7)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.tools.fakes.hunter import RESET_DATE, TEST_KEY, hunter_app
from tests.tools.live_server import serving
from webapp.tools.providers.charges import billing_period
from webapp.tools.providers.http import ProviderHttp, new_client
from webapp.tools.providers.hunter import HunterClient

NORTHERN = "northern-bean.example"


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


class Cache:
    """The answer cache's interface, in memory, a week on: the answers (kept 7 days) are gone,
    the charges (kept 40 days) are still there."""

    def __init__(self) -> None:
        self.kept: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.kept.get(key)

    def put_soon(self, key: str, provider: str, value: str, ttl_s: float) -> None:
        if ttl_s > 7 * 24 * 3600:
            self.kept[key] = value


@pytest.mark.parametrize(
    ("reset", "start", "end"),
    [
        ("2025-03-20", "2025-02-20", "2025-03-20"),
        ("2025-01-05", "2024-12-05", "2025-01-05"),
        ("2025-03-31", "2025-02-28", "2025-03-31"),  # no 31 February: its last day
        ("not a date", None, None),
        (None, None, None),
    ],
)
def test_the_billing_period_ends_at_the_reset_date(
    reset: str | None, start: str | None, end: str | None
) -> None:
    expected = (at(start), at(end)) if start and end else None
    assert billing_period(reset) == expected


async def searches(
    now: float, *, times: int, url: str, cache: Cache | None = None
) -> tuple[float, int]:
    """Credits counted and requests sent by a new client for `times` identical Domain Searches
    at `now`: every repeat is sent; the charges are kept in `cache` when given."""
    async with new_client("tests@leadgen.example") as client:
        http = ProviderHttp(client, cache=cache, cache_ttl_s=7 * 24 * 3600)
        hunter = HunterClient(http, api_key=TEST_KEY, base_url=url, wall_clock=lambda: now)
        for _ in range(times):
            await hunter.domain_search(domain=NORTHERN)
        return hunter.credits, hunter.requests


@pytest.fixture
def url() -> Iterator[str]:
    with serving(hunter_app()) as base_url:
        yield base_url


async def test_a_repeat_in_the_billing_period_is_free(url: str) -> None:
    credits, requests = await searches(at("2025-03-01"), times=3, url=url)

    assert credits == 1  # the first search of 10 addresses; the repeats are free
    assert requests == 3 + 1  # the searches, and the account's reset date asked once


async def test_a_repeat_is_charged_when_the_reset_date_cannot_place_it(url: str) -> None:
    # the fake's reset date (2025-03-20) is past: the period is unknown, so charge (a budget
    # must never be underestimated)
    credits, _ = await searches(at("2025-04-02"), times=2, url=url)

    assert RESET_DATE == "2025-03-20" and credits == 2


async def test_charges_are_kept_for_the_next_process(url: str) -> None:
    cache = Cache()
    first, _ = await searches(at("2025-03-01"), times=1, url=url, cache=cache)
    again, sent = await searches(at("2025-03-09"), times=1, url=url, cache=cache)

    assert (first, again, sent) == (1, 0, 2)  # sent again (the answer expired), not charged
    assert not any(TEST_KEY in key for key in cache.kept)  # never the key itself
