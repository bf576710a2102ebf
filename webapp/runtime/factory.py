"""Builds the store and the RunManager from settings: what the CLI and the web app share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from webapp.runtime.manager import RunManager, RunManagerOptions
from webapp.settings import Settings
from webapp.store import Store
from webapp.tools import ToolServices
from webapp.tools.providers.choice import validate_overrides
from webapp.tools.providers.clients import ProviderClients
from webapp.tools.providers.usage import Budget, RunUsage
from webapp.tools.step_timeouts import step_timeout


def manager_options(settings: Settings) -> RunManagerOptions:
    return RunManagerOptions(
        max_runs=settings.max_runs,
        max_step_concurrency=settings.max_concurrency,
        retry_policy=settings.retry_policy(),
        step_timeout=step_timeout,
    )


def build_manager(settings: Settings, store: Store) -> RunManager:
    # one HTTP client, one set of rate limits and the answer cache, for all runs
    clients = ProviderClients(settings, cache=store.cache)

    def services_for(run_id: str, options: Mapping[str, Any]) -> ToolServices:
        """A run's services: the shared stores, with the run's own provider choices."""
        return ToolServices(
            settings=settings,
            lead_lists=store.outputs,
            sequences=store.outputs,
            monitors=store.outputs,
            provider_overrides=validate_overrides(options),
            clients=clients,
            usage=RunUsage(budget=Budget.from_options(options.get("budget"))),
        )

    manager = RunManager(store, services_for=services_for, options=manager_options(settings))
    manager.closers.append(clients.aclose)
    return manager
