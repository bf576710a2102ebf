"""The shared outbound HTTP layer: one httpx client per process with timeouts and an
identifying User-Agent, token-bucket rate limits shared by every run, `Retry-After`, and the
mapping of transport failures to retryable ToolErrors. Provider clients build on this."""

from __future__ import annotations

import asyncio
import bisect
import email.utils
import hashlib
import json
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from webapp import __version__
from webapp.core.errors import ToolError
from webapp.tools.providers.usage import before_request, cache_hit

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
CACHE_HEADER = "x-leadgen-cache"  # set on answers served from the cache
TRUNCATED_HEADER = "x-leadgen-truncated"  # set on answers read up to `max_bytes` only
Sleep = Callable[[float], Awaitable[None]]
LONGEST_WAIT_S = 1e9  # about 32 years: a longer `Retry-After` (even 5,000 digits) reads as this


def user_agent(contact: str) -> str:
    """Nominatim and Overpass ask for an agent that names the application and a contact."""
    return f"leadgen/{__version__} (lead-generation dashboard; contact: {contact})"


class TokenBucket:
    """`rate` requests a second on average, up to `burst` at once; `acquire` waits its turn.
    Waiters are served in order, so one busy run cannot starve another."""

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs a positive rate and a burst of at least 1")
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.sleep = sleep
        self.tokens = float(burst)
        self.updated = clock()
        self._lock = asyncio.Lock()

    async def acquire(self) -> float:
        """Take one token; return how long this call waited (seconds)."""
        async with self._lock:
            waited = 0.0
            while True:
                now = self.clock()
                self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1 - 1e-9:  # float rounding must not leave a token unspendable
                    self.tokens = max(0.0, self.tokens - 1)
                    return waited
                pause = (1 - self.tokens) / self.rate
                waited += pause
                await self.sleep(pause)


class Limiter(Protocol):
    async def acquire(self) -> float: ...


