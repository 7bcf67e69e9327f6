"""The announcer between the policy and the backends: one bubble per outage (replaced in
place, the ones it now covers closed), nothing counted as told that nobody saw, what waits kept
across restarts. Pure: backends that record; the D-Bus side is in test_notify_dbus.py and
test_e2e_watch.py."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tray_app.config.schema import (
    API_COMPONENT,
    CLAUDE_AI_COMPONENT,
    NotificationSettings,
    WatchSettings,
)
from tray_app.core.events import Event, ServiceDown, ServiceRecovered
from tray_app.core.models import ComponentView, Health, MonitorSnapshot
from tray_app.sinks.alert_state import AlertPrefs
from tray_app.sinks.announce import Announcer
from tray_app.sinks.notification import Notification
from tray_app.sinks.notify import MenuLineBackend, Notifier

T0 = datetime(2026, 7, 21, 12, 0, tzinfo=timezone.utc)
NAMES = {API_COMPONENT: "Claude API", CLAUDE_AI_COMPONENT: "claude.ai"}


class Screen:
    """A backend with ids, like a notification server: shows, replaces, closes."""

    name = "screen"
    visible = True

    def __init__(self) -> None:
        self.works = True
        self.next_id = 1
        self.calls: list[tuple[str, int, str]] = []  # (method, id or replaces, title)
        self.on_screen: dict[int, str] = {}

    def send(self, n: Notification, replaces: int | None = None) -> int | None:
        if not self.works:
            raise OSError("no server")
        nid = replaces or self.next_id
        if not replaces:
            self.next_id += 1
        self.calls.append(("Notify", replaces or 0, n.title))
        self.on_screen[nid] = n.title
        return nid

    def withdraw(self, notification_id: int) -> bool:
        self.calls.append(("Close", notification_id, ""))
        self.on_screen.pop(notification_id, None)
        return True

    def close(self) -> None:
        pass


def snap(**health: Health) -> MonitorSnapshot:
    views = tuple(
        ComponentView(cid, name, health.get(cid, Health.OPERATIONAL),
                      health.get(cid, Health.OPERATIONAL), None, None)
        for cid, name in NAMES.items()
    )  # fmt: skip
    return MonitorSnapshot(max((v.health for v in views), key=lambda h: h.rank), "", views)


def down(cid: str, minutes: float) -> ServiceDown:
    at = T0 + timedelta(minutes=minutes)
    return ServiceDown(at, cid, NAMES[cid], Health.MAJOR_OUTAGE, Health.OPERATIONAL)


def back(cid: str, minutes: float) -> ServiceRecovered:
    at = T0 + timedelta(minutes=minutes)
    return ServiceRecovered(at, cid, NAMES[cid], Health.MAJOR_OUTAGE, timedelta(minutes=minutes))


def announcer(tmp_path: Path) -> Announcer:
    return Announcer.load(NotificationSettings(), WatchSettings(), tmp_path / "alerts.json")


def step(
    a: Announcer, notifier: Notifier, minutes: float, events: list[Event], **health: Health
) -> None:
    now = T0 + timedelta(minutes=minutes)
    a.announce(notifier, snap(**health), tuple(events), now, AlertPrefs())


def test_later_news_replaces_the_bubble_and_a_covered_bubble_is_closed(tmp_path: Path) -> None:
    screen = Screen()
    notifier = Notifier([screen])
    a = announcer(tmp_path)
    step(a, notifier, 0, [down(API_COMPONENT, 0)], **{API_COMPONENT: Health.MAJOR_OUTAGE})
    both = {API_COMPONENT: Health.MAJOR_OUTAGE, CLAUDE_AI_COMPONENT: Health.MAJOR_OUTAGE}
    step(a, notifier, 1, [down(CLAUDE_AI_COMPONENT, 1)], **both)
    step(a, notifier, 2, [back(API_COMPONENT, 2), back(CLAUDE_AI_COMPONENT, 2)])
    assert screen.calls == [
        ("Notify", 0, "Claude API down"),
        ("Notify", 0, "claude.ai down"),
        ("Notify", 2, "2 services back: Claude API, claude.ai"),
        ("Close", 1, ""),
    ]
    assert screen.on_screen == {2: "2 services back: Claude API, claude.ai"}  # nothing stale


def test_news_waits_for_a_visible_backend_and_survives_a_restart(tmp_path: Path) -> None:
    screen, menu = Screen(), MenuLineBackend()
    screen.works = False
    notifier = Notifier([screen, menu])
    a = announcer(tmp_path)
    step(a, notifier, 0, [down(API_COMPONENT, 0)], **{API_COMPONENT: Health.MAJOR_OUTAGE})
    assert menu.text == "Claude API down: Claude API: major outage"  # the menu line has it...
    assert [n.title for n in a.pending] == ["Claude API down"]  # ...but nobody was told
    saved = json.loads((tmp_path / "alerts.json").read_text(encoding="utf-8"))
    assert [n["title"] for n in saved["pending"]] == ["Claude API down"]

    again = announcer(tmp_path)  # a restart
    screen.works = True
    step(again, notifier, 1, [], **{API_COMPONENT: Health.MAJOR_OUTAGE})
    assert screen.calls == [("Notify", 0, "Claude API down")]
    assert again.pending == []


def test_an_outage_over_before_anyone_could_be_told_is_dropped(tmp_path: Path) -> None:
    screen = Screen()
    screen.works = False
    notifier = Notifier([screen, MenuLineBackend()])
    a = announcer(tmp_path)
    step(a, notifier, 0, [down(API_COMPONENT, 0)], **{API_COMPONENT: Health.MAJOR_OUTAGE})
    step(a, notifier, 3, [back(API_COMPONENT, 3)])
    assert a.pending == []
    screen.works = True
    step(a, notifier, 4, [])
    assert screen.calls == []  # neither "down" nor "back" of an outage nobody saw


def test_bubbles_are_remembered_across_a_restart(tmp_path: Path) -> None:
    screen = Screen()
    notifier = Notifier([screen])
    step(announcer(tmp_path), notifier, 0, [down(API_COMPONENT, 0)],
         **{API_COMPONENT: Health.MAJOR_OUTAGE})  # fmt: skip
    step(announcer(tmp_path), notifier, 9, [back(API_COMPONENT, 9)])
    assert screen.calls == [("Notify", 0, "Claude API down"), ("Notify", 1, "Claude API is back")]


def test_tell_when_back_from_a_bubble_click(tmp_path: Path) -> None:
    screen = Screen()
    notifier = Notifier([screen])
    a = announcer(tmp_path)
    step(a, notifier, 0, [down(API_COMPONENT, 0)], **{API_COMPONENT: Health.MAJOR_OUTAGE})
    a.on_action(999, "until-back")  # not ours: nothing
    assert a.until_back_components() == ()
    a.on_action(1, "until-back")
    assert a.until_back_components() == (API_COMPONENT,)
    saved = json.loads((tmp_path / "alerts.json").read_text(encoding="utf-8"))
    assert saved["until_back"] == [f"component:{API_COMPONENT}"]


def test_waiting_news_is_dropped_when_its_outage_ended_unannounced(tmp_path: Path) -> None:
    """The "back" may never come (recoveries switched off): a waiting "down" whose service is
    fine again is not shown late."""
    screen = Screen()
    screen.works = False
    notifier = Notifier([screen, MenuLineBackend()])
    a = Announcer.load(
        NotificationSettings(service_recovered=False), WatchSettings(), tmp_path / "alerts.json"
    )
    step(a, notifier, 0, [down(API_COMPONENT, 0)], **{API_COMPONENT: Health.MAJOR_OUTAGE})
    assert len(a.pending) == 1
    screen.works = True
    step(a, notifier, 3, [back(API_COMPONENT, 3)])
    assert screen.calls == [] and a.pending == []


def test_snooze_drops_what_waits(tmp_path: Path) -> None:
    screen = Screen()
    screen.works = False
    notifier = Notifier([screen, MenuLineBackend()])
    a = announcer(tmp_path)
    step(a, notifier, 0, [down(API_COMPONENT, 0)], **{API_COMPONENT: Health.MAJOR_OUTAGE})
    screen.works = True
    snoozed = AlertPrefs(snoozed_until=T0 + timedelta(hours=1))
    a.announce(notifier, snap(**{API_COMPONENT: Health.MAJOR_OUTAGE}), (), T0, snoozed)
    step(a, notifier, 61, [], **{API_COMPONENT: Health.MAJOR_OUTAGE})
    assert screen.calls == []
