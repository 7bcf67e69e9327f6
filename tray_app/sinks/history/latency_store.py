"""Probe latency in the history: one row per target per window, and an hourly roll-up.

``probe_latency`` holds, per target and ``latency_sample_seconds`` window, counts, min/max/sum
and every timed latency (``samples_ms``, space-separated). Once an hour is over (one hour of
slack, so a window that straddles the hour is complete), its median and 95th percentile go to
``probe_latency_hourly``: a report over a year then reads a few thousand rows, not every probe.
The hours not rolled up yet (the last one or two) are computed from the windows when read.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timezone

from tray_app.core.models import ProbeResult

HOUR = 3600.0

_UPSERT = (
    "INSERT INTO probe_latency (target, component_id, window_start, samples,"
    " failures, timed, min_ms, max_ms, sum_ms, last_outcome, samples_ms)"
    " VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (target, window_start) DO UPDATE SET"
    " samples = samples + 1,"
    " failures = failures + excluded.failures,"
    " timed = timed + excluded.timed,"
    " min_ms = CASE WHEN excluded.min_ms IS NULL THEN min_ms"
    "   WHEN min_ms IS NULL THEN excluded.min_ms ELSE min(min_ms, excluded.min_ms) END,"
    " max_ms = CASE WHEN excluded.max_ms IS NULL THEN max_ms"
    "   WHEN max_ms IS NULL THEN excluded.max_ms ELSE max(max_ms, excluded.max_ms) END,"
    " sum_ms = coalesce(sum_ms, 0) + coalesce(excluded.sum_ms, 0),"
    " last_outcome = excluded.last_outcome,"
    " samples_ms = CASE WHEN excluded.samples_ms IS NULL THEN samples_ms"
    "   WHEN samples_ms IS NULL THEN excluded.samples_ms"
    "   ELSE samples_ms || ' ' || excluded.samples_ms END"
)


@dataclass(frozen=True)
class LatencyHour:
    target: str
    hour: float  # epoch start of the hour
    median_ms: float
    p95_ms: float
    samples: int


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending, non-empty sequence."""
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def median(ordered: Sequence[float]) -> float:
    n = len(ordered)
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0


# target, component_id, window_start, failed, timed, min, max, sum, outcome, samples_ms
WindowRow = tuple[
    str, str, float, int, int, float | None, float | None, float | None, str, str | None
]


def window_rows(results: Iterable[ProbeResult], window: float) -> list[WindowRow]:
    """One ``upsert_windows`` row per probe result, in its ``window``-second window."""
    rows: list[WindowRow] = []
    for r in results:
        at = r.at if r.at.tzinfo else r.at.replace(tzinfo=timezone.utc)  # be lenient
        ms = r.latency_ms
        rows.append(
            (
                r.target,
                r.component_id,
                (at.timestamp() // window) * window,
                int(r.outcome.is_bad),
                int(ms is not None),
                ms,
                ms,
                ms,
                r.outcome.value,
                None if ms is None else f"{ms:.1f}",
            )
        )
    return rows


def upsert_windows(conn: sqlite3.Connection, rows: Sequence[WindowRow]) -> None:
    """Fold ``window_rows`` into the windows already stored."""
    conn.executemany(_UPSERT, rows)


def _floats(text: str | None) -> list[float]:
    if not text:
        return []
    try:
        return [float(v) for v in text.split()]
    except ValueError:  # a hand-edited file: keep what reads as a number
        values = []
        for part in text.split():
            try:
                values.append(float(part))
            except ValueError:
                continue
        return values


def hours_from_windows(
    conn: sqlite3.Connection, start: float, end: float, *, with_samples: bool = True
) -> list[LatencyHour]:
    """Median and p95 per target per hour of the windows in ``[start, end)``."""
    own = "samples_ms" if with_samples else "NULL"
    rows = conn.execute(
        "SELECT target, CAST(window_start / 3600 AS INTEGER) AS hour,"
        f" group_concat(coalesce({own}, printf('%.1f', sum_ms / timed)), ' ')"
        " FROM probe_latency WHERE window_start >= ? AND window_start < ? AND timed > 0"
        " GROUP BY target, hour ORDER BY target, hour",
        (start, end),
    ).fetchall()
    found = []
    for target, hour, text in rows:
        values = sorted(_floats(text))
        if values:
            found.append(
                LatencyHour(
                    str(target),
                    float(hour) * HOUR,
                    median(values),
                    percentile(values, 0.95),
                    len(values),
                )
            )
    return found


def roll_up(conn: sqlite3.Connection, now: float) -> None:
    """Store the median and p95 of every finished hour not stored yet (hours before the last)."""
    before = (now // HOUR) * HOUR - HOUR
    row = conn.execute("SELECT max(hour) FROM probe_latency_hourly").fetchone()
    start = -math.inf if row is None or row[0] is None else float(row[0]) + HOUR
    if start >= before:
        return
    conn.executemany(
        "INSERT OR REPLACE INTO probe_latency_hourly (target, hour, median_ms, p95_ms, samples)"
        " VALUES (?, ?, ?, ?, ?)",
        [
            (h.target, h.hour, h.median_ms, h.p95_ms, h.samples)
            for h in hours_from_windows(conn, start, before)
        ],
    )


def read_hours(conn: sqlite3.Connection, since: float, *, schema: int) -> list[LatencyHour]:
    """Every target's hours from ``since`` on: rolled-up hours, then the rest from the windows."""
    if schema < 2:  # an older file, read-only: no roll-up, no samples
        return hours_from_windows(conn, since, math.inf, with_samples=False)
    first = (since // HOUR) * HOUR
    rows = conn.execute(
        "SELECT target, hour, median_ms, p95_ms, samples FROM probe_latency_hourly"
        " WHERE hour >= ? ORDER BY target, hour",
        (first,),
    ).fetchall()
    rolled = [LatencyHour(str(t), float(h), m, p, int(n)) for t, h, m, p, n in rows]
    last = conn.execute("SELECT max(hour) FROM probe_latency_hourly").fetchone()[0]
    tail_start = first if last is None else max(first, float(last) + HOUR)
    found = rolled + hours_from_windows(conn, tail_start, math.inf)
    return sorted(found, key=lambda h: (h.target, h.hour))
