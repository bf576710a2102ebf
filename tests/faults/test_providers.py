"""Providers failing under a run: no answer at all, answers too slow to wait for, 5xx, a proxy's
error page and malformed JSON. Each run is started and watched through the app, against fakes
on 127.0.0.1; after each, the log is whole, the stream is the log and the statuses are true."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.faults.provider_faults import Fault, Misbehaving
from tests.faults.truth import Truth, assert_stream_is_the_log, assert_truthful
from tests.faults.watch import run_and_watch
from tests.tools.fakes.google_places import GOOD_KEY, PLACES, UNAVAILABLE, google_places_app
from tests.tools.fakes.hunter import TEST_KEY, hunter_app, person
from tests.tools.live_server import serving
from tests.web.helpers import fast_settings, serve
from webapp.settings import Settings
from webapp.tools import lead_calls
from webapp.tools.providers import clients
from webapp.tools.providers.timeouts import CallTimeouts
from webapp.tools.providers.web_domains import domain_of

DEPENDENTS = {  # each step after the search, and the step that blocks it when the search fails
    "hunter_domain_lookup_2": "google_places_1",
    "hunter_enrich_3": "hunter_domain_lookup_2",
    "lead_list_save_4": "hunter_enrich_3",
}
GAVE_UP = "Gave up after 3 attempts; this may pass, so retry the run later."
VOLUME = 5  # the helpers' GOAL asks for 5 coffee shops


def google_settings(tmp_path: Path, url: str, **overrides: Any) -> Settings:
    return fast_settings(
        str(tmp_path / "faults.db"),
        google_places_api_key=GOOD_KEY,
        google_places_url=url,
        **{"email_providers": "demo", **overrides},
    )


@pytest.fixture
def quick_http_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every provider call gives up on a silent server at once, not after its documented wait."""
    monkeypatch.setattr(clients, "DOCUMENTED", CallTimeouts.all_at(0.05))


async def run_against_google(
    tmp_path: Path, faults: list[Fault | None], status: str, *, script: Any = (), **settings: Any
) -> tuple[Truth, Misbehaving]:
    """A run whose places search goes to a fake Google Places playing `faults` (and, behind
    them, its own scripted `script` answers); the stored truth once it is over."""
    google = Misbehaving(google_places_app(script=list(script)), faults)
    with serving(google) as url:
        async with serve(google_settings(tmp_path, url, **settings)) as (app, client):
            run_id, messages = await run_and_watch(client)
            truth = await assert_truthful(app.state.store, run_id, status)
    assert_stream_is_the_log(messages, truth)
    return truth, google


def assert_search_failed_and_the_rest_skipped(truth: Truth, message: str) -> None:
    places = truth.steps["google_places_1"]
    assert (places.status, places.attempts, places.error_message) == ("failed", 3, message)
    assert "Traceback" not in message and "Error:" not in message
    assert truth.types.count("STEP_RETRYING") == 2
    for step_id, blocker in DEPENDENTS.items():
        assert (truth.steps[step_id].status, truth.steps[step_id].blocked_by) == (
            "skipped",
            blocker,
        )
    assert truth.run.lead_count == 0


def assert_found_after_retrying(truth: Truth) -> None:
    places = truth.steps["google_places_1"]
    assert (places.status, places.attempts) == ("succeeded", 2)
    assert [e.attempt for e in truth.events if e.type == "STEP_RETRYING"] == [1]
    assert truth.run.lead_count == VOLUME


async def test_a_provider_that_never_answers_fails_the_step_in_words_a_user_can_act_on(
    tmp_path: Path, quick_http_timeout: None
) -> None:
    truth, google = await run_against_google(tmp_path, ["hang"] * 3, "failed")

    assert google.requests == 3  # every attempt asked again
    assert_search_failed_and_the_rest_skipped(
        truth, f"Google Places did not answer in time. {GAVE_UP}"
    )


async def test_an_answer_too_slow_to_wait_for_is_cut_off_and_asked_again(tmp_path: Path) -> None:
    # the first answer never comes; the attempt's own time limit ends the wait
    truth, google = await run_against_google(tmp_path, ["hang"], "succeeded", step_timeout_s=0.2)

    assert google.requests == 2
    assert_found_after_retrying(truth)
    retrying = next(e for e in truth.events if e.type == "STEP_RETRYING")
    assert retrying.error_message == "GOOGLE_PLACES_SEARCH did not answer within 200 ms"


