"""A pool of read-only connections. Reads never wait for the writer (WAL), and each borrower
has its connection to itself, so a snapshot can span several queries."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite

from webapp.store.connection import connect_reader

Params = Sequence[Any] | Mapping[str, Any]
Opener = Callable[[], Awaitable[aiosqlite.Connection]]


class ReaderPool:
    """Opens one connection at first and more as borrowers find none idle, up to its size.
    Under load a borrower holds its connection for several hops to the connection's thread,
    each waiting its turn of the event loop, so a small pool becomes a queue in front of every
    page and stream (bench/README.md, `bench.load`, has the figures). A quiet process (a test,
    the CLI) opens one or two."""

    def __init__(self, opener: Opener, size: int, connections: list[aiosqlite.Connection]) -> None:
        if size < 1:
            raise ValueError("a reader pool needs at least one connection")
        self.size = size
        self._opener = opener
        self._all = connections
        self._opening: set[asyncio.Task[aiosqlite.Connection]] = set()
        self._idle: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._closed = False
        for conn in connections:
            self._idle.put_nowait(conn)

    @classmethod
    async def open(cls, path: str, size: int) -> ReaderPool:
        """A pool of up to `size` connections to `path`, one of them opened now (so that a
        database that cannot be read fails here, not at the first read)."""
        return cls(lambda: connect_reader(path), size, [await connect_reader(path)])

    @property
    def opened(self) -> int:
        return len(self._all) + len(self._opening)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[aiosqlite.Connection]:
        conn = await self._borrow()
        try:
            yield conn
        finally:
            self._idle.put_nowait(conn)

    async def _borrow(self) -> aiosqlite.Connection:
        if self._closed:
            raise RuntimeError("the store is closed")
        if not self._idle.empty() or self.opened >= self.size:
            return await self._idle.get()
        # None idle and room for one more: open it in a task of its own, which a borrower
        # that is cancelled meanwhile never cancels (the connection then goes to the pool).
        opening = asyncio.ensure_future(self._opener())
        self._opening.add(opening)
        opening.add_done_callback(self._opened)
        await asyncio.wait([opening])
        if opening.cancelled() or opening.exception() is not None:
            return await opening  # re-raises why it could not be opened
        return await self._idle.get()  # it, or one given back while it opened

    def _opened(self, opening: asyncio.Task[aiosqlite.Connection]) -> None:
        self._opening.discard(opening)
        if opening.cancelled() or opening.exception() is not None:
            return
        conn = opening.result()
        self._all.append(conn)
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
        self._closed = True
        for opening in list(self._opening):
            with contextlib.suppress(Exception):
                await opening
        connections, self._all = self._all, []
        for conn in connections:
            await conn.close()
