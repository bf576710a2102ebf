"""Viewers that hang up and come back in storms, on a real socket, while the run goes on: each
reconnects with the Last-Event-ID it got to, and in the end has seen every event exactly once,
in order, whether it reads the page's stream or the JSON one. Nothing is left subscribed.

The storm found two ways a viewer leaving hurt the others; each has its own test below: a
reader connection given back inside a read transaction (every later read on it saw the past,
so replays missed events), and a shared render cancelled with its viewer (the viewers waiting
for it were cut off mid-stream)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx
from starlette.applications import Starlette

from tests.core.conftest import make_plan
from tests.faults.live_app import serving_app, start_local_run
from tests.faults.truth import assert_truthful
from tests.web.helpers import Message, fast_settings, finished_run, parse_sse, serve
from webapp.store import Store
from webapp.store.readers import ReaderPool
from webapp.web.fragments import LiveFragments

GOAL = "Find 10 coffee shops in Manchester, email them and monitor for new ones"
VIEWERS = 24  # half on the page's stream, half on the JSON one
SETTLE_LIMIT_S = 10
T = TypeVar("T")


async def messages_of(lines: AsyncIterator[str]) -> AsyncIterator[Message]:
    """Each whole message of a stream, as it arrives."""
    block: list[str] = []
    async for line in lines:
        if line:
            block.append(line)
            continue
        if block:
            yield from_block(block)
        block = []


def from_block(block: list[str]) -> Message:
    (message,) = parse_sse("\n".join(block) + "\n\n")
    return message


async def stormy_viewer(client: httpx.AsyncClient, url: str, seed: int) -> tuple[list[int], int]:
    """Reads a few messages (none, some times), hangs up, comes back with Last-Event-ID, until
    `done`; the event numbers it saw, and how many times it connected."""
    rng = random.Random(seed)
    seen: list[int] = []
    connections = 0
    while True:
        headers = {"Last-Event-ID": str(seen[-1])} if seen else {}
        budget = rng.randint(0, 3)
        connections += 1
        async with client.stream("GET", url, headers=headers) as response:
            assert response.status_code == 200, await response.aread()
            if budget == 0:
                continue  # gone before the first message
            async for message in messages_of(response.aiter_lines()):
                if message.event == "done":
                    return seen, connections
                assert message.id is not None, message
                seen.append(int(message.id))
                budget -= 1
                if budget == 0:
                    break


async def nothing_left_subscribed(app: Starlette, run_id: str) -> None:
    """The server hears of every hang-up: no feed, viewer or subscription is left behind."""
    deadline = time.monotonic() + SETTLE_LIMIT_S
    while app.state.feeds.feed(run_id) is not None or app.state.manager.hub.subscriber_count():
        assert time.monotonic() < deadline, "a stream was left subscribed"
        await asyncio.sleep(0.01)  # the server runs in another thread


async def test_viewers_reconnecting_in_storms_each_see_every_event_once_in_order(
    tmp_path: Path,
) -> None:
    db = tmp_path / "storm.db"
    settings = fast_settings(str(db), demo_latency_ms=300)  # the run lasts about a second
    with serving_app(settings) as (base_url, app):
        run_id = start_local_run(base_url, GOAL)
        urls = [f"/runs/{run_id}/events", f"/api/runs/{run_id}/events"]
        async with httpx.AsyncClient(base_url=base_url, timeout=SETTLE_LIMIT_S) as client:
            results = await asyncio.gather(
                *(stormy_viewer(client, urls[n % 2], seed=n) for n in range(VIEWERS))
            )
        await nothing_left_subscribed(app, run_id)

    store = await Store.open(str(db))
    try:
        truth = await assert_truthful(store, run_id, "succeeded")
    finally:
        await store.close()
    every_event = [event.seq for event in truth.events]
    for seen, _ in results:
        assert seen == every_event
    assert sum(connections for _, connections in results) > 4 * VIEWERS  # a storm it was


async def started(coroutine: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    """A task that has run up to its first real wait (here: a read in aiosqlite's thread)."""
    task = asyncio.create_task(coroutine)
    await asyncio.sleep(0)
    return task


async def test_a_reader_left_mid_snapshot_goes_back_to_the_pool_seeing_the_present(
    tmp_path: Path,
) -> None:
    db = tmp_path / "readers.db"
    store = await Store.open(str(db))  # made and migrated; the pool below has one connection
    pool = await ReaderPool.open(str(db), 1)
    try:

        async def snapshot_read() -> None:
            async with pool.snapshot() as conn:
                await conn.execute_fetchall("SELECT count(*) FROM runs")

        leaving = await started(snapshot_read())
        leaving.cancel()  # the viewer left while its snapshot began
        with contextlib.suppress(asyncio.CancelledError):
            await leaving
        before = await pool.fetchone("SELECT count(*) FROM runs")
        await store.runs.create(
            run_id="run_later", plan=make_plan(), user_id="u1", created_at="2026-11-24T09:00:00Z"
        )
        after = await pool.fetchone("SELECT count(*) FROM runs")
    finally:
        await pool.close()
        await store.close()

    assert before is not None and after is not None
    assert after[0] == before[0] + 1  # not a read transaction left open since the cancel


async def test_a_viewer_leaving_mid_render_does_not_cut_off_the_others(tmp_path: Path) -> None:
    async with serve(fast_settings(str(tmp_path / "render.db"))) as (app, client):
        run_id = await finished_run(app, client)
        event = (await app.state.store.runs.events(run_id))[0]
        live = LiveFragments(app.state.store, app.state.templates)  # nothing rendered yet

        leaving = await started(live.encode(run_id, "html", [event]))  # renders, for everyone
        staying = await started(live.encode(run_id, "html", [event]))  # waits for that render
        leaving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await leaving
        message = await staying

    assert f"id: {event.seq}".encode() in message
