"""Prints what a 100-lead plan costs on the real provider clients, over real HTTP to local fakes
of Google Places and Hunter that answer `--latency-ms` late: wall time, provider calls, credits,
leads delivered and what was dropped, against the time the providers' documented limits allow.

    python -m bench.providers [--leads N] [--latency-ms MS] [--places N] [--messy] [--no-verify]
                              [--email-providers website,hunter]
                                                            (python bench/providers.py works too)

The plan is GOOGLE_PLACES_SEARCH (maxResults = 2 x leads) -> HUNTER_DOMAIN_LOOKUP ->
HUNTER_ENRICH (with the Email Verifier unless --no-verify) -> LEAD_LIST_SAVE, run by
`execute_lead_generation_plan` with RetryPolicy(jitter=0), the step timeouts the runtime uses,
ProviderClients (one HTTP client, the process's rate limits) and a temporary Store's answer
cache. A warm run follows the cold one with the same clients: Google is asked again (its terms
let no content be kept), Hunter's answers come from the cache.

The fakes (bench/provider_fakes.py) serve `--places` businesses around Manchester: Google at
most 60 a search, so the 200 places the plan asks for take searches over parts of the area;
Hunter one or two people at every domain. `--messy` makes one domain in ten refused, one
address in ten fail verification (222) and a tenth of the places list a platform page as their
website (providers.md §0). Targets in messy mode: the run succeeds, delivers at least 85 leads
with an email, spends no credit on a platform's domain, and takes at most 1.5 x the bound.

With `--email-providers website,hunter` it runs the plan twice, cold: Hunter alone, then the
businesses' own websites first (a fake web of their sites, each page 100-800 ms late, seven in
ten showing an address, reached as the HTTP proxy) and Hunter only for the rest; it prints the
wall times, the pages fetched, the emails found by each source and the Hunter credits of each.
Targets: the websites give an email to at least 60% of the businesses with a site, Hunter's
credits fall by as much, and the run takes at most 2 x Hunter alone.

The bound is the shortest time the providers' documented limits allow for the calls the cold
run made, in the order the steps need them: Google's pages one after another (each needs the
last one's token), then each Hunter step's searches (a second search for a domain only after
its first), then the verifications, each call sent as early as Hunter's documented limits
allow (Domain Search 15 a second and 500 a minute, the Email Verifier 10 and 300, in any
window) with unlimited calls in flight, each answered `--latency-ms` later. The same model with
the client's own limiter and its 15 calls in flight shows what the client can do at best.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.provider_fakes import WEB_LATENCY_S, BenchWeb, Delayed, World, site_of, world
from tests.tools.fakes.google_places import GOOD_KEY, received
from tests.tools.fakes.hunter import TEST_KEY
from tests.tools.live_server import serving
from webapp.core import (
    LeadGenExecutionResult,
    LeadGenGoal,
    PlanContext,
    RetryPolicy,
    SupervisorUserContext,
    execute_lead_generation_plan,
    plan_lead_generation,
)
from webapp.core.models import (
    GOOGLE_PLACES_SEARCH,
    HUNTER_DOMAIN_LOOKUP,
    HUNTER_ENRICH,
    LEAD_LIST_SAVE,
    LeadGenPlan,
    parse_timestamp,
)
from webapp.settings import Settings
from webapp.store import Store
from webapp.tools import ToolServices, default_tool_map, domains
from webapp.tools.providers import google_places as google_module
from webapp.tools.providers import hunter as hunter_module
from webapp.tools.providers.clients import ProviderClients
from webapp.tools.providers.http import RateLimits
from webapp.tools.providers.usage import ProviderUsage, RunUsage
from webapp.tools.step_timeouts import step_timeout

USER = SupervisorUserContext(user_id="bench")
POLICY = RetryPolicy(jitter=0)
GOOGLE = google_module.PROVIDER
HUNTER = hunter_module.PROVIDER
TARGET_RATIO = 1.5
MESSY_WITH_EMAIL = 85  # of 100 leads
STEP_NAMES = {
    GOOGLE_PLACES_SEARCH: "places search",
    HUNTER_DOMAIN_LOOKUP: "domain lookup",
    HUNTER_ENRICH: "enrich",
    LEAD_LIST_SAVE: "save",
}


def lead_plan(leads: int) -> LeadGenPlan:
    goal = LeadGenGoal(
        raw_goal=f"Find {leads} coffee shops in Manchester",
        target_region="Manchester",
        target_persona="coffee shops",
        volume=leads,
    )
    plan = plan_lead_generation(goal, PlanContext(user_id="bench"))
    assert [step.tool for step in plan.steps] == list(STEP_NAMES), plan.steps
    return plan


# -- the runs ---------------------------------------------------------------------------------


@dataclass
class Fakes:
    world: World
    google: Any  # the Starlette apps; their state records what they received
    hunter: Any
    google_url: str
    hunter_url: str

    def received(self) -> tuple[int, int]:
        return len(received(self.google)), len(self.hunter.state.received)


@contextmanager
def fakes(places: int, latency_s: float, messy: bool) -> Iterator[Fakes]:
    businesses = world(places, messy=messy)
    google, hunter = businesses.google(), businesses.hunter()
    with ExitStack() as stack:
        google_url = stack.enter_context(serving(Delayed(google, latency_s)))
        hunter_url = stack.enter_context(serving(Delayed(hunter, latency_s)))
        yield Fakes(businesses, google, hunter, google_url, hunter_url)


@dataclass
class Run:
    wall_s: float
    result: LeadGenExecutionResult
    usage: RunUsage
    received: tuple[int, int]  # requests the Google and the Hunter fake got during the run
    hunter_log: list[Any] = field(default_factory=list)  # what Hunter received, in order

    def provider(self, name: str, step_id: str | None = None) -> ProviderUsage:
        total = ProviderUsage()
        for step, providers in self.usage.steps.items():
            usage = providers.get(name)
            if usage is not None and step_id in (None, step):
                total.requests += usage.requests
                total.credits += usage.credits
                total.cached += usage.cached
        return total

    def step_data(self, tool: str) -> dict[str, Any]:
        data = self.step(tool).data
        return data if isinstance(data, dict) else {}

    def step(self, tool: str) -> Any:
        return self.result.step_results[list(STEP_NAMES).index(tool)]

    @property
    def saved(self) -> list[dict[str, Any]]:
        leads: list[dict[str, Any]] = self.step_data(LEAD_LIST_SAVE).get("leads", [])
        return leads

    @property
    def with_email(self) -> int:
        return sum(1 for lead in self.saved if lead.get("email"))

    @property
    def verified(self) -> int:
        return sum(1 for lead in self.saved if lead.get("emailStatus") == "valid")

    def step_seconds(self, tool: str) -> float:
        step = self.step(tool)
        if not step.started_at or not step.finished_at:
            return float("nan")
        elapsed = parse_timestamp(step.finished_at) - parse_timestamp(step.started_at)
        return elapsed.total_seconds()


async def run_plan(plan: LeadGenPlan, clients: ProviderClients, fakes: Fakes) -> Run:
    usage = RunUsage()
    services = ToolServices(settings=clients.settings, clients=clients, usage=usage)
    before = fakes.received()
    started = time.perf_counter()
    result = await execute_lead_generation_plan(
        plan,
        USER,
        tools=default_tool_map(),
        services=services,
        retry_policy=POLICY,
        step_timeout=step_timeout,
    )
    wall = time.perf_counter() - started
    after = fakes.received()
    if result.overall_status != "succeeded":
        failed = [(s.step_id, s.status, s.error_message) for s in result.step_results]
        raise SystemExit(f"the plan did not succeed ({result.overall_status}): {failed}")
    received = (after[0] - before[0], after[1] - before[1])
    log = list(fakes.hunter.state.received[before[1] :])
    return Run(wall, result, usage, received, log)


# -- the bounds -------------------------------------------------------------------------------


def documented_limits(endpoint: str) -> list[tuple[int, float]]:
    """Hunter's documented limits for an endpoint (providers.md §0.1): (calls, window s)."""
    per_second, per_minute = hunter_module.RATE_LIMITS[endpoint]
    return [(per_second, 1.0), (per_minute, 60.0)]


