"""Fan-out of committed events to the live subscribers of each run, each with a bounded queue."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from typing import NoReturn

from webapp.core.models import LeadPlanEvent

DEFAULT_QUEUE_SIZE = 1000


class SubscriberDropped(Exception):
    """The subscriber fell too far behind and was dropped; replay from the store to catch up."""


class SubscriptionClosed(Exception):
    """Nothing more will come to this subscription: the process stops following the run."""


class Subscription:
    def __init__(self, run_id: str, size: int) -> None:
        self.run_id = run_id
        self.queue: asyncio.Queue[LeadPlanEvent | None] = asyncio.Queue(maxsize=size)
        self.dropped = False
        self.closed = False

    def offer(self, event: LeadPlanEvent) -> bool:
        """Queue an event; False (and dropped) when the subscriber is too far behind."""
        if self.dropped:
            return False
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped = True
            self._wake_reader()
            return False
        return True

    def close(self) -> None:
        if not self.dropped and not self.closed:
            self.closed = True
            self._wake_reader()

    def _wake_reader(self) -> None:
        """Empty the queue and leave the mark that tells its reader, at once, why it ends."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)

    async def get(self) -> LeadPlanEvent:
        event = await self.queue.get()
        if event is None:
            self._ended()
        return event

    def _ended(self) -> NoReturn:
        if self.closed:
            raise SubscriptionClosed(f"run {self.run_id} is no longer followed here")
        raise SubscriberDropped(f"the viewer of run {self.run_id} fell behind and was dropped")

    async def get_batch(self) -> list[LeadPlanEvent]:
        """Wait for one event, then take every event already queued behind it."""
        batch = [await self.get()]
        while not self.queue.empty():
            event = self.queue.get_nowait()
            if event is None:
                self._ended()
            batch.append(event)
        return batch


class EventHub:
    """Every subscriber has a bounded queue. Publishing never waits: a subscriber whose queue is
    full is dropped (its next read raises SubscriberDropped) so a slow reader never slows a run;
    it can reconnect and replay from the store. Closing a run's subscriptions (the process is
    stopping) ends them: their next read raises SubscriptionClosed."""

    def __init__(self, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self.queue_size = queue_size
        self._subscribers: dict[str, set[Subscription]] = defaultdict(set)
        self.dropped = 0

    def subscribe(self, run_id: str) -> Subscription:
        subscription = Subscription(run_id, self.queue_size)
        self._subscribers[run_id].add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        subscribers = self._subscribers.get(subscription.run_id)
        if subscribers is None:
            return
        subscribers.discard(subscription)
        if not subscribers:
            del self._subscribers[subscription.run_id]

    def publish(self, events: Iterable[LeadPlanEvent]) -> None:
        for event in events:
            subscribers = self._subscribers.get(event.run_id or "")
            if not subscribers:
                continue
            for subscription in list(subscribers):
                if not subscription.offer(event):
                    self.dropped += 1
                    subscribers.discard(subscription)

    def close(self, run_id: str) -> None:
        """End every subscription to the run (SubscriptionClosed at its reader's next read)."""
        for subscription in self._subscribers.pop(run_id, ()):
            subscription.close()

    def runs(self) -> list[str]:
        """The runs that have subscribers."""
        return list(self._subscribers)

    def subscriber_count(self, run_id: str | None = None) -> int:
        if run_id is not None:
            return len(self._subscribers.get(run_id, ()))
        return sum(len(subs) for subs in self._subscribers.values())
