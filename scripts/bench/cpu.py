"""Idle CPU of the tray and of headless `watch` at the default intervals."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import (
    DEADLINE,
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
from tests.statusserver import SUMMARY_PATH


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
