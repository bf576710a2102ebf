"""`leadgen serve`: the settings checked, the database made or migrated, then uvicorn serving
the dashboard."""

from __future__ import annotations

import os

from rich.markup import escape

from webapp.cli.console import make_console
from webapp.cli.exits import EXIT_OK, EXIT_RUN_NOT_OK, EXIT_USAGE
from webapp.settings import Settings
from webapp.store import StoreError
from webapp.store.connection import open_writer
from webapp.tools.providers.choice import osm_contact_missing
from webapp.web.auth import is_loopback

# How long an idle connection is kept open. uvicorn's 5 s is exactly how long httpx (and other
# clients) keep one for reuse, so a client could send a request on a connection the server was
# closing at that moment, and get a ReadError for a POST it cannot safely repeat.
KEEP_ALIVE_S = 20


def serve(settings: Settings, *, reload: bool) -> int:
    import uvicorn  # only the server needs it

    from webapp.web.shutdown import SERVER_GRACE_S
    from webapp.web.workers import SERVE_PID

    if not 0 < settings.port < 65536:
        make_console(stderr=True).print(f"[red]error:[/red] {settings.port} is not a port number.")
        return EXIT_USAGE
    if settings.auth == "off" and not is_loopback(settings.host):
        make_console(stderr=True).print(
            f"[red]error:[/red] LEADGEN_AUTH=off serves only this machine, not {settings.host}. "
            "Listen on 127.0.0.1, or turn accounts on (LEADGEN_AUTH=on).",
            highlight=False,
        )
        return EXIT_USAGE
    if reload and settings.workers > 1:
        make_console(stderr=True).print(
            "[red]error:[/red] --reload runs one process; leave out --workers.", highlight=False
        )
        return EXIT_USAGE
    try:
        open_writer(settings.db).close()  # makes or migrates it now, as the app would
    except StoreError as error:
        make_console(stderr=True).print(
            f"[red]error:[/red] {escape(str(error))}", highlight=False, soft_wrap=True
        )
        return EXIT_RUN_NOT_OK
    # The app reads its settings from the environment, so each worker (and a reloaded one)
    # sees the same ones.
    os.environ["LEADGEN_DB"] = settings.db
    os.environ["LEADGEN_WORKERS"] = str(settings.workers)
    if settings.workers > 1:
        os.environ[SERVE_PID] = str(os.getpid())  # each worker ends with this process
    make_console().print(
        f"leadgen dashboard on http://{settings.host}:{settings.port} (database {settings.db}"
        + (f", {settings.workers} workers)" if settings.workers > 1 else ")"),
        highlight=False,
    )
    unidentified = osm_contact_missing(settings, {})
    if unidentified:
        make_console().print(f"[yellow]note:[/yellow] {unidentified}", highlight=False)
    uvicorn.run(
        "webapp.web:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        reload=reload,
        workers=settings.workers,  # (not None: uvicorn would read WEB_CONCURRENCY itself)
        log_level="info",
        timeout_keep_alive=KEEP_ALIVE_S,
        timeout_graceful_shutdown=int(SERVER_GRACE_S),  # the streams end first (shutdown.py)
        proxy_headers=False,  # the app believes them only from LEADGEN_TRUSTED_PROXIES
    )
    return EXIT_OK
