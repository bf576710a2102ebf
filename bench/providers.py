"""Prints what a 100-lead plan costs on the real provider clients, over real HTTP to local fakes
of Google Places and Hunter that answer `--latency-ms` late: wall time, provider calls, credits,
answers from the cache and calls per lead delivered, with a cold and then a warm cache.

    python -m bench.providers [--leads N] [--latency-ms MS] [--places N] [--google-max-pages N]
                                                            (python bench/providers.py works too)

The plan is GOOGLE_PLACES_SEARCH (maxResults = 2 x leads) -> HUNTER_DOMAIN_LOOKUP ->
HUNTER_ENRICH -> LEAD_LIST_SAVE, run by `execute_lead_generation_plan` with
RetryPolicy(jitter=0), ProviderClients (one HTTP client, the process's rate limits) and a
temporary Store's answer cache. The warm run follows the cold one with the same clients, once
the store's writer has kept every answer.

The Google fake (bench/provider_fakes.py) serves `--places` places, the test fake's 70 over and
over with new names and domains, in pages of 20. Google's Text Search stops at 60 results (3
pages), far short of the 200 places the plan asks for; the fake pages on, so the 100-lead plan
can be served, unless given `--google-max-pages 3` (as the real API: the plan then gets at most
60 places and delivers fewer leads). The Hunter fake knows one or two people at every place's
domain, and finds the domain of a place listed without a website by its name.

The bound is the shortest time the providers' limits allow for the calls the cold run made:
Google's pages one after another (each page needs the last one's token), then the Domain
Searches by name (HUNTER_DOMAIN_LOOKUP), then the Domain Searches by domain (HUNTER_ENRICH,
which needs the domains), each call sent as early as Hunter's documented limits allow (15 a
second and 500 a minute in any window) with unlimited calls in flight, each answered
`--latency-ms` later. Target: the cold run within 1.5 x that bound, and no paid call warm. The
same model with the client's own token buckets and its 5 calls in flight shows what the client
can do at best, and one call after another (calls x latency) what concurrency saves.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `bench` and `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.provider_fakes import Delayed, PlacesFake, bench_hunter_app, bench_places
from tests.tools.fakes.google_places import GOOD_KEY
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
from webapp.tools import ToolServices, domains, enrich
from webapp.tools.providers import google_places as google_module
from webapp.tools.providers import hunter as hunter_module
from webapp.tools.providers.clients import ProviderClients
from webapp.tools.providers.http import RateLimits
from webapp.tools.usage import ProviderUsage, RunUsage

USER = SupervisorUserContext(user_id="bench")
POLICY = RetryPolicy(jitter=0)
GOOGLE = google_module.PROVIDER
HUNTER = hunter_module.PROVIDER
TARGET_RATIO = 1.5
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
    google: PlacesFake
    hunter: Any  # the Starlette app; app.state.received lists its requests
    google_url: str
    hunter_url: str

    def received(self) -> tuple[int, int]:
        return self.google.received, len(self.hunter.state.received)


@contextmanager
def fakes(places: int, max_pages: int | None, latency_s: float) -> Iterator[Fakes]:
    found = bench_places(places)
    google = PlacesFake(found, max_pages=max_pages)
    hunter = bench_hunter_app(found)
    with ExitStack() as stack:
        google_url = stack.enter_context(serving(Delayed(google.app(), latency_s)))
        hunter_url = stack.enter_context(serving(Delayed(hunter, latency_s)))
        yield Fakes(google, hunter, google_url, hunter_url)


@dataclass
class Run:
    wall_s: float
    result: LeadGenExecutionResult
    usage: RunUsage
    received: tuple[int, int]  # requests the Google and the Hunter fake got during the run

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
    def delivered(self) -> int:
        return int(self.step_data(LEAD_LIST_SAVE).get("saved", 0))

    @property
    def with_email(self) -> int:
        return sum(
            1 for lead in self.step_data(LEAD_LIST_SAVE).get("leads", []) if lead.get("email")
        )

    @property
    def paid_per_lead(self) -> str:
        paid = self.usage.totals().requests
        return f"{paid / self.delivered:.2f}" if self.delivered else "n/a"

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
    result = await execute_lead_generation_plan(plan, USER, services=services, retry_policy=POLICY)
    wall = time.perf_counter() - started
    after = fakes.received()
    if result.overall_status != "succeeded":
        failed = [(s.step_id, s.status, s.error_message) for s in result.step_results]
        raise SystemExit(f"the plan did not succeed ({result.overall_status}): {failed}")
    received = (after[0] - before[0], after[1] - before[1])
    return Run(wall, result, usage, received)


# -- the bounds -------------------------------------------------------------------------------

# Hunter's documented Domain Search limits (providers.md §2.3): (requests, window in seconds).
DOCUMENTED = [
    (hunter_module.RATE_LIMITS["domain-search"][0], 1.0),
    (hunter_module.RATE_LIMITS["domain-search"][1], 60.0),
]


def documented_phase(count: int, start: float, sent: list[float], latency_s: float) -> float:
    """When the last of `count` calls is answered, each sent as early as the documented limits
    allow given every call `sent` before (at most `limit` in any `window`), none before
    `start`, with no limit on calls in flight."""
    if not count:
        return start
    for _ in range(count):
        moment = start
        for limit, window in DOCUMENTED:
            if len(sent) >= limit:
                moment = max(moment, sent[-limit] + window)
        sent.append(moment)
    return sent[-1] + latency_s


class ModelBucket:
    """TokenBucket's arithmetic on a simulated clock; waiters are served in order (its lock)."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.updated = float(burst), 0.0

    def take(self, moment: float) -> float:
        moment = max(moment, self.updated)
        self.tokens = min(self.burst, self.tokens + (moment - self.updated) * self.rate)
        self.updated = moment
        if self.tokens < 1 - 1e-9:
            moment += (1 - self.tokens) / self.rate
            self.tokens, self.updated = 1.0, moment
        self.tokens = max(0.0, self.tokens - 1)
        return moment


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
    count: int, start: float, limiter: ModelBucket | ModelWindow, at_once: int, latency_s: float
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


