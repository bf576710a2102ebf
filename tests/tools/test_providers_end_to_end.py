"""A whole plan on the real provider clients, over real HTTP to local fakes of Google Places
and Hunter: the tools pick the providers from the settings and the run's own choices."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from tests.core.conftest import RecordingSleep
from tests.tools.fakes.google_places import GOOD_KEY, PLACES, RATE_LIMITED, google_places_app
from tests.tools.fakes.hunter import TEST_KEY, hunter_app, person
from tests.tools.live_server import serving
from webapp.core import (
    LeadGenExecutionResult,
    LeadGenGoal,
    PlanContext,
    RetryPolicy,
    SupervisorUserContext,
    execute_lead_generation_plan,
    plan_lead_generation,
)
from webapp.settings import Settings
from webapp.tools import ToolServices, default_tool_map
from webapp.tools.providers.clients import ProviderClients
from webapp.tools.providers.usage import RunUsage
from webapp.tools.providers.web_domains import domain_of

USER = SupervisorUserContext(user_id="u1")
STAFFED_EVERY = 3  # one business in three has a person Hunter knows


def hunter_domains() -> dict[str, list[dict[str, Any]]]:
    domains: dict[str, list[dict[str, Any]]] = {}
    for index, place in enumerate(PLACES):
        domain = domain_of(place.get("websiteUri"))
        if domain:
            staffed = index % STAFFED_EVERY == 0
            domains[domain] = (
                [person(domain, "Ava", "Stone", "Owner", "executive", "management", "valid")]
                if staffed
                else []
            )
    return domains


@pytest.fixture
def fakes() -> Iterator[tuple[str, str, Any]]:
    google = google_places_app(script=None)
    with ExitStack() as stack:
        google_url = stack.enter_context(serving(google))
        hunter_url = stack.enter_context(serving(hunter_app(domains=hunter_domains())))
        yield google_url, hunter_url, google


@pytest.fixture
async def services(fakes: tuple[str, str, Any]) -> AsyncIterator[ToolServices]:
    google_url, hunter_url, _ = fakes
    settings = Settings(
        _env_file=None,
        google_places_api_key=GOOD_KEY,
        hunter_api_key=TEST_KEY,
        google_places_url=google_url,
        hunter_url=hunter_url,
        demo_latency_ms=0,
        email_providers="hunter",
    )
    clients = ProviderClients(settings)
    yield ToolServices(settings=settings, clients=clients, usage=RunUsage())
    await clients.aclose()


def coffee_plan(volume: int = 20) -> Any:
    goal = LeadGenGoal(
        raw_goal=f"Find {volume} coffee shops in Manchester and email them",
        target_region="Manchester",
        target_persona="coffee shops",
        volume=volume,
        preferred_channels=["email"],
        include_monitoring=True,
    )
    return plan_lead_generation(goal, PlanContext(user_id="u1"))


async def test_a_whole_plan_runs_on_google_places_and_hunter(services: ToolServices) -> None:
    result = await execute_lead_generation_plan(
        coffee_plan(),
        USER,
        tools=default_tool_map(),
        services=services,
        retry_policy=RetryPolicy(jitter=0),
    )

    assert result.overall_status == "succeeded"
    places, domains, enrich, saved = (step.data for step in result.step_results[:4])
    # two pages lose three closed or nameless places, so a third page tops the 40 up
    assert (places["provider"], places["requests"], places["count"]) == ("google", 3, 40)
    assert domains["provider"] == "hunter"
    # each business with no website was looked up by name once; the fake knows none of them
    assert domains["requests"] == domains["withoutWebsite"] == 5
    assert enrich["provider"] == "hunter"
    # a Domain Search per domain for its decision makers; where Hunter knows none (found
    # nothing: free), one more for anyone it knows there (providers.md §0.1)
    people = hunter_domains()
    staffed = sum(1 for row in domains["businesses"] if people.get(row.get("domain", "")))
    assert enrich["requests"] == domains["withDomain"] * 2 - staffed
    assert enrich["withEmail"] > 0
    # one credit per Domain Search that returned addresses (providers.md, "Credit counting")
    assert enrich["usage"]["Hunter"]["credits"] == enrich["withEmail"]
    assert places["usage"]["Google Places"]["requests"] == 3
    leads = saved["leads"]
    assert len(leads) == 20
    assert all(lead["source"] == "google_places" for lead in leads)
    with_email = [lead for lead in leads if lead.get("email")]
    assert with_email and all(lead["email"].startswith("ava@") for lead in with_email)
    assert all(lead["email"].endswith(lead["domain"]) for lead in with_email)


async def run_once_throttled(
    services: ToolServices, first_answer: Any
) -> tuple[LeadGenExecutionResult, RecordingSleep]:
    """A 5-lead plan against Google's fake, whose first answer is `first_answer`."""
    throttled = google_places_app(script=[first_answer])
    with serving(throttled) as url:
        settings = services.settings.model_copy(update={"google_places_url": url})
        clients = ProviderClients(settings)
        sleep = RecordingSleep()
        try:
            result = await execute_lead_generation_plan(
                coffee_plan(5),
                USER,
                tools=default_tool_map(),
                services=ToolServices(settings=settings, clients=clients),
                retry_policy=RetryPolicy(jitter=0),
                sleep=sleep,
            )
        finally:
            await clients.aclose()
    return result, sleep


async def test_a_throttled_search_is_retried_after_the_providers_wait(
    services: ToolServices,
) -> None:
    result, sleep = await run_once_throttled(services, RATE_LIMITED)

    assert result.step_results[0].attempts == 2
    assert sleep.delays == [2.0]  # the fake's Retry-After, longer than the 1 s backoff
    assert result.overall_status == "succeeded"


