"""POST /runs/{id}/cancel | resume | retry: what each does to a run, from a plain form and
from htmx, and the answers when it cannot."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from tests.web.helpers import (
    GOAL,
    fast_settings,
    finished_run,
    parse_sse,
    run_id_of,
    run_ids,
    serve,
)
from webapp.core.models import LeadPlanEvent

SLOW = 60_000  # ms per demo provider call: a run that is surely still going


@pytest.fixture
async def failed_run(db: str) -> str:
    """A run whose first step failed (so the rest were skipped), on the test's database."""
    settings = fast_settings(db, demo_failure_rate=1, retry_max_retries=0)
    async with serve(settings) as (app, client):
        run_id = await finished_run(app, client)
        assert (await client.get(f"/api/runs/{run_id}")).json()["run"]["status"] == "failed"
    return run_id


async def test_cancelling_a_finished_run_goes_back_to_its_page(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client)

    response = await client.post(f"/runs/{run_id}/cancel")

    assert run_id_of(response) == run_id
    document = (await client.get(f"/api/runs/{run_id}")).json()
    assert document["run"]["status"] == "succeeded"


async def test_cancelling_from_htmx_answers_with_the_actions_fragment(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client)

    response = await client.post(f"/runs/{run_id}/cancel", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response.text.startswith('<div id="actions" class="actions">')
    assert "<html" not in response.text
    assert 'id="cancel"' not in response.text  # nothing left to cancel
    assert f'href="/runs/{run_id}/leads.csv"' in response.text


async def test_cancelling_a_running_run_stops_it(tmp_path: Path) -> None:
    async with serve(fast_settings(str(tmp_path / "web.db"), demo_latency_ms=SLOW)) as (
        app,
        client,
    ):
        run_id = run_id_of(await client.post("/runs", data={"goal": GOAL}))

        response = await client.post(f"/runs/{run_id}/cancel")

        assert run_id_of(response) == run_id
        await app.state.manager.wait(run_id)
        page = (await client.get(f"/runs/{run_id}")).text
        assert 'id="run-status">■ cancelled</span>' in page
        assert 'id="retry"' in page and 'id="cancel"' not in page
        # nothing failed or was skipped: only "from a step" is offered, by the steps' names
        assert "failed and skipped steps" not in page
        assert 'value="google_places_1">from “Find coffee shops in Manchester”' in page


async def test_resuming_a_run_that_was_not_interrupted_is_a_conflict(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client)

    response = await client.post(f"/runs/{run_id}/resume")

    assert response.status_code == 409
    assert "<h1>Not now</h1>" in response.text
    assert "Only an interrupted run can be resumed" in response.text


async def test_a_run_cut_off_by_a_restart_can_be_resumed(db: str) -> None:
    async with serve(fast_settings(db, demo_latency_ms=SLOW)) as (_, client):
        run_id = run_id_of(await client.post("/runs", data={"goal": GOAL}))
    # The server stopped under the run; the next one offers to resume it.
    async with serve(fast_settings(db)) as (app, client):
        page = (await client.get(f"/runs/{run_id}")).text
        assert 'id="run-status">⚡ interrupted</span>' in page
        assert 'id="resume"' in page

        response = await client.post(f"/runs/{run_id}/resume")

        assert run_id_of(response) == run_id
        await app.state.manager.wait(run_id)
        document = (await client.get(f"/api/runs/{run_id}")).json()
        assert document["run"]["status"] == "succeeded"
        assert document["counts"] == {"succeeded": 4}
        page = (await client.get(f"/runs/{run_id}")).text
        assert "RUN_INTERRUPTED" in page and "RUN_RESUMED" in page


async def test_the_update_of_an_interruption_sets_the_whole_graph_and_every_step_row(
    db: str,
) -> None:
    async with serve(fast_settings(db, demo_latency_ms=SLOW)) as (_, client):
        run_id = run_id_of(await client.post("/runs", data={"goal": GOAL}))
    async with serve(fast_settings(db)) as (app, _):
        events = await app.state.store.runs.events(run_id)
        interrupted = next(e for e in events if e.type == "RUN_INTERRUPTED")
        (update,) = await app.state.live.html_updates(run_id, [interrupted])

    data = update.message.decode()
    assert 'id="graph" class="graph" hx-swap-oob="true"' in data
    assert data.count('<li id="step-') == 4
    # the step cut off while running is pending again, in the graph and in the list
    assert 'class="node state-running' not in data and 'class="step state-running' not in data
    assert 'class="node state-pending' in data and 'class="step state-pending' in data
    # ... and the timeline ends its attempt at the interruption instead of drawing it running
    assert 'class="run-seg state-running"' not in data
    assert 'class="run-seg state-cancelled"' in data


async def test_a_page_following_a_run_sees_its_cut_off_attempt_end(db: str) -> None:
    async with serve(fast_settings(db, demo_latency_ms=SLOW)) as (app, client):
        run_id = run_id_of(await client.post("/runs", data={"goal": GOAL}))
        store, live = app.state.store, app.state.live
        events: list[LeadPlanEvent] = []
        while not any(e.type == "STEP_STARTED" for e in events):
            await store.writer.flush()
            events = await store.runs.events(run_id)
        (*_, followed) = await live.html_updates(run_id, events)  # the page's view, live
        assert 'class="run-seg state-running"' in followed.message.decode()

        await app.state.manager.stop(reason="Stopped under the run")
        interrupted = (await store.runs.events(run_id, after=events[-1].seq))[0]
        (update,) = await live.html_updates(run_id, [interrupted])

    assert interrupted.type == "RUN_INTERRUPTED"
    data = update.message.decode()
    assert 'class="run-seg state-running"' not in data
    assert 'class="run-seg state-cancelled"' in data
    assert "Stopped under the run" in data


async def test_the_stream_of_a_resumed_run_goes_on_past_the_interruption(db: str) -> None:
    async with serve(fast_settings(db, demo_latency_ms=SLOW)) as (_, client):
        run_id = run_id_of(await client.post("/runs", data={"goal": GOAL}))
    async with serve(fast_settings(db)) as (app, client):
        await client.post(f"/runs/{run_id}/resume")
        await app.state.manager.wait(run_id)
        last_seq = (await client.get(f"/api/runs/{run_id}")).json()["run"]["lastSeq"]

        *events, done = parse_sse((await client.get(f"/api/runs/{run_id}/events")).text)

    types = [message.event for message in events]
    assert [message.id for message in events] == [str(n) for n in range(1, last_seq + 1)], types
    assert types[types.index("RUN_INTERRUPTED") + 1] == "RUN_RESUMED"
    assert types[-1] == "PLAN_COMPLETED"
    assert done.event == "done"


async def test_retrying_a_failed_run_starts_a_new_run_linked_to_it(
    db: str, failed_run: str
) -> None:
    async with serve(fast_settings(db)) as (app, client):
        response = await client.post(f"/runs/{failed_run}/retry", data={"step": ""})

        new_run = run_id_of(response)
        assert new_run != failed_run
        await app.state.manager.wait(new_run)
        run = (await client.get(f"/api/runs/{new_run}")).json()["run"]
        assert run["parentRunId"] == failed_run
        assert run["status"] == "succeeded"
        page = (await client.get(f"/runs/{new_run}")).text
        assert f'retry of <a href="/runs/{failed_run}">' in page
        assert await run_ids(client) == [new_run, failed_run]


async def test_retrying_from_a_chosen_step(db: str, failed_run: str) -> None:
    async with serve(fast_settings(db)) as (app, client):
        page = (await client.get(f"/runs/{failed_run}")).text
        assert '<option value="google_places_1">' in page

        response = await client.post(f"/runs/{failed_run}/retry", data={"step": "google_places_1"})

        new_run = run_id_of(response)
        await app.state.manager.wait(new_run)
        run = (await client.get(f"/api/runs/{new_run}")).json()["run"]
        assert (run["parentRunId"], run["retryFromStep"]) == (failed_run, "google_places_1")


async def test_retrying_a_run_where_everything_succeeded_is_a_conflict(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client)

    response = await client.post(f"/runs/{run_id}/retry")

    assert response.status_code == 409
    assert "nothing to retry" in response.text
    assert await run_ids(client) == [run_id]


async def test_retrying_from_a_step_the_plan_does_not_have_is_explained(
    db: str, failed_run: str
) -> None:
    async with serve(fast_settings(db), raise_app_exceptions=False) as (_, client):
        response = await client.post(f"/runs/{failed_run}/retry", data={"step": "nope"})

        assert 400 <= response.status_code < 500
        assert "The plan has no step" in response.text
        assert await run_ids(client) == [failed_run]


async def test_an_unknown_action_is_not_found(app: Starlette, client: httpx.AsyncClient) -> None:
    run_id = await finished_run(app, client)

    response = await client.post(f"/runs/{run_id}/explode")

    assert response.status_code == 404
    assert "There is nothing at this address." in response.text


@pytest.mark.parametrize("action", ["cancel", "resume", "retry"])
async def test_an_action_on_an_unknown_run_is_not_found(
    client: httpx.AsyncClient, action: str
) -> None:
    response = await client.post(f"/runs/run_doesnotexist/{action}")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert re.search(r"There is no run &#39;run_doesnotexist&#39;", response.text)


async def test_a_retry_marks_the_steps_it_reused_and_its_parent_links_forward_to_it(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client)
    first, second, *_ = [
        s["stepId"] for s in (await client.get(f"/api/runs/{run_id}")).json()["steps"]
    ]
    before = (await client.get(f"/runs/{run_id}")).text
    assert 'id="run-retries"' not in before and 'class="chip reused"' not in before

    retry = run_id_of(await client.post(f"/runs/{run_id}/retry", data={"step": second}))
    await app.state.manager.wait(retry)

    page = (await client.get(f"/runs/{retry}")).text
    rows = re.findall(r'<li id="step-(\w+)"(.*?)</li>', page, re.DOTALL)
    marked = [step for step, row in rows if 'class="chip reused"' in row]
    assert marked == [first]  # the search was taken from the parent; the rest ran again
    parent = (await client.get(f"/runs/{run_id}")).text
    assert f'retried as <a href="/runs/{retry}">{retry}</a>' in parent
