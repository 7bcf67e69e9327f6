"""Detection latency: the moment the loopback server flips to the D-Bus Notify call."""

from __future__ import annotations

import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import (
    DEADLINE,
    DEFAULT_PAGE_INTERVAL,
    DEFAULT_PROBE_INTERVAL,
    SLACK_S,
    Report,
    Row,
    app_env,
    app_process,
    check_alive,
    config_text,
    desktop,
    loopback_server,
    write_config,
)
from tests.rigs_dbus import RecordingServer, recording_notification_server
from tests.statusserver import API_529_OVERLOADED, SUMMARY_PATH, summary_doc
from tray_app.config.schema import API_COMPONENT


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
