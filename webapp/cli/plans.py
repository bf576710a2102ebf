"""The goal of `plan` and `run` made into a plan, from its text and options, for the local
user; and what `plan` prints: the plan as tables or as JSON."""

from __future__ import annotations

import argparse

from webapp.cli.console import goal_text, make_console, plan_table
from webapp.cli.exits import EXIT_OK
from webapp.core import LeadGenPlan, PlanContext, parse_goal, plan_lead_generation
from webapp.runtime.accounts import LOCAL_USER
from webapp.settings import Settings

CLI_USER = LOCAL_USER.user_id  # the one user of LEADGEN_AUTH=off sees the shell's runs


def plan_from(args: argparse.Namespace, settings: Settings) -> LeadGenPlan:
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


def print_plan(plan: LeadGenPlan, *, as_json: bool) -> int:
    if as_json:
        print(plan.model_dump_json(by_alias=True, indent=2))
    else:
        console = make_console()
        console.print(goal_text(plan))
        console.print(plan_table(plan))
    return EXIT_OK
