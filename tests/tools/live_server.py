"""Runs an ASGI app (a fake provider) on 127.0.0.1 with uvicorn in a thread, for tests that
need a real socket: `with serving(app) as base_url: ...`."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

START_LIMIT_S = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def in_thread(
    config: uvicorn.Config, *, limit_s: float = START_LIMIT_S, what: str = "the fake server"
) -> Iterator[None]:
    """uvicorn serving `config` in a daemon thread: started (within `limit_s`, or a
    RuntimeError naming `what`) for the block, told to exit and joined after it."""
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + limit_s
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.01)  # another thread's server: there is nothing to await
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(limit_s)


@contextmanager
def serving(app: Any) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", loop="asyncio"
    )
    with in_thread(config):
        yield f"http://127.0.0.1:{port}"
