"""What the tools need from the outside world, bundled: settings, stores, clock and sleep."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from webapp.core.models import utc_now
from webapp.core.ports import LeadListStore, MonitorStore, SequenceStore
from webapp.core.tooling import ToolEnv
from webapp.settings import Settings
from webapp.tools.memory import MemoryLeadLists, MemoryMonitors, MemorySequences
from webapp.tools.providers.usage import RunUsage

if TYPE_CHECKING:  # the clients import the tools' helpers, which import this module
    from webapp.tools.providers.clients import ProviderClients


@dataclass
class ToolServices:
    settings: Settings
    lead_lists: LeadListStore = field(default_factory=MemoryLeadLists)
    sequences: SequenceStore = field(default_factory=MemorySequences)
    monitors: MonitorStore = field(default_factory=MemoryMonitors)
    clock: Callable[[], datetime] = utc_now
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    # This run's own provider choices, e.g. {"places_provider": "osm"} (see providers.choice).
    provider_overrides: Mapping[str, str] = field(default_factory=dict)
    # The process's provider clients (one HTTP client, shared rate limits), made on first use.
    clients: ProviderClients | None = None
    # What this run spends, step by step, and its budget (None: not counted).
    usage: RunUsage | None = None

    def providers(self) -> ProviderClients:
        if self.clients is None:
            from webapp.tools.providers.clients import ProviderClients

            self.clients = ProviderClients(self.settings)
        return self.clients


@lru_cache(maxsize=1)
def default_services() -> ToolServices:
    return ToolServices(settings=Settings())


def services_of(env: ToolEnv) -> ToolServices:
    """The executor passes a ToolServices through `ToolEnv.services`; a tool called without one
    gets the process's default (settings from the environment, in-memory stores)."""
    services = env.services
    if services is None:
        return default_services()
    if not isinstance(services, ToolServices):
        raise TypeError(f"ToolEnv.services must be a ToolServices, not {type(services).__name__}")
    return services
