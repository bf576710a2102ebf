"""GET /runs/{id}: a run's page at a glance; its CSV; the health check."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import httpx
from starlette.applications import Starlette

from tests.waiting import until, until_async
from tests.web.helpers import GOAL, fast_settings, finished_run, run_id_of, serve
from webapp.leads_csv import COLUMNS
from webapp.web.pages import csv_file_name
from webapp.web.run_view import RunView, funnel


async def test_a_finished_run_page_shows_graph_steps_timeline_log_and_leads(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client, email=True)
    document = (await client.get(f"/api/runs/{run_id}")).json()
    leads = (await client.get(f"/api/runs/{run_id}/leads")).json()["leads"]

    response = await client.get(f"/runs/{run_id}")

    assert response.status_code == 200
    page = response.text
    assert f"<h1>{GOAL}</h1>" in page
    nodes = re.findall(r'<g class="node state-(\w+)" id="node-(\w+)"', page)
    assert [step for _, step in nodes] == [step["stepId"] for step in document["steps"]]
    assert {state for state, _ in nodes} == {"succeeded"}
    assert page.count('<text x="12" y="73" class="node-state">✓ succeeded</text>') == 5
    assert '<span class="chip state-succeeded" id="run-status">✓ succeeded</span>' in page
    assert '<span class="counts" id="run-counts">5 succeeded</span>' in page
    # the timeline, by the steps' names (their ids as titles)
    assert len(re.findall(r'<span class="bar-label" title="\w+">[^<]+</span>', page)) == 5
    # its time axis: from the run's start to its last attempt's end
    axis = re.search(
        r'<span>0 s</span><span id="timeline-mid">([^<]+)</span>'
        r'<span id="timeline-end">([^<]+)</span>',
        page,
    )
    assert axis and re.fullmatch(r"[\d.]+ (ms|s)", axis.group(2))
    last_seq = document["run"]["lastSeq"]
    assert re.findall(r'<li id="ev-(\d+)"', page) == [str(n) for n in range(1, last_seq + 1)]
    assert "PLAN_COMPLETED" in page
    assert leads and len(re.findall(r"<tr>", page)) == len(leads) + 1  # and the head row
    for label in ("Places found", "With a website", "Domains", "Emails", "Verified"):
        assert label in page
    assert f'href="/runs/{run_id}/leads.csv"' in page and "Download CSV" in page
    assert "Demo data" in page


async def test_the_funnel_counts_what_the_steps_found_on_the_page_and_live(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client, goal="Find 20 coffee shops in Manchester")
    outputs = {
        step["tool"]: step["output"]
        for step in (await client.get(f"/api/runs/{run_id}")).json()["steps"]
    }
    places = outputs["GOOGLE_PLACES_SEARCH"]
    websites = sum(1 for place in places["businesses"] if place.get("website"))
    leads = (await client.get(f"/api/runs/{run_id}/leads")).json()["leads"]
    assert leads and len(leads) <= 20
    assert 0 < websites < places["count"]  # the demo directory has places without a site
    expected = [
        ("Places found", places["count"]),
        ("With a website", websites),
        ("Domains", outputs["HUNTER_DOMAIN_LOOKUP"]["withDomain"]),
        ("Emails", outputs["HUNTER_ENRICH"]["withEmail"]),
        ("Verified", outputs["HUNTER_ENRICH"]["verified"]),
        ("Saved in the list below", len(leads)),
    ]

    page = (await client.get(f"/runs/{run_id}")).text
    shown = re.findall(r'<li><span class="funnel-n">(\d+)</span> ([\w ]+)</li>', page)
    assert [(label, int(n)) for n, label in shown] == expected
    # what the list holds and left out adds up to the places found, and to the table's counts
    split = re.search(
        r"In the list: (\d+) with an email, (\d+) verified; not saved: (\d+) repeats of a "
        r"business already in it, (\d+) beyond the 20 asked for\.",
        page,
    )
    assert split is not None
    with_email, verified, repeats, over = (int(n) for n in split.groups())
    assert len(leads) + repeats + over == places["count"]
    assert with_email == sum(1 for lead in leads if lead["email"])
    assert verified == sum(1 for lead in leads if lead["emailStatus"] == "valid" and lead["email"])
    assert f"With an email ({with_email})" in page and f"Verified ({verified})" in page

    # A live page applies each step's success as it comes, with what the store digests of it,
    store = app.state.store
    snapshot = await store.runs.snapshot(run_id, digests=True)
    assert snapshot is not None
    live = RunView.from_snapshot(*snapshot)
    for step in live.steps.values():
        step.output = None
    for event in snapshot[2]:
        if event.type == "STEP_SUCCEEDED" and event.step_id:
            digest = await store.runs.step_output_digest(run_id, event.step_id)
            # ... the one this process made of the output when it recorded it (no read)
            assert store.runs.fresh_output_digest(run_id, event.seq) == (True, digest)
            live.apply(event, digest)
            if event.step_tool == "LEAD_LIST_SAVE":  # as the live page reads the saved list
                live.leads = await store.outputs.leads_for_run(run_id)
    assert funnel(live) == expected


async def test_a_finished_run_page_does_not_listen_for_updates(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client)

    page = (await client.get(f"/runs/{run_id}")).text

    assert "sse-connect" not in page
    assert 'data-state="finished"' in page
    assert 'id="cancel"' not in page


async def test_a_running_run_page_listens_from_the_event_it_shows(tmp_path: Path) -> None:
    # A minute per provider call: the run is still going while the test looks at it.
    settings = fast_settings(str(tmp_path / "web.db"), demo_latency_ms=60_000)
    async with serve(settings) as (_, client):
        run_id = run_id_of(await client.post("/runs", data={"goal": GOAL}))

        page = (await client.get(f"/runs/{run_id}")).text

        shown = re.search(r'data-last-seq="(\d+)"', page)
        assert shown is not None
        assert f'sse-connect="/runs/{run_id}/events?after={shown.group(1)}"' in page
        assert 'sse-close="done"' in page
        assert 'id="cancel"' in page


async def page_when(client: httpx.AsyncClient, run_id: str, state: str) -> str:
    """The run's page once one of its steps is in `state` (the store's threads keep going)."""

    async def reached() -> bool:
        steps = (await client.get(f"/api/runs/{run_id}")).json()["steps"]
        return any(step["status"] == state for step in steps)

    await until_async(reached, f"no step of {run_id} became {state}")
    return (await client.get(f"/runs/{run_id}")).text


async def test_a_running_step_and_run_show_how_long_they_have_been_going(tmp_path: Path) -> None:
    settings = fast_settings(str(tmp_path / "web.db"), demo_latency_ms=60_000)
    async with serve(settings) as (_, client):
        run_id = run_id_of(await client.post("/runs", data={"goal": GOAL}))

        page = await page_when(client, run_id, "running")

        # counted by the server when drawn, carried on by app.js (tests/browser)
        assert re.search(
            r'running for <span class="elapsed" id="run-elapsed" data-elapsed="[\d.]+">', page
        )
        row = re.search(r'<li id="step-google_places_1".*?</li>', page, re.DOTALL)
        assert row and re.search(
            r'running for <span class="elapsed" data-elapsed="[\d.]+">', row.group()
        )
        assert re.search(r'<span class="bar-time"[^>]* data-elapsed="[\d.]+">', page)
        assert re.search(r'<rect class="run-seg state-running"[^>]* data-grow="[\d.]+">', page)
        assert "0 ms</span>" not in page.split('id="timeline"')[1].split("</svg>")[0]


async def test_a_retrying_step_counts_down_to_its_next_try_without_alarm(tmp_path: Path) -> None:
    settings = fast_settings(
        str(tmp_path / "web.db"),
        demo_failure_rate=1,
        retry_max_retries=1,
        retry_base_delay_s=600,
        retry_max_delay_s=600,
    )
    async with serve(settings) as (_, client):
        run_id = run_id_of(await client.post("/runs", data={"goal": GOAL}))

        page = await page_when(client, run_id, "retrying")

        row = re.search(r'<li id="step-google_places_1".*?</li>', page, re.DOTALL)
        assert row is not None
        wait = re.search(
            r'next try in <span class="countdown" data-remaining="([\d.]+)">', row.group()
        )
        assert wait and 500 < float(wait.group(1)) <= 600
        assert '<p class="retry-reason">' in row.group() and 'class="error"' not in row.group()


async def test_a_run_waiting_for_a_slot_says_how_many_wait_before_it(tmp_path: Path) -> None:
    settings = fast_settings(str(tmp_path / "web.db"), demo_latency_ms=60_000, max_runs=1)
    async with serve(settings) as (app, client):
        going = run_id_of(await client.post("/runs", data={"goal": GOAL}))
        first, second = [
            run_id_of(await client.post("/runs", data={"goal": GOAL})) for _ in range(2)
        ]
        manager = app.state.manager
        await until(lambda: manager.runs_ahead(second) is not None, "the runs never waited")

        pages = [(await client.get(f"/runs/{run}")).text for run in (going, first, second)]

        assert 'id="run-waiting"' not in pages[0]
        waiting = r'<strong id="run-waiting" hx-get="/runs/{}/waiting" [^>]*>([^<]+)</strong>'
        assert re.findall(waiting.format(first), pages[1]) == [
            "waiting for a free slot: next in line"
        ]
        assert re.findall(waiting.format(second), pages[2]) == [
            "waiting for a free slot: 1 run ahead"
        ]
        assert (
            "asked for" in pages[2]
            and "started" not in pages[2].split('id="run-header"')[1].split("</div>")[0]
        )

        await client.post(f"/runs/{first}/cancel")  # it leaves the line at once
        await manager.wait(first)
        second_page = (await client.get(f"/runs/{second}")).text
        asked_again = (await client.get(f"/runs/{second}/waiting")).text
        assert "waiting for a free slot: next in line" in second_page
        assert re.findall(waiting.format(second), asked_again) == [
            "waiting for a free slot: next in line"
        ]
        await client.post(f"/runs/{second}/cancel")
        await manager.wait(second)
        over = (await client.get(f"/runs/{second}/waiting")).text
        assert over.strip() == '<strong id="run-waiting" hidden></strong>'  # it stops asking


async def test_an_unknown_run_is_a_helpful_not_found_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/runs/run_doesnotexist")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "There is no run &#39;run_doesnotexist&#39;." in response.text
    assert '<a href="/runs">see the history</a>' in response.text


async def test_the_leads_download_is_a_csv_with_one_row_per_lead(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client)
    leads = (await client.get(f"/api/runs/{run_id}/leads")).json()["leads"]

    response = await client.get(f"/runs/{run_id}/leads.csv")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    day = (await client.get(f"/api/runs/{run_id}")).json()["run"]["createdAt"][:10]
    named = f'attachment; filename="5-coffee-shops-in-manchester-leads-{day}.csv"'
    assert response.headers["content-disposition"] == named  # the goal and the day
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [header for header, _ in COLUMNS]
    assert len(rows) == len(leads) + 1
    assert sorted(row[0] for row in rows[1:]) == sorted(lead["businessName"] for lead in leads)


def test_a_csv_name_keeps_the_letters_of_an_accented_goal() -> None:
    name = csv_file_name("Find crème brûlée cafés in Zürich", "2026-12-06T10:00:00Z", "leads")

    assert name == "creme-brulee-cafes-in-zurich-leads-2026-12-06.csv"


async def test_the_csv_of_an_unknown_run_is_not_found(client: httpx.AsyncClient) -> None:
    response = await client.get("/runs/run_doesnotexist/leads.csv")

    assert response.status_code == 404
    assert "There is no run" in response.text


async def test_the_health_check_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "ok"
    assert isinstance(health["loopLagMaxMs"], float) and health["loopLagMaxMs"] >= 0


async def test_the_graph_names_whole_steps_their_provider_and_leads_to_them(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = await finished_run(app, client)
    page = (await client.get(f"/runs/{run_id}")).text

    # "Find coffee shops in Manchester": two lines, not cut at 21 characters
    assert 'class="node-label">Find coffee shops in</text>' in page
    assert 'class="node-label">Manchester</text>' in page
    assert 'class="node-tool">demo directory</text>' in page  # who serves it, not a tool id
    link = '<a href="#step-google_places_1" aria-label="Find coffee shops in Manchester, by '
    assert link in page
    assert 'id="step-google_places_1"' in page  # where the link leads


async def test_email_statuses_read_as_words(app: Starlette, client: httpx.AsyncClient) -> None:
    run_id = await finished_run(app, client, "Find 20 estate agents in Leeds")
    page = (await client.get(f"/runs/{run_id}")).text

    chips = re.findall(r'class="chip email-(\w+)" title="\w+">([^<]+)<', page)
    words = {"valid": "verified", "accept_all": "accepts all", "unknown": "not verified"}
    assert chips and all(text == words[status] for status, text in chips if status in words)
    assert "accept_all<" not in page
