"""The store's one writer in trouble: a listener of its commits failing is contained (the
writes and their waiters go on), and a writer that stops for good says so. /healthz answers
503, new runs are refused in words, and the runs that were going end as interrupted, on their
streams and in the store (the writer's last words), with nothing left waiting for ever."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from tests.faults.watch import start_run, watch
from tests.web.helpers import fast_settings, finished_run, serve
from webapp.runtime import RunManager
from webapp.store import Store
from webapp.store.writer import EventWrite, WriterStopped

GOAL = "Find 5 coffee shops in Manchester"


async def test_a_failing_commit_listener_is_logged_and_the_writer_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with serve(fast_settings(str(tmp_path / "w.db"))) as (app, client):
        store: Store = app.state.store
        publish = store.writer.on_commit
        assert publish is not None
        failures = [RuntimeError("a listener's bug")]

        def fails_once(writes: list[EventWrite]) -> None:
            if failures:
                raise failures.pop()
            publish(writes)

        store.writer.on_commit = fails_once
        first = await start_run(client, GOAL)
        await store.writer.flush()  # (would wait for ever behind a dead writer)
        second = await finished_run(app, client, GOAL)
        await app.state.manager.wait(first)
        health = await client.get("/healthz")
        statuses = [(await store.runs.get(run)) for run in (first, second)]

    assert not failures  # the listener did fail
    assert "a commit listener failed" in caplog.text
    assert health.status_code == 200
    assert [run.status if run else None for run in statuses] == ["succeeded", "succeeded"]


async def test_a_writer_that_stops_is_reported_refuses_new_runs_and_ends_the_running_ones(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = fast_settings(str(tmp_path / "w.db"), demo_latency_ms=60_000)
    async with serve(settings) as (app, client):
        store: Store = app.state.store
        manager: RunManager = app.state.manager
        run_id = await start_run(client, GOAL)
        async for event in manager.subscribe(run_id):
            if event.type == "STEP_STARTED":  # committed: the run is going
                break
        stream = asyncio.create_task(watch(client, run_id))

        task = store.writer._task
        assert task is not None
        with caplog.at_level(logging.CRITICAL):
            task.cancel()  # the writer stops, for whatever reason
            await asyncio.wait({task})

        messages = await asyncio.wait_for(stream, 30)
        await asyncio.wait_for(manager.wait(run_id), 30)
        health = await client.get("/healthz")
        refused = await client.post("/api/runs", json={"goal": GOAL})
        with pytest.raises(WriterStopped):
            await store.writer.flush()
        stored = await store.runs.get(run_id)  # what a reload, or another process, reads
        log = await store.runs.events(run_id)

    assert stored is not None and stored.status == "interrupted"  # not "running" for ever
    assert [e.seq for e in log] == list(range(1, len(log) + 1))
    assert log[-1].type == "RUN_INTERRUPTED"
    assert "The database writer stopped" in (log[-1].summary or "")
    assert health.status_code == 503 and "writer has stopped" in health.json()["reason"]
    assert refused.status_code == 503
    assert refused.json()["error"]["message"].startswith("The database writer has stopped")
    assert "Restart the server" in refused.json()["error"]["message"]
    kinds = [m.event for m in messages]
    interrupted = [m for m in messages if '"RUN_INTERRUPTED"' in m.data]
    assert interrupted and "The database writer stopped" in interrupted[-1].data
    assert kinds[-1] == "done"
    assert "the database writer stopped" in caplog.text