def documented_phase(
    count: int, start: float, sent: list[float], limits: list[tuple[int, float]], latency_s: float
) -> float:
    """When the last of `count` calls is answered, each sent as early as `limits` allow given
    every call `sent` before to the same endpoint (at most `limit` in any `window`), none before
    `start`, with no limit on calls in flight."""
    if not count:
        return start
    for _ in range(count):
        moment = start
        for limit, window in limits:
            if len(sent) >= limit:
                moment = max(moment, sent[-limit] + window)
        sent.append(moment)
    return sent[-1] + latency_s


class ModelWindow:
    """The client's sliding-window limiter in virtual time: `take` says when a call asked for
    at `moment` may go, under every (seconds, limit) window."""

    def __init__(self, windows: tuple[tuple[float, int], ...]) -> None:
        self.windows = windows
        self.sent: list[float] = []

    def take(self, moment: float) -> float:
        while True:
            pause = 0.0
            for seconds, limit in self.windows:
                recent = [t for t in self.sent if t > moment - seconds]
                if len(recent) >= limit:
                    pause = max(pause, sorted(recent)[len(recent) - limit] + seconds - moment)
            if pause <= 0:
                self.sent.append(moment)
                return moment
            moment += max(pause, 1e-6)


def limited_phase(
    count: int, start: float, limiter: ModelWindow, at_once: int, latency_s: float
) -> float:
    """When the last of `count` calls is answered, with `at_once` in flight, each waiting for
    the limiter before it is sent (as ProviderHttp does)."""
    slots = [start] * at_once
    end = start
    for _ in range(count):
        moment = limiter.take(heapq.heappop(slots))
        heapq.heappush(slots, moment + latency_s)
        end = max(end, moment + latency_s)
    return end


