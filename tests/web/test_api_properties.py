"""POST /api/runs with any body at all: JSON objects whose fields have any type, other JSON,
bytes that are not JSON, huge numbers, deep nesting, bodies over the limit. The answer is a 4xx
with `{"error": {"code", "message"}}` or a 201 with a run that can be read back; never a 500."""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from tests.web.helpers import fast_settings, serve
from webapp.web.forms import MAX_BODY_BYTES

MAX_VOLUME = 30  # runs that start stay small
FIELDS = (
    "goal",
    "volume",
    "region",
    "country",
    "persona",
    "email",
    "monitoring",
    "places_provider",
    "email_provider",
    "budget",
)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and ±Infinity too: Python's json writes and reads them
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
AMOUNTS = st.one_of(
    st.integers(1, 100),
    st.sampled_from([0, -1, 10**7, math.inf, -math.inf, math.nan, "1e400", "12", True, None]),
    st.floats(),
    st.integers(),
    st.text(max_size=8),
)
GOALS = st.sampled_from(
    ["Find 5 coffee shops in Manchester", "3 dentists in Leeds and email them", "plumbers"]
)
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "goal": GOALS | st.text(max_size=600),
    "volume": st.integers(-3, 40) | st.sampled_from(["5", "five", "", "1e3", " 7 "]),
    "region": st.sampled_from(["Leeds", "Austin, TX", "", "<b>x</b>", "y" * 101]),
    "country": st.sampled_from(["GB", "us", "Narnia", "", "XX"]),
    "persona": st.sampled_from(["cafes", "", "z" * 101, 'x" onmouseover="alert(1)']),
    "email": st.booleans() | st.none(),
    "monitoring": st.booleans() | st.none(),
    "places_provider": st.sampled_from(["demo", "google", "yelp", "", "OSM"]),
    "email_provider": st.sampled_from(["demo", "hunter", "x"]),
    "budget": st.fixed_dictionaries(
        {},
        optional={
            "requests": AMOUNTS,
            "credits": AMOUNTS,
            "other": st.integers(),
        },
    ),
}
RUNNABLE = st.fixed_dictionaries(
    {"goal": GOALS},
    optional={
        "volume": st.integers(1, 10),
        "email": st.booleans(),
        "monitoring": st.booleans(),
        "places_provider": st.sampled_from(["demo", "google"]),
        "budget": st.fixed_dictionaries({}, optional={"requests": AMOUNTS, "credits": AMOUNTS}),
    },
)
OBJECTS = st.fixed_dictionaries(
    {},
    optional={name: st.one_of(value, value, JSON) for name, value in PLAUSIBLE.items()},
) | st.dictionaries(st.sampled_from([*FIELDS, "timing", "userId", ""]), JSON, max_size=6)
BODIES = st.one_of(
    RUNNABLE.map(lambda body: json.dumps(body).encode()),
    OBJECTS.map(lambda body: json.dumps(body).encode()),
    OBJECTS.map(lambda body: json.dumps(body).encode()),
    JSON.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=64),
    st.text(max_size=64).map(str.encode),
)


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    # a 500 comes back as an answer, to be asserted on, rather than as the exception
    # OpenStreetMap is never chosen here (its one request a second would slow the test), but
    # should a run reach for it, it must not reach the internet
    nowhere = "http://127.0.0.1:9"
    settings = fast_settings(
        str(tmp_path / "api.db"),
        max_volume=MAX_VOLUME,
        default_volume=5,
        nominatim_url=nowhere,
        overpass_url=nowhere,
        retry_max_retries=0,
    )
    async with serve(settings, raise_app_exceptions=False) as pair:
        yield pair


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=BODIES)
@example(body=b'{"goal": "Find 5 cafes in Leeds", "volume": ' + b"9" * 5000 + b"}")
@example(body=b'{"goal": "Find 5 cafes in Leeds", "budget": {"requests": Infinity}}')
@example(body=b'{"goal": "Find 5 cafes in Leeds", "budget": {"credits": 1e400}}')
@example(body=b'{"goal": "Find 5 cafes in Leeds", "budget": {"credits": ' + b"9" * 400 + b"}}")
@example(body=b'{"goal": "Find 5 cafes in Leeds", "volume": NaN}')
@example(body=b'{"goal": ' + b"[" * 5000 + b"]" * 5000 + b"}")
@example(body=b"[" * 50_000)
@example(body=b'{"goal": "' + b"x" * (MAX_BODY_BYTES + 1) + b'"}')
@example(body=b'{"goal": "Find 5 cafes in Leeds", "goal": 5}')
@example(body=b'{"goal": "Find 5 cafes \xff in Leeds"}')
@example(body=b"\xef\xbb\xbf{}")
@example(body=b'{"goal": "Find 5 cafes in Leeds", "volume": "\\ud800"}')  # a lone surrogate
@example(body=b'{"goal": "Find 5 cafes in Leeds", "\\ud800": 1}')
@example(body=b'{"goal": "Find 5 cafes in Leeds", "budget": {"\\udfff": 1}}')
@example(body=b"")
async def test_any_body_gets_a_clear_4xx_or_a_run(
    served: tuple[Starlette, httpx.AsyncClient], body: bytes
) -> None:
    app, client = served
    headers = {"content-type": "application/json"}

    response = await client.post("/api/runs", content=body, headers=headers)

    event(f"HTTP {response.status_code}")
    assert response.headers["content-type"] == "application/json", response.text
    answer = response.json()
    if response.status_code == 201:
        await a_valid_run(app, client, response, answer)
        return
    assert 400 <= response.status_code < 500, (body[:200], response.text)
    error = answer["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"].strip()


async def a_valid_run(
    app: Starlette, client: httpx.AsyncClient, response: httpx.Response, answer: dict[str, Any]
) -> None:
    run_id = answer["runId"]
    assert response.headers["location"] == f"/api/runs/{run_id}"
    goal = answer["run"]["plan"]["goal"]
    assert 1 <= goal["volume"] <= MAX_VOLUME
    assert goal["targetPersona"].strip() and len(goal["targetRegion"]) <= 100
    assert [step["stepId"] for step in answer["steps"]][:4] == [
        "google_places_1",
        "hunter_domain_lookup_2",
        "hunter_enrich_3",
        "lead_list_save_4",
    ]
    budget = answer["run"]["options"].get("budget", {})
    assert all(0 < value <= 1_000_000 and math.isfinite(value) for value in budget.values())
    await app.state.manager.wait(run_id)
    read = await client.get(f"/api/runs/{run_id}")
    assert read.status_code == 200
    assert read.json()["run"]["status"] in ("succeeded", "partial", "failed")
