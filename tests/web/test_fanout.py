"""The live feed of a run: one subscription and one render per event, however many watch; every
viewer gets every event once and in order, a viewer joining late misses nothing, a slow one is
dropped without holding up the others, and the feed lets go of the run when nobody watches."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from tests.core.conftest import USER, FakeTools, gate, make_plan
from tests.runtime.conftest import FAST, demo_services
from tests.waiting import until
from tests.web.helpers import Message, parse_sse
from webapp.core.errors import ToolError
from webapp.core.models import GOOGLE_PLACES_SEARCH, LeadPlanEvent
from webapp.runtime import EventHub, RunManager, RunManagerOptions, SubscriberDropped
from webapp.settings import Settings
from webapp.store import Store
from webapp.tools import default_tool_map
from webapp.web import fanout
from webapp.web.fanout import Chunk, RunFeeds
from webapp.web.fragments import Kind, LiveFragments, fold
from webapp.web.sequences import mail_view
from webapp.web.templating import build_templates


@dataclass
class Watched:
    store: Store
    manager: RunManager
    live: LiveFragments
    feeds: RunFeeds
    tools: FakeTools


@pytest.fixture
async def watched(tmp_path: Path) -> AsyncIterator[Watched]:
    store = await Store.open(str(tmp_path / "feed.db"))
    tools = FakeTools()
    manager = RunManager(
        store,
        services_for=lambda run_id, options: demo_services(store),
        tools=tools.as_map(),
        options=RunManagerOptions(retry_policy=FAST),
        hub=EventHub(),
    )
    await manager.start()
    live = LiveFragments(store, build_templates())
    feeds = RunFeeds(manager, live)
    try:
        yield Watched(store, manager, live, feeds, tools)
    finally:
        await manager.stop()
        await feeds.close()
        await store.close()


async def watch(feeds: RunFeeds, run_id: str, after: int, kind: Kind) -> list[Message]:
    return parse_sse(b"".join([data async for data in feeds.follow(run_id, after, kind)]).decode())


async def blocked_run(watched: Watched, step_id: str) -> tuple[str, asyncio.Event]:
    """A run started and held at `step_id` until the returned event is set."""
    opened, reached = asyncio.Event(), asyncio.Event()
    watched.tools.behave(step_id, gate(opened, reached))
    run_id = await watched.manager.start_run(make_plan(email=True), USER)
    await reached.wait()
    await watched.store.writer.flush()
    return run_id, opened


def live_viewers(feeds: RunFeeds, run_id: str) -> int:
    """Viewers of the run past their replay, waiting for the feed."""
    feed = feeds.feed(run_id)
    return sum(v.waiter is not None for v in feed.viewers) if feed is not None else 0


async def test_many_viewers_get_every_event_once_in_order_rendered_once_each(
    watched: Watched,
) -> None:
    run_id, opened = await blocked_run(watched, "google_places_1")
    pages = [asyncio.create_task(watch(watched.feeds, run_id, 0, "html")) for _ in range(40)]
    scripts = [asyncio.create_task(watch(watched.feeds, run_id, 0, "json")) for _ in range(5)]
    await until(lambda: live_viewers(watched.feeds, run_id) == 45)

    opened.set()
    seen = await asyncio.gather(*pages, *scripts)

    stored = [event.seq for event in await watched.store.runs.events(run_id)]
    for messages in seen:
        *events, done = messages
        assert [int(m.id or 0) for m in events] == stored
        assert (done.event, done.id) == ("done", None)
    assert {m.event for m in seen[0][:-1]} == {"update"}
    assert seen[-1][-2].event == "PLAN_COMPLETED"
    # one render per batch of events for all forty pages: never more than one per event
    assert 1 <= watched.live.renders <= len(stored)
    assert watched.manager.hub.subscriber_count(run_id) == 0  # the feed let go of the run
    assert watched.feeds.feed(run_id) is None


async def test_a_viewer_joining_mid_run_misses_nothing_and_repeats_nothing(
    watched: Watched,
) -> None:
    run_id, opened = await blocked_run(watched, "hunter_enrich_3")
    early = asyncio.create_task(watch(watched.feeds, run_id, 0, "json"))
    await until(lambda: live_viewers(watched.feeds, run_id) == 1)

    late = asyncio.create_task(watch(watched.feeds, run_id, 0, "html"))
    resumed = asyncio.create_task(watch(watched.feeds, run_id, 3, "json"))  # Last-Event-ID: 3
    await until(lambda: live_viewers(watched.feeds, run_id) == 3)
    opened.set()

    await watched.manager.wait(run_id)
    stored = [event.seq for event in await watched.store.runs.events(run_id)]
    for task, first in ((early, 1), (late, 1), (resumed, 4)):
        *events, done = await task
        assert [int(m.id or 0) for m in events] == list(range(first, stored[-1] + 1))
        assert done.event == "done"


async def test_a_watched_run_shows_each_steps_output_live_without_reading_it_back(
    watched: Watched, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The page's funnel comes from the places step's output. This process recorded it, so its
    # live update uses the digest made then: no read, no wait for a reader's thread.
    reads: list[str] = []
    read_digest = watched.store.runs.step_output_digest

    async def counted(run_id: str, step_id: str) -> Any:
        reads.append(step_id)
        return await read_digest(run_id, step_id)

    monkeypatch.setattr(watched.store.runs, "step_output_digest", counted)
    opened, reached = asyncio.Event(), asyncio.Event()

    async def places(params: dict[str, Any], env: Any) -> Any:
        reached.set()
        await opened.wait()
        sites = ["https://a.example", "", None, "https://b.example"]
        return {"provider": "demo", "count": 4, "businesses": [{"website": w} for w in sites]}

    watched.tools.behave("google_places_1", places)
    run_id = await watched.manager.start_run(make_plan(email=True), USER)
    await reached.wait()
    page = asyncio.create_task(watch(watched.feeds, run_id, 0, "html"))
    await until(lambda: live_viewers(watched.feeds, run_id) == 1)

    opened.set()
    messages = await page

    shown = "".join(m.data for m in messages)
    funnel = re.findall(r'<li><span class="funnel-n">(\d+)</span> ([\w ]+)</li>', shown)
    last = max(i for i, (_, label) in enumerate(funnel) if label == "Places found")
    assert funnel[last : last + 2] == [("4", "Places found"), ("2", "With a website")]
    assert reads == []
    # ... and the digest made from the stored output (a run another process executes, or a
    # page opened later) is the same
    places_done = next(
        e for e in await watched.store.runs.events(run_id) if e.type == "STEP_SUCCEEDED"
    )
    assert (
        await read_digest(run_id, "google_places_1")
        == (watched.store.runs.fresh_output_digest(run_id, places_done.seq)[1])
    )


async def test_a_watched_run_that_saves_no_lead_shows_the_places_it_found_as_it_ends(
    watched: Watched,
) -> None:
    # as a page opened afterwards does: the places stay visible when a later step failed
    opened, reached = asyncio.Event(), asyncio.Event()

    async def places(params: dict[str, Any], env: Any) -> Any:
        reached.set()
        await opened.wait()
        found = [{"businessName": f"Cafe {n}", "website": ""} for n in range(3)]
        return {"provider": "demo", "count": 3, "businesses": found}

    async def refused(params: dict[str, Any], env: Any) -> Any:
        raise ToolError("Hunter refused the key", retryable=False)

    watched.tools.behave("google_places_1", places)
    watched.tools.behave("hunter_domain_lookup_2", refused)
    run_id = await watched.manager.start_run(make_plan(), USER)
    await reached.wait()
    page = asyncio.create_task(watch(watched.feeds, run_id, 0, "html"))
    await until(lambda: live_viewers(watched.feeds, run_id) == 1)

    opened.set()
    messages = await page

    assert messages[-1].event == "done"
    last = [m.data for m in messages if m.event == "update"][-1]
    assert "PLAN_COMPLETED" in last and "1 failed" in last
    assert "This run saved no leads. The 3 places it found:" in last
    assert all(f"Cafe {n}" in last for n in range(3))


async def test_viewers_joining_a_watched_run_replay_from_its_feed_not_the_store(
    watched: Watched, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id, opened = await blocked_run(watched, "hunter_enrich_3")
    first = asyncio.create_task(watch(watched.feeds, run_id, 0, "json"))
    await until(lambda: live_viewers(watched.feeds, run_id) == 1)
    reads = 0
    read_events = watched.store.runs.events

    async def counted(run_id: str, **kwargs: Any) -> list[LeadPlanEvent]:
        nonlocal reads
        reads += 1
        return await read_events(run_id, **kwargs)

    monkeypatch.setattr(watched.store.runs, "events", counted)
    encoded: list[Kind] = []
    encode = watched.live.encode

    async def counted_encode(run_id: str, kind: Kind, events: list[LeadPlanEvent]) -> bytes:
        encoded.append(kind)
        return await encode(run_id, kind, events)

    monkeypatch.setattr(watched.live, "encode", counted_encode)
    kinds: list[Kind] = ["html", "json"] * 5
    later = [asyncio.create_task(watch(watched.feeds, run_id, 0, kind)) for kind in kinds]
    await until(lambda: live_viewers(watched.feeds, run_id) == 11)

    assert reads <= 1  # ten replays, and no store read of theirs (one is the feed's own)
    assert sorted(set(encoded)) == sorted(encoded)  # ... made at most once for each kind
    opened.set()
    await watched.manager.wait(run_id)
    stored = [event.seq for event in await read_events(run_id)]
    for task in (first, *later):
        *events, done = await task
        assert [int(m.id or 0) for m in events] == stored
        assert done.event == "done"


async def test_viewers_of_a_run_too_long_for_its_feed_to_keep_replay_from_the_store(
    watched: Watched, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fanout, "KEEP_EVENTS", 2)
    run_id, opened = await blocked_run(watched, "hunter_enrich_3")  # 6 events by then
    first = asyncio.create_task(watch(watched.feeds, run_id, 0, "html"))
    await until(lambda: live_viewers(watched.feeds, run_id) == 1)
    feed = watched.feeds.feed(run_id)
    assert feed is not None and feed.events is None

    second = asyncio.create_task(watch(watched.feeds, run_id, 2, "json"))
    await until(lambda: live_viewers(watched.feeds, run_id) == 2)
    opened.set()

    await watched.manager.wait(run_id)
    stored = [event.seq for event in await watched.store.runs.events(run_id)]
    for task, after in ((first, 0), (second, 2)):
        *events, done = await task
        assert [int(m.id or 0) for m in events] == [seq for seq in stored if seq > after]
        assert done.event == "done"


async def test_a_slow_viewer_is_dropped_and_the_others_get_everything(
    watched: Watched,
) -> None:
    feeds = RunFeeds(watched.manager, watched.live, limit=8)  # events a viewer may have waiting
    later_open, later_reached = asyncio.Event(), asyncio.Event()
    watched.tools.behave("lead_list_save_4", gate(later_open, later_reached))
    run_id, opened = await blocked_run(watched, "google_places_1")
    slow = feeds.join(run_id, "json")  # joins, then never reads
    others = [asyncio.create_task(watch(feeds, run_id, 0, "json")) for _ in range(3)]
    await until(lambda: live_viewers(feeds, run_id) == 3)

    opened.set()  # six events, up to the next gate: the others read them, the slow one does not
    await later_reached.wait()
    await until(lambda: slow.pending == 7)  # with the last event stored before the gate
    await until(lambda: live_viewers(feeds, run_id) == 3)
    later_open.set()  # four more: too many waiting for the slow one
    seen = await asyncio.gather(*others)

    stored = [event.seq for event in await watched.store.runs.events(run_id)]
    assert all([int(m.id or 0) for m in messages[:-1]] == stored for messages in seen)
    assert all(messages[-1].event == "done" for messages in seen)
    assert slow.dropped and feeds.dropped == 1
    with pytest.raises(SubscriberDropped):
        await slow.take()
    run = await watched.store.runs.get(run_id)
    assert run is not None and run.status == "succeeded"
    await feeds.close()


async def test_when_the_last_viewer_leaves_the_feed_stops_and_the_run_goes_on(
    watched: Watched,
) -> None:
    run_id, opened = await blocked_run(watched, "google_places_1")
    viewer = asyncio.create_task(watch(watched.feeds, run_id, 0, "html"))
    await until(lambda: watched.manager.hub.subscriber_count(run_id) == 1)

    viewer.cancel()  # the browser went away
    with pytest.raises(asyncio.CancelledError):
        await viewer
    await until(lambda: watched.manager.hub.subscriber_count(run_id) == 0)

    assert watched.feeds.feed(run_id) is None
    opened.set()
    await watched.manager.wait(run_id)
    run = await watched.store.runs.get(run_id)
    assert run is not None and run.status == "succeeded"


async def test_a_viewer_of_a_run_that_has_ended_gets_its_replay_then_done(
    watched: Watched,
) -> None:
    run_id = await watched.manager.start_run(make_plan(), USER)
    await watched.manager.wait(run_id)
    stored = [event.seq for event in await watched.store.runs.events(run_id)]

    *events, done = await watch(watched.feeds, run_id, 2, "html")

    assert [int(m.id or 0) for m in events] == stored[2:]
    assert done.event == "done"


def test_a_chunk_gives_only_the_events_after_a_cursor() -> None:
    chunk = Chunk([(3, b"c"), (4, b"d"), (5, b"e")])

    assert (chunk.after(2), chunk.after(3), chunk.after(4), chunk.after(5)) == (
        b"cde",
        b"de",
        b"e",
        b"",
    )


def test_warming_up_compiles_the_update_and_every_template_it_includes(
    watched: Watched,
) -> None:
    def compiled() -> set[str]:
        return {key[1] for key in (watched.live.env.cache or {})}

    assert "_update.html" not in compiled()

    watched.live.warm()

    assert {"_update.html", "_graph_node.html", "_timeline.html", "_event_row.html"} <= compiled()


async def finished_run_events(watched: Watched) -> tuple[str, list[LeadPlanEvent]]:
    run_id, opened = await blocked_run(watched, "google_places_1")
    opened.set()
    await watched.manager.wait(run_id)
    return run_id, await watched.store.runs.events(run_id)


async def test_a_burst_is_rendered_once_and_its_last_update_carries_each_piece(
    watched: Watched,
) -> None:
    run_id, events = await finished_run_events(watched)

    updates = await watched.live.html_updates(run_id, events)

    assert watched.live.renders == 1
    messages = [parse_sse(u.message.decode())[0] for u in updates]
    assert [m.id for m in messages] == [str(e.seq) for e in events]  # every event, in order
    for event, message in zip(events[:-1], messages[:-1], strict=True):
        # an earlier event of the burst: its row in the log, nothing else
        assert message.data.count('hx-swap-oob="beforeend:#event-log"') == 1
        assert f'id="ev-{event.seq}"' in message.data
        assert 'id="run-header"' not in message.data
    last = messages[-1].data
    for piece in ('id="run-header"', 'id="timeline"', 'id="actions"', 'id="funnel"'):
        assert last.count(piece) == 1
    assert 'id="run-status">✓ succeeded</span>' in last
    assert fold(updates) == b"".join(u.message for u in updates)  # nothing left to fold


async def test_a_viewer_resuming_inside_a_burst_gets_its_rest_and_its_final_state(
    watched: Watched,
) -> None:
    run_id, events = await finished_run_events(watched)
    updates = await watched.live.html_updates(run_id, events)
    resumed_at = events[len(events) // 2].seq

    write = fold([u for u in updates if u.seq > resumed_at]).decode()

    assert [int(m.id or 0) for m in parse_sse(write)] == [
        e.seq for e in events if e.seq > resumed_at
    ]
    assert [f'id="ev-{e.seq}"' in write for e in events] == [e.seq > resumed_at for e in events]
    assert 'id="run-status">✓ succeeded</span>' in write
    for step in make_plan(email=True).steps:  # every step's row, as the run left it
        assert write.count(f'id="step-{step.id}"') == 1


async def test_updates_rendered_apart_go_out_in_one_write_with_each_piece_once(
    watched: Watched,
) -> None:
    run_id, events = await finished_run_events(watched)
    updates = [(await watched.live.html_updates(run_id, [event]))[0] for event in events]
    one_by_one = [parse_sse(u.message.decode())[0] for u in updates]

    folded = parse_sse(fold(updates).decode())

    assert [m.id for m in folded] == [str(e.seq) for e in events]  # every event, in order
    assert {m.event for m in folded} == {"update"}
    write = "".join(m.data for m in folded)
    for piece in ('id="run-header"', 'id="timeline"', 'id="actions"', 'id="funnel"'):
        assert write.count(piece) == 1  # ... each piece of the page once
    assert 'id="run-status">✓ succeeded</span>' in write
    # the log gets every event's row, and the last update is whole: the state it leaves
    assert [f'id="ev-{e.seq}"' in write for e in events] == [True] * len(events)
    assert folded[-1].data == one_by_one[-1].data
    assert sum(len(m.data) for m in folded) < sum(len(m.data) for m in one_by_one) / 2
    assert fold(updates[2:3]) == updates[2].message  # alone, an update is sent as it is


async def test_a_watched_run_shows_its_saved_leads_and_sequences_live_without_reading_them(
    watched: Watched, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real tools on the demo directory; the first step held until the page is watching.
    tools = dict(default_tool_map())
    find_places = tools[GOOGLE_PLACES_SEARCH]
    opened, reached = asyncio.Event(), asyncio.Event()

    async def held(params: dict[str, Any], env: Any) -> Any:
        reached.set()
        await opened.wait()
        return await find_places(params, env)

    tools[GOOGLE_PLACES_SEARCH] = held
    manager = RunManager(
        watched.store,
        services_for=lambda run_id, options: demo_services(watched.store),
        tools=tools,
        options=RunManagerOptions(retry_policy=FAST),
        hub=EventHub(),
    )
    await manager.start()
    live = LiveFragments(watched.store, build_templates(), mail=mail_view(Settings()))
    feeds = RunFeeds(manager, live)
    # The page gets the lead list and the sequences as their saves committed them: the
    # render of the steps' success waits for no reader's thread.
    reads: list[str] = []

    async def read_leads(run_id: str) -> Any:
        reads.append("leads")
        return []

    async def read_sequences(run_id: str) -> Any:
        reads.append("sequences")
        return []

    monkeypatch.setattr(watched.store.outputs, "leads_for_run", read_leads)
    monkeypatch.setattr(watched.store.outbox, "overviews_for_run", read_sequences)
    try:
        run_id = await manager.start_run(make_plan(email=True), USER)
        await reached.wait()
        page = asyncio.create_task(watch(feeds, run_id, 0, "html"))
        await until(lambda: live_viewers(feeds, run_id) == 1)
        reads.clear()  # (the page's first render read the run as it stood)
        opened.set()
        shown = "".join(m.data for m in await page)
    finally:
        await manager.stop()
        await feeds.close()
    assert reads == []
    monkeypatch.undo()
    leads = await watched.store.outputs.leads_for_run(run_id)
    [sequence] = await watched.store.outbox.overviews_for_run(run_id)
    assert leads and shown.count("<tr>") >= len(leads) + 1  # each lead's row, and the head's
    for lead in leads:
        assert escape(lead.business_name) in shown
    assert 'id="sequences"' in shown and sequence.sequence_id in shown
    # ... and taken once: a later render reads them
    assert watched.store.outputs.take_fresh_leads(run_id) is None
    assert watched.store.outputs.take_fresh_sequences(run_id) is None


class Socket:
    """A stream's `send` that writes into one list with what its reader yields, and can be
    made to wait (a client whose buffer is full) until let go."""

    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.full = asyncio.Event()
        self.full.set()
        self.sends = 0

    async def send(self, message: MutableMapping[str, Any]) -> None:
        self.sends += 1
        await self.full.wait()
        self.written.append(message["body"])


async def test_live_events_go_straight_to_a_parked_streams_socket_in_order_even_when_it_waits(
    watched: Watched,
) -> None:
    later_open, later_reached = asyncio.Event(), asyncio.Event()
    watched.tools.behave("lead_list_save_4", gate(later_open, later_reached))
    run_id, opened = await blocked_run(watched, "google_places_1")
    socket, outlet = Socket(), fanout.Outlet()
    outlet.send = socket.send

    async def read() -> None:  # what sse-starlette does with what the stream yields
        async for data in watched.feeds.follow(run_id, 0, "html", outlet):
            socket.written.append(data)

    reader = asyncio.create_task(read())
    await until(lambda: live_viewers(watched.feeds, run_id) == 1)
    feed = watched.feeds.feed(run_id)
    assert feed is not None
    (viewer,) = feed.viewers
    replayed = len(socket.written)

    opened.set()  # the next events are written by the feed itself, the reader stays parked
    await later_reached.wait()
    await until(lambda: socket.sends > 0 and live_viewers(watched.feeds, run_id) == 1)
    assert len(socket.written) > replayed and socket.sends == len(socket.written) - replayed
    socket.full.clear()  # the client stops reading: the next write waits...
    before = len(socket.written)
    later_open.set()
    await watched.manager.wait(run_id)
    await until(lambda: viewer.finished)
    assert len(socket.written) == before  # ... and nothing overtakes it, `done` neither
    socket.full.set()
    await reader

    messages = parse_sse(b"".join(socket.written).decode())
    stored = [event.seq for event in await watched.store.runs.events(run_id)]
    assert [int(m.id or 0) for m in messages[:-1]] == stored
    assert messages[-1].event == "done"
