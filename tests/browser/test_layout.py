"""No page scrolls sideways on a wide screen, a laptop, a tablet or a phone: the goal form with
its plan, a finished run, two runs compared, the history, the monitors, the outbox and the
settings, in Debian's Chromium."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import BrowserLog, LiveServer, sign_in
from tests.browser.test_dashboard import Api, create_run, wait_for_run

pytestmark = pytest.mark.asyncio(loop_scope="module")
expect.set_options(timeout=20_000)

WIDTHS = (1440, 1024, 768, 390)
GOAL = "Find 12 coffee shops in Manchester, email them and monitor for new ones"
OTHER_GOAL = "Find 15 coffee shops in Manchester"  # to compare the first with
LONG_WORD = "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch"  # 58 letters

# How far the page reaches past the window, and the widest element that makes it so.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const clipped = (element) => {
    for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  let widest = null;
  for (const element of document.body.querySelectorAll("*")) {
    if (clipped(element)) continue;  // inside a region that scrolls on its own
    const box = element.getBoundingClientRect();
    if (box.right > width + 1 && (!widest || box.right > widest.right)) {
      widest = {right: box.right, what: element.tagName + "#" + element.id + "." +
        element.className.toString().slice(0, 40)};
    }
  }
  return {over: document.documentElement.scrollWidth - width, widest};
}"""


async def overflow(page: Page) -> dict[str, object]:
    measured: dict[str, object] = await page.evaluate(OVERFLOW)
    return measured


async def test_no_page_scrolls_sideways_at_any_width(
    page: Page, start_server: Callable[..., LiveServer], api: Api
) -> None:
    server = start_server(demo_latency_ms=0, google_places_api_key="k", hunter_api_key="h")
    async with api(server) as client:
        run_id, other = [await create_run(client, goal) for goal in (GOAL, OTHER_GOAL)]
        for run in (run_id, other):
            await wait_for_run(client, run, lambda run: run["status"] not in ("pending", "running"))
    await sign_in(page, server)
    wide: dict[str, dict[str, object]] = {}
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        await page.goto(f"{server.url}/")
        await page.fill("#goal", GOAL)
        await page.get_by_role("button", name="Plan", exact=True).click()
        await expect(page.locator("#preview svg g.node")).to_have_count(6)
        wide[f"the goal form and its plan at {width} px"] = await overflow(page)
        compare = f"/runs/{run_id}/compare/{other}"
        for path in (f"/runs/{run_id}", compare, "/runs", "/monitors", "/outbox", "/settings"):
            answer = await page.goto(f"{server.url}{path}")
            assert answer is not None and answer.ok, path
            wide[f"{path} at {width} px"] = await overflow(page)

    too_wide = {where: found for where, found in wide.items() if found["over"] != 0}
    assert too_wide == {}


# Each node's text that reaches past its box: (node, text, pixels past).
PAST_THEIR_NODE = """() => [...document.querySelectorAll('#preview svg g.node')].flatMap((g) => {
  const box = g.querySelector('rect').getBBox();
  return [...g.querySelectorAll('text')].map((t) => {
    const b = t.getBBox();
    return [g.id, t.textContent.trim(), Math.ceil(b.x + b.width - (box.x + box.width))];
  }).filter(([, , past]) => past > 0);
})"""


@pytest.mark.parametrize(
    "goal",
    [
        "Find 20 dentists in Leeds, email them and monitor for new ones",
        "Find 20 wholesale warehouse merchandisers in Wolverhampton and monitor for new ones",
        "Find 20 Mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm shops in Leeds",
    ],
    ids=["dentists", "wide-words", "one-long-word"],
)
async def test_graph_labels_stay_inside_their_nodes(
    page: Page, start_server: Callable[..., LiveServer], goal: str
) -> None:
    server = start_server(demo_latency_ms=0)
    await sign_in(page, server)
    await page.goto(f"{server.url}/")
    await page.fill("#goal", goal)
    await page.get_by_role("button", name="Plan", exact=True).click()
    await expect(page.locator("#preview svg g.node").first).to_be_visible()

    assert await page.evaluate(PAST_THEIR_NODE) == []


