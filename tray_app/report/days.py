"""Per service, per day: the worst health seen, minutes in each state, and coverage.

Pure: works on the history's health rows (``Transition``), no I/O. A row covers ``[at, until]``
of *observed* time. Observed time is what we call coverage: time the app was running and could
see the service. Uptime is a share of observed time, never of the calendar, so a day the app
did not watch is "no data", not "up".
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from tray_app.core.models import Health
from tray_app.sinks.history.queries import UNOBSERVED, UP
from tray_app.sinks.history.store import Transition

# The states a day's bar counts minutes of (shown in its hover title).
COUNTED = (
    Health.OPERATIONAL,
    Health.MAINTENANCE,
    Health.DEGRADED,
    Health.PARTIAL_OUTAGE,
    Health.MAJOR_OUTAGE,
)


@dataclass(frozen=True)
class DayBar:
    day: date
    start: float  # epoch seconds of the day's first instant (local midnight)
    length: float  # seconds in this day (whole days; today only up to now)
    seconds: tuple[tuple[Health, float], ...]  # observed seconds per state, in COUNTED order

    @property
    def observed(self) -> float:
        return sum(s for _, s in self.seconds)

    @property
    def coverage(self) -> float:
        """Share of the day we were watching (0 to 1)."""
        return 0.0 if self.length <= 0 else min(1.0, self.observed / self.length)

    @property
    def worst(self) -> Health | None:
        """The worst state seen that day; None when nothing was observed."""
        seen = [h for h, s in self.seconds if s > 0]
        return max(seen, key=lambda h: h.rank) if seen else None

    def minutes(self, health: Health) -> float:
        return next((s for h, s in self.seconds if h is health), 0.0) / 60.0


@dataclass(frozen=True)
class ServiceDays:
    component_id: str
    name: str
    days: tuple[DayBar, ...]
    uptime: float | None  # ours: share of observed time up, over the period
    official_uptime: float | None  # the page's word, as we recorded it, over the same period
    coverage: float  # share of the period we were watching

    @property
    def observed_days(self) -> int:
        return sum(1 for d in self.days if d.observed > 0)


@dataclass(frozen=True)
class DayGrid:
    """The last N days (today last) in one time zone (None: the machine's, summer time
    included, so a day may have 23 or 25 hours)."""

    dates: tuple[date, ...]
    starts: tuple[float, ...]  # epoch start of each day, then ``now``: one more than ``dates``

    @classmethod
    def ending(cls, now: datetime, days: int, tz: tzinfo | None) -> DayGrid:
        today = now.astimezone(tz).date()
        dates = tuple(today - timedelta(days=back) for back in range(days - 1, -1, -1))
        # A naive midnight (tz None) is read as local time with its own day's UTC offset.
        starts = tuple(datetime.combine(d, time(0), tzinfo=tz).timestamp() for d in dates)
        return cls(dates, (*starts, now.timestamp()))


def _split(starts: Sequence[float], begin: float, end: float) -> Iterable[tuple[int, float]]:
    """(day index, seconds) of ``[begin, end]`` falling in each day of ``starts``."""
    last = len(starts) - 1
    begin = max(begin, starts[0])
    end = min(end, starts[last])
    if end <= begin:
        return
    i = bisect.bisect_right(starts, begin) - 1
    while i < last and begin < end:
        stop = min(end, starts[i + 1])
        if stop > begin:
            yield i, stop - begin
        begin = stop
        i += 1


def service_days(
    component_id: str, name: str, rows: Sequence[Transition], grid: DayGrid
) -> ServiceDays:
    """The bars of one component; ``rows`` are its health rows (any order)."""
    starts = grid.starts
    per_day = [dict.fromkeys(COUNTED, 0.0) for _ in grid.dates]
    official_seen = 0.0
    official_up = 0.0
    for t in rows:
        if t.health not in UNOBSERVED:
            for i, seconds in _split(starts, t.at, t.until):
                per_day[i][t.health] += seconds
        if t.official not in UNOBSERVED:
            for _, seconds in _split(starts, t.at, t.until):
                official_seen += seconds
                if t.official in UP:
                    official_up += seconds
    bars = tuple(
        DayBar(
            day=grid.dates[i],
            start=starts[i],
            length=starts[i + 1] - starts[i],
            seconds=tuple((h, per_day[i][h]) for h in COUNTED),
        )
        for i in range(len(per_day))
    )
    observed = sum(b.observed for b in bars)
    up = sum(b.minutes(h) * 60.0 for b in bars for h in UP)
    span = starts[-1] - starts[0]
    return ServiceDays(
        component_id=component_id,
        name=name,
        days=bars,
        uptime=None if observed <= 0 else up / observed,
        official_uptime=None if official_seen <= 0 else official_up / official_seen,
        coverage=0.0 if span <= 0 else min(1.0, observed / span),
    )
