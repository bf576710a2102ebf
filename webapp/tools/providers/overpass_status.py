"""Overpass's /api/status page (providers.md §0.3, §3.1): read after a 429 or 504, it says when
this address's next query slot frees; `SlotWaits` caps how long one search waits for slots."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import httpx

from webapp.core.errors import ToolError
from webapp.tools.providers.http import ProviderHttp

MAX_WAITS = 3  # waits for a slot in one search
MAX_WAIT_S = 120.0  # seconds of waiting for slots in one search, in all
MARGIN_S = 1.0  # the page counts whole seconds: arrive just after the slot frees, not before

logger = logging.getLogger(__name__)

# ASCII digits, at most nine: a line with a longer number (int() refuses 4,301) is not read
_FREE_NOW = re.compile(r"^\s*([0-9]{1,9}) slots? available now", re.MULTILINE)
_SLOT_AFTER = re.compile(r"^\s*Slot available after: \S+, in (-?[0-9]{1,9}) seconds?", re.MULTILINE)


def slot_wait_s(text: str) -> float | None:
    """Seconds until a query slot frees: the shortest "in N seconds" (0 when one is available
    now; N may be 0 or negative), plus a margin. None when the page says neither."""
    free = _FREE_NOW.search(text)
    if free and int(free.group(1)) > 0:
        return MARGIN_S
    waits = [max(0, int(seconds)) for seconds in _SLOT_AFTER.findall(text)]
    return min(waits) + MARGIN_S if waits else None


async def read_slot_wait(
    http: ProviderHttp, provider: str, url: str, call_timeout: httpx.Timeout
) -> float | None:
    """The status page's wait for a slot; None when the page cannot be had or read.

    Sent without the Overpass bucket: the page takes no query slot on the server, and it is read
    while this search already waits for one, so a token spent on it would only push back the
    query it is there to time."""
    try:
        response = await http.send(provider, "GET", url, timeout=call_timeout)
    except ToolError as error:
        if not error.retryable:  # e.g. the run's request budget is spent: that fails the step
            raise
        # The caller raises the throttling error it was handling; this one only says why.
        logger.info("Overpass status page unavailable: %s", error.message)
        return None
    if response.status_code != 200:
        return None
    return slot_wait_s(response.text)


@dataclass
class SlotWaits:
    """What one search may still spend waiting for Overpass slots."""

    waits_left: int = MAX_WAITS
    seconds_left: float = MAX_WAIT_S

    def allows(self, seconds: float) -> bool:
        return self.waits_left > 0 and seconds <= self.seconds_left

    def spend(self, seconds: float) -> None:
        self.waits_left -= 1
        self.seconds_left -= seconds
