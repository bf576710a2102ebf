"""Drives the real server (`python -m webapp serve`, a subprocess) as many people would for two
minutes, and prints what they got: event delivery latency, errors, events lost, the server's
worst event loop lag and its peak memory.

    python -m bench.load [--duration 120] [--runs 50] [--viewers 500] [--pagers 10]
                         [--json-share 0.1] [--latency-ms 1000] [--think 1.0] [--pages 10]
                         [--ramp S] [--loop uvloop|asyncio] [--no-pin] [--workers N]
                                                     (python bench/load.py works too)

The server runs on a fresh database in a temporary folder, with LEADGEN_DEMO_LATENCY_MS =
--latency-ms (each demo provider call waits that long; the 6-step plan makes three calls one
after another, so a run lasts about three of them), LEADGEN_MAX_RUNS = --runs (the default, 4,
would queue the rest) and LEADGEN_RUNS_PER_MINUTE = 10000, the most it allows (one user starts
every run: 50 at once, each 3 s long, is about 16 a second).

Why 1000 ms: the demo makes one call for a whole step, where the real providers take many
requests. The same 20-lead goal on the real clients, against local fakes that answer each
request in 300 ms, takes 4.6 s (`python -m bench.providers --leads 20 --latency-ms 300
--no-verify`: the places search 0.7 s, its two pages one after another; the contacts 3.9 s, 50
Hunter requests paced to Hunter's 15 a second). So a demo run of about 3 s is still shorter than
a real one, and 50 at once load the server more than 50 real runs would; and one Hunter key
allows 500 requests a minute, about 11 such runs a minute, where this starts nearly 1000.
`--latency-ms 300` (the demo's own default, chosen to be watchable) makes runs of about a
second, 50 at once about 50 a second: a stress load, more than three times the one above.

One account, with an API token and a browser
session, is made with the product's own Accounts on the database before the server starts: a
login over HTTP would check the password with argon2 on the server's event loop (about 200 ms),
and that, not the load, would be the worst lag. The people below are logged in already.

The load comes from this process, on uvloop, pinned to the last CPU unless --no-pin (as
bench/sse.py's viewers are: in real life the clients are on other machines). First a warm-up,
off the clock: one run watched on both streams and a page of history each way (what a server
does once after it starts, compiling templates on first use, is not what is measured). Then:
- Runs. --runs slots; each starts a run (POST /api/runs with the token), opens its share of the
  viewers on the run's streams, waits until each got `done` and starts the next run, until
  --duration is over. The slots start spread over --ramp seconds (by default one run's length):
  the demo's latency is exact, so runs started together would stay in step for good, every
  event of every run at the same moment, which people starting runs never do.
- Viewers. --viewers in all, spread over the slots (10 a run by default). Of a run's viewers,
  --json-share read the JSON stream /api/runs/{id}/events (with the token); the others, 90% by
  default, read the page stream /runs/{id}/events?after=0 with the session cookie, as a
  browser on the run's page does. The readers are bench/sse_viewers.py's.
- History. --pagers people page through the history with --think seconds between pages, up to
  --pages pages deep and back to the first: half through the HTML page (GET /runs, then its
  "older" link), half through the API (GET /api/runs?limit=25, then its nextCursor).
After the load, every run's row (GET /api/runs) and stored events (a replay of its JSON stream)
are read back, and each viewer's reading is checked against them: off the clock, so that the
checking does not load the server it measures.

Figures:
- Delivery latency, for every (viewer, event) where the event happened while the viewer's
  stream was open (its `timestamp` at or after the response headers): the wall time the viewer
  read it minus that timestamp (UTC, truncated to the millisecond; one clock on one machine).
  Events from before (PLAN_STARTED, often: the viewers open once the POST has answered) come in
  the replay from the store: counted as replayed, not in the latency (a line shows the figures
  with them). Also per event: its latency to its first viewer (the store, the render, the first
  send) and from its first viewer to its last (the fan-out).
- Events lost: per viewer, the run's stored events it did not get. The stored events must be
  1..lastSeq with no gap, or that is an error too.
- Errors: answers other than 2xx, streams that end without `done` or time out, exceptions; by
  kind.
- Worst loop lag: the server's own monitor (GET /healthz `loopLagMaxMs`, the worst since it
  started), read after the warm-up and after the load. With --workers N, each worker has its
  own: the worst of LAG_READS reads, each on a new connection (whichever worker takes it).
- Peak memory: the server process's VmHWM (/proc/PID/status), read when the load ends; with
  --workers N, the sum of its processes' (the supervisor's and each worker's): no less than
  their peak together.
- Runs: how many finished, and how many were running at once on average (their durations
  summed over the wall time): a server that cannot keep up runs fewer than were asked for.
- CPU: the server's (all its processes), the bench's and other processes' while the load ran,
  and the server's per run finished (with its viewers and the history's pages: what a run
  costs at this load).
With --workers N the server is `serve --workers N`: N processes on the port and the database
(LEADGEN_WORKERS). Each takes the connections it accepts first, so a run's viewers are mostly on
other workers than the one executing it, and get its events through the store
(webapp/runtime/tail.py); LEADGEN_MAX_RUNS and LEADGEN_RUNS_PER_MINUTE are set so that the
workers together allow --runs.
- Machine: the load average.
Targets: no error, no event lost, p99 ≤ 100 ms, peak memory ≤ 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import os
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.sse import GOAL, HOST, Sampler, Server, epoch, percentile, serve
from bench.sse_viewers import (
    CONNECTS_AT_ONCE,
    LOOPS,
    ViewerResult,
    open_viewer,
    raise_open_files,
    run_on,
)
from webapp.runtime.accounts import Accounts
from webapp.settings import Settings
from webapp.store import Store
from webapp.web.auth import SESSION_COOKIE, Auth

TARGET_P99_MS = 100.0
TARGET_PEAK_MB = 300.0
RUNS_PER_MINUTE = 10_000  # the most LEADGEN_RUNS_PER_MINUTE allows
USERNAME = "bench"
PASSWORD = "bench-load-password"
RUN_TIMEOUT_S = 60.0  # a run's viewers not done by then have timed out
SLACK_S = 0.001  # timestamps are truncated to the millisecond
API_PAGE = 25
LAG_READS = 8  # with workers: /healthz reads, each on a new connection, for the worst lag
MAX_API_PAGE = 200
CHECKS_AT_ONCE = 16
OLDER = re.compile(r'id="older" href="([^"]+)"')
Kinds = Sequence[str]  # a slot's viewers: "html" or "json" each


# -- the tally ----------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: {"html": [], "json": []})
    streams: Counter[str] = field(default_factory=Counter)  # streams read, by kind
    done: int = 0
    replayed: int = 0
    lost: int = 0
    duplicates: int = 0
    open_ms: list[float] = field(default_factory=list)  # request sent to headers read
    runs: Counter[str] = field(default_factory=Counter)  # by final status
    run_s: float = 0.0  # the runs' durations, summed (startedAt to finishedAt)
    start_ms: list[float] = field(default_factory=list)  # POST /api/runs
    pages_ms: dict[str, list[float]] = field(default_factory=lambda: {"html": [], "api": []})
    errors: Counter[str] = field(default_factory=Counter)
    with_replays_ms: list[float] = field(default_factory=list)  # every event a viewer got
    first_ms: list[float] = field(default_factory=list)  # per event: to its first viewer
    spread_ms: list[float] = field(default_factory=list)  # per event: first viewer to last

    def viewer(self, seen: Seen, stamps: dict[int, float]) -> None:
        result = seen.result
        self.streams[seen.kind] += 1
        self.done += result.done
        if result.error:
            self.errors[f"{seen.kind} stream: {result.error}"] += 1
        if result.status == 200:
            self.open_ms.append((result.connected_at - seen.asked_at) * 1000)
        seqs = [seq for seq, _, _ in result.events]
        self.duplicates += len(seqs) - len(set(seqs))
        self.lost += len(stamps.keys() - set(seqs))
        latencies = self.latencies_ms[seen.kind]
        for seq, read_at, _ in result.events:
            stamped = stamps.get(seq)
            if stamped is None:
                continue
            self.with_replays_ms.append((read_at - stamped) * 1000)
            if stamped < result.connected_at - SLACK_S:
                self.replayed += 1
            else:
                latencies.append((read_at - stamped) * 1000)

    def fan_out(self, seen: list[Seen], stamps: dict[int, float]) -> None:
        """Per event of a run: its latency to the first of its live viewers (the store, the
        render, the first send), and from its first viewer to its last (the fan-out)."""
        reads: dict[int, list[float]] = {}
        for one in seen:
            opened = one.result.connected_at - SLACK_S
            for seq, read_at, _ in one.result.events:
                if seq in stamps and stamps[seq] >= opened:
                    reads.setdefault(seq, []).append(read_at)
        for seq, times in reads.items():
            self.first_ms.append((min(times) - stamps[seq]) * 1000)
            self.spread_ms.append((max(times) - min(times)) * 1000)


@dataclass
class Seen:
    """What one viewer of a run read, kept until the run's stored events are read back."""

    run_id: str
    kind: str
    asked_at: float  # wall time the stream was asked for
    result: ViewerResult


