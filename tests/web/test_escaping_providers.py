"""What a provider sends is data too: businesses named `<script>`, websites on `javascript:`
URLs, contacts whose titles are spreadsheet formulas and error messages with markup come back
as text on every page, update and stream, as inert links, and as quoted cells in the CSV. The
real clients talk to local fakes of Google Places and Hunter that serve such data."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.tools.fakes.google_places import GOOD_KEY, google_error, google_places_app
from tests.tools.fakes.hunter import TEST_KEY, hunter_app
from tests.tools.fakes.osm import FakeHost
from tests.tools.live_server import serving
from tests.web.helpers import fast_settings, parse_sse, serve
from tests.web.hostile import (
    ATTRIBUTE,
    ENTITIES,
    HYPERLINK,
    IMG,
    SCRIPT,
    assert_inert,
    scan,
    visible_text,
)
from webapp.web.templating import web_link

Served = tuple[Starlette, httpx.AsyncClient]
HTMX = {"HX-Request": "true"}
GOAL = "Find 5 cafes in Leeds"
EVIL_SITE = f"https://evil.example/{IMG}"
SPLIT_EVENT = "Two lines\n\nevent: done\ndata: <script>alert(3)</script>\nid: 999 Cafe"
NUMERIC = frozenset({"Latitude", "Longitude", "Rating", "Review Count", "Email Confidence"})


def place(number: int, name: str, website: str | None, **fields: Any) -> dict[str, Any]:
    locality = fields.pop("locality", "Leeds")
    found: dict[str, Any] = {
        "id": f"ChIJhostile{number}",
        "displayName": {"text": name, "languageCode": "en"},
        "formattedAddress": fields.pop("address", f"{number} Briggate, Leeds LS1 6HD, UK"),
        "addressComponents": [
            {"longText": locality, "shortText": locality, "types": ["postal_town"]},
            {"longText": "United Kingdom", "shortText": "GB", "types": ["country"]},
        ],
        "types": ["cafe"],
        "businessStatus": "OPERATIONAL",
        **fields,
    }
    if website:
        found["websiteUri"] = website
    return found


HOSTILE_PLACES = [
    place(1, SCRIPT, "javascript:alert(1)", nationalPhoneNumber=HYPERLINK, address=IMG),
    place(2, IMG, EVIL_SITE, locality="+1+1", primaryType=ATTRIBUTE),
    place(3, HYPERLINK, "data:text/html,<script>alert(1)</script>", address="-2+3"),
    place(4, SPLIT_EVENT, "java\tscript:alert(1)", primaryType="@SUM(A1)"),
    place(5, ENTITIES, "https://fine.example/"),
]
HOSTILE_CONTACT = {
    "value": f"{IMG}@evil.example",
    "type": "personal",
    "confidence": 99,
    "first_name": SCRIPT,
    "last_name": "\r=1+1",
    "position": "\t=1+1",
    "linkedin": "javascript:alert(1)",
    "verification": {"date": None, "status": "valid"},
}


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, str]]:
    """Google Places serving the hostile places (and one refusing every search with markup in
    its words) and Hunter knowing the hostile contact, on one server for the module."""
    refusing = google_places_app(
        script=[(400, google_error(400, "INVALID_ARGUMENT", f"Bad query {SCRIPT} {IMG}"))] * 9
    )
    domains = {"evil.example": [HOSTILE_CONTACT], "fine.example": []}
    host = FakeHost()
    with serving(host) as base_url, ExitStack() as stack:
        yield {
            "google": stack.enter_context(
                host.plugged(google_places_app(HOSTILE_PLACES), base_url)
            ),
            "refusing": stack.enter_context(host.plugged(refusing, base_url)),
            "hunter": stack.enter_context(host.plugged(hunter_app(domains=domains), base_url)),
        }


@pytest.fixture
async def served(tmp_path: Path, fakes: dict[str, str]) -> AsyncIterator[Served]:
    settings = fast_settings(
        str(tmp_path / "hostile.db"),
        google_places_api_key=GOOD_KEY,
        hunter_api_key=TEST_KEY,
        google_places_url=fakes["google"],
        hunter_url=fakes["hunter"],
        retry_max_retries=0,
        email_providers="hunter",  # the hostile sites are not served: no site is read
    )
    async with serve(settings) as pair:
        yield pair


async def hostile_run(app: Starlette, client: httpx.AsyncClient) -> str:
    body = {"goal": GOAL, "email": True, "monitoring": True}
    response = await client.post("/api/runs", json=body)
    assert response.status_code == 201, response.text
    run_id: str = response.json()["runId"]
    await app.state.manager.wait(run_id)
    return run_id


async def test_what_a_provider_sends_is_text_on_every_page_and_update(served: Served) -> None:
    app, client = served
    run_id = await hostile_run(app, client)
    run = (await client.get(f"/api/runs/{run_id}")).json()
    assert run["run"]["status"] == "succeeded", run
    [sequence] = await app.state.store.outbox.overviews_for_run(run_id)
    monitor = (await app.state.monitors.monitors.list_monitors())[0]

    pages = {
        "the run page": (await client.get(f"/runs/{run_id}")).text,
        "the monitors": (await client.get("/monitors")).text,
        "a monitor's row": (
            await client.post(f"/monitors/{monitor.monitor_id}/run", headers=HTMX)
        ).text,
        "a sequence sent": (
            await client.post(
                f"/runs/{run_id}/sequences/{sequence.sequence_id}/send",
                data={"step": "1"},
                headers=HTMX,
            )
        ).text,
    }
    updates = parse_sse((await client.get(f"/runs/{run_id}/events")).text)

    for where, page in pages.items():
        assert_inert(page, where)
    *changes, done = updates
    assert {m.event for m in changes} == {"update"} and done.event == "done"
    assert [m.id for m in changes] == [str(n) for n in range(1, len(changes) + 1)]
    for message in changes:
        assert_inert(message.data, f"the live update {message.id}")
    page = visible_text(pages["the run page"])
    for name in (SCRIPT, IMG, HYPERLINK, ENTITIES, " ".join(SPLIT_EVENT.split())):
        assert name in page, name
    sent = visible_text(pages["a sequence sent"])
    assert f"Hi {SCRIPT}," in sent and f"Sample message to {IMG}@evil.example" in sent
    # only the http(s) website is a link, with its address intact
    links = [link for link in scan(pages["the run page"]).links if not link.startswith(("/", "#"))]
    assert sorted(links) == [EVIL_SITE, "https://fine.example/"]


async def test_the_json_stream_and_api_carry_it_as_data(served: Served) -> None:
    app, client = served
    run_id = await hostile_run(app, client)

    stream = await client.get(f"/api/runs/{run_id}/events")
    leads = await client.get(f"/api/runs/{run_id}/leads")

    *events, done = parse_sse(stream.text)
    assert done.event == "done"
    assert [json.loads(m.data)["seq"] for m in events] == list(range(1, len(events) + 1))
    assert leads.headers["content-type"] == "application/json"
    names = {lead["businessName"] for lead in leads.json()["leads"]}
    assert {SCRIPT, IMG, HYPERLINK, ENTITIES, SPLIT_EVENT} <= names


async def test_a_provider_cannot_plant_a_formula_in_the_csv(served: Served) -> None:
    app, client = served
    run_id = await hostile_run(app, client)

    text = (await client.get(f"/runs/{run_id}/leads.csv")).text

    header, *rows = list(csv.reader(io.StringIO(text)))
    leads = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert len(leads) == len(HOSTILE_PLACES)
    for lead in leads.values():
        for column, cell in lead.items():
            if column not in NUMERIC:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\n")), (column, cell)
    assert leads["'" + HYPERLINK]["Address"] == "'-2+3"
    assert leads[SCRIPT]["Phone"] == "'" + HYPERLINK
    assert leads[IMG]["City"] == "'+1+1"
    assert leads[IMG]["Contact Title"] == "'\t=1+1"
    assert leads[IMG]["Contact Last Name"] == "'\r=1+1"
    assert leads[SPLIT_EVENT]["Category"] == "'@SUM(A1)"


async def test_a_providers_error_message_is_shown_as_text(
    tmp_path: Path, fakes: dict[str, str]
) -> None:
    settings = fast_settings(
        str(tmp_path / "refused.db"),
        google_places_api_key=GOOD_KEY,
        google_places_url=fakes["refusing"],
        retry_max_retries=0,
    )
    async with serve(settings) as (app, client):
        run_id = await hostile_run(app, client)
        page = (await client.get(f"/runs/{run_id}")).text
        updates = parse_sse((await client.get(f"/runs/{run_id}/events")).text)

    assert f"Bad query {SCRIPT} {IMG}" in visible_text(page)
    assert_inert(page, "the run page")
    for message in updates:
        assert_inert(message.data, f"the live update {message.id}")


@pytest.mark.parametrize(
    ("website", "link"),
    [
        ("https://fine.example/", "https://fine.example/"),
        (" HTTP://Fine.example/a?b=1 ", "HTTP://Fine.example/a?b=1"),
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)", None),
        ("java\tscript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("vbscript:msgbox(1)", None),
        ("//evil.example/", None),
        ("fine.example", "https://fine.example"),
        ("www.cafe.example/menu?x=1", "https://www.cafe.example/menu?x=1"),
        ("cafe", None),
        ("javascript:alert(1).example", None),
        ("evil.example\\@x", None),
        ("", None),
        (None, None),
    ],
)
def test_only_a_web_address_becomes_a_link(website: str | None, link: str | None) -> None:
    assert web_link(website) == link
