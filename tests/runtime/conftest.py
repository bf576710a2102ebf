"""A RunManager on a temporary store, with fake or demo tools and no real waiting."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.core.conftest import FakeTools
from webapp.core import RetryPolicy
from webapp.runtime import EventHub, RunManager, RunManagerOptions
from webapp.settings import Settings
from webapp.store import Store
from webapp.tools import ToolServices

FAST = RetryPolicy(jitter=0, base_delay_s=0)
ManagerFactory = Callable[..., Any]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(str(tmp_path / "leadgen.db"))
    yield opened
    await opened.close()


def demo_services(store: Store) -> ToolServices:
    async def no_wait(seconds: float) -> None:
        return None

    return ToolServices(
        settings=Settings(demo_latency_ms=0, demo_failure_rate=0),
        lead_lists=store.outputs,
        sequences=store.outputs,
        monitors=store.outputs,
        sleep=no_wait,
    )


@pytest.fixture
async def make_manager(store: Store) -> AsyncIterator[ManagerFactory]:
    """Builds started managers on the test's store; stops them all at the end."""
    made: list[RunManager] = []

    async def make(
        tools: FakeTools | None = None, *, queue_size: int = 1000, **options: Any
    ) -> RunManager:
        options.setdefault("retry_policy", FAST)
        manager = RunManager(
            store,
            services_for=lambda run_id, options: demo_services(store),
            tools=tools.as_map() if tools is not None else None,
            options=RunManagerOptions(**options),
            hub=EventHub(queue_size=queue_size),
        )
        await manager.start()
        made.append(manager)
        return manager

    yield make
    for manager in made:
        await manager.stop()
