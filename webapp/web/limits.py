"""Rate limits kept in memory: failed logins per account and per address, and runs started
per user. Both forget on restart, which is fine for what they guard: guessing passwords at
speed, and one person flooding the server with runs."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

LOGIN_WINDOW_S = 15 * 60
LOGIN_FAILURES_PER_ACCOUNT = 5
LOGIN_FAILURES_PER_ADDRESS = 20
MAX_KEYS = 100_000  # bounded memory whatever an attacker sends


class FailureWindow:
    """Failures per key over a sliding window; a key with `limit` failures in the window is
    blocked until the oldest of them leaves it."""

    def __init__(
        self, limit: int, window_s: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, key: str) -> float:
        """Seconds until `key` may try again; 0 when it may now."""
        failures = self._failures.get(key)
        if not failures:
            return 0.0
        now = self.clock()
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return 0.0
        if len(failures) < self.limit:
            return 0.0
        return failures[0] + self.window_s - now

    def failed(self, key: str) -> None:
        if key not in self._failures and len(self._failures) >= MAX_KEYS:
            self._forget_oldest()
        self._failures.setdefault(key, deque(maxlen=self.limit)).append(self.clock())

    def forgive(self, key: str) -> None:
        """Take back the latest failure of `key`: an attempt counted ahead that did not fail."""
        failures = self._failures.get(key)
        if failures:
            failures.pop()
            if not failures:
                del self._failures[key]

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)

    def _forget_oldest(self) -> None:
        oldest = min(self._failures, key=lambda k: self._failures[k][-1])
        del self._failures[oldest]


class LoginLimiter:
    """Five failed logins an account, twenty an address, each per fifteen minutes; one of N
    workers keeps its share of each (rounded up: together at most N - 1 more). An attempt is
    counted as failed before its password is checked (`reserve`), so that a burst of attempts
    made at once sees itself, and is taken back once it turns out otherwise."""

    def __init__(self, *, workers: int = 1, clock: Callable[[], float] = time.monotonic) -> None:
        per_account = math.ceil(LOGIN_FAILURES_PER_ACCOUNT / workers)
        per_address = math.ceil(LOGIN_FAILURES_PER_ADDRESS / workers)
        self.accounts = FailureWindow(per_account, LOGIN_WINDOW_S, clock=clock)
        self.addresses = FailureWindow(per_address, LOGIN_WINDOW_S, clock=clock)

    def retry_after(self, username: str, address: str) -> float:
        return max(
            self.accounts.retry_after(username.strip().lower()),
            self.addresses.retry_after(address),
        )

    def reserve(self, username: str, address: str) -> float:
        """0 when the attempt may be checked, and it is counted as failed from now on; else the
        seconds to wait (nothing counted). No await between looking and counting."""
        wait = self.retry_after(username, address)
        if wait == 0:
            self.failed(username, address)
        return wait

    def failed(self, username: str, address: str) -> None:
        self.accounts.failed(username.strip().lower())
        self.addresses.failed(address)

    def succeeded(self, username: str, address: str) -> None:
        """A reserved attempt was right: the account starts afresh, the address is not blamed."""
        self.accounts.clear(username.strip().lower())
        self.addresses.forgive(address)

    def unchecked(self, username: str, address: str) -> None:
        """A reserved attempt was never checked (the server was too busy): not a failure."""
        self.accounts.forgive(username.strip().lower())
        self.addresses.forgive(address)


class RunStartLimiter:
    """A token bucket per user: `per_minute` runs in a burst, then one every 60/per_minute s.
    One of N workers keeps its share: 1/N of the rate, and of the burst (at least one run)."""

    def __init__(
        self, per_minute: int, *, workers: int = 1, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.capacity = max(1.0, per_minute / workers)
        self.rate = per_minute / workers / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # user -> (tokens, at)

    def take(self, user_id: str) -> float:
        """Take one run for the user: 0 when allowed, else the seconds to wait."""
        now = self.clock()
        tokens, at = self._buckets.get(user_id, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.rate)
        if tokens < 1:
            self._buckets[user_id] = (tokens, now)
            return (1 - tokens) / self.rate
        if len(self._buckets) >= MAX_KEYS and user_id not in self._buckets:
            self._buckets.clear()
        self._buckets[user_id] = (tokens - 1, now)
        return 0.0


def wait_words(seconds: float) -> str:
    """ "12 seconds", "3 minutes": how long, rounded up, for a message."""
    if seconds <= 90:
        whole = max(1, math.ceil(seconds))
        return f"{whole} second{'s' if whole != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
