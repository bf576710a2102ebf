"""POST /runs: starting the (previewed) plan from the form, and what it refuses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.web.helpers import GOAL, run_id_of, run_ids


def steps_of(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The run's plan steps by id."""
    return {step["id"]: step for step in document["run"]["plan"]["steps"]}


async def test_a_goal_alone_starts_a_run_and_goes_to_its_page(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    response = await client.post("/runs", data={"goal": GOAL})

    run_id = run_id_of(response)
    assert await run_ids(client) == [run_id]
    await app.state.manager.wait(run_id)
    page = await client.get(f"/runs/{run_id}")
    assert page.status_code == 200
    assert f"<h1>{GOAL}</h1>" in page.text


async def test_the_previewed_fields_win_over_the_parse(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    form = {
        "goal": "Find 20 coffee shops in Manchester and monitor for new ones",
        "overrides": "1",
        "persona": "bakeries",
        "region": "Leeds",
        "country": "IE",
        "volume": "7",
        "email": "on",
    }
    run_id = run_id_of(await client.post("/runs", data=form))
    await app.state.manager.wait(run_id)

    document = (await client.get(f"/api/runs/{run_id}")).json()
    steps = steps_of(document)
    search = steps["google_places_1"]["params"]
    assert search == {"query": "bakeries", "region": "Leeds", "country": "IE", "maxResults": 14}
    assert "email_sequence_setup_5" in steps  # ticked
    assert "monitor_setup_6" not in steps  # the goal asked for it, the unticked box won
    assert document["run"]["goal"] == form["goal"]


async def test_without_the_overrides_marker_the_fields_are_ignored(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    form = {"goal": GOAL, "persona": "bakeries", "volume": "7"}
    run_id = run_id_of(await client.post("/runs", data=form))
    await app.state.manager.wait(run_id)

    search = steps_of((await client.get(f"/api/runs/{run_id}")).json())["google_places_1"]
    assert search["params"]["query"] == "coffee shops"
    assert search["params"]["maxResults"] == 10


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({"goal": ""}, "Type a goal"),
        ({"goal": "<script>alert(1)</script> dentists"}, "HTML markup"),
        ({"goal": GOAL, "overrides": "1", "persona": "cafes", "volume": "0"}, "between 1 and"),
        ({"goal": GOAL, "overrides": "1", "persona": "cafes", "country": "Narnia"}, "Narnia"),
    ],
    ids=["empty", "markup", "volume", "country"],
)
async def test_an_invalid_form_is_explained_and_starts_nothing(
    client: httpx.AsyncClient, form: dict[str, str], words: str
) -> None:
    response = await client.post("/runs", data=form)

    assert response.status_code == 422
    assert words in response.text
    assert "<script>" not in response.text
    assert await run_ids(client) == []


async def test_a_body_over_64_kb_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post("/runs", data={"goal": GOAL, "padding": "x" * 70_000})

    assert response.status_code == 413
    assert "<h1>Too large</h1>" in response.text
    assert await run_ids(client) == []


async def test_a_streamed_body_over_64_kb_is_refused_without_a_length(
    client: httpx.AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"goal=Find+5+coffee+shops&padding="
        for _ in range(20):
            yield b"x" * 4096

    response = await client.post(
        "/runs",
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert await run_ids(client) == []


@pytest.mark.parametrize(
    "content_type", ["application/json", "multipart/form-data; boundary=x", "text/plain"]
)
async def test_a_body_that_is_not_a_url_encoded_form_is_refused(
    client: httpx.AsyncClient, content_type: str
) -> None:
    response = await client.post(
        "/runs", content=b'{"goal": "Find 5 coffee shops"}', headers={"Content-Type": content_type}
    )

    assert response.status_code == 415
    assert "application/x-www-form-urlencoded" in response.text
    assert await run_ids(client) == []
