"""The Monitors page: monitors that runs set up, with their schedule and last result, and
pause / resume / delete / run now through the routes, as htmx fragments or plain forms."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from starlette.applications import Starlette

from tests.web.helpers import add_account, client_for, fast_settings, finished_run, serve

HTMX = {"hx-request": "true"}


async def monitor_of(app: Starlette, client: httpx.AsyncClient) -> tuple[str, str]:
    """A finished demo run with monitoring: (run id, its monitor's id)."""
    run_id = await finished_run(app, client, monitoring=True)
    page = (await client.get("/monitors")).text
    ids = re.findall(r'<tr id="monitor-(mon_\w+)"', page)
    assert len(ids) == 1, page
    return run_id, ids[0]


def row_of(page: str, monitor_id: str) -> str:
    match = re.search(rf'<tr id="monitor-{monitor_id}".*?</tr>', page, re.DOTALL)
    assert match, f"no row for {monitor_id}"
    return match.group(0)


def cells(row: str) -> list[str]:
    return [
        " ".join(re.sub(r"<[^>]+>", "", cell).split())
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
    ]


async def test_the_page_is_in_the_nav_and_says_when_there_are_none(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/monitors")

    assert response.status_code == 200
    assert '<a href="/monitors" aria-current="page">Monitors</a>' in response.text
    assert 'id="no-monitors"' in response.text


async def test_a_run_with_monitoring_shows_its_monitor(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id, monitor_id = await monitor_of(app, client)

    row = row_of((await client.get("/monitors")).text, monitor_id)

    assert 'data-status="active"' in row
    assert cells(row)[:8] == [
        "coffee shops",
        "Manchester (GB)",
        "weekly",
        "active",
        "never",
        "in 7 days",
        "not run yet",
        "view run",
    ]
    assert f'href="/runs/{run_id}"' in row


async def test_pause_and_resume_answer_htmx_with_the_row(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    _, monitor_id = await monitor_of(app, client)

    paused = await client.post(f"/monitors/{monitor_id}/pause", headers=HTMX)

    assert paused.status_code == 200
    assert paused.text.lstrip().startswith(f'<tr id="monitor-{monitor_id}"')
    assert 'data-status="paused"' in paused.text and ">Resume</button>" in paused.text
    assert cells(paused.text)[5] == "paused"

    resumed = await client.post(f"/monitors/{monitor_id}/resume", headers=HTMX)

    assert 'data-status="active"' in resumed.text and ">Pause</button>" in resumed.text
    (monitor,) = await app.state.monitors.monitors.list_monitors()
    assert monitor.status == "active"


async def test_plain_forms_go_back_to_the_page(app: Starlette, client: httpx.AsyncClient) -> None:
    _, monitor_id = await monitor_of(app, client)

    for action in ("pause", "resume", "run", "delete"):
        response = await client.post(f"/monitors/{monitor_id}/{action}")
        assert (response.status_code, response.headers["location"]) == (303, "/monitors"), action

    assert await app.state.monitors.monitors.list_monitors() == []


async def test_run_now_records_a_check_shown_in_the_row(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    _, monitor_id = await monitor_of(app, client)

    response = await client.post(f"/monitors/{monitor_id}/run", headers=HTMX)

    assert response.status_code == 200
    row = cells(response.text)
    assert (row[4], row[5], row[6]) == ("just now", "in 7 days", "0 new leads")
    assert row_of((await client.get("/monitors")).text, monitor_id).count("0 new leads") == 1


async def test_delete_answers_htmx_with_nothing_and_the_monitor_is_gone(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    _, monitor_id = await monitor_of(app, client)

    response = await client.post(f"/monitors/{monitor_id}/delete", headers=HTMX)

    assert (response.status_code, response.text) == (200, "")
    assert 'id="no-monitors"' in (await client.get("/monitors")).text
    again = await client.post(f"/monitors/{monitor_id}/delete", headers=HTMX)
    assert again.status_code == 404


async def test_unknown_monitors_and_actions_are_404(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    _, monitor_id = await monitor_of(app, client)

    for action in ("pause", "resume", "delete", "run"):
        response = await client.post(f"/monitors/mon_nope/{action}", headers=HTMX)
        assert response.status_code == 404, action
    assert (await client.post(f"/monitors/{monitor_id}/explode")).status_code == 404
    assert (await client.get(f"/monitors/{monitor_id}/pause")).status_code == 405


async def test_the_app_runs_a_scheduler_at_the_configured_interval(db: str) -> None:
    async with serve(fast_settings(db, monitor_interval_s=5)) as (app, client):
        assert app.state.monitors.interval_s == 5
        assert (await client.get("/monitors")).status_code == 200


async def test_a_removed_persons_monitors_are_paused_and_an_admin_sees_and_deletes_them(
    tmp_path: Path,
) -> None:
    async with serve(fast_settings(str(tmp_path / "web.db")), user="alice") as (app, alice):
        repository = app.state.monitors.monitors
        async with client_for(app, "bob") as bob:
            await finished_run(app, bob, monitoring=True)
            [monitor] = await repository.list_monitors("usr_bob")
            assert monitor.status == "active"

        removed = await alice.post("/settings/users/usr_bob/remove")
        paused = await repository.get(monitor.monitor_id)
        due = await repository.due("2999-01-01T00:00:00Z")
        page = (await alice.get("/monitors")).text
        await add_account(app, "carol", admin=False)
        async with client_for(app, "carol") as carol:
            carols_page = (await carol.get("/monitors")).text
            carols_delete = await carol.post(f"/monitors/{monitor.monitor_id}/delete")
        deleted = await alice.post(f"/monitors/{monitor.monitor_id}/delete", headers=HTMX)
        gone = await repository.get(monitor.monitor_id)

    assert removed.status_code == 303
    assert paused is not None and paused.status == "paused"  # it spends nothing any more
    assert monitor.monitor_id not in {m.monitor_id for m in due}
    orphans = page.split('id="orphaned-monitors"', 1)[1]
    assert cells(row_of(orphans, monitor.monitor_id))[:4] == [
        "coffee shops",
        "Manchester (GB)",
        "weekly",
        "paused",
    ]
    assert "orphaned-monitors" not in carols_page and monitor.monitor_id not in carols_page
    assert carols_delete.status_code == 404
    assert (deleted.status_code, deleted.text) == (200, "")
    assert gone is None
