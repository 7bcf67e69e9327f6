"""RSS of headless `watch` and of the tray (on trayer, and on xfce4-panel's StatusNotifierItem
tray) after start and after an hour's worth of checks, next to a bare interpreter's; and what
each import adds in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import (
    DEADLINE,
    ROOT,
    RSS_HEADLESS_MB,
    RSS_TRAY_MB,
    Report,
    Row,
    app_env,
    app_process,
    check_alive,
    config_text,
    desktop,
    docked_icons,
    loopback_server,
    memory_split,
    status_kb,
    wait_until,
    write_config,
)
from tests.rigs_x11 import x_env, xvfb_display
from tests.statusserver import SUMMARY_PATH

# name: (app mode, tray host or None, label)
SETUPS = {
    "watch": ("watch", None, "headless `watch`"),
    "tray": ("tray", "trayer", "tray (Xvfb + trayer, appindicator)"),
    "tray-sni": ("tray", "xfce4-panel", "tray (Xvfb + xfce4-panel's Status Tray: SNI)"),
}


def _shown(host: str, env: dict[str, str]) -> bool:
    """The tray icon is up: docked in trayer, or registered with the panel's SNI watcher."""
    if host == "trayer":
        return len(docked_icons(env["DISPLAY"])) > 1
    from tests.sni_client import watcher_items

    try:
        return bool(watcher_items(env["DBUS_SESSION_BUS_ADDRESS"]))
    except Exception:  # the watcher not up yet
        return False


def bench_rss_mode(setup: str, duration: float, work: Path) -> tuple[list[Row], list[str]]:
    mode, host, label = SETUPS[setup]
    tray = host is not None
    home = work / f"rss-{setup}"
    rounds_wanted, pages_wanted = int(duration), int(duration) // 2
    server = loopback_server()
    try:
        with desktop(tray, host=host or "", notifications=home / "notes") as base:
            env = app_env(base, home)
            # An hour at default intervals is 120 probe rounds and 60 page reads: here 1 s / 2 s.
            write_config(env, config_text(server.url, 2, 1))
            log = home / "app.log"
            with app_process(mode, env, log) as proc:
                server.wait_for_requests(SUMMARY_PATH, 1, timeout=DEADLINE)
                started = time.monotonic()
                if host is not None:
                    wait_until(lambda: _shown(host, env), "the tray icon shown")
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
        f"rss {setup}: start VmRSS {rss0} kB VmHWM {hwm0} kB; after VmRSS {rss1} kB "
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
         ("PIL + icons", "import tray_app.core.icons"),
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


def bare_interpreter() -> Row:
    """The floor: VmRSS of ``python -c`` doing nothing, in this run, on this machine."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        time.sleep(1.0)
        rss = status_kb(proc.pid, "VmRSS")
    finally:
        proc.kill()
        proc.wait()
    return Row("RSS of a bare `python -c` (baseline)", f"{rss / 1024:.1f} MB", "—", None)


def bench_rss(quick: bool, work: Path) -> Report:
    duration = 30.0 if quick else 120.0
    report = Report(rows=[bare_interpreter()])
    with ThreadPoolExecutor(len(SETUPS)) as pool:
        jobs = [pool.submit(bench_rss_mode, setup, duration, work) for setup in SETUPS]
        for job in jobs:
            rows, details = job.result()
            report.rows += rows
            report.details += details
    if quick:
        report.details.append("rss: --quick: 30 s of 1 s probes / 2 s page reads, not 120 s")
    with xvfb_display() as display:
        report.details += rss_breakdown(x_env(display, app_env(dict(os.environ), work / "rss-b")))
    return report
