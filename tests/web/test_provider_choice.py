"""A run's provider choices: from the goal form and the API, checked, stored, labelled."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from tests.web.helpers import fast_settings, serve
from webapp.settings import Settings
from webapp.tools.providers.choice import chosen_email_providers, chosen_provider

GOAL = "Find 5 coffee shops in Manchester"


async def test_the_api_stores_a_runs_provider_choice(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    answer = await client.post("/api/runs", json={"goal": GOAL, "email_provider": "demo"})

    assert answer.status_code == 201
    run = answer.json()["run"]
    assert run["options"]["email_provider"] == "demo"
    assert run["options"]["providers"] == ["demo", "demo"]
    assert run["options"]["demo"] is True


async def test_an_unknown_provider_is_refused_and_nothing_starts(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post("/api/runs", json={"goal": GOAL, "places_provider": "yelp"})

    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_provider"
    assert "demo, google, osm" in error["message"]
    assert (await client.get("/api/runs")).json()["runs"] == []


async def test_the_preview_offers_providers_and_says_which_need_a_key(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.post("/plan", data={"goal": GOAL})).text

    assert 'name="places_provider"' in page and 'name="email_providers"' in page
    assert "Google Places (needs GOOGLE_PLACES_API_KEY)" in page
    assert "Hunter (needs HUNTER_API_KEY)" in page
    assert "Demo data" in page


async def test_a_demo_run_says_which_provider_served_each_step(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    run_id = (await client.post("/api/runs", json={"goal": GOAL})).json()["runId"]
    await app.state.manager.wait(run_id)

    page = (await client.get(f"/runs/{run_id}")).text

    assert "via demo directory" in page
    assert "Demo data" in page


async def test_with_a_key_the_real_provider_is_the_default(tmp_path: object) -> None:
    settings = Settings(_env_file=None, google_places_api_key="k", hunter_api_key="h")

    assert chosen_provider(settings, {}, "places") == "google"
    assert chosen_provider(settings, {"places_provider": "osm"}, "places") == "osm"
    assert chosen_provider(Settings(_env_file=None), {}, "places") == "demo"


def test_emails_come_from_the_websites_first_then_hunter_when_its_key_is_set() -> None:
    keys = Settings(_env_file=None, google_places_api_key="k", hunter_api_key="h")
    no_hunter = Settings(_env_file=None, places_provider="osm")
    demo_places = Settings(_env_file=None, hunter_api_key="h")

    assert chosen_email_providers(keys, {}) == ["website", "hunter"]
    assert chosen_email_providers(no_hunter, {}) == ["website"]
    assert chosen_email_providers(demo_places, {}) == ["demo"]  # demo places, demo emails
    assert chosen_email_providers(keys, {"email_providers": "hunter,website"}) == [
        "hunter",
        "website",
    ]
    assert chosen_email_providers(keys, {"email_provider": "demo"}) == ["demo"]
    setting = Settings(_env_file=None, email_providers=" Website , hunter,website")
    assert chosen_email_providers(setting, {}) == ["website", "hunter"]
    with pytest.raises(ValueError, match="website, hunter, demo"):
        Settings(_env_file=None, email_providers="website,clearbit")


async def test_the_api_takes_an_ordered_list_of_email_providers(
    client: httpx.AsyncClient,
) -> None:
    listed = await client.post(
        "/api/runs", json={"goal": GOAL, "email_providers": ["website", "demo"]}
    )
    text = await client.post("/api/runs", json={"goal": GOAL, "email_providers": "demo"})
    wrong = await client.post("/api/runs", json={"goal": GOAL, "email_providers": "website,x"})

    assert listed.status_code == text.status_code == 201
    assert listed.json()["run"]["options"]["email_providers"] == "website,demo"
    assert text.json()["run"]["options"]["providers"] == ["demo", "demo"]
    assert wrong.status_code == 422
    assert "website, hunter, demo" in wrong.json()["error"]["message"]


async def test_a_run_on_real_providers_is_not_labelled_demo(tmp_path: object) -> None:
    settings = fast_settings(str(tmp_path) + "/k.db", google_places_api_key="k", hunter_api_key="h")
    async with serve(settings) as (_, client):
        page = (await client.post("/plan", data={"goal": GOAL})).text

    assert "Demo data" not in page
    assert "(needs GOOGLE_PLACES_API_KEY)" not in page


async def test_the_estimate_follows_the_chosen_providers(tmp_path: object) -> None:
    settings = fast_settings(str(tmp_path) + "/e.db", google_places_api_key="k", hunter_api_key="h")
    async with serve(settings) as (_, client):
        real = (await client.post("/plan", data={"goal": "Find 20 dentists in Leeds"})).text
        osm = (
            await client.post(
                "/plan",
                data={"goal": "Find 20 dentists in Leeds", "places_provider": "osm"},
            )
        ).text

    assert "Google Places, up to 2 requests" in real  # 40 places: two pages of 20
    # a Domain Search per domain for its decision makers, and one for anyone else it knows
    assert "Hunter, up to 80 requests" in real
    assert "OpenStreetMap, 2 requests" in osm


async def test_a_goal_past_googles_60_places_is_planned_as_several_searches(
    tmp_path: object,
) -> None:
    settings = fast_settings(str(tmp_path) + "/e.db", google_places_api_key="k")
    async with serve(settings) as (_, client):
        small = (await client.post("/plan", data={"goal": "Find 25 dentists in Leeds"})).text
        large = (await client.post("/plan", data={"goal": "Find 100 dentists in Leeds"})).text

    assert "more than one" not in small  # 50 places: one search, three pages at most
    assert "Text Search stops at 60 places a search, so 200 need more than one" in large


async def test_the_preview_asks_for_a_contact_when_openstreetmap_is_chosen(
    tmp_path: object,
) -> None:
    goal = {"goal": "Find 20 dentists in Leeds", "places_provider": "osm"}
    policy = "OpenStreetMap&#39;s usage policy asks every application for a contact"
    async with serve(fast_settings(str(tmp_path) + "/a.db")) as (_, client):
        unnamed = (await client.post("/plan", data=goal)).text
        demo = (await client.post("/plan", data={"goal": goal["goal"]})).text
    named_settings = fast_settings(str(tmp_path) + "/b.db", contact="ops@shop.example")
    async with serve(named_settings) as (_, client):
        named = (await client.post("/plan", data=goal)).text

    assert policy in unnamed and "LEADGEN_CONTACT" in unnamed
    assert policy not in demo  # the demo directory serves it: no policy to keep
    assert policy not in named
