"""Stopping with viewers watching: on SIGTERM every open event stream is sent `restarting`
before it ends, after this process's runs were marked interrupted and their final events stored
and streamed (ARCHITECTURE.md, "Stopping with viewers watching", gives the order)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable

import anyio
from sse_starlette import ServerSentEvent

from webapp.runtime import SubscriberDropped
from webapp.web.fanout import DONE
from webapp.web.fragments import Kind

logger = logging.getLogger(__name__)

STREAM_GRACE_S = 10.0  # how long sse-starlette lets a stream end by itself after the signal
SERVER_GRACE_S = 15.0  # uvicorn's limit on waiting for connections after it: a backstop
RECONNECT_MS = 2000  # when the browser tries again (the server is being restarted)
PAGE_MESSAGE = "The server is restarting; this page will reconnect."
API_MESSAGE = "The server is restarting; reconnect with Last-Event-ID to go on."


def restarting_message(kind: Kind) -> bytes:
    """The last message of a stream cut by a shutdown: for a person, or for a script."""
    data = PAGE_MESSAGE if kind == "html" else json.dumps({"message": API_MESSAGE})
    return ServerSentEvent(data=data, event="restarting", retry=RECONNECT_MS).encode()


class Shutdown:
    """The app's shutdown: `stop_runs` once, whoever asks first (a stream told by
    sse-starlette, or the lifespan). A server stopped without a signal (the lifespan alone)
    stops its runs the same way, just later."""

    def __init__(self, stop_runs: Callable[[], Awaitable[None]]) -> None:
        self._stop_runs = stop_runs
        self._stopping: asyncio.Task[None] | None = None
        self._signal: anyio.Event | None = None
        self._watcher: asyncio.Task[None] | None = None

    @property
    def signal(self) -> anyio.Event:
        """The `shutdown_event` of every stream: sse-starlette sets it when the server is told
        to stop. One for the app, with one task that begins the shutdown when it is set (made
        with the first stream, in the running loop), rather than a task per stream."""
        if self._signal is None:
            self._signal = anyio.Event()
            self._watcher = asyncio.create_task(
                self._begin_on(self._signal), name="leadgen-exit-signal"
            )
        return self._signal

    @property
    def begun(self) -> bool:
        return self._stopping is not None

    def begin(self) -> asyncio.Task[None]:
        if self._stopping is None:
            logger.info("shutting down: stopping the runs, then their event streams")
            self._stopping = asyncio.create_task(self._stop(), name="leadgen-shutdown")
        return self._stopping

    async def finish(self) -> None:
        """For the lifespan: the runs are stopped when this returns."""
        try:
            await self.begin()
        finally:
            if self._watcher is not None:
                self._watcher.cancel()

    async def _stop(self) -> None:
        await self._stop_runs()

    async def guard(
        self, messages: AsyncGenerator[bytes, None], kind: Kind, *, run_id: str = ""
    ) -> AsyncGenerator[bytes, None]:
        """One stream's `messages`, ending with `restarting` instead of `done` once the
        shutdown has begun. A viewer dropped for falling behind just ends (its browser
        reconnects and replays). Every message of every stream passes here: one generator
        does both, rather than one for each."""
        try:
            async with contextlib.aclosing(messages):
                async for data in messages:
                    if data == DONE and self.begun:  # (`done` is always a write of its own)
                        break
                    yield data
        except SubscriberDropped:
            logger.info("a viewer of run %s fell behind and was dropped", run_id)
        if self.begun:
            yield restarting_message(kind)

    async def _begin_on(self, signal: anyio.Event) -> None:
        await signal.wait()
        self.begin()  # not awaited: a stream that ends must not cancel the shutdown