async def test_the_first_pages_a_new_user_meets_and_long_words_fit_every_width(
    page: Page, start_server: Callable[..., LiveServer], api: Api, browser_log: BrowserLog
) -> None:
    # Before anyone can log in: creating the first account; then the login page, a wrong
    # password's answer, a page that does not exist (its address in its message), and a run
    # whose goal has a word longer than a phone is wide.
    browser_log.expect(r"^console: Failed to load resource: .* status of (401|404) ")
    fresh = start_server(demo_latency_ms=0, with_account=False)
    server = start_server(demo_latency_ms=0)
    async with api(server) as client:
        long_run, long_too = [
            await create_run(client, f"Find {n} coffee shops near {LONG_WORD}") for n in (5, 6)
        ]
        for run in (long_run, long_too):
            await wait_for_run(client, run, lambda run: run["status"] not in ("pending", "running"))
    wide: dict[str, dict[str, object]] = {}
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        await page.goto(f"{fresh.url}/")
        await expect(page.get_by_role("heading", name="Create the first account")).to_be_visible()
        wide[f"the first account's form at {width} px"] = await overflow(page)
        await page.goto(f"{server.url}/login")
        wide[f"the login page at {width} px"] = await overflow(page)
        await page.fill("#username", server.username)
        await page.fill("#password", "not the password")
        await page.click("button[type=submit]:has-text('Log in')")
        await expect(page.locator("[role=alert], .error").first).to_be_visible()
        wide[f"a refused login at {width} px"] = await overflow(page)
    await sign_in(page, server)
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        answer = await page.goto(f"{server.url}/runs/run_{LONG_WORD}")
        assert answer is not None and answer.status == 404
        wide[f"a missing run at {width} px"] = await overflow(page)
        await page.goto(f"{server.url}/runs/{long_run}")
        wide[f"a run with a long word in its goal at {width} px"] = await overflow(page)
        await page.goto(f"{server.url}/runs/{long_run}/compare/{long_too}")
        wide[f"two such runs compared at {width} px"] = await overflow(page)
        await page.goto(f"{server.url}/runs")
        wide[f"the history with those runs at {width} px"] = await overflow(page)

    too_wide = {where: found for where, found in wide.items() if found["over"] != 0}
    assert too_wide == {}


async def test_on_a_phone_the_header_wraps_log_out_stays_on_screen_and_labels_stay_beside(
    page: Page, start_server: Callable[..., LiveServer]
) -> None:
    server = start_server(demo_latency_ms=0)
    await sign_in(page, server)
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(f"{server.url}/runs")

    log_out = page.get_by_role("button", name="Log out")
    await expect(log_out).to_be_visible()
    box = await log_out.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    # the history's filters keep each label beside its field
    for field in ("q", "status"):
        label = await page.locator(f"label[for={field}]").bounding_box()
        control = await page.locator(f"#{field}").bounding_box()
        assert label is not None and control is not None
        middle = label["y"] + label["height"] / 2
        assert control["y"] <= middle <= control["y"] + control["height"], field


async def test_a_long_lead_list_scrolls_in_its_own_box_not_the_whole_page(
    page: Page, start_server: Callable[..., LiveServer], api: Api
) -> None:
    server = start_server(demo_latency_ms=0)
    async with api(server) as client:
        # all the demo directory's coffee shops in Manchester (42): enough for a tall list
        run_id = await create_run(client, "Find 100 coffee shops in Manchester")
        await wait_for_run(client, run_id, lambda run: run["status"] not in ("pending", "running"))
        leads = (await client.get(f"/api/runs/{run_id}/leads")).json()["leads"]
    assert len(leads) >= 40
    await sign_in(page, server)
    await page.set_viewport_size({"width": 1440, "height": 900})
    await page.goto(f"{server.url}/runs/{run_id}")

    table = page.locator("#leads-table .table-wrap")
    await expect(page.locator("#leads-table tbody tr")).to_have_count(len(leads))
    height = await page.evaluate("document.documentElement.scrollHeight")
    assert height < 3000, f"the run's page is {height} px tall"
    # the list scrolls in its own box, its head row staying in view
    assert await table.evaluate("(box) => box.scrollHeight > box.clientHeight")
    await table.evaluate("(box) => { box.scrollTop = box.scrollHeight; }")
    head = await page.locator("#leads-table thead th").first.bounding_box()
    box = await table.bounding_box()
    assert head and box and abs(head["y"] - box["y"]) < 2
    # ... but on a wide screen not sideways: every column (business ... source) is in view
    await expect(page.locator("#leads-table thead th")).to_have_count(8)
    assert await table.evaluate("(box) => box.scrollWidth - box.clientWidth") == 0
