"""Table tests for the pure state machine (tray_app.core.state): no I/O, no clock."""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone

import pytest

from tray_app.config.schema import (
    API_COMPONENT,
    CLAUDE_AI_COMPONENT,
    CONSOLE_COMPONENT,
    DEFAULT_STATUS_PAGE,
    KNOWN_COMPONENT_NAMES,
    NotificationSettings,
    ProbeSettings,
    Settings,
    WatchSettings,
)
from tray_app.core.events import (
    BackOnline,
    Event,
    IncidentOpened,
    IncidentResolved,
    IncidentUpdated,
    MaintenanceEnded,
    MaintenanceStarted,
    ServiceDegraded,
    ServiceDown,
    ServiceRecovered,
    StatusPageReachable,
    StatusPageUnreachable,
    WentOffline,
    event_to_dict,
)
from tray_app.core.models import (
    Component,
    Health,
    Incident,
    IncidentUpdate,
    Maintenance,
    PageFailure,
    PageSnapshot,
    ProbeOutcome,
    ProbeResult,
)
from tray_app.core.state import (
    FORGET_AFTER,
    MAX_CLOSED,
    MonitorState,
    Observation,
    PageFailed,
    PageObserved,
    ProbesObserved,
    Tick,
    initial_state,
    snapshot,
    step,
)
from tray_app.core.state_codec import state_from_dict, state_to_dict

H = Health
UP, DOWN, UNREACH = ProbeOutcome.UP, ProbeOutcome.DOWN, ProbeOutcome.UNREACHABLE
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
NAMES = {
    API_COMPONENT: "Claude API",
    CLAUDE_AI_COMPONENT: "claude.ai",
    CONSOLE_COMPONENT: "Console",
}


# ---- builders ----


def t(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def settings(
    *,
    fail: int = 2,
    ok: int = 2,
    probes: bool = True,
    watch: tuple[str, ...] = (),
    lead: float = 30.0,
) -> Settings:
    return Settings(
        probes=ProbeSettings(enabled=probes, failure_threshold=fail, success_threshold=ok),
        watch=WatchSettings(components=watch),
        notifications=NotificationSettings(maintenance_lead_minutes=lead),
    )


DEFAULT = settings()
NO_PROBES = settings(probes=False)


def component(cid: str, health: Health) -> Component:
    raw = {H.DEGRADED: "degraded_performance", H.MAINTENANCE: "under_maintenance"}
    return Component(
        id=cid, name=NAMES.get(cid, cid), health=health, raw_status=raw.get(health, health.value)
    )


def incident(
    iid: str,
    status: str,
    *,
    update: str | None = None,
    created: datetime = T0,
    impact: str = "major",
) -> Incident:
    latest = IncidentUpdate(
        id=update or f"{iid}-{status}", status=status, body=f"We are {status}.", created_at=created
    )
    return Incident(
        id=iid,
        name=f"Elevated errors ({iid})",
        status=status,
        impact=impact,
        shortlink=f"https://stspg.io/{iid}",
        created_at=created,
        updated_at=created,
        component_ids=(API_COMPONENT,),
        latest_update=latest,
    )


def maintenance(mid: str, status: str, start: datetime, hours: float = 2.0) -> Maintenance:
    return Maintenance(
        id=mid,
        name=f"Database upgrade ({mid})",
        status=status,
        impact="maintenance",
        shortlink=None,
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=hours),
        component_ids=(API_COMPONENT,),
    )


def page(
    at: datetime,
    api: Health | None = H.OPERATIONAL,
    ai: Health | None = H.OPERATIONAL,
    *,
    console: Health | None = None,
    incidents: Iterable[Incident] = (),
    maintenances: Iterable[Maintenance] = (),
    description: str = "All Systems Operational",
) -> PageObserved:
    healths = ((API_COMPONENT, api), (CLAUDE_AI_COMPONENT, ai), (CONSOLE_COMPONENT, console))
    return PageObserved(
        PageSnapshot(
            page_name="Claude",
            page_url=DEFAULT_STATUS_PAGE,
            indicator="none",
            description=description,
            components=tuple(component(cid, h) for cid, h in healths if h is not None),
            incidents=tuple(incidents),
            maintenances=tuple(maintenances),
            fetched_at=at,
        )
    )


def page_failed(at: datetime, *, network: bool = False) -> PageFailed:
    message = "connection refused" if network else "HTTP 503 from status page"
    return PageFailed(PageFailure(message=message, at=at, network=network))


def probes(at: datetime, api: ProbeOutcome = UP, ai: ProbeOutcome | None = UP) -> ProbesObserved:
    results = [ProbeResult("api", API_COMPONENT, api, at)]
    if ai is not None:
        results.append(ProbeResult("claude_ai", CLAUDE_AI_COMPONENT, ai, at))
    return ProbesObserved(results=tuple(results), at=at)


def run(
    observations: Iterable[Observation], cfg: Settings = DEFAULT, state: MonitorState | None = None
) -> tuple[MonitorState, tuple[Event, ...]]:
    current = state or initial_state()
    events: list[Event] = []
    for obs in observations:
        current, new = step(current, obs, cfg)
        events.extend(new)
    return current, tuple(events)


def kinds(events: Sequence[Event]) -> list[str]:
    return [e.kind for e in events]


def view(state: MonitorState, cid: str, cfg: Settings = DEFAULT) -> tuple[Health, bool]:
    for v in snapshot(state, cfg).components:
        if v.id == cid:
            return v.health, v.probe_only
    raise AssertionError(f"no view for {cid}")


