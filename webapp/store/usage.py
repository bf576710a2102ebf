"""What runs spent: requests, credits and cache hits per step and provider, with the run's
totals kept beside it for the history."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from typing import Any

from webapp.store.readers import ReaderPool
from webapp.store.rows import insert_rows
from webapp.store.writer import Writer

logger = logging.getLogger(__name__)

Spent = Mapping[str, Mapping[str, float | int]]  # provider -> {"requests", "credits", "cached"}


class UsageRepository:
    def __init__(self, writer: Writer, readers: ReaderPool) -> None:
        self.writer = writer
        self.readers = readers

    def record_soon(self, run_id: str, step_id: str, spent: Spent) -> None:
        """Queue a step's usage (replacing what was recorded for it) and the run's totals."""
        rows = [
            (run_id, step_id, provider, int(u["requests"]), float(u["credits"]), int(u["cached"]))
            for provider, u in spent.items()
        ]

        def write(conn: sqlite3.Connection) -> None:
            insert_rows(
                conn,
                "INSERT OR REPLACE INTO step_usage "
                "(run_id, step_id, provider, requests, credits, cached) VALUES",
                rows,
            )
            conn.execute(
                "UPDATE runs SET "
                "requests = (SELECT coalesce(sum(requests), 0) FROM step_usage WHERE run_id = ?), "
                "credits = (SELECT coalesce(sum(credits), 0) FROM step_usage WHERE run_id = ?) "
                "WHERE id = ?",
                (run_id, run_id, run_id),
            )

        future = self.writer.submit(write)
        future.add_done_callback(_log_failure)

    async def for_run(self, run_id: str) -> dict[str, dict[str, dict[str, Any]]]:
        rows = await self.readers.fetchall(
            "SELECT step_id, provider, requests, credits, cached FROM step_usage "
            "WHERE run_id = ? ORDER BY step_id, provider",
            (run_id,),
        )
        spent: dict[str, dict[str, dict[str, Any]]] = {}
        for row in rows:
            spent.setdefault(row["step_id"], {})[row["provider"]] = {
                "requests": row["requests"],
                "credits": row["credits"],
                "cached": row["cached"],
            }
        return spent


def _log_failure(future: Any) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.error("could not record a step's usage: %s", future.exception())
