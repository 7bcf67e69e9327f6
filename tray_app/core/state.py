"""The pure state machine: observations in, a new state and typed events out.

``step(state, observation, settings)`` does no I/O and never reads a clock: every observation
carries its own time, and every event it returns is stamped with that time. The state is an
immutable value that round-trips exactly through JSON (``state_to_dict`` / ``state_from_dict``),
so the app persists it after every step and a restart never repeats an event.

Rules
-----
Health
    Each component has a health: operational, degraded, partial outage, major outage,
    maintenance or unknown. The app as a whole can also be *offline* (your network) or see the
    *status page unreachable*.

Official status and probes
    What the status page says applies at once. Our own probes go through hysteresis (like
    Gatus): a probe target turns bad only after ``probes.failure_threshold`` consecutive bad
    results and good again after ``probes.success_threshold`` consecutive UP results; until a
    threshold is first reached its verdict is unknown. Bad means DOWN (5xx, 529), TIMEOUT or
    TLS_ERROR. UNREACHABLE (DNS or connect failure, or a captive portal answering in the
    service's place) is about this machine's network, not Claude: it moves neither count. A bad
    probe means *partial outage* for the component it speaks for (one endpoint failing from here
    is not proof of a major outage).

Combination
    A component's health is the worse of the official status and the probe verdict (unknown
    ranks lowest, so any real observation beats it). When the probe is the worse one and shows
    a problem, the component is "down from here (not on the status page yet)".

Offline
    When every enabled source's latest attempt failed at DNS/connect level (all probe results
    unreachable, and the page's latest attempt a network failure), the app is offline. Sources
    not attempted yet do not count (before the first page attempt the probes alone decide;
    with probes disabled the page alone decides). While offline no service down / degraded /
    recovered events are emitted and probe failures do not count toward "down". Any attempt that
    gets through ends it. Events: WentOffline, BackOnline (with how long it lasted).

Status page unreachable
    When the page's latest attempt failed (and we are not offline), official healths stay at
    their last known values (stale, never reset), so a page failure never yields a false
    "Claude is down" nor a false recovery. The overall health is "status page unreachable"
    unless a watched component shows a known problem, in which case the worst problem wins and
    the snapshot's ``page_error`` says the page cannot be read. StatusPageUnreachable and
    StatusPageReachable fire on the edges only (a failure while offline is covered by
    WentOffline; Reachable needs a successful read).

Overall
    Offline, else the worst health among watched components (``watch.components``; empty
    means every non-group component), unknown before anything was seen. The description is the
    page's own when the page is fine and all components are watched, else a plain phrase; a
    problem seen only by our probes is always named.

Service events (exactly once per real change)
    ServiceDown when a component enters partial or major outage, or moves between the two.
    ServiceDegraded when it enters degraded from a better state (operational, maintenance, or
    never seen). ServiceRecovered when it is operational again after a problem (``down_for``
    from the start of the problem; None when the start was before we first saw it).
    Maintenance is not a problem, and an outage that passes through maintenance still ends
    with one ServiceRecovered. Unknown is a gap, never a change: going to or from unknown emits
    nothing; changes are judged against the last known health. Service events cover every
    component except groups (their children speak for them) unless a group is named in
    ``watch.components``; the watch list itself is applied by the sinks (alerts), so history
    stays complete. Incident and maintenance events likewise cover the whole page.

Incident events (only from an actual page read)
    IncidentOpened for a new unresolved incident; IncidentUpdated when the latest update id or
    the status of a known open incident changes; IncidentResolved when a known open incident
    becomes resolved/postmortem or leaves the page's unresolved list (``lasted`` from its
    ``created_at``).

Maintenance events
    MaintenanceScheduled for a new scheduled maintenance; MaintenanceStartingSoon once, when
    ``now >= scheduled_for - notifications.maintenance_lead_minutes`` (checked on every
    observation, Tick included); MaintenanceStarted when it goes in progress or verifying;
    MaintenanceEnded when it is completed, or leaves the page after having started.

First run
    From the initial state, problems that exist right now are announced once (down or degraded
    components, open incidents, maintenance in progress); healthy components and maintenance
    merely scheduled for later are recorded silently.

Snapshot
    ``ComponentView.since`` is when the combined health last changed; incidents and
    maintenances come from the last successful page read; ``probes`` are the latest probe
    results; ``last_checked`` is the time of the latest page or probe attempt (a Tick checks
    nothing, so it does not count).

Size
    Resolved incidents and ended maintenances are forgotten after 7 days (and at most
    ``MAX_CLOSED`` of each are kept); components that left the page are dropped unless a probe
    speaks for them. The state cannot grow without bound.
"""