def roundtrip(state: MonitorState) -> MonitorState:
    return state_from_dict(json.loads(json.dumps(state_to_dict(state))))


# ---- one component, official status only ----

TRANSITIONS = [
    # from, to, expected event kind (or None), the event's `previous`
    (H.OPERATIONAL, H.OPERATIONAL, None, None),
    (H.OPERATIONAL, H.DEGRADED, "service_degraded", H.OPERATIONAL),
    (H.OPERATIONAL, H.PARTIAL_OUTAGE, "service_down", H.OPERATIONAL),
    (H.OPERATIONAL, H.MAJOR_OUTAGE, "service_down", H.OPERATIONAL),
    (H.OPERATIONAL, H.MAINTENANCE, None, None),
    (H.DEGRADED, H.OPERATIONAL, "service_recovered", H.DEGRADED),
    (H.DEGRADED, H.DEGRADED, None, None),
    (H.DEGRADED, H.PARTIAL_OUTAGE, "service_down", H.DEGRADED),
    (H.DEGRADED, H.MAJOR_OUTAGE, "service_down", H.DEGRADED),
    (H.DEGRADED, H.MAINTENANCE, None, None),
    (H.PARTIAL_OUTAGE, H.OPERATIONAL, "service_recovered", H.PARTIAL_OUTAGE),
    (H.PARTIAL_OUTAGE, H.DEGRADED, None, None),
    (H.PARTIAL_OUTAGE, H.PARTIAL_OUTAGE, None, None),
    (H.PARTIAL_OUTAGE, H.MAJOR_OUTAGE, "service_down", H.PARTIAL_OUTAGE),
    (H.PARTIAL_OUTAGE, H.MAINTENANCE, None, None),
    (H.MAJOR_OUTAGE, H.OPERATIONAL, "service_recovered", H.MAJOR_OUTAGE),
    (H.MAJOR_OUTAGE, H.DEGRADED, None, None),
    (H.MAJOR_OUTAGE, H.PARTIAL_OUTAGE, "service_down", H.MAJOR_OUTAGE),
    (H.MAJOR_OUTAGE, H.MAJOR_OUTAGE, None, None),
    (H.MAINTENANCE, H.OPERATIONAL, None, None),
    (H.MAINTENANCE, H.DEGRADED, "service_degraded", H.MAINTENANCE),
    (H.MAINTENANCE, H.PARTIAL_OUTAGE, "service_down", H.MAINTENANCE),
    (H.MAINTENANCE, H.MAJOR_OUTAGE, "service_down", H.MAINTENANCE),
    (H.MAINTENANCE, H.MAINTENANCE, None, None),
]


@pytest.mark.parametrize(
    ("before", "after", "expected", "previous"),
    TRANSITIONS,
    ids=[f"{a.value}->{b.value}" for a, b, _, _ in TRANSITIONS],
)
def test_official_transition(
    before: Health, after: Health, expected: str | None, previous: Health | None
) -> None:
    state, _ = run([page(t(0), api=before)], NO_PROBES)
    state, events = step(state, page(t(5), api=after), NO_PROBES)
    service = [e for e in events if e.kind.startswith("service_")]
    assert kinds(service) == ([expected] if expected else [])
    if service:
        event = service[0]
        assert isinstance(event, ServiceDown | ServiceDegraded | ServiceRecovered)
        assert event.component_id == API_COMPONENT
        assert event.name == "Claude API"
        assert event.previous is previous
        assert event.at == t(5)
        if isinstance(event, ServiceDown):
            assert event.health is after and not event.probe_only
        if isinstance(event, ServiceRecovered):
            assert event.down_for is None  # the problem began before we first saw it
    assert view(state, API_COMPONENT, NO_PROBES) == (after, False)


def test_recovered_down_for_counts_from_the_start_of_the_problem() -> None:
    obs: list[Observation] = [
        page(t(0)),
        page(t(10), api=H.DEGRADED),
        page(t(20), api=H.MAJOR_OUTAGE),
        page(t(30), api=H.MAINTENANCE),  # an outage passing through maintenance...
        page(t(45)),
    ]
    _, events = run(obs, NO_PROBES)
    assert kinds(events) == ["service_degraded", "service_down", "service_recovered"]
    recovered = events[-1]
    assert isinstance(recovered, ServiceRecovered)
    assert recovered.previous is H.MAJOR_OUTAGE  # ...still ends with one recovery
    assert recovered.down_for == timedelta(minutes=35)


UNKNOWN_GAPS = [
    # the API disappears from the page (a probe keeps it tracked), then comes back
    (H.MAJOR_OUTAGE, H.MAJOR_OUTAGE, []),
    (H.MAJOR_OUTAGE, H.OPERATIONAL, ["service_recovered"]),
    (H.OPERATIONAL, H.OPERATIONAL, []),
    (H.OPERATIONAL, H.PARTIAL_OUTAGE, ["service_down"]),
]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    UNKNOWN_GAPS,
    ids=[f"{a.value}->unknown->{b.value}" for a, b, _ in UNKNOWN_GAPS],
)
def test_unknown_is_a_gap_not_a_change(before: Health, after: Health, expected: list[str]) -> None:
    cfg = settings(fail=3, ok=3)  # one probe result keeps the probe verdict UNKNOWN
    state, _ = run([probes(t(0), ai=None), page(t(1), api=before)], cfg)
    state, events = step(state, page(t(2), api=None), cfg)
    assert events == ()
    assert view(state, API_COMPONENT, cfg)[0] is H.UNKNOWN
    state, events = step(state, page(t(3), api=after), cfg)
    assert kinds(events) == expected


