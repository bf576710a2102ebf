"""Compare two runs: from a run's page, another run of a similar goal; the leads that are new,
gone and changed, on a page, as JSON, and the new ones as CSV; never another person's run."""

from __future__ import annotations

import csv
import html
import io
import re

import httpx
from starlette.applications import Starlette

from tests.web.helpers import client_for, finished_run


async def test_two_runs_of_a_goal_compared_on_the_page_the_api_and_the_csv(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    earlier = await finished_run(app, client, "Find 5 coffee shops in Manchester")
    later = await finished_run(app, client, "Find 9 coffee shops in Manchester")

    run_page = (await client.get(f"/runs/{later}")).text
    api = (await client.get(f"/api/runs/{later}/compare/{earlier}")).json()
    page = (await client.get(f"/runs/{later}/compare/{earlier}")).text
    new_csv = await client.get(f"/runs/{later}/compare/{earlier}/new.csv")

    assert f'href="/runs/{later}/compare/{earlier}"' in run_page  # offered from the run
    counts = api["counts"]
    assert counts["new"] + counts["changed"] + counts["same"] == 9  # every lead of the later
    assert counts["gone"] + counts["changed"] + counts["same"] == 5  # ... and of the earlier
    assert counts["new"] >= 4 and len(api["new"]) == counts["new"]
    assert f'id="count-new">{counts["new"]}<' in page
    assert all(lead["businessName"] in html.unescape(page) for lead in api["new"])
    rows = list(csv.reader(io.StringIO(new_csv.text)))
    assert len(rows) == 1 + counts["new"]
    assert sorted(row[0] for row in rows[1:]) == sorted(x["businessName"] for x in api["new"])


async def test_another_persons_run_is_never_compared(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    alices = await finished_run(app, client, "Find 5 coffee shops in Manchester")
    async with client_for(app, "bob") as bob:
        bobs = await finished_run(app, bob, "Find 5 coffee shops in Manchester")
        answers = [
            await bob.get(f"/runs/{bobs}/compare/{alices}"),
            await bob.get(f"/api/runs/{bobs}/compare/{alices}"),
            await bob.get(f"/runs/{bobs}/compare/{alices}/new.csv"),
        ]
        bobs_page = (await bob.get(f"/runs/{bobs}")).text

    assert [answer.status_code for answer in answers] == [404, 404, 404]
    assert alices not in bobs_page  # not offered either


async def test_a_run_offers_five_ended_runs_to_compare_with_even_behind_newer_going_ones(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    ended = [await finished_run(app, client, "Find 5 coffee shops in Manchester") for _ in range(6)]
    store = app.state.store
    first = await store.runs.get(ended[0])
    assert first is not None
    for n in range(2):  # newer runs of the same kind, still waiting to start
        await store.runs.create(
            run_id=f"run_going{n}",
            plan=first.plan,
            user_id=first.user_id,
            created_at=f"2999-01-01T00:00:0{n}Z",
        )

    page = (await client.get(f"/runs/{ended[0]}")).text

    offered = re.findall(rf'href="/runs/{ended[0]}/compare/(run_\w+)"', page)
    assert (
        offered == ended[:0:-1]
    )  # the five others, newest first; neither itself nor a pending one
