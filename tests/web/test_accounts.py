"""Accounts: the first account on a fresh server, logging in and out, sessions that end, login
attempts that are limited, API tokens, admins adding people, and LEADGEN_AUTH=off."""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path
from typing import Literal

import httpx
import pytest
from argon2 import PasswordHasher

from tests.web.helpers import (
    add_account,
    client_for,
    csrf_of,
    fast_settings,
    finished_run,
    serve,
)
from webapp.web.auth import CSRF_HEADER, SESSION_COOKIE


def form(page: httpx.Response, **fields: str) -> dict[str, str]:
    return {"csrf_token": csrf_of(page.text), **fields}


async def test_a_fresh_server_asks_for_the_first_account_which_is_an_admin(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "web.db")
    async with serve(fast_settings(db), user=None) as (app, client):
        first = await client.get("/runs")
        assert first.status_code == 303 and first.headers["location"] == "/setup"
        page = await client.get("/setup")
        assert "Create the first account" in page.text

        mismatch = await client.post(
            "/setup", data=form(page, username="ann", password="longenough", confirm="other")
        )
        assert mismatch.status_code == 422
        assert "The two passwords are not the same." in mismatch.text
        short = await client.post(
            "/setup", data=form(page, username="ann", password="short", confirm="short")
        )
        assert short.status_code == 422 and "at least 8 characters" in short.text

        created = await client.post(
            "/setup",
            data=form(page, username="ann", password="longenough", confirm="longenough"),
        )
        assert created.status_code == 303 and created.headers["location"] == "/"
        home = await client.get("/")
        assert home.status_code == 200 and '<span class="muted">ann</span>' in home.text
        assert "People" in (await client.get("/settings")).text  # an admin

        # Once there is an account, /setup is gone: nobody else can make themselves admin.
        async with client_for(app, None) as stranger:
            assert (await stranger.get("/setup")).headers["location"] == "/"
            again = await stranger.post(
                "/setup", data={"username": "eve", "password": "x" * 10, "confirm": "x" * 10}
            )
            assert again.status_code == 303 and again.headers["location"] == "/login"
            assert (await stranger.get("/")).headers["location"] == "/login"

    with sqlite3.connect(db) as conn:
        users = conn.execute("SELECT username, password_hash, is_admin FROM users").fetchall()
    assert [(name, admin) for name, _, admin in users] == [("ann", 1)]
    assert users[0][1].startswith("$argon2id$") and "longenough" not in users[0][1]


async def test_logging_in_and_out(tmp_path: Path) -> None:
    async with serve(fast_settings(str(tmp_path / "web.db")), user="alice") as (app, _):
        async with client_for(app, None) as client:
            sent_away = await client.get("/runs?status=failed")
            assert sent_away.status_code == 303
            assert sent_away.headers["location"] == "/login?next=%2Fruns%3Fstatus%3Dfailed"
            page = await client.get(sent_away.headers["location"])
            assert 'name="next" value="/runs?status=failed"' in page.text

            wrong = await client.post(
                "/login", data=form(page, username="alice", password="not-hers-at-all")
            )
            assert wrong.status_code == 401 and "Wrong username or password." in wrong.text
            assert SESSION_COOKIE not in wrong.headers.get("set-cookie", "")

            right = await client.post(
                "/login",
                data=form(
                    page,
                    username="ALICE",
                    password="password-of-alice",
                    next="/runs?status=failed",
                ),
            )
            assert right.status_code == 303 and right.headers["location"] == "/runs?status=failed"
            cookie = right.headers["set-cookie"]
            assert cookie.startswith(f"{SESSION_COOKIE}=")
            for flag in ("HttpOnly", "SameSite=lax", "Max-Age=1209600", "Path=/"):
                assert flag in cookie
            assert "Secure" not in cookie  # plain http here
            assert (await client.get("/runs")).status_code == 200

            session = client.cookies[SESSION_COOKIE]
            client.headers[CSRF_HEADER] = csrf_of((await client.get("/")).text)
            out = await client.post("/logout")
            assert out.status_code == 303 and out.headers["location"] == "/login"
            assert (await client.get("/runs")).status_code == 303
            # The old cookie is dead on the server too, not just forgotten by the browser.
            client.cookies.set(SESSION_COOKIE, session)
            assert (await client.get("/runs")).status_code == 303


