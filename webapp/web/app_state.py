"""Typed access to what the app's lifespan keeps in `app.state`: the store, the RunManager
and the settings."""

from __future__ import annotations

from starlette.requests import Request

from webapp.runtime import RunManager
from webapp.settings import Settings
from webapp.store import Store


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def manager_of(request: Request) -> RunManager:
    manager: RunManager = request.app.state.manager
    return manager


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings
