"""Goal parsing (being written)."""

from __future__ import annotations

from typing import Any

from webapp.core.errors import GoalError
from webapp.core.models import LeadGenGoal


def parse_goal(text: str, **overrides: Any) -> LeadGenGoal:
    raise GoalError("goal parsing is being written")
