"""`python -m webapp serve` with two workers (LEADGEN_WORKERS=2): two processes on one port and
one database. Whichever worker a request reaches, a run's streams get every event in order and
end, and a cancel stops the run. SIGTERM stops both workers; so does killing `serve` outright,
and their runs are marked interrupted."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.faults.live_app import ServerProcess, local_client
from tests.web.helpers import Message, read_sse

GOAL = "Find 5 coffee shops in Leeds"
RUNS = 4
VIEWERS = 6  # a run's streams, each on a connection of its own: both workers serve some
EXIT_LIMIT_S = 30  # a hang guard, not a timing assertion


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(
        tmp_path / "workers.db",
        tmp_path / "server.log",
        LEADGEN_WORKERS="2",
        LEADGEN_DEMO_LATENCY_MS="150",
        LEADGEN_DEMO_FAILURE_RATE="0",
    )
    try:
        server.wait_until_up()
        spawned_workers(server, 2)
        yield server
    finally:
        stop(server)
        print(server.log())  # shown only when the test fails: what each worker went through


def stop(server: ServerProcess) -> None:
    """SIGTERM, as a deploy does, so no worker outlives the test; then the usual clean-up."""
    if server.process.poll() is None:
        server.signal(signal.SIGTERM)
        server.wait(EXIT_LIMIT_S)
    server.close()


def workers_of(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as children:  # its main thread's
        return [int(child) for child in children.read().split()]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stream(base_url: str, run_id: str) -> list[Message]:
    with httpx.Client(base_url=base_url, timeout=EXIT_LIMIT_S) as client:  # its own connection
        with client.stream("GET", f"/api/runs/{run_id}/events") as response:
            assert response.status_code == 200
            return list(read_sse(response.iter_lines()))


def start(base_url: str) -> str:
    with local_client(base_url) as client:  # a new connection: either worker
        started = client.post("/api/runs", json={"goal": GOAL})
    assert started.status_code == 201, started.text
    run_id: str = started.json()["runId"]
    return run_id


def test_every_stream_of_every_run_gets_all_its_events_whichever_worker_serves_it(
    two_workers: ServerProcess,
) -> None:
    url = two_workers.base_url
    with ThreadPoolExecutor(RUNS * VIEWERS) as pool:
        runs = [start(url) for _ in range(RUNS)]
        watched = {
            run_id: [pool.submit(stream, url, run_id) for _ in range(VIEWERS)] for run_id in runs
        }
        seen = {
            run_id: [f.result(EXIT_LIMIT_S) for f in futures] for run_id, futures in watched.items()
        }

    assert two_workers.log().count("Started server process") == 2
    with httpx.Client(base_url=url) as client:
        for run_id, streams in seen.items():
            assert client.get(f"/api/runs/{run_id}").json()["run"]["status"] == "succeeded"
            stored = [m for m in stream(url, run_id) if m.id is not None]
            for messages in streams:
                events = [m for m in messages if m.id is not None]
                assert [m.id for m in events] == [m.id for m in stored]  # all, in order, once
                assert messages[-1].event == "done"


def test_a_cancel_reaches_the_run_through_either_worker(tmp_path: Path) -> None:
    server = ServerProcess(
        tmp_path / "workers.db",
        tmp_path / "server.log",
        LEADGEN_WORKERS="2",
        LEADGEN_DEMO_LATENCY_MS="60000",  # the run waits on its first call until cancelled
    )
    try:
        server.wait_until_up()
        runs = [start(server.base_url) for _ in range(RUNS)]
        for run_id in runs:
            with local_client(server.base_url) as client:
                answer = client.post(f"/api/runs/{run_id}/cancel")
            assert answer.status_code == 202, answer.text
            assert answer.json()["status"] in ("cancelling", "requested")
        for run_id in runs:
            messages = stream(server.base_url, run_id)  # ends once the run has
            assert messages[-1].event == "done"
            with httpx.Client(base_url=server.base_url) as client:
                assert client.get(f"/api/runs/{run_id}").json()["run"]["status"] == "cancelled"

        server.signal(signal.SIGTERM)
        assert server.wait(EXIT_LIMIT_S) == 0
        assert server.log().count("Finished server process") == 2
    finally:
        stop(server)


def test_killing_serve_outright_stops_its_workers_and_interrupts_their_runs(
    tmp_path: Path,
) -> None:
    db = tmp_path / "workers.db"
    server = ServerProcess(
        db, tmp_path / "server.log", LEADGEN_WORKERS="2", LEADGEN_DEMO_LATENCY_MS="60000"
    )
    try:
        server.wait_until_up()  # one worker answers; the other may still be starting
        workers = spawned_workers(server, 2)
        runs = [start(server.base_url) for _ in range(RUNS)]

        server.signal(signal.SIGKILL)
        server.wait(EXIT_LIMIT_S)
        deadline = time.monotonic() + EXIT_LIMIT_S
        while any(alive(pid) for pid in workers):  # another process: polling is all there is
            assert time.monotonic() < deadline, f"a worker outlived serve:\n{server.log()}"
            time.sleep(0.05)
    finally:
        server.close()

    again = ServerProcess(db, tmp_path / "again.log", port=server.port)  # the port is free
    try:
        again.wait_until_up()
        with httpx.Client(base_url=again.base_url) as client:
            for run_id in runs:
                assert client.get(f"/api/runs/{run_id}").json()["run"]["status"] == "interrupted"
                last = json.loads([m for m in stream(again.base_url, run_id) if m.id][-1].data)
                # stopped by its worker (not found dead by the next server to start)
                assert last["type"] == "RUN_INTERRUPTED"
                assert last["summary"] == "The server stopped while this run was going"
    finally:
        stop(again)


def spawned_workers(server: ServerProcess, count: int) -> list[int]:
    """The worker processes `serve` spawned, once there are `count` of them and each has finished
    starting: a busy machine may start the second well after the first answers, and a worker
    still starting (importing, opening the database) is no place to send a request."""
    deadline = time.monotonic() + EXIT_LIMIT_S
    while True:
        found = [pid for pid in workers_of(server.process.pid) if "spawn_main" in cmdline(pid)]
        started = server.log().count("Application startup complete")
        if len(found) >= count and started >= count:
            return found
        assert time.monotonic() < deadline, f"{count} workers did not start:\n{server.log()}"
        time.sleep(0.05)  # another process: polling is all there is


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as line:
            return line.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
