"""The database a command works on: `open_store` for the store alone, `session` for the store
with a RunManager started, for the commands that run a plan. Both close what they open."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from webapp.runtime import RunManager
from webapp.runtime.factory import build_manager
from webapp.settings import Settings
from webapp.store import Store, StoreError


@contextlib.asynccontextmanager
async def session(
    settings: Settings, *, existing: bool = False
) -> AsyncIterator[tuple[Store, RunManager]]:
    """The store with a started RunManager; with `existing`, as `open_store`'s."""
    await _must_exist(settings, existing)
    store = await Store.open(settings.db)
    manager = build_manager(settings, store)
    try:
        await manager.start()
        yield store, manager
    finally:
        try:
            await manager.stop(reason="The command line stopped while this run was going")
        finally:
            await store.close()


@contextlib.asynccontextmanager
async def open_store(settings: Settings, *, existing: bool = False) -> AsyncIterator[Store]:
    """The store at settings.db; with `existing`, StoreError rather than making a new one."""
    await _must_exist(settings, existing)
    store = await Store.open(settings.db)
    try:
        yield store
    finally:
        await store.close()


async def _must_exist(settings: Settings, existing: bool) -> None:
    if existing and not await asyncio.to_thread(Path(settings.db).exists):
        raise StoreError(
            f"There is no database at {settings.db}; give --db the file your runs are in."
        )
