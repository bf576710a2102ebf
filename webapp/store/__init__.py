"""SQLite storage: runs, steps, the event log, leads and what the tools create.

One writer batches every write into transactions; a pool of readers serves reads without
waiting for it. `Store.open(path)` migrates the file; `close()` is safe to call twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from webapp.core.models import utc_now
from webapp.store.connection import StoreError, connect, migrate
from webapp.store.history import CursorError, HistoryRepository
from webapp.store.outputs import OutputRepository
from webapp.store.processes import ProcessRegistry
from webapp.store.readers import ReaderPool
from webapp.store.records import RunPage, RunRecord, RunRow, StepRecord
from webapp.store.runs import RunRepository
from webapp.store.writer import EventWrite, Writer

DEFAULT_READERS = 4


class Store:
    def __init__(
        self, path: str, writer: Writer, readers: ReaderPool, clock: Callable[[], datetime]
    ):
        self.path = path
        self.writer = writer
        self.readers = readers
        self.runs = RunRepository(writer, readers)
        self.outputs = OutputRepository(writer, readers, clock)
        self.history = HistoryRepository(readers)
        self.processes = ProcessRegistry(writer, readers)
        self._closed = False

    @classmethod
    async def open(
        cls,
        path: str,
        *,
        readers: int = DEFAULT_READERS,
        clock: Callable[[], datetime] = utc_now,
    ) -> Store:
        if path == ":memory:":
            raise StoreError("The store needs a file (WAL mode); give a path, not :memory:.")
        conn = await connect(path, writer=True)
        try:
            await migrate(conn, path)
            pool = await ReaderPool.open(path, readers)
        except BaseException:
            await conn.close()
            raise
        writer = Writer(conn)
        writer.start()
        return cls(path, writer, pool, clock)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            await self.writer.close()
        finally:
            await self.writer.conn.close()
            await self.readers.close()


__all__ = [
    "CursorError",
    "EventWrite",
    "RunPage",
    "RunRecord",
    "RunRow",
    "StepRecord",
    "Store",
    "StoreError",
]
