"""The commands that work on runs in the store: run (persisted), runs, show, export, resume,
retry. Each opens the database, does its work and closes it; runs, show and export only read
one that exists, and make none."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from pathlib import Path

from rich.live import Live
from rich.markup import escape

from webapp.cli.console import (
    LiveProgress,
    event_table,
    goal_text,
    make_console,
    plan_table,
    runs_table,
    steps_table,
    summary,
)
from webapp.cli.exits import EXIT_OK, EXIT_RUN_NOT_OK, EXIT_USAGE
from webapp.cli.session import open_store, session
from webapp.core import LeadGenExecutionResult, LeadGenPlan, SupervisorUserContext
from webapp.core.leads import delivered_words, email_counts
from webapp.leads_csv import leads_to_csv
from webapp.runtime import RunManager, RunNotFound, RunStateError
from webapp.settings import Settings
from webapp.store import Store, StoreError


def _fail(message: str, status: int = EXIT_RUN_NOT_OK) -> int:
    make_console(stderr=True).print(
        f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True
    )
    return status


async def run_goal(
    plan: LeadGenPlan,
    settings: Settings,
    *,
    user_id: str,
    as_json: bool,
    username: str | None = None,
) -> int:
    """Run the plan as `user_id`, or as the account called `username` when one is given."""
    try:
        async with session(settings) as (store, manager):
            if username is not None:
                account = await store.accounts.user_named(username)
                if account is None:
                    return _fail(f"there is no account called {username}.", EXIT_USAGE)
                user_id = account.user_id
            run_id = await manager.start_run(plan, SupervisorUserContext(user_id=user_id))
            return await _watch(store, manager, run_id, plan, after=0, as_json=as_json)
    except StoreError as error:
        return _fail(str(error))


async def resume_run(settings: Settings, run_id: str, *, as_json: bool) -> int:
    try:
        async with session(settings, existing=True) as (store, manager):
            run = await store.runs.get(run_id)
            if run is None:
                return _fail(f"There is no run {run_id!r}.")
            await manager.resume(run_id)
            return await _watch(
                store, manager, run_id, run.plan, after=run.last_seq, as_json=as_json
            )
    except (RunStateError, StoreError) as error:
        return _fail(str(error))


async def retry_run(
    settings: Settings, run_id: str, from_step: str | None, *, as_json: bool
) -> int:
    try:
        async with session(settings, existing=True) as (store, manager):
            run = await store.runs.get(run_id)
            if run is None:
                return _fail(f"There is no run {run_id!r}.")
            new_id = await manager.retry(run_id, from_step)
            if not as_json:
                make_console().print(f"Retrying {run_id} as new run {new_id}")
            return await _watch(store, manager, new_id, run.plan, after=0, as_json=as_json)
    except (RunStateError, StoreError, ValueError) as error:
        return _fail(str(error))


async def _watch(
    store: Store, manager: RunManager, run_id: str, plan: LeadGenPlan, *, after: int, as_json: bool
) -> int:
    console = make_console()
    loop = asyncio.get_running_loop()
    cancelling: list[asyncio.Task[object]] = []

    def on_interrupt() -> None:  # Ctrl-C: cancel the run cleanly, once
        if not cancelling:
            cancelling.append(asyncio.ensure_future(manager.cancel(run_id)))

    # (an event loop without signal handlers, as on Windows, or off the main thread: Ctrl-C
    # then interrupts as Python's default does)
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
    progress = LiveProgress(plan)
    progress.seed(await store.runs.steps(run_id))
    if not as_json:
        console.print(goal_text(plan))
        console.print(f"Run [bold]{run_id}[/bold]  (Ctrl-C cancels it)", highlight=False)
    live = Live(progress, console=console, refresh_per_second=8) if console.is_terminal else None
    try:
        if live is not None and not as_json:
            live.start()
        async for event in manager.subscribe(run_id, after):
            progress.apply(event)
            if live is None and not as_json:
                console.print(progress.line(event), highlight=False, markup=False)
    finally:
        if live is not None and live.is_started:
            live.stop()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
    await manager.wait(run_id)
    result = await execution_result(store, run_id)
    leads = await store.outputs.leads_for_run(run_id)
    if as_json:
        print(json.dumps(result.model_dump(mode="json", by_alias=True), indent=2))
    else:
        console.print(summary(result, leads))
    return EXIT_OK if result.overall_status == "succeeded" else EXIT_RUN_NOT_OK


async def execution_result(store: Store, run_id: str) -> LeadGenExecutionResult:
    run = await store.runs.get(run_id)
    if run is None:
        raise RunNotFound(run_id)
    steps = await store.runs.steps(run_id)
    status = run.status if run.status not in ("pending", "running") else "interrupted"
    return LeadGenExecutionResult(
        plan_id=run.plan_id,
        run_id=run.run_id,
        overall_status=status,
        started_at=run.started_at or run.created_at,
        finished_at=run.finished_at or run.started_at or run.created_at,
        step_results=[step.as_result() for step in steps],
    )


async def list_runs(
    settings: Settings, *, status: str | None, q: str | None, limit: int, as_json: bool
) -> int:
    try:
        async with open_store(settings, existing=True) as store:
            page = await store.history.page(status=status, q=q, limit=limit)
    except StoreError as error:
        return _fail(str(error))
    if as_json:
        print(page.model_dump_json(by_alias=True, indent=2))
    else:
        make_console().print(runs_table(page))
    return EXIT_OK


async def show_run(settings: Settings, run_id: str, *, as_json: bool) -> int:
    try:
        async with open_store(settings, existing=True) as store:
            snapshot = await store.runs.snapshot(run_id)
            if snapshot is None:
                return _fail(f"There is no run {run_id!r}.")
            leads = await store.outputs.leads_for_run(run_id)
            result = await execution_result(store, run_id)
    except StoreError as error:
        return _fail(str(error))
    run, steps, events = snapshot
    if as_json:
        document = {
            "run": run.model_dump(mode="json", by_alias=True),
            "steps": [step.model_dump(mode="json", by_alias=True) for step in steps],
            "events": [event.model_dump(mode="json", by_alias=True) for event in events],
            "leads": [lead.model_dump(mode="json", by_alias=True) for lead in leads],
        }
        print(json.dumps(document, indent=2))
        return EXIT_OK
    console = make_console()
    console.print(goal_text(run.plan))
    console.print(
        f"Run [bold]{run.run_id}[/bold]: {run.status}"
        + (f" (retry of {run.parent_run_id})" if run.parent_run_id else ""),
        highlight=False,
    )
    with_email, verified = email_counts(leads)
    wanted = run.plan.goal.volume
    console.print(delivered_words(len(leads), wanted, with_email, verified), highlight=False)
    console.print(plan_table(run.plan))
    console.print(steps_table(steps))
    console.print(event_table(events))
    console.print(summary(result, leads, steps_shown=False))
    return EXIT_OK


async def export_run(settings: Settings, run_id: str, output: str | None) -> int:
    try:
        async with open_store(settings, existing=True) as store:
            if await store.runs.get(run_id) is None:
                return _fail(f"There is no run {run_id!r}.")
            leads = await store.outputs.leads_for_run(run_id)
    except StoreError as error:
        return _fail(str(error))
    text = leads_to_csv(leads)
    if output is None:
        sys.stdout.write(text)
    else:
        try:
            await asyncio.to_thread(Path(output).write_text, text, encoding="utf-8", newline="")
        except OSError as error:
            return _fail(f"cannot write --output {output}: {_write_failure(output, error)}.")
        make_console(stderr=True).print(f"Wrote {len(leads)} leads to {output}", highlight=False)
    return EXIT_OK


def _write_failure(output: str, error: OSError) -> str:
    folder = Path(output).parent
    if isinstance(error, FileNotFoundError) and not folder.is_dir():
        return f"there is no folder {folder}"
    return error.strerror or str(error)