@pytest.mark.parametrize("retry_after", ["²", "in a minute", "Wed, 99 Oct 2026 07:28:00 GMT"])
async def test_an_unreadable_retry_after_is_ignored_and_the_search_retried(
    services: ToolServices, retry_after: str
) -> None:
    # "²" is a digit to isdigit(), not to float(): it must not fail the step as a fault of ours
    unreadable = (RATE_LIMITED[0], RATE_LIMITED[1], {"Retry-After": retry_after})
    result, sleep = await run_once_throttled(services, unreadable)

    assert result.step_results[0].attempts == 2
    assert sleep.delays == [1.0]  # the policy's own backoff, as with no Retry-After
    assert result.overall_status == "succeeded"


async def test_a_run_can_choose_the_demo_directory_over_configured_keys(
    services: ToolServices,
) -> None:
    demo = ToolServices(
        settings=services.settings,
        clients=services.clients,
        provider_overrides={"places_provider": "demo", "email_provider": "demo"},
    )

    result = await execute_lead_generation_plan(
        coffee_plan(5),
        USER,
        tools=default_tool_map(),
        services=demo,
        retry_policy=RetryPolicy(jitter=0),
    )

    assert [step.data.get("provider") for step in result.step_results[:3]] == ["demo"] * 3


async def test_a_provider_chosen_without_its_key_fails_with_the_setting_to_fix() -> None:
    settings = Settings(_env_file=None, places_provider="google", demo_latency_ms=0)

    result = await execute_lead_generation_plan(
        coffee_plan(5), USER, tools=default_tool_map(), services=ToolServices(settings=settings)
    )

    first = result.step_results[0]
    assert first.status == "failed" and first.attempts == 1
    assert "GOOGLE_PLACES_API_KEY is not set" in (first.error_message or "")


async def test_a_run_can_search_openstreetmap_and_keep_demo_emails() -> None:
    from tests.tools.fakes.osm import DEFAULT_PLACES, SAMPLE_ELEMENTS, nominatim_app, overpass_app

    with (
        serving(nominatim_app(DEFAULT_PLACES)) as nominatim_url,
        serving(overpass_app(SAMPLE_ELEMENTS)) as overpass_url,
    ):
        settings = Settings(
            _env_file=None,
            nominatim_url=nominatim_url,
            overpass_url=overpass_url,
            demo_latency_ms=0,
        )
        clients = ProviderClients(settings)
        services = ToolServices(
            settings=settings,
            clients=clients,
            provider_overrides={"places_provider": "osm", "email_providers": "demo"},
        )
        try:
            result = await execute_lead_generation_plan(
                coffee_plan(5),
                USER,
                tools=default_tool_map(),
                services=services,
                retry_policy=RetryPolicy(jitter=0),
            )
        finally:
            await clients.aclose()

    places = result.step_results[0].data
    assert result.overall_status == "succeeded"
    assert places["provider"] == "osm" and places["requests"] == 2  # Nominatim, then Overpass
    assert places["count"] >= 1
    assert all(b["source"] == "osm" for b in places["businesses"])
    assert result.step_results[2].data["provider"] == "demo"


async def test_a_warm_cache_makes_no_paid_hunter_call_and_keeps_no_google_content(
    fakes: tuple[str, str, Any], tmp_path: Any
) -> None:
    from tests.tools.fakes.google_places import received
    from webapp.store import Store

    google_url, hunter_url, google = fakes
    store = await Store.open(str(tmp_path / "cache.db"))
    settings = Settings(
        _env_file=None,
        google_places_api_key=GOOD_KEY,
        hunter_api_key=TEST_KEY,
        google_places_url=google_url,
        hunter_url=hunter_url,
        demo_latency_ms=0,
        email_providers="hunter",
    )
    clients = ProviderClients(settings, cache=store.cache)
    try:
        cold = ToolServices(settings=settings, clients=clients, usage=RunUsage())
        first = await execute_lead_generation_plan(
            coffee_plan(), USER, tools=default_tool_map(), services=cold
        )
        await store.writer.flush()  # the answers are kept
        sent = len(received(google))
        warm = ToolServices(settings=settings, clients=clients, usage=RunUsage())
        second = await execute_lead_generation_plan(
            coffee_plan(), USER, tools=default_tool_map(), services=warm
        )
    finally:
        await clients.aclose()
        await store.close()

    assert first.overall_status == second.overall_status == "succeeded"
    # Google's terms let only place ids be kept (providers.md §0.2): Google is asked again
    assert len(received(google)) == sent * 2
    assert cold.usage is not None and warm.usage is not None
    google_pages = warm.usage.totals().requests
    assert google_pages == sent
    spent = warm.usage.totals()
    assert spent.credits == 0  # every Hunter answer came from the cache
    hunter_sent = cold.usage.totals().requests - sent
    assert spent.cached == hunter_sent

    def without_time(leads: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in lead.items() if k != "retrievedAt"} for lead in leads]

    assert without_time(second.step_results[3].data["leads"]) == without_time(
        first.step_results[3].data["leads"]
    )


async def test_runs_at_once_count_only_their_own_requests(services: ToolServices) -> None:
    # Every run of the process shares one Hunter client: a step must count the requests it
    # sent, not every request the client sent meanwhile for other runs.
    def own() -> ToolServices:
        return ToolServices(settings=services.settings, clients=services.clients, usage=RunUsage())

    results = await asyncio.gather(
        *(
            execute_lead_generation_plan(
                coffee_plan(volume), USER, tools=default_tool_map(), services=own()
            )
            for volume in (20, 10)
        )
    )

    for result in results:
        assert result.overall_status == "succeeded"
        for step in result.step_results[1:3]:
            assert step.data["requests"] == step.data["usage"]["Hunter"]["requests"] > 0
