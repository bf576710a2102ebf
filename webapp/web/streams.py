"""A run's live event streams: HTML updates for its page, JSON for scripts.

`after` (or a `Last-Event-ID` header, which wins) says where to resume. The stream replays from
the store, then goes live, and ends with a `done` event once the run's final event is sent; a
15 s ping keeps proxies from closing it. A stream only observes: a viewer leaving never touches
the run. A viewer too slow to keep up is dropped; its browser reconnects and replays.

The viewers of a run share its live feed (webapp/web/broadcast.py), which writes their live
events through their responses' `send` itself while they wait. The feed of a run another
process executes gets its events through the store (webapp/runtime/tail.py).

When the server is stopped (SIGTERM), each stream sends its run's last stored events, then
`restarting` instead of `done`, and ends (webapp/web/shutdown.py says how and in what order).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from webapp.web.auth import credential_of
from webapp.web.broadcast import Outlet, RunFeeds
from webapp.web.errors import ApiError
from webapp.web.live import Kind
from webapp.web.ownership import check_owned_run
from webapp.web.shutdown import STREAM_GRACE_S, Shutdown

logger = logging.getLogger(__name__)

PING_S = 15
SERVER_SEND = "leadgen.server_send"  # the scope's key for the server's own `send` (app.py)
MAX_CURSOR = 2**63 - 1  # SQLite's largest integer


class EventStream(EventSourceResponse):
    """sse-starlette's response, without the anyio cancel scope it opens around every send even
    when there is no send timeout (a few µs a message: a thousand viewers pay it a thousand
    times per event). With an `outlet`, it gives the live feed its `send`: the server's own,
    as the app keeps it in the scope, not the chain of middleware wrappers around it (three
    coroutines a write, which a live write, a body chunk after the response began, passes
    unchanged: they only look at the response's start; a middleware that changed bodies would
    have to be put back in this path)."""

    def __init__(self, *args: Any, outlet: Outlet | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outlet = outlet

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.outlet is not None and self.send_timeout is None:
            # the feed's writes have no timeout of their own
            self.outlet.send = scope.get(SERVER_SEND, send)
        await super().__call__(scope, receive, send)

    def _send_with_timeout(self, send: Send, message: Message) -> Awaitable[None]:  # type: ignore[override]
        # Not a coroutine of its own either: sse-starlette awaits what this returns.
        if self.send_timeout is None:
            return send(message)
        return super()._send_with_timeout(send, message)


def cursor_of(request: Request) -> int:
    raw = request.headers.get("last-event-id") or request.query_params.get("after") or "0"
    try:
        cursor = int(raw)
    except ValueError:
        raise ApiError(400, "bad_cursor", f"'{raw}' is not an event number.") from None
    if not 0 <= cursor <= MAX_CURSOR:
        raise ApiError(400, "bad_cursor", f"The event number must be from 0 to {MAX_CURSOR}.")
    return cursor


async def _stream(request: Request, kind: Kind) -> Response:
    run_id = request.path_params["run_id"]
    after = cursor_of(request)
    await check_owned_run(request, run_id)
    feeds: RunFeeds = request.app.state.feeds
    outlet = Outlet()
    source = feeds.follow(run_id, after, kind, outlet, credential_of(request))

    shutdown: Shutdown = request.app.state.shutdown
    return EventStream(
        shutdown.guard(source, kind, run_id=run_id),  # a dropped viewer just ends
        ping=PING_S,
        headers={"Cache-Control": "no-store"},
        shutdown_event=shutdown.signal,  # sse-starlette sets it when the server is told to stop
        shutdown_grace_period=STREAM_GRACE_S,
        outlet=outlet,
    )


async def page_events(request: Request) -> Response:
    return await _stream(request, "html")


async def api_events(request: Request) -> Response:
    return await _stream(request, "json")


routes = [
    Route("/runs/{run_id}/events", page_events, methods=["GET"]),
    Route("/api/runs/{run_id}/events", api_events, methods=["GET"]),
]
