"""A run says what it delivered against what it asked for ("5 of 5 leads (4 with an email, 3
verified)") on its page, in the history and from `leadgen show`; a run that saved none says
"No leads saved"."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from starlette.applications import Starlette

from tests.web.helpers import fast_settings, finished_run, serve
from webapp.core.leads import delivered_words


def test_the_words_for_what_a_run_delivered() -> None:
    assert delivered_words(83, 100, 67, 44) == "83 of 100 leads (67 with an email, 44 verified)"
    assert delivered_words(1, 1, 1, 0) == "1 of 1 lead (1 with an email, 0 verified)"
    assert delivered_words(0, 100, 0, 0) == "No leads saved"


async def test_the_run_page_and_the_history_say_what_was_delivered(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client, "Find 5 coffee shops in Manchester")
    leads = (await client.get(f"/api/runs/{run_id}/leads")).json()["leads"]
    with_email = sum(1 for lead in leads if lead.get("email"))
    verified = sum(1 for lead in leads if lead.get("email") and lead.get("emailStatus") == "valid")
    expected = f"{len(leads)} of 5 leads ({with_email} with an email, {verified} verified)"

    page = (await client.get(f"/runs/{run_id}")).text
    history = (await client.get("/runs")).text
    document = (await client.get(f"/api/runs/{run_id}")).json()["run"]

    assert re.search(rf'id="run-delivered">{re.escape(expected)}<', page)
    assert expected in history
    assert (document["leadsWanted"], document["leadsWithEmail"], document["leadsVerified"]) == (
        5,
        with_email,
        verified,
    )


async def test_a_run_that_saved_nothing_says_so(app: Starlette, client: httpx.AsyncClient) -> None:
    # a budget of one request: the places are found, the contact search is refused
    goal = "Find 5 coffee shops in Manchester"
    run_id = await finished_run(app, client, goal, budget={"requests": 1})

    page = (await client.get(f"/runs/{run_id}")).text
    history = (await client.get("/runs")).text

    why = "No leads saved: “Look up websites&#39; domains” failed (Budget reached"
    assert f'id="run-delivered">{why}' in page
    assert "No leads saved" in history
    assert "failed and skipped steps" in page  # a step failed: retrying it is offered


async def test_the_places_a_run_found_stay_visible_and_exportable_when_no_lead_was_saved(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    # a budget of two requests: the places are found and their domains looked up, then the
    # contact search is refused
    run_id = await finished_run(app, client, "Find 5 florists in Bath", budget={"requests": 2})
    page = (await client.get(f"/runs/{run_id}")).text
    download = await client.get(f"/runs/{run_id}/leads.csv")

    assert "This run saved no leads. The 10 places it found:" in page
    assert page.count("<tr>") >= 10
    assert f'href="/runs/{run_id}/leads.csv"' in page  # offered: there are places to give
    assert download.status_code == 200
    assert "florists-in-bath-places-found-" in download.headers["content-disposition"]
    assert len(download.text.strip().splitlines()) == 1 + 10  # the header and the places


async def test_a_run_that_found_nothing_has_no_csv_to_download(tmp_path: Path) -> None:
    failing = fast_settings(str(tmp_path / "f.db"), demo_failure_rate=1.0, retry_max_retries=0)
    async with serve(failing) as (app, client):
        run_id = await finished_run(app, client, "Find 5 florists in Bath")
        page = (await client.get(f"/runs/{run_id}")).text
        download = await client.get(f"/runs/{run_id}/leads.csv")

    assert "leads.csv" not in page and "Download CSV" not in page  # no button to a 404
    assert download.status_code == 404
    assert "no CSV to download" in download.text
    # the steps it skipped say which step stopped them by its name, not its id
    assert "Skipped because “Find florists in Bath” failed" in page
