"""The JSON API: start, list, read and cancel runs, read their leads; errors are
{"error": {"code", "message"}} with the status that fits, and nothing starts on a bad body."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.web.helpers import GOAL, fast_settings, finished_run, run_ids, serve


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    assert error["message"]
    return error


async def test_starting_a_run_answers_201_with_where_to_find_it(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    response = await client.post("/api/runs", json={"goal": GOAL})

    assert response.status_code == 201
    document = response.json()
    run_id = document["runId"]
    assert response.headers["location"] == f"/api/runs/{run_id}"
    assert document["run"]["goal"] == GOAL
    assert [step["stepId"] for step in document["steps"]] == [
        "google_places_1",
        "hunter_domain_lookup_2",
        "hunter_enrich_3",
        "lead_list_save_4",
    ]
    await app.state.manager.wait(run_id)
    assert (await client.get(response.headers["location"])).status_code == 200


async def test_answers_are_compact_utf8_json(app: Starlette, client: httpx.AsyncClient) -> None:
    goal = "Find 5 cafés in Zürich"
    response = await client.post("/api/runs", json={"goal": goal})

    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert goal.encode() in response.content  # as UTF-8, not as \u escapes
    assert b'{"runId":"' in response.content  # no spaces after the separators
    assert response.json()["run"]["goal"] == goal
    await app.state.manager.wait(response.json()["runId"])


async def test_overrides_shape_the_plan(app: Starlette, client: httpx.AsyncClient) -> None:
    body = {
        "goal": GOAL,
        "volume": 7,
        "region": "Leeds",
        "country": "IE",
        "persona": "bakeries",
        "email": True,
        "monitoring": True,
    }
    response = await client.post("/api/runs", json=body)

    assert response.status_code == 201
    plan = response.json()["run"]["plan"]
    search = plan["steps"][0]["params"]
    assert search == {"query": "bakeries", "region": "Leeds", "country": "IE", "maxResults": 14}
    assert [step["tool"] for step in plan["steps"]][-2:] == [
        "EMAIL_SEQUENCE_SETUP",
        "MONITOR_SETUP",
    ]
    assert plan["goal"]["volume"] == 7
    await app.state.manager.wait(response.json()["runId"])


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        (b'{"goal": "Find 5 coffee shops"', 400, "invalid_json", None),
        (b"", 400, "invalid_body", None),
        (b'["Find 5 coffee shops in Leeds"]', 400, "invalid_body", None),
        (b'"Find 5 coffee shops in Leeds"', 400, "invalid_body", None),
        (b'{"goal": "Find 5 coffee shops", "when": "now"}', 422, "unknown_field", "when"),
        (b'{"volume": 5}', 422, "invalid_goal", "goal"),
        (b'{"goal": ""}', 422, "invalid_goal", "goal"),
        (b'{"goal": 5}', 422, "invalid_goal", "goal"),
        (b'{"goal": "<b>dentists</b> in Leeds"}', 422, "invalid_goal", "goal"),
        (b'{"goal": "Find 5 coffee shops", "email": "yes"}', 422, "invalid_goal", "email"),
        (b'{"goal": "Find 5 coffee shops", "monitoring": 1}', 422, "invalid_goal", "monitoring"),
        (b'{"goal": "Find 5 coffee shops", "volume": -5}', 422, "invalid_goal", "volume"),
        (b'{"goal": "Find 5 coffee shops", "volume": 10000000}', 422, "invalid_goal", "volume"),
        (b'{"goal": "Find 5 coffee shops", "country": "Narnia"}', 422, "invalid_goal", "country"),
        (
            b'{"goal": "Find 5 coffee shops", "places_provider": "yelp"}',
            422,
            "invalid_provider",
            "places_provider",
        ),
        (
            b'{"goal": "Find 5 coffee shops", "email_providers": "website,x"}',
            422,
            "invalid_provider",
            "email_providers",
        ),
        (b'{"goal": "Find 5 coffee shops", "budget": [1]}', 422, "invalid_budget", "budget"),
        (
            b'{"goal": "Find 5 coffee shops", "budget": {"calls": 1}}',
            422,
            "invalid_budget",
            "budget",
        ),
        (
            b'{"goal": "Find 5 coffee shops", "budget": {"requests": 0}}',
            422,
            "invalid_budget",
            "budget_requests",
        ),
    ],
    ids=[
        "malformed",
        "empty",
        "array",
        "string",
        "unknown-field",
        "no-goal",
        "blank-goal",
        "goal-not-text",
        "markup",
        "email-yes",
        "monitoring-1",
        "volume-negative",
        "volume-huge",
        "country",
        "places-provider",
        "email-providers",
        "budget-not-an-object",
        "budget-unknown-field",
        "budget-requests",
    ],
)
async def test_a_bad_body_is_refused_and_starts_nothing(
    client: httpx.AsyncClient, body: bytes, status: int, code: str, field: str | None
) -> None:
    response = await client.post(
        "/api/runs", content=body, headers={"Content-Type": "application/json"}
    )

    error = error_of(response, status)
    assert error["code"] == code
    assert error.get("field") == field
    assert await run_ids(client) == []


async def test_a_body_over_64_kb_is_too_large(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/runs", json={"goal": GOAL, "pad": "x" * 70_000})

    assert error_of(response, 413)["code"] == "too_large"
    assert await run_ids(client) == []


@pytest.mark.parametrize("declared", [b"\xb2", b"9" * 4301], ids=["²", "4301-digits"])
async def test_an_unreadable_content_length_is_ignored_not_a_crash(
    db: str, declared: bytes
) -> None:
    # a server in front normally refuses these; in-process the header reaches the app as is
    headers = {b"Content-Type": b"application/json", b"Content-Length": declared}
    async with serve(fast_settings(db), raise_app_exceptions=False) as (_, client):
        response = await client.post("/api/runs", content=b'{"goal": ', headers=headers)

        assert error_of(response, 400)["code"] == "invalid_json"  # the body itself was read
        assert await run_ids(client) == []


async def test_deeply_nested_json_is_a_bad_request(db: str) -> None:
    async with serve(fast_settings(db), raise_app_exceptions=False) as (_, client):
        response = await client.post("/api/runs", content=b"[" * 50_000)

        assert error_of(response, 400)["code"] == "invalid_json"
        assert await run_ids(client) == []


async def test_listing_runs_filters_and_pages(app: Starlette, client: httpx.AsyncClient) -> None:
    dentists = await finished_run(app, client, "Find 3 dentists in Leeds")
    bakeries = [await finished_run(app, client, f"Find {n} bakeries in York") for n in (1, 2, 3)]

    everything = (await client.get("/api/runs")).json()
    assert [run["runId"] for run in everything["runs"]] == [*reversed(bakeries), dentists]
    assert everything["counts"] == {"succeeded": 4}
    assert everything["nextCursor"] is None

    found = (await client.get("/api/runs", params={"q": "dentist"})).json()
    assert [run["runId"] for run in found["runs"]] == [dentists]
    assert (await client.get("/api/runs", params={"status": "failed"})).json()["runs"] == []

    first = (await client.get("/api/runs", params={"limit": 3})).json()
    rest = (
        await client.get("/api/runs", params={"limit": 3, "cursor": first["nextCursor"]})
    ).json()
    assert [run["runId"] for run in first["runs"] + rest["runs"]] == [
        run["runId"] for run in everything["runs"]
    ]
    assert rest["nextCursor"] is None


@pytest.mark.parametrize("limit", ["0", "500", "abc", "-1", ""])
async def test_a_limit_out_of_range_is_a_bad_request(client: httpx.AsyncClient, limit: str) -> None:
    response = await client.get("/api/runs", params={"limit": limit})

    assert error_of(response, 400)["code"] == "bad_limit"


@pytest.mark.parametrize(
    "limit", ["²", "①", "1" * 4301, "0" * 4300 + "50"], ids=["²", "①", "4301-digits", "zeros"]
)
async def test_a_limit_in_unusual_digits_is_a_bad_request_not_a_crash(db: str, limit: str) -> None:
    # isdigit() takes "²" and "①", int() does not; int() refuses more than 4,300 digits
    async with serve(fast_settings(db), raise_app_exceptions=False) as (_, client):
        response = await client.get("/api/runs", params={"limit": limit})

    assert error_of(response, 400)["code"] == "bad_limit"


async def test_a_bad_cursor_is_a_bad_request(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/runs", params={"cursor": "abc"})

    assert error_of(response, 400)["code"] == "bad_cursor"


async def test_a_state_that_does_not_exist_is_a_bad_request_not_an_empty_list(
    client: httpx.AsyncClient,
) -> None:
    # "suceeded" (a typo) used to answer 200 with no runs, as if none had succeeded.
    api = await client.get("/api/runs", params={"status": "suceeded"})
    page = await client.get("/runs", params={"status": "suceeded"})

    error = error_of(api, 400)
    assert (error["code"], error["field"]) == ("bad_status", "status")
    assert "“suceeded”" in error["message"] and "succeeded, partial, failed" in error["message"]
    assert page.status_code == 400 and "There is no run state “suceeded”" in page.text
    assert (await client.get("/api/runs", params={"status": "interrupted"})).status_code == 200


async def test_reading_a_run_gives_its_steps_and_counts(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client, monitoring=True)

    document = (await client.get(f"/api/runs/{run_id}")).json()

    assert document["runId"] == run_id
    assert document["run"]["status"] == "succeeded"
    assert document["counts"] == {"succeeded": 5}
    step = document["steps"][0]
    assert (step["stepId"], step["status"], step["attempts"]) == ("google_places_1", "succeeded", 1)
    assert document["steps"][-1]["tool"] == "MONITOR_SETUP"


async def test_cancelling_a_finished_run_says_so(app: Starlette, client: httpx.AsyncClient) -> None:
    run_id = await finished_run(app, client)

    response = await client.post(f"/api/runs/{run_id}/cancel")

    assert response.status_code == 200
    body = response.json()
    assert (body["runId"], body["status"]) == (run_id, "succeeded")
    assert "already finished" in body["message"]


async def test_the_leads_of_a_run(app: Starlette, client: httpx.AsyncClient) -> None:
    run_id = await finished_run(app, client)

    body = (await client.get(f"/api/runs/{run_id}/leads")).json()

    assert body["runId"] == run_id
    assert body["count"] == len(body["leads"]) > 0
    lead = body["leads"][0]
    assert lead["businessName"] and lead["source"] == "demo"
    assert lead["website"].startswith("https://") and lead["domain"].endswith(".example")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/runs/run_doesnotexist"),
        ("POST", "/api/runs/run_doesnotexist/cancel"),
        ("GET", "/api/runs/run_doesnotexist/leads"),
        ("GET", "/api/runs/run_doesnotexist/events"),
    ],
)
async def test_an_unknown_run_is_a_json_not_found(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path)

    error = error_of(response, 404)
    assert error["code"] == "not_found"
    assert "run_doesnotexist" in error["message"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/api/nothing-here", 404), ("DELETE", "/api/runs", 405)],
)
async def test_routing_errors_under_the_api_have_machine_readable_codes(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path)

    error = error_of(response, status)
    assert re.fullmatch(r"[a-z]+(_[a-z]+)*", error["code"]), error["code"]