# -- the people ---------------------------------------------------------------------------------


@dataclass
class Load:
    server: Server
    token: str
    cookie: str
    until: float  # loop time the load ends
    think_s: float
    pages: int
    tally: Tally = field(default_factory=Tally)
    started: list[str] = field(default_factory=list)  # the runs the slots started
    seen: list[Seen] = field(default_factory=list)
    gate: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(CONNECTS_AT_ONCE))

    def client(self, kind: str) -> httpx.AsyncClient:
        if kind == "api":
            headers = {"Authorization": f"Bearer {self.token}"}
        else:
            headers = {"Cookie": f"{SESSION_COOKIE}={self.cookie}"}
        return httpx.AsyncClient(
            base_url=self.server.url,
            headers=headers,
            timeout=30.0,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=200),
        )

    def stream_request(self, kind: str, run_id: str) -> bytes:
        if kind == "json":
            path, credentials = f"/api/runs/{run_id}/events", f"Authorization: Bearer {self.token}"
        else:
            path, credentials = (
                f"/runs/{run_id}/events?after=0",
                f"Cookie: {SESSION_COOKIE}={self.cookie}",
            )
        return (
            f"GET {path} HTTP/1.1\r\nHost: {HOST}:{self.server.port}\r\n"
            f"Accept: text/event-stream\r\nCache-Control: no-cache\r\n{credentials}\r\n\r\n"
        ).encode()

    def over(self) -> bool:
        return asyncio.get_running_loop().time() >= self.until


