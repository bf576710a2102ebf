"""The stream of a run's events: replayed from the store after a cursor, then live from the
hub, with no gap and no repeat, ending after the run's final event."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

from webapp.core.models import LeadPlanEvent
from webapp.runtime.hub import EventHub, SubscriptionClosed
from webapp.runtime.runs import ACTIVE, RunNotFound
from webapp.runtime.tail import StoreTail
from webapp.store import Store

REPLAY_CHUNK = 500


class RunStreams:
    """The RunManager's subscriptions; `owner` and `is_local` are the manager's."""

    def __init__(
        self,
        store: Store,
        hub: EventHub,
        tail: StoreTail,
        *,
        owner: Callable[[str], Awaitable[str | None]],
        is_local: Callable[[str], bool],
    ) -> None:
        self.store = store
        self.hub = hub
        self.tail = tail
        self._owner = owner
        self._is_local = is_local

    async def events(self, run_id: str, after_seq: int = 0) -> AsyncIterator[LeadPlanEvent]:
        async for batch in self.batches(run_id, after_seq):
            for event in batch:
                yield event

    async def batches(self, run_id: str, after_seq: int = 0) -> AsyncIterator[list[LeadPlanEvent]]:
        if await self._owner(run_id) is None:
            raise RunNotFound(run_id)
        subscription = self.hub.subscribe(run_id)  # before the replay: nothing slips between
        last = after_seq
        try:
            while True:
                chunk = await self.store.runs.events(run_id, after=last, limit=REPLAY_CHUNK)
                batch, finished = await self._until_final(run_id, chunk)
                if batch:
                    yield batch
                    last = batch[-1].seq
                if finished:
                    return
                if len(chunk) < REPLAY_CHUNK:
                    break
            local = self._is_local(run_id)
            if not local:  # another process's run (or one over): its events come by the tail
                progress = await self.store.runs.progress(run_id)
                if progress is None or (progress[0] not in ACTIVE and progress[1] <= last):
                    return  # over, and nothing after the cursor
                if not self.tail.follow(run_id, last):
                    return  # this process has stopped following other processes' runs
            while True:
                try:
                    fresh = [e for e in await subscription.get_batch() if e.seq > last]
                except SubscriptionClosed:
                    return  # this process has stopped following other processes' runs
                if fresh and fresh[0].seq > last + 1:  # the store fills any hole
                    missed = await self.store.runs.events(run_id, after=last)
                    fresh = [e for e in missed if e.seq < fresh[0].seq] + fresh
                batch, finished = await self._until_final(run_id, fresh, live=local)
                if batch:
                    yield batch
                    last = batch[-1].seq
                if finished:
                    return
        finally:
            self.hub.unsubscribe(subscription)

    async def _until_final(
        self, run_id: str, events: list[LeadPlanEvent], *, live: bool = False
    ) -> tuple[list[LeadPlanEvent], bool]:
        """The events up to and including the run's final one, and whether it was reached."""
        for index, event in enumerate(events):
            more = index + 1 < len(events)
            if live and event.type == "RUN_INTERRUPTED" and not more:
                return events[: index + 1], True
            if await self._ends_stream(run_id, event, more=more):
                return events[: index + 1], True
        return events, False

    async def _ends_stream(self, run_id: str, event: LeadPlanEvent, *, more: bool) -> bool:
        """A run's stream ends after its final event. An interruption is final only if nothing
        came after it: a resumed run's log goes on past its RUN_INTERRUPTED."""
        if event.type == "PLAN_COMPLETED":
            return True
        if event.type != "RUN_INTERRUPTED" or more:
            return False
        progress = await self.store.runs.progress(run_id)
        return progress is None or (progress[0] == "interrupted" and progress[1] <= event.seq)
