"""Sending a sequence step: over SMTP to a real aiosmtpd server on 127.0.0.1, or into the outbox
with no network at all. Unsubscribe line and header, the rate limit, failures recorded with the
server's words, and a password that never shows up anywhere."""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import logging
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.store.test_outbox import drafted_sequence
from webapp.runtime.sending import send_step
from webapp.settings import Settings
from webapp.store import Store
from webapp.store.outbox import OutgoingMessage
from webapp.tools.providers.http import TokenBucket
from webapp.tools.providers.mail import (
    OUTBOX_LABEL,
    MailConfigError,
    Mailer,
    OutboxMailer,
    build_mailer,
    compose,
    new_send_limit,
    parse_smtp_url,
    sender_address,
)

PASSWORD = "hunter2-Very-Secret"


class Capture:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self, refuse_rcpt: str | None = None) -> None:
        self.refuse_rcpt = refuse_rcpt
        self.envelopes: list[Envelope] = []
        self.encrypted: list[bool] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.refuse_rcpt:
            return self.refuse_rcpt.format(address=address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        transport = server.transport
        self.encrypted.append(bool(transport and transport.get_extra_info("ssl_object")))
        return "250 OK: queued"

    def messages(self) -> list[EmailMessage]:
        parsed = []
        for envelope in self.envelopes:
            content = envelope.original_content or b""
            message = email.message_from_bytes(content, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            parsed.append(message)
        return parsed


def accept_only(password: str) -> Any:
    def authenticator(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.password == password.encode()
        return AuthResult(success=ok, handled=False)

    return authenticator


@contextlib.asynccontextmanager
async def smtp_server(
    handler: Capture,
    *,
    password: str | None = None,
    starttls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
) -> AsyncIterator[int]:
    """A real aiosmtpd server on 127.0.0.1, on a free port, in the test's own loop; its port.
    `starttls` offers (and requires) STARTTLS; `implicit_tls` speaks TLS from the start."""
    options: dict[str, Any] = {"hostname": "mx.test"}
    if password is not None:
        options.update(authenticator=accept_only(password), auth_require_tls=False)
    if starttls is not None:
        options.update(tls_context=starttls, require_starttls=True)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, **options), "127.0.0.1", 0, ssl=implicit_tls
    )
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


class FakeTime:
    """A clock that only moves when the rate limit sleeps, recording each sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass(frozen=True)
class Certificate:
    server: ssl.SSLContext  # presents a self-signed certificate for 127.0.0.1
    client: ssl.SSLContext  # trusts it


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    return Certificate(server, ssl.create_default_context(cafile=str(cert)))


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(str(tmp_path / "mail.db"))
    yield opened
    await opened.close()


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, db=":unused:", **values)


async def send(
    store: Store, config: Settings, sequence_id: str, step: int = 1, time: FakeTime | None = None
) -> Any:
    time = time or FakeTime()
    mailer = build_mailer(config)
    return await send_step(
        store.outbox,
        mailer,
        new_send_limit(config, clock=time.clock, sleep=time.sleep),
        sequence_id=sequence_id,
        step=step,
        mail_from=sender_address(config, mailer),
    )


async def test_smtp_sends_each_lead_its_message_with_an_unsubscribe_line(store: Store) -> None:
    sequence_id = await drafted_sequence(store)
    handler, time = Capture(), FakeTime()
    async with smtp_server(handler, password=PASSWORD) as port:
        config = settings(
            smtp_url=f"smtp://me%40agency.example:{PASSWORD}@127.0.0.1:{port}",
            send_rate_per_minute=1,
        )
        report = await send(store, config, sequence_id, time=time)

    assert (report.sent, report.failed) == (2, 0)
    assert [e.mail_from for e in handler.envelopes] == ["me@agency.example"] * 2
    assert [e.rcpt_tos for e in handler.envelopes] == [
        ["ann@cafe-a.example"],
        ["bob@cafe-b.example"],
    ]
    ann, bob = handler.messages()
    assert (ann["Subject"], bob["Subject"]) == ("Step 1 for Cafe A", "Step 1 for Cafe B")
    assert ann["To"] == "ann@cafe-a.example" and ann["From"] == "me@agency.example"
    body = ann.get_content().replace("\r\n", "\n")  # as it went over the wire
    assert body.startswith("Hi Ann,\n\nA note about Cafe A.")
    assert (
        "You received this because ann@cafe-a.example is listed as a contact for Cafe A. "
        "Reply 'unsubscribe' and we will not write again." in body
    )
    assert ann["List-Unsubscribe"] == "<mailto:me@agency.example?subject=unsubscribe>"
    assert time.sleeps == [pytest.approx(60.0)]  # one a minute: the second waited its turn
    entries = await store.outbox.entries(sequence_id)
    assert [(e.status, e.transport) for e in entries] == [("sent", "smtp")] * 2
    assert "Reply 'unsubscribe'" in entries[0].body


async def test_a_refused_recipient_is_failed_with_the_servers_words(store: Store) -> None:
    sequence_id = await drafted_sequence(store)
    handler = Capture(refuse_rcpt="550 5.1.1 <{address}>: Recipient address rejected")
    async with smtp_server(handler) as port:
        report = await send(store, settings(smtp_url=f"smtp://127.0.0.1:{port}"), sequence_id)

    assert (report.sent, report.failed, report.released) == (0, 2, 0)  # each lead was tried
    entries = await store.outbox.entries(sequence_id)
    assert [e.status for e in entries] == ["failed", "failed"]
    assert entries[0].error == (
        f"127.0.0.1:{port} refused the recipient ann@cafe-a.example (550 5.1.1 "
        "<ann@cafe-a.example>: Recipient address rejected). Check the lead's address before "
        "sending again."
    )
    overview = await store.outbox.overview(sequence_id)
    assert overview is not None and overview.last_error is not None
    assert "550 5.1.1" in overview.last_error
    assert overview.steps[0].ready == 2  # a failed message may be sent again, by the user


async def test_a_wrong_password_never_appears_in_errors_or_logs(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sequence_id = await drafted_sequence(store)
    handler = Capture()
    async with smtp_server(handler, password="the-right-one") as port:
        url = f"smtp://me:{PASSWORD}@127.0.0.1:{port}"
        config = settings(smtp_url=url)
        report = await send(store, config, sequence_id)

    assert (report.sent, report.failed, report.released) == (0, 1, 1)  # stopped at the login
    assert handler.envelopes == []
    entries = await store.outbox.entries(sequence_id)
    assert [e.status for e in entries] == ["failed"]
    error = entries[0].error or ""
    assert error.startswith(f"127.0.0.1:{port} refused the login for 'me' (535")
    assert "Check the user and password in LEADGEN_SMTP_URL." in error
    mailer = repr(vars(build_mailer(config)))  # its target, password and all
    for text in (error, report.describe(), caplog.text, repr(config), mailer):
        assert PASSWORD not in text


async def test_smtp_upgrades_with_starttls_when_the_server_offers_it(
    store: Store, certificate: Certificate
) -> None:
    sequence_id = await drafted_sequence(store)
    handler = Capture()
    async with smtp_server(handler, starttls=certificate.server) as port:
        mailer = Mailer(parse_smtp_url(f"smtp://127.0.0.1:{port}"), tls_context=certificate.client)
        report = await send_step(
            store.outbox,
            mailer,
            new_send_limit(settings()),
            sequence_id=sequence_id,
            step=1,
            mail_from="me@agency.example",
        )

    assert (report.sent, report.failed) == (2, 0)
    assert handler.encrypted == [True, True]


async def test_smtps_speaks_tls_from_the_start(store: Store, certificate: Certificate) -> None:
    sequence_id = await drafted_sequence(store)
    handler = Capture()
    async with smtp_server(handler, implicit_tls=certificate.server) as port:
        mailer = Mailer(parse_smtp_url(f"smtps://127.0.0.1:{port}"), tls_context=certificate.client)
        report = await send_step(
            store.outbox,
            mailer,
            new_send_limit(settings()),
            sequence_id=sequence_id,
            step=1,
            mail_from="me@agency.example",
        )

    assert (report.sent, report.failed) == (2, 0)
    assert handler.encrypted == [True, True]


async def test_an_untrusted_certificate_stops_the_batch(
    store: Store, certificate: Certificate
) -> None:
    sequence_id = await drafted_sequence(store)
    handler = Capture()
    async with smtp_server(handler, starttls=certificate.server) as port:
        report = await send(store, settings(smtp_url=f"smtp://127.0.0.1:{port}"), sequence_id)

    assert (report.sent, report.failed, report.released) == (0, 1, 1)
    assert handler.envelopes == []
    assert report.last_error is not None
    assert report.last_error.startswith(f"127.0.0.1:{port}'s TLS certificate is not trusted (")
    assert handler.encrypted == []


async def test_an_unreachable_server_stops_the_batch_with_what_to_check(store: Store) -> None:
    sequence_id = await drafted_sequence(store)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    report = await send(store, settings(smtp_url=f"smtp://127.0.0.1:{port}"), sequence_id)

    assert (report.sent, report.failed, report.released) == (0, 1, 1)
    [entry] = await store.outbox.entries(sequence_id)
    assert entry.error is not None
    assert entry.error.startswith(f"Could not connect to 127.0.0.1:{port}")
    assert entry.error.endswith(
        "Check the host and port in LEADGEN_SMTP_URL and that the server is running."
    )


async def test_the_outbox_records_every_message_without_any_network(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    sequence_id = await drafted_sequence(store)

    async def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the outbox transport touched the network")

    monkeypatch.setattr(aiosmtplib, "send", no_network)
    monkeypatch.setattr(asyncio.get_running_loop(), "create_connection", no_network)
    time = FakeTime()

    config = settings(send_rate_per_minute=1)
    report = await send(store, config, sequence_id, time=time)

    assert isinstance(build_mailer(config), OutboxMailer)
    assert (report.sent, report.failed, report.label) == (2, 0, OUTBOX_LABEL)
    assert time.sleeps == []  # nothing leaves the machine, so nothing waits
    entries = await store.outbox.entries(sequence_id)
    assert [(e.status, e.transport, e.to_email) for e in entries] == [
        ("sent", "outbox", "ann@cafe-a.example"),
        ("sent", "outbox", "bob@cafe-b.example"),
    ]
    assert entries[1].body.endswith(
        "-- \nYou received this because bob@cafe-b.example is listed as a contact for Cafe B. "
        "Reply 'unsubscribe' and we will not write again.\n"
    )
    assert report.describe() == f"Step 1 went to 2 leads via {OUTBOX_LABEL}."
    again = await send(store, config, sequence_id)
    assert (again.claimed, again.describe()) == (0, "Nothing of step 1 was left to send.")


async def test_a_cancelled_send_gives_back_what_it_had_not_handed_over(store: Store) -> None:
    sequence_id = await drafted_sequence(store)
    waiting, never = asyncio.Event(), asyncio.Event()

    class Recorder(OutboxMailer):
        rate_limited = True  # so the second message waits for the (stuck) rate limit

    async def stuck(seconds: float) -> None:
        waiting.set()
        await never.wait()

    limit = TokenBucket(1 / 60, 1, clock=lambda: 0.0, sleep=stuck)
    outbox = store.outbox
    task = asyncio.create_task(
        send_step(outbox, Recorder(), limit, sequence_id=sequence_id, step=1, mail_from="a@b.c")
    )
    await waiting.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert [(e.to_email, e.status) for e in await outbox.entries(sequence_id)] == [
        ("ann@cafe-a.example", "sent")
    ]


@pytest.mark.parametrize(
    ("url", "host", "port", "tls", "user"),
    [
        ("smtp://mail.example.com", "mail.example.com", 587, False, None),
        (
            "smtp://u%40x.example:p%3Ass@mail.example.com:2525",
            "mail.example.com",
            2525,
            False,
            "u@x.example",
        ),
        ("SMTPS://u:p@mail.example.com", "mail.example.com", 465, True, "u"),
    ],
)
def test_smtp_urls_name_host_port_tls_and_login(
    url: str, host: str, port: int, tls: bool, user: str | None
) -> None:
    target = parse_smtp_url(url)

    assert (target.host, target.port, target.implicit_tls, target.username) == (
        host,
        port,
        tls,
        user,
    )
    assert target.label == f"SMTP {host}:{port} ({'TLS' if tls else 'STARTTLS when offered'})"
    if "%3A" in url:
        assert target.password is not None and target.password.get_secret_value() == "p:ss"


@pytest.mark.parametrize(
    "url",
    [f"http://u:{PASSWORD}@host", f"smtp://u:{PASSWORD}@host:notaport", f"smtp://u:{PASSWORD}@"],
)
def test_an_unusable_smtp_url_is_refused_without_repeating_it(url: str) -> None:
    with pytest.raises(MailConfigError) as raised:
        build_mailer(settings(smtp_url=url))

    assert PASSWORD not in str(raised.value)
    assert "smtp://user:password@host:587" in str(raised.value)


def test_the_from_address_is_the_setting_else_the_smtp_user_else_a_placeholder() -> None:
    with_user = settings(smtp_url="smtp://me%40agency.example:pw@host")

    assert sender_address(settings(mail_from="sales@agency.example"), OutboxMailer()) == (
        "sales@agency.example"
    )
    assert sender_address(with_user, build_mailer(with_user)) == "me@agency.example"
    assert sender_address(settings(), OutboxMailer()) == "leadgen@localhost"


def test_a_subject_with_line_breaks_cannot_inject_headers() -> None:
    message = OutgoingMessage(
        1, 1, "seq", 1, "ann@cafe-a.example", "Cafe\nA", "Hi\r\nBcc: x@y", "B"
    )

    mail = compose(message, "me@agency.example")

    assert mail["Subject"] == "Hi Bcc: x@y" and mail["Bcc"] is None
    assert "contact for Cafe A." in mail.get_content()
