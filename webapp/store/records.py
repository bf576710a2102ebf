"""What the store hands back: runs, steps and pages of history, as pydantic models."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from pydantic import Field

from webapp.core.models import (
    CamelModel,
    LeadGenPlan,
    LeadGenStepResult,
    RunStatus,
    StepAttempt,
    StepStatus,
)


class RunRow(CamelModel):
    """A run as the history lists it (without its plan)."""

    run_id: str
    plan_id: str
    user_id: str
    goal: str
    status: RunStatus
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    parent_run_id: str | None = None
    retry_from_step: str | None = None
    owner_id: str | None = None
    last_seq: int = 0
    summary: str | None = None
    lead_count: int = 0
    leads_wanted: int | None = None
    leads_with_email: int = 0
    leads_verified: int = 0
    requests: int = 0
    credits: float = 0

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> RunRow:
        return cls(**{key: row[key] for key in _RUN_ROW_COLUMNS}, run_id=row["id"])


_RUN_ROW_COLUMNS = (
    "plan_id",
    "user_id",
    "goal",
    "status",
    "created_at",
    "started_at",
    "finished_at",
    "parent_run_id",
    "retry_from_step",
    "owner_id",
    "last_seq",
    "summary",
    "lead_count",
    "leads_wanted",
    "leads_with_email",
    "leads_verified",
    "requests",
    "credits",
)
RUN_ROW_SELECT = "runs.id, " + ", ".join(f"runs.{column}" for column in _RUN_ROW_COLUMNS)


class RunRecord(RunRow):
    plan: LeadGenPlan
    options: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def from_full_row(cls, row: sqlite3.Row) -> RunRecord:
        base = RunRow.from_row(row).model_dump()
        return cls(
            **base,
            plan=LeadGenPlan.model_validate_json(row["plan_json"]),
            options=json.loads(row["options_json"]),
        )


class StepRecord(CamelModel):
    run_id: str
    step_id: str
    position: int
    tool: str
    label: str = ""
    status: StepStatus
    attempts: int = 0
    attempt_log: list[StepAttempt] = Field(default_factory=list)
    started_at: str | None = None
    finished_at: str | None = None
    error_message: str | None = None
    blocked_by: str | None = None
    summary: str | None = None
    output: Any = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> StepRecord:
        return cls(
            run_id=row["run_id"],
            step_id=row["step_id"],
            position=row["position"],
            tool=row["tool"],
            label=row["label"],
            status=row["status"],
            attempts=row["attempts"],
            attempt_log=json.loads(row["attempt_log_json"]),
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            error_message=row["error_message"],
            blocked_by=row["blocked_by"],
            summary=row["summary"],
            output=json.loads(row["output_json"]) if row["output_json"] else None,
        )

    def as_result(self) -> LeadGenStepResult:
        return LeadGenStepResult(
            step_id=self.step_id,
            status=self.status,
            started_at=self.started_at,
            finished_at=self.finished_at,
            attempts=self.attempts,
            error_message=self.error_message,
            data=self.output,
            blocked_by=self.blocked_by,
            attempt_log=self.attempt_log,
        )


class RunPage(CamelModel):
    runs: list[RunRow]
    next_cursor: str | None = None
    counts: dict[str, int] = Field(default_factory=dict)
    # True when a text search matched too many runs to count them by status quickly.
    counts_capped: bool = False