class SlidingWindow:
    """At most `limit` calls in ANY `seconds`-long window, for each (seconds, limit) given:
    exactly a provider's documented "15 per second and 500 per minute", used to the full
    (a token bucket must hold back part of each limit to be safe in every window)."""

    def __init__(
        self,
        windows: Sequence[tuple[float, int]],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not windows or any(seconds <= 0 or limit < 1 for seconds, limit in windows):
            raise ValueError("each window needs a positive length and a limit of at least 1")
        self.windows = tuple(windows)
        self.longest = max(seconds for seconds, _ in windows)
        self.clock = clock
        self.sleep = sleep
        self.sent: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> float:
        """Wait until one more call fits every window; return how long that took (seconds)."""
        async with self._lock:
            waited = 0.0
            while True:
                pause = self._pause(self.clock())
                if pause <= 0:
                    self.sent.append(self.clock())
                    return waited
                pause = max(pause, 1e-6)  # a pause that rounds to nothing must still move time
                waited += pause
                await self.sleep(pause)

    def _pause(self, now: float) -> float:
        while self.sent and self.sent[0] <= now - self.longest:
            self.sent.popleft()
        pause = 0.0
        for seconds, limit in self.windows:
            recent = len(self.sent) - bisect.bisect_right(self.sent, now - seconds)
            if recent >= limit:
                pause = max(pause, self.sent[len(self.sent) - limit] + seconds - now)
        return pause


@dataclass
class RateLimits:
    """Named limiters shared by every run in the process (e.g. "hunter:domain-search").

    With `share` below 1 (one of the N workers of `leadgen serve --workers N`), each limit is
    that share of the provider's: a rate times `share`, a count in a window cut down to it (or,
    when that leaves less than one, the window made longer), so the workers together keep to
    the provider's limits on average. They do not coordinate, so two of them may send at the
    same moment."""

    buckets: dict[str, TokenBucket] = field(default_factory=dict)
    windows: dict[str, SlidingWindow] = field(default_factory=dict)
    sleep: Sleep = asyncio.sleep
    share: float = 1.0

    def bucket(self, name: str, rate: float, burst: int = 1) -> TokenBucket:
        existing = self.buckets.get(name)
        if existing is None:
            burst = max(1, math.floor(burst * self.share + 1e-9))
            existing = TokenBucket(rate * self.share, burst, sleep=self.sleep)
            self.buckets[name] = existing
        return existing

    def window(self, name: str, windows: Sequence[tuple[float, int]]) -> SlidingWindow:
        existing = self.windows.get(name)
        if existing is None:
            shared = [self._shared(seconds, limit) for seconds, limit in windows]
            existing = self.windows[name] = SlidingWindow(shared, sleep=self.sleep)
        return existing

    def _shared(self, seconds: float, limit: int) -> tuple[float, int]:
        allowed = limit * self.share
        if allowed >= 1 - 1e-9:
            return seconds, math.floor(allowed + 1e-9)
        return seconds / allowed, 1  # one call in a longer window: the same rate


def retry_after_seconds(response: httpx.Response, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds, from a number or an HTTP date, at most LONGEST_WAIT_S; None
    when absent or unusable (the retry policy's own backoff applies then)."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdecimal():  # isdigit() takes "²" and "①"; float() does not
        return min(float(value), LONGEST_WAIT_S)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return min(max(0.0, (moment - (now or datetime.now(UTC))).total_seconds()), LONGEST_WAIT_S)


class AnswerCache(Protocol):
    async def get(self, key: str) -> str | None: ...

    def put_soon(self, key: str, provider: str, value: str, ttl_s: float) -> None: ...


class ProviderHttp:
    """Sends a provider's requests through its rate limit and turns transport failures
    (timeouts, refused connections) into retryable ToolErrors that name the provider.

    With a cache, a request sent with `cache=True` is answered from a stored 200 answer when
    there is one (no request, no credit); a new 200 answer is stored for `cache_ttl_s` if it is
    JSON, or if `cacheable(response)` says so when given (e.g. not an Overpass answer with a
    remark). A garbled answer is never kept: the retry asks the provider again.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        limits: RateLimits | None = None,
        *,
        cache: AnswerCache | None = None,
        cache_ttl_s: float = 0,
    ) -> None:
        self.client = client
        self.limits = limits or RateLimits()
        self.cache = cache if cache_ttl_s > 0 else None
        self.cache_ttl_s = cache_ttl_s

    async def send(
        self,
        provider: str,
        method: str,
        url: str,
        *,
        bucket: Limiter | Sequence[Limiter] | None = None,
        cache: bool = False,
        cacheable: Callable[[httpx.Response], bool] | None = None,
        **options: Any,
    ) -> httpx.Response:
        key = cache_key(provider, method, url, options) if cache and self.cache else None
        if key is not None and self.cache is not None:
            stored = await self.cache.get(key)
            if stored is not None:
                cache_hit(provider)
                return _stored_response(stored, method, url)
        response = await self._send(provider, method, url, bucket, options)
        if key is not None and self.cache is not None and response.status_code == 200:
            if (cacheable or _is_json)(response):
                self.cache.put_soon(key, provider, _stored_value(response), self.cache_ttl_s)
        return response

    async def _send(
        self,
        provider: str,
        method: str,
        url: str,
        bucket: Limiter | Sequence[Limiter] | None,
        options: dict[str, Any],
    ) -> httpx.Response:
        before_request(provider)  # counted against the running step; refused past its budget
        buckets: Sequence[Limiter] = (
            bucket if isinstance(bucket, Sequence) else () if bucket is None else (bucket,)
        )
        for each in buckets:
            await each.acquire()
        max_bytes = options.pop("max_bytes", None)
        try:
            if max_bytes is None:
                return await self.client.request(method, url, **options)
            return await _at_most(self.client, method, url, max_bytes, options)
        except httpx.TimeoutException as error:
            raise ToolError(f"{provider} did not answer in time; trying again.") from error
        except httpx.TransportError as error:
            raise ToolError(
                f"Could not reach {provider} ({type(error).__name__}); trying again."
            ) from error


async def _at_most(
    client: httpx.AsyncClient, method: str, url: str, max_bytes: int, options: dict[str, Any]
) -> httpx.Response:
    """The answer with its body cut at `max_bytes` (a page too large is read in part, never
    whole), decoded, and `x-leadgen-truncated` set when it was cut."""
    async with client.stream(method, url, **options) as streamed:
        body = bytearray()
        async for chunk in streamed.aiter_bytes():
            body += chunk
            if len(body) >= max_bytes:
                break
        cut = len(body) >= max_bytes
        headers = [
            (name, value)
            for name, value in streamed.headers.multi_items()
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        headers.append((TRUNCATED_HEADER, "yes" if cut else "no"))
        return httpx.Response(
            streamed.status_code,
            headers=headers,
            content=bytes(body[:max_bytes]),
            request=streamed.request,
        )


def cache_key(provider: str, method: str, url: str, options: dict[str, Any]) -> str:
    """What identifies an answer: provider, method, URL, query and body; never credentials
    (headers are left out, and so is any `api_key` parameter)."""
    params = {k: v for k, v in dict(options.get("params") or {}).items() if k != "api_key"}
    material = json.dumps(
        [provider, method.upper(), url, params, options.get("json"), options.get("data")],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(material.encode()).hexdigest()


def _is_json(response: httpx.Response) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True


def _stored_value(response: httpx.Response) -> str:
    return json.dumps(
        {"type": response.headers.get("content-type", "application/json"), "body": response.text}
    )


def _stored_response(stored: str, method: str, url: str) -> httpx.Response:
    value = json.loads(stored)
    return httpx.Response(
        200,
        content=value["body"].encode(),
        headers={"content-type": value["type"], CACHE_HEADER: "hit"},
        request=httpx.Request(method, url),
    )


def new_client(contact: str, *, timeout: httpx.Timeout = DEFAULT_TIMEOUT) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=timeout,
        headers={"User-Agent": user_agent(contact)},
        follow_redirects=False,
    )