async def drive_runs(
    load: Load, api: httpx.AsyncClient, kinds: Kinds, start_after_s: float
) -> None:
    """One slot: a run at a time, watched by `kinds` viewers, until the load is over."""
    tally = load.tally
    loop = asyncio.get_running_loop()
    await asyncio.sleep(start_after_s)
    while not load.over():
        try:
            began = time.perf_counter()
            response = await api.post("/api/runs", json={"goal": GOAL})
            if response.status_code != 201:
                tally.errors[f"POST /api/runs: HTTP {response.status_code}"] += 1
                await asyncio.sleep(1.0)
                continue
            tally.start_ms.append((time.perf_counter() - began) * 1000)
            run_id = str(response.json()["runId"])
            load.started.append(run_id)
            opened = time.time()
            viewers = await asyncio.gather(
                *(
                    open_viewer(
                        loop, load.server.port, load.stream_request(kind, run_id), load.gate
                    )
                    for kind in kinds
                )
            )
            await asyncio.wait([viewer.closed for viewer in viewers], timeout=RUN_TIMEOUT_S)
            for viewer in viewers:
                if not viewer.closed.done():
                    viewer.result.error = viewer.result.error or "timed out"
                    if viewer.transport is not None:
                        viewer.transport.close()
            load.seen.extend(
                Seen(run_id, kind, opened, viewer.result)
                for kind, viewer in zip(kinds, viewers, strict=True)
            )
        except asyncio.CancelledError:
            raise
        except Exception as error:  # counted, and the slot carries on
            tally.errors[f"run slot: {type(error).__name__}: {error}"[:160]] += 1
            await asyncio.sleep(1.0)


