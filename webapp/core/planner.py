"""The planner: a pure function from a goal and its context to a plan of tool steps.

The same goal, context, plan id and clock always give the same plan.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from webapp.core.models import (
    EMAIL_SEQUENCE_SETUP,
    GOOGLE_PLACES_SEARCH,
    HUNTER_DOMAIN_LOOKUP,
    HUNTER_ENRICH,
    LEAD_LIST_SAVE,
    MONITOR_SETUP,
    LeadGenGoal,
    LeadGenPlan,
    LeadGenPlanStep,
    PlanContext,
    iso_timestamp,
    utc_now,
)

SEARCH_HEADROOM = 2  # places asked for per lead wanted: not every place has a site and an email
DEFAULT_MONITOR_FREQUENCY = "weekly"
SEQUENCE_STEPS = 3


def plan_lead_generation(
    goal: LeadGenGoal,
    context: PlanContext,
    *,
    plan_id: str | None = None,
    now: datetime | None = None,
) -> LeadGenPlan:
    moment = now or utc_now()
    region = goal.target_region or context.default_region
    country = goal.target_country or context.default_country
    persona = goal.target_persona
    where = f"{persona} in {region}"
    steps: list[LeadGenPlanStep] = []

    def add(
        tool: str, prefix: str, label: str, params: dict[str, object], after: str | None
    ) -> str:
        step = LeadGenPlanStep(
            id=f"{prefix}_{len(steps) + 1}",
            tool=tool,
            params=params,
            depends_on=[after] if after else [],
            label=label,
        )
        steps.append(step)
        return step.id

    search = add(
        GOOGLE_PLACES_SEARCH,
        "google_places",
        f"Find {where}",
        {
            "query": persona,
            "region": region,
            "country": country,
            "maxResults": goal.volume * SEARCH_HEADROOM,
        },
        None,
    )
    domains = add(
        HUNTER_DOMAIN_LOOKUP,
        "hunter_domain_lookup",
        "Look up websites' domains",
        {"sourceStepId": search},
        search,
    )
    contacts = add(
        HUNTER_ENRICH, "hunter_enrich", "Find contact emails", {"sourceStepId": domains}, domains
    )
    saved = add(
        LEAD_LIST_SAVE,
        "lead_list_save",
        f"Save up to {goal.volume} leads",
        {
            "sourceStepId": contacts,
            "listName": f"{persona.capitalize()} in {region}",
            "maxLeads": goal.volume,
        },
        contacts,
    )
    if "email" in goal.preferred_channels:
        add(
            EMAIL_SEQUENCE_SETUP,
            "email_sequence_setup",
            "Draft an email sequence",
            {
                "sourceStepId": saved,
                "sequenceName": f"Outreach: {persona} in {region}",
                "steps": SEQUENCE_STEPS,
            },
            saved,
        )
    if goal.include_monitoring:
        add(
            MONITOR_SETUP,
            "monitor_setup",
            f"Watch for new {persona}",
            {
                "sourceStepId": saved,
                "query": persona,
                "region": region,
                "country": country,
                "frequency": DEFAULT_MONITOR_FREQUENCY,
            },
            saved,
        )
    return LeadGenPlan(
        id=plan_id or _plan_id(goal, context, moment),
        goal=goal,
        steps=steps,
        created_at=iso_timestamp(moment),
    )


def _plan_id(goal: LeadGenGoal, context: PlanContext, moment: datetime) -> str:
    millis = int(moment.timestamp() * 1000)
    digest = hashlib.sha256(f"{context.user_id}\n{goal.model_dump_json()}".encode()).hexdigest()[:6]
    return f"lead_plan_{millis}_{digest}"
