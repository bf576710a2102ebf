"""Adds new runs' goals to the text search index (FTS5, trigram) in batches, a little after
they are created, rather than in the commit that creates each run (too dear there: the figure
is in bench/README.md, `bench/store.py`)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable

from webapp.core.tasks import cancel_and_wait
from webapp.store.rows import insert_rows
from webapp.store.writer import Writer

logger = logging.getLogger(__name__)

EVERY_S = 1.0
CHUNK = 1000  # runs a batch: a long backlog is taken in pieces, other writes go between


def index_new_goals(conn: sqlite3.Connection, most: int = CHUNK) -> int:
    """Index up to `most` runs not in the index yet; returns how many (in the writer's
    transaction). `search_progress.indexed_upto` is the last run (by rowid) in the index; the
    history searches the runs after it by scanning their goals. Several processes may share
    the file: each batch is one write transaction, so they take turns and never index a run
    twice."""
    row = conn.execute("SELECT indexed_upto FROM search_progress WHERE id = 1").fetchone()
    upto = int(row[0]) if row else 0
    runs = conn.execute(
        "SELECT rowid, goal FROM runs WHERE rowid > ? ORDER BY rowid LIMIT ?", (upto, most)
    ).fetchall()
    if not runs:
        return 0
    insert_rows(
        conn,
        "INSERT INTO runs_goal_search (rowid, goal) VALUES",
        [(run[0], run[1]) for run in runs],
    )
    conn.execute("UPDATE search_progress SET indexed_upto = ? WHERE id = 1", (runs[-1][0],))
    return len(runs)


class GoalIndexer:
    """Indexes the new runs a little after each commit, within a second (and at once when the
    store opens), so the runs the history must scan are a handful."""

    def __init__(self, writer: Writer, commits: Callable[[], int]) -> None:
        self.writer = writer
        self.commits = commits
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="leadgen-goal-index")

    async def catch_up(self) -> int:
        """Index every run created so far; returns how many were added."""
        added = 0
        while count := await self.writer.run(index_new_goals):
            added += count
        return added

    async def _loop(self) -> None:
        seen = -1
        while True:
            commits = self.commits()
            if commits != seen:
                try:
                    await self.catch_up()
                except Exception:
                    logger.warning("could not index new goals; trying again later", exc_info=True)
                seen = self.commits()
            await asyncio.sleep(EVERY_S)

    async def close(self) -> None:
        if self._task is None:
            return
        task, self._task = self._task, None
        await cancel_and_wait(task)
