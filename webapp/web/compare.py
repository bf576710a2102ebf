"""Comparing two runs of a similar goal: the leads that are new, gone and changed, as a page,
as JSON, and the new ones as CSV."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from webapp.core.compare import Comparison, compare_leads
from webapp.leads_csv import leads_to_csv
from webapp.store import RunRecord
from webapp.tools.step_inputs import lead_json
from webapp.web.app_state import store_of
from webapp.web.json_response import JSONResponse
from webapp.web.ownership import owned_run
from webapp.web.pages import csv_file_name, render


async def compared(request: Request) -> tuple[RunRecord, RunRecord, Comparison]:
    """The two runs (both the user's, else 404) and their leads compared."""
    run = await owned_run(request, request.path_params["run_id"])
    other = await owned_run(request, request.path_params["other"])
    store = store_of(request)
    current = await store.outputs.leads_for_run(run.run_id)
    earlier = await store.outputs.leads_for_run(other.run_id)
    return run, other, compare_leads(current, earlier)


async def compare_page(request: Request) -> Response:
    """GET /runs/{id}/compare/{other}."""
    run, other, comparison = await compared(request)
    context = {"run": run, "other": other, "comparison": comparison}
    return render(request, "compare.html", context)


async def compare_api(request: Request) -> Response:
    """GET /api/runs/{id}/compare/{other}."""
    run, other, comparison = await compared(request)
    return JSONResponse(
        {
            "runId": run.run_id,
            "otherRunId": other.run_id,
            "counts": comparison.counts(),
            "new": [lead_json(lead) for lead in comparison.new],
            "gone": [lead_json(lead) for lead in comparison.gone],
            "changed": [
                {"lead": lead_json(c.lead), "was": lead_json(c.was), "what": c.what}
                for c in comparison.changed
            ],
        }
    )


async def new_leads_csv(request: Request) -> Response:
    """GET /runs/{id}/compare/{other}/new.csv: the leads the other run did not have."""
    run, _, comparison = await compared(request)
    name = csv_file_name(run.goal, run.created_at, "new-leads")
    return Response(
        leads_to_csv(comparison.new),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


routes = [
    Route("/runs/{run_id}/compare/{other}", compare_page, methods=["GET"]),
    Route("/runs/{run_id}/compare/{other}/new.csv", new_leads_csv, methods=["GET"]),
    Route("/api/runs/{run_id}/compare/{other}", compare_api, methods=["GET"]),
]
