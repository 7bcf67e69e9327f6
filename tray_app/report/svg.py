"""The report's pictures as inline SVG text: a bar per day per service, and the latency chart.

Every piece of text that goes in (names, targets) is escaped here; colours are the tray icon's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from html import escape

from tray_app.core.models import Health
from tray_app.core.text import clean
from tray_app.report.days import DayBar, ServiceDays
from tray_app.report.latency import TargetLatency
from tray_app.sinks.history.latency_store import HOUR

# The tray icon's colours (sinks/icons.py COLOURS), as CSS hex.
HEALTH_COLOURS = {
    Health.OPERATIONAL: "#22a046",
    Health.MAINTENANCE: "#286edc",
    Health.DEGRADED: "#f0c419",
    Health.PARTIAL_OUTAGE: "#f07814",
    Health.MAJOR_OUTAGE: "#d2232d",
}
NO_DATA = "#d5d8dc"
COVERAGE = "#5b6770"
# Line colours for probe targets, in order (distinct for common colour-blindness).
TARGET_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9")

BAR_WIDTH = 6
BAR_GAP = 2
BAR_HEIGHT = 34
COVERAGE_HEIGHT = 8


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def day_title(bar: DayBar) -> str:
    """The hover text of one day's bar (plain text; escaped by the caller)."""
    lines = [f"{bar.day.isoformat()}"]
    worst = bar.worst
    if worst is None:
        lines.append("no data: the app was not watching")
        return "\n".join(lines)
    lines.append(f"worst: {worst.label}")
    for health, label in (
        (Health.DEGRADED, "degraded"),
        (Health.PARTIAL_OUTAGE, "partial outage"),
        (Health.MAJOR_OUTAGE, "major outage"),
        (Health.MAINTENANCE, "maintenance"),
    ):
        lines.append(f"{label}: {round(bar.minutes(health))} min")
    lines.append(f"watched {_pct(bar.coverage)} of the day")
    return "\n".join(lines)


def day_bars(service: ServiceDays) -> str:
    """One ``<rect class="day">`` per day (worst health), a coverage tick under each."""
    step = BAR_WIDTH + BAR_GAP
    width = len(service.days) * step - BAR_GAP
    height = BAR_HEIGHT + 2 + COVERAGE_HEIGHT
    parts = [
        f'<svg class="days" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}"'
        f' width="100%" preserveAspectRatio="none" role="img"'
        f' aria-label="{escape(clean(service.name))}: one bar per day">'
    ]
    for i, bar in enumerate(service.days):
        x = i * step
        worst = bar.worst
        fill = NO_DATA if worst is None else HEALTH_COLOURS.get(worst, NO_DATA)
        state = "none" if worst is None else worst.value
        cover = round(bar.coverage * COVERAGE_HEIGHT, 2)
        parts.append(
            f"<g><title>{escape(day_title(bar))}</title>"
            f'<rect class="day" data-day="{bar.day.isoformat()}" data-state="{state}"'
            f' x="{x}" y="0" width="{BAR_WIDTH}" height="{BAR_HEIGHT}" rx="1" fill="{fill}"/>'
            f'<rect class="coverage" x="{x}" y="{BAR_HEIGHT + 2 + COVERAGE_HEIGHT - cover}"'
            f' width="{BAR_WIDTH}" height="{cover}" fill="{COVERAGE}"/></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


CHART_WIDTH = 900
CHART_HEIGHT = 260
_LEFT = 56
_RIGHT = 12
_TOP = 12
_BOTTOM = 28


def _nice_ceiling(value: float) -> float:
    """A round axis maximum at or above ``value`` (1, 2 or 5 times a power of ten)."""
    if value <= 0:
        return 100.0
    scale = 1.0
    while scale * 10 <= value:
        scale *= 10
    for factor in (1, 2, 5, 10):
        if factor * scale >= value:
            return factor * scale
    return 10 * scale  # pragma: no cover


def _path(points: Sequence[tuple[float, float, float]]) -> str:
    """A path through (hour, x, y) points; a gap of more than an hour lifts the pen."""
    out = []
    last_hour: float | None = None
    for hour, x, y in points:
        move = last_hour is None or hour - last_hour > HOUR
        out.append(f"{'M' if move else 'L'}{x:.1f} {y:.1f}")
        last_hour = hour
    return " ".join(out)


def latency_chart(
    targets: Sequence[TargetLatency], start: float, end: float, tz: tzinfo | None
) -> str:
    """Median (solid) and p95 (dashed) per hour for each target, over ``[start, end]``."""
    top = _nice_ceiling(max((h.p95_ms for t in targets for h in t.hours), default=0.0))
    plot_w = CHART_WIDTH - _LEFT - _RIGHT
    plot_h = CHART_HEIGHT - _TOP - _BOTTOM
    span = max(end - start, HOUR)

    def x_of(epoch: float) -> float:
        return _LEFT + (epoch + HOUR / 2 - start) / span * plot_w

    def y_of(ms: float) -> float:
        return _TOP + plot_h - min(ms, top) / top * plot_h

    parts = [
        f'<svg class="latency" xmlns="http://www.w3.org/2000/svg"'
        f' viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" width="100%" role="img"'
        ' aria-label="probe latency per hour: median and 95th percentile">'
    ]
    for k in range(5):
        ms = top * k / 4
        y = y_of(ms)
        parts.append(
            f'<line x1="{_LEFT}" x2="{CHART_WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}"'
            ' stroke="#e3e6e8"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{ms:g} ms</text>'
        )
    for k in range(5):
        at = start + span * k / 4
        label = datetime.fromtimestamp(at, tz).strftime("%Y-%m-%d")
        anchor = "start" if k == 0 else "end" if k == 4 else "middle"
        parts.append(
            f'<text x="{_LEFT + plot_w * k / 4:.1f}" y="{CHART_HEIGHT - 8}"'
            f' text-anchor="{anchor}" class="axis">{label}</text>'
        )
    for i, target in enumerate(targets):
        colour = TARGET_COLOURS[i % len(TARGET_COLOURS)]
        name = escape(clean(target.target))
        medians = [(h.hour, x_of(h.hour), y_of(h.median_ms)) for h in target.hours]
        p95s = [(h.hour, x_of(h.hour), y_of(h.p95_ms)) for h in target.hours]
        parts.append(
            f'<path class="p95" data-target="{name}" d="{_path(p95s)}" fill="none"'
            f' stroke="{colour}" stroke-width="1" stroke-dasharray="3 2" opacity="0.8">'
            f"<title>{name}: 95th percentile per hour</title></path>"
            f'<path class="median" data-target="{name}" d="{_path(medians)}" fill="none"'
            f' stroke="{colour}" stroke-width="1.6"><title>{name}: median per hour</title></path>'
        )
    parts.append("</svg>")
    return "".join(parts)
