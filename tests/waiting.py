"""Waiting for a state, never for a time: poll a condition while the loop and the store's threads
work, with a hang guard far beyond any slow machine (CI shares two cores)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

HANG_GUARD_S = 60.0  # a hang guard, not a timing assertion
POLL_S = 0.001  # a real pause, so a thread holding the GIL gets to run; busy turns starve it


async def until(condition: Callable[[], bool], what: str = "the condition never held") -> None:
    """Return once `condition()` holds; fail with `what` if it never does."""
    deadline = time.monotonic() + HANG_GUARD_S
    while not condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(POLL_S)


async def until_async(
    condition: Callable[[], Awaitable[bool]], what: str = "the condition never held"
) -> None:
    """`until` for a condition that must await (an HTTP request, a store read)."""
    deadline = time.monotonic() + HANG_GUARD_S
    while not await condition():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(POLL_S)