# ---- official x probe: the combination rule ----

COMBINATIONS = [
    # official, probe outcome (None = no probe for the component), combined, probe_only
    (H.OPERATIONAL, None, H.OPERATIONAL, False),
    (H.OPERATIONAL, UP, H.OPERATIONAL, False),
    (H.OPERATIONAL, DOWN, H.PARTIAL_OUTAGE, True),
    (H.OPERATIONAL, UNREACH, H.OPERATIONAL, False),  # our network, not Claude
    (H.DEGRADED, UP, H.DEGRADED, False),
    (H.DEGRADED, DOWN, H.PARTIAL_OUTAGE, True),
    (H.PARTIAL_OUTAGE, UP, H.PARTIAL_OUTAGE, False),
    (H.PARTIAL_OUTAGE, DOWN, H.PARTIAL_OUTAGE, False),
    (H.MAJOR_OUTAGE, UP, H.MAJOR_OUTAGE, False),
    (H.MAJOR_OUTAGE, DOWN, H.MAJOR_OUTAGE, False),
    (H.MAINTENANCE, UP, H.MAINTENANCE, False),
    (H.MAINTENANCE, DOWN, H.PARTIAL_OUTAGE, True),
    (H.UNKNOWN, UP, H.OPERATIONAL, False),
    (H.UNKNOWN, DOWN, H.PARTIAL_OUTAGE, True),
    (H.UNKNOWN, None, H.UNKNOWN, False),
]


@pytest.mark.parametrize(
    ("official", "outcome", "combined", "probe_only"),
    COMBINATIONS,
    ids=[f"{o.value}+{p.value if p else 'noprobe'}" for o, p, _, _ in COMBINATIONS],
)
def test_combination(
    official: Health, outcome: ProbeOutcome | None, combined: Health, probe_only: bool
) -> None:
    cfg = settings(fail=1, ok=1)
    obs: list[Observation] = []
    if official is not H.UNKNOWN:
        obs.append(page(t(0), api=official))
    if outcome is not None:
        obs.append(probes(t(1), api=outcome, ai=UP))
    state, events = run(obs, cfg)
    assert view(state, API_COMPONENT, cfg) == (combined, probe_only)
    downs = [e for e in events if isinstance(e, ServiceDown)]
    if probe_only:
        assert downs[-1].probe_only and downs[-1].health is H.PARTIAL_OUTAGE
    snap = snapshot(state, cfg)
    assert snap.probe_only is probe_only
    if probe_only:
        assert snap.description == "Claude API: down from here (not on the status page yet)"


def test_probe_view_is_none_without_a_probe_and_unknown_before_a_verdict() -> None:
    cfg = settings(fail=2, ok=2)
    state, _ = run([page(t(0)), probes(t(1), ai=None)], cfg)
    views = {v.id: v for v in snapshot(state, cfg).components}
    assert views[API_COMPONENT].probe is H.UNKNOWN  # one UP, threshold 2: not decided yet
    assert views[CLAUDE_AI_COMPONENT].probe is None
    state, _ = step(state, probes(t(2), ai=None), cfg)
    assert snapshot(state, cfg).components[0].probe is H.OPERATIONAL


def test_probe_only_down_then_confirmed_by_the_page() -> None:
    cfg = settings(fail=2, ok=2)
    obs: list[Observation] = [page(t(0)), probes(t(1), api=DOWN), probes(t(2), api=DOWN)]
    state, events = run(obs, cfg)
    assert len(events) == 1 and isinstance(events[0], ServiceDown) and events[0].probe_only
    state, events = step(state, page(t(3), api=H.MAJOR_OUTAGE), cfg)
    assert len(events) == 1 and isinstance(events[0], ServiceDown)
    assert events[0].health is H.MAJOR_OUTAGE and not events[0].probe_only
    assert events[0].previous is H.PARTIAL_OUTAGE


# ---- hysteresis ----

HYSTERESIS = [
    # failure threshold, success threshold, outcomes per probe round (d=down, u=up),
    # the events as "round:kind"; the page says operational throughout
    (1, 1, "d", ["0:service_down"]),
    (1, 1, "du", ["0:service_down", "1:service_recovered"]),
    (2, 2, "d", []),
    (2, 2, "dd", ["1:service_down"]),
    (2, 2, "ddu", ["1:service_down"]),
    (2, 2, "dduu", ["1:service_down", "3:service_recovered"]),
    (2, 2, "ddudud", ["1:service_down"]),
    (3, 3, "dd", []),
    (3, 3, "ddd", ["2:service_down"]),
    (3, 3, "ddduu", ["2:service_down"]),
    (3, 3, "ddduuu", ["2:service_down", "5:service_recovered"]),
    (3, 1, "dddu", ["2:service_down", "3:service_recovered"]),
    (1, 3, "duud", ["0:service_down"]),
    (2, 2, "dudududu", []),
    (2, 2, "uudududud", []),
    (2, 2, "ddudududu", ["1:service_down"]),
    (3, 2, "ddudduddu", []),
]


@pytest.mark.parametrize(
    ("fail", "ok", "rounds", "expected"),
    HYSTERESIS,
    ids=[f"f{f}s{s}-{r}" for f, s, r, _ in HYSTERESIS],
)
def test_hysteresis(fail: int, ok: int, rounds: str, expected: list[str]) -> None:
    cfg = settings(fail=fail, ok=ok)
    state, _ = step(initial_state(), page(t(0)), cfg)
    seen: list[str] = []
    for i, letter in enumerate(rounds):
        state, events = step(state, probes(t(i + 1), api=DOWN if letter == "d" else UP), cfg)
        seen.extend(f"{i}:{e.kind}" for e in events)
        assert all(not isinstance(e, ServiceDown) or e.probe_only for e in events)
    assert seen == expected


