"""The pages as assistive technology meets them, in Debian's Chromium: axe-core (the copy the
axe-playwright-python package ships, no CDN) finds no serious or critical violation on the goal
form with its plan, a run, two runs compared, the history, the monitors, the outbox and the
settings; and the run page tells a screen reader how the run goes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, expect

from tests.browser.conftest import LiveServer, sign_in
from tests.browser.test_dashboard import Api, create_run, wait_for_run

pytestmark = pytest.mark.asyncio(loop_scope="module")
expect.set_options(timeout=20_000)

GOAL = "Find 8 coffee shops in Manchester, email them and monitor for new ones"
OTHER_GOAL = "Find 12 coffee shops in Manchester"  # to compare the first with


async def serious_violations(page: Page) -> list[str]:
    results = await Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {node['target']}"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
        for node in violation["nodes"]
    ]


async def test_no_page_has_a_serious_accessibility_violation(
    page: Page, start_server: Callable[..., LiveServer], api: Api
) -> None:
    server = start_server(demo_latency_ms=0)
    async with api(server) as client:
        run_id, other = [await create_run(client, goal) for goal in (GOAL, OTHER_GOAL)]
        for run in (run_id, other):
            await wait_for_run(client, run, lambda run: run["status"] not in ("pending", "running"))
    await sign_in(page, server)
    found: dict[str, list[str]] = {}
    await page.goto(f"{server.url}/")
    await page.fill("#goal", GOAL)
    await page.get_by_role("button", name="Plan", exact=True).click()
    await expect(page.locator("#preview svg g.node")).to_have_count(6)
    found["the goal form and its plan"] = await serious_violations(page)
    compare = f"/runs/{run_id}/compare/{other}"
    for path in (f"/runs/{run_id}", compare, "/runs", "/monitors", "/outbox", "/settings"):
        answer = await page.goto(f"{server.url}{path}")
        assert answer is not None and answer.ok, path
        found[path] = await serious_violations(page)

    assert {where: seen for where, seen in found.items() if seen} == {}


async def test_the_page_is_easy_to_enter_and_says_where_you_are(
    page: Page, start_server: Callable[..., LiveServer]
) -> None:
    server = start_server(demo_latency_ms=0)
    await sign_in(page, server)
    await page.goto(f"{server.url}/")

    await expect(page.locator("#goal")).to_be_focused()  # the goal box, ready to type in
    await expect(page.locator("nav a[aria-current='page']")).to_have_text("New goal")
    await page.keyboard.press("Shift+Tab")  # back from the goal box: the skip link first
    await page.goto(f"{server.url}/runs")
    await expect(page.locator("nav a[aria-current='page']")).to_have_text("History")
    skip = page.get_by_role("link", name="Skip to the content")
    await expect(skip).to_have_attribute("href", "#main")


async def test_the_run_page_announces_steps_and_the_end_to_screen_readers(
    page: Page, start_server: Callable[..., LiveServer], api: Api
) -> None:
    server = start_server(demo_latency_ms=300)
    async with api(server) as client:
        run_id = await create_run(client, "Find 3 florists in Bath")
    await sign_in(page, server)
    await page.goto(f"{server.url}/runs/{run_id}")

    announce = page.locator("#announce")
    await expect(announce).to_have_attribute("aria-live", "polite")
    await expect(announce).to_contain_text("Run succeeded")