async def check_against_store(load: Load, api: httpx.AsyncClient) -> None:
    """After the load: every run's row (GET /api/runs, paged) and stored events (a replay of
    its JSON stream), and each viewer's reading against them."""
    rows: dict[str, dict[str, Any]] = {}
    url: str | None = f"/api/runs?limit={MAX_API_PAGE}"
    while url is not None:
        response = await api.get(url)
        response.raise_for_status()
        page = response.json()
        rows.update((row["runId"], row) for row in page["runs"])
        cursor = page.get("nextCursor")
        url = api_page(MAX_API_PAGE, cursor) if cursor else None
    tally = load.tally
    by_run: dict[str, list[Seen]] = {}
    for seen in load.seen:
        by_run.setdefault(seen.run_id, []).append(seen)
    for run_id in load.started:  # the warm-up's run is not one of them
        row = rows.get(run_id, {})
        tally.runs[row.get("status", "missing")] += 1
        if row.get("startedAt") and row.get("finishedAt"):
            tally.run_s += epoch(row["finishedAt"]) - epoch(row["startedAt"])
    gate = asyncio.Semaphore(CHECKS_AT_ONCE)

    async def check(run_id: str, seen: list[Seen]) -> None:
        async with gate:
            stamps = await stored_events(api, run_id, rows.get(run_id), tally)
        for one in seen:
            tally.viewer(one, stamps)
        tally.fan_out(seen, stamps)

    await asyncio.gather(*(check(run_id, seen) for run_id, seen in by_run.items()))


async def stored_events(
    api: httpx.AsyncClient, run_id: str, row: dict[str, Any] | None, tally: Tally
) -> dict[int, float]:
    """seq → the event's timestamp (epoch seconds), for the run's stored events."""
    if row is None:
        tally.errors["a run missing from GET /api/runs"] += 1
        return {}
    if row["status"] in ("pending", "running"):
        tally.errors[f"a run still {row['status']} after its streams' done"] += 1
    replay = await api.get(f"/api/runs/{run_id}/events", params={"after": 0})
    if replay.status_code != 200:
        tally.errors[f"GET /api/runs/{{id}}/events: HTTP {replay.status_code}"] += 1
        return {}
    stamps: dict[int, float] = {}
    for line in replay.text.splitlines():
        if line.startswith("data: {"):
            event = json.loads(line[6:])
            stamps[int(event["seq"])] = epoch(event["timestamp"])
    if sorted(stamps) != list(range(1, int(row["lastSeq"]) + 1)):
        tally.errors["a run's stored events are not 1..lastSeq"] += 1
    return stamps


async def page_history(load: Load, kind: str, start_after_s: float) -> None:
    """A person paging through the history, --pages deep, then back to the first page."""
    tally = load.tally
    await asyncio.sleep(start_after_s)
    async with load.client(kind) as client:
        following: str | None = None
        depth = 0
        while not load.over():
            first = "/runs" if kind == "html" else f"/api/runs?limit={API_PAGE}"
            url = following or first
            try:
                began = time.perf_counter()
                response = await client.get(url)
                tally.pages_ms[kind].append((time.perf_counter() - began) * 1000)
                if response.status_code != 200:
                    tally.errors[f"GET {first.split('?')[0]}: HTTP {response.status_code}"] += 1
                    following = None
                else:
                    following = older_page(kind, response)
            except httpx.HTTPError as error:
                tally.errors[f"GET {first.split('?')[0]}: {type(error).__name__}"] += 1
                following = None
            depth += 1
            if following is None or depth >= load.pages:
                following, depth = None, 0
            await asyncio.sleep(load.think_s)


def older_page(kind: str, response: httpx.Response) -> str | None:
    if kind == "html":
        match = OLDER.search(response.text)
        return html.unescape(match.group(1)) if match else None
    cursor = response.json().get("nextCursor")
    return api_page(API_PAGE, cursor) if cursor else None


def api_page(limit: int, cursor: str) -> str:
    return str(httpx.URL("/api/runs", params={"limit": limit, "cursor": cursor}))


async def loop_lag_ms(server: Server, reads: int) -> float:
    """The worst `loopLagMaxMs` of `reads` reads of GET /healthz, each on a new connection."""
    worst = 0.0
    for _ in range(reads):
        async with httpx.AsyncClient(base_url=server.url, timeout=30.0) as client:
            response = await client.get("/healthz")
            response.raise_for_status()
            worst = max(worst, float(response.json()["loopLagMaxMs"]))
    return worst


