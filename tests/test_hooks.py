"""User hooks run as real programs: JSON on stdin, CST_* variables, no shell, timeouts."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.apprig import run_cli, write_loopback_config
from tray_app.config.schema import API_COMPONENT, HookSettings
from tray_app.core.events import IncidentOpened, ServiceDown, ServiceRecovered, event_to_dict
from tray_app.core.models import Health, Incident
from tray_app.sinks.hooks import HookRunner, hook_env

NOW = datetime(2026, 7, 21, 12, 0, tzinfo=timezone.utc)
DOWN = ServiceDown(NOW, API_COMPONENT, "Claude API", Health.MAJOR_OUTAGE, Health.OPERATIONAL)
BACK = ServiceRecovered(NOW, API_COMPONENT, "Claude API", Health.MAJOR_OUTAGE, timedelta(minutes=5))
INCIDENT = IncidentOpened(
    NOW,
    Incident("inc1", "Elevated errors on several models", "investigating", "critical",
             "https://stspg.io/74sqh6d7f9vq", NOW, NOW, (API_COMPONENT,)),
)  # fmt: skip
IDLE_DEADLINE = 60.0


def recorder(tmp_path: Path) -> tuple[Path, Path]:
    """A hook program that writes its argv, stdin and CST_* environment to out/<n>.json."""
    out = tmp_path / "out"
    out.mkdir()
    script = tmp_path / "hook.py"
    script.write_text(
        "import json, os, sys, uuid\n"
        "data = {'argv': sys.argv[1:], 'stdin': sys.stdin.read(),\n"
        "        'env': {k: v for k, v in os.environ.items()\n"
        "                if k.startswith('CST_') or 'ANTHROPIC' in k}}\n"
        f"path = os.path.join({str(out)!r}, uuid.uuid4().hex + '.json')\n"
        "with open(path, 'w') as f:\n"
        "    json.dump(data, f)\n",
        encoding="utf-8",
    )
    return script, out


def records(out: Path) -> list[dict[str, object]]:
    return [json.loads(p.read_text()) for p in sorted(out.glob("*.json"))]


def test_hook_gets_json_on_stdin_and_env_vars(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret-do-not-pass")
    script, out = recorder(tmp_path)
    runner = HookRunner([HookSettings(command=(sys.executable, str(script)), timeout=30)])
    try:
        assert runner.run([DOWN]) == 1
        assert runner.wait_idle(IDLE_DEADLINE)
    finally:
        runner.close()
    (rec,) = records(out)
    assert json.loads(str(rec["stdin"])) == json.loads(json.dumps(event_to_dict(DOWN)))
    env = rec["env"]
    assert isinstance(env, dict)
    assert "ANTHROPIC_API_KEY" not in env
    assert env["CST_EVENT_KIND"] == "service_down"
    assert env["CST_EVENT_KEY"] == DOWN.key
    assert env["CST_SEVERITY"] == "critical"
    assert env["CST_COMPONENT_ID"] == API_COMPONENT
    assert env["CST_COMPONENT_NAME"] == "Claude API"
    assert env["CST_HEALTH"] == "major_outage"
    assert env["CST_TITLE"] == "Claude API: major outage"
    assert env["CST_EVENT_AT"] == NOW.isoformat()


def test_shell_metacharacters_are_passed_literally(tmp_path: Path) -> None:
    script, out = recorder(tmp_path)
    canary = tmp_path / "pwned"
    tricky = [f"; touch {canary}", "$(touch x)", "a b", "`id`", "|", "&&", "*"]
    runner = HookRunner([HookSettings(command=(sys.executable, str(script), *tricky))])
    try:
        runner.run([DOWN])
        assert runner.wait_idle(IDLE_DEADLINE)
    finally:
        runner.close()
    (rec,) = records(out)
    assert rec["argv"] == tricky
    assert not canary.exists()


@pytest.mark.parametrize(
    ("filter_kinds", "expected_kinds"),
    [
        ((), ["service_down", "service_recovered", "incident_opened"]),
        (("service_recovered",), ["service_recovered"]),
        (("incident_opened", "service_down"), ["service_down", "incident_opened"]),
    ],
    ids=["empty-means-all", "one-kind", "two-kinds"],
)
def test_event_filter(
    tmp_path: Path, filter_kinds: tuple[str, ...], expected_kinds: list[str]
) -> None:
    script, out = recorder(tmp_path)
    hook = HookSettings(command=(sys.executable, str(script)), events=filter_kinds)
    runner = HookRunner([hook])
    try:
        assert runner.run([DOWN, BACK, INCIDENT]) == len(expected_kinds)
        assert runner.wait_idle(IDLE_DEADLINE)
    finally:
        runner.close()
    kinds = sorted(str(r["env"]["CST_EVENT_KIND"]) for r in records(out))  # type: ignore[index]
    assert kinds == sorted(expected_kinds)


def test_timeout_kills_the_hook_and_its_children(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pid_file = tmp_path / "child.pid"
    script = tmp_path / "slow.py"
    script.write_text(
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "time.sleep(300)\n",
        encoding="utf-8",
    )
    caplog.set_level(logging.WARNING, logger="tray_app.sinks.hooks")
    runner = HookRunner([HookSettings(command=(sys.executable, str(script)), timeout=1.0)])
    try:
        started = time.monotonic()
        runner.run([DOWN])
        assert time.monotonic() - started < 5, "run() must not wait for the hook"
        assert runner.wait_idle(IDLE_DEADLINE)
    finally:
        runner.close()
    assert any("killed after 1 s" in r.getMessage() for r in caplog.records)
    child = int(pid_file.read_text())
    deadline = time.monotonic() + IDLE_DEADLINE
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.05)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a killed child of the (also killed) hook may linger as a zombie until reparented and reaped
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_missing_program_and_failures_are_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="tray_app.sinks.hooks")
    failing = tmp_path / "fail.py"
    failing.write_text("import sys\nsys.stderr.write('boom')\nsys.exit(3)\n", encoding="utf-8")
    runner = HookRunner(
        [
            HookSettings(command=(str(tmp_path / "no-such-hook"),)),
            HookSettings(command=(sys.executable, str(failing))),
            HookSettings(command=()),
        ]
    )
    try:
        assert runner.run([DOWN]) == 2
        assert runner.wait_idle(IDLE_DEADLINE)
    finally:
        runner.close()
    messages = [r.getMessage() for r in caplog.records]
    assert any("no-such-hook" in m and "could not start" in m for m in messages), messages
    assert any("exited with 3: boom" in m for m in messages), messages


def test_queue_is_bounded(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "block.py"
    blocker.write_text("import time\ntime.sleep(300)\n", encoding="utf-8")
    caplog.set_level(logging.WARNING, logger="tray_app.sinks.hooks")
    runner = HookRunner([HookSettings(command=(sys.executable, str(blocker)), timeout=2.0)],
                        max_queued=2)  # fmt: skip
    try:
        queued = runner.run(
            [dataclasses.replace(DOWN, at=NOW + timedelta(seconds=n)) for n in range(10)]
        )
        assert 2 <= queued <= 3  # the worker may already have taken the first job
        assert any("hook queue full" in r.getMessage() for r in caplog.records)
        assert runner.wait_idle(IDLE_DEADLINE)
    finally:
        runner.close()


ENV_CASES = [
    ("service down", DOWN, {"CST_COMPONENT_ID": API_COMPONENT, "CST_HEALTH": "major_outage"}),
    ("recovered", BACK, {"CST_HEALTH": "operational", "CST_SEVERITY": "info"}),
    (
        "incident",
        INCIDENT,
        {
            "CST_INCIDENT_ID": "inc1",
            "CST_TITLE": "Elevated errors on several models",
            "CST_URL": "https://stspg.io/74sqh6d7f9vq",
            "CST_COMPONENT_ID": API_COMPONENT,
            "CST_SEVERITY": "critical",
        },
    ),
]


@pytest.mark.parametrize(
    ("event", "expected"), [c[1:] for c in ENV_CASES], ids=[c[0] for c in ENV_CASES]
)
def test_hook_env(event: ServiceDown, expected: dict[str, str]) -> None:
    base = {"PATH": "/bin", "ANTHROPIC_API_KEY": "sk-ant-x", "ANTHROPIC_AUTH_TOKEN": "t"}
    env = hook_env(event, base)
    assert env["PATH"] == "/bin"
    assert "ANTHROPIC_API_KEY" not in env and "ANTHROPIC_AUTH_TOKEN" not in env
    for key, value in expected.items():
        assert env[key] == value


# ---- hostile input (issue 11): credentials, repeats, relative paths ----


def test_no_anthropic_or_claude_credential_reaches_a_hook(tmp_path: Path) -> None:
    dump = tmp_path / "env.json"
    script = tmp_path / "dump.py"
    script.write_text(
        f"import json, os\nopen({str(dump)!r}, 'w').write(json.dumps(dict(os.environ)))\n",
        encoding="utf-8",
    )
    secrets = {
        "ANTHROPIC_API_KEY": "sk-ant-api03-fake",
        "ANTHROPIC_AUTH_TOKEN": "fake-token",
        "ANTHROPIC_BEDROCK_BASE_URL": "https://bedrock.example",
        "ANTHROPIC_CUSTOM_HEADERS": "X-Api-Key: fake",
        "anthropic_api_key": "sk-ant-lower-case",
        "CLAUDE_CODE_OAUTH_TOKEN": "sk-ant-oat01-fake",
        "CLAUDE_SESSION_KEY": "fake-session",
        "CLAUDE_API_SECRET": "fake-secret",
        "CLAUDE_CODE_REFRESH_TOKEN": "fake-refresh",
    }
    kept = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "CLAUDE_CONFIG_DIR": "/x"}
    runner = HookRunner(
        [HookSettings(command=(sys.executable, str(script)), timeout=30)],
        base_env={**kept, **secrets},
    )
    try:
        runner.run([DOWN])
        assert runner.wait_idle(IDLE_DEADLINE)
    finally:
        runner.close()
    env = json.loads(dump.read_text())
    assert not set(secrets) & set(env), sorted(set(secrets) & set(env))
    assert not [v for v in env.values() if "fake" in v or "sk-ant" in v]
    for name, value in kept.items():
        assert env[name] == value
    assert env["CST_EVENT_KEY"] == DOWN.key


def test_the_same_event_runs_the_hooks_once(tmp_path: Path) -> None:
    """A page repeating itself (or a source sending one event again) never reruns a hook."""
    script, out = recorder(tmp_path)
    runner = HookRunner([HookSettings(command=(sys.executable, str(script)), timeout=30)])
    try:
        assert runner.run([INCIDENT]) == 1
        assert runner.run([INCIDENT]) == 0
        assert runner.run([INCIDENT, DOWN, DOWN]) == 1
        assert runner.wait_idle(IDLE_DEADLINE)
    finally:
        runner.close()
    kinds = sorted(json.loads(str(r["stdin"]))["kind"] for r in records(out))
    assert kinds == ["incident_opened", "service_down"]


@pytest.mark.parametrize("program", ["./notify.sh", "bin/notify", "~/bin/notify.sh"])
def test_config_validate_refuses_a_relative_hook_path(program: str) -> None:
    write_loopback_config(
        "http://127.0.0.1:9", extra=f'\n[[hooks]]\ncommand = ["{program}", "x"]\n'
    )
    result = run_cli("config", "validate")
    assert result.returncode != 0
    assert "hooks[0].command[0]" in result.stderr
    assert "absolute path or a program name on PATH" in result.stderr


@pytest.mark.parametrize("program", ["notify-send", "/usr/bin/notify-send"])
def test_config_validate_takes_a_program_name_or_an_absolute_path(program: str) -> None:
    write_loopback_config(
        "http://127.0.0.1:9", extra=f'\n[[hooks]]\ncommand = ["{program}", "x"]\n'
    )
    result = run_cli("config", "validate")
    assert result.returncode == 0, result.stderr
