"""The command line: `python -m webapp plan|run|runs|show|export|resume|retry|serve ...` and
`users add|list|remove`, `tokens create` (also installed as `leadgen`).

Exit status: 0 when the command did what it was asked and a run it watched succeeded; 1 when
a run ended otherwise, a run id is unknown, or the database or --output file cannot be used;
2 when the goal or an option is unusable. Errors are one line on stderr, naming the option.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Mapping, Sequence

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from rich.markup import escape

from webapp import __version__, cli_accounts
from webapp.cli_runs import (
    EXIT_OK,
    EXIT_RUN_NOT_OK,
    EXIT_USAGE,
    export_run,
    list_runs,
    resume_run,
    retry_run,
    run_goal,
    show_run,
)
from webapp.console import goal_text, make_console, plan_table
from webapp.core import GoalError, LeadGenPlan, PlanContext, parse_goal, plan_lead_generation
from webapp.runtime.accounts import LOCAL_USER
from webapp.settings import Settings
from webapp.store import StoreError
from webapp.store.connection import open_writer
from webapp.tools.providers.choice import email_providers, osm_contact_missing
from webapp.web.auth import is_loopback

CLI_USER = LOCAL_USER.user_id  # the one user of LEADGEN_AUTH=off sees the shell's runs
RUN_STATUSES = ("pending", "running", "succeeded", "partial", "failed", "cancelled", "interrupted")
SETTING_OPTIONS = {  # each setting an option sets, and the option: errors name what was typed
    "db": "--db",
    "host": "--host",
    "port": "--port",
    "workers": "--workers",
    "demo_failure_rate": "--demo-failure-rate",
    "demo_latency_ms": "--demo-latency-ms",
    "max_concurrency": "--max-concurrency",
    "retry_max_retries": "--retries",
    "email_providers": "--email-providers",
}
BOUND_WORDS = {  # pydantic's error type: (its limit in the error's ctx, how to say it)
    "greater_than_equal": ("ge", "must be {} or more"),
    "greater_than": ("gt", "must be more than {}"),
    "less_than_equal": ("le", "must be {} or less"),
    "less_than": ("lt", "must be less than {}"),
}


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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    errors = make_console(stderr=True)
    try:
        settings = _settings(args)
        plan = _plan(args, settings) if args.command in ("plan", "run") else None
    except (GoalError, ValueError) as error:
        errors.print(
            f"[red]error:[/red] {escape(_message(error))}", highlight=False, soft_wrap=True
        )
        return EXIT_USAGE
    if args.command == "serve":
        return serve(settings, reload=args.reload)
    if args.command in ("users", "tokens"):
        return asyncio.run(_accounts(args, settings))
    if args.command == "plan":
        assert plan is not None
        return _print_plan(plan, as_json=args.json)
    if args.command == "run":
        assert plan is not None
        return asyncio.run(
            run_goal(plan, settings, user_id=CLI_USER, as_json=args.json, username=args.user)
        )
    if args.command == "runs":
        return asyncio.run(
            list_runs(
                settings, status=args.status, q=args.search, limit=args.limit, as_json=args.json
            )
        )
    if args.command == "show":
        return asyncio.run(show_run(settings, args.run_id, as_json=args.json))
    if args.command == "export":
        return asyncio.run(export_run(settings, args.run_id, args.output))
    if args.command == "resume":
        return asyncio.run(resume_run(settings, args.run_id, as_json=args.json))
    return asyncio.run(retry_run(settings, args.run_id, args.from_step, as_json=args.json))


# How long an idle connection is kept open. uvicorn's 5 s is exactly how long httpx (and other
# clients) keep one for reuse, so a client could send a request on a connection the server was
# closing at that moment, and get a ReadError for a POST it cannot safely repeat.
KEEP_ALIVE_S = 20


def serve(settings: Settings, *, reload: bool) -> int:
    import uvicorn  # only the server needs it

    from webapp.web.shutdown import SERVER_GRACE_S
    from webapp.web.workers import SERVE_PID

    if not 0 < settings.port < 65536:
        make_console(stderr=True).print(f"[red]error:[/red] {settings.port} is not a port number.")
        return EXIT_USAGE
    if settings.auth == "off" and not is_loopback(settings.host):
        make_console(stderr=True).print(
            f"[red]error:[/red] LEADGEN_AUTH=off serves only this machine, not {settings.host}. "
            "Listen on 127.0.0.1, or turn accounts on (LEADGEN_AUTH=on).",
            highlight=False,
        )
        return EXIT_USAGE
    if reload and settings.workers > 1:
        make_console(stderr=True).print(
            "[red]error:[/red] --reload runs one process; leave out --workers.", highlight=False
        )
        return EXIT_USAGE
    try:
        open_writer(settings.db).close()  # makes or migrates it now, as the app would
    except StoreError as error:
        make_console(stderr=True).print(
            f"[red]error:[/red] {escape(str(error))}", highlight=False, soft_wrap=True
        )
        return EXIT_RUN_NOT_OK
    # The app reads its settings from the environment, so each worker (and a reloaded one)
    # sees the same ones.
    os.environ["LEADGEN_DB"] = settings.db
    os.environ["LEADGEN_WORKERS"] = str(settings.workers)
    if settings.workers > 1:
        os.environ[SERVE_PID] = str(os.getpid())  # each worker ends with this process
    make_console().print(
        f"leadgen dashboard on http://{settings.host}:{settings.port} (database {settings.db}"
        + (f", {settings.workers} workers)" if settings.workers > 1 else ")"),
        highlight=False,
    )
    unidentified = osm_contact_missing(settings, {})
    if unidentified:
        make_console().print(f"[yellow]note:[/yellow] {unidentified}", highlight=False)
    uvicorn.run(
        "webapp.web:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        reload=reload,
        workers=settings.workers,  # (not None: uvicorn would read WEB_CONCURRENCY itself)
        log_level="info",
        timeout_keep_alive=KEEP_ALIVE_S,
        timeout_graceful_shutdown=int(SERVER_GRACE_S),  # the streams end first (shutdown.py)
        proxy_headers=False,  # the app believes them only from LEADGEN_TRUSTED_PROXIES
    )
    return EXIT_OK


async def _accounts(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "tokens":
        return await cli_accounts.create_token(settings, args.username, args.name)
    if args.users_command == "add":
        return await cli_accounts.add_user(settings, args.username, args.password, args.admin)
    if args.users_command == "list":
        return await cli_accounts.list_users(settings)
    return await cli_accounts.remove_user(settings, args.username)


def _print_plan(plan: LeadGenPlan, *, as_json: bool) -> int:
    if as_json:
        print(plan.model_dump_json(by_alias=True, indent=2))
    else:
        console = make_console()
        console.print(goal_text(plan))
        console.print(plan_table(plan))
    return EXIT_OK


def _settings(args: argparse.Namespace) -> Settings:
    options = {
        setting: getattr(args, option.removeprefix("--").replace("-", "_"), None)
        for setting, option in SETTING_OPTIONS.items()
    }
    if getattr(args, "limit", 1) < 1:
        raise ValueError("--limit must be 1 or more.")
    if options["email_providers"] is not None:
        try:
            options["email_providers"] = ",".join(email_providers(options["email_providers"]))
        except ValueError as error:
            raise ValueError(
                str(error).replace("email_providers", "--email-providers", 1)
            ) from None
    given = {key: value for key, value in options.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as error:
        raise ValueError(_setting_problems(error, given)) from None


def _setting_problems(error: ValidationError, given: Mapping[str, object]) -> str:
    """Each problem under the name the user set it by: the option typed, or else the
    environment variable (PORT and the like are their own names in the error)."""
    problems = []
    for problem in error.errors():
        name = ".".join(map(str, problem["loc"]))
        if name in given:
            name = SETTING_OPTIONS[name]
        elif name in Settings.model_fields:
            name = f"LEADGEN_{name.upper()}"
        problems.append(f"{name} {_must(problem)}")
    return "; ".join(problems).removesuffix(".") + "."


def _must(problem: ErrorDetails) -> str:
    kind, context, got = problem["type"], problem.get("ctx", {}), problem["input"]
    if kind in BOUND_WORDS:
        limit, words = BOUND_WORDS[kind]
        return f"{words.format(_plain(context[limit]))} (got {_plain(got)})"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"must be a whole number (got {got!r})"
    if kind in ("float_parsing", "float_type"):
        return f"must be a number (got {got!r})"
    if kind == "literal_error":
        return f"must be {context['expected']} (got {got!r})"
    if kind == "value_error":  # a validator's own words
        return problem["msg"].removeprefix("Value error, ")
    return f"is unusable ({problem['msg']})"


def _plain(number: object) -> object:
    """5 rather than the 5.0 of a float setting or option, as the user would write it."""
    return int(number) if isinstance(number, float) and number.is_integer() else number


def _plan(args: argparse.Namespace, settings: Settings) -> LeadGenPlan:
    goal = parse_goal(
        args.goal,
        volume=args.volume,
        region=args.region,
        country=args.country,
        persona=args.persona,
        email=args.email,
        monitoring=args.monitor,
        max_volume=settings.max_volume,
        default_volume=settings.default_volume,
    )
    context = PlanContext(
        user_id=CLI_USER,
        default_region=settings.default_region,
        default_country=settings.default_country,
    )
    return plan_lead_generation(goal, context)


def _message(error: Exception) -> str:
    if isinstance(error, GoalError):
        return error.message
    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
    return str(error)
