"""Runs, their steps and their event log: creating a run, recording each state change, reading
a run back (also as one consistent snapshot)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import OrderedDict
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pydantic_core import to_json

from webapp.core.leads import Lead
from webapp.core.models import (
    GOOGLE_PLACES_SEARCH,
    HUNTER_DOMAIN_LOOKUP,
    LeadGenPlan,
    LeadGenStepResult,
    LeadPlanEvent,
    StepAttempt,
)
from webapp.store.readers import ReaderPool
from webapp.store.records import RunRecord, StepRecord
from webapp.store.rows import insert_rows, statement_chunks, update_rows, value_rows
from webapp.store.writer import (
    INSERT_EVENTS,
    UPDATE_RUNS,
    EventRow,
    EventWrite,
    RunUpdate,
    StepUpdate,
    Writer,
)

ATTEMPT_LOG = TypeAdapter(list[StepAttempt])  # one call in pydantic-core, not one per attempt
_RUN_STATUS_BY_EVENT = {
    "PLAN_STARTED": "running",
    "RUN_RESUMED": "running",
    "RUN_INTERRUPTED": "interrupted",
}
KEEP_FRESH_DIGESTS = 4096  # digests of outputs recorded here, for the live pages (see below)


def event_write(event: LeadPlanEvent, step: LeadGenStepResult | None) -> EventWrite:
    """The rows one event writes: the event, its step's new state, its run's new state."""
    run_id = event.run_id or ""
    step_params = None
    if step is not None and event.step_id is not None:
        # pydantic-core's encoder: a step's output can be hundreds of leads, 4x faster than json
        output = to_json(step.data).decode() if event.type == "STEP_SUCCEEDED" else None
        step_params = StepUpdate(
            step.status,
            step.attempts,
            ATTEMPT_LOG.dump_json(step.attempt_log, by_alias=True).decode(),
            step.started_at,
            step.finished_at,
            step.error_message,
            step.blocked_by,
            event.summary,
            output,
            run_id,
            event.step_id,
        )
    finishing = event.type in ("PLAN_COMPLETED", "RUN_INTERRUPTED", "RUN_RESUMED")
    status = (
        event.status if event.type == "PLAN_COMPLETED" else _RUN_STATUS_BY_EVENT.get(event.type)
    )
    run_params = RunUpdate(
        event.seq,
        status,
        event.timestamp if event.type == "PLAN_STARTED" else None,
        finishing,
        event.timestamp if event.type != "RUN_RESUMED" else None,
        event.summary if event.type == "PLAN_COMPLETED" else None,
        event.type in ("PLAN_COMPLETED", "RUN_INTERRUPTED"),
        run_id,
    )
    return EventWrite(
        run_id=run_id,
        seq=event.seq,
        event=EventRow(
            run_id,
            event.seq,
            event.timestamp,
            event.type,
            event.step_id,
            event.model_dump_json(by_alias=True, exclude_none=True),
        ),
        step=step_params,
        run=run_params,
        payload=event,
    )


FULL_RUN_SELECT = (
    "SELECT runs.*, run_plans.plan_json, run_plans.options_json FROM runs "
    "JOIN run_plans ON run_plans.run_id = runs.id WHERE runs.id = ?"
)


# What a run's page shows of a step's output, made by SQLite from output_json (in C, outside
# Python's lock): its provider, what it spent, and the funnel's counts. A page or a live update
# never parses a step's whole output (hundreds of businesses and contacts) for a few numbers.
OUTPUT_DIGEST = """CASE WHEN json_type(output_json) = 'object' THEN json_object(
    'provider', json_extract(output_json, '$.provider'),
    'usage', json_extract(output_json, '$.usage'),
    'count', json_extract(output_json, '$.count'),
    'websites', (SELECT count(*) FROM json_each(output_json, '$.businesses')
        WHERE CASE WHEN type = 'object' THEN json_type(value, '$.website') = 'text'
            AND json_extract(value, '$.website') != '' END),
    'withDomain', json_extract(output_json, '$.withDomain'),
    'withEmail', json_extract(output_json, '$.withEmail'),
    'byProvider', json_extract(output_json, '$.byProvider'),
    'verified', json_extract(output_json, '$.verified'),
    'duplicatesDropped', json_extract(output_json, '$.duplicatesDropped'),
    'overCap', json_extract(output_json, '$.overCap')) END"""


def output_digest(output: Any) -> dict[str, Any] | None:
    """OUTPUT_DIGEST of an output this process has in memory (a step it just ran): the same
    fields, for a live page, without a store read. A test holds the two to the same answers."""
    if not isinstance(output, dict):
        return None
    businesses = output.get("businesses")
    if isinstance(businesses, dict):  # (json_each walks an object's values)
        businesses = list(businesses.values())
    websites = sum(
        1
        for item in (businesses if isinstance(businesses, list) else ())
        if isinstance(item, dict) and isinstance(item.get("website"), str) and item["website"]
    )
    return {
        "provider": output.get("provider"),
        "usage": output.get("usage"),
        "count": output.get("count"),
        "websites": websites,
        "withDomain": output.get("withDomain"),
        "withEmail": output.get("withEmail"),
        "byProvider": output.get("byProvider"),
        "verified": output.get("verified"),
        "duplicatesDropped": output.get("duplicatesDropped"),
        "overCap": output.get("overCap"),
    }


STEPS_WITH_DIGESTS = (
    "SELECT run_id, step_id, position, tool, label, status, attempts, attempt_log_json, "
    "started_at, finished_at, error_message, blocked_by, summary, "
    f"{OUTPUT_DIGEST} AS output_json FROM steps WHERE run_id = ? ORDER BY position"
)


# An interrupted run's running and retrying steps are pending again; an attempt the
# interruption cut off ends then, as cancelled, with the reason (the timeline stops drawing it
# as running).
CLOSE_CUT_OFF_ATTEMPTS = """
UPDATE steps SET status = 'pending', attempt_log_json = CASE
    WHEN json_array_length(attempt_log_json) > 0
        AND json_extract(attempt_log_json, '$[#-1].finishedAt') IS NULL
    THEN json_set(attempt_log_json, '$[#-1].finishedAt', ?1, '$[#-1].status', 'cancelled',
        '$[#-1].errorMessage', ?2)
    ELSE attempt_log_json END