def test_flapping_never_alerts_from_a_healthy_start() -> None:
    cfg = settings(fail=2, ok=2)
    state, _ = run([page(t(0)), probes(t(1)), probes(t(2))], cfg)
    assert view(state, API_COMPONENT, cfg) == (H.OPERATIONAL, False)
    flaps = [probes(t(3 + i), api=DOWN if i % 2 == 0 else UP) for i in range(40)]
    state, events = run(flaps, cfg, state)
    assert events == ()
    assert view(state, API_COMPONENT, cfg) == (H.OPERATIONAL, False)


# ---- offline ----


def test_offline_entry_and_exit() -> None:
    cfg = settings(fail=2, ok=2)
    state, _ = run([page(t(0)), probes(t(1)), probes(t(2))], cfg)
    state, events = step(state, page_failed(t(3), network=True), cfg)
    assert kinds(events) == []  # the page or our network? not known yet: say nothing
    state, events = step(state, probes(t(4), api=UNREACH, ai=UNREACH), cfg)
    assert kinds(events) == ["went_offline"]
    assert isinstance(events[0], WentOffline) and events[0].detail == "connection refused"
    snap = snapshot(state, cfg)
    assert snap.overall is H.OFFLINE
    offline_rounds: list[Observation] = [
        probes(t(5 + i), api=UNREACH, ai=UNREACH) for i in range(5)
    ]
    offline_rounds.insert(2, page_failed(t(6.5), network=True))
    state, events = run(offline_rounds, cfg, state)
    assert events == ()  # no false "Claude is down" however long it lasts
    assert {v.health for v in snapshot(state, cfg).components} == {H.OPERATIONAL}
    # one success ends it; the counters did not advance while offline, so one DOWN is not "down"
    state, events = step(state, probes(t(20), api=DOWN, ai=UP), cfg)
    assert kinds(events) == ["back_online"]
    assert isinstance(events[0], BackOnline) and events[0].offline_for == timedelta(minutes=16)
    # the page's last attempt was made while offline: not "status page unreachable"
    assert snapshot(state, cfg).overall is H.OPERATIONAL
    state, events = step(state, page(t(21)), cfg)
    assert kinds(events) == []
    assert snapshot(state, cfg).overall is H.OPERATIONAL


def test_a_status_page_blocked_on_this_network_is_unreachable_once_the_probes_confirm() -> None:
    cfg = settings(fail=2, ok=2)
    state, _ = run([page(t(0)), probes(t(1)), probes(t(2))], cfg)
    state, events = step(state, page_failed(t(3), network=True), cfg)
    assert kinds(events) == []
    state, events = step(state, probes(t(4)), cfg)
    assert kinds(events) == ["status_page_unreachable"]
    assert snapshot(state, cfg).overall is H.STATUS_PAGE_UNREACHABLE


OFFLINE_CASES = [
    # settings, observations, offline?
    ("probes_disabled_page_alone", NO_PROBES, [page_failed(t(1), network=True)], True),
    ("page_not_tried_probes_alone", DEFAULT, [probes(t(1), UNREACH, UNREACH)], True),
    (
        "both_network_failures",
        DEFAULT,
        [probes(t(1), UNREACH, UNREACH), page_failed(t(2), network=True)],
        True,
    ),
    (
        "one_probe_answers",
        DEFAULT,
        [page_failed(t(1), network=True), probes(t(2), UNREACH, UP)],
        False,
    ),
    (
        "page_http_error_is_not_offline",
        DEFAULT,
        [page_failed(t(1)), probes(t(2), UNREACH, UNREACH)],
        False,
    ),
    (
        "page_read_ends_offline",
        DEFAULT,
        [probes(t(1), UNREACH, UNREACH), page_failed(t(2), network=True), page(t(3))],
        False,
    ),
    ("probe_timeout_is_not_offline", DEFAULT, [probes(t(1), ProbeOutcome.TIMEOUT, UNREACH)], False),
    ("nothing_attempted", DEFAULT, [Tick(t(1))], False),
]


@pytest.mark.parametrize(
    ("cfg", "obs", "offline"),
    [c[1:] for c in OFFLINE_CASES],
    ids=[c[0] for c in OFFLINE_CASES],
)
def test_offline_rule(cfg: Settings, obs: list[Observation], offline: bool) -> None:
    state, _ = run(obs, cfg)
    assert state.offline is offline
    assert (snapshot(state, cfg).overall is H.OFFLINE) is offline


def _healthy_start() -> list[Observation]:
    return [page(t(0)), probes(t(0.5)), probes(t(1))]


UNREACHABLE_CASES = [
    # name, observations after a healthy start, expected "kind:component" list
    (
        "probes_notice_a_dropped_network_first",
        [probes(t(2 + i), UNREACH, UNREACH) for i in range(4)]
        + [page_failed(t(7), network=True), probes(t(8), UNREACH, UNREACH)],
        ["went_offline"],
    ),
    (
        "page_answers_but_probes_cannot_connect",  # a firewall, or DNS filtering, here
        [probes(t(2 + i), UNREACH, UNREACH) for i in range(2)]
        + [page(t(3.5))]
        + [probes(t(4 + i), UNREACH, UNREACH) for i in range(4)],
        [],
    ),
    (
        "captive_portal_answers_for_the_api_only",  # claude.ai's check sees the portal as "up"
        [probes(t(2 + i), UNREACH, UP) for i in range(4)],
        [],
    ),
    (
        "a_real_failure_still_counts",
        [probes(t(2), DOWN, UNREACH), probes(t(3), DOWN, UNREACH)],
        [f"service_down:{API_COMPONENT}"],
    ),
]


