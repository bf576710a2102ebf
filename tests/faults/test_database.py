"""The database failing under a run: busy (another connection holds the write lock), busy for
longer than the writer waits, and refusing a write (disk full). After each the log has no gap,
the stream is the log, nothing is half-written, and the run's status says what happened; a
run the database stopped is interrupted, and resuming it finishes it without duplicates."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from starlette.applications import Starlette

from tests.core.conftest import USER, FakeTools, make_plan
from tests.faults.truth import Truth, assert_stream_is_the_log, assert_truthful
from tests.faults.watch import start_run, watch
from tests.runtime.conftest import FAST, demo_services
from tests.web.helpers import fast_settings, serve
from webapp.core.models import LeadPlanEvent
from webapp.runtime import RunManager, RunManagerOptions
from webapp.runtime import recovery as recovery_module
from webapp.store import Store, connection, writer
from webapp.store.writer import INSERT_EVENTS, EventWrite

GOAL = "Find 5 coffee shops in Manchester, email them and monitor for new ones"
DISK_FULL = "database or disk is full"
BEATS_LIMIT = 1000


class LockHolder:
    """Another connection to the database that takes its write lock on cue and lets it go."""

    def __init__(self, db: str) -> None:
        self.conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        self.held = False

    def take(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            self.conn.execute("COMMIT")

    def close(self) -> None:
        self.release()
        self.conn.close()


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[LockHolder]:
    db = tmp_path / "faults.db"
    sqlite3.connect(db).close()
    held = LockHolder(str(db))
    yield held
    held.close()


class OnLog(logging.Handler):
    """Calls `act` (in whichever thread logs) when a record's message starts with `prefix`,
    from its `times`-th occurrence on."""

    def __init__(self, prefix: str, act: Callable[[], None], times: int = 1) -> None:
        super().__init__()
        self.prefix, self.act, self.times = prefix, act, times

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith(self.prefix):
            self.times -= 1
            if self.times <= 0:
                self.act()


@pytest.fixture
def on_writer_log() -> Iterator[Callable[[OnLog], None]]:
    logger = logging.getLogger(writer.__name__)
    handlers: list[OnLog] = []

    def add(handler: OnLog) -> None:
        handlers.append(handler)
        logger.addHandler(handler)

    yield add
    for handler in handlers:
        logger.removeHandler(handler)


def lock_when(app: Starlette, holder: LockHolder, event_type: str, step_id: str) -> None:
    """Take the write lock just after the run's `event_type` of `step_id` is committed (the
    writer is between batches then: the lock is free to take)."""
    store_writer = app.state.store.writer
    published = store_writer.on_commit

    def on_commit(writes: list[EventWrite]) -> None:
        published(writes)
        if not holder.held and any(
            w.payload.type == event_type and w.payload.step_id == step_id for w in writes
        ):
            holder.take()

    store_writer.on_commit = on_commit


async def resume_and_finish(app: Starlette, client: Any, run_id: str, truth: Truth) -> Truth:
    """Resume the interrupted run; it must finish, streamed from where the viewer left off."""
    await app.state.manager.resume(run_id)
    messages = await watch(client, run_id, after=truth.run.last_seq)
    finished = await assert_truthful(app.state.store, run_id, "succeeded")
    assert_stream_is_the_log(messages, finished, after=truth.run.last_seq)
    assert finished.events[: len(truth.events)] == truth.events  # the log only grew
    assert finished.types.count("RUN_RESUMED") == 1
    counts = await app.state.store.outputs.counts_for_run(run_id)
    assert (counts["lists"], counts["sequences"], counts["monitors"], counts["leads"]) == (
        1,
        1,
        1,
        5,
    )
    return finished


async def test_a_busy_database_delays_the_run_but_loses_nothing(
    tmp_path: Path, holder: LockHolder, on_writer_log: Callable[[OnLog], None]
) -> None:
    # held until the writer has found the database busy twice and is waiting its turn
    on_writer_log(OnLog("database busy, retrying the write", holder.release, times=2))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(connection, "BUSY_TIMEOUT_MS", 10)  # each wait for the lock is short
        settings = fast_settings(str(tmp_path / "faults.db"))
        async with serve(settings) as (app, client):
            lock_when(app, holder, "STEP_STARTED", "hunter_enrich_3")
            run_id = await start_run(client, GOAL)
            messages = await watch(client, run_id)
            truth = await assert_truthful(app.state.store, run_id, "succeeded")

    assert not holder.held
    assert_stream_is_the_log(messages, truth)
    assert messages[-1].event == "done"
    assert truth.run.lead_count == 5


async def test_a_database_busy_for_longer_than_the_writer_waits_interrupts_the_run(
    tmp_path: Path, holder: LockHolder, on_writer_log: Callable[[OnLog], None]
) -> None:
    # the writer gives up on the lock at once; the lock is let go as soon as it has
    on_writer_log(OnLog("a batch of", holder.release))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(connection, "BUSY_TIMEOUT_MS", 10)
        patch.setattr(writer, "LOCKED_GIVE_UP_S", 0.0)
        settings = fast_settings(str(tmp_path / "faults.db"))
        async with serve(settings) as (app, client):
            lock_when(app, holder, "STEP_STARTED", "hunter_enrich_3")
            run_id = await start_run(client, GOAL)
            messages = await watch(client, run_id)
            truth = await assert_truthful(app.state.store, run_id, "interrupted")
            assert_stream_is_the_log(messages, truth)
            assert messages[-1].event == "done"
            reason = truth.events[-1].summary or ""
            assert "database is locked" in reason and "Resume it" in reason
            assert "pending" in {step.status for step in truth.steps.values()}  # to run again
            await resume_and_finish(app, client, run_id, truth)


def event_rows(args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """The events an INSERT_EVENTS statement writes: its parameters, six to a row."""
    values = list(args[0]) if args else []
    return [tuple(values[i : i + 6]) for i in range(0, len(values), 6)]


class FillsUp:
    """The writer's connection, on a disk that fills up the first time the event it is told of
    is written: from then on every event write fails as SQLite fails on a full disk, until
    `free()`."""

    def __init__(self, conn: sqlite3.Connection, event_type: str, step_id: str) -> None:
        self._conn = conn
        self.target: tuple[str, str] | None = (event_type, step_id)
        self.full = False
        self.refused = 0

    def free(self) -> None:
        self.full = False

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql.startswith(INSERT_EVENTS):
            if any((row[3], row[4]) == self.target for row in event_rows(args)):
                self.full, self.target = True, None
            if self.full:
                self.refused += 1
                raise sqlite3.OperationalError(DISK_FULL)
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


async def test_a_write_refused_by_a_full_disk_interrupts_the_run_where_its_log_ends(
    tmp_path: Path, on_writer_log: Callable[[OnLog], None]
) -> None:
    # The leads are saved (their own write), then the step's STEP_SUCCEEDED cannot be: the
    # log must stop before it, not go on with a hole, and the resume must not save them twice.
    settings = fast_settings(str(tmp_path / "faults.db"))
    async with serve(settings) as (app, client):
        store_writer = app.state.store.writer
        disk = FillsUp(store_writer.conn, "STEP_SUCCEEDED", "lead_list_save_4")
        store_writer.conn = disk
        on_writer_log(OnLog("could not write", disk.free))  # space is freed once it is told
        run_id = await start_run(client, GOAL)
        messages = await watch(client, run_id)
        truth = await assert_truthful(app.state.store, run_id, "interrupted")
        assert disk.refused == 2  # the batch, then the run's events on their own
        assert_stream_is_the_log(messages, truth)
        assert DISK_FULL in (truth.events[-1].summary or "")
        assert "STEP_SUCCEEDED" not in {
            e.type for e in truth.events if e.step_id == "lead_list_save_4"
        }
        assert truth.steps["lead_list_save_4"].status == "pending"
        assert truth.run.lead_count == 5  # the list itself was saved
        await resume_and_finish(app, client, run_id, truth)


class RefusesRun:
    """The writer's connection, except that it cannot write `run_id`'s events while `broken`."""

    def __init__(self, conn: sqlite3.Connection, run_id: str) -> None:
        self._conn = conn
        self.run_id = run_id
        self.broken = True

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if (
            sql.startswith(INSERT_EVENTS)
            and self.broken
            and any(row[0] == self.run_id for row in event_rows(args))
        ):
            raise sqlite3.OperationalError(DISK_FULL)
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def event(run_id: str, seq: int) -> LeadPlanEvent:
    return LeadPlanEvent(
        seq=seq,
        timestamp=f"2026-11-24T09:00:0{seq}Z",
        type="PLAN_STARTED" if seq == 1 else "RUN_RESUMED",
        plan_id="lead_plan_test",
        run_id=run_id,
        user_id="u1",
        status="running",
    )


async def test_a_run_whose_events_cannot_be_written_is_refused_until_its_interruption(
    tmp_path: Path,
) -> None:
    store = await Store.open(str(tmp_path / "store.db"))
    lost: list[dict[str, Exception]] = []
    try:
        store.writer.on_lost = lost.append
        for run_id in ("run_a", "run_b"):
            await store.runs.create(
                run_id=run_id, plan=make_plan(), user_id="u1", created_at="2026-11-24T09:00:00Z"
            )
        refusing = RefusesRun(store.writer.conn, "run_a")
        store.writer.conn = cast(sqlite3.Connection, refusing)
        # one batch: run_a's events cannot be written; run_b's must be, all the same
        for write in (event("run_a", 1), event("run_b", 1), event("run_a", 2)):
            await store.runs.record(write, None)
        await store.writer.flush()
        refusing.broken = False
        await store.runs.record(event("run_a", 3), None)  # after a hole: refused
        await store.writer.flush()
        a_before = await store.runs.events("run_a")
        b = await store.runs.events("run_b")

        interrupted = await store.runs.interrupt(
            "run_a", owner_id=None, timestamp="2026-11-24T09:00:09Z", reason="disk full"
        )
        await store.runs.record(event("run_a", 2), None)  # the resume goes on from there
        await store.writer.flush()
        a_after = await store.runs.events("run_a")
    finally:
        await store.close()

    assert [list(report) for report in lost] == [["run_a"]]
    assert DISK_FULL in str(lost[0]["run_a"])
    assert a_before == [] and [e.seq for e in b] == [1]
    assert interrupted is not None and interrupted.seq == 1
    assert [(e.seq, e.type) for e in a_after] == [(1, "RUN_INTERRUPTED"), (2, "RUN_RESUMED")]


class FullDisk:
    """The writer's connection on a disk with no room for events (nor the interruption's)
    until `free()`."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.full = True

    def free(self) -> None:
        self.full = False

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql.startswith(INSERT_EVENTS) and self.full:
            raise sqlite3.OperationalError(DISK_FULL)
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


