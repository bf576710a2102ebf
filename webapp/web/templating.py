"""The Jinja2 environment: autoescaping everywhere, the formatting filters, static URLs with a
content hash."""

from __future__ import annotations

import re
from typing import Any

from starlette.templating import Jinja2Templates

from webapp.core.leads import delivered_words
from webapp.tools.providers.choice import provider_label
from webapp.web import formatting
from webapp.web.auth import template_globals
from webapp.web.resources import site_dir, static_version
from webapp.web.run_view import step_usage
from webapp.web.state_marks import STATE_ICONS


def spending(usage: dict[str, Any]) -> str:
    """ "3 requests · 2 credits · 1 from the cache" for a dict of totals; "" when nothing."""
    requests = int(usage.get("requests", 0) or 0)
    credits = float(usage.get("credits", 0) or 0)
    cached = int(usage.get("cached", 0) or 0)
    parts = []
    if requests:
        parts.append(f"{requests} request{'s' if requests != 1 else ''}")
    if credits:
        parts.append(f"{credits:g} credit{'s' if credits != 1 else ''}")
    if cached:
        parts.append(f"{cached} from the cache")
    return " · ".join(parts)


BARE_HOST = re.compile(r"(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,63}(?:/[^\s\\]*)?")


def web_link(url: str | None) -> str | None:
    """`url` when a browser would open it as a web page (http or https), else None: a provider's
    `javascript:` or `data:` "website" must never become a link. A bare host with no scheme
    ("www.cafe.example", as OpenStreetMap often has) gets https://."""
    cleaned = (url or "").strip()
    if cleaned.lower().startswith(("http://", "https://")):
        return cleaned
    return f"https://{cleaned}" if BARE_HOST.fullmatch(cleaned) else None


def static_url(path: str) -> str:
    return f"/static/{path}?v={static_version(path)}"


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(site_dir("templates")))
    env = templates.env
    env.autoescape = True
    # The templates do not change while the app serves (`serve --reload` restarts it), so
    # rendering never stats their files.
    env.auto_reload = False
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.filters["duration"] = formatting.duration
    env.filters["ago"] = formatting.ago
    env.filters["number"] = formatting.number
    env.globals["between"] = formatting.between
    env.globals["now_iso"] = formatting.now_iso
    env.globals["static_url"] = static_url
    env.globals["state_icon"] = STATE_ICONS.get
    env.globals["provider_label"] = provider_label
    env.globals["delivered_words"] = delivered_words
    env.globals["email_status_words"] = formatting.email_status_words
    env.globals["step_usage"] = step_usage
    env.filters["spending"] = spending
    env.filters["web_link"] = web_link
    env.globals.update(template_globals())
    return templates
