"""HunterClient against the fake Hunter over real HTTP: request shape, mapping, paging, the
verifier's 202/222, every error code, the usage counts and the shared rate-limit buckets."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

import httpx
import pytest
from starlette.applications import Starlette

from tests.tools.fakes.hunter import (
    FAILING_EMAIL,
    IN_PROGRESS,
    QUOTA_SPENT,
    SERVER_ERROR,
    SLOW_EMAIL,
    TEST_KEY,
    THROTTLED,
    Received,
    hunter_app,
    verification,
)
from tests.tools.live_server import free_port, serving
from webapp.core.errors import ToolError
from webapp.tools.providers.errors import ItemRefused
from webapp.tools.providers.http import ProviderHttp, RateLimits, new_client
from webapp.tools.providers.hunter import (
    RATE_LIMITS,
    Audience,
    DomainSearch,
    FoundEmail,
    HunterClient,
    HunterEmail,
    hunter_limiter,
)

NORTHERN = "northern-bean.example"
HARBOUR = "harbour-roasters.example"


class RecordingSleep(Protocol):
    """The `sleeps` fixture: an instant sleep that remembers each wait in `calls`."""

    calls: list[float]

    async def __call__(self, seconds: float) -> None: ...


class FakeClock:
    """A monotonic clock that moves only when the buckets sleep on it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        # A pause too small to move `now` (float rounding in the bucket) must still move it, or
        # the bucket would wait forever for time that never passes.
        self.now = max(self.now + seconds, math.nextafter(self.now, math.inf))


def limits_on(clock: FakeClock) -> RateLimits:
    """Hunter's limiters timed by `clock`, so no test waits for a real one."""
    limits = RateLimits(sleep=clock.sleep)
    for endpoint in RATE_LIMITS:
        hunter_limiter(limits, endpoint).clock = clock
    return limits


@asynccontextmanager
async def connected(
    base_url: str,
    sleep: RecordingSleep,
    *,
    api_key: str = TEST_KEY,
    limits: RateLimits | None = None,
) -> AsyncIterator[HunterClient]:
    async with new_client("tests@leadgen.example") as client:
        yield HunterClient(
            ProviderHttp(client),
            api_key=api_key,
            base_url=base_url,
            limits=limits or limits_on(FakeClock()),
            sleep=sleep,
        )


