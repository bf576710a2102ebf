"""The real dashboard in a uvicorn thread, Debian's Chromium driven by Playwright, and a TCP proxy
that can cut the browser's connections. Every page fails its test if it logs an error."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from playwright.async_api import Browser, ConsoleMessage, Error, Page, async_playwright

from tests.web.helpers import create_first_account
from webapp.settings import Settings
from webapp.web import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
STARTUP_S = 10.0

# Records what the run page shows each time its DOM changes, from before the first SSE message:
# the steps' states, the graph's nodes (namespace and state), the graph's nodes and edges swapped
# in one by one (their namespaces), the badge, and how many stream messages were applied.
RECORDER = """
window.__seen = {steps: [], nodes: [], swapped: [], badge: [], messages: 0};
document.addEventListener("htmx:sseMessage", () => { window.__seen.messages += 1; });
document.addEventListener("DOMContentLoaded", () => {
  const run = document.getElementById("run");
  if (!run) return;
  const record = () => {
    window.__seen.steps.push(
      Array.from(document.querySelectorAll("#steps li"), (li) => li.dataset.state));
    window.__seen.nodes.push(Array.from(document.querySelectorAll("#graph g.node"), (g) =>
      (g.namespaceURI === "http://www.w3.org/2000/svg" ? "svg " : "other ") +
      ((g.getAttribute("class") || "").match(/state-(\\w+)/) || ["", "?"])[1]));
    const badge = document.getElementById("badge");
    if (badge) window.__seen.badge.push(badge.dataset.state);
  };
  record();
  new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      for (const added of mutation.addedNodes) {
        if (added.nodeType === 1 && added.matches("#graph g.node, #graph path.edge")) {
          window.__seen.swapped.push(added.namespaceURI);
        }
      }
    }
    record();
  }).observe(run, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"],
  });
});
"""


@dataclass
class LiveServer:
    url: str
    settings: Settings
    username: str = "owner"
    password: str = "password-of-owner"
    token: str = ""  # an API token of the owner's, for `api(server)`


def first_account(server: LiveServer) -> None:
    """The owner's account, made through /setup as a person does, and an API token made on
    the settings page."""
    with httpx.Client(base_url=server.url, timeout=20) as client:
        create_first_account(client, server.username)
        made = client.post("/settings/tokens", data={"name": "browser tests"})
        assert made.status_code == 303, made.text
        shown = client.get("/settings")
        match = re.search(r'id="new-token">([^<]+)<', shown.text)
        assert match, "the settings page did not show the new token"
        server.token = match.group(1)


async def sign_in(page: Page, server: LiveServer) -> None:
    """Log the browser in through the login page."""
    await page.goto(f"{server.url}/login")
    await page.fill("#username", server.username)
    await page.fill("#password", server.password)
    await page.click("button[type=submit]:has-text('Log in')")
    await page.wait_for_url(f"{server.url}/")


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Starts the dashboard on a free port (`start_server(demo_latency_ms=400)`), with the
    owner's account made unless `with_account=False`; all the servers a test started are
    stopped after it."""
    running: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(*, with_account: bool = True, **options: Any) -> LiveServer:
        # No .env file and no failing demo calls: a developer's setup must not change a test.
        options.setdefault("demo_failure_rate", 0.0)
        settings = Settings(_env_file=None, db=str(tmp_path / f"b{len(running)}.db"), **options)
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=0, lifespan="on", log_level="warning"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
        thread.start()
        running.append((server, thread))
        pause = threading.Event()  # never set: a plain wait between polls
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn stopped before it started serving")
            pause.wait(0.02)
        (sock,) = [s for srv in server.servers for s in srv.sockets]
        port = sock.getsockname()[1]
        live = LiveServer(url=f"http://127.0.0.1:{port}", settings=settings)
        if with_account:
            first_account(live)
        return live

    yield start
    for server, _ in running:
        server.should_exit = True
    for _, thread in running:
        thread.join(timeout=STARTUP_S)
        assert not thread.is_alive(), "uvicorn did not stop"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@dataclass
class BrowserLog:
    """Console errors and uncaught exceptions of a page. A test that breaks something on
    purpose names the errors it expects with `expect()`; any other fails the test."""

    errors: list[str] = field(default_factory=list)
    expected: list[re.Pattern[str]] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location.get('url')})")

    def on_page_error(self, error: Error) -> None:
        self.errors.append(f"pageerror: {error}")

    def expect(self, pattern: str) -> None:
        self.expected.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.expected)]


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


@pytest_asyncio.fixture(loop_scope="module")
async def page(browser: Browser, browser_log: BrowserLog) -> AsyncIterator[Page]:
    context = await browser.new_context(accept_downloads=True)
    await context.add_init_script(RECORDER)
    opened = await context.new_page()
    opened.on("console", browser_log.on_console)
    opened.on("pageerror", browser_log.on_page_error)
    opened.set_default_timeout(20_000)
    yield opened
    await context.close()
    assert browser_log.unexpected() == []


@pytest_asyncio.fixture(loop_scope="module")
async def api() -> AsyncIterator[Callable[[LiveServer], httpx.AsyncClient]]:
    """`api(server)`: an HTTP client on that server, outside the browser."""
    clients: list[httpx.AsyncClient] = []

    def client(server: LiveServer) -> httpx.AsyncClient:
        made = httpx.AsyncClient(
            base_url=server.url,
            timeout=20,
            headers={"Authorization": f"Bearer {server.token}"},
        )
        clients.append(made)
        return made

    yield client
    for made in clients:
        await made.aclose()


class TcpProxy:
    """Forwards 127.0.0.1:port to the server. `cut()` resets every connection and refuses new
    ones, as a dropped network would; `restore()` lets them through again."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self.passing = True
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def cut(self) -> None:
        self.passing = False
        for writer in list(self._writers):
            writer.transport.abort()

    def restore(self) -> None:
        self.passing = True

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        self.cut()
        # Python 3.11's wait_closed() does not wait for the connections' handlers.
        await asyncio.gather(*self._handlers)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            if not self.passing:
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(
                    "127.0.0.1", self.upstream_port
                )
            except OSError:
                return
            self._writers |= {writer, up_writer}
            try:
                await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
            finally:
                up_writer.transport.abort()
                self._writers -= {writer, up_writer}
        finally:
            writer.transport.abort()
            self._handlers.discard(task)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass  # the other side went away (or was cut): the finally below ends both
        finally:
            writer.transport.abort()


@pytest_asyncio.fixture(loop_scope="module")
async def proxy_to() -> AsyncIterator[Callable[[LiveServer], Any]]:
    """`await proxy_to(server)`: a started TcpProxy in front of that server."""
    proxies: list[TcpProxy] = []

    async def make(server: LiveServer) -> TcpProxy:
        proxy = TcpProxy(int(server.url.rsplit(":", 1)[1]))
        await proxy.start()
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        await proxy.close()
