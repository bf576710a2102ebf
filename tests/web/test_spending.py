"""What runs spend: requests per step and provider, run totals in the history, and budgets that
stop a run before it goes past them."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

GOAL = "Find 5 coffee shops in Manchester"


async def start(client: httpx.AsyncClient, app: Starlette, **body: object) -> str:
    answer = await client.post("/api/runs", json={"goal": GOAL, **body})
    assert answer.status_code == 201, answer.text
    run_id: str = answer.json()["runId"]
    await app.state.manager.wait(run_id)
    return run_id


async def test_each_step_records_what_it_spent_and_the_run_adds_it_up(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await start(client, app)

    document = (await client.get(f"/api/runs/{run_id}")).json()
    outputs = {step["stepId"]: step["output"] for step in document["steps"]}
    assert outputs["google_places_1"]["usage"] == {
        "demo directory": {"requests": 1, "credits": 0.0, "cached": 0}
    }
    assert "usage" not in outputs["lead_list_save_4"]  # saving the list calls no provider
    stored = await app.state.store.usage.for_run(run_id)
    assert set(stored) == {"google_places_1", "hunter_domain_lookup_2", "hunter_enrich_3"}
    history = (await client.get("/api/runs")).json()["runs"][0]
    assert (history["requests"], history["credits"]) == (3, 0)
    page = (await client.get(f"/runs/{run_id}")).text
    assert "Spent: 3 requests" in page
    assert "demo directory: 1 request" in page


async def test_a_budget_stops_the_run_before_it_goes_past_it(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await start(client, app, budget={"requests": 2})

    document = (await client.get(f"/api/runs/{run_id}")).json()
    steps = {step["stepId"]: step for step in document["steps"]}
    assert document["run"]["status"] == "failed"  # no lead list: the run did not deliver
    enrich = steps["hunter_enrich_3"]
    assert enrich["status"] == "failed" and enrich["attempts"] == 1
    assert enrich["errorMessage"].startswith("Budget reached: this run may make at most 2")
    assert steps["lead_list_save_4"]["status"] == "skipped"
    assert document["run"]["requests"] == 2
    page = (await client.get(f"/runs/{run_id}")).text
    assert "Budget: 2 requests" in page


@pytest.mark.parametrize(
    "budget",
    [{"requests": 0}, {"requests": "lots"}, {"calls": 5}, [1], {"credits": -1}, {"requests": True}],
)
async def test_a_nonsense_budget_is_refused_and_nothing_starts(
    client: httpx.AsyncClient, budget: object
) -> None:
    answer = await client.post("/api/runs", json={"goal": GOAL, "budget": budget})

    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_budget"
    assert (await client.get("/api/runs")).json()["runs"] == []


async def test_the_form_takes_a_budget(app: Starlette, client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/runs", data={"goal": GOAL, "overrides": "1", "budget_requests": "1"}
    )

    assert answer.status_code == 303
    run_id = answer.headers["location"].rsplit("/", 1)[1]
    await app.state.manager.wait(run_id)
    run = (await client.get(f"/api/runs/{run_id}")).json()["run"]
    assert run["options"]["budget"] == {"requests": 1}
    assert run["status"] == "failed"  # the budget stopped it before it saved any lead


async def test_the_form_takes_a_budget_in_credits_and_keeps_what_was_typed(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    preview = await client.post(
        "/plan", data={"goal": GOAL, "budget_requests": "40", "budget_credits": "2.5"}
    )
    assert 'id="f-budget-credits" name="budget_credits" inputmode="decimal"' in preview.text
    assert 'name="budget_credits" inputmode="decimal" placeholder="no limit" value="2.5"' in (
        preview.text
    )
    assert 'name="budget_requests" inputmode="numeric" placeholder="no limit" value="40"' in (
        preview.text
    )

    answer = await client.post(
        "/runs", data={"goal": GOAL, "overrides": "1", "budget_credits": "2.5"}
    )
    assert answer.status_code == 303
    run_id = answer.headers["location"].rsplit("/", 1)[1]
    await app.state.manager.wait(run_id)
    run = (await client.get(f"/api/runs/{run_id}")).json()["run"]
    assert run["options"]["budget"] == {"credits": 2.5}


async def test_a_budget_the_form_cannot_take_is_said_beside_it_and_nothing_starts(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    before = (await client.get("/api/runs")).json()["runs"]

    answers = [
        await client.post(
            path, data={"goal": GOAL, "budget_requests": "lots", "budget_credits": "-1"}
        )
        for path in ("/plan", "/runs")
    ]

    for answer in answers:
        assert answer.status_code == 422
        page = answer.text
        assert 'value="lots" aria-invalid="true" aria-describedby="e-budget_requests"' in page
        assert '<p class="error" id="e-budget_requests">The requests budget must be' in page
        assert 'id="goal-error"' not in page  # the goal itself was fine
    assert (await client.get("/api/runs")).json()["runs"] == before
