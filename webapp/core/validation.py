"""Checks that a plan can run: known tools, unique ids, known dependencies, no cycle."""

from __future__ import annotations

from collections.abc import Collection

from webapp.core.errors import PlanError
from webapp.core.models import LeadGenPlan


def validate_plan(plan: LeadGenPlan, known_tools: Collection[str]) -> list[str]:
    """Raise PlanError if the plan cannot run; otherwise return its step ids in a run order."""
    if not plan.steps:
        raise PlanError("The plan has no steps.")
    ids: set[str] = set()
    for step in plan.steps:
        if not step.id:
            raise PlanError("A step has an empty id.")
        if step.id in ids:
            raise PlanError(f"Two steps share the id {step.id!r}; step ids must be unique.")
        ids.add(step.id)
        if step.tool not in known_tools:
            raise PlanError(
                f"Step {step.id!r} uses the unknown tool {step.tool!r}; "
                f"known tools: {', '.join(sorted(known_tools))}."
            )
    for step in plan.steps:
        for dep in step.depends_on:
            if dep == step.id:
                raise PlanError(f"Step {step.id!r} depends on itself.")
            if dep not in ids:
                raise PlanError(f"Step {step.id!r} depends on {dep!r}, which is not in the plan.")
    return _topological_order(plan)


def _topological_order(plan: LeadGenPlan) -> list[str]:
    indegree = {step.id: len(set(step.depends_on)) for step in plan.steps}
    dependents: dict[str, list[str]] = {step.id: [] for step in plan.steps}
    for step in plan.steps:
        for dep in set(step.depends_on):
            dependents[dep].append(step.id)
    order = [step.id for step in plan.steps if indegree[step.id] == 0]
    for current in order:  # `order` grows while we walk it: Kahn's algorithm
        for child in dependents[current]:
            indegree[child] -= 1
            if indegree[child] == 0:
                order.append(child)
    if len(order) != len(plan.steps):
        stuck = sorted(step_id for step_id, count in indegree.items() if count > 0)
        raise PlanError(f"The plan has a dependency cycle among steps: {', '.join(stuck)}.")
    return order
