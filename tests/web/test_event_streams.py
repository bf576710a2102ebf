"""A run's event streams, on finished runs (an in-process client waits for the end): the
page's HTML updates and the API's JSON events, where they resume, and what they refuse."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sse_starlette.sse import SendTimeoutError
from starlette.applications import Starlette
from starlette.types import Message

from tests.web.helpers import fast_settings, finished_run, parse_sse, serve
from webapp.web.event_streams import EventStream
from webapp.web.fragments import LiveFragments


async def stream(client: httpx.AsyncClient, url: str, **headers: str) -> httpx.Response:
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-store"
    return response


async def test_the_page_stream_replays_every_update_in_order_then_done(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client)
    last_seq = (await client.get(f"/api/runs/{run_id}")).json()["run"]["lastSeq"]

    messages = parse_sse((await stream(client, f"/runs/{run_id}/events?after=0")).text)

    *updates, done = messages
    assert [m.id for m in updates] == [str(seq) for seq in range(1, last_seq + 1)]
    assert {m.event for m in updates} == {"update"}
    for message in updates:
        assert f'<li id="ev-{message.id}"' in message.data  # the row the event adds to the log
    # a finished run replays as one burst: the last update sets each piece of the page
    assert 'id="run-header" class="run-header" hx-swap-oob="true"' in updates[-1].data
    assert 'id="run-status">✓ succeeded</span>' in updates[-1].data
    assert 'id="leads-table" hx-swap-oob="true"' in "".join(m.data for m in updates)
    assert (done.event, done.id) == ("done", None)


async def test_the_page_stream_starts_after_the_cursor(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client)

    messages = parse_sse((await stream(client, f"/runs/{run_id}/events?after=3")).text)

    assert messages[0].id == "4"
    assert messages[-1].event == "done"


async def test_a_last_event_id_header_wins_over_after(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client)

    response = await stream(client, f"/runs/{run_id}/events?after=1", **{"Last-Event-ID": "5"})

    assert parse_sse(response.text)[0].id == "6"


async def test_a_cursor_past_the_end_only_says_done(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client)
    last_seq = (await client.get(f"/api/runs/{run_id}")).json()["run"]["lastSeq"]

    response = await stream(client, f"/runs/{run_id}/events?after={last_seq}")

    assert [(m.event, m.id) for m in parse_sse(response.text)] == [("done", None)]


@pytest.mark.parametrize("url", ["/runs/{}/events", "/api/runs/{}/events"])
@pytest.mark.parametrize("after", ["-1", "abc", "1.5"])
async def test_a_cursor_that_is_not_an_event_number_is_a_bad_request(
    app: Starlette, client: httpx.AsyncClient, url: str, after: str
) -> None:
    run_id = await finished_run(app, client)

    response = await client.get(url.format(run_id), params={"after": after})

    assert response.status_code == 400


async def test_a_bad_last_event_id_is_a_bad_request(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client)

    response = await client.get(f"/api/runs/{run_id}/events", headers={"Last-Event-ID": "x"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_cursor"


async def test_the_stream_of_an_unknown_run_is_not_found(client: httpx.AsyncClient) -> None:
    page = await client.get("/runs/run_doesnotexist/events")
    api = await client.get("/api/runs/run_doesnotexist/events")

    assert page.status_code == 404 and "There is no run" in page.text
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"


async def test_the_api_stream_is_each_event_as_json_ending_after_plan_completed(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client)
    plan_id = (await client.get(f"/api/runs/{run_id}")).json()["run"]["planId"]

    *events, done = parse_sse((await stream(client, f"/api/runs/{run_id}/events")).text)

    payloads = [json.loads(message.data) for message in events]
    assert [p["seq"] for p in payloads] == list(range(1, len(events) + 1))
    assert [m.id for m in events] == [str(p["seq"]) for p in payloads]
    assert [m.event for m in events] == [p["type"] for p in payloads]
    assert {(p["runId"], p["planId"]) for p in payloads} == {(run_id, plan_id)}
    assert payloads[0]["type"] == "PLAN_STARTED"
    assert payloads[-1]["type"] == "PLAN_COMPLETED"
    assert payloads[-1]["status"] == "succeeded"
    first_step = next(p for p in payloads if p["type"] == "STEP_STARTED")
    assert (first_step["stepId"], first_step["stepTool"], first_step["attempt"]) == (
        "google_places_1",
        "GOOGLE_PLACES_SEARCH",
        1,
    )
    assert not any("_" in key for p in payloads for key in p)  # camelCase on the wire
    assert (done.event, done.id) == ("done", None)


async def test_the_api_stream_honours_last_event_id(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client)

    response = await stream(client, f"/api/runs/{run_id}/events", **{"Last-Event-ID": "7"})

    *events, done = parse_sse(response.text)
    assert json.loads(events[0].data)["seq"] == 8
    assert json.loads(events[-1].data)["type"] == "PLAN_COMPLETED"
    assert done.event == "done"


@pytest.mark.parametrize("url", ["/runs/{}/events", "/api/runs/{}/events"])
async def test_a_cursor_too_big_for_the_store_is_a_bad_request_not_a_broken_stream(
    db: str, url: str
) -> None:
    async with serve(fast_settings(db), raise_app_exceptions=False) as (app, client):
        run_id = await finished_run(app, client)

        response = await client.get(url.format(run_id), params={"after": str(2**64)})

    assert response.status_code == 400


async def test_a_step_update_swaps_its_graph_node_and_edges_and_the_start_none(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client)
    live: LiveFragments = app.state.live
    updates = []  # each event rendered on its own, as when a run goes one event at a time
    for event in await app.state.store.runs.events(run_id):
        (update,) = await live.html_updates(run_id, [event])
        updates.extend(parse_sse(update.message.decode()))

    step = updates[2]  # seq 3: google_places_1 succeeded
    assert (
        '<span class="ev-type">STEP_SUCCEEDED</span> <span class="ev-step">Find coffee shops in '
        'Manchester</span> <code class="muted">google_places_1</code>'
    ) in step.data
    node = re.search(
        r'<svg><g class="node state-succeeded" id="node-google_places_1"[^>]*>', step.data
    )
    assert node and 'hx-swap-oob="true"' in node.group()  # parsed as SVG inside its <svg>
    edges = re.findall(r'<path [^>]*id="edge-([\w-]+)"[^>]*hx-swap-oob="true"', step.data)
    assert edges == ["google_places_1-hunter_domain_lookup_2"]  # the edges out of the node
    assert 'id="graph"' not in step.data and step.data.count('class="node ') == 1
    first = updates[0]  # the run started: no step changed
    assert 'id="run-status">' in first.data
    assert 'class="node ' not in first.data and 'id="step-' not in first.data
    final = updates[-1]  # the run completed: no step changed, each one's update set it
    assert 'id="run-status">✓ succeeded</span>' in final.data
    assert 'class="node ' not in final.data and 'id="step-' not in final.data


async def test_updates_are_the_page_fragments_folded_onto_one_line(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client)

    *updates, _ = parse_sse((await stream(client, f"/runs/{run_id}/events?after=0")).text)

    assert all("\n" not in message.data for message in updates)
    page = (await client.get(f"/runs/{run_id}")).text
    assert '<div id="timeline" class="timeline">\n' in page  # the page keeps its layout


async def test_an_event_stream_with_a_send_timeout_still_times_out() -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b"data: x\r\n\r\n"

    async def stuck(message: Message) -> None:
        if message["type"] == "http.response.body":
            await asyncio.Event().wait()  # a client that never reads

    response = EventStream(body(), ping=0, send_timeout=0.01)

    with pytest.raises(SendTimeoutError):
        await response._send_with_timeout(stuck, {"type": "http.response.body", "body": b"x"})


async def test_a_stream_sets_no_form_token_cookie_where_a_page_does(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client)
    client.cookies.delete("leadgen_csrf")  # a browser that has not been given one yet

    events = await stream(client, f"/runs/{run_id}/events?after=0")
    page = await client.get(f"/runs/{run_id}")

    assert "set-cookie" not in events.headers  # a stream has no form to post
    assert parse_sse(events.text)[-1].event == "done"
    assert page.headers["set-cookie"].startswith("leadgen_csrf=")


async def test_a_request_leaves_the_servers_send_out_of_its_scope(app: Starlette) -> None:
    # uvicorn's request cycle holds the scope, and its `send` is a method of that cycle: a
    # scope still holding it after the request would keep the connection in a cycle until the
    # collector's next full pass.
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": "/healthz",
        "raw_path": b"/healthz",
        "query_string": b"",
        "headers": [],
        "http_version": "1.1",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)

    assert sent[0]["status"] == 200
    assert send not in scope.values()
