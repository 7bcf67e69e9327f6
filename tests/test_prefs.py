"""The snooze: parsed from the command line, saved beside the state, survives restarts."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tray_app.platform.paths import AppPaths
from tray_app.platform.prefs import Prefs, load_prefs, parse_snooze, save_prefs

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("text", "after"),
    [
        ("30m", timedelta(minutes=30)),
        ("90 min", timedelta(minutes=90)),
        ("2h", timedelta(hours=2)),
        ("1.5h", timedelta(minutes=90)),
        ("1d", timedelta(days=1)),
    ],
    ids=lambda v: str(v),
)
def test_durations(text: str, after: timedelta) -> None:
    assert parse_snooze(text, NOW) == NOW + after


def test_tomorrow_is_in_the_future_and_within_a_day() -> None:
    until = parse_snooze("tomorrow", NOW)
    assert until is not None
    assert NOW < until <= NOW + timedelta(days=1)


@pytest.mark.parametrize("text", ["off", "resume", "0"])
def test_off_resumes(text: str) -> None:
    assert parse_snooze(text, NOW) is None


@pytest.mark.parametrize("text", ["", "soon", "-1h", "0m", "5 weeks"])
def test_nonsense_is_refused_with_examples(text: str) -> None:
    with pytest.raises(ValueError, match="tomorrow"):
        parse_snooze(text, NOW)


def test_round_trip_and_damaged_file(tmp_path: Path) -> None:
    path = tmp_path / "prefs.json"
    assert load_prefs(path) == Prefs()
    save_prefs(path, Prefs(snoozed_until=NOW))
    assert load_prefs(path) == Prefs(snoozed_until=NOW)
    path.write_text("{garbage", encoding="utf-8")
    assert load_prefs(path) == Prefs()


def test_cli_snooze_writes_the_prefs_a_running_app_reads() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tray_app", "snooze", "2h"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "snoozed until" in result.stdout
    prefs = load_prefs(AppPaths.default().prefs_file)
    assert prefs.snoozed_until is not None
    left = prefs.snoozed_until - datetime.now(timezone.utc)
    assert timedelta(hours=1, minutes=55) < left <= timedelta(hours=2)
    bad = subprocess.run(
        [sys.executable, "-m", "tray_app", "snooze", "later"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert "snooze:" in bad.stderr
