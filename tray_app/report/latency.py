"""Probe latency per hour for the report: median and 95th percentile, grouped per target."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tray_app.sinks.history.latency_store import LatencyHour


@dataclass(frozen=True)
class TargetLatency:
    target: str
    hours: tuple[LatencyHour, ...]


def by_target(hours: Iterable[LatencyHour]) -> list[TargetLatency]:
    """Hours (by target then hour) grouped per target; targets by name."""
    grouped: dict[str, list[LatencyHour]] = {}
    for h in hours:
        grouped.setdefault(h.target, []).append(h)
    return [TargetLatency(t, tuple(grouped[t])) for t in sorted(grouped)]
