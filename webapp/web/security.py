"""Headers every answer carries: a strict Content-Security-Policy (scripts and styles from our
own origin only, no inline script or style, no framing), no MIME sniffing, no referrer
leaving the site, and no caching of pages that show a person's data."""

from __future__ import annotations

from collections.abc import Awaitable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        # Static files carry a content hash in their URL; everything else may show someone's data.
        static = scope["path"].startswith("/static/")
        cache_control = b"public, max-age=86400" if static else b"no-store"

        def send_with_headers(message: Message) -> Awaitable[None]:
            # Not a coroutine of its own: a stream's every message passes here, and the
            # caller awaits `send`'s own awaitable directly.
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in HEADERS if h[0] not in present)
                if b"cache-control" not in present:
                    headers.append((b"cache-control", cache_control))
                message["headers"] = headers
            return send(message)

        await self.app(scope, receive, send_with_headers)
