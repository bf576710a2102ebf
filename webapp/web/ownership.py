"""Everything a person sees is theirs: a run (with its steps, events, leads, sequences and
outbox), a monitor. Another person's object answers exactly as one that does not exist, so an
id tells nobody whether it is in use."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request

from webapp.runtime import RunNotFound
from webapp.store import RunRecord
from webapp.store.monitors import MonitorRecord
from webapp.web.app_state import manager_of, store_of
from webapp.web.auth import auth_of, user_of
from webapp.web.errors import ApiError
from webapp.web.limits import wait_words


async def owned_run(request: Request, run_id: str) -> RunRecord:
    run = await store_of(request).runs.get(run_id)
    if run is None or run.user_id != user_of(request).user_id:
        raise RunNotFound(run_id)
    return run


async def check_owned_run(request: Request, run_id: str) -> None:
    """As `owned_run`, for a route that needs only to know (no plan read and parsed; no read
    at all for a run this process executes)."""
    if await manager_of(request).owner(run_id) != user_of(request).user_id:
        raise RunNotFound(run_id)


def owned_monitor(request: Request, monitor: MonitorRecord | None) -> MonitorRecord:
    if monitor is None or monitor.user_id != user_of(request).user_id:
        raise HTTPException(404)
    return monitor


def may_start_run(request: Request) -> None:
    """Refuse a run beyond the user's rate (429, with how long to wait)."""
    wait = auth_of(request).run_starts.take(user_of(request).user_id)
    if wait > 0:
        raise ApiError(
            429,
            "too_many_runs",
            f"You are starting runs faster than {request.app.state.settings.runs_per_minute} "
            f"a minute. Try again in {wait_words(wait)}.",
            headers={"Retry-After": str(int(wait) + 1)},
        )
