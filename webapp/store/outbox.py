"""Outgoing mail in SQLite: a run's drafted sequences with how far each step has been sent, and
the outbox, one row per message handed to a transport (UNIQUE message_id). Only a message with
no row, or a `failed` one, is ever claimed for sending, so no message is sent twice."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from webapp.core.models import iso_timestamp, utc_now
from webapp.core.ports import SequenceStep
from webapp.store.readers import Params, ReaderPool
from webapp.store.writer import Writer

# When a follow-up falls due for its lead (a Julian day): its delay after the step before it
# was sent to the same lead; NULL while that step was not sent.
_DUE = """(SELECT julianday(po.sent_at) + m.send_after_days - p.send_after_days
    FROM sequence_messages p JOIN outbox po ON po.message_id = p.id
    WHERE p.sequence_id = m.sequence_id AND p.step_number = m.step_number - 1
      AND p.lead_email = m.lead_email AND po.status = 'sent')"""
_UNSENT = "(o.id IS NULL OR o.status = 'failed')"
# A message may go out now: it was never handed to a transport, or that failed; and for a
# follow-up, the same lead was sent the step before it, at least its delay ago.
_CLAIMABLE = f"{_UNSENT} AND (m.step_number = 1 OR {_DUE} <= julianday(:now))"
_WAITING = f"{_UNSENT} AND m.step_number > 1 AND {_DUE} > julianday(:now)"
_STEP_COUNTS = f"""
    SELECT m.step_number AS number, count(*) AS messages,
        sum(CASE WHEN o.status = 'sent' THEN 1 ELSE 0 END) AS sent,
        sum(CASE WHEN o.status = 'failed' THEN 1 ELSE 0 END) AS failed,
        sum(CASE WHEN o.status = 'queued' THEN 1 ELSE 0 END) AS queued,
        sum(CASE WHEN {_CLAIMABLE} THEN 1 ELSE 0 END) AS ready,
        sum(CASE WHEN {_WAITING} THEN 1 ELSE 0 END) AS waiting,
        strftime('%Y-%m-%dT%H:%M:%SZ', min(CASE WHEN {_WAITING} THEN {_DUE} END)) AS next_due
    FROM sequence_messages m LEFT JOIN outbox o ON o.message_id = m.id
    WHERE m.sequence_id = :s GROUP BY m.step_number
"""
_SEQUENCES_OF_RUN = "SELECT * FROM email_sequences WHERE run_id = ? ORDER BY created_at, id"
_SEQUENCES_OF_USER = """
    SELECT s.*, r.goal FROM email_sequences s JOIN runs r ON r.id = s.run_id
    WHERE s.user_id = ? ORDER BY s.created_at DESC, s.id DESC LIMIT ?"""
_SAMPLE = "SELECT * FROM sequence_messages WHERE sequence_id = ? ORDER BY step_number, id LIMIT 1"
_SENT = """
    SELECT group_concat(DISTINCT transport) AS transports, max(sent_at) AS last_sent,
        (SELECT error FROM outbox WHERE sequence_id = :s AND status = 'failed'
         ORDER BY queued_at DESC, id DESC LIMIT 1) AS last_error
    FROM outbox WHERE sequence_id = :s
"""
_CLAIM = f"""
    SELECT m.id AS message_id, m.lead_email, m.business_name, m.subject, m.body,
        o.id AS outbox_id
    FROM sequence_messages m LEFT JOIN outbox o ON o.message_id = m.id
    WHERE m.sequence_id = :s AND m.step_number = :step AND {_CLAIMABLE}
    ORDER BY m.id
