"""EMAIL_SEQUENCE_SETUP drafts personalised emails (never sends); MONITOR_SETUP schedules a
saved search. Both are saved once per run and step."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from webapp.core.errors import ToolError
from webapp.core.leads import Lead
from webapp.core.models import LeadGenStepResult, iso_timestamp
from webapp.core.tooling import ToolEnv
from webapp.tools.monitor import set_up_monitor
from webapp.tools.sequence import personalise, sequence_steps, set_up_email_sequence
from webapp.tools.services import ToolServices

RunSteps = Callable[..., Awaitable[dict[str, LeadGenStepResult]]]
Succeeded = Callable[[str, Any], LeadGenStepResult]


async def test_each_lead_with_an_email_gets_each_step_personalised(
    run_steps: RunSteps, services: ToolServices
) -> None:
    prior = await run_steps("email_sequence_setup_5", lead_list_save_4={"maxLeads": 30})
    leads = prior["lead_list_save_4"].data["leads"]
    data = prior["email_sequence_setup_5"].data
    with_email = [lead for lead in leads if "email" in lead]
    assert 0 < len(with_email) < len(leads)
    assert data["leadsWithEmail"] == len(with_email)
    assert data["leadsWithoutEmail"] == len(leads) - len(with_email)
    assert data["messageCount"] == len(with_email) * 3
    assert (data["status"], data["name"]) == ("draft", "Outreach: coffee shops in Manchester")
    assert [step["delayDays"] for step in data["steps"]] == [0, 3, 7]
    assert data["summary"] == f"Drafted 3 emails for each of {len(with_email)} leads (not sent)"
    assert len(data["messages"]) == 3
    stored = services.sequences.sequences[data["sequenceId"]]  # type: ignore[attr-defined]
    assert stored.list_id == prior["lead_list_save_4"].data["listId"]
    assert len(stored.messages) == data["messageCount"]
    for lead in with_email:
        mine = [m for m in stored.messages if m.lead_email == lead["email"]]
        assert [m.step_number for m in mine] == [1, 2, 3]
        greeting = f"Hi {lead.get('contactFirstName', 'there')},"
        for message in mine:
            assert message.body.startswith(greeting)
            assert lead["businessName"] in message.subject + message.body
            assert "{" not in message.subject + message.body


def test_a_lead_without_a_first_name_is_greeted_as_there() -> None:
    step = sequence_steps(1)[0]
    message = personalise(step, Lead(business_name="Mug & Brew", email="hello@mug.example"))
    assert message.body.startswith("Hi there,")
    assert message.subject == "Quick question for Mug & Brew"
    assert (message.lead_email, message.step_number, message.send_after_days) == (
        "hello@mug.example",
        1,
        0,
    )


async def test_the_sequence_is_saved_once_per_run_and_step(
    run_steps: RunSteps,
    make_env: Callable[..., ToolEnv],
    params_of: Callable[[str], dict[str, Any]],
    services: ToolServices,
) -> None:
    prior = await run_steps("email_sequence_setup_5")
    first = prior["email_sequence_setup_5"].data
    again = await set_up_email_sequence(
        {**params_of("email_sequence_setup_5"), "steps": 5},
        make_env("email_sequence_setup_5", prior, attempt=3),
    )
    assert again == first
    assert list(services.sequences.sequences) == [first["sequenceId"]]  # type: ignore[attr-defined]


@pytest.mark.parametrize("steps", [0, 6, "3"])
async def test_a_sequence_has_one_to_five_steps(
    run_steps: RunSteps, make_env: Callable[..., ToolEnv], steps: Any
) -> None:
    prior = await run_steps("lead_list_save_4")
    params = {"sourceStepId": "lead_list_save_4", "steps": steps}
    with pytest.raises(ToolError) as caught:
        await set_up_email_sequence(params, make_env("email_sequence_setup_5", prior))
    assert caught.value.retryable is False and "from 1 to 5" in caught.value.message


async def test_five_steps_spread_over_three_weeks(
    run_steps: RunSteps,
) -> None:
    prior = await run_steps("email_sequence_setup_5", email_sequence_setup_5={"steps": 5})
    data = prior["email_sequence_setup_5"].data
    assert [step["delayDays"] for step in data["steps"]] == [0, 3, 7, 14, 21]
    assert data["messageCount"] == data["leadsWithEmail"] * 5


async def test_a_list_without_emails_drafts_nothing(
    make_env: Callable[..., ToolEnv], succeeded: Succeeded
) -> None:
    prior = {
        "lead_list_save_4": succeeded(
            "lead_list_save_4",
            {"listId": "list_1", "name": "Quiet", "leads": [{"businessName": "No Email Ltd"}]},
        )
    }
    data = await set_up_email_sequence(
        {"sourceStepId": "lead_list_save_4"}, make_env("email_sequence_setup_5", prior)
    )
    assert (data["messageCount"], data["leadsWithEmail"], data["leadsWithoutEmail"]) == (0, 0, 1)
    assert data["summary"] == "No saved lead has an email address, so no emails were drafted"


async def test_the_monitor_first_runs_a_week_after_now(
    run_steps: RunSteps, now: datetime, services: ToolServices
) -> None:
    prior = await run_steps("monitor_setup_6")
    data = prior["monitor_setup_6"].data
    assert data["nextRunAt"] == iso_timestamp(now + timedelta(days=7)) == "2025-03-10T09:30:00.000Z"
    assert (data["query"], data["region"], data["country"]) == ("coffee shops", "Manchester", "GB")
    assert (data["frequency"], data["status"]) == ("weekly", "active")
    assert data["listId"] == prior["lead_list_save_4"].data["listId"]
    assert data["monitorId"].startswith("mon_")
    assert data["summary"] == "Watching for new coffee shops in Manchester weekly"
    assert list(services.monitors.monitors) == [data["monitorId"]]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("frequency", "days"), [("daily", 1), ("Monthly", 30)])
async def test_the_monitor_frequency_sets_the_next_run(
    run_steps: RunSteps, now: datetime, frequency: str, days: int
) -> None:
    prior = await run_steps("monitor_setup_6", monitor_setup_6={"frequency": frequency})
    data = prior["monitor_setup_6"].data
    assert data["frequency"] == frequency.lower()
    assert data["nextRunAt"] == iso_timestamp(now + timedelta(days=days))


async def test_the_monitor_is_saved_once_per_run_and_step(
    run_steps: RunSteps,
    make_env: Callable[..., ToolEnv],
    params_of: Callable[[str], dict[str, Any]],
) -> None:
    prior = await run_steps("monitor_setup_6")
    again = await set_up_monitor(
        params_of("monitor_setup_6"), make_env("monitor_setup_6", prior, attempt=2)
    )
    assert again == prior["monitor_setup_6"].data


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"frequency": "hourly"}, "daily, weekly, monthly"),
        ({"query": ""}, "'query'"),
    ],
)
async def test_the_monitor_rejects_bad_parameters(
    run_steps: RunSteps,
    make_env: Callable[..., ToolEnv],
    params_of: Callable[[str], dict[str, Any]],
    params: dict[str, Any],
    needle: str,
) -> None:
    prior = await run_steps("lead_list_save_4")
    with pytest.raises(ToolError) as caught:
        await set_up_monitor(
            {**params_of("monitor_setup_6"), **params}, make_env("monitor_setup_6", prior)
        )
    assert caught.value.retryable is False and needle in caught.value.message
