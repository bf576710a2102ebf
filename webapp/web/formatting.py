"""How times, durations and numbers read on the pages: "2 min ago", "340 ms", "1.2 s"."""

from __future__ import annotations

import functools
from datetime import datetime

from webapp.core.models import iso_timestamp, parse_timestamp, utc_now


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def between(start: str | None, end: str | None) -> float | None:
    """Seconds from one ISO timestamp to another (never negative), None if either is missing."""
    if not start or not end:
        return None
    return max(0.0, (_parsed(end) - _parsed(start)).total_seconds())


@functools.lru_cache(maxsize=8192)  # a run's page and every update read the same timestamps
def _parsed(timestamp: str) -> datetime:
    # (one timestamp a key: a "now" drawn per render adds one entry, not one per step and pair)
    return parse_timestamp(timestamp)


def now_iso() -> str:
    """This moment as a timestamp like the stored ones: where a page shows something still going
    (a running attempt ends "now" when the page is drawn; app.js carries it on from there)."""
    return iso_timestamp(utc_now())


def ago(timestamp: str | None, now: datetime | None = None) -> str:
    if not timestamp:
        return ""
    seconds = ((now or utc_now()) - parse_timestamp(timestamp)).total_seconds()
    if seconds < 5:
        return "just now"
    if seconds < 60:
        return f"{int(seconds)} s ago"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    return f"{days} day{'s' if days != 1 else ''} ago"


def number(value: int | float | None) -> str:
    return "–" if value is None else f"{value:,}"


EMAIL_STATUS_WORDS = {
    "valid": "verified",
    "accept_all": "accepts all",
    "unknown": "not verified",
    "invalid": "invalid",
    "webmail": "webmail",
    "disposable": "disposable",
    "mx_ok": "domain takes mail",
    "no_mx": "no mail server",
    "unchecked": "not checked",
}


def email_status_words(status: str | None) -> str:
    """An email's status as people say it ("accepts all", not accept_all)."""
    return EMAIL_STATUS_WORDS.get(status or "", (status or "").replace("_", " "))
