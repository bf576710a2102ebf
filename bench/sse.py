"""Prints what the live event streams cost with many viewers, and the history page's time with
many runs, measured on the real server (`python -m webapp serve`) run as a subprocess.

    python -m bench.sse [--viewers 100,500,1000] [--json] [--per-event] [--latency-ms MS]
                        [--client-loop uvloop|asyncio] [--no-pin] [--history-runs N]
                        [--calls N]                 (python bench/sse.py works too)

Everything is on 127.0.0.1; each part uses a fresh database file in a temporary folder, and
the server is stopped (killed if it will not stop) whatever happens.

1. Viewers. The server runs with LEADGEN_DEMO_LATENCY_MS=--latency-ms (each demo provider
   call waits that long: a run of the 6-step plan lasts about three of them) and one run at a
   time (LEADGEN_MAX_RUNS=1). For each viewer count N: "blocker" runs are started, then the
   measured run (POST /api/runs with GOAL), which waits, pending, behind them; a separate
   process (bench/sse_viewers.py, through multiprocessing) opens N viewers of the run's page
   stream /runs/{id}/events?after=0 (HTML updates), on uvloop unless --client-loop asyncio
   (asyncio's loop reads slower than the server writes) and pinned to the last CPU unless
   --no-pin (see bench/sse_viewers.py: in real life the viewers are on other machines and do
   not take the server's CPU); once all are open the blockers are
   cancelled, so the run starts and every event of it is delivered live. With --json the same
   is done again, with a run of its own, on the JSON stream /api/runs/{id}/events.
   Latency of a (viewer, event) pair: the wall time the viewer read the event minus the
   event's own `timestamp` (UTC, truncated to the millisecond, so up to 1 ms too high), learnt
   per seq from a replay of the finished run's JSON stream; both processes are on this
   machine, so the clocks agree (and whatever else loads the machine is in the figures).
   Figures: p50, p99 and max over all pairs; the median over events of the first viewer's
   latency (store commit and render, plus the fan-out of any event just before it) and the
   largest spread between an event's first and last viewer (the fan-out itself);
   events lost (the run's event count minus the distinct events each viewer got, summed) and
   the viewers that ended with the `done` event; the server's RSS before and its peak during
   (VmRSS sampled every 50 ms); the server's CPU seconds while the viewers opened and while
   the run was delivered (also per event delivered: the blockers' cancels and the run's own
   work are in it, the opening is not), and the viewers' process's CPU seconds. --per-event
   adds a line per event: when it was stamped (from the run's first), its size, and the
   latency of its first, median and last viewer.
   Target: p99 ≤ 50 ms with 1000 viewers, and no event lost.
2. History. --history-runs runs are inserted into a new database with bench/store.py's
   `history_rows`/`insert_runs` (after `Store.open` made the schema) before a server starts
   on it; then GET /runs (the HTML page), /runs?status=failed, /runs?q=coffee and
   /api/runs?limit=50 are each called --calls times on one keep-alive connection, after one
   call to warm up. Best and median in ms: the server's time plus loopback, what a user sees.
   Target: at most 30 ms (the verdict is on the median). --history-runs 0 skips this part.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

if __package__ in (None, ""):  # run as a script: make `bench` importable, for us and the child
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.sse_viewers import LOOPS, raise_open_files, run_viewers
from bench.store import history_rows, insert_runs, six_step_plan
from webapp.store import Store

HOST = "127.0.0.1"
GOAL = "Find 20 coffee shops in Manchester, email them and monitor for new ones"
PROVIDER_CALLS = 3  # demo provider calls in the 6-step plan, one after another
TARGET_P99_MS = 50.0
TARGET_VIEWERS = 1000
TARGET_HISTORY_MS = 30.0
SAMPLE_S = 0.05
SAMPLE_FOR_AT_MOST_S = 3600.0
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
SETTLE_S = 0.5  # after the last viewer's headers: its subscription is being made
MAX_BLOCKERS = 200
OPEN_FILES = 65536
HISTORY_PATHS = ("/runs", "/runs?status=failed", "/runs?q=coffee", "/api/runs?limit=50")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def server_env(extra: dict[str, str]) -> dict[str, str]:
    """This environment without the app's own settings or provider keys (so the demo
    directory answers), plus `extra`. Accounts are off (LEADGEN_AUTH=off, the single-user
    mode served on loopback only): the viewers connect before the measured run starts, so a
    login's cost would not be in the figures anyway; bench/load.py measures with accounts.
    The per-user run rate is lifted: the blockers are many runs started at once."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("LEADGEN_")
        and key not in ("PORT", "GOOGLE_PLACES_API_KEY", "HUNTER_API_KEY")
    }
    env.update(extra, PYTHONUNBUFFERED="1", LEADGEN_AUTH="off", LEADGEN_RUNS_PER_MINUTE="10000")
    return env


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


