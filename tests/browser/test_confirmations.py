"""Risky actions ask first, in Debian's Chromium: sending a sequence's emails and revoking an
API token do nothing when the answer is no, and happen when it is yes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import LiveServer, sign_in
from tests.browser.test_dashboard import Api, create_run, wait_for_run

pytestmark = pytest.mark.asyncio(loop_scope="module")
expect.set_options(timeout=20_000)


def answering(page: Page, answers: list[bool]) -> list[str]:
    """Answer the page's questions in turn; the questions asked, in order."""
    asked: list[str] = []

    async def answer(dialog: Any) -> None:
        asked.append(dialog.message)
        await (dialog.accept() if answers[len(asked) - 1] else dialog.dismiss())

    page.on("dialog", answer)
    return asked


async def test_sending_a_sequence_step_asks_first(
    page: Page, start_server: Callable[..., LiveServer], api: Api
) -> None:
    server = start_server(demo_latency_ms=0)
    async with api(server) as client:
        run_id = await create_run(client, "Find 3 coffee shops in Leeds and email them")
        await wait_for_run(client, run_id, lambda run: run["status"] == "succeeded")
    await sign_in(page, server)
    await page.goto(f"{server.url}/runs/{run_id}")
    send = page.locator("button.send-step").first
    asked = answering(page, [False, True])

    await send.click()
    assert asked == ["Send step 1 to 3 leads now? Emails that are sent cannot be taken back."]
    await expect(page.locator("[id$='-sent'] span").first).to_have_text("0 sent")
    await send.click()

    await expect(page.locator("[id$='-sent'] span").first).not_to_have_text("0 sent")
    assert len(asked) == 2


async def test_revoking_a_token_asks_first(
    page: Page, start_server: Callable[..., LiveServer]
) -> None:
    server = start_server(demo_latency_ms=0)  # the owner has one token, made by conftest
    await sign_in(page, server)
    await page.goto(f"{server.url}/settings")
    revoke = page.get_by_role("button", name="Revoke")
    await expect(revoke).to_have_count(1)
    asked = answering(page, [False, True])

    await revoke.click()
    await expect(revoke).to_have_count(1)  # still there: the answer was no
    assert asked[0].startswith("Revoke the token “browser tests”?")
    await revoke.click()

    await expect(page.get_by_role("button", name="Revoke")).to_have_count(0)
