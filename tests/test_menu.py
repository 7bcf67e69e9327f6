"""The menu and tooltip as plain data: no pystray, fixed clock, fixed time zone."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tray_app import __version__
from tray_app.config.schema import DEFAULT_STATUS_PAGE
from tray_app.core.models import (
    ComponentView,
    Health,
    Incident,
    Maintenance,
    MonitorSnapshot,
    ResolvedIncident,
)
from tray_app.core.timefmt import until_tomorrow
from tray_app.sinks.menu import (
    ACTIONS,
    CHECK_NOW,
    OPEN_LOG_FOLDER,
    OPEN_SETTINGS,
    OPEN_URL,
    QUIT,
    SET_AUTOSTART,
    SET_NOTIFICATIONS,
    SET_WATCHED,
    SHOW_HISTORY,
    SNOOZE,
    SNOOZE_UNTIL_TOMORROW,
    TOOLTIP_MAX,
    MenuItemSpec,
    MenuPrefs,
    build_menu,
    tooltip_text,
)

UTC = timezone.utc
NOW = datetime(2026, 3, 4, 14, 3, 15, tzinfo=UTC)
PAGE = DEFAULT_STATUS_PAGE  # a label in these pure tests


def view(cid: str, name: str, health: Health, probe: Health | None = None) -> ComponentView:
    official = health if probe is None else Health.OPERATIONAL
    return ComponentView(cid, name, health, official, probe, since=None)


API = view("api", "Claude API", Health.OPERATIONAL)
WEB = view("web", "claude.ai", Health.OPERATIONAL)
CODE = view("code", "Claude Code", Health.OPERATIONAL)

OPUS = Incident(
    id="inc1",
    name="Elevated errors on Opus",
    status="investigating",
    impact="major",
    shortlink="https://stspg.io/abc",
    created_at=NOW - timedelta(minutes=12),
    updated_at=NOW,
    component_ids=("api",),
)
WINDOW = Maintenance(
    id="m1",
    name="Database upgrade",
    status="scheduled",
    impact="maintenance",
    shortlink=None,
    scheduled_for=datetime(2026, 3, 5, 2, 0, tzinfo=UTC),
    scheduled_until=datetime(2026, 3, 5, 4, 0, tzinfo=UTC),
)


def snap(*components: ComponentView, **kw: object) -> MonitorSnapshot:
    overall = kw.pop("overall", Health.OPERATIONAL)
    assert isinstance(overall, Health)
    return MonitorSnapshot(
        overall=overall,
        description=str(kw.pop("description", "")),
        components=components,
        last_checked=NOW - timedelta(seconds=15),
        next_check=NOW + timedelta(seconds=45),
        **kw,  # type: ignore[arg-type]
    )


def texts(items: tuple[MenuItemSpec, ...]) -> list[str]:
    return [i.text for i in items]


def find(items: tuple[MenuItemSpec, ...], text: str) -> MenuItemSpec:
    for item in items:
        if item.text == text:
            return item
        for sub in item.submenu:
            if sub.text == text:
                return sub
    raise AssertionError(f"{text!r} not in {texts(items)}")


def walk(items: tuple[MenuItemSpec, ...]) -> list[MenuItemSpec]:
    out: list[MenuItemSpec] = []
    for item in items:
        out.append(item)
        out.extend(walk(item.submenu))
    return out


def test_operational_menu_has_every_entry_of_the_issue_in_order() -> None:
    menu = build_menu(snap(API, WEB), MenuPrefs(), NOW, tz=UTC)
    assert [t for t in texts(menu) if t != "-"] == [
        "Claude: all systems operational",
        "✓ Claude API: operational",
        "✓ claude.ai: operational",
        "Last checked 14:03",
        "Check now",
        "Open status page",
        "Open claude.ai",
        "Open Console",
        "Show history…",
        "Notifications",
        "Watched services",
        "Start at login",
        "Open settings file",
        "Open log folder",
        f"About: Claude Status Tray {__version__}",
        "Quit",
    ]


def test_every_action_name_is_known_and_every_enabled_leaf_has_one() -> None:
    menu = build_menu(
        snap(API, WEB, incidents=(OPUS,), maintenances=(WINDOW,)), MenuPrefs(), NOW, tz=UTC
    )
    for item in walk(menu):
        if item.action is not None:
            assert item.action in ACTIONS
        elif item.enabled and not item.submenu:
            raise AssertionError(f"enabled item without an action: {item.text!r}")


@pytest.mark.parametrize(
    ("text", "action", "arg"),
    [
        ("Check now", CHECK_NOW, None),
        ("Open status page", OPEN_URL, PAGE),
        ("Open claude.ai", OPEN_URL, "https://claude.ai/"),
        ("Open Console", OPEN_URL, "https://console.anthropic.com/"),
        ("Open settings file", OPEN_SETTINGS, None),
        ("Open log folder", OPEN_LOG_FOLDER, None),
        ("Show history…", SHOW_HISTORY, None),
        ("Quit", QUIT, None),
        ("Snooze 1 hour", SNOOZE, timedelta(hours=1)),
        ("Snooze until tomorrow", SNOOZE_UNTIL_TOMORROW, None),
        ("Resume", SNOOZE, None),
    ],
    ids=lambda v: str(v),
)
def test_item_actions(text: str, action: str, arg: object) -> None:
    item = find(build_menu(snap(API), MenuPrefs(), NOW, tz=UTC), text)
    assert (item.action, item.arg) == (action, arg)


@pytest.mark.parametrize(
    ("health", "expected"),
    [
        (Health.OPERATIONAL, "Claude: all systems operational"),
        (Health.OFFLINE, "Claude: offline, your network is down"),
        (Health.STATUS_PAGE_UNREACHABLE, "Claude: the status page cannot be read; status unknown"),
        (Health.UNKNOWN, "Claude: status unknown — Claude API"),
        (Health.MAJOR_OUTAGE, "Claude: major outage — Claude API"),
    ],
    ids=lambda v: str(v),
)
def test_overall_line_is_the_headline(health: Health, expected: str) -> None:
    api = view("api", "Claude API", health if health.rank >= 0 else Health.UNKNOWN)
    s = snap(api, overall=health, description="Major Service Outage")
    assert build_menu(s, MenuPrefs(), NOW, tz=UTC)[0].text == expected


def test_probe_only_component_carries_the_down_from_here_note() -> None:
    down = view("api", "Claude API", Health.MAJOR_OUTAGE, probe=Health.MAJOR_OUTAGE)
    menu = build_menu(snap(down, overall=Health.MAJOR_OUTAGE), MenuPrefs(), NOW, tz=UTC)
    assert "✗ Claude API: major outage — down from here (not on the status page yet)" in texts(menu)


def test_incidents_open_their_page_and_show_impact_status_and_latest_update() -> None:
    no_link = Incident(
        "inc2",
        "Slow uploads",
        "identified",
        "minor",
        None,
        NOW - timedelta(hours=2, minutes=5),
        NOW - timedelta(minutes=40),
    )
    menu = build_menu(snap(API, incidents=(OPUS, no_link)), MenuPrefs(), NOW, tz=UTC)
    opus = find(menu, "Elevated errors on Opus — major impact, investigating, updated 14:03")
    assert (opus.action, opus.arg, opus.enabled) == (OPEN_URL, "https://stspg.io/abc", True)
    slow = find(menu, "Slow uploads — minor impact, identified, updated 13:23")
    assert slow.arg == f"{PAGE}/incidents/inc2"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("scheduled", "Maintenance Thu 02:00: Database upgrade"),
        ("in_progress", "🔧 Maintenance now: Database upgrade until Thu 04:00"),
    ],
    ids=["upcoming", "in-progress"],
)
def test_maintenance_line(status: str, expected: str) -> None:
    m = Maintenance(**{**WINDOW.__dict__, "status": status})
    menu = build_menu(snap(API, maintenances=(m,)), MenuPrefs(), NOW, tz=UTC)
    assert find(menu, expected).arg == PAGE


@pytest.mark.parametrize(
    ("last", "nxt", "expected"),
    [
        (None, None, "Not checked yet"),
        (NOW, None, "Last checked 14:03"),
        (NOW, NOW + timedelta(minutes=3), "Last checked 14:03"),
        (NOW, NOW - timedelta(seconds=5), "Last checked 14:03"),
    ],
    ids=["never", "no-next", "next-in-minutes", "overdue"],
)
def test_last_checked_line(last: datetime | None, nxt: datetime | None, expected: str) -> None:
    s = MonitorSnapshot(Health.OPERATIONAL, "", last_checked=last, next_check=nxt)
    assert expected in texts(build_menu(s, MenuPrefs(), NOW, tz=UTC))


def test_last_checked_is_shown_in_the_local_zone() -> None:
    plus2 = timezone(timedelta(hours=2))
    assert "Last checked 16:03" in texts(build_menu(snap(API), MenuPrefs(), NOW, tz=plus2))


@pytest.mark.parametrize(
    ("prefs", "checked", "snooze_enabled", "resume_enabled", "notice"),
    [
        (MenuPrefs(), True, True, False, None),
        (MenuPrefs(notifications_enabled=False), False, False, False, "Notifications are off"),
        (
            MenuPrefs(snoozed_until=NOW + timedelta(hours=1)),
            True,
            True,
            True,
            "Notifications snoozed until 15:03",
        ),
        (MenuPrefs(snoozed_until=NOW - timedelta(seconds=1)), True, True, False, None),
    ],
    ids=["on", "off", "snoozed", "snooze-expired"],
)
def test_notifications_submenu(
    prefs: MenuPrefs, checked: bool, snooze_enabled: bool, resume_enabled: bool, notice: str | None
) -> None:
    menu = build_menu(snap(API), prefs, NOW, tz=UTC)
    enabled = find(menu, "Enabled")
    assert (enabled.checked, enabled.action, enabled.arg) == (
        checked,
        SET_NOTIFICATIONS,
        not checked,
    )
    assert find(menu, "Snooze 1 hour").enabled is snooze_enabled
    assert find(menu, "Resume").enabled is resume_enabled
    if notice:
        assert not find(menu, notice).enabled


@pytest.mark.parametrize(
    ("watched", "api", "web", "lines"),
    [
        ((), True, True, ["✓ Claude API: operational", "✓ claude.ai: operational"]),
        (("web",), False, True, ["✓ claude.ai: operational"]),
    ],
    ids=["all", "only-web"],
)
def test_watched_submenu_and_component_lines(
    watched: tuple[str, ...], api: bool, web: bool, lines: list[str]
) -> None:
    menu = build_menu(snap(API, WEB), MenuPrefs(watched=watched), NOW, tz=UTC)
    box = find(menu, "Watched services")
    assert [(i.text, i.checked, i.action, i.arg) for i in box.submenu] == [
        ("Claude API", api, SET_WATCHED, ("api", not api)),
        ("claude.ai", web, SET_WATCHED, ("web", not web)),
    ]
    assert [t for t in texts(menu) if t.endswith(": operational")] == lines


def test_watched_submenu_before_the_page_was_read() -> None:
    box = find(
        build_menu(MonitorSnapshot(Health.UNKNOWN, ""), MenuPrefs(), NOW), "Watched services"
    )
    assert len(box.submenu) == 1 and not box.submenu[0].enabled


@pytest.mark.parametrize("on", [True, False], ids=["on", "off"])
def test_start_at_login_checkbox(on: bool) -> None:
    item = find(build_menu(snap(API), MenuPrefs(autostart=on), NOW, tz=UTC), "Start at login")
    assert (item.checked, item.action, item.arg) == (on, SET_AUTOSTART, not on)


def test_page_error_and_last_alert_are_shown() -> None:
    s = snap(API, page_error="HTTP 503")
    menu = build_menu(s, MenuPrefs(last_alert="Claude API: major outage"), NOW, tz=UTC)
    assert "Status page: HTTP 503" in texts(menu)
    assert "Last alert: Claude API: major outage" in texts(menu)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 3, 4, 14, 0, tzinfo=UTC), timedelta(hours=18)),
        (datetime(2026, 3, 4, 1, 30, tzinfo=UTC), timedelta(hours=6, minutes=30)),
        (datetime(2026, 3, 4, 8, 0, tzinfo=UTC), timedelta(hours=24)),
    ],
    ids=["afternoon", "small-hours", "exactly-8"],
)
def test_until_tomorrow(now: datetime, expected: timedelta) -> None:
    assert until_tomorrow(now, UTC) == expected


@pytest.mark.parametrize(
    ("snapshot", "expected"),
    [
        (snap(API, WEB), "Claude: all systems operational"),
        (
            snap(
                view("api", "Claude API", Health.MAJOR_OUTAGE),
                WEB,
                overall=Health.MAJOR_OUTAGE,
                incidents=(OPUS,),
            ),
            "Claude: major outage — Claude API · Elevated errors on Opus (investigating, 12 min)",
        ),
        (
            snap(
                view("web", "claude.ai", Health.DEGRADED),
                view("api", "Claude API", Health.PARTIAL_OUTAGE),
                overall=Health.PARTIAL_OUTAGE,
                incidents=(OPUS,),
            ),
            "Claude: partial outage — Claude API; degraded performance — claude.ai · "
            "Elevated errors on Opus (investigating, 12 min)",
        ),
        (
            snap(
                view("api", "Claude API", Health.MAJOR_OUTAGE, probe=Health.MAJOR_OUTAGE),
                overall=Health.MAJOR_OUTAGE,
            ),
            "Claude: major outage — Claude API (from here) · not on the status page yet",
        ),
        (
            snap(
                view("api", "Claude API", Health.MAINTENANCE),
                overall=Health.MAINTENANCE,
                maintenances=(WINDOW,),
            ),
            "Claude: under maintenance — Claude API · Database upgrade",
        ),
        (snap(API, overall=Health.OFFLINE), "Claude: offline, your network is down"),
        (MonitorSnapshot(Health.UNKNOWN, ""), "Claude: status unknown (not checked yet)"),
        (
            snap(API, incidents=(OPUS,)),
            "Claude: all systems operational · Elevated errors on Opus (investigating, 12 min)",
        ),
    ],
    ids=[
        "ok",
        "major",
        "two-problems",
        "probe-only",
        "maintenance",
        "offline",
        "unknown",
        "incident-only",
    ],
)
def test_tooltip(snapshot: MonitorSnapshot, expected: str) -> None:
    assert tooltip_text(snapshot, NOW) == expected


def test_tooltip_is_capped_for_windows() -> None:
    long = Incident(**{**OPUS.__dict__, "name": "x" * 300})
    s = snap(view("api", "Claude API", Health.MAJOR_OUTAGE), incidents=(long,))
    text = tooltip_text(s, NOW)
    assert len(text) == TOOLTIP_MAX and text.endswith("…")


def test_until_tomorrow_counts_real_time_across_a_dst_change() -> None:
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")  # clocks go back one hour in the night of 25 Oct 2026
    evening = datetime(2026, 10, 24, 20, 0, tzinfo=berlin)
    assert until_tomorrow(evening, berlin) == timedelta(hours=13)


# ---- the menu reads like the icon, says "last known", and does not tick ----


@pytest.mark.parametrize(
    ("health", "line"),
    [
        (Health.OPERATIONAL, "✓ Claude API: operational"),
        (Health.DEGRADED, "! Claude API: degraded performance"),
        (Health.PARTIAL_OUTAGE, "!! Claude API: partial outage"),
        (Health.MAJOR_OUTAGE, "✗ Claude API: major outage"),
        (Health.MAINTENANCE, "🔧 Claude API: under maintenance"),
        (Health.UNKNOWN, "? Claude API: unknown"),
    ],
    ids=lambda v: str(v),
)
def test_service_lines_start_with_the_icons_glyph(health: Health, line: str) -> None:
    menu = build_menu(snap(view("api", "Claude API", health)), MenuPrefs(), NOW, tz=UTC)
    assert line in texts(menu)


@pytest.mark.parametrize(
    ("overall", "page_error", "first"),
    [
        (
            Health.OFFLINE,
            None,
            "Claude: offline, your network is down since 14:01; "
            "last known at 13:55: all systems operational",
        ),
        (
            Health.STATUS_PAGE_UNREACHABLE,
            "HTTP 503",
            "Claude: the status page cannot be read; last known at 13:55: all systems operational",
        ),
    ],
    ids=["offline", "page-unreadable"],
)
def test_offline_or_unreadable_menu_says_last_known_and_since_when(
    overall: Health, page_error: str | None, first: str
) -> None:
    s = snap(
        API,
        WEB,
        overall=overall,
        page_error=page_error,
        page_read_at=NOW - timedelta(minutes=8),
        offline_since=NOW - timedelta(minutes=2) if overall is Health.OFFLINE else None,
    )
    menu = texts(build_menu(s, MenuPrefs(), NOW, tz=UTC))
    assert menu[0] == first
    assert "✓ Claude API: operational — last known at 13:55" in menu
    assert "✓ claude.ai: operational — last known at 13:55" in menu
    assert not [t for t in menu if t.endswith(": operational")]  # never bare "operational"


def test_before_the_page_was_ever_read_a_service_only_our_probe_answers_is_unknown() -> None:
    """As the headline and `check` say it: the official status is unknown, only our probe
    answers (the menu said "✓ Claude API: operational — not read yet")."""
    answering = ComponentView("api", "Claude API", Health.OPERATIONAL, Health.UNKNOWN,
                              Health.OPERATIONAL, since=None)  # fmt: skip
    unprobed = ComponentView("code", "Claude Code", Health.UNKNOWN, Health.UNKNOWN, None, None)
    s = snap(answering, unprobed, overall=Health.STATUS_PAGE_UNREACHABLE, page_error="HTTP 503")
    menu = texts(build_menu(s, MenuPrefs(), NOW, tz=UTC))
    assert menu[0] == (
        "Claude: the status page cannot be read; status unknown, "
        "though Claude API answers from here"
    )
    assert "? Claude API: unknown — status page not read; answers from here" in menu
    assert "? Claude Code: unknown" in menu
    assert not [t for t in menu if "operational" in t]


def resolved(name: str, started: datetime, ended: datetime, iid: str) -> ResolvedIncident:
    inc = Incident(iid, name, "resolved", "minor", None, started, ended)
    return ResolvedIncident(inc, ended)


def test_recently_resolved_submenu_names_durations_and_opens_each_page() -> None:
    s = snap(
        API,
        incidents=(OPUS,),
        recently_resolved=(
            resolved(
                "Elevated errors on Opus", NOW - timedelta(hours=5), NOW - timedelta(hours=4), "r1"
            ),
            resolved(
                "Login failures",
                NOW - timedelta(hours=9),
                NOW - timedelta(hours=8, minutes=15),
                "r2",
            ),
        ),
    )
    menu = build_menu(s, MenuPrefs(), NOW, tz=UTC)
    box = find(menu, "Recently resolved")
    assert [(i.text, i.action, i.arg) for i in box.submenu] == [
        (
            "Elevated errors on Opus (started 09:03) — minor impact, lasted 1 h, resolved 10:03",
            OPEN_URL,
            f"{PAGE}/incidents/r1",
        ),
        (
            "Login failures — minor impact, lasted 45 min, resolved 05:48",
            OPEN_URL,
            f"{PAGE}/incidents/r2",
        ),
    ]
    # the open one with the same name is told apart by its start time too
    assert (
        "Elevated errors on Opus (started 13:51) — major impact, investigating, updated 14:03"
        in texts(menu)
    )


def test_no_recently_resolved_submenu_when_nothing_ended() -> None:
    assert "Recently resolved" not in texts(build_menu(snap(API), MenuPrefs(), NOW, tz=UTC))


def test_the_menu_does_not_change_while_nothing_it_shows_changes() -> None:
    s = snap(API, WEB, incidents=(OPUS,), maintenances=(WINDOW,))
    first = build_menu(s, MenuPrefs(), NOW, tz=UTC)
    for later in (timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=7)):
        assert build_menu(s, MenuPrefs(), NOW + later, tz=UTC) == first


def test_tooltip_keeps_last_known_when_many_services_are_down() -> None:
    names = ["claude.ai", "Claude Console (platform.claude.com)", "Claude API (api.anthropic.com)"]
    names += ["Claude Code", "Claude Cowork", "Claude for Government"]
    down = [view(f"c{i}", name, Health.MAJOR_OUTAGE) for i, name in enumerate(names)]
    s = snap(
        *down,
        overall=Health.MAJOR_OUTAGE,
        page_error="HTTP 503",
        page_read_at=NOW - timedelta(minutes=20),
    )
    text = tooltip_text(s, NOW, UTC)
    assert len(text) <= TOOLTIP_MAX
    assert text.startswith("Claude: major outage — claude.ai, Claude Console")
    assert text.endswith("more · last known at 13:43, the status page cannot be read"), text
