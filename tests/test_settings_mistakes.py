"""Settings a user gets wrong are named, once, and only the bad setting falls back (issue 10.7).

The real CLI as a subprocess, against a loopback status page.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from tests.apprig import REPO, run_cli, write_loopback_config
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


@pytest.mark.parametrize("value", ["0", "-1", "nan", "soon"])
def test_check_refuses_a_timeout_that_is_not_above_zero(value: str) -> None:
    result = run_cli("check", f"--timeout={value}")
    assert result.returncode == 2
    assert "--timeout" in result.stderr
    assert "Traceback" not in result.stderr


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
