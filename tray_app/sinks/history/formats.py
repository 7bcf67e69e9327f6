"""The ``history`` command's ``--since`` parsing and its output as text, JSON or CSV.

Names and other strings in the report come from the status page: treat them as untrusted.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from tray_app.core.text import clean, spreadsheet_safe
from tray_app.sinks.history.queries import HistoryReport, Outage

_SINCE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str) -> timedelta:
    """``"30m"``, ``"24h"``, ``"7d"`` or ``"2w"`` -> timedelta. Raises ValueError."""
    match = _SINCE.match(text)
    if not match or int(match.group(1)) == 0:
        raise ValueError(
            f"--since must be a positive number followed by m, h, d or w "
            f"(e.g. 30m, 24h, 7d), got {text!r}"
        )
    return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(timezone.utc).isoformat()


def _outage_dict(o: Outage) -> dict[str, Any]:
    duration = o.duration
    return {
        "component_id": o.component_id,
        "name": o.name,
        "start": _iso(o.start),
        "end": _iso(o.end),
        "duration_seconds": None if duration is None else duration.total_seconds(),
        "worst": o.worst.value,
        "probe_only": o.probe_only,
    }


def report_to_json(report: HistoryReport) -> str:
    body = {
        "since": _iso(report.since),
        "generated_at": _iso(report.generated_at),
        "components": [
            {
                "component_id": c.component_id,
                "name": c.name,
                "uptime_24h": c.uptime_24h,
                "uptime_7d": c.uptime_7d,
                "uptime_30d": c.uptime_30d,
            }
            for c in report.components
        ],
        "outages": [_outage_dict(o) for o in report.outages],
    }
    return json.dumps(body, indent=2)


_CSV_FIELDS = (
    "record",
    "component_id",
    "name",
    "uptime_24h",
    "uptime_7d",
    "uptime_30d",
    "start",
    "end",
    "duration_seconds",
    "worst",
    "probe_only",
)


def report_to_csv(report: HistoryReport) -> str:
    """One table: ``record`` is ``uptime`` (one row per component) or ``outage``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=_CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for c in report.components:
        writer.writerow(
            _cells(
                {
                    "record": "uptime",
                    "component_id": c.component_id,
                    "name": c.name,
                    "uptime_24h": "" if c.uptime_24h is None else f"{c.uptime_24h:.6f}",
                    "uptime_7d": "" if c.uptime_7d is None else f"{c.uptime_7d:.6f}",
                    "uptime_30d": "" if c.uptime_30d is None else f"{c.uptime_30d:.6f}",
                }
            )
        )
    for o in report.outages:
        row = {k: ("" if v is None else v) for k, v in _outage_dict(o).items()}
        row["probe_only"] = "true" if o.probe_only else "false"
        writer.writerow(_cells({"record": "outage", **row}))
    return out.getvalue()


def _cells(row: dict[str, Any]) -> dict[str, Any]:
    """Untrusted text as plain cells: no controls, never a formula (OWASP CSV injection)."""
    return {k: spreadsheet_safe(clean(v)) if isinstance(v, str) else v for k, v in row.items()}


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.2f}%"


def _duration(d: timedelta | None) -> str:
    if d is None:
        return "ongoing"
    minutes = int(d.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours}h {minutes}m"
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"


_WINDOWS = (
    ("24h", timedelta(hours=24), "watched_24h"),
    ("7d", timedelta(days=7), "watched_7d"),
    ("30d", timedelta(days=30), "watched_30d"),
)


def _coverage(report: HistoryReport) -> str:
    """ "watched from here: 12 min of the last 24 h, 12 min of 7 d…" when the app did not watch a
    whole window: the uptime is of that time only, never of the whole window."""
    parts: list[str] = []
    for label, window, attr in _WINDOWS:
        seen = max((getattr(c, attr) for c in report.components), default=timedelta(0))
        if seen < window * 0.95:
            parts.append(f"{_duration(seen)} of {label}")
    if not parts:
        return ""
    return "uptime counts only the time watched from here: " + ", ".join(parts)


def report_to_text(report: HistoryReport) -> str:
    """A readable table (times in UTC)."""
    lines = [
        f"Uptime as observed from this machine (generated {report.generated_at:%Y-%m-%d %H:%M} UTC)"
    ]
    if not report.components:
        lines.append("  no observations recorded yet")
    else:
        width = max(len("Component"), *(len(clean(c.name)) for c in report.components))
        lines.append(f"  {'Component':<{width}}  {'24h':>8}  {'7d':>8}  {'30d':>8}")
        for c in report.components:
            lines.append(
                f"  {clean(c.name):<{width}}  {_percent(c.uptime_24h):>8}  "
                f"{_percent(c.uptime_7d):>8}  {_percent(c.uptime_30d):>8}"
            )
        coverage = _coverage(report)
        if coverage:
            lines.append(f"  {coverage}")
    lines.append("")
    lines.append(f"Outages since {report.since:%Y-%m-%d %H:%M} UTC")
    if not report.outages:
        lines.append("  none")
    for o in report.outages:
        note = "  (seen by our probes only)" if o.probe_only else ""
        lines.append(
            f"  {o.start:%Y-%m-%d %H:%M}  {_duration(o.duration):>12}  {clean(o.name)}: "
            f"{o.worst.label}{note}"
        )
    return clean("\n".join(lines), newlines=True) + "\n"
