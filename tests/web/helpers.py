"""What the web tests share: fast settings, the app served in-process, finished runs, and
small readers for event streams and pages."""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.applications import Starlette

from webapp.settings import Settings
from webapp.web.app import create_app

GOAL = "Find 5 coffee shops in Manchester"


def fast_settings(db: str, **overrides: Any) -> Settings:
    """Settings on `db` with no demo latency and no backoff waits, blind to the environment."""
    values: dict[str, Any] = {"demo_latency_ms": 0, "retry_base_delay_s": 0, "retry_jitter": 0}
    values.update(overrides)
    return Settings(_env_file=None, db=db, **values)


@contextlib.asynccontextmanager
async def serve(
    settings: Settings, *, raise_app_exceptions: bool = True
) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    """The app with its lifespan (store open, RunManager started) and a client talking to it."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield app, client


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


# -- pages ------------------------------------------------------------------------------------


def field_value(page: str, name: str) -> str:
    """The value of the preview form's text field `name`, as the browser reads it."""
    match = re.search(rf'<input id="f-{name}" name="{name}" value="([^"]*)"', page)
    assert match, f"no field {name}"
    return html.unescape(match.group(1))


def run_links(page: str) -> list[str]:
    """The runs a list on the page links to, in order."""
    return re.findall(r'<li class="run-row">.*?href="/runs/(run_\w+)"', page, re.DOTALL)
