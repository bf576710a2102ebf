"""Which provider serves a tool in a run: the run's own choice, else the settings, else the
real service when its key is set, else the demo directory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from webapp.core.errors import ToolError
from webapp.settings import Settings

Kind = Literal["places", "email"]
PLACES_PROVIDERS = ("demo", "google", "osm")
EMAIL_PROVIDERS = ("demo", "hunter")
LABELS = {
    "demo": "demo directory",
    "google": "Google Places",
    "osm": "OpenStreetMap",
    "hunter": "Hunter",
}


def chosen_provider(settings: Settings, overrides: Mapping[str, str], kind: Kind) -> str:
    choice = overrides.get(f"{kind}_provider")
    if choice:
        return choice
    if kind == "places":
        if settings.places_provider:
            return settings.places_provider
        return "google" if settings.google_places_api_key else "demo"
    if settings.email_provider:
        return settings.email_provider
    return "hunter" if settings.hunter_api_key else "demo"


def osm_contact_missing(settings: Settings, overrides: Mapping[str, str]) -> str | None:
    """What to tell the user when OpenStreetMap serves the places search but LEADGEN_CONTACT is
    left at its default: its usage policy asks for an identifying agent with a contact."""
    if chosen_provider(settings, overrides, "places") != "osm":
        return None
    if settings.contact != Settings.model_fields["contact"].default:
        return None
    return (
        "OpenStreetMap's usage policy asks every application for a contact: set "
        "LEADGEN_CONTACT to your email address or website."
    )


def validate_overrides(overrides: Mapping[str, object]) -> dict[str, str]:
    """A run's provider choices, checked: {"places_provider": "osm", "email_provider": "demo"}."""
    checked: dict[str, str] = {}
    for key, allowed in (
        ("places_provider", PLACES_PROVIDERS),
        ("email_provider", EMAIL_PROVIDERS),
    ):
        value = overrides.get(key)
        if value in (None, ""):
            continue
        if value not in allowed:
            raise ValueError(f"{key} must be one of {', '.join(allowed)}; got {value!r}.")
        checked[key] = str(value)
    return checked


def require_key(provider: str, key: object, setting: str) -> str:
    secret = getattr(key, "get_secret_value", lambda: None)()
    if not secret:
        raise ToolError(
            f"{LABELS.get(provider, provider)} is chosen for this step but {setting} is not set; "
            "set it, or choose the demo directory.",
            retryable=False,
        )
    return str(secret)
