"""The headless app end to end: `claude-status-tray watch` as a real process, a loopback status
server scripting an outage, a private session bus with a recording notification server.

What a user would notice: one notification when the API goes down (with the incident), one when
it is back, nothing repeated after a restart, and the outage in `history`.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.apprig import write_loopback_config
from tests.rigs_dbus import RecordingServer, private_session_bus, recording_notification_server
from tests.statusserver import (
    API_401,
    API_529_OVERLOADED,
    CLOUDFLARE_403,
    StatusServer,
    incident_doc,
    json_route,
    load_fixture,
    summary_doc,
)
from tray_app.config.schema import API_COMPONENT, CLAUDE_AI_COMPONENT
from tray_app.platform.paths import AppPaths
from tray_app.platform.prefs import load_prefs

OUTAGE = summary_doc(
    "critical",
    {API_COMPONENT: "major_outage"},
    incidents=[incident_doc("inc42", "Elevated errors on the Claude API", "investigating")],
)
RESOLVED = summary_doc()


def write_config(server: StatusServer) -> None:
    write_loopback_config(server.url, extra="[notifications]\nmin_interval = 1")


@pytest.fixture
def bus_and_server(tmp_path: Path) -> Iterator[tuple[dict[str, str], RecordingServer]]:
    with private_session_bus() as env, recording_notification_server(env, tmp_path) as server:
        yield env, server


def start_watch(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tray_app", "watch"],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGTERM)
    started = time.monotonic()
    code = proc.wait(timeout=10)
    assert time.monotonic() - started < 2.5, "watch took more than 2 s to exit on SIGTERM"
    return code


def test_outage_notified_once_recovery_notified_no_repeat_after_restart(
    status_server: StatusServer,
    bus_and_server: tuple[dict[str, str], RecordingServer],
    tmp_path: Path,
) -> None:
    env, notifications = bus_and_server
    status_server.set_summary(RESOLVED)
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    write_config(status_server)
    log = tmp_path / "watch.log"

    proc = start_watch(env, log)
    try:
        status_server.wait_for_requests("/api/v2/summary.json", 2)
        assert notifications.notify_calls() == []  # all operational: nothing to say

        status_server.set_summary(OUTAGE)
        calls = notifications.wait_for_notify(1, deadline=20)
        time.sleep(2.5)  # two more polls: nothing more may come for the same outage
        calls = notifications.notify_calls()
        assert len(calls) == 1, calls
        down = calls[0]
        assert down["app_name"] == "Claude Status Tray"
        assert "Claude API" in down["summary"]
        assert "Elevated errors on the Claude API" in down["summary"] + down["body"]
        assert down["hints"]["urgency"] == 2  # critical: a major outage
        assert down["app_icon"].endswith("major_outage.png")  # the red cross, not the app icon
    finally:
        assert stop(proc) == 0

    # Restarted mid-outage: the app remembers what it already said.
    proc = start_watch(env, log)
    try:
        first = len(status_server.requests_for("/api/v2/summary.json"))
        status_server.wait_for_requests("/api/v2/summary.json", first + 2)
        assert len(notifications.notify_calls()) == 1

        status_server.set_summary(RESOLVED)
        calls = notifications.wait_for_notify(2, deadline=20)
        time.sleep(2.5)
        calls = notifications.notify_calls()
        assert len(calls) == 2, calls
        back = calls[1]
        assert back["replaces_id"] == down["id"]  # the bubble from before the restart, updated
        assert "Claude API" in back["summary"] + back["body"]
        assert "back" in (back["summary"] + back["body"]).lower()
        assert back["hints"]["urgency"] in (0, 1)
        assert back["app_icon"].endswith("operational.png")
    finally:
        assert stop(proc) == 0

    printed = log.read_text(encoding="utf-8")
    assert "DOWN Claude API" in printed
    assert "RECOVERED Claude API" in printed

    history = subprocess.run(
        [sys.executable, "-m", "tray_app", "history", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert history.returncode == 0, history.stderr
    report = json.loads(history.stdout)
    text = json.dumps(report)
    assert API_COMPONENT in text or "Claude API" in text
    assert "major_outage" in text


def test_snooze_from_the_command_line_silences_a_running_app(
    status_server: StatusServer,
    bus_and_server: tuple[dict[str, str], RecordingServer],
    tmp_path: Path,
) -> None:
    env, notifications = bus_and_server
    status_server.set_summary(RESOLVED)
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    write_config(status_server)
    proc = start_watch(env, tmp_path / "watch.log")
    try:
        status_server.wait_for_requests("/api/v2/summary.json", 1)
        snooze = subprocess.run(
            [sys.executable, "-m", "tray_app", "snooze", "1h"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert snooze.returncode == 0, snooze.stderr
        status_server.set_summary(OUTAGE)
        seen = len(status_server.requests_for("/api/v2/summary.json"))
        status_server.wait_for_requests("/api/v2/summary.json", seen + 3)
        assert notifications.notify_calls() == []
    finally:
        assert stop(proc) == 0
    assert "DOWN Claude API" in (tmp_path / "watch.log").read_text(encoding="utf-8")


# ---- issue 10: true, complete and on time ----

SUMMARY = "/api/v2/summary.json"
POLL = 1.0  # write_loopback_config polls every second
NEWS_DEADLINE = POLL + 5.0  # "within one poll + 5 s of the page saying so"
INCIDENT_ID = "qt14v73myyy5"  # real: status.claude.com, 2026-08-16 (tests/fixtures/PROVENANCE.md)
INCIDENT_PATH = f"/api/v2/incidents/{INCIDENT_ID}.json"
API = "Claude API (api.anthropic.com)"  # its name on the page


def healthy(server: StatusServer) -> None:
    server.set_summary(RESOLVED)
    server.set("/v1/models", API_401)
    server.set("/", CLOUDFLARE_403)


def shown(notifications: RecordingServer) -> list[dict[str, object]]:
    """What the server was asked to show or close, in order."""
    return [c for c in notifications.calls() if c["method"] in ("Notify", "CloseNotification")]


def test_recovery_is_told_at_once_with_its_real_length_and_replaces_the_down_bubble(
    status_server: StatusServer,
    bus_and_server: tuple[dict[str, str], RecordingServer],
    tmp_path: Path,
) -> None:
    """Issue 10.1 + 10.2 at default settings (min_interval 300 s): down at 0 s, major -> partial
    at 10 s, operational at 20 s. The "back" was held ~5 min and said "after 5 min down"."""
    env, notifications = bus_and_server
    healthy(status_server)
    write_loopback_config(status_server.url)
    proc = start_watch(env, tmp_path / "watch.log")
    try:
        status_server.wait_for_requests(SUMMARY, 2)
        status_server.set_summary(summary_doc("critical", {API_COMPONENT: "major_outage"}))
        (down,) = notifications.wait_for_notify(1, deadline=NEWS_DEADLINE)
        first_down = time.monotonic()
        time.sleep(10)
        status_server.set_summary(summary_doc("major", {API_COMPONENT: "partial_outage"}))
        time.sleep(10)
        assert len(notifications.notify_calls()) == 1  # more news of the same outage: held
        status_server.set_summary(RESOLVED)
        calls = notifications.wait_for_notify(2, deadline=NEWS_DEADLINE)
        lasted = time.monotonic() - first_down
        time.sleep(2.5)
        assert shown(notifications) == calls  # nothing else shown, nothing to close
    finally:
        assert stop(proc) == 0
    down, back = calls
    assert (down["summary"], down["replaces_id"], down["hints"]["urgency"]) == (
        f"{API} down", 0, 2)  # fmt: skip
    assert back["replaces_id"] == down["id"]  # the same bubble, now saying it is back
    assert back["summary"] == f"{API} is back"
    assert back["hints"]["urgency"] == 1
    said = int(str(back["body"]).split("after ")[1].split(" s down")[0])
    assert abs(said - lasted) <= 2 * POLL + 1, (said, lasted)  # ~20 s, not "5 min"


def test_no_stale_bubble_when_two_outages_end_in_one_check(
    status_server: StatusServer,
    bus_and_server: tuple[dict[str, str], RecordingServer],
    tmp_path: Path,
) -> None:
    """Two bubbles (API down, then claude.ai down); both back in one check: one "2 services
    back" replaces the newer bubble and the older critical one is closed."""
    env, notifications = bus_and_server
    healthy(status_server)
    write_loopback_config(status_server.url)
    proc = start_watch(env, tmp_path / "watch.log")
    try:
        status_server.wait_for_requests(SUMMARY, 2)
        status_server.set_summary(summary_doc("critical", {API_COMPONENT: "major_outage"}))
        notifications.wait_for_notify(1, deadline=NEWS_DEADLINE)
        both = {API_COMPONENT: "major_outage", CLAUDE_AI_COMPONENT: "major_outage"}
        status_server.set_summary(summary_doc("critical", both))
        notifications.wait_for_notify(2, deadline=NEWS_DEADLINE)
        status_server.set_summary(RESOLVED)
        notifications.wait_for_notify(3, deadline=NEWS_DEADLINE)
        time.sleep(2.5)
        calls = shown(notifications)
    finally:
        assert stop(proc) == 0
    api, ai, back, close = calls
    assert (api["summary"], api["replaces_id"]) == (f"{API} down", 0)
    assert (ai["summary"], ai["replaces_id"]) == ("claude.ai down", 0)
    assert back["summary"] == "2 services back: claude.ai, API"  # the title names them compactly
    assert back["replaces_id"] == ai["id"]
    assert close == {"method": "CloseNotification", "id": api["id"]}