class ServerProcesses:
    """The server's processes: its own and, with workers, its children."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def pids(self) -> list[int]:
        try:  # uvicorn starts its workers from its main thread
            with open(f"/proc/{self.pid}/task/{self.pid}/children") as children:
                return [self.pid, *(int(child) for child in children.read().split())]
        except OSError:
            return [self.pid]

    def cpu_s(self) -> float:
        return sum(Sampler(pid).cpu_s() for pid in self.pids())

    def status_kb(self, key: str) -> int:
        return sum(Sampler(pid).status(key) or 0 for pid in self.pids())


async def warm_up(load: Load) -> None:
    """One run watched on both streams and a page of history each way, before the clock
    starts: what a server does once after it starts (compiling the templates on first use,
    filling caches) is not what this bench measures."""
    loop = asyncio.get_running_loop()
    async with load.client("api") as api, load.client("html") as browser:
        response = await api.post("/api/runs", json={"goal": GOAL})
        response.raise_for_status()
        run_id = str(response.json()["runId"])
        viewers = [
            await open_viewer(loop, load.server.port, load.stream_request(kind, run_id), load.gate)
            for kind in ("html", "json")
        ]
        await asyncio.wait([viewer.closed for viewer in viewers], timeout=RUN_TIMEOUT_S)
        for viewer in viewers:
            if not viewer.result.done:
                raise SystemExit(f"the warm-up run's stream failed: {viewer.result.error}")
        (await browser.get("/runs")).raise_for_status()
        (await api.get(f"/api/runs?limit={API_PAGE}")).raise_for_status()


async def drive(
    load: Load, runs: int, viewers: int, json_share: float, pagers: int, ramp_s: float
) -> None:
    """The whole load: the run slots (starting spread over `ramp_s`) and the people paging,
    until `load.until`."""
    async with load.client("api") as api:
        tasks = []
        for slot in range(runs):
            share = viewers // runs + (slot < viewers % runs)
            json_viewers = round(share * json_share)
            kinds = ["json"] * json_viewers + ["html"] * (share - json_viewers)
            start_after_s = ramp_s * slot / runs
            tasks.append(asyncio.create_task(drive_runs(load, api, kinds, start_after_s)))
        for person in range(pagers):
            kind = "html" if person % 2 == 0 else "api"
            tasks.append(
                asyncio.create_task(page_history(load, kind, load.think_s * person / pagers))
            )
        await asyncio.gather(*tasks)


# -- setting up ---------------------------------------------------------------------------------


async def make_account(db: str) -> tuple[str, str]:
    """An admin with an API token and a session, straight into `db`: (token, session cookie)."""
    store = await Store.open(db)
    try:
        accounts = Accounts(store)
        user = await accounts.add_user(USERNAME, PASSWORD, admin=True)
        assert user is not None
        token, _ = await accounts.create_token(user, "bench/load.py")
        session = await accounts.start_session(user)
        auth = await Auth.build(accounts, Settings(_env_file=None, db=db))
        return token, auth.session_cookie(session)
    finally:
        await store.close()


def busy_cpu_s() -> float:
    """CPU seconds the whole machine has spent busy since it booted (/proc/stat)."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    with open("/proc/loadavg") as loadavg:
        return " ".join(loadavg.read().split()[:3])


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- the report ---------------------------------------------------------------------------------


@dataclass
class Measured:
    tally: Tally
    wall_s: float
    lag_before_ms: float
    lag_ms: float
    peak_kb: int
    rss_kb: int
    server_cpu_s: float
    bench_cpu_s: float
    others_cpu_s: float
    loadavg_before: str
    loadavg_after: str


def spread(values: list[float]) -> str:
    ordered = sorted(values)
    if not ordered:
        return "no samples"
    return (
        f"p50 {percentile(ordered, 0.5):6.1f}  p99 {percentile(ordered, 0.99):6.1f}  "
        f"max {ordered[-1]:7.1f}"
    )