"""


@dataclass(frozen=True)
class OutgoingMessage:
    """One claimed message, `queued` in the outbox until it is marked sent or failed."""

    outbox_id: int
    message_id: int
    sequence_id: str
    step_number: int
    to_email: str
    business_name: str
    subject: str
    body: str


@dataclass(frozen=True)
class StepProgress:
    number: int
    delay_days: int
    subject_template: str
    messages: int = 0
    sent: int = 0
    failed: int = 0
    queued: int = 0
    ready: int = 0  # could be sent now: never tried, or failed, and the step before was sent
    waiting: int = 0  # the step before was sent, but this one's delay has not passed yet
    next_due: str | None = None  # when the first of those falls due

    @property
    def blocked_reason(self) -> str | None:
        """Why nothing of this step can be sent now; None when something can."""
        if self.ready:
            return None
        if self.messages == 0:
            return "No saved lead has an email address."
        if self.sent == self.messages:
            return "Sent to every lead."
        if self.waiting:
            due = (self.next_due or "")[:10] or "later"
            return (
                f"Due {self.delay_days} days into the sequence: {self.waiting} lead"
                f"{'' if self.waiting == 1 else 's'} can be sent this step from {due}."
            )
        if self.queued and self.sent + self.queued == self.messages:
            return (
                f"{self.queued} left queued by an interrupted send; they may have gone out, "
                "so they are not sent again."
            )
        if self.number > 1:
            return f"Goes only to leads who were sent step {self.number - 1}: send that first."
        return "Nothing left to send."


@dataclass(frozen=True)
class SampleMessage:
    to_email: str
    business_name: str
    subject: str
    body: str


@dataclass(frozen=True)
class SequenceOverview:
    """A drafted sequence as the run page shows it: its steps, a sample and what was sent."""

    sequence_id: str
    run_id: str
    user_id: str
    name: str
    status: str
    created_at: str
    leads_without_email: int
    steps: list[StepProgress]
    sample: SampleMessage | None
    transports: list[str]
    last_error: str | None
    last_sent_at: str | None

    @property
    def leads(self) -> int:
        return self.steps[0].messages if self.steps else 0

    @property
    def state(self) -> str:
        """draft (nothing sent yet), in progress, or completed (every message sent)."""
        messages = self.total("messages")
        if not self.total("sent") and not self.total("queued"):
            return "draft"
        return "completed" if messages and self.total("sent") == messages else "in progress"

    def total(self, status: str) -> int:
        return sum(int(getattr(step, status)) for step in self.steps)

    def step(self, number: int) -> StepProgress | None:
        return next((s for s in self.steps if s.number == number), None)


@dataclass(frozen=True)
class OutboxEntry:
    outbox_id: int
    message_id: int
    to_email: str
    subject: str
    body: str
    transport: str
    status: str
    error: str | None
    queued_at: str
    sent_at: str | None


@dataclass(frozen=True)
class SentMessage:
    """A row of a person's Outbox page: a message sent, being sent or that failed."""

    to_email: str
    subject: str
    transport: str
    status: str  # queued (being sent), sent, failed
    error: str | None
    queued_at: str
    sent_at: str | None
    step_number: int
    business_name: str
    run_id: str
    goal: str


_MESSAGES_OF_USER = """
    SELECT o.to_email, o.subject, o.transport, o.status, o.error, o.queued_at, o.sent_at,
           m.step_number, m.business_name, s.run_id, r.goal
    FROM outbox o
    JOIN sequence_messages m ON m.id = o.message_id
    JOIN email_sequences s ON s.id = o.sequence_id
    JOIN runs r ON r.id = s.run_id
    WHERE o.user_id = ?
    ORDER BY o.id DESC
    LIMIT ?"""


