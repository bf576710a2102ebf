"""SQLite storage: runs, steps, the event log, leads and what the tools create. One writer
batches every write into transactions; a pool of readers serves reads without waiting for it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from webapp.core.models import utc_now
from webapp.store.accounts import AccountRepository
from webapp.store.cache import CacheRepository
from webapp.store.checkpoints import Checkpointer
from webapp.store.connection import StoreError, open_writer
from webapp.store.history import CursorError, HistoryRepository
from webapp.store.monitors import MonitorRepository
from webapp.store.outbox import OutboxRepository
from webapp.store.outputs import OutputRepository
from webapp.store.processes import ProcessRegistry
from webapp.store.readers import ReaderPool
from webapp.store.records import RunPage, RunRecord, RunRow, StepRecord
from webapp.store.runs import RunRepository
from webapp.store.search_index import GoalIndexer
from webapp.store.unwritable import DatabaseUnwritable
from webapp.store.usage import UsageRepository
from webapp.store.writer import EventWrite, Writer

DEFAULT_READERS = 16  # at most: the pool opens them as the load needs (store/readers.py)


class Store:
    def __init__(
        self,
        path: str,
        writer: Writer,
        readers: ReaderPool,
        clock: Callable[[], datetime],
        checkpointer: Checkpointer,
    ):
        self.path = path
        self.writer = writer
        self.readers = readers
        self.checkpointer = checkpointer
        self.search_index = GoalIndexer(writer, lambda: writer.batches)
        self.runs = RunRepository(writer, readers)
        self.outputs = OutputRepository(writer, readers, clock)
        self.history = HistoryRepository(readers)
        self.processes = ProcessRegistry(writer, readers)
        self.usage = UsageRepository(writer, readers)
        self.cache = CacheRepository(writer, readers)
        self.accounts = AccountRepository(writer, readers)
        self.outbox = OutboxRepository(writer, readers, clock)
        self.monitors = MonitorRepository(writer, readers)
        self._closed = False

    @classmethod
    async def open(
        cls,
        path: str,
        *,
        readers: int = DEFAULT_READERS,
        clock: Callable[[], datetime] = utc_now,
    ) -> Store:
        """The store on the file at `path`, migrated."""
        if path == ":memory:":
            raise StoreError("The store needs a file (WAL mode); give a path, not :memory:.")
        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leadgen-writer")
        loop = asyncio.get_running_loop()
        try:
            conn = await loop.run_in_executor(thread, open_writer, path)
        except BaseException:
            thread.shutdown(wait=False)
            raise
        writer = Writer(conn, thread)
        checkpointer = Checkpointer(path, lambda: writer.batches)
        try:
            pool = await ReaderPool.open(path, readers)
            try:
                await checkpointer.start()
                # the checkpointer copies the log back into the file, not the writer's commits
                await loop.run_in_executor(thread, conn.execute, "PRAGMA wal_autocheckpoint = 0")
            except BaseException:
                await checkpointer.close()
                await pool.close()
                raise
        except BaseException:
            await loop.run_in_executor(thread, conn.close)
            thread.shutdown(wait=False)
            raise
        writer.start()
        store = cls(path, writer, pool, clock, checkpointer)
        store.search_index.start()
        return store

    async def close(self) -> None:
        """Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            await self.search_index.close()
            await self.writer.close()
        finally:
            loop = asyncio.get_running_loop()
            await self.checkpointer.close()
            await loop.run_in_executor(self.writer.thread, self.writer.conn.close)
            self.writer.thread.shutdown(wait=True)
            await self.readers.close()


__all__ = [
    "CursorError",
    "DatabaseUnwritable",
    "EventWrite",
    "RunPage",
    "RunRecord",
    "RunRow",
    "StepRecord",
    "Store",
    "StoreError",
]
