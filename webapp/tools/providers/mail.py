"""The mail provider: SMTP (aiosmtplib) when LEADGEN_SMTP_URL is set, else the database's
outbox; the email for one message, with its unsubscribe line and List-Unsubscribe header; one
rate limit per process for SMTP."""

from __future__ import annotations

import asyncio
import email.errors
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol
from urllib.parse import quote, unquote, urlsplit

import aiosmtplib
from pydantic import SecretStr

from webapp.settings import Settings
from webapp.tools.providers.http import Sleep, TokenBucket

logger = logging.getLogger(__name__)

DEFAULT_PORTS = {"smtp": 587, "smtps": 465}
DEFAULT_FROM = "leadgen@localhost"
OUTBOX_LABEL = "outbox (LEADGEN_SMTP_URL not set)"
SMTP_TIMEOUT_S = 30.0
MAX_BURST = 5
URL_SHAPE = "smtp://user:password@host:587 or smtps://user:password@host:465"


class MailConfigError(ValueError):
    """LEADGEN_SMTP_URL cannot be used. The message never repeats the URL."""


class SendError(Exception):
    """One message was not sent; `str()` is safe to store and show. `stop`: the transport
    itself is unusable (login, connection, TLS), so the rest of the batch is not tried."""

    def __init__(self, message: str, *, stop: bool = False) -> None:
        super().__init__(message)
        self.stop = stop


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: SecretStr | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def label(self) -> str:
        return f"SMTP {self.address} ({'TLS' if self.implicit_tls else 'STARTTLS when offered'})"


def parse_smtp_url(url: str) -> SmtpTarget:
    """smtp://user:password@host:port (STARTTLS when offered) or smtps://… (implicit TLS)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        # The parser's own message may quote the URL, password included: say it in our words.
        raise MailConfigError(f"LEADGEN_SMTP_URL is not a URL like {URL_SHAPE}.") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise MailConfigError(f"LEADGEN_SMTP_URL must look like {URL_SHAPE}.")
    return SmtpTarget(
        host=parts.hostname,
        port=port or DEFAULT_PORTS[scheme],
        implicit_tls=scheme == "smtps",
        username=unquote(parts.username) if parts.username else None,
        password=SecretStr(unquote(parts.password)) if parts.password else None,
    )


class Outgoing(Protocol):
    """What an email is made of: one claimed message of a sequence."""

    @property
    def to_email(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def business_name(self) -> str: ...


class Sender(Protocol):
    transport: str  # "smtp" or "outbox", as the outbox rows record it
    label: str  # where mail goes, for people: never the password
    rate_limited: bool

    async def send(self, message: EmailMessage) -> None: ...


class Mailer:
    """Sends over SMTP, one connection per message: sends are rate-limited to a few a second at
    most, and a fresh connection cannot be left half-broken by the message before. Errors are in
    words a person can act on (`explain`); the SMTP password never appears in an error, a log
    line or a page."""

    transport = "smtp"
    rate_limited = True

    def __init__(
        self,
        target: SmtpTarget,
        *,
        timeout: float = SMTP_TIMEOUT_S,
        tls_context: ssl.SSLContext | None = None,  # None: the system's trusted CAs
    ) -> None:
        self.target = target
        self.timeout = timeout
        self.tls_context = tls_context
        self.label = target.label

    async def send(self, message: EmailMessage) -> None:
        target = self.target
        try:
            await aiosmtplib.send(
                message,
                hostname=target.host,
                port=target.port,
                username=target.username,
                password=target.password.get_secret_value() if target.password else None,
                use_tls=target.implicit_tls,
                start_tls=False if target.implicit_tls else None,  # None: when offered
                timeout=self.timeout,
                tls_context=self.tls_context,
            )
        except (aiosmtplib.SMTPException, OSError) as error:
            stop = not isinstance(
                error, aiosmtplib.SMTPRecipientsRefused | aiosmtplib.SMTPDataError
            )
            raise SendError(self._hide_password(explain(error, target)), stop=stop) from error

    def _hide_password(self, text: str) -> str:
        secret = self.target.password.get_secret_value() if self.target.password else ""
        if len(secret) < 3:  # hiding every "a" of a one-letter password would hide nothing
            return text
        return text.replace(secret, "[hidden]").replace(quote(secret, safe=""), "[hidden]")


class OutboxMailer:
    """Keeps mail in the database's outbox: nothing leaves the machine."""

    transport = "outbox"
    rate_limited = False  # nothing goes over the network
    label = OUTBOX_LABEL

    async def send(self, message: EmailMessage) -> None:
        return None  # the outbox row the send loop records is the whole delivery


