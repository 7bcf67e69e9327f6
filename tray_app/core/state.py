"""The pure state machine: observations in, a new state and typed events out.

``step(state, observation, settings)`` does no I/O and never reads a clock: every observation
carries its own time, and every event it returns is stamped with that time. The state is an
immutable value that round-trips exactly through JSON (``tray_app.core.state_codec``),
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

import logging
from dataclasses import replace
from datetime import datetime

from tray_app.config.schema import KNOWN_COMPONENT_NAMES, Settings
from tray_app.core.events import (
    BackOnline,
    Event,
    ServiceDegraded,
    ServiceDown,
    ServiceRecovered,
    StatusPageReachable,
    StatusPageUnreachable,
    WentOffline,
)
from tray_app.core.models import Health, PageSnapshot, ProbeOutcome, ProbeResult, worse
from tray_app.core.state_incidents import (
    FORGET_AFTER,
    MAX_CLOSED,
    diff_incidents,
    diff_maintenances,
    prune,
    starting_soon,
)
from tray_app.core.state_model import (
    ComponentTrack,
    IncidentTrack,
    MaintenanceTrack,
    MonitorState,
    Observation,
    PageFailed,
    PageObserved,
    ProbesObserved,
    ProbeTrack,
    Tick,
    announces,
    initial_state,
    is_watched,
    observation_time,
    page_unreachable,
    probe_health,
    probes_got_through,
)
from tray_app.core.state_snapshot import snapshot

log = logging.getLogger(__name__)

MAX_PROBE_TARGETS = 16
_STREAK_CAP = 1000


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
        incidents, incident_events = diff_incidents(state.incidents, obs.snapshot, now)
        maintenances, maintenance_events = diff_maintenances(
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
            probes_ok_before_failure=probes_got_through(state.latest_probes),
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
        and page_unreachable(state)
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

    maintenances, soon_events = starting_soon(state.maintenances, settings, now)
    events.extend(soon_events)
    if maintenances is not state.maintenances:
        state = replace(state, maintenances=maintenances)

    state = prune(state, now)
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
        if (track.name, track.official, track.group_id, track.is_group) != (
            comp.name,
            comp.health,
            comp.group_id,
            comp.is_group,
        ):  # an unchanged page (most reads) copies nothing
            track = replace(
                track,
                name=comp.name,
                official=comp.health,
                group_id=comp.group_id,
                is_group=comp.is_group,
            )
        tracks.append(track)
    probed = _probed_component_ids(state, settings)
    for track in state.components:
        if track.id not in on_page and track.id in probed:
            tracks.append(replace(track, official=Health.UNKNOWN))
    if len(tracks) == len(state.components) and all(
        new is old for new, old in zip(tracks, state.components, strict=True)
    ):
        return state  # the same components as before
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
    probes = tuple(tracks[t] for t in order)
    if len(components) == len(state.components):  # no component new: keep the same tuple
        return replace(state, probes=probes)
    return replace(state, probes=probes, components=tuple(components))


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


def _combined(official: Health, probe: Health | None) -> Health:
    return official if probe is None else worse(official, probe)


def _recompute_components(
    state: MonitorState, settings: Settings, now: datetime, *, offline: bool
) -> tuple[MonitorState, list[Event]]:
    events: list[Event] = []
    tracks: list[ComponentTrack] = []
    changed = False
    for old in state.components:
        track = old
        probe = probe_health(state, track.id, settings)
        health = _combined(track.official, probe)
        if health is not track.health:
            track = replace(track, health=health, since=now)
        if not offline and health is not Health.UNKNOWN:
            track, event = _judge(track, probe, settings, now)
            if event is not None:
                events.append(event)
        tracks.append(track)
        changed = changed or track is not old
    if not changed:
        return state, events
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
    # each field is copied only when it changes: an unchanged component (most steps) is kept
    if new.is_problem:
        if track.problem is None:
            track = replace(track, problem=new, problem_since=now if prior is not None else None)
        elif track.problem is not new:
            track = replace(track, problem=new)
    elif new is Health.OPERATIONAL and (track.problem, track.problem_since) != (None, None):
        track = replace(track, problem=None, problem_since=None)
    if track.known is not new:
        track = replace(track, known=new)
    return track, event


__all__ = [
    "FORGET_AFTER",
    "MAX_CLOSED",
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
    "step",
]
