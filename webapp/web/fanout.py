"""One live feed per run for all of this process's viewers of it: a single subscription to the
run's events, each batch rendered once into SSE bytes and handed to every viewer's buffer
(ARCHITECTURE.md, "The live path")."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Generator
from types import CoroutineType
from typing import Any

from starlette.types import Send

from webapp.core.models import LeadPlanEvent
from webapp.core.tasks import cancel_and_wait
from webapp.runtime import RunManager, SubscriberDropped
from webapp.runtime.manager import REPLAY_CHUNK
from webapp.web.fragments import Kind, LiveFragments, Update, fold, sse_bytes
from webapp.web.stream_access import Credential, StreamAccess

logger = logging.getLogger(__name__)

DONE = sse_bytes("", event="done")
WAKE_SLICE = 50  # viewers served per turn of the event loop
KEEP_WRITES = 64  # folded writes a feed keeps for the next viewers that need the same
KEEP_EVENTS = 2000  # a run's events a feed keeps for the replays (past that, they read the store)


class Chunk:
    """A batch of a run's events as SSE bytes: all of them joined, and each on its own (for a
    viewer that already has the first few); for HTML, each event's update in parts too."""

    __slots__ = ("data", "first", "last", "parts", "updates")

    def __init__(self, parts: list[tuple[int, bytes]], updates: list[Update] | None = None) -> None:
        self.parts = parts
        self.updates = updates
        self.first, self.last = parts[0][0], parts[-1][0]
        self.data = parts[0][1] if len(parts) == 1 else b"".join(m for _, m in parts)

    def after(self, seq: int) -> bytes:
        if self.first > seq:
            return self.data
        return b"".join(message for s, message in self.parts if s > seq)


class Outlet:
    """A stream's response `send`, once the response has begun (webapp/web/event_streams.py sets
    it): the feed writes a parked viewer's chunks through it."""

    __slots__ = ("send",)

    def __init__(self) -> None:
        self.send: Send | None = None


class Viewer:
    """One stream's chunks from the feed, not yet sent, and the future its reader waits on."""

    __slots__ = (
        "chunks",
        "dropped",
        "feed",
        "finished",
        "kind",
        "last",
        "outlet",
        "pending",
        "sending",
        "waiter",
    )

    def __init__(self, feed: Feed, kind: Kind, outlet: Outlet | None = None) -> None:
        self.feed = feed
        self.kind = kind
        self.outlet = outlet
        self.chunks: list[Chunk] = []
        self.pending = 0  # events in `chunks`
        self.last = 0  # the last event sent (or replayed), once the replay is over
        self.waiter: asyncio.Future[None] | None = None
        self.sending: asyncio.Future[Any] | None = None  # a write of `push` that had to wait
        self.finished = False  # the feed has handed out the run's final event
        self.dropped = False

    def push(self) -> bool:
        """Write the chunks waiting through the outlet now, if the reader is parked in `take`
        (its stream's last write is done) and no write of ours is waiting; False if it must
        take them itself. A write that has to wait (the client's buffer is full) goes on in a
        task of its own, and everything after it waits for it.

        A parked viewer gets its write from the feed itself, through the `send` its response
        was called with (its `Outlet`, the middleware's chain included:
        webapp/web/event_streams.py), with no wake-up of its own task: a thousand task
        switches, generators and sse-starlette loops per event cost more than the writes
        (bench/README.md, `bench.sse`). A viewer that is busy (replaying, or its last write
        waiting for a slow client) is woken to take its chunks itself, after that write: a
        stream's bytes never overtake each other."""
        outlet = self.outlet
        waiter = self.waiter
        if (
            outlet is None
            or outlet.send is None
            or waiter is None
            or waiter.done()
            or self.sending is not None
            or self.dropped
        ):
            return False
        chunks, self.chunks, self.pending = self.chunks, [], 0
        data = self.write_of(chunks)
        if not data:
            return True
        sent = outlet.send({"type": "http.response.body", "body": data, "more_body": True})
        if type(sent) is not CoroutineType:  # any other awaitable: a task of its own
            self._wait_for(asyncio.ensure_future(sent))
            return True
        # An eager start, as Python 3.12's eager tasks do (this is 3.11): the write runs now,
        # in this turn, up to its first wait (mostly to its end: no task at all); a write that
        # has to wait is finished by a task (`_Resumed`). Only the coroutine protocol is used.
        try:
            first = sent.send(None)
        except StopIteration:
            return True
        except Exception:
            logger.warning("a live write failed; the viewer will reconnect", exc_info=True)
            self.drop()
            return True
        self._wait_for(asyncio.ensure_future(_Resumed(sent, first)))
        return True

    def write_of(self, chunks: list[Chunk]) -> bytes:
        """What this viewer sends of `chunks` (the events after its last), which it has then
        sent."""
        data = self.feed.write(self.kind, chunks, self.last)
        self.last = max(self.last, chunks[-1].last)
        return data

    def _wait_for(self, sending: asyncio.Future[Any]) -> None:
        self.sending = sending
        sending.add_done_callback(self._sent)

    def _sent(self, sending: asyncio.Future[Any]) -> None:
        self.sending = None
        if sending.cancelled() or sending.exception() is not None:
            self.drop()  # (a client gone: its stream ends)
        elif self.chunks or self.finished:
            self.wake()  # what came meanwhile: the reader takes it, after this write

    def offer(self, chunk: Chunk, limit: int) -> bool:
        """Buffer a chunk (the feed wakes the reader soon); False, and dropped, when too much
        is waiting already."""
        self.pending += len(chunk.parts)
        if self.pending > limit:
            self.drop()
            return False
        self.chunks.append(chunk)
        return True

    def drop(self) -> None:
        self.dropped = True
        self.chunks.clear()
        self.wake()

    def wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def take(self) -> list[Chunk] | None:
        """The chunks waiting (after waiting for one, and for a write of `push` that had to
        wait); None once the feed has ended."""
        while True:
            if self.sending is not None:
                await asyncio.shield(self.sending)
                continue
            if self.chunks:
                break
            if self.dropped:
                raise SubscriberDropped(f"a viewer of run {self.feed.run_id} fell behind")
            if self.finished:
                return None
            self.waiter = asyncio.get_running_loop().create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        chunks, self.chunks, self.pending = self.chunks, [], 0
        return chunks