async def test_a_5xx_then_an_answer_is_retried_and_succeeds(tmp_path: Path) -> None:
    truth, _ = await run_against_google(tmp_path, [], "succeeded", script=[UNAVAILABLE])

    assert_found_after_retrying(truth)
    retrying = next(e for e in truth.events if e.type == "STEP_RETRYING")
    assert retrying.error_message == (
        "Google Places is unavailable (HTTP 503 UNAVAILABLE); trying again."
    )


async def test_5xx_on_every_attempt_fails_the_run_in_plain_words(tmp_path: Path) -> None:
    truth, _ = await run_against_google(tmp_path, ["bad_gateway"] * 3, "failed")

    assert_search_failed_and_the_rest_skipped(
        truth, f"Google Places is unavailable (HTTP 502). {GAVE_UP}"
    )


async def test_malformed_json_then_an_answer_is_retried_and_succeeds(tmp_path: Path) -> None:
    truth, google = await run_against_google(tmp_path, ["garbled"], "succeeded")

    assert google.requests == 2
    assert_found_after_retrying(truth)
    retrying = next(e for e in truth.events if e.type == "STEP_RETRYING")
    assert retrying.error_message == (
        "Google Places sent an answer that is not a JSON object; trying again."
    )


async def test_malformed_json_on_every_attempt_fails_in_plain_words_and_is_not_kept(
    tmp_path: Path,
) -> None:
    google = Misbehaving(google_places_app(), ["garbled"] * 3)
    with serving(google) as url:
        async with serve(google_settings(tmp_path, url)) as (app, client):
            first, messages = await run_and_watch(client)
            truth = await assert_truthful(app.state.store, first, "failed")
            # Google answers properly again: the same search must ask it, not a cache
            again, _ = await run_and_watch(client)
            await assert_truthful(app.state.store, again, "succeeded")

    assert_stream_is_the_log(messages, truth)
    assert_search_failed_and_the_rest_skipped(
        truth, f"Google Places sent an answer that is not a JSON object. {GAVE_UP}"
    )
    # A cut-off 200 answer used to be kept in the provider cache: later attempts, and every
    # run with the same search for a week, were served the garbage without asking Google.
    assert google.requests == 3 + 1


def hunter_domains() -> dict[str, list[dict[str, Any]]]:
    """Every fake place's domain, each with one person Hunter knows."""
    domains = (domain_of(place.get("websiteUri")) for place in PLACES)
    return {
        domain: [person(domain, "Ava", "Stone", "Owner", "executive", "management", "valid")]
        for domain in domains
        if domain
    }


async def test_a_proxy_error_page_from_hunter_is_retried_and_the_emails_arrive(
    tmp_path: Path,
) -> None:
    google = google_places_app()
    # One request's own tries all fail (a lone 502 would be absorbed by its own retry): as it
    # is the step's only request, the provider looks down and the step is retried.
    hunter = Misbehaving(hunter_app(domains=hunter_domains()), ["bad_gateway"] * lead_calls.TRIES)
    with serving(google) as google_url, serving(hunter) as hunter_url:
        settings = google_settings(
            tmp_path,
            google_url,
            hunter_api_key=TEST_KEY,
            hunter_url=hunter_url,
            email_providers="hunter",
        )
        async with serve(settings) as (app, client):
            run_id, messages = await run_and_watch(client)
            truth = await assert_truthful(app.state.store, run_id, "succeeded")
            leads = await app.state.store.outputs.leads_for_run(run_id)

    assert_stream_is_the_log(messages, truth)
    retried = [e for e in truth.events if e.type == "STEP_RETRYING"]
    assert len(retried) == 1
    assert retried[0].error_message == "Hunter had a server error (HTTP 502); trying again."
    assert truth.steps[retried[0].step_id or ""].attempts == 2
    assert len(leads) == VOLUME
    assert all(lead.email and lead.email.startswith("ava@") for lead in leads if lead.domain)
