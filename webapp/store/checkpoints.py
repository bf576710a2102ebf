"""Copies the write-ahead log into the database file from a thread and a connection of its
own, so that the writer's commits never pay for it."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from webapp.core.tasks import cancel_and_wait
from webapp.store.connection import BUSY_TIMEOUT_MS

logger = logging.getLogger(__name__)

POLL_S = 0.1
EVERY_COMMITS = 50  # a few hundred pages of log at most between two checkpoints
IDLE_AFTER_S = 1.0  # ... or this long after the last commit before it
RESTART_AFTER_FRAMES = 4000  # about 16 MB of log


class Checkpointer:
    """Left to itself, SQLite checkpoints inside the commit that takes the log past 1000 pages:
    that commit copies every page back into the file and syncs it, and the run whose events it
    carries waits. Here the writer's connection has automatic checkpoints off, and this
    checkpointer runs a PASSIVE one (it never blocks the writer or a reader) once enough commits
    have gone by, or a little after the last one. If the process dies first, the log is simply
    replayed by the next connection to open the file."""

    def __init__(self, path: str, commits: Callable[[], int]) -> None:
        self.path = path
        self.commits = commits  # the writer's count of commits so far
        self.checkpoints = 0
        self.ran = asyncio.Event()  # set after each checkpoint (clear it to wait for the next)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="leadgen-checkpoint")
        self._conn: sqlite3.Connection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._conn = await loop.run_in_executor(self._thread, self._connect)
        self._task = asyncio.create_task(self._loop(), name="leadgen-store-checkpoints")

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        return conn

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        done = self.commits()
        last_change, seen = loop.time(), done
        while True:
            await asyncio.sleep(POLL_S)
            now, commits = loop.time(), self.commits()
            if commits != seen:
                last_change, seen = now, commits
            if commits - done >= EVERY_COMMITS or (
                commits != done and now - last_change >= IDLE_AFTER_S
            ):
                await self.checkpoint()
                done = commits

    async def checkpoint(self) -> None:
        """A PASSIVE checkpoint: it copies what no reader still needs, and never waits."""
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._thread, self._checkpoint)
            self.ran.set()
        except sqlite3.Error:
            # Nothing is lost: the log keeps the pages until a later checkpoint copies them.
            logger.warning("checkpoint failed; trying again later", exc_info=True)

    def _checkpoint(self) -> None:
        assert self._conn is not None
        row = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        # The log starts again from its beginning only when a write begins after a checkpoint
        # has copied all of it. A writer that never pauses would make it grow for good; so once
        # it is longer than RESTART_AFTER_FRAMES, a RESTART checkpoint holds the next write back
        # (for the milliseconds the copy takes) and the log starts again.
        if row is not None and row[1] >= RESTART_AFTER_FRAMES:
            self._conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
        self.checkpoints += 1

    async def close(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)
        if self._conn is not None:
            await self.checkpoint()
            await asyncio.get_running_loop().run_in_executor(self._thread, self._conn.close)
            self._conn = None
        self._thread.shutdown(wait=True)
