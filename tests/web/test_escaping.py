"""What a user types comes back as text on every page (never markup) and as data in the CSV
(never a formula); markup in a goal is refused outright."""

from __future__ import annotations

import csv
import html
import io
import re
from urllib.parse import quote

import httpx
import pytest
from starlette.applications import Starlette

from tests.web.helpers import client_for, field_value, finished_run, parse_sse, run_ids
from tests.web.hostile import (
    ATTRIBUTE,
    ENTITIES,
    MARKUP,
    assert_inert,
    graph_titles,
    visible_text,
)

GOAL = 'Find 3 "coffee" shops & bakeries <b in Leeds'
GOAL_TEXT = "Find 3 cafes in Leeds"
PERSONA = '=HYPERLINK("x")'
REGION = '=HYPERLINK("y") O\'Brien & Sons <b'
RAW = ("<b in", "Sons <b", '"coffee"', "O'Brien", 'hyperlink("x")', 'HYPERLINK("y")')


def assert_only_escaped(page: str, where: str) -> None:
    for raw in RAW:
        assert raw not in page, f"{raw!r} unescaped in {where}"


async def test_markup_in_a_goal_is_refused(client: httpx.AsyncClient) -> None:
    goal = '"><img src=x onerror=alert(1)>'
    for response in [
        await client.post("/plan", data={"goal": goal}),
        await client.post("/runs", data={"goal": goal}),
        await client.post("/api/runs", json={"goal": goal}),
    ]:
        assert response.status_code == 422
        assert "HTML markup" in response.text
        assert "<img" not in response.text
    assert await run_ids(client) == []


async def test_what_the_user_typed_is_escaped_on_every_page(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client, GOAL, persona=PERSONA, region=REGION)
    form = {"goal": GOAL, "overrides": "1", "persona": PERSONA, "region": REGION, "volume": "3"}

    pages = {
        "the preview": (await client.post("/plan", data=form)).text,
        "the home page": (await client.get("/")).text,
        "the history": (await client.get("/runs")).text,
        "the run page": (await client.get(f"/runs/{run_id}")).text,
        "the live updates": (await client.get(f"/runs/{run_id}/events")).text,
    }

    for where, page in pages.items():
        assert_only_escaped(page, where)
        assert "Find 3 &#34;coffee&#34; shops &amp; bakeries &lt;b in Leeds" in page, where
    for where in ("the preview", "the run page", "the live updates"):
        assert "O&#39;Brien &amp; Sons &lt;b" in pages[where], where
        assert "hyperlink(&#34;x&#34;)" in pages[where].lower(), where


async def test_what_the_user_typed_cannot_become_a_formula_in_the_csv(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client, GOAL, persona=PERSONA, region=REGION)

    rows = list(csv.reader(io.StringIO((await client.get(f"/runs/{run_id}/leads.csv")).text)))

    header, *leads = rows
    assert leads
    city = header.index("City")
    assert {lead[city] for lead in leads} == {"'" + REGION}
    for lead in leads:
        for cell in lead:
            assert not cell.startswith(("=", "+", "@")), cell


# -- every entry point, every field, every payload --------------------------------------------

HTMX = {"HX-Request": "true"}


def form_with(field: str, value: str) -> dict[str, str]:
    """The preview form as the browser sends it back, with `value` typed into `field`."""
    form = {"goal": "Find 3 cafes in Leeds", "overrides": "1", "volume": "3"}
    form.update({"persona": "cafes", "region": "Leeds", "country": "GB"})
    form[field] = value
    return form


@pytest.mark.parametrize("payload", MARKUP)
@pytest.mark.parametrize("field", ["goal", "persona", "region", "country"])
async def test_markup_is_refused_in_every_field_of_every_entry_point(
    client: httpx.AsyncClient, field: str, payload: str
) -> None:
    form = form_with(field, payload)
    pages = {
        "the preview": await client.post("/plan", data=form),
        "the preview fragment": await client.post("/plan", data=form, headers=HTMX),
        "the start form": await client.post("/runs", data=form),
    }
    api = await client.post("/api/runs", json={"goal": "Find 3 cafes in Leeds", field: payload})

    for where, response in pages.items():
        assert response.status_code == 422, where
        assert_inert(response.text, where)
        if field != "goal":  # the field comes back as the user typed it, as text
            assert field_value(response.text, field) == payload, where
    assert api.status_code == 422
    assert api.headers["content-type"] == "application/json"
    assert api.json()["error"]["field"] == field
    assert await run_ids(client) == []


