"""The HTML pages and form actions: the goal form and plan preview, starting a run, the run
page, its actions, the history, the CSV and the health check. Every form works without
JavaScript; htmx requests get fragments instead of whole pages."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from webapp.core import LeadGenPlan, PlanContext, plan_lead_generation
from webapp.core.models import RUN_STATUSES, SupervisorUserContext
from webapp.leads_csv import leads_to_csv
from webapp.runtime import RunNotFound
from webapp.settings import Settings
from webapp.store.records import RunRow
from webapp.tools.estimate import estimate_provider_calls, estimate_warnings
from webapp.web.app_state import manager_of, settings_of, store_of
from webapp.web.auth import user_of
from webapp.web.forms import read_form
from webapp.web.graph import GraphStep, layout
from webapp.web.json_response import JSONResponse
from webapp.web.lead_table import BadLeadQuery, LeadQuery, lead_page
from webapp.web.loop_lag import LoopLagMonitor
from webapp.web.ownership import check_owned_run, may_start_run, owned_run
from webapp.web.run_filters import status_filter
from webapp.web.run_request import InvalidRunRequest, RunRequest, form_fields
from webapp.web.run_view import RunView, page_context, params_gist, served_by
from webapp.web.sequences import sequence_context

RECENT_RUNS = 8
HISTORY_PAGE = 25


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


COMPARE_WITH = 5  # other runs a run page offers to compare with


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    response: Response = request.app.state.templates.TemplateResponse(
        request, name, context, status_code=status
    )
    return response


def plan_for(asked: RunRequest, settings: Settings, user_id: str) -> LeadGenPlan:
    """The plan of what `asked` asks for; InvalidRunRequest naming the field the goal fails on."""
    goal = asked.lead_gen_goal(settings)
    context = PlanContext(
        user_id=user_id,
        default_region=settings.default_region,
        default_country=settings.default_country,
    )
    return plan_lead_generation(goal, context)


def typed_budget(form: FormData) -> dict[str, Any]:
    """The budget typed in the preview, to show again with the updated plan or an error."""
    typed = form_fields(form)["budget"]
    return {"budget": {key: (value or "")[:40] for key, value in typed.items()}}


def typed_fields(form: FormData) -> dict[str, Any]:
    """What the user typed in the preview's fields, to show again beside an error."""
    if form.get("overrides") != "1":
        return {}
    typed = form_fields(form)
    names = ("persona", "region", "country", "volume", "email", "monitoring")
    return {"fields": {name: "" if typed[name] is None else typed[name] for name in names}}


def beside_fields(error: InvalidRunRequest) -> dict[str, str]:
    """The errors the goal form shows beside its fields, each by the field it is about."""
    return error.field_errors() or {"goal": error.message}


def plan_graph(plan: LeadGenPlan, providers: list[str] | None = None) -> Any:
    """The plan's graph; each node names who will serve it ([places, emails] chosen)."""
    chosen = providers or []
    return layout(
        [
            GraphStep(
                s.id,
                s.tool,
                s.label or s.tool,
                params_gist(s.params),
                list(s.depends_on),
                provider=served_by(s.tool, None, chosen),
            )
            for s in plan.steps
        ]
    )


async def index(request: Request) -> Response:
    return await _index(request, {})


async def _index(request: Request, extra: dict[str, Any], status: int = 200) -> Response:
    recent = await store_of(request).history.page(
        limit=RECENT_RUNS, with_counts=False, user_id=user_of(request).user_id
    )
    context = {"recent": recent.runs, "goal": "", "errors": {}, "plan": None, **extra}
    return render(request, "index.html", context, status)


