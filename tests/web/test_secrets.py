"""Provider keys and the SMTP password never reach a page, a fragment, a stream, an API answer,
the database or a log line: not when the providers answer, not when they refuse the key, throttle,
fail, send garbage, hang or cannot be reached, and not when the mail server refuses the login.

The keys are distinctive strings; the fakes accept them (and some echo them back, as a careless
server might), and everything the app shows, stores or logs is searched for each of them."""

from __future__ import annotations

import logging
import socket
from base64 import b64encode
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from starlette.applications import Starlette

from tests.test_mail import Capture, smtp_server
from tests.tools.fakes import google_places as google_fake
from tests.tools.fakes import hunter as hunter_fake
from tests.tools.fakes.google_places import PLACES, google_error, google_places_app
from tests.tools.fakes.hunter import hunter_app, person
from tests.tools.fakes.osm import FakeHost
from tests.tools.live_server import free_port, serving
from tests.web.helpers import fast_settings, serve
from webapp.tools import lead_calls
from webapp.tools.providers import clients
from webapp.tools.providers.timeouts import CallTimeouts
from webapp.tools.providers.web_domains import domain_of

GOOGLE_KEY = "AIzaFAKE-google-4f1d9c7e2b"
HUNTER_KEY = "hunterFAKE-5e0a8b3c61"
SMTP_PASSWORD = "smtp/Secret:pw-7c2e!"  # needs quoting in a URL: both spellings are searched
SMTP_USER = "leads@shop.example"
SMTP_LOGIN = f"{quote(SMTP_USER, safe='')}:{quote(SMTP_PASSWORD, safe='')}"
SECRETS = {
    "the Google key": GOOGLE_KEY,
    "the Hunter key": HUNTER_KEY,
    "the SMTP password": SMTP_PASSWORD,
    "the SMTP password, quoted": quote(SMTP_PASSWORD, safe=""),
    # as AUTH LOGIN and AUTH PLAIN send it, should a protocol trace be logged
    "the SMTP password, in base64": b64encode(SMTP_PASSWORD.encode()).decode(),
    "the SMTP login, in base64": b64encode(f"\0{SMTP_USER}\0{SMTP_PASSWORD}".encode()).decode(),
}
LOGGERS = ("", "httpx", "httpcore", "aiosmtplib", "webapp", "uvicorn", "sse_starlette")
HTMX = {"HX-Request": "true"}
GOAL = "Find 5 coffee shops in Manchester"
TIMEOUT_S = 0.3  # the provider client's timeout here, so that a hanging fake costs little
TRIES = lead_calls.TRIES  # a Hunter request's own tries before its step's attempt gives up


def google_answer(status: int, state: str) -> tuple[int, dict[str, Any]]:
    return status, google_error(status, state, f"Request with key {GOOGLE_KEY} was refused.")


def hunter_answer(status: int, error_id: str = "error") -> tuple[int, dict[str, Any]]:
    details = f"Something is wrong with the API key {HUNTER_KEY} ({HUNTER_KEY})."
    return status, {
        "errors": [{"id": error_id, "code": status, "details": details}],
        "_headers": {"Retry-After": "0"},
    }


G, H = "google_places_1", "hunter_domain_lookup_2"


@dataclass(frozen=True)
class Case:
    """One way the providers answer (scripted answers first, or no fake at all: a port that
    refuses connections or one that never answers), and the step that must end `expected`."""

    google: list[Any] = field(default_factory=list)
    hunter: list[Any] = field(default_factory=list)
    google_at: str | None = None  # "refused" or "hanging"
    hunter_at: str | None = None
    step: str = G
    expected: str = "failed"


