"""The monitor repository: due monitors, pause / resume / delete, and checks that add only the
leads a list lacks, count them truly and move the next run, in one transaction."""

from __future__ import annotations

from tests.core.conftest import make_plan
from webapp.core import Lead, LeadGenStepResult, LeadPlanEvent
from webapp.core.ports import Monitor
from webapp.store import Store
from webapp.store.monitors import KnownLeads, MonitorRecord, MonitorRepository

WEEK_LATER = "2026-11-30T09:00:00.000Z"


def lead(name: str, **fields: object) -> Lead:
    return Lead.model_validate({"businessName": name, **fields})


def repository(store: Store) -> MonitorRepository:
    return store.monitors


async def monitor_with_list(
    store: Store,
    leads: list[Lead],
    *,
    run_id: str = "run_1",
    next_run_at: str = "2026-11-23T09:00:00.000Z",
) -> MonitorRecord:
    """A run with monitoring, its saved list of `leads` and its monitor."""
    await store.runs.create(
        run_id=run_id, plan=make_plan(monitoring=True), user_id="u1", created_at=next_run_at
    )
    saved = await store.outputs.save_lead_list(
        run_id=run_id, step_id="s4", user_id="u1", name="L", leads=leads, duplicates_dropped=0
    )
    created = await store.outputs.save_monitor(
        run_id=run_id,
        step_id="s6",
        user_id="u1",
        monitor=Monitor(
            name="New coffee shops in Manchester",
            query="coffee shops",
            region="Manchester",
            frequency="weekly",
            list_id=saved.list_id,
            next_run_at=next_run_at,
        ),
    )
    record = await repository(store).get(created.monitor_id)
    assert record is not None
    return record


async def lead_names(store: Store, list_id: str) -> list[str]:
    rows = await store.readers.fetchall(
        "SELECT business_name FROM leads WHERE list_id = ? ORDER BY position", (list_id,)
    )
    return [row["business_name"] for row in rows]


async def test_a_monitor_reads_back_with_its_run_volume_and_no_check_yet(store: Store) -> None:
    monitor = await monitor_with_list(store, [lead("A")])

    assert (monitor.query, monitor.region, monitor.frequency) == (
        "coffee shops",
        "Manchester",
        "weekly",
    )
    assert (monitor.status, monitor.last_run_at, monitor.last_check) == ("active", None, None)
    assert monitor.volume == 20  # the goal of make_plan()
    assert [m.monitor_id for m in await repository(store).list_monitors()] == [monitor.monitor_id]
    assert await repository(store).list_monitors(user_id="someone else") == []


async def test_due_means_active_with_a_next_run_at_or_before_now(store: Store) -> None:
    early = await monitor_with_list(
        store, [], run_id="run_1", next_run_at="2026-11-23T08:00:00.000Z"
    )
    late = await monitor_with_list(
        store, [], run_id="run_2", next_run_at="2026-11-23T10:00:00.000Z"
    )
    paused = await monitor_with_list(
        store, [], run_id="run_3", next_run_at="2026-11-23T07:00:00.000Z"
    )
    repo = repository(store)
    await repo.pause(paused.monitor_id)

    assert [m.monitor_id for m in await repo.due("2026-11-23T09:00:00.000Z")] == [early.monitor_id]
    assert [m.monitor_id for m in await repo.due("2026-11-23T10:00:00.000Z")] == [
        early.monitor_id,
        late.monitor_id,
    ]
    await repo.resume(paused.monitor_id)
    assert [m.monitor_id for m in await repo.due("2026-11-23T09:00:00.000Z")] == [
        paused.monitor_id,
        early.monitor_id,
    ]


async def test_a_check_adds_only_what_the_list_lacks_and_counts_it(store: Store) -> None:
    monitor = await monitor_with_list(
        store, [lead("A", email="a@one.example", domain="one.example", sourceId="1")]
    )
    found = [
        lead("A again", email="A@one.example", sourceId="9"),  # same email: not new
        lead("A branch", domain="ONE.example", sourceId="8"),  # same domain: not new
        lead("A copy", sourceId="1"),  # same source id: not new
        lead("B", email="b@two.example", domain="two.example", sourceId="2"),
        lead("B twin", email="b@two.example", sourceId="3"),  # a repeat within the check
        lead("C", sourceId="4"),
    ]

    check = await repository(store).record_check(
        monitor.monitor_id,
        checked_at="2026-11-23T09:00:05.000Z",
        found=7,
        leads=found,
        next_run_at=WEEK_LATER,
    )

    assert check is not None
    assert (check.status, check.found, check.new_leads, check.summary) == (
        "succeeded",
        7,
        2,
        "2 new leads",
    )
    assert await lead_names(store, monitor.list_id) == ["A", "B", "C"]
    after = await repository(store).get(monitor.monitor_id)
    assert after is not None
    assert (after.next_run_at, after.last_run_at, after.last_new_leads) == (
        WEEK_LATER,
        "2026-11-23T09:00:05.000Z",
        2,
    )
    assert after.last_check == check
    run = await store.runs.get("run_1")
    assert run is not None and run.lead_count == 3
    saved = await store.readers.fetchone(
        "SELECT saved FROM lead_lists WHERE id = ?", (after.list_id,)
    )
    assert saved is not None and saved["saved"] == 3