async def preview(request: Request) -> Response:
    """POST /plan: the parsed fields and the plan, for checking before starting it."""
    form = await read_form(request)
    settings = settings_of(request)
    goal_text = form.get("goal", "")
    try:
        asked = RunRequest.from_form(form)
        plan = plan_for(asked, settings, user_of(request).user_id)
    except InvalidRunRequest as error:
        failed = {"goal": goal_text, "errors": beside_fields(error)}
        failed |= typed_fields(form) | typed_budget(form)
        if is_htmx(request):
            return render(request, "_preview.html", {**failed, "plan": None}, 422)
        return await _index(request, failed, 422)
    options = asked.run_options(settings)
    chosen = asked.provider_choices()
    context: dict[str, Any] = {
        "goal": goal_text,
        "errors": {},
        "plan": plan,
        "options": options,
        "keys": {
            "google": bool(settings.google_places_api_key),
            "hunter": bool(settings.hunter_api_key),
        },
        "graph": plan_graph(plan, options["providers"]),
        "estimate": estimate_provider_calls(plan, settings, chosen),
        "warnings": estimate_warnings(settings, chosen),
        **typed_budget(form),
    }
    if is_htmx(request):
        return render(request, "_preview.html", context)
    return await _index(request, context)


async def start_run(request: Request) -> Response:
    """POST /runs: start the (previewed) plan and go to its page."""
    user = user_of(request)
    form = await read_form(request)
    goal_text = form.get("goal", "")
    try:
        asked = RunRequest.from_form(form)
        plan = plan_for(asked, settings_of(request), user.user_id)
    except InvalidRunRequest as error:
        failed = {"goal": goal_text, "errors": beside_fields(error)}
        return await _index(request, failed | typed_fields(form) | typed_budget(form), 422)
    options = asked.run_options(settings_of(request))
    may_start_run(request)
    run_id = await manager_of(request).start_run(
        plan, SupervisorUserContext(user_id=user.user_id), options=options
    )
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


def lead_query(request: Request) -> LeadQuery:
    """The leads table's search, filters, sort and page from the URL; 400 when unreadable."""
    try:
        return LeadQuery.from_params(request.query_params)
    except BadLeadQuery as exc:
        raise HTTPException(400, f"The leads table cannot show this: {exc}.") from None


async def run_page(request: Request) -> Response:
    query = lead_query(request)
    view = await load_view(request, request.path_params["run_id"])
    view.lead_query = query
    context = {**page_context(view), **await sequence_context(request, view.run_id)}
    context["similar"] = await similar_runs(request, view.run_id, view.plan.goal.target_persona)
    return render(request, "run.html", context)


async def similar_runs(request: Request, run_id: str, persona: str) -> list[RunRow]:
    """The user's other finished runs for the same kind of business, newest first: what a run
    page offers to compare with."""
    page = await store_of(request).history.page(
        q=persona,
        user_id=user_of(request).user_id,
        limit=COMPARE_WITH,
        with_counts=False,
        ended_only=True,
        leave_out=run_id,
    )
    return page.runs


async def load_view(request: Request, run_id: str) -> RunView:
    store = store_of(request)
    snapshot = await store.runs.snapshot(run_id, digests=True)
    # the snapshot has the run's owner: another's run answers as a missing one (ownership.py)
    if snapshot is None or snapshot[0].user_id != user_of(request).user_id:
        raise RunNotFound(run_id)
    view = RunView.from_snapshot(*snapshot)
    view.leads = await store.outputs.leads_for_run(run_id)
    view.retries = await store.runs.retries_of(run_id)
    if view.status == "pending":
        view.runs_ahead = manager_of(request).runs_ahead(run_id)
    if not view.leads and view.finished:
        view.places = await store.runs.places_found(run_id)
    return view


async def run_waiting(request: Request) -> Response:
    """GET /runs/{id}/waiting: how many runs a queued run waits behind, for its page to ask
    again while it waits (an emptied fragment once it has started)."""
    run_id = request.path_params["run_id"]
    run = await owned_run(request, run_id)
    runs_ahead = manager_of(request).runs_ahead(run_id) if run.status == "pending" else None
    context = {"status": run.status, "run_id": run_id, "runs_ahead": runs_ahead}
    return render(request, "_run_waiting.html", context)


async def run_action(request: Request) -> Response:
    """POST /runs/{id}/cancel | resume | retry."""
    run_id = request.path_params["run_id"]
    action = request.path_params["action"]
    if action not in ("cancel", "resume", "retry"):
        raise HTTPException(404)
    await check_owned_run(request, run_id)
    manager = manager_of(request)
    target = run_id
    if action == "cancel":
        await manager.cancel(run_id)
    elif action == "resume":
        await manager.resume(run_id)
    else:
        form = await read_form(request)
        step = form.get("step")
        may_start_run(request)
        target = await manager.retry(run_id, step if isinstance(step, str) and step else None)
    if is_htmx(request) and target == run_id:
        view = await load_view(request, run_id)
        return render(request, "_actions.html", page_context(view))
    response = RedirectResponse(f"/runs/{target}", status_code=303)
    if is_htmx(request):
        response.headers["HX-Redirect"] = f"/runs/{target}"
    return response