from __future__ import annotations

import dataclasses
import logging
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Union

from tray_app.config import KNOWN_COMPONENT_NAMES, Settings
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
from tray_app.core.models import (
    ComponentView,
    Health,
    Incident,
    Maintenance,
    MonitorSnapshot,
    PageFailure,
    PageSnapshot,
    ProbeOutcome,
    ProbeResult,
    worse,
)

log = logging.getLogger(__name__)

STATE_VERSION = 1
FORGET_AFTER = timedelta(days=7)
MAX_CLOSED = 200  # resolved incidents / ended maintenances kept for dedupe
MAX_PROBE_TARGETS = 16
_STREAK_CAP = 1000

_ACTIVE_MAINTENANCE = ("in_progress", "verifying")


# ---- Observations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PageObserved:
    """A successful read of the status page (or a 304 that reused the last one)."""

    snapshot: PageSnapshot


@dataclass(frozen=True)
class PageFailed:
    """The status page could not be read; ``failure.network`` for DNS/connect failures."""

    failure: PageFailure


@dataclass(frozen=True)
class ProbesObserved:
    """One round of direct probes."""

    results: tuple[ProbeResult, ...]
    at: datetime


@dataclass(frozen=True)
class Tick:
    """Time passing, for time-driven events (maintenance starting soon)."""

    at: datetime


Observation = PageObserved | PageFailed | ProbesObserved | Tick


# ---- State ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComponentTrack:
    id: str
    name: str
    official: Health = Health.UNKNOWN  # last known page status; stale while the page fails
    group_id: str | None = None
    is_group: bool = False
    health: Health = Health.UNKNOWN  # combined (official and probe), as last computed
    since: datetime | None = None  # when ``health`` last changed
    known: Health | None = None  # last combined health other than UNKNOWN that events judged
    problem: Health | None = None  # set while a problem episode is open (until operational)
    problem_since: datetime | None = None  # None when the episode began before we first saw it


@dataclass(frozen=True)
class ProbeTrack:
    target: str
    component_id: str
    verdict: Health = Health.UNKNOWN  # OPERATIONAL or PARTIAL_OUTAGE once a threshold is met
    bad_streak: int = 0
    good_streak: int = 0
    last: ProbeResult | None = None


@dataclass(frozen=True)
class IncidentTrack:
    incident: Incident  # as last read
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class MaintenanceTrack:
    maintenance: Maintenance  # as last read
    soon_sent: bool = False
    started: bool = False
    ended_at: datetime | None = None


@dataclass(frozen=True)
class MonitorState:
    components: tuple[ComponentTrack, ...] = ()
    probes: tuple[ProbeTrack, ...] = ()
    incidents: tuple[IncidentTrack, ...] = ()
    maintenances: tuple[MaintenanceTrack, ...] = ()
    page: PageSnapshot | None = None  # the last successful read
    page_failure: PageFailure | None = None  # set while the latest page attempt failed
    page_unreachable_announced: bool = False
    # did the probes get through just before the page's latest failure? (see _page_unreachable)
    probes_ok_before_failure: bool = False
    latest_probes: tuple[ProbeResult, ...] = ()  # the latest round of probe results
    offline_since: datetime | None = None
    last_checked: datetime | None = None

    @property
    def offline(self) -> bool:
        return self.offline_since is not None

    def component(self, component_id: str) -> ComponentTrack | None:
        for track in self.components:
            if track.id == component_id:
                return track
        return None


def initial_state() -> MonitorState:
    """Nothing seen yet: the first observations announce problems that exist right now."""
    return MonitorState()


# ---- The step -------------------------------------------------------------------------------


def observation_time(obs: Observation) -> datetime:
    if isinstance(obs, PageObserved):
        return obs.snapshot.fetched_at
    if isinstance(obs, PageFailed):
        return obs.failure.at
    return obs.at


