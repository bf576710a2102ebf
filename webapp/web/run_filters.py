"""The history's filters read from a query string: a state it does not know is a 400 that
says which states there are, never an empty page that looks like "no runs"."""

from __future__ import annotations

from starlette.datastructures import QueryParams

from webapp.core.models import RUN_STATUSES
from webapp.web.errors import ApiError


def status_filter(params: QueryParams) -> str | None:
    """The run state asked for (`status=`), or None for any."""
    status = params.get("status") or None
    if status is not None and status not in RUN_STATUSES:
        shown = status if len(status) <= 40 else status[:40] + "…"
        raise ApiError(
            400,
            "bad_status",
            f"There is no run state “{shown}”; use one of {', '.join(RUN_STATUSES)}.",
            field="status",
        )
    return status
