"""The overall-status rule and the retry policy's arithmetic."""

from __future__ import annotations

import random

import pytest

from webapp.core import RetryPolicy, overall_status


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["succeeded", "succeeded"], "succeeded"),
        (["failed", "skipped"], "failed"),
        (["succeeded", "failed"], "partial"),
        (["succeeded", "skipped"], "partial"),
        (["succeeded", "cancelled", "cancelled"], "cancelled"),
        (["failed", "cancelled"], "cancelled"),
    ],
)
def test_overall_status_follows_the_design_rule(statuses: list[str], expected: str) -> None:
    assert overall_status(statuses) == expected


def test_a_run_that_did_not_deliver_its_leads_failed_not_partly_succeeded() -> None:
    assert overall_status(["succeeded", "failed", "skipped"], delivered=False) == "failed"
    assert overall_status(["succeeded", "succeeded", "failed"], delivered=True) == "partial"
    assert overall_status(["succeeded", "cancelled"], delivered=False) == "cancelled"


def test_delays_are_capped_at_the_maximum() -> None:
    policy = RetryPolicy(base_delay_s=1, multiplier=10, max_delay_s=5, jitter=0)

    assert [policy.delay_for(n) for n in (1, 2, 3)] == [1, 5, 5]


def test_jitter_is_reproducible_with_a_seeded_generator() -> None:
    policy = RetryPolicy(jitter=0.3)

    first = policy.delay_for(2, rng=random.Random(7))
    assert first == policy.delay_for(2, rng=random.Random(7))
    assert 1.4 <= first <= 2.6


def test_jitter_spreads_delays_over_its_whole_band_and_no_further() -> None:
    policy = RetryPolicy(jitter=0.3)  # the second try waits 2 s, give or take 30%
    rng = random.Random(11)

    delays = [policy.delay_for(2, rng=rng) for _ in range(500)]

    assert all(1.4 <= delay <= 2.6 for delay in delays)
    assert min(delays) < 1.5 and max(delays) > 2.5  # both ends of the band are reached
    assert sum(delay < 2 for delay in delays) > 150 and sum(delay > 2 for delay in delays) > 150
    assert RetryPolicy(jitter=0).delay_for(2, rng=rng) == 2.0  # none asked: none given


@pytest.mark.parametrize(
    "bad",
    [
        {"max_retries": -1},
        {"base_delay_s": -1},
        {"multiplier": 0.5},
        {"jitter": 2},
        {"timeout_s": 0},
    ],
)
def test_nonsense_policies_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**bad)  # type: ignore[arg-type]


def test_the_longest_delay_is_the_top_of_the_jitter_band() -> None:
    policy = RetryPolicy(base_delay_s=1, multiplier=2, max_delay_s=5, jitter=0.3)
    rng = random.Random(3)

    for attempt in (1, 2, 3, 4):
        longest = policy.longest_delay_for(attempt)
        drawn = [policy.delay_for(attempt, rng=rng) for _ in range(200)]
        assert max(drawn) <= longest and max(drawn) > longest * 0.95
    assert policy.longest_delay_for(4) == 5 * 1.3  # capped, then spread
