"""Benchmark the REAL app process against loopback servers this script starts itself.

    .venv/bin/python scripts/benchmark.py [--quick] [--only NAME ...] [--seed N]

NAME is one of: launch, bytes, statusline, rss, cpu, detect. Prints a Markdown table (figure,
target, pass/fail) and the details behind it. Nothing leaves 127.0.0.1; every child process
(app, Xvfb, trayer, dbus-daemon, notification server) is stopped before the script returns.
The full run takes about 6 minutes (the long measurements run side by side, each with its own
server, bus and display); ``--quick`` about 2. Results and method: docs/benchmark.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gzip
import os
import random
import re
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the loopback rigs live in tests/

from tests.rigs_dbus import (  # noqa: E402
    RecordingServer,
    private_session_bus,
    recording_notification_server,
)
from tests.rigs_x11 import stop_process, trayer, x_env, xvfb_display, xwininfo_tree  # noqa: E402
from tests.statusserver import (  # noqa: E402
    API_401,
    API_529_OVERLOADED,
    CLOUDFLARE_403,
    FIXTURES,
    SUMMARY_PATH,
    Route,
    StatusServer,
    summary_doc,
)
from tray_app.config.schema import API_COMPONENT  # noqa: E402
from tray_app.sources.build import Sources  # noqa: E402

FIXTURE = "anthropic_summary_2026-10-07.json"
VENV_BIN = Path(sys.executable).parent
CONSOLE_SCRIPT = VENV_BIN / "claude-status-tray"
APP_CMD = [str(CONSOLE_SCRIPT)] if CONSOLE_SCRIPT.exists() else [sys.executable, "-m", "tray_app"]
DEFAULT_PAGE_INTERVAL = 60.0
DEFAULT_PROBE_INTERVAL = 30.0
DEADLINE = 30.0  # generous waits for "the app is up / has polled" on a loaded 2-core machine
MB = 1_000_000

# Targets from issue #6.
RSS_HEADLESS_MB = 45.0
RSS_TRAY_MB = 70.0
IDLE_CPU_PCT = 0.2
LAUNCH_S = 1.5
BYTES_PER_DAY = 1 * MB
STATUSLINE_MS = 100.0
SLACK_S = 5.0

_SCRUB = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "ANTHROPIC_API_KEY",
    "PYSTRAY_BACKEND",
    "WAYLAND_DISPLAY",
)
_DISPLAY_LOCK = threading.Lock()  # two threads picking a free display number at once
_PRINT_LOCK = threading.Lock()


def say(text: str) -> None:
    with _PRINT_LOCK:
        print(text, file=sys.stderr, flush=True)


@dataclasses.dataclass(frozen=True)
class Row:
    measurement: str
    figure: str
    target: str
    ok: bool | None  # None: informational, no target
    note: str = ""

    def markdown(self) -> str:
        verdict = "—" if self.ok is None else ("pass" if self.ok else "**FAIL**")
        return f"| {self.measurement} | {self.figure} | {self.target} | {verdict} | {self.note} |"


@dataclasses.dataclass
class Report:
    rows: list[Row] = dataclasses.field(default_factory=list)
    details: list[str] = dataclasses.field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# /proc readings


def status_kb(pid: int, field: str) -> int:
    """A ``kB`` field of /proc/PID/status (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def memory_split(pid: int) -> str:
    """Private (anonymous) vs file-backed RSS, and PSS: how much of VmRSS is shared libraries."""
    anon, file = status_kb(pid, "RssAnon"), status_kb(pid, "RssFile")
    pss = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            pss = int(line.split()[1])
    return f"RssAnon {anon / 1024:.1f} MB, RssFile {file / 1024:.1f} MB, Pss {pss / 1024:.1f} MB"


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process, in seconds."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------------
# The app as a real process


def loopback_server(summary: object = FIXTURE) -> StatusServer:
    server = StatusServer().start()
    server.set_summary(summary)
    server.set("/v1/models", API_401)
    server.set("/", CLOUDFLARE_403)
    return server


def config_text(url: str, page_interval: float | None, probe_interval: float | None) -> str:
    page = f"interval = {page_interval:g}\n" if page_interval is not None else ""
    probes = f"interval = {probe_interval:g}\n" if probe_interval is not None else ""
    return (
        f'[status_page]\nurl = "{url}"\n{page}\n'
        f'[probes]\napi_url = "{url}/v1/models"\nclaude_ai_url = "{url}/"\n{probes}'
    )


def app_env(base: dict[str, str], home: Path) -> dict[str, str]:
    env = {k: v for k, v in base.items() if k not in _SCRUB}
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        folder = home / name.lower()
        folder.mkdir(parents=True, exist_ok=True)
        env[f"XDG_{name}_HOME"] = str(folder)
    env["NO_AT_BRIDGE"] = "1"
    return env


def write_config(env: dict[str, str], text: str) -> None:
    folder = Path(env["XDG_CONFIG_HOME"]) / "claude-status-tray"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(text, encoding="utf-8")


@contextlib.contextmanager
def app_process(mode: str, env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [*APP_CMD, mode],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        yield proc
    finally:
        stop_process(proc, grace=10.0)


@contextlib.contextmanager
def desktop(tray: bool) -> Iterator[dict[str, str]]:
    """A private session bus, plus Xvfb + trayer when ``tray``; yields the environment."""
    with contextlib.ExitStack() as stack:
        env = dict(os.environ)
        if tray:
            with _DISPLAY_LOCK:
                display = stack.enter_context(xvfb_display())
            stack.enter_context(trayer(display))
            env = x_env(display, env)
        else:
            env.pop("DISPLAY", None)
        bus = stack.enter_context(private_session_bus())
        env["DBUS_SESSION_BUS_ADDRESS"] = bus["DBUS_SESSION_BUS_ADDRESS"]
        yield env


def window_tree(display: str) -> str:
    """``xwininfo -root -tree``, retried: it fails (BadWindow) when a window dies mid-walk."""
    for _attempt in range(20):
        try:
            return xwininfo_tree(display)
        except subprocess.CalledProcessError:
            time.sleep(0.01)
    return xwininfo_tree(display)


def docked_icons(display: str) -> list[str]:
    """ "<id> <name>" of every window inside trayer's "panel" window (it always holds one
    nameless window of its own; compare with a reading taken before the launch)."""
    names: list[str] = []
    inside, panel_indent = False, 0
    for line in window_tree(display).splitlines():
        indent = len(line) - len(line.lstrip())
        if '"panel"' in line and "trayer" in line:
            inside, panel_indent = True, indent
            continue
        if inside and line.strip() and indent <= panel_indent:
            inside = False
        if inside and line.strip().startswith("0x"):
            names.append(line.split()[0] + " " + (line.split('"')[1] if '"' in line else ""))
    return names


def wait_until(check: Callable[[], bool], what: str, deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what}: not within {deadline:.0f} s")


def check_alive(proc: subprocess.Popen[bytes], log: Path) -> None:
    if proc.poll() is not None:
        tail = log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"the app exited with {proc.returncode}:\n{tail}")


# ---------------------------------------------------------------------------------------------
# 1. RSS after start and after an hour's worth of checks


def bench_rss_mode(mode: str, duration: float, work: Path) -> tuple[list[Row], list[str]]:
    tray = mode == "tray"
    home = work / f"rss-{mode}"
    rounds_wanted, pages_wanted = int(duration), int(duration) // 2
    server = loopback_server()
    try:
        with desktop(tray) as base:
            env = app_env(base, home)
            # An hour at default intervals is 120 probe rounds and 60 page reads: here 1 s / 2 s.
            write_config(env, config_text(server.url, 2, 1))
            log = home / "app.log"
            with app_process(mode, env, log) as proc:
                server.wait_for_requests(SUMMARY_PATH, 1, timeout=DEADLINE)
                started = time.monotonic()
                if tray:
                    display = env["DISPLAY"]
                    wait_until(lambda: len(docked_icons(display)) > 1, "docked icon")
                time.sleep(3)
                check_alive(proc, log)
                rss0, hwm0 = status_kb(proc.pid, "VmRSS"), status_kb(proc.pid, "VmHWM")
                # Until the hour's worth is done (probe rounds take a little time of their own).
                wait_until(
                    lambda: (
                        len(server.requests_for("/v1/models")) >= rounds_wanted
                        and len(server.requests_for(SUMMARY_PATH)) >= pages_wanted
                    ),
                    "an hour's worth of checks",
                    deadline=3 * duration,
                )
                took = time.monotonic() - started
                check_alive(proc, log)
                rss1, hwm1 = status_kb(proc.pid, "VmRSS"), status_kb(proc.pid, "VmHWM")
                split = memory_split(proc.pid)
                pages = len(server.requests_for(SUMMARY_PATH))
                rounds = len(server.requests_for("/v1/models"))
    finally:
        server.stop()
    limit = RSS_TRAY_MB if tray else RSS_HEADLESS_MB
    label = "tray (Xvfb + trayer, appindicator)" if tray else "headless `watch`"
    target = f"≤ {limit:g} MB"
    work_note = f"{rounds} probe rounds + {pages} page reads in {took:.0f} s (1 s / 2 s intervals)"
    rows = [
        Row(f"RSS after start, {label}", f"{rss0 / 1024:.1f} MB", target, rss0 / 1024 <= limit),
        Row(
            f"RSS after an hour's worth of checks, {label}",
            f"{rss1 / 1024:.1f} MB (peak VmHWM {hwm1 / 1024:.1f} MB)",
            target,
            max(rss1, hwm1) / 1024 <= limit,
            work_note,
        ),
    ]
    detail = (
        f"rss {mode}: start VmRSS {rss0} kB VmHWM {hwm0} kB; after VmRSS {rss1} kB "
        f"VmHWM {hwm1} kB; {work_note}; growth {(rss1 - rss0) / 1024:+.1f} MB; after: {split}"
    )
    return rows, [detail]


_RSS_STEPS = r"""
import sys
from pathlib import Path
def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
steps = [("python itself", "pass"),
         ("tray_app.cli.main (statusline path)", "import tray_app.cli.main"),
         ("httpx", "import httpx"),
         ("ssl default context (CA bundle)", "import ssl; ctx = ssl.create_default_context()"),
         ("tray_app.app (runtime, sqlite, jeepney...)", "import tray_app.app"),
         ("PIL + icons", "import tray_app.sinks.icons"),
         ("keyring", "import keyring; keyring.get_keyring()"),
         ("tray_app.sinks.tray + pystray", "import tray_app.sinks.tray, pystray"),
         ("gi Gtk 3", "import gi; gi.require_version('Gtk', '3.0'); from gi.repository import Gtk"),
         ("AyatanaAppIndicator3", "gi.require_version('AyatanaAppIndicator3', '0.1'); "
          "from gi.repository import AyatanaAppIndicator3")]
before = rss()
for name, code in steps:
    try:
        exec(code)
    except Exception as exc:
        print(f"{name}\tERROR {type(exc).__name__}")
        continue
    now = rss()
    print(f"{name}\t{now - before}\t{now}")
    before = now
"""


def rss_breakdown(env: dict[str, str]) -> list[str]:
    """VmRSS growth per import step, in a fresh interpreter (what dominates the footprint)."""
    out = subprocess.run(
        [sys.executable, "-c", _RSS_STEPS],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    lines = ["rss by import step (fresh interpreter; delta kB, total kB):"]
    lines += [f"  {line}" for line in out.stdout.splitlines()]
    if out.returncode:
        lines.append(f"  (failed: {out.stderr.strip()[-300:]})")
    return lines


def bench_rss(quick: bool, work: Path) -> Report:
    duration = 30.0 if quick else 120.0
    report = Report()
    with ThreadPoolExecutor(2) as pool:
        jobs = [pool.submit(bench_rss_mode, mode, duration, work) for mode in ("watch", "tray")]
        for job in jobs:
            rows, details = job.result()
            report.rows += rows
            report.details += details
    if quick:
        report.details.append("rss: --quick: 30 s of 1 s probes / 2 s page reads, not 120 s")
    with xvfb_display() as display:
        report.details += rss_breakdown(x_env(display, app_env(dict(os.environ), work / "rss-b")))
    return report


# ---------------------------------------------------------------------------------------------
# 2. Idle CPU at default intervals


def bench_cpu_mode(mode: str, window: float, work: Path) -> tuple[Row, str]:
    tray = mode == "tray"
    home = work / f"cpu-{mode}"
    server = loopback_server()
    try:
        with desktop(tray) as base:
            env = app_env(base, home)
            write_config(env, config_text(server.url, None, None))  # default 60 s / 30 s
            log = home / "app.log"
            with app_process(mode, env, log) as proc:
                server.wait_for_requests(SUMMARY_PATH, 1, timeout=DEADLINE)
                server.wait_for_requests("/v1/models", 1, timeout=DEADLINE)
                time.sleep(5)  # let start-up work (first history write, icon render) finish
                check_alive(proc, log)
                pages0 = len(server.requests_for(SUMMARY_PATH))
                rounds0 = len(server.requests_for("/v1/models"))
                cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
                time.sleep(window)
                check_alive(proc, log)
                cpu1, t1 = cpu_seconds(proc.pid), time.monotonic()
                pages = len(server.requests_for(SUMMARY_PATH)) - pages0
                rounds = len(server.requests_for("/v1/models")) - rounds0
    finally:
        server.stop()
    pct = (cpu1 - cpu0) / (t1 - t0) * 100.0
    label = "tray (Xvfb + trayer)" if tray else "headless `watch`"
    note = f"{window / 60:g} min, {pages} page reads + {rounds} probe rounds"
    row = Row(f"Idle CPU, default intervals, {label}", f"{pct:.3f} %", "≤ 0.2 %", pct <= 0.2, note)
    detail = f"cpu {mode}: {cpu1 - cpu0:.2f} s CPU in {t1 - t0:.1f} s wall; {note}"
    return row, detail


def bench_cpu(quick: bool, work: Path) -> Report:
    window = 60.0 if quick else 300.0
    report = Report()
    with ThreadPoolExecutor(2) as pool:
        jobs = [pool.submit(bench_cpu_mode, mode, window, work) for mode in ("watch", "tray")]
        for job in jobs:
            row, detail = job.result()
            report.rows.append(row)
            report.details.append(detail)
    if quick:
        report.details.append("cpu: --quick: measured over 60 s, not 5 minutes")
    return report


# ---------------------------------------------------------------------------------------------
# 3. Launch to docked icon


def bench_launch(quick: bool, work: Path) -> Report:
    launches = 3 if quick else 5
    server = loopback_server()
    times: list[float] = []
    try:
        with desktop(tray=True) as base:
            display = base["DISPLAY"]
            empty = set(docked_icons(display))
            for i in range(launches):
                env = app_env(base, work / f"launch-{i}")
                write_config(env, config_text(server.url, None, None))
                log = work / f"launch-{i}" / "app.log"
                started = time.perf_counter()
                with app_process("tray", env, log) as proc:
                    while not set(docked_icons(display)) - empty:
                        if time.perf_counter() - started > DEADLINE:
                            raise RuntimeError(f"launch {i}: no docked icon in {DEADLINE:g} s")
                        check_alive(proc, log)
                        time.sleep(0.01)
                    times.append(time.perf_counter() - started)
                wait_until(
                    lambda: set(docked_icons(display)) <= empty, "icon gone after the app stopped"
                )
    finally:
        server.stop()
    median = statistics.median(times)
    report = Report()
    report.rows.append(
        Row(
            "Launch to docked icon (Popen → icon window in trayer)",
            f"{median:.2f} s",
            f"≤ {LAUNCH_S:g} s",
            median <= LAUNCH_S,
            f"median of {launches}; min {min(times):.2f} s, max {max(times):.2f} s",
        )
    )
    report.details.append("launch: " + ", ".join(f"{t:.3f}" for t in times) + " s")
    return report


# ---------------------------------------------------------------------------------------------
# 4. Bytes on the wire


class CountingProxy:
    """A threaded TCP forwarder on 127.0.0.1 that counts payload bytes both ways."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.up = 0  # client -> server
        self.down = 0  # server -> client
        self.connections = 0
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            with self._lock:
                self.connections += 1
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, upward: bool) -> None:
        try:
            while data := src.recv(65536):
                with self._lock:  # counted before forwarding: the reader cannot be ahead of us
                    if upward:
                        self.up += len(data)
                    else:
                        self.down += len(data)
                dst.sendall(data)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def total(self) -> int:
        with self._lock:
            return self.up + self.down

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()


@contextlib.contextmanager
def tls_rig(page_route: Route) -> Iterator[tuple[dict[str, CountingProxy], Callable[[], Sources]]]:
    """An HTTPS StatusServer (trustme CA, trusted through SSL_CERT_FILE) behind three counting
    proxies, one per origin (page, API, claude.ai), as the real app talks to three hosts."""
    import trustme

    from tray_app.config.schema import ProbeSettings, Settings, StatusPageSettings
    from tray_app.sources.build import build_sources

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = StatusServer(ssl_context=context).start()
    server.set(SUMMARY_PATH, page_route)
    server.set("/v1/models", API_401)
    server.set("/", CLOUDFLARE_403)
    proxies = {name: CountingProxy(server.port) for name in ("page", "api", "web")}
    with tempfile.TemporaryDirectory(prefix="cst-bench-ca-") as tmp:
        ca_file = Path(tmp) / "ca.pem"
        ca.cert_pem.write_to_path(str(ca_file))
        base = "https://127.0.0.1:{}"
        settings = Settings(
            status_page=StatusPageSettings(url=base.format(proxies["page"].port), timeout=5),
            probes=ProbeSettings(
                timeout=5,
                api_url=base.format(proxies["api"].port) + "/v1/models",
                claude_ai_url=base.format(proxies["web"].port) + "/",
            ),
        )
        saved = os.environ.get("SSL_CERT_FILE")
        os.environ["SSL_CERT_FILE"] = str(ca_file)
        try:
            yield proxies, lambda: build_sources(settings)
        finally:
            if saved is None:
                os.environ.pop("SSL_CERT_FILE", None)
            else:
                os.environ["SSL_CERT_FILE"] = saved
            for proxy in proxies.values():
                proxy.close()
            server.stop()


@dataclasses.dataclass(frozen=True)
class WireFigures:
    """Bytes per request (both directions) for page / api / web."""

    reused: dict[str, float]  # on a kept-alive connection
    fresh: dict[str, float]  # on a new TLS connection each time (handshake + close included)
    connections_kept_run: int  # TCP connections opened in the kept-alive run (warm-up included)
    connections_fresh_run: int


def _settle() -> None:
    time.sleep(0.3)  # close_notify / FIN bytes still crossing the proxy


def _poll_run(sources: Sources, proxies: dict[str, CountingProxy], polls: int) -> dict[str, float]:
    """Bytes per request for each origin over ``polls`` polls, after one warm-up poll."""
    assert sources.prober is not None  # probes are on in these settings
    sources.page.fetch()
    sources.prober.run()
    _settle()
    before = {name: p.total() for name, p in proxies.items()}
    for _ in range(polls):
        time.sleep(0.2)
        sources.page.fetch()
        sources.prober.run()
    _settle()
    return {name: (p.total() - before[name]) / polls for name, p in proxies.items()}


def measure_wire(page_route: Route, polls: int) -> WireFigures:
    with tls_rig(page_route) as (proxies, make_sources):
        sources = make_sources()  # one client for the whole run, like the app
        reused = _poll_run(sources, proxies, polls)
        conns = sum(p.connections for p in proxies.values())
        sources.close()
        _settle()
        # What it costs when the server drops idle connections before the next poll:
        # "Connection: close" (+19 bytes per request) makes every request a new TCP + TLS
        # connection, while the page client keeps its ETag.
        sources = make_sources()
        sources.client.headers["Connection"] = "close"
        before_conns = sum(p.connections for p in proxies.values())
        fresh = _poll_run(sources, proxies, polls)
        fresh_conns = sum(p.connections for p in proxies.values()) - before_conns
        sources.close()
    return WireFigures(reused, fresh, conns, fresh_conns)


def bench_bytes(quick: bool, work: Path) -> Report:
    polls = 10 if quick else 30
    body = (FIXTURES / FIXTURE).read_bytes()
    from tests.statusserver import strong_etag

    json_type = ("Content-Type", "application/json; charset=utf-8")
    variants = {
        "ETag/304": Route(
            body=body, headers=(json_type, ("ETag", strong_etag(body))), etag=strong_etag(body)
        ),
        "no ETag": Route(body=body, headers=(json_type,)),
        "no ETag, gzip": Route(
            body=gzip.compress(body), headers=(json_type, ("Content-Encoding", "gzip"))
        ),
    }
    report = Report()
    per_day: dict[str, tuple[float, float, float, float]] = {}
    for name, route in variants.items():
        wire = measure_wire(route, polls)
        probes_reused = wire.reused["api"] + wire.reused["web"]
        probes_fresh = wire.fresh["api"] + wire.fresh["web"]
        page_kept = 1440 * wire.reused["page"]
        page_fresh = 1440 * wire.fresh["page"]
        all_kept = page_kept + 2880 * probes_reused
        per_day[name] = (page_kept, all_kept, page_fresh, page_fresh + 2880 * probes_fresh)
        report.details.append(
            f"bytes {name}: per request kept-alive page {wire.reused['page']:.0f}, api "
            f"{wire.reused['api']:.0f}, claude.ai {wire.reused['web']:.0f}; new connection each "
            f"time page {wire.fresh['page']:.0f}, api {wire.fresh['api']:.0f}, claude.ai "
            f"{wire.fresh['web']:.0f} (TCP payload both ways, TLS included; "
            f"connections opened: {wire.connections_kept_run} kept-alive run, "
            f"{wire.connections_fresh_run} new-connection run, {polls} polls + 1 warm-up each)"
        )
    for name, (page_kept, all_kept, page_fresh, all_fresh) in per_day.items():
        cases = [
            ("page only, keep-alive held", page_kept),
            ("page + probes, keep-alive held", all_kept),
        ]
        if name == "ETag/304":  # the app's real mode: also when the server drops idle connections
            cases += [
                ("page only, new TLS connection per poll", page_fresh),
                ("page + probes, new TLS connection per request", all_fresh),
            ]
        for label, value in cases:
            report.rows.append(
                Row(
                    f"Network per day, nothing changes, {name}, {label}",
                    f"{value / MB:.2f} MB",
                    "≤ 1 MB",
                    value <= BYTES_PER_DAY,
                    "1440 page reads" + (" + 2880 probe rounds" if "probes" in label else ""),
                )
            )
    report.details.append(
        f"bytes: {polls} polls per variant through byte-counting proxies in front of an HTTPS "
        "StatusServer (trustme CA via SSL_CERT_FILE), serving the real capture "
        f"{FIXTURE} ({len(body)} bytes, gzip {len(gzip.compress(body))} bytes)"
    )
    return report


# ---------------------------------------------------------------------------------------------
# 5. Detection latency


def wait_notify(server: RecordingServer, flipped: float, deadline: float) -> float | None:
    """Seconds from ``flipped`` (time.time()) to the first Notify line; polls the file at 10 ms."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if server.notify_calls():
            return time.time() - flipped
        time.sleep(0.01)
    return None


def detect_trial(path: str, rng: random.Random, work: Path, n: int) -> tuple[float | None, str]:
    home = work / f"detect-{path}-{n}"
    server = loopback_server(summary_doc())
    interval = DEFAULT_PAGE_INTERVAL if path == "page" else DEFAULT_PROBE_INTERVAL
    try:
        with desktop(tray=False) as base:
            home.mkdir(parents=True, exist_ok=True)
            with recording_notification_server(base, home) as notes:
                env = app_env(base, home)
                write_config(env, config_text(server.url, None, None))
                log = home / "app.log"
                with app_process("watch", env, log) as proc:
                    server.wait_for_requests(SUMMARY_PATH, 1, timeout=DEADLINE)
                    server.wait_for_requests("/v1/models", 1, timeout=DEADLINE)
                    time.sleep(rng.uniform(0.0, interval))
                    check_alive(proc, log)
                    if notes.notify_calls():
                        return None, f"{path} #{n}: notified before the flip: {notes.calls()}"
                    flipped = time.time()
                    if path == "page":
                        server.set_summary(summary_doc("critical", {API_COMPONENT: "major_outage"}))
                    else:
                        server.set("/v1/models", API_529_OVERLOADED)
                    latency = wait_notify(notes, flipped, 2 * interval + 30)
                    summary = notes.notify_calls()[0]["summary"] if notes.notify_calls() else ""
    finally:
        server.stop()
    return (
        latency,
        f"{path} #{n}: {latency if latency is None else round(latency, 2)} s {summary!r}",
    )


def bench_detect(quick: bool, work: Path, seed: int) -> Report:
    trials = 1 if quick else 3
    report = Report()

    def run(path: str) -> list[tuple[float | None, str]]:
        rng = random.Random(f"{seed}-{path}")
        return [detect_trial(path, rng, work, n) for n in range(trials)]

    with ThreadPoolExecutor(2) as pool:
        results = {path: pool.submit(run, path) for path in ("page", "probe")}
        for path, job in results.items():
            outcomes = job.result()
            limit = (
                DEFAULT_PAGE_INTERVAL + SLACK_S
                if path == "page"
                else 2 * DEFAULT_PROBE_INTERVAL + 5
            )
            seen = [t for t, _ in outcomes if t is not None]
            worst = max(seen) if len(seen) == len(outcomes) else None
            label = (
                "status page flips to major_outage (60 s page interval)"
                if path == "page"
                else "API probe answers 529 (30 s probes, failure_threshold 2)"
            )
            figure = (
                "missed"
                if worst is None
                else f"worst {worst:.1f} s, median {statistics.median(seen):.1f} s"
            )
            report.rows.append(
                Row(
                    f"Detection: {label} → Notify on D-Bus",
                    figure,
                    f"≤ {limit:g} s",
                    worst is not None and worst <= limit,
                    f"{trials} trial(s) at a random moment: "
                    + ", ".join("missed" if t is None else f"{t:.1f}" for t, _ in outcomes),
                )
            )
            report.details += [f"detect {line}" for _, line in outcomes]
    report.details.append(f"detect: seed {seed}")
    return report


# ---------------------------------------------------------------------------------------------
# statusline wall time


def bench_statusline(quick: bool, work: Path) -> Report:
    runs = 10 if quick else 20
    home = work / "statusline"
    server = loopback_server()
    try:
        env = app_env({k: v for k, v in os.environ.items() if k != "DISPLAY"}, home)
        write_config(env, config_text(server.url, 1, 1))
        state = Path(env["XDG_STATE_HOME"]) / "claude-status-tray" / "state.json"
        with app_process("watch", env, home / "app.log"):
            wait_until(state.exists, "state.json written by `watch`")
            time.sleep(1)
    finally:
        server.stop()
    cmd = (
        [str(CONSOLE_SCRIPT), "statusline"] if CONSOLE_SCRIPT.exists() else [*APP_CMD, "statusline"]
    )
    line = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30).stdout.strip()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, timeout=30, check=True)
        times.append((time.perf_counter() - started) * 1000)
    bare = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, timeout=30, check=True)
        bare.append((time.perf_counter() - started) * 1000)
    median = statistics.median(times)
    report = Report()
    report.rows.append(
        Row(
            "`statusline` wall time (console script)",
            f"{median:.0f} ms",
            f"< {STATUSLINE_MS:g} ms",
            median < STATUSLINE_MS,
            f"median of {runs}; bare `python -c pass` {statistics.median(bare):.0f} ms",
        )
    )
    report.details.append(
        f"statusline printed {line!r}; runs ms: " + ", ".join(f"{t:.0f}" for t in times)
    )
    report.details += importtime_top(env)
    return report


