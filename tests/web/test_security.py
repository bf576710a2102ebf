"""What an attacker would try at the door: posts from another site or without the page's form
token, framing, inline script, oversized bodies, and starting runs as fast as possible."""

from __future__ import annotations

import re
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import httpx

from tests.web.helpers import GOAL, client_for, fast_settings, finished_run, serve
from webapp.web.auth import CSRF_HEADER

STATE_CHANGING = [
    ("/plan", {"goal": GOAL}),
    ("/runs", {"goal": GOAL}),
    ("/settings/tokens", {"name": "x"}),
    ("/settings/users", {"username": "eve", "password": "eve-password"}),
    ("/logout", {}),
]


async def count_runs(db: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM runs").fetchone()[0])


async def test_posts_without_the_form_token_change_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "web.db")
    async with serve(fast_settings(db)) as (app, client):
        run_id = await finished_run(app, client)
        token = client.headers.pop(CSRF_HEADER)
        for path, data in [*STATE_CHANGING, (f"/runs/{run_id}/retry", {})]:
            missing = await client.post(path, data=data)
            assert missing.status_code == 403, path
            assert "Reload the page and try again" in missing.text
            wrong = await client.post(path, data={**data, "csrf_token": "0" * 64})
            assert wrong.status_code == 403, path
        # A cross-site page can send text/plain or a form, never JSON without a preflight.
        as_text = await client.post(
            "/api/runs", content=f'{{"goal": "{GOAL}"}}', headers={"content-type": "text/plain"}
        )
        assert as_text.status_code == 403 and as_text.json()["error"]["code"] == "csrf"
        cancel = await client.post(f"/api/runs/{run_id}/cancel")
        assert cancel.status_code == 403
        assert await count_runs(db) == 1
        from_elsewhere = await client.post(
            "/api/runs", json={"goal": GOAL}, headers={"origin": "https://evil.example"}
        )
        assert from_elsewhere.status_code == 403
        as_json = await client.post("/api/runs", json={"goal": GOAL})
        assert as_json.status_code == 201
        assert await count_runs(db) == 2
        assert (await client.get("/runs")).status_code == 200  # still logged in

        # The token in the form, or in the header htmx sends, lets the same posts through.
        in_form = await client.post("/runs", data={"goal": GOAL, "csrf_token": token})
        assert in_form.status_code == 303
        in_header = await client.post("/plan", data={"goal": GOAL}, headers={CSRF_HEADER: token})
        assert in_header.status_code == 200
        assert await count_runs(db) == 3


async def test_cross_origin_posts_are_refused_even_with_a_token(tmp_path: Path) -> None:
    db = str(tmp_path / "web.db")
    async with serve(fast_settings(db)) as (_, client):
        for headers in (
            {"origin": "https://evil.example"},
            {"sec-fetch-site": "cross-site"},
            {"sec-fetch-site": "same-site"},
        ):
            answer = await client.post("/runs", data={"goal": GOAL}, headers=headers)
            assert answer.status_code == 403, headers
            assert "Requests from other sites are refused." in answer.text
        same = await client.post(
            "/runs",
            data={"goal": GOAL},
            headers={"origin": "http://test", "sec-fetch-site": "same-origin"},
        )
        assert same.status_code == 303
        # Behind a proxy that ends TLS, the page is https while the app hears http.
        behind_tls = await client.post(
            "/runs", data={"goal": GOAL}, headers={"origin": "https://test"}
        )
        assert behind_tls.status_code == 303
        lookalike = await client.post(
            "/runs", data={"goal": GOAL}, headers={"origin": "http://test.evil.example"}
        )
        assert lookalike.status_code == 403
        assert await count_runs(db) == 2


async def test_a_login_form_from_another_site_is_refused(tmp_path: Path) -> None:
    async with serve(fast_settings(str(tmp_path / "web.db")), user="alice") as (app, _):
        async with client_for(app, None) as client:
            client.headers.pop(CSRF_HEADER)
            forged = await client.post(
                "/login", data={"username": "alice", "password": "password-of-alice"}
            )
            assert forged.status_code == 403


