"""Which steps a retry runs again: the failed, skipped and cancelled ones, or a chosen step and
everything downstream of it."""

from __future__ import annotations

from collections.abc import Mapping

from webapp.core.models import LeadGenPlan


def steps_to_rerun(
    plan: LeadGenPlan, statuses: Mapping[str, str], from_step: str | None = None
) -> set[str]:
    if from_step is None:
        return {step.id for step in plan.steps if statuses.get(step.id) != "succeeded"}
    ids = [step.id for step in plan.steps]
    if from_step not in ids:
        raise ValueError(f"The plan has no step {from_step!r}; its steps are {', '.join(ids)}.")
    rerun = {from_step}
    changed = True
    while changed:  # plans are small: a fixed point over the dependency lists is plenty
        changed = False
        for step in plan.steps:
            if step.id not in rerun and rerun.intersection(step.depends_on):
                rerun.add(step.id)
                changed = True
    return rerun
