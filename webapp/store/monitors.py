"""Monitors as the scheduler and the Monitors page see them: list, due, pause, resume, delete,
and each check recorded with the new leads it adds to the monitor's list, in one transaction."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from webapp.core.leads import Lead
from webapp.core.models import GOOGLE_PLACES_SEARCH
from webapp.store.outputs import LEAD_COLUMNS, count_leads
from webapp.store.readers import ReaderPool
from webapp.store.writer import Writer

ACTIVE, PAUSED = "active", "paused"
CHECK_SUCCEEDED, CHECK_FAILED = "succeeded", "failed"

_INSERT_LEAD = (
    f"INSERT OR IGNORE INTO leads (list_id, position, {', '.join(LEAD_COLUMNS)}) "
    f"VALUES (?, ?, {', '.join('?' for _ in LEAD_COLUMNS)})"
)
# Each monitor with its latest check, the creating run's goal volume and options.
_SELECT = (
    "SELECT m.*, json_extract(p.plan_json, '$.goal.volume') AS volume, "
    "p.options_json AS options_json, c.checked_at AS check_at, c.status AS check_status, "
    "c.found AS check_found, c.new_leads AS check_new, c.error AS check_error "
    "FROM monitors AS m LEFT JOIN run_plans AS p ON p.run_id = m.run_id "
    "LEFT JOIN monitor_checks AS c ON c.id = (SELECT id FROM monitor_checks "
    "WHERE monitor_id = m.id ORDER BY checked_at DESC, id DESC LIMIT 1) "
)


@dataclass(frozen=True)
class MonitorCheck:
    monitor_id: str
    checked_at: str
    status: str  # succeeded | failed
    found: int = 0
    new_leads: int = 0
    error: str | None = None

    @property
    def summary(self) -> str:
        if self.status == CHECK_FAILED:
            return self.error or "The check failed."
        return f"{self.new_leads} new lead{'' if self.new_leads == 1 else 's'}"


@dataclass(frozen=True)
class MonitorRecord:
    monitor_id: str
    run_id: str
    step_id: str
    user_id: str
    list_id: str
    name: str
    query: str
    region: str
    country: str | None
    frequency: str
    status: str
    next_run_at: str
    last_run_at: str | None
    created_at: str
    last_new_leads: int | None
    volume: int | None = None  # what the creating run's goal asked for
    options: dict[str, Any] = field(default_factory=dict)  # the creating run's options
    last_check: MonitorCheck | None = None


@dataclass(frozen=True)
class KnownLeads:
    """What a monitor has already seen: its list's leads and the businesses its run found."""

    source_ids: frozenset[tuple[str, str]] = frozenset()
    domains: frozenset[str] = frozenset()

    def knows(self, lead: Lead) -> bool:
        if lead.source_id and (lead.source, lead.source_id) in self.source_ids:
            return True
        return bool(lead.domain) and (lead.domain or "").lower() in self.domains


