"""Provider answers kept in SQLite for a time to live, so a domain looked up last week is not
paid for again. Reads go through the reader pool; writes are queued to the writer."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from webapp.store.readers import ReaderPool
from webapp.store.writer import Writer

logger = logging.getLogger(__name__)


class CacheRepository:
    def __init__(
        self, writer: Writer, readers: ReaderPool, *, wall_clock: Callable[[], float] = time.time
    ) -> None:
        self.writer = writer
        self.readers = readers
        self.wall_clock = wall_clock

    async def get(self, key: str) -> str | None:
        row = await self.readers.fetchone(
            "SELECT value_json FROM provider_cache WHERE key = ? AND expires_at > ?",
            (key, self.wall_clock()),
        )
        return str(row[0]) if row else None

    def put_soon(self, key: str, provider: str, value: str, ttl_s: float) -> None:
        now = self.wall_clock()

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT OR REPLACE INTO provider_cache (key, provider, value_json, created_at, "
                "expires_at) VALUES (?, ?, ?, ?, ?)",
                (key, provider, value, now, now + ttl_s),
            )
            conn.execute("DELETE FROM provider_cache WHERE expires_at <= ?", (now,))

        self.writer.submit(write).add_done_callback(_log_failure)

    async def clear(self) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM provider_cache")

        await self.writer.run(delete)


def _log_failure(future: Any) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.error("could not keep a provider answer: %s", future.exception())