class OutboxRepository:
    def __init__(
        self, writer: Writer, readers: ReaderPool, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.writer = writer
        self.readers = readers
        self.clock = clock

    async def overview(self, sequence_id: str) -> SequenceOverview | None:
        async with self.readers.snapshot() as conn:
            row = await _first(conn, "SELECT * FROM email_sequences WHERE id = ?", (sequence_id,))
            if row is None:
                return None
            return await _overview(conn, row, iso_timestamp(self.clock()))

    async def overviews_for_run(self, run_id: str) -> list[SequenceOverview]:
        async with self.readers.snapshot() as conn:
            rows = await conn.execute_fetchall(_SEQUENCES_OF_RUN, (run_id,))
            return [await _overview(conn, row, iso_timestamp(self.clock())) for row in rows]

    async def overviews_of(self, user_id: str, limit: int) -> list[tuple[str, SequenceOverview]]:
        """The person's newest `limit` sequences, each with its run's goal, newest first."""
        async with self.readers.snapshot() as conn:
            rows = await conn.execute_fetchall(_SEQUENCES_OF_USER, (user_id, limit))
            now = iso_timestamp(self.clock())
            return [(row["goal"], await _overview(conn, row, now)) for row in rows]

    async def entries(self, sequence_id: str) -> list[OutboxEntry]:
        rows = await self.readers.fetchall(
            "SELECT * FROM outbox WHERE sequence_id = ? ORDER BY id", (sequence_id,)
        )
        return [
            OutboxEntry(
                outbox_id=r["id"],
                message_id=r["message_id"],
                to_email=r["to_email"],
                subject=r["subject"],
                body=r["body"],
                transport=r["transport"],
                status=r["status"],
                error=r["error"],
                queued_at=r["queued_at"],
                sent_at=r["sent_at"],
            )
            for r in rows
        ]

    async def messages_of(self, user_id: str, limit: int) -> list[SentMessage]:
        """The person's messages handed to a transport, newest first."""
        rows = await self.readers.fetchall(_MESSAGES_OF_USER, (user_id, limit))
        return [SentMessage(**dict(row)) for row in rows]

    async def claim(self, sequence_id: str, step: int, transport: str) -> list[OutgoingMessage]:
        """Queue every message of `step` that may go out now and return them. In the writer's
        one transaction, so two sends at once never claim the same message."""
        now = iso_timestamp(self.clock())

        def claim(conn: sqlite3.Connection) -> list[OutgoingMessage]:
            owner = conn.execute(
                "SELECT user_id FROM email_sequences WHERE id = ?", (sequence_id,)
            ).fetchone()
            if owner is None:
                return []
            claimed = []
            params = {"s": sequence_id, "step": step, "now": now}
            for row in conn.execute(_CLAIM, params).fetchall():
                outbox_id = _queue(conn, row, sequence_id, owner["user_id"], transport, now)
                if outbox_id is not None:
                    claimed.append(_outgoing(row, outbox_id, sequence_id, step))
            return claimed

        result: list[OutgoingMessage] = await self.writer.run(claim)
        return result

    async def mark_sent(self, outbox_id: int, body: str) -> bool:
        """Record a queued message as sent, with the body that went out; False if it was not
        queued (recording twice changes nothing)."""
        return await self._finish(
            "UPDATE outbox SET status = 'sent', body = ?, error = NULL, sent_at = ? "
            "WHERE id = ? AND status = 'queued'",
            (body, iso_timestamp(self.clock()), outbox_id),
        )

    async def mark_failed(self, outbox_id: int, error: str) -> bool:
        """Record a queued message as failed, with words a person can act on."""
        return await self._finish(
            "UPDATE outbox SET status = 'failed', error = ? WHERE id = ? AND status = 'queued'",
            (error, outbox_id),
        )

    async def release(self, outbox_ids: Sequence[int]) -> int:
        """Give back claimed messages that were never handed to a transport."""
        if not outbox_ids:
            return 0

        def release(conn: sqlite3.Connection) -> int:
            cursor = conn.executemany(
                "DELETE FROM outbox WHERE id = ? AND status = 'queued'",
                [(outbox_id,) for outbox_id in outbox_ids],
            )
            return cursor.rowcount

        released: int = await self.writer.run(release)
        return released

    async def _finish(self, sql: str, params: tuple[Any, ...]) -> bool:
        def finish(conn: sqlite3.Connection) -> bool:
            return conn.execute(sql, params).rowcount == 1

        changed: bool = await self.writer.run(finish)
        return changed


def _queue(
    conn: sqlite3.Connection,
    row: sqlite3.Row,
    sequence_id: str,
    user_id: str,
    transport: str,
    now: str,
) -> int | None:
    """Queue one message: a new outbox row, or its failed row again. None if already taken."""
    if row["outbox_id"] is not None:
        cursor = conn.execute(
            "UPDATE outbox SET status = 'queued', error = NULL, transport = ?, queued_at = ?, "
            "subject = ?, body = ? WHERE id = ? AND status = 'failed'",
            (transport, now, row["subject"], row["body"], row["outbox_id"]),
        )
        return int(row["outbox_id"]) if cursor.rowcount == 1 else None
    cursor = conn.execute(
        "INSERT INTO outbox (sequence_id, message_id, user_id, to_email, subject, body, "
        "transport, status, queued_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?) "
        "ON CONFLICT (message_id) DO NOTHING",
        (
            sequence_id,
            row["message_id"],
            user_id,
            row["lead_email"],
            row["subject"],
            row["body"],
            transport,
            now,
        ),
    )
    return cursor.lastrowid if cursor.rowcount == 1 else None


def _outgoing(row: sqlite3.Row, outbox_id: int, sequence_id: str, step: int) -> OutgoingMessage:
    return OutgoingMessage(
        outbox_id=outbox_id,
        message_id=row["message_id"],
        sequence_id=sequence_id,
        step_number=step,
        to_email=row["lead_email"],
        business_name=row["business_name"],
        subject=row["subject"],
        body=row["body"],
    )


async def _overview(conn: aiosqlite.Connection, row: sqlite3.Row, now: str) -> SequenceOverview:
    sequence_id = row["id"]
    return _overview_of(
        row,
        await conn.execute_fetchall(_STEP_COUNTS, {"s": sequence_id, "now": now}),
        await _first(conn, _SAMPLE, (sequence_id,)),
        await _first(conn, _SENT, {"s": sequence_id}),
    )


def overviews_in(conn: sqlite3.Connection, run_id: str, now: str) -> list[SequenceOverview]:
    """`overviews_for_run`'s answer, read on the writer's connection (inside the transaction
    that drafted a sequence): the live page gets it with no read of its own."""
    overviews = []
    for row in conn.execute(_SEQUENCES_OF_RUN, (run_id,)).fetchall():
        sequence_id = row["id"]
        overviews.append(
            _overview_of(
                row,
                conn.execute(_STEP_COUNTS, {"s": sequence_id, "now": now}).fetchall(),
                conn.execute(_SAMPLE, (sequence_id,)).fetchone(),
                conn.execute(_SENT, {"s": sequence_id}).fetchone(),
            )
        )
    return overviews


def _overview_of(
    row: sqlite3.Row,
    step_counts: Iterable[sqlite3.Row],
    sample: sqlite3.Row | None,
    sent: sqlite3.Row | None,
) -> SequenceOverview:
    assert sent is not None  # an aggregate always answers one row
    counts = {r["number"]: r for r in step_counts}
    return SequenceOverview(
        sequence_id=row["id"],
        run_id=row["run_id"],
        user_id=row["user_id"],
        name=row["name"],
        status=row["status"],
        created_at=row["created_at"],
        leads_without_email=row["leads_without_email"],
        steps=[_progress(step, counts.get(step.step_number)) for step in _steps(row)],
        sample=_sample(sample) if sample is not None else None,
        transports=sorted(sent["transports"].split(",")) if sent["transports"] else [],
        last_error=sent["last_error"],
        last_sent_at=sent["last_sent"],
    )


async def _first(conn: aiosqlite.Connection, sql: str, params: Params) -> sqlite3.Row | None:
    rows = list(await conn.execute_fetchall(sql, params))
    return rows[0] if rows else None


def _steps(row: sqlite3.Row) -> list[SequenceStep]:
    steps = [SequenceStep.model_validate(s) for s in json.loads(row["steps_json"])]
    return sorted(steps, key=lambda step: step.step_number)


def _progress(step: SequenceStep, counts: sqlite3.Row | None) -> StepProgress:
    progress = StepProgress(step.step_number, step.delay_days, step.subject_template)
    if counts is None:
        return progress
    return StepProgress(
        number=step.step_number,
        delay_days=step.delay_days,
        subject_template=step.subject_template,
        messages=counts["messages"],
        sent=counts["sent"],
        failed=counts["failed"],
        queued=counts["queued"],
        ready=counts["ready"],
        waiting=counts["waiting"],
        next_due=counts["next_due"],
    )


def _sample(row: sqlite3.Row) -> SampleMessage:
    return SampleMessage(
        to_email=row["lead_email"],
        business_name=row["business_name"],
        subject=row["subject"],
        body=row["body"],
    )
