"""Many concurrent viewers of one server-sent event stream, in a process of their own (the
server's process is never the one that reads): bench/sse.py starts it through multiprocessing.

    python -m bench.sse_viewers --port N --path '/runs/RUN_ID/events?after=0' [--viewers N]

Run alone, it opens the viewers, reads until every stream has ended (or the timeout) and
prints a summary. Each viewer is a plain asyncio Protocol on a socket to 127.0.0.1: it sends
one HTTP/1.1 GET, reads the headers, undoes the chunked framing and splits the body into SSE
messages. For each message with an `id:` (the event's seq) it records the wall-clock time
(`time.time()`) of the read that completed it; the `done` event ends the viewer. Nothing else
is done per message, so the readers themselves add as little as possible to what is measured.

The viewers run on uvloop when it is installed (uvicorn's [standard] extra brings it), else on
asyncio's own loop (`--loop asyncio` asks for it). The loop matters: reading one event on 1000
sockets costs asyncio's loop about 20-40 ms (more than the server takes to write it), uvloop
10-15 ms, and a viewer's latency is counted when the read that completes it is done.
bench/sse.py also keeps them on one CPU of their own (the last one): left free, the scheduler
wakes them on the server's CPU each time it writes to them, and the server waits its turn.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, cast

try:
    import uvloop
except ImportError:  # pragma: no cover - the server's [standard] extra installs it
    uvloop = None

HOST = "127.0.0.1"
LOOPS = ("uvloop", "asyncio") if uvloop is not None else ("asyncio",)
CONNECTS_AT_ONCE = 200  # connections being opened at one time (the rest wait their turn)
HEAD_LIMIT = 64 * 1024
PREFIX = 256  # bytes of a message searched for its `id:` and `event:` lines


def raise_open_files(wanted: int) -> int:
    """Raise this process's soft limit on open files towards `wanted` (never past the hard
    limit); returns the limit in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


@dataclass
class ViewerResult:
    status: int = 0
    connected_at: float = 0.0  # wall time the response headers arrived
    events: list[tuple[int, float, int]] = field(default_factory=list)  # (seq, at, bytes)
    done: bool = False
    error: str = ""
    body_bytes: int = 0

    def as_list(self) -> list[Any]:
        return [self.status, self.connected_at, self.events, self.done, self.error]


