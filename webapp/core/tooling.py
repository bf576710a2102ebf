"""The tool protocol: what a tool is given and what it returns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from webapp.core.models import (
    LeadGenPlan,
    LeadGenPlanStep,
    LeadGenStepResult,
    SupervisorUserContext,
)


@dataclass(frozen=True)
class ToolEnv:
    """What a tool is given besides its params. `services` is whatever the tool layer needs
    (settings, the shared HTTP client, the stores): the core passes it through without looking."""

    prior_results: Mapping[str, LeadGenStepResult]
    user: SupervisorUserContext
    plan: LeadGenPlan
    step: LeadGenPlanStep
    run_id: str
    attempt: int = 1
    services: Any = None


# A tool is an async callable `(params, env) -> data`. `data` is JSON-able (it is stored and
# sent to browsers as is); failure is a `ToolError`.
ToolFn = Callable[[dict[str, Any], ToolEnv], Awaitable[Any]]
ToolMap = Mapping[str, ToolFn]
