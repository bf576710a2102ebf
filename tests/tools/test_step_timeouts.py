"""A step's time limit comes from the calls it will make, so that it never times out while its
calls are still inside their documented budgets (providers.md §0.1, §0.3, §0.4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from webapp.core.models import LeadGenStepResult
from webapp.core.tooling import ToolEnv
from webapp.tools.services import ToolServices
from webapp.tools.step_timeouts import FLOOR_S, step_timeout

MakeEnv = Callable[..., ToolEnv]
HUNTER = {"hunter_api_key": "k", "email_provider": "hunter"}


def rows(count: int, *, with_domain: bool = True) -> list[dict[str, Any]]:
    return [
        {"businessName": f"Place {i}", **({"domain": f"place{i}.example"} if with_domain else {})}
        for i in range(count)
    ]


def env_for(
    make_env: MakeEnv,
    services: ToolServices,
    step_id: str,
    source: str | None = None,
    businesses: list[dict[str, Any]] | None = None,
) -> ToolEnv:
    prior = {}
    if source is not None:
        data = {"businesses": businesses or []}
        prior[source] = LeadGenStepResult(step_id=source, status="succeeded", data=data)
    return make_env(step_id, prior, with_services=services)


def test_a_step_timeout_that_is_set_wins(
    make_env: MakeEnv, make_services: Callable[..., ToolServices]
) -> None:
    services = make_services(
        step_timeout_s=7.5, places_provider="google", google_places_api_key="k"
    )

    assert step_timeout(env_for(make_env, services, "google_places_1")) == 7.5


def test_steps_with_no_slow_calls_keep_a_minute(
    make_env: MakeEnv, make_services: Callable[..., ToolServices]
) -> None:
    services = make_services()
    for step_id in ("google_places_1", "lead_list_save_4", "email_sequence_setup_5"):
        assert step_timeout(env_for(make_env, services, step_id)) == FLOOR_S == 60


def test_the_demo_directorys_latency_is_added(
    make_env: MakeEnv, make_services: Callable[..., ToolServices]
) -> None:
    services = make_services(demo_latency_ms=45_000)

    assert step_timeout(env_for(make_env, services, "google_places_1")) >= 60 + 45


def test_an_overpass_search_outlasts_its_query_and_the_queue(
    make_env: MakeEnv, make_services: Callable[..., ToolServices]
) -> None:
    # Overpass may queue a query ~15 s, then run it up to its [timeout:60] (§0.3), twice (the
    # bounding box after an area that does not exist), after a Nominatim search or two
    services = make_services(places_provider="osm")

    assert step_timeout(env_for(make_env, services, "google_places_1")) >= 2 * (15 + 60) + 2


def test_google_searches_past_60_places_get_time_for_every_search(
    make_env: MakeEnv, make_services: Callable[..., ToolServices]
) -> None:
    services = make_services(places_provider="google", google_places_api_key="k")
    env = env_for(make_env, services, "google_places_1")
    few = step_timeout(env)
    many_env = make_env("google_places_1", {}, with_services=services)
    many_env.step.params["maxResults"] = 400

    assert step_timeout(many_env) > few >= FLOOR_S


@pytest.mark.parametrize("verify", [False, True])
def test_hunter_steps_get_time_for_their_calls_at_hunters_pace(
    make_env: MakeEnv, make_services: Callable[..., ToolServices], verify: bool
) -> None:
    services = make_services(hunter_verify=verify, **HUNTER)
    env = env_for(make_env, services, "hunter_enrich_3", "hunter_domain_lookup_2", rows(400))
    limit = step_timeout(env)

    # 400 domains at Hunter's 500 Domain Searches a minute (§0.1) take 48 s at best; where
    # Hunter knows no decision maker, a second search each
    assert limit >= 2 * 400 / (500 / 60)
    if verify:
        # each chosen address may be checked, the verifier working up to 20 s before it
        # answers, 15 at a time; and 300 verifications a minute at most
        assert limit >= 400 * 20 / 15 + 400 / (300 / 60)


def test_a_lookup_only_counts_the_businesses_it_will_look_up(
    make_env: MakeEnv, make_services: Callable[..., ToolServices]
) -> None:
    services = make_services(**HUNTER)
    own = env_for(make_env, services, "hunter_domain_lookup_2", "google_places_1", rows(400))
    websites = [{"businessName": f"P{i}", "website": f"https://p{i}.example"} for i in range(400)]
    on_sites = env_for(make_env, services, "hunter_domain_lookup_2", "google_places_1", websites)
    by_name = env_for(
        make_env,
        services,
        "hunter_domain_lookup_2",
        "google_places_1",
        rows(400, with_domain=False),
    )

    assert step_timeout(own) == step_timeout(on_sites) == FLOOR_S  # nothing to look up
    assert step_timeout(by_name) > FLOOR_S
