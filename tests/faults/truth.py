"""What every fault test checks once the fault is over: the run's event log is whole (seq 1..n,
no gap, no repeat), what a viewer was streamed is that log, no lead or output was saved twice,
and the run's and steps' statuses say what the log says."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from tests.web.helpers import Message
from webapp.core.models import LeadPlanEvent
from webapp.store import Store
from webapp.store.records import RunRecord, StepRecord

STEP_STATUS_BY_EVENT = {
    "STEP_STARTED": "running",
    "STEP_RETRYING": "retrying",
    "STEP_SUCCEEDED": "succeeded",
    "STEP_FAILED": "failed",
    "STEP_SKIPPED": "skipped",
    "STEP_CANCELLED": "cancelled",
}


@dataclass(frozen=True)
class Truth:
    run: RunRecord
    steps: dict[str, StepRecord]
    events: list[LeadPlanEvent]

    @property
    def types(self) -> list[str]:
        return [event.type for event in self.events]


async def assert_truthful(store: Store, run_id: str, status: str) -> Truth:
    """The stored run is whole and consistent, and its status is `status`."""
    run = await store.runs.get(run_id)
    assert run is not None, f"run {run_id} is not stored"
    events = await store.runs.events(run_id)
    steps = {step.step_id: step for step in await store.runs.steps(run_id)}

    assert [e.seq for e in events] == list(range(1, len(events) + 1)), "seq is not 1..n"
    assert run.last_seq == len(events), (run.last_seq, [(e.seq, e.type, e.step_id) for e in events])
    assert run.status == status, (run.status, run.summary)
    final = events[-1]
    if status == "interrupted":
        assert final.type == "RUN_INTERRUPTED"
        assert run.owner_id is None  # free for anyone to resume
    else:
        assert (final.type, final.status) == ("PLAN_COMPLETED", status)
    assert [e.type for e in events].count("PLAN_COMPLETED") <= 1

    for step_id, step in steps.items():
        assert step.status == _step_status_told_by(events, step_id), step_id

    leads = await store.outputs.leads_for_run(run_id)
    keys = [(lead.source, lead.source_id, lead.business_name, lead.domain) for lead in leads]
    assert len(keys) == len(set(keys)), "a lead was saved twice"
    counts = await store.outputs.counts_for_run(run_id)
    assert counts["lists"] <= 1 and counts["sequences"] <= 1 and counts["monitors"] <= 1
    assert run.lead_count == len(leads)
    return Truth(run=run, steps=steps, events=events)


def _step_status_told_by(events: Sequence[LeadPlanEvent], step_id: str) -> str:
    """A step's status as its events tell it; an interruption puts a cut-off step back to
    pending (the resume runs it again)."""
    status = "pending"
    for event in events:
        if event.step_id == step_id and event.type in STEP_STATUS_BY_EVENT:
            status = STEP_STATUS_BY_EVENT[event.type]
        elif event.type == "RUN_INTERRUPTED" and status in ("running", "retrying"):
            status = "pending"
    return status


def streamed_events(messages: Sequence[Message]) -> list[tuple[int, str]]:
    """(seq, type) of each event a JSON stream sent, in order (not `done` or `restarting`)."""
    found = []
    for message in messages:
        if message.id is None:
            continue
        event = json.loads(message.data)
        assert int(message.id) == event["seq"]
        assert message.event == event["type"]
        found.append((event["seq"], event["type"]))
    return found


def assert_stream_is_the_log(messages: Sequence[Message], truth: Truth, *, after: int = 0) -> None:
    """A JSON stream that started after `after` sent exactly the stored events after it, each
    once, in order."""
    expected = [(e.seq, e.type) for e in truth.events if e.seq > after]
    assert streamed_events(messages) == expected


def assert_page_stream_is_the_log(
    messages: Sequence[Message], truth: Truth, *, after: int = 0
) -> None:
    """The same for a page's stream: one `update` per stored event after `after`."""
    updates = [m for m in messages if m.id is not None]
    assert {m.event for m in updates} <= {"update"}
    assert [int(m.id or 0) for m in updates] == [e.seq for e in truth.events if e.seq > after]
