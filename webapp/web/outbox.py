"""GET /outbox: what a person's email sequences still have to send (drafts, steps ready, steps
waiting for their delay), then the messages handed to a transport, newest first, with their
state (being sent, sent, failed and why) and the run each came from."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from webapp.web.app_state import store_of
from webapp.web.auth import user_of
from webapp.web.pages import render

SHOWN = 500  # the newest; older messages stay stored
SEQUENCES = 100  # the newest sequences looked at for what is still to send


async def outbox_page(request: Request) -> Response:
    repository = store_of(request).outbox
    user_id = user_of(request).user_id
    messages = await repository.messages_of(user_id, SHOWN + 1)
    to_send = [
        (goal, sequence)
        for goal, sequence in await repository.overviews_of(user_id, SEQUENCES)
        if sequence.state != "completed" and sequence.leads
    ]
    return render(
        request,
        "outbox.html",
        {
            "messages": messages[:SHOWN],
            "more": len(messages) > SHOWN,
            "shown": SHOWN,
            "to_send": to_send,
        },
    )


routes = [Route("/outbox", outbox_page, methods=["GET"])]
