"""The JSON API, for scripts: start, list, read and cancel runs, and read their leads.
Errors are `{"error": {"code": ..., "message": ...}}` with the right status code."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from webapp.core.models import SupervisorUserContext
from webapp.core.status import count_by_status
from webapp.web.app_state import manager_of, store_of
from webapp.web.auth import user_of
from webapp.web.errors import ApiError
from webapp.web.forms import read_body
from webapp.web.json_response import JSONResponse
from webapp.web.lead_table import lead_page
from webapp.web.numbers import whole_number
from webapp.web.ownership import check_owned_run, may_start_run, owned_run
from webapp.web.pages import lead_query, plan_for
from webapp.web.run_filters import status_filter
from webapp.web.run_request import RunRequest

MAX_LIMIT = 200


async def run_document(request: Request, run_id: str) -> dict[str, Any]:
    run = await owned_run(request, run_id)
    steps = await store_of(request).runs.steps(run_id)
    return {
        "run": run.model_dump(mode="json", by_alias=True),
        "runId": run_id,
        "steps": [step.model_dump(mode="json", by_alias=True) for step in steps],
        "counts": count_by_status(step.status for step in steps),
    }


async def create_run(request: Request) -> Response:
    asked = RunRequest.from_json(await read_body(request))
    settings = request.app.state.settings
    plan = plan_for(asked, settings, user_of(request).user_id)
    options = asked.run_options(settings)
    may_start_run(request)
    run_id = await manager_of(request).start_run(
        plan, SupervisorUserContext(user_id=user_of(request).user_id), options=options
    )
    document = await run_document(request, run_id)
    return JSONResponse(document, status_code=201, headers={"Location": f"/api/runs/{run_id}"})


async def list_runs(request: Request) -> Response:
    params = request.query_params
    raw_limit = params.get("limit", "50")
    limit = whole_number(raw_limit)
    if limit is None or not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, "bad_limit", f"limit must be a whole number from 1 to {MAX_LIMIT}.")
    page = await store_of(request).history.page(
        status=status_filter(params),
        q=params.get("q") or None,
        cursor=params.get("cursor") or None,
        limit=limit,
        user_id=user_of(request).user_id,
    )
    return JSONResponse(page.model_dump(mode="json", by_alias=True))


async def get_run(request: Request) -> Response:
    return JSONResponse(await run_document(request, request.path_params["run_id"]))


async def cancel_run(request: Request) -> Response:
    await check_owned_run(request, request.path_params["run_id"])
    outcome = await manager_of(request).cancel(request.path_params["run_id"])
    return JSONResponse(
        {"runId": outcome.run_id, "status": outcome.status, "message": outcome.message},
        status_code=202 if outcome.status in ("cancelling", "requested") else 200,
    )


async def get_leads(request: Request) -> Response:
    """A run's leads: all of them, or those the table's parameters ask for (`q`,
    `has_email`, `verified`, `status`, `source`, `sort`, `order`), 50 a page when `page` is
    given. `count` is how many are in the answer, `matching` how many the filters let through,
    `total` how many the run saved."""
    run_id = request.path_params["run_id"]
    query = lead_query(request)
    await check_owned_run(request, run_id)
    leads = await store_of(request).outputs.leads_for_run(run_id)
    document: dict[str, object] = {"runId": run_id, "total": len(leads)}
    if "page" in request.query_params:
        table = lead_page(leads, query)
        chosen = table.rows
        document.update(matching=table.matching, page=table.page, pages=table.pages)
    else:
        chosen = query.select(leads)
        document["matching"] = len(chosen)
    document["count"] = len(chosen)
    document["leads"] = [lead.model_dump(mode="json", by_alias=True) for lead in chosen]
    return JSONResponse(document)


routes = [
    Route("/api/runs", create_run, methods=["POST"]),
    Route("/api/runs", list_runs, methods=["GET"]),
    Route("/api/runs/{run_id}", get_run, methods=["GET"]),
    Route("/api/runs/{run_id}/cancel", cancel_run, methods=["POST"]),
    Route("/api/runs/{run_id}/leads", get_leads, methods=["GET"]),
]
