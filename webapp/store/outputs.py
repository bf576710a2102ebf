"""What the tools create, kept in SQLite: lead lists with their leads, email sequences with
their messages, and monitors. Implements the core's ports; each save is idempotent per
(run, step), so a resumed or retried step gets back what it saved the first time."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from webapp.core.leads import Lead
from webapp.core.models import iso_timestamp, utc_now
from webapp.core.ports import (
    EmailSequence,
    Monitor,
    SavedLeadList,
    SequenceMessage,
    SequenceStep,
)
from webapp.store.outbox import SequenceOverview, overviews_in
from webapp.store.readers import ReaderPool
from webapp.store.rows import insert_rows
from webapp.store.writer import Writer

KEEP_FRESH = 256  # runs whose just-saved leads or sequences wait for their live page
KEEP_FRESH_ITEMS = 20_000  # ... and the leads (or sequences) they hold together, at most
LEAD_COLUMNS: tuple[str, ...] = tuple(Lead.model_fields)
_INSERT_LEADS = f"INSERT OR IGNORE INTO leads (list_id, position, {', '.join(LEAD_COLUMNS)}) VALUES"


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def _size(value: object) -> int:
    return len(value) if isinstance(value, list) else 0


def lead_from_row(row: sqlite3.Row) -> Lead:
    return Lead.model_validate({column: row[column] for column in LEAD_COLUMNS})


class OutputRepository:
    def __init__(
        self, writer: Writer, readers: ReaderPool, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.writer = writer
        self.readers = readers
        self.clock = clock
        # A run's leads, or its drafted sequences, as a save just committed them, by (what,
        # run): the live page renders the step's success with them, with no read of its own
        # (a read waits for a reader's thread, and under load for the loop). Taken once, so
        # nothing changed later (a monitor's new leads, a message sent) hides behind them.
        self._fresh: OrderedDict[tuple[str, str], Any] = OrderedDict()
        self._fresh_items = 0  # the leads (or sequences) held in _fresh

    def take_fresh_leads(self, run_id: str) -> list[Lead] | None:
        """The run's leads (`leads_for_run`) if a save here just committed them, else None."""
        leads: list[Lead] | None = self._take_fresh("leads", run_id)
        return leads

    def take_fresh_sequences(self, run_id: str) -> list[SequenceOverview] | None:
        """The run's sequences (`sequences_for_run`) if a draft here just committed them, else
        None."""
        sequences: list[SequenceOverview] | None = self._take_fresh("sequences", run_id)
        return sequences

    def _take_fresh(self, what: str, run_id: str) -> Any:
        value = self._fresh.pop((what, run_id), None)
        self._fresh_items -= _size(value)
        return value

    def _keep_fresh(self, what: str, run_id: str, value: list[Any]) -> None:
        """Keep `value` for the run's live page, the oldest kept making room: at most
        KEEP_FRESH runs and KEEP_FRESH_ITEMS leads in all (a list larger than that is not kept:
        its page reads it)."""
        self._take_fresh(what, run_id)
        if len(value) > KEEP_FRESH_ITEMS:
            return
        self._fresh[(what, run_id)] = value
        self._fresh_items += len(value)
        while len(self._fresh) > KEEP_FRESH or self._fresh_items > KEEP_FRESH_ITEMS:
            _, dropped = self._fresh.popitem(last=False)
            self._fresh_items -= _size(dropped)

    async def save_lead_list(
        self,
        *,
        run_id: str,
        step_id: str,
        user_id: str,
        name: str,
        leads: Sequence[Lead],
        duplicates_dropped: int,
    ) -> SavedLeadList:
        def save(conn: sqlite3.Connection) -> tuple[SavedLeadList, bool]:
            saved = save_list(conn)
            lists = conn.execute("SELECT count(*) FROM lead_lists WHERE run_id = ?", (run_id,))
            return saved, lists.fetchone()[0] == 1  # its leads are all the run's

        def save_list(conn: sqlite3.Connection) -> SavedLeadList:
            existing = _one(
                conn, "SELECT * FROM lead_lists WHERE run_id = ? AND step_id = ?", (run_id, step_id)
            )
            if existing is not None:
                return _saved_list(conn, existing, created=False)
            list_id = _new_id("list")
            conn.execute(
                "INSERT INTO lead_lists (id, run_id, step_id, user_id, name, created_at, saved, "
                "duplicates_dropped) VALUES (?, ?, ?, ?, ?, ?, 0, 0)",
                (list_id, run_id, step_id, user_id, name, iso_timestamp(self.clock())),
            )
            saved = insert_rows(
                conn,
                _INSERT_LEADS,
                [
                    (list_id, position, *(getattr(lead, column) for column in LEAD_COLUMNS))
                    for position, lead in enumerate(leads)
                ],
            )
            dropped = duplicates_dropped + len(leads) - saved
            conn.execute(
                "UPDATE lead_lists SET saved = ?, duplicates_dropped = ? WHERE id = ?",
                (saved, dropped, list_id),
            )
            count_leads(conn, run_id)
            row = _one(conn, "SELECT * FROM lead_lists WHERE id = ?", (list_id,))
            assert row is not None
            return _saved_list(conn, row, created=True)

        result: SavedLeadList
        result, only_list = await self.writer.run(save)
        if only_list:
            self._keep_fresh("leads", run_id, list(result.leads))
        else:
            self._take_fresh("leads", run_id)  # (the run has other lists: the page reads them)
        return result

    async def save_sequence(
        self, *, run_id: str, step_id: str, user_id: str, sequence: EmailSequence
    ) -> EmailSequence:
        def save(conn: sqlite3.Connection) -> tuple[EmailSequence, list[SequenceOverview]]:
            saved = save_sequence(conn)
            return saved, overviews_in(conn, run_id, iso_timestamp(self.clock()))

        def save_sequence(conn: sqlite3.Connection) -> EmailSequence:
            existing = _one(
                conn,
                "SELECT * FROM email_sequences WHERE run_id = ? AND step_id = ?",
                (run_id, step_id),
            )
            if existing is not None:
                return _sequence(conn, existing, created=False)
            sequence_id = _new_id("seq")
            conn.execute(
                "INSERT INTO email_sequences (id, run_id, step_id, user_id, list_id, name, status, "
                "steps_json, leads_without_email, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    sequence_id,
                    run_id,
                    step_id,
                    user_id,
                    sequence.list_id,
                    sequence.name,
                    sequence.status,
                    json.dumps([s.model_dump(by_alias=True) for s in sequence.steps]),
                    sequence.leads_without_email,
                    iso_timestamp(self.clock()),
                ),
            )
            insert_rows(
                conn,
                "INSERT INTO sequence_messages (sequence_id, lead_email, business_name, "
                "step_number, send_after_days, subject, body) VALUES",
                [
                    (
                        sequence_id,
                        m.lead_email,
                        m.business_name,
                        m.step_number,
                        m.send_after_days,
                        m.subject,
                        m.body,
                    )
                    for m in sequence.messages
                ],
            )
            return sequence.model_copy(update={"sequence_id": sequence_id, "created": True})

        result: EmailSequence
        result, overviews = await self.writer.run(save)
        self._keep_fresh("sequences", run_id, overviews)
        return result

    async def save_monitor(
        self, *, run_id: str, step_id: str, user_id: str, monitor: Monitor
    ) -> Monitor:
        def save(conn: sqlite3.Connection) -> Monitor:
            existing = _one(
                conn, "SELECT * FROM monitors WHERE run_id = ? AND step_id = ?", (run_id, step_id)
            )
            if existing is not None:
                return _monitor(existing, created=False)
            monitor_id = _new_id("mon")
            conn.execute(
                "INSERT INTO monitors (id, run_id, step_id, user_id, list_id, name, query, region, "
                "country, frequency, status, next_run_at, created_at) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    monitor_id,
                    run_id,
                    step_id,
                    user_id,
                    monitor.list_id,
                    monitor.name,
                    monitor.query,
                    monitor.region,
                    monitor.country,
                    monitor.frequency,
                    monitor.status,
                    monitor.next_run_at,
                    iso_timestamp(self.clock()),
                ),
            )
            return monitor.model_copy(update={"monitor_id": monitor_id, "created": True})

        result: Monitor = await self.writer.run(save)
        return result

    async def leads_for_run(self, run_id: str) -> list[Lead]:
        rows = await self.readers.fetchall(
            "SELECT leads.* FROM leads JOIN lead_lists ON lead_lists.id = leads.list_id "
            "WHERE lead_lists.run_id = ? ORDER BY lead_lists.created_at, leads.position",
            (run_id,),
        )
        return [lead_from_row(row) for row in rows]

    async def counts_for_run(self, run_id: str) -> dict[str, int]:
        """How many lists, leads, sequences, messages and monitors a run created."""
        row = await self.readers.fetchone(
            "SELECT (SELECT count(*) FROM lead_lists WHERE run_id = :r) AS lists, "
            "(SELECT count(*) FROM leads JOIN lead_lists ON lead_lists.id = leads.list_id "
            " WHERE lead_lists.run_id = :r) AS leads, "
            "(SELECT count(*) FROM email_sequences WHERE run_id = :r) AS sequences, "
            "(SELECT count(*) FROM sequence_messages JOIN email_sequences "
            " ON email_sequences.id = sequence_messages.sequence_id "
            " WHERE email_sequences.run_id = :r) AS messages, "
            "(SELECT count(*) FROM monitors WHERE run_id = :r) AS monitors",
            {"r": run_id},
        )
        return dict(row) if row else {}


