"""The drafted sequence on the run page and its one sending action: POST
/runs/{run_id}/sequences/{id}/send. Nothing goes out before it; each message goes out once."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from tests.test_mail import PASSWORD, Capture, FakeTime, smtp_server
from tests.web.helpers import client_for, fast_settings, finished_run, parse_sse, serve
from webapp.store import Store
from webapp.store.outbox import SequenceOverview
from webapp.tools.providers.http import TokenBucket

HTMX = {"HX-Request": "true"}


async def drafted(app: Starlette, client: httpx.AsyncClient) -> SequenceOverview:
    """A finished demo run that drafted an email sequence, and that sequence."""
    run_id = await finished_run(app, client, email=True)
    store: Store = app.state.store
    [sequence] = await store.outbox.overviews_for_run(run_id)
    assert sequence.leads > 0 and len(sequence.steps) == 3
    return sequence


def send_url(sequence: SequenceOverview) -> str:
    return f"/runs/{sequence.run_id}/sequences/{sequence.sequence_id}/send"


def button(page: str, step: int) -> str:
    match = re.search(rf'<button type="submit" class="send-step[^>]*>Send step {step}\b[^<]*', page)
    assert match, f"no send button for step {step}"
    return match.group(0)


async def entries(app: Starlette, sequence: SequenceOverview) -> list[tuple[str, str, str]]:
    outbox = app.state.store.outbox
    return [(e.to_email, e.status, e.transport) for e in await outbox.entries(sequence.sequence_id)]


async def test_the_live_stream_adds_the_sequence_when_the_email_step_succeeds(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    sequence = await drafted(app, client)
    stream = (await client.get(f"/runs/{sequence.run_id}/events")).text
    updates = [m for m in parse_sse(stream) if m.event == "update"]
    carrying = [m for m in updates if '<div id="sequences" hx-swap-oob="true">' in m.data]
    assert len(carrying) == 1  # the email step's success, and only it
    assert "email_sequence_setup_5" in carrying[0].data
    assert f'<section id="sequence-{sequence.sequence_id}"' in carrying[0].data
    assert f'action="{send_url(sequence)}"' in carrying[0].data
    assert "outbox (LEADGEN_SMTP_URL not set)" in carrying[0].data


async def test_the_run_page_shows_the_drafts_and_sends_nothing_by_itself(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    sequence = await drafted(app, client)

    page = (await client.get(f"/runs/{sequence.run_id}")).text

    assert f'<section id="sequence-{sequence.sequence_id}"' in page
    assert "outbox (LEADGEN_SMTP_URL not set)" in page
    # the subject as a lead gets it, not its template
    assert "{business_name}" not in page
    sample = sequence.sample
    assert sample is not None
    subject = sequence.steps[0].subject_template.replace("{business_name}", sample.business_name)
    assert html.escape(subject, quote=False) in page.replace("&#39;", "'")
    assert f'id="sequence-{sequence.sequence_id}-state">draft<' in page
    assert "disabled" not in button(page, 1)
    assert button(page, 1).endswith(f"Send step 1 to {sequence.leads} leads")
    assert "disabled" in button(page, 2)
    assert "Goes only to leads who were sent step 1: send that first." in page
    assert "Reply &#39;unsubscribe&#39; and we will not write again." in page  # the sample
    assert await entries(app, sequence) == []  # a finished run sent nothing


async def test_sending_a_step_answers_htmx_with_the_section_and_never_sends_twice(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    sequence = await drafted(app, client)

    response = await client.post(send_url(sequence), data={"step": "1"}, headers=HTMX)

    assert response.status_code == 200
    fragment = response.text
    assert fragment.lstrip().startswith(f'<section id="sequence-{sequence.sequence_id}"')
    assert f"Step 1 went to {sequence.leads} leads via outbox" in fragment
    assert "disabled" in button(fragment, 1) and "Sent to every lead." in fragment
    # step 2 waits its 3 days after step 1; the sequence is under way
    assert "disabled" in button(fragment, 2)
    assert f"Due 3 days into the sequence: {sequence.leads} leads can be sent" in fragment
    assert f'id="sequence-{sequence.sequence_id}-state">in progress<' in fragment
    sent = await entries(app, sequence)
    assert len(sent) == sequence.leads
    assert {(status, transport) for _, status, transport in sent} == {("sent", "outbox")}

    again = await client.post(send_url(sequence), data={"step": "1"}, headers=HTMX)

    assert "Nothing of step 1 was left to send." in again.text
    assert await entries(app, sequence) == sent


async def test_a_plain_form_goes_back_to_the_run_page(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    sequence = await drafted(app, client)

    response = await client.post(send_url(sequence), data={"step": "1"})

    assert response.status_code == 303
    assert response.headers["location"] == (
        f"/runs/{sequence.run_id}#sequence-{sequence.sequence_id}"
    )
    page = (await client.get(response.headers["location"])).text
    assert f"{sequence.leads} sent" in page
    assert "disabled" in button(page, 2)  # not before its delay after step 1


async def test_unknown_runs_and_sequences_and_other_runs_sequences_are_not_found(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    sequence = await drafted(app, client)
    other = await drafted(app, client)

    unknown_run = f"/runs/run_missing/sequences/{sequence.sequence_id}/send"
    unknown_sequence = f"/runs/{sequence.run_id}/sequences/seq_missing/send"
    crossed = f"/runs/{sequence.run_id}/sequences/{other.sequence_id}/send"
    for url in (unknown_run, unknown_sequence, crossed):
        response = await client.post(url, data={"step": "1"})
        assert response.status_code == 404, url
    assert await entries(app, other) == []


async def test_a_step_out_of_range_is_refused(app: Starlette, client: httpx.AsyncClient) -> None:
    sequence = await drafted(app, client)

    for step in ("0", "4", "two", ""):
        response = await client.post(send_url(sequence), data={"step": step})
        assert response.status_code == 422, step
        assert "Choose a step from 1 to 3." in response.text
    missing = await client.post(send_url(sequence), data={})
    as_htmx = await client.post(send_url(sequence), data={"step": "9"}, headers=HTMX)

    assert missing.status_code == 422
    assert as_htmx.status_code == 422
    assert as_htmx.text.lstrip().startswith(f'<section id="sequence-{sequence.sequence_id}"')
    assert "Choose a step from 1 to 3." in as_htmx.text
    assert await entries(app, sequence) == []


async def test_a_step_in_digits_int_cannot_read_is_refused_not_a_crash(db: str) -> None:
    # isdigit() takes "²" and "①", int() does not; int() refuses more than 4,300 digits;
    # "٣" (an Arabic-Indic 3) int() reads, but a step number is written in ASCII digits
    async with serve(fast_settings(db), raise_app_exceptions=False) as (app, client):
        sequence = await drafted(app, client)
        for step in ("²", " ① ", "1" * 4301, "٣"):
            response = await client.post(send_url(sequence), data={"step": step})
            assert response.status_code == 422, step
            assert "Choose a step from 1 to 3." in response.text
        assert await entries(app, sequence) == []


async def test_smtp_sends_through_the_server_at_the_process_rate(tmp_path: Path) -> None:
    handler, time = Capture(), FakeTime()
    async with smtp_server(handler, password=PASSWORD) as port:
        url = f"smtp://me%40agency.example:{PASSWORD}@127.0.0.1:{port}"
        config = fast_settings(str(tmp_path / "smtp.db"), smtp_url=url, send_rate_per_minute=2)
        async with serve(config) as (app, client):
            app.state.mail_limit = TokenBucket(2 / 60, 2, clock=time.clock, sleep=time.sleep)
            sequence = await drafted(app, client)
            page = (await client.get(f"/runs/{sequence.run_id}")).text
            response = await client.post(send_url(sequence), data={"step": "1"}, headers=HTMX)
            sent = await entries(app, sequence)

    assert f"SMTP 127.0.0.1:{port} (STARTTLS when offered)" in page
    assert "at most 2 a minute" in page
    assert PASSWORD not in page and PASSWORD not in response.text
    assert len(handler.envelopes) == len(sent) == sequence.leads
    assert {(status, transport) for _, status, transport in sent} == {("sent", "smtp")}
    assert sorted(e.rcpt_tos[0] for e in handler.envelopes) == sorted(e[0] for e in sent)
    assert time.sleeps == pytest.approx([30.0] * (sequence.leads - 2))  # 2 at once, then 1/30 s


async def test_an_unusable_smtp_url_disables_sending_and_says_why(tmp_path: Path) -> None:
    config = fast_settings(str(tmp_path / "bad.db"), smtp_url=f"http://u:{PASSWORD}@host")
    async with serve(config) as (app, client):
        sequence = await drafted(app, client)
        page = (await client.get(f"/runs/{sequence.run_id}")).text
        response = await client.post(send_url(sequence), data={"step": "1"})
        sent = await entries(app, sequence)

    assert "disabled" in button(page, 1) and "Fix LEADGEN_SMTP_URL first." in page
    assert "LEADGEN_SMTP_URL must look like smtp://user:password@host:587" in page
    assert response.status_code == 409
    assert PASSWORD not in page and PASSWORD not in response.text
    assert sent == []


async def test_the_outbox_lists_what_was_sent_with_its_state_and_run_to_its_owner_only(
    app: Starlette, client: httpx.AsyncClient
) -> None:
    empty = await client.get("/outbox")
    assert empty.status_code == 200 and "Nothing sent yet." in empty.text
    assert '<a href="/outbox" aria-current="page">Outbox</a>' in empty.text
    assert "Nothing waits to be sent." in empty.text
    sequence = await drafted(app, client)
    draft = (await client.get("/outbox")).text
    assert "Nothing sent yet." in draft  # drafts are not sent, but they wait to be
    to_send = draft.split('id="to-send"', 1)[1].split("</ul>\n    </li>", 1)[0]
    assert f'href="/runs/{sequence.run_id}#sequence-{sequence.sequence_id}"' in to_send
    assert '<span class="chip">draft</span>' in to_send
    assert f'Step 1 <span class="muted">({sequence.leads} leads)</span>:\n' in to_send
    assert f"ready to send to {sequence.leads} leads" in to_send
    assert "Goes only to leads who were sent step 1: send that first." in to_send

    await client.post(send_url(sequence), data={"step": "1"}, headers=HTMX)

    page = (await client.get("/outbox")).text
    waiting = page.split('id="to-send"', 1)[1].split("</ul>\n    </li>", 1)[0]
    assert '<span class="chip">in progress</span>' in waiting and "Step 1 " not in waiting
    delay = sequence.steps[1].delay_days
    assert re.search(
        rf"Step 2 (?s:.)*Due {delay} days into the sequence: {sequence.leads} leads can be "
        r"sent this step from \d{4}-\d\d-\d\d\.",
        waiting,
    )
    rows = re.findall(r'<tr class="outbox-(\w+)">(.*?)</tr>', page, re.DOTALL)
    sent = await entries(app, sequence)
    assert len(rows) == len(sent) == sequence.leads
    assert {state for state, _ in rows} == {"sent"}
    shown = [re.search(r'<td class="email">([^<]+)<br>', row) for _, row in rows]
    assert {html.unescape(m.group(1)) for m in shown if m} == {email for email, _, _ in sent}
    assert all(f'<a href="/runs/{sequence.run_id}">' in row for _, row in rows)
    assert "{business_name}" not in page  # subjects as they were sent
    async with client_for(app, "mallory") as other:
        assert "Nothing sent yet." in (await other.get("/outbox")).text