def report(m: Measured, args: argparse.Namespace) -> bool:
    t = m.tally
    every = sorted(t.latencies_ms["html"] + t.latencies_ms["json"])
    p50, p99 = percentile(every, 0.5), percentile(every, 0.99)
    finished = sum(t.runs.values())
    statuses = ", ".join(f"{status} {n:,d}" for status, n in t.runs.most_common())
    print(
        f"  runs        {finished:,d} finished ({statuses}); {finished / m.wall_s:.1f} a second, "
        f"{t.run_s / m.wall_s:.1f} at once on average (asked: {args.runs})"
    )
    print(f"  start ms    {spread(t.start_ms)}   (POST /api/runs)")
    print(
        f"  streams     {sum(t.streams.values()):,d} read (page {t.streams['html']:,d}, "
        f"JSON {t.streams['json']:,d}), {t.done:,d} ended with done; opening ms {spread(t.open_ms)}"
    )
    print(
        f"  delivery    p50 {p50:.1f} ms  p99 {p99:.1f} ms  max {every[-1] if every else 0:.1f} ms"
        f"   over {len(every):,d} live deliveries ({t.replayed:,d} replayed, not counted)"
    )
    print(f"    page      {spread(t.latencies_ms['html'])}")
    print(f"    JSON      {spread(t.latencies_ms['json'])}")
    print(f"    with the replayed events too, ms      {spread(t.with_replays_ms)}")
    print(f"    to the first viewer of each event, ms {spread(t.first_ms)}")
    print(f"    its first viewer to its last, ms      {spread(t.spread_ms)}")
    print(f"  lost        {t.lost:,d} events   (duplicates {t.duplicates:,d})")
    errors = sum(t.errors.values())
    print(f"  errors      {errors:,d}" + ("" if errors else " (none)"))
    for kind, n in t.errors.most_common():
        print(f"    {n:6,d} × {kind}")
    print(
        f"  loop lag    worst {m.lag_ms:.1f} ms (GET /healthz loopLagMaxMs, since the server "
        f"started; {m.lag_before_ms:.1f} ms after the warm-up, before the load"
        + (": the load's worst was no more than that)" if m.lag_ms <= m.lag_before_ms else ")")
    )
    print(
        f"  memory      peak {m.peak_kb / 1024:.1f} MB (VmHWM), {m.rss_kb / 1024:.1f} MB at the end"
    )
    print(f"  history     HTML {len(t.pages_ms['html']):,d} pages, ms {spread(t.pages_ms['html'])}")
    print(f"              API  {len(t.pages_ms['api']):,d} pages, ms {spread(t.pages_ms['api'])}")
    print(
        f"  CPU         server {m.server_cpu_s:.1f} s ({m.server_cpu_s / m.wall_s:.2f} of a core), "
        f"bench {m.bench_cpu_s:.1f} s ({m.bench_cpu_s / m.wall_s:.2f}), other processes "
        f"{m.others_cpu_s:.1f} s ({m.others_cpu_s / m.wall_s:.2f}) of {os.cpu_count()} cores"
    )
    finished = sum(t.runs.values())
    if finished:  # the server's CPU over the runs, with their viewers and the history's pages
        print(f"              server {m.server_cpu_s / finished * 1000:.1f} ms of CPU a run")
    print(f"  machine     load average {m.loadavg_before} before, {m.loadavg_after} after")
    verdicts = [
        ("no error", errors == 0),
        ("no event lost", t.lost == 0 and bool(every)),
        (f"p99 ≤ {TARGET_P99_MS:.0f} ms", p99 <= TARGET_P99_MS),
        (f"peak memory ≤ {TARGET_PEAK_MB:.0f} MB", m.peak_kb / 1024 <= TARGET_PEAK_MB),
    ]
    print(
        "  targets     "
        + "; ".join(f"{name}: {'ok' if met else 'MISSED'}" for name, met in verdicts)
    )
    return all(met for _, met in verdicts)


