"""The command line: `python -m webapp plan|run|runs|show|export|resume|retry|serve ...` and
`users add|list|remove`, `tokens create` (also installed as `leadgen`). Errors are one line on
stderr, naming the option; `exits.py` says what each exit status means."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

from pydantic import ValidationError
from rich.markup import escape

from webapp.cli import accounts, runs, serve
from webapp.cli.console import make_console
from webapp.cli.exits import EXIT_USAGE
from webapp.cli.options import settings_from
from webapp.cli.parser import build_parser
from webapp.cli.plans import CLI_USER, plan_from, print_plan
from webapp.core import GoalError
from webapp.settings import Settings

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    errors = make_console(stderr=True)
    try:
        settings = settings_from(args)
        plan = plan_from(args, settings) if args.command in ("plan", "run") else None
    except (GoalError, ValueError) as error:
        errors.print(
            f"[red]error:[/red] {escape(_message(error))}", highlight=False, soft_wrap=True
        )
        return EXIT_USAGE
    if args.command == "serve":
        return serve.serve(settings, reload=args.reload)
    if args.command in ("users", "tokens"):
        return asyncio.run(_accounts(args, settings))
    if args.command == "plan":
        assert plan is not None
        return print_plan(plan, as_json=args.json)
    if args.command == "run":
        assert plan is not None
        return asyncio.run(
            runs.run_goal(plan, settings, user_id=CLI_USER, as_json=args.json, username=args.user)
        )
    if args.command == "runs":
        return asyncio.run(
            runs.list_runs(
                settings, status=args.status, q=args.search, limit=args.limit, as_json=args.json
            )
        )
    if args.command == "show":
        return asyncio.run(runs.show_run(settings, args.run_id, as_json=args.json))
    if args.command == "export":
        return asyncio.run(runs.export_run(settings, args.run_id, args.output))
    if args.command == "resume":
        return asyncio.run(runs.resume_run(settings, args.run_id, as_json=args.json))
    return asyncio.run(runs.retry_run(settings, args.run_id, args.from_step, as_json=args.json))


async def _accounts(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "tokens":
        return await accounts.create_token(settings, args.username, args.name)
    if args.users_command == "add":
        return await accounts.add_user(settings, args.username, args.password, args.admin)
    if args.users_command == "list":
        return await accounts.list_users(settings)
    return await accounts.remove_user(settings, args.username)


def _message(error: Exception) -> str:
    if isinstance(error, GoalError):
        return error.message
    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
    return str(error)
