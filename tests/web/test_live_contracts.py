"""What the live path relies on in its libraries, held to it: a library that changes under it
fails here, not silently in production. The feed writes a parked viewer's live events through
the `send` its sse-starlette response was called with (webapp/web/event_streams.py), so that
response must have started before it first asks its body for data, and must leave a body
chunk as the app wrote it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from importlib.metadata import version

from sse_starlette import EventSourceResponse
from starlette.types import Message

from webapp.web.event_streams import EventStream
from webapp.web.fanout import Outlet

SCOPE = {
    "type": "http",
    "method": "GET",
    "path": "/runs/x/events",
    "headers": [],
    "query_string": b"",
}


async def never_disconnects() -> Message:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


async def test_sse_starlette_has_started_the_response_before_it_asks_the_body_for_data() -> None:
    sent: list[Message] = []
    seen_at_first_ask: list[list[str]] = []

    async def body() -> AsyncIterator[bytes]:
        seen_at_first_ask.append([m["type"] for m in sent])
        yield b"data: one\n\n"

    async def send(message: Message) -> None:
        sent.append(message)

    response = EventSourceResponse(body(), ping=0)
    await response(dict(SCOPE), never_disconnects, send)

    assert seen_at_first_ask == [["http.response.start"]]
    assert [m["type"] for m in sent] == [
        "http.response.start",
        "http.response.body",
        "http.response.body",
    ]
    assert sent[1]["body"] == b"data: one\n\n" and sent[2]["more_body"] is False


async def test_the_outlet_gets_the_responses_send_and_gives_it_back_at_the_end() -> None:
    sent: list[Message] = []
    outlet = Outlet()
    held: list[object] = []

    async def body() -> AsyncIterator[bytes]:
        held.append(outlet.send)
        assert outlet.send is not None
        await outlet.send({"type": "http.response.body", "body": b"id: 1\n\n", "more_body": True})
        yield b"event: done\ndata: \n\n"

    async def send(message: Message) -> None:
        sent.append(message)

    await EventStream(body(), ping=0, outlet=outlet)(dict(SCOPE), never_disconnects, send)

    assert held == [send]  # the response's own send, the middleware's chain included
    assert outlet.send is None  # released with the request
    assert [m.get("body") for m in sent[1:]] == [b"id: 1\n\n", b"event: done\ndata: \n\n", b""]


def test_the_versions_these_contracts_were_checked_on() -> None:
    # Raise the bound in pyproject.toml only after this file passes on the new version.
    installed = tuple(int(part) for part in version("sse-starlette").split(".")[:3])
    assert (3, 7, 1) <= installed < (4,)
