"""Prints what the SQLite store costs: events persisted per second, the executor's cost per step
with persistence, and the time to read one page of the run history.

    python bench/store.py [--events N] [--runs N] [--repeat N] [--calls N]

Each part uses a fresh database file in a temporary folder.

1. Events: 50 runs are created, then `--events` events (built beforehand, as the executor
   builds them: PLAN_STARTED, STEP_STARTED and STEP_SUCCEEDED per step, PLAN_COMPLETED) are
   recorded for all of them interleaved through `store.runs.record`, then the writer is
   flushed. Figure: events / wall seconds from the first record to the end of the flush, and
   the writer's batches (events per commit). A read then checks every run's seq is 1..n.
2. Runs: a RunManager with tools that return at once runs the 6-step plan, a 200-step chain
   and 200 independent steps; wall time from `start_run` to `wait` (the run finished and all
   its events committed) divided by the number of steps, best of `--repeat`. The same plans
   run by the bare executor (no store) are shown beside it. Target: at most 150 µs per step.
3. History: `--runs` runs are inserted with plain sqlite3 (after `Store.open` made the
   schema), then each kind of page (50 rows) is read `--calls` times, with the counts by
   status and without. Best and median in ms. Target: at most 20 ms per page (the verdict is
   on the median of the default page, with counts). The last row, a word in every goal, is
   the worst case of the text filter.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.executor import POLICY, TOOLS, USER, six_step_plan, synthetic_plan
from webapp.core import (
    LeadGenPlan,
    LeadGenPlanStep,
    LeadGenStepResult,
    LeadPlanEvent,
    StepAttempt,
    execute_lead_generation_plan,
)
from webapp.core.models import iso_timestamp, utc_now
from webapp.runtime.manager import RunManager, RunManagerOptions
from webapp.settings import Settings
from webapp.store import Store
from webapp.store.search_index import index_new_goals
from webapp.tools import ToolServices

RUNS_AT_ONCE = 50
PAGE = 50
TARGET_STEP_US = 150.0
TARGET_PAGE_MS = 20.0


# -- 1. events per second ---------------------------------------------------------------------

Record = tuple[LeadPlanEvent, LeadGenStepResult | None]


def run_events(plan: LeadGenPlan, run_id: str) -> list[Record]:
    """A run's events, with its step's state as the executor hands them to `on_record`."""
    records: list[Record] = []
    seq = 0

    def event(type_: str, step: LeadGenPlanStep | None = None, **fields: Any) -> LeadPlanEvent:
        nonlocal seq
        seq += 1
        return LeadPlanEvent(
            seq=seq,
            timestamp=fields.pop("timestamp", None) or iso_timestamp(utc_now()),
            type=type_,  # type: ignore[arg-type]
            plan_id=plan.id,
            run_id=run_id,
            user_id=USER.user_id,
            step_id=step.id if step else None,
            step_tool=step.tool if step else None,
            **fields,
        )

    count = len(plan.steps)
    records.append((event("PLAN_STARTED", status="running", summary=f"{count} steps"), None))
    for step in plan.steps:
        now = iso_timestamp(utc_now())
        running = LeadGenStepResult(
            step_id=step.id,
            status="running",
            started_at=now,
            attempts=1,
            attempt_log=[StepAttempt(attempt=1, started_at=now)],
        )
        started = event("STEP_STARTED", step, status="running", attempt=1, timestamp=now)
        records.append((started, running))
        done = iso_timestamp(utc_now())
        succeeded = running.model_copy(
            update={
                "status": "succeeded",
                "finished_at": done,
                "data": {"ok": True},
                "attempt_log": [
                    StepAttempt(attempt=1, started_at=now, finished_at=done, status="succeeded")
                ],
            }
        )
        records.append(
            (
                event("STEP_SUCCEEDED", step, status="succeeded", attempt=1, timestamp=done),
                succeeded,
            )
        )
    records.append(
        (event("PLAN_COMPLETED", status="succeeded", summary=f"{count} succeeded"), None)
    )
    return records


async def events_per_second(events: int) -> None:
    steps_per_run = max(1, (events // RUNS_AT_ONCE - 2) // 2)
    plan = synthetic_plan(steps_per_run, chained=True)
    run_ids = [f"run_bench{i:04d}" for i in range(RUNS_AT_ONCE)]
    per_run = [run_events(plan, run_id) for run_id in run_ids]
    # Interleaved: the first event of every run, then the second of every run, and so on.
    interleaved = [record for group in zip(*per_run, strict=True) for record in group]
    expected = len(per_run[0])
    with tempfile.TemporaryDirectory() as folder:
        store = await Store.open(os.path.join(folder, "events.db"))
        try:
            for run_id in run_ids:
                await store.runs.create(
                    run_id=run_id,
                    plan=plan,
                    user_id=USER.user_id,
                    created_at=iso_timestamp(utc_now()),
                )
            batches_before = store.writer.batches
            written_before = store.writer.events_written
            started = time.perf_counter()
            for event, step in interleaved:
                await store.runs.record(event, step)
            await store.writer.flush()
            elapsed = time.perf_counter() - started
            batches = store.writer.batches - batches_before
            written = store.writer.events_written - written_before
            print(
                f"events persisted ({RUNS_AT_ONCE} runs at once, {steps_per_run} steps each, "
                "interleaved)"
            )
            print(f"  events recorded           {len(interleaved):10,d}")
            print(f"  events committed          {written:10,d}")
            print(f"  wall time                 {elapsed:10.3f} s")
            print(f"  events per second         {len(interleaved) / elapsed:10,.0f}")
            print(
                f"  writer batches            {batches:10,d}  "
                f"({written / max(batches, 1):,.0f} events per commit)"
            )
            await check_seqs(store, run_ids, expected)
        finally:
            await store.close()


async def check_seqs(store: Store, run_ids: list[str], expected: int) -> None:
    rows = await store.readers.fetchall(
        "SELECT runs.id, runs.last_seq, count(events.seq), min(events.seq), max(events.seq) "
        "FROM runs LEFT JOIN events ON events.run_id = runs.id GROUP BY runs.id"
    )
    found = {row[0]: tuple(row[1:]) for row in rows}
    wrong = {
        run_id: found.get(run_id)
        for run_id in run_ids
        if found.get(run_id) != (expected, expected, 1, expected)
    }
    if wrong:
        sample = dict(list(wrong.items())[:5])
        raise SystemExit(
            f"seq check: FAILED for {len(wrong)} of {len(run_ids)} runs; expected seq 1..{expected}"
            f" (last_seq, count, min, max) = {sample}"
        )
    print(f"  seq check: ok ({len(run_ids)} runs, each seq 1..{expected} with no gap)")


# -- 2. executor cost per step with persistence -------------------------------------------------


def build_manager(store: Store, path: str, max_step_concurrency: int) -> RunManager:
    """As webapp/runtime/factory.py builds it, with instant tools and exact retry waits."""
    services = ToolServices(
        settings=Settings(db=path),
        lead_lists=store.outputs,
        sequences=store.outputs,
        monitors=store.outputs,
    )
    return RunManager(
        store,
        services_for=lambda run_id, options: services,
        tools=TOOLS,
        options=RunManagerOptions(
            max_runs=1000,
            max_step_concurrency=max_step_concurrency,
            retry_policy=POLICY,
        ),
    )


async def best_of(repeat: int, once: Callable[[], Awaitable[None]]) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        await once()
        best = min(best, time.perf_counter() - started)
    return best


async def run_stored(
    manager: RunManager, store: Store, plan: LeadGenPlan, *, check: bool = False
) -> None:
    run_id = await manager.start_run(plan, USER)
    await manager.wait(run_id)  # the run has finished and its events are committed
    if check:
        run = await store.runs.get(run_id)
        assert run is not None and run.status == "succeeded", run
        assert run.last_seq == 2 * len(plan.steps) + 2, run.last_seq


async def run_bare(plan: LeadGenPlan, bound: int) -> None:
    result = await execute_lead_generation_plan(
        plan, USER, tools=TOOLS, retry_policy=POLICY, max_concurrency=bound
    )
    assert result.overall_status == "succeeded", result.overall_status


async def cost_per_step(repeat: int) -> None:
    shapes: list[tuple[str, LeadGenPlan, int]] = [
        ("6-step plan", six_step_plan(), 4),
        ("200-step chain", synthetic_plan(200, chained=True), 4),
        ("200 independent, bound 4", synthetic_plan(200, chained=False), 4),
        ("200 independent, bound 200", synthetic_plan(200, chained=False), 200),
    ]
    print(
        f"executor cost per step with persistence (best of {repeat}, tools return at once; "
        f"target ≤ {TARGET_STEP_US:.0f} µs/step)"
    )
    print(f"  {'':<30} {'with store':>16} {'no store':>16} {'store adds':>16}")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "runs.db")
        store = await Store.open(path)
        try:
            for name, plan, bound in shapes:
                manager = build_manager(store, path, bound)
                await manager.start()
                try:
                    await run_stored(manager, store, plan, check=True)  # and warms up
                    with_store = await best_of(
                        repeat, lambda m=manager, p=plan: run_stored(m, store, p)
                    )
                    without = await best_of(repeat, lambda p=plan, b=bound: run_bare(p, b))
                finally:
                    await manager.stop()
                steps = len(plan.steps)
                micros, bare_micros = with_store / steps * 1e6, without / steps * 1e6
                verdict = "ok" if micros <= TARGET_STEP_US else "MISSES TARGET"
                print(
                    f"  {name:<30} {micros:8.1f} µs/step {bare_micros:8.1f} µs/step "
                    f"{micros - bare_micros:8.1f} µs/step  {verdict}"
                )
        finally:
            await store.close()


# -- 3. history pages -------------------------------------------------------------------------

PERSONAS = [
    "coffee shops",
    "coffee roasters",
    "dentists",
    "plumbers",
    "electricians",
    "accountants",
    "bakeries",
    "florists",
    "gyms",
    "yoga studios",
    "hair salons",
    "barbers",
    "vets",
    "opticians",
    "architects",
    "solicitors",
    "estate agents",
    "restaurants",
    "bookshops",
    "garden centres",
]
CITIES = [
    "Manchester",
    "London",
    "Leeds",
    "Bristol",
    "Liverpool",
    "Birmingham",
    "Glasgow",
    "Edinburgh",
    "Cardiff",
    "Belfast",
    "Sheffield",
    "Newcastle",
    "Nottingham",
    "Leicester",
    "Brighton",
    "Oxford",
    "Cambridge",
    "York",
    "Bath",
    "Exeter",
    "Dublin",
    "Paris",
    "Berlin",
    "Madrid",
    "Lisbon",
    "Amsterdam",
    "Brussels",
    "Vienna",
    "Prague",
    "Copenhagen",
]
RARE_CITY = "Zürich"  # one run in RARE_EVERY
RARE_EVERY = 5000
STATUSES = ["succeeded", "partial", "failed", "cancelled", "interrupted"]
STATUS_WEIGHTS = [60, 15, 15, 5, 5]
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def history_rows(
    count: int, plan: LeadGenPlan, user_id: str | None = None
) -> list[tuple[Any, ...]]:
    """`count` runs of `user_id` (default: spread over twenty users), one a second."""
    rng = random.Random(20260101)
    plan_json = plan.model_dump_json(by_alias=True)
    rows = []
    for i in range(count):
        city = RARE_CITY if i % RARE_EVERY == RARE_EVERY // 2 else rng.choice(CITIES)
        goal = f"Find {rng.randint(5, 200)} {rng.choice(PERSONAS)} in {city}"
        status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
        created = EPOCH + timedelta(seconds=i)
        rows.append(
            (
                f"run_{rng.getrandbits(48):012x}",
                plan.id,
                user_id or f"user{rng.randrange(20)}",
                goal,
                plan_json,
                status,
                stamp(created),
                stamp(created + timedelta(milliseconds=50)),
                stamp(created + timedelta(seconds=3)),
                14,
                f"6 steps: {status}",
            )
        )
    return rows


def insert_runs(path: str, rows: list[tuple[Any, ...]]) -> None:
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.executemany(
                "INSERT INTO runs (id, plan_id, user_id, goal, status, created_at, "
                "started_at, finished_at, last_seq, summary) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [row[:4] + row[5:] for row in rows],
            )
            conn.executemany(
                "INSERT INTO run_plans (run_id, plan_json) VALUES (?, ?)",
                [(row[0], row[4]) for row in rows],
            )
            # and into the goal index, as the store's indexer does a moment after they start
            while index_new_goals(conn, 10_000):
                pass
    finally:
        conn.close()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} "


async def history_pages(runs: int, calls: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "history.db")
        await (await Store.open(path)).close()  # makes the schema
        rows = history_rows(runs, six_step_plan())
        started = time.perf_counter()
        insert_runs(path, rows)
        inserted = time.perf_counter() - started
        store = await Store.open(path)
        try:
            first = await store.history.page(limit=PAGE)
            assert first.next_cursor is not None or runs <= PAGE
            cursor = first.next_cursor
            queries: list[tuple[str, dict[str, Any]]] = [
                ("no filter", {}),
                ("status=failed", {"status": "failed"}),
                ("q=coffee", {"q": "coffee"}),
                (f"q={RARE_CITY}", {"q": RARE_CITY}),
                ("status=failed q=coffee", {"status": "failed", "q": "coffee"}),
                ("second page (cursor)", {"cursor": cursor}),
                ("q=Find (every run)", {"q": "Find"}),
            ]
            print(
                f"history page of {PAGE} rows with {runs:,d} runs "
                f"(inserted in {inserted:.1f} s; {calls} calls each; target ≤ "
                f"{TARGET_PAGE_MS:.0f} ms)"
            )
            print(f"  {'':<24} {'rows':>5} {'with counts (ms)':>17} {'no counts (ms)':>17}")
            print(f"  {'':<24} {'':>5}{'best':>8}{'median':>9}{'best':>8}{'median':>9}")
            for name, params in queries:
                results = []
                for with_counts in (True, False):
                    times = []
                    for _ in range(calls):
                        started = time.perf_counter()
                        page = await store.history.page(
                            limit=PAGE, with_counts=with_counts, **params
                        )
                        times.append(time.perf_counter() - started)
                    results.append((min(times), statistics.median(times), len(page.runs)))
                median = results[0][1]  # the default page: with the counts
                verdict = "ok" if median * 1000 <= TARGET_PAGE_MS else "MISSES TARGET"
                print(
                    f"  {name:<24} {results[0][2]:5d}{ms(results[0][0])}{ms(results[0][1])}"
                    f"{ms(results[1][0])}{ms(results[1][1])} {verdict}"
                )
            counts = (await store.history.page(limit=1)).counts
            print(f"  counts: {json.dumps(counts, sort_keys=True)}")
        finally:
            await store.close()


async def main(events: int, runs: int, repeat: int, calls: int) -> None:
    await events_per_second(events)
    print()
    await cost_per_step(repeat)
    print()
    await history_pages(runs, calls)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="events to persist (part 1)")
    parser.add_argument("--runs", type=int, default=100_000, help="runs in the history (part 3)")
    parser.add_argument("--repeat", type=int, default=10, help="repeats per plan (part 2)")
    parser.add_argument("--calls", type=int, default=20, help="calls per history page (part 3)")
    args = parser.parse_args()
    asyncio.run(main(args.events, args.runs, args.repeat, args.calls))
