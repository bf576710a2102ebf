"""The domain's vocabulary: goals, plans, steps, results and events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

GOOGLE_PLACES_SEARCH = "GOOGLE_PLACES_SEARCH"
HUNTER_DOMAIN_LOOKUP = "HUNTER_DOMAIN_LOOKUP"
HUNTER_ENRICH = "HUNTER_ENRICH"
LEAD_LIST_SAVE = "LEAD_LIST_SAVE"
EMAIL_SEQUENCE_SETUP = "EMAIL_SEQUENCE_SETUP"
MONITOR_SETUP = "MONITOR_SETUP"

TOOL_IDS: tuple[str, ...] = (
    GOOGLE_PLACES_SEARCH,
    HUNTER_DOMAIN_LOOKUP,
    HUNTER_ENRICH,
    LEAD_LIST_SAVE,
    EMAIL_SEQUENCE_SETUP,
    MONITOR_SETUP,
)

StepStatus = Literal[
    "pending", "running", "retrying", "succeeded", "failed", "skipped", "cancelled"
]
RunStatus = Literal[
    "pending", "running", "succeeded", "partial", "failed", "cancelled", "interrupted"
]
RUN_STATUSES: tuple[str, ...] = get_args(RunStatus)
# "interrupted" only for a stored run whose process died; the executor never returns it.
OverallStatus = Literal["succeeded", "partial", "failed", "cancelled", "interrupted"]
EventType = Literal[
    "PLAN_STARTED",
    "STEP_STARTED",
    "STEP_RETRYING",
    "STEP_SUCCEEDED",
    "STEP_FAILED",
    "STEP_SKIPPED",
    "STEP_CANCELLED",
    "PLAN_COMPLETED",
    "RUN_INTERRUPTED",
    "RUN_RESUMED",
]

STEP_STATUSES: tuple[StepStatus, ...] = (
    "pending",
    "running",
    "retrying",
    "succeeded",
    "failed",
    "skipped",
    "cancelled",
)
FINISHED_STEP_STATUSES: frozenset[str] = frozenset({"succeeded", "failed", "skipped", "cancelled"})


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_timestamp(moment: datetime) -> str:
    """Millisecond ISO-8601 in UTC with a `Z`, as the original spec's log lines: the models'
    timestamps are strings in this form."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    # Events are stamped thousands of times a second: format the date and time once a second.
    global _stamp_cache
    second = int(moment.timestamp())
    cached = _stamp_cache  # one read of an immutable pair: safe if threads share this
    if cached[0] != second:
        cached = _stamp_cache = (second, moment.strftime("%Y-%m-%dT%H:%M:%S."))
    return f"{cached[1]}{moment.microsecond // 1000:03d}Z"


_stamp_cache: tuple[int | None, str] = (None, "")


def parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class CamelModel(BaseModel):
    """snake_case in Python, camelCase on the wire; either name is accepted on input.
    `model_dump(by_alias=True)` gives the camelCase JSON of the original spec (planId, stepId,
    dependsOn, overallStatus ...)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class LeadGenGoal(CamelModel):
    raw_goal: str
    target_region: str = ""
    target_persona: str
    volume: int = Field(ge=1)
    timing: str = "asap"
    preferred_channels: list[str] = Field(default_factory=list)
    include_monitoring: bool = False
    target_country: str | None = None


class PlanContext(CamelModel):
    user_id: str
    default_region: str = "UK"
    default_country: str = "GB"


class SupervisorUserContext(CamelModel):
    user_id: str
    account_id: str | None = None
    email: str | None = None


class LeadGenPlanStep(CamelModel):
    id: str
    tool: str
    params: dict[str, Any] = Field(default_factory=dict)
    depends_on: list[str] = Field(default_factory=list)
    label: str = ""


class LeadGenPlan(CamelModel):
    id: str
    goal: LeadGenGoal
    steps: list[LeadGenPlanStep]
    created_at: str


class StepAttempt(CamelModel):
    """One try at a step: when it ran, how it ended, and the wait that followed a failure."""

    attempt: int
    started_at: str
    finished_at: str | None = None
    status: StepStatus = "running"
    error_message: str | None = None
    retry_delay_ms: int | None = None


class LeadGenStepResult(CamelModel):
    step_id: str
    status: StepStatus
    started_at: str | None = None
    finished_at: str | None = None
    attempts: int = 0
    error_message: str | None = None
    data: Any = None
    blocked_by: str | None = None
    attempt_log: list[StepAttempt] = Field(default_factory=list)


class LeadGenExecutionResult(CamelModel):
    plan_id: str
    run_id: str | None = None
    overall_status: OverallStatus
    started_at: str
    finished_at: str
    step_results: list[LeadGenStepResult]


class LeadPlanEvent(CamelModel):
    """One state change. A superset of the original spec's `[LEAD_GEN_PLAN]` log line."""

    seq: int
    timestamp: str
    type: EventType
    plan_id: str
    run_id: str | None = None
    user_id: str
    step_id: str | None = None
    step_tool: str | None = None
    status: str | None = None
    attempt: int | None = None
    error_message: str | None = None
    delay_ms: int | None = None
    blocked_by: str | None = None
    summary: str | None = None