def test_an_incident_opening_on_services_already_down_takes_over_their_bubble(
    status_server: StatusServer,
    bus_and_server: tuple[dict[str, str], RecordingServer],
    tmp_path: Path,
) -> None:
    """Issue 10.2 + 10.3: the services go down first, the page names the cause a check later.
    The incident's bubble replaces the services' one (no second bubble for the same outage),
    with the services in the compact form."""
    env, notifications = bus_and_server
    healthy(status_server)
    write_loopback_config(status_server.url)
    both = {API_COMPONENT: "major_outage", CLAUDE_AI_COMPONENT: "major_outage"}
    proc = start_watch(env, tmp_path / "watch.log")
    try:
        status_server.wait_for_requests(SUMMARY, 2)
        status_server.set_summary(summary_doc("critical", both))
        notifications.wait_for_notify(1, deadline=NEWS_DEADLINE)
        cause = incident_doc(
            "inc7", "Login failures", component_ids=(API_COMPONENT, CLAUDE_AI_COMPONENT)
        )
        status_server.set_summary(summary_doc("critical", both, incidents=[cause]))
        notifications.wait_for_notify(2, deadline=NEWS_DEADLINE)
        time.sleep(2.5)
        calls = shown(notifications)
    finally:
        assert stop(proc) == 0
    down, incident = calls  # nothing else shown, nothing left to close
    assert (down["summary"], down["replaces_id"]) == ("2 services down: claude.ai, API", 0)
    assert (incident["summary"], incident["replaces_id"]) == ("Login failures", down["id"])
    assert str(incident["body"]).splitlines() == [
        "Affected: API, claude.ai",
        "We are investigating elevated errors.",
    ]


def test_incident_first_then_its_real_resolution_read_once_in_the_same_bubble(
    status_server: StatusServer,
    bus_and_server: tuple[dict[str, str], RecordingServer],
    tmp_path: Path,
) -> None:
    """Issue 10.3 + 10.4 with the real 2026-08-16 incident: the cause is the title, the services
    follow compactly, the update last; when the incident leaves summary.json its resolution is
    read once from the incident API and quoted, with resolved_at - created_at."""
    env, notifications = bus_and_server
    healthy(status_server)
    opened = load_fixture(f"anthropic_incident_{INCIDENT_ID}_investigating.json")
    statuses = {c["id"]: c["status"] for c in opened["components"]}
    status_server.set(
        INCIDENT_PATH, json_route(load_fixture(f"anthropic_incident_{INCIDENT_ID}.json"))
    )
    write_loopback_config(status_server.url)
    proc = start_watch(env, tmp_path / "watch.log")
    try:
        status_server.wait_for_requests(SUMMARY, 2)
        status_server.set_summary(summary_doc("critical", statuses, incidents=[opened]))
        notifications.wait_for_notify(1, deadline=NEWS_DEADLINE)
        status_server.set_summary(RESOLVED)
        notifications.wait_for_notify(2, deadline=NEWS_DEADLINE)
        polls = len(status_server.requests_for(SUMMARY))
        status_server.wait_for_requests(SUMMARY, polls + 3)
        calls = shown(notifications)
    finally:
        assert stop(proc) == 0
    assert len(status_server.requests_for(INCIDENT_PATH)) == 1  # once, never per poll
    down, back = calls
    assert down["summary"] == "Service disruption on Claude services"
    lines = str(down["body"]).splitlines()
    assert lines[0] == ("major outage: claude.ai, Console, Claude Code +1; partial outage: API")
    assert lines[1].startswith("We are investigating reports of degraded performance")
    assert down["hints"]["urgency"] == 2
    assert back["replaces_id"] == down["id"]
    assert back["summary"].startswith("5 services back")
    assert str(back["body"]).splitlines()[0] == (
        "Resolved: Service disruption on Claude services. Lasted 35 min. The issue affecting "
        "claude.ai, platform.claude.com, the Claude API, Claude Code, and Claude Cowork has been "
        "resolved."
    )


def test_news_nobody_could_see_waits_for_a_notification_server(
    status_server: StatusServer, tmp_path: Path
) -> None:
    """Issue 10.6: `watch` with no notification server counted the menu line as delivery, and a
    later run never announced the outage."""
    healthy(status_server)
    write_loopback_config(status_server.url)
    with private_session_bus() as env:
        proc = start_watch(env, tmp_path / "watch.log")
        try:
            status_server.wait_for_requests(SUMMARY, 2)
            status_server.set_summary(OUTAGE)
            polls = len(status_server.requests_for(SUMMARY))
            status_server.wait_for_requests(SUMMARY, polls + 3)
        finally:
            assert stop(proc) == 0
        saved = json.loads(AppPaths.default().alerts_file.read_text(encoding="utf-8"))
        assert [n["title"] for n in saved["pending"]] == ["Elevated errors on the Claude API"]

        with recording_notification_server(env, tmp_path) as notifications:
            proc = start_watch(env, tmp_path / "watch.log")
            try:
                (down,) = notifications.wait_for_notify(1, deadline=20)
                status_server.set_summary(RESOLVED)
                calls = notifications.wait_for_notify(2, deadline=20)
            finally:
                assert stop(proc) == 0
    assert down["summary"] == "Elevated errors on the Claude API"
    assert calls[1]["replaces_id"] == down["id"]
    assert calls[1]["summary"] == f"{API} is back"


def test_tell_me_when_its_back_and_snooze_from_the_bubble(
    status_server: StatusServer,
    bus_and_server: tuple[dict[str, str], RecordingServer],
    tmp_path: Path,
) -> None:
    """Issue 13.3: the bubble's buttons. "Tell me when it's back" silences every later update
    of that outage and tells exactly once when it is over; "Snooze 1 h" snoozes."""
    env, notifications = bus_and_server
    healthy(status_server)
    write_config(status_server)  # min_interval = 1: a severity change would be told
    proc = start_watch(env, tmp_path / "watch.log")
    try:
        status_server.wait_for_requests(SUMMARY, 2)
        status_server.set_summary(OUTAGE)
        (down,) = notifications.wait_for_notify(1, deadline=NEWS_DEADLINE)
        assert down["actions"] == [
            "default", "Open incident",
            "snooze-1h", "Snooze 1 h",
            "until-back", "Tell me when it's back",
        ]  # fmt: skip
        notifications.invoke_action(int(down["id"]), "until-back")
        time.sleep(2)
        worse = summary_doc(
            "major",
            {API_COMPONENT: "partial_outage", CLAUDE_AI_COMPONENT: "degraded_performance"},
            incidents=[incident_doc("inc42", "Elevated errors on the Claude API", "identified",
                                    update_id="inc42-u2", body="The cause is identified."),
                       # a new incident about the same service is that outage's news too
                       incident_doc("inc43", "Slow responses on the Claude API")],
        )  # fmt: skip
        status_server.set_summary(worse)
        polls = len(status_server.requests_for(SUMMARY))
        status_server.wait_for_requests(SUMMARY, polls + 4)
        assert len(notifications.notify_calls()) == 1  # silenced
        status_server.set_summary(RESOLVED)
        calls = notifications.wait_for_notify(2, deadline=NEWS_DEADLINE)
        time.sleep(2.5)
        assert len(notifications.notify_calls()) == 2  # told exactly once
        back = calls[1]
        assert back["replaces_id"] == down["id"]
        assert back["summary"] == f"{API} is back"
        assert "until-back" not in back["actions"]  # nothing left to wait for

        notifications.invoke_action(int(back["id"]), "snooze-1h")
        prefs = AppPaths.default().prefs_file
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and load_prefs(prefs).snoozed_until is None:
            time.sleep(0.1)
    finally:
        assert stop(proc) == 0
    until = load_prefs(prefs).snoozed_until
    assert until is not None
    remaining = until.timestamp() - time.time()
    assert 50 * 60 < remaining <= 3600


def test_probe_news_is_told_within_a_poll_of_the_probe_hysteresis_both_ways(
    status_server: StatusServer,
    bus_and_server: tuple[dict[str, str], RecordingServer],
    tmp_path: Path,
) -> None:
    """Issue 10.1, from our own probes: "down from here" once the failure threshold is met,
    "back" once the success threshold is, each within one poll + 5 s; the page stays green."""
    env, notifications = bus_and_server
    healthy(status_server)
    write_loopback_config(status_server.url)
    proc = start_watch(env, tmp_path / "watch.log")
    try:
        status_server.wait_for_requests("/v1/models", 2)
        switched_down = time.monotonic()
        status_server.set("/v1/models", API_529_OVERLOADED)
        (down,) = notifications.wait_for_notify(1, deadline=30)
        seen_down = time.monotonic()
        switched_back = time.monotonic()
        status_server.set("/v1/models", API_401)
        calls = notifications.wait_for_notify(2, deadline=30)
        seen_back = time.monotonic()
        probes = [r.at for r in status_server.requests_for("/v1/models")]
    finally:
        assert stop(proc) == 0
    # the 2nd answer after a switch meets the default threshold (2 failures, 2 successes); one
    # more poll of margin for a request already in flight when the route changed
    met_down = [t for t in probes if t > switched_down][1]
    met_back = [t for t in probes if t > switched_back][1]
    assert seen_down - met_down <= NEWS_DEADLINE + POLL
    assert seen_back - met_back <= NEWS_DEADLINE + POLL
    assert down["summary"] == f"{API} down from here"
    assert calls[1]["summary"] == f"{API} is back"
    assert calls[1]["replaces_id"] == down["id"]
