"""`report`: how long the HTML history report takes over a big history.

A year of generated history (tests/report_history.py: 6 services, outages, days the app was off,
incidents, a probe every 30 s for two targets) in the app's own schema; the report over the
last 90 days is built and written in-process (median of several runs: the figure), and once by
the real CLI as a child process (wall time, imports included: a note).
"""

from __future__ import annotations

import statistics
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

from bench.common import APP_CMD, Report, Row, app_env, say
from tests.report_history import generate_history
from tray_app.report.command import write_report

REPORT_S = 1.0  # issue 13: a 90-day, 6-service report over a year of data
DAYS = 90


def bench_report(quick: bool, work: Path) -> Report:
    runs = 3 if quick else 7
    home = work / "report"
    env = app_env({}, home)
    db = Path(env["XDG_DATA_HOME"]) / "claude-status-tray" / "history.sqlite3"
    db.parent.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    started = time.perf_counter()
    outages = generate_history(db, now=now, days=365, services=6)
    generated = time.perf_counter() - started
    size = db.stat().st_size // 1024
    say(f"report: a year of history generated in {generated:.0f} s ({size} KiB)")
    times = []
    page = home / "report.html"
    for _ in range(runs):
        started = time.perf_counter()
        write_report(db, page, days=DAYS, now=now)
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    started = time.perf_counter()
    cli = subprocess.run(
        [*APP_CMD, "report", "--days", str(DAYS), "--output", str(home / "cli.html")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    wall = time.perf_counter() - started
    report = Report()
    report.rows.append(
        Row(
            f"`report` over {DAYS} days, 6 services, a year of history",
            f"{median * 1000:.0f} ms",
            f"≤ {REPORT_S:g} s",
            median <= REPORT_S,
            f"median of {runs}, read + build + write; the CLI process {wall:.2f} s wall",
        )
    )
    report.details.append(
        f"report: history {db.stat().st_size // 1024} KiB, {len(outages)} outages over 365 days;"
        f" page {page.stat().st_size // 1024} KiB; runs ms: "
        + ", ".join(f"{t * 1000:.0f}" for t in times)
        + f"; CLI exit {cli.returncode} in {wall:.2f} s {cli.stderr.strip()[:200]}"
    )
    return report
