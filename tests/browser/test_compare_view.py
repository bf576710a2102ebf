"""Comparing two runs in Debian's Chromium: from the later run's page to the list of the leads
that are new and gone, with their counts."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import LiveServer, sign_in
from tests.browser.test_dashboard import Api, create_run, wait_for_run

pytestmark = pytest.mark.asyncio(loop_scope="module")
expect.set_options(timeout=20_000)


async def test_the_compare_view_lists_the_new_and_gone_leads_of_two_runs(
    page: Page, start_server: Callable[..., LiveServer], api: Api
) -> None:
    server = start_server(demo_latency_ms=0)
    async with api(server) as client:
        earlier = await create_run(client, "Find 5 coffee shops in Manchester")
        await wait_for_run(client, earlier, lambda run: run["status"] == "succeeded")
        later = await create_run(client, "Find 9 coffee shops in Leeds")
        await wait_for_run(client, later, lambda run: run["status"] == "succeeded")
        counts = (await client.get(f"/api/runs/{later}/compare/{earlier}")).json()["counts"]
    await sign_in(page, server)
    await page.goto(f"{server.url}/runs/{later}")

    await page.locator("#compare-with a").first.click()

    await expect(page.locator("h1")).to_have_text("What changed")
    await expect(page.locator("#leads-new tbody tr")).to_have_count(counts["new"])
    await expect(page.locator("#leads-gone tbody tr")).to_have_count(counts["gone"])
    await expect(page.locator("#count-new")).to_have_text(str(counts["new"]))
    assert counts["new"] == 9 and counts["gone"] == 5  # another city: every lead is new
