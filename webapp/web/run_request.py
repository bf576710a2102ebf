"""What starting a run asks for, from POST /api/runs's JSON body or the goal form's fields: one
pydantic model (the goal, what the preview's fields say instead of its words, the providers,
the budget) whose problems become answers that name the field at fault."""

from __future__ import annotations

import json
import reprlib
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
)
from pydantic_core import ErrorDetails
from starlette.datastructures import FormData

from webapp.core import GoalError, LeadGenGoal, parse_goal
from webapp.core.goal_numbers import typed_count
from webapp.settings import EMAIL_PROVIDERS, Settings, parse_email_providers
from webapp.tools.providers.choice import (
    PLACES_PROVIDERS,
    chosen_email_providers,
    chosen_provider,
)
from webapp.web.errors import ApiError

OVERRIDE_FIELDS = ("persona", "region", "country", "volume", "email", "monitoring")
PROVIDER_FIELDS = ("places_provider", "email_provider", "email_providers")
BUDGET_LIMIT = 1_000_000


def _blank_is_none(value: object) -> object:
    return None if value == "" else value


def _lead_count(value: object) -> object:
    """A count read as the goal reader reads a typed one (`typed_count`); blank is none given.
    Anything else is left to the strict int to refuse."""
    count = typed_count(value)
    return count if count is not None else _blank_is_none(value)


