"""Logins fired all at once: each is counted before its password is checked, so a burst gets
no more checks than the limit allows; and only a few argon2 checks (64 MiB each) run at once,
the rest waiting a little for a turn, then told the server is busy."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Literal

import httpx
from argon2 import PasswordHasher

from tests.web.helpers import client_for, fast_settings, serve
from webapp.runtime.accounts import PASSWORD_CHECKS_AT_ONCE
from webapp.web.limits import LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_ADDRESS


class CountingHasher(PasswordHasher):
    """Counts the password checks made and the most running at once; each takes `extra_s`
    longer than argon2 alone, to hold its turn."""

    def __init__(self, extra_s: float = 0.0) -> None:
        super().__init__()
        self.extra_s = extra_s
        self.lock = threading.Lock()
        self.calls = self.running = self.peak = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        with self.lock:
            self.calls += 1
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            time.sleep(self.extra_s)
            return super().verify(hash, password)
        finally:
            with self.lock:
                self.running -= 1


async def burst(client: httpx.AsyncClient, attempts: list[tuple[str, str]]) -> list[httpx.Response]:
    """The login form posted for each (name, password) at once; the client sends the form
    token in its header."""
    return await asyncio.gather(
        *(
            client.post("/login", data={"username": name, "password": password})
            for name, password in attempts
        )
    )


async def test_a_burst_of_wrong_passwords_gets_no_more_checks_than_the_limit(
    tmp_path: Path,
) -> None:
    async with serve(fast_settings(str(tmp_path / "web.db")), user="alice") as (app, _):
        hasher = app.state.auth.accounts.hasher = CountingHasher()
        async with client_for(app, None) as client:
            answers = await burst(client, [("alice", f"guess-number-{n}") for n in range(50)])
            statuses = Counter(answer.status_code for answer in answers)
            assert hasher.calls == LOGIN_FAILURES_PER_ACCOUNT
            assert statuses == {401: LOGIN_FAILURES_PER_ACCOUNT, 429: 50 - hasher.calls}
            for answer in answers:
                if answer.status_code == 429:
                    assert "Too many failed logins. Try again in 15 minutes." in answer.text
                    assert int(answer.headers["retry-after"]) > 0
            # The right password waits too, and costs no check.
            late = await burst(client, [("alice", "password-of-alice")])
            assert late[0].status_code == 429 and hasher.calls == LOGIN_FAILURES_PER_ACCOUNT


async def test_only_a_few_password_checks_run_at_once(tmp_path: Path) -> None:
    async with serve(fast_settings(str(tmp_path / "web.db")), user=None) as (app, _):
        hasher = app.state.auth.accounts.hasher = CountingHasher(extra_s=0.02)
        async with client_for(app, None) as client:
            # Twenty names nobody has, from one address: each costs a (dummy) check.
            names = [(f"stranger{n}", "guess-guess") for n in range(LOGIN_FAILURES_PER_ADDRESS)]
            answers = await burst(client, names)
        assert [answer.status_code for answer in answers] == [401] * len(names)
        assert hasher.calls == len(names)
        assert hasher.peak <= PASSWORD_CHECKS_AT_ONCE


async def test_a_login_that_waits_too_long_for_a_check_is_told_the_server_is_busy(
    tmp_path: Path,
) -> None:
    async with serve(fast_settings(str(tmp_path / "web.db")), user=None) as (app, _):
        accounts = app.state.auth.accounts
        hasher = accounts.hasher = CountingHasher(extra_s=0.5)
        accounts.check_wait_s = 0.05
        async with client_for(app, None) as client:
            answers = await burst(client, [(f"stranger{n}", "guess-guess") for n in range(10)])
            statuses = Counter(answer.status_code for answer in answers)
            assert statuses == {401: PASSWORD_CHECKS_AT_ONCE, 503: 10 - PASSWORD_CHECKS_AT_ONCE}
            assert hasher.calls == PASSWORD_CHECKS_AT_ONCE
            busy = next(answer for answer in answers if answer.status_code == 503)
            assert "busy checking other logins" in busy.text
            assert int(busy.headers["retry-after"]) > 0
            # The turns refused were not counted as failures: the address may try its twenty.
            hasher.extra_s, accounts.check_wait_s = 0.0, 30.0
            rest = LOGIN_FAILURES_PER_ADDRESS - PASSWORD_CHECKS_AT_ONCE
            answers = await burst(client, [(f"other{n}", "guess-guess") for n in range(rest)])
            assert [answer.status_code for answer in answers] == [401] * rest
            blocked = await burst(client, [("one-more", "guess-guess")])
            assert blocked[0].status_code == 429