class InlineFinder(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, event-handler and style
    attributes, javascript: URLs, and <style> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.blocked: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not names.get("src"):
            self.blocked.append("inline <script>")
        if tag == "style":
            self.blocked.append("<style>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.blocked.append(f"{tag} {name}=")
            if value and value.strip().lower().startswith("javascript:"):
                self.blocked.append(f"{tag} {name}=javascript:")


async def test_every_page_carries_the_security_headers_and_nothing_the_csp_blocks(
    tmp_path: Path,
) -> None:
    goal = "Find 5 coffee shops in Manchester, email them and monitor for new ones"
    async with serve(fast_settings(str(tmp_path / "web.db"))) as (app, client):
        run_id = await finished_run(app, client, goal)
        answers = {
            path: await client.get(path)
            for path in ("/", "/runs", f"/runs/{run_id}", "/monitors", "/settings", "/nowhere")
        }
        answers["preview"] = await client.post("/plan", data={"goal": goal})
        answers["events"] = await client.get(f"/runs/{run_id}/events")
        answers["api"] = await client.get(f"/api/runs/{run_id}")
        answers["static"] = await client.get("/static/app.js")
        async with client_for(app, None) as stranger:
            answers["login"] = await stranger.get("/login")
        for name, answer in answers.items():
            csp = answer.headers.get("content-security-policy", "")
            assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, name
            assert "style-src 'self'" in csp and "'unsafe-inline'" not in csp, name
            assert answer.headers["x-content-type-options"] == "nosniff", name
            assert answer.headers["referrer-policy"] == "same-origin", name
            assert answer.headers["x-frame-options"] == "DENY", name
            if name != "static":
                assert answer.headers["cache-control"] == "no-store", name
            if answer.headers["content-type"].startswith("text/"):
                finder = InlineFinder()
                text = answer.text
                if name == "events":  # the fragments inside the stream's data lines
                    text = "\n".join(re.findall(r"^data: ?(.*)$", text, re.MULTILINE))
                finder.feed(text)
                assert finder.blocked == [], (name, finder.blocked)


async def test_bodies_over_the_limit_are_refused_before_anything_happens(tmp_path: Path) -> None:
    db = str(tmp_path / "web.db")
    async with serve(fast_settings(db)) as (_, client):
        huge = "x" * (70 * 1024)
        page = await client.post("/runs", data={"goal": huge})
        assert page.status_code == 413 and "over 65,536 bytes" in page.text
        api = await client.post("/api/runs", content=b'{"goal": "' + huge.encode() + b'"}')
        assert api.status_code == 413 and api.json()["error"]["code"] == "too_large"
        assert await count_runs(db) == 0


async def test_starting_runs_is_limited_per_user(tmp_path: Path) -> None:
    db = str(tmp_path / "web.db")
    async with serve(fast_settings(db, runs_per_minute=2), user="alice") as (app, alice):
        for _ in range(2):
            assert (await alice.post("/api/runs", json={"goal": GOAL})).status_code == 201
        refused = await alice.post("/api/runs", json={"goal": GOAL})
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "too_many_runs"
        message = refused.json()["error"]["message"]
        assert message == "You are starting runs faster than 2 a minute. Try again in 30 seconds."
        assert int(refused.headers["retry-after"]) >= 1
        page = await alice.post("/runs", data={"goal": GOAL})
        assert page.status_code == 429 and "Slow down" in page.text
        assert await count_runs(db) == 2
        async with client_for(app, "bob") as bob:  # one person's pace is not another's
            assert (await bob.post("/api/runs", json={"goal": GOAL})).status_code == 201
        assert await count_runs(db) == 3


async def test_the_page_gives_htmx_its_form_token(client: httpx.AsyncClient) -> None:
    page = (await client.get("/")).text
    token = re.search(r'<meta name="csrf-token" content="([0-9a-f]{64})">', page)
    assert token
    assert f'<body hx-headers=\'{{"X-CSRF-Token": "{token.group(1)}"}}\'>' in page
    assert f'<input type="hidden" name="csrf_token" value="{token.group(1)}">' in page


async def test_a_local_script_needs_no_token_with_auth_off(tmp_path: Path) -> None:
    db = str(tmp_path / "web.db")
    async with serve(fast_settings(db, auth="off")) as (app, client):
        client.headers.pop(CSRF_HEADER)
        client.cookies.clear()
        created = await client.post("/api/runs", json={"goal": GOAL})
        assert created.status_code == 201
        await app.state.manager.wait(created.json()["runId"])
        form_post = await client.post("/runs", data={"goal": GOAL})
        assert form_post.status_code == 403  # a page still needs its token
        assert await count_runs(db) == 1
