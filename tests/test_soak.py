"""Soak: ten thousand check cycles (twenty thousand checks) with seeded random faults through
the real Runtime sink chain (history in tmp_path, AlertPolicy, a recording notifier, no hooks),
fake time.

Split, for CI time: phase 1 speaks real HTTP to a loopback StatusServer; phase 2 replays the
same canned answers through an in-process httpx transport (same client, same StatusPageClient,
Prober, error translation, state machine and sinks; only the sockets are gone) and drives the
clock past the 90-day retention so pruning runs. One cycle = one clock step of CYCLE seconds
after which the page and both probes are checked.
"""

from __future__ import annotations

import gc
import json
import logging
import random
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

import tray_app.app as app_module
from tests.faultrig import T0 as T_START
from tests.faultrig import (
    FakeClock,
    MiB,
    RecordingBackend,
    down_component_ids,
    make_settings,
    rss_bytes,
)
from tests.statusserver import (
    API_401,
    API_529_OVERLOADED,
    CLOUDFLARE_403,
    SUMMARY_PATH,
    Route,
    StatusServer,
    incident_doc,
    summary_doc,
)
from tray_app import USER_AGENT
from tray_app.config.load import LoadedConfig
from tray_app.config.schema import API_COMPONENT, CLAUDE_AI_COMPONENT, BackoffSettings, Settings
from tray_app.core.events import Event
from tray_app.core.models import MonitorSnapshot, PageSnapshot, ProbeResult
from tray_app.platform.paths import AppPaths
from tray_app.platform.store import StateStore
from tray_app.sinks.notify import Notifier
from tray_app.sinks.recorder import PRUNE_EVERY
from tray_app.sources.monitor import Monitor
from tray_app.sources.probes import Prober
from tray_app.sources.statuspage import StatusPageClient

CYCLE = 900.0  # seconds of fake time per cycle: 10,000 cycles are 104 days (> 90-day retention)
REAL_CYCLES = 300
REPLAY_CYCLES = 10_000
WARMUP_CYCLES = 2_500  # until the DB outgrows SQLite's 2 MiB page cache (~day 26)
TIMEOUT = 0.25  # tiny client timeout; "hang" answers wait HANG seconds
HANG = 0.6
SEED = 20261125

log = logging.getLogger(__name__)

JSON = (("Content-Type", "application/json"),)
HTML = (("Content-Type", "text/html"),)


def _summary(doc: object) -> Route:
    return Route(body=json.dumps(doc).encode(), headers=JSON)


OPERATIONAL_BODY = _summary(summary_doc())
API_OUTAGE_BODY = _summary(
    summary_doc("critical", {API_COMPONENT: "major_outage"}, incidents=[incident_doc()])
)
CLAUDE_AI_PARTIAL_BODY = _summary(summary_doc("major", {CLAUDE_AI_COMPONENT: "partial_outage"}))

# name -> (route, official outage per component or None when the page gives no reading)
PAGE_ANSWERS: dict[str, tuple[Route, dict[str, bool] | None]] = {
    "operational": (OPERATIONAL_BODY, {API_COMPONENT: False, CLAUDE_AI_COMPONENT: False}),
    "api_outage": (API_OUTAGE_BODY, {API_COMPONENT: True, CLAUDE_AI_COMPONENT: False}),
    "claude_ai_partial": (
        CLAUDE_AI_PARTIAL_BODY,
        {API_COMPONENT: False, CLAUDE_AI_COMPONENT: True},
    ),
    "http_500": (Route(status=500, body=b"<html>oops</html>", headers=HTML), None),
    "http_503": (Route(status=503, body=b"<html>busy</html>", headers=HTML), None),
    "cf_challenge": (CLOUDFLARE_403, None),
    "truncated": (Route(body=OPERATIONAL_BODY.body[:300], headers=JSON), None),
    "hang": (Route(delay=HANG), None),
    "reset": (Route(reset=True), None),
}
PAGE_WEIGHTS = {
    "operational": 60,
    "api_outage": 8,
    "claude_ai_partial": 6,
    "http_500": 6,
    "http_503": 6,
    "cf_challenge": 5,
    "truncated": 5,
    "hang": 1,
    "reset": 3,
}
# probe answers: name -> (route, bad?)
API_ANSWERS = {
    "up": (API_401, False),
    "overloaded": (API_529_OVERLOADED, True),
    "hang": (Route(delay=HANG), True),
    "reset": (Route(reset=True), True),
}
API_WEIGHTS = {"up": 80, "overloaded": 14, "hang": 1, "reset": 5}
CLAUDE_AI_ANSWERS = {
    "up": (CLOUDFLARE_403, False),
    "down": (Route(status=503, body=b"<html>busy</html>", headers=HTML), True),
}
CLAUDE_AI_WEIGHTS = {"up": 85, "down": 15}


def pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


@dataclass
class Truth:
    """What was really served, judged by the documented thresholds (independently of state.py):
    an official outage applies at once; a probe target is down after ``failure_threshold``
    consecutive bad answers and up again after ``success_threshold`` consecutive good ones."""

    failure_threshold: int
    success_threshold: int
    official: dict[str, bool] = field(default_factory=dict)
    probe_down: dict[str, bool] = field(default_factory=dict)
    bad: dict[str, int] = field(default_factory=dict)
    good: dict[str, int] = field(default_factory=dict)
    real_outage_cycles: int = 0

    def page_served(self, reading: dict[str, bool] | None) -> None:
        if reading is not None:
            self.official.update(reading)

    def probe_served(self, component_id: str, bad: bool) -> None:
        if bad:
            self.bad[component_id] = self.bad.get(component_id, 0) + 1
            self.good[component_id] = 0
            if self.bad[component_id] >= self.failure_threshold:
                self.probe_down[component_id] = True
        else:
            self.good[component_id] = self.good.get(component_id, 0) + 1
            self.bad[component_id] = 0
            if self.good[component_id] >= self.success_threshold:
                self.probe_down[component_id] = False

    def really_down(self, component_id: str) -> bool:
        return self.official.get(component_id, False) or self.probe_down.get(component_id, False)