WHERE run_id = ?3 AND status IN ('running', 'retrying')
"""


class RunRepository:
    def __init__(self, writer: Writer, readers: ReaderPool) -> None:
        self.writer = writer
        self.readers = readers
        # The digest of each step output recorded here lately, by (run, seq of its
        # STEP_SUCCEEDED): a live page applies the event as soon as it is committed, with no
        # read of its own (a read waits for a reader's thread, and under load for the loop).
        self._fresh_digests: OrderedDict[tuple[str, int], dict[str, Any] | None] = OrderedDict()

    async def create(self, **fields: Any) -> None:
        await self.create_soon(**fields)

    def create_soon(
        self,
        *,
        run_id: str,
        plan: LeadGenPlan,
        user_id: str,
        created_at: str,
        status: str = "pending",
        options: dict[str, Any] | None = None,
        parent_run_id: str | None = None,
        retry_from_step: str | None = None,
        owner_id: str | None = None,
    ) -> asyncio.Future[Any]:
        """Queue the run's creation now; events queued after it share its order (and often
        its transaction). Await the returned future to know it is committed."""
        plan_json = plan.model_dump_json(by_alias=True)

        def insert(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO runs (id, plan_id, user_id, goal, status, created_at, "
                "parent_run_id, retry_from_step, owner_id, leads_wanted) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run_id,
                    plan.id,
                    user_id,
                    plan.goal.raw_goal,
                    status,
                    created_at,
                    parent_run_id,
                    retry_from_step,
                    owner_id,
                    plan.goal.volume,
                ),
            )
            conn.execute(
                "INSERT INTO run_plans (run_id, plan_json, options_json) VALUES (?, ?, ?)",
                (run_id, plan_json, json.dumps(options or {})),
            )
            insert_rows(
                conn,
                "INSERT INTO steps (run_id, step_id, position, tool, label) VALUES",
                [
                    (run_id, step.id, position, step.tool, step.label)
                    for position, step in enumerate(plan.steps)
                ],
            )

        return self.writer.submit(insert)

    async def record(self, event: LeadPlanEvent, step: LeadGenStepResult | None) -> None:
        """Queue one event with its row changes; it is committed in the writer's next batch."""
        write = event_write(event, step)
        if event.type == "STEP_SUCCEEDED" and step is not None and event.step_id is not None:
            digests = self._fresh_digests  # (the events whose write carries an output)
            digests[(write.run_id, event.seq)] = output_digest(step.data)
            if len(digests) > KEEP_FRESH_DIGESTS:
                digests.popitem(last=False)
        await self.writer.add_event_with_backpressure(write)

    def fresh_output_digest(self, run_id: str, seq: int) -> tuple[bool, dict[str, Any] | None]:
        """(True, the digest) of the output that the run's STEP_SUCCEEDED `seq` brought, if
        this process recorded it lately; else (False, None): read it (`step_output_digest`)."""
        key = (run_id, seq)
        if key not in self._fresh_digests:
            return False, None
        return True, self._fresh_digests[key]

    async def get(self, run_id: str) -> RunRecord | None:
        row = await self.readers.fetchone(FULL_RUN_SELECT, (run_id,))
        return RunRecord.from_full_row(row) if row else None

    async def progress(self, run_id: str) -> tuple[str, int] | None:
        """The run's status and last seq, or None if there is no such run (without its plan)."""
        row = await self.readers.fetchone(
            "SELECT status, last_seq FROM runs WHERE id = ?", (run_id,)
        )
        return (str(row[0]), int(row[1])) if row else None

    async def owner(self, run_id: str) -> str | None:
        """The run's user, or None if there is no such run (without reading its plan)."""
        row = await self.readers.fetchone("SELECT user_id FROM runs WHERE id = ?", (run_id,))
        return str(row[0]) if row else None

    async def retries_of(self, run_id: str) -> list[str]:
        """The runs started as retries of this one, oldest first."""
        rows = await self.readers.fetchall(
            "SELECT id FROM runs WHERE parent_run_id = ? ORDER BY created_at, id", (run_id,)
        )
        return [str(row[0]) for row in rows]

    async def steps(self, run_id: str) -> list[StepRecord]:
        rows = await self.readers.fetchall(
            "SELECT * FROM steps WHERE run_id = ? ORDER BY position", (run_id,)
        )
        return [StepRecord.from_row(row) for row in rows]

    async def events(
        self, run_id: str, *, after: int = 0, limit: int | None = None
    ) -> list[LeadPlanEvent]:
        rows = await self.readers.fetchall(
            "SELECT payload_json FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (run_id, after, -1 if limit is None else limit),
        )
        return [LeadPlanEvent.model_validate_json(row[0]) for row in rows]

    async def events_after(self, cursors: Mapping[str, int]) -> list[LeadPlanEvent]:
        """The events of several runs, each after its own cursor, by run and then seq: one read
        (a statement for as many runs as the parameter limit allows), each run's found by its
        key."""
        found: list[LeadPlanEvent] = []
        for chunk in statement_chunks(list(cursors.items()), 2):
            rows = await self.readers.fetchall(
                f"WITH cursors(run_id, after) AS (VALUES {value_rows(len(chunk), 2)}) "
                "SELECT e.payload_json FROM cursors c "
                "JOIN events e ON e.run_id = c.run_id AND e.seq > c.after "
                "ORDER BY e.run_id, e.seq",
                [value for pair in chunk for value in pair],
            )
            found.extend(LeadPlanEvent.model_validate_json(row[0]) for row in rows)
        return found

    async def snapshot(
        self, run_id: str, *, digests: bool = False
    ) -> tuple[RunRecord, list[StepRecord], list[LeadPlanEvent]] | None:
        """The run, its steps and its events as of one moment (one read transaction). With
        `digests`, each step's `output` is its OUTPUT_DIGEST, all a run's page shows of it."""
        async with self.readers.snapshot() as conn:
            run_rows = list(await conn.execute_fetchall(FULL_RUN_SELECT, (run_id,)))
            if not run_rows:
                return None
            steps = await conn.execute_fetchall(
                STEPS_WITH_DIGESTS
                if digests
                else "SELECT * FROM steps WHERE run_id = ? ORDER BY position",
                (run_id,),
            )
            events = await conn.execute_fetchall(
                "SELECT payload_json FROM events WHERE run_id = ? ORDER BY seq", (run_id,)
            )
        return (
            RunRecord.from_full_row(run_rows[0]),
            [StepRecord.from_row(row) for row in steps],
            [LeadPlanEvent.model_validate_json(row[0]) for row in events],
        )

    async def set_owner(self, run_id: str, owner_id: str | None) -> None:
        def update(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE runs SET owner_id = ? WHERE id = ?", (owner_id, run_id))

        await self.writer.run(update)

    async def reset_unfinished_steps(self, run_id: str, step_ids: Sequence[str]) -> None:
        """Put steps that were cut off back to pending, so a resume runs them again."""

        def update(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "UPDATE steps SET status = 'pending', finished_at = NULL "
                "WHERE run_id = ? AND step_id = ?",
                [(run_id, step_id) for step_id in step_ids],
            )

        await self.writer.run(update)

    async def claim_interrupted(self, run_id: str, owner_id: str) -> bool:
        """Take an interrupted run for resuming; False if another process got there first.
        It is pending from then on (until its RUN_RESUMED): a page or stream opened meanwhile
        must not take its last RUN_INTERRUPTED for its end."""

        def claim(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE runs SET owner_id = ?, cancel_requested = 0, status = 'pending' "
                "WHERE id = ? AND status = 'interrupted' AND owner_id IS NULL",
                (owner_id, run_id),
            )
            return cursor.rowcount == 1

        claimed: bool = await self.writer.run(claim)
        return claimed

    async def interrupt(
        self, run_id: str, *, owner_id: str | None, timestamp: str, reason: str
    ) -> LeadPlanEvent | None:
        """Mark an active run interrupted, with its RUN_INTERRUPTED event, in one transaction.

        Only if it is still active and still owned by `owner_id` (the owner found dead, or this
        process shutting down); returns the event, or None when there was nothing to do.
        """

        def mark(conn: sqlite3.Connection) -> LeadPlanEvent | None:
            rows = conn.execute(
                "SELECT plan_id, user_id, last_seq FROM runs WHERE id = ? "
                "AND status IN ('pending', 'running') AND owner_id IS ?",
                (run_id, owner_id),
            ).fetchall()
            if not rows:
                return None
            event = LeadPlanEvent(
                seq=rows[0]["last_seq"] + 1,
                timestamp=timestamp,
                type="RUN_INTERRUPTED",
                plan_id=rows[0]["plan_id"],
                run_id=run_id,
                user_id=rows[0]["user_id"],
                status="interrupted",
                summary=reason,
            )
            write = event_write(event, None)
            conn.execute(CLOSE_CUT_OFF_ATTEMPTS, (timestamp, reason, run_id))
            insert_rows(conn, INSERT_EVENTS, [write.event])
            update_rows(conn, UPDATE_RUNS, [write.run])
            self.writer.readmit(run_id)  # its log goes on from here (a resume), without a hole
            return event

        # (when the writer has stopped, as its last words: the run must not stay "running")
        write = self.writer.run if self.writer.stopped is None else self.writer.run_after_stop
        result: LeadPlanEvent | None = await write(mark)
        return result

    async def request_cancel(self, run_id: str) -> None:
        def flag(conn: sqlite3.Connection) -> None:
            conn.execute("UPDATE runs SET cancel_requested = 1 WHERE id = ?", (run_id,))

        await self.writer.run(flag)

    async def cancel_requested(self, run_ids: Collection[str]) -> list[str]:
        """Which of these runs another process has been asked to cancel (found by key)."""
        asked: list[str] = []
        for chunk in statement_chunks(list(run_ids), 1):
            rows = await self.readers.fetchall(
                f"SELECT id FROM runs WHERE id IN ({', '.join(['?'] * len(chunk))}) "
                "AND cancel_requested = 1",
                chunk,
            )
            asked.extend(row[0] for row in rows)
        return asked

    async def places_found(self, run_id: str) -> list[Lead]:
        """The businesses a run found: its domain lookup's (with their domains), else its
        search's; kept visible and exportable when a later step failed."""
        rows = await self.readers.fetchall(
            "SELECT output_json FROM steps WHERE run_id = ? AND status = 'succeeded' "
            "AND tool IN (?, ?) ORDER BY position DESC",
            (run_id, HUNTER_DOMAIN_LOOKUP, GOOGLE_PLACES_SEARCH),
        )
        for (output,) in rows:
            found = json.loads(output) if output else None
            businesses = found.get("businesses") if isinstance(found, dict) else None
            if isinstance(businesses, list):
                return _valid_leads(businesses)
        return []

    async def step_output_digest(self, run_id: str, step_id: str) -> dict[str, Any] | None:
        """What a run's page shows of the step's output (OUTPUT_DIGEST); None before it has one."""
        row = await self.readers.fetchone(
            f"SELECT {OUTPUT_DIGEST} FROM steps WHERE run_id = ? AND step_id = ?",
            (run_id, step_id),
        )
        return json.loads(row[0]) if row and row[0] else None


def _valid_leads(rows: list[Any]) -> list[Lead]:
    """The rows that read as leads; a step's output is shown, so one odd row must not stop it."""
    leads = []
    for row in rows:
        try:
            leads.append(Lead.model_validate(row))
        except ValidationError:
            continue
    return leads
