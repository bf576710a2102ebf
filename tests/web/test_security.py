"""What an attacker would try at the door: posts from another site or without the page's form
token, framing, inline script, oversized bodies, and starting runs as fast as possible."""

from __future__ import annotations

import ipaddress
import itertools
import re
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from pydantic import ValidationError

from tests.web.helpers import GOAL, client_for, fast_settings, finished_run, serve
from webapp.settings import Settings
from webapp.web.auth import CSRF_HEADER
from webapp.web.limits import LOGIN_FAILURES_PER_ADDRESS

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


async def test_the_address_limit_believes_x_forwarded_for_only_from_a_named_proxy(
    tmp_path: Path,
) -> None:
    settings = fast_settings(str(tmp_path / "web.db"), trusted_proxies="10.0.0.0/8")
    async with serve(settings, user=None) as (app, _):
        # Names nobody has cost a check with the hasher's own (here cheap) parameters.
        app.state.auth.accounts.hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        names = itertools.count()  # a new name each time: only the address limit applies

        async def failures(client: httpx.AsyncClient, forwarded: list[str]) -> list[int]:
            return [
                (
                    await client.post(
                        "/login",
                        data={"username": f"nobody{next(names)}", "password": "guess-guess"},
                        headers={"x-forwarded-for": value},
                    )
                ).status_code
                for value in forwarded
            ]

        # A client no setting names says it is someone new each time: still one address.
        async with client_for(app, None, address="203.0.113.9") as stranger:
            rotating = [f"198.51.100.{n}" for n in range(LOGIN_FAILURES_PER_ADDRESS + 1)]
            assert await failures(stranger, rotating) == [401] * LOGIN_FAILURES_PER_ADDRESS + [429]
        # Through the proxy, each client is its own address, the one the proxy added last.
        async with client_for(app, None, address="10.0.0.2") as proxy:
            one = ["198.51.100.7"] * LOGIN_FAILURES_PER_ADDRESS
            assert await failures(proxy, one) == [401] * LOGIN_FAILURES_PER_ADDRESS
            forged = "192.0.2.1, 198.51.100.7"  # what the client sent, then what the proxy saw
            assert await failures(proxy, [forged, "198.51.100.7"]) == [429, 429]
            assert await failures(proxy, ["198.51.100.8"]) == [401]
            # Proxies named in a chain are skipped: the first address from the right not named.
            assert await failures(proxy, ["198.51.100.7, 10.0.0.3"]) == [429]
        # Loopback, trusted by default, is not trusted once the setting names others.
        async with client_for(app, None) as local:
            rotating = [f"192.0.2.{n}" for n in range(LOGIN_FAILURES_PER_ADDRESS + 1)]
            assert await failures(local, rotating) == [401] * LOGIN_FAILURES_PER_ADDRESS + [429]


async def test_x_forwarded_proto_is_believed_only_from_a_named_proxy(tmp_path: Path) -> None:
    settings = fast_settings(str(tmp_path / "web.db"), trusted_proxies="10.0.0.2, 10.1.0.0/16")
    async with serve(settings, user="alice") as (app, _):
        for address, secure in (("10.0.0.2", True), ("10.1.2.3", True), ("203.0.113.9", False)):
            async with client_for(app, None, address=address) as client:
                answer = await client.post(
                    "/login",
                    data={"username": "alice", "password": "password-of-alice"},
                    headers={"x-forwarded-proto": "https"},
                )
                assert answer.status_code == 303
                assert ("Secure" in answer.headers["set-cookie"]) is secure, address


def test_the_trusted_proxies_are_loopback_unless_named() -> None:
    assert Settings(_env_file=None).trusted_proxy_networks() == (
        ipaddress.ip_network("127.0.0.0/8"),
        ipaddress.ip_network("::1"),
    )
    named = Settings(_env_file=None, trusted_proxies=" 10.0.0.0/8 ,fd00::1")
    assert named.trusted_proxies == "10.0.0.0/8,fd00::1"
    none = Settings(_env_file=None, trusted_proxies="")
    assert none.trusted_proxy_networks() == ()
    for wrong in ("*", "proxy.internal", "10.0.0.0/33"):
        with pytest.raises(ValidationError, match="LEADGEN_TRUSTED_PROXIES"):
            Settings(_env_file=None, trusted_proxies=wrong)
    # The Procfile's uvicorn leaves the forwarded headers to the app, which reads the setting.
    procfile = (Path(__file__).parents[2] / "Procfile").read_text()
    command = next(line for line in procfile.splitlines() if line.startswith("web:"))
    assert "--no-proxy-headers" in command and "forwarded-allow-ips" not in command


async def test_auth_off_answers_only_to_a_loopback_host(tmp_path: Path) -> None:
    """A page of another site can point its own name at 127.0.0.1 (DNS rebinding) and read what
    this server says to it; its requests still carry its own name in Host."""
    db = str(tmp_path / "web.db")
    async with serve(fast_settings(db, auth="off")) as (_, client):
        for host in ("localhost:8000", "LOCALHOST", "127.0.0.1:8000", "127.9.9.9", "[::1]:8000"):
            assert (await client.get("/", headers={"host": host})).status_code == 200, host
        for host in (
            "evil.example",
            "evil.example:8000",
            "127.0.0.1.evil.example",
            "localhost.evil.example:8000",
            "[::2]:8000",
            "::1",
            "",
        ):
            page = await client.get("/runs", headers={"host": host})
            assert page.status_code == 421, host
            assert "open it as localhost, 127.0.0.1 or [::1]" in page.text
            api = await client.post("/api/runs", json={"goal": GOAL}, headers={"host": host})
            assert api.status_code == 421 and api.json()["error"]["code"] == "wrong_host"
        assert await count_runs(db) == 0
    async with serve(fast_settings(db)) as (_, client):  # accounts on: any name may be served
        assert (await client.get("/runs", headers={"host": "leads.example"})).status_code == 200
