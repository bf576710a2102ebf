"""The one writer: every write goes through it, batched into as few transactions as the load
allows, each one `BEGIN IMMEDIATE` in one call to the writer's own thread (ARCHITECTURE.md,
"The writer's batching")."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, NamedTuple

from webapp.store.rows import insert_rows, update_rows
from webapp.store.unwritable import refusal

logger = logging.getLogger(__name__)

Op = Callable[[sqlite3.Connection], Any]

# Written with rows.insert_rows / rows.update_rows: the rows go after VALUES / into {values}.
INSERT_EVENTS = "INSERT INTO events (run_id, seq, timestamp, type, step_id, payload_json) VALUES"
UPDATE_STEPS = (  # one row per step (merged_step_updates)
    "UPDATE steps SET status = v.column1, attempts = v.column2, attempt_log_json = v.column3, "
    "started_at = v.column4, finished_at = v.column5, error_message = v.column6, "
    "blocked_by = v.column7, summary = coalesce(v.column8, steps.summary), "
    "output_json = coalesce(v.column9, steps.output_json) "
    "FROM (VALUES {values}) AS v WHERE steps.run_id = v.column10 AND steps.step_id = v.column11"
)
UPDATE_RUNS = (  # one row per run (merged_run_updates)
    "UPDATE runs SET last_seq = v.column1, status = coalesce(v.column2, runs.status), "
    "started_at = coalesce(runs.started_at, v.column3), "
    "finished_at = CASE WHEN v.column4 THEN v.column5 ELSE runs.finished_at END, "
    "summary = coalesce(v.column6, runs.summary), "
    "owner_id = CASE WHEN v.column7 THEN NULL ELSE runs.owner_id END "
    "FROM (VALUES {values}) AS v WHERE runs.id = v.column8"
)
LOCKED_RETRY_S = 0.05
GATHER_S = 0.001  # how long writes are gathered into one transaction, unless flushed
LOCKED_GIVE_UP_S = 30.0


class WriterStopped(RuntimeError):
    """The writer has stopped: nothing more can be saved until the server is restarted."""

    def __init__(self, cause: BaseException | None) -> None:
        why = f" ({type(cause).__name__}: {cause})" if cause is not None else ""
        super().__init__(
            f"The database writer has stopped{why}, so nothing more can be saved. Restart the "
            "server; the runs that were going will show as interrupted and can be resumed."
        )


class EventRow(NamedTuple):
    """A row of INSERT_EVENTS."""

    run_id: str
    seq: int
    timestamp: str
    type: str
    step_id: str | None
    payload_json: str


class StepUpdate(NamedTuple):
    """A row of UPDATE_STEPS: a step's new state (summary and output kept when None)."""

    status: str
    attempts: int
    attempt_log_json: str
    started_at: str | None
    finished_at: str | None
    error_message: str | None
    blocked_by: str | None
    summary: str | None
    output_json: str | None
    run_id: str
    step_id: str


class RunUpdate(NamedTuple):
    """A row of UPDATE_RUNS: a run's new state after one event."""

    last_seq: int
    status: str | None  # None: unchanged
    started_at: str | None  # kept once set
    finishing: bool  # the event sets finished_at (to `finished_at`)
    finished_at: str | None
    summary: str | None  # None: unchanged
    release_owner: bool  # the run is no longer any process's
    run_id: str


@dataclass(frozen=True)
class EventWrite:
    """One event and the row changes it brings, as rows for the statements above."""

    run_id: str
    seq: int
    event: EventRow
    step: StepUpdate | None
    run: RunUpdate
    payload: Any = None  # the event object itself, handed to listeners after the commit


@dataclass
class _Op:
    op: Op | None  # None: a barrier that only waits for what was queued before it
    future: asyncio.Future[Any]


