"""A small pool of read-only connections. Reads never wait for the writer (WAL), and each
borrower has its connection to itself, so a snapshot can span several queries."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite

from webapp.store.connection import connect_reader

Params = Sequence[Any] | Mapping[str, Any]


class ReaderPool:
    def __init__(self, connections: list[aiosqlite.Connection]) -> None:
        self._all = connections
        self._idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        for conn in connections:
            self._idle.put_nowait(conn)

    @classmethod
    async def open(cls, path: str, size: int) -> ReaderPool:
        return cls([await connect_reader(path) for _ in range(size)])

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[aiosqlite.Connection]:
        conn = await self._idle.get()
        try:
            yield conn
        finally:
            self._idle.put_nowait(conn)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[aiosqlite.Connection]:
        """A connection inside one read transaction: every query sees the same moment."""
        async with self.connection() as conn:
            try:
                await conn.execute("BEGIN")
                yield conn
            finally:
                # Even when the borrower is cancelled at its BEGIN (a viewer leaving), the
                # COMMIT is queued behind it: the connection never goes back to the pool inside
                # a read transaction, where every later read on it would see the past.
                await conn.execute("COMMIT")

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        async with self.connection() as conn:
            return list(await conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def close(self) -> None:
        connections, self._all = self._all, []
        for conn in connections:
            await conn.close()
