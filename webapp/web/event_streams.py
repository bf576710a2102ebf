"""A run's live event streams: HTML updates for its page, JSON for scripts (the live path's
last stage: ARCHITECTURE.md, "The live path")."""

from __future__ import annotations

import logging
from typing import Any

from sse_starlette import EventSourceResponse
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from webapp.web.auth import credential_of
from webapp.web.errors import ApiError
from webapp.web.fanout import Outlet, RunFeeds
from webapp.web.fragments import Kind
from webapp.web.ownership import check_owned_run
from webapp.web.shutdown import STREAM_GRACE_S, Shutdown

logger = logging.getLogger(__name__)

PING_S = 15
MAX_CURSOR = 2**63 - 1  # SQLite's largest integer


class EventStream(EventSourceResponse):
    """sse-starlette's response, used through its public interface only. With an `outlet`, it
    gives the live feed the `send` it was called with (ASGI's, through the middleware), so that
    the feed writes a parked viewer's live events as body chunks itself. That rests on one
    behaviour of sse-starlette, which tests/web/test_live_contracts.py holds it to: the
    response has started before the body iterator is first asked for data."""

    def __init__(self, *args: Any, outlet: Outlet | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.outlet = outlet

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        outlet = self.outlet
        if outlet is not None and self.send_timeout is None:
            outlet.send = send  # (the feed's writes have no timeout of their own)
        try:
            await super().__call__(scope, receive, send)
        finally:
            if outlet is not None:
                outlet.send = None  # nothing holds the request's chain once it is over


def cursor_of(request: Request) -> int:
    """Where to resume: `after`, or a `Last-Event-ID` header, which wins."""
    raw = request.headers.get("last-event-id") or request.query_params.get("after") or "0"
    try:
        cursor = int(raw)
    except ValueError:
        raise ApiError(400, "bad_cursor", f"'{raw}' is not an event number.") from None
    if not 0 <= cursor <= MAX_CURSOR:
        raise ApiError(400, "bad_cursor", f"The event number must be from 0 to {MAX_CURSOR}.")
    return cursor


async def _stream(request: Request, kind: Kind) -> Response:
    """The stream replays from the store, then goes live, and ends with a `done` event once the
    run's final event is sent; a 15 s ping keeps proxies from closing it. A stream only
    observes: a viewer leaving never touches the run. A viewer too slow to keep up is dropped;
    its browser reconnects and replays.

    The viewers of a run share its live feed (webapp/web/fanout.py), which writes their live
    events through their responses' `send` itself while they wait. The feed of a run another
    process executes gets its events through the store (webapp/runtime/tail.py).

    When the server is stopped (SIGTERM), each stream sends its run's last stored events, then
    `restarting` instead of `done`, and ends (webapp/web/shutdown.py; ARCHITECTURE.md,
    "Stopping with viewers watching", says how and in what order).
    """
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
