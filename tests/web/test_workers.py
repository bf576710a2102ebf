"""A worker of `serve --workers N` reads its parent's pid from LEADGEN_SERVE_PID; a value that
is not one (set by hand) is no parent to end with, not a crash at start."""

from __future__ import annotations

import pytest

from webapp.web.workers import SERVE_PID, end_with_parent


@pytest.mark.parametrize("value", ["", "²", "①", "9" * 4301], ids=["empty", "²", "①", "4301"])
def test_a_serve_pid_that_is_no_pid_arranges_nothing(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv(SERVE_PID, value)

    assert end_with_parent() is False
