"""The ports the core and the tools need from the outside, as Protocols: the tools save lead
lists, sequences and monitors through them, into memory (`webapp.tools.memory`) or SQLite
(`webapp.store`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pydantic import Field

from webapp.core.leads import Lead
from webapp.core.models import CamelModel


class SavedLeadList(CamelModel):
    list_id: str
    name: str
    saved: int
    duplicates_dropped: int
    leads: list[Lead] = Field(default_factory=list)
    created: bool = True


class SequenceStep(CamelModel):
    step_number: int
    delay_days: int
    subject_template: str
    body_template: str


class SequenceMessage(CamelModel):
    lead_email: str
    business_name: str
    step_number: int
    send_after_days: int
    subject: str
    body: str


class EmailSequence(CamelModel):
    sequence_id: str = ""
    name: str
    list_id: str
    status: str = "draft"
    steps: list[SequenceStep]
    messages: list[SequenceMessage]
    leads_without_email: int = 0
    created: bool = True


class Monitor(CamelModel):
    monitor_id: str = ""
    name: str
    query: str
    region: str
    country: str | None = None
    frequency: str
    list_id: str
    status: str = "active"
    next_run_at: str
    created: bool = True


# Every save is idempotent per (run id, step id): a resumed or retried step gets back what it
# saved the first time.
class LeadListStore(Protocol):
    async def save_lead_list(
        self,
        *,
        run_id: str,
        step_id: str,
        user_id: str,
        name: str,
        leads: Sequence[Lead],
        duplicates_dropped: int,
    ) -> SavedLeadList: ...


class SequenceStore(Protocol):
    async def save_sequence(
        self, *, run_id: str, step_id: str, user_id: str, sequence: EmailSequence
    ) -> EmailSequence: ...


class MonitorStore(Protocol):
    async def save_monitor(
        self, *, run_id: str, step_id: str, user_id: str, monitor: Monitor
    ) -> Monitor: ...
