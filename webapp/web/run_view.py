"""What a run page shows, as state: built from a stored snapshot, then advanced event by event."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from webapp.core.executor import REUSED_SUMMARY
from webapp.core.leads import Lead, delivered_words, email_counts
from webapp.core.models import (
    GOOGLE_PLACES_SEARCH,
    HUNTER_DOMAIN_LOOKUP,
    HUNTER_ENRICH,
    LEAD_LIST_SAVE,
    LeadGenPlan,
    LeadPlanEvent,
    StepAttempt,
    StepStatus,
)
from webapp.core.status import count_by_status
from webapp.store.records import RunRecord, StepRecord
from webapp.tools.providers.choice import provider_label
from webapp.web.formatting import between
from webapp.web.graph import GraphStep, layout
from webapp.web.lead_table import LeadPage, LeadQuery, lead_page
from webapp.web.state_marks import RETRYABLE_RUN

RECENT_EVENTS = 50
FINAL_EVENTS = frozenset({"PLAN_COMPLETED", "RUN_INTERRUPTED"})


@dataclass
class StepView:
    step_id: str
    tool: str
    label: str
    gist: str
    depends_on: list[str]
    status: str = "pending"
    attempts: int = 0
    attempt_log: list[StepAttempt] = field(default_factory=list)
    started_at: str | None = None
    finished_at: str | None = None
    error_message: str | None = None
    blocked_by: str | None = None
    summary: str | None = None
    output: Any = None  # what the page shows of it: the store's digest (runs.OUTPUT_DIGEST)

    @property
    def reused(self) -> bool:
        """Whether a retry took this step's output from the run it retried, not running it."""
        return self.status == "succeeded" and self.summary == REUSED_SUMMARY

    def seconds_running(self, now: str | None = None) -> float:
        """The attempts' running time; one still running counts up to `now` if given."""
        return sum(between(a.started_at, a.finished_at or now) or 0 for a in self.attempt_log)

    def retry_in(self, now: str) -> float | None:
        """Seconds until a retrying step's next try (0 when it is due), else None."""
        last = self.attempt_log[-1] if self.attempt_log else None
        if self.status != "retrying" or last is None or not last.retry_delay_ms:
            return None
        waited = between(last.finished_at, now) or 0
        return max(0.0, last.retry_delay_ms / 1000 - waited)

    def seconds_waiting(self) -> float:
        return sum((a.retry_delay_ms or 0) / 1000 for a in self.attempt_log)


