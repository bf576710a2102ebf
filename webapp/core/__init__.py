"""The core: goals, plans, the DAG executor and the ports it needs. Imports only stdlib and
pydantic (ARCHITECTURE.md, "Layers"; tests/test_architecture.py keeps it so)."""

from webapp.core.errors import GoalError, LeadGenError, PlanError, ToolError
from webapp.core.events import LOG_PREFIX, EventEmitter, OnEvent
from webapp.core.executor import execute_lead_generation_plan
from webapp.core.goals import parse_goal
from webapp.core.leads import Lead, dedupe_leads
from webapp.core.models import (
    EMAIL_SEQUENCE_SETUP,
    GOOGLE_PLACES_SEARCH,
    HUNTER_DOMAIN_LOOKUP,
    HUNTER_ENRICH,
    LEAD_LIST_SAVE,
    MONITOR_SETUP,
    TOOL_IDS,
    LeadGenExecutionResult,
    LeadGenGoal,
    LeadGenPlan,
    LeadGenPlanStep,
    LeadGenStepResult,
    LeadPlanEvent,
    PlanContext,
    StepAttempt,
    SupervisorUserContext,
)
from webapp.core.planner import plan_lead_generation
from webapp.core.retry import RetryPolicy
from webapp.core.status import overall_status
from webapp.core.tooling import ToolEnv, ToolFn, ToolMap
from webapp.core.validation import validate_plan

__all__ = [
    "EMAIL_SEQUENCE_SETUP",
    "GOOGLE_PLACES_SEARCH",
    "HUNTER_DOMAIN_LOOKUP",
    "HUNTER_ENRICH",
    "LEAD_LIST_SAVE",
    "LOG_PREFIX",
    "MONITOR_SETUP",
    "TOOL_IDS",
    "EventEmitter",
    "GoalError",
    "Lead",
    "LeadGenError",
    "LeadGenExecutionResult",
    "LeadGenGoal",
    "LeadGenPlan",
    "LeadGenPlanStep",
    "LeadGenStepResult",
    "LeadPlanEvent",
    "OnEvent",
    "PlanContext",
    "PlanError",
    "RetryPolicy",
    "StepAttempt",
    "SupervisorUserContext",
    "ToolEnv",
    "ToolError",
    "ToolFn",
    "ToolMap",
    "dedupe_leads",
    "execute_lead_generation_plan",
    "overall_status",
    "parse_goal",
    "plan_lead_generation",
    "validate_plan",
]
