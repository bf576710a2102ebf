"""Settings from the options typed (over the environment's), and a setting's problem put in
words naming what the user set it by: the option, or else the environment variable."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from webapp.settings import Settings
from webapp.tools.providers.choice import email_providers

SETTING_OPTIONS = {  # each setting an option sets, and the option: errors name what was typed
    "db": "--db",
    "host": "--host",
    "port": "--port",
    "workers": "--workers",
    "demo_failure_rate": "--demo-failure-rate",
    "demo_latency_ms": "--demo-latency-ms",
    "max_concurrency": "--max-concurrency",
    "retry_max_retries": "--retries",
    "email_providers": "--email-providers",
}
BOUND_WORDS = {  # pydantic's error type: (its limit in the error's ctx, how to say it)
    "greater_than_equal": ("ge", "must be {} or more"),
    "greater_than": ("gt", "must be more than {}"),
    "less_than_equal": ("le", "must be {} or less"),
    "less_than": ("lt", "must be less than {}"),
}


def settings_from(args: argparse.Namespace) -> Settings:
    options = {
        setting: getattr(args, option.removeprefix("--").replace("-", "_"), None)
        for setting, option in SETTING_OPTIONS.items()
    }
    if getattr(args, "limit", 1) < 1:
        raise ValueError("--limit must be 1 or more.")
    if options["email_providers"] is not None:
        try:
            options["email_providers"] = ",".join(email_providers(options["email_providers"]))
        except ValueError as error:
            raise ValueError(
                str(error).replace("email_providers", "--email-providers", 1)
            ) from None
    given = {key: value for key, value in options.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as error:
        raise ValueError(_setting_problems(error, given)) from None


def _setting_problems(error: ValidationError, given: Mapping[str, object]) -> str:
    """Each problem under the name the user set it by: the option typed, or else the
    environment variable (PORT and the like are their own names in the error)."""
    problems = []
    for problem in error.errors():
        name = ".".join(map(str, problem["loc"]))
        if name in given:
            name = SETTING_OPTIONS[name]
        elif name in Settings.model_fields:
            name = f"LEADGEN_{name.upper()}"
        problems.append(f"{name} {_must(problem)}")
    return "; ".join(problems).removesuffix(".") + "."


def _must(problem: ErrorDetails) -> str:
    kind, context, got = problem["type"], problem.get("ctx", {}), problem["input"]
    if kind in BOUND_WORDS:
        limit, words = BOUND_WORDS[kind]
        return f"{words.format(_plain(context[limit]))} (got {_plain(got)})"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"must be a whole number (got {got!r})"
    if kind in ("float_parsing", "float_type"):
        return f"must be a number (got {got!r})"
    if kind == "literal_error":
        return f"must be {context['expected']} (got {got!r})"
    if kind == "value_error":  # a validator's own words
        return problem["msg"].removeprefix("Value error, ")
    return f"is unusable ({problem['msg']})"


def _plain(number: object) -> object:
    """5 rather than the 5.0 of a float setting or option, as the user would write it."""
    return int(number) if isinstance(number, float) and number.is_integer() else number