@dataclass
class Calls:
    """The cold run's calls, in the order the steps need them."""

    pages: int  # Google pages, one after another
    phases: list[tuple[str, int]]  # (Hunter endpoint, calls) phase after phase

    def describe(self) -> str:
        hunter = " + ".join(f"{count} {endpoint}" for endpoint, count in self.phases if count)
        return f"{self.pages} Google pages, then {hunter or 'no Hunter call'}"


def calls_of(run: Run) -> Calls:
    """Each Hunter step's first searches, then the second ones (a domain searched again without
    the filters), then the verifications; read from what the fake Hunter received."""
    lookup: list[Any] = []
    searches: list[Any] = []
    verifications = 0
    by_name = {
        row.get("domain")
        for row in run.step_data(HUNTER_DOMAIN_LOOKUP).get("businesses", [])
        if row.get("domainStatus") == "by_name"
    }
    for request in run.hunter_log:
        if request.path.endswith("/email-verifier"):
            verifications += 1
        elif request.path.endswith("/domain-search"):
            params = request.params
            again_by_name = "seniority" not in params and params.get("domain") in by_name
            (lookup if "company" in params or again_by_name else searches).append(params)
    phases = [
        ("domain-search", sum(1 for p in lookup if "seniority" in p)),
        ("domain-search", sum(1 for p in lookup if "seniority" not in p)),
        ("domain-search", sum(1 for p in searches if "seniority" in p)),
        ("domain-search", sum(1 for p in searches if "seniority" not in p)),
        ("email-verifier", verifications),
    ]
    return Calls(run.provider(GOOGLE).requests, phases)


@dataclass
class Bounds:
    documented_s: float
    client_s: float
    one_by_one_s: float


