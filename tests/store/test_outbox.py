"""The outbox repository: a sequence's send state, claims that never hand a message out twice,
idempotent recording of sent and failed, and giving back what was never tried."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.core.conftest import make_plan
from webapp.core.ports import EmailSequence, SequenceMessage, SequenceStep
from webapp.store import Store
from webapp.store.outbox import OutboxRepository

LEADS = (("ann@cafe-a.example", "Cafe A", "Ann"), ("bob@cafe-b.example", "Cafe B", "Bob"))


async def drafted_sequence(store: Store, run_id: str = "run_1", steps: int = 2) -> str:
    """A run with a two-lead sequence of `steps` steps, as EMAIL_SEQUENCE_SETUP saves it."""
    await store.runs.create(
        run_id=run_id, plan=make_plan(email=True), user_id="u1", created_at="2026-11-23T09:00Z"
    )
    sequence_steps = [
        SequenceStep(
            step_number=n,
            delay_days=3 * (n - 1),
            subject_template=f"Step {n} for {{business_name}}",
            body_template="Hi {first_name}",
        )
        for n in range(1, steps + 1)
    ]
    messages = [
        SequenceMessage(
            lead_email=email,
            business_name=business,
            step_number=step.step_number,
            send_after_days=step.delay_days,
            subject=f"Step {step.step_number} for {business}",
            body=f"Hi {first},\n\nA note about {business}.",
        )
        for email, business, first in LEADS
        for step in sequence_steps
    ]
    saved = await store.outputs.save_sequence(
        run_id=run_id,
        step_id="email_sequence_setup_5",
        user_id="u1",
        sequence=EmailSequence(
            name="Outreach", list_id="list_1", steps=sequence_steps, messages=messages
        ),
    )
    return saved.sequence_id


async def test_a_fresh_sequence_has_step_one_ready_and_follow_ups_waiting(store: Store) -> None:
    sequence_id = await drafted_sequence(store)
    await drafted_sequence(store, "run_2")

    [overview] = await store.outbox.overviews_for_run("run_1")

    assert overview.sequence_id == sequence_id
    assert (overview.run_id, overview.name, overview.leads) == ("run_1", "Outreach", 2)
    first, second = overview.steps
    assert (first.number, first.delay_days, first.messages, first.ready) == (1, 0, 2, 2)
    assert first.blocked_reason is None
    assert (second.number, second.delay_days, second.ready) == (2, 3, 0)
    assert second.blocked_reason == "Goes only to leads who were sent step 1: send that first."
    assert overview.sample is not None
    assert (overview.sample.to_email, overview.sample.subject) == (
        "ann@cafe-a.example",
        "Step 1 for Cafe A",
    )
    assert [overview.total(s) for s in ("sent", "failed", "queued")] == [0, 0, 0]
    assert (overview.transports, overview.last_error) == ([], None)


async def test_a_claimed_message_is_never_claimed_again(store: Store) -> None:
    sequence_id = await drafted_sequence(store)
    outbox = store.outbox

    first = await outbox.claim(sequence_id, 1, "outbox")
    again = await outbox.claim(sequence_id, 1, "outbox")

    assert [m.to_email for m in first] == ["ann@cafe-a.example", "bob@cafe-b.example"]
    assert (first[0].step_number, first[0].subject) == (1, "Step 1 for Cafe A")
    assert again == []
    overview = await outbox.overview(sequence_id)
    assert overview is not None
    step = overview.steps[0]
    assert (step.queued, step.ready) == (2, 0)
    assert step.blocked_reason is not None and "not sent again" in step.blocked_reason


async def test_two_sends_at_once_share_the_messages_out(store: Store) -> None:
    sequence_id = await drafted_sequence(store)
    outbox = store.outbox

    a, b = await asyncio.gather(
        outbox.claim(sequence_id, 1, "smtp"), outbox.claim(sequence_id, 1, "smtp")
    )

    assert sorted(m.message_id for m in a + b) == sorted({m.message_id for m in a + b})
    assert len(a + b) == 2


async def test_recording_sent_is_idempotent_and_keeps_what_went_out(store: Store) -> None:
    sequence_id = await drafted_sequence(store)
    outbox = store.outbox
    message, _ = await outbox.claim(sequence_id, 1, "smtp")

    assert await outbox.mark_sent(message.outbox_id, "Hi Ann\n\n-- \nunsubscribe") is True
    assert await outbox.mark_sent(message.outbox_id, "other") is False
    assert await outbox.mark_failed(message.outbox_id, "too late") is False

    entry = (await outbox.entries(sequence_id))[0]
    assert (entry.status, entry.transport, entry.error) == ("sent", "smtp", None)
    assert entry.body == "Hi Ann\n\n-- \nunsubscribe"
    assert entry.sent_at is not None
    assert await outbox.claim(sequence_id, 1, "smtp") == []  # the other one is still queued
    overview = await outbox.overview(sequence_id)
    assert overview is not None
    assert overview.transports == ["smtp"] and overview.last_sent_at == entry.sent_at


async def test_a_failed_message_can_be_sent_again_and_shows_its_error(store: Store) -> None:
    sequence_id = await drafted_sequence(store)
    outbox = store.outbox
    ann, bob = await outbox.claim(sequence_id, 1, "smtp")
    await outbox.mark_sent(ann.outbox_id, ann.body)
    await outbox.mark_failed(bob.outbox_id, "mx refused the recipient (550 no such user)")

    overview = await outbox.overview(sequence_id)
    assert overview is not None
    assert (overview.steps[0].sent, overview.steps[0].failed, overview.steps[0].ready) == (1, 1, 1)
    assert overview.last_error == "mx refused the recipient (550 no such user)"

    [retry] = await outbox.claim(sequence_id, 1, "outbox")

    assert (retry.outbox_id, retry.to_email) == (bob.outbox_id, "bob@cafe-b.example")
    entry = next(e for e in await outbox.entries(sequence_id) if e.outbox_id == bob.outbox_id)
    assert (entry.status, entry.error, entry.transport) == ("queued", None, "outbox")


async def test_a_follow_up_goes_only_to_leads_sent_the_step_before(store: Store) -> None:
    sequence_id = await drafted_sequence(store)
    clock = Clock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    outbox = OutboxRepository(store.writer, store.readers, clock=clock)
    ann, bob = await outbox.claim(sequence_id, 1, "smtp")
    await outbox.mark_sent(ann.outbox_id, ann.body)
    await outbox.mark_failed(bob.outbox_id, "refused")
    clock.now += timedelta(days=3)  # step 2's delay after step 1

    follow_ups = await outbox.claim(sequence_id, 2, "smtp")

    assert [(m.to_email, m.step_number) for m in follow_ups] == [("ann@cafe-a.example", 2)]


async def test_a_follow_up_waits_its_delay_after_the_step_before(store: Store) -> None:
    sequence_id = await drafted_sequence(store)
    clock = Clock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    outbox = OutboxRepository(store.writer, store.readers, clock=clock)
    for message in await outbox.claim(sequence_id, 1, "smtp"):
        await outbox.mark_sent(message.outbox_id, message.body)
    clock.now += timedelta(days=2, hours=23)

    too_soon = await outbox.claim(sequence_id, 2, "smtp")
    overview = await outbox.overview(sequence_id)
    clock.now += timedelta(hours=1)
    on_time = await outbox.claim(sequence_id, 2, "smtp")

    assert too_soon == []
    assert overview is not None and overview.state == "in progress"
    step_two = overview.step(2)
    assert step_two is not None and (step_two.ready, step_two.waiting) == (0, 2)
    assert step_two.blocked_reason == (
        "Due 3 days into the sequence: 2 leads can be sent this step from 2026-12-04."
    )
    assert len(on_time) == 2


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def test_released_messages_can_be_claimed_again_but_sent_ones_stay(store: Store) -> None:
    sequence_id = await drafted_sequence(store)
    outbox = store.outbox
    ann, bob = await outbox.claim(sequence_id, 1, "smtp")
    await outbox.mark_sent(ann.outbox_id, ann.body)

    assert await outbox.release([ann.outbox_id, bob.outbox_id]) == 1
    assert await outbox.release([]) == 0

    assert [e.status for e in await outbox.entries(sequence_id)] == ["sent"]
    assert [m.to_email for m in await outbox.claim(sequence_id, 1, "smtp")] == [bob.to_email]


async def test_an_unknown_sequence_has_nothing_to_claim(store: Store) -> None:
    outbox = store.outbox

    assert await outbox.overview("seq_missing") is None
    assert await outbox.claim("seq_missing", 1, "smtp") == []
    assert await store.outbox.overviews_for_run("run_missing") == []


async def test_a_draft_leaves_the_runs_sequences_at_hand_once_for_its_live_page(
    store: Store,
) -> None:
    await drafted_sequence(store)

    fresh = store.outputs.take_fresh_sequences("run_1")

    assert fresh is not None and fresh == await store.outbox.overviews_for_run("run_1")
    assert [s.steps[0].ready for s in fresh] == [2]
    assert store.outputs.take_fresh_sequences("run_1") is None  # taken once: then read