@contextlib.contextmanager
def serve(db: str, folder: str, settings: dict[str, str]) -> Iterator[Server]:
    """`python -m webapp serve` on `db` and a free port, ready (GET /healthz answered), and
    stopped at the end: SIGINT, then SIGKILL if it has not stopped in STOP_TIMEOUT_S."""
    port = free_port()
    log = Path(folder) / f"server-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "webapp", "serve", "--db", db, "--port", str(port)],
            cwd=folder,  # no .env of the developer's is read
            env=server_env(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, port, log)
    try:
        wait_ready(server)
        yield server
    except BaseException:
        print(f"the server's log ends with:\n{server.log_tail()}", file=sys.stderr)
        raise
    finally:
        stop(process)


def wait_ready(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    with httpx.Client(base_url=server.url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise SystemExit(
                    f"the server exited ({server.process.returncode}):\n" + server.log_tail()
                )
            with contextlib.suppress(httpx.HTTPError):
                if client.get("/healthz").status_code == 200:
                    return
            time.sleep(0.1)
    raise SystemExit(
        f"the server did not answer /healthz in {START_TIMEOUT_S:.0f} s:\n" + server.log_tail()
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT_S)


class Sampler(threading.Thread):
    """The server's VmRSS (kB) and CPU seconds every SAMPLE_S, for at most
    SAMPLE_FOR_AT_MOST_S."""

    def __init__(self, pid: int) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, int]] = []  # (monotonic time, VmRSS kB)
        self._halt = threading.Event()

    def run(self) -> None:
        deadline = time.monotonic() + SAMPLE_FOR_AT_MOST_S
        while not self._halt.is_set() and time.monotonic() < deadline:
            rss = self.status("VmRSS")
            if rss is None:
                return
            self.samples.append((time.monotonic(), rss))
            self._halt.wait(SAMPLE_S)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=2)

    def status(self, key: str) -> int | None:
        try:
            with open(f"/proc/{self.pid}/status") as status:
                for line in status:
                    if line.startswith(key + ":"):
                        return int(line.split()[1])
        except OSError:
            return None
        return None

    def cpu_s(self) -> float:
        try:
            with open(f"/proc/{self.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return math.nan
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime

    def peak_since(self, since: float) -> int:
        return max((rss for at, rss in self.samples if at >= since), default=0)


# -- part 1: viewers ----------------------------------------------------------------------------


@dataclass
class EventFigures:
    type: str
    stamped: float  # the event's timestamp, epoch seconds
    size: int = 0  # bytes of the SSE message as the viewers got it
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def first_ms(self) -> float:  # the path up to the first viewer: N does not multiply it
        return min(self.latencies_ms, default=math.nan)

    @property
    def spread_ms(self) -> float:  # the event's first viewer to its last: the fan-out
        return max(self.latencies_ms, default=math.nan) - self.first_ms


@dataclass
class Viewing:
    stream: str
    viewers: int
    opened: int = 0
    open_s: float = 0.0
    expected: int = 0
    run_status: str = ""
    started_late: bool = False  # the run had started before the viewers were all open
    latencies_ms: list[float] = field(default_factory=list)
    per_event: dict[int, EventFigures] = field(default_factory=dict)
    lost: int = 0
    fewest: int = 0  # the fewest distinct events one viewer got
    most: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    replayed: int = 0  # events stamped before the viewer was connected
    done: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    rss_before_kb: int = 0
    rss_peak_kb: int = 0
    open_cpu_s: float = 0.0  # the server's CPU while the viewers opened their streams
    run_cpu_s: float = 0.0  # the server's CPU from the blockers' cancel to the last viewer's end
    viewers_cpu_s: float = 0.0
    bytes_read: int = 0


def percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def epoch(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def create_run(client: httpx.Client) -> str:
    response = client.post("/api/runs", json={"goal": GOAL})
    if response.status_code != 201:
        raise SystemExit(f"POST /api/runs: {response.status_code} {response.text[:300]}")
    return str(response.json()["runId"])


def run_state(client: httpx.Client, run_id: str) -> dict[str, Any]:
    response = client.get(f"/api/runs/{run_id}")
    response.raise_for_status()
    run: dict[str, Any] = response.json()["run"]
    return run


def run_events(client: httpx.Client, run_id: str) -> dict[int, tuple[float, str]]:
    """seq → (the event's timestamp in epoch seconds, its type), from a replay of the run."""
    response = client.get(f"/api/runs/{run_id}/events", params={"after": 0})
    response.raise_for_status()
    events: dict[int, tuple[float, str]] = {}
    for line in response.text.splitlines():
        if line.startswith("data: {"):
            event = json.loads(line[6:])
            events[int(event["seq"])] = (epoch(event["timestamp"]), str(event["type"]))
    return events


def receive(conn: Any, kind: str, timeout: float) -> Any:
    if not conn.poll(timeout):
        raise SystemExit(f"the viewers' process sent no {kind!r} in {timeout:.0f} s")
    try:
        got, payload = conn.recv()
    except EOFError:
        raise SystemExit(f"the viewers' process ended without sending {kind!r}") from None
    if got == "error":
        raise SystemExit(f"the viewers' process failed: {payload}")
    if got != kind:
        raise SystemExit(f"the viewers' process sent {got!r}, expected {kind!r}")
    return payload


def view_run(
    server: Server,
    sampler: Sampler,
    stream: str,
    count: int,
    *,
    latency_ms: int,
    open_timeout: float,
    timeout: float,
    client_loop: str,
    client_cpu: int | None,
) -> Viewing:
    result = Viewing(stream, count)
    run_s = PROVIDER_CALLS * latency_ms / 1000 + 0.05
    cover_s = open_timeout + SETTLE_S + 15  # the viewers' process starting, then opening
    blockers_wanted = min(MAX_BLOCKERS, math.ceil(cover_s / run_s) + 1)
    context = multiprocessing.get_context("spawn")
    receiving, sending = context.Pipe(duplex=False)
    child = None
    with httpx.Client(base_url=server.url, timeout=30.0) as client:
        try:
            blockers = [create_run(client) for _ in range(blockers_wanted)]
            run_id = create_run(client)
            if stream == "html":
                path = f"/runs/{run_id}/events?after=0"
            else:
                path = f"/api/runs/{run_id}/events"
            child = context.Process(
                target=run_viewers,
                args=(
                    sending,
                    server.port,
                    path,
                    count,
                    open_timeout,
                    timeout,
                    client_loop,
                    client_cpu,
                ),
                name=f"sse-viewers-{count}",
            )
            rss_before = sampler.status("VmRSS") or 0
            cpu_before = sampler.cpu_s()
            since = time.monotonic()
            child.start()
            sending.close()
            opening = receive(receiving, "open", open_timeout + 30)
            time.sleep(SETTLE_S)
            result.started_late = run_state(client, run_id)["status"] != "pending"
            cpu_opened = sampler.cpu_s()
            result.open_cpu_s = cpu_opened - cpu_before
            for blocker in reversed(blockers):  # the waiting ones first, the running one last
                client.post(f"/api/runs/{blocker}/cancel")
            report = receive(receiving, "result", timeout + 30)
            result.run_cpu_s = sampler.cpu_s() - cpu_opened
            result.rss_before_kb = rss_before
            result.rss_peak_kb = max(sampler.peak_since(since), sampler.status("VmRSS") or 0)
            child.join(10)
            run = run_state(client, run_id)
            deadline = time.monotonic() + timeout
            while run["status"] in ("pending", "running") and time.monotonic() < deadline:
                time.sleep(0.1)
                run = run_state(client, run_id)
            stamps = run_events(client, run_id)
        finally:
            receiving.close()
            sending.close()
            if child is not None and child.is_alive():
                child.terminate()
                child.join(5)
                if child.is_alive():
                    child.kill()
    result.opened, result.open_s = opening["opened"], opening["open_s"]
    result.run_status = run["status"]
    result.expected = int(run["lastSeq"])
    result.viewers_cpu_s = report["cpu_s"]
    result.bytes_read = report["bytes"]
    summarise(result, report["viewers"], stamps)
    return result


def summarise(
    result: Viewing, viewers: list[list[Any]], stamps: dict[int, tuple[float, str]]
) -> None:
    for seq, (stamped, kind) in sorted(stamps.items()):
        result.per_event[seq] = EventFigures(kind, stamped)
    counts = []
    for _status, connected_at, events, done, error in viewers:
        seqs = [seq for seq, _, _ in events]
        distinct = set(seqs)
        counts.append(len(distinct))
        result.duplicates += len(seqs) - len(distinct)
        result.out_of_order += sum(1 for a, b in itertools.pairwise(seqs) if b <= a)
        result.lost += len(set(range(1, result.expected + 1)) - distinct)
        result.done += bool(done)
        if error:
            result.errors[error] = result.errors.get(error, 0) + 1
        for seq, received, size in events:
            if seq not in stamps:
                continue
            stamped = stamps[seq][0]
            if stamped < connected_at - 0.001:
                result.replayed += 1
            latency = (received - stamped) * 1000
            result.latencies_ms.append(latency)
            figures = result.per_event[seq]
            figures.latencies_ms.append(latency)
            figures.size = max(figures.size, size)
    result.latencies_ms.sort()
    result.fewest, result.most = min(counts, default=0), max(counts, default=0)


def median_of(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.median(values) if values else math.nan


def print_viewing(v: Viewing, *, per_event: bool) -> None:
    ordered = v.latencies_ms
    events = list(v.per_event.values())
    p50, p99 = percentile(ordered, 0.50), percentile(ordered, 0.99)
    top = ordered[-1] if ordered else math.nan
    ok = v.lost == 0 and v.done == v.viewers and p99 <= TARGET_P99_MS
    verdict = "ok" if ok else "MISSES TARGET"
    if v.viewers != TARGET_VIEWERS:
        verdict = f"({verdict} at this count; the target is for {TARGET_VIEWERS})"
    print(
        f"  {v.stream:<4} {v.viewers:5d} viewers  opened {v.opened}/{v.viewers} in "
        f"{v.open_s:.2f} s; run {v.run_status}, {v.expected} events"
        + ("; THE RUN STARTED BEFORE ALL WERE OPEN" if v.started_late else "")
    )
    print(
        f"       latency ms  p50 {p50:7.1f}  p99 {p99:7.1f}  max {top:7.1f}   "
        f"first viewer (median over events) {median_of(e.first_ms for e in events):5.1f}   "
        f"fan-out spread (largest) {max((e.spread_ms for e in events), default=math.nan):6.1f}"
    )
    errors = ", ".join(f"{n} × {text}" for text, n in sorted(v.errors.items())) or "none"
    print(
        f"       events {len(ordered):,d} of {v.expected * v.viewers:,d} "
        f"({v.fewest}–{v.most} of {v.expected} per viewer); lost {v.lost}; "
        f"duplicates {v.duplicates}; out of order {v.out_of_order}; replayed {v.replayed}; "
        f"done {v.done}/{v.viewers}; errors: {errors}"
    )
    print(
        f"       server RSS {v.rss_before_kb / 1024:6.1f} MB before, "
        f"peak {v.rss_peak_kb / 1024:6.1f} MB (+{(v.rss_peak_kb - v.rss_before_kb) / 1024:.1f}); "
        f"{v.bytes_read / 1e6:.1f} MB read; viewers' CPU {v.viewers_cpu_s:.2f} s"
    )
    per_delivery = v.run_cpu_s / len(ordered) * 1e6 if ordered else math.nan
    print(
        f"       server CPU {v.open_cpu_s:.2f} s opening, {v.run_cpu_s:.2f} s during the run "
        f"({per_delivery:.0f} µs per event delivered)   {verdict}"
    )
    if per_event and events:
        print(
            f"       {'seq':>4} {'event':<16} {'at ms':>7} {'bytes':>7} "
            f"{'first ms':>9} {'median ms':>10} {'last ms':>8}"
        )
        start = events[0].stamped
        for seq, e in v.per_event.items():
            print(
                f"       {seq:4d} {e.type:<16} {(e.stamped - start) * 1000:7.0f} {e.size:7,d} "
                f"{e.first_ms:9.1f} {median_of(e.latencies_ms):10.1f} "
                f"{max(e.latencies_ms, default=math.nan):8.1f}"
            )


def viewers_part(
    counts: list[int],
    streams: list[str],
    latency_ms: int,
    open_timeout: float,
    timeout: float,
    *,
    per_event: bool,
    client_loop: str,
    pin: bool,
) -> None:
    cpus = sorted(os.sched_getaffinity(0))
    client_cpu = cpus[-1] if pin and len(cpus) > 1 else None
    where = f"on CPU {client_cpu}" if client_cpu is not None else "unpinned"
    with tempfile.TemporaryDirectory() as folder:
        settings = {
            "LEADGEN_DEMO_LATENCY_MS": str(latency_ms),
            "LEADGEN_DEMO_FAILURE_RATE": "0",
            "LEADGEN_RETRY_BASE_DELAY_S": "0.01",
            "LEADGEN_MAX_RUNS": "1",
        }
        with serve(os.path.join(folder, "sse.db"), folder, settings) as server:
            sampler = Sampler(server.pid)
            sampler.start()
            try:
                print(
                    f"live streams: server pid {server.pid} on port {server.port}, demo latency "
                    f"{latency_ms} ms per provider call; viewers on {client_loop}, {where}; "
                    f"targets: p99 ≤ {TARGET_P99_MS:.0f} ms with {TARGET_VIEWERS} viewers, "
                    "no event lost"
                )
                for stream in streams:
                    for count in counts:
                        viewing = view_run(
                            server,
                            sampler,
                            stream,
                            count,
                            latency_ms=latency_ms,
                            open_timeout=open_timeout,
                            timeout=timeout,
                            client_loop=client_loop,
                            client_cpu=client_cpu,
                        )
                        print_viewing(viewing, per_event=per_event)
                hwm = sampler.status("VmHWM") or 0
                print(f"  server peak RSS over the whole part (VmHWM): {hwm / 1024:.1f} MB")
            finally:
                sampler.stop()


# -- part 2: history ----------------------------------------------------------------------------


async def make_schema(path: str) -> None:
    await (await Store.open(path)).close()


def history_part(runs: int, calls: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "history.db")
        asyncio.run(make_schema(path))
        started = time.perf_counter()
        # all of them the one local user's, who is who LEADGEN_AUTH=off serves
        insert_runs(path, history_rows(runs, six_step_plan(), user_id="local"))
        seeded = time.perf_counter() - started
        with serve(path, folder, {}) as server:
            print(
                f"history with {runs:,d} runs (seeded in {seeded:.1f} s; server pid {server.pid}; "
                f"{calls} calls each, keep-alive; target ≤ {TARGET_HISTORY_MS:.0f} ms)"
            )
            print(f"  {'':<22} {'bytes':>8} {'best ms':>9} {'median ms':>10}")
            with httpx.Client(base_url=server.url, timeout=30.0) as client:
                for url in HISTORY_PATHS:
                    times = []
                    size = 0
                    for _ in range(calls + 1):  # the first call warms up and is not counted
                        began = time.perf_counter()
                        response = client.get(url)
                        times.append(time.perf_counter() - began)
                        if response.status_code != 200:
                            raise SystemExit(f"GET {url}: {response.status_code}")
                        size = len(response.content)
                    best, median = min(times[1:]) * 1000, statistics.median(times[1:]) * 1000
                    verdict = "ok" if median <= TARGET_HISTORY_MS else "MISSES TARGET"
                    print(f"  GET {url:<18} {size:8,d} {best:9.2f} {median:10.2f}  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--viewers", default="100,500,1000", help="viewer counts, comma-separated (0: skip)"
    )
    parser.add_argument("--json", action="store_true", help="also measure the JSON stream")
    parser.add_argument(
        "--per-event", action="store_true", help="also print each event's size and latencies"
    )
    parser.add_argument(
        "--latency-ms", type=int, default=400, help="LEADGEN_DEMO_LATENCY_MS for the server"
    )
    parser.add_argument("--open-timeout", type=float, default=30.0, help="seconds to open all")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to read a run")
    parser.add_argument(
        "--client-loop", choices=LOOPS, default=LOOPS[0], help="the viewers' event loop"
    )
    parser.add_argument(
        "--no-pin", action="store_true", help="let the viewers run on any CPU (the server's too)"
    )
    parser.add_argument("--history-runs", type=int, default=100_000, help="0: skip part 2")
    parser.add_argument("--calls", type=int, default=20, help="calls per history URL")
    args = parser.parse_args()
    counts = [int(part) for part in args.viewers.split(",") if part.strip() and int(part) > 0]
    limit = raise_open_files(OPEN_FILES)  # the server inherits it
    if counts and limit < max(counts) + 256:
        raise SystemExit(f"the open-file limit is {limit}: too low for {max(counts)} viewers")
    if counts:
        streams = ["html", "json"] if args.json else ["html"]
        viewers_part(
            counts,
            streams,
            args.latency_ms,
            args.open_timeout,
            args.timeout,
            per_event=args.per_event,
            client_loop=args.client_loop,
            pin=not args.no_pin,
        )
    if args.history_runs > 0:
        if counts:
            print()
        history_part(args.history_runs, args.calls)


if __name__ == "__main__":
    main()
