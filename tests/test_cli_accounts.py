"""Accounts from the shell: `users add|list|remove` and `tokens create`, and `serve` refusing
LEADGEN_AUTH=off beyond loopback."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from tests.web.helpers import client_for, fast_settings, serve
from webapp.cli import main


@pytest.fixture(autouse=True)
def quiet_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LEADGEN_DB", str(tmp_path / "default.db"))
    monkeypatch.setenv("LEADGEN_DEMO_LATENCY_MS", "0")
    monkeypatch.chdir(tmp_path)


def out_of(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_add_list_and_remove_accounts(capsys: pytest.CaptureFixture[str]) -> None:
    assert "No accounts yet" in out_of(capsys, "users", "list")[1]
    status, out, _ = out_of(capsys, "users", "add", "ann", "--password", "ann-password")
    assert status == 0 and out.strip() == "Added ann (admin, as the first account)."
    status, out, _ = out_of(capsys, "users", "add", "bob", "--password", "bob-password")
    assert status == 0 and out.strip() == "Added bob."
    status, _, err = out_of(capsys, "users", "add", "BOB", "--password", "bob-password")
    assert status == 2 and "There is already an account called BOB." in err
    status, _, err = out_of(capsys, "users", "add", "cy", "--password", "short")
    assert status == 2 and "at least 8 characters" in err

    listed = out_of(capsys, "users", "list")[1].splitlines()
    assert [line.split("\t")[:2] for line in listed] == [["ann", "admin"], ["bob", "user"]]

    assert out_of(capsys, "users", "remove", "bob")[0] == 0
    status, _, err = out_of(capsys, "users", "remove", "bob")
    assert status == 1 and "no account called bob" in err
    assert [line.split("\t")[0] for line in out_of(capsys, "users", "list")[1].splitlines()] == [
        "ann"
    ]


def test_a_left_out_password_is_asked_for_twice(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter(["typed-password", "typed-pasword"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    status, _, err = out_of(capsys, "users", "add", "ann")
    assert status == 2 and "The two passwords are not the same." in err
    answers = iter(["typed-password", "typed-password"])
    assert out_of(capsys, "users", "add", "ann")[0] == 0


async def test_a_token_from_the_shell_opens_the_api(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "web.db")
    # main() runs its own event loop: run it in a thread, away from the test's.
    add = ["users", "add", "ann", "--password", "ann-password", "--db", db]
    assert await asyncio.to_thread(main, add) == 0
    capsys.readouterr()
    assert (
        await asyncio.to_thread(main, ["tokens", "create", "ann", "--name", "ci", "--db", db]) == 0
    )
    token = capsys.readouterr().out.strip()
    assert token.startswith("lg_") and "\n" not in token
    assert await asyncio.to_thread(main, ["tokens", "create", "nobody", "--db", db]) == 1

    async with serve(fast_settings(db), user=None) as (app, _):
        async with client_for(app, None) as script:
            script.headers["Authorization"] = f"Bearer {token}"
            created = await script.post("/api/runs", json={"goal": "Find 2 cafes in Leeds"})
            assert created.status_code == 201
            assert created.json()["run"]["userId"].startswith("usr_")
            await app.state.manager.wait(created.json()["runId"])


def test_run_as_an_account_shows_in_their_history(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert out_of(capsys, "users", "add", "ann", "--password", "ann-password")[0] == 0
    status, out, _ = out_of(capsys, "run", "Find 2 cafes in Leeds", "--user", "ann", "--json")
    assert status == 0
    result = json.loads(out)
    assert result["overallStatus"] == "succeeded"
    shown = out_of(capsys, "show", result["runId"], "--json")[1]
    assert json.loads(shown)["run"]["userId"].startswith("usr_")
    status, _, err = out_of(capsys, "run", "Find 2 cafes in Leeds", "--user", "zed")
    assert status == 2 and "no account called zed" in err


def test_serve_refuses_auth_off_beyond_loopback(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEADGEN_AUTH", "off")
    status, _, err = out_of(capsys, "serve", "--host", "0.0.0.0")
    assert status == 2 and "LEADGEN_AUTH=off serves only this machine" in err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--workers", "2", "--reload"), "--reload runs one process"),
        (("--workers", "0"), "workers"),
        (("--workers", "33"), "workers"),
    ],
)
def test_serve_refuses_workers_it_cannot_run(
    capsys: pytest.CaptureFixture[str], options: tuple[str, ...], message: str
) -> None:
    status, _, err = out_of(capsys, "serve", *options)
    assert status == 2 and message in err


def test_serve_keeps_idle_connections_longer_than_clients_reuse_them(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A server closing an idle connection just as a client reuses it fails the client's request
    # (a POST it cannot repeat): the server must wait longer than the client would.
    import httpx
    import uvicorn

    started: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.update(options))
    for name in ("LEADGEN_DB", "LEADGEN_WORKERS"):  # serve sets them: put them back after
        monkeypatch.setenv(name, "./leadgen.db" if name == "LEADGEN_DB" else "1")
    status, _, _ = out_of(capsys, "serve")
    assert status == 0
    assert started["timeout_keep_alive"] > httpx.Limits().keepalive_expiry
    procfile = (Path(__file__).parent.parent / "Procfile").read_text()
    assert f"--timeout-keep-alive {started['timeout_keep_alive']}" in procfile


def test_serve_refuses_a_database_it_cannot_use_before_it_listens(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import uvicorn

    started: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.append(app))
    for name in ("LEADGEN_DB", "LEADGEN_WORKERS"):  # serve sets them: put them back after
        monkeypatch.setenv(name, "./leadgen.db" if name == "LEADGEN_DB" else "1")
    (tmp_path / "notes.txt").write_text("not a database\n" * 20)

    status, _, err = out_of(capsys, "serve", "--db", str(tmp_path / "notes.txt"))

    assert status == 1 and started == []
    assert (
        err == f"error: {tmp_path / 'notes.txt'} is not a SQLite database; use another --db file.\n"
    )
    assert out_of(capsys, "serve", "--db", str(tmp_path / "new.db"))[0] == 0
    assert started == ["webapp.web:create_app"]


@pytest.mark.parametrize(
    ("environment", "noted"),
    [
        ({"LEADGEN_PLACES_PROVIDER": "osm"}, True),
        ({"LEADGEN_PLACES_PROVIDER": "osm", "LEADGEN_CONTACT": "ops@shop.example"}, False),
        ({}, False),  # the demo directory: no usage policy to keep
    ],
)
def test_serve_says_when_openstreetmap_needs_a_contact(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    noted: bool,
) -> None:
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **options: None)
    for name in ("LEADGEN_DB", "LEADGEN_WORKERS"):  # serve sets them: put them back after
        monkeypatch.setenv(name, "./leadgen.db" if name == "LEADGEN_DB" else "1")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    status, out, _ = out_of(capsys, "serve")
    assert status == 0
    assert ("OpenStreetMap's usage policy asks" in out) is noted
    assert ("LEADGEN_CONTACT" in out) is noted
