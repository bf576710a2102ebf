"""Viewers that hang up and come back in storms, on a real socket, while the run goes on: each
reconnects with the Last-Event-ID it got to, and in the end has seen every event exactly once,
in order, whether it reads the page's stream or the JSON one. Nothing is left subscribed."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from starlette.applications import Starlette

from tests.faults.live_app import local_client, serving_app
from tests.faults.truth import assert_truthful
from tests.web.helpers import Message, fast_settings, parse_sse
from webapp.store import Store

GOAL = "Find 10 coffee shops in Manchester, email them and monitor for new ones"
VIEWERS = 24  # half on the page's stream, half on the JSON one
SETTLE_LIMIT_S = 10


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
        with local_client(base_url) as poster:
            started = poster.post("/api/runs", json={"goal": GOAL})
        assert started.status_code == 201, started.text
        run_id = started.json()["runId"]
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
