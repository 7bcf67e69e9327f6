"""Table tests for the pure noise-control policy (tray_app.sinks.alerts) and its text."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, time, timedelta, timezone
from typing import Any

import pytest

from tray_app.config.schema import (
    API_COMPONENT,
    CLAUDE_AI_COMPONENT,
    CLAUDE_CODE_COMPONENT,
    NotificationSettings,
    WatchSettings,
)
from tray_app.core.errors import ConfigError
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
    StatusPageUnreachable,
    WentOffline,
)
from tray_app.core.models import (
    ComponentView,
    Health,
    Incident,
    IncidentUpdate,
    Maintenance,
    MonitorSnapshot,
)
from tray_app.core.timefmt import format_duration
from tray_app.sinks.alert_state import MAX_HELD, MAX_SEEN_KEYS, AlertPolicyState, AlertPrefs
from tray_app.sinks.alerts import AlertPolicy, in_quiet_hours, parse_quiet_hours
from tray_app.sinks.notification import (
    BODY_MAX,
    TITLE_MAX,
    Notification,
    Urgency,
    make_notification,
    plain_text,
    trim,
)

UTC = timezone.utc
T0 = datetime(2026, 7, 21, 12, 0, tzinfo=UTC)  # a Tuesday
NAMES = {
    API_COMPONENT: "Claude API",
    CLAUDE_AI_COMPONENT: "claude.ai",
    CLAUDE_CODE_COMPONENT: "Claude Code",
}

# Real incident texts from status.claude.com/api/v2/incidents.json, captured by
# charles-chen/claude-statuses (see /work/shared/research/statuspage/README.md):
# anthropic_incidents_2026-07-21T15-38-21Z.json and anthropic_incidents_2026-04-14T07-23-20Z.json.
REAL_NAME = "Elevated errors on several models"
REAL_SHORTLINK = "https://stspg.io/74sqh6d7f9vq"
REAL_MULTILINE_BODY = (
    "We are investigating errors related to creating workspaces via the Claude Console at "
    "platform.claude.com and via the admin API\n\nOther functionality including inference and "
    "the messages API is not impacted"
)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def snap(**health: Health) -> MonitorSnapshot:
    """A snapshot with our three components; keyword args by short name: api, ai, code."""
    ids = {"api": API_COMPONENT, "ai": CLAUDE_AI_COMPONENT, "code": CLAUDE_CODE_COMPONENT}
    views = tuple(
        ComponentView(
            id=cid,
            name=NAMES[cid],
            health=health.get(short, Health.OPERATIONAL),
            official=health.get(short, Health.OPERATIONAL),
            probe=None,
            since=None,
        )
        for short, cid in ids.items()
    )
    worst = max((v.health for v in views), key=lambda h: h.rank)
    return MonitorSnapshot(overall=worst, description="", components=views)


OK_SNAP = snap()


def policy(watch: WatchSettings | None = None, **settings: Any) -> AlertPolicy:
    base = {"min_interval": 300.0}
    base.update(settings)
    return AlertPolicy(NotificationSettings(**base), watch or WatchSettings(), tz=UTC)


def down(cid: str = API_COMPONENT, minutes: float = 0, health: Health = Health.MAJOR_OUTAGE,
         probe_only: bool = False) -> ServiceDown:  # fmt: skip
    return ServiceDown(
        at=at(minutes),
        component_id=cid,
        name=NAMES[cid],
        health=health,
        previous=Health.OPERATIONAL,
        probe_only=probe_only,
    )


def degraded(cid: str = API_COMPONENT, minutes: float = 0) -> ServiceDegraded:
    return ServiceDegraded(
        at=at(minutes), component_id=cid, name=NAMES[cid], previous=Health.OPERATIONAL
    )


def recovered(cid: str = API_COMPONENT, minutes: float = 0, down_for: float | None = None,
              previous: Health = Health.MAJOR_OUTAGE) -> ServiceRecovered:  # fmt: skip
    return ServiceRecovered(
        at=at(minutes),
        component_id=cid,
        name=NAMES[cid],
        previous=previous,
        down_for=None if down_for is None else timedelta(minutes=down_for),
    )


def incident(
    name: str = REAL_NAME,
    body: str = "We are currently investigating this issue.",
    impact: str = "critical",
    components: tuple[str, ...] = (API_COMPONENT, CLAUDE_AI_COMPONENT),
    status: str = "investigating",
    update_id: str = "d99zn90y3pgg",
) -> Incident:
    return Incident(
        id="inc1",
        name=name,
        status=status,
        impact=impact,
        shortlink=REAL_SHORTLINK,
        created_at=T0,
        updated_at=T0,
        component_ids=components,
        latest_update=IncidentUpdate(update_id, status, body, T0, components),
    )


MAINT = Maintenance(
    id="m1",
    name="Database upgrade",
    status="scheduled",
    impact="maintenance",
    shortlink="https://stspg.io/m1",
    scheduled_for=at(60),
    scheduled_until=at(120),
    component_ids=(API_COMPONENT,),
)


def titles(notes: tuple[Notification, ...]) -> list[str]:
    return [n.title for n in notes]


# ---- which kinds notify, by default and when switched ----

KIND_CASES: list[tuple[str, Event, dict[str, Any], bool]] = [
    ("down default on", down(), {}, True),
    ("down switched off", down(), {"service_down": False}, False),
    ("degraded default off", degraded(), {}, False),
    ("degraded switched on", degraded(), {"service_degraded": True}, True),
    ("recovered default on", recovered(), {}, True),
    ("recovered switched off", recovered(), {"service_recovered": False}, False),
    ("incident opened default on", IncidentOpened(at=T0, incident=incident()), {}, True),
    (
        "incident updated default off",
        IncidentUpdated(at=T0, incident=incident(), previous_status="investigating", update=None),
        {},
        False,
    ),
    (
        "incident updated switched on",
        IncidentUpdated(at=T0, incident=incident(), previous_status="investigating", update=None),
        {"incident_updated": True},
        True,
    ),
    (
        "incident resolved default on",
        IncidentResolved(T0, incident(status="resolved"), None),
        {},
        True,
    ),
    ("maintenance default off", MaintenanceStarted(at=T0, maintenance=MAINT), {}, False),
    ("maintenance scheduled on", MaintenanceScheduled(T0, MAINT), {"maintenance": True}, True),
    ("maintenance soon on", MaintenanceStartingSoon(T0, MAINT), {"maintenance": True}, True),
    ("maintenance started on", MaintenanceStarted(T0, MAINT), {"maintenance": True}, True),
    ("maintenance ended on", MaintenanceEnded(T0, MAINT), {"maintenance": True}, True),
    ("offline default off", WentOffline(at=T0), {}, False),
    ("offline switched on", WentOffline(at=T0), {"offline": True}, True),
    ("back online switched on", BackOnline(at=T0), {"offline": True}, True),
    (
        "page unreachable follows offline",
        StatusPageUnreachable(T0, "HTTP 503"),
        {"offline": True},
        True,
    ),
    ("master switch off", down(), {"enabled": False}, False),
]


@pytest.mark.parametrize(
    ("event", "settings", "shown"), [c[1:] for c in KIND_CASES], ids=[c[0] for c in KIND_CASES]
)
def test_kind_switches(event: Event, settings: dict[str, Any], shown: bool) -> None:
    _, notes = policy(**settings).decide([event], snap(api=Health.MAJOR_OUTAGE), T0)
    assert len(notes) == (1 if shown else 0)


URGENCY_CASES = [
    ("major outage is critical", down(health=Health.MAJOR_OUTAGE), {}, Urgency.CRITICAL),
    ("partial outage is normal", down(health=Health.PARTIAL_OUTAGE), {}, Urgency.NORMAL),
    ("recovery is normal", recovered(), {}, Urgency.NORMAL),
    ("critical incident", IncidentOpened(T0, incident(impact="critical")), {}, Urgency.CRITICAL),
    ("minor incident", IncidentOpened(T0, incident(impact="minor")), {}, Urgency.NORMAL),
    ("maintenance is low", MaintenanceStarted(T0, MAINT), {"maintenance": True}, Urgency.LOW),
    ("offline is low", WentOffline(T0), {"offline": True}, Urgency.LOW),
]


@pytest.mark.parametrize(
    ("event", "settings", "urgency"),
    [c[1:] for c in URGENCY_CASES],
    ids=[c[0] for c in URGENCY_CASES],
)
def test_urgency(event: Event, settings: dict[str, Any], urgency: Urgency) -> None:
    _, notes = policy(**settings).decide([event], OK_SNAP, T0)
    assert [n.urgency for n in notes] == [urgency]


def test_urgency_levels_are_freedesktop_bytes() -> None:
    assert [u.level for u in Urgency] == [0, 1, 2]


# ---- content ----


def test_down_notification_content() -> None:
    (n,) = policy().decide([down()], snap(api=Health.MAJOR_OUTAGE), T0)[1]
    assert n.title == "Claude API down"
    assert n.body == "Claude API: major outage"
    assert n.keys == (down().key,)
    assert n.url == "https://status.claude.com"


def test_probe_only_outage_says_not_on_status_page_yet() -> None:
    (n,) = policy().decide([down(probe_only=True)], OK_SNAP, T0)[1]
    assert n.title == "Claude API down from here"
    assert "down from here (not on the status page yet)" in n.body


@pytest.mark.parametrize(
    ("down_for", "expected"),
    [
        (90.0, "Claude API is working again after 1 h 30 min down."),
        (None, "Claude API is working again."),
    ],
    ids=["with-duration", "start-not-observed"],
)
def test_recovered_says_how_long_it_was_down(down_for: float | None, expected: str) -> None:
    (n,) = policy().decide([recovered(down_for=down_for)], OK_SNAP, T0)[1]
    assert n.title == "Claude API is back"
    assert n.body == expected


def test_recovered_duration_from_tracked_down_when_event_lacks_it() -> None:
    p = policy()
    p.decide([down(minutes=0)], snap(api=Health.MAJOR_OUTAGE), at(0))
    (n,) = p.decide([recovered(minutes=45)], OK_SNAP, at(45))[1]
    assert n.body == "Claude API is working again after 45 min down."


def test_new_incident_has_title_affected_components_and_trimmed_first_update() -> None:
    long_body = "<p>We are <b>investigating</b> elevated errors.</p> " + "More detail. " * 40
    inc = incident(body=long_body)
    (n,) = policy().decide([IncidentOpened(T0, inc)], OK_SNAP, T0)[1]
    assert n.title == REAL_NAME
    assert n.body.startswith(
        "Affected: Claude API, claude.ai\nWe are investigating elevated errors."
    )
    assert len(n.body) <= BODY_MAX and n.body.endswith("…")
    assert n.url == REAL_SHORTLINK


def test_incident_url_falls_back_to_page_incident_path() -> None:
    inc = replace(incident(), shortlink=None)
    (n,) = policy().decide([IncidentOpened(T0, inc)], OK_SNAP, T0)[1]
    assert n.url == "https://status.claude.com/incidents/inc1"


def test_resolved_incident_says_how_long_it_lasted() -> None:
    inc = incident(status="resolved", body="This incident has been resolved.")
    event = IncidentResolved(T0, inc, timedelta(minutes=75))
    (n,) = policy().decide([event], OK_SNAP, T0)[1]
    assert n.title == f"Resolved: {REAL_NAME}"
    assert n.body == "Lasted 1 h 15 min. This incident has been resolved."


def test_service_url_points_at_open_incident_for_that_component() -> None:
    s = replace(snap(api=Health.MAJOR_OUTAGE), incidents=(incident(),))
    (n,) = policy().decide([down()], s, T0)[1]
    assert n.url == REAL_SHORTLINK


def test_maintenance_times_are_local() -> None:
    tz = timezone(timedelta(hours=2))
    p = AlertPolicy(NotificationSettings(maintenance=True), WatchSettings(), tz=tz)
    (n,) = p.decide([MaintenanceScheduled(T0, MAINT)], OK_SNAP, T0)[1]
    assert n.title == "Maintenance scheduled: Database upgrade"
    assert n.body == "Planned Tue 21 Jul 15:00 to Tue 21 Jul 16:00."


PLAIN_CASES = [
    (
        "html tags and entities",
        "<p>Errors on <b>Opus</b> &amp; Sonnet</p>",
        "Errors on Opus & Sonnet",
    ),
    ("markdown emphasis and code", "**Fixed** the `api` __now__", "Fixed the api now"),
    ("markdown link keeps text", "See [the post](https://example.com/x) now", "See the post now"),
    ("heading and quote markers", "## Update\n> quoted", "Update quoted"),
    ("control characters", "a\x00b\x07c\x1b[31md", "abc[31md"),
    ("bidi override removed", "safe\u202etxt.exe", "safetxt.exe"),
    ("whitespace collapsed", "  a \t\r\n\n  b  ", "a b"),
    ("real multi-line update", REAL_MULTILINE_BODY, REAL_MULTILINE_BODY.replace("\n\n", " ")),
]


@pytest.mark.parametrize(
    ("raw", "expected"), [c[1:] for c in PLAIN_CASES], ids=[c[0] for c in PLAIN_CASES]
)
def test_plain_text(raw: str, expected: str) -> None:
    assert plain_text(raw) == expected


TRIM_CASES = [
    ("short kept", "hello", 10, "hello"),
    ("exact kept", "0123456789", 10, "0123456789"),
    ("cut mid word", "abcdefghijklmnop", 10, "abcdefghi…"),
    ("cut at word", "alpha beta gamma delta", 18, "alpha beta gamma…"),
]


@pytest.mark.parametrize(
    ("text", "limit", "expected"), [c[1:] for c in TRIM_CASES], ids=[c[0] for c in TRIM_CASES]
)
def test_trim(text: str, limit: int, expected: str) -> None:
    out = trim(text, limit)
    assert out == expected
    assert len(out) <= limit


def test_make_notification_limits_and_one_line_title() -> None:
    n = make_notification("T\n" * 100, "b\x00ody " * 100)
    assert len(n.title) <= TITLE_MAX and "\n" not in n.title and n.title.endswith("…")
    assert len(n.body) <= BODY_MAX and "\x00" not in n.body
    with pytest.raises(ValueError):
        Notification(title="x" * (TITLE_MAX + 1), body="")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (5, "5 s"),
        (300, "5 min"),
        (3600, "1 h"),
        (3900, "1 h 5 min"),
        (90000, "1 d 1 h"),
        (-3, "0 s"),
    ],
    ids=["seconds", "minutes", "hour", "hour-minutes", "days", "negative"],
)
def test_format_duration(seconds: int, text: str) -> None:
    assert format_duration(timedelta(seconds=seconds)) == text


# ---- coalescing ----


def test_several_components_failing_in_one_check_make_one_notification() -> None:
    events = [down(API_COMPONENT), down(CLAUDE_AI_COMPONENT, health=Health.PARTIAL_OUTAGE),
              down(CLAUDE_CODE_COMPONENT, probe_only=True)]  # fmt: skip
    (n,) = policy().decide(events, snap(api=Health.MAJOR_OUTAGE), T0)[1]
    assert n.title == "3 services down: Claude API, claude.ai, Claude Code"
    assert n.body.splitlines() == [
        "Claude API: major outage",
        "claude.ai: partial outage",
        "Claude Code: down from here (not on the status page yet)",
    ]
    assert n.urgency is Urgency.CRITICAL
    assert n.keys == tuple(e.key for e in events)


def test_an_outage_and_its_new_incident_in_one_check_make_one_notification() -> None:
    opened = IncidentOpened(at=T0, incident=incident(components=(API_COMPONENT,)))
    events = [opened, down(API_COMPONENT)]
    (n,) = policy().decide(events, snap(api=Health.MAJOR_OUTAGE), T0)[1]
    # the cause first: the incident's name is the title, the services follow, then the update
    assert n.title == REAL_NAME
    assert n.body.splitlines() == [
        "major outage: Claude API",
        "We are currently investigating this issue.",
    ]
    assert n.url == REAL_SHORTLINK
    assert n.urgency is Urgency.CRITICAL
    assert set(n.keys) == {opened.key, events[1].key}
    assert n.threads == (f"component:{API_COMPONENT}", "incident:inc1")
    assert not n.ends


def test_six_services_and_their_incident_the_cause_leads_and_names_are_compact() -> None:
    """The issue's case: an incident opens and six services go down in one check; the title
    was "6 services down: claude.ai, platform.claude.com (formerly…" and the name was cut off."""
    names = {
        "a": "claude.ai",
        "b": "platform.claude.com (formerly console.anthropic.com)",
        "c": "Claude API (api.anthropic.com)",
        "d": "Claude Code",
        "e": "Claude Cowork",
        "f": "Claude for Government",
    }
    views = tuple(
        ComponentView(cid, name, Health.PARTIAL_OUTAGE, Health.PARTIAL_OUTAGE, None, None)
        for cid, name in names.items()
    )
    snapshot = MonitorSnapshot(Health.PARTIAL_OUTAGE, "", views)
    opened = IncidentOpened(T0, incident(body=REAL_MULTILINE_BODY, components=tuple(names)))
    events: list[Event] = [opened]
    events += [
        ServiceDown(T0, cid, name, Health.PARTIAL_OUTAGE, Health.OPERATIONAL)
        for cid, name in names.items()
    ]
    (n,) = policy().decide(events, snapshot, T0)[1]
    assert n.title == REAL_NAME
    lines = n.body.splitlines()
    assert lines[0] == "partial outage: claude.ai, platform.claude.com, API +3"
    assert lines[1].startswith("We are investigating errors related to creating workspaces")


def test_six_services_without_an_incident_fit_the_title_compactly_down_and_back() -> None:
    """Without an incident the title named the services in full and was cut after two."""
    names = {
        "a": "claude.ai",
        "b": "Claude Console (platform.claude.com)",
        "c": "Claude API (api.anthropic.com)",
        "d": "Claude Code",
        "e": "Claude Cowork",
        "f": "Claude for Government",
    }
    views = tuple(
        ComponentView(cid, name, Health.MAJOR_OUTAGE, Health.MAJOR_OUTAGE, None, None)
        for cid, name in names.items()
    )
    p = policy()
    downs = [
        ServiceDown(T0, c, n, Health.MAJOR_OUTAGE, Health.OPERATIONAL) for c, n in names.items()
    ]
    (n,) = p.decide(downs, MonitorSnapshot(Health.MAJOR_OUTAGE, "", views), T0)[1]
    assert n.title == "6 services down: claude.ai, Console, API +3"
    assert n.body.splitlines()[1] == "Claude Console (platform.claude.com): major outage"
    ups = [ServiceRecovered(at(5), c, n, Health.MAJOR_OUTAGE, None) for c, n in names.items()]
    (back,) = p.decide(ups, OK_SNAP, at(5))[1]
    assert back.title == "6 services back: claude.ai, Console, API +3"


def test_a_service_going_down_under_an_open_incident_is_titled_by_the_incident() -> None:
    snapshot = replace(snap(api=Health.MAJOR_OUTAGE), incidents=(incident(),))
    (n,) = policy().decide([down(API_COMPONENT)], snapshot, T0)[1]
    assert n.title == REAL_NAME
    assert n.body.splitlines()[0] == "major outage: Claude API"
    assert "incident:inc1" in n.threads


def test_a_recovery_and_its_resolved_incident_in_one_check_make_one_notification() -> None:
    p = policy()
    p.decide([down(API_COMPONENT)], snap(api=Health.MAJOR_OUTAGE), T0)
    resolved = IncidentResolved(
        at=at(30), incident=incident(components=(API_COMPONENT,), status="resolved"),
        lasted=timedelta(minutes=30),
    )  # fmt: skip
    (n,) = p.decide([recovered(API_COMPONENT, 30, down_for=30), resolved], OK_SNAP, at(30))[1]
    assert n.title == "Claude API is back"
    assert f"Resolved: {REAL_NAME}" in n.body
    assert n.ends and set(n.threads) == {f"component:{API_COMPONENT}", "incident:inc1"}


def test_a_partial_recovery_says_what_is_still_in_trouble() -> None:
    p = policy()
    p.decide([down(API_COMPONENT), down(CLAUDE_AI_COMPONENT)],
             snap(api=Health.MAJOR_OUTAGE, ai=Health.MAJOR_OUTAGE), T0)  # fmt: skip
    (n,) = p.decide([recovered(API_COMPONENT, 5)], snap(ai=Health.MAJOR_OUTAGE), at(5))[1]
    assert n.body.splitlines()[-1] == "Still in trouble: claude.ai"


def test_an_incident_about_another_component_stays_separate() -> None:
    opened = IncidentOpened(at=T0, incident=incident(components=(CLAUDE_CODE_COMPONENT,)))
    notes = policy().decide([opened, down(API_COMPONENT)], snap(api=Health.MAJOR_OUTAGE), T0)[1]
    assert titles(notes) == [REAL_NAME, "Claude API down"]


def test_several_recoveries_in_one_check_make_one_notification() -> None:
    events = [recovered(API_COMPONENT, down_for=10), recovered(CLAUDE_AI_COMPONENT)]
    (n,) = policy().decide(events, OK_SNAP, T0)[1]
    assert n.title == "2 services back: Claude API, claude.ai"
    assert n.body == "Claude API: back after 10 min\nclaude.ai: back"


# ---- flapping: minimum interval per component ----

# Each step: (minute, events, snapshot health of the API, expected titles at that step).
FLAP_CASES: list[tuple[str, list[tuple[float, list[Event], Health, list[str]]]]] = [
    (
        # each is news; the bubble is updated in place (threads), not held back
        "down-up-down inside the interval: each told at once",
        [
            (0, [down(minutes=0)], Health.MAJOR_OUTAGE, ["Claude API down"]),
            (1, [recovered(minutes=1)], Health.OPERATIONAL, ["Claude API is back"]),
            (2, [down(minutes=2)], Health.MAJOR_OUTAGE, ["Claude API down"]),
            (6, [], Health.MAJOR_OUTAGE, []),
        ],
    ),
    (
        "a recovery inside the interval is never held",
        [
            (0, [down(minutes=0)], Health.MAJOR_OUTAGE, ["Claude API down"]),
            (1, [recovered(minutes=1)], Health.OPERATIONAL, ["Claude API is back"]),
            (5, [], Health.OPERATIONAL, []),
            (9, [], Health.OPERATIONAL, []),
        ],
    ),
    (
        "the issue's case: major, partial after 10 s (held), operational after 20 s: back at once",
        [
            (0, [down(minutes=0)], Health.MAJOR_OUTAGE, ["Claude API down"]),
            (10 / 60, [down(minutes=10 / 60, health=Health.PARTIAL_OUTAGE)],
             Health.PARTIAL_OUTAGE, []),
            (20 / 60, [recovered(minutes=20 / 60)], Health.OPERATIONAL, ["Claude API is back"]),
            (6, [], Health.OPERATIONAL, []),
        ],
    ),
    (
        "recovery after the interval is immediate",
        [
            (0, [down(minutes=0)], Health.MAJOR_OUTAGE, ["Claude API down"]),
            (10, [recovered(minutes=10)], Health.OPERATIONAL, ["Claude API is back"]),
        ],
    ),
    (
        "worsening inside the interval is told at its end",
        [
            (0, [down(minutes=0, health=Health.PARTIAL_OUTAGE)], Health.PARTIAL_OUTAGE,
             ["Claude API down"]),
            (2, [down(minutes=2)], Health.MAJOR_OUTAGE, []),
            (5, [], Health.MAJOR_OUTAGE, ["Claude API down"]),
        ],
    ),
]  # fmt: skip


@pytest.mark.parametrize("steps", [c[1] for c in FLAP_CASES], ids=[c[0] for c in FLAP_CASES])
def test_flapping(steps: list[tuple[float, list[Event], Health, list[str]]]) -> None:
    p = policy(min_interval=300.0)
    for minute, events, health, expected in steps:
        _, notes = p.decide(events, snap(api=health), at(minute))
        assert titles(notes) == expected, f"at minute {minute}"


def test_recovery_reports_the_real_outage_length_from_the_first_down() -> None:
    p = policy(min_interval=300.0)
    p.decide([down(minutes=0)], snap(api=Health.MAJOR_OUTAGE), at(0))
    p.decide([down(minutes=10 / 60, health=Health.PARTIAL_OUTAGE)],
             snap(api=Health.PARTIAL_OUTAGE), at(10 / 60))  # fmt: skip
    (n,) = p.decide([recovered(minutes=20 / 60)], OK_SNAP, at(20 / 60))[1]
    assert n.body == "Claude API is working again after 20 s down."
    assert n.ends and n.threads == (f"component:{API_COMPONENT}",)
    assert p.decide([], OK_SNAP, at(6))[1] == ()  # nothing left pending


def test_min_interval_is_per_component() -> None:
    p = policy(min_interval=300.0)
    p.decide([down(API_COMPONENT)], snap(api=Health.MAJOR_OUTAGE), at(0))
    notes = p.decide([down(CLAUDE_AI_COMPONENT, minutes=1)], snap(ai=Health.MAJOR_OUTAGE), at(1))[1]
    assert titles(notes) == ["claude.ai down"]


def test_recovery_of_an_untold_degradation_is_silent() -> None:
    notes = policy().decide([recovered(previous=Health.DEGRADED)], OK_SNAP, T0)[1]
    assert notes == ()


# ---- dedupe ----


def test_dedupe_by_event_key_within_a_run() -> None:
    p = policy()
    event = IncidentOpened(T0, incident())
    assert len(p.decide([event, event], OK_SNAP, T0)[1]) == 1
    assert p.decide([event], OK_SNAP, at(1))[1] == ()


def test_dedupe_survives_a_restart_through_json() -> None:
    p = policy(incident_updated=True)
    opened = IncidentOpened(T0, incident())
    p.decide([opened], OK_SNAP, T0)
    saved = json.dumps(p.to_dict())

    restarted = AlertPolicy.from_dict(p.settings, p.watch, json.loads(saved), tz=UTC)
    assert restarted.decide([opened], OK_SNAP, at(1))[1] == ()
    # the first update was already shown by the "opened" notification
    same_update = IncidentUpdated(at(1), incident(), "investigating", incident().latest_update)
    assert restarted.decide([same_update], OK_SNAP, at(1))[1] == ()
    new_update = IncidentUpdate("u2", "identified", "The issue has been identified.", at(2))
    shown = restarted.decide([IncidentUpdated(at(2), incident(), "investigating", new_update)],
                             OK_SNAP, at(2))[1]  # fmt: skip
    assert titles(shown) == [f"Identified: {REAL_NAME}"]
    assert shown[0].body == "The issue has been identified."


def test_restart_keeps_component_state_and_held_notifications() -> None:
    p = policy(quiet_hours="22:00-07:00")
    p.decide([down()], snap(api=Health.MAJOR_OUTAGE), at(11 * 60))  # 23:00: held
    restored = AlertPolicyState.from_dict(json.loads(json.dumps(p.state.to_dict())))
    assert restored == p.state


def test_seen_keys_are_bounded() -> None:
    p = policy()
    events = [
        IncidentOpened(T0, replace(incident(), id=f"i{n}")) for n in range(MAX_SEEN_KEYS + 50)
    ]
    state, _ = p.decide(events, OK_SNAP, T0)
    assert len(state.seen_keys) == MAX_SEEN_KEYS
    assert events[-1].key in state.seen_keys and events[0].key not in state.seen_keys


@pytest.mark.parametrize(
    "data",
    [None, [], {"version": 99}, {"version": 1, "components": {"x": {"told": "bogus"}}},
     {"version": 1, "held": [{"nope": 1}]}],
    ids=["none", "list", "future-version", "bad-health", "bad-held"],
)  # fmt: skip
def test_unreadable_state_gives_fresh_state(data: Any) -> None:
    assert AlertPolicyState.from_dict(data) == AlertPolicyState()


# ---- snooze ----


def test_snooze_shows_nothing_and_does_not_replay() -> None:
    p = policy()
    prefs = AlertPrefs(snoozed_until=at(60))
    assert p.decide([down()], snap(api=Health.MAJOR_OUTAGE), at(0), prefs)[1] == ()
    assert p.decide([IncidentOpened(at(1), incident())], OK_SNAP, at(1), prefs)[1] == ()
    # snooze over: the incident is not replayed, but the recovery of the outage is told
    notes = p.decide(
        [IncidentOpened(at(61), incident()), recovered(minutes=61)], OK_SNAP, at(61), prefs
    )[1]
    assert titles(notes) == ["Claude API is back"]
    assert notes[0].body == "Claude API is working again after 1 h 1 min down."


def test_snooze_drops_what_quiet_hours_held() -> None:
    p = policy(quiet_hours="22:00-07:00")
    p.decide([down()], snap(api=Health.MAJOR_OUTAGE), at(11 * 60))  # 23:00
    assert p.decide([], OK_SNAP, at(19 * 60), AlertPrefs(snoozed_until=at(20 * 60)))[1] == ()
    assert p.decide([], OK_SNAP, at(21 * 60))[1] == ()


# ---- quiet hours ----

QUIET_CASES = [
    ("inside before midnight", "22:00-07:00", time(23, 30), True),
    ("inside after midnight", "22:00-07:00", time(3, 0), True),
    ("start is inside", "22:00-07:00", time(22, 0), True),
    ("end is outside", "22:00-07:00", time(7, 0), False),
    ("daytime outside", "22:00-07:00", time(12, 0), False),
    ("same-day span inside", "12:30-13:30", time(13, 0), True),
    ("same-day span outside", "12:30-13:30", time(14, 0), False),
    ("empty is never quiet", "", time(23, 0), False),
    ("equal ends are never quiet", "07:00-07:00", time(7, 0), False),
]


@pytest.mark.parametrize(
    ("spec", "local", "quiet"), [c[1:] for c in QUIET_CASES], ids=[c[0] for c in QUIET_CASES]
)
def test_quiet_hours_span(spec: str, local: time, quiet: bool) -> None:
    assert in_quiet_hours(parse_quiet_hours(spec), local) is quiet


@pytest.mark.parametrize("spec", ["22-07", "25:00-07:00", "22:00-07:60", "late"], ids=str)
def test_bad_quiet_hours_name_the_key(spec: str) -> None:
    with pytest.raises(ConfigError, match=r"notifications\.quiet_hours"):
        parse_quiet_hours(spec)


def test_quiet_hours_hold_then_one_summary_when_they_end() -> None:
    p = policy(quiet_hours="22:00-07:00")
    assert p.decide([down()], snap(api=Health.MAJOR_OUTAGE), at(10 * 60 + 30))[1] == ()  # 22:30
    assert p.decide([IncidentOpened(at(13 * 60), incident())], OK_SNAP, at(13 * 60))[1] == ()
    assert p.decide([recovered(minutes=15 * 60)], OK_SNAP, at(15 * 60))[1] == ()  # 03:00
    assert p.decide([], OK_SNAP, at(18 * 60 + 59))[1] == ()  # 06:59
    (summary,) = p.decide([], OK_SNAP, at(19 * 60))[1]  # 07:00 tick
    assert summary.title == "During quiet hours: 3 alerts"
    assert summary.body.splitlines() == ["Claude API down", REAL_NAME, "Claude API is back"]
    assert summary.urgency is Urgency.CRITICAL
    assert len(summary.keys) == 3
    assert p.decide([], OK_SNAP, at(19 * 60 + 1))[1] == ()


def test_quiet_hours_single_held_alert_is_shown_as_itself() -> None:
    p = policy(quiet_hours="22:00-07:00")
    p.decide([IncidentOpened(at(11 * 60), incident())], OK_SNAP, at(11 * 60))
    (n,) = p.decide([], OK_SNAP, at(19 * 60))[1]
    assert n.title == REAL_NAME


def test_quiet_hours_use_the_policy_time_zone() -> None:
    tz = timezone(timedelta(hours=-5))  # 12:00 UTC = 07:00 local: just outside
    p = AlertPolicy(NotificationSettings(quiet_hours="22:00-07:00"), WatchSettings(), tz=tz)
    assert len(p.decide([down()], OK_SNAP, T0)[1]) == 1
    p2 = AlertPolicy(NotificationSettings(quiet_hours="22:00-07:00"), WatchSettings(), tz=tz)
    assert p2.decide([down(minutes=-1)], OK_SNAP, at(-1))[1] == ()


def test_held_notifications_are_bounded() -> None:
    p = policy(quiet_hours="00:00-23:59")
    for n in range(MAX_HELD + 5):
        p.decide([IncidentOpened(T0, replace(incident(), id=f"i{n}"))], OK_SNAP, T0)
    assert len(p.state.held) == MAX_HELD


# ---- per-component and per-model filters ----


def test_only_when_back_skips_down_but_tells_recovery() -> None:
    p = policy(only_when_back=(API_COMPONENT,))
    assert p.decide([down()], snap(api=Health.MAJOR_OUTAGE), at(0))[1] == ()
    (n,) = p.decide([recovered(minutes=30, previous=Health.DEGRADED)], OK_SNAP, at(30))[1]
    assert n.body == "Claude API is working again after 30 min down."


def test_only_when_back_other_components_still_notify() -> None:
    p = policy(only_when_back=(API_COMPONENT,))
    notes = p.decide([down(API_COMPONENT), down(CLAUDE_AI_COMPONENT)], OK_SNAP, T0)[1]
    assert titles(notes) == ["claude.ai down"]


WATCH_CASES: list[tuple[str, tuple[str, ...], Event, bool]] = [
    ("all watched by default", (), down(CLAUDE_AI_COMPONENT), True),
    ("watched component", (API_COMPONENT,), down(API_COMPONENT), True),
    ("unwatched component", (API_COMPONENT,), down(CLAUDE_AI_COMPONENT), False),
    ("unwatched recovery", (API_COMPONENT,), recovered(CLAUDE_AI_COMPONENT), False),
    (
        "incident touching a watched component",
        (CLAUDE_AI_COMPONENT,),
        IncidentOpened(T0, incident(components=(API_COMPONENT, CLAUDE_AI_COMPONENT))),
        True,
    ),
    (
        "incident on unwatched components only",
        (CLAUDE_CODE_COMPONENT,),
        IncidentOpened(T0, incident(components=(API_COMPONENT,))),
        False,
    ),
    (
        "incident naming no component",
        (CLAUDE_CODE_COMPONENT,),
        IncidentOpened(T0, incident(components=())),
        True,
    ),
]


@pytest.mark.parametrize(
    ("components", "event", "shown"), [c[1:] for c in WATCH_CASES], ids=[c[0] for c in WATCH_CASES]
)
def test_watched_components(components: tuple[str, ...], event: Event, shown: bool) -> None:
    p = policy(WatchSettings(components=components))
    assert len(p.decide([event], OK_SNAP, T0)[1]) == (1 if shown else 0)


KEYWORD_CASES: list[tuple[str, tuple[str, ...], Incident, bool]] = [
    ("no keywords: everything", (), incident(name="Elevated errors on Haiku 4.5"), True),
    ("name matches, any case", ("haiku",), incident(name="Elevated errors on Haiku 4.5"), True),
    ("name does not match", ("Opus",), incident(name="Elevated errors on Haiku 4.5"), False),
    (
        "update body matches",
        ("Opus",),
        incident(name=REAL_NAME, body="Errors on Claude Opus 4.1 requests"),
        True,
    ),
    ("one of several matches", ("Opus", "Sonnet"), incident(name="Sonnet 4 slow"), True),
]


@pytest.mark.parametrize(
    ("keywords", "inc", "shown"), [c[1:] for c in KEYWORD_CASES], ids=[c[0] for c in KEYWORD_CASES]
)
def test_keyword_filter_for_incidents(
    keywords: tuple[str, ...], inc: Incident, shown: bool
) -> None:
    p = policy(WatchSettings(keywords=keywords))
    assert len(p.decide([IncidentOpened(T0, inc)], OK_SNAP, T0)[1]) == (1 if shown else 0)


def test_keyword_filter_does_not_hide_service_outages() -> None:
    p = policy(WatchSettings(keywords=("Opus",)))
    assert titles(p.decide([down()], snap(api=Health.MAJOR_OUTAGE), T0)[1]) == ["Claude API down"]


# ---- reminders ----

REMINDER_CASES = [
    ("off by default", 0.0, [(29, []), (30, []), (90, [])]),
    (
        "every 30 minutes while down",
        30.0,
        [(29, []), (30, ["Still down: Claude API"]), (45, []), (60, ["Still down: Claude API"])],
    ),
]


@pytest.mark.parametrize(
    ("every", "ticks"), [c[1:] for c in REMINDER_CASES], ids=[c[0] for c in REMINDER_CASES]
)
def test_reminders_for_long_outages(every: float, ticks: list[tuple[float, list[str]]]) -> None:
    p = policy(reminder_minutes=every)
    p.decide([down()], snap(api=Health.MAJOR_OUTAGE), at(0))
    for minute, expected in ticks:
        assert titles(p.decide([], snap(api=Health.MAJOR_OUTAGE), at(minute))[1]) == expected


def test_reminder_body_says_how_long_and_stops_after_recovery() -> None:
    p = policy(reminder_minutes=30.0)
    p.decide([down()], snap(api=Health.MAJOR_OUTAGE), at(0))
    (n,) = p.decide([], snap(api=Health.MAJOR_OUTAGE), at(90))[1]
    assert n.body == "Claude API: down for 1 h 30 min"
    p.decide([recovered(minutes=100)], OK_SNAP, at(100))
    assert p.decide([], OK_SNAP, at(200))[1] == ()


def test_no_saved_state_on_a_first_run_is_silent(caplog: pytest.LogCaptureFixture) -> None:
    assert AlertPolicyState.from_dict(None) == AlertPolicyState()
    assert not caplog.records


def test_no_reminders_for_a_component_the_user_stopped_watching() -> None:
    p = policy(reminder_minutes=30)
    p.decide([down()], snap(api=Health.MAJOR_OUTAGE), T0)
    assert titles(p.decide([], snap(api=Health.MAJOR_OUTAGE), at(31))[1]) == [
        "Still down: Claude API"
    ]
    p.update_settings(p.settings, WatchSettings((CLAUDE_AI_COMPONENT,)))
    assert p.decide([], snap(api=Health.MAJOR_OUTAGE), at(62))[1] == ()


def test_an_incident_that_matched_the_keywords_is_followed_to_its_resolution() -> None:
    p = policy(watch=WatchSettings(keywords=("Opus",)))
    opened = incident(name="Elevated errors", body="Requests to Claude Opus fail.")
    fixed = incident(name="Elevated errors", body="A fix has been implemented.", status="resolved")
    assert titles(p.decide([IncidentOpened(at=T0, incident=opened)], OK_SNAP, T0)[1]) == [
        "Elevated errors"
    ]
    resolved = IncidentResolved(at=at(30), incident=fixed, lasted=timedelta(minutes=30))
    assert titles(p.decide([resolved], OK_SNAP, at(30))[1]) == ["Resolved: Elevated errors"]


def test_quiet_hours_changed_from_the_settings_apply_at_once() -> None:
    p = policy()
    p.update_settings(NotificationSettings(quiet_hours="00:00-23:59"), WatchSettings())
    assert p.decide([down()], snap(api=Health.MAJOR_OUTAGE), T0)[1] == ()


# ---- "tell me when it's back": a one-shot mode per outage ----


def test_tell_when_back_silences_updates_and_tells_the_recovery_exactly_once() -> None:
    p = policy(min_interval=60.0, reminder_minutes=10, incident_updated=True)
    snapshot = replace(snap(api=Health.MAJOR_OUTAGE), incidents=(incident(),))
    (first,) = p.decide([down(minutes=0)], snapshot, at(0))[1]
    p.tell_when_back(first.threads)
    update = IncidentUpdated(at(3), incident(status="identified", update_id="u2"),
                             "investigating", None)  # fmt: skip
    worse = down(minutes=4, health=Health.PARTIAL_OUTAGE)
    assert p.decide([update, worse], snapshot, at(4))[1] == ()
    assert p.decide([], snapshot, at(30))[1] == ()  # no reminder, no settled severity change
    (back,) = p.decide([recovered(minutes=40)], OK_SNAP, at(40))[1]
    assert back.title == "Claude API is back" and back.ends
    # the next outage of the same service is news again
    notes = p.decide([down(minutes=50)], snap(api=Health.MAJOR_OUTAGE), at(50))[1]
    assert titles(notes) == ["Claude API down"]


def test_tell_when_back_silences_a_new_incident_about_the_muted_service() -> None:
    """An incident opening on a service whose "Tell me when it's back" is on is news of that
    outage: silent, as are its updates; the one "back" still comes when it is over."""
    p = policy(incident_updated=True)
    (first,) = p.decide([down(minutes=0)], snap(api=Health.MAJOR_OUTAGE), at(0))[1]
    p.tell_when_back(first.threads)
    late = replace(incident(components=(API_COMPONENT,)), id="inc9")
    snapshot = replace(snap(api=Health.MAJOR_OUTAGE), incidents=(late,))
    assert p.decide([IncidentOpened(at=at(5), incident=late)], snapshot, at(5))[1] == ()
    update = IncidentUpdated(at(8), replace(late, status="identified"), "investigating", None)
    assert p.decide([update], snapshot, at(8))[1] == ()
    fixed = replace(late, status="resolved")
    events = [recovered(minutes=20), IncidentResolved(at=at(20), incident=fixed, lasted=None)]
    (back,) = p.decide(events, OK_SNAP, at(20))[1]
    assert back.ends and back.title.endswith("is back")
    # an incident on another service is still news
    other = replace(incident(components=(CLAUDE_AI_COMPONENT,)), id="inc10")
    assert len(p.decide([IncidentOpened(at=at(30), incident=other)], OK_SNAP, at(30))[1]) == 1


def test_tell_when_back_survives_a_restart_and_overrides_the_recovered_switch() -> None:
    p = policy(service_recovered=False)
    (first,) = p.decide([down(minutes=0)], snap(api=Health.MAJOR_OUTAGE), at(0))[1]
    p.tell_when_back(first.threads)
    again = AlertPolicy.from_dict(
        NotificationSettings(service_recovered=False), WatchSettings(), json.loads(
            json.dumps(p.to_dict())), tz=UTC,
    )  # fmt: skip
    (back,) = again.decide([recovered(minutes=9)], OK_SNAP, at(9))[1]
    assert back.title == "Claude API is back"
    assert again.decide([recovered(minutes=19)], OK_SNAP, at(19))[1] == ()


def test_escaped_markup_is_decoded_then_stripped_never_a_live_tag() -> None:
    """Issue 11 item 10: entities were decoded after tags were stripped, so an escaped link
    came out as a real <a href> for the notify-send fallback."""
    raw = "Fixed &lt;a href=&quot;https://evil.example/&quot;&gt;details&lt;/a&gt; &amp; more"
    assert plain_text(raw) == "Fixed details & more"
    n = make_notification("&lt;b&gt;Title&lt;/b&gt;", raw)
    assert "<" not in n.title + n.body and "href" not in n.body


def test_two_incidents_about_the_service_the_latest_update_still_comes_last() -> None:
    other = replace(incident(name="Elevated errors on Claude Code"), id="inc2")
    snapshot = replace(snap(api=Health.MAJOR_OUTAGE), incidents=(incident(), other))
    (n,) = policy().decide([down(API_COMPONENT)], snapshot, T0)[1]
    assert n.title == REAL_NAME
    assert n.body.splitlines() == [
        "major outage: Claude API",
        "Also: Elevated errors on Claude Code",
        "We are currently investigating this issue.",
    ]
