"""Sending a drafted sequence's step when the user asks, and only then: each message it may go
to now is claimed in the outbox, composed, handed to the mail provider (SMTP or the outbox)
under the process's rate limit, and marked `sent` or `failed` with words a person can act on."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

from webapp.store.outbox import OutboxRepository, OutgoingMessage
from webapp.tools.providers.http import TokenBucket
from webapp.tools.providers.mail import Sender, SendError, compose

logger = logging.getLogger(__name__)


@dataclass
class SendReport:
    step: int
    label: str
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    released: int = 0
    last_error: str | None = None

    def describe(self) -> str:
        if not self.claimed:
            return f"Nothing of step {self.step} was left to send."
        leads = "lead" if self.sent == 1 else "leads"
        text = f"Step {self.step} went to {self.sent} {leads} via {self.label}."
        if self.failed:
            text += f" {self.failed} failed: {self.last_error}"
        if self.released:
            text += f" {self.released} not tried, because of that error."
        return text


async def send_step(
    outbox: OutboxRepository,
    mailer: Sender,
    limit: TokenBucket,
    *,
    sequence_id: str,
    step: int,
    mail_from: str,
) -> SendReport:
    """Send `step` of a sequence to every lead it may go to now, one message at a time."""
    claimed = await outbox.claim(sequence_id, step, mailer.transport)
    report = SendReport(step, mailer.label, claimed=len(claimed))
    pending = deque(claimed)
    try:
        while pending:
            if mailer.rate_limited:
                await limit.acquire()
            message = pending.popleft()  # from here on it may go out: it is never given back
            if not await _deliver(outbox, mailer, message, mail_from, report):
                break
    finally:
        if pending:  # never handed to the transport (stopped or cancelled): as if never tried
            report.released = await outbox.release([m.outbox_id for m in pending])
    logger.info(
        "sequence %s step %d via %s: %d sent, %d failed, %d not tried",
        *(sequence_id, step, mailer.label, report.sent, report.failed, report.released),
    )
    return report


async def _deliver(
    outbox: OutboxRepository,
    mailer: Sender,
    message: OutgoingMessage,
    mail_from: str,
    report: SendReport,
) -> bool:
    """Send one claimed message and record how it went; False when the transport is unusable."""
    try:
        mail = compose(message, mail_from)
        await mailer.send(mail)
    except SendError as error:
        await outbox.mark_failed(message.outbox_id, str(error))
        report.failed += 1
        report.last_error = str(error)
        logger.warning("sequence %s: not sent: %s", message.sequence_id, error)
        return not error.stop
    await outbox.mark_sent(message.outbox_id, mail.get_content())
    report.sent += 1
    return True
