"""What a goal's words say, before overrides and checks: the record each reading step fills."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Reading:
    """What the text says, before overrides and checks."""

    persona: str = ""
    place: str = ""
    volume: int | str | None = None  # a str is a number that is not whole, as written
    timing: str | None = None
    email: bool | None = None
    monitoring: bool | None = None