class MonitorRepository:
    def __init__(self, writer: Writer, readers: ReaderPool) -> None:
        self.writer = writer
        self.readers = readers

    async def list_monitors(self, user_id: str | None = None) -> list[MonitorRecord]:
        """Every monitor (of one user, if given), newest first, with its last check."""
        where, params = ("WHERE m.user_id = ? ", (user_id,)) if user_id else ("", ())
        rows = await self.readers.fetchall(
            f"{_SELECT}{where}ORDER BY m.created_at DESC, m.id DESC", params
        )
        return [_record(row) for row in rows]

    async def orphaned(self) -> list[MonitorRecord]:
        """The monitors of people who were removed, newest first (paused when they were)."""
        rows = await self.readers.fetchall(
            f"{_SELECT}WHERE m.user_id NOT IN (SELECT id FROM users) "
            "ORDER BY m.created_at DESC, m.id DESC",
            (),
        )
        return [_record(row) for row in rows]

    async def get(self, monitor_id: str) -> MonitorRecord | None:
        row = await self.readers.fetchone(f"{_SELECT}WHERE m.id = ?", (monitor_id,))
        return _record(row) if row is not None else None

    async def due(self, now: str) -> list[MonitorRecord]:
        """Active monitors whose next run is at or before `now` (an ISO timestamp), oldest due
        first."""
        rows = await self.readers.fetchall(
            f"{_SELECT}WHERE m.status = ? AND m.next_run_at <= ? ORDER BY m.next_run_at, m.id",
            (ACTIVE, now),
        )
        return [_record(row) for row in rows]

    async def pause(self, monitor_id: str) -> MonitorRecord | None:
        return await self._set_status(monitor_id, PAUSED)

    async def resume(self, monitor_id: str) -> MonitorRecord | None:
        return await self._set_status(monitor_id, ACTIVE)

    async def _set_status(self, monitor_id: str, status: str) -> MonitorRecord | None:
        def update(conn: sqlite3.Connection) -> int:
            return conn.execute(
                "UPDATE monitors SET status = ? WHERE id = ?", (status, monitor_id)
            ).rowcount

        if not await self.writer.run(update):
            return None
        return await self.get(monitor_id)

    async def delete(self, monitor_id: str) -> bool:
        """Delete a monitor and its checks; its list and the leads found stay."""

        def remove(conn: sqlite3.Connection) -> int:
            return conn.execute("DELETE FROM monitors WHERE id = ?", (monitor_id,)).rowcount

        deleted: int = await self.writer.run(remove)
        return deleted > 0

    async def known(self, monitor: MonitorRecord) -> KnownLeads:
        """The source ids and domains of the monitor's list, and the source ids of what its run's
        search found (businesses the run found but did not keep are not new)."""
        rows = await self.readers.fetchall(
            "SELECT source, source_id, lower(domain) AS domain FROM leads WHERE list_id = ? "
            "UNION ALL SELECT json_extract(b.value, '$.source'), "
            "json_extract(b.value, '$.sourceId'), NULL "
            "FROM steps, json_each(steps.output_json, '$.businesses') AS b "
            "WHERE steps.run_id = ? AND steps.tool = ? AND steps.status = 'succeeded'",
            (monitor.list_id, monitor.run_id, GOOGLE_PLACES_SEARCH),
        )
        return KnownLeads(
            source_ids=frozenset(
                (row["source"] or "demo", row["source_id"]) for row in rows if row["source_id"]
            ),
            domains=frozenset(row["domain"] for row in rows if row["domain"]),
        )

    async def record_check(
        self,
        monitor_id: str,
        *,
        checked_at: str,
        found: int,
        leads: Sequence[Lead],
        next_run_at: str,
    ) -> MonitorCheck | None:
        """Add the leads the list lacks, record the check with how many were really new and
        move the next run to `next_run_at`: one transaction. None if the monitor is gone."""

        def record(conn: sqlite3.Connection) -> MonitorCheck | None:
            row = conn.execute(
                "SELECT list_id, run_id FROM monitors WHERE id = ?", (monitor_id,)
            ).fetchone()
            if row is None:
                return None
            added = _add_leads(conn, row["list_id"], row["run_id"], leads)
            check = MonitorCheck(monitor_id, checked_at, CHECK_SUCCEEDED, found, added)
            _insert_check(conn, check)
            conn.execute(
                "UPDATE monitors SET last_run_at = ?, next_run_at = ?, last_new_leads = ? "
                "WHERE id = ?",
                (checked_at, next_run_at, added, monitor_id),
            )
            return check

        result: MonitorCheck | None = await self.writer.run(record)
        return result

    async def claim(self, monitor_id: str, *, due_at: str, until: str) -> bool:
        """Take a due monitor for a check: its next run moves from `due_at` to `until`, so no
        other process (or scheduler) checks it meanwhile. False if one already has, or if it
        is paused or gone."""

        def take(conn: sqlite3.Connection) -> bool:
            taken = conn.execute(
                "UPDATE monitors SET next_run_at = ? WHERE id = ? AND status = ? "
                "AND next_run_at = ?",
                (until, monitor_id, ACTIVE, due_at),
            )
            return taken.rowcount == 1

        result: bool = await self.writer.run(take)
        return result

    async def record_failure(
        self, monitor_id: str, *, checked_at: str, error: str, next_run_at: str | None = None
    ) -> MonitorCheck | None:
        """Record a failed check, and move the next run back to `next_run_at` when given (to
        when it was due: it is due again at the scheduler's next tick). None if the monitor is
        gone."""

        def record(conn: sqlite3.Connection) -> MonitorCheck | None:
            if (
                conn.execute("SELECT 1 FROM monitors WHERE id = ?", (monitor_id,)).fetchone()
                is None
            ):
                return None
            check = MonitorCheck(monitor_id, checked_at, CHECK_FAILED, error=error)
            _insert_check(conn, check)
            conn.execute(
                "UPDATE monitors SET last_run_at = ?, next_run_at = coalesce(?, next_run_at) "
                "WHERE id = ?",
                (checked_at, next_run_at, monitor_id),
            )
            return check

        result: MonitorCheck | None = await self.writer.run(record)
        return result

    async def checks(self, monitor_id: str) -> list[MonitorCheck]:
        """A monitor's checks, newest first."""
        rows = await self.readers.fetchall(
            "SELECT * FROM monitor_checks WHERE monitor_id = ? ORDER BY checked_at DESC, id DESC",
            (monitor_id,),
        )
        return [
            MonitorCheck(
                monitor_id,
                row["checked_at"],
                row["status"],
                row["found"],
                row["new_leads"],
                row["error"],
            )
            for row in rows
        ]