@pytest.mark.parametrize(
    ("obs", "expected"), [c[1:] for c in UNREACHABLE_CASES], ids=[c[0] for c in UNREACHABLE_CASES]
)
def test_unreachable_probes_are_never_claude_down(
    obs: list[Observation], expected: list[str]
) -> None:
    state, _ = run(_healthy_start())
    _, events = run(obs, state=state)
    seen = [f"{e.kind}:{e.component_id}" if isinstance(e, ServiceDown) else e.kind for e in events]
    assert seen == expected
    assert all(e.probe_only for e in events if isinstance(e, ServiceDown))


def test_offline_with_an_outage_on_record_emits_nothing_and_keeps_it() -> None:
    state, _ = run([page(t(0), api=H.MAJOR_OUTAGE)], NO_PROBES)
    state, events = step(state, page_failed(t(1), network=True), NO_PROBES)
    assert kinds(events) == ["went_offline"]
    state, events = step(state, page(t(2), api=H.MAJOR_OUTAGE), NO_PROBES)
    assert kinds(events) == ["back_online"]  # not a second "down"
    state, events = step(state, page(t(3)), NO_PROBES)
    assert kinds(events) == ["service_recovered"]


# ---- status page unreachable: stale data ----


def test_page_unreachable_keeps_stale_official_health() -> None:
    cfg = settings(fail=2, ok=2)
    obs: list[Observation] = [page(t(0), api=H.MAJOR_OUTAGE), probes(t(1)), probes(t(2))]
    state, events = run(obs, cfg)
    assert kinds(events) == ["service_down"]
    state, events = run([page_failed(t(3)), page_failed(t(4)), probes(t(5))], cfg, state)
    assert kinds(events) == ["status_page_unreachable"]  # edge only, no recovery from stale data
    snap = snapshot(state, cfg)
    assert snap.overall is H.MAJOR_OUTAGE  # a known problem beats "unreachable"
    assert snap.page_error == "HTTP 503 from status page"
    assert "status page unreachable" in snap.description
    assert view(state, API_COMPONENT, cfg) == (H.MAJOR_OUTAGE, False)
    state, events = step(state, page(t(6)), cfg)
    assert kinds(events) == ["status_page_reachable", "service_recovered"]
    assert snapshot(state, cfg).page_error is None


def test_page_unreachable_while_healthy() -> None:
    state, _ = run([page(t(0))], NO_PROBES)
    state, events = run([page_failed(t(1)), page_failed(t(2))], NO_PROBES, state)
    assert kinds(events) == ["status_page_unreachable"]
    assert isinstance(events[0], StatusPageUnreachable)
    assert events[0].detail == "HTTP 503 from status page"
    snap = snapshot(state, NO_PROBES)
    assert snap.overall is H.STATUS_PAGE_UNREACHABLE
    assert {c.official for c in snap.components} == {H.OPERATIONAL}  # stale, not reset
    assert snap.incidents == () and snap.last_checked == t(2)


def test_page_failure_does_not_resolve_incidents() -> None:
    open_incident = incident("inc1", "investigating")
    state, _ = run([page(t(0), incidents=[open_incident])], NO_PROBES)
    state, events = step(state, page_failed(t(1)), NO_PROBES)
    assert kinds(events) == ["status_page_unreachable"]
    assert snapshot(state, NO_PROBES).incidents == (open_incident,)


def test_first_page_attempt_fails() -> None:
    state, events = step(initial_state(), page_failed(t(0)), NO_PROBES)
    assert kinds(events) == ["status_page_unreachable"]
    snap = snapshot(state, NO_PROBES)
    assert snap.overall is H.STATUS_PAGE_UNREACHABLE
    assert {c.health for c in snap.components} == {H.UNKNOWN}  # named placeholders only


# ---- first run ----


def ongoing_outage_page(at: datetime) -> PageObserved:
    return page(
        at,
        api=H.MAJOR_OUTAGE,
        ai=H.OPERATIONAL,
        console=H.DEGRADED,
        incidents=[incident("inc1", "identified")],
        maintenances=[
            maintenance("m-now", "in_progress", t(-30)),
            maintenance("m-later", "scheduled", t(24 * 60)),
        ],
    )


def test_first_run_announces_current_problems_once() -> None:
    state, events = step(initial_state(), ongoing_outage_page(t(0)), DEFAULT)
    assert kinds(events) == [
        "service_down",
        "service_degraded",
        "incident_opened",
        "maintenance_started",
    ]
    down = events[0]
    assert isinstance(down, ServiceDown) and down.previous is H.UNKNOWN
    assert all(e.at == t(0) for e in events)
    state, events = step(state, ongoing_outage_page(t(1)), DEFAULT)
    assert events == ()
    _, events = step(roundtrip(state), ongoing_outage_page(t(2)), DEFAULT)
    assert events == ()


def test_first_run_healthy_is_silent() -> None:
    state, events = run([probes(t(0)), probes(t(1)), page(t(2)), Tick(t(3))])
    assert events == ()
    snap = snapshot(state, DEFAULT)
    assert snap.overall is H.OPERATIONAL
    assert snap.description == "All Systems Operational"


