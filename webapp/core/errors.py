"""The domain's exceptions, drawn as a tree in LeadGenError's docstring. Every one carries a
message a person can act on."""

from __future__ import annotations


class LeadGenError(Exception):
    """Base of the project's domain errors:

        LeadGenError
        ├── GoalError (also ValueError)  the goal text or a field override is unusable
        ├── PlanError (also ValueError)  the plan cannot run: a cycle, an unknown dependency or
        │                                tool, a duplicate step id
        └── ToolError                    a tool call failed; `retryable` says whether to try
                                         again, `retry_after` (seconds) is the provider's own
                                         wait, if any

    The web layer maps these to HTTP answers in one place; the executor turns a ToolError into a
    step's failure or retry.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class GoalError(LeadGenError, ValueError):
    """The goal cannot be planned; `field` names the input at fault when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class PlanError(LeadGenError, ValueError):
    """The plan is not a valid DAG of known tools; raised before any step runs."""


class ToolError(LeadGenError):
    """A tool call failed.

    `retryable` is True for timeouts, network errors, 5xx and throttling; False for bad
    credentials, bad input and an exhausted quota, which fail the step at once.
    """

    def __init__(
        self, message: str, *, retryable: bool = True, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"ToolError({self.message!r}, retryable={self.retryable}, "
            f"retry_after={self.retry_after})"
        )
