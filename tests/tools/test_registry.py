"""`run_lead_tool` is the single routing point: every tool id reaches its implementation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.core.conftest import USER, make_plan
from webapp.core import TOOL_IDS, RetryPolicy, ToolEnv, ToolError, execute_lead_generation_plan
from webapp.tools import default_tool_map, registry, run_lead_tool


async def test_the_default_registry_routes_every_tool_id(monkeypatch: pytest.MonkeyPatch) -> None:
    reached: list[tuple[str, str]] = []

    def recorder(tool: str) -> Any:
        async def record(params: dict[str, Any], env: ToolEnv) -> Any:
            reached.append((tool, env.step.id))
            return {"tool": tool}

        return record

    for tool in TOOL_IDS:
        monkeypatch.setitem(registry.TOOLS, tool, recorder(tool))

    result = await execute_lead_generation_plan(
        make_plan(email=True, monitoring=True),
        USER,
        tools=default_tool_map(),
        retry_policy=RetryPolicy(jitter=0),
    )

    assert result.overall_status == "succeeded"
    assert sorted(reached) == sorted(
        [
            ("GOOGLE_PLACES_SEARCH", "google_places_1"),
            ("HUNTER_DOMAIN_LOOKUP", "hunter_domain_lookup_2"),
            ("HUNTER_ENRICH", "hunter_enrich_3"),
            ("LEAD_LIST_SAVE", "lead_list_save_4"),
            ("EMAIL_SEQUENCE_SETUP", "email_sequence_setup_5"),
            ("MONITOR_SETUP", "monitor_setup_6"),
        ]
    )
    assert [step.data for step in result.step_results] == [{"tool": t} for t in TOOL_IDS]


async def test_an_unknown_tool_is_a_permanent_error() -> None:
    plan = make_plan()
    env = ToolEnv(prior_results={}, user=USER, plan=plan, step=plan.steps[0], run_id="r")

    with pytest.raises(ToolError, match="no tool called 'FAX'") as caught:
        await run_lead_tool("FAX", {}, env)

    assert caught.value.retryable is False