def client_limiters() -> tuple[ModelBucket, ModelWindow]:
    """Models of the limiters the clients use: Google's bucket and Hunter's Domain Search
    sliding window."""
    limits = RateLimits()
    google = limits.bucket(
        google_module.BUCKET, google_module.BUCKET_RATE, google_module.BUCKET_BURST
    )
    hunter = hunter_module.hunter_limiter(limits, "domain-search")
    return ModelBucket(google.rate, google.burst), ModelWindow(hunter.windows)


@dataclass
class Bounds:
    documented_s: float
    buckets_s: float
    one_by_one_s: float
    hunter_last_sent_s: float  # when the documented schedule has sent the last Hunter call


def bounds(pages: int, by_name: int, by_domain: int, latency_s: float) -> Bounds:
    sent: list[float] = []
    after_google = pages * latency_s
    after_lookup = documented_phase(by_name, after_google, sent, latency_s)
    documented = documented_phase(by_domain, after_lookup, sent, latency_s)

    google, hunter = client_limiters()
    moment = 0.0
    for _ in range(pages):
        moment = google.take(moment) + latency_s
    moment = limited_phase(by_name, moment, hunter, domains.HUNTER_AT_ONCE, latency_s)
    with_buckets = limited_phase(by_domain, moment, hunter, enrich.HUNTER_AT_ONCE, latency_s)
    one_by_one = (pages + by_name + by_domain) * latency_s
    return Bounds(documented, with_buckets, one_by_one, sent[-1] if sent else 0.0)


# -- the report -------------------------------------------------------------------------------


def row(name: str, cold: str, warm: str) -> None:
    print(f"  {name:<38} {cold:>14} {warm:>14}")


