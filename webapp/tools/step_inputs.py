"""What a tool reads from its step: checked parameters and the output of its source step.

Bad or missing input is a permanent `ToolError` whose message names the step and the fix.
"""

from __future__ import annotations

from typing import Any

from webapp.core.errors import ToolError
from webapp.core.leads import Lead, leads_from_data
from webapp.core.tooling import ToolEnv


def text_param(params: dict[str, Any], env: ToolEnv, name: str, *, example: str) -> str:
    """A required, non-empty text parameter."""
    value = params.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ToolError(
            f"Step {env.step.id} needs a non-empty text parameter {name!r} (e.g. {example!r}); "
            f"it got {value!r}.",
            retryable=False,
        )
    return value.strip()


def optional_text(params: dict[str, Any], env: ToolEnv, name: str) -> str | None:
    value = params.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ToolError(
            f"Step {env.step.id}'s parameter {name!r} must be text; it got {value!r}.",
            retryable=False,
        )
    return value.strip()


def int_param(
    params: dict[str, Any], env: ToolEnv, name: str, *, low: int, high: int, default: int | None
) -> int | None:
    """A whole number from `low` to `high`; `default` when it is absent."""
    value = params.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ToolError(
            f"Step {env.step.id}'s parameter {name!r} must be a whole number from {low} to "
            f"{high}; it got {value!r}.",
            retryable=False,
        )
    return value


def source_output(params: dict[str, Any], env: ToolEnv) -> tuple[str, dict[str, Any]]:
    """The id and output of the step named by `sourceStepId`, which must have succeeded."""
    source = text_param(params, env, "sourceStepId", example="google_places_1")
    result = env.prior_results.get(source)
    if result is None:
        raise ToolError(
            f"Step {env.step.id} needs the output of step {source}, which is not in this run.",
            retryable=False,
        )
    if result.status != "succeeded":
        raise ToolError(
            f"Step {env.step.id} needs the output of step {source}, but step {source} did not "
            f"succeed ({result.status}).",
            retryable=False,
        )
    if not isinstance(result.data, dict):
        raise ToolError(
            f"Step {env.step.id} cannot read the output of step {source}: it is not a record.",
            retryable=False,
        )
    return source, result.data


def source_leads(params: dict[str, Any], env: ToolEnv, *keys: str) -> tuple[str, list[Lead]]:
    """The businesses or leads the source step produced, under the first of `keys` it has."""
    source, data = source_output(params, env)
    return source, leads_in(data, env, source, *keys)


def leads_in(data: dict[str, Any], env: ToolEnv, source: str, *keys: str) -> list[Lead]:
    """The leads in a source step's output, under the first of `keys` it has."""
    rows = next((data[key] for key in keys if key in data), None)
    if not isinstance(rows, list):
        raise ToolError(
            f"Step {env.step.id} needs {' or '.join(keys)} from step {source}, whose output "
            "has none.",
            retryable=False,
        )
    try:
        return leads_from_data(rows)
    except ValueError as error:
        raise ToolError(
            f"Step {env.step.id} cannot read the leads of step {source}: {error}",
            retryable=False,
        ) from error


def lead_json(lead: Lead) -> dict[str, Any]:
    """A lead as tool outputs carry it: camelCase, without empty fields."""
    return lead.model_dump(mode="json", by_alias=True, exclude_none=True)
