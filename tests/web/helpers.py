"""What the web tests share: fast settings, the app served in-process, finished runs, and
small readers for event streams and pages."""

from __future__ import annotations

import contextlib
import functools
import html
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from argon2 import PasswordHasher
from starlette.applications import Starlette

from webapp.runtime.accounts import User
from webapp.settings import Settings
from webapp.store.accounts import UserRecord
from webapp.web.app import create_app
from webapp.web.auth import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE

GOAL = "Find 5 coffee shops in Manchester"


def fast_settings(db: str, **overrides: Any) -> Settings:
    """Settings on `db` with no demo latency and no backoff waits, blind to the environment."""
    values: dict[str, Any] = {
        "demo_latency_ms": 0,
        "retry_base_delay_s": 0,
        "retry_jitter": 0,
        "runs_per_minute": 10_000,
    }
    values.update(overrides)
    return Settings(_env_file=None, db=db, **values)


@contextlib.asynccontextmanager
async def serve(
    settings: Settings, *, raise_app_exceptions: bool = True, user: str | None = "alice"
) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    """The app with its lifespan (store open, RunManager started) and a client talking to it,
    logged in as `user` (an admin, made on the spot) with the form token a page would give it.
    `user=None`: a client nobody has logged in."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with client_for(app, user, raise_app_exceptions=raise_app_exceptions) as client:
            yield app, client


@functools.cache
def password_hash(password: str) -> str:
    """argon2 is slow on purpose: hash each test password once per test session."""
    return PasswordHasher().hash(password)


async def add_account(app: Starlette, username: str, *, admin: bool = True) -> User:
    """An account with password `password-of-<username>`, straight into the store."""
    record = UserRecord(
        user_id=f"usr_{username}",
        username=username,
        password_hash=password_hash(f"password-of-{username}"),
        is_admin=admin,
        created_at="2026-11-24T09:00:00Z",
    )
    await app.state.store.accounts.add_user(record)
    return User.of(record)


@contextlib.asynccontextmanager
async def client_for(
    app: Starlette,
    username: str | None,
    *,
    raise_app_exceptions: bool = True,
    address: str = "127.0.0.1",
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the served app at `address`, logged in as `username` (made if new) unless
    None. With LEADGEN_AUTH=off the client talks to 127.0.0.1, as that mode requires."""
    auth = app.state.auth
    local = not auth.enabled
    transport = httpx.ASGITransport(
        app=app, raise_app_exceptions=raise_app_exceptions, client=(address, 123)
    )
    base_url = "http://127.0.0.1" if local else "http://test"
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        binding = f"test-binding-{username or 'nobody'}-0123456789"
        client.cookies.set(CSRF_COOKIE, binding)
        client.headers[CSRF_HEADER] = auth.csrf_token(binding)
        if username is not None and not local:
            user = await app.state.auth.accounts.user_named(username)
            if user is None:
                user = await add_account(app, username)
            token = await auth.accounts.start_session(user)
            client.cookies.set(SESSION_COOKIE, auth.session_cookie(token))
        yield client


async def finished_run(
    app: Starlette, client: httpx.AsyncClient, goal: str = GOAL, **fields: Any
) -> str:
    """Start a run through the JSON API and wait until it is over; its id."""
    response = await client.post("/api/runs", json={"goal": goal, **fields})
    assert response.status_code == 201, response.text
    run_id: str = response.json()["runId"]
    await app.state.manager.wait(run_id)
    return run_id


async def run_ids(client: httpx.AsyncClient) -> list[str]:
    """Every run the store holds, newest first (through the API)."""
    response = await client.get("/api/runs", params={"limit": 200})
    assert response.status_code == 200
    return [run["runId"] for run in response.json()["runs"]]


def run_id_of(response: httpx.Response) -> str:
    """The run a 303 after starting (or retrying) one leads to."""
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert re.fullmatch(r"/runs/run_\w+", location), location
    return location.rsplit("/", 1)[1]


# -- event streams ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    id: str | None
    event: str
    data: str


def read_sse(lines: Iterable[str]) -> Iterator[Message]:
    """Messages of a text/event-stream, line by line: `id`, `event`, `data` (joined with
    newlines); comments such as `: ping` are ignored, as a browser does."""
    fields: dict[str, str] = {}
    data: list[str] = []
    for line in lines:
        if line == "":
            if fields or data:
                yield Message(fields.get("id"), fields.get("event", "message"), "\n".join(data))
            fields, data = {}, []
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "data":
                data.append(value)
            elif name in ("id", "event"):
                fields[name] = value


def parse_sse(text: str) -> list[Message]:
    return list(read_sse(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")))


def csrf_of(page: str) -> str:
    """The form token a page gives its forms and htmx."""
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert match, "the page has no form token"
    return match.group(1)


def create_first_account(client: httpx.Client, username: str = "owner") -> None:
    """Through the pages, as a person does on a fresh server: the first visit goes to /setup,
    which makes an admin and logs the client in. Later posts carry the page's form token."""
    page = client.get("/", follow_redirects=True)
    assert page.url.path == "/setup", page.url
    token = csrf_of(page.text)
    password = f"password-of-{username}"
    created = client.post(
        "/setup",
        data={"username": username, "password": password, "confirm": password, "csrf_token": token},
    )
    assert created.status_code == 303, created.text
    client.headers[CSRF_HEADER] = token


# -- pages ------------------------------------------------------------------------------------


def field_value(page: str, name: str) -> str:
    """The value of the preview form's text field `name`, as the browser reads it."""
    match = re.search(rf'<input id="f-{name}" name="{name}" value="([^"]*)"', page)
    assert match, f"no field {name}"
    return html.unescape(match.group(1))


def run_links(page: str) -> list[str]:
    """The runs a list on the page links to, in order."""
    return re.findall(r'<li class="run-row">.*?href="/runs/(run_\w+)"', page, re.DOTALL)
