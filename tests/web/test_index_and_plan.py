"""The goal form (GET /) and the plan preview (POST /plan): parsed fields, graph, steps,
estimate, and errors next to the field they are about, with nothing started."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.applications import Starlette

from tests.web.helpers import field_value, finished_run, run_ids, run_links

PREVIEW_GOAL = "Find 20 coffee shops in Manchester and email them"


async def test_the_home_page_is_the_goal_form(client: httpx.AsyncClient) -> None:
    response = await client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<form class="goal-form" method="post" action="/plan"' in page
    assert '<input id="goal" name="goal"' in page
    assert "No runs yet" in page


async def test_recent_runs_are_listed_newest_first_with_their_goal_escaped(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    older = await finished_run(app, client, "Find 3 dentists in Leeds")
    newer = await finished_run(app, client, 'Find 3 "coffee" shops & bakeries <b in York')

    page = (await client.get("/")).text

    assert run_links(page) == [newer, older]
    assert "No runs yet" not in page
    assert "Find 3 &#34;coffee&#34; shops &amp; bakeries &lt;b in York" in page
    assert "<b in York" not in page


async def test_a_plain_preview_is_the_whole_page_with_the_parsed_fields(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/plan", data={"goal": PREVIEW_GOAL})

    assert response.status_code == 200
    page = response.text
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert '<input type="hidden" name="goal" value="Find 20 coffee shops in Manchester' in page
    assert field_value(page, "persona") == "coffee shops"
    assert field_value(page, "region") == "Manchester"
    assert field_value(page, "volume") == "20"
    assert re.search(r'<input type="checkbox" name="email" checked>', page)
    assert re.search(r'<input type="checkbox" name="monitoring">', page)
    assert 'id="start"' in page
    assert await run_ids(client) == []


async def test_the_preview_draws_the_plan_as_a_graph_with_its_steps_and_costs(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.post("/plan", data={"goal": PREVIEW_GOAL})).text

    nodes = re.findall(r'<g class="node state-pending" id="node-(\w+)"', page)
    assert nodes == [
        "google_places_1",
        "hunter_domain_lookup_2",
        "hunter_enrich_3",
        "lead_list_save_4",
        "email_sequence_setup_5",
    ]
    assert len(re.findall(r'<path class="edge ', page)) == 4  # one per dependency
    assert 'aria-label="Plan graph: 5 steps"' in page
    steps = re.search(r'<ol class="plan-steps">(.*?)</ol>', page, re.DOTALL)
    assert steps is not None
    assert len(re.findall(r"<li>", steps.group(1))) == 5
    assert "<code>EMAIL_SEQUENCE_SETUP</code>" in steps.group(1)
    assert "Provider requests, estimated" in page
    estimate = re.search(r'<ul class="estimate">(.*?)</ul>', page, re.DOTALL)
    assert estimate is not None
    # the step's name first, its id beside it
    assert (
        'Find coffee shops in Manchester <code class="muted">google_places_1</code>: demo '
        "directory, 1 request"
    ) in estimate.group(1)
    assert "Demo data" in page


async def test_an_htmx_preview_is_only_the_preview_fragment(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/plan", data={"goal": PREVIEW_GOAL}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200
    fragment = response.text
    assert fragment.startswith('<div id="preview"')
    assert "<html" not in fragment and "<!doctype" not in fragment.lower()
    assert 'id="node-google_places_1"' in fragment
    assert field_value(fragment, "persona") == "coffee shops"


async def test_the_preview_shows_the_fields_sent_back_by_the_form(
    client: httpx.AsyncClient,
) -> None:
    form = {
        "goal": PREVIEW_GOAL,
        "overrides": "1",
        "persona": "dentists",
        "region": "Leeds",
        "country": "GB",
        "volume": "7",
        "monitoring": "on",
    }
    page = (await client.post("/plan", data=form, headers={"HX-Request": "true"})).text

    assert field_value(page, "persona") == "dentists"
    assert field_value(page, "region") == "Leeds"
    assert field_value(page, "volume") == "7"
    assert re.findall(r'id="node-(\w+)"', page)[-1] == "monitor_setup_5"
    assert "EMAIL_SEQUENCE_SETUP" not in page  # the box came back unticked


BAD_GOALS = [
    pytest.param({"goal": ""}, "goal", "Type a goal", id="empty"),
    pytest.param({"goal": "   "}, "goal", "Type a goal", id="blank"),
    pytest.param({"goal": '"><img src=x onerror=alert(1)>'}, "goal", "HTML markup", id="markup"),
    pytest.param({"goal": "Find " + "x" * 600}, "goal", "500 characters", id="too-long"),
    pytest.param(
        {"goal": PREVIEW_GOAL, "overrides": "1", "persona": "coffee shops", "volume": "-5"},
        "volume",
        "between 1 and 500",
        id="volume-negative",
    ),
    pytest.param(
        {"goal": PREVIEW_GOAL, "overrides": "1", "persona": "coffee shops", "volume": "10000000"},
        "volume",
        "between 1 and 500",
        id="volume-huge",
    ),
    pytest.param(
        {"goal": PREVIEW_GOAL, "overrides": "1", "persona": "coffee shops", "volume": "five"},
        "volume",
        "whole number, such as 20, not “five”",
        id="volume-not-a-number",
    ),
]


def error_next_to(page: str, field: str) -> str:
    """The message shown with `field`: the goal's under the goal box, the others under their
    input (which points at it with aria-describedby)."""
    if field == "goal":
        match = re.search(r'<p class="error" role="alert" id="goal-error">([^<]*)</p>', page)
    else:
        assert f'aria-invalid="true" aria-describedby="e-{field}"' in page
        match = re.search(rf'<p class="error" id="e-{field}">([^<]*)</p>', page)
    assert match, f"no error shown for {field}"
    return match.group(1)


@pytest.mark.parametrize(("form", "field", "words"), BAD_GOALS)
@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
async def test_a_goal_that_cannot_be_planned_is_explained_and_starts_nothing(
    client: httpx.AsyncClient, form: dict[str, str], field: str, words: str, htmx: bool
) -> None:
    headers = {"HX-Request": "true"} if htmx else {}
    response = await client.post("/plan", data=form, headers=headers)

    assert response.status_code == 422
    assert words in error_next_to(response.text, field)
    assert ("<html" in response.text) is not htmx
    assert 'id="start"' not in response.text
    assert "<img" not in response.text
    assert await run_ids(client) == []


async def test_a_one_megabyte_goal_is_refused_as_too_large(client: httpx.AsyncClient) -> None:
    # The body limit (64 KB) answers before the goal's own 500-character check can.
    response = await client.post("/plan", data={"goal": "Find " + "x" * 1_000_000})

    assert response.status_code == 413
    assert "<h1>Too large</h1>" in response.text
    assert await run_ids(client) == []


async def test_an_invalid_field_keeps_what_the_user_typed_in_the_others(
    client: httpx.AsyncClient,
) -> None:
    form = {
        "goal": PREVIEW_GOAL,
        "overrides": "1",
        "persona": "dentists",
        "region": "York",
        "country": "GB",
        "volume": "-5",
        "email": "on",
    }
    page = (await client.post("/plan", data=form, headers={"HX-Request": "true"})).text

    assert "between 1 and 500" in error_next_to(page, "volume")
    assert field_value(page, "persona") == "dentists"
    assert field_value(page, "region") == "York"
    assert field_value(page, "volume") == "-5"
    assert '<input type="checkbox" name="email" checked>' in page


async def test_a_goal_with_no_kind_of_business_is_asked_about_not_planned(
    client: httpx.AsyncClient,
) -> None:
    page = await client.post("/plan", data={"goal": "asdf"})
    api = await client.post("/api/runs", json={"goal": "asdf"})

    assert page.status_code == 422
    assert "could not find a kind of business in “asdf”" in page.text
    assert "50 dentists in Leeds" in page.text  # it says what would do
    assert api.status_code == 422
    assert api.json()["error"]["field"] == "persona"
    assert (await client.get("/api/runs")).json()["runs"] == []


async def test_the_preview_shows_the_region_and_country_it_will_use_by_default(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.post("/plan", data={"goal": "Find 20 dentists"})).text

    assert 'id="f-region" name="region" value="UK"' in page
    assert 'id="f-country" name="country" value="GB"' in page
    assert "The goal names none: the default is used." in page
