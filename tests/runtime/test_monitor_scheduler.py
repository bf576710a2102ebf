"""The monitor scheduler on the demo directory at zero latency, with an injected clock: due
monitors search again, save exactly the new leads once, record "N new leads", and a failing
provider is recorded and retried at the next tick. No real sleeps: tests call run_due()."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.core.conftest import USER, make_plan
from tests.runtime.conftest import ManagerFactory, demo_services
from webapp.core import Lead
from webapp.core.errors import ToolError
from webapp.core.models import (
    GOOGLE_PLACES_SEARCH,
    HUNTER_DOMAIN_LOOKUP,
    iso_timestamp,
    parse_timestamp,
)
from webapp.core.ports import Monitor
from webapp.core.tooling import ToolEnv
from webapp.runtime.monitors import MonitorScheduler
from webapp.store import Store
from webapp.store.monitors import MonitorRecord
from webapp.tools import demo_directory
from webapp.tools.providers.web_domains import domain_of
from webapp.tools.registry import run_lead_tool

NEW_PLACE = {
    "businessName": "Brand New Roasters",
    "website": "https://brand-new-roasters.example",
    "city": "Manchester",
    "source": "demo",
    "sourceId": "demo_brand_new",
}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Tools:
    """`run_lead_tool`, with scripted changes: extra places, failures, a record of calls."""

    def __init__(self) -> None:
        self.extra: list[dict[str, Any]] = []
        self.failures: dict[str, Exception] = {}  # query -> what its places search raises
        self.calls: list[tuple[str, int]] = []  # (tool, businesses it was given or found)

    async def __call__(self, tool: str, params: dict[str, Any], env: ToolEnv) -> Any:
        if tool == GOOGLE_PLACES_SEARCH and params["query"] in self.failures:
            raise self.failures[params["query"]]
        data = await run_lead_tool(tool, params, env)
        if tool == GOOGLE_PLACES_SEARCH:
            data["businesses"] = [*data["businesses"], *self.extra]
        if tool == HUNTER_DOMAIN_LOOKUP:
            self.calls.append((tool, len(data["businesses"])))
        return data


async def run_monitor(make_manager: ManagerFactory, store: Store) -> MonitorRecord:
    """The monitor a demo run with monitoring sets up (its list: 20 of 40 places found)."""
    manager = await make_manager()
    run_id = await manager.start_run(make_plan(monitoring=True), USER)
    await manager.wait(run_id)
    (monitor,) = await scheduler_for(store, Clock(datetime.now(UTC))).monitors.list_monitors()
    assert monitor.run_id == run_id
    return monitor


def scheduler_for(
    store: Store, clock: Callable[[], datetime], tools: Tools | None = None
) -> MonitorScheduler:
    return MonitorScheduler(
        store, demo_services(store), clock=clock, interval_s=60, run_tool=tools or Tools()
    )


async def list_leads(store: Store, list_id: str) -> list[dict[str, Any]]:
    rows = await store.readers.fetchall(
        "SELECT business_name, source_id, domain, email FROM leads WHERE list_id = ? "
        "ORDER BY position",
        (list_id,),
    )
    return [dict(row) for row in rows]


def just_after(timestamp: str) -> Clock:
    return Clock(parse_timestamp(timestamp) + timedelta(minutes=1))


async def test_a_due_monitor_that_finds_the_same_places_records_0_new_leads(
    make_manager: ManagerFactory, store: Store
) -> None:
    monitor = await run_monitor(make_manager, store)
    before = await list_leads(store, monitor.list_id)
    clock = just_after(monitor.next_run_at)
    tools = Tools()
    scheduler = scheduler_for(store, clock, tools)

    (check,) = await scheduler.run_due()

    assert (check.status, check.found, check.new_leads, check.summary) == (
        "succeeded",
        40,
        0,
        "0 new leads",
    )
    assert tools.calls == []  # nothing unseen: no domain or contact lookups spent
    assert await list_leads(store, monitor.list_id) == before
    after = await scheduler.monitors.get(monitor.monitor_id)
    assert after is not None
    assert after.next_run_at == iso_timestamp(clock.now + timedelta(weeks=1))
    assert after.last_run_at == iso_timestamp(clock.now)
    assert await scheduler.run_due() == []  # not due again until next week


async def test_exactly_the_new_places_are_saved_once_and_counted(
    make_manager: ManagerFactory, store: Store
) -> None:
    monitor = await run_monitor(make_manager, store)
    before = await list_leads(store, monitor.list_id)
    clock = just_after(monitor.next_run_at)
    tools = Tools()
    tools.extra = [NEW_PLACE]
    scheduler = scheduler_for(store, clock, tools)

    (check,) = await scheduler.run_due()

    assert (check.found, check.new_leads, check.summary) == (41, 1, "1 new lead")
    assert tools.calls == [(HUNTER_DOMAIN_LOOKUP, 1)]  # only the unseen place was looked up
    after = await list_leads(store, monitor.list_id)
    assert after[: len(before)] == before
    (added,) = after[len(before) :]
    assert (added["business_name"], added["source_id"], added["domain"]) == (
        "Brand New Roasters",
        "demo_brand_new",
        "brand-new-roasters.example",
    )
    assert added["email"] and added["email"].endswith("@brand-new-roasters.example")
    run = await store.runs.get(monitor.run_id)
    assert run is not None and run.lead_count == len(after)

    clock.advance(weeks=1, minutes=1)
    (again,) = await scheduler.run_due()
    assert again.new_leads == 0
    assert await scheduler.run_now(monitor.monitor_id) is not None
    assert await list_leads(store, monitor.list_id) == after


async def test_a_list_saved_with_fewer_leads_than_the_search_finds_grows_by_the_rest(
    store: Store,
) -> None:
    monitor = await store_monitor(store, frequency="daily", keep=5)
    before = len(await list_leads(store, monitor.list_id))
    clock = just_after(monitor.next_run_at)
    scheduler = scheduler_for(store, clock)

    (check,) = await scheduler.run_due()

    leads = await list_leads(store, monitor.list_id)
    assert check.found == 40
    assert check.new_leads == len(leads) - before > 0
    source_ids = [lead["source_id"] for lead in leads]
    domains = [lead["domain"] for lead in leads if lead["domain"]]
    assert len(set(source_ids)) == len(source_ids) and len(set(domains)) == len(domains)
    after = await scheduler.monitors.get(monitor.monitor_id)
    assert after is not None
    assert after.next_run_at == iso_timestamp(clock.now + timedelta(days=1))

    clock.advance(days=1)
    (again,) = await scheduler.run_due()
    assert again.new_leads == 0 and len(await list_leads(store, monitor.list_id)) == len(leads)


async def test_next_run_moves_by_the_monitor_frequency_from_the_clock(store: Store) -> None:
    daily = await store_monitor(store, frequency="daily", run_id="run_d")
    monthly = await store_monitor(store, frequency="monthly", run_id="run_m")
    clock = just_after(max(daily.next_run_at, monthly.next_run_at))
    clock.advance(hours=5)
    scheduler = scheduler_for(store, clock)

    assert len(await scheduler.run_due()) == 2

    moved = {m.frequency: m.next_run_at for m in await scheduler.monitors.list_monitors()}
    assert moved == {
        "daily": iso_timestamp(clock.now + timedelta(days=1)),
        "monthly": iso_timestamp(clock.now + timedelta(days=30)),
    }


async def test_paused_monitors_are_skipped(store: Store) -> None:
    monitor = await store_monitor(store)
    clock = just_after(monitor.next_run_at)
    scheduler = scheduler_for(store, clock)
    await scheduler.monitors.pause(monitor.monitor_id)

    assert await scheduler.run_due() == []
    assert await scheduler.monitors.checks(monitor.monitor_id) == []

    await scheduler.monitors.resume(monitor.monitor_id)
    assert len(await scheduler.run_due()) == 1


async def test_a_failing_provider_is_recorded_and_retried_at_the_next_tick(store: Store) -> None:
    monitor = await store_monitor(store)
    clock = just_after(monitor.next_run_at)
    tools = Tools()
    tools.failures["coffee shops"] = ToolError("Google Places answered 503; try again later.")
    scheduler = scheduler_for(store, clock, tools)

    (failed,) = await scheduler.run_due()

    assert (failed.status, failed.error) == (
        "failed",
        "Google Places answered 503; try again later.",
    )
    stored = await scheduler.monitors.get(monitor.monitor_id)
    assert stored is not None and stored.next_run_at == monitor.next_run_at
    assert stored.last_check == failed

    clock.advance(seconds=60)  # the next tick
    del tools.failures["coffee shops"]
    (retried,) = await scheduler.run_due()

    assert retried.status == "succeeded"
    stored = await scheduler.monitors.get(monitor.monitor_id)
    assert stored is not None
    assert stored.next_run_at == iso_timestamp(clock.now + timedelta(weeks=1))
    assert [c.status for c in await scheduler.monitors.checks(monitor.monitor_id)] == [
        "succeeded",
        "failed",
    ]


async def test_one_monitor_failing_does_not_stop_the_others(store: Store) -> None:
    broken = await store_monitor(store, run_id="run_a", query="tea rooms")
    fine = await store_monitor(store, run_id="run_b")
    clock = just_after(max(broken.next_run_at, fine.next_run_at))
    tools = Tools()
    tools.failures["tea rooms"] = RuntimeError("a bug")
    scheduler = scheduler_for(store, clock, tools)

    checks = {check.monitor_id: check for check in await scheduler.run_due()}

    assert checks[broken.monitor_id].status == "failed"
    assert checks[broken.monitor_id].error == "The check failed unexpectedly: a bug"
    assert checks[fine.monitor_id].status == "succeeded"


async def test_run_now_checks_a_monitor_that_is_not_due(store: Store) -> None:
    monitor = await store_monitor(store)
    scheduler = scheduler_for(
        store, Clock(parse_timestamp(monitor.next_run_at) - timedelta(days=3))
    )

    assert await scheduler.run_due() == []
    check = await scheduler.run_now(monitor.monitor_id)

    assert check is not None and check.status == "succeeded"
    assert await scheduler.run_now("mon_unknown") is None


async def test_the_loop_runs_due_monitors_then_sleeps_the_interval(store: Store) -> None:
    monitor = await store_monitor(store)
    slept: list[float] = []
    woken = asyncio.Event()
    hold = asyncio.Event()

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        woken.set()
        await hold.wait()  # never set: the loop waits here until stopped

    scheduler = MonitorScheduler(
        store,
        demo_services(store),
        clock=just_after(monitor.next_run_at),
        interval_s=42,
        sleep=sleep,
    )
    await scheduler.stop()  # before start: nothing to stop
    scheduler.start()
    scheduler.start()  # a second start keeps the one loop
    await woken.wait()

    assert slept == [42]
    assert len(await scheduler.monitors.checks(monitor.monitor_id)) == 1
    await scheduler.stop()
    await scheduler.stop()


async def store_monitor(
    store: Store,
    *,
    frequency: str = "weekly",
    run_id: str = "run_1",
    query: str = "coffee shops",
    keep: int = 40,
) -> MonitorRecord:
    """A monitor on a run made in the store, whose list holds the first `keep` of the 40
    places the demo directory finds (the run has no search step output)."""
    await store.runs.create(
        run_id=run_id, plan=make_plan(monitoring=True), user_id="u1", created_at="2026-11-23"
    )
    places = demo_directory.search(query, "Manchester", "GB", 40)[:keep]
    leads: list[Lead] = [
        place.model_copy(update={"domain": domain_of(place.website)}) for place in places
    ]
    saved = await store.outputs.save_lead_list(
        run_id=run_id, step_id="s4", user_id="u1", name="L", leads=leads, duplicates_dropped=0
    )
    created = await store.outputs.save_monitor(
        run_id=run_id,
        step_id="s6",
        user_id="u1",
        monitor=Monitor(
            name=f"New {query} in Manchester",
            query=query,
            region="Manchester",
            country="GB",
            frequency=frequency,
            list_id=saved.list_id,
            next_run_at="2026-11-30T09:00:00.000Z",
        ),
    )
    monitor = await MonitorScheduler(store, demo_services(store)).monitors.get(created.monitor_id)
    assert monitor is not None
    return monitor


async def test_two_processes_running_due_monitors_at_once_check_each_once(
    store: Store, tmp_path: Path
) -> None:
    # The workers of `serve --workers 2` each run a scheduler on the same database.
    monitor = await store_monitor(store, keep=30)  # ten places are new to it
    other_store = await Store.open(str(tmp_path / "leadgen.db"))
    try:
        clock = just_after(monitor.next_run_at)
        here, there = Tools(), Tools()
        checks = await asyncio.gather(
            scheduler_for(store, clock, here).run_due(),
            scheduler_for(other_store, clock, there).run_due(),
        )
    finally:
        await other_store.close()

    assert sorted(len(done) for done in checks) == [0, 1]  # one of them checked it
    checked = await scheduler_for(store, clock).monitors.checks(monitor.monitor_id)
    assert [c.new_leads for c in checked] == [10]
    assert len(here.calls) + len(there.calls) == 1  # one search's lookups, not two
    stored = await scheduler_for(store, clock).monitors.get(monitor.monitor_id)
    assert stored is not None
    assert stored.next_run_at == iso_timestamp(clock.now + timedelta(weeks=1))
