"""What is read back from the history: outages, uptime, latency, events, the report.

All derived from *our* observations (see ``store``): time when the app was not running, and
observations that saw nothing (unknown, offline, page unreachable) count neither as up nor down.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from tray_app.core.models import Health
from tray_app.sinks.history.latency_store import LatencyHour, read_hours
from tray_app.sinks.history.store import (
    History,
    Transition,
    epoch,
    from_epoch,
    transition_from_row,
)

# Not observations of the component itself: they count neither as up nor as down.
UNOBSERVED = (Health.UNKNOWN, Health.OFFLINE, Health.STATUS_PAGE_UNREACHABLE)
UP = (Health.OPERATIONAL, Health.MAINTENANCE)


@dataclass(frozen=True)
class Outage:
    component_id: str
    name: str
    start: datetime
    end: datetime | None  # None: still going on (as far as we last saw)
    worst: Health
    probe_only: bool  # only our probes saw it; the status page never confirmed

    @property
    def duration(self) -> timedelta | None:
        return None if self.end is None else self.end - self.start


@dataclass(frozen=True)
class LatencySample:
    target: str
    component_id: str
    window_start: datetime
    samples: int
    failures: int
    min_ms: float | None
    avg_ms: float | None
    max_ms: float | None
    last_outcome: str


@dataclass(frozen=True)
class ComponentUptime:
    component_id: str
    name: str
    uptime_24h: float | None
    uptime_7d: float | None
    uptime_30d: float | None
    # how long this machine actually watched it in each window: the uptime covers only that
    watched_24h: timedelta = timedelta(0)
    watched_7d: timedelta = timedelta(0)
    watched_30d: timedelta = timedelta(0)


@dataclass(frozen=True)
class HistoryReport:
    since: datetime
    generated_at: datetime
    components: tuple[ComponentUptime, ...]
    outages: tuple[Outage, ...]


def transitions(history: History, component_id: str | None = None) -> list[Transition]:
    """Health rows, by component then time."""
    sql = f"SELECT {history.transition_columns} FROM component_health"
    args: tuple[str, ...] = ()
    if component_id is not None:
        sql += " WHERE component_id = ?"
        args = (component_id,)
    with history.reading() as conn:
        rows = conn.execute(sql + " ORDER BY component_id, at, id", args).fetchall()
    return [transition_from_row(row) for row in rows]


def component_ids(history: History) -> list[tuple[str, str]]:
    """(id, latest name) of every component ever recorded, by name."""
    with history.reading() as conn:
        rows = conn.execute(
            "SELECT component_id, name FROM component_health WHERE id IN "
            "(SELECT max(id) FROM component_health GROUP BY component_id)"
            " ORDER BY name, component_id"
        ).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def outages(history: History, since: datetime) -> list[Outage]:
    """Runs of degraded-or-worse health that overlap ``[since, now]``, oldest first.

    An outage ends at the first observation of OPERATIONAL or MAINTENANCE; UNKNOWN and
    offline observations neither end nor extend it.
    """
    cut = since.astimezone(timezone.utc)
    found = (outage_of(run, end) for run, end in outage_runs(transitions(history)))
    kept = [o for o in found if o.end is None or o.end >= cut]
    return sorted(kept, key=lambda o: (o.start, o.component_id))


def outage_runs(rows: list[Transition]) -> list[tuple[list[Transition], float | None]]:
    """Each run of degraded-or-worse rows (``rows`` by component then time) and its end."""
    found: list[tuple[list[Transition], float | None]] = []
    by_component: dict[str, list[Transition]] = {}
    for t in rows:
        by_component.setdefault(t.component_id, []).append(t)
    for component_rows in by_component.values():
        run: list[Transition] = []
        for t in component_rows:
            if t.health.is_problem:
                run.append(t)
            elif t.health in UP and run:
                found.append((run, t.at))
                run = []
        if run:
            found.append((run, None))
    return found


def outage_of(run: list[Transition], end: float | None) -> Outage:
    worst = run[0].health
    for t in run[1:]:
        if t.health.rank > worst.rank:
            worst = t.health
    return Outage(
        component_id=run[0].component_id,
        name=run[-1].name,
        start=from_epoch(run[0].at),
        end=None if end is None else from_epoch(end),
        worst=worst,
        probe_only=all(t.probe_only for t in run),
    )


def uptime(history: History, component_id: str, window: timedelta, now: datetime) -> float | None:
    """Fraction of our observed time in ``[now - window, now]`` that was up.

    Up means OPERATIONAL or MAINTENANCE. None when nothing was observed in the window.
    """
    observed, up = _observed_and_up(history, component_id, window, now)
    return None if observed <= 0 else up / observed


def watched(history: History, component_id: str, window: timedelta, now: datetime) -> timedelta:
    """How long we actually observed the component in ``[now - window, now]``."""
    return timedelta(seconds=_observed_and_up(history, component_id, window, now)[0])


def _observed_and_up(
    history: History, component_id: str, window: timedelta, now: datetime
) -> tuple[float, float]:
    end = epoch(now)
    start = end - window.total_seconds()
    observed = 0.0
    up = 0.0
    for t in transitions(history, component_id):
        if t.health in UNOBSERVED:
            continue
        overlap = min(t.until, end) - max(t.at, start)
        if overlap <= 0:
            continue
        observed += overlap
        if t.health in UP:
            up += overlap
    return observed, up


def latency(history: History, target: str, since: datetime) -> list[LatencySample]:
    with history.reading() as conn:
        rows = conn.execute(
            "SELECT target, component_id, window_start, samples, failures, timed, min_ms,"
            " max_ms, sum_ms, last_outcome FROM probe_latency"
            " WHERE target = ? AND window_start >= ? ORDER BY window_start",
            (target, epoch(since) - history.settings.latency_sample_seconds),
        ).fetchall()
    return [
        LatencySample(
            target=r[0],
            component_id=r[1],
            window_start=from_epoch(r[2]),
            samples=r[3],
            failures=r[4],
            min_ms=r[6],
            avg_ms=(r[8] / r[5]) if r[5] else None,
            max_ms=r[7],
            last_outcome=r[9],
        )
        for r in rows
    ]


def events(
    history: History, since: datetime, kinds: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Stored events (as ``event_to_dict`` gave them) since ``since``, oldest first.

    ``kinds``: only events of these kinds (e.g. ``"incident_opened"``).
    """
    sql = "SELECT payload FROM events WHERE at >= ?"
    args: list[Any] = [epoch(since)]
    if kinds is not None:
        sql += f" AND kind IN ({', '.join('?' for _ in kinds)})"
        args.extend(kinds)
    with history.reading() as conn:
        rows = conn.execute(sql + " ORDER BY at, id", args).fetchall()
    return [json.loads(r[0]) for r in rows]


def build_report(history: History, since: datetime, now: datetime) -> HistoryReport:
    """The ``history`` command's report: uptime over 24 h/7 d/30 d, outages since ``since``."""
    components = tuple(
        ComponentUptime(
            component_id=cid,
            name=name,
            uptime_24h=uptime(history, cid, timedelta(hours=24), now),
            uptime_7d=uptime(history, cid, timedelta(days=7), now),
            uptime_30d=uptime(history, cid, timedelta(days=30), now),
            watched_24h=watched(history, cid, timedelta(hours=24), now),
            watched_7d=watched(history, cid, timedelta(days=7), now),
            watched_30d=watched(history, cid, timedelta(days=30), now),
        )
        for cid, name in component_ids(history)
    )
    return HistoryReport(
        since=since.astimezone(timezone.utc),
        generated_at=now.astimezone(timezone.utc),
        components=components,
        outages=tuple(outages(history, since)),
    )


def latency_hours(history: History, since: datetime) -> list[LatencyHour]:
    """Median and p95 per target per hour since ``since``, by target then hour."""
    with history.reading() as conn:
        return read_hours(conn, epoch(since), schema=history.schema_version)
