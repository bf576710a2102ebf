"""The dashboard in-process, with its lifespan, on a temporary database and no real waiting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from tests.web.helpers import fast_settings, serve

Served = tuple[Starlette, httpx.AsyncClient]


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "web.db")


@pytest.fixture
async def served(db: str) -> AsyncIterator[Served]:
    async with serve(fast_settings(db)) as pair:
        yield pair


@pytest.fixture
def app(served: Served) -> Starlette:
    return served[0]


@pytest.fixture
def client(served: Served) -> httpx.AsyncClient:
    return served[1]
