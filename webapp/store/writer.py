"""The one writer: every write goes through it, batched into as few transactions as the load
allows. Each batch is one `BEGIN IMMEDIATE` transaction; a run's events and the run and step
rows they change are committed together, so a crash never leaves them apart.

Events are queued without waiting for their commit (the executor is not slowed by the disk);
other writes are awaited. Listeners hear of events only after they are committed, so whatever
a reader sees in the database, the live stream never gets ahead of it.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiosqlite

logger = logging.getLogger(__name__)

T = TypeVar("T")
Op = Callable[[aiosqlite.Connection], Awaitable[Any]]

INSERT_EVENT = (
    "INSERT INTO events (run_id, seq, timestamp, type, step_id, payload_json) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
UPDATE_STEP = (
    "UPDATE steps SET status = ?, attempts = ?, attempt_log_json = ?, started_at = ?, "
    "finished_at = ?, error_message = ?, blocked_by = ?, summary = coalesce(?, summary), "
    "output_json = coalesce(?, output_json) WHERE run_id = ? AND step_id = ?"
)
UPDATE_RUN = (
    "UPDATE runs SET last_seq = ?, status = coalesce(?, status), "
    "started_at = coalesce(started_at, ?), "
    "finished_at = CASE WHEN ? THEN ? ELSE finished_at END, "
    "summary = coalesce(?, summary), "
    "owner_id = CASE WHEN ? THEN NULL ELSE owner_id END WHERE id = ?"
)
RETRY_LOCKED_AFTER_S = 0.05


@dataclass(frozen=True)
class EventWrite:
    """One event and the row changes it brings, as parameters ready for the statements above."""

    run_id: str
    seq: int
    event: tuple[Any, ...]
    step: tuple[Any, ...] | None
    run: tuple[Any, ...]
    payload: Any = None  # the event object itself, handed to listeners after the commit


@dataclass
class _Op:
    op: Op
    future: asyncio.Future[Any]


class Writer:
    def __init__(
        self,
        conn: aiosqlite.Connection,
        *,
        on_commit: Callable[[list[EventWrite]], None] | None = None,
        max_batch: int = 5000,
        max_queued_events: int = 50_000,
    ) -> None:
        self.conn = conn
        self.on_commit = on_commit
        self.max_batch = max_batch
        self.max_queued_events = max_queued_events
        self._queue: deque[EventWrite | _Op] = deque()
        self._queued_events = 0
        self._wake = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.batches = 0
        self.events_written = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="leadgen-store-writer")

    def add_event(self, write: EventWrite) -> None:
        if self._closing:
            raise RuntimeError("the store is closed")
        self._queue.append(write)
        self._queued_events += 1
        self._drained.clear()
        self._wake.set()

    async def add_event_with_backpressure(self, write: EventWrite) -> None:
        """Queue an event; when far too many wait for the disk, wait until they are written."""
        if self._queued_events >= self.max_queued_events:
            await self._drained.wait()
        self.add_event(write)

    async def run(self, op: Op) -> Any:
        """Run `op(conn)` inside the writer's transaction, in order with the queued events."""
        if self._closing:
            raise RuntimeError("the store is closed")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append(_Op(op, future))
        self._drained.clear()
        self._wake.set()
        return await future

    async def flush(self) -> None:
        """Wait until everything queued so far is committed."""

        async def nothing(conn: aiosqlite.Connection) -> None:
            return None

        await self.run(nothing)

    async def close(self) -> None:
        if self._task is None:
            return
        if not self._closing:
            self._closing = True
            self._wake.set()
        task, self._task = self._task, None
        await task

    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                size = min(len(self._queue), self.max_batch)
                batch = [self._queue.popleft() for _ in range(size)]
                self._queued_events -= sum(isinstance(item, EventWrite) for item in batch)
                try:
                    await self._write_batch(batch)
                except Exception:
                    # The batch's waiters have their error; the writer must outlive it.
                    logger.exception("a batch of %d writes failed and was rolled back", size)
            self._drained.set()
            if self._closing and not self._queue:
                return

    async def _write_batch(self, batch: list[EventWrite | _Op]) -> None:
        committed: list[EventWrite] = []
        outcomes: list[tuple[_Op, bool, Any]] = []
        while True:
            try:
                await self.conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as error:  # another process holds the lock
                logger.warning("database busy, retrying the write: %s", error)
                await asyncio.sleep(RETRY_LOCKED_AFTER_S)
        try:
            index = 0
            while index < len(batch):
                item = batch[index]
                if isinstance(item, EventWrite):
                    end = index
                    while end < len(batch) and isinstance(batch[end], EventWrite):
                        end += 1
                    segment = [w for w in batch[index:end] if isinstance(w, EventWrite)]
                    if await self._write_events(segment):
                        committed.extend(segment)
                    index = end
                else:
                    outcomes.append(await self._run_op(item))
                    index += 1
            await self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                await self.conn.rollback()
            for op in batch:
                if isinstance(op, _Op) and not op.future.done():
                    op.future.set_exception(RuntimeError("the write was rolled back"))
            raise
        self.batches += 1
        self.events_written += len(committed)
        if committed and self.on_commit is not None:
            self.on_commit(committed)
        for op, ok, value in outcomes:
            if op.future.done():
                continue
            if ok:
                op.future.set_result(value)
            else:
                op.future.set_exception(value)

    async def _write_events(self, segment: list[EventWrite]) -> bool:
        await self.conn.execute("SAVEPOINT events")
        try:
            await self.conn.executemany(INSERT_EVENT, [w.event for w in segment])
            steps = [w.step for w in segment if w.step is not None]
            if steps:
                await self.conn.executemany(UPDATE_STEP, steps)
            await self.conn.executemany(UPDATE_RUN, [w.run for w in segment])
        except sqlite3.Error:
            # Losing events silently would break the log's promise: say so loudly.
            logger.exception(
                "could not write %d events (runs %s)",
                len(segment),
                sorted({w.run_id for w in segment}),
            )
            await self.conn.execute("ROLLBACK TO events")
            await self.conn.execute("RELEASE events")
            return False
        await self.conn.execute("RELEASE events")
        return True

    async def _run_op(self, item: _Op) -> tuple[_Op, bool, Any]:
        await self.conn.execute("SAVEPOINT op")
        try:
            value = await item.op(self.conn)
        except Exception as error:
            await self.conn.execute("ROLLBACK TO op")
            await self.conn.execute("RELEASE op")
            return item, False, error
        await self.conn.execute("RELEASE op")
        return item, True, value