# ---- restart: dedupe across a JSON round-trip ----


def scripted_outage() -> list[Observation]:
    inc = "inc-outage"
    return [
        page(t(0)),
        probes(t(0.5)),
        probes(t(1)),
        probes(t(1.5), api=DOWN),
        probes(t(2), api=DOWN),  # probe-only down
        page(t(3), api=H.MAJOR_OUTAGE, incidents=[incident(inc, "investigating", created=t(2.5))]),
        page_failed(t(4)),
        probes(t(4.5), api=DOWN),
        page(t(5), api=H.MAJOR_OUTAGE, incidents=[incident(inc, "identified", created=t(2.5))]),
        page(t(6), api=H.PARTIAL_OUTAGE, incidents=[incident(inc, "monitoring", created=t(2.5))]),
        probes(t(6.5)),
        probes(t(7)),
        page(t(8), api=H.OPERATIONAL, incidents=[incident(inc, "monitoring", created=t(2.5))]),
        page(t(9), api=H.OPERATIONAL),
        Tick(t(10)),
    ]


SCRIPT_LEN = len(scripted_outage())


def test_scripted_outage_events() -> None:
    _, events = run(scripted_outage())
    assert kinds(events) == [
        "service_down",  # probe only, partial
        "service_down",  # the page confirms: major
        "incident_opened",
        "status_page_unreachable",
        "status_page_reachable",
        "incident_updated",
        "service_down",  # major -> partial
        "incident_updated",
        "service_recovered",
        "incident_resolved",
    ]
    recovered = next(e for e in events if isinstance(e, ServiceRecovered))
    assert recovered.down_for == timedelta(minutes=6)  # from the first probe-confirmed failure
    assert recovered.at == t(8)


@pytest.mark.parametrize("restart_after", range(1, SCRIPT_LEN), ids=lambda n: f"after{n}")
def test_restart_round_trip_emits_nothing_twice(restart_after: int) -> None:
    script = scripted_outage()
    straight_state, straight = run(script)
    before, first_half = run(script[:restart_after])
    restored = roundtrip(before)
    assert restored == before
    after, second_half = run(script[restart_after:], state=restored)
    assert first_half + second_half == straight
    assert after == straight_state
    keys = [e.key for e in straight]
    assert len(keys) == len(set(keys))


# ---- incidents ----


def test_incident_lifecycle() -> None:
    created = t(0)
    obs: list[Observation] = [
        page(t(0)),
        page(t(1), incidents=[incident("inc1", "investigating", created=created)]),
        page(t(2), incidents=[incident("inc1", "investigating", created=created)]),
        page(t(3), incidents=[incident("inc1", "identified", created=created)]),
        page_failed(t(4)),
        page(t(5), incidents=[incident("inc1", "monitoring", created=created)]),
        page(t(6), incidents=[incident("inc1", "resolved", created=created)]),
        page(t(7)),
        page(t(8)),
    ]
    _, events = run(obs, NO_PROBES)
    incident_events = [e for e in events if e.kind.startswith("incident_")]
    assert kinds(incident_events) == [
        "incident_opened",
        "incident_updated",
        "incident_updated",
        "incident_resolved",
    ]
    opened, identified, monitoring, resolved = incident_events
    assert isinstance(opened, IncidentOpened) and opened.at == t(1)
    assert isinstance(identified, IncidentUpdated) and identified.previous_status == "investigating"
    assert identified.update is not None and identified.update.status == "identified"
    assert isinstance(monitoring, IncidentUpdated) and monitoring.previous_status == "identified"
    assert isinstance(resolved, IncidentResolved) and resolved.lasted == timedelta(minutes=6)
    assert len({e.key for e in incident_events}) == 4


INCIDENT_CASES = [
    # name, the incident list on two consecutive reads, expected kinds on the second
    ("same_again", [incident("a", "identified")], [incident("a", "identified")], []),
    (
        "new_update_same_status",
        [incident("a", "identified", update="u1")],
        [incident("a", "identified", update="u2")],
        ["incident_updated"],
    ),
    ("disappears", [incident("a", "monitoring")], [], ["incident_resolved"]),
    (
        "postmortem",
        [incident("a", "monitoring")],
        [incident("a", "postmortem")],
        ["incident_resolved"],
    ),
    ("resolved_unseen_before", [], [incident("a", "resolved")], []),
    (
        "two_new",
        [],
        [incident("a", "investigating"), incident("b", "investigating")],
        ["incident_opened", "incident_opened"],
    ),
]


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [c[1:] for c in INCIDENT_CASES],
    ids=[c[0] for c in INCIDENT_CASES],
)
def test_incident_diff(first: list[Incident], second: list[Incident], expected: list[str]) -> None:
    state, _ = run([page(t(0), incidents=first)], NO_PROBES)
    _, events = step(state, page(t(1), incidents=second), NO_PROBES)
    assert kinds(events) == expected


def test_resolved_incidents_are_forgotten_and_bounded() -> None:
    incidents = [incident(f"i{n}", "investigating") for n in range(MAX_CLOSED + 50)]
    state, events = run([page(t(0), incidents=incidents), page(t(1))], NO_PROBES)
    assert kinds(events).count("incident_resolved") == MAX_CLOSED + 50
    assert len(state.incidents) == MAX_CLOSED
    later = T0 + FORGET_AFTER + timedelta(minutes=2)
    state, _ = step(state, Tick(later), NO_PROBES)
    assert state.incidents == ()