class Feed:
    """A run's events for its viewers: subscribed once, rendered once per event and kind. A
    viewer that lets too much pile up is dropped (its browser reconnects and replays); it never
    slows the feed, the run or the other viewers. A feed only observes, and ends when its last
    viewer leaves or after the run's final event."""

    def __init__(self, feeds: RunFeeds, run_id: str) -> None:
        self.feeds = feeds
        self.run_id = run_id
        self.viewers: dict[Viewer, None] = {}  # in the order they joined
        self.kinds: dict[Kind, int] = {"html": 0, "json": 0}
        self._loop = asyncio.get_running_loop()
        self._round: list[Viewer] | None = None  # the viewers of the round of wake-ups going
        self._next = 0  # ... the first of them not woken yet
        self._again = False  # ... and another round is wanted after it
        self._slice_due = False  # the next slice is scheduled
        self._paused = False  # a batch is rendering: no slice until it is handed out
        self._ended = False  # the run's final event has been handed out
        self._writes: dict[tuple[Kind, int, int], bytes] = {}  # see `write`
        self._replays: dict[tuple[Kind, int, int], asyncio.Future[bytes]] = {}  # being made
        # The run's events so far (from 1, in order) for the replays of the viewers who join:
        # read once for all of them. None when there are too many to keep (they read the store).
        self.events: list[LeadPlanEvent] | None = []
        self.ready: asyncio.Future[None] = self._loop.create_future()  # `events` is filled
        self.over: asyncio.Future[None] = self._loop.create_future()  # ... and sent to all
        self.task = asyncio.create_task(self._run(), name=f"feed-{run_id}")

    def join(self, kind: Kind, outlet: Outlet | None = None) -> Viewer:
        viewer = Viewer(self, kind, outlet)
        self.viewers[viewer] = None
        self.kinds[kind] += 1
        return viewer

    def write(self, kind: Kind, chunks: list[Chunk], last: int) -> bytes:
        """What a viewer that has sent up to `last` sends of `chunks`: the events after it, the
        HTML updates folded (live.fold). The viewers woken in a round that have sent as much
        share one write: it is made once."""
        if len(chunks) == 1 and len(chunks[0].parts) == 1 and chunks[0].first > last:
            return chunks[0].data  # one event: nothing to fold
        key = (kind, last, chunks[-1].last)
        data = self._writes.get(key)
        if data is None:
            if kind == "html":
                data = fold([u for c in chunks for u in c.updates or () if u.seq > last])
            else:
                data = b"".join([chunk.after(last) for chunk in chunks])
            self._remember(key, data)
        return data

    async def replay(self, kind: Kind, events: list[LeadPlanEvent], after: int) -> bytes:
        """The write of `events` (the run's events after `after`, up to the last of them) for a
        viewer who joins: the viewers who join together (a page and its reloads, a team opening
        the same run) share it, as the viewers woken in a round share `write`'s."""
        key = (kind, after, events[-1].seq)
        data = self._writes.get(key)
        if data is not None:
            return data
        making = self._replays.get(key)
        if making is None:  # the first to ask makes it, in a task a viewer leaving never cancels
            making = asyncio.ensure_future(self.feeds.live.encode(self.run_id, kind, events))
            self._replays[key] = making
            making.add_done_callback(lambda done: self._made(key, done))
        return await asyncio.shield(making)

    def _made(self, key: tuple[Kind, int, int], making: asyncio.Future[bytes]) -> None:
        del self._replays[key]
        if not making.cancelled() and making.exception() is None:  # (the waiters re-raise it)
            self._remember(key, making.result())

    def _remember(self, key: tuple[Kind, int, int], data: bytes) -> None:
        if len(self._writes) >= KEEP_WRITES:
            self._writes.clear()
        self._writes[key] = data

    def leave(self, viewer: Viewer) -> None:
        if viewer in self.viewers:
            del self.viewers[viewer]
            self.kinds[viewer.kind] -= 1

    async def _run(self) -> None:
        ended = False
        try:
            stored = await self.feeds.manager.store.runs.events(self.run_id)
            self._keep(stored)
            # From the last stored event: if it was the run's final one, the manager says so.
            start = max(0, (stored[-1].seq if stored else 0) - 1)
            self.feeds.live.warm()
            self.ready.set_result(None)
            async for batch in self.feeds.manager.subscribe_batches(self.run_id, start):
                await self._hand_out(batch)
            ended = True
        except asyncio.CancelledError:
            raise
        except SubscriberDropped:
            logger.warning("the feed of run %s fell behind; its viewers will replay", self.run_id)
        except Exception:
            logger.exception("the feed of run %s failed; its viewers will replay", self.run_id)
        finally:
            if not self.ready.done():
                self.ready.set_result(None)
            self.feeds.forget(self)
            for viewer in self.viewers:
                if ended:
                    viewer.finished = True
                else:
                    viewer.drop()
            if ended:
                self._ended = True
                self._wake_all()
            elif not self.over.done():
                self.over.set_result(None)

    def _keep(self, events: list[LeadPlanEvent]) -> None:
        kept = self.events
        if kept is None:
            return
        last = kept[-1].seq if kept else 0
        kept.extend(event for event in events if event.seq > last)
        if len(kept) > KEEP_EVENTS:
            self.events = None

    def kept_after(self, seq: int) -> list[LeadPlanEvent] | None:
        """The events after `seq` the feed has handed out (or read at its start); None if it
        does not keep them all."""
        kept = self.events
        if kept is None:
            return None
        if kept and kept[0].seq == 1 and kept[-1].seq == len(kept):  # 1..n, as a run's are
            return kept[seq:]
        return [event for event in kept if event.seq > seq]

    async def _hand_out(self, batch: list[LeadPlanEvent]) -> None:
        # Viewers joining while this batch renders replay it from `events` (or the store: it
        # is committed), and wait for its render.
        present = list(self.viewers)
        self._keep(batch)
        live = self.feeds.live
        chunks: dict[Kind, Chunk] = {}
        if self.kinds["json"]:
            chunks["json"] = Chunk([(e.seq, live.json_message(self.run_id, e)) for e in batch])
        if self.kinds["html"]:
            # While the feed renders a batch the serving pauses: the render's waits (its task,
            # the store's reader threads) would each cost a whole slice's turn, and the viewers
            # not served yet get the batch in the same write anyway.
            self._paused = True
            try:
                updates = await live.html_updates(self.run_id, batch)
            finally:
                self._paused = False
            chunks["html"] = Chunk([(u.seq, u.message) for u in updates], updates)
        limit = self.feeds.limit
        for viewer in present:
            if viewer not in self.viewers:
                continue  # it left while the batch rendered
            if not viewer.offer(chunks[viewer.kind], limit):
                self.leave(viewer)
                self.feeds.dropped += 1
        self._wake_all()

    def _wake_all(self) -> None:
        if self._round is None:
            self._round, self._next = list(self.viewers), 0
        else:
            self._again = True  # those not woken yet get this too; the others next round
        if not self._slice_due:
            self._wake_slice()

    def _wake_slice(self) -> None:
        """Viewers are served a slice at a time, each slice in its own turn of the event loop,
        so the next committed events reach the feed while the last ones are still going out:
        the viewers not yet served then send both in one write, and a burst of events costs
        little more than one."""
        self._slice_due = False
        viewers = self._round
        if viewers is None or self._paused:
            return  # the batch being rendered is handed out, then the round goes on
        start, end = self._next, self._next + WAKE_SLICE
        for viewer in viewers[start:end]:
            if (viewer.chunks and not viewer.push()) or viewer.finished:
                viewer.wake()
        self._next = end
        if end < len(viewers):
            # after the readers just woken have run: other work (the next events) goes between
            self._slice_due = True
            self._loop.call_soon(self._wake_slice)
        elif self._again:
            self._again = False
            self._round, self._next = list(self.viewers), 0
            self._slice_due = True
            self._loop.call_soon(self._wake_slice)
        else:
            self._round = None
            if self._ended and not self.over.done():
                self.over.set_result(None)  # after the readers just woken: they come first