@dataclass
class RunView:
    """The page renders a RunView at sequence S; the live stream applies each later event to a
    shared RunView and renders the parts the event touched from it, so every fragment carries
    the full state of what it replaces (replaying one is harmless)."""

    run_id: str
    goal: str
    plan: LeadGenPlan
    status: str
    created_at: str
    started_at: str | None
    finished_at: str | None
    parent_run_id: str | None
    last_seq: int
    steps: dict[str, StepView]
    events: list[LeadPlanEvent]
    leads: list[Lead] = field(default_factory=list)
    places: list[Lead] = field(default_factory=list)  # what it found, when it saved no lead
    providers: list[str] = field(default_factory=list)  # the run's choice: [places, emails]
    demo: bool = True
    budget: dict[str, Any] = field(default_factory=dict)
    retries: list[str] = field(default_factory=list)  # the runs started as retries of this one
    runs_ahead: int | None = None  # waiting for a run slot here: how many runs wait before it
    lead_query: LeadQuery = field(default_factory=LeadQuery)  # the leads table's search & sort

    @classmethod
    def from_snapshot(
        cls, run: RunRecord, steps: list[StepRecord], events: list[LeadPlanEvent]
    ) -> RunView:
        by_id = {step.step_id: step for step in steps}
        views = {}
        for plan_step in run.plan.steps:
            stored = by_id.get(plan_step.id)
            view = StepView(
                step_id=plan_step.id,
                tool=plan_step.tool,
                label=plan_step.label or plan_step.tool,
                gist=params_gist(plan_step.params),
                depends_on=list(plan_step.depends_on),
            )
            if stored is not None:
                view.status = stored.status
                view.attempts = stored.attempts
                view.attempt_log = list(stored.attempt_log)
                view.started_at, view.finished_at = stored.started_at, stored.finished_at
                view.error_message, view.blocked_by = stored.error_message, stored.blocked_by
                view.summary, view.output = stored.summary, stored.output
            views[plan_step.id] = view
        return cls(
            run_id=run.run_id,
            goal=run.goal,
            plan=run.plan,
            status=run.status,
            created_at=run.created_at,
            started_at=run.started_at,
            finished_at=run.finished_at,
            parent_run_id=run.parent_run_id,
            last_seq=max([run.last_seq, *(e.seq for e in events)]),
            steps=views,
            events=events[-RECENT_EVENTS:],
            demo=bool(run.options.get("demo", True)),
            providers=[str(p) for p in run.options.get("providers") or []],
            budget=dict(run.options.get("budget") or {}),
        )

    def delivered(self) -> str | None:
        """What the run delivered against what it asked for, once it saved its list or ended."""
        if not self.leads and not self.finished:
            return None
        with_email, verified = email_counts(self.leads)
        words = delivered_words(len(self.leads), self.plan.goal.volume, with_email, verified)
        return words if self.leads else f"{words}: {self.why_no_leads()}"

    def lead_table(self) -> LeadPage:
        """The page of the leads table that `lead_query` asks for."""
        return lead_page(self.leads, self.lead_query)

    def why_no_leads(self) -> str:
        """Why a finished run saved no lead, in words: the step that failed, or the search that
        found nothing."""
        if self.status == "cancelled":
            return "the run was cancelled before its list was saved"
        for step in self.steps.values():
            if step.status == "failed":
                return f"“{step.label}” failed ({step.error_message or 'no reason given'})"
        return "the search found no business to save"

    def spent(self) -> dict[str, float]:
        """Requests, credits and cache hits of the steps that finished, from their outputs."""
        total = {"requests": 0.0, "credits": 0.0, "cached": 0.0}
        for step in self.steps.values():
            for usage in step_usage(step).values():
                for key in total:
                    total[key] += float(usage.get(key, 0) or 0)
        return total

    @property
    def finished(self) -> bool:
        return self.status not in ("pending", "running")

    def counts(self) -> dict[str, int]:
        return count_by_status(step.status for step in self.steps.values())

    def apply(self, event: LeadPlanEvent, output: Any = None) -> None:
        """Advance by one event; `output` is the digest of the step's stored output for
        STEP_SUCCEEDED."""
        self.last_seq = max(self.last_seq, event.seq)
        self.events = [*self.events[-(RECENT_EVENTS - 1) :], event]
        if event.type in ("PLAN_STARTED", "RUN_RESUMED"):
            self.status = "running"
            self.started_at = self.started_at or event.timestamp
            self.finished_at = None
        elif event.type == "PLAN_COMPLETED":
            self.status = event.status or "failed"
            self.finished_at = event.timestamp
        elif event.type == "RUN_INTERRUPTED":
            self.status = "interrupted"
            self.finished_at = event.timestamp
            for step in self.steps.values():
                if step.status in ("running", "retrying"):
                    step.status = "pending"
                    cut_off = step.attempt_log[-1] if step.attempt_log else None
                    if cut_off is not None and cut_off.finished_at is None:  # as the store does
                        cut_off.finished_at = event.timestamp
                        cut_off.status = "cancelled"
                        cut_off.error_message = event.summary
        touched = self.steps.get(event.step_id or "")
        if touched is not None:
            _apply_to_step(touched, event, output)


def _apply_to_step(step: StepView, event: LeadPlanEvent, output: Any) -> None:
    if event.status:
        step.status = event.status
    if event.type == "STEP_STARTED":
        step.attempts = event.attempt or step.attempts + 1
        step.started_at = step.started_at or event.timestamp
        step.attempt_log.append(
            StepAttempt(attempt=step.attempts, started_at=event.timestamp, status="running")
        )
        return
    current = step.attempt_log[-1] if step.attempt_log else None
    if current is not None and current.finished_at is None:
        current.finished_at = event.timestamp
        ended: dict[str, StepStatus] = {
            "STEP_SUCCEEDED": "succeeded",
            "STEP_CANCELLED": "cancelled",
        }
        current.status = ended.get(event.type, "failed")
        current.error_message = event.error_message
        current.retry_delay_ms = event.delay_ms
    if event.type == "STEP_RETRYING":
        step.error_message = event.error_message
    elif event.type in ("STEP_SUCCEEDED", "STEP_FAILED", "STEP_SKIPPED", "STEP_CANCELLED"):
        step.finished_at = event.timestamp
        step.summary = event.summary or step.summary
        step.blocked_by = event.blocked_by or step.blocked_by
        step.error_message = event.error_message if event.type == "STEP_FAILED" else None
        if event.type == "STEP_SUCCEEDED" and output is not None:
            step.output = output


