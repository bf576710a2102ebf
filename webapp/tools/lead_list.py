"""LEAD_LIST_SAVE: deduplicate, rank and cap the enriched leads, then save them as a list."""

from __future__ import annotations

from typing import Any

from webapp.core.leads import dedupe_leads, lead_sort_key
from webapp.core.tooling import ToolEnv
from webapp.tools.services import services_of
from webapp.tools.step_inputs import int_param, lead_json, source_leads, text_param

MAX_LEADS = 10_000


async def save_lead_list(params: dict[str, Any], env: ToolEnv) -> dict[str, Any]:
    """Saving is idempotent per (run, step) through the LeadListStore, so a retry or resume
    never saves a second copy."""
    services = services_of(env)
    name = text_param(params, env, "listName", example="Coffee shops in Manchester")
    cap = int_param(params, env, "maxLeads", low=1, high=MAX_LEADS, default=None)
    _, leads = source_leads(params, env, "leads", "businesses")
    # Rank first so that, of two duplicates, the better one is kept; the order stays ranked.
    kept, dropped = dedupe_leads(sorted(leads, key=lead_sort_key))
    chosen = kept[:cap] if cap is not None else kept
    saved = await services.lead_lists.save_lead_list(
        run_id=env.run_id,
        step_id=env.step.id,
        user_id=env.user.user_id,
        name=name,
        leads=chosen,
        duplicates_dropped=dropped,
    )
    noun = "lead" if saved.saved == 1 else "leads"
    dupes = "duplicate" if saved.duplicates_dropped == 1 else "duplicates"
    return {
        "listId": saved.list_id,
        "name": saved.name,
        "saved": saved.saved,
        "duplicatesDropped": saved.duplicates_dropped,
        "overCap": len(kept) - len(chosen),  # left out: beyond the number of leads asked for
        "leads": [lead_json(lead) for lead in saved.leads],
        "summary": f"Saved {saved.saved} {noun} ({saved.duplicates_dropped} {dupes} dropped)",
    }
