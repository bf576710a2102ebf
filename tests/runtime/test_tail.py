"""Two processes on one database (two stores on the same file, a RunManager on each): what one
executes, the other's viewers follow live through the store, and a cancel asked through the
other reaches the run at once, not at the next heartbeat."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.core.conftest import USER, FakeTools, gate, hang, make_plan
from tests.runtime.conftest import FAST, ManagerFactory
from tests.waiting import until
from webapp.core.models import LeadPlanEvent
from webapp.runtime import EventHub, RunManager, RunManagerOptions, SubscriberDropped
from webapp.runtime.hub import SubscriptionClosed
from webapp.store import Store
from webapp.store import rows as rows_module

QUICK = {"tail_interval_s": 0.002, "cancel_check_s": 0.002}


@pytest.fixture
async def other_process(tmp_path: Path) -> AsyncIterator[RunManager]:
    """A second process's manager: its own store (connections, writer) on the same file."""
    store = await Store.open(str(tmp_path / "leadgen.db"))
    manager = RunManager(
        store,
        services_for=lambda run_id, options: None,
        options=RunManagerOptions(retry_policy=FAST, **QUICK),  # type: ignore[arg-type]
    )
    await manager.start()
    yield manager
    await manager.stop()
    await store.close()


async def test_a_run_another_process_executes_is_followed_live_to_its_end(
    make_manager: ManagerFactory, store: Store, other_process: RunManager
) -> None:
    opened, reached = asyncio.Event(), asyncio.Event()
    tools = FakeTools()
    tools.behave("google_places_1", gate(opened, reached))
    owner = await make_manager(tools, **QUICK)
    run_id = await owner.start_run(make_plan(), USER)
    await reached.wait()
    assert not other_process.is_local(run_id)

    seen, following = follow(other_process, run_id)
    await until(lambda: any(e.type == "STEP_STARTED" for e in seen))  # replayed: now it waits
    held = len(seen)
    opened.set()  # the rest happens while the other process follows
    await asyncio.wait_for(following, 30)

    stored = await store.runs.events(run_id)
    assert [e.seq for e in seen] == [e.seq for e in stored] == list(range(1, len(stored) + 1))
    assert len(seen) > held and seen[-1].type == "PLAN_COMPLETED"
    assert (await store.runs.get(run_id)).status == "succeeded"  # type: ignore[union-attr]


async def hung_run(make_manager: ManagerFactory, **options: Any) -> tuple[RunManager, str]:
    """A manager executing a run that hangs in its first step, and the run."""
    started = asyncio.Event()
    tools = FakeTools()
    tools.behave("google_places_1", hang(started))
    owner = await make_manager(tools, **QUICK, **options)
    run_id = await owner.start_run(make_plan(), USER)
    await started.wait()
    return owner, run_id


def follow(manager: RunManager, run_id: str) -> tuple[list[LeadPlanEvent], asyncio.Task[None]]:
    """What `manager` streams of the run, as it comes, and the task reading it."""
    seen: list[LeadPlanEvent] = []

    async def read() -> None:
        async for batch in manager.subscribe_batches(run_id):
            seen.extend(batch)

    return seen, asyncio.create_task(read())


async def test_a_cancel_asked_through_another_process_stops_the_run_before_any_heartbeat(
    make_manager: ManagerFactory, store: Store, other_process: RunManager
) -> None:
    owner, run_id = await hung_run(make_manager, heartbeat_interval_s=3600)

    outcome = await other_process.cancel(run_id)
    await asyncio.wait_for(owner.wait(run_id), 30)

    assert outcome.status == "requested"
    run = await store.runs.get(run_id)
    assert run is not None and run.status == "cancelled"


async def test_a_process_that_stops_ends_its_streams_of_other_processes_runs(
    make_manager: ManagerFactory, store: Store, other_process: RunManager
) -> None:
    owner, run_id = await hung_run(make_manager)
    seen, following = follow(other_process, run_id)
    await until(lambda: any(e.type == "STEP_STARTED" for e in seen))

    await other_process.stop()
    await asyncio.wait_for(following, 30)  # ended, without an error

    assert (await store.runs.get(run_id)).status == "running"  # type: ignore[union-attr]
    assert owner.is_local(run_id)  # the process executing it goes on


async def test_the_store_reads_several_runs_events_after_each_ones_cursor(
    make_manager: ManagerFactory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = await make_manager(FakeTools())
    runs = [await manager.start_run(make_plan(), USER) for _ in range(3)]
    for run_id in runs:
        await manager.wait(run_id)
    counts = {run_id: len(await store.runs.events(run_id)) for run_id in runs}
    monkeypatch.setattr(rows_module, "MAX_PARAMETERS", 4)  # two statements for three runs

    found = await store.runs.events_after({runs[0]: 0, runs[1]: 5, runs[2]: counts[runs[2]]})

    assert [(e.run_id, e.seq) for e in found] == sorted(
        [(runs[0], seq) for seq in range(1, counts[runs[0]] + 1)]
        + [(runs[1], seq) for seq in range(6, counts[runs[1]] + 1)]
    )


def event(run_id: str, seq: int) -> LeadPlanEvent:
    return LeadPlanEvent(
        seq=seq,
        timestamp="2026-11-24T09:00:00.000Z",
        type="PLAN_STARTED",
        plan_id="plan_1",
        run_id=run_id,
        user_id="u1",
    )


async def test_closing_a_runs_subscriptions_ends_them_as_closed_not_dropped() -> None:
    hub = EventHub(queue_size=2)
    closed, other = hub.subscribe("run_1"), hub.subscribe("run_2")
    hub.close("run_1")

    with pytest.raises(SubscriptionClosed):
        await closed.get_batch()
    assert hub.subscriber_count("run_1") == 0 and hub.subscriber_count("run_2") == 1
    hub.publish([event("run_2", seq) for seq in (1, 2, 3)])
    with pytest.raises(SubscriberDropped):  # a full queue still drops, as before
        await other.get_batch()
