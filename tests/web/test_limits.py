"""Each of N workers (`leadgen serve --workers N`) keeps its share of every rate limit, so the
workers together do not allow N times as much: runs a minute, failed logins, provider calls."""

from __future__ import annotations

import math

import pytest

from webapp.settings import Settings
from webapp.tools.providers.http import RateLimits
from webapp.web.limits import LoginLimiter, RunStartLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now = max(self.now + seconds, math.nextafter(self.now, math.inf))


def allowed_at_once(limiter: RunStartLimiter, user: str = "usr_1") -> int:
    count = 0
    while limiter.take(user) == 0:
        count += 1
    return count


def test_one_of_two_workers_lets_a_user_start_half_the_runs_a_minute() -> None:
    clock = Clock()
    alone, shared = RunStartLimiter(10, clock=clock), RunStartLimiter(10, workers=2, clock=clock)

    assert (allowed_at_once(alone), allowed_at_once(shared)) == (10, 5)
    clock.now += 60  # a minute later: each has its own minute's worth again
    assert (allowed_at_once(alone), allowed_at_once(shared)) == (10, 5)


def test_a_worker_always_allows_at_least_one_run() -> None:
    clock = Clock()
    limiter = RunStartLimiter(1, workers=4, clock=clock)
    assert allowed_at_once(limiter) == 1
    assert limiter.take("usr_1") == 4 * 60  # its share: one run every four minutes


def test_one_of_two_workers_blocks_an_account_after_its_share_of_failed_logins() -> None:
    clock = Clock()
    limiter = LoginLimiter(workers=2, clock=clock)
    for _ in range(3):  # five between two workers, rounded up
        assert limiter.retry_after("alice", "10.0.0.1") == 0
        limiter.failed("alice", "10.0.0.1")
    assert limiter.retry_after("alice", "10.0.0.1") > 0
    assert limiter.retry_after("bob", "10.0.0.2") == 0


def test_a_login_counts_before_its_check_and_is_taken_back_when_it_was_no_failure() -> None:
    limiter = LoginLimiter(clock=Clock())
    # Five attempts at once: each is counted as it goes ahead, so the sixth is turned away
    # before any of the five has been checked.
    assert [limiter.reserve("alice", "10.0.0.1") for _ in range(5)] == [0.0] * 5
    assert limiter.reserve("alice", "10.0.0.1") > 0
    limiter.succeeded("alice", "10.0.0.1")  # one was right: the account starts afresh
    assert limiter.reserve("alice", "10.0.0.1") == 0
    # An attempt the server was too busy to check is no failure, of the account or address.
    for n in range(20):
        assert limiter.reserve(f"user{n}", "10.0.0.2") == 0
    assert limiter.reserve("user98", "10.0.0.2") > 0
    limiter.unchecked("user0", "10.0.0.2")
    assert limiter.reserve("user99", "10.0.0.2") == 0  # the twentieth again
    assert limiter.reserve("user100", "10.0.0.2") > 0


async def test_one_of_two_workers_sends_half_a_providers_requests_a_second() -> None:
    clock = Clock()
    limits = RateLimits(sleep=clock.sleep, share=0.5)
    window = limits.window("hunter:domain-search", [(1.0, 15), (60.0, 500)])
    window.clock = clock
    for _ in range(8):
        await window.acquire()
    assert clock.now >= 1.0  # seven fit in the first second, the eighth waited for the next

    nominatim = limits.bucket("osm:nominatim", 1.0, 1)
    nominatim.clock, nominatim.updated = clock, clock.now
    before = clock.now
    for _ in range(3):
        await nominatim.acquire()
    assert clock.now - before >= 4.0  # one request every two seconds, not every one


def test_the_workers_uvicorn_starts_for_web_concurrency_are_the_workers_the_limits_split_by(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A Procfile platform sets WEB_CONCURRENCY; uvicorn starts that many workers.
    monkeypatch.delenv("LEADGEN_WORKERS", raising=False)
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert Settings(_env_file=None).workers == 3
    monkeypatch.setenv("LEADGEN_WORKERS", "2")  # our own name wins
    assert Settings(_env_file=None).workers == 2
