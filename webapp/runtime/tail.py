"""What other processes on the same database do, brought to this one: the events of their runs
that this process's viewers follow, and the cancels other processes were asked for the runs
this one executes (ARCHITECTURE.md, "Other processes' runs")."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection

from webapp.core.tasks import cancel_and_wait
from webapp.runtime.hub import EventHub
from webapp.store import Store

logger = logging.getLogger(__name__)


class StoreTail:
    """Every `interval_s`, while anyone here follows a run another process executes, one read of
    the store takes the new events of all such runs, each after the last one this process
    handed out, and publishes them to the hub. A follower replays from the store first and skips
    what it has seen, so it does not matter where a run's cursor starts
    (webapp/runtime/subscriptions.py `RunStreams.batches` fills any hole from the store).
    Cancels are read every `cancel_every_s` while this process executes runs: a cancel asked
    through another process stops the run within that time, not at the next heartbeat."""

    def __init__(
        self,
        store: Store,
        hub: EventHub,
        *,
        interval_s: float,
        cancel_every_s: float,
        executing: Callable[[], Collection[str]],
        cancel: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.hub = hub
        self.interval_s = interval_s
        self.cancel_every_s = cancel_every_s
        self.executing = executing  # the runs this process executes
        self.cancel = cancel
        self.clock = clock
        self._cursors: dict[str, int] = {}  # followed run -> last seq handed out here
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._cancels_read_at = float("-inf")
        self._failing = False

    def start(self) -> None:
        if self._task is None and not self._closed:
            self._task = asyncio.create_task(self._run(), name="leadgen-store-tail")

    def follow(self, run_id: str, after: int) -> bool:
        """Hand out the run's events after `after` (or after what was handed out already) to
        its subscribers here; False once this process has stopped following runs."""
        if self._closed:
            return False
        self._cursors.setdefault(run_id, after)
        self.start()
        return True

    async def close(self) -> None:
        """Stop, and end the subscriptions to the runs followed (SubscriptionClosed)."""
        self._closed = True
        await cancel_and_wait(self._task)
        executing = self.executing()
        for run_id in self.hub.runs():  # the followers still replaying too
            if run_id not in executing:
                self.hub.close(run_id)
        self._cursors.clear()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                if not self._failing:  # once a streak, not every few milliseconds
                    logger.exception("could not read other processes' events; trying again")
                self._failing = True
            else:
                self._failing = False

    async def tick(self) -> None:
        await self._hand_out_events()
        now = self.clock()
        if now - self._cancels_read_at >= self.cancel_every_s:
            self._cancels_read_at = now
            running = self.executing()
            for run_id in await self.store.runs.cancel_requested(running) if running else ():
                self.cancel(run_id)

    async def _hand_out_events(self) -> None:
        executing = self.executing()
        for run_id in list(self._cursors):
            # Nobody here follows it any more, or this process executes it now (a resume):
            # its events come to the hub as they are committed.
            if not self.hub.subscriber_count(run_id) or run_id in executing:
                del self._cursors[run_id]
        if not self._cursors:
            return
        events = await self.store.runs.events_after(dict(self._cursors))
        for event in events:
            run_id = event.run_id or ""
            if run_id in self._cursors and event.seq > self._cursors[run_id]:
                self._cursors[run_id] = event.seq
        self.hub.publish(events)