async def test_plain_words_that_look_like_markup_come_back_as_the_same_text(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    fields = {"persona": ATTRIBUTE, "region": ENTITIES, "email": True, "monitoring": True}
    run_id = await finished_run(app, client, "Find 3 cafes in Leeds", **fields)
    goal = (await client.get(f"/api/runs/{run_id}")).json()["run"]["plan"]["goal"]
    persona, region = goal["targetPersona"], goal["targetRegion"]
    assert (persona, region) == (ATTRIBUTE, ENTITIES.rstrip(";"))  # as typed, not decoded
    form = form_with("persona", persona) | {"region": region, "email": "on", "monitoring": "on"}

    pages = {
        "the preview": (await client.post("/plan", data=form)).text,
        "the preview fragment": (await client.post("/plan", data=form, headers=HTMX)).text,
        "the run page": (await client.get(f"/runs/{run_id}")).text,
        "the monitors": (await client.get("/monitors")).text,
    }
    updates = parse_sse((await client.get(f"/runs/{run_id}/events")).text)

    for where, page in pages.items():
        assert_inert(page, where)
    for message in updates:
        assert_inert(message.data, f"the live update {message.id}")
    assert {message.event for message in updates} == {"update", "done"}
    for where in ("the preview", "the run page"):
        # the plan graph's SVG parses, and its tooltips say what the user typed, as text
        titles = graph_titles(pages[where])
        assert titles["google_places_1"].startswith(f"Find {persona} in {region} ("), where
    assert f"Outreach: {persona} in {region}" in visible_text(pages["the run page"])
    assert persona in visible_text(pages["the monitors"])
    assert region in visible_text(pages["the monitors"])
    assert f"Find {persona} in {region}" in visible_text("".join(m.data for m in updates))


@pytest.mark.parametrize("payload", [*MARKUP, ATTRIBUTE])
async def test_the_history_search_and_filters_come_back_as_text(
    app: Starlette, client: httpx.AsyncClient, payload: str
) -> None:
    await finished_run(app, client)

    page = await client.get("/runs", params={"q": payload})
    api = await client.get("/api/runs", params={"q": payload})
    bad_cursor = await client.get("/runs", params={"q": payload, "cursor": payload})
    bad_status = await client.get("/runs", params={"q": payload, "status": payload})
    api_bad_status = await client.get("/api/runs", params={"status": payload})

    assert page.status_code == 200
    assert_inert(page.text, "the history")
    match = re.search(r'<input id="q" name="q" type="search" value="([^"]*)"', page.text)
    assert match and html.unescape(match.group(1)) == payload
    assert "No runs match this search." in page.text
    assert api.status_code == 200 and api.json()["runs"] == []
    assert bad_cursor.status_code == 400
    assert_inert(bad_cursor.text, "a bad cursor's page")
    assert bad_status.status_code == 400  # the state named in its message, as text
    assert_inert(bad_status.text, "a bad state's page")
    assert api_bad_status.json()["error"]["code"] == "bad_status"


async def test_addresses_and_values_that_quote_what_was_sent_answer_with_text(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client, email=True)
    [sequence] = await app.state.store.outbox.overviews_for_run(run_id)
    for payload in (*MARKUP, ATTRIBUTE):
        bad = quote(payload, safe="")
        pages = {
            "a run": await client.get(f"/runs/{bad}"),
            "a run's stream": await client.get(f"/runs/{bad}/events"),
            "a run's CSV": await client.get(f"/runs/{bad}/leads.csv"),
            "an action": await client.post(f"/runs/{bad}/cancel"),
            "an action's name": await client.post(f"/runs/{run_id}/{bad}"),
            "a retried step": await client.post(f"/runs/{run_id}/retry", data={"step": payload}),
            "a stream's cursor": await client.get(f"/runs/{run_id}/events?after={bad}"),
            "a stream's event id": await client.get(
                f"/runs/{run_id}/events", headers={"Last-Event-ID": quote(payload)}
            ),
            "a monitor": await client.post(f"/monitors/{bad}/pause"),
            "a sequence": await client.post(
                f"/runs/{run_id}/sequences/{bad}/send", data={"step": "1"}
            ),
            "a sequence step": await client.post(
                f"/runs/{run_id}/sequences/{sequence.sequence_id}/send",
                data={"step": payload},
                headers=HTMX,
            ),
            "a provider": await client.post(
                "/plan", data={"goal": GOAL_TEXT, "places_provider": payload}
            ),
            "a budget": await client.post(
                "/plan", data={"goal": GOAL_TEXT, "budget_requests": payload}
            ),
        }
        apis = {
            "a run": await client.get(f"/api/runs/{bad}"),
            "a run's leads": await client.get(f"/api/runs/{bad}/leads"),
            "a stream's cursor": await client.get(f"/api/runs/{run_id}/events?after={bad}"),
            "a provider": await client.post(
                "/api/runs", json={"goal": GOAL_TEXT, "email_provider": payload}
            ),
            "a budget": await client.post(
                "/api/runs", json={"goal": GOAL_TEXT, "budget": {"credits": payload}}
            ),
            "a limit": await client.get("/api/runs", params={"limit": payload}),
        }

        for where, response in pages.items():
            assert 400 <= response.status_code < 500, (where, response.status_code)
            assert response.headers["content-type"].startswith("text/html"), where
            assert_inert(response.text, f"{where} ({payload!r})")
        for where, response in apis.items():
            assert 400 <= response.status_code < 500, (where, response.status_code)
            assert response.headers["content-type"] == "application/json", where
            assert set(response.json()["error"]) >= {"code", "message"}, where


@pytest.mark.parametrize("payload", [*MARKUP, ATTRIBUTE])
async def test_names_typed_on_the_account_pages_come_back_as_text(
    app: Starlette, client: httpx.AsyncClient, payload: str
) -> None:
    made = await client.post("/settings/tokens", data={"name": payload})
    assert made.status_code == 303
    pages = {
        "a new token": await client.get("/settings"),  # where the redirect shows it, once
        "a new person": await client.post(
            "/settings/users", data={"username": payload, "password": "long enough password"}
        ),
        "the settings": await client.get("/settings"),
    }
    async with client_for(app, None) as stranger:
        pages["the login page"] = await stranger.get("/login", params={"next": payload})
        pages["a failed login"] = await stranger.post(
            "/login", data={"username": payload, "password": "wrong", "next": payload}
        )

    for where, response in pages.items():
        assert response.status_code < 500, where
        assert_inert(response.text, f"{where} ({payload!r})")
    assert payload in visible_text(pages["a new token"].text)
    assert field_value_of(pages["a failed login"].text, "username") == payload


def field_value_of(page: str, name: str) -> str:
    """The value of the input named `name`, as the browser reads it."""
    match = re.search(rf'<input id="{name}" name="{name}" value="([^"]*)"', page)
    assert match, f"no field {name}"
    return html.unescape(match.group(1))
