"""The words of the tray menu and tooltip: pure functions of a snapshot (no pystray, no I/O).

Menu lines carry no ticking ages ("12 min ago"), only clock times ("updated 14:01"), so the menu
changes only when what it shows changes. The tooltip may say ages: it is cheap to update.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo

from tray_app.core.headline import GLYPHS, SHORT_WIDTH, headline, service_state
from tray_app.core.models import (
    ComponentView,
    Health,
    Incident,
    Maintenance,
    MonitorSnapshot,
    ResolvedIncident,
)
from tray_app.core.timefmt import format_duration

TOOLTIP_MAX = 127  # Windows caps tooltips at 128 characters including the NUL
_IMPACTS = ("minor", "major", "critical")


def hhmm(value: datetime, tz: tzinfo | None) -> str:
    return value.astimezone(tz).strftime("%H:%M")


def when(value: datetime, now: datetime, tz: tzinfo | None) -> str:
    """14:30 today, "Tue 14:30" within a week either way, else "2026-12-01 14:30"."""
    local, local_now = value.astimezone(tz), now.astimezone(tz)
    if local.date() == local_now.date():
        return local.strftime("%H:%M")
    if abs(local - local_now) < timedelta(days=6):
        return local.strftime("%a %H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def overall_text(snapshot: MonitorSnapshot, tz: tzinfo | None = None) -> str:
    """The menu's first line: the headline every surface shows."""
    return headline(snapshot, width=SHORT_WIDTH, tz=tz).text


def component_text(view: ComponentView, last_known: str | None = None) -> str:
    """ "✓ Claude API: operational", with why when it matters: "down from here…", "last known
    at 14:03" while the page cannot be read (``last_known``), or "answers from here" when only
    our probe knows (see ``service_state``)."""
    health, why = service_state(view, last_known)
    text = f"{GLYPHS[health]} {view.name}: {health.label}"
    return f"{text} — {why}" if why else text


def repeated_names(incidents: Iterable[Incident]) -> frozenset[str]:
    """Names used by more than one incident: those lines add their start time."""
    seen: set[str] = set()
    repeated: set[str] = set()
    for incident in incidents:
        (repeated if incident.name in seen else seen).add(incident.name)
    return frozenset(repeated)


def _title(incident: Incident, now: datetime, tz: tzinfo | None, repeated: frozenset[str]) -> str:
    if incident.name in repeated and incident.created_at is not None:
        return f"{incident.name} (started {when(incident.created_at, now, tz)})"
    return incident.name


def _impact(incident: Incident) -> list[str]:
    return [f"{incident.impact} impact"] if incident.impact in _IMPACTS else []


def _updated_at(incident: Incident) -> datetime | None:
    latest = incident.latest_update
    if latest is not None and latest.created_at is not None:
        return latest.created_at
    return incident.updated_at


def incident_text(
    incident: Incident,
    now: datetime,
    tz: tzinfo | None = None,
    repeated: frozenset[str] = frozenset(),
) -> str:
    """ "Elevated errors on Opus — major impact, investigating, updated 14:01"."""
    parts = [*_impact(incident), incident.status]
    updated = _updated_at(incident)
    if updated is not None:
        parts.append(f"updated {when(updated, now, tz)}")
    return f"{_title(incident, now, tz, repeated)} — {', '.join(parts)}"


def resolved_text(
    resolved: ResolvedIncident,
    now: datetime,
    tz: tzinfo | None = None,
    repeated: frozenset[str] = frozenset(),
) -> str:
    """ "Elevated errors on Opus — major impact, lasted 1 h 5 min, resolved 13:10"."""
    incident = resolved.incident
    parts = _impact(incident)
    if resolved.lasted is not None:
        parts.append(f"lasted {format_duration(resolved.lasted)}")
    parts.append(f"resolved {when(resolved.resolved_at, now, tz)}")
    return f"{_title(incident, now, tz, repeated)} — {', '.join(parts)}"


def incident_link(incident: Incident, page_url: str) -> str:
    return incident.shortlink or f"{page_url.rstrip('/')}/incidents/{incident.id}"


def maintenance_text(m: Maintenance, now: datetime, tz: tzinfo | None) -> str:
    if m.status in ("in_progress", "verifying"):
        until = f" until {when(m.scheduled_until, now, tz)}" if m.scheduled_until else ""
        return f"{GLYPHS[Health.MAINTENANCE]} Maintenance now: {m.name}{until}"
    start = f" {when(m.scheduled_for, now, tz)}" if m.scheduled_for else ""
    return f"Maintenance{start}: {m.name}"


def checked_text(snapshot: MonitorSnapshot, tz: tzinfo | None) -> str:
    """ "Last checked 14:03": a clock time, not a countdown, so the menu does not tick."""
    if snapshot.last_checked is None:
        return "Not checked yet"
    return f"Last checked {hhmm(snapshot.last_checked, tz)}"


# ---- tooltip ----


def _incident_for(snapshot: MonitorSnapshot, component_id: str | None) -> Incident | None:
    for incident in snapshot.incidents:
        if component_id in incident.component_ids:
            return incident
    return snapshot.incidents[0] if snapshot.incidents else None


def _shorten(text: str, limit: int = TOOLTIP_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _incident_age(incident: Incident, now: datetime) -> str:
    age = f", {format_duration(now - incident.created_at)}" if incident.created_at else ""
    return f"{incident.name} ({incident.status}{age})"


def tooltip_text(snapshot: MonitorSnapshot, now: datetime, tz: tzinfo | None = None) -> str:
    """One line for the tray tooltip, at most TOOLTIP_MAX characters: the headline, then what
    explains it (the incident, or the maintenance) while the page is read fine.

    "Claude: major outage — Claude API · Elevated errors on Opus (investigating, 12 min)".
    """
    for width in (SHORT_WIDTH, 60, 30, 0):  # fewer names before "last known…" is cut off
        said = headline(snapshot, width=width, tz=tz)
        if len(said.text) <= TOOLTIP_MAX:
            break
    text = said.text
    if said.stale:
        return _shorten(text)  # "last known…" matters more than the incident's name
    if said.troubled and said.troubled[0].probe_only:
        text += " · not on the status page yet"
    elif said.health is Health.MAINTENANCE and snapshot.maintenances:
        text += f" · {snapshot.maintenances[0].name}"
    elif snapshot.incidents:
        worst = said.troubled[0].id if said.troubled else None
        incident = _incident_for(snapshot, worst)
        if incident is not None:
            text += f" · {_incident_age(incident, now)}"
    return _shorten(text)


__all__ = [
    "TOOLTIP_MAX",
    "checked_text",
    "component_text",
    "hhmm",
    "incident_link",
    "incident_text",
    "maintenance_text",
    "overall_text",
    "repeated_names",
    "resolved_text",
    "tooltip_text",
    "when",
]