def bounds(calls: Calls, latency_s: float) -> Bounds:
    moment = calls.pages * latency_s
    sent: dict[str, list[float]] = {}
    for endpoint, count in calls.phases:
        limits = documented_limits(endpoint)
        moment = documented_phase(count, moment, sent.setdefault(endpoint, []), limits, latency_s)
    documented = moment

    limits_now = RateLimits()
    models: dict[str, ModelWindow] = {}
    moment = calls.pages * latency_s
    for endpoint, count in calls.phases:
        if endpoint not in models:
            windows = hunter_module.hunter_limiter(limits_now, endpoint).windows
            models[endpoint] = ModelWindow(windows)
        moment = limited_phase(count, moment, models[endpoint], domains.HUNTER_AT_ONCE, latency_s)
    total = calls.pages + sum(count for _, count in calls.phases)
    return Bounds(documented, moment, total * latency_s)


# -- the report -------------------------------------------------------------------------------


def row(name: str, cold: str, warm: str) -> None:
    print(f"  {name:<44} {cold:>14} {warm:>14}")


def report_runs(cold: Run, warm: Run, leads: int) -> None:
    print(f"{'':<46} {'cold cache':>14} {'warm cache':>14}")
    row("wall time", f"{cold.wall_s:.3f} s", f"{warm.wall_s:.3f} s")
    for tool, name in STEP_NAMES.items():
        row(
            f"  {name} step", f"{cold.step_seconds(tool):.3f} s", f"{warm.step_seconds(tool):.3f} s"
        )
    for provider in (GOOGLE, HUNTER):
        c, w = cold.provider(provider), warm.provider(provider)
        row(f"{provider} requests", f"{c.requests:,d}", f"{w.requests:,d}")
        row(f"{provider} credits", f"{c.credits:,g}", f"{w.credits:,g}")
        row(f"{provider} answers from the cache", f"{c.cached:,d}", f"{w.cached:,d}")
    row(
        "requests the fakes received (G/H)",
        "{} / {}".format(*cold.received),
        "{} / {}".format(*warm.received),
    )
    places = cold.step_data(GOOGLE_PLACES_SEARCH)
    row("places found (searches)", f"{places.get('count')} ({places.get('searches')})", "")
    row(
        f"leads delivered (of {leads}): with email, verified",
        f"{len(cold.saved)}: {cold.with_email}, {cold.verified}",
        f"{len(warm.saved)}: {warm.with_email}, {warm.verified}",
    )
    for tool in (HUNTER_DOMAIN_LOOKUP, HUNTER_ENRICH):
        print(f"  {STEP_NAMES[tool]}: {cold.step_data(tool).get('summary')}")


def report_bounds(cold: Run, latency_s: float) -> float:
    calls = calls_of(cold)
    found = bounds(calls, latency_s)
    ms = latency_s * 1000
    print()
    print(f"time the limits allow for the cold run's calls ({calls.describe()}), {ms:.0f} ms each")
    for name, seconds in (
        ("Hunter's documented limits, no cap in flight", found.documented_s),
        (f"the client's limiter, {domains.HUNTER_AT_ONCE} in flight", found.client_s),
        ("one call after another, no limit", found.one_by_one_s),
    ):
        print(f"  {name:<66} {seconds:8.2f} s")
    ratio = cold.wall_s / found.documented_s
    verdict = "ok" if ratio <= TARGET_RATIO else "MISSES TARGET"
    print(f"  cold run / documented bound: {ratio:.2f}x (target <= {TARGET_RATIO:g}x)  {verdict}")
    print(f"  cold run / client-limiter model: {cold.wall_s / found.client_s:.2f}x")
    return ratio


