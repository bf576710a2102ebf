"""Every tool that reads an earlier step says clearly when that step's output is unusable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from webapp.core.errors import ToolError
from webapp.core.models import LeadGenStepResult
from webapp.core.tooling import ToolEnv
from webapp.tools.registry import TOOLS

# (step, its tool, the step it reads)
READERS = [
    ("hunter_domain_lookup_2", "HUNTER_DOMAIN_LOOKUP", "google_places_1"),
    ("hunter_enrich_3", "HUNTER_ENRICH", "hunter_domain_lookup_2"),
    ("lead_list_save_4", "LEAD_LIST_SAVE", "hunter_enrich_3"),
    ("email_sequence_setup_5", "EMAIL_SEQUENCE_SETUP", "lead_list_save_4"),
    ("monitor_setup_6", "MONITOR_SETUP", "lead_list_save_4"),
]


@pytest.mark.parametrize(("step", "tool", "source"), READERS)
async def test_a_missing_source_step_fails_for_good(
    make_env: Callable[..., ToolEnv],
    params_of: Callable[[str], dict[str, Any]],
    step: str,
    tool: str,
    source: str,
) -> None:
    with pytest.raises(ToolError) as caught:
        await TOOLS[tool](params_of(step), make_env(step, {}))
    assert caught.value.retryable is False
    assert caught.value.message == (
        f"Step {step} needs the output of step {source}, which is not in this run."
    )


@pytest.mark.parametrize("status", ["failed", "skipped", "running"])
@pytest.mark.parametrize(("step", "tool", "source"), READERS)
async def test_a_source_step_that_did_not_succeed_fails_for_good(
    make_env: Callable[..., ToolEnv],
    params_of: Callable[[str], dict[str, Any]],
    step: str,
    tool: str,
    source: str,
    status: str,
) -> None:
    prior = {source: LeadGenStepResult(step_id=source, status=status)}
    with pytest.raises(ToolError) as caught:
        await TOOLS[tool](params_of(step), make_env(step, prior))
    assert caught.value.retryable is False
    assert f"step {source} did not succeed ({status})" in caught.value.message


@pytest.mark.parametrize(("step", "tool", "source"), READERS)
async def test_a_missing_source_step_id_is_named(
    make_env: Callable[..., ToolEnv],
    params_of: Callable[[str], dict[str, Any]],
    step: str,
    tool: str,
    source: str,
) -> None:
    params = {key: value for key, value in params_of(step).items() if key != "sourceStepId"}
    with pytest.raises(ToolError) as caught:
        await TOOLS[tool](params, make_env(step, {}))
    assert caught.value.retryable is False and "'sourceStepId'" in caught.value.message


@pytest.mark.parametrize(("step", "tool", "source"), READERS[:4])
async def test_a_source_output_without_leads_is_explained(
    make_env: Callable[..., ToolEnv],
    params_of: Callable[[str], dict[str, Any]],
    succeeded: Callable[[str, Any], LeadGenStepResult],
    step: str,
    tool: str,
    source: str,
) -> None:
    prior = {source: succeeded(source, {"summary": "nothing here"})}
    with pytest.raises(ToolError) as caught:
        await TOOLS[tool](params_of(step), make_env(step, prior))
    assert caught.value.retryable is False
    assert f"from step {source}, whose output has none" in caught.value.message
