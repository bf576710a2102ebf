"""The server stopped mid-run. Every open stream (page and JSON) gets the run's final events,
then a `restarting` message, and ends; the run is interrupted with everything stored; after a
restart, resuming it finishes it without duplicates. First in-process (the shutdown begun as
sse-starlette begins it on a signal), then with a real SIGTERM to `python -m webapp serve`."""

from __future__ import annotations

import asyncio
import json
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.faults.live_app import ServerProcess, start_local_run
from tests.faults.truth import (
    Truth,
    assert_page_stream_is_the_log,
    assert_stream_is_the_log,
    assert_truthful,
)
from tests.faults.watch import start_run, watch
from tests.waiting import until
from tests.web.helpers import Message, fast_settings, parse_sse, read_sse, serve
from webapp.core.models import SupervisorUserContext
from webapp.runtime.factory import build_manager
from webapp.store import Store
from webapp.web.pages import plan_for
from webapp.web.run_request import RunRequest
from webapp.web.shutdown import API_MESSAGE, PAGE_MESSAGE

GOAL = "Find 10 coffee shops in Manchester, email them and monitor for new ones"
EXIT_LIMIT_S = 30  # a hang guard, not a timing assertion
REASON = "The server stopped while this run was going"


def assert_told_restarting(page: list[Message], api: list[Message], truth: Truth) -> None:
    """Both streams sent every stored event, the interruption last, then `restarting`."""
    *page_events, page_last = page
    *api_events, api_last = api
    assert (page_last.event, page_last.data) == ("restarting", PAGE_MESSAGE)
    assert (api_last.event, json.loads(api_last.data)) == ("restarting", {"message": API_MESSAGE})
    assert "done" not in {m.event for m in page + api}  # the browser is to come back
    assert_page_stream_is_the_log(page_events, truth)
    assert_stream_is_the_log(api_events, truth)
    assert truth.events[-1].summary == REASON


async def resume_after_restart(
    db: Path, run_id: str, interrupted: Truth, *, auth: str = "on"
) -> Truth:
    """A new server on the same database resumes the run; it finishes, and no lead, list,
    sequence or monitor is saved twice."""
    async with serve(fast_settings(str(db), auth=auth)) as (app, client):
        await app.state.manager.resume(run_id)
        claimed = await app.state.store.runs.get(run_id)
        # no longer interrupted from the claim on: a page opened before its RUN_RESUMED is
        # stored goes live (the resumed run may even have finished by the time this reads)
        assert claimed is not None and claimed.status != "interrupted"
        messages = await watch(client, run_id, after=interrupted.run.last_seq)
        finished = await assert_truthful(app.state.store, run_id, "succeeded")
        counts = await app.state.store.outputs.counts_for_run(run_id)
    assert_stream_is_the_log(messages, finished, after=interrupted.run.last_seq)
    assert finished.events[: len(interrupted.events)] == interrupted.events
    assert (counts["lists"], counts["sequences"], counts["monitors"], counts["leads"]) == (
        1,
        1,
        1,
        10,
    )
    return finished


async def test_a_shutdown_tells_every_stream_after_the_run_is_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "sigterm.db"
    slow = fast_settings(str(db), demo_latency_ms=60_000)  # the run waits in its first call
    async with serve(slow) as (app, client):
        run_id = await start_run(client, GOAL)
        page = asyncio.ensure_future(client.get(f"/runs/{run_id}/events"))
        api = asyncio.ensure_future(client.get(f"/api/runs/{run_id}/events"))

        def both_follow() -> bool:
            feed = app.state.feeds.feed(run_id)
            return feed is not None and len(feed.viewers) == 2

        await until(both_follow, "the streams never joined the run's feed")

        app.state.shutdown.begin()  # what a SIGTERM does, through sse-starlette
        page_messages = parse_sse((await page).text)
        api_messages = parse_sse((await api).text)
        truth = await assert_truthful(app.state.store, run_id, "interrupted")
        refused = await client.post("/api/runs", json={"goal": GOAL})

    assert refused.status_code == 409  # no new run on a server that is stopping
    assert_told_restarting(page_messages, api_messages, truth)
    await resume_after_restart(db, run_id, truth)


async def test_a_stream_following_another_process_run_is_told_too(tmp_path: Path) -> None:
    # Another process (a second manager on its own connection to the database) runs the run;
    # this server's stream follows it through the store, and must end too when this one stops.
    db = tmp_path / "sigterm.db"
    slow = fast_settings(str(db), demo_latency_ms=60_000)
    async with serve(slow) as (app, client):
        elsewhere = await Store.open(str(db))
        other = build_manager(slow, elsewhere)
        await other.start()
        try:
            # the serving client's own run
            plan = plan_for(RunRequest(goal=GOAL), slow, "usr_alice")
            run_id = await other.start_run(plan, SupervisorUserContext(user_id="usr_alice"))
            api = asyncio.ensure_future(client.get(f"/api/runs/{run_id}/events"))
            await until(  # the stream replayed the run from the store and now follows it
                lambda: app.state.manager.hub.subscriber_count(run_id) > 0,
                "the stream never followed the run",
            )

            app.state.shutdown.begin()
            *events, last = parse_sse((await api).text)
            still = await elsewhere.runs.get(run_id)
        finally:
            await other.stop()
            await elsewhere.close()

    assert (last.event, json.loads(last.data)) == ("restarting", {"message": API_MESSAGE})
    seqs = [int(m.id or 0) for m in events]
    assert seqs == list(range(1, len(seqs) + 1)) and seqs  # what it saw, from the start
    assert still is not None and still.status == "running"  # not this server's to interrupt


def follow(base_url: str, path: str, started: threading.Event) -> list[Message]:
    """A viewer in a thread: every message of the stream until it ends; `started` is set once
    the run's search has begun (the run is well under way)."""
    messages: list[Message] = []
    with httpx.Client(base_url=base_url, timeout=EXIT_LIMIT_S) as client:
        with client.stream("GET", path) as response:
            assert response.status_code == 200
            for message in read_sse(response.iter_lines()):
                messages.append(message)
                if message.id is not None and int(message.id) >= 2:
                    started.set()
    return messages


async def test_sigterm_mid_run_streams_are_told_and_the_run_resumes(tmp_path: Path) -> None:
    db = tmp_path / "sigterm.db"
    server = ServerProcess(db, tmp_path / "server.log", LEADGEN_DEMO_LATENCY_MS="60000")
    try:
        server.wait_until_up()
        run_id = start_local_run(server.base_url, GOAL)
        page_started, api_started = threading.Event(), threading.Event()
        with ThreadPoolExecutor(2) as pool:
            page = pool.submit(follow, server.base_url, f"/runs/{run_id}/events", page_started)
            api = pool.submit(follow, server.base_url, f"/api/runs/{run_id}/events", api_started)
            assert page_started.wait(EXIT_LIMIT_S) and api_started.wait(EXIT_LIMIT_S)
            server.signal(signal.SIGTERM)
            page_messages, api_messages = page.result(), api.result()
        status = server.wait(EXIT_LIMIT_S)  # graceful shutdown did not hang on the streams
    finally:
        server.close()

    log = server.log()
    assert status in (0, -signal.SIGTERM), log
    assert "Traceback" not in log and "without completing" not in log, log
    store = await Store.open(str(db))
    try:
        truth = await assert_truthful(store, run_id, "interrupted")
    finally:
        await store.close()
    assert "PLAN_COMPLETED" not in truth.types  # stopped mid-run, as meant
    assert_told_restarting(page_messages, api_messages, truth)
    await resume_after_restart(db, run_id, truth, auth="off")  # the run is the local user's
