"""The combined view that sinks draw, computed from a state."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from tray_app.config.schema import KNOWN_COMPONENT_NAMES, Settings
from tray_app.core.models import ComponentView, Health, MonitorSnapshot, worse
from tray_app.core.state_model import (
    ComponentTrack,
    MonitorState,
    is_watched,
    page_unreachable,
    probe_health,
)


def snapshot(
    state: MonitorState, settings: Settings, *, next_check: datetime | None = None
) -> MonitorSnapshot:
    """The combined view that sinks draw."""
    views = tuple(
        ComponentView(
            id=t.id,
            name=t.name,
            health=t.health,
            official=t.official,
            probe=probe_health(state, t.id, settings),
            since=t.since,
            group_id=t.group_id,
            watched=is_watched(t, settings),
        )
        for t in _tracks_to_show(state, settings)
    )
    page = state.page
    overall, description = _overall(state, views, settings)
    return MonitorSnapshot(
        overall=overall,
        description=description,
        components=views,
        incidents=page.incidents if page else (),
        maintenances=page.maintenances if page else (),
        probes=state.latest_probes if settings.probes.enabled else (),
        page_url=page.page_url if page else settings.status_page.url,
        page_error=state.page_failure.message if state.page_failure else None,
        last_checked=state.last_checked,
        next_check=next_check,
    )


def _tracks_to_show(state: MonitorState, settings: Settings) -> tuple[ComponentTrack, ...]:
    """Before the first page read, name the components we expect (as unknown) for the menu."""
    if state.page is not None:
        return state.components
    expected = settings.watch.components or tuple(KNOWN_COMPONENT_NAMES)
    present = {t.id for t in state.components}
    placeholders = tuple(
        ComponentTrack(id=cid, name=KNOWN_COMPONENT_NAMES.get(cid, cid))
        for cid in expected
        if cid not in present
    )
    return state.components + placeholders


def _overall(
    state: MonitorState, views: tuple[ComponentView, ...], settings: Settings
) -> tuple[Health, str]:
    if state.offline:
        return Health.OFFLINE, "You appear to be offline: neither Claude nor its status page answer"
    watched = [v for v in views if v.watched]
    worst = Health.UNKNOWN
    for view in watched:
        worst = worse(worst, view.health)
    probe_only = [v for v in watched if v.probe_only]
    if page_unreachable(state):
        assert state.page_failure is not None
        if worst.is_problem:
            return worst, f"{_names(watched, worst)}: {worst.label} (status page unreachable)"
        return (
            Health.STATUS_PAGE_UNREACHABLE,
            "The status page cannot be read; showing the last known status",
        )
    if probe_only:
        names = ", ".join(v.name for v in probe_only)
        return worst, f"{names}: down from here (not on the status page yet)"
    if worst is Health.UNKNOWN:
        if state.page is None:
            return worst, "Waiting for the first status check"
        return worst, "No watched component was found on the status page"
    if state.page is not None and not settings.watch.components:
        return worst, state.page.description
    if worst is Health.OPERATIONAL:
        return worst, "All watched components are operational"
    return worst, f"{_names(watched, worst)}: {worst.label}"


def _names(views: Iterable[ComponentView], health: Health) -> str:
    return ", ".join(v.name for v in views if v.health is health)
