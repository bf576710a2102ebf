"""A run as the RunManager's parts share it: one this process executes (`ActiveRun`), the
stored statuses of one still going, and the errors of asking for one."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

ACTIVE = frozenset({"pending", "running"})


class RunNotFound(LookupError):
    def __init__(self, run_id: str) -> None:
        super().__init__(f"There is no run {run_id!r}.")
        self.run_id = run_id


class RunStateError(ValueError):
    """The run is not in a state that allows what was asked (e.g. resuming a finished run)."""


@dataclass
class ActiveRun:
    run_id: str
    user_id: str
    cancel: asyncio.Event
    task: asyncio.Task[None] | None = None
    recording: bool = True
    lost: str | None = None  # why the run must stop and be marked interrupted