def step(
    state: MonitorState, obs: Observation, settings: Settings
) -> tuple[MonitorState, tuple[Event, ...]]:
    """Apply one observation; return the new state and the events it caused, in order."""
    now = observation_time(obs)
    events: list[Event] = []
    incident_events: list[Event] = []
    maintenance_events: list[Event] = []

    if isinstance(obs, PageObserved):
        first_read = state.page is None
        state = _apply_page_components(state, obs.snapshot, settings)
        incidents, incident_events = _diff_incidents(state.incidents, obs.snapshot, now)
        maintenances, maintenance_events = _diff_maintenances(
            state.maintenances, obs.snapshot, now, announce_scheduled=not first_read
        )
        state = replace(
            state,
            page=obs.snapshot,
            page_failure=None,
            incidents=incidents,
            maintenances=maintenances,
            last_checked=now,
        )
    elif isinstance(obs, PageFailed):
        state = replace(
            state,
            page_failure=obs.failure,
            probes_ok_before_failure=_probes_got_through(state.latest_probes),
            last_checked=now,
        )
    elif isinstance(obs, ProbesObserved):
        if settings.probes.enabled and obs.results:
            state = replace(state, latest_probes=obs.results, last_checked=now)
        else:
            state = replace(state, last_checked=now)

    offline = _is_offline(state, settings)
    if offline and state.offline_since is None:
        events.append(WentOffline(at=now, detail=_offline_detail(state)))
        state = replace(state, offline_since=now)
    elif not offline and state.offline_since is not None:
        events.append(BackOnline(at=now, offline_for=now - state.offline_since))
        state = replace(state, offline_since=None)

    if isinstance(obs, PageObserved) and state.page_unreachable_announced:
        events.append(StatusPageReachable(at=now))
        state = replace(state, page_unreachable_announced=False)
    elif (
        state.page_failure is not None
        and _page_unreachable(state)
        and not offline
        and not state.page_unreachable_announced
    ):
        events.append(StatusPageUnreachable(at=now, detail=state.page_failure.message))
        state = replace(state, page_unreachable_announced=True)

    if isinstance(obs, ProbesObserved) and settings.probes.enabled:
        state = _apply_probes(state, obs.results, settings)

    state, service_events = _recompute_components(state, settings, now, offline=offline)
    events.extend(service_events)
    events.extend(incident_events)
    events.extend(maintenance_events)

    maintenances, soon_events = _starting_soon(state.maintenances, settings, now)
    events.extend(soon_events)
    state = replace(state, maintenances=maintenances)

    state = _prune(state, now)
    for event in events:
        log.debug("event %s", event.key)
    return state, tuple(events)


def _is_offline(state: MonitorState, settings: Settings) -> bool:
    latest_failed: list[bool] = []
    if state.page is not None or state.page_failure is not None:
        latest_failed.append(state.page_failure is not None and state.page_failure.network)
    if settings.probes.enabled and state.latest_probes:
        latest_failed.append(
            all(r.outcome is ProbeOutcome.UNREACHABLE for r in state.latest_probes)
        )
    return bool(latest_failed) and all(latest_failed)


def _probes_got_through(results: tuple[ProbeResult, ...]) -> bool:
    return bool(results) and not all(r.outcome is ProbeOutcome.UNREACHABLE for r in results)


def _page_unreachable(state: MonitorState) -> bool:
    """Is it the status page that fails, not our network?

    An HTTP-level failure (5xx, HTML, broken JSON) is the page's. A DNS/connect failure is the
    page's only when the probes got through both just before it and after it: a network that
    is dropping (probes still fine from a moment ago) or coming back (the page's last attempt
    was made while offline) is not "status page unreachable"."""
    failure = state.page_failure
    if failure is None:
        return False
    if not failure.network:
        return True
    later = tuple(r for r in state.latest_probes if r.at >= failure.at)
    return state.probes_ok_before_failure and _probes_got_through(later)


def _offline_detail(state: MonitorState) -> str:
    if state.page_failure is not None:
        return state.page_failure.message
    details = [r.detail for r in state.latest_probes if r.detail]
    return details[0] if details else "no network connection"


def _apply_page_components(
    state: MonitorState, page: PageSnapshot, settings: Settings
) -> MonitorState:
    old = {t.id: t for t in state.components}
    tracks: list[ComponentTrack] = []
    on_page: set[str] = set()
    for comp in page.components:
        on_page.add(comp.id)
        track = old.get(comp.id) or ComponentTrack(id=comp.id, name=comp.name)
        tracks.append(
            replace(
                track,
                name=comp.name,
                official=comp.health,
                group_id=comp.group_id,
                is_group=comp.is_group,
            )
        )
    probed = _probed_component_ids(state, settings)
    for track in state.components:
        if track.id not in on_page and track.id in probed:
            tracks.append(replace(track, official=Health.UNKNOWN))
    return replace(state, components=tuple(tracks))


def _probed_component_ids(state: MonitorState, settings: Settings) -> set[str]:
    if not settings.probes.enabled:
        return set()
    return {p.component_id for p in state.probes}


