"""The demo directory's simulated latency and failures, as a user running a demo sees them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.tools.conftest import RecordingSleep
from webapp.core.errors import ToolError
from webapp.core.tooling import ToolEnv
from webapp.tools.demo_calls import demo_call
from webapp.tools.places import search_places
from webapp.tools.services import ToolServices


async def test_a_failure_rate_of_one_fails_every_call_retryably(
    make_services: Callable[..., ToolServices], make_env: Callable[..., ToolEnv]
) -> None:
    services = make_services(demo_failure_rate=1.0)
    env = make_env("google_places_1", with_services=services)
    params = {"query": "coffee shops", "region": "Manchester", "maxResults": 5}
    with pytest.raises(ToolError) as caught:
        await search_places(params, env)
    assert caught.value.retryable is True
    assert "simulated failure, LEADGEN_DEMO_FAILURE_RATE=1" in caught.value.message
    assert caught.value.message.endswith("retrying usually works.")
    assert caught.value.message.startswith("The demo directory did not answer")


async def test_latency_is_waited_through_the_injected_sleep(
    make_services: Callable[..., ToolServices],
    make_env: Callable[..., ToolEnv],
    sleeps: RecordingSleep,
) -> None:
    services = make_services(demo_latency_ms=250)
    await demo_call(services, make_env("google_places_1", with_services=services), "a test")
    assert services.sleep is sleeps
    assert sleeps.calls == [0.25]


async def test_no_latency_means_no_wait(
    services: ToolServices, make_env: Callable[..., ToolEnv], sleeps: Any
) -> None:
    await demo_call(services, make_env("google_places_1"), "a test")
    assert sleeps.calls == []


async def outcomes(
    services: ToolServices, make_env: Callable[..., ToolEnv], run_id: str
) -> list[bool]:
    failed = []
    for attempt in range(1, 31):
        try:
            await demo_call(
                services, make_env("google_places_1", attempt=attempt, run_id=run_id), "x"
            )
            failed.append(False)
        except ToolError:
            failed.append(True)
    return failed


async def test_failures_are_reproducible_per_run_step_and_attempt(
    make_services: Callable[..., ToolServices], make_env: Callable[..., ToolEnv]
) -> None:
    services = make_services(demo_failure_rate=0.5)
    first = await outcomes(services, make_env, "run_a")
    assert first == await outcomes(services, make_env, "run_a")
    assert True in first and False in first  # a retry gets a fresh draw
    assert first != await outcomes(services, make_env, "run_b")
