"""The dashboard on a real socket, for the faults an in-process client cannot make: uvicorn in
a thread (`serving_app`), or `python -m webapp serve` in a process of its own (`ServerProcess`,
for signals). Both run with LEADGEN_AUTH=off: one local user, loopback only. `local_client`
talks to either as a browser would: it reads the form token from a page first."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import uvicorn
from starlette.applications import Starlette

from tests.tools.live_server import free_port, in_thread
from webapp.settings import Settings
from webapp.web.app import create_app
from webapp.web.auth import CSRF_HEADER

START_LIMIT_S = 20


@contextmanager
def serving_app(settings: Settings) -> Iterator[tuple[str, Starlette]]:
    """The app (lifespan and all) served by uvicorn in a thread; its URL and the app."""
    app = create_app(settings.model_copy(update={"auth": "off"}))
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        loop="asyncio",
        timeout_graceful_shutdown=5,  # no signal reaches a thread: never wait on a stream
    )
    with in_thread(config, limit_s=START_LIMIT_S, what="the dashboard"):
        yield f"http://127.0.0.1:{port}", app


def with_form_token(client: httpx.Client | httpx.AsyncClient, page: httpx.Response) -> None:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    assert match, f"no form token on the page ({page.status_code})"
    client.headers[CSRF_HEADER] = match.group(1)


@contextmanager
def local_client(base_url: str, **options: Any) -> Iterator[httpx.Client]:
    """A client of a LEADGEN_AUTH=off server that may post (it has the page's form token)."""
    with httpx.Client(base_url=base_url, **options) as client:
        with_form_token(client, client.get("/"))
        yield client


def start_local_run(base_url: str, goal: str) -> str:
    """A run of `goal` started on a LEADGEN_AUTH=off server as a browser would: its id."""
    with local_client(base_url) as client:
        started = client.post("/api/runs", json={"goal": goal})
    assert started.status_code == 201, started.text
    run_id: str = started.json()["runId"]
    return run_id


class ServerProcess:
    """`python -m webapp serve` on 127.0.0.1 (a free port unless given), with `env` added; its
    output goes to a file (read it with `log()`) so a full pipe never stalls it."""

    def __init__(self, db: Path, log_path: Path, *, port: int = 0, **env: str) -> None:
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log: IO[bytes] = log_path.open("wb")
        command = [sys.executable, "-m", "webapp", "serve", "--db", str(db)]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(
            command,
            env={**os.environ, "LEADGEN_AUTH": "off", **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + START_LIMIT_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the server exited:\n{self.log()}"
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)  # another process starting: polling is all there is
        raise AssertionError(f"the server did not come up:\n{self.log()}")

    def signal(self, number: signal.Signals) -> None:
        os.kill(self.process.pid, number)

    def wait(self, limit_s: float) -> int:
        """Its exit status, once it has exited (a failed assertion if it takes longer)."""
        try:
            return self.process.wait(limit_s)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the server did not exit in {limit_s} s:\n{self.log()}") from None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._log.close()
