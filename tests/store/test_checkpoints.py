"""The write-ahead log is copied back into the database file by the checkpointer, not inside
the writer's commits, and it does not grow without end."""

from __future__ import annotations

import asyncio
import os
import sqlite3

import pytest

import webapp.store.checkpoints as checkpoints
from tests.store.test_store import create_run, event
from webapp.store import Store


def wal_pages(db_path: str) -> int:
    return os.path.getsize(db_path + "-wal") // 4096 if os.path.exists(db_path + "-wal") else 0


async def write_runs(store: Store, count: int, start: int = 0) -> None:
    for number in range(start, start + count):
        run_id = f"run_{number:03d}"
        await create_run(store, run_id)
        await store.runs.record(event(run_id, 1, "PLAN_STARTED", status="running"), None)
        await store.writer.flush()


async def test_the_writer_never_checkpoints_in_a_commit(store: Store) -> None:
    rows = await store.writer.run(lambda conn: conn.execute("PRAGMA wal_autocheckpoint").fetchall())
    assert rows[0][0] == 0


async def test_a_checkpoint_copies_every_committed_page_into_the_file(
    store: Store, db_path: str
) -> None:
    await write_runs(store, 20)
    assert wal_pages(db_path) > 0
    await store.checkpointer.checkpoint()
    # Another connection sees nothing left to copy: the file holds every committed page.
    probe = sqlite3.connect(db_path)
    try:
        busy, log, copied = probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        probe.close()
    assert busy == 0 and log == copied


def wal_frames(db_path: str) -> int:
    """Frames in the log now (a PASSIVE checkpoint from a probe connection says so)."""
    probe = sqlite3.connect(db_path)
    try:
        return int(probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
    finally:
        probe.close()


async def test_the_checkpointer_runs_by_itself_after_enough_commits(
    db_path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoints, "POLL_S", 0)
    monkeypatch.setattr(checkpoints, "EVERY_COMMITS", 5)
    store = await Store.open(db_path)
    try:
        await write_runs(store, 6)
        await asyncio.wait_for(store.checkpointer.ran.wait(), 30)  # a bound, not a delay
        assert store.checkpointer.checkpoints >= 1
    finally:
        await store.close()


@pytest.mark.parametrize("restart_after", [0, 10**9])  # a long log is restarted, or not yet
async def test_after_a_checkpoint_the_log_is_written_again_from_its_start(
    db_path: str, monkeypatch: pytest.MonkeyPatch, restart_after: int
) -> None:
    monkeypatch.setattr(checkpoints, "POLL_S", 3600)  # only the checkpoints asked for below
    monkeypatch.setattr(checkpoints, "RESTART_AFTER_FRAMES", restart_after)
    store = await Store.open(db_path)
    try:
        await write_runs(store, 20)
        size = wal_pages(db_path)
        await store.checkpointer.checkpoint()
        await write_runs(store, 1, start=500)
        assert wal_pages(db_path) == size  # the new frames went at its start, not its end
        assert 0 < wal_frames(db_path) < size / 5
    finally:
        await store.close()


async def test_closing_leaves_the_runs_readable_from_the_file(db_path: str) -> None:
    store = await Store.open(db_path)
    await write_runs(store, 3)
    await store.close()
    reopened = await Store.open(db_path)
    try:
        assert (await reopened.runs.get("run_002")) is not None
    finally:
        await reopened.close()
