"""The leads table in Debian's Chromium: a 100-lead run's table sorts by a column's header,
filters by a tick and a search, pages, and keeps what was asked in the address bar."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import LiveServer, sign_in
from tests.browser.test_dashboard import Api, create_run, wait_for_run

pytestmark = pytest.mark.asyncio(loop_scope="module")
expect.set_options(timeout=20_000)


async def column(page: Page, index: int) -> list[str]:
    """The text of the `index`th cell (from 1) of each row the table shows."""
    cells: list[str] = await page.locator(
        f"#lead-results tbody tr td:nth-child({index})"
    ).all_inner_texts()
    return [cell.strip() for cell in cells]


async def test_the_leads_table_sorts_filters_searches_and_pages(
    page: Page, start_server: Callable[..., LiveServer], api: Api
) -> None:
    server = start_server(demo_latency_ms=0)
    async with api(server) as client:
        run_id = await create_run(client, "Find 100 gyms in England")
        await wait_for_run(client, run_id, lambda run: run["status"] == "succeeded")
        everything = (await client.get(f"/api/runs/{run_id}/leads")).json()
        verified = (await client.get(f"/api/runs/{run_id}/leads?verified=1")).json()
    assert everything["total"] > 50 and 0 < verified["matching"] < everything["total"]
    await sign_in(page, server)
    await page.goto(f"{server.url}/runs/{run_id}")
    count = page.locator("#lead-results .lead-count")
    await expect(count).to_have_text(f"Showing 1–50 of {everything['total']} leads saved")
    first_page = await column(page, 1)

    # sort: a click on "City" sorts A to Z, a second Z to A; the address bar follows
    city = page.locator("#lead-results th", has_text="City")
    await city.get_by_role("link").click()
    await expect(city).to_have_attribute("aria-sort", "ascending")
    cities = await column(page, 7)
    assert cities == sorted(cities, key=str.casefold) and len(set(cities)) > 1
    await expect(page).to_have_url(re.compile(r"sort=city"))
    await page.locator("#lead-results th", has_text="City").get_by_role("link").click()
    await expect(page.locator("#lead-results th", has_text="City")).to_have_attribute(
        "aria-sort", "descending"
    )
    cities = await column(page, 7)
    assert cities == sorted(cities, key=str.casefold, reverse=True)

    # filter: only the verified ones, as many as the API counts, still by city
    await page.get_by_label(re.compile(r"Verified \(\d+\)")).check()
    await expect(count).to_contain_text(f"of {verified['matching']} matching leads")
    assert set(await column(page, 4)) == {"verified"}
    cities = await column(page, 7)
    assert cities == sorted(cities, key=str.casefold, reverse=True)
    await expect(page).to_have_url(re.compile(r"verified=1.*sort=city&order=desc"))

    # search: one business by a part of its name
    wanted = verified["leads"][0]["businessName"]
    await page.get_by_role("searchbox", name="Search").fill(wanted)
    await expect(count).to_contain_text("Showing 1–1 of 1 matching lead")
    assert await column(page, 1) == [wanted]

    # a reload keeps what was asked, on the form and in the table
    await page.reload()
    await expect(page.get_by_role("searchbox", name="Search")).to_have_value(wanted)
    await expect(page.get_by_label(re.compile(r"Verified \(\d+\)"))).to_be_checked()
    assert await column(page, 1) == [wanted]

    # pages: clear everything, then the second page shows the other leads
    await page.get_by_role("link", name="Clear the search and filters").click()
    await expect(count).to_have_text(f"Showing 1–50 of {everything['total']} leads saved")
    await (
        page.get_by_role("navigation", name="Pages of leads")
        .get_by_role("link", name="Next →")
        .click()
    )
    await expect(count).to_contain_text(f"Showing 51–{everything['total']} of")
    second_page = await column(page, 1)
    assert second_page and not set(second_page) & set(first_page)
    await expect(page).to_have_url(re.compile(r"page=2"))