def report_messy(cold: Run, served: Fakes, leads: int) -> None:
    platforms = served.world.platforms
    searched = [r.params.get("domain") for r in cold.hunter_log if "domain" in r.params]
    on_platforms = sum(1 for domain in searched if domain in platforms)
    trouble = cold.step_data(HUNTER_ENRICH).get("trouble", {})
    domains = cold.step_data(HUNTER_DOMAIN_LOOKUP)
    wanted = leads * MESSY_WITH_EMAIL // 100
    print()
    print("messy answers:")
    print(f"  places on a platform website: {domains.get('onPlatforms')}")
    print(f"  domains found by name: {domains.get('byName')}")
    print(f"  matched another firm by name, dropped: {domains.get('nameMismatches')}")
    print(f"  leads with Hunter trouble: {trouble}")
    ok = on_platforms == 0
    print(f"  Hunter searches of a platform's domain: {on_platforms}  {'ok' if ok else 'NO'}")
    ok = cold.with_email >= wanted
    print(f"  leads with an email: {cold.with_email} (target >= {wanted})  {'ok' if ok else 'NO'}")


async def main(
    leads: int, latency_ms: float, places: int, messy: bool, verify: bool, emails: str
) -> None:
    if "website" in emails.split(","):
        await compare_waterfall(leads, latency_ms / 1000, places, verify, emails)
        return
    latency_s = latency_ms / 1000
    plan = lead_plan(leads)
    search = plan.steps[0].params["maxResults"]
    mode = "messy" if messy else "clean"
    print(
        f"a {leads}-lead plan (asks Google for {search} places) on the local fakes ({mode}): "
        f"{places} businesses, Google at most 60 a search, Hunter with people at every "
        f"domain, the verifier {'on' if verify else 'off'}; every answer {latency_ms:g} ms late"
    )
    with fakes(places, latency_s, messy) as served, tempfile.TemporaryDirectory() as folder:
        settings = fake_settings(served, verify, email_providers="hunter")
        store = await Store.open(os.path.join(folder, "cache.db"))
        clients = ProviderClients(settings, cache=store.cache)
        try:
            cold = await run_plan(plan, clients, served)
            await store.writer.flush()  # every answer is kept before the warm run
            warm = await run_plan(plan, clients, served)
        finally:
            await clients.aclose()
            await store.close()
    report_runs(cold, warm, leads)
    spent = warm.provider(HUNTER)
    print(
        f"  warm cache spent no Hunter credit: {'ok' if spent.credits == 0 else 'NO'} "
        f"({spent.requests} requests: refusals and failed checks are asked again, free)"
    )
    report_bounds(cold, latency_s)
    if messy:
        report_messy(cold, served, leads)


def fake_settings(served: Fakes, verify: bool, **more: Any) -> Settings:
    """Settings that send the real clients to the fakes."""
    return Settings(
        _env_file=None,
        google_places_api_key=GOOD_KEY,
        hunter_api_key=TEST_KEY,
        google_places_url=served.google_url,
        hunter_url=served.hunter_url,
        places_provider="google",
        hunter_verify=verify,
        demo_latency_ms=0,
        **more,
    )


# -- the websites first ------------------------------------------------------------------------


async def cold_run(plan: LeadGenPlan, settings: Settings, served: Fakes, folder: str) -> Run:
    """One run on a cache of its own, nothing kept from another."""
    store = await Store.open(os.path.join(folder, f"{settings.email_providers}.db"))
    clients = ProviderClients(settings, cache=store.cache)
    try:
        return await run_plan(plan, clients, served)
    finally:
        await clients.aclose()
        await store.close()


