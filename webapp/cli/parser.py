"""The command line's grammar: `build_parser` names every command, its arguments and their
help."""

from __future__ import annotations

import argparse

from webapp import __version__
from webapp.core.models import RUN_STATUSES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadgen", description="Plan and run lead-generation goals."
    )
    parser.add_argument("--version", action="version", version=f"leadgen {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = _command(commands, "serve", "Start the dashboard (http://127.0.0.1:8000 by default).")
    serve.add_argument("--host", help="Address to listen on (LEADGEN_HOST, default 127.0.0.1).")
    serve.add_argument("--port", type=int, help="Port to listen on (PORT, default 8000).")
    serve.add_argument("--reload", action="store_true", help="Restart when the code changes.")
    serve.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="Processes serving the port and the database together (LEADGEN_WORKERS, default 1).",
    )

    plan = _command(commands, "plan", "Show the plan for a goal without running it.")
    _add_goal_options(plan)
    plan.add_argument("--json", action="store_true", help="Print the plan as JSON.")

    run = _command(commands, "run", "Plan a goal and run it, showing progress live.")
    _add_goal_options(run)
    _add_run_options(run)
    run.add_argument(
        "--user",
        metavar="USERNAME",
        help="Run as this account, so it shows in their dashboard (default: the local user).",
    )

    runs = _command(commands, "runs", "List past runs, newest first.")
    runs.add_argument("--status", choices=RUN_STATUSES, help="Only runs in this state.")
    runs.add_argument("--search", "-q", metavar="TEXT", help="Only runs whose goal has TEXT.")
    runs.add_argument("--limit", type=int, default=20, help="How many runs (default 20).")
    runs.add_argument("--json", action="store_true", help="Print the runs as JSON.")

    show = _command(commands, "show", "Show a run: plan, steps, events and leads.")
    show.add_argument("run_id", metavar="RUN_ID")
    show.add_argument("--json", action="store_true", help="Print the stored run as JSON.")

    export = _command(commands, "export", "Write a run's leads as CSV.")
    export.add_argument("run_id", metavar="RUN_ID")
    export.add_argument("--output", "-o", metavar="FILE", help="Write here, not to stdout.")

    resume = _command(commands, "resume", "Continue an interrupted run.")
    resume.add_argument("run_id", metavar="RUN_ID")
    _add_run_options(resume)

    users = _command(commands, "users", "Manage the accounts that may log in.")
    user_commands = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    add = _command(user_commands, "add", "Add an account (the first one is an admin).")
    add.add_argument("username", metavar="USERNAME")
    add.add_argument("--password", help="Its password (asked for when left out).")
    add.add_argument("--admin", action="store_true", help="It may add accounts in the app.")
    _command(user_commands, "list", "List the accounts.")
    remove = _command(user_commands, "remove", "Remove an account, its sessions and tokens.")
    remove.add_argument("username", metavar="USERNAME")

    tokens = _command(commands, "tokens", "Manage API tokens.")
    token_commands = tokens.add_subparsers(dest="tokens_command", required=True, metavar="ACTION")
    create = _command(token_commands, "create", "Print a new API token for an account.")
    create.add_argument("username", metavar="USERNAME")
    create.add_argument("--name", default="", help="What the token is for (shown in settings).")

    retry = _command(commands, "retry", "Re-run a run's failed and skipped steps as a new run.")
    retry.add_argument("run_id", metavar="RUN_ID")
    retry.add_argument("--from", dest="from_step", metavar="STEP", help="Re-run from this step.")
    _add_run_options(retry)
    return parser


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str
) -> argparse.ArgumentParser:
    parser = commands.add_parser(name, help=help_text, description=help_text)
    parser.add_argument("--db", metavar="PATH", help="SQLite database file (LEADGEN_DB).")
    return parser


def _add_goal_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("goal", help='What you want, e.g. "Find 20 coffee shops in Manchester".')
    parser.add_argument("--volume", type=int, help="How many leads to find.")
    parser.add_argument("--region", help="Where to look (city or region).")
    parser.add_argument("--country", help="Country code or name, e.g. GB.")
    parser.add_argument("--persona", help="What kind of business, e.g. 'coffee shops'.")
    parser.add_argument(
        "--email",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Add (or, with --no-email, leave out) the email sequence step.",
    )
    parser.add_argument(
        "--monitor",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Add (or leave out) a monitor that looks for new leads later.",
    )


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="Print the final result as JSON.")
    parser.add_argument(
        "--demo-failure-rate",
        type=float,
        metavar="RATE",
        help="Share of demo directory calls that fail (0 to 1), to watch retries.",
    )
    parser.add_argument(
        "--demo-latency-ms", type=int, metavar="MS", help="Latency of each demo directory call."
    )
    parser.add_argument("--max-concurrency", type=int, metavar="N", help="Steps run at once.")
    parser.add_argument(
        "--email-providers",
        metavar="LIST",
        help="Who finds emails, in order, e.g. website,hunter (LEADGEN_EMAIL_PROVIDERS).",
    )
    parser.add_argument(
        "--retries", type=int, metavar="N", help="Retries after a step's first attempt."
    )
