"""Stopping background tasks without swallowing the caller's own cancellation."""

from __future__ import annotations

import asyncio
from typing import Any


async def cancel_and_wait(*tasks: asyncio.Future[Any] | None) -> None:
    """Cancel `tasks` and wait until each has finished. Their cancellation, the one asked for
    here, is taken; the caller's own (it was cancelled while it waited) goes on up. Another
    error a task ends with is raised."""
    chosen = [task for task in tasks if task is not None]
    for task in chosen:
        task.cancel()
    for task in chosen:
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise
