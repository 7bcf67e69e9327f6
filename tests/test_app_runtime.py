"""The app's runtime (monitor + sinks) in process, against a loopback status server: what the
tray's menu actions do to the settings file, the watched services and the snooze."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator

import pytest

from tests.statusserver import (
    API_401,
    CLOUDFLARE_403,
    SUMMARY_PATH,
    StatusServer,
    summary_doc,
)
from tray_app.app import Runtime
from tray_app.config.load import load_config
from tray_app.config.schema import API_COMPONENT, CLAUDE_AI_COMPONENT
from tray_app.core.models import Health, MonitorSnapshot
from tray_app.platform.paths import AppPaths


def wait_until(check: Callable[[], bool], what: str, deadline: float = 15.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def loopback_paths(status_server: StatusServer) -> AppPaths:
    """The app's folders, with a config file that polls the loopback server every second."""
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    paths = AppPaths.default()
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text(
        f"""# my own notes: keep me
[status_page]
url = "{status_server.url}"  # a local mirror
interval = 1

[probes]
interval = 1
api_url = "{status_server.url}/v1/models"
claude_ai_url = "{status_server.url}/"
""",
        encoding="utf-8",
    )
    return paths


@pytest.fixture
def runtime(status_server: StatusServer) -> Iterator[Runtime]:
    status_server.set_summary(summary_doc("critical", {CLAUDE_AI_COMPONENT: "major_outage"}))
    paths = loopback_paths(status_server)
    rt = Runtime(load_config(paths.config_file), paths, notify=False)
    snapshots: list[MonitorSnapshot] = []
    rt.start(snapshots.append)
    wait_until(lambda: bool(snapshots) and snapshots[-1].last_checked is not None, "a check")
    try:
        yield rt
    finally:
        rt.stop()


def test_unwatching_the_broken_service_turns_the_icon_green_and_is_saved(
    runtime: Runtime,
) -> None:
    assert runtime.monitor.snapshot.overall is Health.MAJOR_OUTAGE
    runtime.choices.change_settings({"watch.components": [API_COMPONENT]})
    wait_until(lambda: runtime.monitor.snapshot.overall is Health.OPERATIONAL, "green")
    text = runtime.paths.config_file.read_text(encoding="utf-8")
    assert "# my own notes: keep me" in text
    assert "# a local mirror" in text
    assert load_config(runtime.paths.config_file).settings.watch.components == (API_COMPONENT,)
    views = {c.id: c for c in runtime.monitor.snapshot.components}
    assert views[API_COMPONENT].watched
    assert not views[CLAUDE_AI_COMPONENT].watched


def test_a_broken_settings_file_is_not_replaced_by_a_menu_click(runtime: Runtime) -> None:
    broken = runtime.paths.config_file.read_text(encoding="utf-8") + "\n[probes\n"
    runtime.paths.config_file.write_text(broken, encoding="utf-8")
    runtime.choices.change_settings({"notifications.enabled": False})
    wait_until(lambda: runtime.menu_line.text is not None, "the menu's message")
    assert "Settings not saved" in (runtime.menu_line.text or "")
    assert runtime.paths.config_file.read_text(encoding="utf-8") == broken
    assert runtime.settings.notifications.enabled


def test_snooze_is_saved_and_resumed(runtime: Runtime) -> None:
    from datetime import timedelta

    from tray_app.platform.prefs import load_prefs

    runtime.choices.snooze(timedelta(hours=1))
    saved = load_prefs(runtime.paths.prefs_file).snoozed_until
    assert saved is not None and saved == runtime.choices.prefs.snoozed_until
    runtime.choices.snooze(None)
    assert load_prefs(runtime.paths.prefs_file).snoozed_until is None


def test_unticking_the_last_watched_service_is_refused_not_turned_into_all(
    runtime: Runtime,
) -> None:
    runtime.choices.change_settings({"watch.components": [API_COMPONENT]})
    wait_until(lambda: runtime.settings.watch.components == (API_COMPONENT,), "saved")
    runtime.choices.set_watched(API_COMPONENT, False)
    wait_until(lambda: runtime.menu_line.text == "Keep at least one service watched", "refusal")
    time.sleep(0.3)
    assert load_config(runtime.paths.config_file).settings.watch.components == (API_COMPONENT,)


def test_two_quick_menu_clicks_are_both_saved(runtime: Runtime) -> None:
    runtime.choices.change_settings({"notifications.enabled": False})
    runtime.choices.change_settings({"notifications.service_degraded": True})
    wait_until(
        lambda: (
            not runtime.settings.notifications.enabled
            and runtime.settings.notifications.service_degraded
        ),
        "both changes",
    )
    saved = load_config(runtime.paths.config_file).settings.notifications
    assert (saved.enabled, saved.service_degraded) == (False, True)


def test_polls_that_change_nothing_write_no_state_and_no_history_rows(
    status_server: StatusServer,
) -> None:
    status_server.set_summary(summary_doc())
    paths = loopback_paths(status_server)
    rt = Runtime(load_config(paths.config_file), paths, notify=False)
    rt.start()
    try:
        # Settled: the page read and the probes' verdict reached (two rounds).
        status_server.wait_for_requests(SUMMARY_PATH, 3)
        status_server.wait_for_requests("/v1/models", 3)
        time.sleep(0.5)
        before = paths.state_file.stat()
        rows_before = history_rows(paths)
        pages = len(status_server.requests_for(SUMMARY_PATH))
        status_server.wait_for_requests(SUMMARY_PATH, pages + 4)
        after = paths.state_file.stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
        assert history_rows(paths) == rows_before
        later = status_server.requests_for(SUMMARY_PATH)[pages:]
        assert all("if-none-match" in r.headers for r in later)  # answered 304

        status_server.set_summary(summary_doc("critical", {API_COMPONENT: "major_outage"}))
        wait_until(lambda: '"major_outage"' in paths.state_file.read_text("utf-8"), "saved")
    finally:
        rt.stop()
    # One latency sample per probe round, not one more per page read.
    with sqlite3.connect(paths.history_db) as conn:
        samples = conn.execute(
            "SELECT coalesce(sum(samples), 0) FROM probe_latency WHERE target = 'api'"
        ).fetchone()[0]
    assert 0 < samples <= len(status_server.requests_for("/v1/models"))


def history_rows(paths: AppPaths) -> tuple[int, int]:
    """Rows of events and of service health changes in the history."""
    with sqlite3.connect(paths.history_db) as conn:
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        health = conn.execute("SELECT count(*) FROM component_health").fetchone()[0]
    return int(events), int(health)
