"""Launch to docked icon: Popen to the icon's window inside trayer."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from bench.common import (
    DEADLINE,
    LAUNCH_S,
    Report,
    Row,
    app_env,
    app_process,
    check_alive,
    config_text,
    desktop,
    docked_icons,
    loopback_server,
    wait_until,
    write_config,
)


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
