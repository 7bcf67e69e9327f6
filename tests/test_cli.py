"""The command line, run as a real subprocess against loopback servers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.apprig import run_cli, write_loopback_config
from tests.faultrig import RawServer, header_drip
from tests.statusserver import (
    API_401,
    API_529_OVERLOADED,
    CAPTIVE_PORTAL_200,
    CLAUDE_COMPONENTS,
    CLOUDFLARE_403,
    Route,
    StatusServer,
    summary_doc,
)
from tray_app.config.schema import API_COMPONENT


def config_dir() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "claude-status-tray"


write_config = write_loopback_config


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def healthy(status_server: StatusServer) -> StatusServer:
    status_server.set_summary(summary_doc())
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    write_config(status_server.url)
    return status_server


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("claude-status-tray ")


def test_check_operational_exits_0(healthy: StatusServer) -> None:
    result = run_cli("check")
    assert result.returncode == 0, result.stderr
    assert "all systems operational" in result.stdout
    assert "Claude API" in result.stdout


def test_check_json_major_outage_exits_2(healthy: StatusServer) -> None:
    healthy.set_summary(summary_doc("critical", {API_COMPONENT: "major_outage"}))
    result = run_cli("check", "--json")
    assert result.returncode == 2, result.stderr
    doc = json.loads(result.stdout)
    assert doc["overall"] == "major_outage"
    assert doc["exit_code"] == 2
    api = next(c for c in doc["components"] if c["id"] == API_COMPONENT)
    assert api["health"] == "major_outage"
    assert {p["target"] for p in doc["probes"]} == {"api", "claude_ai"}


def test_check_real_capture_with_degraded_console_exits_1(healthy: StatusServer) -> None:
    healthy.set_summary("anthropic_summary_2026-10-07.json")
    result = run_cli("check")
    assert result.returncode == 1, result.stderr
    assert "degraded performance" in result.stdout
    assert "Active incidents:" in result.stdout


def test_probe_failure_alone_is_labelled_down_from_here(healthy: StatusServer) -> None:
    healthy.set("/v1/models", API_529_OVERLOADED)
    result = run_cli("check", "--json")
    doc = json.loads(result.stdout)
    api = next(c for c in doc["components"] if c["id"] == API_COMPONENT)
    assert api["official"] == "operational"
    assert api["probe_only"] is True
    assert result.returncode == 1


def test_offline_answers_within_the_timeout_and_exits_3() -> None:
    url = closed_port_url()
    write_config(url)
    started = time.monotonic()
    result = run_cli("check", "--timeout", "5")
    assert time.monotonic() - started < 20  # generous: interpreter start-up included
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.startswith("Claude: offline, your network is down")


def test_status_page_answering_html_is_unreachable_not_an_outage(healthy: StatusServer) -> None:
    healthy.set("/api/v2/summary.json", CAPTIVE_PORTAL_200)
    result = run_cli("check", "--json")
    assert result.returncode == 3
    doc = json.loads(result.stdout)
    assert doc["overall"] == "status_page_unreachable"
    assert "HTML" in doc["page_error"]
    assert all(c["health"] != "major_outage" for c in doc["components"])


def test_a_bad_config_file_says_which_key_and_still_works(healthy: StatusServer) -> None:
    path = write_config(healthy.url, extra='failure_threshold = "lots"')
    before = path.read_bytes()
    validate = run_cli("config", "validate")
    assert validate.returncode == 1
    assert "probes.failure_threshold" in validate.stderr
    shown = run_cli("config", "show")  # the defaults apply, and it says why
    assert "probes.failure_threshold" in shown.stdout
    assert path.read_bytes() == before  # never overwritten


def test_config_path_and_first_run_defaults() -> None:
    result = run_cli("config", "path")
    assert result.stdout.strip() == str(config_dir() / "config.toml")
    shown = run_cli("config", "show")
    assert shown.returncode == 0
    assert 'url = "https://status.claude.com"' in shown.stdout


def test_statusline_without_data_and_without_httpx() -> None:
    code = (
        "import sys; from tray_app.cli.main import main; main(['statusline']); "
        "print('httpx loaded' if 'httpx' in sys.modules else 'httpx not loaded')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert "no data yet" in result.stdout
    assert "httpx not loaded" in result.stdout


def test_wait_until_up_returns_once_operational(healthy: StatusServer) -> None:
    down = summary_doc("critical", {API_COMPONENT: "major_outage"})
    up = summary_doc()
    healthy.script(
        "/api/v2/summary.json",
        [
            Route(body=json.dumps(down).encode(), headers=(("content-type", "application/json"),)),
            Route(body=json.dumps(down).encode(), headers=(("content-type", "application/json"),)),
            Route(body=json.dumps(up).encode(), headers=(("content-type", "application/json"),)),
        ],
    )
    result = run_cli("wait-until-up", "--timeout", "30")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "major outage" in result.stdout.lower() or "Major" in result.stdout
    assert "all systems operational" in result.stdout


def test_wait_until_up_gives_up_at_the_timeout(healthy: StatusServer) -> None:
    healthy.set_summary(summary_doc("critical", {API_COMPONENT: "major_outage"}))
    result = run_cli("wait-until-up", "--timeout", "2")
    assert result.returncode == 3


def test_with_no_network_at_all_check_says_offline_within_its_timeout() -> None:
    """The default settings, inside a network namespace that has no interface but a downed
    loopback: exactly "no network". Nothing can leave the machine from in there."""
    started = time.monotonic()
    result = subprocess.run(
        ["unshare", "--net", sys.executable, "-m", "tray_app", "check"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stdout.startswith("Claude: offline, your network is down")
    assert elapsed < 10 + 5  # the 10 s check timeout, plus interpreter start-up on a busy machine


def test_autostart_from_the_command_line_is_real_and_remembered() -> None:
    enabled = run_cli("autostart", "enable")
    assert enabled.returncode == 0, enabled.stderr
    assert "start at login: enabled" in enabled.stdout
    entry = Path(os.environ["XDG_CONFIG_HOME"]) / "autostart" / "claude-status-tray.desktop"
    assert entry.is_file()
    assert "autostart = true" in (config_dir() / "config.toml").read_text(encoding="utf-8")
    disabled = run_cli("autostart", "disable")
    assert "start at login: disabled" in disabled.stdout
    assert not entry.exists()
    assert "autostart = false" in (config_dir() / "config.toml").read_text(encoding="utf-8")


def test_check_keeps_its_timeout_when_nothing_answers(status_server: StatusServer) -> None:
    for path in ("/api/v2/summary.json", "/v1/models", "/"):
        status_server.set(path, Route(delay=30.0))
    write_config(status_server.url)
    started = time.monotonic()
    result = run_cli("check", "--json", "--timeout", "2")
    elapsed = time.monotonic() - started
    assert elapsed < 2 + 4  # the timeout, plus interpreter start-up on a busy machine
    doc = json.loads(result.stdout)
    assert "within 2 s" in doc["page_error"]  # the check's deadline, or the request's own
    assert {p["outcome"] for p in doc["probes"]} == {"timeout"}
    # both front doors connect but never answer: down from here, said as such
    assert result.returncode == 1, result.stdout + result.stderr
    assert all(c["probe_only"] for c in doc["components"] if c["health"] != "unknown")


# ---- one truth: the headline, the exit code, "last known" ----


def write_split_config(page_url: str, probe_server: str) -> None:
    """The status page at ``page_url``, both probes on ``probe_server``."""
    path = config_dir() / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"""