class Writer:
    """Each batch is one `BEGIN IMMEDIATE` transaction, done in one call to the writer's own
    thread (a hop to that thread costs more than most statements). A run's events and the run
    and step rows they change are committed together, so a crash never leaves them apart.

    Events are queued without waiting for their commit (the executor is not slowed by the
    disk); other writes are awaited. Listeners hear of events only after they are committed, so
    whatever a reader sees in the database, the live stream never gets ahead of it.

    A run whose events cannot be written (the disk is full, the database stays locked) must not
    go on with a hole in its log: the writer refuses its later events, tells `on_lost`, and
    takes them again once its interruption is recorded (`readmit`, from that write).

    A listener's error is logged and contained. Should the writer stop for any other reason, it
    says so (`alive`, `WriterStopped` to every waiting and later write) and tells `on_stopped`.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        thread: ThreadPoolExecutor,
        *,
        on_commit: Callable[[list[EventWrite]], None] | None = None,
        on_lost: Callable[[dict[str, Exception]], None] | None = None,
        on_stopped: Callable[[BaseException], None] | None = None,
        max_batch: int = 5000,
        max_queued_events: int = 20_000,
    ) -> None:
        self.conn = conn
        self.thread = thread
        self.on_commit = on_commit
        self.on_lost = on_lost  # hears which runs' events could not be written, and why
        self.on_stopped = on_stopped  # hears that the writer stopped for good, and why
        self.stopped: BaseException | None = None  # why the writer stopped, once it has
        self.max_batch = max_batch
        self.max_queued_events = max_queued_events
        self._queue: deque[EventWrite | _Op] = deque()
        self._queued_events = 0
        self._wake = asyncio.Event()
        self._room = asyncio.Event()  # set while the queue is below its low-water mark
        self._room.set()
        self._task: asyncio.Task[None] | None = None
        self._gathering: asyncio.Future[None] | None = None  # done: cut the batch now
        self._hurried = False  # a flush or a full batch came since the gathering began
        self._closing = False
        # runs whose events failed: their later events are dropped until `readmit`. Touched
        # only in the writer's thread during a batch, or in the loop between batches.
        self._refused: set[str] = set()
        self.batches = 0
        self.events_written = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="leadgen-store-writer")

    @property
    def alive(self) -> bool:
        """Started, not closed and not stopped: what is queued will be written."""
        return self._task is not None and not self._task.done() and self.stopped is None

    def _refuse_if_stopped(self) -> None:
        if self.stopped is not None:
            raise WriterStopped(self.stopped)
        if self._closing:
            raise RuntimeError("the store is closed")

    def add_event(self, write: EventWrite) -> None:
        self._refuse_if_stopped()
        self._queue.append(write)
        self._queued_events += 1
        if self._queued_events >= self.max_queued_events:
            self._room.clear()
        self._wake.set()
        if len(self._queue) >= self.max_batch:
            self._hurry()

    async def add_event_with_backpressure(self, write: EventWrite) -> None:
        """Queue an event; when far too many wait for the disk, wait until half are written."""
        if not self._room.is_set():
            await self._room.wait()
        self.add_event(write)

    async def run(self, op: Op) -> Any:
        """Run `op(conn)` in the writer's thread and transaction, in order with the queue."""
        return await self.submit(op)

    def submit(self, op: Op | None) -> asyncio.Future[Any]:
        """Queue `op` now (in order with what is queued) and return a future of its result."""
        self._refuse_if_stopped()
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append(_Op(op, future))
        self._wake.set()
        if op is None:
            self._hurry()  # a flush: someone waits for all of it
        return future

    async def run_after_stop(self, op: Op) -> Any:
        """Once the writer's loop has stopped, `op` in a transaction of its own on the writer's
        thread and connection (nothing else uses them then): the last words, such as marking
        interrupted the runs this process was executing. Raises what the database raises."""

        def once(conn: sqlite3.Connection) -> Any:
            self._begin()
            try:
                result = op(conn)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

        return await asyncio.get_running_loop().run_in_executor(self.thread, once, self.conn)

    async def flush(self) -> None:
        """Wait until everything queued so far is committed (now: the gathering stops)."""
        await self.submit(None)

    async def close(self) -> None:
        if self._task is None:
            return
        self._closing = True
        self._wake.set()
        self._hurry()
        task, self._task = self._task, None
        if self.stopped is not None:  # it ended already, and said why
            if task.done() and not task.cancelled():
                task.exception()  # (retrieved: it was logged when it stopped the writer)
            return
        await task

    async def _loop(self) -> None:
        try:
            await self._write_until_closed()
        except BaseException as error:  # (a cancellation too: the writer is gone either way)
            self._stop(error)
            raise

    def _stop(self, error: BaseException) -> None:
        """The loop ended abnormally: every queued and later write hears it, and so does
        `on_stopped`; nothing waits for ever."""
        self.stopped = error
        logger.critical("the database writer stopped: %r; no write is possible now", error)
        refused = WriterStopped(error)
        while self._queue:
            item = self._queue.popleft()
            if isinstance(item, _Op) and not item.future.done():
                item.future.set_exception(refused)
        self._queued_events = 0
        self._room.set()  # (a writer waiting for room hears the refusal when it adds)
        if self.on_stopped is not None:
            try:
                self.on_stopped(error)
            except Exception:
                logger.exception("the writer's on_stopped listener failed")

    async def _write_until_closed(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self._gather()
            while self._queue:
                size = min(len(self._queue), self.max_batch)
                batch = [self._queue.popleft() for _ in range(size)]
                self._queued_events -= sum(isinstance(item, EventWrite) for item in batch)
                if self._queued_events <= self.max_queued_events // 2:
                    self._room.set()
                try:
                    outcome = await loop.run_in_executor(self.thread, self._write_batch, batch)
                except Exception as error:
                    # The batch was rolled back; its waiters hear why; the writer goes on.
                    logger.exception("a batch of %d writes failed and was rolled back", size)
                    lost = {w.run_id: error for w in batch if isinstance(w, EventWrite)}
                    self._refused.update(lost)
                    self._report_lost(lost)
                    _fail_all(batch, refusal(error))
                    continue
                self._deliver(batch, *outcome)
            if self._closing and not self._queue:
                return

    async def _gather(self) -> None:
        """Group commit: let writes gather for GATHER_S before a batch is cut (a run whose
        tools answer at once is over by then: it costs one transaction). A flush, or a full
        batch, cuts it at once. The writer waits on a timer, not by spinning the loop."""
        if self._hurried:
            self._hurried = False
            return
        loop = asyncio.get_running_loop()
        self._gathering = gathering = loop.create_future()
        timer = loop.call_later(GATHER_S, self._stop_gathering)
        try:
            await gathering
        finally:
            timer.cancel()
            self._gathering = None
            self._hurried = False

    def _hurry(self) -> None:
        """Cut the next batch without gathering (or end the gathering going on)."""
        self._hurried = True
        self._stop_gathering()

    def _stop_gathering(self) -> None:
        if self._gathering is not None and not self._gathering.done():
            self._gathering.set_result(None)

    def _deliver(
        self,
        batch: list[EventWrite | _Op],
        committed: list[EventWrite],
        results: list[Any],
        lost: dict[str, Exception],
    ) -> None:
        self.batches += 1
        self.events_written += len(committed)
        if committed and self.on_commit is not None:
            try:
                self.on_commit(committed)
            except Exception:  # a listener's fault must not stop the writer (or its waiters)
                logger.exception("a commit listener failed; the writes were committed")
        self._report_lost(lost)
        ops = [item for item in batch if isinstance(item, _Op)]
        for item, (ok, value) in zip(ops, results, strict=True):
            if item.future.done():
                continue
            if ok:
                item.future.set_result(value)
            else:
                item.future.set_exception(value)

    def _report_lost(self, lost: dict[str, Exception]) -> None:
        if lost and self.on_lost is not None:
            try:
                self.on_lost(lost)
            except Exception:
                logger.exception("a lost-writes listener failed")

    # -- in the writer thread ---------------------------------------------------------------

    def readmit(self, run_id: str) -> None:
        """Take a refused run's events again. Call it from the write (an op) that records its
        interruption, so that its log goes on from there without a hole."""
        self._refused.discard(run_id)

    def _write_batch(
        self, batch: list[EventWrite | _Op]
    ) -> tuple[list[EventWrite], list[tuple[bool, Any]], dict[str, Exception]]:
        self._begin()
        committed: list[EventWrite] = []
        results: list[tuple[bool, Any]] = []
        lost: dict[str, Exception] = {}
        try:
            segment: list[EventWrite] = []
            for item in batch:
                if isinstance(item, EventWrite):
                    if item.run_id not in self._refused:
                        segment.append(item)
                    continue
                if segment:
                    committed.extend(self._write_events(segment, lost))
                    segment = []
                results.append(self._run_op(item.op))
            if segment:
                committed.extend(self._write_events(segment, lost))
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        return committed, results, lost

    def _begin(self) -> None:
        deadline = time.monotonic() + LOCKED_GIVE_UP_S
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:  # another process holds the write lock?
                if not _held_elsewhere(error) or time.monotonic() > deadline:
                    raise  # e.g. read-only: waiting would not help
                logger.warning("database busy, retrying the write: %s", error)
                time.sleep(LOCKED_RETRY_S)

    def _write_events(
        self, segment: list[EventWrite], lost: dict[str, Exception]
    ) -> list[EventWrite]:
        """Write the events (with their row changes) in a savepoint; if that fails, each run's
        on its own, so that a run whose events cannot be written does not take the others
        down with it. A run that failed goes into `lost` and is refused from then on."""
        try:
            self._write_savepoint(segment)
            return segment
        except sqlite3.Error:
            if not self.conn.in_transaction:  # SQLite ended it: the whole batch is lost
                raise
        written: list[EventWrite] = []
        for run_id in dict.fromkeys(w.run_id for w in segment):
            writes = [w for w in segment if w.run_id == run_id]
            try:
                self._write_savepoint(writes)
            except sqlite3.Error as error:
                if not self.conn.in_transaction:
                    raise
                # Losing events silently would break the log's promise: say so loudly.
                logger.exception("could not write %d events of run %s", len(writes), run_id)
                self._refused.add(run_id)
                lost[run_id] = error
                continue
            written.extend(writes)
        return written

    def _write_savepoint(self, segment: list[EventWrite]) -> None:
        self.conn.execute("SAVEPOINT events")
        try:
            insert_rows(self.conn, INSERT_EVENTS, [w.event for w in segment])
            update_rows(self.conn, UPDATE_STEPS, merged_step_updates(segment))
            update_rows(self.conn, UPDATE_RUNS, merged_run_updates(segment))
        except sqlite3.Error:
            if self.conn.in_transaction:  # (see _run_op)
                self.conn.execute("ROLLBACK TO events")
                self.conn.execute("RELEASE events")
            raise
        self.conn.execute("RELEASE events")

    def _run_op(self, op: Op | None) -> tuple[bool, Any]:
        if op is None:
            return True, None
        self.conn.execute("SAVEPOINT op")
        try:
            value = op(self.conn)
        except Exception as error:
            if not self.conn.in_transaction:
                # SQLite rolled the whole transaction back (it may, on a full disk or an I/O
                # error): the ops before this one are lost too, so the batch fails as a whole.
                raise
            self.conn.execute("ROLLBACK TO op")
            self.conn.execute("RELEASE op")
            return False, refusal(error)
        self.conn.execute("RELEASE op")
        return True, value


def merged_step_updates(segment: list[EventWrite]) -> list[StepUpdate]:
    """One UPDATE per step: its latest state, keeping the latest summary and output."""
    latest: dict[tuple[str, str], StepUpdate] = {}
    for write in segment:
        step = write.step
        if step is None:
            continue
        key = (step.run_id, step.step_id)
        previous = latest.get(key)
        if previous is None:
            latest[key] = step
            continue
        latest[key] = step._replace(
            summary=step.summary if step.summary is not None else previous.summary,
            output_json=step.output_json if step.output_json is not None else previous.output_json,
        )
    return list(latest.values())


def merged_run_updates(segment: list[EventWrite]) -> list[RunUpdate]:
    """One UPDATE per run, equivalent to applying its events' updates one after another."""
    merged: dict[str, RunUpdate] = {}
    for write in segment:
        run = write.run
        row = merged.get(run.run_id)
        if row is None:
            merged[run.run_id] = run
            continue
        finishing = run.finishing or row.finishing
        merged[run.run_id] = RunUpdate(
            last_seq=run.last_seq,
            status=run.status if run.status is not None else row.status,
            started_at=row.started_at if row.started_at is not None else run.started_at,
            finishing=finishing,
            finished_at=run.finished_at if run.finishing else row.finished_at,
            summary=run.summary if run.summary is not None else row.summary,
            release_owner=row.release_owner or run.release_owner,
            run_id=run.run_id,
        )
    return list(merged.values())


def _held_elsewhere(error: sqlite3.OperationalError) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED: another connection has the write lock, for now."""
    code = getattr(error, "sqlite_errorcode", sqlite3.SQLITE_BUSY)  # (made by hand: as before)
    return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _fail_all(batch: list[EventWrite | _Op], error: Exception) -> None:
    for item in batch:
        if isinstance(item, _Op) and not item.future.done():
            item.future.set_exception(error)
