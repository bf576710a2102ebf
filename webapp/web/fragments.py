"""Each event of a run rendered once, for every viewer: the HTML update (htmx out-of-band
swaps) and the JSON message, already encoded as SSE bytes (ARCHITECTURE.md, "The live path")."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from jinja2 import BaseLoader, Environment, meta
from sse_starlette import ServerSentEvent
from starlette.templating import Jinja2Templates

from webapp.core.leads import Lead
from webapp.core.models import EMAIL_SEQUENCE_SETUP, LEAD_LIST_SAVE, LeadPlanEvent
from webapp.store import Store
from webapp.store.outbox import SequenceOverview
from webapp.web.run_view import FINAL_EVENTS, RunView, page_context
from webapp.web.sequences import MailView

Kind = Literal["html", "json"]  # a run's page stream, or its JSON stream for scripts
KEEP_MESSAGES = 512
KEEP_RUNS = 128
UPDATE = "_update.html"
LINE_BREAKS = re.compile(r"\s*\n\s*")
PART, PART_END = "<!--part:", "-->"  # in _update.html before each part; data cannot make one
APPENDED = "+"  # a part added to the page (an event's row in the log): never replaced
WHOLE_GRAPH, NODE = "graph", "node-"  # the whole graph replaces every node
# The events of a run as a whole that may change every step (an interruption stops the running
# ones; a resume goes on from the store's state): the whole graph and every row are sent. A
# run's start or completion changes no step: each step's own events set its node and row.
EVERY_STEP = frozenset({"RUN_INTERRUPTED", "RUN_RESUMED"})


@dataclass(frozen=True, slots=True)
class Update:
    """One event's HTML update: its SSE message, and its parts, each with the key of the piece
    of the page it replaces."""

    seq: int
    message: bytes
    parts: tuple[tuple[str, str], ...]


def fold(updates: list[Update]) -> bytes:
    """The updates as one write, each part only in the last update that has it (the whole
    graph stands for every node); the appended parts all stay.

    An update is made of parts, each replacing one piece of the page (the header, the timeline,
    a step's row...) or appending to the event log. A viewer that gets several updates in one
    write (a burst of events, or a viewer woken after several were handed out) needs each piece
    only in its last state: this leaves out of each update the parts a later update in the same
    write replaces. Every update is still sent, with its id, and the write ends with the pieces
    as the last event left them, as its own update would have."""
    replaced: set[str] = set()
    graph = False
    messages = []
    for update in reversed(updates):
        kept = [
            html
            for key, html in update.parts
            if key == APPENDED or not (key in replaced or (graph and key.startswith(NODE)))
        ]
        if len(kept) == len(update.parts):
            messages.append(update.message)
        else:
            messages.append(sse_bytes("".join(kept), event="update", seq=update.seq))
        replaced.update(key for key, _ in update.parts)
        graph = graph or WHOLE_GRAPH in replaced
    return b"".join(reversed(messages))


@dataclass
class _RunCache:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one render at a time waits
    view: RunView | None = None
    html: OrderedDict[int, Update] = field(default_factory=OrderedDict)
    json: OrderedDict[int, bytes] = field(default_factory=OrderedDict)
    # the render of each event under way (one render covers a batch of events)
    rendering: dict[int, asyncio.Future[dict[int, Update]]] = field(default_factory=dict)


@dataclass
class _Reads:
    """What a batch's render read from the store."""

    outputs: dict[int, Any] = field(default_factory=dict)  # by the seq of STEP_SUCCEEDED
    leads: list[Lead] | None = None  # None: not read, the view's stand
    sequences: list[SequenceOverview] | None = None
    places: list[Lead] | None = None  # what a run that ends with no lead list found


def sse_bytes(data: str, *, event: str, seq: int | None = None) -> bytes:
    return ServerSentEvent(data=data, event=event, id=None if seq is None else str(seq)).encode()


class LiveFragments:
    """A run's RunView is shared: the first viewer to need event N applies it and renders; the
    others reuse the bytes. A viewer asking for an event the view has passed (a reconnect) gets
    it rendered from the present state, which is the truth the page should end on anyway.

    A batch of events (a burst: a step's success and the next steps' starts, committed
    together) is rendered in one go: the store reads all of them need (the digests of step
    outputs, the lead list, the sequences) are made at once, each in its own reader connection,
    then every event is applied and the page rendered once, as the last event left it. Each
    wait on the way costs at least one turn of the event loop, and a turn is slow while a live
    feed is writing to many viewers. Each event still has its own update, with its id: the
    earlier ones in the batch append their row to the log, and the last one also carries every
    piece of the page the batch touched, in its final state. A viewer that resumes in the
    middle of a batch gets the rest of its rows and that final state.
    """

    def __init__(
        self, store: Store, templates: Jinja2Templates, *, mail: MailView | None = None
    ) -> None:
        self.store = store
        self.templates = templates
        self.mail = mail  # where sequences' mail goes; without it they are left to the page
        # its own template cache: the page's templates stay as written
        self.env = templates.env.overlay(loader=_Folded(templates.env.loader), cache_size=400)
        self._runs: OrderedDict[str, _RunCache] = OrderedDict()
        self.renders = 0
        self._warm = False

    def warm(self) -> None:
        """Compile the update template and all it includes now (tens of ms), rather than in
        the way of a run's first event."""
        if self._warm:
            return
        self._warm = True
        loader = self.env.loader
        assert loader is not None
        names, seen = [UPDATE], set()
        while names:
            name = names.pop()
            if name in seen:
                continue
            seen.add(name)
            source = loader.get_source(self.env, name)[0]
            names.extend(n for n in meta.find_referenced_templates(self.env.parse(source)) if n)
            self.env.get_template(name)

    def _cache(self, run_id: str) -> _RunCache:
        cache = self._runs.get(run_id)
        if cache is None:
            cache = self._runs[run_id] = _RunCache()
            while len(self._runs) > KEEP_RUNS:
                self._runs.popitem(last=False)
        else:
            self._runs.move_to_end(run_id)
        return cache

    def json_message(self, run_id: str, event: LeadPlanEvent) -> bytes:
        cache = self._cache(run_id)
        message = cache.json.get(event.seq)
        if message is None:
            payload = event.model_dump_json(by_alias=True, exclude_none=True)
            message = sse_bytes(payload, event=event.type, seq=event.seq)
            _keep(cache.json, event.seq, message)
        return message

    async def encode(self, run_id: str, kind: Kind, events: list[LeadPlanEvent]) -> bytes:
        """The events as one write of their SSE messages, the HTML updates folded."""
        if kind == "json":
            return b"".join([self.json_message(run_id, event) for event in events])
        return fold(await self.html_updates(run_id, events))

    async def html_updates(self, run_id: str, events: list[LeadPlanEvent]) -> list[Update]:
        """The first viewer to need an event starts its render; every viewer awaits that one
        render, so a thousand viewers cost one render and never queue on a lock. The events
        not rendered yet are rendered together, in a task of their own: a viewer leaving (its
        stream cancelled) never cancels it for the others waiting on it.

        A live feed's next events, when the run's view stands just before them and nothing they
        need is in the store only (their outputs' digests are fresh, `fresh_output_digest`, and
        so is the lead list or the sequences a step saved: `take_fresh_leads`), are rendered at
        once, with no wait: every wait costs a turn of the event loop, and under load each turn
        is long."""
        cache = self._cache(run_id)
        found = {e.seq: m for e in events if (m := cache.html.get(e.seq)) is not None}
        missing = [e for e in events if e.seq not in found and e.seq not in cache.rendering]
        view = cache.view
        known = None  # what the fresh path found at hand: the render below takes it on
        if missing and view is not None and not cache.rendering and not cache.lock.locked():
            known, reads = self._plan_reads(run_id, view, missing)
            if not reads and _fits(view, missing):
                found.update(self._apply_and_render(cache, view, missing, known))
                missing = []
        if missing:
            render = asyncio.ensure_future(self._render(cache, run_id, missing, known))
            render.add_done_callback(_retrieved)
            for event in missing:
                cache.rendering[event.seq] = render
        renders = {cache.rendering[e.seq] for e in events if e.seq not in found}
        for pending in renders:
            found.update(await asyncio.shield(pending))
        return [found[e.seq] for e in events]

    async def _render(
        self,
        cache: _RunCache,
        run_id: str,
        events: list[LeadPlanEvent],
        known: _Reads | None = None,
    ) -> dict[int, Update]:
        this = asyncio.current_task()
        try:
            async with cache.lock:  # views advance one event at a time, in order
                view = cache.view
                if view is None or not _fits(view, events):
                    view = cache.view = await self._snapshot(run_id)
                reads = await self._read_for(run_id, view, events, known)
                return self._apply_and_render(cache, view, events, reads)
        finally:
            for event in events:
                if cache.rendering.get(event.seq) is this:
                    del cache.rendering[event.seq]

    def _apply_and_render(
        self, cache: _RunCache, view: RunView, events: list[LeadPlanEvent], reads: _Reads
    ) -> dict[int, Update]:
        for event in events:
            if event.seq == view.last_seq + 1:
                view.apply(event, reads.outputs.get(event.seq))
                if touches_leads(event) and reads.leads is not None:
                    view.leads = reads.leads
                if event.type in FINAL_EVENTS and reads.places is not None and not view.leads:
                    view.places = reads.places
            # else a replay for a reconnecting page: the present state is the truth
        drafted = any(_drafts_sequences(event) for event in events)
        rendered: dict[int, Update] = {}
        for update in self.render_group(view, events, reads.sequences if drafted else None):
            _keep(cache.html, update.seq, update)
            rendered[update.seq] = update
        return rendered

    async def _snapshot(self, run_id: str) -> RunView:
        snapshot = await self.store.runs.snapshot(run_id, digests=True)
        if snapshot is None:
            raise LookupError(run_id)
        view = RunView.from_snapshot(*snapshot)
        view.leads = await self.store.outputs.leads_for_run(run_id)
        view.retries = await self.store.runs.retries_of(run_id)
        if not view.leads and view.finished:
            view.places = await self.store.runs.places_found(run_id)
        return view

    def _plan_reads(
        self,
        run_id: str,
        view: RunView,
        events: list[LeadPlanEvent],
        known: _Reads | None = None,
    ) -> tuple[_Reads, dict[Any, Callable[[], Awaitable[Any]]]]:
        """What rendering `events` needs: what is at hand (the digests of the outputs of the
        steps that succeeded, for the events the view has not applied yet; the lead list or
        the sequences a save just committed; what `known` has of it already), and the reads
        of the rest."""
        runs, outputs = self.store.runs, self.store.outputs
        known = known or _Reads()
        reads: dict[Any, Callable[[], Awaitable[Any]]] = {}
        for event in events:
            ahead = event.seq > view.last_seq  # (the view has not applied it)
            step_id = event.step_id if event.type == "STEP_SUCCEEDED" else None
            if ahead and step_id and event.seq not in known.outputs:
                fresh, digest = runs.fresh_output_digest(run_id, event.seq)
                if fresh:
                    known.outputs[event.seq] = digest
                else:
                    reads[event.seq] = partial(runs.step_output_digest, run_id, step_id)
            if touches_leads(event) and ahead and known.leads is None:
                known.leads = outputs.take_fresh_leads(run_id)
                if known.leads is None:
                    reads["leads"] = partial(outputs.leads_for_run, run_id)
            ends_empty = event.type in FINAL_EVENTS and not (view.leads or known.leads)
            if ends_empty and ahead and known.places is None:
                reads["places"] = partial(runs.places_found, run_id)
            if self.mail is not None and _drafts_sequences(event) and known.sequences is None:
                known.sequences = outputs.take_fresh_sequences(run_id)
                if known.sequences is None:
                    reads["sequences"] = partial(self.store.outbox.overviews_for_run, run_id)
        return known, reads

    async def _read_for(
        self, run_id: str, view: RunView, events: list[LeadPlanEvent], known: _Reads | None
    ) -> _Reads:
        """What rendering `events` needs, the reads made at once, each in its own reader
        connection."""
        known, reads = self._plan_reads(run_id, view, events, known)
        if not reads:
            return known
        values = dict(zip(reads, await asyncio.gather(*(r() for r in reads.values())), strict=True))
        known.outputs.update((key, value) for key, value in values.items() if isinstance(key, int))
        known.leads = values.get("leads", known.leads)
        known.sequences = values.get("sequences", known.sequences)
        known.places = values.get("places", known.places)
        return known

    def render_group(
        self,
        view: RunView,
        events: list[LeadPlanEvent],
        sequences: list[SequenceOverview] | None = None,
    ) -> list[Update]:
        """One update per event, from one render of the view as the last event left it: each
        event's update appends its row to the log, and the last one also carries every piece
        of the page the group touched."""
        self.renders += 1
        template = self.env.get_template(UPDATE)
        html = template.render(
            **page_context(view),
            events=events,
            whole=any(e.type in EVERY_STEP for e in events),
            touched=list(dict.fromkeys(e.step_id for e in events if e.step_id in view.steps)),
            funnel_changed=any(e.type == "STEP_SUCCEEDED" for e in events),
            # the table is only sent when the list changed (it can be hundreds of rows)
            leads_changed=any(
                touches_leads(e) or (e.type in FINAL_EVENTS and not view.leads) for e in events
            ),
            sequences=sequences,
            mail=self.mail,
        )
        marked = _marked_parts(html)
        state = tuple(part for part in marked if not part[0].startswith(APPENDED))
        rows = {key[1:]: html for key, html in marked if key.startswith(APPENDED)}
        updates = []
        for index, event in enumerate(events):
            row = ((APPENDED, rows[str(event.seq)]),)
            parts = state + row if index == len(events) - 1 else row
            message = sse_bytes("".join(h for _, h in parts), event="update", seq=event.seq)
            updates.append(Update(event.seq, message, parts))
        return updates


def _marked_parts(html: str) -> list[tuple[str, str]]:
    """(key, html) for each part of a render, in order, without the spaces before a marker."""
    pieces = html.split(PART)[1:]  # (what comes before the first marker is no part)
    parts = []
    for index, piece in enumerate(pieces):
        key, _, part = piece.partition(PART_END)
        parts.append((key, part if index == len(pieces) - 1 else part.rstrip()))
    return parts


def touches_leads(event: LeadPlanEvent) -> bool:
    return event.type == "STEP_SUCCEEDED" and event.step_tool == LEAD_LIST_SAVE


def _drafts_sequences(event: LeadPlanEvent) -> bool:
    """The event whose update shows the run's email sequences: the step that drafted them."""
    return event.type == "STEP_SUCCEEDED" and event.step_tool == EMAIL_SEQUENCE_SETUP


def _fits(view: RunView, events: list[LeadPlanEvent]) -> bool:
    """The view can apply `events` (those it has not passed come next, one after another)."""
    ahead = [e for e in events if e.seq > view.last_seq]
    return events[0].seq <= view.last_seq + 1 and all(
        b.seq == a.seq + 1 for a, b in itertools.pairwise(ahead)
    )


def _retrieved(render: asyncio.Future[dict[int, Update]]) -> None:
    """A render that failed with nobody left waiting is not reported as a lost exception: the
    viewers that wait re-raise it themselves."""
    if not render.cancelled():
        render.exception()


def _keep(messages: OrderedDict[int, Any], seq: int, message: Any) -> None:
    messages[seq] = message
    while len(messages) > KEEP_MESSAGES:
        messages.popitem(last=False)


class _Folded(BaseLoader):
    """The templates of `loader`, each line break and the indentation around it made one
    space (the same HTML to a browser): every byte of an update is sent to every viewer."""

    def __init__(self, loader: BaseLoader | None) -> None:
        assert loader is not None
        self.loader = loader

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = self.loader.get_source(environment, template)
        return LINE_BREAKS.sub(" ", source), filename, uptodate
