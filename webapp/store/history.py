"""The run history: newest first, filtered by status, user and goal text, paged by a cursor
(keyset on created_at and id, never OFFSET), with counts by status."""

from __future__ import annotations

import base64
from typing import Any

from webapp.store.readers import ReaderPool
from webapp.store.records import RUN_ROW_SELECT, RunPage, RunRow

MAX_PAGE = 200
TRIGRAM = 3  # the goal index matches substrings of at least this many characters
WALK_INDEX_ABOVE = 1000  # more matches than this: walk runs in date order instead of sorting
COUNT_CAP = 5000


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


INDEXED_UPTO = "(SELECT indexed_upto FROM search_progress WHERE id = 1)"


def fts_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


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
        ended_only: bool = False,
        leave_out: str | None = None,
    ) -> RunPage:
        """One page of runs. Text search uses a trigram index. For a rare word SQLite should
        fetch the few matches and sort them; for a common one it should walk runs newest first,
        testing each goal, and stop at a page: the matches are counted (up to a cap) to choose.
        The newest runs may not be in the index yet (webapp/store/search_index.py adds them
        within a second): their goals are scanned."""
        limit = max(1, min(limit, MAX_PAGE))
        text = (q or "").strip()
        matches = await self._matches(text) if len(text) >= TRIGRAM else None
        where, params = self._filters(text, user_id, walk_index=(matches or 0) > WALK_INDEX_ABOVE)
        if status:
            where.append("status = :status")
            params["status"] = status
        if ended_only:  # (what a run can be compared with: over)
            where.append("status NOT IN ('pending', 'running')")
        if leave_out:
            where.append("runs.id != :leave_out")
            params["leave_out"] = leave_out
        if cursor:
            created_at, run_id = decode_cursor(cursor)
            where.append("(created_at, runs.id) < (:c_created, :c_id)")
            params.update(c_created=created_at, c_id=run_id)
        sql = f"SELECT {RUN_ROW_SELECT} FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, runs.id DESC LIMIT :limit"
        params["limit"] = limit + 1
        rows = [RunRow.from_row(row) for row in await self.readers.fetchall(sql, params)]
        next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
        page = RunPage(runs=rows[:limit], next_cursor=next_cursor)
        if with_counts:
            await self._count(page, text, user_id, matches)
        return page

    async def _matches(self, text: str) -> int:
        row = await self.readers.fetchone(
            "SELECT (SELECT count(*) FROM (SELECT rowid FROM runs_goal_search "
            "WHERE runs_goal_search MATCH :q LIMIT :cap)) + (SELECT count(*) FROM runs "
            f"WHERE rowid > {INDEXED_UPTO} AND goal LIKE :like ESCAPE '\\')",
            {"q": fts_phrase(text), "cap": COUNT_CAP + 1, "like": like_pattern(text)},
        )
        return int(row[0]) if row else 0

    async def _count(
        self, page: RunPage, text: str, user_id: str | None, matches: int | None
    ) -> None:
        """Counts without text come from a table triggers keep; with text they are exact up to
        COUNT_CAP matches, and reported as capped beyond."""
        if not text:
            sql = "SELECT status, sum(runs) FROM run_status_counts"
            params: dict[str, Any] = {}
            if user_id is not None:
                sql += " WHERE user_id = :user_id"
                params["user_id"] = user_id
            rows = await self.readers.fetchall(sql + " GROUP BY status", params)
            page.counts = {row[0]: row[1] for row in rows if row[1]}
            return
        if matches is not None and matches > COUNT_CAP:
            page.counts_capped = True
            return
        where, params = self._filters(text, user_id, walk_index=False)
        sql = "SELECT status, count(*) FROM runs WHERE " + " AND ".join(where) + " GROUP BY status"
        page.counts = {row[0]: row[1] for row in await self.readers.fetchall(sql, params)}

    @staticmethod
    def _filters(
        text: str, user_id: str | None, *, walk_index: bool
    ) -> tuple[list[str], dict[str, Any]]:
        where: list[str] = []
        params: dict[str, Any] = {}
        if user_id is not None:
            where.append("user_id = :user_id")
            params["user_id"] = user_id
        if len(text) >= TRIGRAM and not walk_index:
            where.append(
                "runs.rowid IN (SELECT rowid FROM runs_goal_search WHERE runs_goal_search "
                f"MATCH :q UNION ALL SELECT rowid FROM runs WHERE rowid > {INDEXED_UPTO} "
                "AND goal LIKE :like ESCAPE '\\')"
            )
            params["q"] = fts_phrase(text)
            params["like"] = like_pattern(text)
        elif text:
            # Short text, or so common that walking runs newest first finds a page at once.
            where.append("goal LIKE :like ESCAPE '\\'")
            params["like"] = like_pattern(text)
        return where, params


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