def _apply_probes(
    state: MonitorState, results: tuple[ProbeResult, ...], settings: Settings
) -> MonitorState:
    tracks = {p.target: p for p in state.probes}
    order = [p.target for p in state.probes]
    components = list(state.components)
    known_ids = {t.id for t in components}
    for result in results:
        if result.target not in tracks:
            tracks[result.target] = ProbeTrack(
                target=result.target, component_id=result.component_id
            )
            order.append(result.target)
        tracks[result.target] = _advance_probe(tracks[result.target], result, settings)
        if result.component_id not in known_ids:
            name = KNOWN_COMPONENT_NAMES.get(result.component_id, result.component_id)
            components.append(ComponentTrack(id=result.component_id, name=name))
            known_ids.add(result.component_id)
    order = order[-MAX_PROBE_TARGETS:]
    return replace(state, probes=tuple(tracks[t] for t in order), components=tuple(components))


def _advance_probe(track: ProbeTrack, result: ProbeResult, settings: Settings) -> ProbeTrack:
    """Gatus-style hysteresis on one target. UNREACHABLE (DNS or connect failure, or a captive
    portal answering in the service's place) is about this machine's network, not Claude: it
    moves neither streak."""
    track = replace(track, component_id=result.component_id, last=result)
    if result.outcome is ProbeOutcome.UP:
        good = min(track.good_streak + 1, _STREAK_CAP)
        if good >= settings.probes.success_threshold:
            track = replace(track, verdict=Health.OPERATIONAL)
        return replace(track, good_streak=good, bad_streak=0)
    if result.outcome is ProbeOutcome.UNREACHABLE:
        return track
    bad = min(track.bad_streak + 1, _STREAK_CAP)
    if bad >= settings.probes.failure_threshold:
        track = replace(track, verdict=Health.PARTIAL_OUTAGE)
    return replace(track, bad_streak=bad, good_streak=0)


def _probe_health(state: MonitorState, component_id: str, settings: Settings) -> Health | None:
    if not settings.probes.enabled:
        return None
    verdicts = [p.verdict for p in state.probes if p.component_id == component_id]
    if not verdicts:
        return None
    result = verdicts[0]
    for verdict in verdicts[1:]:
        result = worse(result, verdict)
    return result


def _combined(official: Health, probe: Health | None) -> Health:
    return official if probe is None else worse(official, probe)


def is_watched(track: ComponentTrack, settings: Settings) -> bool:
    """Explicitly listed, or (with an empty list) any component that is not a group."""
    if settings.watch.components:
        return track.id in settings.watch.components
    return not track.is_group


def announces(track: ComponentTrack, settings: Settings) -> bool:
    """Service events cover every component but groups (their children speak for them)."""
    return not track.is_group or track.id in settings.watch.components


def _recompute_components(
    state: MonitorState, settings: Settings, now: datetime, *, offline: bool
) -> tuple[MonitorState, list[Event]]:
    events: list[Event] = []
    tracks: list[ComponentTrack] = []
    for track in state.components:
        probe = _probe_health(state, track.id, settings)
        health = _combined(track.official, probe)
        if health is not track.health:
            track = replace(track, health=health, since=now)
        if not offline and health is not Health.UNKNOWN:
            track, event = _judge(track, probe, settings, now)
            if event is not None:
                events.append(event)
        tracks.append(track)
    return replace(state, components=tuple(tracks)), events


def _judge(
    track: ComponentTrack, probe: Health | None, settings: Settings, now: datetime
) -> tuple[ComponentTrack, Event | None]:
    """Compare the combined health with the last known one; update the problem episode."""
    new, prior = track.health, track.known
    previous = prior or Health.UNKNOWN
    probe_only = probe is not None and probe.is_problem and probe.rank > track.official.rank
    event: Event | None = None
    if announces(track, settings):
        if new.is_down and new is not prior:
            event = ServiceDown(
                at=now,
                component_id=track.id,
                name=track.name,
                health=new,
                previous=previous,
                probe_only=probe_only,
            )
        elif new is Health.DEGRADED and (prior is None or prior.rank < new.rank):
            event = ServiceDegraded(
                at=now,
                component_id=track.id,
                name=track.name,
                previous=previous,
                probe_only=probe_only,
            )
        elif new is Health.OPERATIONAL and track.problem is not None:
            down_for = now - track.problem_since if track.problem_since is not None else None
            event = ServiceRecovered(
                at=now,
                component_id=track.id,
                name=track.name,
                previous=track.problem,
                down_for=down_for,
            )
    if new.is_problem:
        if track.problem is None:
            track = replace(track, problem_since=now if prior is not None else None)
        track = replace(track, problem=new)
    elif new is Health.OPERATIONAL:
        track = replace(track, problem=None, problem_since=None)
    return replace(track, known=new), event