async def test_recording_the_same_leads_twice_saves_them_once(store: Store) -> None:
    monitor = await monitor_with_list(store, [lead("A", sourceId="1")])
    repo = repository(store)
    found = [lead("B", sourceId="2"), lead("C", domain="c.example")]

    first = await repo.record_check(
        monitor.monitor_id,
        checked_at="2026-11-23T09:00:00.000Z",
        found=2,
        leads=found,
        next_run_at=WEEK_LATER,
    )
    second = await repo.record_check(
        monitor.monitor_id,
        checked_at="2026-11-30T09:00:00.000Z",
        found=2,
        leads=found,
        next_run_at="2026-12-07T09:00:00.000Z",
    )

    assert first is not None and second is not None
    assert (first.new_leads, second.new_leads, second.summary) == (2, 0, "0 new leads")
    assert await lead_names(store, monitor.list_id) == ["A", "B", "C"]
    assert [c.new_leads for c in await repo.checks(monitor.monitor_id)] == [0, 2]


async def test_a_failed_check_keeps_the_next_run_so_it_is_due_again(store: Store) -> None:
    monitor = await monitor_with_list(store, [], next_run_at="2026-11-23T08:00:00.000Z")
    repo = repository(store)

    check = await repo.record_failure(
        monitor.monitor_id, checked_at="2026-11-23T09:00:00.000Z", error="Hunter said no."
    )

    assert check is not None and (check.status, check.summary) == ("failed", "Hunter said no.")
    after = await repo.get(monitor.monitor_id)
    assert after is not None
    assert (after.next_run_at, after.last_run_at) == (
        "2026-11-23T08:00:00.000Z",
        "2026-11-23T09:00:00.000Z",
    )
    assert after.last_check == check
    assert [m.monitor_id for m in await repo.due("2026-11-23T09:01:00.000Z")] == [
        monitor.monitor_id
    ]


async def test_pause_resume_and_delete_answer_none_for_an_unknown_monitor(store: Store) -> None:
    repo = repository(store)

    assert await repo.pause("mon_nope") is None
    assert await repo.resume("mon_nope") is None
    assert await repo.delete("mon_nope") is False
    assert await repo.get("mon_nope") is None


async def test_deleting_a_monitor_drops_its_checks_and_keeps_its_leads(store: Store) -> None:
    monitor = await monitor_with_list(store, [lead("A")])
    repo = repository(store)
    await repo.record_check(
        monitor.monitor_id,
        checked_at="2026-11-23T09:00:00.000Z",
        found=1,
        leads=[lead("B")],
        next_run_at=WEEK_LATER,
    )

    assert await repo.delete(monitor.monitor_id) is True
    assert await repo.delete(monitor.monitor_id) is False

    assert await repo.get(monitor.monitor_id) is None
    assert await repo.checks(monitor.monitor_id) == []
    assert await lead_names(store, monitor.list_id) == ["A", "B"]
    late = await repo.record_check(
        monitor.monitor_id,
        checked_at="2026-11-23T09:00:01.000Z",
        found=1,
        leads=[lead("C")],
        next_run_at=WEEK_LATER,
    )
    assert late is None
    assert await repo.record_failure(monitor.monitor_id, checked_at="x", error="e") is None
    assert await lead_names(store, monitor.list_id) == ["A", "B"]


async def test_known_leads_are_the_list_and_what_the_run_search_found(store: Store) -> None:
    monitor = await monitor_with_list(store, [lead("A", domain="A.example", sourceId="1")])
    search = LeadGenStepResult(
        step_id="google_places_1",
        status="succeeded",
        data={"businesses": [{"businessName": "Runner-up", "sourceId": "7", "source": "demo"}]},
    )
    await store.runs.record(
        LeadPlanEvent.model_validate(
            {
                "seq": 1,
                "timestamp": "2026-11-23T09:00:01.000Z",
                "type": "STEP_SUCCEEDED",
                "planId": "lead_plan_test",
                "runId": "run_1",
                "userId": "u1",
                "stepId": "google_places_1",
            }
        ),
        search,
    )
    await store.writer.flush()

    known = await repository(store).known(monitor)

    assert known == KnownLeads(
        source_ids=frozenset({("demo", "1"), ("demo", "7")}), domains=frozenset({"a.example"})
    )
    assert known.knows(lead("Anything", sourceId="7"))
    assert known.knows(lead("Anything", domain="a.EXAMPLE"))
    assert not known.knows(lead("New", sourceId="8", domain="b.example"))
    assert not known.knows(lead("Other provider", source="osm", sourceId="7"))
