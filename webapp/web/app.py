"""`create_app()`: the dashboard, its routes and middleware, and the lifespan that opens the
store and starts the RunManager, then stops them."""

from __future__ import annotations

import contextlib
import gc
import logging
import sys
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from webapp.runtime.accounts import Accounts
from webapp.runtime.factory import build_manager
from webapp.runtime.monitors import MonitorScheduler
from webapp.settings import Settings
from webapp.store import Store
from webapp.web import accounts as accounts_pages
from webapp.web import api, compare, event_streams, monitors, outbox, pages, sequences
from webapp.web.auth import Auth, AuthMiddleware
from webapp.web.errors import HANDLERS
from webapp.web.fanout import RunFeeds
from webapp.web.fragments import LiveFragments
from webapp.web.loop_lag import LoopLagMonitor
from webapp.web.resources import site_dir
from webapp.web.security import SecurityHeaders
from webapp.web.sequences import mail_view
from webapp.web.shutdown import Shutdown
from webapp.web.templating import build_templates
from webapp.web.workers import end_with_parent

logger = logging.getLogger(__name__)

# The collector's thresholds while serving (Python's are 700, 10, 10). A thousand open streams
# hold some hundred thousand objects; with the defaults, opening them set off full collections
# of 40 to 120 ms, and a burst of events young ones of 7 to 24 ms, each stalling every viewer.
# Young collections now come after 10,000 allocations, full ones a tenth as often.
GC_THRESHOLDS = (10_000, 20, 100)

# How long a thread may hold the GIL while another waits for it (Python's default: 5 ms). The
# store's writer and readers are threads, and sqlite3 lets go of the GIL for every row it
# steps: under load each row then waited up to 5 ms for the busy event loop to let it back,
# and a batch of 4 ms of work took 20 to 40 ms (up to 300) to commit, with every event in it
# waiting (bench/README.md, bench.load, has the figures at 0.5 ms and at 5 ms).
SWITCH_INTERVAL_S = 0.0005


def create_app(settings: Settings | None = None) -> Starlette:
    """The dashboard. The lifespan opens the store and starts the RunManager; on shutdown the
    manager marks what it was running interrupted, the runs' live feeds stop and the store
    closes. Under a signal the runs are stopped earlier, while the event streams are still open
    to tell their viewers (webapp/web/shutdown.py; ARCHITECTURE.md, "Stopping with viewers
    watching")."""
    settings = settings or Settings()
    templates = build_templates()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        end_with_parent()  # a worker of `serve --workers N` (see webapp/web/workers.py)
        store = await Store.open(settings.db)
        accounts = Accounts(store, session_s=settings.session_hours * 3600)
        app.state.auth = await Auth.build(accounts, settings)
        manager = build_manager(settings, store)
        live = LiveFragments(store, templates, mail=mail_view(settings))
        feeds = RunFeeds(manager, live)
        scheduler = MonitorScheduler(
            store, manager.services_for, interval_s=settings.monitor_interval_s
        )
        loop_lag = LoopLagMonitor()

        async def stop_runs() -> None:
            await scheduler.stop()  # never raises; before the manager closes the clients
            await manager.stop(reason="The server stopped while this run was going")

        shutdown = Shutdown(stop_runs)
        thresholds, switch_interval = gc.get_threshold(), sys.getswitchinterval()
        try:
            loop_lag.start()
            app.state.loop_lag = loop_lag
            await manager.start()
            scheduler.start()
            app.state.monitors = scheduler
            app.state.store = store
            app.state.manager = manager
            app.state.live = live
            app.state.feeds = feeds
            app.state.shutdown = shutdown
            logger.info("leadgen is serving %s", settings.db)
            # What startup made (modules, templates, schemas) lives as long as the app: kept out
            # of the collector's sight, a full collection walks only what serving made since.
            gc.freeze()
            gc.set_threshold(*GC_THRESHOLDS)
            sys.setswitchinterval(SWITCH_INTERVAL_S)
            yield
        finally:
            sys.setswitchinterval(switch_interval)
            gc.set_threshold(*thresholds)
            gc.unfreeze()
            await loop_lag.stop()
            try:
                await shutdown.finish()  # at once, unless a signal began it already
            finally:
                try:
                    await feeds.close()
                finally:
                    await store.close()

    routes = [
        # first, the routes asked for most under load: the router tries each route in turn
        *event_streams.routes,
        *api.routes,
        *accounts_pages.routes,
        *pages.routes,
        *monitors.routes,
        *compare.routes,
        *sequences.routes,
        *outbox.routes,
        Mount("/static", StaticFiles(directory=str(site_dir("static"))), name="static"),
    ]
    middleware = [
        # X-Forwarded-For/-Proto believed only from LEADGEN_TRUSTED_PROXIES (uvicorn's own
        # middleware, in the app so the setting holds whatever serves it; `serve` turns
        # uvicorn's reading of them off)
        Middleware(
            ProxyHeadersMiddleware,
            trusted_hosts=[str(network) for network in settings.trusted_proxy_networks()],
        ),
        Middleware(SecurityHeaders),
        Middleware(AuthMiddleware),
    ]
    app = Starlette(
        routes=routes, middleware=middleware, lifespan=lifespan, exception_handlers=HANDLERS
    )
    app.state.settings = settings
    app.state.templates = templates
    return app
