"""The real server: uvicorn on a socket in a thread, and a client reading a run's event
stream while the run is still going."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import uvicorn

from tests.web.helpers import GOAL, Message, create_first_account, fast_settings, read_sse
from webapp.settings import Settings
from webapp.web.app import create_app

START_LIMIT_S = 60  # a hang guard, not a timing assertion


@contextlib.contextmanager
def running_server(settings: Settings) -> Iterator[httpx.Client]:
    """The app under uvicorn on 127.0.0.1 and a free port; a client for it."""
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=0, lifespan="on", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-under-test")
    thread.start()
    try:
        deadline = time.monotonic() + START_LIMIT_S
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            thread.join(0.01)
        assert server.started, "uvicorn did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=START_LIMIT_S) as client:
            create_first_account(client)
            yield client
    finally:
        server.should_exit = True
        thread.join(START_LIMIT_S)
    assert not thread.is_alive(), "uvicorn did not stop"


def until_done(messages: Iterator[Message]) -> Iterator[Message]:
    for message in messages:
        yield message
        if message.event == "done":
            return


def test_a_client_reads_the_live_json_stream_of_a_running_run(tmp_path: Path) -> None:
    settings = fast_settings(str(tmp_path / "web.db"), demo_latency_ms=50)
    with running_server(settings) as client:
        run_id = client.post("/api/runs", json={"goal": GOAL}).json()["runId"]

        with client.stream("GET", f"/api/runs/{run_id}/events") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            *events, done = until_done(read_sse(response.iter_lines()))

        run = client.get(f"/api/runs/{run_id}").json()["run"]

    payloads = [json.loads(message.data) for message in events]
    assert [p["seq"] for p in payloads] == list(range(1, run["lastSeq"] + 1))
    assert [message.id for message in events] == [str(p["seq"]) for p in payloads]
    assert payloads[-1]["type"] == "PLAN_COMPLETED" and payloads[-1]["status"] == "succeeded"
    assert done.event == "done"


def test_a_page_watching_a_run_sees_it_cancelled_live(tmp_path: Path) -> None:
    # A minute per provider call: the run is surely going while the stream is read.
    settings = fast_settings(str(tmp_path / "web.db"), demo_latency_ms=60_000)
    with running_server(settings) as client:
        started = client.post("/runs", data={"goal": GOAL})
        run_id = started.headers["location"].rsplit("/", 1)[1]
        seen: list[Message] = []

        with client.stream("GET", f"/runs/{run_id}/events?after=0") as response:
            for message in until_done(read_sse(response.iter_lines())):
                seen.append(message)
                if 'id="step-google_places_1" class="step state-running"' in message.data:
                    cancelled = client.post(f"/runs/{run_id}/cancel")
                    assert cancelled.status_code == 303  # not followed

        status = client.get(f"/api/runs/{run_id}").json()["run"]["status"]

    *updates, done = seen
    assert [m.id for m in updates] == [str(seq) for seq in range(1, len(updates) + 1)]
    assert 'id="run-status">■ cancelled</span>' in updates[-1].data
    cancelled_node = '<g class="node state-cancelled" id="node-google_places_1" '
    assert any(cancelled_node in m.data for m in updates)  # its own update, before the last
    assert done.event == "done"
    assert status == "cancelled"
