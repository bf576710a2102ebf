"""Which provider serves a tool in a run: the run's own choice, else the settings, else the
real service when its key is set, else the demo directory. Emails come from an ordered list of
providers (a waterfall): each is asked only for the leads the ones before it left without."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from webapp.core.errors import ToolError
from webapp.settings import EMAIL_PROVIDERS, Settings, parse_email_providers

Kind = Literal["places"]
PLACES_PROVIDERS = ("demo", "google", "osm")
LABELS = {
    "demo": "demo directory",
    "google": "Google Places",
    "osm": "OpenStreetMap",
    "hunter": "Hunter",
    "website": "the businesses' websites",
}


def chosen_provider(settings: Settings, overrides: Mapping[str, str], kind: Kind) -> str:
    """Who serves the places search."""
    choice = overrides.get(f"{kind}_provider")
    if choice:
        return choice
    if settings.places_provider:
        return settings.places_provider
    return "google" if settings.google_places_api_key else "demo"


SHORT_LABELS = {"website": "website", "hunter": "Hunter", "demo": "demo directory"}


def provider_label(name: str, *, short: bool = False) -> str:
    """A provider's name for people; a waterfall's names in turn ("the businesses' websites,
    then Hunter")."""
    labels = SHORT_LABELS if short else LABELS
    return ", then ".join(labels.get(part, LABELS.get(part, part)) for part in name.split(","))


def chosen_email_providers(settings: Settings, overrides: Mapping[str, str]) -> list[str]:
    """Who finds contact emails, in order: the run's choice (`email_providers`, or one
    `email_provider`), else LEADGEN_EMAIL_PROVIDERS (or LEADGEN_EMAIL_PROVIDER), else the demo
    directory when the places come from it, else the websites, then Hunter when its key is
    set."""
    for given in (
        overrides.get("email_providers"),
        overrides.get("email_provider"),
        settings.email_providers,
        settings.email_provider,
    ):
        if given:
            return email_providers(given)
    if chosen_provider(settings, overrides, "places") == "demo":
        return ["demo"]
    return ["website", "hunter"] if settings.hunter_api_key else ["website"]


def email_providers(given: object) -> list[str]:
    """An ordered list of email providers from a list or a comma-separated text, checked
    (`webapp.settings.parse_email_providers`: one rule for settings, forms, API and CLI)."""
    return parse_email_providers(given)


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
    """A run's provider choices, checked: {"places_provider": "osm", "email_providers":
    "website,hunter"} (one `email_provider` is taken as a list of one)."""
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
    listed = overrides.get("email_providers")
    if listed not in (None, "", []):
        checked["email_providers"] = ",".join(email_providers(listed))
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