def importtime_top(env: dict[str, str], top: int = 10) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "tray_app", "statusline"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        cwd=ROOT,
    )
    rows: list[tuple[int, int, str]] = []
    nested: list[tuple[int, int, str]] = []
    for line in out.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            row = (int(match.group(2)), int(match.group(1)), match.group(4))
            (rows if len(match.group(3)) <= 1 else nested).append(row)  # 1 space: top level
    rows.sort(reverse=True)
    nested.sort(reverse=True)
    lines = [f"statusline `-X importtime`, top {top} top-level imports (cumulative ms):"]
    lines += [
        f"  {name}: {cum / 1000:.1f} ms (self {own / 1000:.1f})" for cum, own, name in rows[:top]
    ]
    lines.append(f"  sum of top-level imports: {sum(r[0] for r in rows) / 1000:.1f} ms")
    lines.append("  heaviest nested imports (cumulative ms):")
    lines += [f"    {name}: {cum / 1000:.1f} ms" for cum, _own, name in nested[:6]]
    return lines


# ---------------------------------------------------------------------------------------------


BENCHES = ("launch", "bytes", "statusline", "rss", "cpu", "detect")


def machine() -> list[str]:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        "?",
    )
    mem = next(
        ln.split()[1]
        for ln in Path("/proc/meminfo").read_text().splitlines()
        if ln.startswith("MemTotal")
    )
    os_name = "?"
    with contextlib.suppress(OSError):
        found = re.search(r'PRETTY_NAME="([^"]+)"', Path("/etc/os-release").read_text())
        os_name = found.group(1) if found else os_name
    return [
        f"- date: {time.strftime('%Y-%m-%d %H:%M %Z')}",
        f"- CPU: {cpu}, nproc {os.cpu_count()}",
        f"- RAM: {int(mem) / 1024 / 1024:.1f} GiB",
        f"- OS: {os_name}, kernel {os.uname().release}",
        f"- Python: {sys.version.split()[0]}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter windows, fewer trials")
    parser.add_argument("--only", action="append", choices=BENCHES, help="run only these")
    parser.add_argument("--seed", type=int, default=None, help="seed for the random flip moments")
    args = parser.parse_args(argv)
    only = args.only or list(BENCHES)
    seed = args.seed if args.seed is not None else random.randrange(1_000_000)
    started = time.monotonic()
    load_before = os.getloadavg()
    reports: dict[str, Report] = {}
    with tempfile.TemporaryDirectory(prefix="cst-bench-") as tmp:
        work = Path(tmp)
        # Timing-sensitive ones alone first; the long ones side by side (separate everything).
        for name in ("launch", "bytes", "statusline"):
            if name in only:
                say(f"== {name}")
                reports[name] = RUNNERS[name](args.quick, work, seed)
        long_ones = [n for n in ("rss", "cpu", "detect") if n in only]
        say(f"== {', '.join(long_ones)} (side by side)")
        with ThreadPoolExecutor(max(1, len(long_ones))) as pool:
            jobs = {n: pool.submit(RUNNERS[n], args.quick, work, seed) for n in long_ones}
            for name, job in jobs.items():
                reports[name] = job.result()
    order = [n for n in ("rss", "cpu", "launch", "bytes", "detect", "statusline") if n in reports]
    print("| measurement | figure | target | result | notes |")
    print("|---|---|---|---|---|")
    for name in order:
        for row in reports[name].rows:
            print(row.markdown())
    print()
    mode = "--quick (shortened windows, see details)" if args.quick else "full"
    print(f"Run: {mode}, {time.monotonic() - started:.0f} s.")
    loads = " / ".join(
        f"{a:.2f} → {b:.2f}" for a, b in zip(load_before, os.getloadavg(), strict=True)
    )
    print(f"Load average (1/5/15 min) at start → end: {loads} (other work on the machine counts)")
    print()
    print("\n".join(machine()))
    print()
    print("Details:")
    print()
    print("```")
    for name in order:
        for line in reports[name].details:
            print(line)
    print("```")
    failed = [r for n in order for r in reports[n].rows if r.ok is False]
    return 1 if failed else 0


RUNNERS: dict[str, Callable[[bool, Path, int], Report]] = {
    "launch": lambda q, w, s: bench_launch(q, w),
    "bytes": lambda q, w, s: bench_bytes(q, w),
    "statusline": lambda q, w, s: bench_statusline(q, w),
    "rss": lambda q, w, s: bench_rss(q, w),
    "cpu": lambda q, w, s: bench_cpu(q, w),
    "detect": bench_detect,
}


if __name__ == "__main__":
    raise SystemExit(main())
