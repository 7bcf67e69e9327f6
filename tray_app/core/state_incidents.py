"""Incident and maintenance lifecycles: what changed between two page reads, maintenance
starting soon, and forgetting closed entries after a while (so the state cannot grow without
bound)."""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from tray_app.config.schema import Settings
from tray_app.core.events import (
    Event,
    IncidentOpened,
    IncidentResolved,
    IncidentUpdated,
    MaintenanceEnded,
    MaintenanceScheduled,
    MaintenanceStarted,
    MaintenanceStartingSoon,
)
from tray_app.core.models import Incident, PageSnapshot
from tray_app.core.state_model import IncidentTrack, MaintenanceTrack, MonitorState

FORGET_AFTER = timedelta(days=7)
MAX_CLOSED = 200  # resolved incidents / ended maintenances kept for dedupe

_ACTIVE_MAINTENANCE = ("in_progress", "verifying")


def diff_incidents(
    tracks: tuple[IncidentTrack, ...], page: PageSnapshot, now: datetime
) -> tuple[tuple[IncidentTrack, ...], list[Event]]:
    events: list[Event] = []
    known = {t.incident.id: t for t in tracks}
    result: dict[str, IncidentTrack] = dict(known)
    seen: set[str] = set()
    for inc in page.incidents:
        seen.add(inc.id)
        track = known.get(inc.id)
        if track is None:
            if inc.is_resolved:
                result[inc.id] = IncidentTrack(inc, resolved_at=now)
            else:
                events.append(IncidentOpened(at=now, incident=inc))
                result[inc.id] = IncidentTrack(inc)
            continue
        old = track.incident
        if track.resolved_at is not None:
            if not inc.is_resolved:  # reopened
                events.append(
                    IncidentUpdated(
                        at=now, incident=inc, previous_status=old.status, update=inc.latest_update
                    )
                )
                result[inc.id] = IncidentTrack(inc)
            else:
                result[inc.id] = replace(track, incident=inc)
        elif inc.is_resolved:
            events.append(IncidentResolved(at=now, incident=inc, lasted=_lasted(inc, now)))
            result[inc.id] = IncidentTrack(inc, resolved_at=now)
        else:
            if _incident_changed(old, inc):
                events.append(
                    IncidentUpdated(
                        at=now, incident=inc, previous_status=old.status, update=inc.latest_update
                    )
                )
            result[inc.id] = track if old is inc else IncidentTrack(inc)
    for inc_id, track in known.items():
        if inc_id not in seen and track.resolved_at is None:
            inc = track.incident
            events.append(IncidentResolved(at=now, incident=inc, lasted=_lasted(inc, now)))
            result[inc_id] = replace(track, resolved_at=now)
    return tuple(result.values()), events


def _incident_changed(old: Incident, new: Incident) -> bool:
    old_update = old.latest_update.id if old.latest_update else None
    new_update = new.latest_update.id if new.latest_update else None
    return old.status != new.status or old_update != new_update


def _lasted(inc: Incident, now: datetime) -> timedelta | None:
    return now - inc.created_at if inc.created_at is not None else None


def diff_maintenances(
    tracks: tuple[MaintenanceTrack, ...],
    page: PageSnapshot,
    now: datetime,
    *,
    announce_scheduled: bool,
) -> tuple[tuple[MaintenanceTrack, ...], list[Event]]:
    events: list[Event] = []
    known = {t.maintenance.id: t for t in tracks}
    result: dict[str, MaintenanceTrack] = dict(known)
    seen: set[str] = set()
    for m in page.maintenances:
        seen.add(m.id)
        track = known.get(m.id)
        active = m.status in _ACTIVE_MAINTENANCE
        if track is None:
            track = MaintenanceTrack(m)
            if m.status == "completed":
                track = replace(track, started=True, ended_at=now)
            elif active:
                events.append(MaintenanceStarted(at=now, maintenance=m))
                track = replace(track, started=True)
            elif m.status == "scheduled" and announce_scheduled:
                events.append(MaintenanceScheduled(at=now, maintenance=m))
        elif track.ended_at is None:
            if active and not track.started:
                events.append(MaintenanceStarted(at=now, maintenance=m))
                track = replace(track, started=True)
            elif m.status == "completed":
                events.append(MaintenanceEnded(at=now, maintenance=m))
                track = replace(track, ended_at=now)
        result[m.id] = track if track.maintenance is m else replace(track, maintenance=m)
    for m_id, track in known.items():
        if m_id in seen or track.ended_at is not None:
            continue
        if track.started:
            events.append(MaintenanceEnded(at=now, maintenance=track.maintenance))
        # a maintenance that leaves the page before starting was cancelled: forget it quietly
        result[m_id] = replace(track, ended_at=now)
    return tuple(result.values()), events


def starting_soon(
    tracks: tuple[MaintenanceTrack, ...], settings: Settings, now: datetime
) -> tuple[tuple[MaintenanceTrack, ...], list[Event]]:
    lead = timedelta(minutes=settings.notifications.maintenance_lead_minutes)
    events: list[Event] = []
    result: list[MaintenanceTrack] = []
    changed = False
    for track in tracks:
        m = track.maintenance
        if (
            track.ended_at is None
            and not track.started
            and not track.soon_sent
            and m.status == "scheduled"
            and m.scheduled_for is not None
            and now >= m.scheduled_for - lead
            and (m.scheduled_until is None or now < m.scheduled_until)
        ):
            events.append(MaintenanceStartingSoon(at=now, maintenance=m))
            track = replace(track, soon_sent=True)
            changed = True
        result.append(track)
    return (tuple(result) if changed else tracks), events


def prune(state: MonitorState, now: datetime) -> MonitorState:
    incidents = _keep_recent(state.incidents, lambda t: t.resolved_at, now)
    maintenances = _keep_recent(state.maintenances, lambda t: t.ended_at, now)
    if incidents is state.incidents and maintenances is state.maintenances:
        return state
    return replace(state, incidents=incidents, maintenances=maintenances)


_T = typing.TypeVar("_T")


def _keep_recent(
    tracks: tuple[_T, ...], closed_at: Callable[[_T], datetime | None], now: datetime
) -> tuple[_T, ...]:
    """Drop entries closed more than FORGET_AFTER ago, then the oldest beyond MAX_CLOSED."""
    closed = [t for t in tracks if closed_at(t) is not None]
    keep = {id(t) for t in closed if now - typing.cast(datetime, closed_at(t)) <= FORGET_AFTER}
    if len(keep) > MAX_CLOSED:
        newest = sorted(
            (t for t in closed if id(t) in keep),
            key=lambda t: typing.cast(datetime, closed_at(t)),
        )[-MAX_CLOSED:]
        keep = {id(t) for t in newest}
    if len(keep) == len(closed):
        return tracks
    return tuple(t for t in tracks if closed_at(t) is None or id(t) in keep)
