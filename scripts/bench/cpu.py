"""Idle CPU of the tray and of headless `watch` at the default intervals, next to a bare
interpreter's; and the CPU one unchanged poll costs (a page read answered 304, a probe round).

Every app runs with a notification server on its bus, as on a desktop."""

from __future__ import annotations

import contextlib
import dataclasses
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import (
    CPU_PER_POLL_MS,
    DEADLINE,
    FIXTURE,
    IDLE_CPU_PCT,
    Report,
    Row,
    app_env,
    app_process,
    check_alive,
    config_text,
    cpu_seconds,
    desktop,
    loopback_server,
    write_config,
)
from tests.h2server import h2_server
from tests.statusserver import API_401, CLOUDFLARE_403, FIXTURES, SUMMARY_PATH, json_body_route

SLOW = 600.0  # an interval that does not come round during a measurement


@dataclasses.dataclass(frozen=True)
class CpuRun:
    cpu: float  # seconds of CPU (user + system) in the window
    wall: float
    pages: int  # page reads in the window
    rounds: int  # probe rounds in the window

    @property
    def percent(self) -> float:
        return self.cpu / self.wall * 100.0


@contextlib.contextmanager
def page_server(tls: bool) -> Iterator[tuple[Any, dict[str, str]]]:
    """A loopback page that never changes, and what the app's environment needs to trust it:
    plain HTTP/1.1 (tests/statusserver.py), or ``tls``: HTTPS offering HTTP/2 as the real hosts
    do (tests/h2server.py, a trustme CA through SSL_CERT_FILE)."""
    if not tls:
        server = loopback_server()
        try:
            yield server, {}
        finally:
            server.stop()
        return
    with h2_server() as (h2, ca_file):
        h2.set(SUMMARY_PATH, json_body_route((FIXTURES / FIXTURE).read_bytes()))
        h2.set("/v1/models", API_401)
        h2.set("/", CLOUDFLARE_403)
        yield h2, {"SSL_CERT_FILE": ca_file}


def measure(
    mode: str,
    window: float,
    home: Path,
    page_interval: float | None = None,
    probe_interval: float | None = None,
    *,
    tls: bool = False,
) -> CpuRun:
    """The app in ``mode`` against a loopback page that never changes; intervals None: defaults."""
    with (
        page_server(tls) as (server, trust),
        desktop(mode == "tray", notifications=home / "notes") as base,
    ):
        env = {**app_env(base, home), **trust}
        write_config(env, config_text(server.url, page_interval, probe_interval))
        log = home / "app.log"
        with app_process(mode, env, log) as proc:
            server.wait_for_requests(SUMMARY_PATH, 1, timeout=DEADLINE)
            server.wait_for_requests("/v1/models", 1, timeout=DEADLINE)
            time.sleep(5)  # let start-up work (first history write, first notification) end
            check_alive(proc, log)
            pages0 = len(server.requests_for(SUMMARY_PATH))
            rounds0 = len(server.requests_for("/v1/models"))
            cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
            time.sleep(window)
            check_alive(proc, log)
            cpu1, t1 = cpu_seconds(proc.pid), time.monotonic()
            pages = len(server.requests_for(SUMMARY_PATH)) - pages0
            rounds = len(server.requests_for("/v1/models")) - rounds0
    return CpuRun(cpu1 - cpu0, t1 - t0, pages, rounds)


def bare_interpreter(window: float) -> CpuRun:
    proc = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep({window + 30:g})"])
    try:
        time.sleep(1.0)
        cpu0, t0 = cpu_seconds(proc.pid), time.monotonic()
        time.sleep(window)
        cpu1, t1 = cpu_seconds(proc.pid), time.monotonic()
    finally:
        proc.kill()
        proc.wait()
    return CpuRun(cpu1 - cpu0, t1 - t0, 0, 0)


def idle_row(mode: str, run: CpuRun) -> Row:
    label = "tray (Xvfb + trayer)" if mode == "tray" else "headless `watch`"
    return Row(
        f"Idle CPU, default intervals, {label}",
        f"{run.percent:.3f} %",
        f"≤ {IDLE_CPU_PCT:g} %",
        run.percent <= IDLE_CPU_PCT,
        f"{run.wall / 60:.0f} min, {run.pages} page reads + {run.rounds} probe rounds",
    )


def per_poll(window: float, work: Path, *, tls: bool = False) -> tuple[list[Row], list[str]]:
    """`watch` polling every second, one source at a time: CPU per page read, per probe round.
    ``tls``: over HTTPS and HTTP/2, as against the real hosts."""
    how = "HTTPS + HTTP/2" if tls else "plain HTTP/1.1"
    name = "tls" if tls else "plain"
    page = measure("watch", window, work / f"cpu-page-{name}", 1.0, SLOW, tls=tls)
    probes = measure("watch", window, work / f"cpu-probes-{name}", SLOW, 1.0, tls=tls)
    page_ms = page.cpu * 1000 / max(1, page.pages)
    round_ms = probes.cpu * 1000 / max(1, probes.rounds)
    rows = [
        Row(
            f"CPU per unchanged poll: a page read answered 304 ({how})",
            f"{page_ms:.1f} ms",
            f"≤ {CPU_PER_POLL_MS:g} ms",
            page_ms <= CPU_PER_POLL_MS,
            f"`watch`, 1 s page interval, {page.pages} reads in {page.wall:.0f} s",
        ),
        Row(
            f"CPU per unchanged poll: a probe round (API + claude.ai: 2 requests, {how})",
            f"{round_ms:.1f} ms ({round_ms / 2:.1f} ms a request)",
            f"≤ {CPU_PER_POLL_MS:g} ms a request",
            round_ms / 2 <= CPU_PER_POLL_MS,
            f"`watch`, 1 s probe interval, {probes.rounds} rounds in {probes.wall:.0f} s",
        ),
    ]
    details = [
        f"cpu per poll ({how} on loopback, keep-alive): page-only run {page.cpu:.2f} s CPU, "
        f"{page.pages} reads; probes-only run {probes.cpu:.2f} s CPU, {probes.rounds} rounds"
    ]
    return rows, details


def bench_cpu(quick: bool, work: Path) -> Report:
    window = 60.0 if quick else 300.0
    report = Report()
    with ThreadPoolExecutor(3) as pool:
        idle = {m: pool.submit(measure, m, window, work / f"cpu-{m}") for m in ("watch", "tray")}
        bare = pool.submit(bare_interpreter, window)
        for mode, job in idle.items():
            run = job.result()
            report.rows.append(idle_row(mode, run))
            report.details.append(
                f"cpu {mode}: {run.cpu:.2f} s CPU in {run.wall:.1f} s wall; "
                f"{run.pages} page reads + {run.rounds} probe rounds"
            )
        baseline = bare.result()
    report.rows.append(
        Row(
            "Idle CPU of a bare `python -c` sleeping (baseline)",
            f"{baseline.percent:.3f} %",
            "—",
            None,
            f"same {baseline.wall / 60:.0f} min window",
        )
    )
    for tls in (False, True):
        rows, details = per_poll(30.0 if quick else 60.0, work, tls=tls)
        report.rows += rows
        report.details += details
    if quick:
        report.details.append("cpu: --quick: idle over 60 s, not 5 minutes; per poll over 30 s")
    return report