# ---- maintenance ----


def test_maintenance_lifecycle() -> None:
    cfg = settings(lead=30)
    start = t(120)
    m = "maint1"
    obs: list[Observation] = [
        page(t(0)),
        page(t(1), maintenances=[maintenance(m, "scheduled", start)]),
        Tick(t(80)),
        Tick(t(90)),  # 30 minutes before: starting soon
        page(t(95), maintenances=[maintenance(m, "scheduled", start)]),
        Tick(t(100)),
        page(t(121), ai=H.MAINTENANCE, maintenances=[maintenance(m, "in_progress", start)]),
        page(t(150), ai=H.MAINTENANCE, maintenances=[maintenance(m, "verifying", start)]),
        page(t(160)),
        page(t(170)),
    ]
    _, events = run(obs, cfg)
    assert [(e.kind, e.at) for e in events] == [
        ("maintenance_scheduled", t(1)),
        ("maintenance_soon", t(90)),
        ("maintenance_started", t(121)),
        ("maintenance_ended", t(160)),
    ]


MAINTENANCE_CASES = [
    ("cancelled_before_start", ["scheduled", None], []),
    ("completed_on_page", ["in_progress", "completed", None], ["maintenance_ended"]),
    ("scheduled_to_completed", ["scheduled", "completed"], ["maintenance_ended"]),
    (
        "started_then_gone",
        ["scheduled", "in_progress", None],
        ["maintenance_started", "maintenance_ended"],
    ),
    (
        "verifying_counts_as_started",
        ["scheduled", "verifying", "completed"],
        ["maintenance_started", "maintenance_ended"],
    ),
]


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [c[1:] for c in MAINTENANCE_CASES],
    ids=[c[0] for c in MAINTENANCE_CASES],
)
def test_maintenance_transitions(statuses: list[str | None], expected: list[str]) -> None:
    start = t(24 * 60)  # far away: no "starting soon"
    state, _ = run([page(t(0), maintenances=[maintenance("m", statuses[0] or "", start)])])
    obs = [
        page(t(i + 1), maintenances=[maintenance("m", s, start)] if s else [])
        for i, s in enumerate(statuses[1:])
    ]
    _, events = run(obs, state=state)
    assert kinds(events) == expected


def test_maintenance_starting_soon_on_first_read_and_not_after_its_end() -> None:
    cfg = settings(lead=60)
    soon = maintenance("m1", "scheduled", t(30))
    stale = maintenance("m2", "scheduled", t(-300), hours=1)  # window already over
    state, events = step(initial_state(), page(t(0), maintenances=[soon, stale]), cfg)
    assert kinds(events) == ["maintenance_soon"]
    _, events = run([Tick(t(1)), Tick(t(40))], cfg, state)
    assert events == ()


# ---- watch list and snapshot ----


def test_unwatched_components_do_not_count_but_still_make_events() -> None:
    cfg = settings(probes=False, watch=(API_COMPONENT,))
    state, events = run([page(t(0)), page(t(1), ai=H.MAJOR_OUTAGE)], cfg)
    assert kinds(events) == ["service_down"]  # for history; alerts apply the watch list
    snap = snapshot(state, cfg)
    assert snap.overall is H.OPERATIONAL
    assert snap.description == "All watched components are operational"
    assert {v.id: v.watched for v in snap.components} == {
        API_COMPONENT: True,
        CLAUDE_AI_COMPONENT: False,
    }
    state, events = step(state, page(t(2), api=H.DEGRADED, ai=H.MAJOR_OUTAGE), cfg)
    assert kinds(events) == ["service_degraded"]
    snap = snapshot(state, cfg)
    assert snap.overall is H.DEGRADED
    assert snap.description == "Claude API: degraded performance"


def test_snapshot_fields() -> None:
    cfg = settings(fail=1, ok=1)
    obs: list[Observation] = [
        page(t(0), incidents=[incident("i", "monitoring")], description="Minor Service Outage"),
        probes(t(1)),
        page(t(2), api=H.DEGRADED, incidents=[incident("i", "monitoring")]),
        Tick(t(3)),
    ]
    state, _ = run(obs, cfg)
    snap = snapshot(state, cfg, next_check=t(4))
    assert snap.overall is H.DEGRADED
    assert snap.last_checked == t(2)  # a Tick checks nothing
    assert snap.next_check == t(4)
    assert snap.page_url == "https://status.claude.com"
    assert [i.id for i in snap.incidents] == ["i"]
    assert [p.target for p in snap.probes] == ["api", "claude_ai"]
    assert snapshot(state, NO_PROBES).probes == ()
    views = {v.id: v for v in snap.components}
    assert views[API_COMPONENT].since == t(2)
    assert views[CLAUDE_AI_COMPONENT].since == t(0)
    assert views[CLAUDE_AI_COMPONENT].probe is H.OPERATIONAL


def test_snapshot_before_anything() -> None:
    snap = snapshot(initial_state(), DEFAULT)
    assert snap.overall is H.UNKNOWN
    assert snap.description == "Waiting for the first status check"
    assert snap.page_url == DEFAULT.status_page.url
    assert snap.last_checked is None
    assert [c.name for c in snap.components] == list(KNOWN_COMPONENT_NAMES.values())
    assert {(c.health, c.official, c.probe) for c in snap.components} == {
        (H.UNKNOWN, H.UNKNOWN, None)
    }
    watching = settings(watch=(API_COMPONENT, "custom"))
    assert [c.name for c in snapshot(initial_state(), watching).components] == [
        "Claude API",
        "custom",
    ]


