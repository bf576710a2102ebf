"""Reading the goal form and the API's run body into a goal, field by field, with errors that
name the field. Bodies have a size limit; nothing is started from an invalid one."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request

from webapp.core import GoalError, LeadGenGoal, parse_goal
from webapp.settings import Settings
from webapp.tools.providers.choice import (
    chosen_email_providers,
    chosen_provider,
    validate_overrides,
)
from webapp.web.errors import ApiError
from webapp.web.numbers import whole_number

MAX_BODY_BYTES = 64 * 1024
OVERRIDE_FIELDS = ("persona", "region", "country", "volume", "email", "monitoring")
RUN_OPTION_FIELDS = ("places_provider", "email_provider", "email_providers", "budget")
PROVIDER_FIELDS = RUN_OPTION_FIELDS[:3]


async def read_body(request: Request) -> bytes:
    declared = whole_number(request.headers.get("content-length", ""))  # unreadable: counted below
    if declared is not None and declared > MAX_BODY_BYTES:
        raise ApiError(413, "too_large", f"The request body is over {MAX_BODY_BYTES:,} bytes.")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(413, "too_large", f"The request body is over {MAX_BODY_BYTES:,} bytes.")
    return bytes(body)


async def read_form(request: Request) -> FormData:
    """A URL-encoded form (all of ours are), read within the body limit."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in ("", "application/x-www-form-urlencoded"):
        raise ApiError(415, "unsupported", "Send the form as application/x-www-form-urlencoded.")
    body = await read_body(request)
    try:
        pairs: list[tuple[str, str | UploadFile]] = list(
            parse_qsl(body.decode("utf-8"), keep_blank_values=True)
        )
    except UnicodeDecodeError as error:
        raise ApiError(400, "bad_form", "The form is not valid UTF-8.") from error
    return FormData(pairs)


def form_overrides(form: FormData) -> dict[str, Any]:
    """The parsed fields the preview form sends back. Only when the form showed them
    (`overrides=1`) does an unticked box mean "no"."""
    if form.get("overrides") != "1":
        return {}
    values: dict[str, Any] = {}
    for name in ("persona", "region", "country", "volume"):
        raw = form.get(name)
        if isinstance(raw, str):
            values[name] = raw.strip()
    values["email"] = form.get("email") == "on"
    values["monitoring"] = form.get("monitoring") == "on"
    return values


def goal_from(text: object, overrides: dict[str, Any], settings: Settings) -> LeadGenGoal:
    if not isinstance(text, str):
        raise GoalError("The goal must be text.", field="goal")
    cleaned = {k: v for k, v in overrides.items() if v is not None and v != ""}
    if overrides.get("region") == "":
        cleaned["region"] = ""
    return parse_goal(
        text,
        **cleaned,
        max_volume=settings.max_volume,
        default_volume=settings.default_volume,
    )


def run_options(values: Mapping[str, Any], settings: Settings) -> dict[str, Any]:
    """A run's options from a form or a body: its provider choices, checked, and whether any
    step will serve demo data (the pages label such runs)."""
    try:
        chosen = validate_overrides({key: values.get(key) for key in PROVIDER_FIELDS})
    except ValueError as error:
        field = next((k for k in RUN_OPTION_FIELDS if k in str(error)), "places_provider")
        raise ApiError(422, "invalid_provider", str(error), field) from error
    places = chosen_provider(settings, chosen, "places")
    emails = chosen_email_providers(settings, chosen)
    options: dict[str, Any] = {**chosen, "demo": "demo" in (places, *emails)}
    options["providers"] = [places, ",".join(emails)]
    budget = budget_of(values)
    if budget:
        options["budget"] = budget
    return options


def budget_of(values: Mapping[str, Any]) -> dict[str, float | int]:
    """A run's budget: {"requests": N, "credits": M}, from the API's `budget` object or the
    form's budget_requests / budget_credits fields. Empty means no budget."""
    given = values.get("budget")
    raw: dict[str, Any] = dict(given) if isinstance(given, dict) else {}
    if given is not None and not isinstance(given, dict):
        raise ApiError(422, "invalid_budget", 'budget must be an object like {"requests": 100}.')
    for key in ("requests", "credits"):
        form_value = values.get(f"budget_{key}")
        if isinstance(form_value, str) and form_value.strip():
            raw[key] = form_value.strip()
    unknown = set(raw) - {"requests", "credits"}
    if unknown:
        raise ApiError(
            422, "invalid_budget", f"Unknown budget field(s): {', '.join(sorted(unknown))}."
        )
    budget: dict[str, float | int] = {}
    for key, value in raw.items():
        if value is None or value == "":
            continue
        try:
            number = int(value) if key == "requests" else float(value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: int(Infinity)
            number = -1
        if isinstance(value, bool) or not 0 < number <= 1_000_000:
            raise ApiError(
                422,
                "invalid_budget",
                f"The {key} budget must be a number from 1 to 1,000,000.",
                f"budget_{key}",
            )
        budget[key] = number
    return budget


def api_run_request(body: bytes) -> tuple[object, dict[str, Any], dict[str, Any]]:
    """The goal, the goal's overrides and the run's options of a POST /api/runs body, or an
    ApiError saying what is wrong."""
    try:
        data = json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ApiError(400, "invalid_json", f"The body is not valid JSON ({error}).") from error
    except RecursionError as error:
        raise ApiError(400, "invalid_json", "The body's JSON is nested too deeply.") from error
    except ValueError as error:  # a number of thousands of digits, which Python will not read
        raise ApiError(400, "invalid_json", "The body has a number too long to read.") from error
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_body", 'Send a JSON object, e.g. {"goal": "Find 20 …"}.')
    known = ("goal", *OVERRIDE_FIELDS, *RUN_OPTION_FIELDS)
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ApiError(
            422,
            "unknown_field",
            f"Unknown field(s): {', '.join(unknown)}. Known: {', '.join(known)}.",
            unknown[0],
        )
    if "goal" not in data:
        raise ApiError(422, "invalid_goal", 'The body needs a "goal".', "goal")
    for flag in ("email", "monitoring"):
        if flag in data and data[flag] is not None and not isinstance(data[flag], bool):
            raise ApiError(422, "invalid_goal", f'"{flag}" must be true or false.', flag)
    options = {key: data.get(key) for key in RUN_OPTION_FIELDS}
    return data["goal"], {key: data.get(key) for key in OVERRIDE_FIELDS}, options
