"""The reader pool opens connections as borrowers need them, up to its size, and no more."""

from __future__ import annotations

import asyncio
import contextlib

import aiosqlite
import pytest

from webapp.store import Store
from webapp.store.connection import connect_reader
from webapp.store.readers import ReaderPool


async def test_a_quiet_store_reads_through_one_connection(store: Store) -> None:
    for _ in range(5):
        assert await store.readers.fetchone("SELECT 1") is not None
    assert store.readers.opened == 1


async def test_borrowers_that_find_none_idle_open_more_up_to_the_size(db_path: str) -> None:
    await (await Store.open(db_path)).close()  # the schema
    pool = await ReaderPool.open(db_path, 3)
    try:
        async with contextlib.AsyncExitStack() as held:
            conns = [
                await asyncio.wait_for(held.enter_async_context(pool.connection()), 30)
                for _ in range(3)
            ]
            assert len({id(conn) for conn in conns}) == 3
            assert pool.opened == 3
            # a fourth borrower waits for one of them to come back, and opens none
            fourth = asyncio.ensure_future(pool.fetchone("SELECT count(*) FROM runs"))
            for _ in range(5):
                await asyncio.sleep(0)
            assert not fourth.done()
            assert pool.opened == 3
        row = await asyncio.wait_for(fourth, 30)
        assert row is not None and row[0] == 0
    finally:
        await pool.close()


async def test_a_borrower_cancelled_while_its_connection_opens_leaves_it_to_the_pool(
    db_path: str,
) -> None:
    await (await Store.open(db_path)).close()
    release, done = asyncio.Event(), asyncio.Event()
    opened: list[aiosqlite.Connection] = []

    async def slow_open() -> aiosqlite.Connection:
        await release.wait()
        conn = await connect_reader(db_path)
        opened.append(conn)
        done.set()
        return conn

    pool = ReaderPool(slow_open, 2, [await connect_reader(db_path)])
    try:
        async with pool.connection():
            borrower = asyncio.ensure_future(pool.fetchone("SELECT 1"))
            await asyncio.sleep(0)
            assert pool.opened == 2  # it is opening the second
            borrower.cancel()
            with pytest.raises(asyncio.CancelledError):
                await borrower
            release.set()
            await asyncio.wait_for(done.wait(), 30)
            await asyncio.sleep(0)  # (the pool takes it when the opening task ends)
        # both connections are idle now: two borrowers at once need nothing new
        async with pool.connection() as first, pool.connection() as second:
            assert {id(first), id(second)} == {id(opened[0]), id(pool._all[0])}
        assert pool.opened == 2
    finally:
        await pool.close()


async def test_a_connection_that_cannot_be_opened_fails_its_borrower_only(db_path: str) -> None:
    await (await Store.open(db_path)).close()
    failures = 0

    async def failing_open() -> aiosqlite.Connection:
        nonlocal failures
        failures += 1
        raise OSError("too many open files")

    pool = ReaderPool(failing_open, 2, [await connect_reader(db_path)])
    try:
        async with pool.connection():
            with pytest.raises(OSError, match="too many open files"):
                await pool.fetchone("SELECT 1")
        assert failures == 1
        assert await pool.fetchone("SELECT 1") is not None  # the first one still serves
        assert pool.opened == 1
    finally:
        await pool.close()


async def test_a_closed_pool_refuses_to_lend(db_path: str) -> None:
    await (await Store.open(db_path)).close()
    pool = await ReaderPool.open(db_path, 2)
    await pool.close()
    with pytest.raises(RuntimeError, match="closed"):
        await pool.fetchone("SELECT 1")
