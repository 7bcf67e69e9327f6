"""Everything the report shows, read from the history in one go (no drawing here)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

from tray_app.core.models import ProviderStatus
from tray_app.report.days import DayGrid, ServiceDays, service_days
from tray_app.report.incidents import (
    INCIDENT_KINDS,
    IncidentRow,
    OutageRow,
    incident_rows,
    outage_rows,
)
from tray_app.report.latency import TargetLatency, by_target
from tray_app.sinks.history.queries import component_ids, events, latency_hours, transitions
from tray_app.sinks.history.store import History, Transition

DEFAULT_DAYS = 90


@dataclass(frozen=True)
class ReportData:
    generated_at: datetime
    tz: tzinfo | None  # None: the machine's local time
    grid: DayGrid
    services: tuple[ServiceDays, ...]
    incidents: tuple[IncidentRow, ...]
    outages: tuple[OutageRow, ...]
    latency: tuple[TargetLatency, ...]
    providers: tuple[ProviderStatus, ...] = ()  # other services as the app last read them

    @property
    def since(self) -> datetime:
        return datetime.fromtimestamp(self.grid.starts[0], self.tz)

    @property
    def days(self) -> int:
        return len(self.grid.dates)


def build_report_data(
    history: History,
    *,
    now: datetime,
    days: int = DEFAULT_DAYS,
    tz: tzinfo | None = None,
    only: Collection[str] | None = None,
) -> ReportData:
    """The report over the last ``days`` days (today included) in ``tz`` (default: local).

    ``only``: the component ids to show (default: every component the history holds).
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    grid = DayGrid.ending(now, days, tz)
    since = datetime.fromtimestamp(grid.starts[0], timezone.utc)
    known = component_ids(history)
    names = dict(known)
    shown = [(cid, name) for cid, name in known if only is None or cid in only]
    by_component: dict[str, list[Transition]] = {}
    rows = transitions(history)
    for t in rows:
        by_component.setdefault(t.component_id, []).append(t)
    services = tuple(
        service_days(cid, name, by_component.get(cid, []), grid) for cid, name in shown
    )
    shown_ids = {cid for cid, _ in shown}
    outages = tuple(o for o in outage_rows(rows, since) if o.outage.component_id in shown_ids)
    # An incident opened before the period but still open in it is told by a later event.
    incident_events = events(history, since - timedelta(days=1), INCIDENT_KINDS)
    incidents = tuple(
        r for r in incident_rows(incident_events, names, outages) if r.end is None or r.end >= since
    )
    return ReportData(
        generated_at=now.astimezone(timezone.utc),
        tz=tz,
        grid=grid,
        services=services,
        incidents=incidents,
        outages=outages,
        latency=tuple(by_target(latency_hours(history, since))),
    )


def empty_report_data(
    now: datetime, days: int = DEFAULT_DAYS, tz: tzinfo | None = None
) -> ReportData:
    """The page before any history was recorded: the same period, nothing in it."""
    return ReportData(
        now.astimezone(timezone.utc), tz, DayGrid.ending(now, days, tz), (), (), (), ()
    )