async def test_no_open_redirect_after_login(tmp_path: Path) -> None:
    async with serve(fast_settings(str(tmp_path / "web.db")), user="alice") as (app, _):
        async with client_for(app, None) as client:
            page = await client.get("/login")
            for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
                answer = await client.post(
                    "/login",
                    data=form(page, username="alice", password="password-of-alice", next=target),
                )
                assert answer.headers["location"] == "/", target


async def test_the_session_cookie_is_secure_behind_https(tmp_path: Path) -> None:
    async with serve(fast_settings(str(tmp_path / "web.db")), user="alice") as (app, _):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://test") as client:
            page = await client.get("/login")
            answer = await client.post(
                "/login", data=form(page, username="alice", password="password-of-alice")
            )
            assert answer.status_code == 303
            assert "Secure" in answer.headers["set-cookie"]


async def test_expired_and_forged_sessions_are_not_logins(tmp_path: Path) -> None:
    db = str(tmp_path / "web.db")
    async with serve(fast_settings(db), user="alice") as (_, client):
        assert (await client.get("/runs")).status_code == 200
        cookie = client.cookies[SESSION_COOKIE]
        client.cookies.set(SESSION_COOKIE, cookie[:-3] + ("AAA" if cookie[-3:] != "AAA" else "BBB"))
        assert (await client.get("/runs")).status_code == 303
        client.cookies.set(SESSION_COOKIE, cookie)
        assert (await client.get("/runs")).status_code == 200
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE sessions SET expires_at = 0")
        assert (await client.get("/runs")).status_code == 303


async def test_failed_logins_are_limited_per_account_and_per_address(tmp_path: Path) -> None:
    async with serve(fast_settings(str(tmp_path / "web.db")), user="alice") as (app, _):
        async with client_for(app, None) as client:
            page = await client.get("/login")
            for _ in range(5):
                wrong = await client.post(
                    "/login", data=form(page, username="alice", password="guess-guess")
                )
                assert wrong.status_code == 401
            # Even the right password waits now: guessing at speed gets nowhere.
            blocked = await client.post(
                "/login", data=form(page, username="alice", password="password-of-alice")
            )
            assert blocked.status_code == 429
            assert "Too many failed logins. Try again in 15 minutes." in blocked.text
            assert 0 < int(blocked.headers["retry-after"]) <= 900

            # Another account from the same address may still log in...
            await add_account(app, "bob")
            bob = await client.post(
                "/login", data=form(page, username="bob", password="password-of-bob")
            )
            assert bob.status_code == 303
            # ...until the address has failed twenty times, whichever names it tried.
            for n in range(15):
                await client.post("/login", data=form(page, username=f"u{n}", password="guess"))
            again = await client.post(
                "/login", data=form(page, username="bob", password="password-of-bob")
            )
            assert again.status_code == 429


async def test_api_tokens_are_made_shown_once_used_and_revoked(tmp_path: Path) -> None:
    db = str(tmp_path / "web.db")
    async with serve(fast_settings(db), user="alice") as (app, alice):
        made = await alice.post("/settings/tokens", data={"name": "nightly <export>"})
        assert (made.status_code, made.headers["location"]) == (303, "/settings")
        shown = await alice.get("/settings")
        token = re.search(r'id="new-token">(lg_[\w-]+)<', shown.text)
        assert token, shown.text
        assert "nightly &lt;export&gt;" in shown.text
        listed = await alice.get("/settings")  # a reload: no second token, not shown again
        assert token.group(1) not in listed.text  # shown once
        assert listed.text.count("<code>lg_") == 1
        assert token.group(1)[:10] in listed.text  # its start names it

        async with client_for(app, None) as script:
            assert (await script.get("/api/runs")).status_code == 401
            assert (await script.get("/api/runs")).json()["error"]["code"] == "unauthorized"
            script.headers["Authorization"] = f"Bearer {token.group(1)}"
            assert (await script.get("/api/runs")).status_code == 200
            # No form token needed: a browser never sends a bearer token by itself.
            script.headers.pop(CSRF_HEADER)
            run_id = (
                await script.post("/api/runs", json={"goal": "Find 2 cafes in Leeds"})
            ).json()["runId"]
            await app.state.manager.wait(run_id)
            # A token opens the API only, not the pages.
            assert (await script.get("/runs")).status_code == 303
            assert "just now" in (await alice.get("/settings")).text  # last used

            token_id = re.search(r"/settings/tokens/(tok_\w+)/revoke", listed.text)
            assert token_id
            revoked = await alice.post(f"/settings/tokens/{token_id.group(1)}/revoke")
            assert revoked.status_code == 303
            assert (await script.get("/api/runs")).status_code == 401

    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT group_concat(token_hash) FROM api_tokens").fetchone()[0]
    assert stored is None or token.group(1) not in stored


