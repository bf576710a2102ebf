"""One provider call per lead, side by side: each call is retried on its own, one lead's
refusal stays that lead's trouble, and only what concerns every call fails the step (a bad key,
a spent quota, or a provider down for most of the calls)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from webapp.core.errors import ToolError
from webapp.core.retry import RetryPolicy
from webapp.tools.providers.errors import ItemRefused

T = TypeVar("T")
K = TypeVar("K")
TRIES = 3  # a call's own tries before its lead is left without an answer


@dataclass(frozen=True)
class Answer(Generic[T]):
    """A call's answer, or why there is none: `trouble` in words for the lead's notes, and
    whether the provider refused the item or did not answer (`unanswered`: try later)."""

    value: T | None = None
    trouble: str | None = None
    unanswered: bool = False


class LeadCalls:
    """Runs `call(item)` for every item, `at_once` at a time. A retryable failure is tried
    again after the policy's backoff (or the provider's wait), `tries` times in all; an
    ItemRefused is that item's answer at once. A failure that is not retryable fails them all,
    and so does a provider that failed more than half of the calls after their tries (the step
    is then retried as a whole): the first such error is raised, the other calls cancelled."""

    def __init__(
        self,
        provider: str,
        *,
        at_once: int,
        policy: RetryPolicy,
        sleep: Callable[[float], Awaitable[None]],
        tries: int = TRIES,
    ) -> None:
        self.provider = provider
        self.at_once = at_once
        self.policy = policy
        self.sleep = sleep
        self.tries = tries

    async def run(self, items: Sequence[K], call: Callable[[K], Awaitable[T]]) -> list[Answer[T]]:
        slots = asyncio.Semaphore(self.at_once)
        unanswered = [0]

        async def one(item: K) -> Answer[T]:
            error = await self._tries(item, call, slots)
            if isinstance(error, Answer):
                return error
            unanswered[0] += 1
            if unanswered[0] * 2 > len(items):
                raise error  # most calls failed: the provider is down, not this lead
            words = f"{self.provider} did not answer for it in {self.tries} tries; try later"
            return Answer(trouble=words, unanswered=True)

        tasks = [asyncio.create_task(one(item)) for item in items]
        try:
            return list(await asyncio.gather(*tasks))
        finally:
            for task in tasks:
                task.cancel()  # a no-op for those done; the rest stop with the step
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _tries(
        self, item: K, call: Callable[[K], Awaitable[T]], slots: asyncio.Semaphore
    ) -> Answer[T] | ToolError:
        """The item's answer, or the last retryable error once its tries are spent."""
        attempt = 1
        while True:
            try:
                async with slots:
                    return Answer(await call(item))
            except ItemRefused as refused:
                return Answer(trouble=refused.reason)
            except ToolError as error:
                if not error.retryable:
                    raise
                wait = error.retry_after
                if attempt >= self.tries or (wait or 0) > self.policy.max_retry_after_s:
                    return error
                await self.sleep(self.policy.delay_for(attempt, retry_after=wait))
                attempt += 1
