"""The combined view that sinks draw, computed from a state."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from tray_app.config.schema import KNOWN_COMPONENT_NAMES, Settings
from tray_app.core.headline import overall_health
from tray_app.core.models import ComponentView, Health, MonitorSnapshot, ResolvedIncident
from tray_app.core.state_model import (
    ComponentTrack,
    MonitorState,
    is_watched,
    page_unreachable,
    probe_health,
)

RECENTLY = timedelta(hours=24)  # how far back the menu's "Recently resolved" goes


def snapshot(
    state: MonitorState, settings: Settings, *, next_check: datetime | None = None
) -> MonitorSnapshot:
    """The combined view that sinks draw."""
    views = _component_views(state, settings)
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
        page_read_at=page.fetched_at if page else None,
        offline_since=state.offline_since,
        recently_resolved=_recently_resolved(state),
    )


_Verdicts = tuple[tuple[str, Health], ...]
_Inputs = tuple[tuple[ComponentTrack, ...], _Verdicts, bool, Settings]
_last_views: tuple[_Inputs, tuple[ComponentView, ...]] | None = None


def _component_views(state: MonitorState, settings: Settings) -> tuple[ComponentView, ...]:
    """One view per component. The views depend on nothing else than the components, the
    probes' verdicts, whether the page was read and the settings; most steps (an unchanged page,
    the same probe answers) keep them all: then the last views are the answer, and the sinks
    see the same tuple again."""
    global _last_views
    verdicts = tuple((p.component_id, p.verdict) for p in state.probes)
    last = _last_views
    if last is not None:
        (components, known_verdicts, unread, known), views = last
        if (
            components is state.components
            and known_verdicts == verdicts
            and unread is (state.page is None)
            and known is settings
        ):
            return views
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
    _last_views = ((state.components, verdicts, state.page is None, settings), views)
    return views


def _tracks_to_show(state: MonitorState, settings: Settings) -> tuple[ComponentTrack, ...]:
    """The components seen, plus the ones expected but not seen (as unknown): before the first
    page read the known ones, and always every watched id the page does not list."""
    if state.page is not None:
        expected: tuple[str, ...] = settings.watch.components
    else:
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
    # the page's latest attempt failed and it is the page's fault, or it was never read (a
    # network failure just before going offline or after coming back is not the page's)
    unreadable = page_unreachable(state) or (state.page_failure is not None and state.page is None)
    health = overall_health(views, offline=state.offline, page_unreadable=unreadable)
    if health is Health.OFFLINE:
        return health, "You appear to be offline: neither Claude nor its status page answer"
    if health is Health.STATUS_PAGE_UNREACHABLE:
        return health, "The status page cannot be read; showing the last known status"
    watched = [v for v in views if v.watched]
    if unreadable:  # and a watched service is in trouble
        return health, f"{_names(watched, health)}: {health.label} (status page unreachable)"
    probe_only = [v for v in watched if v.probe_only]
    if probe_only:
        names = ", ".join(v.name for v in probe_only)
        return health, f"{names}: down from here (not on the status page yet)"
    if health is Health.UNKNOWN:
        if state.page is None:
            return health, "Waiting for the first status check"
        unknown = [v for v in watched if v.health is Health.UNKNOWN]
        if not unknown:
            return health, "No watched component was found on the status page"
        return health, f"{', '.join(v.name for v in unknown)}: status unknown"
    if state.page is not None and not settings.watch.components:
        return health, state.page.description
    if health is Health.OPERATIONAL:
        return health, "All watched components are operational"
    return health, f"{_names(watched, health)}: {health.label}"


def _recently_resolved(state: MonitorState) -> tuple[ResolvedIncident, ...]:
    if state.last_checked is None:
        return ()
    found = [
        ResolvedIncident(t.incident, t.resolved_at)
        for t in state.incidents
        if t.resolved_at is not None and state.last_checked - t.resolved_at <= RECENTLY
    ]
    return tuple(sorted(found, key=lambda r: r.resolved_at, reverse=True))


def _names(views: Iterable[ComponentView], health: Health) -> str:
    return ", ".join(v.name for v in views if v.health is health)
