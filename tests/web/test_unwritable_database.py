"""A database that cannot be written (read-only, full) while the server runs: a write answers
503 in words, JSON under /api/ and a page otherwise, and leaves nothing half-written."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.applications import Starlette

from tests.web.helpers import GOAL, fast_settings, run_ids, serve

READ_ONLY = (
    "The database cannot be written just now (read-only); nothing was saved. "
    "Try again when it is writable."
)
FULL = (
    "The database cannot be written just now (its disk is full); nothing was saved. "
    "Try again when there is room."
)
TABLES = ("runs", "run_plans", "steps", "events", "step_usage", "leads", "lead_lists")

Break = Callable[[sqlite3.Connection], None]


def read_only(conn: sqlite3.Connection) -> None:
    # The tests may run as root, whom chmod does not stop, and the writer's file is open
    # already (a mode change does not reach an open file): SQLite's own switch, which refuses
    # every write with SQLITE_READONLY, "attempt to write a readonly database".
    conn.execute("PRAGMA query_only = ON")


def full(conn: sqlite3.Connection) -> None:
    # The file may not grow by a page: SQLite answers SQLITE_FULL, "database or disk is full",
    # and rolls the whole transaction back, as on a full disk.
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")


def writable(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA query_only = OFF")
    conn.execute("PRAGMA max_page_count = 4294967294")


async def on_writer(app: Starlette, change: Break) -> None:
    """`change` the writer's connection, in the writer's thread, between its batches."""
    writer = app.state.store.writer
    await asyncio.get_running_loop().run_in_executor(writer.thread, change, writer.conn)


def row_counts(db: str) -> dict[str, int]:
    """What the file holds, read on a connection of its own."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES
        }


@pytest.mark.parametrize(("broken", "words"), [(read_only, READ_ONLY), (full, FULL)])
async def test_starting_a_run_answers_503_in_words_and_saves_nothing(
    tmp_path: Path, broken: Break, words: str
) -> None:
    db = str(tmp_path / "unwritable.db")
    async with serve(fast_settings(db), raise_app_exceptions=False) as (app, client):
        await on_writer(app, broken)

        response = await client.post("/api/runs", json={"goal": GOAL})

        assert response.status_code == 503, response.text
        assert response.json() == {"error": {"code": "unwritable", "message": words}}
        assert await run_ids(client) == []
        assert row_counts(db) == dict.fromkeys(TABLES, 0)

        await on_writer(app, writable)  # and once it can be written, it is
        again = await client.post("/api/runs", json={"goal": GOAL})
        assert again.status_code == 201, again.text
        await app.state.manager.wait(again.json()["runId"])
        assert await run_ids(client) == [again.json()["runId"]]


async def test_the_form_gets_a_page_saying_so(tmp_path: Path) -> None:
    db = str(tmp_path / "unwritable.db")
    async with serve(fast_settings(db), raise_app_exceptions=False) as (app, client):
        await on_writer(app, read_only)

        response = await client.post("/runs", data={"goal": GOAL})

        assert response.status_code == 503
        assert response.headers["content-type"].startswith("text/html")
        assert READ_ONLY in response.text
        assert row_counts(db) == dict.fromkeys(TABLES, 0)
        await on_writer(app, writable)  # (the server's stop writes too)
