"""A server restarted under a person watching a run: the page says the server is restarting
(its stream's last message), shows the run interrupted, and reconnects by itself to the
server that comes back."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import BrowserLog
from tests.faults.live_app import ServerProcess, start_local_run
from tests.tools.live_server import free_port
from webapp.web.shutdown import PAGE_MESSAGE

pytestmark = pytest.mark.asyncio(loop_scope="module")
expect.set_options(timeout=20_000)

GOAL = "Find 5 coffee shops in Manchester"
EXIT_LIMIT_S = 30


async def test_the_run_page_says_the_server_is_restarting_then_reconnects(
    page: Page, browser_log: BrowserLog, tmp_path: Path
) -> None:
    db, port = tmp_path / "restart.db", free_port()
    # a demo call that takes a minute: the run is still going when the server is stopped
    first = ServerProcess(db, tmp_path / "first.log", port=port, LEADGEN_DEMO_LATENCY_MS="60000")
    second: ServerProcess | None = None
    try:
        await asyncio.to_thread(first.wait_until_up)
        run_id = start_local_run(first.base_url, GOAL)
        await page.goto(f"{first.base_url}/runs/{run_id}")
        badge, notice = page.locator("#badge"), page.locator("#restarting")
        await expect(badge).to_have_attribute("data-state", "live")
        await expect(notice).to_be_hidden()

        # while the server is away, the browser's attempts to reconnect fail
        browser_log.expect(
            r"^console: Failed to load resource: net::ERR_\w+ \(\S+/runs/[^/]+/events"
        )
        browser_log.expect(r"^console: \[object Event\] \(\S+/static/vendor/htmx-[\d.]+\.min\.js")
        first.signal(signal.SIGTERM)
        await expect(notice).to_be_visible()
        await expect(notice).to_have_text(PAGE_MESSAGE)
        await expect(page.locator("#run-status")).to_contain_text("interrupted")
        await expect(page.locator("#resume")).to_be_visible()
        await asyncio.to_thread(first.wait, EXIT_LIMIT_S)

        second = ServerProcess(db, tmp_path / "second.log", port=port)
        await asyncio.to_thread(second.wait_until_up)
        await expect(notice).to_be_hidden()  # connected again; the run is over for now
        await expect(badge).to_have_attribute("data-state", "finished")
        await expect(page.locator("#run-status")).to_contain_text("interrupted")
    finally:
        first.close()
        if second is not None:
            second.close()
