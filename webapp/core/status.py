"""A run's overall status (the rule the README states) and the per-state counts shown to people."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from webapp.core.models import STEP_STATUSES, LeadGenStepResult, OverallStatus


def overall_status(
    step_statuses: Iterable[str], *, cancelled: bool = False, delivered: bool = True
) -> OverallStatus:
    """succeeded: all steps succeeded; failed: none did, or the run did not deliver what it is
    for (its lead list was not saved); partial: it delivered, and some later step failed or was
    skipped; cancelled: the user cancelled, whatever else happened."""
    if cancelled:
        return "cancelled"
    statuses = list(step_statuses)
    if "cancelled" in statuses:
        return "cancelled"
    succeeded = statuses.count("succeeded")
    if statuses and succeeded == len(statuses):
        return "succeeded"
    if succeeded == 0 or not delivered:
        return "failed"
    return "partial"


def count_by_status(statuses: Iterable[str]) -> dict[str, int]:
    counts = Counter(statuses)
    return {status: counts[status] for status in STEP_STATUSES if counts[status]}


def status_counts_summary(results: Iterable[LeadGenStepResult]) -> str:
    """ "3 succeeded · 1 failed · 2 skipped", in the order of the states' life cycle."""
    counts = count_by_status(result.status for result in results)
    return " · ".join(f"{count} {status}" for status, count in counts.items())
