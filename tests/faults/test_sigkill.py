"""The server killed with SIGKILL mid-run, a viewer watching (tests/test_crash.py kills the
command line's `run` instead). Nothing the viewer saw is missing from the store, the next
start marks the run interrupted, the viewer reconnecting with its Last-Event-ID gets exactly
the rest, and resuming the run finishes it without duplicates."""

from __future__ import annotations

import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.faults.live_app import ServerProcess, start_local_run
from tests.faults.truth import assert_stream_is_the_log, assert_truthful, streamed_events
from tests.faults.watch import watch
from tests.web.helpers import Message, fast_settings, read_sse, serve

GOAL = "Find 10 coffee shops in Manchester, email them and monitor for new ones"
LIMIT_S = 30  # a hang guard, not a timing assertion
KILLED = "The process running this run stopped (crashed or was killed); resume it to go on."


def follow_until_cut(base_url: str, path: str, under_way: threading.Event) -> list[Message]:
    """A viewer in a thread: what it got before the server vanished under it."""
    messages: list[Message] = []
    try:
        with httpx.Client(base_url=base_url, timeout=LIMIT_S) as client:
            with client.stream("GET", path) as response:
                for message in read_sse(response.iter_lines()):
                    messages.append(message)
                    if message.id is not None and int(message.id) >= 4:
                        under_way.set()
    except httpx.TransportError:
        pass  # the connection died with the server: expected
    return messages


async def test_a_server_killed_mid_run_is_recovered_at_the_next_start(tmp_path: Path) -> None:
    db = tmp_path / "sigkill.db"
    server = ServerProcess(db, tmp_path / "server.log", LEADGEN_DEMO_LATENCY_MS="400")
    try:
        server.wait_until_up()
        run_id = start_local_run(server.base_url, GOAL)
        under_way = threading.Event()
        with ThreadPoolExecutor(1) as pool:
            viewer = pool.submit(
                follow_until_cut, server.base_url, f"/api/runs/{run_id}/events", under_way
            )
            assert under_way.wait(LIMIT_S), server.log()
            server.signal(signal.SIGKILL)
            seen = streamed_events(viewer.result())
        assert server.wait(LIMIT_S) == -signal.SIGKILL  # reaped: its pid is gone, as after a crash
    finally:
        server.close()

    local = fast_settings(str(db), auth="off")  # the run is the local user's
    async with serve(local) as (app, client):  # the next start finds the run orphaned
        truth = await assert_truthful(app.state.store, run_id, "interrupted")
        last_seen = seen[-1][0]
        assert [(e.seq, e.type) for e in truth.events][: len(seen)] == seen  # none lost
        assert truth.events[-1].summary == KILLED

        rest = await watch(client, run_id, after=last_seen)  # the viewer comes back
        assert_stream_is_the_log(rest, truth, after=last_seen)

        await app.state.manager.resume(run_id)
        messages = await watch(client, run_id, after=truth.run.last_seq)
        finished = await assert_truthful(app.state.store, run_id, "succeeded")
        counts = await app.state.store.outputs.counts_for_run(run_id)

    assert_stream_is_the_log(messages, finished, after=truth.run.last_seq)
    assert (counts["lists"], counts["sequences"], counts["monitors"], counts["leads"]) == (
        1,
        1,
        1,
        10,
    )