def _amount(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("an amount, not true or false")
    return _blank_is_none(value)


def _one_of(allowed: tuple[str, ...]) -> Callable[[str], str]:
    def check(name: str) -> str:
        if name not in allowed:
            raise ValueError(f"not one of {', '.join(allowed)}")
        return name

    return check


def _provider_list(value: object) -> object:
    """Email providers in order, as a list or a comma-separated text, read by the rule the
    setting and the CLI use (`parse_email_providers`); blank or an empty list is no choice."""
    if value in ("", [], None):
        return None
    return parse_email_providers(value) if isinstance(value, str | list) else value


PlacesProvider = Annotated[StrictStr, AfterValidator(_one_of(PLACES_PROVIDERS))]
EmailProvider = Annotated[StrictStr, AfterValidator(_one_of(EMAIL_PROVIDERS))]
Requests = Annotated[int, Field(gt=0, le=BUDGET_LIMIT)]
Credits = Annotated[float, Field(gt=0, le=BUDGET_LIMIT, allow_inf_nan=False)]


class Budget(BaseModel):
    """The most provider requests and credits a run may spend; one not given has no limit."""

    model_config = ConfigDict(extra="forbid")

    requests: Annotated[Requests | None, BeforeValidator(_amount)] = None
    credits: Annotated[Credits | None, BeforeValidator(_amount)] = None

    def limits(self) -> dict[str, float | int]:
        return self.model_dump(exclude_none=True)


class RunRequest(BaseModel):
    """A run to start. An override left out, None or blank leaves that to the goal's words (a
    blank region is given: no region, the default one); a field it does not know is refused."""

    model_config = ConfigDict(extra="forbid")

    goal: StrictStr
    persona: Annotated[StrictStr | None, BeforeValidator(_blank_is_none)] = None
    region: StrictStr | None = None
    country: Annotated[StrictStr | None, BeforeValidator(_blank_is_none)] = None
    volume: Annotated[StrictInt | None, BeforeValidator(_lead_count)] = None
    email: StrictBool | None = None
    monitoring: StrictBool | None = None
    places_provider: Annotated[PlacesProvider | None, BeforeValidator(_blank_is_none)] = None
    email_provider: Annotated[EmailProvider | None, BeforeValidator(_blank_is_none)] = None
    email_providers: Annotated[list[str] | None, BeforeValidator(_provider_list)] = None
    budget: Budget | None = None

    @classmethod
    def checked(cls, data: object) -> RunRequest:
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            raise InvalidRunRequest(problems_of(error)) from error

    @classmethod
    def from_json(cls, body: bytes) -> RunRequest:
        """The request a POST /api/runs body makes; 400 when it is no JSON object."""
        try:
            data = json.loads(body or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ApiError(400, "invalid_json", f"The body is not valid JSON ({error}).") from error
        except RecursionError as error:
            raise ApiError(400, "invalid_json", "The body's JSON is nested too deeply.") from error
        except ValueError as error:  # a number of thousands of digits, which Python will not read
            raise ApiError(
                400, "invalid_json", "The body has a number too long to read."
            ) from error
        return cls.checked(data)

    @classmethod
    def from_form(cls, form: FormData) -> RunRequest:
        return cls.checked(form_fields(form))

    def lead_gen_goal(self, settings: Settings) -> LeadGenGoal:
        """The goal's words read with the overrides given; a GoalError is a problem of the
        field it names."""
        given = {name: getattr(self, name) for name in OVERRIDE_FIELDS}
        overrides = {name: value for name, value in given.items() if value is not None}
        try:
            return parse_goal(
                self.goal,
                **overrides,
                max_volume=settings.max_volume,
                default_volume=settings.default_volume,
            )
        except GoalError as error:
            problem = ApiError(422, "invalid_goal", error.message, error.field or "goal")
            raise InvalidRunRequest([problem]) from error

    def provider_choices(self) -> dict[str, str]:
        """The providers this run chose, as the run's options keep them."""
        chosen = {"places_provider": self.places_provider, "email_provider": self.email_provider}
        if self.email_providers:
            chosen["email_providers"] = ",".join(self.email_providers)
        return {key: name for key, name in chosen.items() if name}

    def run_options(self, settings: Settings) -> dict[str, Any]:
        """The run's options: its provider choices, who serves its steps, whether any of them
        serves demo data (the pages label such runs), and its budget."""
        chosen = self.provider_choices()
        places = chosen_provider(settings, chosen, "places")
        emails = chosen_email_providers(settings, chosen)
        options: dict[str, Any] = {**chosen, "demo": "demo" in (places, *emails)}
        options["providers"] = [places, ",".join(emails)]
        limits = self.budget.limits() if self.budget else {}
        if limits:
            options["budget"] = limits
        return options


FIELDS = tuple(RunRequest.model_fields)


def form_fields(form: FormData) -> dict[str, Any]:
    """The goal form's fields under the body's names, trimmed: the goal, the providers and the
    budget, and the preview's parsed fields only when it showed them (`overrides=1`), when an
    unticked box means "no". A field the form lacks is not given."""

    def typed(name: str) -> str | None:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else None

    fields: dict[str, Any] = {"goal": form.get("goal", "")}
    fields |= {name: typed(name) for name in PROVIDER_FIELDS}
    fields["budget"] = {key: typed(f"budget_{key}") for key in ("requests", "credits")}
    if form.get("overrides") == "1":
        fields |= {name: typed(name) for name in ("persona", "region", "country", "volume")}
        fields["email"] = form.get("email") == "on"
        fields["monitoring"] = form.get("monitoring") == "on"
    return fields


class InvalidRunRequest(ApiError):
    """A run request that cannot start: one problem per field at fault, the first to report
    first. An API answer names that one; a form shows each beside its field."""

    def __init__(self, problems: list[ApiError]) -> None:
        first = problems[0]
        super().__init__(first.status, first.code, first.message, first.field)
        self.problems = problems

    def field_errors(self) -> dict[str, str]:
        """Every problem by the form's field it is about (the first for each): the goal form
        shows each beside its field. A problem with no field of the form is the goal's."""
        errors: dict[str, str] = {}
        for problem in self.problems:
            field = FORM_FIELDS.get(problem.field or "goal", "goal")
            errors.setdefault(field, problem.message)
        return errors


# --- what a problem says ----------------------------------------------------------------

_SHORT = reprlib.Repr()  # a value shown in a message: short, and never deeper than 6 levels
_SHORT.maxstring = _SHORT.maxother = 40

# The form's field each problem is shown beside (the API's field names, as problems carry them).
FORM_FIELDS = {
    **{name: name for name in ("goal", "persona", "region", "country", "volume")},
    **{name: name for name in ("places_provider", "email_providers")},
    "email": "goal",  # (a tick box: only a hand-made post gets it wrong; said at the top)
    "monitoring": "goal",
    "email_provider": "email_providers",
    "budget": "budget_requests",
    "budget_requests": "budget_requests",
    "budget_credits": "budget_credits",
}

GOAL_MESSAGES = {
    "goal": "The goal must be text.",
    "persona": "The kind of business must be text.",
    "region": "The region must be text.",
    "country": "The country must be text.",
    "volume": "The number of leads must be a whole number, such as 20, not “{shown}”.",
    "email": '"email" must be true or false.',
    "monitoring": '"monitoring" must be true or false.',
}
PROVIDER_MESSAGES = {
    "places_provider": f"places_provider must be one of {', '.join(PLACES_PROVIDERS)}; got {{}}.",
    "email_provider": f"email_provider must be one of {', '.join(EMAIL_PROVIDERS)}; got {{}}.",
    "email_providers": (
        f"email_providers must name providers among {', '.join(EMAIL_PROVIDERS)}, in order "
        "(e.g. website,hunter); got {}."
    ),
}


def problems_of(error: ValidationError) -> list[ApiError]:
    """One problem per field, unknown fields first, then in the body's order."""
    details = error.errors(include_url=False)
    if any(detail["type"] == "model_type" and not detail["loc"] for detail in details):
        return [ApiError(400, "invalid_body", 'Send a JSON object, e.g. {"goal": "Find 20 …"}.')]
    problems: list[ApiError] = []
    unknown = _unknown_names([d for d in details if not d["loc"] or d["loc"][0] not in FIELDS])
    if unknown:
        problems.append(
            ApiError(
                422,
                "unknown_field",
                f"Unknown field(s): {', '.join(unknown)}. Known: {', '.join(FIELDS)}.",
                unknown[0],
            )
        )
    for name in FIELDS:
        about = [detail for detail in details if detail["loc"][:1] == (name,)]
        if about:
            problems.append(_problem(name, about))
    return problems


def _problem(name: str, details: list[ErrorDetails]) -> ApiError:
    first = details[0]
    value = first["input"]
    if name == "goal" and first["type"] == "missing":
        return ApiError(422, "invalid_goal", 'The body needs a "goal".', "goal")
    if name in GOAL_MESSAGES:
        shown = _printable(value if isinstance(value, str) else _SHORT.repr(value))[:30]
        return ApiError(422, "invalid_goal", GOAL_MESSAGES[name].format(shown=shown), name)
    if name in PROVIDER_MESSAGES:
        if first["type"] == "value_error":  # parse_email_providers said which, and why
            message = str(first.get("ctx", {}).get("error", first["msg"]))
        else:
            message = PROVIDER_MESSAGES[name].format(_SHORT.repr(value))
        return ApiError(422, "invalid_provider", message, name)
    return _budget_problem(details)


def _budget_problem(details: list[ErrorDetails]) -> ApiError:
    if any(detail["type"] == "model_type" for detail in details):
        message = 'budget must be an object like {"requests": 100}.'
        return ApiError(422, "invalid_budget", message, "budget")
    unknown = _unknown_names(
        [d for d in details if d["loc"][1:] not in (("requests",), ("credits",))]
    )
    if unknown:
        message = f"Unknown budget field(s): {', '.join(unknown)}."
        return ApiError(422, "invalid_budget", message, "budget")
    key = str(details[0]["loc"][1])
    whole = "whole " if key == "requests" else ""
    message = f"The {key} budget must be a {whole}number from 1 to {BUDGET_LIMIT:,}."
    return ApiError(422, "invalid_budget", message, f"budget_{key}")


def _unknown_names(details: list[ErrorDetails]) -> list[str]:
    """The names of the fields that are not the model's, sorted. A name that is no valid text
    (a lone surrogate) fails before it can be called extra, where it is the error's input."""
    names = {
        str(detail["input"] if detail["type"] == "string_unicode" else detail["loc"][-1])
        for detail in details
    }
    return sorted(_printable(name) for name in names)


def _printable(text: str) -> str:
    """`text` with what UTF-8 cannot carry (a lone surrogate) written as an escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
