"""Builds the store and the RunManager from settings: what the CLI and the web app share."""

from __future__ import annotations

from webapp.runtime.manager import RunManager, RunManagerOptions
from webapp.settings import Settings
from webapp.store import Store
from webapp.tools import ToolServices


def manager_options(settings: Settings) -> RunManagerOptions:
    return RunManagerOptions(
        max_runs=settings.max_runs,
        max_step_concurrency=settings.max_concurrency,
        retry_policy=settings.retry_policy(),
    )


def build_manager(settings: Settings, store: Store) -> RunManager:
    services = ToolServices(
        settings=settings,
        lead_lists=store.outputs,
        sequences=store.outputs,
        monitors=store.outputs,
    )
    return RunManager(
        store, services_for=lambda run_id: services, options=manager_options(settings)
    )
