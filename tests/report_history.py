"""A generated history for the report's tests, its benchmark and its README screenshot.

``generate_history`` writes, in the app's own schema, what the app would have recorded over
``days`` days: per service mostly operational, with outages that our probes saw first and the
status page later, days the app was not running (laptop off), the page's incidents as the
app stores them (real ``IncidentOpened``/``IncidentResolved`` events), and probe latency
windows. Bulk SQL for the high-volume tables (a year of probes would take minutes through
``record_probes``); seeded, so the same arguments give the same file.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tray_app.core.events import IncidentOpened, IncidentResolved
from tray_app.core.models import Health, Incident, IncidentUpdate
from tray_app.sinks.history.latency_store import roll_up
from tray_app.sinks.history.store import History

SERVICES = (
    ("rwppv331jlwc", "claude.ai"),
    ("yk4r2r9gvhcy", "platform.claude.com"),
    ("k8w3r06qmzrp", "Claude API (api.anthropic.com)"),
    ("yyzkbfz2thpt", "Claude Code"),
    ("0scnb50nvy53", "Claude for Government"),
    ("bpp5gb3hpjcl", "Claude Desktop"),
)
PROBES = (("api", "k8w3r06qmzrp"), ("claude_ai", "rwppv331jlwc"))
WINDOW = 300.0  # latency_sample_seconds default
PROBE_EVERY = 30.0


@dataclass(frozen=True)
class GeneratedOutage:
    component_id: str
    probe_down: float
    page_down: float
    end: float
    worst: Health


def generate_history(
    path: Path,
    *,
    now: datetime,
    days: int = 90,
    services: int = 6,
    seed: int = 7,
    outage_every_days: float = 9.0,
) -> list[GeneratedOutage]:
    """Write the history file at ``path``; returns the outages it holds."""
    rng = random.Random(seed)
    start = (now - timedelta(days=days)).timestamp()
    end = now.timestamp()
    chosen = SERVICES[:services]
    offline = _offline_spans(rng, start, end)
    health_rows: list[tuple[object, ...]] = []
    outages: list[GeneratedOutage] = []
    for cid, name in chosen:
        at = start
        while at < end:
            gap = rng.expovariate(1 / (outage_every_days * 86400.0))
            down = min(at + gap, end)
            health_rows += _watched(cid, name, at, down, offline, (Health.OPERATIONAL,) * 2)
            if down >= end:
                break
            worst = rng.choice((Health.DEGRADED, Health.PARTIAL_OUTAGE, Health.MAJOR_OUTAGE))
            lead = rng.uniform(60, 900)
            length = rng.uniform(15 * 60, 4 * 3600)
            page = down + lead
            over = min(page + length, end)
            health_rows.append((cid, name, down, page, worst.value, "operational", 1, worst.value))
            health_rows.append((cid, name, page, over, worst.value, worst.value, 0, worst.value))
            outages.append(GeneratedOutage(cid, down, page, over, worst))
            at = over
    with History(path) as history:
        history.record_events(_incident_events(outages, chosen))
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO component_health"
            " (component_id, name, at, until, health, official, probe_only, probe)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            health_rows,
        )
        conn.executemany(
            "INSERT INTO probe_latency (target, component_id, window_start, samples, failures,"
            " timed, min_ms, max_ms, sum_ms, last_outcome, samples_ms)"
            " VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, 'ok', ?)",
            _latency_rows(rng, start, end, offline, outages),
        )
        roll_up(conn, end)  # what the running app would have done hour by hour
    conn.close()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # as the app's daily prune does
    return outages


def _offline_spans(rng: random.Random, start: float, end: float) -> list[tuple[float, float]]:
    """Nights the machine was off (about one in three, 6 to 10 hours) and a few whole days."""
    spans = []
    day = start - start % 86400.0
    while day < end:
        if rng.random() < 0.04:
            spans.append((day, day + 86400.0))
        elif rng.random() < 0.33:
            off = day + rng.uniform(20, 23) * 3600.0
            spans.append((off, off + rng.uniform(6, 10) * 3600.0))
        day += 86400.0
    return spans


def _watched(
    cid: str,
    name: str,
    begin: float,
    end: float,
    offline: list[tuple[float, float]],
    state: tuple[Health, Health],
) -> list[tuple[object, ...]]:
    """Rows for ``[begin, end]`` in one state, split around the times the app was off."""
    rows: list[tuple[object, ...]] = []
    at = begin
    for off, on in offline:
        if on <= at or off >= end:
            continue
        if off > at:
            rows.append((cid, name, at, off, state[0].value, state[1].value, 0, state[0].value))
        at = max(at, on)
    if at < end:
        rows.append((cid, name, at, end, state[0].value, state[1].value, 0, state[0].value))
    return rows


def _incident_events(
    outages: list[GeneratedOutage], services: tuple[tuple[str, str], ...]
) -> list[IncidentOpened | IncidentResolved]:
    names = dict(services)
    found: list[IncidentOpened | IncidentResolved] = []
    impacts = {Health.DEGRADED: "minor", Health.PARTIAL_OUTAGE: "major"}
    for n, o in enumerate(outages):
        opened = datetime.fromtimestamp(o.page_down, timezone.utc)
        closed = datetime.fromtimestamp(o.end, timezone.utc)
        incident = Incident(
            id=f"inc{n:04d}",
            name=f"Elevated errors on {names[o.component_id]}",
            status="investigating",
            impact=impacts.get(o.worst, "critical"),
            shortlink=f"https://stspg.io/inc{n:04d}",
            created_at=opened,
            updated_at=opened,
            component_ids=(o.component_id,),
        )
        resolved = Incident(
            **{
                **incident.__dict__,
                "status": "resolved",
                "updated_at": closed,
                "latest_update": IncidentUpdate(
                    id=f"upd{n:04d}", status="resolved", body="Resolved.", created_at=closed
                ),
            }
        )
        found.append(IncidentOpened(at=opened, incident=incident))
        found.append(IncidentResolved(at=closed, incident=resolved, lasted=closed - opened))
    return found


def _latency_rows(
    rng: random.Random,
    start: float,
    end: float,
    offline: list[tuple[float, float]],
    outages: list[GeneratedOutage],
) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    per_window = int(WINDOW // PROBE_EVERY)
    off = iter(sorted(offline))
    current = next(off, None)
    window = start - start % WINDOW
    slow = sorted((o.probe_down, o.end) for o in outages if o.component_id in dict(PROBES).values())
    while window < end:
        while current is not None and current[1] <= window:
            current = next(off, None)
        if current is not None and current[0] <= window < current[1]:
            window += WINDOW
            continue
        hour_of_day = (window % 86400.0) / 3600.0
        busy = 1.0 + 0.35 * max(0.0, 1 - abs(hour_of_day - 16) / 6)
        trouble = any(a <= window < b for a, b in slow)
        for target, cid in PROBES:
            base = (180.0 if target == "api" else 320.0) * busy * (3.0 if trouble else 1.0)
            values = [round(rng.lognormvariate(0, 0.25) * base, 1) for _ in range(per_window)]
            rows.append(
                (
                    target,
                    cid,
                    window,
                    per_window,
                    per_window,
                    min(values),
                    max(values),
                    sum(values),
                    " ".join(f"{v:.1f}" for v in values),
                )
            )
        window += WINDOW
    return rows