def test_group_components_are_not_watched_by_default() -> None:
    group = Component(
        id="grp", name="Group", health=H.MAJOR_OUTAGE, raw_status="major_outage", is_group=True
    )
    obs = page(t(0))
    obs = PageObserved(
        dataclasses.replace(obs.snapshot, components=(*obs.snapshot.components, group))
    )
    state, events = step(initial_state(), obs, NO_PROBES)
    assert events == ()
    assert snapshot(state, NO_PROBES).overall is H.OPERATIONAL


# ---- persistence ----


def test_round_trip_is_exact_for_a_rich_state() -> None:
    obs = [
        *scripted_outage()[:8],
        page(t(20), api=H.MAJOR_OUTAGE, maintenances=[maintenance("m", "scheduled", t(30))]),
        page_failed(t(21), network=True),
    ]
    state, _ = run(obs)
    assert state.page is not None and state.page_failure is not None and state.probes
    data = state_to_dict(state)
    assert roundtrip(state) == state
    assert json.loads(json.dumps(data)) == data
    assert roundtrip(initial_state()) == initial_state()


def _garbage() -> list[tuple[str, object]]:
    good = state_to_dict(run(scripted_outage()[:6])[0])
    bad_time = json.loads(json.dumps(good))
    bad_time["last_checked"] = "yesterday"
    bad_enum = json.loads(json.dumps(good))
    bad_enum["components"][0]["health"] = "on fire"
    extra = json.loads(json.dumps(good))
    extra["surprise"] = 1
    wrong_type = json.loads(json.dumps(good))
    wrong_type["probes"][0]["bad_streak"] = "two"
    missing = json.loads(json.dumps(good))
    del missing["components"][0]["id"]
    return [
        ("none", None),
        ("list", []),
        ("no_version", {"components": []}),
        ("future_version", {"version": 99}),
        ("bad_time", bad_time),
        ("bad_enum", bad_enum),
        ("unknown_key", extra),
        ("wrong_type", wrong_type),
        ("missing_field", missing),
        ("bool_for_int", {**good, "probes": [{**good["probes"][0], "good_streak": True}]}),  # type: ignore[index]
    ]


@pytest.mark.parametrize(("data"), [g[1] for g in _garbage()], ids=[g[0] for g in _garbage()])
def test_state_from_dict_rejects_garbage(data: object) -> None:
    with pytest.raises(ValueError):
        state_from_dict(data)


def test_events_are_json_ready() -> None:
    _, events = run(scripted_outage())
    for event in events:
        json.dumps(event_to_dict(event))
    assert any(isinstance(e, StatusPageReachable) for e in events)
    assert not any(isinstance(e, MaintenanceStarted | MaintenanceEnded) for e in events)


# ---- a seeded random walk: invariants over many mixed observations ----


def _random_observation(rng: random.Random, at: datetime) -> Observation:
    healths = [H.OPERATIONAL] * 4 + [H.DEGRADED, H.PARTIAL_OUTAGE, H.MAJOR_OUTAGE, H.MAINTENANCE]
    outcomes = [UP] * 4 + [DOWN, UNREACH, ProbeOutcome.TIMEOUT]
    roll = rng.random()
    if roll < 0.35:
        statuses = ["investigating", "identified", "monitoring", "resolved"]
        incidents = [
            incident(f"i{n}", rng.choice(statuses)) for n in range(3) if rng.random() < 0.4
        ]
        m_status = rng.choice(["scheduled", "in_progress", "verifying", "completed", None])
        maints = [maintenance("m", m_status, T0 + timedelta(hours=2))] if m_status else []
        return page(
            at,
            api=rng.choice(healths),
            ai=rng.choice([*healths, None]),
            incidents=incidents,
            maintenances=maints,
        )
    if roll < 0.5:
        return page_failed(at, network=rng.random() < 0.5)
    if roll < 0.9:
        return probes(at, api=rng.choice(outcomes), ai=rng.choice([*outcomes, None]))
    return Tick(at)


@pytest.mark.parametrize("seed", range(4), ids=lambda s: f"seed{s}")
def test_random_walk_invariants(seed: int) -> None:
    rng = random.Random(seed)
    state = initial_state()
    for i in range(300):
        obs = _random_observation(rng, t(i))
        state, events = step(state, obs, DEFAULT)
        assert roundtrip(state) == state
        if state.offline:
            assert not any(e.kind.startswith("service_") for e in events)
        assert (snapshot(state, DEFAULT).overall is H.OFFLINE) is state.offline
        assert len(state.incidents) <= 3 and len(state.maintenances) <= 1
        if not isinstance(obs, ProbesObserved):  # hysteresis makes probe rounds cumulative
            again, repeated = step(state, obs, DEFAULT)
            assert repeated == () and again == state  # the same news twice is no news


def test_recently_resolved_incidents_are_in_the_snapshot_for_24_hours() -> None:
    opened = incident("i1", "investigating", created=t(0))
    state, _ = run([page(t(0), incidents=[opened]), page(t(30))], NO_PROBES)
    recent = snapshot(state, NO_PROBES).recently_resolved
    assert [(r.incident.id, r.resolved_at, r.lasted) for r in recent] == [
        ("i1", t(30), timedelta(minutes=30))
    ]
    state, _ = step(state, page(t(30 + 24 * 60 + 1)), NO_PROBES)
    assert snapshot(state, NO_PROBES).recently_resolved == ()
    assert state.incidents  # still kept for dedupe
