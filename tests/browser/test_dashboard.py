"""What a person sees in a real browser: the plan preview, a run going live, cancelling it, a
broken stream recovering, the history, and the CSV download."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import BrowserLog, LiveServer, TcpProxy, sign_in

pytestmark = pytest.mark.asyncio(loop_scope="module")
expect.set_options(timeout=20_000)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
GOAL = "Find 12 coffee shops in Manchester and email them"
WAIT_S = 20.0
Api = Callable[[LiveServer], httpx.AsyncClient]


async def create_run(client: httpx.AsyncClient, goal: str) -> str:
    response = await client.post("/api/runs", json={"goal": goal})
    assert response.status_code == 201, response.text
    run_id: str = response.json()["runId"]
    return run_id


async def run_document(client: httpx.AsyncClient, run_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/runs/{run_id}")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


async def wait_for_run(
    client: httpx.AsyncClient, run_id: str, done: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """Polls the API until `done(run)` holds for the stored run record."""
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while True:
        document = await run_document(client, run_id)
        if done(document["run"]):
            return document
        assert asyncio.get_running_loop().time() < deadline, f"run stuck: {document['run']}"
        await asyncio.sleep(0.05)


async def stored_event_seqs(client: httpx.AsyncClient, run_id: str) -> list[int]:
    """The ids of every event of a finished run, read from its JSON stream up to `done`."""
    seqs: list[int] = []
    async with client.stream("GET", f"/api/runs/{run_id}/events") as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("id:"):
                seqs.append(int(line[3:].strip()))
            elif line.strip() == "event: done":
                break
    return seqs


async def until_page(page: Page, condition: str) -> None:
    """Polls `condition` in the page until it holds."""
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while not await page.evaluate(condition):
        assert asyncio.get_running_loop().time() < deadline, f"never true: {condition}"
        await asyncio.sleep(0.02)


async def page_step_states(page: Page) -> dict[str, str]:
    states: dict[str, str] = await page.evaluate(
        """Object.fromEntries(Array.from(document.querySelectorAll("#steps li"),
               (li) => [li.id.replace(/^step-/, ""), li.dataset.state]))"""
    )
    return states


async def seen(page: Page) -> dict[str, Any]:
    recorded: dict[str, Any] = await page.evaluate("window.__seen")
    return recorded


async def test_plan_preview_then_watch_the_run_go_live(
    page: Page, start_server: Callable[..., LiveServer]
) -> None:
    server = start_server(demo_latency_ms=400)
    await sign_in(page, server)
    await page.goto(f"{server.url}/")
    await page.evaluate("window.__marker = 1")

    await page.fill("#goal", GOAL)
    await page.get_by_role("button", name="Plan", exact=True).click()
    await expect(page.locator("#preview svg g.node")).to_have_count(5)
    await expect(page.locator("#f-region")).to_have_value("Manchester")
    await expect(page.locator("#f-persona")).to_have_value("coffee shops")
    await expect(page.locator("#f-volume")).to_have_value("12")
    assert page.url == f"{server.url}/"
    assert await page.evaluate("window.__marker") == 1, "the preview reloaded the page"

    await page.click("#start")
    await page.wait_for_url(re.compile(r"/runs/[^/?#]+$"))
    await page.evaluate("window.__marker = 2")

    await expect(page.locator("#run-status")).to_contain_text("succeeded")
    await expect(page.locator("#badge")).to_have_attribute("data-state", "finished")
    await expect(page.locator("#badge")).to_have_text("finished")
    steps = page.locator("#steps li")
    await expect(steps).to_have_count(5)
    await expect(page.locator("#steps li[data-state='succeeded']")).to_have_count(5)
    await expect(page.locator("#graph g.node.state-succeeded")).to_have_count(5)

    recorded = await seen(page)
    assert recorded["messages"] > 0, "no live update reached the page"
    assert any("running" in states for states in recorded["steps"]), recorded["steps"]
    # A step's update swaps only its own node and edges into the graph: they must stay SVG.
    assert recorded["swapped"], "no graph node was swapped in on its own"
    assert set(recorded["swapped"]) == {"http://www.w3.org/2000/svg"}, recorded["swapped"]
    nodes = {node for snapshot in recorded["nodes"] for node in snapshot}
    assert "svg running" in nodes and all(n.startswith("svg ") for n in nodes), nodes
    assert "live" in recorded["badge"], recorded["badge"]
    assert recorded["badge"][-1] == "finished"
    assert await page.evaluate("window.__marker") == 2, "the run page reloaded"
    # The email sequence the run drafted appeared live too, with its send buttons.
    await expect(page.locator("#sequences section.sequence")).to_have_count(1)
    await expect(page.locator("#sequences button.send-step").first).to_be_enabled()

    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "run-page.png"
    await page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 0


async def test_a_running_step_ticks_between_updates(
    page: Page, start_server: Callable[..., LiveServer], api: Api
) -> None:
    server = start_server(demo_latency_ms=60_000)  # no update comes while the test looks
    client = api(server)
    run_id = await create_run(client, "Find 10 dentists in Bristol")
    await sign_in(page, server)
    await page.goto(f"{server.url}/runs/{run_id}")
    running = page.locator("#step-google_places_1 .elapsed")
    await expect(running).to_have_count(1)
    header = page.locator("#run-elapsed")
    axis_end = page.locator("#timeline-end")
    first = (await header.text_content(), await running.text_content())
    first_end = await axis_end.text_content()
    # drawn up to now, not a sliver: the run's only attempt so far spans the timeline
    bar = page.locator("#timeline rect.state-running")
    assert float(await bar.get_attribute("width") or 0) > 500

    # the page counts on by itself, between the server's updates
    await expect(header).not_to_have_text(first[0] or "")
    await expect(running).not_to_have_text(first[1] or "")
    await expect(axis_end).not_to_have_text(first_end or "")  # the time axis lengthens
    assert re.fullmatch(r"\d+(\.\d)? s|\d+ ms", await header.text_content() or "")

    # once it ends, nothing ticks: the header says how long it took
    assert (await client.post(f"/api/runs/{run_id}/cancel")).status_code in (200, 202)
    await expect(page.locator("#run-status")).to_contain_text("cancelled")
    await expect(page.locator("[data-elapsed], [data-remaining], #timeline-span")).to_have_count(0)
    await expect(page.locator("#run-header")).to_contain_text("took")


async def test_a_run_waiting_for_a_slot_says_so_until_it_starts(
    page: Page, start_server: Callable[..., LiveServer], api: Api
) -> None:
    server = start_server(demo_latency_ms=60_000, max_runs=1)
    client = api(server)
    going = await create_run(client, "Find 10 dentists in Bristol")
    first_in_line = await create_run(client, "Find 10 florists in York")
    waiting = await create_run(client, "Find 10 bakers in Leeds")
    await sign_in(page, server)
    await page.goto(f"{server.url}/runs/{waiting}")
    await expect(page.locator("#run-waiting")).to_have_text("waiting for a free slot: 1 run ahead")
    await expect(page.locator("#badge")).to_have_attribute("data-state", "waiting")

    await client.post(f"/api/runs/{going}/cancel")  # the first in line starts: one fewer ahead
    await expect(page.locator("#run-waiting")).to_have_text("waiting for a free slot: next in line")
    await expect(page.locator("#badge")).to_have_attribute("data-state", "waiting")

    await client.post(f"/api/runs/{first_in_line}/cancel")  # a free slot: the run starts

    await expect(page.locator("#run-waiting")).to_have_count(0)
    await expect(page.locator("#badge")).to_have_attribute("data-state", "live")
    await expect(page.locator("#run-status")).to_contain_text("running")
    await client.post(f"/api/runs/{waiting}/cancel")
    await expect(page.locator("#badge")).to_have_attribute("data-state", "finished")


async def test_cancel_a_slow_run_from_its_page(
    page: Page, start_server: Callable[..., LiveServer], api: Api
) -> None:
    server = start_server(demo_latency_ms=5000)
    client = api(server)
    run_id = await create_run(client, "Find 10 dentists in Bristol")
    await sign_in(page, server)
    await page.goto(f"{server.url}/runs/{run_id}")
    await page.evaluate("window.__marker = 1")
    await expect(page.locator("#badge")).to_have_attribute("data-state", "live")
    await expect(page.locator("#steps li[data-state='running']")).to_have_count(1)

    asked: list[str] = []

    async def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        await (dialog.dismiss() if len(asked) == 1 else dialog.accept())

    cancels: list[str] = []
    page.on(
        "request", lambda request: cancels.append(request.url) if "/cancel" in request.url else None
    )
    page.on("dialog", answer)
    await page.click("#cancel")  # asked first, and the first answer is no: nothing is sent
    await page.evaluate("() => new Promise((done) => setTimeout(done, 0))")  # the click handled
    assert len(asked) == 1 and cancels == []
    await page.click("#cancel")  # yes
    assert asked and all(question.startswith("Cancel this run?") for question in asked)

    await expect(page.locator("#run-status")).to_contain_text("cancelled")
    await expect(page.locator("#badge")).to_have_attribute("data-state", "finished")
    await expect(page.locator("#cancel")).to_have_count(0)
    stored = await run_document(client, run_id)
    assert stored["run"]["status"] == "cancelled"
    expected = {step["stepId"]: step["status"] for step in stored["steps"]}
    assert set(expected.values()) == {"cancelled"}
    await expect(page.locator("#steps li[data-state='cancelled']")).to_have_count(len(expected))
    assert await page_step_states(page) == expected
    assert await page.evaluate("window.__marker") == 1, "the run page reloaded"


async def test_a_broken_stream_resumes_and_ends_on_the_true_state(
    page: Page,
    start_server: Callable[..., LiveServer],
    api: Api,
    proxy_to: Callable[[LiveServer], Any],
    browser_log: BrowserLog,
) -> None:
    server = start_server(demo_latency_ms=700)
    client = api(server)
    proxy: TcpProxy = await proxy_to(server)
    run_id = await create_run(client, GOAL)
    await sign_in(page, server)
    await page.goto(f"http://127.0.0.1:{proxy.port}/runs/{run_id}")
    await page.evaluate("window.__marker = 1")
    badge = page.locator("#badge")
    await expect(badge).to_have_attribute("data-state", "live")
    # (polled from here: wait_for_function evaluates a string, which the page's CSP forbids)
    await until_page(page, "window.__seen.messages >= 1")

    before = (await run_document(client, run_id))["run"]
    assert before["status"] == "running", "the run ended before the stream could be cut"
    # Cutting the connection is the point, and the browser says so: it logs the stream's failed
    # load (and any refused reconnect), and htmx logs the SSE extension's error event, which
    # it prints as "[object Event]". No other error may show.
    browser_log.expect(r"^console: Failed to load resource: net::ERR_\w+ \(\S+/runs/[^/]+/events")
    browser_log.expect(r"^console: \[object Event\] \(\S+/static/vendor/htmx-[\d.]+\.min\.js")
    proxy.cut()
    await expect(badge).to_have_attribute("data-state", "reconnecting")
    await expect(badge).to_have_text("reconnecting…")
    await wait_for_run(client, run_id, lambda run: run["lastSeq"] > before["lastSeq"])
    proxy.restore()

    await expect(page.locator("#run-status")).to_contain_text("succeeded")
    await expect(badge).to_have_attribute("data-state", "finished")
    stored = await run_document(client, run_id)
    assert stored["run"]["status"] == "succeeded"
    expected = {step["stepId"]: step["status"] for step in stored["steps"]}
    assert set(expected.values()) == {"succeeded"}
    assert await page_step_states(page) == expected

    seqs = await stored_event_seqs(client, run_id)
    assert seqs == list(range(1, stored["run"]["lastSeq"] + 1))
    shown = await page.locator("#event-log li").evaluate_all("(rows) => rows.map((r) => r.id)")
    assert shown == [f"ev-{seq}" for seq in seqs]

    leads = (await client.get(f"/api/runs/{run_id}/leads")).json()["leads"]
    assert leads, "the run saved no leads"
    names = await page.locator("#leads tbody tr td:first-child").all_inner_texts()
    assert sorted(names) == sorted(lead["businessName"] for lead in leads)
    assert await page.evaluate("window.__marker") == 1, "the run page reloaded"


async def test_find_runs_in_the_history_and_open_one(
    page: Page, start_server: Callable[..., LiveServer], api: Api
) -> None:
    server = start_server(demo_latency_ms=400)
    client = api(server)
    florists = await create_run(client, "Find 5 florists in Leeds")
    bakers = await create_run(client, "Find 7 bakers in York")
    cancel = await client.post(f"/api/runs/{bakers}/cancel")
    assert cancel.status_code == 202, cancel.text
    await wait_for_run(client, florists, lambda run: run["status"] == "succeeded")
    await wait_for_run(client, bakers, lambda run: run["status"] == "cancelled")

    await sign_in(page, server)
    await page.goto(f"{server.url}/runs")
    rows = page.locator(".run-row")
    await expect(rows).to_have_count(2)

    await page.fill("#q", "florists")
    await page.select_option("#status", "succeeded")
    await page.get_by_role("button", name="Show").click()
    await page.wait_for_url(f"{server.url}/runs?q=florists&status=succeeded")
    await expect(rows).to_have_count(1)
    await expect(rows).to_contain_text("Find 5 florists in Leeds")
    await expect(rows.locator(".chip")).to_contain_text("succeeded")

    await page.fill("#q", "florists")
    await page.select_option("#status", "cancelled")
    await page.get_by_role("button", name="Show").click()
    await page.wait_for_url(f"{server.url}/runs?q=florists&status=cancelled")
    await expect(rows).to_have_count(0)
    # The counts are per state for the search alone: they point at the florists' other run.
    await expect(page.locator(".counts").get_by_role("link")).to_have_text(["1 succeeded"])

    await page.fill("#q", "bakers")
    await page.get_by_role("button", name="Show").click()
    await page.wait_for_url(f"{server.url}/runs?q=bakers&status=cancelled")
    await expect(rows).to_have_count(1)
    await expect(rows.locator(".chip")).to_contain_text("cancelled")

    await rows.get_by_role("link", name="Find 7 bakers in York").click()
    await page.wait_for_url(f"{server.url}/runs/{bakers}")
    await expect(page.locator("#run-status")).to_contain_text("cancelled")
    await expect(page.locator("#run-header h1")).to_have_text("Find 7 bakers in York")


async def test_download_the_leads_as_csv(
    page: Page, start_server: Callable[..., LiveServer], api: Api, tmp_path: Path
) -> None:
    server = start_server(demo_latency_ms=0)
    client = api(server)
    run_id = await create_run(client, GOAL)
    await wait_for_run(client, run_id, lambda run: run["status"] == "succeeded")
    await sign_in(page, server)
    await page.goto(f"{server.url}/runs/{run_id}")
    table_rows = page.locator("#leads tbody tr")
    await expect(table_rows).not_to_have_count(0)

    async with page.expect_download() as info:
        await page.get_by_role("link", name="Download CSV").click()
    download = await info.value
    # named after the goal and the day it was run
    assert re.fullmatch(
        r"12-coffee-shops-in-manchester-and-email-them-leads-\d{4}-\d\d-\d\d\.csv",
        download.suggested_filename,
    )
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)

    header, *rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert header[:4] == ["Business Name", "Category", "Website", "Domain"]
    assert "Email" in header
    assert len(rows) == await table_rows.count()
    names = await page.locator("#leads tbody tr td:first-child").all_inner_texts()
    assert sorted(row[0] for row in rows) == sorted(names)
