"""The store: round trips, the event log, dedup, idempotent saves, migrations, history."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.core.conftest import make_plan
from webapp.core import Lead, LeadGenStepResult, LeadPlanEvent, StepAttempt
from webapp.core.ports import EmailSequence, Monitor, SequenceMessage, SequenceStep
from webapp.store import CursorError, Store, StoreError
from webapp.store import outputs as outputs_module
from webapp.store.schema import MIGRATIONS


async def create_run(store: Store, run_id: str = "run_1", goal: str | None = None) -> None:
    plan = make_plan(email=True)
    if goal is not None:
        plan = plan.model_copy(update={"goal": plan.goal.model_copy(update={"raw_goal": goal})})
    await store.runs.create(
        run_id=run_id, plan=plan, user_id="u1", created_at=f"2026-11-23T09:00:00.{run_id[-3:]}Z"
    )


def event(run_id: str, seq: int, type_: str, **fields: object) -> LeadPlanEvent:
    return LeadPlanEvent.model_validate(
        {
            "seq": seq,
            "timestamp": f"2026-11-23T09:00:{seq:02d}.000Z",
            "type": type_,
            "planId": "lead_plan_test",
            "runId": run_id,
            "userId": "u1",
            **fields,
        }
    )


async def test_a_run_round_trips_with_its_steps_events_and_outputs(store: Store) -> None:
    await create_run(store)
    step = LeadGenStepResult(
        step_id="google_places_1",
        status="succeeded",
        attempts=2,
        started_at="2026-11-23T09:00:01.000Z",
        finished_at="2026-11-23T09:00:03.000Z",
        data={"businesses": [{"businessName": "Bean"}], "summary": "Found 1"},
        attempt_log=[
            StepAttempt(attempt=1, started_at="2026-11-23T09:00:01.000Z", status="failed"),
            StepAttempt(attempt=2, started_at="2026-11-23T09:00:02.000Z", status="succeeded"),
        ],
    )
    await store.runs.record(event("run_1", 1, "PLAN_STARTED", status="running"), None)
    await store.runs.record(
        event("run_1", 2, "STEP_SUCCEEDED", stepId="google_places_1", summary="Found 1"), step
    )
    await store.runs.record(
        event("run_1", 3, "PLAN_COMPLETED", status="partial", summary="1 succeeded · 4 pending"),
        None,
    )
    await store.writer.flush()

    run = await store.runs.get("run_1")
    assert run is not None
    assert (run.status, run.last_seq, run.summary) == ("partial", 3, "1 succeeded · 4 pending")
    assert run.started_at == "2026-11-23T09:00:01.000Z"
    assert run.finished_at == "2026-11-23T09:00:03.000Z"
    assert run.plan == make_plan(email=True)
    steps = await store.runs.steps("run_1")
    assert [s.step_id for s in steps][:2] == ["google_places_1", "hunter_domain_lookup_2"]
    assert steps[0].status == "succeeded" and steps[0].attempts == 2
    assert steps[0].output == step.data
    assert [a.status for a in steps[0].attempt_log] == ["failed", "succeeded"]
    assert steps[1].status == "pending"
    events = await store.runs.events("run_1")
    assert [e.type for e in events] == ["PLAN_STARTED", "STEP_SUCCEEDED", "PLAN_COMPLETED"]
    assert [e.seq for e in await store.runs.events("run_1", after=1)] == [2, 3]


async def test_the_snapshot_reads_run_steps_and_events_together(store: Store) -> None:
    await create_run(store)
    await store.runs.record(event("run_1", 1, "PLAN_STARTED", status="running"), None)
    await store.writer.flush()

    snapshot = await store.runs.snapshot("run_1")

    assert snapshot is not None
    run, steps, events = snapshot
    assert run.last_seq == len(events) == 1
    assert len(steps) == 5
    assert await store.runs.snapshot("run_nope") is None


def lead(name: str, **fields: object) -> Lead:
    return Lead.model_validate({"businessName": name, "source": "demo", **fields})


async def test_leads_are_deduplicated_by_email_then_domain_then_source_id(store: Store) -> None:
    await create_run(store)
    leads = [
        lead("A", email="a@one.example", domain="one.example", sourceId="1"),
        lead("A again", email="A@one.example", sourceId="2"),  # same email, other case
        lead("B", domain="ONE.example", sourceId="3"),  # same domain
        lead("C", sourceId="1"),  # same source id
        lead("D", email="d@two.example", domain="two.example", sourceId="4"),
    ]

    saved = await store.outputs.save_lead_list(
        run_id="run_1", step_id="s4", user_id="u1", name="List", leads=leads, duplicates_dropped=2
    )

    assert saved.saved == 2
    assert saved.duplicates_dropped == 2 + 3
    assert [x.business_name for x in saved.leads] == ["A", "D"]
    assert [x.business_name for x in await store.outputs.leads_for_run("run_1")] == ["A", "D"]
    run = await store.runs.get("run_1")
    assert run is not None and run.lead_count == 2


async def test_saving_the_same_step_twice_creates_nothing_new(store: Store) -> None:
    await create_run(store)
    first = await store.outputs.save_lead_list(
        run_id="run_1",
        step_id="s4",
        user_id="u1",
        name="L",
        leads=[lead("A")],
        duplicates_dropped=0,
    )
    again = await store.outputs.save_lead_list(
        run_id="run_1",
        step_id="s4",
        user_id="u1",
        name="L",
        leads=[lead("B")],
        duplicates_dropped=0,
    )
    sequence = EmailSequence(
        name="S",
        list_id=first.list_id,
        steps=[SequenceStep(step_number=1, delay_days=0, subject_template="Hi", body_template="B")],
        messages=[
            SequenceMessage(
                lead_email="a@x.example",
                business_name="A",
                step_number=1,
                send_after_days=0,
                subject="Hi",
                body="B",
            )
        ],
    )
    seq1 = await store.outputs.save_sequence(
        run_id="run_1", step_id="s5", user_id="u1", sequence=sequence
    )
    seq2 = await store.outputs.save_sequence(
        run_id="run_1", step_id="s5", user_id="u1", sequence=sequence
    )
    monitor = Monitor(
        name="M", query="q", region="r", frequency="weekly", list_id="l", next_run_at="x"
    )
    mon1 = await store.outputs.save_monitor(
        run_id="run_1", step_id="s6", user_id="u1", monitor=monitor
    )
    mon2 = await store.outputs.save_monitor(
        run_id="run_1", step_id="s6", user_id="u1", monitor=monitor
    )

    assert (first.created, again.created) == (True, False)
    assert again.list_id == first.list_id
    assert [x.business_name for x in again.leads] == ["A"]
    assert (seq1.created, seq2.created, seq2.sequence_id) == (True, False, seq1.sequence_id)
    assert len(seq2.messages) == 1
    assert (mon1.created, mon2.created, mon2.monitor_id) == (True, False, mon1.monitor_id)
    assert await store.outputs.counts_for_run("run_1") == {
        "lists": 1,
        "leads": 1,
        "sequences": 1,
        "messages": 1,
        "monitors": 1,
    }


async def test_an_older_file_is_migrated_and_its_runs_are_searchable(db_path: str) -> None:
    conn = sqlite3.connect(db_path)
    conn.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
    plan_json = make_plan().model_dump_json(by_alias=True)
    conn.execute(
        "INSERT INTO runs (id, plan_id, user_id, goal, status, created_at) "
        "VALUES ('run_old', 'p', 'u1', 'Find 20 coffee shops in Manchester', 'succeeded', "
        "'2026-01-01T00:00:00.000Z')"
    )
    conn.execute("INSERT INTO run_plans (run_id, plan_json) VALUES ('run_old', ?)", (plan_json,))
    conn.commit()
    conn.close()

    store = await Store.open(db_path)
    try:
        page = await store.history.page(q="coffee")
        version = await store.readers.fetchone("PRAGMA user_version")
    finally:
        await store.close()

    assert [run.run_id for run in page.runs] == ["run_old"]
    assert page.counts == {"succeeded": 1}
    assert version is not None and version[0] == len(MIGRATIONS)


async def test_a_file_from_a_newer_version_is_refused_clearly(db_path: str) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    conn.close()

    with pytest.raises(StoreError, match="newer leadgen"):
        await Store.open(db_path)


async def test_the_database_is_in_wal_mode_with_foreign_keys(store: Store) -> None:
    mode = await store.readers.fetchone("PRAGMA journal_mode")
    keys = await store.readers.fetchone("PRAGMA foreign_keys")

    assert mode is not None and mode[0] == "wal"
    assert keys is not None and keys[0] == 1


async def test_close_is_safe_twice(db_path: str) -> None:
    store = await Store.open(db_path)
    await store.close()
    await store.close()


async def test_history_pages_newest_first_with_a_cursor_filters_and_counts(store: Store) -> None:
    for i in range(7):
        await create_run(store, f"run_{i:03d}", goal=f"Find {i} {'dentists' if i % 2 else 'cafes'}")
    for i in (1, 3):
        await store.runs.record(
            event(f"run_{i:03d}", 1, "PLAN_COMPLETED", status="failed", summary="x"), None
        )
    await store.writer.flush()

    first = await store.history.page(limit=3)
    second = await store.history.page(limit=3, cursor=first.next_cursor)
    third = await store.history.page(limit=3, cursor=second.next_cursor)

    assert [r.run_id for r in first.runs] == ["run_006", "run_005", "run_004"]
    assert [r.run_id for r in second.runs] == ["run_003", "run_002", "run_001"]
    assert [r.run_id for r in third.runs] == ["run_000"]
    assert third.next_cursor is None
    assert first.counts == {"pending": 5, "failed": 2}
    failed = await store.history.page(status="failed")
    assert [r.run_id for r in failed.runs] == ["run_003", "run_001"]
    dentists = await store.history.page(q="dentist")
    assert [r.run_id for r in dentists.runs] == ["run_005", "run_003", "run_001"]
    assert dentists.counts == {"pending": 1, "failed": 2}
    assert [r.run_id for r in (await store.history.page(q="6 ")).runs] == ["run_006"]
    assert (await store.history.page(q='"; DROP TABLE runs; --')).runs == []
    assert (await store.history.page(q="%")).runs == []
    with pytest.raises(CursorError):
        await store.history.page(cursor="not-a-cursor")


async def test_a_missing_parent_folder_is_created(tmp_path: Path) -> None:
    store = await Store.open(str(tmp_path / "deep" / "er" / "leadgen.db"))
    await store.close()

    assert (tmp_path / "deep" / "er" / "leadgen.db").exists()


@pytest.mark.parametrize("indexed", [False, True])
async def test_a_run_is_found_by_its_goal_before_and_after_its_goal_is_indexed(
    store: Store, indexed: bool
) -> None:
    await store.search_index.close()  # this test says when the index catches up
    for i in range(6):
        await create_run(store, f"run_{i:03d}", goal=f"Find {i} {'dentists' if i % 2 else 'cafes'}")
    await store.search_index.catch_up()
    for i in range(6, 9):  # created after the catch-up: not in the index yet
        await create_run(store, f"run_{i:03d}", goal=f"Find {i} {'dentists' if i % 2 else 'cafes'}")
    if indexed:
        assert await store.search_index.catch_up() == 3
    in_index = await store.readers.fetchall(
        "SELECT runs.id FROM runs_goal_search JOIN runs ON runs.rowid = runs_goal_search.rowid "
        "WHERE runs_goal_search MATCH '\"dentist\"'"
    )

    dentists = await store.history.page(q="dentist")

    expected_in_index = {"run_001", "run_003", "run_005"} | ({"run_007"} if indexed else set())
    assert {row[0] for row in in_index} == expected_in_index
    assert [r.run_id for r in dentists.runs] == ["run_007", "run_005", "run_003", "run_001"]
    assert dentists.counts == {"pending": 4}
    assert await store.search_index.catch_up() == (0 if indexed else 3)


async def test_a_save_leaves_the_runs_leads_at_hand_once_for_its_live_page(store: Store) -> None:
    await create_run(store)
    leads = [lead("B", sourceId="2"), lead("A", sourceId="1")]
    await store.outputs.save_lead_list(
        run_id="run_1", step_id="s4", user_id="u1", name="L", leads=leads, duplicates_dropped=0
    )

    fresh = store.outputs.take_fresh_leads("run_1")

    assert fresh is not None and fresh == await store.outputs.leads_for_run("run_1")
    assert [x.business_name for x in fresh] == ["B", "A"]
    assert store.outputs.take_fresh_leads("run_1") is None  # taken once: then read
    # A run with a second list: its leads are both lists', which the save alone does not know
    second = [lead("C", sourceId="3")]
    await store.outputs.save_lead_list(
        run_id="run_1", step_id="s9", user_id="u1", name="M", leads=second, duplicates_dropped=0
    )
    assert store.outputs.take_fresh_leads("run_1") is None
    assert len(await store.outputs.leads_for_run("run_1")) == 3


async def test_leads_kept_for_live_pages_are_bounded_by_their_number_not_only_by_runs(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outputs_module, "KEEP_FRESH_ITEMS", 100)
    runs = ["run_001", "run_002", "run_003", "run_004"]
    sizes = [50, 50, 50, 150]  # the last alone is larger than what is kept in all
    for run_id, size in zip(runs, sizes, strict=True):
        await create_run(store, run_id)
        many = [lead(f"{run_id} {n}", sourceId=f"{run_id}-{n}") for n in range(size)]
        await store.outputs.save_lead_list(
            run_id=run_id, step_id="s4", user_id="u1", name="L", leads=many, duplicates_dropped=0
        )

    kept = [store.outputs.take_fresh_leads(run_id) for run_id in runs]

    # the oldest made room for the newer ones; the too large one was never kept (its page reads it)
    assert [len(leads) if leads else None for leads in kept] == [None, 50, 50, None]
