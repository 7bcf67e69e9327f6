"""Issue 13 point 3, from the menu: "Tell me when it's back" on each troubled service — the
same one-shot as the notification's button. Pure menu data first, then the real runtime on a
private session bus with the recording notification server and a loopback status page."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.rigs_dbus import RecordingServer, private_session_bus, recording_notification_server
from tests.statusserver import API_401, CLOUDFLARE_403, StatusServer, summary_doc
from tray_app.app import Runtime, runtime_menu_prefs
from tray_app.config.load import load_config
from tray_app.config.schema import API_COMPONENT
from tray_app.core.models import ComponentView, Health, MonitorSnapshot
from tray_app.platform.paths import AppPaths
from tray_app.sinks.menu import TELL_WHEN_BACK, UNTIL_BACK_TEXT, MenuItemSpec, MenuPrefs, build_menu
from tray_app.sinks.tray_menu import TrayActions, TrayMenu

NOW = datetime(2026, 10, 7, 12, 0, tzinfo=timezone.utc)
OK = "ok0000000001"


def view(cid: str, name: str, health: Health) -> ComponentView:
    return ComponentView(cid, name, health, health, None, None)


def flat(items: tuple[MenuItemSpec, ...]) -> list[MenuItemSpec]:
    return [x for i in items for x in (i, *flat(i.submenu))]


def until_back_items(items: tuple[MenuItemSpec, ...]) -> list[MenuItemSpec]:
    return [i for i in flat(items) if i.action == TELL_WHEN_BACK]


def test_each_troubled_service_offers_the_one_shot_and_shows_it_when_on() -> None:
    snapshot = MonitorSnapshot(
        Health.MAJOR_OUTAGE,
        "Major outage",
        (
            view(API_COMPONENT, "Claude API", Health.MAJOR_OUTAGE),
            view(OK, "Fine", Health.OPERATIONAL),
        ),
    )
    (item,) = until_back_items(build_menu(snapshot, MenuPrefs(), NOW))
    assert (item.text, item.arg, item.checked) == (UNTIL_BACK_TEXT, (API_COMPONENT, True), False)
    prefs = MenuPrefs(until_back=(API_COMPONENT,))
    (item,) = until_back_items(build_menu(snapshot, prefs, NOW))
    assert (item.arg, item.checked) == ((API_COMPONENT, False), True)  # a click takes it back
    healthy = MonitorSnapshot(Health.OPERATIONAL, "", (view(OK, "Fine", Health.OPERATIONAL),))
    assert until_back_items(build_menu(healthy, MenuPrefs(), NOW)) == []


def wait_until(check: Callable[[], bool], what: str, deadline: float = 20.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {deadline:.0f} s: {what}")


@pytest.fixture
def bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingServer]:
    with private_session_bus() as env, recording_notification_server(env, tmp_path) as server:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", env["DBUS_SESSION_BUS_ADDRESS"])
        yield server


def test_the_menu_one_shot_silences_the_outage_and_tells_once_when_back(
    status_server: StatusServer, bus: RecordingServer, tmp_path: Path
) -> None:
    status_server.set_summary(summary_doc())
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    paths = AppPaths.default()
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text(
        f"""
[status_page]
url = "{status_server.url}"
interval = 1

[probes]
interval = 1
api_url = "{status_server.url}/v1/models"
claude_ai_url = "{status_server.url}/"

[notifications]
min_interval = 1
""",
        encoding="utf-8",
    )
    runtime = Runtime(load_config(paths.config_file), paths, notify=True, record=False)
    assert runtime.announcer is not None
    snapshots: list[MonitorSnapshot] = []
    runtime.start(snapshots.append)
    try:
        status_server.set_summary(summary_doc("critical", {API_COMPONENT: "major_outage"}))
        (down,) = bus.wait_for_notify(1)

        # the click, through the tray's own wiring
        actions = TrayActions(
            check_now=lambda: None, set_watched=lambda c, on: None, snooze=lambda d: None,
            set_notifications=lambda on: None, set_autostart=lambda on: None,
            open_url=lambda u: None, open_path=lambda p: None, quit=lambda: None,
            tell_when_back=runtime.announcer.set_until_back,
        )  # fmt: skip
        menu = build_menu(snapshots[-1], runtime_menu_prefs(runtime), NOW)
        (item,) = until_back_items(menu)
        TrayMenu(None, actions, paths, lambda: None)._perform(item)
        wait_until(lambda: runtime_menu_prefs(runtime).until_back == (API_COMPONENT,), "saved")
        (shown,) = until_back_items(build_menu(snapshots[-1], runtime_menu_prefs(runtime), NOW))
        assert shown.checked

        status_server.set_summary(summary_doc("major", {API_COMPONENT: "partial_outage"}))
        polls = len(status_server.requests_for("/api/v2/summary.json"))
        status_server.wait_for_requests("/api/v2/summary.json", polls + 4)
        assert len(bus.notify_calls()) == 1  # the severity change: silenced

        status_server.set_summary(summary_doc())
        calls = bus.wait_for_notify(2)
        time.sleep(2.5)
        assert len(bus.notify_calls()) == 2  # told exactly once
    finally:
        runtime.stop()
    back = calls[1]
    assert back["summary"] == "Claude API (api.anthropic.com) is back"
    assert back["replaces_id"] == down["id"]
    assert runtime_menu_prefs(runtime).until_back == ()  # over: nothing left to wait for
