"""Prints the executor's own cost per step, with tools that return at once (no persistence).

    python bench/executor.py [--repeat N]

Shapes: the 6-step plan, a 200-step chain, and 200 independent steps (with the default
concurrency bound of 4 and with no effective bound). Each figure is the best of N repeats of
wall time divided by the number of steps, so other load on the machine inflates it least.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from typing import Any

from webapp.core import (
    TOOL_IDS,
    LeadGenGoal,
    LeadGenPlan,
    LeadGenPlanStep,
    LeadPlanEvent,
    PlanContext,
    RetryPolicy,
    SupervisorUserContext,
    ToolEnv,
    execute_lead_generation_plan,
    plan_lead_generation,
)

USER = SupervisorUserContext(user_id="bench")
POLICY = RetryPolicy(jitter=0)


async def instant(params: dict[str, Any], env: ToolEnv) -> Any:
    return {"ok": True}


TOOLS = dict.fromkeys(TOOL_IDS, instant)


def six_step_plan() -> LeadGenPlan:
    goal = LeadGenGoal(
        raw_goal="Find 20 coffee shops in Manchester",
        target_region="Manchester",
        target_persona="coffee shops",
        volume=20,
        preferred_channels=["email"],
        include_monitoring=True,
    )
    return plan_lead_generation(goal, PlanContext(user_id="bench"))


def synthetic_plan(count: int, *, chained: bool) -> LeadGenPlan:
    steps = [
        LeadGenPlanStep(
            id=f"s{i}",
            tool="GOOGLE_PLACES_SEARCH",
            depends_on=[f"s{i - 1}"] if chained and i else [],
        )
        for i in range(count)
    ]
    return six_step_plan().model_copy(update={"steps": steps})


async def cost_per_step(plan: LeadGenPlan, repeat: int, **options: Any) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        result = await execute_lead_generation_plan(
            plan, USER, tools=TOOLS, retry_policy=POLICY, **options
        )
        elapsed = time.perf_counter() - started
        assert result.overall_status == "succeeded", result.overall_status
        best = min(best, elapsed)
    return best / len(plan.steps) * 1e6


async def main(repeat: int) -> None:
    events: list[LeadPlanEvent] = []
    listener: Callable[[LeadPlanEvent], None] = events.append
    shapes: list[tuple[str, LeadGenPlan, dict[str, Any]]] = [
        ("6-step plan", six_step_plan(), {}),
        ("200-step chain", synthetic_plan(200, chained=True), {}),
        ("200 independent, bound 4", synthetic_plan(200, chained=False), {}),
        (
            "200 independent, bound 200",
            synthetic_plan(200, chained=False),
            {"max_concurrency": 200},
        ),
        ("200-step chain + listener", synthetic_plan(200, chained=True), {"on_event": listener}),
    ]
    print(f"executor cost per step (best of {repeat}, tools return at once, no persistence)")
    for name, plan, options in shapes:
        micros = await cost_per_step(plan, repeat, **options)
        print(f"  {name:<30} {micros:8.1f} µs/step")
        events.clear()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    asyncio.run(main(parser.parse_args().repeat))