async def history(request: Request) -> Response:
    params = request.query_params
    status = status_filter(params)
    q = params.get("q") or None
    page = await store_of(request).history.page(
        status=status,
        q=q,
        cursor=params.get("cursor") or None,
        limit=HISTORY_PAGE,
        user_id=user_of(request).user_id,
    )
    context = {
        "page": page,
        "status": status or "",
        "statuses": RUN_STATUSES,
        "q": q or "",
        "cursor": params.get("cursor"),
    }
    return render(request, "runs.html", context)


async def lead_results(request: Request) -> Response:
    """GET /runs/{id}/leads: one page of the leads table, searched, filtered and sorted as the
    URL asks (the fragment the table's form and links swap in; the address bar follows)."""
    run_id = request.path_params["run_id"]
    query = lead_query(request)
    await check_owned_run(request, run_id)
    leads = await store_of(request).outputs.leads_for_run(run_id)
    table = lead_page(leads, query)
    response = render(request, "_lead_results.html", {"table": table, "base": f"/runs/{run_id}"})
    link = table.query.link(page=table.page)
    response.headers["HX-Replace-Url"] = f"/runs/{run_id}" + (f"?{link}" if link else "")
    return response


async def leads_csv(request: Request) -> Response:
    """The run's leads as CSV, named after its goal and day, only those the table's search and
    filters let through when the URL carries them; a run that saved none gives the places it
    found, if any, and otherwise says there is nothing to download."""
    run_id = request.path_params["run_id"]
    query = lead_query(request)
    run = await owned_run(request, run_id)
    store = store_of(request)
    leads = await store.outputs.leads_for_run(run_id)
    what = "leads"
    if leads and (query.filtered or query.sort):
        leads = query.select(leads)
        if not leads:
            raise HTTPException(404, "No lead matches this search and these filters: no CSV.")
        what = "leads-filtered" if query.filtered else what
    if not leads:
        leads, what = await store.runs.places_found(run_id), "places-found"
    if not leads:
        raise HTTPException(404, "This run saved no leads and found no places: no CSV to download.")
    name = csv_file_name(run.goal, run.created_at, what)
    return Response(
        leads_to_csv(leads),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def csv_file_name(goal: str, created_at: str, what: str) -> str:
    """ "coffee-shops-in-manchester-leads-2026-12-06.csv": the goal's words, what, the day."""
    folded = unicodedata.normalize("NFKD", goal).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    words = words.removeprefix("find-")[:60].strip("-") or "run"
    return f"{words}-{what}-{created_at[:10]}.csv"


async def healthz(request: Request) -> Response:
    store = store_of(request)
    if not store.writer.alive:  # nothing could be saved: no run, no event, no account
        why = "the database writer has stopped; restart the server"
        return JSONResponse({"status": "unavailable", "reason": why}, status_code=503)
    try:
        await store.readers.fetchone("SELECT 1")
    except Exception:  # any failure to answer is what this check reports
        return JSONResponse({"status": "unavailable"}, status_code=503)
    loop_lag: LoopLagMonitor = request.app.state.loop_lag
    return JSONResponse({"status": "ok", "loopLagMaxMs": loop_lag.worst_ms})


routes = [
    Route("/", index, methods=["GET"]),
    Route("/plan", preview, methods=["POST"]),
    Route("/runs", start_run, methods=["POST"]),
    Route("/runs", history, methods=["GET"]),
    Route("/runs/{run_id}", run_page, methods=["GET"]),
    Route("/runs/{run_id}/leads.csv", leads_csv, methods=["GET"]),
    Route("/runs/{run_id}/leads", lead_results, methods=["GET"]),
    Route("/runs/{run_id}/waiting", run_waiting, methods=["GET"]),
    Route("/runs/{run_id}/{action:str}", run_action, methods=["POST"]),
    Route("/healthz", healthz, methods=["GET"]),
]
