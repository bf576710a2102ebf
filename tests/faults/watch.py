"""Starting a run through the JSON API and watching its JSON stream to the end, in-process."""

from __future__ import annotations

from typing import Any

import httpx

from tests.web.helpers import GOAL, Message, parse_sse


async def start_run(client: httpx.AsyncClient, goal: str = GOAL, **fields: Any) -> str:
    response = await client.post("/api/runs", json={"goal": goal, **fields})
    assert response.status_code == 201, response.text
    run_id: str = response.json()["runId"]
    return run_id


async def watch(client: httpx.AsyncClient, run_id: str, after: int = 0) -> list[Message]:
    """The run's JSON stream from `after` until it ends (an in-process client waits for that)."""
    response = await client.get(f"/api/runs/{run_id}/events", params={"after": after})
    assert response.status_code == 200, response.text
    return parse_sse(response.text)


async def run_and_watch(client: httpx.AsyncClient, goal: str = GOAL) -> tuple[str, list[Message]]:
    run_id = await start_run(client, goal)
    messages = await watch(client, run_id)
    assert messages[-1].event == "done"
    return run_id, messages