class Switchboard:
    """One live server for the module; each test plugs its own fake into it."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


Hunter = Callable[..., AbstractAsyncContextManager[HunterClient]]


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[Switchboard, str]]:
    board = Switchboard()
    with serving(board) as base_url:
        yield board, base_url


@pytest.fixture
def hunter(live: tuple[Switchboard, str], sleeps: RecordingSleep) -> Hunter:
    """`async with hunter(app, **options) as client`: a client of the fake `app`, served live."""
    board, base_url = live

    @asynccontextmanager
    async def connect(app: Starlette, **options: Any) -> AsyncIterator[HunterClient]:
        board.app = app
        async with connected(base_url, sleeps, **options) as client:
            yield client

    return connect


def received(app: Starlette) -> list[Received]:
    requests: list[Received] = app.state.received
    return requests


async def test_domain_search_sends_the_key_in_a_header_and_the_documented_params(
    hunter: Hunter,
    sleeps: RecordingSleep,
) -> None:
    app = hunter_app()
    async with hunter(app) as client:
        await client.domain_search(domain=NORTHERN)
    [request] = received(app)
    assert request.path == "/v2/domain-search"
    assert request.headers["x-api-key"] == TEST_KEY
    assert request.params == {"domain": NORTHERN, "limit": "10", "offset": "0"}


async def test_domain_search_maps_the_page_and_reports_the_total(
    hunter: Hunter, sleeps: RecordingSleep
) -> None:
    async with hunter(hunter_app()) as client:
        result = await client.domain_search(domain=NORTHERN)
    assert (result.domain, result.organization, result.pattern) == (
        NORTHERN,
        "Northern Bean",
        "{first}",
    )
    assert result.accept_all is False
    assert (len(result.emails), result.total) == (10, 12)
    assert result.emails[0] == HunterEmail(
        value=f"maya@{NORTHERN}",
        type="personal",
        confidence=80,
        first_name="Maya",
        last_name="Okafor",
        position="Owner",
        seniority="executive",
        department="management",
        linkedin="https://www.linkedin.example/in/maya-okafor",
        phone_number=None,
        verification_status="valid",
    )
    assert result.emails[0].lead_fields()["contact_title"] == "Owner"


async def test_domain_search_pages_with_offset_and_limit(
    hunter: Hunter, sleeps: RecordingSleep
) -> None:
    app = hunter_app()
    async with hunter(app) as client:
        first = await client.domain_search(domain=NORTHERN, limit=5)
        rest = await client.domain_search(domain=NORTHERN, limit=10, offset=10)
    assert [e.first_name for e in first.emails] == ["Maya", "Omar", "Priya", "Tomas", "Iris"]
    assert [e.first_name for e in rest.emails] == ["Zara", "Ezra"]
    assert first.total == rest.total == 12
    assert received(app)[1].params == {"domain": NORTHERN, "limit": "10", "offset": "10"}


async def test_domain_search_of_an_unknown_domain_is_empty(
    hunter: Hunter, sleeps: RecordingSleep
) -> None:
    async with hunter(hunter_app()) as client:
        result = await client.domain_search(domain="nobody-here.example")
    assert result == DomainSearch(domain="nobody-here.example", accept_all=False, total=0)


async def test_domain_search_needs_a_domain_or_a_company(
    hunter: Hunter, sleeps: RecordingSleep
) -> None:
    app = hunter_app()
    async with hunter(app) as client:
        with pytest.raises(ToolError) as caught:
            await client.domain_search()
    assert caught.value.retryable is False
    assert received(app) == []


async def test_a_search_by_company_finds_its_domain_and_organization(
    hunter: Hunter, sleeps: RecordingSleep
) -> None:
    app = hunter_app()
    async with hunter(app) as client:
        found = await client.domain_search(company="Northern Bean", limit=1)
        assert (found.domain, found.organization) == (NORTHERN, "Northern Bean")
        assert (await client.domain_search(company="Nowhere Café")).domain is None
    assert received(app)[0].params == {"company": "Northern Bean", "limit": "1", "offset": "0"}


async def test_the_audience_filters_are_sent_and_choose_the_people(
    hunter: Hunter, sleeps: RecordingSleep
) -> None:
    app = hunter_app()
    owners = Audience(type="personal", seniority="executive", department="management")
    async with hunter(app) as client:
        found = await client.domain_search(domain=NORTHERN, audience=owners)
        mailboxes = await client.domain_search(domain=HARBOUR, audience=Audience(type="generic"))
    assert received(app)[0].params == {
        "domain": NORTHERN,
        "limit": "10",
        "offset": "0",
        "type": "personal",
        "seniority": "executive",
        "department": "management",
    }
    assert [email.value for email in found.emails] == [f"maya@{NORTHERN}"]  # the owner only
    assert [email.type for email in mailboxes.emails] == ["generic"]


async def test_a_refused_domain_concerns_that_domain_only(
    hunter: Hunter, sleeps: RecordingSleep
) -> None:
    app = hunter_app(refused={NORTHERN})
    async with hunter(app) as client:
        with pytest.raises(ItemRefused) as caught:
            await client.domain_search(domain=NORTHERN)
        assert (await client.domain_search(domain=HARBOUR)).emails
    assert caught.value.retryable is False
    assert caught.value.reason == (
        "Hunter refused the domain: invalid, no mail server, or its owner opted out"
    )


async def test_email_finder_returns_the_address_and_its_score(
    hunter: Hunter, sleeps: RecordingSleep
) -> None:
    app = hunter_app()
    async with hunter(app) as client:
        found = await client.email_finder(domain=NORTHERN, first_name="Omar", last_name="Lindqvist")
    assert found == FoundEmail(
        email=f"omar@{NORTHERN}",
        score=83,
        first_name="Omar",
        last_name="Lindqvist",
        position="Head Barista",
        linkedin_url="https://www.linkedin.example/in/omar-lindqvist",
        verification_status="valid",
    )
    [request] = received(app)
    assert request.path == "/v2/email-finder"
    assert request.params == {"domain": NORTHERN, "first_name": "Omar", "last_name": "Lindqvist"}


async def test_email_finder_without_a_match_is_none(hunter: Hunter, sleeps: RecordingSleep) -> None:
    async with hunter(hunter_app()) as client:
        found = await client.email_finder(domain=NORTHERN, first_name="Ann", last_name="Nobody")
        assert found is None
        assert client.usage() == {"requests": 1, "credits": 0}


async def test_verify_returns_the_status(hunter: Hunter, sleeps: RecordingSleep) -> None:
    app = hunter_app()
    async with hunter(app) as client:
        assert await client.verify(f"omar@{NORTHERN}") == "valid"
    assert received(app)[0].path == "/v2/email-verifier"
    assert received(app)[0].params == {"email": f"omar@{NORTHERN}"}
    assert sleeps.calls == []


async def test_verify_asks_again_after_a_202(hunter: Hunter, sleeps: RecordingSleep) -> None:
    async with hunter(hunter_app()) as client:
        assert await client.verify(SLOW_EMAIL) == "valid"
        assert client.requests == 2
    assert sleeps.calls == [2.0]


async def test_verify_waits_as_long_as_retry_after_says(
    hunter: Hunter, sleeps: RecordingSleep
) -> None:
    status, body = IN_PROGRESS
    app = hunter_app(
        script={"email-verifier": [(status, {**body, "_headers": {"Retry-After": "5"}})]}
    )
    async with hunter(app) as client:
        assert await client.verify(f"omar@{NORTHERN}") == "valid"
    assert sleeps.calls == [5.0]


async def test_a_202_asking_for_a_huge_wait_waits_no_longer_than_the_verifier_works(
    hunter: Hunter, sleeps: RecordingSleep
) -> None:
    status, body = IN_PROGRESS
    app = hunter_app(
        script={"email-verifier": [(status, {**body, "_headers": {"Retry-After": "86400"}})]}
    )
    async with hunter(app) as client:
        assert await client.verify(f"omar@{NORTHERN}") == "valid"
    assert sleeps.calls == [20.0]  # Hunter's verifier works for 20 s at most


@pytest.mark.parametrize(
    ("options", "requests", "waits"), [({}, 3, [2.0, 2.0]), ({"tries": 5}, 5, [2.0] * 4)]
)
async def test_verify_still_in_progress_after_every_try_is_unknown(
    hunter: Hunter,
    sleeps: RecordingSleep,
    options: dict[str, int],
    requests: int,
    waits: list[float],
) -> None:
    app = hunter_app(script={"email-verifier": [IN_PROGRESS] * 10})
    async with hunter(app) as client:
        assert await client.verify(f"omar@{NORTHERN}", **options) == "unknown"
        assert client.usage() == {"requests": requests, "credits": 0}
    assert sleeps.calls == waits


async def test_verify_failed_with_222_is_that_addresss_failure(
    hunter: Hunter, sleeps: RecordingSleep
) -> None:
    async with hunter(hunter_app()) as client:
        assert await client.verify(FAILING_EMAIL) == "failed"
        assert client.usage() == {"requests": 1, "credits": 0}
    assert sleeps.calls == []


async def test_verify_451_says_the_address_is_claimed(
    hunter: Hunter, sleeps: RecordingSleep
) -> None:
    async with hunter(hunter_app(claimed={f"maya@{NORTHERN}"})) as client:
        assert await client.verify(f"maya@{NORTHERN}") == "claimed"
        assert client.usage() == {"requests": 1, "credits": 0}


async def test_the_verifier_may_take_twenty_seconds_and_the_client_waits_longer(
    hunter: Hunter, sleeps: RecordingSleep
) -> None:
    seen: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        seen.append(request)

    async with hunter(hunter_app()) as client:
        client.http.client.event_hooks["request"].append(record)
        await client.verify(f"omar@{NORTHERN}")
        await client.domain_search(domain=NORTHERN)
    verify_timeout, search_timeout = (request.extensions["timeout"] for request in seen)
    assert verify_timeout["read"] > 20  # §0.1: the verifier works up to 20 s before answering
    assert search_timeout["read"] < verify_timeout["read"]


async def test_a_rejected_key_is_permanent_and_never_shown(
    hunter: Hunter, sleeps: RecordingSleep
) -> None:
    key = "sk-wrong-5f3a9c"
    async with hunter(hunter_app(), api_key=key) as client:
        with pytest.raises(ToolError) as caught:
            await client.domain_search(domain=NORTHERN)
    error = caught.value
    assert error.retryable is False
    assert error.message == (
        "Hunter rejected the API key (authentication_failed); check HUNTER_API_KEY."
    )
    assert key not in repr(error) and key not in str(error)


@pytest.mark.parametrize(
    ("headers", "retry_after"), [({}, 1.0), ({"Retry-After": "7"}, 7.0)], ids=["none", "header"]
)
async def test_403_is_throttling_and_retryable(
    hunter: Hunter, sleeps: RecordingSleep, headers: dict[str, str], retry_after: float
) -> None:
    status, body = THROTTLED
    app = hunter_app(script={"email-finder": [(status, {**body, "_headers": headers})]})
    async with hunter(app) as client:
        with pytest.raises(ToolError) as caught:
            await client.email_finder(domain=NORTHERN, first_name="Omar", last_name="Lindqvist")
    assert caught.value.retryable is True
    assert caught.value.retry_after == retry_after
    assert caught.value.message == "Hunter is rate-limiting these requests; slowing down."


async def test_429_is_an_exhausted_quota_and_permanent(
    hunter: Hunter, sleeps: RecordingSleep
) -> None:
    app = hunter_app(script={"domain-search": [QUOTA_SPENT]})
    async with hunter(app) as client:
        with pytest.raises(ToolError) as caught:
            await client.domain_search(domain=NORTHERN)
    assert caught.value.retryable is False
    assert caught.value.message.startswith("Hunter quota exhausted")


async def test_a_bad_request_is_permanent_and_quotes_hunter(
    hunter: Hunter, sleeps: RecordingSleep
) -> None:
    async with hunter(hunter_app()) as client:
        with pytest.raises(ToolError) as caught:
            await client.domain_search(domain=NORTHERN, limit=500)
    assert caught.value.retryable is False
    assert "wrong_params: limit must be 1-100" in caught.value.message


async def test_a_422_echoing_the_key_does_not_show_it(
    hunter: Hunter, sleeps: RecordingSleep
) -> None:
    details = f"Invalid request for key {TEST_KEY}"
    body = {"errors": [{"id": "invalid_request", "code": 422, "details": details}]}
    async with hunter(hunter_app(script={"domain-search": [(422, body)]})) as client:
        with pytest.raises(ToolError) as caught:
            await client.domain_search(domain=NORTHERN)
    assert caught.value.retryable is False
    assert TEST_KEY not in caught.value.message
    assert "invalid_request" in caught.value.message


@pytest.mark.parametrize(
    "answer",
    [SERVER_ERROR, (502, {"_text": "<html>Bad Gateway</html>"}), (200, {"_text": "oops"})],
    ids=["500", "502-html", "200-not-json"],
)
async def test_server_errors_and_unreadable_answers_are_retryable(
    hunter: Hunter, sleeps: RecordingSleep, answer: tuple[int, dict[str, Any]]
) -> None:
    async with hunter(hunter_app(script={"domain-search": [answer]})) as client:
        with pytest.raises(ToolError) as caught:
            await client.domain_search(domain=NORTHERN)
    assert caught.value.retryable is True
    assert "Hunter" in caught.value.message


async def test_451_means_no_data(hunter: Hunter, sleeps: RecordingSleep) -> None:
    gone = (451, {"errors": [{"id": "unavailable", "code": 451, "details": "Opted out"}]})
    script = {"domain-search": [gone], "email-finder": [gone], "email-verifier": [gone]}
    async with hunter(hunter_app(script=script)) as client:
        assert (await client.domain_search(domain=NORTHERN)).emails == []
        assert await client.email_finder(domain=NORTHERN, first_name="M", last_name="O") is None
        assert await client.verify(f"maya@{NORTHERN}") == "claimed"
        assert client.usage() == {"requests": 3, "credits": 0}


async def test_a_refused_connection_is_retryable(sleeps: RecordingSleep) -> None:
    async with connected(f"http://127.0.0.1:{free_port()}", sleeps) as client:
        with pytest.raises(ToolError) as caught:
            await client.verify(f"maya@{NORTHERN}")
        assert client.requests == 0
    assert caught.value.retryable is True
    assert "Hunter" in caught.value.message


async def test_requests_and_credits_follow_hunters_counting_rules(
    hunter: Hunter, sleeps: RecordingSleep
) -> None:
    script = {"email-verifier": [(200, {"data": verification("x@temp.example", "disposable")})]}
    async with hunter(hunter_app(script=script)) as client:
        await client.verify("x@temp.example")  # disposable: free
        assert client.credits == 0
        await client.domain_search(domain=NORTHERN, limit=12)  # 12 emails: 2
        await client.domain_search(domain="quiet-corner.example")  # none: free
        await client.domain_search(company="Harbour Roasters", limit=1)  # 1 email: 1
        assert client.credits == 3
        await client.email_finder(domain=NORTHERN, first_name="Maya", last_name="Okafor")  # 1
        await client.email_finder(domain=NORTHERN, first_name="No", last_name="One")  # free
        assert client.credits == 4
        await client.verify(f"omar@{NORTHERN}")  # valid: half a credit (§0.1)
        await client.verify(f"ghost@{NORTHERN}")  # unknown: free
        await client.verify(SLOW_EMAIL)  # 202 then valid: 2 requests, half a credit
        assert client.usage() == {"requests": 10, "credits": 5}


async def test_calls_go_through_the_shared_limiter(hunter: Hunter, sleeps: RecordingSleep) -> None:
    clock = FakeClock()
    limits = limits_on(clock)
    async with hunter(hunter_app(), limits=limits) as client:
        for _ in range(12):
            await client.verify(f"omar@{NORTHERN}")
    limiter = hunter_limiter(limits, "email-verifier")
    assert limits.windows["hunter:email-verifier"] is limiter
    assert clock.waits  # twelve at once is more than the verifier's 10 a second
    assert max_in_window(list(limiter.sent), 1.0) <= 10


@pytest.mark.parametrize(
    ("endpoint", "per_second", "per_minute"),
    [("domain-search", 15, 500), ("email-finder", 15, 500), ("email-verifier", 10, 300)],
)
async def test_no_window_passes_hunters_limits_and_they_are_nearly_used_up(
    endpoint: str, per_second: int, per_minute: int
) -> None:
    clock = FakeClock()
    limits = limits_on(clock)
    limiter = hunter_limiter(limits, endpoint)
    times: list[float] = []
    for _ in range(per_minute * 2):
        await limiter.acquire()
        times.append(clock.now)
    assert max_in_window(times, 1.0) <= per_second
    assert max_in_window(times, 60.0) <= per_minute
    assert bisect_left(times, 60.0) >= per_minute * 0.95
    assert bisect_left(times, 10.0) >= (per_second - 1) * 10  # the per-second rate, in full


def max_in_window(times: list[float], seconds: float) -> int:
    """The most calls in any window [t, t + seconds) starting at a call; `times` is sorted."""
    shortened = seconds - 1e-9  # float sums of waits may land a hair inside the window's end
    return max(bisect_left(times, t + shortened) - index for index, t in enumerate(times))


async def test_the_fake_takes_the_key_three_ways_and_refuses_others() -> None:
    params = {"email": f"omar@{NORTHERN}"}
    ways: list[dict[str, Any]] = [
        {"params": {**params, "api_key": TEST_KEY}},
        {"params": params, "headers": {"X-API-KEY": TEST_KEY}},
        {"params": params, "headers": {"Authorization": f"Bearer {TEST_KEY}"}},
        {"params": params},
        {"params": params, "headers": {"X-API-KEY": "not-the-key"}},
    ]
    with serving(hunter_app()) as base_url:
        async with httpx.AsyncClient(base_url=base_url) as client:
            answers = [await client.get("/v2/email-verifier", **way) for way in ways]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 401, 401]
    assert answers[0].json()["data"]["status"] == "valid"
    assert answers[3].json()["errors"][0]["id"] == "authentication_failed"