def report_runs(cold: Run, warm: Run, leads: int) -> None:
    print(f"{'':<40} {'cold cache':>14} {'warm cache':>14}")
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
    row(
        f"leads delivered (of {leads}), with email",
        f"{cold.delivered} ({cold.with_email})",
        f"{warm.delivered} ({warm.with_email})",
    )
    row("paid calls per lead delivered", cold.paid_per_lead, warm.paid_per_lead)


def report_bounds(cold: Run, latency_s: float) -> bool:
    pages = cold.provider(GOOGLE).requests
    by_name = cold.provider(HUNTER, cold.step(HUNTER_DOMAIN_LOOKUP).step_id).requests
    by_domain = cold.provider(HUNTER, cold.step(HUNTER_ENRICH).step_id).requests
    found = bounds(pages, by_name, by_domain, latency_s)
    windows = hunter_module.hunter_limiter(RateLimits(), "domain-search").windows
    ms = latency_s * 1000
    print()
    print(
        f"time the limits allow for the cold run's calls: {pages} Google pages one after "
        f"another, then {by_name} + {by_domain} Hunter Domain Searches in two steps, "
        f"{ms:.0f} ms each"
    )
    limits = ", ".join(f"{limit}/{window:g} s" for limit, window in DOCUMENTED)
    buckets = (
        ", ".join(f"{limit}/{seconds:g} s" for seconds, limit in windows)
        + f", {enrich.HUNTER_AT_ONCE} in flight"
    )
    calls = pages + by_name + by_domain
    for name, seconds in (
        (f"Hunter's documented limits ({limits}), no cap in flight", found.documented_s),
        (f"the client's limiter ({buckets})", found.buckets_s),
        (f"one call after another, no limit ({calls} x {ms:g} ms)", found.one_by_one_s),
    ):
        print(f"  {name:<66} {seconds:8.2f} s")
    print(
        "  (the documented schedule sends the last Hunter call at "
        f"{found.hunter_last_sent_s:.2f} s)"
    )
    ratio = cold.wall_s / found.documented_s
    model = cold.wall_s / found.buckets_s
    met = ratio <= TARGET_RATIO
    verdict = "ok" if met else "MISSES TARGET"
    print(f"  cold run / documented bound: {ratio:.2f}x (target <= {TARGET_RATIO:g}x)  {verdict}")
    print(f"  cold run / client-limiter model: {model:.2f}x")
    return met


async def main(leads: int, latency_ms: float, places: int, max_pages: int | None) -> None:
    latency_s = latency_ms / 1000
    plan = lead_plan(leads)
    search = plan.steps[0].params["maxResults"]
    cap = f"at most {max_pages} pages" if max_pages else "no page cap"
    print(
        f"a {leads}-lead plan (asks Google for {search} places) on the local fakes: Google "
        f"Places with {places} places in pages of 20 ({cap}), Hunter with people at every "
        f"domain; every answer {latency_ms:g} ms late"
    )
    with fakes(places, max_pages, latency_s) as served, tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            _env_file=None,
            google_places_api_key=GOOD_KEY,
            hunter_api_key=TEST_KEY,
            google_places_url=served.google_url,
            hunter_url=served.hunter_url,
            places_provider="google",
            email_provider="hunter",
            hunter_verify=False,
            demo_latency_ms=0,
        )
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
    spent = warm.usage.totals()
    free = spent.requests == 0 and spent.credits == 0 and warm.received == (0, 0)
    print(
        f"  warm cache made no paid call: {'ok' if free else 'NO'} "
        f"({spent.requests} requests, {spent.credits:g} credits, "
        f"the fakes received {sum(warm.received)})"
    )
    report_bounds(cold, latency_s)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100, help="leads the goal asks for")
    parser.add_argument("--latency-ms", type=float, default=100, help="each fake answer's delay")
    parser.add_argument("--places", type=int, default=240, help="places the Google fake knows")
    parser.add_argument(
        "--google-max-pages",
        type=int,
        default=None,
        help="pages the Google fake serves per search (Google's own: 3); default no cap",
    )
    args = parser.parse_args()
    asyncio.run(main(args.leads, args.latency_ms, args.places, args.google_max_pages))