_COUNT_LEADS = """
UPDATE runs SET (lead_count, leads_with_email, leads_verified) = (
    SELECT count(*), count(leads.email),
        coalesce(sum(leads.email IS NOT NULL AND leads.email_status = 'valid'), 0)
    FROM leads JOIN lead_lists ON lead_lists.id = leads.list_id WHERE lead_lists.run_id = :r
) WHERE id = :r
"""


def count_leads(conn: sqlite3.Connection, run_id: str) -> None:
    """The run's leads counted again, in the transaction that changed them: all of them, with
    an email, and with a verified one."""
    conn.execute(_COUNT_LEADS, {"r": run_id})


def _one(conn: sqlite3.Connection, sql: str, params: Sequence[object]) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(sql, params).fetchone()
    return row


def _saved_list(conn: sqlite3.Connection, row: sqlite3.Row, *, created: bool) -> SavedLeadList:
    leads = conn.execute(
        "SELECT * FROM leads WHERE list_id = ? ORDER BY position", (row["id"],)
    ).fetchall()
    return SavedLeadList(
        list_id=row["id"],
        name=row["name"],
        saved=row["saved"],
        duplicates_dropped=row["duplicates_dropped"],
        leads=[lead_from_row(lead) for lead in leads],
        created=created,
    )


def _sequence(conn: sqlite3.Connection, row: sqlite3.Row, *, created: bool) -> EmailSequence:
    messages = conn.execute(
        "SELECT * FROM sequence_messages WHERE sequence_id = ? ORDER BY id", (row["id"],)
    ).fetchall()
    return EmailSequence(
        sequence_id=row["id"],
        name=row["name"],
        list_id=row["list_id"],
        status=row["status"],
        steps=[SequenceStep.model_validate(s) for s in json.loads(row["steps_json"])],
        messages=[
            SequenceMessage(
                lead_email=m["lead_email"],
                business_name=m["business_name"],
                step_number=m["step_number"],
                send_after_days=m["send_after_days"],
                subject=m["subject"],
                body=m["body"],
            )
            for m in messages
        ],
        leads_without_email=row["leads_without_email"],
        created=created,
    )


def _monitor(row: sqlite3.Row, *, created: bool) -> Monitor:
    return Monitor(
        monitor_id=row["id"],
        name=row["name"],
        query=row["query"],
        region=row["region"],
        country=row["country"],
        frequency=row["frequency"],
        list_id=row["list_id"],
        status=row["status"],
        next_run_at=row["next_run_at"],
        created=created,
    )
