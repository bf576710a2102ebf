"""An open event stream ends with the credential that opened it: logging out, revoking the API
token or removing the person ends it, and only it (another session of the same person goes on);
a credential ended by another process ends the stream at this process's next check."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx

from tests.waiting import until
from tests.web.helpers import client_for, fast_settings, serve
from webapp.web.stream_access import StreamAccess

GOAL = "Find 5 coffee shops in Manchester"


async def slow_run(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/runs", json={"goal": GOAL})
    assert response.status_code == 201, response.text
    run_id: str = response.json()["runId"]
    return run_id


async def open_streams(access: StreamAccess, count: int) -> None:
    """Until `count` streams are open (each registers when it starts following its run)."""
    await until(lambda: len(access) >= count, f"{len(access)} streams open, not {count}")


def follow(client: httpx.AsyncClient, path: str, **headers: str) -> asyncio.Task[httpx.Response]:
    """The stream, read to its end (an in-process client returns once the stream has ended)."""
    return asyncio.create_task(client.get(path, headers=headers))


async def test_logging_out_ends_that_sessions_streams_and_no_other(tmp_path: Path) -> None:
    slow = fast_settings(str(tmp_path / "w.db"), demo_latency_ms=60_000)
    async with serve(slow) as (app, alice):
        access: StreamAccess = app.state.feeds.access
        run_id = await slow_run(alice)
        async with client_for(app, "alice") as alice_elsewhere:  # her second session
            here = follow(alice, f"/runs/{run_id}/events")
            there = follow(alice_elsewhere, f"/api/runs/{run_id}/events")
            await open_streams(access, 2)

            await alice.post("/logout")

            ended = await asyncio.wait_for(here, 30)
            await asyncio.sleep(0)
            assert not there.done()  # the other session still holds
            assert len(access) == 1
            await alice_elsewhere.post(f"/api/runs/{run_id}/cancel")
            finished = await asyncio.wait_for(there, 30)

    assert ended.status_code == 200 and "event: done" not in ended.text  # cut off, not over
    assert "event: done" in finished.text


async def test_revoking_a_token_ends_the_streams_it_opened(tmp_path: Path) -> None:
    slow = fast_settings(str(tmp_path / "w.db"), demo_latency_ms=60_000)
    async with serve(slow) as (app, alice):
        access: StreamAccess = app.state.feeds.access
        user = await app.state.auth.accounts.user_named("alice")
        token, record = await app.state.auth.accounts.create_token(user, "script")
        run_id = await slow_run(alice)
        script = follow(alice, f"/api/runs/{run_id}/events", authorization=f"Bearer {token}")
        await open_streams(access, 1)

        revoked = await alice.post(f"/settings/tokens/{record.token_id}/revoke")
        ended = await asyncio.wait_for(script, 30)
        again = await alice.get(
            f"/api/runs/{run_id}/events", headers={"authorization": f"Bearer {token}"}
        )
        await alice.post(f"/api/runs/{run_id}/cancel")

    assert revoked.status_code == 303
    assert ended.status_code == 200 and "event: done" not in ended.text
    assert again.status_code == 401  # and it cannot come back


async def test_removing_a_person_ends_their_streams(tmp_path: Path) -> None:
    slow = fast_settings(str(tmp_path / "w.db"), demo_latency_ms=60_000)
    async with serve(slow) as (app, alice):
        access: StreamAccess = app.state.feeds.access
        async with client_for(app, "bob") as bob:
            run_id = await slow_run(bob)
            bobs = follow(bob, f"/runs/{run_id}/events")
            await open_streams(access, 1)

            await alice.post("/settings/users/usr_bob/remove")

            ended = await asyncio.wait_for(bobs, 30)
        assert len(access) == 0
        await app.state.manager.cancel(run_id)

    assert ended.status_code == 200 and "event: done" not in ended.text


async def test_a_session_ended_by_another_process_ends_the_stream_at_the_next_check(
    tmp_path: Path,
) -> None:
    slow = fast_settings(str(tmp_path / "w.db"), demo_latency_ms=60_000)
    async with serve(slow) as (app, alice):
        access: StreamAccess = app.state.feeds.access
        access.interval_s = 0  # (every turn, for the test: ACCESS_CHECK_S otherwise)
        run_id = await slow_run(alice)
        stream = follow(alice, f"/runs/{run_id}/events")
        await open_streams(access, 1)
        cookie = alice.cookies.get("leadgen_session")
        token = app.state.auth.session_token(cookie)
        assert token is not None

        await app.state.auth.accounts.end_session(token)  # as a logout elsewhere writes it

        ended = await asyncio.wait_for(stream, 30)
        await app.state.manager.cancel(run_id)

    assert ended.status_code == 200 and "event: done" not in ended.text
    assert re.search(r"^id: \d+\r?$", ended.text, re.MULTILINE)  # it had been streaming
