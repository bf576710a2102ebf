"""LEAD_LIST_SAVE: deduplicated, ranked, capped, and saved once per run and step."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from webapp.core.errors import ToolError
from webapp.core.leads import Lead, lead_sort_key
from webapp.core.models import LeadGenStepResult
from webapp.core.tooling import ToolEnv
from webapp.tools.lead_list import save_lead_list
from webapp.tools.services import ToolServices

RunSteps = Callable[..., Awaitable[dict[str, LeadGenStepResult]]]
UNCAPPED = {"listName": "Every coffee shop", "maxLeads": None}


async def test_chain_duplicates_are_dropped_and_counted(run_steps: RunSteps) -> None:
    prior = await run_steps("lead_list_save_4", lead_list_save_4=UNCAPPED)
    leads = prior["hunter_enrich_3"].data["leads"]
    domains = [lead["domain"] for lead in leads if "domain" in lead]
    repeats = len(domains) - len(set(domains))
    assert repeats > 0  # the demo directory has chains
    data = prior["lead_list_save_4"].data
    assert data["duplicatesDropped"] == repeats
    assert data["saved"] == len(data["leads"]) == len(leads) - repeats
    saved_domains = [lead["domain"] for lead in data["leads"] if "domain" in lead]
    assert len(saved_domains) == len(set(saved_domains))
    assert data["summary"] == f"Saved {data['saved']} leads ({repeats} duplicates dropped)"


async def test_the_list_is_capped_at_max_leads_keeping_the_best(run_steps: RunSteps) -> None:
    prior = await run_steps("lead_list_save_4", lead_list_save_4={"maxLeads": 5})
    data = prior["lead_list_save_4"].data
    assert data["saved"] == len(data["leads"]) == 5
    assert data["name"] == "Coffee shops in Manchester"
    assert data["listId"].startswith("list_")
    ranked = [Lead.model_validate(lead) for lead in data["leads"]]
    assert ranked == sorted(ranked, key=lead_sort_key)
    assert all(lead.email and lead.email_status in ("valid", "accept_all") for lead in ranked)


async def test_saving_twice_in_one_run_and_step_keeps_one_list(
    run_steps: RunSteps,
    make_env: Callable[..., ToolEnv],
    params_of: Callable[[str], dict[str, Any]],
    services: ToolServices,
) -> None:
    prior = await run_steps("lead_list_save_4")
    first = prior["lead_list_save_4"].data
    env = make_env("lead_list_save_4", prior, attempt=2)
    again = await save_lead_list(params_of("lead_list_save_4"), env)
    assert again == first
    lists = services.lead_lists.lists  # type: ignore[attr-defined]
    assert list(lists) == [first["listId"]]
    assert len(lists[first["listId"]].leads) == first["saved"] == 20
    other = await save_lead_list(
        params_of("lead_list_save_4"), make_env("lead_list_save_4", prior, run_id="run_other")
    )
    assert other["listId"] != first["listId"] and len(lists) == 2


@pytest.mark.parametrize(
    ("params", "name"),
    [({"maxLeads": 20}, "'listName'"), ({"listName": "L", "maxLeads": -1}, "'maxLeads'")],
)
async def test_bad_parameters_fail_for_good(
    run_steps: RunSteps,
    make_env: Callable[..., ToolEnv],
    params: dict[str, Any],
    name: str,
) -> None:
    prior = await run_steps("hunter_enrich_3")
    with pytest.raises(ToolError) as caught:
        await save_lead_list(
            {"sourceStepId": "hunter_enrich_3", **params}, make_env("lead_list_save_4", prior)
        )
    assert caught.value.retryable is False and name in caught.value.message