GARBAGE_GOOGLE = (200, f"<html>Bad gateway for key={GOOGLE_KEY}</html>")
GARBAGE_HUNTER = (200, {"_text": f"<html>Bad gateway for api_key={HUNTER_KEY}</html>"})
CASES = {
    "all answer": Case(step="email_sequence_setup_5", expected="succeeded"),
    "google refuses the key": Case(google=[google_answer(401, "UNAUTHENTICATED")]),
    "google forbids": Case(google=[google_answer(403, "PERMISSION_DENIED")]),
    "google refuses the request": Case(google=[google_answer(400, "INVALID_ARGUMENT")]),
    "google throttles": Case(google=[google_answer(429, "RESOURCE_EXHAUSTED")] * 3),
    "google fails": Case(google=[google_answer(503, "UNAVAILABLE")] * 3),
    "google sends garbage": Case(google=[GARBAGE_GOOGLE] * 3),
    "google is down": Case(google_at="refused"),
    "google hangs": Case(google_at="hanging"),
    # a careless server might echo the key anywhere, even as its error's id
    "hunter refuses the key": Case(hunter=[hunter_answer(401, HUNTER_KEY)], step=H),
    # a refused request concerns that one business: its lead's notes quote Hunter
    "hunter refuses the request": Case(hunter=[hunter_answer(400)], step=H, expected="succeeded"),
    # every try of every attempt (each request is tried again on its own first)
    "hunter throttles": Case(hunter=[hunter_answer(403)] * 3 * TRIES, step=H),
    "hunter's quota is over": Case(hunter=[hunter_answer(429)], step=H),
    "hunter fails": Case(hunter=[hunter_answer(500)] * 3 * TRIES, step=H),
    "hunter sends garbage": Case(hunter=[GARBAGE_HUNTER] * 3 * TRIES, step=H),
    "hunter is down": Case(hunter_at="refused", step=H),
    "hunter hangs": Case(hunter_at="hanging", step=H),
}


@contextmanager
def silent_port() -> Iterator[str]:
    """A port that takes connections and never answers (the kernel's backlog accepts them)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.fixture(scope="module")
def live_host() -> Iterator[tuple[FakeHost, str]]:
    """One server for the module's fakes (starting and stopping uvicorn costs ~0.2 s)."""
    host = FakeHost()
    with serving(host) as base_url:
        yield host, base_url


def provider_url(
    stack: ExitStack, live_host: tuple[FakeHost, str], app: Starlette, dead: str | None
) -> str:
    if dead == "refused":
        return f"http://127.0.0.1:{free_port()}"
    if dead == "hanging":
        return stack.enter_context(silent_port())
    host, base_url = live_host
    return stack.enter_context(host.plugged(app, base_url))


