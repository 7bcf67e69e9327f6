"""Settings a user gets wrong are named, once, and only the bad setting falls back (issue 10.7).

The real CLI as a subprocess, against a loopback status page.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.apprig import REPO, run_cli, write_loopback_config
from tests.rigs_dbus import private_session_bus, recording_notification_server
from tests.statusserver import API_401, CLOUDFLARE_403, SUMMARY_PATH, StatusServer, summary_doc


@pytest.fixture
def healthy(status_server: StatusServer) -> StatusServer:
    status_server.set_summary(summary_doc())
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    return status_server


def test_one_bad_value_keeps_the_users_own_hosts_and_is_named_once(healthy: StatusServer) -> None:
    write_loopback_config(
        healthy.url, extra='failure_threshold = "lots"\n\n[history]\nretention_days = 0\n'
    )
    result = run_cli("check")
    # the page the user set is the one read (not the public default), and it is healthy
    assert result.returncode == 0, result.stdout + result.stderr
    assert healthy.requests_for(SUMMARY_PATH)
    assert "all systems operational" in result.stdout
    # each problem is said exactly once, with what the app does instead
    lines = result.stderr.splitlines()
    threshold = [line for line in lines if "probes.failure_threshold" in line]
    retention = [line for line in lines if "history.retention_days" in line]
    assert len(threshold) == 1, result.stderr
    assert len(retention) == 1, result.stderr
    assert threshold[0].endswith("using the default (2)")
    assert retention[0].endswith("using the default (90)")


def test_config_validate_names_every_problem(healthy: StatusServer) -> None:
    write_loopback_config(
        healthy.url,
        extra='failure_threshold = "lots"\nsucess_threshold = 2\n\n[watch]\nkeywords = "Opus"\n',
    )
    result = run_cli("config", "validate")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 3, result.stderr
    assert "probes.failure_threshold" in lines[0]
    assert "did you mean probes.success_threshold?" in lines[1]
    assert "watch.keywords" in lines[2]
    shown = run_cli("config", "show")  # the good settings apply beside the named bad ones
    assert f'url = "{healthy.url}"' in shown.stdout
    assert shown.stdout.count("# ") >= 3


@pytest.mark.parametrize("command", ["check", "wait-until-up"])
@pytest.mark.parametrize("value", ["0", "-1", "nan", "soon"])
def test_check_refuses_a_timeout_that_is_not_above_zero(command: str, value: str) -> None:
    # wait-until-up --timeout nan waited forever; -5 said "timed out after -5 s"
    result = run_cli(command, f"--timeout={value}", timeout=30)
    assert result.returncode == 2
    assert "--timeout" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["0", "abc", "1.5"])
def test_report_days_are_refused_in_plain_words(value: str) -> None:
    result = run_cli("report", f"--days={value}")
    assert result.returncode == 2
    assert "argument --days: " in result.stderr
    assert "_positive_days" not in result.stderr  # was "invalid _positive_days value: 'abc'"


def test_watch_names_a_bad_setting_once(healthy: StatusServer) -> None:
    write_loopback_config(healthy.url, extra='failure_threshold = "lots"\n')
    process = subprocess.Popen(
        [sys.executable, "-m", "tray_app", "watch", "--no-notify"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=REPO,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # the first headline: it is running
        assert "operational" in first
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert stderr.count("probes.failure_threshold") == 1, stderr


# ---- a watched id that matches no component ----

TYPO = '\n[watch]\ncomponents = ["claude-code"]\n'


def test_check_names_a_watched_id_the_page_does_not_have(healthy: StatusServer) -> None:
    write_loopback_config(healthy.url, extra=TYPO)
    result = run_cli("check")
    problems = [line for line in result.stderr.splitlines() if "claude-code" in line]
    assert len(problems) == 1, result.stderr
    assert 'watch.components: "claude-code" is no component on the status page' in problems[0]
    assert "yyzkbfz2thpt (Claude Code)" in problems[0]  # the id the user meant, with its name


def test_config_validate_names_the_typo_once_a_check_has_read_the_page(
    healthy: StatusServer,
) -> None:
    write_loopback_config(healthy.url, extra=TYPO)
    assert run_cli("check").returncode == 3
    result = run_cli("config", "validate")
    assert result.returncode == 1, result.stdout
    (problem,) = result.stderr.splitlines()
    assert 'watch.components: "claude-code" is no component on the status page' in problem
    assert "yyzkbfz2thpt (Claude Code)" in problem


def test_watch_notifies_once_and_config_validate_names_it_once_the_page_is_known(
    healthy: StatusServer, tmp_path: Path
) -> None:
    write_loopback_config(healthy.url, extra=TYPO)
    before = run_cli("config", "validate")  # the page was never read: nothing to compare yet
    assert before.returncode == 0, before.stderr

    with private_session_bus() as env, recording_notification_server(env, tmp_path) as server:
        process = subprocess.Popen(
            [sys.executable, "-m", "tray_app", "watch"],
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            cwd=REPO,
        )
        try:
            server.wait_for_notify(1)
            seen = len(healthy.requests_for(SUMMARY_PATH))
            healthy.wait_for_requests(SUMMARY_PATH, seen + 2)  # two more polls: no repeat
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=30)
        calls = [c for c in server.notify_calls() if "claude-code" in c["body"]]
    assert len(calls) == 1, server.notify_calls()
    assert calls[0]["summary"] == "A watched service is not on the status page"
    assert "yyzkbfz2thpt (Claude Code)" in calls[0]["body"]
    assert stderr.count('"claude-code" is no component') == 1, stderr

    after = run_cli("config", "validate")
    assert after.returncode == 1
    assert 'watch.components: "claude-code" is no component on the status page' in after.stderr