def explain(error: BaseException, target: SmtpTarget) -> str:
    """What went wrong with `target`, in words that say what to do about it."""
    where = target.address
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return (
            f"{where} refused the login for {target.username!r} ({error.code} {error.message}). "
            "Check the user and password in LEADGEN_SMTP_URL."
        )
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused) and error.recipients:
        refused = error.recipients[0]
        return (
            f"{where} refused the recipient {refused.recipient} ({refused.code} "
            f"{refused.message}). Check the lead's address before sending again."
        )
    if isinstance(error, aiosmtplib.SMTPSenderRefused):
        return (
            f"{where} refused the sender {error.sender} ({error.code} {error.message}). Set "
            "LEADGEN_MAIL_FROM to an address this server lets you send from."
        )
    if isinstance(error, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return f"{where} did not answer in time. Check the host and port, or try again later."
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"{where} answered {error.code} {error.message}."
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            f"{where}'s TLS certificate is not trusted ({error.verify_message}). Use the host "
            "name the certificate was issued for, or give the server a valid certificate."
        )
    if isinstance(error, ssl.SSLError):
        return (
            f"TLS with {where} failed ({error.reason or error}). Use smtps:// for port 465 "
            "and smtp:// for port 587."
        )
    if isinstance(error, aiosmtplib.SMTPServerDisconnected):
        return f"{where} closed the connection ({error.message}). Try again later."
    if isinstance(error, aiosmtplib.SMTPException) and not isinstance(error, ConnectionError):
        return f"{where}: {error.message}."
    return (
        f"Could not connect to {where} ({error}). Check the host and port in LEADGEN_SMTP_URL "
        "and that the server is running."
    )


def build_mailer(settings: Settings) -> Mailer | OutboxMailer:
    """SMTP when LEADGEN_SMTP_URL is set, else the outbox; MailConfigError for a bad URL.
    (Sending a sequence's step, when the user asks and only then, is webapp/runtime/sending.py.)"""
    if settings.smtp_url is None or not settings.smtp_url.get_secret_value().strip():
        return OutboxMailer()
    return Mailer(parse_smtp_url(settings.smtp_url.get_secret_value()))


def sender_address(settings: Settings, mailer: Sender) -> str:
    """LEADGEN_MAIL_FROM, else the SMTP user when it is an address, else leadgen@localhost."""
    if settings.mail_from:
        return settings.mail_from.strip()
    user = mailer.target.username if isinstance(mailer, Mailer) else None
    return user if user and "@" in user else DEFAULT_FROM


def new_send_limit(
    settings: Settings,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> TokenBucket:
    """The process's SMTP rate: `send_rate_per_minute` on average, up to 5 at once."""
    per_minute = settings.send_rate_per_minute
    return TokenBucket(per_minute / 60, min(MAX_BURST, per_minute), clock=clock, sleep=sleep)


def unsubscribe_line(to_email: str, business_name: str) -> str:
    return (
        f"You received this because {to_email} is listed as a contact for {business_name}. "
        "Reply 'unsubscribe' and we will not write again."
    )


def with_unsubscribe(body: str, to_email: str, business_name: str) -> str:
    return f"{body.rstrip()}\n\n-- \n{unsubscribe_line(to_email, business_name)}\n"


def compose(message: Outgoing, mail_from: str) -> EmailMessage:
    """The email for one claimed message, with its unsubscribe line and header."""
    try:
        mail = EmailMessage()
        mail["From"] = mail_from
        mail["To"] = message.to_email.strip()
        mail["Subject"] = " ".join(message.subject.split())  # no line breaks in a header
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = make_msgid(domain=mail_from.rpartition("@")[2] or "localhost")
        mail["List-Unsubscribe"] = f"<mailto:{mail_from}?subject=unsubscribe>"
        name = " ".join(message.business_name.split())
        mail.set_content(with_unsubscribe(message.body, message.to_email.strip(), name))
    except (ValueError, email.errors.MessageError) as error:
        raise SendError(f"Could not build the email to {message.to_email!r}: {error}") from error
    return mail
