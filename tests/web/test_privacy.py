"""Each person's runs, leads, sequences and monitors are theirs alone. Bob walks every route
with Alice's ids and gets exactly what an id that does not exist gets: a 404, with the same
words. The walk is built from the app's own route table, so a new route that takes an id
fails this test until it is added here."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.routing import Route

from tests.web.helpers import add_account, client_for, fast_settings, finished_run, run_links, serve

GOAL = "Find 5 coffee shops in Manchester, email them and monitor for new ones"

# Every route whose path names an object, with how to fill it in. `{run}`, `{seq}`, `{mon}`
# and `{tok}` stand for Alice's ids (or ids that do not exist).
WALK: dict[tuple[str, str], list[str]] = {
    ("GET", "/runs/{run_id}"): ["/runs/{run}"],
    ("GET", "/runs/{run_id}/leads.csv"): ["/runs/{run}/leads.csv"],
    ("GET", "/runs/{run_id}/waiting"): ["/runs/{run}/waiting"],
    ("GET", "/runs/{run_id}/leads"): ["/runs/{run}/leads", "/runs/{run}/leads?sort=city"],
    ("POST", "/runs/{run_id}/{action:str}"): [
        "/runs/{run}/cancel",
        "/runs/{run}/resume",
        "/runs/{run}/retry",
    ],
    ("GET", "/runs/{run_id}/events"): ["/runs/{run}/events"],
    ("GET", "/api/runs/{run_id}"): ["/api/runs/{run}"],
    ("POST", "/api/runs/{run_id}/cancel"): ["/api/runs/{run}/cancel"],
    ("GET", "/api/runs/{run_id}/leads"): ["/api/runs/{run}/leads"],
    ("GET", "/api/runs/{run_id}/events"): ["/api/runs/{run}/events"],
    ("POST", "/monitors/{monitor_id}/{action:str}"): [
        "/monitors/{mon}/run",
        "/monitors/{mon}/pause",
        "/monitors/{mon}/resume",
        "/monitors/{mon}/delete",
    ],
    ("POST", "/runs/{run_id}/sequences/{sequence_id}/send"): ["/runs/{run}/sequences/{seq}/send"],
    ("POST", "/settings/tokens/{token_id}/revoke"): ["/settings/tokens/{tok}/revoke"],
    ("GET", "/runs/{run_id}/compare/{other}"): ["/runs/{run}/compare/{run}"],
    ("GET", "/runs/{run_id}/compare/{other}/new.csv"): ["/runs/{run}/compare/{run}/new.csv"],
    ("GET", "/api/runs/{run_id}/compare/{other}"): ["/api/runs/{run}/compare/{run}"],
}
# Routes whose id names no person's object but an account, which only an admin may act on
# (tests/web/test_accounts.py checks who may).
ADMIN_ROUTES = {("POST", "/settings/users/{user_id}/remove")}


def routes_with_ids(app: Starlette) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        if isinstance(route, Route) and "{" in route.path:
            for method in route.methods or ():
                if method != "HEAD":
                    found.add((method, route.path))
    return found


def alices_ids(db: str) -> dict[str, str]:
    with sqlite3.connect(db) as conn:
        run = conn.execute("SELECT id FROM runs WHERE user_id = 'usr_alice'").fetchone()[0]
        seq = conn.execute("SELECT id FROM email_sequences WHERE run_id = ?", (run,)).fetchone()
        mon = conn.execute("SELECT id FROM monitors WHERE run_id = ?", (run,)).fetchone()
        tok = conn.execute("SELECT id FROM api_tokens WHERE user_id = 'usr_alice'").fetchone()
    return {"run": run, "seq": seq[0], "mon": mon[0], "tok": tok[0]}


def missing_ids() -> dict[str, str]:
    return {"run": "run_doesnotexist", "seq": "seq_doesnotexist", "mon": "mon_x", "tok": "tok_x"}


def words(response: httpx.Response) -> str:
    """What the answer says, without the page's per-person parts (name, form token)."""
    text = re.sub(r'content="[0-9a-f]{64}"|"X-CSRF-Token": "[0-9a-f]{64}"', "", response.text)
    text = re.sub(r'<span class="muted">\w+</span>', "", text)
    return re.sub(r"run_\w+|seq_\w+|mon_\w+|tok_\w+", "ID", text)


