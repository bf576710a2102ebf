"""The Monitors page: every monitor with its last and next run and its last result, and the
actions on one (pause, resume, delete, run now). htmx requests get the updated row (or nothing,
once deleted); plain forms are sent back to the page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from webapp.core.models import parse_timestamp
from webapp.runtime.accounts import LOCAL_USER
from webapp.runtime.monitors import MonitorScheduler
from webapp.store.monitors import CHECK_FAILED, PAUSED, MonitorRecord
from webapp.web.auth import user_of
from webapp.web.formatting import ago
from webapp.web.ownership import may_start_run, owned_monitor
from webapp.web.pages import is_htmx, render

ACTIONS = ("pause", "resume", "delete", "run")


@dataclass(frozen=True)
class MonitorRow:
    """A monitor as its row shows it, times already put in words."""

    monitor: MonitorRecord
    last_run: str
    next_run: str
    result: str
    failed: bool

    @classmethod
    def of(cls, monitor: MonitorRecord, now: datetime) -> MonitorRow:
        check = monitor.last_check
        return cls(
            monitor=monitor,
            last_run=ago(monitor.last_run_at, now) if monitor.last_run_at else "never",
            next_run="paused" if monitor.status == PAUSED else until(monitor.next_run_at, now),
            result=check.summary if check is not None else "",
            failed=check is not None and check.status == CHECK_FAILED,
        )


def until(timestamp: str, now: datetime) -> str:
    """How far off a moment is: "in 7 days", "in 3 h", "in 12 min", "due now"."""
    seconds = (parse_timestamp(timestamp) - now).total_seconds()
    if seconds <= 0:
        return "due now"
    if seconds < 60:
        return "in under a minute"
    if seconds < 3600:
        return f"in {max(1, round(seconds / 60))} min"
    if seconds < 86400:
        return f"in {max(1, round(seconds / 3600))} h"
    days = round(seconds / 86400)
    return f"in {days} day{'s' if days != 1 else ''}"


def _scheduler(request: Request) -> MonitorScheduler:
    scheduler: MonitorScheduler = request.app.state.monitors
    return scheduler


async def monitors_page(request: Request) -> Response:
    scheduler = _scheduler(request)
    now = scheduler.clock()
    user = user_of(request)
    mine = await scheduler.monitors.list_monitors(user.user_id)
    rows = [MonitorRow.of(m, now) for m in mine]
    orphans = [MonitorRow.of(m, now) for m in await orphaned(request)]
    return render(request, "monitors.html", {"rows": rows, "orphans": orphans})


async def orphaned(request: Request) -> list[MonitorRecord]:
    """For an admin, the monitors of people who were removed (paused then): theirs to see and
    delete. Nobody else sees them."""
    user = user_of(request)
    if not user.is_admin or user.user_id == LOCAL_USER.user_id:  # (no accounts: no one removed)
        return []
    return await _scheduler(request).monitors.orphaned()


async def monitor_action(request: Request) -> Response:
    """POST /monitors/{id}/pause | resume | delete | run."""
    monitor_id = request.path_params["monitor_id"]
    action = request.path_params["action"]
    if action not in ACTIONS:
        raise HTTPException(404)
    scheduler = _scheduler(request)
    repository = scheduler.monitors
    if action == "delete" and monitor_id in {m.monitor_id for m in await orphaned(request)}:
        await repository.delete(monitor_id)  # a removed person's, deleted by an admin
        return Response("") if is_htmx(request) else RedirectResponse("/monitors", 303)
    owned_monitor(request, await repository.get(monitor_id))
    if action == "delete":
        if not await repository.delete(monitor_id):
            raise HTTPException(404)
        return Response("") if is_htmx(request) else RedirectResponse("/monitors", 303)
    if action == "run":
        may_start_run(request)  # a check searches the provider again: it counts as a run
        found = await scheduler.run_now(monitor_id) is not None
    elif action == "pause":
        found = await repository.pause(monitor_id) is not None
    else:
        found = await repository.resume(monitor_id) is not None
    monitor = await repository.get(monitor_id) if found else None
    if monitor is None:
        raise HTTPException(404)
    if not is_htmx(request):
        return RedirectResponse("/monitors", 303)
    row = MonitorRow.of(monitor, scheduler.clock())
    return render(request, "_monitor_row.html", {"row": row})


routes = [
    Route("/monitors", monitors_page, methods=["GET"]),
    Route("/monitors/{monitor_id}/{action:str}", monitor_action, methods=["POST"]),
]
