"""The monitor scheduler: every `interval_s` it checks the monitors that are due."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from webapp.core.errors import ToolError
from webapp.core.leads import Lead, dedupe_leads, lead_sort_key, leads_from_data
from webapp.core.models import (
    LeadGenGoal,
    LeadGenPlan,
    LeadGenPlanStep,
    LeadGenStepResult,
    PlanContext,
    SupervisorUserContext,
    iso_timestamp,
    utc_now,
)
from webapp.core.planner import plan_lead_generation
from webapp.core.tooling import ToolEnv
from webapp.settings import Settings
from webapp.store import Store
from webapp.store.monitors import KnownLeads, MonitorCheck, MonitorRecord
from webapp.tools.monitor import DEFAULT_FREQUENCY, PERIODS
from webapp.tools.providers.web_domains import domain_of
from webapp.tools.registry import run_lead_tool
from webapp.tools.services import ToolServices
from webapp.tools.step_inputs import lead_json
from webapp.tools.step_timeouts import step_timeout

logger = logging.getLogger(__name__)

# A run's services from its id and options, as the RunManager builds them.
ServicesFor = Callable[[str, Mapping[str, Any]], Any]
RunTool = Callable[[str, dict[str, Any], ToolEnv], Awaitable[Any]]
SEARCH_STEPS = 3  # places, domains, contacts
# A claimed check that never records (its process died) leaves the monitor due again after this.
CLAIM_S = 15 * 60


class MonitorScheduler:
    """Due monitors are checked one after another, and one failing never stops the others. Each
    process on the database runs a scheduler; a check begins by claiming its monitor (its next
    run moved on for the while), so whichever process reads it due first checks it, once."""

    def __init__(
        self,
        store: Store,
        services: ToolServices | ServicesFor,
        *,
        clock: Callable[[], datetime] = utc_now,
        interval_s: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        run_tool: RunTool = run_lead_tool,
    ) -> None:
        self.monitors = store.monitors
        if isinstance(services, ToolServices):
            fixed = services
            self._services_for: ServicesFor = lambda run_id, options: fixed
        else:
            self._services_for = services
        self.clock = clock
        self.interval_s = interval_s
        self._sleep = sleep
        self._run_tool = run_tool
        self._task: asyncio.Task[None] | None = None
        self._locks: dict[str, asyncio.Lock] = {}  # one check of a monitor at a time

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="leadgen-monitors")

    async def stop(self) -> None:
        """Stop the loop (a check in flight is cancelled; its transaction is all or nothing).
        Safe to call twice, or without start(); never raises the loop's errors."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        await asyncio.wait([task])

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_due()
            except Exception:  # e.g. the store failed to answer: the next tick tries again
                logger.exception("the monitor scheduler could not read the due monitors")
            await self._sleep(self.interval_s)

    async def run_due(self) -> list[MonitorCheck]:
        """Check every monitor that is due now, once each; the checks recorded."""
        due = await self.monitors.due(iso_timestamp(self.clock()))
        checks: list[MonitorCheck] = []
        for monitor in due:
            lock = self._locks.setdefault(monitor.monitor_id, asyncio.Lock())
            if lock.locked():
                continue  # being checked right now (run now): that check counts
            try:
                async with lock:
                    # Another process on the database (a worker, a server beside this one)
                    # may have read it due too: only the one that claims it checks it.
                    lease = iso_timestamp(self.clock() + timedelta(seconds=CLAIM_S))
                    if not await self.monitors.claim(
                        monitor.monitor_id, due_at=monitor.next_run_at, until=lease
                    ):
                        continue
                    check = await self.check(monitor)
            except Exception:  # e.g. the store refused the write: the other monitors go on
                logger.exception("monitor %s: the check could not be recorded", monitor.monitor_id)
                continue
            if check is not None:
                checks.append(check)
        return checks

    async def run_now(self, monitor_id: str) -> MonitorCheck | None:
        """Check one monitor now, whatever its schedule; None if there is no such monitor."""
        async with self._locks.setdefault(monitor_id, asyncio.Lock()):
            monitor = await self.monitors.get(monitor_id)
            if monitor is None:
                return None
            return await self.check(monitor)

    async def check(self, monitor: MonitorRecord) -> MonitorCheck | None:
        """Search again, save what is new and record the check (None if the monitor is gone).

        A check searches again as the monitor's run did (its plan's steps 1-3: places, domains,
        contacts, each through `run_lead_tool`), keeps the businesses the monitor has not seen
        (not in its list, not found by its run's own search), saves them to the list and records
        "N new leads"; the next run moves one period on from the clock. A failed check records
        the error's words and keeps its next run, so it is tried again at the next tick.
        """
        now = self.clock()
        stamp = iso_timestamp(now)
        try:
            found, leads = await self._search(monitor, now)
        except ToolError as error:
            return await self._failed(monitor, stamp, error.message)
        except Exception as error:  # a bug or a bad answer: recorded, so the page shows it
            logger.exception("monitor %s: the check failed", monitor.monitor_id)
            return await self._failed(monitor, stamp, f"The check failed unexpectedly: {error}")
        period = PERIODS.get(monitor.frequency, PERIODS[DEFAULT_FREQUENCY])
        check = await self.monitors.record_check(
            monitor.monitor_id,
            checked_at=stamp,
            found=found,
            leads=leads,
            next_run_at=iso_timestamp(now + period),
        )
        if check is not None:
            logger.info("monitor %s: %s (%d found)", monitor.monitor_id, check.summary, found)
        return check

    async def _failed(self, monitor: MonitorRecord, stamp: str, error: str) -> MonitorCheck | None:
        logger.warning("monitor %s: the check failed: %s", monitor.monitor_id, error)
        return await self.monitors.record_failure(
            monitor.monitor_id, checked_at=stamp, error=error, next_run_at=monitor.next_run_at
        )

    async def _search(self, monitor: MonitorRecord, now: datetime) -> tuple[int, list[Lead]]:
        """How many businesses the search found, and the unseen ones with their contacts."""
        services = self._services(monitor)
        plan = monitor_plan(monitor, services.settings, now)
        places, *enrich = plan.steps[:SEARCH_STEPS]
        user = SupervisorUserContext(user_id=monitor.user_id)
        # A check id in place of a run id: each check is its own draw of demo failures.
        check_id = f"{monitor.monitor_id}@{iso_timestamp(now)}"

        async def call(step: LeadGenPlanStep, prior: dict[str, LeadGenStepResult]) -> Any:
            env = ToolEnv(dict(prior), user, plan, step, check_id, services=services)
            timeout = step_timeout(env)
            try:
                async with asyncio.timeout(timeout):
                    data = await self._run_tool(step.tool, dict(step.params), env)
            except TimeoutError as error:
                raise ToolError(f"{step.label} took longer than {timeout:g} s.") from error
            if not isinstance(data, dict):
                raise ToolError(f"{step.tool} answered with no record.", retryable=False)
            return data

        found = await call(places, {})
        businesses = _leads(found, "businesses")
        fresh = unseen(businesses, await self.monitors.known(monitor))
        if not fresh:
            return len(businesses), []
        data = {**found, "businesses": [lead_json(lead) for lead in fresh]}
        prior = {places.id: _succeeded(places.id, data)}
        for step in enrich:
            data = await call(step, prior)
            prior[step.id] = _succeeded(step.id, data)
        kept, _ = dedupe_leads(sorted(_leads(data, "leads"), key=lead_sort_key))
        return len(businesses), kept

    def _services(self, monitor: MonitorRecord) -> ToolServices:
        services = self._services_for(monitor.run_id, monitor.options)
        if not isinstance(services, ToolServices):
            raise TypeError(f"monitor services must be ToolServices, not {type(services).__name__}")
        return services


