"""The Jinja2 environment: autoescaping everywhere, the formatting filters, static URLs with a
content hash."""

from __future__ import annotations

from starlette.templating import Jinja2Templates

from webapp.tools.providers.choice import LABELS
from webapp.web import formatting
from webapp.web.resources import site_dir, static_version
from webapp.web.states import STATE_ICONS


def static_url(path: str) -> str:
    return f"/static/{path}?v={static_version(path)}"


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(site_dir("templates")))
    env = templates.env
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.filters["duration"] = formatting.duration
    env.filters["ago"] = formatting.ago
    env.filters["number"] = formatting.number
    env.globals["between"] = formatting.between
    env.globals["static_url"] = static_url
    env.globals["state_icon"] = STATE_ICONS.get
    env.globals["provider_label"] = lambda name: LABELS.get(name, name)
    return templates
