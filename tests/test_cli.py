"""The command line as a user runs it: plan, run, runs, show, export, resume, retry."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from webapp.cli import main


@pytest.fixture(autouse=True)
def quick_demo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LEADGEN_DEMO_LATENCY_MS", "0")
    monkeypatch.setenv("LEADGEN_RETRY_BASE_DELAY_S", "0")
    monkeypatch.setenv("LEADGEN_DB", str(tmp_path / "default.db"))
    monkeypatch.chdir(tmp_path)


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, object]:
    status = main(list(argv))
    return status, json.loads(capsys.readouterr().out)


def test_plan_prints_the_plan_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    status, plan = run_json(capsys, "plan", "50 dentists in Leeds and email them", "--json")

    assert status == 0
    assert isinstance(plan, dict)
    assert [s["id"] for s in plan["steps"]][-1] == "email_sequence_setup_5"
    assert plan["goal"]["volume"] == 50


def test_options_override_the_goal_text(capsys: pytest.CaptureFixture[str]) -> None:
    status, plan = run_json(
        capsys,
        *("plan", "Find 20 coffee shops in Manchester", "--json"),
        *("--volume", "7", "--region", "Leeds", "--monitor"),
    )

    assert status == 0 and isinstance(plan, dict)
    assert plan["steps"][0]["params"] == {
        "query": "coffee shops",
        "region": "Leeds",
        "country": "GB",
        "maxResults": 14,
    }
    assert plan["steps"][-1]["tool"] == "MONITOR_SETUP"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", ""], "Type a goal"),
        (["run", "Find 20 dentists in Leeds", "--volume", "-5"], "between 1 and 500"),
        (["run", "<script>alert(1)</script> dentists"], "HTML markup"),
        (["run", "x" * 600], "500"),
        (["run", "Find 20 dentists", "--demo-failure-rate", "5"], "--demo-failure-rate"),
    ],
)
def test_unusable_input_exits_2_with_a_message(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not Path("default.db").exists()  # nothing was started or written


def test_run_persists_and_every_command_reads_it_back(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "runs.db")
    status, result = run_json(
        capsys, "run", "Find 12 florists in Bristol", "--email", "--db", db, "--json"
    )
    assert status == 0 and isinstance(result, dict)
    assert result["overallStatus"] == "succeeded"
    assert [s["status"] for s in result["stepResults"]] == ["succeeded"] * 5
    run_id = result["runId"]

    _, runs = run_json(capsys, "runs", "--db", db, "--json", "--search", "florist")
    assert isinstance(runs, dict)
    assert [r["runId"] for r in runs["runs"]] == [run_id]
    assert runs["counts"] == {"succeeded": 1}

    _, shown = run_json(capsys, "show", run_id, "--db", db, "--json")
    assert isinstance(shown, dict)
    assert shown["run"]["status"] == "succeeded"
    assert [e["seq"] for e in shown["events"]] == list(range(1, len(shown["events"]) + 1))
    assert len(shown["leads"]) == 12

    assert main(["export", run_id, "--db", db]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0][:3] == ["Business Name", "Category", "Website"]
    assert len(rows) == 13
    assert rows[1][rows[0].index("Email")].endswith(".example")

    assert main(["show", run_id, "--db", db]) == 0
    page = capsys.readouterr().out
    assert "Event log" in page and "PLAN_COMPLETED" in page and "succeeded" in page


def test_export_writes_a_file_when_asked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "runs.db")
    _, result = run_json(capsys, "run", "Find 3 bakeries in Leeds", "--db", db, "--json")
    assert isinstance(result, dict)
    out = tmp_path / "leads.csv"

    assert main(["export", result["runId"], "--db", db, "--output", str(out)]) == 0

    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == 4
    assert rows[1][rows[0].index("City")] == "Leeds"
    assert "Wrote 3 leads" in capsys.readouterr().err


def test_unknown_run_ids_are_a_one_line_error_with_status_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "runs.db")
    assert main(["users", "list", "--db", db]) == 0  # makes the (empty) database
    for command in (["show", "run_nope"], ["export", "run_nope"], ["resume", "run_nope"]):
        assert main([*command, "--db", db]) == 1
        err = capsys.readouterr().err
        assert err.strip() == "error: There is no run 'run_nope'."
    assert main(["retry", "run_nope", "--db", db]) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--retries", "-3"], "--retries must be 0 or more (got -3)."),
        (["--max-concurrency", "0"], "--max-concurrency must be 1 or more (got 0)."),
        (["--demo-latency-ms", "-1"], "--demo-latency-ms must be 0 or more (got -1)."),
        (["--demo-failure-rate", "1.5"], "--demo-failure-rate must be 1 or less (got 1.5)."),
    ],
)
def test_a_bad_option_value_names_the_option_typed(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["run", "Find 5 coffee shops in Leeds", *argv]) == 2

    assert capsys.readouterr().err == f"error: {message}\n"
    assert not Path("default.db").exists()


def test_a_bad_setting_from_the_environment_names_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEADGEN_RETRY_MAX_RETRIES", "-1")

    assert main(["run", "Find 5 coffee shops in Leeds"]) == 2
    assert (
        capsys.readouterr().err == "error: LEADGEN_RETRY_MAX_RETRIES must be 0 or more (got -1).\n"
    )
    assert main(["run", "Find 5 coffee shops in Leeds", "--retries", "1", "--json"]) == 0


@pytest.mark.parametrize(
    "command",
    [["runs"], ["show", "run_x"], ["export", "run_x"], ["resume", "run_x"], ["retry", "run_x"]],
)
def test_reading_a_database_that_does_not_exist_says_so_and_makes_none(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    db = tmp_path / "typo.db"

    assert main([*command, "--db", str(db)]) == 1

    err = capsys.readouterr().err
    assert err == f"error: There is no database at {db}; give --db the file your runs are in.\n"
    assert list(tmp_path.iterdir()) == []


def not_sqlite(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list: coffee, more coffee\n" * 20)
    return path


def under_a_file(tmp_path: Path) -> Path:
    plain = tmp_path / ("a-file-not-a-folder-" * 4)  # long: the message must not wrap
    plain.write_text("a file, so no folder can be made in it")
    return plain / "runs.db"  # like /proc/x/runs.db: its folder cannot be made


@pytest.mark.parametrize(
    ("command", "place", "reason"),
    [
        *[
            (command, place, reason)
            for command in (["run", "Find 2 cafes in Leeds"], ["users", "list"], ["runs"])
            for place, reason in (
                (lambda tmp: tmp, "is a folder, not a database file"),
                (not_sqlite, "is not a SQLite database"),
            )
        ],
        (["run", "Find 2 cafes in Leeds"], under_a_file, "cannot make its folder"),
        (["users", "list"], under_a_file, "cannot make its folder"),
    ],
)
def test_a_database_that_cannot_be_used_is_a_one_line_error_with_status_1(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    place: Callable[[Path], Path],
    reason: str,
    command: list[str],
) -> None:
    db = place(tmp_path)
    before = sorted(tmp_path.rglob("*"))

    assert main([*command, "--db", str(db)]) == 1

    err = capsys.readouterr().err
    assert err.startswith(f"error: {db} {reason}") or err.startswith(f"error: {db}: {reason}")
    assert err.endswith("use another --db file.\n") and err.count("\n") == 1
    assert sorted(tmp_path.rglob("*")) == before  # nothing made beside it


def test_export_into_a_missing_folder_is_a_one_line_error_with_status_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "runs.db")
    _, result = run_json(capsys, "run", "Find 2 bakeries in Leeds", "--db", db, "--json")
    assert isinstance(result, dict)
    out = tmp_path / "missing" / "leads.csv"

    assert main(["export", result["runId"], "--db", db, "--output", str(out)]) == 1

    err = capsys.readouterr().err
    assert err == f"error: cannot write --output {out}: there is no folder {out.parent}.\n"
    assert not out.parent.exists()
    assert main(["export", result["runId"], "--db", db, "--output", str(tmp_path)]) == 1
    assert capsys.readouterr().err.startswith(f"error: cannot write --output {tmp_path}: ")


def test_retry_of_a_failed_run_reruns_it_as_a_new_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "runs.db")
    status, failed = run_json(
        capsys,
        *("run", "Find 5 dentists in Leeds", "--db", db, "--json"),
        *("--demo-failure-rate", "1", "--retries", "0"),
    )
    assert status == 1 and isinstance(failed, dict)
    assert failed["overallStatus"] == "failed"
    assert failed["stepResults"][0]["errorMessage"].startswith("The demo directory did not answer")

    status, retried = run_json(capsys, "retry", failed["runId"], "--db", db, "--json")

    assert status == 0 and isinstance(retried, dict)
    assert retried["overallStatus"] == "succeeded"
    assert retried["runId"] != failed["runId"]
    assert main(["resume", retried["runId"], "--db", db]) == 1
    assert "Only an interrupted run can be resumed" in capsys.readouterr().err


def test_run_prints_progress_lines_and_a_summary_when_not_a_terminal(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status = main(["run", "Find 4 gyms in Leeds", "--db", str(tmp_path / "r.db")])

    out = capsys.readouterr().out
    assert status == 0
    assert "[  1] PLAN_STARTED" in out
    assert "STEP_SUCCEEDED google_places_1 attempt 1" in out
    assert "Overall status: ✓ succeeded" in out
    assert "Leads: 4 saved" in out


def test_run_takes_the_email_providers_in_order_and_refuses_unknown_ones(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    goal = ["run", "Find 3 cafes in Leeds", "--db", str(tmp_path / "cli.db")]
    status = main([*goal, "--email-providers", "demo", "--json"])
    shown = json.loads(capsys.readouterr().out)
    wrong = main([*goal, "--email-providers", "website,x"])
    err = capsys.readouterr().err

    assert status == 0 and shown["overallStatus"] == "succeeded"
    enrich = next(s for s in shown["stepResults"] if s["stepId"] == "hunter_enrich_3")
    assert enrich["data"]["providers"] == ["demo"]
    assert wrong == 2 and "--email-providers" in err and "website, hunter, demo" in err


def test_a_goal_with_no_kind_of_business_exits_2_and_asks_for_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    status = main(["plan", "asdf", "--db", str(tmp_path / "cli.db")])

    assert status == 2
    assert "could not find a kind of business in “asdf”" in capsys.readouterr().err


def test_show_says_what_the_run_delivered_against_what_it_asked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "cli.db")
    main(["run", "Find 3 cafes in Leeds", "--db", db, "--demo-latency-ms", "0", "--json"])
    run_id = json.loads(capsys.readouterr().out)["runId"]

    main(["show", run_id, "--db", db])
    shown = capsys.readouterr().out

    assert re.search(r"3 of 3 leads \(\d with an email, \d verified\)", shown)
