"""What each step spends with each provider: requests sent, credits used, answers served from
the cache. The HTTP layer and the clients report into the step that is running (a context
variable set by `run_lead_tool`); the RunManager stores a step's usage when the step ends."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from webapp.core.errors import ToolError

# Requests that cost nothing and are not a provider's API (a business's own web pages): counted,
# never against a run's budget of requests.
FREE_PROVIDERS = frozenset({"Websites"})


@dataclass
class ProviderUsage:
    requests: int = 0
    credits: float = 0.0
    cached: int = 0

    def as_json(self) -> dict[str, float | int]:
        return {"requests": self.requests, "credits": self.credits, "cached": self.cached}


@dataclass
class Budget:
    """The budget of provider requests or credits a run may carry: a request that would go past
    it is refused with "budget reached" before it is sent, which fails the step."""

    requests: int | None = None
    credits: float | None = None

    @classmethod
    def from_options(cls, options: object) -> Budget | None:
        if not isinstance(options, dict):
            return None
        budget = cls(requests=options.get("requests"), credits=options.get("credits"))
        return budget if budget.requests is not None or budget.credits is not None else None


@dataclass
class RunUsage:
    """One run's spending so far, step by step and provider by provider."""

    budget: Budget | None = None
    steps: dict[str, dict[str, ProviderUsage]] = field(default_factory=dict)

    def totals(self, *, paid_only: bool = False) -> ProviderUsage:
        total = ProviderUsage()
        for providers in self.steps.values():
            for provider, usage in providers.items():
                if paid_only and provider in FREE_PROVIDERS:
                    continue
                total.requests += usage.requests
                total.credits += usage.credits
                total.cached += usage.cached
        return total

    def of(self, step_id: str, provider: str) -> ProviderUsage:
        return self.steps.setdefault(step_id, {}).setdefault(provider, ProviderUsage())


@dataclass(frozen=True)
class _Current:
    run: RunUsage
    step_id: str


_current: contextvars.ContextVar[_Current | None] = contextvars.ContextVar(
    "leadgen_step_usage", default=None
)


@contextmanager
def spending_for(run: RunUsage, step_id: str) -> Iterator[None]:
    """Within this block, provider calls are counted against `step_id` of `run`."""
    token = _current.set(_Current(run, step_id))
    try:
        yield
    finally:
        _current.reset(token)


def before_request(provider: str) -> None:
    """Count one request about to be sent; refuse it when the run's budget is spent."""
    current = _current.get()
    if current is None:
        return
    budget = current.run.budget
    if budget is not None and budget.requests is not None and provider not in FREE_PROVIDERS:
        if current.run.totals(paid_only=True).requests + 1 > budget.requests:
            raise ToolError(
                f"Budget reached: this run may make at most {budget.requests} provider "
                "requests. Raise the budget or narrow the goal.",
                retryable=False,
            )
    current.run.of(current.step_id, provider).requests += 1


def add_credits(provider: str, credits: float) -> None:
    current = _current.get()
    if current is None or not credits:
        return
    budget = current.run.budget
    current.run.of(current.step_id, provider).credits += credits
    if budget is not None and budget.credits is not None:
        if current.run.totals().credits > budget.credits:
            raise ToolError(
                f"Budget reached: this run may use at most {budget.credits:g} credits. "
                "Raise the budget or narrow the goal.",
                retryable=False,
            )


def spent_so_far(provider: str) -> ProviderUsage:
    """What the running step has spent with `provider` so far (nothing outside a step): a tool
    reads it before and after its calls to count its own, whatever other runs send at once."""
    current = _current.get()
    usage = current.run.steps.get(current.step_id, {}).get(provider) if current else None
    return ProviderUsage(usage.requests, usage.credits, usage.cached) if usage else ProviderUsage()


def cache_hit(provider: str) -> None:
    current = _current.get()
    if current is not None:
        current.run.of(current.step_id, provider).cached += 1