async def test_every_route_with_an_id_hides_other_peoples_objects(tmp_path: Path) -> None:
    db = str(tmp_path / "web.db")
    async with serve(fast_settings(db), user="alice") as (app, alice):
        assert routes_with_ids(app) == set(WALK) | ADMIN_ROUTES, "a route takes an id: add it"
        run_id = await finished_run(app, alice, GOAL)
        made = await alice.post("/settings/tokens", data={"name": "alice's script"})
        assert made.status_code == 303
        ids = alices_ids(db)
        assert ids["run"] == run_id

        async with client_for(app, "bob") as bob:
            for (method, _), paths in WALK.items():
                for template in paths:
                    theirs = template.format(**ids)
                    nowhere = template.format(**missing_ids())
                    answer = await bob.request(method, theirs, data={"step": "1"})
                    unknown = await bob.request(method, nowhere, data={"step": "1"})
                    assert answer.status_code == 404, (method, theirs, answer.text[:300])
                    assert unknown.status_code == 404, (method, nowhere)
                    assert words(answer) == words(unknown), (method, theirs)

            # Lists show Bob nothing of Alice's.
            for path in ("/", "/runs", "/monitors", "/api/runs", "/settings"):
                page = await bob.get(path)
                assert page.status_code == 200, path
                assert ids["run"] not in page.text and ids["mon"] not in page.text, path
            assert run_links((await bob.get("/runs?q=Manchester")).text) == []
            assert (await bob.get("/api/runs")).json()["runs"] == []

        # Alice's objects are untouched by Bob's attempts, and still hers to see.
        document = (await alice.get(f"/api/runs/{run_id}")).json()
        assert document["run"]["status"] == "succeeded"
        assert ids["mon"] in (await alice.get("/monitors")).text
        settings_page = (await alice.get("/settings")).text
        assert "alice&#39;s script" in settings_page
        assert (await alice.get(f"/runs/{run_id}/leads.csv")).status_code == 200


async def test_an_api_token_sees_only_its_owners_runs(tmp_path: Path) -> None:
    async with serve(fast_settings(str(tmp_path / "web.db")), user="alice") as (app, alice):
        run_id = await finished_run(app, alice)
        bob = await add_account(app, "bob", admin=False)
        token, _ = await app.state.auth.accounts.create_token(bob, "bob's")
        async with client_for(app, None) as script:
            script.headers["Authorization"] = f"Bearer {token}"
            assert (await script.get(f"/api/runs/{run_id}")).status_code == 404
            assert (await script.get("/api/runs")).json()["runs"] == []
            created = await script.post("/api/runs", json={"goal": "Find 3 florists in York"})
            assert created.status_code == 201
            assert created.json()["run"]["userId"] == "usr_bob"
        listed = (await alice.get("/api/runs")).json()["runs"]
        assert [run["runId"] for run in listed] == [run_id]


async def test_a_run_still_going_is_hidden_from_others_as_well(tmp_path: Path) -> None:
    # Its owner is known without a store read while this process runs it: the same answers.
    settings = fast_settings(str(tmp_path / "web.db"), demo_latency_ms=60_000)
    async with serve(settings, user="alice") as (app, alice):
        run_id = (await alice.post("/api/runs", json={"goal": GOAL})).json()["runId"]
        assert app.state.manager.local_owner(run_id) == "usr_alice"

        async with client_for(app, "bob") as bob:
            for method, path in (
                ("GET", "/runs/{}/events"),
                ("GET", "/api/runs/{}/events"),
                ("GET", "/runs/{}/leads.csv"),
                ("GET", "/api/runs/{}/leads"),
                ("POST", "/api/runs/{}/cancel"),
                ("POST", "/runs/{}/cancel"),
            ):
                answer = await bob.request(method, path.format(run_id))
                unknown = await bob.request(method, path.format("run_doesnotexist"))
                assert answer.status_code == unknown.status_code == 404, (method, path)
                assert words(answer) == words(unknown), (method, path)

        document = (await alice.get(f"/api/runs/{run_id}")).json()
        assert document["run"]["status"] == "running"  # Bob's cancels did nothing
