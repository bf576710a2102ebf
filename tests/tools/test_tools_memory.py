"""The in-memory stores: ids, deduplication, and one save per (run, step) however often asked."""

from __future__ import annotations

import re

from webapp.core.leads import Lead
from webapp.core.ports import EmailSequence, Monitor, SequenceMessage, SequenceStep
from webapp.tools.memory import MemoryLeadLists, MemoryMonitors, MemorySequences


def lead(name: str, domain: str | None = None, email: str | None = None) -> Lead:
    return Lead(business_name=name, domain=domain, email=email)


async def test_a_lead_list_is_saved_once_per_run_and_step() -> None:
    store = MemoryLeadLists()
    leads = [lead("A", "a.example"), lead("B", "b.example")]
    first = await store.save_lead_list(
        run_id="r1", step_id="s4", user_id="u1", name="Cafés", leads=leads, duplicates_dropped=1
    )
    assert re.fullmatch(r"list_[0-9a-f]{12}", first.list_id)
    assert (first.saved, first.duplicates_dropped, first.created) == (2, 1, True)
    again = await store.save_lead_list(
        run_id="r1", step_id="s4", user_id="u1", name="Other", leads=leads * 3, duplicates_dropped=0
    )
    assert again.list_id == first.list_id
    assert again.created is False
    assert (again.name, again.saved, len(again.leads)) == ("Cafés", 2, 2)
    assert list(store.lists) == [first.list_id]
    other_run = await store.save_lead_list(
        run_id="r2", step_id="s4", user_id="u1", name="Cafés", leads=leads, duplicates_dropped=0
    )
    assert other_run.list_id != first.list_id
    assert [saved.list_id for saved in store.for_user("u1")] == [first.list_id, other_run.list_id]
    assert store.for_user("someone else") == []


async def test_a_lead_list_drops_duplicates_it_is_given() -> None:
    store = MemoryLeadLists()
    leads = [
        lead("Northern Bean", "northern-bean.example", "jo@northern-bean.example"),
        lead("Northern Bean (Deansgate)", "northern-bean.example", "jo@northern-bean.example"),
        lead("Little Cup", "little-cup.example"),
        lead("No Site"),
    ]
    saved = await store.save_lead_list(
        run_id="r", step_id="s", user_id="u", name="n", leads=leads, duplicates_dropped=2
    )
    assert [kept.business_name for kept in saved.leads] == [
        "Northern Bean",
        "Little Cup",
        "No Site",
    ]
    assert (saved.saved, saved.duplicates_dropped) == (3, 3)


async def test_a_returned_list_cannot_change_the_stored_one() -> None:
    store = MemoryLeadLists()
    saved = await store.save_lead_list(
        run_id="r", step_id="s", user_id="u", name="n", leads=[lead("A")], duplicates_dropped=0
    )
    saved.leads.clear()
    assert len(store.lists[saved.list_id].leads) == 1


def sequence(name: str) -> EmailSequence:
    step = SequenceStep(step_number=1, delay_days=0, subject_template="Hi", body_template="Hi")
    message = SequenceMessage(
        lead_email="a@a.example",
        business_name="A",
        step_number=1,
        send_after_days=0,
        subject="Hi",
        body="Hi",
    )
    return EmailSequence(name=name, list_id="list_1", steps=[step], messages=[message])


async def test_a_sequence_is_saved_once_per_run_and_step() -> None:
    store = MemorySequences()
    first = await store.save_sequence(run_id="r", step_id="s5", user_id="u", sequence=sequence("A"))
    assert re.fullmatch(r"seq_[0-9a-f]{12}", first.sequence_id) and first.created
    again = await store.save_sequence(run_id="r", step_id="s5", user_id="u", sequence=sequence("B"))
    assert (again.sequence_id, again.name, again.created) == (first.sequence_id, "A", False)
    assert len(store.sequences) == 1


def monitor(frequency: str) -> Monitor:
    return Monitor(
        name="New cafés",
        query="cafés",
        region="Leeds",
        frequency=frequency,
        list_id="list_1",
        next_run_at="2025-03-10T09:30:00.000Z",
    )


async def test_a_monitor_is_saved_once_per_run_and_step() -> None:
    store = MemoryMonitors()
    first = await store.save_monitor(
        run_id="r", step_id="s6", user_id="u", monitor=monitor("weekly")
    )
    assert re.fullmatch(r"mon_[0-9a-f]{12}", first.monitor_id) and first.created
    again = await store.save_monitor(
        run_id="r", step_id="s6", user_id="u", monitor=monitor("daily")
    )
    assert (again.monitor_id, again.frequency, again.created) == (first.monitor_id, "weekly", False)
    assert len(store.monitors) == 1
    other = await store.save_monitor(
        run_id="r", step_id="s7", user_id="u", monitor=monitor("daily")
    )
    assert other.monitor_id != first.monitor_id
