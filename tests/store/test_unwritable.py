"""Writes the database refuses (read-only, full): the caller hears DatabaseUnwritable in words
at once, caused by SQLite's own error, and nothing of the batch it was in is kept."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest

from tests.core.conftest import make_plan
from webapp.store import DatabaseUnwritable, Store


async def on_writer(store: Store, sql: str) -> Any:
    """Run `sql` on the writer's own connection, in its thread, outside any transaction."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(
        store.writer.thread, lambda: store.writer.conn.execute(sql).fetchall()
    )


async def test_a_read_only_database_refuses_a_write_at_once_in_words(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    # query_only: the test may run as root, whom a read-only file mode does not stop
    await on_writer(store, "PRAGMA query_only = ON")
    try:
        with pytest.raises(DatabaseUnwritable) as caught:
            await store.runs.create(
                run_id="run_a", plan=make_plan(), user_id="u1", created_at="2026-11-24T09:00:00Z"
            )
    finally:
        await on_writer(store, "PRAGMA query_only = OFF")

    assert str(caught.value) == (
        "The database cannot be written just now (read-only); nothing was saved. "
        "Try again when it is writable."
    )
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    assert "database busy" not in caplog.text  # not waited for as if another held the lock
    assert await store.runs.get("run_a") is None


async def test_a_full_database_fails_the_whole_batch_in_words(store: Store) -> None:
    await store.writer.run(lambda conn: conn.execute("CREATE TABLE scratch (x)"))
    [[pages]] = await on_writer(store, "PRAGMA page_count")
    await on_writer(store, f"PRAGMA max_page_count = {pages}")  # it may not grow a page

    def insert(value: str) -> Callable[[sqlite3.Connection], Any]:
        return lambda conn: conn.execute(f"INSERT INTO scratch VALUES ({value})")

    # one batch: the small row fits, the large one does not, and SQLite then rolls back the
    # whole transaction (as on a full disk): the small row is lost too, and its caller hears so
    small = store.writer.submit(insert("'a'"))
    large = store.writer.submit(insert("randomblob(100000)"))
    outcomes = await asyncio.gather(small, large, return_exceptions=True)
    await on_writer(store, "PRAGMA max_page_count = 4294967294")

    assert [type(outcome) for outcome in outcomes] == [DatabaseUnwritable] * 2
    assert "(its disk is full)" in str(outcomes[0])
    assert (
        await store.writer.run(lambda c: c.execute("SELECT count(*) FROM scratch").fetchone()[0])
        == 0
    )
    await store.writer.run(insert("'b'"))  # room again: the writer goes on
