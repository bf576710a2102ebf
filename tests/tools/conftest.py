"""Fixtures for the tool tests: services with a recording sleep and a fixed clock, and envs
for the steps of the standard "20 coffee shops in Manchester" plan. No test sleeps for real.

Tests get everything through fixtures (never `from conftest import ...`, which is ambiguous
when several conftest modules exist). Step ids are the planner's: google_places_1,
hunter_domain_lookup_2, hunter_enrich_3, lead_list_save_4, email_sequence_setup_5,
monitor_setup_6.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from webapp.core.models import (
    LeadGenGoal,
    LeadGenPlan,
    LeadGenStepResult,
    PlanContext,
    SupervisorUserContext,
)
from webapp.core.planner import plan_lead_generation
from webapp.core.tooling import ToolEnv
from webapp.settings import Settings
from webapp.tools.registry import TOOLS
from webapp.tools.services import ToolServices

FIXED_NOW = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
USER = SupervisorUserContext(user_id="u1")


def coffee_plan() -> LeadGenPlan:
    goal = LeadGenGoal(
        raw_goal="Find 20 coffee shops in Manchester",
        target_region="Manchester",
        target_persona="coffee shops",
        volume=20,
        preferred_channels=["email"],
        include_monitoring=True,
    )
    return plan_lead_generation(goal, PlanContext(user_id="u1"), plan_id="plan_t", now=FIXED_NOW)


def _succeeded(step_id: str, data: Any) -> LeadGenStepResult:
    return LeadGenStepResult(step_id=step_id, status="succeeded", attempts=1, data=data)


@pytest.fixture
def now() -> datetime:
    """What the services' clock always says."""
    return FIXED_NOW


@pytest.fixture
def succeeded() -> Callable[[str, Any], LeadGenStepResult]:
    """A succeeded step result with the given output, to feed a tool's `prior_results`."""
    return _succeeded


@pytest.fixture
def plan() -> LeadGenPlan:
    return coffee_plan()


class RecordingSleep:
    """An async sleep that returns at once and remembers what it was asked to wait."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def make_services(sleeps: RecordingSleep) -> Callable[..., ToolServices]:
    def make(**settings: Any) -> ToolServices:
        values = {"demo_latency_ms": 0, "demo_failure_rate": 0.0, **settings}
        return ToolServices(
            settings=Settings(_env_file=None, **values),
            sleep=sleeps,
            clock=lambda: FIXED_NOW,
        )

    return make


@pytest.fixture
def services(make_services: Callable[..., ToolServices]) -> ToolServices:
    return make_services()


@pytest.fixture
def make_env(services: ToolServices) -> Callable[..., ToolEnv]:
    """An env for one step of the coffee plan; `params` go to the caller, not the env."""
    plan = coffee_plan()

    def make(
        step_id: str,
        prior: dict[str, LeadGenStepResult] | None = None,
        *,
        attempt: int = 1,
        run_id: str = "run_t",
        with_services: ToolServices | None = None,
    ) -> ToolEnv:
        step = next(step for step in plan.steps if step.id == step_id)
        return ToolEnv(
            prior_results=prior or {},
            user=USER,
            plan=plan,
            step=step,
            run_id=run_id,
            attempt=attempt,
            services=with_services or services,
        )

    return make


@pytest.fixture
def params_of() -> Callable[[str], dict[str, Any]]:
    steps = {step.id: step for step in coffee_plan().steps}
    return lambda step_id: dict(steps[step_id].params)


@pytest.fixture
def run_steps(
    make_env: Callable[..., ToolEnv], params_of: Callable[[str], dict[str, Any]]
) -> Callable[..., Awaitable[dict[str, LeadGenStepResult]]]:
    """Run the coffee plan's steps up to and including `last`, each fed the ones before."""
    plan = coffee_plan()

    async def run(last: str, **overrides: dict[str, Any]) -> dict[str, LeadGenStepResult]:
        prior: dict[str, LeadGenStepResult] = {}
        for step in plan.steps:
            params = {**params_of(step.id), **overrides.get(step.id, {})}
            data = await TOOLS[step.tool](params, make_env(step.id, prior))
            prior[step.id] = _succeeded(step.id, data)
            if step.id == last:
                break
        return prior

    return run
