"""Which process owns which run. A process registers itself and beats a heartbeat; a run whose
owner is gone (its heartbeat stale, or its pid dead on this host) can be marked interrupted.
A run whose owner is alive is never touched, whichever process looks."""

from __future__ import annotations

import os
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable

from webapp.core.models import iso_timestamp, utc_now
from webapp.store.readers import ReaderPool
from webapp.store.records import RUN_ROW_SELECT, RunRow
from webapp.store.writer import Writer

ACTIVE_RUN_STATUSES = ("pending", "running")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, it is just not ours
        return True
    return True


class ProcessRegistry:
    def __init__(
        self,
        writer: Writer,
        readers: ReaderPool,
        *,
        wall_clock: Callable[[], float] = time.time,
        is_alive: Callable[[int], bool] = pid_alive,
    ) -> None:
        self.writer = writer
        self.readers = readers
        self.wall_clock = wall_clock
        self.is_alive = is_alive
        self.host = socket.gethostname()

    async def register(self) -> str:
        process_id = f"proc_{uuid.uuid4().hex[:12]}"
        now = self.wall_clock()

        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO processes (id, host, pid, started_at, heartbeat_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (process_id, self.host, os.getpid(), iso_timestamp(utc_now()), now),
            )

        await self.writer.run(insert)
        return process_id

    async def heartbeat(self, process_id: str) -> None:
        now = self.wall_clock()

        def beat(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE processes SET heartbeat_at = ? WHERE id = ?", (now, process_id))

        await self.writer.run(beat)

    async def unregister(self, process_id: str) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM processes WHERE id = ?", (process_id,))

        await self.writer.run(delete)

    async def orphaned_runs(self, *, stale_after_s: float) -> list[RunRow]:
        """Active runs whose owning process is gone."""
        rows = await self.readers.fetchall(
            f"SELECT {RUN_ROW_SELECT}, p.host AS owner_host, p.pid AS owner_pid, "
            "p.heartbeat_at AS owner_beat FROM runs LEFT JOIN processes p ON p.id = runs.owner_id "
            f"WHERE runs.status IN {ACTIVE_RUN_STATUSES!r}"
        )
        now = self.wall_clock()
        orphans = []
        for row in rows:
            if row["owner_host"] is None:
                orphans.append(RunRow.from_row(row))
            elif row["owner_host"] == self.host and not self.is_alive(row["owner_pid"]):
                orphans.append(RunRow.from_row(row))
            elif now - row["owner_beat"] > stale_after_s:
                orphans.append(RunRow.from_row(row))
        return orphans
