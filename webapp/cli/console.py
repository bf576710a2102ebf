"""Terminal rendering for the CLI: the plan, a live progress table, and the run's summary."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from webapp.core.leads import Lead, delivered_words
from webapp.core.models import (
    LeadGenExecutionResult,
    LeadGenPlan,
    LeadPlanEvent,
    parse_timestamp,
)
from webapp.core.status import count_by_status
from webapp.store.records import RunPage, StepRecord

STATE_STYLE = {
    "pending": ("○", "dim"),
    "running": ("◐", "cyan"),
    "retrying": ("↻", "yellow"),
    "succeeded": ("✓", "green"),
    "failed": ("✗", "red"),
    "skipped": ("⤼", "dim"),
    "cancelled": ("■", "magenta"),
    "partial": ("◑", "yellow"),
    "interrupted": ("⚡", "yellow"),
}
LEAD_PREVIEW_ROWS = 10


def state_text(state: str) -> Text:
    icon, style = STATE_STYLE.get(state, ("?", ""))
    return Text(f"{icon} {state}", style=style)


def format_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def plan_table(plan: LeadGenPlan) -> Table:
    table = Table(title=f"Plan {plan.id}", title_justify="left", show_lines=False)
    table.add_column("Step", overflow="fold")
    table.add_column("Tool", overflow="fold")
    table.add_column("After")
    table.add_column("Parameters")
    for step in plan.steps:
        params = ", ".join(f"{key}={value}" for key, value in step.params.items())
        table.add_row(step.id, step.tool, ", ".join(step.depends_on) or "-", params)
    return table


def goal_text(plan: LeadGenPlan) -> Text:
    goal = plan.goal
    extras = [f"volume {goal.volume}"]
    if goal.target_country:
        extras.append(f"country {goal.target_country}")
    if "email" in goal.preferred_channels:
        extras.append("email sequence")
    if goal.include_monitoring:
        extras.append("monitoring")
    return Text.assemble(
        ("Goal: ", "bold"),
        goal.raw_goal,
        "\n",
        ("Parsed: ", "bold"),
        f"{goal.target_persona} in {goal.target_region or '(default region)'}; ",
        "; ".join(extras),
    )


class LiveProgress:
    """Tracks each step's state from the run's events; renders itself as a table."""

    def __init__(self, plan: LeadGenPlan, *, clock: Any = time.monotonic) -> None:
        self.plan = plan
        self.clock = clock
        self.state = {step.id: "pending" for step in plan.steps}
        self.attempt = {step.id: 0 for step in plan.steps}
        self.detail = {step.id: "" for step in plan.steps}
        self.started: dict[str, float] = {}
        self.elapsed: dict[str, float] = {}
        self.run_started = clock()

    def apply(self, event: LeadPlanEvent) -> None:
        step_id = event.step_id
        if step_id is None or step_id not in self.state:
            return
        if event.status:
            self.state[step_id] = event.status
        if event.attempt:
            self.attempt[step_id] = event.attempt
        now = self.clock()
        if event.type == "STEP_STARTED":
            self.started.setdefault(step_id, now)
            self.detail[step_id] = ""
        elif event.type in ("STEP_SUCCEEDED", "STEP_FAILED", "STEP_CANCELLED", "STEP_SKIPPED"):
            self.elapsed[step_id] = now - self.started.get(step_id, now)
        if event.type == "STEP_RETRYING":
            self.detail[step_id] = f"{event.error_message} — retrying in {event.delay_ms} ms"
        elif event.type == "STEP_FAILED":
            self.detail[step_id] = event.error_message or ""
        elif event.summary:
            self.detail[step_id] = event.summary

    def seed(self, steps: list[StepRecord]) -> None:
        """Start from the stored state of a run's steps (a resumed run keeps what it did)."""
        for step in steps:
            if step.step_id in self.state:
                self.state[step.step_id] = step.status
                self.attempt[step.step_id] = step.attempts
                self.detail[step.step_id] = step.summary or step.error_message or ""
                if step.status in ("succeeded", "failed", "skipped", "cancelled"):
                    self.elapsed[step.step_id] = _step_seconds(step.started_at, step.finished_at)

    def line(self, event: LeadPlanEvent) -> str:
        """One plain line per event, for output that is not a terminal."""
        parts = [f"[{event.seq:>3}]", event.type]
        if event.step_id:
            parts.append(event.step_id)
        if event.attempt:
            parts.append(f"attempt {event.attempt}")
        if event.error_message:
            parts.append(f"error: {event.error_message}")
        if event.delay_ms is not None:
            parts.append(f"retry in {event.delay_ms} ms")
        if event.summary:
            parts.append(f"— {event.summary}")
        return " ".join(parts)

    def __rich__(self) -> RenderableType:
        table = Table(title=f"Running {self.plan.id}", title_justify="left")
        for column in ("Step", "Tool", "State", "Attempt", "Elapsed", "Detail"):
            table.add_column(column, overflow="fold" if column in ("Step", "Tool") else "ellipsis")
        now = self.clock()
        for step in self.plan.steps:
            if step.id in self.elapsed:
                elapsed = format_duration(self.elapsed[step.id])
            elif step.id in self.started:
                elapsed = format_duration(now - self.started[step.id])
            else:
                elapsed = "-"
            table.add_row(
                step.id,
                step.tool,
                state_text(self.state[step.id]),
                str(self.attempt[step.id] or "-"),
                elapsed,
                self.detail[step.id],
            )
        counts = count_by_status(self.state.values())
        footer = " · ".join(f"{n} {state}" for state, n in counts.items())
        return Group(table, Text(f"{footer}   ({format_duration(now - self.run_started)})"))