def _diff_incidents(
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
            result[inc.id] = IncidentTrack(inc)
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


def _diff_maintenances(
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
        result[m.id] = replace(track, maintenance=m)
    for m_id, track in known.items():
        if m_id in seen or track.ended_at is not None:
            continue
        if track.started:
            events.append(MaintenanceEnded(at=now, maintenance=track.maintenance))
        # a maintenance that leaves the page before starting was cancelled: forget it quietly
        result[m_id] = replace(track, ended_at=now)
    return tuple(result.values()), events


def _starting_soon(
    tracks: tuple[MaintenanceTrack, ...], settings: Settings, now: datetime
) -> tuple[tuple[MaintenanceTrack, ...], list[Event]]:
    lead = timedelta(minutes=settings.notifications.maintenance_lead_minutes)
    events: list[Event] = []
    result: list[MaintenanceTrack] = []
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
        result.append(track)
    return tuple(result), events


def _prune(state: MonitorState, now: datetime) -> MonitorState:
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


# ---- Snapshot -------------------------------------------------------------------------------


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
            probe=_probe_health(state, t.id, settings),
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
    if _page_unreachable(state):
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


# ---- Persistence ----------------------------------------------------------------------------


def state_to_dict(state: MonitorState) -> dict[str, object]:
    """A JSON-ready dict; ``state_from_dict`` turns it back into an equal state."""
    body = typing.cast(dict[str, object], _encode(state))
    return {"version": STATE_VERSION, **body}


def state_from_dict(data: object) -> MonitorState:
    """Rebuild a state saved by ``state_to_dict``; ValueError on anything else."""
    if not isinstance(data, dict):
        raise ValueError("state: expected an object")
    if data.get("version") != STATE_VERSION:
        raise ValueError(f"state: unsupported version {data.get('version')!r}")
    body = {k: v for k, v in data.items() if k != "version"}
    try:
        return typing.cast(MonitorState, _decode(MonitorState, body, "state"))
    except (TypeError, KeyError, AttributeError, OverflowError) as exc:
        raise ValueError(f"state: {exc}") from exc


def _encode(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    raise TypeError(f"cannot encode {type(value).__name__}")


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _decode(tp: Any, data: object, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if data is None and len(options) < len(typing.get_args(tp)):
            return None
        if len(options) != 1:
            raise ValueError(f"{where}: unsupported union {tp!r}")
        return _decode(options[0], data, where)
    if origin is tuple:
        if not isinstance(data, list):
            raise ValueError(f"{where}: expected a list")
        item = typing.get_args(tp)[0]
        return tuple(_decode(item, v, f"{where}[{i}]") for i, v in enumerate(data))
    if tp is datetime:
        if not isinstance(data, str):
            raise ValueError(f"{where}: expected a timestamp")
        return datetime.fromisoformat(data)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return tp(data)
    if tp is bool:
        if not isinstance(data, bool):
            raise ValueError(f"{where}: expected true/false")
        return data
    if tp is int:
        if not isinstance(data, int) or isinstance(data, bool):
            raise ValueError(f"{where}: expected an integer")
        return data
    if tp is float:
        if not isinstance(data, (int, float)) or isinstance(data, bool):
            raise ValueError(f"{where}: expected a number")
        return float(data)
    if tp is str:
        if not isinstance(data, str):
            raise ValueError(f"{where}: expected a string")
        return data
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _decode_dataclass(tp, data, where)
    raise ValueError(f"{where}: unsupported type {tp!r}")


def _decode_dataclass(cls: type, data: object, where: str) -> object:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: expected an object")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(data) - set(fields)
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(map(str, unknown))}")
    hints = _hints(cls)
    kwargs: dict[str, object] = {}
    for name, field in fields.items():
        if name in data:
            kwargs[name] = _decode(hints[name], data[name], f"{where}.{name}")
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ValueError(f"{where}: missing {name}")
    return cls(**kwargs)


__all__ = [
    "ComponentTrack",
    "IncidentTrack",
    "MaintenanceTrack",
    "MonitorState",
    "Observation",
    "PageFailed",
    "PageObserved",
    "ProbeTrack",
    "ProbesObserved",
    "Tick",
    "announces",
    "initial_state",
    "is_watched",
    "observation_time",
    "snapshot",
    "state_from_dict",
    "state_to_dict",
    "step",
]
