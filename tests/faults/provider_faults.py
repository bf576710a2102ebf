"""A fake provider that misbehaves on cue: an ASGI app in front of one of the fakes in
tests/tools/fakes, playing one scripted fault per request before letting requests through."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from starlette.types import ASGIApp, Receive, Scope, Send

# hang: read the request, then answer nothing until the client gives up and leaves (a provider
#       that does not answer, or answers too slowly to wait for);
# garbled: 200 with JSON cut off halfway (a connection dropped mid-answer);
# bad_gateway: 502 with a proxy's HTML page instead of the provider's JSON.
Fault = Literal["hang", "garbled", "bad_gateway"]
GARBLED = b'{"places": [{"displayName": {"text": "Half a caf'
BAD_GATEWAY = b"<html><body><h1>502 Bad Gateway</h1>nginx</body></html>"


class Misbehaving:
    def __init__(self, app: ASGIApp, faults: Iterable[Fault | None]) -> None:
        self.app = app
        self.faults = list(faults)  # None lets that request through
        self.requests = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.requests += 1
        fault = self.faults.pop(0) if self.faults else None
        if fault is None:
            await self.app(scope, receive, send)
        elif fault == "hang":
            while (await receive())["type"] != "http.disconnect":
                pass  # the request's body; then, once the client hangs up, the disconnect
        elif fault == "garbled":
            await _answer(send, 200, "application/json", GARBLED)
        else:
            await _answer(send, 502, "text/html", BAD_GATEWAY)


async def _answer(send: Send, status: int, content_type: str, body: bytes) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
