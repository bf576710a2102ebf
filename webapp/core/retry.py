"""How often a failed step is tried again and how long it waits between tries."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 2
    base_delay_s: float = 1.0
    multiplier: float = 2.0
    max_delay_s: float = 30.0
    jitter: float = 0.2
    # A single attempt that runs longer than this is abandoned and counts as a retryable failure.
    timeout_s: float | None = 60.0
    # A provider asking us to wait longer than this fails the step instead of stalling the run.
    max_retry_after_s: float = 300.0
    tool_overrides: Mapping[str, RetryPolicy] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        if self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("retry delays must be 0 or more")
        if self.multiplier < 1:
            raise ValueError("multiplier must be at least 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be between 0 and 1")
        if self.timeout_s is not None and self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive (or None for no timeout)")

    @property
    def max_attempts(self) -> int:
        return self.max_retries + 1

    def for_tool(self, tool: str) -> RetryPolicy:
        """The policy a given tool runs under: its override if it has one, else this one."""
        return self.tool_overrides.get(tool, self)

    def with_overrides(self, **tools: RetryPolicy) -> RetryPolicy:
        return replace(self, tool_overrides={**self.tool_overrides, **tools})

    def delay_for(
        self,
        failed_attempt: int,
        *,
        retry_after: float | None = None,
        rng: random.Random | None = None,
    ) -> float:
        """Seconds to wait after attempt number `failed_attempt` (1-based) failed.

        True exponential backoff: base, base x multiplier, base x multiplier^2 ... capped at
        `max_delay_s`, then spread by `jitter` (a fraction: 0.2 means up to 20% either way; 0
        makes the delays exact). A provider's own `retry_after` is honoured: the wait is never
        shorter than it.
        """
        delay = self._backoff(failed_attempt)
        if self.jitter and delay:
            spread = (rng or _jitter_rng).uniform(-self.jitter, self.jitter)
            delay = max(0.0, delay * (1 + spread))
        if retry_after is not None:
            delay = max(delay, retry_after)
        return delay

    def longest_delay_for(self, failed_attempt: int) -> float:
        """The longest `delay_for` can be (its jitter at the top), with no provider's wait."""
        return self._backoff(failed_attempt) * (1 + self.jitter)

    def _backoff(self, failed_attempt: int) -> float:
        exact = self.base_delay_s * self.multiplier ** (failed_attempt - 1)
        return min(exact, self.max_delay_s)

    def describe(self) -> dict[str, Any]:
        return {
            "maxRetries": self.max_retries,
            "baseDelayS": self.base_delay_s,
            "multiplier": self.multiplier,
            "maxDelayS": self.max_delay_s,
            "jitter": self.jitter,
            "timeoutS": self.timeout_s,
        }


_jitter_rng = random.Random()
