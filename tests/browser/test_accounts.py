"""Accounts in a real browser: the first visit to a fresh server creates the first account,
logging out ends the session, and logging in again goes back where the person was going."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import BrowserLog, LiveServer

pytestmark = pytest.mark.asyncio(loop_scope="module")
expect.set_options(timeout=20_000)


async def test_first_account_then_log_out_and_back_in(
    page: Page, start_server: Callable[..., LiveServer], browser_log: BrowserLog
) -> None:
    server = start_server(with_account=False)
    # The refused forms answer 422 and 401, which the browser notes as failed loads.
    browser_log.expect(r"^console: Failed to load resource: .* status of 422 .*/setup\)$")
    browser_log.expect(r"^console: Failed to load resource: .* status of 401 .*/login\)$")
    await page.goto(f"{server.url}/runs")
    await page.wait_for_url(f"{server.url}/setup")
    await expect(page.get_by_role("heading", name="Create the first account")).to_be_visible()

    await page.fill("#username", "ann")
    await page.fill("#password", "ann-password")
    await page.fill("#confirm", "ann-passwrd")
    await page.click("button[type=submit]")
    await expect(page.locator("#e-confirm")).to_have_text("The two passwords are not the same.")
    await page.fill("#password", "ann-password")
    await page.fill("#confirm", "ann-password")
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{server.url}/")
    await expect(page.locator(".account .muted")).to_have_text("ann")

    await page.get_by_role("button", name="Log out").click()
    await page.wait_for_url(f"{server.url}/login")
    await page.goto(f"{server.url}/runs?status=failed")
    await page.wait_for_url(f"{server.url}/login?next=%2Fruns%3Fstatus%3Dfailed")
    await page.fill("#username", "ann")
    await page.fill("#password", "wrong-password")
    await page.click("button[type=submit]")
    await expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    await page.fill("#password", "ann-password")
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{server.url}/runs?status=failed")
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
