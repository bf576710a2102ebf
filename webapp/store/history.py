"""The run history: newest first, filtered by status, user and goal text, paged by a cursor
(keyset on created_at and id, never OFFSET), with counts by status."""

from __future__ import annotations

import base64
from typing import Any

from webapp.store.readers import ReaderPool
from webapp.store.records import RUN_ROW_SELECT, RunPage, RunRow

MAX_PAGE = 200
TRIGRAM = 3  # the goal index matches substrings of at least this many characters


class CursorError(ValueError):
    """The cursor is not one this store handed out."""


def encode_cursor(row: RunRow) -> str:
    return base64.urlsafe_b64encode(f"{row.created_at}\n{row.run_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        created_at, run_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("\n")
    except (ValueError, UnicodeDecodeError) as error:
        raise CursorError(
            "That page cursor is not valid; start again from the first page."
        ) from error
    return created_at, run_id


class HistoryRepository:
    def __init__(self, readers: ReaderPool) -> None:
        self.readers = readers

    async def page(
        self,
        *,
        status: str | None = None,
        q: str | None = None,
        user_id: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
        with_counts: bool = True,
    ) -> RunPage:
        limit = max(1, min(limit, MAX_PAGE))
        where, params = self._filters(q=q, user_id=user_id)
        page_where, page_params = list(where), dict(params)
        if status:
            page_where.append("status = :status")
            page_params["status"] = status
        if cursor:
            created_at, run_id = decode_cursor(cursor)
            page_where.append("(created_at, id) < (:c_created, :c_id)")
            page_params.update(c_created=created_at, c_id=run_id)
        sql = f"SELECT {RUN_ROW_SELECT} FROM runs"
        if page_where:
            sql += " WHERE " + " AND ".join(page_where)
        sql += " ORDER BY created_at DESC, id DESC LIMIT :limit"
        page_params["limit"] = limit + 1
        rows = [RunRow.from_row(row) for row in await self.readers.fetchall(sql, page_params)]
        next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
        counts = await self.counts(where, params) if with_counts else {}
        return RunPage(runs=rows[:limit], next_cursor=next_cursor, counts=counts)

    async def counts(self, where: list[str], params: dict[str, Any]) -> dict[str, int]:
        sql = "SELECT status, count(*) FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " GROUP BY status"
        return {row[0]: row[1] for row in await self.readers.fetchall(sql, params)}

    @staticmethod
    def _filters(*, q: str | None, user_id: str | None) -> tuple[list[str], dict[str, Any]]:
        where: list[str] = []
        params: dict[str, Any] = {}
        if user_id is not None:
            where.append("user_id = :user_id")
            params["user_id"] = user_id
        text = (q or "").strip()
        if len(text) >= TRIGRAM:
            where.append(
                "rowid IN (SELECT rowid FROM runs_goal_search WHERE runs_goal_search MATCH :q)"
            )
            params["q"] = '"' + text.replace('"', '""') + '"'
        elif text:
            where.append("goal LIKE :q ESCAPE '\\'")
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params["q"] = f"%{escaped}%"
        return where, params
