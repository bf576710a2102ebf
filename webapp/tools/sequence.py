"""EMAIL_SEQUENCE_SETUP: draft a short email sequence for the saved list's leads with an email.
Nothing is ever sent from here."""

from __future__ import annotations

from typing import Any

from webapp.core.leads import Lead
from webapp.core.ports import EmailSequence, SequenceMessage, SequenceStep
from webapp.core.tooling import ToolEnv
from webapp.tools.services import services_of
from webapp.tools.step_inputs import int_param, leads_in, optional_text, source_output

MAX_STEPS = 5
SAMPLE_MESSAGES = 3
UNKNOWN_FIRST_NAME = "there"
# (days after the list is saved, subject, body); placeholders {first_name} and {business_name}.
TEMPLATES = (
    (
        0,
        "Quick question for {business_name}",
        "Hi {first_name},\n\nI came across {business_name} and wanted to ask whether you would "
        "be open to a short call about how we could help you win more customers.\n\n"
        "Best wishes,\n[Your name]",
    ),
    (
        3,
        "Re: Quick question for {business_name}",
        "Hi {first_name},\n\nJust following up on my note from earlier this week. Would a "
        "15-minute call next week suit you?\n\nBest wishes,\n[Your name]",
    ),
    (
        7,
        "An idea for {business_name}",
        "Hi {first_name},\n\nI put together a couple of ideas that have worked for businesses "
        "like {business_name}. Happy to share them if useful.\n\nBest wishes,\n[Your name]",
    ),
    (
        14,
        "Worth a conversation?",
        "Hi {first_name},\n\nI know things get busy. If growing {business_name}'s customer base "
        "is on your list this quarter, I'd love to help.\n\nBest wishes,\n[Your name]",
    ),
    (
        21,
        "Closing the loop",
        "Hi {first_name},\n\nI won't keep filling your inbox. If the timing is ever right for "
        "{business_name}, just reply to this email.\n\nBest wishes,\n[Your name]",
    ),
)


async def set_up_email_sequence(params: dict[str, Any], env: ToolEnv) -> dict[str, Any]:
    """One personalised message per lead per step, saved as a draft (idempotent per run and
    step)."""
    services = services_of(env)
    source_id, source = source_output(params, env)
    leads = leads_in(source, env, source_id, "leads")
    list_id = str(source.get("listId") or "")
    list_name = str(source.get("name") or "your leads")
    name = optional_text(params, env, "sequenceName") or f"Outreach: {list_name}"
    count = int_param(params, env, "steps", low=1, high=MAX_STEPS, default=3) or 3
    steps = sequence_steps(count)
    recipients = [lead for lead in leads if lead.email]
    draft = EmailSequence(
        name=name,
        list_id=list_id,
        steps=steps,
        messages=[personalise(step, lead) for lead in recipients for step in steps],
        leads_without_email=len(leads) - len(recipients),
    )
    saved = await services.sequences.save_sequence(
        run_id=env.run_id, step_id=env.step.id, user_id=env.user.user_id, sequence=draft
    )
    with_email = len(saved.messages) // max(1, len(saved.steps))  # one message per step each
    return {
        "sequenceId": saved.sequence_id,
        "name": saved.name,
        "listId": saved.list_id,
        "status": saved.status,
        "steps": [step.model_dump(mode="json", by_alias=True) for step in saved.steps],
        "messageCount": len(saved.messages),
        "leadsWithEmail": with_email,
        "leadsWithoutEmail": saved.leads_without_email,
        "messages": [
            message.model_dump(mode="json", by_alias=True)
            for message in saved.messages[:SAMPLE_MESSAGES]
        ],
        "summary": _summary(len(saved.steps), with_email),
    }


def sequence_steps(count: int) -> list[SequenceStep]:
    return [
        SequenceStep(
            step_number=number, delay_days=delay, subject_template=subject, body_template=body
        )
        for number, (delay, subject, body) in enumerate(TEMPLATES[:count], start=1)
    ]


def personalise(step: SequenceStep, lead: Lead) -> SequenceMessage:
    values = {
        "first_name": (lead.contact_first_name or "").strip() or UNKNOWN_FIRST_NAME,
        "business_name": lead.business_name,
    }
    return SequenceMessage(
        lead_email=lead.email or "",
        business_name=lead.business_name,
        step_number=step.step_number,
        send_after_days=step.delay_days,
        subject=step.subject_template.format(**values),
        body=step.body_template.format(**values),
    )


def _summary(steps: int, leads: int) -> str:
    if leads == 0:
        return "No saved lead has an email address, so no emails were drafted"
    emails = "email" if steps == 1 else "emails"
    noun = "lead" if leads == 1 else "leads"
    return f"Drafted {steps} {emails} for each of {leads} {noun} (not sent)"