def step_usage(step: StepView) -> dict[str, dict[str, Any]]:
    """What a step spent, per provider, as its output records it."""
    output = step.output if isinstance(step.output, dict) else {}
    usage = output.get("usage")
    return usage if isinstance(usage, dict) else {}


def page_context(view: RunView) -> dict[str, Any]:
    """What the run page's templates need, for the whole page and for each live update."""
    graph = layout(
        [
            GraphStep(
                s.step_id,
                s.tool,
                s.label,
                s.gist,
                s.depends_on,
                s.status,
                s.attempts,
                served_by(s.tool, s.output, view.providers),
            )
            for s in view.steps.values()
        ]
    )
    return {
        "view": view,
        "graph": graph,
        "funnel": funnel(view),
        "in_the_list": left_out(view),
        "retryable": RETRYABLE_RUN,
    }


# which of the run's providers ([places, emails]) serves each tool
_PROVIDER_KIND = {GOOGLE_PLACES_SEARCH: 0, HUNTER_DOMAIN_LOOKUP: 1, HUNTER_ENRICH: 1}


def served_by(tool: str, output: Any, chosen: list[str]) -> str:
    """Who serves a step, in words: the provider its output names, else the one the run chose
    for its kind of tool ([places, emails]); "" for a step no provider serves."""
    named = output.get("provider") if isinstance(output, dict) else None
    if not named:
        index = _PROVIDER_KIND.get(tool)
        named = chosen[index] if index is not None and index < len(chosen) else None
    return provider_label(str(named)) if named else ""


def params_gist(params: dict[str, Any]) -> str:
    """The few words of a step's parameters a person needs to see in the graph."""
    parts = []
    if "query" in params:
        where = ", ".join(str(params[k]) for k in ("region", "country") if params.get(k))
        parts.append(f"{params['query']}" + (f" · {where}" if where else ""))
    if "maxResults" in params:
        parts.append(f"up to {params['maxResults']}")
    if "listName" in params:
        parts.append(f"“{params['listName']}”")
    if "maxLeads" in params:
        parts.append(f"max {params['maxLeads']}")
    if "steps" in params:
        parts.append(f"{params['steps']} emails")
    if "frequency" in params:
        parts.append(str(params["frequency"]))
    if not parts and "sourceStepId" in params:
        parts.append(f"from {params['sourceStepId']}")
    return " · ".join(parts)


def left_out(view: RunView) -> str | None:
    """What the saved list holds and what it left out, in words that add up to the table:
    "86 with an email, 66 verified; not saved: 8 repeats of a business already in it, 12 beyond
    the 100 asked for"."""
    save = next(
        (s for s in view.steps.values() if s.tool == LEAD_LIST_SAVE and s.status == "succeeded"),
        None,
    )
    if save is None or not isinstance(save.output, dict) or not view.leads:
        return None
    with_email, verified = email_counts(view.leads)
    words = f"{with_email} with an email, {verified} verified"
    repeats, over = save.output.get("duplicatesDropped") or 0, save.output.get("overCap") or 0
    parts = []
    if repeats:
        parts.append(f"{repeats} repeat{'s' if repeats != 1 else ''} of a business already in it")
    if over:
        parts.append(f"{over} beyond the {view.plan.goal.volume} asked for")
    return f"{words}; not saved: {', '.join(parts)}" if parts else words


def funnel(view: RunView) -> list[tuple[str, int | None]]:
    """Places found → with a website → domains → emails → verified, from the digests of the
    step outputs, → saved: the leads in the table (the list keeps the goal's number, so it can
    hold fewer than the emails found)."""
    places = domains = enriched = None
    saved = None
    for step in view.steps.values():
        if step.tool == LEAD_LIST_SAVE and step.status == "succeeded":
            saved = len(view.leads)
        if not isinstance(step.output, dict):
            continue
        if step.tool == GOOGLE_PLACES_SEARCH:
            places = step.output
        elif step.tool == HUNTER_DOMAIN_LOOKUP:
            domains = step.output
        elif step.tool == HUNTER_ENRICH:
            enriched = step.output
    by_provider = (enriched or {}).get("byProvider") or {}
    found_by = [
        (f"… from {provider_label(provider, short=True)}", count)
        for provider, count in by_provider.items()
        if len(by_provider) > 1 or provider == "website"
    ]
    return [
        ("Places found", places.get("count") if places else None),
        ("With a website", places.get("websites") if places else None),
        ("Domains", domains.get("withDomain") if domains else None),
        ("Emails", enriched.get("withEmail") if enriched else None),
        *found_by,
        ("Verified", enriched.get("verified") if enriched else None),
        ("Saved in the list below", saved),
    ]
