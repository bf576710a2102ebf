"""Running plans: the RunManager that owns them and the EventHub that fans out their events."""

from webapp.runtime.hub import EventHub, SubscriberDropped
from webapp.runtime.manager import (
    CancelOutcome,
    RunManager,
    RunManagerOptions,
    RunNotFound,
    RunStateError,
)

__all__ = [
    "CancelOutcome",
    "EventHub",
    "RunManager",
    "RunManagerOptions",
    "RunNotFound",
    "RunStateError",
    "SubscriberDropped",
]