def measure(args: argparse.Namespace) -> bool:
    with tempfile.TemporaryDirectory() as folder:
        db = os.path.join(folder, "load.db")
        token, cookie = asyncio.run(make_account(db))
        settings = {
            "LEADGEN_DEMO_LATENCY_MS": str(args.latency_ms),
            "LEADGEN_DEMO_FAILURE_RATE": "0",
            "LEADGEN_MAX_RUNS": str(args.runs),  # per worker: whichever takes the POST
            "LEADGEN_RUNS_PER_MINUTE": str(RUNS_PER_MINUTE),  # each worker has 1/N of it
            "LEADGEN_WORKERS": str(args.workers),
        }
        ramp_s = 3 * args.latency_ms / 1000 if args.ramp is None else args.ramp
        with serve(db, folder, settings) as server:
            cpus = sorted(os.sched_getaffinity(0))
            pinned = not args.no_pin and len(cpus) > 1
            if pinned:  # after the server started: it must not inherit this
                os.sched_setaffinity(0, {cpus[-1]})
            print(
                f"load: {args.duration:.0f} s on the server pid {server.pid} (port {server.port}"
                + (f", {args.workers} workers" if args.workers > 1 else "")
                + "); "
                f"{args.runs} runs at once, started over {ramp_s:g} s "
                f"(LEADGEN_MAX_RUNS={args.runs}, LEADGEN_RUNS_PER_MINUTE={RUNS_PER_MINUTE}), "
                f"demo latency {args.latency_ms} ms; "
                f"{args.viewers} viewers ({args.json_share:.0%} on the JSON stream, the others "
                f"on the page stream); {args.pagers} people paging the history "
                f"({args.think:g} s between pages); the bench on {args.loop}, "
                + (f"pinned to CPU {cpus[-1]}" if pinned else "unpinned")
            )
            process = ServerProcesses(server.pid)
            lag_reads = 1 if args.workers == 1 else LAG_READS

            async def main() -> Measured:
                load = Load(server, token, cookie, until=0.0, think_s=args.think, pages=args.pages)
                await warm_up(load)
                lag_before = await loop_lag_ms(server, lag_reads)
                cpu, busy, own = process.cpu_s(), busy_cpu_s(), own_cpu_s()
                loadavg_before = load_average()
                began = time.monotonic()
                load.until = asyncio.get_running_loop().time() + args.duration
                await drive(load, args.runs, args.viewers, args.json_share, args.pagers, ramp_s)
                wall = time.monotonic() - began
                server_cpu, bench_cpu = process.cpu_s() - cpu, own_cpu_s() - own
                measured = Measured(
                    tally=load.tally,
                    wall_s=wall,
                    lag_before_ms=lag_before,
                    lag_ms=await loop_lag_ms(server, lag_reads),
                    peak_kb=process.status_kb("VmHWM"),
                    rss_kb=process.status_kb("VmRSS"),
                    server_cpu_s=server_cpu,
                    bench_cpu_s=bench_cpu,
                    others_cpu_s=max(0.0, busy_cpu_s() - busy - server_cpu - bench_cpu),
                    loadavg_before=loadavg_before,
                    loadavg_after=load_average(),
                )
                checking = time.monotonic()
                async with load.client("api") as api:
                    await check_against_store(load, api)
                print(
                    f"  (the load took {wall:.1f} s; its {len(load.seen):,d} streams were checked "
                    f"against the store in {time.monotonic() - checking:.1f} s more)"
                )
                return measured

            return report(run_on(args.loop, main()), args)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load")
    parser.add_argument("--runs", type=int, default=50, help="runs at once")
    parser.add_argument("--viewers", type=int, default=500, help="stream viewers in all")
    parser.add_argument(
        "--json-share", type=float, default=0.1, help="share of viewers on the JSON stream"
    )
    parser.add_argument("--pagers", type=int, default=10, help="people paging the history")
    parser.add_argument("--think", type=float, default=1.0, help="seconds between their pages")
    parser.add_argument("--pages", type=int, default=10, help="pages deep they go")
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=1000,
        help="LEADGEN_DEMO_LATENCY_MS for the server (a step's time; 300 for the stress load)",
    )
    parser.add_argument(
        "--ramp",
        type=float,
        help="seconds over which the run slots start (default: one run's length, "
        "3 × --latency-ms; 0 starts them all at once)",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (serve --workers N)"
    )
    parser.add_argument("--loop", choices=LOOPS, default=LOOPS[0], help="the bench's event loop")
    parser.add_argument(
        "--no-pin", action="store_true", help="let the bench run on any CPU (the server's too)"
    )
    args = parser.parse_args(argv)
    if args.runs < 1 or args.duration <= 0 or not 0 <= args.json_share <= 1:
        parser.error("--runs must be at least 1, --duration positive, --json-share 0 to 1")
    limit = raise_open_files(args.viewers + 1024)  # the server inherits it
    if limit < args.viewers + 256:
        raise SystemExit(f"the open-file limit is {limit}: too low for {args.viewers} viewers")
    sys.exit(0 if measure(args) else 1)


if __name__ == "__main__":
    main()
