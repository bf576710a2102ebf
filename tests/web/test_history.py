"""GET /runs: the history, newest first, filtered by state and text, counted by state, paged
by a cursor."""

from __future__ import annotations

import html
import re

import httpx
import pytest
from starlette.applications import Starlette

from tests.web.helpers import fast_settings, finished_run, run_ids, run_links, serve


@pytest.fixture
async def mixed_history(db: str) -> dict[str, str]:
    """Four runs: a failed one, then three that succeeded; their ids by a word of the goal."""
    failing = fast_settings(db, demo_failure_rate=1, retry_max_retries=0)
    async with serve(failing) as (app, client):
        runs = {"florists": await finished_run(app, client, "Find 3 florists in Bath")}
    async with serve(fast_settings(db)) as (app, client):
        for word, goal in [
            ("dentists", "Find 3 dentists in Leeds"),
            ("coffee", "Find 3 coffee shops in Leeds"),
            ("plumbers", "Find 3 plumbers in York"),
        ]:
            runs[word] = await finished_run(app, client, goal)
    return runs


async def test_the_history_lists_runs_newest_first_with_counts_by_state(
    db: str, mixed_history: dict[str, str]
) -> None:
    async with serve(fast_settings(db)) as (_, client):
        response = await client.get("/runs")

    assert response.status_code == 200
    page = response.text
    order = ["plumbers", "coffee", "dentists", "florists"]
    assert run_links(page) == [mixed_history[word] for word in order]
    counts = re.search(r'<p class="counts">(.*?)</p>', page, re.DOTALL)
    assert counts is not None
    assert re.findall(r">(\d+) (\w+)</a>", counts.group(1)) == [("1", "failed"), ("3", "succeeded")]
    assert '<option value="failed">failed (1)</option>' in page
    assert 'id="older"' not in page


async def test_the_history_filters_by_state(db: str, mixed_history: dict[str, str]) -> None:
    async with serve(fast_settings(db)) as (_, client):
        failed = (await client.get("/runs", params={"status": "failed"})).text
        succeeded = (await client.get("/runs", params={"status": "succeeded"})).text

    assert run_links(failed) == [mixed_history["florists"]]
    assert '<option value="failed" selected>' in failed
    assert mixed_history["florists"] not in run_links(succeeded)
    assert len(run_links(succeeded)) == 3


@pytest.mark.parametrize(
    ("q", "words"),
    [
        ("dentists", ["dentists"]),
        ("Leeds", ["coffee", "dentists"]),
        ("Yo", ["plumbers"]),  # shorter than a trigram: a plain substring match
        ("nothing like it", []),
    ],
)
async def test_the_history_searches_the_goal_text(
    db: str, mixed_history: dict[str, str], q: str, words: list[str]
) -> None:
    async with serve(fast_settings(db)) as (_, client):
        page = (await client.get("/runs", params={"q": q})).text

    assert run_links(page) == [mixed_history[word] for word in words]
    assert f'name="q" type="search" value="{q}"' in page
    if not words:
        assert "No runs match." in page


async def test_the_history_pages_through_many_runs_with_a_cursor(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    started = [
        (await client.post("/api/runs", json={"goal": f"Find {n} bakeries in Leeds"})).json()
        for n in range(1, 28)
    ]
    for document in started:
        await app.state.manager.wait(document["runId"])
    newest_first = await run_ids(client)
    assert sorted(newest_first) == sorted(d["runId"] for d in started)

    first = (await client.get("/runs")).text
    older = re.search(r'<a id="older" href="([^"]+)">older →</a>', first)
    assert older is not None
    second = (await client.get(html.unescape(older.group(1)))).text

    assert run_links(first) == newest_first[:25]
    assert run_links(second) == newest_first[25:]
    assert 'id="older"' not in second
    assert "← newest" in second
    home = (await client.get("/")).text
    assert run_links(home) == newest_first[:8]  # the home page shows the few latest


async def test_a_cursor_the_history_did_not_hand_out_is_a_bad_request(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/runs", params={"cursor": "abc"})

    assert response.status_code == 400
    assert "That page cursor is not valid" in response.text
