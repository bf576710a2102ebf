"""A run on OpenStreetMap with no key: its emails come from the businesses' own websites, and
the run page says so: which provider found each email, on which page, and in the funnel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.faults.watch import run_and_watch
from tests.tools.fakes.osm import nominatim_app, overpass_app
from tests.tools.fakes.web import fake_web_as_proxy
from tests.tools.live_server import serving
from tests.web.helpers import fast_settings, serve

CAFES: list[dict[str, Any]] = [
    {
        "type": "node",
        "id": 9100 + number,
        "lat": 53.48,
        "lon": -2.24,
        "tags": {"amenity": "cafe", "name": name, "website": f"http://{host}/"},
    }
    for number, (name, host) in enumerate(
        [("Mailto Cafe", "mailto.example"), ("Robots Cafe", "robots.example")]
    )
]


async def test_the_run_page_says_which_emails_came_from_websites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with (
        fake_web_as_proxy(monkeypatch),
        serving(nominatim_app()) as nominatim,
        serving(overpass_app(CAFES)) as overpass,
    ):
        settings = fast_settings(
            str(tmp_path / "web.db"),
            places_provider="osm",
            nominatim_url=nominatim,
            overpass_url=overpass,
            contact="ops@leadgen.example",
            mx_check="off",
        )
        async with serve(settings) as (_, client):
            run_id, _ = await run_and_watch(client, "Find 2 cafes in Manchester")
            page = (await client.get(f"/runs/{run_id}")).text
            leads = (await client.get(f"/api/runs/{run_id}/leads")).json()

    assert "… from website" in page  # the funnel
    assert 'via <a href="http://mailto.example/contact"' in page  # the page it was found on
    found = {lead["businessName"]: lead for lead in leads["leads"]}
    assert found["Mailto Cafe"]["email"] == "maya@mailto.example"
    assert found["Mailto Cafe"]["emailFoundBy"] == "website"
    assert "robots.txt does not allow" in found["Robots Cafe"]["notes"]
