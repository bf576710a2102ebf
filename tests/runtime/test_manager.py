"""The RunManager: persisted runs, live subscriptions with no gap, cancel, resume, retry."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import pytest

import webapp.runtime.manager as manager_module
from tests.core.conftest import USER, FakeTools, fail_times, gate, hang, make_plan
from tests.runtime.conftest import ManagerFactory
from tests.waiting import until
from webapp.core import LeadPlanEvent, ToolEnv
from webapp.runtime import RunManager, RunNotFound, RunStateError, SubscriberDropped
from webapp.store import Store


async def collect(manager: RunManager, run_id: str, after: int = 0) -> list[LeadPlanEvent]:
    return [event async for event in manager.subscribe(run_id, after)]


async def assert_contiguous(store: Store, run_id: str) -> list[LeadPlanEvent]:
    events = await store.runs.events(run_id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    return events


async def test_a_run_is_persisted_with_demo_tools_end_to_end(
    make_manager: ManagerFactory, store: Store
) -> None:
    manager = await make_manager()

    run_id = await manager.start_run(make_plan(email=True, monitoring=True), USER)
    await manager.wait(run_id)

    run = await store.runs.get(run_id)
    assert run is not None and run.status == "succeeded"
    assert run.owner_id is None  # released once finished
    events = await assert_contiguous(store, run_id)
    assert (events[0].type, events[-1].type) == ("PLAN_STARTED", "PLAN_COMPLETED")
    steps = await store.runs.steps(run_id)
    assert {s.status for s in steps} == {"succeeded"}
    assert run.lead_count == 20 == len(await store.outputs.leads_for_run(run_id))
    counts = await store.outputs.counts_for_run(run_id)
    assert (counts["lists"], counts["sequences"], counts["monitors"]) == (1, 1, 1)


async def test_seq_has_no_gaps_with_many_runs_at_once(
    make_manager: ManagerFactory, store: Store
) -> None:
    tools = FakeTools()

    async def yielding(params: dict[str, Any], env: ToolEnv) -> Any:
        await asyncio.sleep(0)
        return {}

    for step in make_plan(email=True, monitoring=True).steps:
        tools.behave(step.id, yielding)
    manager = await make_manager(tools, max_runs=20)

    run_ids = [
        await manager.start_run(make_plan(email=True, monitoring=True), USER) for _ in range(20)
    ]
    for run_id in run_ids:
        await manager.wait(run_id)

    for run_id in run_ids:
        events = await assert_contiguous(store, run_id)
        assert len(events) == 2 + 6 * 2


async def test_a_subscriber_joining_a_live_run_misses_nothing_and_repeats_nothing(
    make_manager: ManagerFactory, store: Store
) -> None:
    opened, reached = asyncio.Event(), asyncio.Event()
    tools = FakeTools()
    tools.behave("hunter_enrich_3", gate(opened, reached))
    manager = await make_manager(tools)
    run_id = await manager.start_run(make_plan(email=True), USER)
    await reached.wait()

    from_start = asyncio.create_task(collect(manager, run_id))
    from_three = asyncio.create_task(collect(manager, run_id, after=3))
    await asyncio.sleep(0)  # let both subscribe while the run is blocked mid-way
    opened.set()
    events, later = await from_start, await from_three

    stored = await assert_contiguous(store, run_id)
    assert [e.seq for e in events] == [e.seq for e in stored]
    assert events[-1].type == "PLAN_COMPLETED"
    assert [e.seq for e in later] == list(range(4, len(stored) + 1))


async def test_subscribing_to_a_finished_run_replays_it_and_ends(
    make_manager: ManagerFactory, store: Store
) -> None:
    manager = await make_manager(FakeTools())
    run_id = await manager.start_run(make_plan(), USER)
    await manager.wait(run_id)

    assert len(await collect(manager, run_id)) == len(await store.runs.events(run_id))
    assert await collect(manager, run_id, after=10_000) == []
    with pytest.raises(RunNotFound):
        await collect(manager, "run_missing")


async def test_a_slow_subscriber_is_dropped_and_the_run_goes_on(
    make_manager: ManagerFactory, store: Store
) -> None:
    first_open, first_reached = asyncio.Event(), asyncio.Event()
    last_open, last_reached = asyncio.Event(), asyncio.Event()
    tools = FakeTools()
    tools.behave("google_places_1", gate(first_open, first_reached))
    tools.behave("monitor_setup_6", gate(last_open, last_reached))
    manager = await make_manager(tools, queue_size=2)
    run_id = await manager.start_run(make_plan(email=True, monitoring=True), USER)
    await first_reached.wait()
    await store.writer.flush()
    stream = manager.subscribe(run_id)
    assert (await anext(stream)).seq == 1  # subscribed; now it stops reading

    first_open.set()  # the run races ahead while the subscriber reads nothing
    await last_reached.wait()
    await store.writer.flush()

    with pytest.raises(SubscriberDropped):
        async for _ in stream:
            pass
    assert manager.hub.dropped == 1
    last_open.set()
    await manager.wait(run_id)
    run = await store.runs.get(run_id)
    assert run is not None and run.status == "succeeded"


async def test_runs_beyond_the_limit_wait_in_order_as_pending(
    make_manager: ManagerFactory, store: Store
) -> None:
    started = asyncio.Event()
    tools = FakeTools()
    tools.behave("google_places_1", hang(started))
    manager = await make_manager(tools, max_runs=1)
    first = await manager.start_run(make_plan(), USER)
    await started.wait()
    tools.behave("google_places_1", fail_times(0))

    second = await manager.start_run(make_plan(), USER)
    await asyncio.sleep(0)
    waiting = await store.runs.get(second)
    assert waiting is not None and waiting.status == "pending"
    assert await store.runs.events(second) == []

    await manager.cancel(first)
    await manager.wait(first)
    await manager.wait(second)
    finished = await store.runs.get(second)
    assert finished is not None and finished.status == "succeeded"


async def test_cancel_a_running_run_a_queued_run_and_a_finished_one(
    make_manager: ManagerFactory, store: Store
) -> None:
    started = asyncio.Event()
    tools = FakeTools()
    tools.behave("hunter_domain_lookup_2", hang(started))
    manager = await make_manager(tools, max_runs=1)
    running = await manager.start_run(make_plan(), USER)
    queued = await manager.start_run(make_plan(), USER)
    await started.wait()

    outcome = await manager.cancel(running)
    queued_outcome = await manager.cancel(queued)
    await manager.wait(running)
    await manager.wait(queued)
    again = await manager.cancel(running)

    assert (outcome.status, queued_outcome.status) == ("cancelling", "cancelling")
    for run_id in (running, queued):
        run = await store.runs.get(run_id)
        assert run is not None and run.status == "cancelled"
        events = await assert_contiguous(store, run_id)
        assert events[-1].type == "PLAN_COMPLETED" and events[-1].status == "cancelled"
    assert again.status == "cancelled"
    assert "already finished" in again.message
    with pytest.raises(RunNotFound):
        await manager.cancel("run_missing")


async def test_stop_interrupts_a_run_and_resume_finishes_it_without_duplicates(
    make_manager: ManagerFactory, store: Store
) -> None:
    started = asyncio.Event()
    tools = FakeTools()
    tools.behave("hunter_enrich_3", hang(started))
    manager = await make_manager(tools)
    run_id = await manager.start_run(make_plan(email=True), USER)
    await started.wait()

    await manager.stop()

    run = await store.runs.get(run_id)
    assert run is not None and run.status == "interrupted" and run.owner_id is None
    events = await assert_contiguous(store, run_id)
    assert events[-1].type == "RUN_INTERRUPTED"
    assert "STEP_CANCELLED" not in {e.type for e in events}
    steps = {s.step_id: s.status for s in await store.runs.steps(run_id)}
    assert steps["hunter_enrich_3"] == "pending"
    assert steps["google_places_1"] == "succeeded"

    fresh = FakeTools()
    resumed_by = await make_manager(fresh)
    await resumed_by.resume(run_id)
    await resumed_by.wait(run_id)

    run = await store.runs.get(run_id)
    assert run is not None and run.status == "succeeded"
    called = [step_id for step_id, _ in fresh.calls]
    assert called == ["hunter_enrich_3", "lead_list_save_4", "email_sequence_setup_5"]
    events = await assert_contiguous(store, run_id)
    assert [e.type for e in events].count("RUN_RESUMED") == 1
    with pytest.raises(RunStateError, match="Only an interrupted run"):
        await resumed_by.resume(run_id)


async def test_resume_with_real_tools_never_duplicates_saved_outputs(
    make_manager: ManagerFactory, store: Store
) -> None:
    manager = await make_manager()
    run_id = await manager.start_run(make_plan(email=True, monitoring=True), USER)
    await manager.wait(run_id)
    before = await store.outputs.counts_for_run(run_id)
    # As if the process died after the tools saved but before the steps' events were written:
    await store.runs.reset_unfinished_steps(run_id, ["lead_list_save_4", "monitor_setup_6"])
    await store.writer.run(_set_status(run_id, "interrupted"))

    await manager.resume(run_id)
    await manager.wait(run_id)

    assert await store.outputs.counts_for_run(run_id) == before
    run = await store.runs.get(run_id)
    assert run is not None and run.status == "succeeded"


def _set_status(run_id: str, status: str) -> Any:
    def update(conn: Any) -> None:
        conn.execute("UPDATE runs SET status = ?, owner_id = NULL WHERE id = ?", (status, run_id))

    return update


async def test_retry_reruns_failed_and_skipped_steps_as_a_linked_run(
    make_manager: ManagerFactory, store: Store
) -> None:
    tools = FakeTools()
    tools.behave("hunter_enrich_3", fail_times(3))
    manager = await make_manager(tools)
    first = await manager.start_run(make_plan(), USER)
    await manager.wait(first)
    tools.calls.clear()

    second = await manager.retry(first)
    await manager.wait(second)

    original = await store.runs.get(first)
    retried = await store.runs.get(second)
    assert original is not None and original.status == "failed"  # its list was never saved
    assert retried is not None and retried.status == "succeeded"
    assert retried.parent_run_id == first
    assert [step_id for step_id, _ in tools.calls] == ["hunter_enrich_3", "lead_list_save_4"]
    reused = (await store.runs.steps(second))[0]
    assert reused.status == "succeeded" and reused.output == {
        "step": "google_places_1",
        "summary": "google_places_1 done",
    }


async def test_retry_from_a_chosen_step_reruns_it_and_everything_after(
    make_manager: ManagerFactory, store: Store
) -> None:
    tools = FakeTools()
    manager = await make_manager(tools)
    first = await manager.start_run(make_plan(email=True, monitoring=True), USER)
    await manager.wait(first)
    tools.calls.clear()

    second = await manager.retry(first, from_step="lead_list_save_4")
    await manager.wait(second)

    assert sorted(step_id for step_id, _ in tools.calls) == [
        "email_sequence_setup_5",
        "lead_list_save_4",
        "monitor_setup_6",
    ]
    retried = await store.runs.get(second)
    assert retried is not None and retried.retry_from_step == "lead_list_save_4"
    with pytest.raises(RunStateError, match="nothing to retry"):
        await manager.retry(first)
    with pytest.raises(ValueError, match="no step 'nope'"):
        await manager.retry(first, from_step="nope")


async def test_runs_of_a_dead_process_are_interrupted_and_a_live_ones_are_left(
    make_manager: ManagerFactory, store: Store
) -> None:
    dead = await store.processes.register()
    alive = await store.processes.register()
    for run_id, owner in (("run_dead", dead), ("run_alive", alive), ("run_nobody", None)):
        await store.runs.create(
            run_id=run_id,
            plan=make_plan(),
            user_id="u1",
            created_at="2026-11-23T09:00:00.000Z",
            status="running",
            owner_id=owner,
        )
    await store.writer.run(_forget_pid(dead))

    manager = await make_manager(FakeTools())

    records = {r: await store.runs.get(r) for r in ("run_dead", "run_alive", "run_nobody")}
    statuses = {r: record.status if record else None for r, record in records.items()}
    assert statuses == {
        "run_dead": "interrupted",
        "run_alive": "running",
        "run_nobody": "interrupted",
    }
    events = await store.runs.events("run_dead")
    assert [(e.seq, e.type) for e in events] == [(1, "RUN_INTERRUPTED")]
    assert manager.process_id not in (dead, alive)


def _forget_pid(process_id: str) -> Any:
    def update(conn: Any) -> None:  # a pid that no process on this host can have
        conn.execute("UPDATE processes SET pid = 2147483647 WHERE id = ?", (process_id,))

    return update


async def test_a_cancel_reaches_a_run_owned_by_another_process(
    make_manager: ManagerFactory, store: Store
) -> None:
    started = asyncio.Event()
    tools = FakeTools()
    tools.behave("google_places_1", hang(started))
    owner = await make_manager(tools, heartbeat_interval_s=0.01)
    other = await make_manager(FakeTools())
    run_id = await owner.start_run(make_plan(), USER)
    await started.wait()

    outcome = await other.cancel(run_id)
    await owner.wait(run_id)

    assert outcome.status == "requested"
    run = await store.runs.get(run_id)
    assert run is not None and run.status == "cancelled"


def test_run_ids_made_one_after_another_sort_in_that_order(monkeypatch: pytest.MonkeyPatch) -> None:
    # Sorted ids keep each new run's rows together at the end of the store's tables.
    start = 1_795_000_000_000_000_000  # ns
    moments = iter([start, start + 1_000_000, start + 100_000_000_000])
    monkeypatch.setattr(time, "time_ns", lambda: next(moments))
    ids = [manager_module.new_run_id() for _ in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3
    assert all(re.fullmatch(r"run_[0-9a-f]{18}", run_id) for run_id in ids)


async def test_a_run_cancelled_in_the_turn_its_slot_comes_free_gives_the_slot_back(
    make_manager: ManagerFactory, store: Store
) -> None:
    manager = await make_manager(FakeTools(), max_runs=1)
    slots = manager._slots
    await slots.acquire()  # a run holds the only slot

    async def wait_for_a_slot() -> None:
        async with manager._slot_or_cancel("run_waiting", asyncio.Event()):
            await asyncio.Event().wait()

    waiting = asyncio.create_task(wait_for_a_slot())
    await until(lambda: manager.runs_ahead("run_waiting") is not None, "it never waited in line")
    assert manager.runs_ahead("run_waiting") == 0

    slots.release()  # the holder ends, and in the same turn the waiting run is cancelled
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting

    assert manager.runs_ahead("run_waiting") is None
    assert not slots.locked()  # the slot it had just been given is free again
    run_id = await manager.start_run(make_plan(), USER)  # ... and a run can take it
    await asyncio.wait_for(manager.wait(run_id), 30)
    finished = await store.runs.get(run_id)
    assert finished is not None and finished.status == "succeeded"
