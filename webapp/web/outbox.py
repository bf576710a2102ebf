"""GET /outbox: the messages a person's email sequences handed to a transport, newest first,
with their state (being sent, sent, failed and why) and the run each came from."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from webapp.store.outbox import OutboxRepository
from webapp.web.auth import user_of
from webapp.web.pages import render
from webapp.web.state import store_of

SHOWN = 500  # the newest; older messages stay stored


async def outbox_page(request: Request) -> Response:
    repository = OutboxRepository.of(store_of(request))
    messages = await repository.messages_of(user_of(request).user_id, SHOWN + 1)
    return render(
        request,
        "outbox.html",
        {"messages": messages[:SHOWN], "more": len(messages) > SHOWN, "shown": SHOWN},
    )


routes = [Route("/outbox", outbox_page, methods=["GET"])]
