"""MONITOR_SETUP: a saved search that runs again on a schedule to find new businesses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from webapp.core.errors import ToolError
from webapp.core.models import iso_timestamp
from webapp.core.ports import Monitor
from webapp.core.tooling import ToolEnv
from webapp.tools.services import services_of
from webapp.tools.step_inputs import optional_text, source_output, text_param

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1), "monthly": timedelta(days=30)}
DEFAULT_FREQUENCY = "weekly"


async def set_up_monitor(params: dict[str, Any], env: ToolEnv) -> dict[str, Any]:
    """Saved through the MonitorStore (idempotent per run and step); the first run is one
    period after now, by the services' clock."""
    services = services_of(env)
    source, data = source_output(params, env)
    query = text_param(params, env, "query", example="coffee shops")
    region = optional_text(params, env, "region") or ""
    country = optional_text(params, env, "country")
    frequency = _frequency(params, env)
    list_id = data.get("listId")
    if not isinstance(list_id, str) or not list_id:
        raise ToolError(
            f"Step {env.step.id} needs a saved list from step {source}, "
            "whose output has no listId.",
            retryable=False,
        )
    where = f" in {region}" if region else ""
    monitor = Monitor(
        name=f"New {query}{where}",
        query=query,
        region=region,
        country=country,
        frequency=frequency,
        list_id=list_id,
        next_run_at=iso_timestamp(services.clock() + PERIODS[frequency]),
    )
    saved = await services.monitors.save_monitor(
        run_id=env.run_id, step_id=env.step.id, user_id=env.user.user_id, monitor=monitor
    )
    return {
        "monitorId": saved.monitor_id,
        "name": saved.name,
        "query": saved.query,
        "region": saved.region,
        "country": saved.country,
        "frequency": saved.frequency,
        "nextRunAt": saved.next_run_at,
        "status": saved.status,
        "listId": saved.list_id,
        "summary": f"Watching for new {saved.query}{where} {saved.frequency}",
    }


def _frequency(params: dict[str, Any], env: ToolEnv) -> str:
    value = optional_text(params, env, "frequency")
    frequency = (value or DEFAULT_FREQUENCY).lower()
    if frequency not in PERIODS:
        raise ToolError(
            f"Step {env.step.id}'s parameter 'frequency' must be one of {', '.join(PERIODS)}; "
            f"it got {value!r}.",
            retryable=False,
        )
    return frequency
