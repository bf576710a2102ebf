"""A store on a temporary file (WAL needs a file), closed after each test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from webapp.store import Store


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    return str(tmp_path / "leadgen.db")


@pytest.fixture
async def store(db_path: str) -> AsyncIterator[Store]:
    opened = await Store.open(db_path)
    yield opened
    await opened.close()