[status_page]
url = "{page_url}"
interval = 1
timeout = 3

[probes]
interval = 1
timeout = 3
api_url = "{probe_server}/v1/models"
claude_ai_url = "{probe_server}/"
""",
        encoding="utf-8",
    )


def test_check_says_the_page_timeout_that_ran_out_not_its_own(healthy: StatusServer) -> None:
    """The page (timeout = 3 in the settings) drips its headers for ever; `check --timeout 10`
    says what happened: nothing within 3 s, never 'no answer within 10 s' after 3."""
    with RawServer(header_drip(0.2)) as page:
        write_split_config(page.url, healthy.url)
        result = run_cli("check", "--json", "--timeout", "10")
    doc = json.loads(result.stdout)
    assert doc["page_error"] == f"{page.url[7:]} did not answer in time (nothing within 3 s)"
    assert {p["outcome"] for p in doc["probes"]} == {"up"}


def test_check_with_the_page_refusing_and_probes_answering_is_not_operational(
    status_server: StatusServer,
) -> None:
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    write_split_config(closed_port_url(), status_server.url)
    result = run_cli("check")
    assert result.returncode == 3, result.stdout + result.stderr
    first = result.stdout.splitlines()[0]
    assert first == (
        "Claude: the status page cannot be read; status unknown, "
        "though Claude API, claude.ai answer from here"
    )
    assert "all systems operational" not in result.stdout
    # each service's line agrees with it: the official status is unknown, only our probes
    # answer; and every service watched by default is listed, Claude for Government too
    assert result.stdout.split("\n\n")[1].splitlines() == [
        "  ?  Claude API             unknown — status page not read; answers from here",
        "  ?  claude.ai              unknown — status page not read; answers from here",
        "  ?  Claude Console         unknown",
        "  ?  Claude Code            unknown",
        "  ?  Claude Cowork          unknown",
        "  ?  Claude for Government  unknown",
    ]
    doc = json.loads(run_cli("check", "--json").stdout)
    assert (doc["overall"], doc["exit_code"], doc["headline"]) == (
        "status_page_unreachable",
        3,
        first,
    )


def test_check_lines_have_no_nested_parentheses(healthy: StatusServer) -> None:
    healthy.set("/v1/models", API_529_OVERLOADED)
    result = run_cli("check")
    assert result.stdout.startswith("Claude: partial outage — Claude API (from here)\n")
    api_line = next(line for line in result.stdout.splitlines() if "Claude API (api" in line)
    assert "partial outage — down from here (not on the status page yet)" in api_line
    for line in result.stdout.splitlines():
        depth = 0
        for char in line:
            depth += {"(": 1, ")": -1}.get(char, 0)
            assert depth <= 1, line


def statusline() -> str:
    return run_cli("statusline").stdout.strip()


def wait_for_statusline(part: str, timeout: float = 40) -> str:
    deadline = time.monotonic() + timeout
    line = ""
    while time.monotonic() < deadline:
        line = statusline()
        if part in line:
            return line
        time.sleep(0.5)
    raise AssertionError(f"{part!r} never in the statusline; last: {line!r}")


@pytest.mark.parametrize(
    ("components", "before", "after"),
    [
        (
            {API_COMPONENT: "major_outage"},
            "Claude: ✗ major outage — Claude API",
            "Claude: ✗ major outage — Claude API · last known at ",
        ),
        (
            {API_COMPONENT: "under_maintenance"},
            "Claude: 🔧 under maintenance — Claude API",
            "Claude: ? the status page cannot be read; last known at ",
        ),
    ],
    ids=["mid-outage", "after-maintenance"],
)
def test_page_turning_unreadable_every_surface_says_last_known(
    healthy: StatusServer, components: dict[str, str], before: str, after: str
) -> None:
    healthy.set_summary(summary_doc("major", components))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tray_app", "watch", "--no-notify"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert wait_for_statusline(before).startswith(before)
        healthy.set("/api/v2/summary.json", Route(status=503, body=b"busy"))
        line = wait_for_statusline("last known")
        assert line.startswith(after), line
        assert line.endswith("the status page cannot be read") or "under maintenance" in line
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert "last known" in out, out + err  # `watch` prints the headline when it changes


def test_statusline_names_every_service_of_a_major_outage(healthy: StatusServer) -> None:
    everything = {cid: "major_outage" for cid in CLAUDE_COMPONENTS}
    healthy.set_summary(summary_doc("critical", everything))
    check = run_cli("check")
    assert check.returncode == 2
    line = statusline()  # the state `check` left behind
    assert line.startswith("Claude: ✗ major outage — ")
    for name in ("claude.ai", "Claude Console", "Claude API", "Claude Code", "Claude Cowork"):
        assert name in line, line


def test_check_leaves_the_statusline_but_not_the_apps_dedupe_state(healthy: StatusServer) -> None:
    from tray_app.core.models import Health, MonitorSnapshot
    from tray_app.platform.paths import AppPaths
    from tray_app.platform.store import StateStore

    assert "no data yet" in statusline()
    store = StateStore(AppPaths.default().state_file)
    engine = {"version": 1, "components": [], "marker": "the app's own"}
    store.save(engine, MonitorSnapshot(Health.UNKNOWN, ""))
    healthy.set_summary(summary_doc("major", {API_COMPONENT: "partial_outage"}))
    assert run_cli("check").returncode == 1
    assert statusline() == "Claude: !! partial outage — Claude API"
    assert store.load_engine() == (engine, None)  # kept exactly


# ---- text a person reads ----


def test_failures_are_said_in_plain_words(status_server: StatusServer) -> None:
    write_config(closed_port_url())
    check = run_cli("check")
    assert "connection refused" in check.stdout
    assert "[Errno" not in check.stdout + check.stderr

    status_server.set_summary(summary_doc("major", {API_COMPONENT: "partial_outage"}))
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    write_config(status_server.url)
    env = {k: v for k, v in os.environ.items() if k not in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tray_app", "watch"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
    )
    try:
        wait_for_statusline("partial outage")
        time.sleep(1)  # the notification is tried right after the state is saved
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert "no D-Bus session bus" in err, err
    assert "'DBUS_SESSION_BUS_ADDRESS'" not in out + err

    history = run_cli("history")  # a few seconds of watching is not a week of uptime
    assert "uptime counts only the time watched from here: " in history.stdout, history.stdout
    assert "of 7d" in history.stdout


def test_history_since_error_says_the_option_once() -> None:
    result = run_cli("history", "--since", "5x")
    assert result.returncode == 2
    assert result.stderr.count("--since") == 1, result.stderr


def test_autostart_status_says_its_state_once() -> None:
    result = run_cli("autostart", "status")
    line = result.stdout.strip()
    assert line.startswith("start at login: disabled (XDG autostart entry "), line
    assert line.count("disabled") == 1 and line.count("(") == 1, line


@pytest.mark.parametrize("flags", [("check", "-v"), ("check", "-vv", "--json"), ("-v", "check")])
def test_verbose_is_accepted_after_the_command_too(
    healthy: StatusServer, flags: tuple[str, ...]
) -> None:
    result = run_cli(*flags)
    assert result.returncode == 0, result.stderr


def test_wait_until_up_says_it_timed_out_and_what_is_still_down(healthy: StatusServer) -> None:
    healthy.set_summary(summary_doc("critical", {API_COMPONENT: "major_outage"}))
    result = run_cli("wait-until-up", "--timeout", "2")
    assert result.returncode == 3
    assert "wait-until-up: timed out after 2 s; still major outage — Claude API" in result.stderr


def test_api_key_set_without_a_keyring_suggests_the_environment_variable() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tray_app", "api-key", "set"],
        input="sk-ant-test-fake\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "ANTHROPIC_API_KEY" in result.stderr
    assert "Warning" not in result.stderr and "getpass" not in result.stderr, result.stderr
