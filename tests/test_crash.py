"""A process killed with SIGKILL mid-run: its run is found interrupted at the next start, its
event log intact, and resume finishes it without duplicating anything it saved."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.runtime.conftest import demo_services
from webapp.runtime import RunManager, RunManagerOptions
from webapp.store import Store

GOAL = "Find 10 coffee shops in Manchester, email them and monitor for new ones"
WAIT_LIMIT_S = 30


def stored_events(db: Path) -> list[tuple[str, int, str]]:
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT run_id, seq, type FROM events ORDER BY seq").fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []


def wait_for_enrich_to_start(db: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + WAIT_LIMIT_S
    while time.monotonic() < deadline:
        events = stored_events(db)
        if any(t == "STEP_STARTED" and s > 5 for _, s, t in events):
            return
        assert process.poll() is None, "the run ended before it could be killed"
        time.sleep(0.02)  # polling another process's file: there is nothing to inject here
    raise AssertionError("the run never reached the enrich step")


def run_and_kill(db: Path) -> list[tuple[str, int, str]]:
    """Start a slow run in another process, SIGKILL it mid-run; the events it had written."""
    env = {**os.environ, "LEADGEN_DEMO_LATENCY_MS": "700", "LEADGEN_DB": str(db)}
    process = subprocess.Popen(
        [sys.executable, "-m", "webapp", "run", GOAL],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_enrich_to_start(db, process)
        before_kill = stored_events(db)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()  # reaped: its pid is gone, as after a real crash
    return before_kill


async def test_a_killed_run_is_interrupted_and_resumes_without_duplicates(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    before_kill = run_and_kill(db)

    store = await Store.open(str(db))
    manager = RunManager(
        store,
        services_for=lambda run_id, options: demo_services(store),
        options=RunManagerOptions(),
    )
    try:
        await manager.start()
        run_id = before_kill[0][0]
        run = await store.runs.get(run_id)
        assert run is not None and run.status == "interrupted"
        after = [(e.run_id, e.seq, e.type) for e in await store.runs.events(run_id)]
        assert after[: len(before_kill)] == before_kill  # nothing written was lost
        assert [seq for _, seq, _ in after] == list(range(1, len(after) + 1))
        assert after[-1][2] == "RUN_INTERRUPTED"

        await manager.resume(run_id)
        await manager.wait(run_id)

        run = await store.runs.get(run_id)
        assert run is not None and run.status == "succeeded"
        counts = await store.outputs.counts_for_run(run_id)
        assert (counts["lists"], counts["sequences"], counts["monitors"]) == (1, 1, 1)
        assert counts["leads"] == 10
        final = await store.runs.events(run_id)
        assert [e.seq for e in final] == list(range(1, len(final) + 1))
    finally:
        await manager.stop()
        await store.close()
