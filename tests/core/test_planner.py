"""The planner: its plans for each kind of goal, pure and deterministic."""

from __future__ import annotations

from datetime import UTC, datetime

from webapp.core import LeadGenGoal, PlanContext, plan_lead_generation

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
CONTEXT = PlanContext(user_id="user-123", default_region="UK", default_country="GB")


def goal(**changes: object) -> LeadGenGoal:
    fields: dict[str, object] = {
        "raw_goal": "Find 20 coffee shops in Manchester",
        "target_region": "Manchester",
        "target_persona": "coffee shops",
        "volume": 20,
    }
    return LeadGenGoal.model_validate({**fields, **changes})


def test_the_basic_plan_has_four_chained_steps() -> None:
    plan = plan_lead_generation(goal(), CONTEXT, plan_id="p1", now=NOW)

    assert [(s.id, s.tool, s.depends_on) for s in plan.steps] == [
        ("google_places_1", "GOOGLE_PLACES_SEARCH", []),
        ("hunter_domain_lookup_2", "HUNTER_DOMAIN_LOOKUP", ["google_places_1"]),
        ("hunter_enrich_3", "HUNTER_ENRICH", ["hunter_domain_lookup_2"]),
        ("lead_list_save_4", "LEAD_LIST_SAVE", ["hunter_enrich_3"]),
    ]
    assert plan.steps[0].params == {
        "query": "coffee shops",
        "region": "Manchester",
        "country": "GB",
        "maxResults": 40,
    }
    assert plan.steps[1].params == {"sourceStepId": "google_places_1"}
    assert plan.steps[3].params["maxLeads"] == 20
    assert plan.created_at == "2026-11-23T09:30:00.000Z"


def test_email_and_monitoring_add_two_steps_that_both_follow_the_save() -> None:
    plan = plan_lead_generation(
        goal(preferred_channels=["email"], include_monitoring=True), CONTEXT, now=NOW
    )

    assert [s.id for s in plan.steps][4:] == ["email_sequence_setup_5", "monitor_setup_6"]
    assert plan.steps[4].depends_on == ["lead_list_save_4"]
    assert plan.steps[5].depends_on == ["lead_list_save_4"]
    assert plan.steps[5].params["frequency"] == "weekly"


def test_monitoring_alone_takes_position_five() -> None:
    plan = plan_lead_generation(goal(include_monitoring=True), CONTEXT, now=NOW)

    assert plan.steps[-1].id == "monitor_setup_5"


def test_the_context_fills_in_what_the_goal_leaves_out() -> None:
    plan = plan_lead_generation(goal(target_region="", target_country=None), CONTEXT, now=NOW)

    assert plan.steps[0].params["region"] == "UK"
    assert plan.steps[0].params["country"] == "GB"


def test_the_goal_country_wins_over_the_context() -> None:
    plan = plan_lead_generation(goal(target_country="US"), CONTEXT, now=NOW)

    assert plan.steps[0].params["country"] == "US"


def test_the_planner_is_pure() -> None:
    first = plan_lead_generation(goal(), CONTEXT, now=NOW)
    second = plan_lead_generation(goal(), CONTEXT, now=NOW)
    other = plan_lead_generation(goal(volume=21), CONTEXT, now=NOW)

    assert first == second
    assert first.id.startswith("lead_plan_")
    assert other.id != first.id


def test_the_plan_serialises_as_camel_case() -> None:
    wire = plan_lead_generation(goal(), CONTEXT, plan_id="p1", now=NOW).model_dump(by_alias=True)

    assert set(wire) == {"id", "goal", "steps", "createdAt"}
    assert wire["steps"][1]["dependsOn"] == ["google_places_1"]
    assert wire["goal"]["targetPersona"] == "coffee shops"