async def compare_waterfall(
    leads: int, latency_s: float, places: int, verify: bool, emails: str
) -> None:
    """Hunter alone, then `emails` in turn (the websites first), each cold on the same fakes;
    the websites are the bench's fake web, reached as the HTTP proxy."""
    plan = lead_plan(leads)
    low, high = WEB_LATENCY_S
    print(
        f"a {leads}-lead plan on the local fakes ({places} businesses, Hunter answers "
        f"{latency_s * 1000:g} ms late, each web page {low * 1000:g}-{high * 1000:g} ms), the "
        f"verifier {'on' if verify else 'off'}: Hunter alone, then {emails}"
    )
    with fakes(places, latency_s, messy=False) as served, tempfile.TemporaryDirectory() as folder:
        hosts = [host for place in served.world.places if (host := site_of(place))]
        web = BenchWeb(hosts)
        with serving(web) as proxy:
            os.environ["HTTP_PROXY"], os.environ["NO_PROXY"] = proxy, "127.0.0.1,localhost"
            base = fake_settings(served, verify, mx_check="off")  # the fake web has no DNS
            alone = await cold_run(
                plan, base.model_copy(update={"email_providers": "hunter"}), served, folder
            )
            both = await cold_run(
                plan, base.model_copy(update={"email_providers": emails}), served, folder
            )
    report_waterfall(alone, both, web, len(hosts))


def report_waterfall(alone: Run, both: Run, web: BenchWeb, sites: int) -> None:
    enriched = both.step_data(HUNTER_ENRICH)
    served = enriched.get("byProvider", {})
    businesses = [row for row in both.step_data(HUNTER_DOMAIN_LOOKUP).get("businesses", [])]
    with_site = sum(1 for row in businesses if row.get("website") and row.get("domain"))
    from_sites = served.get("website", 0)
    share = from_sites / with_site if with_site else 0.0
    credits_alone = alone.provider(HUNTER).credits
    credits_both = both.provider(HUNTER).credits
    fell = 1 - credits_both / credits_alone if credits_alone else 0.0
    spared = from_sites / len(businesses) if businesses else 0.0  # of the businesses Hunter had
    ratio = both.wall_s / alone.wall_s
    print(f"{'':<46} {'Hunter alone':>14} {'websites first':>14}")
    row("wall time", f"{alone.wall_s:.3f} s", f"{both.wall_s:.3f} s")
    row(
        "  enrich step",
        f"{alone.step_seconds(HUNTER_ENRICH):.3f} s",
        f"{both.step_seconds(HUNTER_ENRICH):.3f} s",
    )
    row(
        "Hunter requests",
        f"{alone.provider(HUNTER).requests:,d}",
        f"{both.provider(HUNTER).requests:,d}",
    )
    row("Hunter credits", f"{credits_alone:,g}", f"{credits_both:,g}")
    row("web pages fetched", "0", f"{both.provider('Websites').requests:,d}")
    row(
        "leads delivered, with email",
        f"{len(alone.saved)}, {alone.with_email}",
        f"{len(both.saved)}, {both.with_email}",
    )
    print(f"  emails by source: {served}; {enriched.get('summary')}")
    print(f"  fake web: {sites} sites, {web.pages} requests received")
    verdicts = (
        (f"businesses with a site that got an email from it: {share:.0%}", share >= 0.6, ">= 60%"),
        (
            f"Hunter credits fell by {fell:.0%}; the websites served {spared:.0%} of them",
            fell >= spared - 0.05,
            "as much",
        ),
        (f"wall time: {ratio:.2f} x Hunter alone", ratio <= 2.0, "<= 2x"),
    )
    for text, ok, target in verdicts:
        print(f"  {text} (target {target})  {'ok' if ok else 'MISSES TARGET'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100, help="leads the goal asks for")
    parser.add_argument("--latency-ms", type=float, default=100, help="each fake answer's delay")
    parser.add_argument("--places", type=int, default=240, help="businesses the fakes know")
    parser.add_argument("--messy", action="store_true", help="answer as messily as documented")
    parser.add_argument(
        "--no-verify", dest="verify", action="store_false", help="leave the verifier off"
    )
    parser.add_argument(
        "--email-providers",
        default="hunter",
        help="who finds emails, in order; with website, compared with Hunter alone",
    )
    args = parser.parse_args()
    asyncio.run(
        main(
            args.leads, args.latency_ms, args.places, args.messy, args.verify, args.email_providers
        )
    )
