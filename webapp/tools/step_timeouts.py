"""How long one attempt of a step may run: derived from the calls it will make, so a step never
times out while its calls are still inside their documented budgets (each call's own timeout,
its tries and waits, the provider's pacing). LEADGEN_STEP_TIMEOUT_S, when set, wins."""

from __future__ import annotations

import math
from typing import Any

from webapp.core.models import GOOGLE_PLACES_SEARCH, HUNTER_DOMAIN_LOOKUP, HUNTER_ENRICH
from webapp.core.retry import RetryPolicy
from webapp.core.tooling import ToolEnv
from webapp.settings import Settings
from webapp.tools import domains, hunter_contacts, lead_calls, website_contacts
from webapp.tools.providers import google_places, hunter, mx, osm, website
from webapp.tools.providers.choice import chosen_email_providers, chosen_provider
from webapp.tools.providers.timeouts import CallTimeouts
from webapp.tools.services import services_of

FLOOR_S = 60.0  # no step gets less: what every step had before timeouts were derived


def step_timeout(env: ToolEnv) -> float:
    """The step's timeout: LEADGEN_STEP_TIMEOUT_S if set, else derived from its calls (and at
    least FLOOR_S)."""
    services = services_of(env)
    settings = services.settings
    if settings.step_timeout_s is not None:
        return settings.step_timeout_s
    timeouts = services.providers().timeouts
    derived = _derived(env, settings, services.provider_overrides, timeouts)
    return max(FLOOR_S, derived) + settings.demo_latency_ms / 1000  # a demo call's own wait


def _derived(env: ToolEnv, settings: Settings, overrides: Any, timeouts: CallTimeouts) -> float:
    tool, params = env.step.tool, env.step.params
    if tool == GOOGLE_PLACES_SEARCH:
        places = chosen_provider(settings, overrides, "places")
        wanted = params.get("maxResults")
        wanted = wanted if isinstance(wanted, int) and wanted > 0 else 20
        if places == "google":
            return google_places.search_budget_s(wanted, timeouts)
        return osm.search_budget_s(timeouts) if places == "osm" else 0.0
    if tool not in (HUNTER_DOMAIN_LOOKUP, HUNTER_ENRICH):
        return 0.0
    emails = chosen_email_providers(settings, overrides)
    rows = _source_rows(env, params)
    reading = _websites_s(rows, timeouts) if tool == HUNTER_ENRICH and "website" in emails else 0
    if "hunter" not in emails:
        return reading
    return reading + _hunter_s(env, settings, rows, timeouts)


def _hunter_s(
    env: ToolEnv, settings: Settings, rows: list[dict[str, Any]], timeouts: CallTimeouts
) -> float:
    tool = env.step.tool
    policy = settings.retry_policy()
    if tool == HUNTER_DOMAIN_LOOKUP:
        missing = sum(
            1 for row in rows if not domains.has_own_domain(row.get("website"), row.get("domain"))
        )
        return hunter_calls_s(2 * missing, hunter.RATE_LIMITS["domain-search"], timeouts, policy)
    to_search = {row.get("domain") for row in rows if row.get("domain")}
    to_search -= {row.get("domain") for row in rows if domains.CONTACTS_KEY in row}
    searching = hunter_calls_s(
        2 * len(to_search), hunter.RATE_LIMITS["domain-search"], timeouts, policy
    )
    if not settings.hunter_verify:
        return searching
    checks = hunter_contacts.MOST_CHECKS * hunter.VERIFY_TRIES * len(rows)
    verifying = hunter_calls_s(
        checks,
        hunter.RATE_LIMITS["email-verifier"],
        timeouts,
        policy,
        read_s=timeouts.hunter_verify_s + hunter.VERIFY_WAIT_S,
    )
    return searching + verifying


def _websites_s(rows: list[dict[str, Any]], timeouts: CallTimeouts) -> float:
    """Reading the businesses' sites, SITES_AT_ONCE at a time: each its robots.txt and
    MAX_PAGES pages (redirects followed) one after another, paced on its host, each at its
    timeout; and its email domain's mail servers asked."""
    sites = sum(1 for row in rows if row.get("website") and row.get("domain"))
    if not sites:
        return 0.0
    requests = 1 + website.MAX_PAGES * (1 + website.MAX_REDIRECTS)
    one = requests * (timeouts.connect_s + timeouts.website_s + website.HOST_INTERVAL_S)
    return math.ceil(sites / website_contacts.SITES_AT_ONCE) * (one + mx.LIFETIME_S)


def hunter_calls_s(
    calls: int,
    rate: tuple[int, int],
    timeouts: CallTimeouts,
    policy: RetryPolicy,
    *,
    read_s: float | None = None,
) -> float:
    """The longest `calls` Hunter requests take, `domains.HUNTER_AT_ONCE` at a time, each tried
    `lead_calls.TRIES` times at its timeout with the backoff between, paced by Hunter's
    per-second and per-minute limits: pacing + rounds x the worst of one request."""
    if calls <= 0:
        return 0.0
    per_second, per_minute = rate
    pacing = calls / min(
        per_second - hunter.SECOND_MARGIN, (per_minute - hunter.MINUTE_MARGIN) / 60
    )
    each = timeouts.connect_s + (read_s if read_s is not None else timeouts.hunter_search_s)
    waits = sum(
        max(policy.longest_delay_for(attempt), hunter.THROTTLE_WAIT_S)
        for attempt in range(1, lead_calls.TRIES)
    )
    one = lead_calls.TRIES * each + waits
    rounds = math.ceil(calls / domains.HUNTER_AT_ONCE)
    return pacing + rounds * one


def _source_rows(env: ToolEnv, params: dict[str, Any]) -> list[dict[str, Any]]:
    source = env.prior_results.get(str(params.get("sourceStepId")))
    data = source.data if source is not None else None
    rows = data.get("businesses", data.get("leads")) if isinstance(data, dict) else None
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []
