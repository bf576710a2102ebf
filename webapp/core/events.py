"""Turns state changes into numbered events, logs them and hands them to the listener in order."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from webapp.core.models import (
    EventType,
    LeadGenPlanStep,
    LeadGenStepResult,
    LeadPlanEvent,
    iso_timestamp,
)

logger = logging.getLogger("webapp.events")

LOG_PREFIX = "[LEAD_GEN_PLAN]"
OnEvent = Callable[[LeadPlanEvent], Awaitable[None] | None]
# Hears each event with the state of the step it concerns (None for run-level events), before
# `on_event` does: what persistence needs to write the event and the step's row together.
OnRecord = Callable[[LeadPlanEvent, LeadGenStepResult | None], Awaitable[None] | None]


class EventEmitter:
    """Numbers a run's events 1..n with no gap and delivers them one at a time, in that order.

    An async listener is awaited before the next event is numbered, so a slow listener delays
    the run rather than reordering its events; fan-out to many viewers belongs behind it.
    """

    def __init__(
        self,
        *,
        plan_id: str,
        run_id: str,
        user_id: str,
        on_event: OnEvent | None,
        clock: Callable[[], datetime],
        first_seq: int = 1,
        on_record: OnRecord | None = None,
        results: Mapping[str, LeadGenStepResult] | None = None,
    ) -> None:
        self.plan_id = plan_id
        self.run_id = run_id
        self.user_id = user_id
        self.on_event = on_event
        self.clock = clock
        self.last_seq = first_seq - 1
        self.on_record = on_record
        self.results: Mapping[str, LeadGenStepResult] = results or {}
        self._lock = asyncio.Lock()

    async def emit(
        self,
        type_: EventType,
        *,
        step: LeadGenPlanStep | None = None,
        timestamp: str | None = None,
        **fields: Any,
    ) -> LeadPlanEvent:
        async with self._lock:
            self.last_seq += 1
            event = LeadPlanEvent(
                seq=self.last_seq,
                timestamp=timestamp or iso_timestamp(self.clock()),
                type=type_,
                plan_id=self.plan_id,
                run_id=self.run_id,
                user_id=self.user_id,
                step_id=step.id if step else None,
                step_tool=step.tool if step else None,
                **fields,
            )
            if logger.isEnabledFor(logging.INFO):
                logger.info("%s %s", LOG_PREFIX, event_log_json(event))
            if self.on_record is not None:
                outcome = self.on_record(event, self.results.get(step.id) if step else None)
                if inspect.isawaitable(outcome):
                    await outcome
            if self.on_event is not None:
                outcome = self.on_event(event)
                if inspect.isawaitable(outcome):
                    await outcome
            return event


def event_log_json(event: LeadPlanEvent) -> str:
    return event.model_dump_json(by_alias=True, exclude_none=True)