def _add_leads(conn: sqlite3.Connection, list_id: str, run_id: str, leads: Sequence[Lead]) -> int:
    """Append the leads the list does not hold yet; how many were inserted. INSERT OR IGNORE
    against the list's unique indexes (email, domain, source id): the same lead is never saved
    twice and only what was really inserted counts."""
    if conn.execute("SELECT 1 FROM lead_lists WHERE id = ?", (list_id,)).fetchone() is None:
        return 0  # the list went with its run; there is nothing to add to
    (last,) = conn.execute(
        "SELECT coalesce(max(position), -1) FROM leads WHERE list_id = ?", (list_id,)
    ).fetchone()
    before = conn.total_changes
    conn.executemany(
        _INSERT_LEAD,
        [
            (list_id, last + 1 + index, *(getattr(lead, column) for column in LEAD_COLUMNS))
            for index, lead in enumerate(leads)
        ],
    )
    added = conn.total_changes - before
    if added:
        conn.execute("UPDATE lead_lists SET saved = saved + ? WHERE id = ?", (added, list_id))
        count_leads(conn, run_id)
    return added


def _insert_check(conn: sqlite3.Connection, check: MonitorCheck) -> None:
    conn.execute(
        "INSERT INTO monitor_checks (monitor_id, checked_at, status, found, new_leads, error) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            check.monitor_id,
            check.checked_at,
            check.status,
            check.found,
            check.new_leads,
            check.error,
        ),
    )


def _record(row: sqlite3.Row) -> MonitorRecord:
    check = None
    if row["check_at"] is not None:
        check = MonitorCheck(
            row["id"],
            row["check_at"],
            row["check_status"],
            row["check_found"],
            row["check_new"],
            row["check_error"],
        )
    options = json.loads(row["options_json"]) if row["options_json"] else {}
    return MonitorRecord(
        monitor_id=row["id"],
        run_id=row["run_id"],
        step_id=row["step_id"],
        user_id=row["user_id"],
        list_id=row["list_id"],
        name=row["name"],
        query=row["query"],
        region=row["region"],
        country=row["country"],
        frequency=row["frequency"],
        status=row["status"],
        next_run_at=row["next_run_at"],
        last_run_at=row["last_run_at"],
        created_at=row["created_at"],
        last_new_leads=row["last_new_leads"],
        volume=row["volume"] if isinstance(row["volume"], int) else None,
        options=options if isinstance(options, dict) else {},
        last_check=check,
    )