async def test_an_admin_adds_people_and_others_cannot(tmp_path: Path) -> None:
    async with serve(fast_settings(str(tmp_path / "web.db")), user="alice") as (app, alice):
        added = await alice.post(
            "/settings/users", data={"username": "dave", "password": "dave-password"}
        )
        assert added.status_code == 201 and "dave can now log in." in added.text
        taken = await alice.post(
            "/settings/users", data={"username": "DAVE", "password": "dave-password"}
        )
        assert taken.status_code == 422 and "already an account called DAVE" in taken.text
        bad = await alice.post("/settings/users", data={"username": "<b>", "password": "x" * 9})
        assert bad.status_code == 422 and "A username is 1 to 40" in bad.text

        async with client_for(app, None) as dave:
            page = await dave.get("/login")
            logged_in = await dave.post(
                "/login", data=form(page, username="dave", password="dave-password")
            )
            assert logged_in.status_code == 303
            dave.headers[CSRF_HEADER] = csrf_of((await dave.get("/")).text)
            assert "People" not in (await dave.get("/settings")).text
            refused = await dave.post(
                "/settings/users", data={"username": "mallory", "password": "x" * 10}
            )
            assert refused.status_code == 404
        assert await app.state.auth.accounts.user_named("mallory") is None


async def test_auth_off_is_one_local_user_served_on_loopback_only(tmp_path: Path) -> None:
    async with serve(fast_settings(str(tmp_path / "web.db"), auth="off")) as (app, client):
        run_id = await finished_run(app, client)
        assert (await client.get(f"/runs/{run_id}")).status_code == 200
        assert (await client.get("/login")).headers["location"] == "/"
        assert "Accounts are off" in (await client.get("/settings")).text

        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as remote:
            refused = await remote.get(f"/api/runs/{run_id}")
            assert refused.status_code == 403
            assert "LEADGEN_AUTH=off" in refused.json()["error"]["message"]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://0.0.0.0") as remote:
            assert (await remote.get("/")).status_code == 403  # listening beyond loopback


@pytest.mark.parametrize("auth", ["on", "off"])
async def test_the_first_account_form_is_not_offered_when_it_cannot_be_used(
    tmp_path: Path, auth: str
) -> None:
    async with serve(fast_settings(str(tmp_path / "web.db"), auth=auth), user="alice") as (_, c):
        answer = await c.get("/setup")
        assert answer.status_code == 303 and answer.headers["location"] == "/"


async def test_password_checks_run_off_the_event_loop(tmp_path: Path) -> None:
    """argon2 takes tens of ms of CPU: on the loop, every login would stall every live page."""
    async with serve(fast_settings(str(tmp_path / "web.db")), user="alice") as (app, _):
        accounts = app.state.auth.accounts
        loop_thread = threading.get_ident()
        seen: list[int] = []

        class RecordingHasher(PasswordHasher):
            def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
                seen.append(threading.get_ident())
                return super().verify(hash, password)

        accounts.hasher = RecordingHasher()
        assert await accounts.authenticate("alice", "password-of-alice") is not None
        assert await accounts.authenticate("nobody", "whatever-it-is") is None
        assert len(seen) == 2 and loop_thread not in seen


async def test_an_admin_removes_a_person_from_the_settings_page(tmp_path: Path) -> None:
    async with serve(fast_settings(str(tmp_path / "web.db")), user="alice") as (app, alice):
        async with client_for(app, "bob") as bob:  # bob: an account with a session
            assert (await bob.get("/runs")).status_code == 200
            page = (await alice.get("/settings")).text
            assert 'action="/settings/users/usr_bob/remove"' in page
            assert 'action="/settings/users/usr_alice/remove"' not in page  # not herself

            await add_account(app, "carol", admin=False)
            async with client_for(app, "carol") as carol:
                not_hers = await carol.post("/settings/users/usr_bob/remove")
            removed = await alice.post("/settings/users/usr_bob/remove")
            itself = await alice.post("/settings/users/usr_alice/remove")
            after = await bob.get("/runs")

    assert not_hers.status_code == 404  # only an admin may, and to anyone else it is not here
    assert (removed.status_code, removed.headers["location"]) == (303, "/settings")
    assert itself.status_code == 409 and "You cannot remove yourself" in itself.text
    assert after.status_code in (303, 401)  # bob's session no longer works
