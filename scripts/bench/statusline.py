"""`statusline` wall time and its import cost."""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import (
    APP_CMD,
    CONSOLE_SCRIPT,
    ROOT,
    STATUSLINE_MS,
    Report,
    Row,
    app_env,
    app_process,
    config_text,
    loopback_server,
    wait_until,
    write_config,
)


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