class Script:
    """This cycle's answers, shared by the loopback server and the in-process transport."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.page = "operational"
        self.api = "up"
        self.claude_ai = "up"

    def roll(self) -> None:
        self.page = pick(self.rng, PAGE_WEIGHTS)
        self.api = pick(self.rng, API_WEIGHTS)
        self.claude_ai = pick(self.rng, CLAUDE_AI_WEIGHTS)

    def route_for(self, path: str) -> Route:
        if path == SUMMARY_PATH:
            return PAGE_ANSWERS[self.page][0]
        if path == "/v1/models":
            return API_ANSWERS[self.api][0]
        return CLAUDE_AI_ANSWERS[self.claude_ai][0]

    def program(self, server: StatusServer) -> None:
        for path in (SUMMARY_PATH, "/v1/models", "/"):
            server.set(path, self.route_for(path))


def replay_transport(script: Script) -> httpx.MockTransport:
    """The same canned answers, in process. Hangs and resets become the exceptions httpx raises
    for them on a real socket, so tray_app.sources.http translates them as it would. The body
    is an unread stream, as from a socket (``content=`` would be read already, and the app's
    own capped read of the raw stream would fail on it)."""

    def handle(request: httpx.Request) -> httpx.Response:
        route = script.route_for(request.url.path)
        if route.reset:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
        if route.delay:
            raise httpx.ReadTimeout("timed out", request=request)
        body = b"" if request.method == "HEAD" else route.body
        headers = [*route.headers, ("Content-Length", str(len(route.body)))]
        return httpx.Response(route.status, headers=headers, stream=httpx.ByteStream(body))

    return httpx.MockTransport(handle)


class SwitchTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class TruthPage:
    def __init__(self, inner: StatusPageClient, script: Script, truth: Truth) -> None:
        self.inner, self.script, self.truth = inner, script, truth

    def fetch(self) -> PageSnapshot:
        self.truth.page_served(PAGE_ANSWERS[self.script.page][1])
        return self.inner.fetch()


class TruthProber:
    def __init__(self, inner: Prober, script: Script, truth: Truth) -> None:
        self.inner, self.script, self.truth = inner, script, truth

    def run(self) -> tuple[ProbeResult, ...]:
        self.truth.probe_served(API_COMPONENT, API_ANSWERS[self.script.api][1])
        self.truth.probe_served(CLAUDE_AI_COMPONENT, CLAUDE_AI_ANSWERS[self.script.claude_ai][1])
        return self.inner.run()


class CountingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.levels: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.levels[record.levelname] += 1


@dataclass
class Figures:
    cycles: int = 0
    checks: int = 0
    seconds: float = 0.0
    down_notifications: int = 0
    notifications: int = 0
    false_alerts: list[str] = field(default_factory=list)


def soak_settings(url: str) -> Settings:
    import dataclasses

    settings = make_settings(
        url, page_interval=CYCLE, probe_interval=CYCLE, timeout=TIMEOUT, min_interval=300.0
    )
    return dataclasses.replace(settings, backoff=BackoffSettings(maximum=CYCLE, jitter=0.0))


def db_rows(path: Path, sql: str, *args: float) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute(sql, args).fetchone()[0])


def _our_threads() -> list[str]:
    """Live threads other than the loopback server's own (it keeps connection threads)."""
    return sorted(
        t.name
        for t in threading.enumerate()
        if "serve_forever" not in t.name and "process_request" not in t.name
    )


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_soak_10300_cycles_no_crash_leak_growth_or_false_alert(
    status_server: StatusServer, tmp_path: Path
) -> None:
    threads_before = _our_threads()
    rng = random.Random(SEED)
    script = Script(rng)
    clock = FakeClock()

    settings = soak_settings(status_server.url)
    paths = AppPaths(tmp_path / "config", tmp_path / "data", tmp_path / "state", tmp_path / "log")
    loaded = LoadedConfig(settings, paths.config_file, (), False)
    runtime = app_module.Runtime(loaded, paths, notify=True, record=True, clock=clock)
    runtime.sources.close()  # replaced below by sources on the fake clock
    recorder = RecordingBackend()
    runtime.notifier = Notifier([recorder])
    assert runtime.history is not None and runtime.policy is not None

    transport = SwitchTransport(httpx.HTTPTransport())
    client = httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(TIMEOUT),
        follow_redirects=True,
        max_redirects=5,
        headers={"User-Agent": USER_AGENT},
        limits=httpx.Limits(max_keepalive_connections=0),  # a fresh connection every check
    )
    truth = Truth(settings.probes.failure_threshold, settings.probes.success_threshold)
    page = TruthPage(
        StatusPageClient(client, status_server.url, timeout=TIMEOUT, clock=clock.now),
        script,
        truth,
    )
    prober = TruthProber(
        Prober(client, settings.probes, clock=clock.now, api_key_provider=lambda: None),
        script,
        truth,
    )
    figures = Figures()

    def on_update(snapshot: MonitorSnapshot, events: tuple[Event, ...]) -> None:
        runtime.dispatcher.deliver(snapshot, events)  # the Runtime's sinks, in order
        sent, recorder.sent = recorder.sent, []  # kept, ~7,000 would be the harness growing
        for n in sent:
            figures.notifications += 1
            down = down_component_ids(n)
            if not down:
                continue
            figures.down_notifications += 1
            for cid in down:
                if not truth.really_down(cid):
                    figures.false_alerts.append(f"{clock.now()} {n.title} ({n.keys})")

    monitor = Monitor(
        settings,
        page_source=page,
        prober=prober,
        on_update=on_update,
        clock=clock,
        store=StateStore(paths.state_file),
        rng=random.Random(SEED),
    )
    runtime.monitor = monitor

    def cycles(count: int, before_turn: Callable[[], None]) -> None:
        for _ in range(count):
            script.roll()
            before_turn()
            clock.advance(CYCLE)
            ran = monitor.run_pending()
            figures.cycles += 1
            figures.checks += sum(1 for name in ran if name != "tick")
            if truth.really_down(API_COMPONENT) or truth.really_down(CLAUDE_AI_COMPONENT):
                truth.real_outage_cycles += 1

    # pytest's log capture keeps every record in memory; that is the harness growing, not the
    # app, so during the soak the root logger only counts records.
    root = logging.getLogger()
    saved_handlers = root.handlers[:]
    counter = CountingHandler()
    root.handlers = [counter]
    started = time.perf_counter()
    try:
        monitor.run_pending()
        cycles(REAL_CYCLES, lambda: script.program(status_server))
        real_seconds = time.perf_counter() - started
        served = len(status_server.requests)
        assert served >= 3 * REAL_CYCLES

        down_told_over_http = figures.down_notifications
        real_transport, transport.inner = transport.inner, replay_transport(script)
        real_transport.close()
        cycles(WARMUP_CYCLES, lambda: None)
        gc.collect()
        rss_warm = rss_bytes()
        day_90: datetime | None = None
        size_at_90: int | None = None
        remaining = REPLAY_CYCLES - WARMUP_CYCLES
        while remaining:
            chunk = min(500, remaining)
            cycles(chunk, lambda: None)
            remaining -= chunk
            if size_at_90 is None and clock.now() - T_START >= timedelta(days=90):
                size_at_90 = paths.history_db.stat().st_size
                day_90 = clock.now()
        gc.collect()
        rss_growth = rss_bytes() - rss_warm
        figures.seconds = time.perf_counter() - started
    finally:
        root.handlers = saved_handlers
        monitor.stop()
        client.close()
        runtime.history.close()
        runtime.notifier.close()

    deadline = time.monotonic() + 10
    while len(_our_threads()) > len(threads_before) and time.monotonic() < deadline:
        time.sleep(0.05)
    threads_after = _our_threads()

    now = clock.now()
    # The Runtime prunes at most once per PRUNE_EVERY (24 h), so rows may outlive the retention
    # by up to that long; anything older than both must be gone.
    cutoff = (now - timedelta(days=settings.history.retention_days) - PRUNE_EVERY).timestamp()
    old_events = db_rows(paths.history_db, "SELECT count(*) FROM events WHERE at < ?", cutoff)
    old_probes = db_rows(
        paths.history_db, "SELECT count(*) FROM probe_latency WHERE window_start < ?", cutoff
    )
    old_health = db_rows(
        paths.history_db,
        "SELECT count(*) FROM component_health WHERE until < ? AND id NOT IN "
        "(SELECT max(id) FROM component_health GROUP BY component_id)",
        cutoff,
    )
    events_kept = db_rows(paths.history_db, "SELECT count(*) FROM events")
    with sqlite3.connect(paths.history_db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    size = paths.history_db.stat().st_size
    wal = paths.history_db.with_name(paths.history_db.name + "-wal")
    wal_size = wal.stat().st_size if wal.exists() else 0

    report = (
        f"soak: {figures.cycles} cycles ({REAL_CYCLES} real HTTP in {real_seconds:.1f} s, "
        f"{figures.cycles - REAL_CYCLES} replayed), {figures.checks} checks, "
        f"{figures.seconds:.1f} s, fake time {(now - T_START).days} days; "
        f"RSS growth after warm-up {rss_growth / MiB:.2f} MiB; "
        f"DB {size / MiB:.2f} MiB (at day 90: {(size_at_90 or 0) / MiB:.2f} MiB, "
        f"WAL {wal_size / 1024:.0f} KiB, {events_kept} events kept); "
        f"threads {threads_before} -> {threads_after}; notifications {figures.notifications} "
        f"({figures.down_notifications} down, {len(figures.false_alerts)} false); "
        f"cycles with a real outage {truth.real_outage_cycles}; day 90 at {day_90}; "
        f"log records by level {dict(counter.levels)}"
    )
    print(report)
    log.warning("%s", report)
    assert figures.cycles == REAL_CYCLES + REPLAY_CYCLES
    assert figures.checks >= 2 * figures.cycles  # page and probes every cycle
    assert figures.false_alerts == []
    assert figures.down_notifications > 0  # the faults did include real outages
    # the replayed answers reach the app as answers (not as errors): outages come and go there too
    assert figures.down_notifications > 2 * down_told_over_http
    assert threads_after == threads_before
    assert rss_growth < 5 * MiB
    assert (old_events, old_probes, old_health) == (0, 0, 0)
    assert size_at_90 is not None
    # Past the retention the file stops growing: pruned pages are reused (without pruning the
    # extra 14 days would add ~15 %). 5 % slack for page-level fragmentation.
    assert size <= size_at_90 * 1.05
    assert size < 32 * MiB
