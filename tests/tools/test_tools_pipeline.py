"""A whole plan through the executor with the default tools, as a user runs it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from webapp.core.executor import execute_lead_generation_plan
from webapp.core.models import LeadGenPlan, SupervisorUserContext
from webapp.core.retry import RetryPolicy
from webapp.tools import default_tool_map
from webapp.tools.services import ToolServices

USER = SupervisorUserContext(user_id="u1")
FAST = RetryPolicy(jitter=0, base_delay_s=0)


async def test_the_coffee_shop_plan_succeeds_and_saves_its_leads(
    plan: LeadGenPlan, make_services: Callable[..., ToolServices], sleeps: Any
) -> None:
    services = make_services(demo_latency_ms=5)
    result = await execute_lead_generation_plan(
        plan, USER, tools=default_tool_map(), services=services, retry_policy=FAST, sleep=sleeps
    )
    assert result.overall_status == "succeeded"
    assert [r.status for r in result.step_results] == ["succeeded"] * 6
    assert sleeps.calls == [0.005] * 3  # one demo call each: places, domains, contacts
    saved = result.step_results[3].data
    lists = services.lead_lists.lists  # type: ignore[attr-defined]
    assert list(lists) == [saved["listId"]]
    assert saved["saved"] == len(lists[saved["listId"]].leads) == 20
    sequence, monitor = result.step_results[4].data, result.step_results[5].data
    assert sequence["messageCount"] == 3 * sequence["leadsWithEmail"]
    assert monitor["listId"] == saved["listId"]
    for step in result.step_results:
        assert isinstance(step.data["summary"], str) and step.data["summary"]


async def test_a_failing_directory_fails_the_search_after_its_retries(
    plan: LeadGenPlan, make_services: Callable[..., ToolServices], sleeps: Any
) -> None:
    services = make_services(demo_failure_rate=1.0)
    result = await execute_lead_generation_plan(
        plan, USER, tools=default_tool_map(), services=services, retry_policy=FAST, sleep=sleeps
    )
    assert result.overall_status == "failed"
    search, *rest = result.step_results
    assert (search.status, search.attempts) == ("failed", 3)
    assert "retrying usually works" in (search.error_message or "")
    assert [r.status for r in rest] == ["skipped"] * 5
    assert services.lead_lists.lists == {}  # type: ignore[attr-defined]


async def test_a_flaky_directory_is_retried_to_success(
    plan: LeadGenPlan, make_services: Callable[..., ToolServices], sleeps: Any
) -> None:
    # Failures depend only on (run id, step id, attempt): this run's first search attempt fails.
    services = make_services(demo_failure_rate=0.5)
    result = await execute_lead_generation_plan(
        plan,
        USER,
        tools=default_tool_map(),
        services=services,
        retry_policy=RetryPolicy(jitter=0, base_delay_s=0, max_retries=30),
        sleep=sleeps,
        run_id="run_flaky_2",
    )
    assert result.overall_status == "succeeded"
    search = result.step_results[0]
    assert search.attempts > 1
    assert "simulated failure" in (search.attempt_log[0].error_message or "")
