"""Sending a drafted email sequence from the run page: POST /runs/{run_id}/sequences/{id}/send
with the `step` to send. Only this request ever sends anything. htmx gets the updated sequence
section back; a plain form gets a 303 to the run page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from webapp.runtime.sending import send_step
from webapp.settings import Settings
from webapp.store.outbox import (
    SampleMessage,
    SequenceOverview,
)
from webapp.tools.providers.http import TokenBucket
from webapp.tools.providers.mail import (
    DEFAULT_FROM,
    MailConfigError,
    build_mailer,
    new_send_limit,
    sender_address,
    with_unsubscribe,
)
from webapp.web.app_state import settings_of, store_of
from webapp.web.forms import read_form
from webapp.web.numbers import whole_number
from webapp.web.ownership import check_owned_run


@dataclass(frozen=True)
class MailView:
    """Where a send would go, as the sequence section tells it."""

    label: str
    mail_from: str
    rate_per_minute: int
    rate_limited: bool
    problem: str | None = None

    def sample_text(self, sample: SampleMessage) -> str:
        """The sample's body as it would go out, unsubscribe line included."""
        return with_unsubscribe(sample.body, sample.to_email, sample.business_name)


def mail_view(settings: Settings) -> MailView:
    rate = settings.send_rate_per_minute
    try:
        mailer = build_mailer(settings)
    except MailConfigError as error:
        sender = settings.mail_from or DEFAULT_FROM
        return MailView("SMTP (LEADGEN_SMTP_URL is not usable)", sender, rate, True, str(error))
    return MailView(mailer.label, sender_address(settings, mailer), rate, mailer.rate_limited)


async def sequence_context(request: Request, run_id: str) -> dict[str, Any]:
    """What the run page needs to show the run's sequences: them, and where mail would go."""
    return {
        "sequences": await store_of(request).outbox.overviews_for_run(run_id),
        "mail": mail_view(settings_of(request)),
    }


def send_limit(request: Request) -> TokenBucket:
    """The process's one SMTP rate limit, made on first use (a test may put its own first)."""
    state = request.app.state
    limit: TokenBucket | None = getattr(state, "mail_limit", None)
    if limit is None:
        limit = state.mail_limit = new_send_limit(settings_of(request))
    return limit


async def send_sequence_step(request: Request) -> Response:
    """POST /runs/{run_id}/sequences/{sequence_id}/send: send one step to whoever it may go to
    now (never twice to anyone)."""
    run_id = request.path_params["run_id"]
    store = store_of(request)
    await check_owned_run(request, run_id)
    outbox = store.outbox
    sequence = await outbox.overview(request.path_params["sequence_id"])
    if sequence is None or sequence.run_id != run_id:
        raise HTTPException(404)
    step = chosen_step((await read_form(request)).get("step"), sequence)
    if step is None:
        message = f"Choose a step from 1 to {len(sequence.steps)}."
        if _is_htmx(request):
            return _fragment(request, sequence, error=message, status=422)
        raise HTTPException(422, message)
    settings = settings_of(request)
    try:
        mailer = build_mailer(settings)
    except MailConfigError as error:
        raise HTTPException(409, str(error)) from error
    report = await send_step(
        outbox,
        mailer,
        send_limit(request),
        sequence_id=sequence.sequence_id,
        step=step,
        mail_from=sender_address(settings, mailer),
    )
    if not _is_htmx(request):
        return RedirectResponse(f"/runs/{run_id}#sequence-{sequence.sequence_id}", 303)
    updated = await outbox.overview(sequence.sequence_id)
    return _fragment(request, updated or sequence, notice=report.describe())


def chosen_step(raw: object, sequence: SequenceOverview) -> int | None:
    """The form's `step` when it names one of the sequence's steps; None otherwise."""
    number = whole_number(raw.strip()) if isinstance(raw, str) else None
    return number if number is not None and sequence.step(number) is not None else None


def _fragment(
    request: Request,
    sequence: SequenceOverview,
    *,
    notice: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    context = {
        "sequence": sequence,
        "mail": mail_view(settings_of(request)),
        "notice": notice,
        "error": error,
    }
    response: Response = request.app.state.templates.TemplateResponse(
        request, "_sequence.html", context, status_code=status
    )
    return response


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


routes = [
    Route(
        "/runs/{run_id}/sequences/{sequence_id}/send",
        send_sequence_step,
        methods=["POST"],
    ),
]
