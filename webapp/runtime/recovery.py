"""Marking runs interrupted: those this process stops, those the store cannot write, and those
a dead process left behind, found by this process's heartbeat and housekeeping."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from webapp.core.models import iso_timestamp
from webapp.core.tasks import cancel_and_wait
from webapp.runtime.hub import EventHub
from webapp.runtime.runs import ActiveRun
from webapp.store import Store

logger = logging.getLogger(__name__)


class Recovery:
    """The RunManager's process registration and its interruptions. A run whose events the
    store cannot write (disk full, database locked for too long) stops where its stored log
    ends and is marked interrupted, as if its process had died: resuming it goes on without a
    hole. If the database refuses that too, the housekeeping tries again at each beat."""

    def __init__(
        self,
        store: Store,
        hub: EventHub,
        active: Mapping[str, ActiveRun],
        *,
        clock: Callable[[], datetime],
        heartbeat_interval_s: float,
        stale_after_s: float,
    ) -> None:
        self.store = store
        self.hub = hub
        self.clock = clock
        self.heartbeat_interval_s = heartbeat_interval_s
        self.stale_after_s = stale_after_s
        self.process_id = ""
        self.to_interrupt: dict[str, str] = {}  # stopped runs the store has not marked yet
        self._active = active  # the manager's runs
        self._housekeeping: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Register this process, mark the orphans interrupted, then beat."""
        self.process_id = await self.store.processes.register()
        await self.recover_orphans()
        self._housekeeping = asyncio.create_task(self._keep_house(), name="leadgen-housekeeping")

    async def stop_housekeeping(self) -> None:
        await cancel_and_wait(self._housekeeping)

    async def interrupt_stopped(self, reasons: Mapping[str, str]) -> None:
        """While stopping: mark interrupted the runs stopped here (and those the store refused
        before), then unregister this process; what cannot be written is left to the next start."""
        for run_id, why in (dict(reasons) | self.to_interrupt).items():
            try:
                await self.interrupt(run_id, self.process_id, why)
            except Exception:
                # Stopping goes on: the next start finds the run orphaned and marks it then.
                logger.exception("could not mark run %s interrupted while stopping", run_id)
        if self.process_id:
            try:
                await self.store.processes.unregister(self.process_id)
            except Exception:  # (the writer stopped, the file unwritable): the next start finds
                # this process gone by its heartbeat
                logger.warning(
                    "could not unregister process %s: nothing can be written", self.process_id
                )

    def writer_stopped(self, error: BaseException) -> None:
        """The store's writer stopped for good: every run here stops, as when its events are
        lost, and is marked interrupted by the writer's last words (Writer.run_after_stop),
        which its watchers are told as any interruption."""
        reason = (
            f"The database writer stopped ({type(error).__name__}), so this run could not be "
            "saved any further. Restart the server, then resume it."
        )
        for active in self._active.values():
            active.recording = False
            active.lost = active.lost or reason
            active.cancel.set()

    def events_lost(self, lost: Mapping[str, Exception]) -> None:
        """The store could not write these runs' events (and refuses their next ones): each
        stops where its stored log ends, and is then marked interrupted."""
        for run_id, error in lost.items():
            active = self._active.get(run_id)
            if active is None or active.lost is not None:
                continue
            active.recording = False
            active.lost = (
                f"The database could not save this run's progress ({error}), so it stopped "
                "here. Resume it once the database can be written to again."
            )
            active.cancel.set()

    async def interrupt_or_later(self, run_id: str, reason: str) -> None:
        """Mark interrupted a run this process stopped; while the store refuses (which may be
        why the run stopped), the housekeeping tries again at each beat."""
        try:
            await self.interrupt(run_id, self.process_id, reason)
        except Exception:
            logger.exception("could not mark run %s interrupted; trying again later", run_id)
            self.to_interrupt[run_id] = reason

    async def interrupt(self, run_id: str, owner_id: str | None, reason: str) -> None:
        event = await self.store.runs.interrupt(
            run_id, owner_id=owner_id, timestamp=iso_timestamp(self.clock()), reason=reason
        )
        if event is not None:
            self.hub.publish([event])
            logger.warning("run %s marked interrupted: %s", run_id, reason)

    async def recover_orphans(self) -> list[str]:
        """Mark interrupted the active runs whose owning process is gone."""
        recovered = []
        for run in await self.store.processes.orphaned_runs(stale_after_s=self.stale_after_s):
            if run.owner_id == self.process_id or run.run_id in self._active:
                continue
            await self.interrupt(
                run.run_id,
                run.owner_id,
                "The process running this run stopped (crashed or was killed); resume it to go on.",
            )
            recovered.append(run.run_id)
        return recovered

    async def _keep_house(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_interval_s)
            try:
                await self.store.processes.heartbeat(self.process_id)
                for run_id, reason in list(self.to_interrupt.items()):
                    await self.interrupt(run_id, self.process_id, reason)
                    del self.to_interrupt[run_id]
                await self.recover_orphans()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("housekeeping failed; trying again at the next beat")