def hunter_people() -> dict[str, list[dict[str, Any]]]:
    """Someone at every business the fake Google lists with a website."""
    people = {}
    for found in PLACES:
        domain = domain_of(found.get("websiteUri"))
        if domain:
            people[domain] = [
                person(domain, "Ava", "Stone", "Owner", "exec", "management", "valid")
            ]
    return people


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fakes accept only our distinctive keys, and the clients give up after 0.3 s."""
    monkeypatch.setattr(google_fake, "GOOD_KEY", GOOGLE_KEY)
    monkeypatch.setattr(hunter_fake, "TEST_KEY", HUNTER_KEY)
    monkeypatch.setattr(clients, "DOCUMENTED", CallTimeouts.all_at(TIMEOUT_S))


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    return caplog


@dataclass
class Seen:
    """Everything the app showed, stored or logged, by where it was seen."""

    texts: dict[str, str] = field(default_factory=dict)

    def add(self, where: str, response: httpx.Response) -> httpx.Response:
        assert response.status_code < 500, (where, response.text)
        self.texts[where] = f"{response.headers}\n{response.text}"
        return response

    def add_store(self, db: Path) -> None:
        for file in db.parent.glob(db.name + "*"):  # the database, its WAL and shared memory
            self.texts[f"the database file {file.name}"] = file.read_bytes().decode("latin-1")

    def add_logs(self, caplog: pytest.LogCaptureFixture) -> None:
        records = [
            f"{r.name} {r.levelname} {r.getMessage()} {r.exc_text or ''} {r.args!r}"
            for r in caplog.records
        ]
        assert records, "nothing was logged"
        self.texts["the log"] = caplog.text + "\n".join(records)

    def assert_no_secret(self) -> None:
        for where, text in self.texts.items():
            for name, secret in SECRETS.items():
                assert secret not in text, f"{name} appears in {where}"


async def look_everywhere(
    seen: Seen, app: Starlette, client: httpx.AsyncClient, run_id: str
) -> dict[str, Any]:
    """Every page, fragment, stream and API answer about the run; its API document."""
    get = client.get
    for url in (
        "/",
        "/runs",
        "/monitors",
        "/settings",
        f"/runs/{run_id}",
        f"/runs/{run_id}/events",
        f"/runs/{run_id}/leads.csv",
        "/api/runs",
        f"/api/runs/{run_id}",
        f"/api/runs/{run_id}/events",
        f"/api/runs/{run_id}/leads",
    ):
        seen.add(url, await get(url))
    preview = {"goal": GOAL, "places_provider": "google", "email_provider": "hunter"}
    seen.add("the preview", await client.post("/plan", data=preview))
    for monitor in await app.state.monitors.monitors.list_monitors():
        base = f"/monitors/{monitor.monitor_id}"
        seen.add("a monitor run now", await client.post(f"{base}/run", headers=HTMX))
    seen.add("the monitors after", await get("/monitors"))
    seen.add("a retry", await client.post(f"/runs/{run_id}/retry"))
    document: dict[str, Any] = (await get(f"/api/runs/{run_id}")).json()
    return document


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
async def test_no_key_appears_anywhere_whatever_the_providers_answer(
    tmp_path: Path,
    logs: pytest.LogCaptureFixture,
    live_host: tuple[FakeHost, str],
    case: Case,
) -> None:
    db = tmp_path / "secrets.db"
    seen = Seen()
    google = google_places_app(script=case.google)
    hunter = hunter_app(domains=hunter_people(), script={"domain-search": list(case.hunter)})
    with ExitStack() as stack:
        settings = fast_settings(
            str(db),
            google_places_api_key=GOOGLE_KEY,
            hunter_api_key=HUNTER_KEY,
            email_providers="hunter",  # the fake web is not here: no site is read
            google_places_url=provider_url(stack, live_host, google, case.google_at),
            hunter_url=provider_url(stack, live_host, hunter, case.hunter_at),
            smtp_url=f"smtp://{SMTP_LOGIN}@127.0.0.1:1",
            retry_max_retries=1,
        )
        async with serve(settings) as (app, client):
            body = {"goal": GOAL, "email": True, "monitoring": True}
            created = seen.add("the new run", await client.post("/api/runs", json=body))
            run_id = created.json()["runId"]
            await app.state.manager.wait(run_id)
            # the keys were in play: each fake the run reached was sent its key
            to_google = {r.headers["x-goog-api-key"] for r in google_fake.received(google)}
            to_hunter = {r.headers["x-api-key"] for r in hunter.state.received}
            document = await look_everywhere(seen, app, client, run_id)
    seen.add_store(db)
    seen.add_logs(logs)

    step = next(s for s in document["steps"] if s["stepId"] == case.step)
    assert step["status"] == case.expected, step
    assert (step["errorMessage"] or "").strip() or case.expected == "succeeded"
    assert to_google == (set() if case.google_at else {GOOGLE_KEY})
    assert to_hunter == ({HUNTER_KEY} if case.step != G and not case.hunter_at else set())
    seen.assert_no_secret()


async def test_no_smtp_password_appears_when_mail_is_sent_refused_or_unreachable(
    tmp_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    """Sending over SMTP: to a server that takes the password, one that refuses it, one that is
    not there, and with a URL that cannot be read at all."""
    db = tmp_path / "mail.db"
    seen = Seen()
    handler = Capture()
    async with (
        smtp_server(handler, password=SMTP_PASSWORD) as good,
        smtp_server(Capture(), password="another-password") as refusing,
    ):
        targets = {
            "accepts": f"127.0.0.1:{good}",
            "refuses the login": f"127.0.0.1:{refusing}",
            "is not there": f"127.0.0.1:{free_port()}",
            "is unreadable": "127.0.0.1:not-a-port",
        }
        for name, target in targets.items():
            url = f"smtp://{SMTP_LOGIN}@{target}"
            settings = fast_settings(str(db), smtp_url=url, google_places_api_key=GOOGLE_KEY)
            async with serve(settings) as (app, client):
                run = {"goal": GOAL, "email": True, "places_provider": "demo"}
                run_id = seen.add(name, await client.post("/api/runs", json=run)).json()["runId"]
                await app.state.manager.wait(run_id)
                [sequence] = await app.state.store.outbox.overviews_for_run(run_id)
                send = f"/runs/{run_id}/sequences/{sequence.sequence_id}/send"
                answer = await client.post(send, data={"step": "1"}, headers=HTMX)
                seen.add(f"sending when the server {name}", answer)
                seen.add(
                    f"the run page when the server {name}", await client.get(f"/runs/{run_id}")
                )
                if name == "refuses the login":
                    assert "refused the login" in answer.text
                if name == "is unreadable":
                    assert answer.status_code == 409
    seen.add_store(db)
    seen.add_logs(logs)

    assert handler.envelopes, "the server that takes the password received nothing"
    seen.assert_no_secret()
