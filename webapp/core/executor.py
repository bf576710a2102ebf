"""The DAG executor: runs a plan's steps in dependency order, with retries, events and cancel."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from webapp.core.errors import ToolError
from webapp.core.events import EventEmitter, OnEvent, OnRecord
from webapp.core.models import (
    LEAD_LIST_SAVE,
    EventType,
    LeadGenExecutionResult,
    LeadGenPlan,
    LeadGenPlanStep,
    LeadGenStepResult,
    OverallStatus,
    StepAttempt,
    SupervisorUserContext,
    iso_timestamp,
    utc_now,
)
from webapp.core.retry import RetryPolicy
from webapp.core.status import overall_status, status_counts_summary
from webapp.core.tooling import ToolEnv, ToolFn, ToolMap
from webapp.core.validation import validate_plan

logger = logging.getLogger(__name__)

DEFAULT_MAX_CONCURRENCY = 4
# the summary of a step a retry did not run again but took from the run it retried
REUSED_SUMMARY = "Reused the output of an earlier run"
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], datetime]
# How long one attempt of a step may run, given what its tool will be handed (the tool layer
# derives it from the calls the step will make); without one, the retry policy's timeout.
StepTimeout = Callable[[ToolEnv], float | None]


async def execute_lead_generation_plan(
    plan: LeadGenPlan,
    user: SupervisorUserContext,
    *,
    tools: ToolMap,
    retry_policy: RetryPolicy | None = None,
    on_event: OnEvent | None = None,
    cancel: asyncio.Event | None = None,
    run_id: str | None = None,
    services: Any = None,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    reuse: Mapping[str, LeadGenStepResult] | None = None,
    first_seq: int = 1,
    start_event: EventType = "PLAN_STARTED",
    announce_reused: bool = True,
    on_record: OnRecord | None = None,
    sleep: Sleep | None = None,
    clock: Clock | None = None,
    step_timeout: StepTimeout | None = None,
) -> LeadGenExecutionResult:
    """Run `plan` for `user` and return every step's result and the overall status.

    Each step is an asyncio task that waits for its dependencies to finish, then runs its tool
    under a concurrency bound, retrying by the policy. A step whose dependency did not succeed is
    skipped and records which one blocked it. Setting `cancel` (or cancelling the calling task)
    stops running tool calls and backoff waits at once; unfinished steps become `cancelled`.

    `reuse` holds succeeded results (from an earlier run) whose steps are not run again
    (`announce_reused` emits STEP_SUCCEEDED for each); `first_seq` and `start_event` let a
    resumed run continue its own event log. `on_record` hears every event with its step's
    state, for persistence. `sleep` and `clock` are injectable so tests never wait for real.
    `step_timeout` gives each attempt its time limit (else the policy's `timeout_s`).
    """
    order = validate_plan(plan, tools.keys())
    if max_concurrency < 1:
        raise ValueError("max_concurrency must be at least 1")
    execution = _Execution(
        plan=plan,
        user=user,
        tools=tools,
        policy=retry_policy or RetryPolicy(),
        emitter=EventEmitter(
            plan_id=plan.id,
            run_id=run_id or f"run_{uuid.uuid4().hex[:12]}",
            user_id=user.user_id,
            on_event=on_event,
            clock=clock or utc_now,
            first_seq=first_seq,
            on_record=on_record,
        ),
        services=services,
        max_concurrency=max_concurrency,
        sleep=sleep or asyncio.sleep,
        announce_reused=announce_reused,
        step_timeout=step_timeout,
    )
    return await execution.run(order, cancel, reuse or {}, start_event)


class _Execution:
    def __init__(
        self,
        *,
        plan: LeadGenPlan,
        user: SupervisorUserContext,
        tools: ToolMap,
        policy: RetryPolicy,
        emitter: EventEmitter,
        services: Any,
        max_concurrency: int,
        sleep: Sleep,
        announce_reused: bool = True,
        step_timeout: StepTimeout | None = None,
    ) -> None:
        self.plan = plan
        self.user = user
        self.tools = tools
        self.policy = policy
        self.emitter = emitter
        self.services = services
        self.sleep = sleep
        self.clock = emitter.clock
        self.slots = asyncio.Semaphore(max_concurrency)
        self.steps = {step.id: step for step in plan.steps}
        self.results = {
            step.id: LeadGenStepResult(step_id=step.id, status="pending") for step in plan.steps
        }
        self.finished: dict[str, asyncio.Future[None]] = {}
        self.announce_reused = announce_reused
        self.step_timeout = step_timeout
        emitter.results = self.results

    async def run(
        self,
        order: list[str],
        cancel: asyncio.Event | None,
        reuse: Mapping[str, Any],
        start_event: EventType,
    ) -> LeadGenExecutionResult:
        started_at = self._now()
        await self.emitter.emit(start_event, status="running", summary=self._plan_summary())
        loop = asyncio.get_running_loop()
        self.finished = {step_id: loop.create_future() for step_id in order}
        tasks = [
            asyncio.create_task(self._run_step(self.steps[step_id], reuse.get(step_id)))
            for step_id in order
        ]
        cancelled = await self._wait_for(tasks, cancel)
        # A run is for its lead list: one that did not save it failed, whatever came before.
        delivered = all(
            self.results[step.id].status == "succeeded"
            for step in self.plan.steps
            if step.tool == LEAD_LIST_SAVE
        )
        status: OverallStatus = (
            "cancelled"
            if cancelled
            else overall_status((r.status for r in self.results.values()), delivered=delivered)
        )
        await self.emitter.emit(
            "PLAN_COMPLETED", status=status, summary=status_counts_summary(self.results.values())
        )
        return LeadGenExecutionResult(
            plan_id=self.plan.id,
            run_id=self.emitter.run_id,
            overall_status=status,
            started_at=started_at,
            finished_at=self._now(),
            step_results=[self.results[step.id] for step in self.plan.steps],
        )

    async def _wait_for(
        self, tasks: list[asyncio.Task[None]], cancel: asyncio.Event | None
    ) -> bool:
        """Wait for every step; True if the run was cancelled first."""
        everything = asyncio.gather(*tasks)
        cancel_wait = asyncio.ensure_future(cancel.wait()) if cancel is not None else None
        try:
            if cancel_wait is None:
                await everything
                return False
            waiting: set[asyncio.Future[Any]] = {everything, cancel_wait}
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if everything.done():
                everything.result()
                return False
            everything.cancel()
            await self._cancel_steps(tasks)
            await asyncio.gather(everything, return_exceptions=True)  # collected: no log noise
            return True
        except asyncio.CancelledError:
            # The task running the plan was cancelled: record it, then let the cancel go on.
            await self._cancel_steps(tasks)
            # gather ends with a step's CancelledError: take it, or it is logged as never seen
            everything.add_done_callback(_retrieve)
            raise
        finally:
            if cancel_wait is not None:
                cancel_wait.cancel()

    async def _cancel_steps(self, tasks: list[asyncio.Task[None]]) -> None:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for step in self.plan.steps:
            result = self.results[step.id]
            if result.status not in ("pending", "running", "retrying"):
                continue
            now = self._now()
            if result.attempt_log and result.attempt_log[-1].finished_at is None:
                result.attempt_log[-1].finished_at = now
                result.attempt_log[-1].status = "cancelled"
            result.status = "cancelled"
            result.finished_at = now
            await self.emitter.emit(
                "STEP_CANCELLED",
                step=step,
                status="cancelled",
                attempt=result.attempts or None,
                summary="Cancelled by the user",
            )

    async def _run_step(self, step: LeadGenPlanStep, reused: LeadGenStepResult | None) -> None:
        try:
            for dep in step.depends_on:
                await self.finished[dep]
            blocker = next(
                (dep for dep in step.depends_on if self.results[dep].status != "succeeded"), None
            )
            if reused is not None and reused.status == "succeeded" and blocker is None:
                await self._reuse(step, reused)
            elif blocker is not None:
                await self._skip(step, blocker)
            else:
                async with self.slots:
                    await self._attempt_until_done(step)
        finally:
            future = self.finished[step.id]
            if not future.done():
                future.set_result(None)

    async def _reuse(self, step: LeadGenPlanStep, reused: LeadGenStepResult) -> None:
        self.results[step.id] = reused.model_copy(deep=True)
        if not self.announce_reused:
            return
        await self.emitter.emit(
            "STEP_SUCCEEDED",
            step=step,
            status="succeeded",
            attempt=reused.attempts,
            summary=REUSED_SUMMARY,
        )

    async def _skip(self, step: LeadGenPlanStep, blocker: str) -> None:
        result = self.results[step.id]
        result.status = "skipped"
        result.blocked_by = blocker
        result.finished_at = self._now()
        blocker_status = self.results[blocker].status
        await self.emitter.emit(
            "STEP_SKIPPED",
            step=step,
            status="skipped",
            blocked_by=blocker,
            summary=f"Skipped because “{self.steps[blocker].label or blocker}” {blocker_status}",
        )

    async def _attempt_until_done(self, step: LeadGenPlanStep) -> None:
        policy = self.policy.for_tool(step.tool)
        result = self.results[step.id]
        tool = self.tools[step.tool]
        while True:
            attempt = result.attempts + 1
            now = self._now()
            result.attempts = attempt
            result.status = "running"
            result.started_at = result.started_at or now
            record = StepAttempt(attempt=attempt, started_at=now)
            result.attempt_log.append(record)
            await self.emitter.emit(
                "STEP_STARTED", step=step, status="running", attempt=attempt, timestamp=now
            )
            try:
                data = await self._call(tool, step, attempt, policy)
            except ToolError as error:
                record.finished_at = self._now()
                record.status = "failed"
                record.error_message = error.message
                delay = self._retry_delay(policy, attempt, error)
                if delay is None:
                    await self._fail(step, attempt, _final_message(error, attempt, policy))
                    return
                record.retry_delay_ms = round(delay * 1000)
                result.status = "retrying"
                result.error_message = error.message
                await self.emitter.emit(
                    "STEP_RETRYING",
                    step=step,
                    status="retrying",
                    attempt=attempt,
                    error_message=error.message,
                    delay_ms=record.retry_delay_ms,
                    summary=f"Attempt {attempt} failed; retrying in {_seconds(delay)}",
                )
                await self.sleep(delay)
                continue
            now = self._now()
            record.finished_at = result.finished_at = now
            record.status = "succeeded"
            result.status = "succeeded"
            result.error_message = None
            result.data = data
            summary = data.get("summary") if isinstance(data, dict) else None
            await self.emitter.emit(
                "STEP_SUCCEEDED",
                step=step,
                status="succeeded",
                attempt=attempt,
                timestamp=now,
                summary=summary if isinstance(summary, str) else None,
            )
            return

    async def _call(
        self, tool: ToolFn, step: LeadGenPlanStep, attempt: int, policy: RetryPolicy
    ) -> Any:
        env = ToolEnv(
            prior_results=self.results,
            user=self.user,
            plan=self.plan,
            step=step,
            run_id=self.emitter.run_id,
            attempt=attempt,
            services=self.services,
        )
        limit = (self.step_timeout(env) if self.step_timeout else None) or policy.timeout_s
        try:
            async with asyncio.timeout(limit):
                return await tool(dict(step.params), env)
        except ToolError:
            raise
        except TimeoutError as error:
            raise ToolError(
                f"{step.tool} did not answer within {_seconds(limit or 0)}", retryable=True
            ) from error
        except asyncio.CancelledError:
            raise
        except Exception as error:
            logger.exception("Tool %s crashed in step %s", step.tool, step.id)
            raise ToolError(
                f"{step.tool} failed unexpectedly ({type(error).__name__}: {error}). "
                "This is a fault in leadgen, not in your goal; the server log has the details.",
                retryable=False,
            ) from error

    def _retry_delay(self, policy: RetryPolicy, attempt: int, error: ToolError) -> float | None:
        """Seconds to wait before trying again, or None when the step has failed for good."""
        if not error.retryable or attempt >= policy.max_attempts:
            return None
        if error.retry_after is not None and error.retry_after > policy.max_retry_after_s:
            error.message += f" (the provider asked to wait {_seconds(error.retry_after)})"
            return None
        return policy.delay_for(attempt, retry_after=error.retry_after)

    async def _fail(self, step: LeadGenPlanStep, attempt: int, message: str) -> None:
        result = self.results[step.id]
        result.status = "failed"
        result.error_message = message
        result.finished_at = self._now()
        await self.emitter.emit(
            "STEP_FAILED",
            step=step,
            status="failed",
            attempt=attempt,
            error_message=message,
            summary=f"Failed after {attempt} attempt{'s' if attempt != 1 else ''}",
        )

    def _plan_summary(self) -> str:
        count = len(self.plan.steps)
        return f"{count} step{'s' if count != 1 else ''}: {self.plan.goal.raw_goal}"

    def _now(self) -> str:
        return iso_timestamp(self.clock())


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def _final_message(error: ToolError, attempt: int, policy: RetryPolicy) -> str:
    """What a step that failed for good tells the user. An error worth retrying that lasted
    through every attempt loses its promise to try again (there will be no other try) and says
    what to do instead."""
    if not error.retryable or attempt < policy.max_attempts:
        return error.message  # permanent, or the provider asked to wait too long: as it says
    said = _PROMISE_TO_RETRY.sub("", error.message).rstrip(" .;,")
    tries = f"{attempt} attempt{'s' if attempt != 1 else ''}"
    return f"{said}. Gave up after {tries}; this may pass, so retry the run later."


_PROMISE_TO_RETRY = re.compile(r"[;,]?\s*trying again(?: later)?\.?\s*$", re.IGNORECASE)


def _seconds(value: float) -> str:
    if value < 1:
        return f"{round(value * 1000)} ms"
    return f"{value:.1f} s".replace(".0 s", " s")