class Viewer(asyncio.Protocol):
    def __init__(self, request: bytes, loop: asyncio.AbstractEventLoop) -> None:
        self.request = request
        self.result = ViewerResult()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.transport: asyncio.Transport | None = None
        self._head = bytearray()
        self._in_body = False
        self._chunked = True
        self._raw = bytearray()  # body bytes not yet de-chunked
        self._need = -1  # bytes left in the current chunk (with its CRLF); -1: at a size line
        self._sse = bytearray()  # de-chunked bytes not yet split into messages
        self._sep = b""  # the message terminator, learnt from the first line

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        if not self._in_body:
            self._head += data
            end = self._head.find(b"\r\n\r\n")
            if end < 0:
                if len(self._head) > HEAD_LIMIT:
                    self._fail("response headers too long")
                return
            self._headers(bytes(self._head[:end]), now)
            data = bytes(self._head[end + 4 :])
            self._head.clear()
            if self.result.status != 200:
                self._fail(f"HTTP {self.result.status}")
                return
        self.result.body_bytes += len(data)
        if self._chunked:
            self._dechunk(data, now)
        else:
            self._messages(data, 0, len(data), now)

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None and not self.result.error:
            self.result.error = f"{type(exc).__name__}: {exc}"
        elif not self.result.done and not self.result.error:
            self.result.error = "closed before the done event"
        if not self.opened.done():
            self.opened.set_result(None)
        if not self.closed.done():
            self.closed.set_result(None)

    # -- parsing ------------------------------------------------------------------------------

    def _headers(self, head: bytes, now: float) -> None:
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        self.result.status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        self._chunked = any(
            line.lower().startswith(b"transfer-encoding:") and b"chunked" in line.lower()
            for line in lines[1:]
        )
        self.result.connected_at = now
        self._in_body = True
        if not self.opened.done():
            self.opened.set_result(None)

    def _dechunk(self, data: bytes, now: float) -> None:
        """Undo the chunked framing in place: the bytes are only scanned, never copied, unless
        a chunk is split between reads (its start then waits in `_raw` for the rest)."""
        if self._raw:
            self._raw += data
            data = bytes(self._raw)
            self._raw.clear()
        pos, size = 0, len(data)
        while pos < size:
            if self._need < 0:
                line_end = data.find(b"\r\n", pos)
                if line_end < 0:
                    break
                length = int(data[pos:line_end].split(b";", 1)[0], 16)
                if length == 0:  # the last chunk: the server ended the stream
                    if not self.result.done and not self.result.error:
                        self.result.error = "stream ended without the done event"
                    self._close()
                    return
                pos = line_end + 2
                self._need = length + 2
            end = pos + self._need
            if end > size:
                break
            self._messages(data, pos, end - 2, now)
            pos = end
            self._need = -1
            if self.result.done:
                return
        if pos < size:
            self._raw += data[pos:]

    def _messages(self, data: bytes, start: int, stop: int, now: float) -> None:
        """The SSE messages in data[start:stop] (one chunk's payload), found in place; a message
        cut by the chunk's end waits in `_sse` for the next one."""
        if self._sse:
            self._sse += data[start:stop]
            data, start, stop = bytes(self._sse), 0, len(self._sse)
            self._sse.clear()
        if not self._sep:
            line_end = data.find(b"\n", start, stop)
            if line_end < 0:
                self._sse += data[start:stop]
                return
            self._sep = b"\r\n\r\n" if line_end > start and data[line_end - 1] == 0x0D else b"\n\n"
        sep = self._sep
        line = sep[: len(sep) // 2]
        while True:
            end = data.find(sep, start, stop)
            if end < 0:
                break
            self._message(data[start : min(end, start + PREFIX)], line, now, end - start)
            start = end + len(sep)
            if self.result.done:
                return
        if start < stop:
            self._sse += data[start:stop]

    def _message(self, prefix: bytes, line_sep: bytes, now: float, size: int) -> None:
        seq = None
        name = b""
        for line in prefix.split(line_sep):
            if line.startswith(b"id:"):
                value = line[3:].strip()
                seq = int(value) if value.isdigit() else None
            elif line.startswith(b"event:"):
                name = line[6:].strip()
            elif line.startswith(b"data:"):
                break
        if name == b"done":
            self.result.done = True
            self._close()
        elif seq is not None:
            self.result.events.append((seq, now, size))

    def _fail(self, message: str) -> None:
        self.result.error = message
        self._close()

    def _close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


async def open_viewer(
    loop: asyncio.AbstractEventLoop, port: int, request: bytes, gate: asyncio.Semaphore
) -> Viewer:
    viewer = Viewer(request, loop)
    async with gate:
        try:
            await loop.create_connection(lambda: viewer, HOST, port)
        except OSError as error:
            viewer.result.error = f"connect: {error}"
            viewer.opened.set_result(None)
            viewer.closed.set_result(None)
            return viewer
        await viewer.opened  # the headers (or an error) arrived
    return viewer


async def watch(
    port: int,
    path: str,
    count: int,
    *,
    open_timeout: float,
    read_for: float,
    on_open: Any = None,
) -> dict[str, Any]:
    """Open `count` viewers of `path`, call `on_open(summary)` once they are all open (or the
    open timeout passed), then read until every stream ends or `timeout` seconds after that."""
    loop = asyncio.get_running_loop()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: text/event-stream\r\n"
        "Cache-Control: no-cache\r\n\r\n"
    ).encode()
    gate = asyncio.Semaphore(CONNECTS_AT_ONCE)
    started = time.perf_counter()
    tasks = [asyncio.ensure_future(open_viewer(loop, port, request, gate)) for _ in range(count)]
    finished, pending = await asyncio.wait(tasks, timeout=open_timeout)
    open_seconds = time.perf_counter() - started
    for task in pending:
        task.cancel()
    viewers = [task.result() for task in finished if not task.cancelled()]
    opened = sum(1 for v in viewers if v.result.status == 200 and v.opened.done())
    summary = {"opened": opened, "open_s": open_seconds, "asked": count}
    if on_open is not None:
        on_open(summary)
    closed = [v.closed for v in viewers]
    if closed:
        await asyncio.wait(closed, timeout=read_for)
    for viewer in viewers:
        if not viewer.closed.done():
            viewer.result.error = viewer.result.error or "timed out"
            viewer._close()
    await asyncio.sleep(0)  # let the transports close
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        **summary,
        "viewers": [v.result.as_list() for v in viewers]
        + [[0, 0.0, [], False, "not opened"]] * (count - len(viewers)),
        "bytes": sum(v.result.body_bytes for v in viewers),
        "cpu_s": usage.ru_utime + usage.ru_stime,
    }


def run_on(loop: str, main: Any) -> Any:
    """asyncio.run(main), on uvloop if `loop` says so."""
    if loop == "uvloop":
        if uvloop is None:
            raise SystemExit("uvloop is not installed")
        return uvloop.run(main)
    return asyncio.run(main)


def run_viewers(
    conn: Connection,
    port: int,
    path: str,
    count: int,
    open_timeout: float,
    timeout: float,
    loop: str = LOOPS[0],
    cpu: int | None = None,
) -> None:
    """multiprocessing target: sends ("open", summary) once the viewers are open, then
    ("result", everything); ("error", text) if it failed. `cpu`: the one CPU to run on."""
    try:
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
        raise_open_files(count + 256)
        result = run_on(
            loop,
            watch(
                port,
                path,
                count,
                open_timeout=open_timeout,
                read_for=timeout,
                on_open=lambda summary: conn.send(("open", summary)),
            ),
        )
        conn.send(("result", result))
    except BaseException as error:  # the parent must hear of it rather than wait
        conn.send(("error", f"{type(error).__name__}: {error}"))
        raise
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True, help="e.g. /runs/RUN_ID/events?after=0")
    parser.add_argument("--viewers", type=int, default=100)
    parser.add_argument("--open-timeout", type=float, default=30.0)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--loop", choices=LOOPS, default=LOOPS[0], help="the viewers' loop")
    args = parser.parse_args()
    raise_open_files(args.viewers + 256)
    result = run_on(
        args.loop,
        watch(
            args.port,
            args.path,
            args.viewers,
            open_timeout=args.open_timeout,
            read_for=args.timeout,
        ),
    )
    viewers = result.pop("viewers")
    result["events"] = sum(len(v[2]) for v in viewers)
    result["done"] = sum(1 for v in viewers if v[3])
    result["errors"] = sorted({v[4] for v in viewers if v[4]})
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
