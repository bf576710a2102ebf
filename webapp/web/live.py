"""Each event of a run rendered once, for every viewer: the HTML update (htmx out-of-band
swaps) and the JSON message, already encoded as SSE bytes.

A run's RunView is shared: the first viewer to need event N applies it and renders; the others
reuse the bytes. A viewer asking for an event the view has passed (a reconnect) gets it rendered
from the present state, which is the truth the page should end on anyway.

Updates are rendered from the page's templates with each line break and the indentation around
it folded into one space (the same HTML to a browser): every byte is sent to every viewer.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from jinja2 import BaseLoader, Environment, meta
from sse_starlette import ServerSentEvent
from starlette.templating import Jinja2Templates

from webapp.core.models import EMAIL_SEQUENCE_SETUP, LEAD_LIST_SAVE, LeadPlanEvent
from webapp.store import Store
from webapp.store.outbox import SequenceOverview, sequences_for_run
from webapp.web.run_view import FINAL_EVENTS, RunView, page_context
from webapp.web.sequences import MailView

KEEP_MESSAGES = 512
KEEP_RUNS = 128
UPDATE = "_update.html"
LINE_BREAKS = re.compile(r"\s*\n\s*")


@dataclass
class _RunCache:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)  # one renderer per event waits
    view: RunView | None = None
    html: OrderedDict[int, bytes] = field(default_factory=OrderedDict)
    json: OrderedDict[int, bytes] = field(default_factory=OrderedDict)
    rendering: dict[int, asyncio.Future[bytes]] = field(default_factory=dict)


def sse_bytes(data: str, *, event: str, seq: int | None = None) -> bytes:
    return ServerSentEvent(data=data, event=event, id=None if seq is None else str(seq)).encode()


class LiveFragments:
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

    async def html_message(self, run_id: str, event: LeadPlanEvent) -> bytes:
        """The first viewer to need an event starts its render; every viewer awaits that one
        render, so a thousand viewers cost one render and never queue on a lock. The render is
        a task of its own: a viewer leaving (its stream cancelled) never cancels it for the
        others waiting on it."""
        cache = self._cache(run_id)
        message = cache.html.get(event.seq)
        if message is not None:
            return message
        pending = cache.rendering.get(event.seq)
        if pending is None:
            pending = asyncio.ensure_future(self._render(cache, run_id, event))
            pending.add_done_callback(_retrieved)
            cache.rendering[event.seq] = pending
        return await asyncio.shield(pending)

    async def _render(self, cache: _RunCache, run_id: str, event: LeadPlanEvent) -> bytes:
        try:
            async with cache.lock:  # views advance one event at a time, in order
                view = await self._advance(cache, run_id, event)
                sequences = await self._sequences(run_id, event)
                update = self.render_update(view, event, sequences)
                message = sse_bytes(update, event="update", seq=event.seq)
            _keep(cache.html, event.seq, message)
            return message
        finally:
            del cache.rendering[event.seq]

    async def _advance(self, cache: _RunCache, run_id: str, event: LeadPlanEvent) -> RunView:
        view = cache.view
        if view is not None and event.seq <= view.last_seq:
            return view  # a replay for a reconnecting page: the present state is the truth
        if view is None or event.seq != view.last_seq + 1:
            snapshot = await self.store.runs.snapshot(run_id)
            if snapshot is None:
                raise LookupError(run_id)
            view = cache.view = RunView.from_snapshot(*snapshot)
            view.leads = await self.store.outputs.leads_for_run(run_id)
            return view
        output = None
        if event.type == "STEP_SUCCEEDED" and event.step_id:
            output = await self.store.runs.step_output(run_id, event.step_id)
        view.apply(event, output)
        if touches_leads(event):
            view.leads = await self.store.outputs.leads_for_run(run_id)
        return view

    async def _sequences(self, run_id: str, event: LeadPlanEvent) -> list[SequenceOverview] | None:
        """The run's email sequences, when this event is the one that drafted them."""
        if self.mail is None or not (
            event.type == "STEP_SUCCEEDED" and event.step_tool == EMAIL_SEQUENCE_SETUP
        ):
            return None
        return await sequences_for_run(self.store, run_id)

    def render_update(
        self,
        view: RunView,
        event: LeadPlanEvent,
        sequences: list[SequenceOverview] | None = None,
    ) -> str:
        self.renders += 1
        template = self.env.get_template(UPDATE)
        return template.render(
            **page_context(view),
            event=event,
            sequences=sequences,
            mail=self.mail,
            # the table is only sent when the list changed (it can be hundreds of rows)
            leads_changed=touches_leads(event) or (event.type in FINAL_EVENTS and not view.leads),
        )


def touches_leads(event: LeadPlanEvent) -> bool:
    return event.type == "STEP_SUCCEEDED" and event.step_tool == LEAD_LIST_SAVE


def _retrieved(render: asyncio.Future[bytes]) -> None:
    """A render that failed with nobody left waiting is not reported as a lost exception: the
    viewers that wait re-raise it themselves."""
    if not render.cancelled():
        render.exception()


def _keep(messages: OrderedDict[int, bytes], seq: int, message: bytes) -> None:
    messages[seq] = message
    while len(messages) > KEEP_MESSAGES:
        messages.popitem(last=False)


class _Folded(BaseLoader):
    """The templates of `loader`, each line break and the indentation around it made one
    space."""

    def __init__(self, loader: BaseLoader | None) -> None:
        assert loader is not None
        self.loader = loader

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = self.loader.get_source(environment, template)
        return LINE_BREAKS.sub(" ", source), filename, uptodate
