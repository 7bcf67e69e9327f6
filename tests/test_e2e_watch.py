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
from tests.statusserver import API_401, CLOUDFLARE_403, StatusServer, incident_doc, summary_doc
from tray_app.config.schema import API_COMPONENT

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
