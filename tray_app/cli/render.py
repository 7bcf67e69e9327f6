"""Plain-text and JSON renderings of snapshots and events for the CLI. Pure functions."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from tray_app.cli.render_providers import providers_table
from tray_app.core import headline as headlines
from tray_app.core.events import (
    BackOnline,
    Event,
    IncidentOpened,
    IncidentResolved,
    IncidentUpdated,
    MaintenanceEnded,
    MaintenanceScheduled,
    MaintenanceStarted,
    MaintenanceStartingSoon,
    ServiceDegraded,
    ServiceDown,
    ServiceRecovered,
    StatusPageReachable,
    StatusPageUnreachable,
    WentOffline,
)
from tray_app.core.models import MonitorSnapshot
from tray_app.core.provider_codec import providers_to_dicts
from tray_app.core.text import clean
from tray_app.core.timefmt import format_duration

EXIT_OK, EXIT_DEGRADED, EXIT_MAJOR, EXIT_UNKNOWN = (
    headlines.EXIT_OK,
    headlines.EXIT_DEGRADED,
    headlines.EXIT_MAJOR,
    headlines.EXIT_UNKNOWN,
)


def exit_code(snapshot: MonitorSnapshot) -> int:
    """`check`'s exit code: the headline's (documented in the README; scripts rely on it)."""
    return headlines.headline(snapshot).exit_code


def headline(snapshot: MonitorSnapshot, tz: tzinfo | None = None) -> str:
    """The one line every surface shows (see tray_app.core.headline)."""
    return clean(headlines.headline(snapshot, tz=tz).text)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def snapshot_to_dict(snapshot: MonitorSnapshot) -> dict[str, Any]:
    said = headlines.headline(snapshot)
    return {
        "overall": snapshot.overall.value,
        "headline": said.text,
        "description": snapshot.description,
        "exit_code": said.exit_code,
        "troubled": [c.id for c in said.troubled],
        "last_known": said.stale,
        "last_known_at": _iso(said.last_known_at),
        "page_url": snapshot.page_url,
        "page_error": snapshot.page_error,
        "checked_at": _iso(snapshot.last_checked),
        "components": [
            {
                "id": c.id,
                "name": c.name,
                "health": c.health.value,
                "official": c.official.value,
                "probe": c.probe.value if c.probe else None,
                "probe_only": c.probe_only,
                "watched": c.watched,
                "since": _iso(c.since),
            }
            for c in snapshot.components
        ],
        "incidents": [
            {
                "id": i.id,
                "name": i.name,
                "status": i.status,
                "impact": i.impact,
                "url": i.shortlink,
                "created_at": _iso(i.created_at),
                "components": list(i.component_ids),
                "latest_update": i.latest_update.body if i.latest_update else None,
            }
            for i in snapshot.incidents
        ],
        "maintenances": [
            {
                "id": m.id,
                "name": m.name,
                "status": m.status,
                "url": m.shortlink,
                "scheduled_for": _iso(m.scheduled_for),
                "scheduled_until": _iso(m.scheduled_until),
            }
            for m in snapshot.maintenances
        ],
        "probes": [
            {
                "target": p.target,
                "component_id": p.component_id,
                "outcome": p.outcome.value,
                "status_code": p.status_code,
                "latency_ms": round(p.latency_ms, 1) if p.latency_ms is not None else None,
                "detail": p.detail,
            }
            for p in snapshot.probes
        ],
        "providers": providers_to_dicts(snapshot.providers),
    }


def format_table(snapshot: MonitorSnapshot, now: datetime, tz: tzinfo | None = None) -> str:
    lines = [headline(snapshot, tz)]
    if snapshot.page_error:
        lines.append(f"  status page: {snapshot.page_error}")
    stale = headlines.last_known_note(snapshot, tz)
    if snapshot.components:
        width = max(len(c.name) for c in snapshot.components)
        lines.append("")
        for c in snapshot.components:
            health, why = headlines.service_state(c, stale)
            notes = [why] if why else []
            if not c.watched:
                notes.append("not watched")
            note = "".join(f" — {n}" for n in notes)
            mark = headlines.GLYPHS[health]
            lines.append(f"  {mark:<2} {c.name:<{width}}  {health.label}{note}")
    if snapshot.incidents:
        lines.append("")
        lines.append("Active incidents:")
        for i in snapshot.incidents:
            age = f", {format_duration(now - i.created_at)}" if i.created_at else ""
            lines.append(f"  • {i.name} ({i.status}{age})")
            if i.shortlink:
                lines.append(f"    {i.shortlink}")
    if snapshot.maintenances:
        lines.append("")
        lines.append("Maintenance:")
        for m in snapshot.maintenances:
            when = f" from {m.scheduled_for:%Y-%m-%d %H:%M} UTC" if m.scheduled_for else ""
            lines.append(f"  • {m.name} ({m.status}{when})")
    if snapshot.probes:
        lines.append("")
        lines.append("Probes from this machine:")
        for p in snapshot.probes:
            latency = f"{p.latency_ms:.0f} ms" if p.latency_ms is not None else "-"
            code = f" HTTP {p.status_code}" if p.status_code else ""
            detail = f" — {p.detail}" if p.detail else ""
            lines.append(f"  {p.target:<10} {p.outcome.value:<11} {latency:>8}{code}{detail}")
    lines += providers_table(snapshot.providers, now)
    return clean("\n".join(lines), newlines=True)


def format_event(event: Event) -> str:
    """One line per transition, for `watch`."""
    stamp = event.at.astimezone().strftime("%H:%M:%S")
    return clean(f"{stamp} {describe_event(event)}")


def describe_event(event: Event) -> str:
    if isinstance(event, ServiceDown):
        where = " (down from here, not on the status page yet)" if event.probe_only else ""
        return f"DOWN {event.name}: {event.health.label}{where}"
    if isinstance(event, ServiceDegraded):
        where = " (from here)" if event.probe_only else ""
        return f"DEGRADED {event.name}{where}"
    if isinstance(event, ServiceRecovered):
        took = f" after {format_duration(event.down_for)}" if event.down_for else ""
        return f"RECOVERED {event.name}{took}"
    if isinstance(event, IncidentOpened):
        return f"INCIDENT {event.incident.name} ({event.incident.status})"
    if isinstance(event, IncidentUpdated):
        return f"UPDATE {event.incident.name}: {event.previous_status} -> {event.incident.status}"
    if isinstance(event, IncidentResolved):
        return f"RESOLVED {event.incident.name}"
    if isinstance(event, MaintenanceScheduled):
        return f"MAINTENANCE scheduled: {event.maintenance.name}"
    if isinstance(event, MaintenanceStartingSoon):
        return f"MAINTENANCE starting soon: {event.maintenance.name}"
    if isinstance(event, MaintenanceStarted):
        return f"MAINTENANCE started: {event.maintenance.name}"
    if isinstance(event, MaintenanceEnded):
        return f"MAINTENANCE ended: {event.maintenance.name}"
    if isinstance(event, WentOffline):
        return f"OFFLINE your network is down{': ' + event.detail if event.detail else ''}"
    if isinstance(event, BackOnline):
        return "ONLINE back online"
    if isinstance(event, StatusPageUnreachable):
        return f"STATUS PAGE unreachable{': ' + event.detail if event.detail else ''}"
    assert isinstance(event, StatusPageReachable)
    return "STATUS PAGE reachable again"


__all__ = [
    "EXIT_DEGRADED",
    "EXIT_MAJOR",
    "EXIT_OK",
    "EXIT_UNKNOWN",
    "describe_event",
    "exit_code",
    "format_event",
    "format_table",
    "headline",
    "snapshot_to_dict",
]
