"""The RunManager owns every run this process executes, as an asyncio task: it persists each
run, runs at most `max_runs` at once (the rest wait in order), and cancels, resumes and retries
them; their streams are in subscriptions.py, their interruptions in recovery.py."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from webapp.core.executor import StepTimeout, execute_lead_generation_plan
from webapp.core.models import (
    LeadGenPlan,
    LeadGenStepResult,
    LeadPlanEvent,
    SupervisorUserContext,
    iso_timestamp,
    utc_now,
)
from webapp.core.retry import RetryPolicy
from webapp.core.tasks import cancel_and_wait
from webapp.core.tooling import ToolMap
from webapp.core.validation import validate_plan
from webapp.runtime.hub import EventHub
from webapp.runtime.recovery import Recovery
from webapp.runtime.retry_plan import steps_to_rerun
from webapp.runtime.runs import ACTIVE, ActiveRun, RunNotFound, RunStateError
from webapp.runtime.subscriptions import REPLAY_CHUNK, RunStreams
from webapp.runtime.tail import StoreTail
from webapp.store import Store
from webapp.store.records import RunRecord
from webapp.store.writer import EventWrite, WriterStopped
from webapp.tools import default_tool_map

__all__ = [  # (REPLAY_CHUNK: the feeds replay a run in the streams' chunks)
    "REPLAY_CHUNK",
    "CancelOutcome",
    "RunManager",
    "RunManagerOptions",
    "RunNotFound",
    "RunStateError",
    "new_run_id",
]

logger = logging.getLogger(__name__)

STEP_ENDINGS = frozenset({"STEP_SUCCEEDED", "STEP_FAILED", "STEP_CANCELLED"})


@dataclass
class RunManagerOptions:
    max_runs: int = 4
    max_step_concurrency: int = 4
    heartbeat_interval_s: float = 2.0
    stale_after_s: float = 30.0
    tail_interval_s: float = 0.02  # how often other processes' new events are read
    cancel_check_s: float = 0.1  # ... and the cancels asked through them
    retry_policy: RetryPolicy = field(default_factory=RetryPolicy)
    step_timeout: StepTimeout | None = None  # each attempt's limit; else the policy's


@dataclass(frozen=True)
class CancelOutcome:
    run_id: str
    status: str  # "cancelling", "requested" (another process owns it) or the finished status
    message: str


class RunManager:
    def __init__(
        self,
        store: Store,
        *,
        services_for: Callable[[str, Mapping[str, Any]], Any],
        tools: ToolMap | None = None,
        options: RunManagerOptions | None = None,
        hub: EventHub | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.services_for = services_for
        self.tools = tools if tools is not None else default_tool_map()  # the executor's
        self.options = options or RunManagerOptions()
        self.hub = hub or EventHub()
        self.clock = clock
        self._active: dict[str, ActiveRun] = {}
        self._slots = asyncio.Semaphore(self.options.max_runs)
        self._queue: list[str] = []  # the runs waiting for a slot, in the order they get one
        self._stopping = False
        self._recovery = Recovery(
            store,
            self.hub,
            self._active,
            clock=clock,
            heartbeat_interval_s=self.options.heartbeat_interval_s,
            stale_after_s=self.options.stale_after_s,
        )
        self.tail = StoreTail(
            store,
            self.hub,
            interval_s=self.options.tail_interval_s,
            cancel_every_s=self.options.cancel_check_s,
            executing=self._active.keys,
            cancel=self._cancel_asked,
        )
        # Resources the runs share that end with the manager (e.g. the providers' HTTP client).
        self.closers: list[Callable[[], Awaitable[None]]] = []
        self._streams = RunStreams(
            store,
            self.hub,
            self.tail,
            owner=self.owner,
            is_local=self.is_local,
        )
        store.writer.on_commit = self._published
        store.writer.on_lost = self._recovery.events_lost
        store.writer.on_stopped = self._recovery.writer_stopped

    @property
    def process_id(self) -> str:
        """This process's id in the store (the owner of the runs it starts), once started."""
        return self._recovery.process_id

    # -- life cycle ------------------------------------------------------------------------

    async def start(self) -> None:
        await self._recovery.start()  # registers this process and marks the orphans interrupted
        self.tail.start()

    async def stop(self, *, reason: str = "The server stopped while this run was going") -> None:
        """Stop every run this process owns, marking it interrupted (it can be resumed)."""
        if self._stopping:
            return
        self._stopping = True
        await self._recovery.stop_housekeeping()
        await self.tail.close()  # the streams following other processes' runs end
        active = list(self._active.values())
        for run in active:
            run.recording = False  # what the cut-off steps emit now is not the truth
        await cancel_and_wait(*(run.task for run in active))
        await self._recovery.interrupt_stopped({run.run_id: run.lost or reason for run in active})
        for close in self.closers:
            await close()

    async def recover_orphans(self) -> list[str]:
        """Mark interrupted the active runs whose owning process is gone."""
        return await self._recovery.recover_orphans()

    # -- starting and controlling runs -------------------------------------------------------

    async def start_run(
        self,
        plan: LeadGenPlan,
        user: SupervisorUserContext,
        *,
        options: dict[str, Any] | None = None,
        run_id: str | None = None,
    ) -> str:
        self._refuse_while_stopping()
        validate_plan(plan, self.tools.keys())
        run_id = run_id or new_run_id()
        created = self.store.runs.create_soon(
            run_id=run_id,
            plan=plan,
            user_id=user.user_id,
            created_at=iso_timestamp(self.clock()),
            options=options,
            owner_id=self.process_id,
        )
        # The run starts at once: its first events follow its creation in the writer's queue.
        self._launch(run_id, plan, user, reuse={}, first_seq=1, options=options or {})
        try:
            await created
        except BaseException:
            active = self._active.pop(run_id, None)
            if active is not None and active.task is not None:
                active.task.cancel()
            raise
        return run_id

    async def cancel(self, run_id: str) -> CancelOutcome:
        active = self._active.get(run_id)
        if active is not None:
            active.cancel.set()
            return CancelOutcome(run_id, "cancelling", "Cancelling the run.")
        run = await self._get(run_id)
        if run.status in ACTIVE:
            await self.store.runs.request_cancel(run_id)
            return CancelOutcome(
                run_id, "requested", "Asked the process running this run to cancel it."
            )
        return CancelOutcome(
            run_id, run.status, f"The run has already finished ({run.status}); nothing to cancel."
        )

    async def resume(self, run_id: str) -> str:
        self._refuse_while_stopping()
        run = await self._get(run_id)
        if run.status != "interrupted":
            raise RunStateError(
                f"Only an interrupted run can be resumed; run {run_id} is {run.status}."
            )
        if not await self.store.runs.claim_interrupted(run_id, self.process_id):
            raise RunStateError(f"Run {run_id} is already being resumed elsewhere.")
        steps = await self.store.runs.steps(run_id)
        reuse = {s.step_id: s.as_result() for s in steps if s.status == "succeeded"}
        self._launch(
            run_id,
            run.plan,
            SupervisorUserContext(user_id=run.user_id),
            reuse=reuse,
            first_seq=run.last_seq + 1,
            resumed=True,
            options=run.options,
        )
        return run_id

    async def retry(self, run_id: str, from_step: str | None = None) -> str:
        """Start a new run, linked to this one, that re-runs the failed and skipped steps (or
        `from_step` and everything after it) and reuses the others' outputs."""
        self._refuse_while_stopping()
        run = await self._get(run_id)
        if run.status in ACTIVE:
            raise RunStateError(f"Run {run_id} is still {run.status}; cancel it or wait first.")
        steps = await self.store.runs.steps(run_id)
        try:
            rerun = steps_to_rerun(run.plan, {s.step_id: s.status for s in steps}, from_step)
        except ValueError as error:
            raise RunStateError(str(error)) from error
        if not rerun:
            raise RunStateError(f"Every step of run {run_id} succeeded; nothing to retry.")
        reuse = {s.step_id: s.as_result() for s in steps if s.step_id not in rerun}
        new_id = new_run_id()
        await self.store.runs.create(
            run_id=new_id,
            plan=run.plan,
            user_id=run.user_id,
            created_at=iso_timestamp(self.clock()),
            options=run.options,
            parent_run_id=run_id,
            retry_from_step=from_step,
            owner_id=self.process_id,
        )
        user = SupervisorUserContext(user_id=run.user_id)
        self._launch(new_id, run.plan, user, reuse, 1, options=run.options)
        return new_id

    async def wait(self, run_id: str) -> None:
        """Wait until a run this process owns has finished (returns at once otherwise)."""
        active = self._active.get(run_id)
        if active is not None and active.task is not None:
            await asyncio.shield(active.task)

    def local_owner(self, run_id: str) -> str | None:
        """The user of a run this process executes (known without a store read), else None."""
        active = self._active.get(run_id)
        return active.user_id if active is not None else None

    async def owner(self, run_id: str) -> str | None:
        """The run's user, None if there is no such run: from memory for a run this process
        executes, else a store read (of the user alone, not the plan)."""
        return self.local_owner(run_id) or await self.store.runs.owner(run_id)

    def is_local(self, run_id: str) -> bool:
        return run_id in self._active

    def _refuse_while_stopping(self) -> None:
        if self._stopping:
            raise RunStateError("The server is stopping; try again once it is back.")
        if self.store.writer.stopped is not None:
            raise WriterStopped(self.store.writer.stopped)  # (no run could be saved)

    # -- subscriptions ----------------------------------------------------------------------

    def subscribe(self, run_id: str, after_seq: int = 0) -> AsyncIterator[LeadPlanEvent]:
        """The run's events after `after_seq`: replayed from the store, then live, with no gap
        and no repeat, ending after the run's final event. Raises RunNotFound (when iterated)
        and SubscriberDropped if the reader falls too far behind."""
        return self._streams.events(run_id, after_seq)

    def subscribe_batches(
        self, run_id: str, after_seq: int = 0
    ) -> AsyncIterator[list[LeadPlanEvent]]:
        """As `subscribe`, in batches: a reader that wakes takes everything already waiting,
        so a busy stream is written in fewer, larger pieces."""
        return self._streams.batches(run_id, after_seq)

    # -- internals ---------------------------------------------------------------------------

    def _launch(
        self,
        run_id: str,
        plan: LeadGenPlan,
        user: SupervisorUserContext,
        reuse: Mapping[str, LeadGenStepResult],
        first_seq: int,
        *,
        resumed: bool = False,
        options: Mapping[str, Any],
    ) -> None:
        active = ActiveRun(
            run_id=run_id,
            user_id=user.user_id,
            cancel=asyncio.Event(),
        )
        self._active[run_id] = active
        services = self.services_for(run_id, options)
        active.task = asyncio.create_task(
            self._execute(active, plan, user, reuse, first_seq, resumed, services),
            name=f"run-{run_id}",
        )

    async def _execute(
        self,
        active: ActiveRun,
        plan: LeadGenPlan,
        user: SupervisorUserContext,
        reuse: Mapping[str, LeadGenStepResult],
        first_seq: int,
        resumed: bool,
        services: Any,
    ) -> None:
        usage = getattr(services, "usage", None)

        async def record(event: LeadPlanEvent, step: LeadGenStepResult | None) -> None:
            if not active.recording:
                return
            await self.store.runs.record(event, step)
            if event.type in STEP_ENDINGS and event.step_id and usage is not None:
                spent = usage.steps.get(event.step_id)
                if spent:
                    self.store.usage.record_soon(
                        active.run_id, event.step_id, {p: u.as_json() for p, u in spent.items()}
                    )

        try:
            try:
                async with self._slot_or_cancel(active.run_id, active.cancel):
                    await execute_lead_generation_plan(
                        plan,
                        user,
                        tools=self.tools,
                        retry_policy=self.options.retry_policy,
                        cancel=active.cancel,
                        run_id=active.run_id,
                        services=services,
                        max_concurrency=self.options.max_step_concurrency,
                        reuse=reuse,
                        first_seq=first_seq,
                        start_event="RUN_RESUMED" if resumed else "PLAN_STARTED",
                        announce_reused=not resumed,
                        on_record=record,
                        clock=self.clock,
                        step_timeout=self.options.step_timeout,
                    )
                await self.store.writer.flush()  # whoever waits for the run sees it all stored
            except asyncio.CancelledError:
                raise
            except Exception:
                if active.lost is None:  # (a failed write is told to events_lost first)
                    logger.exception("run %s stopped on an internal error", active.run_id)
                    active.lost = (
                        "The run stopped on an internal error; the server log has the details. "
                        "You can resume it."
                    )
            if active.lost is not None:
                await self._recovery.interrupt_or_later(active.run_id, active.lost)
        finally:
            if not self._stopping:
                self._active.pop(active.run_id, None)

    def runs_ahead(self, run_id: str) -> int | None:
        """How many runs wait for a slot before this one, if it waits for one in this process
        (None: it does not, or another process executes it)."""
        return self._queue.index(run_id) if run_id in self._queue else None

    @contextlib.asynccontextmanager
    async def _slot_or_cancel(self, run_id: str, cancel: asyncio.Event) -> AsyncIterator[None]:
        """Wait in order for a run slot; a run cancelled while it waits goes ahead at once
        (it finishes straight away as cancelled) without taking one."""
        if not self._slots.locked() and not cancel.is_set():  # the common case: a slot is free
            await self._slots.acquire()
            try:
                yield
            finally:
                self._slots.release()
            return
        acquire = asyncio.ensure_future(self._slots.acquire())
        cancelled = asyncio.ensure_future(cancel.wait())
        self._queue.append(run_id)
        try:
            await asyncio.wait({acquire, cancelled}, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            # Cancelled while waiting: a slot given in this same turn goes back (else it would
            # be lost for the life of the process); one still coming is cancelled (a semaphore
            # gives back a permit it woke a cancelled waiter with).
            if acquire.done() and not acquire.cancelled() and acquire.exception() is None:
                self._slots.release()
            raise
        finally:
            self._queue.remove(run_id)
            cancelled.cancel()
            if not acquire.done():
                acquire.cancel()
        holding = acquire.done() and not acquire.cancelled()
        try:
            yield
        finally:
            if holding:
                self._slots.release()

    def _published(self, writes: list[EventWrite]) -> None:
        self.hub.publish(w.payload for w in writes if isinstance(w.payload, LeadPlanEvent))

    def _cancel_asked(self, run_id: str) -> None:
        """Another process was asked to cancel a run this one executes (the tail read it)."""
        active = self._active.get(run_id)
        if active is not None:
            active.cancel.set()

    async def _get(self, run_id: str) -> RunRecord:
        run = await self.store.runs.get(run_id)
        if run is None:
            raise RunNotFound(run_id)
        return run


def new_run_id() -> str:
    """`run_` and 18 hex digits: the millisecond it was made, then 28 random bits. Runs made
    one after another sort in that order, so the store adds each new run's rows (its plan,
    steps and events are keyed by run id) at the end of their tables, on pages it has just
    written, rather than on pages all over the file."""
    return f"run_{time.time_ns() // 1_000_000:011x}{secrets.randbits(28):07x}"
