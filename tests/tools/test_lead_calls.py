"""One call per lead: a refusal stays that lead's, a passing fault is tried again, and only what
concerns every call (a bad key, a provider down for most calls) fails the step."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from tests.tools.conftest import RecordingSleep
from webapp.core.errors import ToolError
from webapp.core.retry import RetryPolicy
from webapp.tools.lead_calls import TRIES, Answer, LeadCalls
from webapp.tools.providers.errors import ItemRefused

POLICY = RetryPolicy(base_delay_s=1, multiplier=2, jitter=0)
DOWN = ToolError("Hunter had a server error (HTTP 502); trying again.")


def calls(sleeps: RecordingSleep, at_once: int = 4) -> LeadCalls:
    return LeadCalls("Hunter", at_once=at_once, policy=POLICY, sleep=sleeps)


class Script:
    """A provider that answers each item by a list of outcomes, one per try."""

    def __init__(self, outcomes: Mapping[str, list[ToolError | str]]) -> None:
        self.outcomes = outcomes
        self.asked: list[str] = []

    async def __call__(self, item: str) -> str:
        self.asked.append(item)
        outcome = self.outcomes[item].pop(0) if self.outcomes[item] else f"ok {item}"
        if isinstance(outcome, ToolError):
            raise outcome
        return outcome


async def test_a_refused_item_is_that_items_trouble_and_not_asked_again(
    sleeps: RecordingSleep,
) -> None:
    refused = ItemRefused("HTTP 400", reason="Hunter refused the domain: no mail server")
    script = Script({"a": [], "b": [refused], "c": []})

    answers = await calls(sleeps).run(["a", "b", "c"], script)

    assert answers == [
        Answer("ok a"),
        Answer(trouble="Hunter refused the domain: no mail server"),
        Answer("ok c"),
    ]
    assert script.asked.count("b") == 1 and sleeps.calls == []


async def test_a_passing_fault_is_tried_again_after_the_backoff(sleeps: RecordingSleep) -> None:
    script = Script({"a": [DOWN, DOWN], "b": []})

    answers = await calls(sleeps).run(["a", "b"], script)

    assert answers == [Answer("ok a"), Answer("ok b")]
    assert sleeps.calls == [1, 2]


async def test_the_providers_own_wait_is_kept(sleeps: RecordingSleep) -> None:
    throttled = ToolError("Hunter is rate-limiting these requests; slowing down.", retry_after=5)
    script = Script({"a": [throttled]})

    assert await calls(sleeps).run(["a"], script) == [Answer("ok a")]
    assert sleeps.calls == [5]


async def test_one_item_unanswered_after_its_tries_is_left_for_later(
    sleeps: RecordingSleep,
) -> None:
    script = Script({"a": [DOWN] * TRIES, "b": [], "c": []})

    answers = await calls(sleeps).run(["a", "b", "c"], script)

    assert answers[0] == Answer(
        trouble=f"Hunter did not answer for it in {TRIES} tries; try later", unanswered=True
    )
    assert answers[1:] == [Answer("ok b"), Answer("ok c")]
    assert script.asked.count("a") == TRIES


async def test_a_provider_down_for_most_calls_fails_them_all_as_retryable(
    sleeps: RecordingSleep,
) -> None:
    down: list[ToolError | str] = [DOWN] * TRIES
    script = Script({item: list(down) for item in "abc"} | {"d": []})

    with pytest.raises(ToolError) as caught:
        await calls(sleeps).run(list("abcd"), script)

    assert caught.value is DOWN and caught.value.retryable


@pytest.mark.parametrize(
    "error",
    [
        ToolError("Hunter rejected the API key; check HUNTER_API_KEY.", retryable=False),
        ToolError("Hunter quota exhausted", retryable=False),
    ],
)
async def test_what_concerns_every_call_fails_at_once_and_stops_the_others(
    sleeps: RecordingSleep, error: ToolError
) -> None:
    started: list[str] = []
    stopped: list[str] = []

    async def call(item: str) -> str:
        started.append(item)
        if item == "bad":
            raise error
        try:
            await asyncio.Event().wait()  # an answer that never comes
        except asyncio.CancelledError:
            stopped.append(item)
            raise
        return item

    with pytest.raises(ToolError) as caught:
        await calls(sleeps, at_once=10).run(["x", "bad", "y"], call)

    assert caught.value is error
    assert sorted(stopped) == ["x", "y"]  # nothing is left running behind the failed step


async def test_no_more_calls_at_once_than_allowed(sleeps: RecordingSleep) -> None:
    running = 0
    most = 0
    gate = asyncio.Event()

    async def call(item: int) -> int:
        nonlocal running, most
        running += 1
        most = max(most, running)
        if running == 3:
            gate.set()
        await gate.wait()
        running -= 1
        return item

    answers = await calls(sleeps, at_once=3).run(list(range(10)), call)

    assert [answer.value for answer in answers] == list(range(10)) and most == 3
