"""What a user types comes back as text on every page (never markup) and as data in the CSV
(never a formula); markup in a goal is refused outright."""

from __future__ import annotations

import csv
import io

import httpx
from starlette.applications import Starlette

from tests.web.helpers import finished_run, run_ids

GOAL = 'Find 3 "coffee" shops & bakeries <b in Leeds'
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