def monitor_plan(monitor: MonitorRecord, settings: Settings, now: datetime) -> LeadGenPlan:
    """The plan a run with the monitor's search would follow, sized like the monitor's run."""
    goal = LeadGenGoal(
        raw_goal=monitor.name,
        target_persona=monitor.query,
        target_region=monitor.region,
        target_country=monitor.country,
        volume=monitor.volume or settings.default_volume,
    )
    context = PlanContext(
        user_id=monitor.user_id,
        default_region=settings.default_region,
        default_country=settings.default_country,
    )
    return plan_lead_generation(goal, context, plan_id=f"monitor_{monitor.monitor_id}", now=now)


def unseen(businesses: list[Lead], known: KnownLeads) -> list[Lead]:
    """The businesses the monitor has not seen, by source id or by their website's domain."""
    return [
        lead
        for lead in businesses
        if not known.knows(
            lead if lead.domain else lead.model_copy(update={"domain": domain_of(lead.website)})
        )
    ]


def _leads(data: dict[str, Any], key: str) -> list[Lead]:
    rows = data.get(key)
    if not isinstance(rows, list):
        raise ToolError(f"The search answered with no {key}.", retryable=False)
    try:
        return leads_from_data(rows)
    except ValueError as error:
        raise ToolError(f"The search answered with unreadable {key}: {error}") from error


def _succeeded(step_id: str, data: dict[str, Any]) -> LeadGenStepResult:
    return LeadGenStepResult(step_id=step_id, status="succeeded", data=data)
