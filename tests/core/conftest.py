"""Fake tools and small builders for the core's tests: no real provider, no real waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from webapp.core import (
    TOOL_IDS,
    LeadGenGoal,
    LeadGenPlan,
    PlanContext,
    RetryPolicy,
    SupervisorUserContext,
    ToolEnv,
    ToolError,
    plan_lead_generation,
)

Behaviour = Callable[[dict[str, Any], ToolEnv], Awaitable[Any]]
EXACT = RetryPolicy(jitter=0, base_delay_s=1.0, multiplier=2.0)
USER = SupervisorUserContext(user_id="test-user-1", email="user@example.com")


def make_plan(*, email: bool = False, monitoring: bool = False) -> LeadGenPlan:
    goal = LeadGenGoal(
        raw_goal="Find 20 coffee shops in Manchester",
        target_region="Manchester",
        target_persona="coffee shops",
        volume=20,
        preferred_channels=["email"] if email else [],
        include_monitoring=monitoring,
    )
    return plan_lead_generation(
        goal,
        PlanContext(user_id=USER.user_id),
        plan_id="lead_plan_test",
        now=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
    )


@dataclass
class FakeTools:
    """One fake per tool id; `behave(step_id, ...)` scripts a step, the rest succeed."""

    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    calls: list[tuple[str, int]] = field(default_factory=list)

    def behave(self, step_id: str, behaviour: Behaviour) -> None:
        self.behaviours[step_id] = behaviour

    def as_map(self) -> dict[str, Any]:
        return {tool: self._call for tool in TOOL_IDS}

    async def _call(self, params: dict[str, Any], env: ToolEnv) -> Any:
        self.calls.append((env.step.id, env.attempt))
        behaviour = self.behaviours.get(env.step.id, succeed)
        return await behaviour(params, env)


async def succeed(params: dict[str, Any], env: ToolEnv) -> Any:
    return {"step": env.step.id, "summary": f"{env.step.id} done"}


def fail_times(count: int, *, retryable: bool = True, then: Behaviour = succeed) -> Behaviour:
    failures = {"left": count}

    async def behaviour(params: dict[str, Any], env: ToolEnv) -> Any:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise ToolError(f"{env.step.id} attempt {env.attempt} broke", retryable=retryable)
        return await then(params, env)

    return behaviour


def hang(started: asyncio.Event) -> Behaviour:
    async def behaviour(params: dict[str, Any], env: ToolEnv) -> Any:
        started.set()
        await asyncio.Event().wait()

    return behaviour


def gate(opened: asyncio.Event, reached: asyncio.Event) -> Behaviour:
    """Sets `reached` when the step is called, then holds it until `opened` is set."""

    async def behaviour(params: dict[str, Any], env: ToolEnv) -> Any:
        reached.set()
        await opened.wait()
        return {"summary": "through the gate"}

    return behaviour


class RecordingSleep:
    """An injected sleep that records the delays asked for and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


class StepClock:
    """A clock that moves one second each time it is read."""

    def __init__(self) -> None:
        self.moment = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.moment += timedelta(seconds=1)
        return self.moment


@pytest.fixture
def fake_tools() -> FakeTools:
    return FakeTools()


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()
