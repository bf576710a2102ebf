"""Which of a Hunter key's paid requests were already charged in this billing period: Hunter
does not charge the same request twice in a period (providers.md §0.1), so a repeat costs
nothing."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

from webapp.tools.providers.http import AnswerCache

logger = logging.getLogger(__name__)

KEEP_S = 40 * 24 * 3600  # longer than any billing period: older charges cannot be repeats
RESET_CHECK_S = 3600.0  # ask the reset date again after this long
PROVIDER = "Hunter"


class ChargeLedger:
    """`charge(key)` is True when a paid answer to the request `key` costs credits now: the
    first time in the billing period. Charges are kept in memory and, with a cache, in the
    database (under a hash of the API key, never the key), so a restart keeps them."""

    def __init__(
        self,
        api_key: str,
        reset_date: Callable[[], Awaitable[str | None]],
        *,
        cache: AnswerCache | None = None,
        clock: Callable[[], float],
    ) -> None:
        self.account = hashlib.sha256(api_key.encode()).hexdigest()[:16]
        self.reset_date = reset_date
        self.cache = cache
        self.clock = clock
        self.charged: dict[str, float] = {}
        self._period: tuple[float, float] | None = None  # (start, end) in epoch seconds
        self._asked_at: float | None = None

    async def charge(self, key: str) -> bool:
        entry = f"hunter-charge:{self.account}:{key}"
        now = self.clock()
        before = self.charged.get(entry)
        if before is None and self.cache is not None:
            stored = await self.cache.get(entry)
            before = _seconds(stored)
        if before is not None and await self._same_period(before, now):
            return False
        self.charged[entry] = now
        if self.cache is not None:
            self.cache.put_soon(entry, PROVIDER, repr(now), KEEP_S)
        return True

    async def _same_period(self, before: float, now: float) -> bool:
        """The period ends at the account's reset date (providers.md §2.7); not knowing it, a
        repeat is counted as charged, since a budget must never be underestimated."""
        period = await self._current_period(now)
        return period is not None and period[0] <= before < period[1] and now < period[1]

    async def _current_period(self, now: float) -> tuple[float, float] | None:
        if self._period is not None and now < self._period[1]:
            return self._period
        if self._asked_at is not None and now - self._asked_at < RESET_CHECK_S:
            return None  # asked lately, with no usable answer
        self._asked_at = now
        period = billing_period(await self.reset_date())
        self._period = period if period is not None and period[0] <= now < period[1] else None
        return self._period


def billing_period(reset: str | None) -> tuple[float, float] | None:
    """The period that ends at 00:00 UTC of `reset` ("2025-07-02") and began a month earlier."""
    try:
        end = date.fromisoformat(reset or "")
    except ValueError:
        return None
    year, month = (end.year, end.month - 1) if end.month > 1 else (end.year - 1, 12)
    start = end.replace(year=year, month=month, day=1) + timedelta(days=end.day - 1)
    if start.month != month:  # the 31st of a shorter month: the month's last day
        start = start.replace(day=1) - timedelta(days=1)
    return _midnight(start), _midnight(end)


def _midnight(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def _seconds(stored: str | None) -> float | None:
    try:
        return float(stored) if stored is not None else None
    except ValueError:
        logger.warning("an unreadable Hunter charge record was ignored")
        return None
