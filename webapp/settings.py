"""Every setting, with its default and what it does. Read when the app or CLI starts, never at
import. Environment names use the LEADGEN_ prefix, except the providers' own keys and PORT.
Precedence: command-line options, then the environment (and a `.env` file), then defaults.
"""

from __future__ import annotations

import ipaddress
import reprlib
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from webapp.core.retry import RetryPolicy

EMAIL_PROVIDERS = ("website", "hunter", "demo")  # who may find contact emails, in a waterfall


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LEADGEN_", env_file=".env", extra="ignore", populate_by_name=True
    )

    db: str = Field("./leadgen.db", description="Path of the SQLite database file.")
    host: str = Field("127.0.0.1", description="Address the dashboard listens on.")
    port: int = Field(
        8000,
        validation_alias=AliasChoices("PORT", "LEADGEN_PORT", "port"),
        description="Port the dashboard listens on (PORT, as a Procfile platform sets it).",
    )

    auth: Literal["on", "off"] = Field(
        "on",
        description="Accounts and logins (on), or one user with no login (off), which is only "
        "served on a loopback address: for a person on their own machine.",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Key that signs session cookies and form tokens; unset, one is made and "
        "kept in the database.",
    )
    session_hours: float = Field(
        14 * 24, gt=0, le=366 * 24, description="How long a login lasts before asking again."
    )
    runs_per_minute: int = Field(
        10, ge=1, le=10_000, description="Most runs one user may start per minute."
    )
    trusted_proxies: str = Field(
        "127.0.0.0/8,::1",
        description="Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: "
        "addresses or networks, comma-separated (e.g. 10.0.0.0/8); empty, none. A request "
        "through them is from the last address in X-Forwarded-For that is not one of them; "
        "from anyone else those headers are ignored.",
    )

    max_volume: int = Field(500, ge=1, description="Most leads one goal may ask for.")
    default_volume: int = Field(
        20, ge=1, description="Leads asked for when a goal names no number."
    )
    default_region: str = Field("UK", description="Region used when a goal names none.")
    default_country: str = Field("GB", description="Country (ISO 3166 alpha-2) used by default.")

    max_concurrency: int = Field(4, ge=1, description="Steps of one run that may run at once.")
    max_runs: int = Field(4, ge=1, description="Runs at once per process; more wait, pending.")
    workers: int = Field(
        1,
        ge=1,
        le=32,
        validation_alias=AliasChoices("LEADGEN_WORKERS", "WEB_CONCURRENCY", "workers"),
        description="Processes `serve` starts on one port and database (WEB_CONCURRENCY, as "
        "uvicorn reads it, when LEADGEN_WORKERS is unset); each keeps 1/N of every rate limit "
        "(runs a minute, failed logins, provider requests).",
    )
    retry_max_retries: int = Field(2, ge=0, description="Retries after a step's first attempt.")
    retry_base_delay_s: float = Field(1.0, ge=0, description="First backoff wait, in seconds.")
    retry_multiplier: float = Field(2.0, ge=1, description="Growth of each further backoff wait.")
    retry_max_delay_s: float = Field(30.0, ge=0, description="Longest single backoff wait.")
    retry_jitter: float = Field(0.2, ge=0, le=1, description="Random spread of waits (0 = exact).")
    step_timeout_s: float | None = Field(
        None,
        gt=0,
        description="Longest one attempt of any step may run; unset, each step's is derived "
        "from the provider calls it will make (at least 60 s).",
    )
    monitor_interval_s: float = Field(
        60.0, ge=1, description="Seconds between the monitor scheduler's looks for due monitors."
    )

    demo_latency_ms: int = Field(
        300, ge=0, le=60_000, description="Simulated latency of each demo directory call."
    )
    demo_failure_rate: float = Field(
        0.0, ge=0, le=1, description="Share of demo directory calls that fail retryably."
    )

    google_places_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("GOOGLE_PLACES_API_KEY", "LEADGEN_GOOGLE_PLACES_API_KEY"),
        description="Google Places API (New) key; unset means the demo directory.",
    )
    hunter_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("HUNTER_API_KEY", "LEADGEN_HUNTER_API_KEY"),
        description="Hunter.io API key; unset means the demo directory.",
    )

    places_provider: Literal["demo", "google", "osm"] | None = Field(
        None,
        description="Who serves GOOGLE_PLACES_SEARCH: demo, google or osm "
        "(default: google when GOOGLE_PLACES_API_KEY is set, else demo).",
    )
    email_provider: Literal["demo", "hunter"] | None = Field(
        None,
        description="Who serves HUNTER_DOMAIN_LOOKUP and HUNTER_ENRICH: demo or hunter "
        "(default: hunter when HUNTER_API_KEY is set, else demo).",
    )
    email_providers: str | None = Field(
        None,
        description="Who finds contact emails (HUNTER_ENRICH), in order, comma-separated: "
        "website, hunter, demo; each is asked only for the leads the ones before it left "
        "without a usable email (default: website,hunter with HUNTER_API_KEY set, website "
        "without; demo when the places come from the demo directory).",
    )
    mx_check: Literal["on", "off"] = Field(
        "on",
        description="Check that a website's email domain has a mail server (DNS MX); off for "
        "networks whose DNS cannot be used.",
    )
    google_places_url: str = Field(
        "https://places.googleapis.com",
        description="Scheme and host of the Google Places API (New); the client adds the path.",
    )
    hunter_url: str = Field(
        "https://api.hunter.io", description="Scheme and host of the Hunter API."
    )
    nominatim_url: str = Field(
        "https://nominatim.openstreetmap.org", description="Scheme and host of Nominatim."
    )
    overpass_url: str = Field(
        "https://overpass-api.de", description="Scheme and host of the Overpass API."
    )
    contact: str = Field(
        "leadgen@localhost",
        description="A contact (email or URL) sent in the User-Agent, as OpenStreetMap asks.",
    )
    cache_ttl_s: float = Field(
        7 * 24 * 3600,
        ge=0,
        description="How long provider answers are kept and reused (0 turns the cache off).",
    )
    hunter_verify: bool = Field(
        False, description="Verify found emails with Hunter's Email Verifier (costs credits)."
    )

    smtp_url: SecretStr | None = Field(
        None,
        description="Where drafted emails go when the user sends them: "
        "smtp://user:password@host:587 (STARTTLS when the server offers it) or "
        "smtps://user:password@host:465 (TLS); unset keeps them in the database's outbox.",
    )
    mail_from: str | None = Field(
        None,
        description="From address of sent emails, also where unsubscribe replies go "
        "(default: the SMTP user when it is an address, else leadgen@localhost).",
    )
    send_rate_per_minute: int = Field(
        30, ge=1, le=6000, description="Most emails this process sends over SMTP per minute."
    )

    @field_validator("email_providers")
    @classmethod
    def _known_email_providers(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return ",".join(parse_email_providers(value))
        except ValueError:
            raise ValueError(
                f"must name providers among {', '.join(EMAIL_PROVIDERS)}, in order "
                f"(e.g. website,hunter); got {value!r}"
            ) from None

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: str) -> str:
        items = [item.strip() for item in value.split(",") if item.strip()]
        for item in items:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    "LEADGEN_TRUSTED_PROXIES lists the addresses or networks of your proxies "
                    f"(e.g. 10.0.0.0/8,::1); {item!r} is neither"
                    + (": believing every address would believe any client." if item == "*" else "")
                ) from None
        return ",".join(items)

    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(
            ipaddress.ip_network(item, strict=False)
            for item in self.trusted_proxies.split(",")
            if item
        )

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            max_retries=self.retry_max_retries,
            base_delay_s=self.retry_base_delay_s,
            multiplier=self.retry_multiplier,
            max_delay_s=self.retry_max_delay_s,
            jitter=self.retry_jitter,
            timeout_s=self.step_timeout_s or RetryPolicy.timeout_s,
        )


def parse_email_providers(given: object) -> list[str]:
    """An ordered list of email providers from a list or a comma-separated text, each once;
    ValueError naming the first it does not know, or when it names none."""
    items = given if isinstance(given, list | tuple) else str(given).split(",")
    chosen: list[str] = []
    for item in items:
        name = str(item).strip().lower()
        if name not in EMAIL_PROVIDERS:
            raise ValueError(
                f"email_providers must name providers among {', '.join(EMAIL_PROVIDERS)}, in "
                f"order (e.g. website,hunter); got {reprlib.repr(item)}."
            )
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise ValueError("email_providers needs at least one provider (e.g. website,hunter).")
    return chosen
