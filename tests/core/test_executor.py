"""The executor's behaviour: order, data flow, retries, skips, cancel, events, invalid plans."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from tests.core.conftest import (
    EXACT,
    USER,
    FakeTools,
    RecordingSleep,
    StepClock,
    fail_times,
    hang,
    make_plan,
)
from webapp.core import (
    LeadGenPlanStep,
    LeadPlanEvent,
    PlanError,
    RetryPolicy,
    ToolEnv,
    ToolError,
    execute_lead_generation_plan,
)


async def run(plan: Any, tools: FakeTools, **options: Any) -> Any:
    options.setdefault("retry_policy", EXACT)
    options.setdefault("sleep", RecordingSleep())
    return await execute_lead_generation_plan(plan, USER, tools=tools.as_map(), **options)


def statuses(result: Any) -> dict[str, str]:
    return {step.step_id: step.status for step in result.step_results}


async def test_four_step_plan_succeeds(fake_tools: FakeTools) -> None:
    result = await run(make_plan(), fake_tools)

    assert result.overall_status == "succeeded"
    assert list(statuses(result)) == [
        "google_places_1",
        "hunter_domain_lookup_2",
        "hunter_enrich_3",
        "lead_list_save_4",
    ]
    assert set(statuses(result).values()) == {"succeeded"}
    assert all(step.attempts == 1 for step in result.step_results)
    assert result.plan_id == "lead_plan_test"


async def test_six_step_plan_with_email_and_monitoring_succeeds(fake_tools: FakeTools) -> None:
    result = await run(make_plan(email=True, monitoring=True), fake_tools)

    assert result.overall_status == "succeeded"
    assert statuses(result) == {
        "google_places_1": "succeeded",
        "hunter_domain_lookup_2": "succeeded",
        "hunter_enrich_3": "succeeded",
        "lead_list_save_4": "succeeded",
        "email_sequence_setup_5": "succeeded",
        "monitor_setup_6": "succeeded",
    }


async def test_dependency_chain_runs_in_order(fake_tools: FakeTools) -> None:
    await run(make_plan(email=True, monitoring=True), fake_tools)

    called = [step_id for step_id, _ in fake_tools.calls]
    assert called[:4] == [
        "google_places_1",
        "hunter_domain_lookup_2",
        "hunter_enrich_3",
        "lead_list_save_4",
    ]
    assert set(called[4:]) == {"email_sequence_setup_5", "monitor_setup_6"}


async def test_data_flows_from_each_step_to_the_next(fake_tools: FakeTools) -> None:
    async def places(params: dict[str, Any], env: ToolEnv) -> Any:
        return {"businesses": [params["query"].upper()]}

    async def domains(params: dict[str, Any], env: ToolEnv) -> Any:
        source = env.prior_results[params["sourceStepId"]]
        assert source.status == "succeeded"
        return {"domains": [f"{name.lower()}.example" for name in source.data["businesses"]]}

    fake_tools.behave("google_places_1", places)
    fake_tools.behave("hunter_domain_lookup_2", domains)

    result = await run(make_plan(), fake_tools)

    assert result.step_results[1].data == {"domains": ["coffee shops.example"]}


async def test_events_are_numbered_complete_and_camel_case(
    fake_tools: FakeTools, caplog: pytest.LogCaptureFixture
) -> None:
    events: list[LeadPlanEvent] = []
    caplog.set_level(logging.INFO, logger="webapp.events")

    result = await run(make_plan(email=True), fake_tools, on_event=events.append, run_id="run_1")

    assert [event.seq for event in events] == list(range(1, len(events) + 1))
    assert events[0].type == "PLAN_STARTED"
    assert events[-1].type == "PLAN_COMPLETED"
    assert events[-1].status == "succeeded"
    assert [e.type for e in events].count("STEP_STARTED") == 5
    assert [e.type for e in events].count("STEP_SUCCEEDED") == 5
    for event in events:
        assert event.plan_id == result.plan_id
        assert event.run_id == "run_1"
        assert event.user_id == USER.user_id
        assert event.timestamp.endswith("Z")
    started = next(e for e in events if e.type == "STEP_STARTED")
    wire = started.model_dump(by_alias=True)
    assert {"seq", "timestamp", "type", "planId", "runId", "userId", "stepId", "stepTool"} <= set(
        wire
    )
    assert wire["stepTool"] == "GOOGLE_PLACES_SEARCH"
    assert wire["attempt"] == 1

    lines = [
        r.getMessage() for r in caplog.records if r.getMessage().startswith("[LEAD_GEN_PLAN] ")
    ]
    assert len(lines) == len(events)
    logged = json.loads(lines[0].removeprefix("[LEAD_GEN_PLAN] "))
    assert logged["type"] == "PLAN_STARTED" and logged["seq"] == 1


async def test_an_async_listener_gets_every_event_in_order(fake_tools: FakeTools) -> None:
    received: list[int] = []

    async def listener(event: LeadPlanEvent) -> None:
        await asyncio.sleep(0)  # yield to the other steps' tasks between events
        received.append(event.seq)

    await run(make_plan(email=True, monitoring=True), fake_tools, on_event=listener)

    assert received == list(range(1, len(received) + 1))
    assert len(received) == 2 + 6 * 2


async def test_a_step_that_fails_twice_then_succeeds(fake_tools: FakeTools) -> None:
    fake_tools.behave("hunter_enrich_3", fail_times(2))
    events: list[LeadPlanEvent] = []

    result = await run(make_plan(), fake_tools, on_event=events.append)

    enrich = result.step_results[2]
    assert enrich.status == "succeeded"
    assert enrich.attempts == 3
    assert enrich.error_message is None
    assert [a.status for a in enrich.attempt_log] == ["failed", "failed", "succeeded"]
    assert enrich.attempt_log[0].error_message == "hunter_enrich_3 attempt 1 broke"
    retries = [e for e in events if e.type == "STEP_RETRYING"]
    assert [(e.attempt, e.error_message) for e in retries] == [
        (1, "hunter_enrich_3 attempt 1 broke"),
        (2, "hunter_enrich_3 attempt 2 broke"),
    ]
    assert result.overall_status == "succeeded"


async def test_a_step_that_always_fails_skips_its_dependents(fake_tools: FakeTools) -> None:
    fake_tools.behave("hunter_domain_lookup_2", fail_times(99))
    events: list[LeadPlanEvent] = []

    result = await run(make_plan(email=True, monitoring=True), fake_tools, on_event=events.append)

    steps = {step.step_id: step for step in result.step_results}
    assert steps["hunter_domain_lookup_2"].status == "failed"
    assert steps["hunter_domain_lookup_2"].attempts == 3
    assert steps["hunter_domain_lookup_2"].error_message == (
        "hunter_domain_lookup_2 attempt 3 broke. Gave up after 3 attempts; this may pass, so "
        "retry the run later."
    )
    assert steps["hunter_enrich_3"].status == "skipped"
    assert steps["hunter_enrich_3"].blocked_by == "hunter_domain_lookup_2"
    assert steps["lead_list_save_4"].blocked_by == "hunter_enrich_3"
    assert steps["email_sequence_setup_5"].blocked_by == "lead_list_save_4"
    assert steps["monitor_setup_6"].status == "skipped"
    assert ("hunter_enrich_3", 1) not in fake_tools.calls
    # one step succeeded, one failed, and the lead list was never saved: a run is for its
    # leads, so it failed (README, "The dashboard"), not a partial success
    assert result.overall_status == "failed"
    skipped = [e for e in events if e.type == "STEP_SKIPPED"]
    assert len(skipped) == 4 and all(e.blocked_by for e in skipped)
    blocked = steps["hunter_enrich_3"].blocked_by
    label = next(step.label for step in make_plan().steps if step.id == blocked)
    assert label and skipped[0].summary == f"Skipped because “{label}” failed"


async def test_a_step_that_gave_up_no_longer_promises_to_try_again(
    fake_tools: FakeTools,
) -> None:
    async def times_out(params: dict[str, Any], env: ToolEnv) -> Any:
        raise ToolError("Google Places did not answer in time; trying again.")

    fake_tools.behave("google_places_1", times_out)

    result = await run(make_plan(), fake_tools)

    places = result.step_results[0]
    # each attempt's own record keeps what the provider layer said at the time
    assert places.attempt_log[-1].error_message == (
        "Google Places did not answer in time; trying again."
    )
    assert places.error_message == (
        "Google Places did not answer in time. Gave up after 3 attempts; this may pass, so "
        "retry the run later."
    )


async def test_a_run_where_nothing_succeeds_is_failed(fake_tools: FakeTools) -> None:
    fake_tools.behave("google_places_1", fail_times(99))

    result = await run(make_plan(), fake_tools)

    assert result.overall_status == "failed"
    assert statuses(result)["lead_list_save_4"] == "skipped"


async def test_a_permanent_error_fails_at_once(fake_tools: FakeTools) -> None:
    fake_tools.behave("google_places_1", fail_times(1, retryable=False))
    sleep = RecordingSleep()

    result = await run(make_plan(), fake_tools, sleep=sleep)

    first = result.step_results[0]
    assert first.status == "failed"
    assert first.attempts == 1
    assert sleep.delays == []
    assert fake_tools.calls == [("google_places_1", 1)]


async def test_backoff_grows_exponentially_as_the_policy_says(fake_tools: FakeTools) -> None:
    fake_tools.behave("google_places_1", fail_times(4))
    sleep = RecordingSleep()
    events: list[LeadPlanEvent] = []
    policy = RetryPolicy(max_retries=4, base_delay_s=0.5, multiplier=3.0, max_delay_s=10, jitter=0)

    result = await run(
        make_plan(), fake_tools, sleep=sleep, retry_policy=policy, on_event=events.append
    )

    assert sleep.delays == [0.5, 1.5, 4.5, 10]
    assert [e.delay_ms for e in events if e.type == "STEP_RETRYING"] == [500, 1500, 4500, 10000]
    assert result.step_results[0].attempts == 5


async def test_default_policy_waits_one_then_two_seconds(fake_tools: FakeTools) -> None:
    fake_tools.behave("google_places_1", fail_times(2))
    sleep = RecordingSleep()

    await run(make_plan(), fake_tools, sleep=sleep, retry_policy=RetryPolicy(jitter=0))

    assert sleep.delays == [1.0, 2.0]


async def test_jitter_spreads_delays_within_its_bounds(fake_tools: FakeTools) -> None:
    firsts, seconds = [], []
    for _ in range(20):  # twenty runs, each with two failed tries before its success
        fake_tools.behave("google_places_1", fail_times(2))
        sleep = RecordingSleep()
        await run(make_plan(), fake_tools, sleep=sleep, retry_policy=RetryPolicy(jitter=0.5))
        firsts.append(sleep.delays[0])
        seconds.append(sleep.delays[1])

    assert all(0.5 <= delay <= 1.5 for delay in firsts)
    assert all(1.0 <= delay <= 3.0 for delay in seconds)
    # spread: runs retrying together do not all come back at the same instant
    assert max(firsts) - min(firsts) > 0.2 and max(seconds) - min(seconds) > 0.4


async def test_retry_after_from_the_provider_is_honoured(fake_tools: FakeTools) -> None:
    calls = {"n": 0}

    async def throttled(params: dict[str, Any], env: ToolEnv) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ToolError("throttled", retry_after=7.0)
        return {}

    fake_tools.behave("google_places_1", throttled)
    sleep = RecordingSleep()

    await run(make_plan(), fake_tools, sleep=sleep)

    assert sleep.delays == [7.0]


async def test_a_retry_after_beyond_the_limit_fails_the_step(fake_tools: FakeTools) -> None:
    async def throttled(params: dict[str, Any], env: ToolEnv) -> Any:
        raise ToolError("Too many requests", retry_after=3600)

    fake_tools.behave("google_places_1", throttled)

    result = await run(make_plan(), fake_tools)

    assert result.step_results[0].attempts == 1
    assert "asked to wait" in (result.step_results[0].error_message or "")


async def test_per_tool_policy_overrides_the_default(fake_tools: FakeTools) -> None:
    fake_tools.behave("google_places_1", fail_times(99))
    policy = EXACT.with_overrides(GOOGLE_PLACES_SEARCH=RetryPolicy(max_retries=0, jitter=0))

    result = await run(make_plan(), fake_tools, retry_policy=policy)

    assert result.step_results[0].attempts == 1


async def test_a_step_timeout_is_retried(fake_tools: FakeTools) -> None:
    calls = {"n": 0}

    async def slow_once(params: dict[str, Any], env: ToolEnv) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            await asyncio.Event().wait()  # never answers; the step timeout ends it
        return {"ok": True}

    fake_tools.behave("google_places_1", slow_once)
    policy = RetryPolicy(jitter=0, base_delay_s=0, timeout_s=0.001)

    result = await run(make_plan(), fake_tools, retry_policy=policy)

    first = result.step_results[0]
    assert first.status == "succeeded"
    assert first.attempts == 2
    assert "did not answer within" in (first.attempt_log[0].error_message or "")


async def test_each_step_gets_the_time_limit_its_tool_derives(fake_tools: FakeTools) -> None:
    asked: list[tuple[str, int]] = []

    async def never_answers(params: dict[str, Any], env: ToolEnv) -> Any:
        await asyncio.Event().wait()

    def limit(env: ToolEnv) -> float | None:
        asked.append((env.step.id, env.attempt))
        return 0.001 if env.step.id == "google_places_1" else None

    fake_tools.behave("google_places_1", never_answers)
    policy = RetryPolicy(max_retries=1, jitter=0, base_delay_s=0, timeout_s=3600)

    result = await run(make_plan(), fake_tools, retry_policy=policy, step_timeout=limit)

    first = result.step_results[0]
    assert (first.status, first.attempts) == ("failed", 2)  # 1 ms each, not the policy's hour
    assert (first.error_message or "").startswith("GOOGLE_PLACES_SEARCH did not answer within 1 ms")
    assert asked == [("google_places_1", 1), ("google_places_1", 2)]


async def test_an_unexpected_crash_fails_the_step_with_words_not_a_traceback(
    fake_tools: FakeTools, caplog: pytest.LogCaptureFixture
) -> None:
    async def crash(params: dict[str, Any], env: ToolEnv) -> Any:
        raise KeyError("businesses")

    fake_tools.behave("hunter_enrich_3", crash)

    result = await run(make_plan(), fake_tools)

    enrich = result.step_results[2]
    assert enrich.status == "failed" and enrich.attempts == 1
    assert "failed unexpectedly (KeyError" in (enrich.error_message or "")
    assert "Traceback" not in (enrich.error_message or "")
    assert any(record.exc_info for record in caplog.records)  # the details go to the log


async def test_cancel_during_a_tool_call(fake_tools: FakeTools) -> None:
    started = asyncio.Event()
    cancel = asyncio.Event()
    fake_tools.behave("hunter_domain_lookup_2", hang(started))
    events: list[LeadPlanEvent] = []

    task = asyncio.create_task(
        run(make_plan(email=True), fake_tools, cancel=cancel, on_event=events.append)
    )
    await started.wait()
    cancel.set()
    result = await task

    assert result.overall_status == "cancelled"
    assert statuses(result) == {
        "google_places_1": "succeeded",
        "hunter_domain_lookup_2": "cancelled",
        "hunter_enrich_3": "cancelled",
        "lead_list_save_4": "cancelled",
        "email_sequence_setup_5": "cancelled",
    }
    assert result.step_results[1].attempt_log[-1].status == "cancelled"
    cancelled = [e.step_id for e in events if e.type == "STEP_CANCELLED"]
    assert cancelled == [
        "hunter_domain_lookup_2",
        "hunter_enrich_3",
        "lead_list_save_4",
        "email_sequence_setup_5",
    ]
    assert events[-1].type == "PLAN_COMPLETED" and events[-1].status == "cancelled"


async def test_cancel_during_a_backoff_wait(fake_tools: FakeTools) -> None:
    waiting = asyncio.Event()
    cancel = asyncio.Event()
    fake_tools.behave("google_places_1", fail_times(99))

    async def long_sleep(seconds: float) -> None:
        waiting.set()
        await asyncio.Event().wait()  # a backoff that would never end by itself

    task = asyncio.create_task(run(make_plan(), fake_tools, cancel=cancel, sleep=long_sleep))
    await waiting.wait()
    cancel.set()
    result = await task

    assert result.overall_status == "cancelled"
    assert result.step_results[0].status == "cancelled"
    assert result.step_results[0].attempts == 1
    assert fake_tools.calls == [("google_places_1", 1)]


async def test_cancelling_the_task_records_cancelled_steps_then_propagates(
    fake_tools: FakeTools,
) -> None:
    started = asyncio.Event()
    fake_tools.behave("google_places_1", hang(started))
    events: list[LeadPlanEvent] = []

    task = asyncio.create_task(run(make_plan(), fake_tools, on_event=events.append))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert [e.type for e in events].count("STEP_CANCELLED") == 4


async def test_steps_five_and_six_run_at_the_same_time(fake_tools: FakeTools) -> None:
    five_started, six_started = asyncio.Event(), asyncio.Event()

    def meet(mine: asyncio.Event, other: asyncio.Event) -> Any:
        async def behaviour(params: dict[str, Any], env: ToolEnv) -> Any:
            mine.set()
            await other.wait()  # only returns if the other step is running too
            return {}

        return behaviour

    fake_tools.behave("email_sequence_setup_5", meet(five_started, six_started))
    fake_tools.behave("monitor_setup_6", meet(six_started, five_started))

    async with asyncio.timeout(5):  # a guard: run one after the other, this would deadlock
        result = await run(make_plan(email=True, monitoring=True), fake_tools)

    assert result.overall_status == "succeeded"


async def test_concurrency_bound_of_one_runs_independent_steps_one_by_one(
    fake_tools: FakeTools,
) -> None:
    running: list[str] = []
    overlap: list[bool] = []

    async def track(params: dict[str, Any], env: ToolEnv) -> Any:
        running.append(env.step.id)
        overlap.append(len(running) > 1)
        await asyncio.sleep(0)
        running.remove(env.step.id)
        return {}

    fake_tools.behave("email_sequence_setup_5", track)
    fake_tools.behave("monitor_setup_6", track)

    await run(make_plan(email=True, monitoring=True), fake_tools, max_concurrency=1)

    assert overlap == [False, False]


async def test_timestamps_come_from_the_injected_clock(fake_tools: FakeTools) -> None:
    result = await run(make_plan(), fake_tools, clock=StepClock())

    assert result.started_at.startswith("2026-11-23T09:00:")
    first = result.step_results[0]
    assert first.started_at is not None and first.finished_at is not None
    assert first.started_at < first.finished_at


async def test_reused_steps_are_not_run_again(fake_tools: FakeTools) -> None:
    first = await run(make_plan(), fake_tools)
    fake_tools.calls.clear()
    reuse = {step.step_id: step for step in first.step_results[:2]}

    again = await run(make_plan(), fake_tools, reuse=reuse)

    assert [step_id for step_id, _ in fake_tools.calls] == ["hunter_enrich_3", "lead_list_save_4"]
    assert again.step_results[0].data == first.step_results[0].data
    assert again.overall_status == "succeeded"


def _plan_with(steps: list[LeadGenPlanStep]) -> Any:
    plan = make_plan()
    return plan.model_copy(update={"steps": steps})


STEP = LeadGenPlanStep


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        ([], "no steps"),
        (
            [
                STEP(id="a", tool="GOOGLE_PLACES_SEARCH", depends_on=["b"]),
                STEP(id="b", tool="HUNTER_ENRICH", depends_on=["a"]),
            ],
            "cycle",
        ),
        ([STEP(id="a", tool="GOOGLE_PLACES_SEARCH", depends_on=["a"])], "depends on itself"),
        ([STEP(id="a", tool="GOOGLE_PLACES_SEARCH", depends_on=["ghost"])], "'ghost'"),
        ([STEP(id="a", tool="SEND_FAX")], "unknown tool 'SEND_FAX'"),
        (
            [STEP(id="a", tool="GOOGLE_PLACES_SEARCH"), STEP(id="a", tool="HUNTER_ENRICH")],
            "share the id 'a'",
        ),
        ([STEP(id="", tool="GOOGLE_PLACES_SEARCH")], "empty id"),
        (
            [
                STEP(id="a", tool="GOOGLE_PLACES_SEARCH"),
                STEP(id="b", tool="HUNTER_ENRICH", depends_on=["a", "d"]),
                STEP(id="c", tool="HUNTER_ENRICH", depends_on=["b"]),
                STEP(id="d", tool="HUNTER_ENRICH", depends_on=["c"]),
            ],
            "cycle among steps: b, c, d",
        ),
    ],
)
async def test_an_invalid_plan_is_refused_before_any_step_runs(
    fake_tools: FakeTools, steps: list[LeadGenPlanStep], message: str
) -> None:
    events: list[LeadPlanEvent] = []

    with pytest.raises(PlanError, match=message):
        await run(_plan_with(steps), fake_tools, on_event=events.append)

    assert fake_tools.calls == []
    assert events == []


async def test_a_run_that_saved_its_leads_and_then_failed_a_step_is_partial(
    fake_tools: FakeTools,
) -> None:
    fake_tools.behave("monitor_setup_5", fail_times(99))

    result = await run(make_plan(monitoring=True), fake_tools)

    statuses = {step.step_id: step.status for step in result.step_results}
    assert statuses["lead_list_save_4"] == "succeeded" and statuses["monitor_setup_5"] == "failed"
    assert result.overall_status == "partial"  # the leads were delivered; one extra did not
