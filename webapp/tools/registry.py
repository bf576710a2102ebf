"""The single routing point from a tool id to its implementation (`run_lead_tool`).

Adding a tool is adding an entry to TOOLS.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from webapp.core.errors import ToolError
from webapp.core.models import (
    EMAIL_SEQUENCE_SETUP,
    GOOGLE_PLACES_SEARCH,
    HUNTER_DOMAIN_LOOKUP,
    HUNTER_ENRICH,
    LEAD_LIST_SAVE,
    MONITOR_SETUP,
)
from webapp.core.tooling import ToolEnv, ToolFn
from webapp.tools.domains import lookup_domains
from webapp.tools.enrich import enrich_contacts
from webapp.tools.lead_list import save_lead_list
from webapp.tools.monitor import set_up_monitor
from webapp.tools.places import search_places
from webapp.tools.providers.usage import RunUsage, spending_for
from webapp.tools.sequence import set_up_email_sequence
from webapp.tools.services import ToolServices

TOOLS: dict[str, ToolFn] = {
    GOOGLE_PLACES_SEARCH: search_places,
    HUNTER_DOMAIN_LOOKUP: lookup_domains,
    HUNTER_ENRICH: enrich_contacts,
    LEAD_LIST_SAVE: save_lead_list,
    EMAIL_SEQUENCE_SETUP: set_up_email_sequence,
    MONITOR_SETUP: set_up_monitor,
}


async def run_lead_tool(tool: str, params: dict[str, Any], env: ToolEnv) -> Any:
    implementation = TOOLS.get(tool)
    if implementation is None:
        raise ToolError(f"There is no tool called {tool!r}.", retryable=False)
    run_usage = env.services.usage if isinstance(env.services, ToolServices) else None
    # Counted even for a run that keeps no record of its spending: a tool counts its own calls.
    with spending_for(run_usage or RunUsage(), env.step.id):
        data = await implementation(params, env)
    spent = run_usage.steps.get(env.step.id) if run_usage is not None else None
    if isinstance(data, dict) and spent:
        data["usage"] = {provider: usage.as_json() for provider, usage in spent.items()}
    return data


def default_tool_map() -> dict[str, ToolFn]:
    """Every tool id routed through `run_lead_tool`: what the executor uses by default."""
    return {tool: partial(run_lead_tool, tool) for tool in TOOLS}