class _Resumed:
    """Awaiting it finishes `coroutine`, which has run up to its first wait (it yielded
    `first`): what a task would have done with it had it started it (`yield from` does the
    same for a coroutine not started)."""

    __slots__ = ("coroutine", "first")

    def __init__(self, coroutine: CoroutineType[Any, Any, Any], first: Any) -> None:
        self.coroutine, self.first = coroutine, first

    def __await__(self) -> Generator[Any, Any, Any]:
        coroutine, waiting = self.coroutine, self.first
        while True:
            try:
                value = yield waiting
            except BaseException as error:  # thrown in by the task (a cancellation)
                try:
                    waiting = coroutine.throw(error)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    waiting = coroutine.send(value)
                except StopIteration as stop:
                    return stop.value


class RunFeeds:
    """The live feeds of this process's viewers: one per run they watch, whichever process
    executes it."""

    def __init__(
        self,
        manager: RunManager,
        live: LiveFragments,
        *,
        limit: int = 0,
        access: StreamAccess | None = None,
    ) -> None:
        self.manager = manager
        self.live = live
        self.access = access or StreamAccess()  # the viewers' credentials, checked
        self.limit = limit or manager.hub.queue_size  # events a viewer may have waiting
        self._feeds: dict[str, Feed] = {}
        self.dropped = 0

    def feed(self, run_id: str) -> Feed | None:
        return self._feeds.get(run_id)

    def forget(self, feed: Feed) -> None:
        if self._feeds.get(feed.run_id) is feed:
            del self._feeds[feed.run_id]

    def join(self, run_id: str, kind: Kind, outlet: Outlet | None = None) -> Viewer:
        feed = self._feeds.get(run_id)
        if feed is None:
            feed = self._feeds[run_id] = Feed(self, run_id)
        return feed.join(kind, outlet)

    def leave(self, viewer: Viewer) -> None:
        feed = viewer.feed
        feed.leave(viewer)
        if not feed.viewers and not feed.task.done():
            self.forget(feed)
            feed.task.cancel()  # nobody watches: stop following the run

    async def follow(
        self,
        run_id: str,
        after: int,
        kind: Kind,
        outlet: Outlet | None = None,
        credential: Credential | None = None,
    ) -> AsyncGenerator[bytes, None]:
        """A viewer's stream: its replay after `after` (from the feed's copy of the run's
        events, or the store's when the feed keeps none), then the feed's live bytes, then
        `done`. Raises SubscriberDropped if it falls too far behind. With an `outlet`, the
        feed writes the live bytes through it while this waits, parked, for more. With a
        `credential`, the stream ends (as a dropped one) once it no longer holds.

        The viewer joins the feed before it reads its replay, so nothing slips between the two:
        whatever the feed handed out before the viewer joined is in its replay; all it hands out
        afterwards reaches the viewer's buffer, and the viewer skips what it replayed. The
        replays come from the feed's own copy of the run's events (read from the store once,
        when the feed starts, then kept as it hands them out), not from a store read per
        viewer."""
        viewer = self.join(run_id, kind, outlet)
        if credential is not None:
            self.access.opened(viewer, credential)
        try:
            await asyncio.shield(viewer.feed.ready)  # the feed's copy is filled: replay
            last = after
            while True:  # the replay, in chunks
                events = viewer.feed.kept_after(last)
                if events is None:
                    events = await self.manager.store.runs.events(
                        run_id, after=last, limit=REPLAY_CHUNK
                    )
                final = next((i for i, e in enumerate(events) if e.type == "PLAN_COMPLETED"), None)
                if final is not None:
                    events = events[: final + 1]
                if events:
                    yield await viewer.feed.replay(kind, events, last)
                    last = events[-1].seq
                if final is not None:
                    yield DONE
                    return
                if len(events) < REPLAY_CHUNK:
                    break
            viewer.last = last
            while (chunks := await viewer.take()) is not None:
                if data := viewer.write_of(chunks):
                    yield data
            # `done` once the run's final event is out to every viewer, not sooner: `done` makes
            # a browser or a script close its connection, and a stream that closes costs the
            # server more than a write, so the last viewers would wait for the first ones'
            # goodbyes (bench/README.md, `bench.sse`).
            await asyncio.shield(viewer.feed.over)
            yield DONE
        finally:
            self.access.closed(viewer)
            self.leave(viewer)

    async def close(self) -> None:
        feeds = list(self._feeds.values())
        self._feeds.clear()
        await cancel_and_wait(*(feed.task for feed in feeds))
        await self.access.close()