async def test_a_run_the_database_cannot_yet_mark_interrupted_is_marked_at_a_later_beat(
    tmp_path: Path,
) -> None:
    store = await Store.open(str(tmp_path / "beats.db"))
    manager = RunManager(
        store,
        services_for=lambda run_id, options: demo_services(store),
        tools=FakeTools().as_map(),
        options=RunManagerOptions(retry_policy=FAST, heartbeat_interval_s=0.01),
    )
    disk = FullDisk(store.writer.conn)
    told = OnLog("could not mark run", disk.free)  # room is made once the manager has failed
    logging.getLogger(recovery_module.__name__).addHandler(told)
    try:
        await manager.start()
        store.writer.conn = cast(sqlite3.Connection, disk)
        run_id = await manager.start_run(make_plan(), USER)
        await manager.wait(run_id)
        for _ in range(BEATS_LIMIT):  # the housekeeping's beats: 10 ms apart
            run = await store.runs.get(run_id)
            if run is not None and run.status == "interrupted":
                break
            await asyncio.sleep(0.01)
        truth = await assert_truthful(store, run_id, "interrupted")
    finally:
        logging.getLogger(recovery_module.__name__).removeHandler(told)
        await manager.stop()
        await store.close()

    assert not disk.full
    assert truth.types == ["RUN_INTERRUPTED"]  # nothing got written before it: no hole
    assert DISK_FULL in (truth.events[0].summary or "")