def summary(
    result: LeadGenExecutionResult, leads: list[Lead], *, steps_shown: bool = True
) -> Group:
    started, finished = parse_timestamp(result.started_at), parse_timestamp(result.finished_at)
    head = Text.assemble(
        ("Overall status: ", "bold"),
        state_text(result.overall_status),
        f"   in {format_duration((finished - started).total_seconds())}",
    )
    steps = Table(title="Steps", title_justify="left")
    for column in ("Step", "State", "Attempts", "Duration", "Result"):
        steps.add_column(column)
    for step in result.step_results:
        duration = _duration_text(step.started_at, step.finished_at)
        detail = step.error_message or ""
        if step.blocked_by:
            detail = f"blocked by {step.blocked_by}"
        elif not detail and isinstance(step.data, dict):
            detail = str(step.data.get("summary", ""))
        steps.add_row(step.step_id, state_text(step.status), str(step.attempts), duration, detail)
    if not steps_shown:
        return Group(head, leads_table(leads))
    return Group(head, steps, leads_table(leads))


def leads_table(leads: list[Lead]) -> RenderableType:
    if not leads:
        return Text("No leads saved.")
    table = Table(
        title=f"Leads: {len(leads)} saved (first {min(len(leads), LEAD_PREVIEW_ROWS)} shown)",
        title_justify="left",
    )
    for column in ("Business", "Contact", "Email", "Status", "Conf.", "Phone", "Source", "Notes"):
        table.add_column(column)
    for lead in leads[:LEAD_PREVIEW_ROWS]:
        contact = " ".join(p for p in (lead.contact_first_name, lead.contact_last_name) if p)
        if lead.contact_title:
            contact = f"{contact} ({lead.contact_title})" if contact else lead.contact_title
        table.add_row(
            lead.business_name,
            contact or "-",
            lead.email or ("no website" if not lead.domain else "-"),
            lead.email_status or "-",
            str(lead.email_confidence) if lead.email_confidence is not None else "-",
            lead.phone or "-",
            lead.source,
            lead.notes or "",
        )
    return table


PIPED_WIDTH = 160  # output that is not a terminal (a file, a pipe) has room for whole ids


def make_console(*, stderr: bool = False) -> Console:
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:
        console.width = PIPED_WIDTH
    return console


def _step_seconds(started_at: str | None, finished_at: str | None) -> float:
    if not started_at or not finished_at:
        return 0.0
    return (parse_timestamp(finished_at) - parse_timestamp(started_at)).total_seconds()


def _duration_text(started_at: str | None, finished_at: str | None) -> str:
    if not started_at or not finished_at:
        return "-"
    return format_duration(_step_seconds(started_at, finished_at))


def steps_table(steps: list[StepRecord]) -> Table:
    table = Table(title="Steps", title_justify="left")
    for column in ("Step", "State", "Attempts", "Duration", "Result"):
        table.add_column(column, overflow="fold")
    for step in steps:
        detail = step.error_message or step.summary or ""
        if step.blocked_by:
            detail = f"blocked by {step.blocked_by}"
        tries = "; ".join(
            f"#{a.attempt} {a.status}" + (f" ({a.error_message})" if a.error_message else "")
            for a in step.attempt_log
            if a.status != "succeeded"
        )
        if tries:
            detail = f"{detail}\n{tries}" if detail else tries
        table.add_row(
            step.step_id,
            state_text(step.status),
            str(step.attempts),
            _duration_text(step.started_at, step.finished_at),
            detail,
        )
    return table


def event_table(events: list[LeadPlanEvent]) -> Table:
    table = Table(title=f"Event log ({len(events)} events)", title_justify="left")
    for column in ("Seq", "Time", "Event", "Step", "Attempt", "Detail"):
        table.add_column(column, overflow="fold")
    for event in events:
        detail = event.error_message or event.summary or ""
        if event.delay_ms is not None:
            detail = f"{detail} (retry in {event.delay_ms} ms)"
        if event.blocked_by:
            detail = f"blocked by {event.blocked_by}"
        table.add_row(
            str(event.seq),
            event.timestamp[11:23],
            event.type,
            event.step_id or "",
            str(event.attempt or ""),
            detail,
        )
    return table


def runs_table(page: RunPage) -> RenderableType:
    counts = " · ".join(f"{n} {status}" for status, n in sorted(page.counts.items()))
    table = Table(title=f"Runs ({counts or 'none yet'})", title_justify="left")
    for column in ("Run", "Created", "State", "Leads", "Goal", "Steps"):
        table.add_column(column, overflow="fold")
    for run in page.runs:
        table.add_row(
            run.run_id,
            run.created_at[:19].replace("T", " "),
            state_text(run.status),
            delivered_words(
                run.lead_count, run.leads_wanted, run.leads_with_email, run.leads_verified
            ),
            run.goal,
            run.summary or "",
        )
    if page.next_cursor:
        return Group(table, Text("More runs: use --limit to see more."))
    return table
