"""Other services (issue 14): `[[providers]]` read beside Claude, never part of Claude's state.

Real captures served by loopback servers (openai_summary.json is incident.io's Statuspage-
compatible output; the Instructure capture has component groups and an open incident), the real
CLI as a subprocess, and a recording notification server on a private session bus.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.apprig import REPO, run_cli, write_loopback_config
from tests.rigs_dbus import private_session_bus, recording_notification_server
from tests.statusserver import (
    CAPTIVE_PORTAL_200,
    FIXTURES,
    SUMMARY_PATH,
    Route,
    StatusServer,
    incident_doc,
    json_body_route,
    json_route,
    load_fixture,
    summary_doc,
)
from tray_app.config.schema import API_COMPONENT, ProviderSettings, Settings
from tray_app.config.validate import parse_config
from tray_app.core.models import Health, MonitorSnapshot, ProviderStatus
from tray_app.platform.paths import AppPaths
from tray_app.sinks.menu import OPEN_URL, MenuPrefs, build_menu
from tray_app.sinks.notification import BODY_MAX, Notification, make_notification
from tray_app.sinks.provider_alerts import ProviderNotices, with_provider_context
from tray_app.sources.providers import ProviderPoller, poll_interval, provider_status
from tray_app.sources.statuspage import HTML_MESSAGE
from tray_app.sources.summary import parse_summary

OPENAI = "openai_summary.json"
GROUPS = "statuspage_generic_instructure_summary_with_groups.json"
AWS_INCIDENT = "Amazon Web Services (AWS) is currently experiencing an outage"
NOW = datetime(2026, 10, 7, 12, 0, tzinfo=timezone.utc)


def capture_route(name: str) -> Route:
    return json_body_route((FIXTURES / name).read_bytes())


def provider_block(name: str, url: str, extra: str = "") -> str:
    return f'\n[[providers]]\nname = "{name}"\nurl = "{url}"\n{extra}\n'


@pytest.fixture
def others() -> Iterator[StatusServer]:
    """A second loopback server: each provider's page under its own path."""
    with StatusServer() as server:
        server.set("/openai" + SUMMARY_PATH, capture_route(OPENAI))
        server.set("/instructure" + SUMMARY_PATH, capture_route(GROUPS))
        yield server


def write_config(claude: StatusServer, blocks: str) -> Path:
    # the providers' tables come last: [[providers]] after [probes] in the file
    return write_loopback_config(claude.url, extra=blocks)


# ---- pure: what a page says about a provider ----


def test_incident_io_page_without_incidents_is_read_from_its_components() -> None:
    page = parse_summary(load_fixture(OPENAI), NOW)
    status = provider_status(ProviderSettings("OpenAI", "https://status.openai.com"), page)
    assert status.health is Health.OPERATIONAL
    assert len(status.components) == 25
    assert status.incidents == ()
    assert status.error is None


def test_page_with_groups_and_an_incident() -> None:
    page = parse_summary(load_fixture(GROUPS), NOW)
    status = provider_status(ProviderSettings("Instructure", "https://x.example"), page)
    assert status.health is Health.DEGRADED
    assert any(c.is_group for c in status.components)
    assert [i.name[: len(AWS_INCIDENT)] for i in status.incidents] == [AWS_INCIDENT]


def test_only_the_named_components_count() -> None:
    page = parse_summary(load_fixture(GROUPS), NOW)
    operational = next(c for c in page.components if c.health is Health.OPERATIONAL)
    provider = ProviderSettings("Instructure", "https://x.example", components=(operational.id,))
    status = provider_status(provider, page)
    assert status.health is Health.OPERATIONAL
    assert [c.id for c in status.components] == [operational.id]
    missing = ProviderSettings("Instructure", "https://x.example", components=("nope",))
    assert provider_status(missing, page).health is Health.UNKNOWN
    assert "nope" in (provider_status(missing, page).error or "")


# ---- settings ----


def test_providers_are_read_at_claudes_interval_but_never_faster_than_30_s_remotely() -> None:
    fast = parse_config("[status_page]\nurl = 'http://127.0.0.1:9'\ninterval = 1")
    remote = ProviderSettings("OpenAI", "https://status.openai.com")
    local = ProviderSettings("Local", "http://127.0.0.1:8000/openai")
    assert poll_interval(remote, fast) == 30.0
    assert poll_interval(local, fast) == 1.0
    assert poll_interval(remote, Settings()) == Settings().status_page.interval


def test_providers_settings_parse_with_defaults() -> None:
    settings = parse_config(
        '[[providers]]\nname = "OpenAI"\nurl = "https://status.openai.com"\nfallback = true\n'
        '[[providers]]\nname = "Cloudflare"\nurl = "https://www.cloudflarestatus.com"\n'
        'upstream = true\ncomponents = ["abc"]\nnotify = true\n'
    )
    assert settings.providers == (
        ProviderSettings("OpenAI", "https://status.openai.com", fallback=True),
        ProviderSettings(
            "Cloudflare",
            "https://www.cloudflarestatus.com",
            components=("abc",),
            notify=True,
            upstream=True,
        ),
    )
    assert Settings().providers == ()  # nothing extra is fetched unless the user asks


def test_config_validate_names_an_unknown_key_in_a_provider(claude: StatusServer) -> None:
    write_config(
        claude,
        provider_block("OpenAI", "https://status.openai.com", "fallbak = true")
        + provider_block("Broken", "ftp://nowhere"),
    )
    result = run_cli("config", "validate")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert "providers[0].fallbak: unknown setting (did you mean providers[0].fallback?)" in lines[0]
    assert "providers[1].url" in lines[1]
    assert lines[1].endswith("this [[providers]] entry is left out")


def test_addresses_pasted_with_their_json_path_are_read_from_the_pages_base(
    claude: StatusServer, others: StatusServer
) -> None:
    """A status page's address copied from the browser's JSON tab (…/api/v2/summary.json),
    for Claude's page or another service's, is that page: valid, shown and read at its base
    (it was read as <it>/api/v2/summary.json: HTTP 404)."""
    path = write_config(
        claude, provider_block("OpenAI", others.url + "/openai/api/v2/summary.json")
    )
    text = path.read_text(encoding="utf-8")
    pasted = f'url = "{claude.url}/api/v2/status.json"'
    path.write_text(text.replace(f'url = "{claude.url}"', pasted, 1), encoding="utf-8")
    validate = run_cli("config", "validate")
    assert validate.returncode == 0, validate.stderr
    shown = run_cli("config", "show").stdout
    assert f'url = "{claude.url}"' in shown and f'url = "{others.url}/openai"' in shown
    assert "/api/v2/" not in shown
    result = run_cli("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("Claude: all systems operational")
    assert "✓  OpenAI" in result.stdout.split("Other services", 1)[1]
    assert "404" not in result.stdout


# ---- check: a table section and a JSON list; Claude's exit code stays Claude's ----


def test_check_shows_other_services_and_keeps_claudes_exit_code(
    claude: StatusServer, others: StatusServer
) -> None:
    others.set("/broken" + SUMMARY_PATH, Route(status=500, body=b"oops"))
    others.set("/huge" + SUMMARY_PATH, Route(body=b'{"x": "', fill=3 * 1024 * 1024))
    others.set("/portal" + SUMMARY_PATH, CAPTIVE_PORTAL_200)
    write_config(
        claude,
        provider_block("OpenAI", others.url + "/openai", "fallback = true")
        + provider_block("Instructure", others.url + "/instructure", "upstream = true")
        + provider_block("Broken", others.url + "/broken")
        + provider_block("Huge", others.url + "/huge")
        + provider_block("Portal", others.url + "/portal"),
    )
    result = run_cli("check")
    assert result.returncode == 0, result.stdout + result.stderr  # Claude is operational
    assert result.stdout.startswith("Claude: all systems operational")
    section = result.stdout.split("Other services", 1)[1]
    assert "✓  OpenAI" in section and "operational" in section
    assert "!  Instructure" in section and "degraded performance" in section
    assert AWS_INCIDENT in section
    assert "?  Broken" in section and "HTTP 500" in section
    assert "?  Huge" in section
    assert "Traceback" not in result.stderr
    assert "?  Portal       unknown — status page answered HTML, not JSON (" in section
    for line in section.splitlines():  # never "unknown (… (captive portal …?))"
        depth = 0
        for char in line:
            depth += {"(": 1, ")": -1}.get(char, 0)
            assert depth <= 1, line

    as_json = run_cli("check", "--json")
    assert as_json.returncode == 0
    doc = json.loads(as_json.stdout)
    assert doc["overall"] == "operational"
    providers = {p["name"]: p for p in doc["providers"]}
    assert list(providers) == ["OpenAI", "Instructure", "Broken", "Huge", "Portal"]
    assert providers["OpenAI"]["overall"] == "operational"
    assert len(providers["OpenAI"]["components"]) == 25
    assert providers["OpenAI"]["incidents"] == []
    assert providers["Instructure"]["overall"] == "degraded"
    assert providers["Instructure"]["incidents"][0]["name"].startswith(AWS_INCIDENT)
    assert any(c["group"] for c in providers["Instructure"]["components"])
    assert providers["Broken"]["overall"] == "unknown"
    assert providers["Huge"]["overall"] == "unknown"


def test_a_provider_outage_never_changes_claudes_verdict(
    claude: StatusServer, others: StatusServer
) -> None:
    down = summary_doc("critical", {"k8w3r06qmzrp": "major_outage"})
    others.set("/down" + SUMMARY_PATH, json_route(down))
    write_config(claude, provider_block("Down", others.url + "/down", "upstream = true"))
    result = run_cli("check", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["overall"] == "operational"
    assert doc["providers"][0]["overall"] == "major_outage"

    claude.set_summary(summary_doc("critical", {API_COMPONENT: "major_outage"}))
    others.set("/down" + SUMMARY_PATH, capture_route(OPENAI))
    assert run_cli("check").returncode == 2  # Claude down, a provider fine: still Claude's 2


# ---- the menu ----


def _status(
    name: str, health: Health, *, upstream: bool = False, fallback: bool = False
) -> ProviderStatus:
    url = f"https://{name.lower()}.example"
    return ProviderStatus(name, url, health, health.label, upstream=upstream, fallback=fallback)


def test_menu_has_an_other_services_section_whose_incidents_open_their_pages() -> None:
    page = parse_summary(load_fixture(GROUPS), NOW)
    instructure = provider_status(ProviderSettings("Instructure", "https://x.example"), page)
    snapshot = MonitorSnapshot(
        Health.OPERATIONAL,
        "All good",
        providers=(_status("OpenAI", Health.OPERATIONAL), instructure),
    )
    items = build_menu(snapshot, MenuPrefs(), NOW)
    texts = [i.text for i in items]
    at = texts.index("Other services:")
    assert texts[at + 1] == "✓ OpenAI: operational"
    assert items[at + 1].action == OPEN_URL and items[at + 1].arg == "https://openai.example"
    assert texts[at + 2] == "! Instructure: degraded performance"
    incident = items[at + 3]
    assert AWS_INCIDENT in incident.text
    assert incident.action == OPEN_URL
    assert incident.arg == instructure.incidents[0].shortlink or incident.arg == "https://x.example"
    broken = dataclasses.replace(_status("Broken", Health.UNKNOWN), error=HTML_MESSAGE)
    long = dataclasses.replace(_status("Long", Health.UNKNOWN), error="x" * 200)
    unknown = dataclasses.replace(snapshot, providers=(broken, long))
    lines = [i.text for i in build_menu(unknown, MenuPrefs(), NOW)]
    assert f"? Broken: unknown — {HTML_MESSAGE}" in lines  # not "unknown (… (captive …)"
    assert f"? Long: unknown — {'x' * 79}…" in lines
    plain = build_menu(MonitorSnapshot(Health.OPERATIONAL, "All good"), MenuPrefs(), NOW)
    assert "Other services:" not in [i.text for i in plain]


# ---- notification text ----


def _down_news() -> Notification:
    return make_notification(
        "Claude API: major outage",
        "Elevated errors on the Claude API. " + "We are investigating. " * 20,
        keys=("service:k8w3r06qmzrp:major_outage:2026-10-07T12:00:00+00:00",),
    )


def test_claudes_down_news_names_upstream_incidents_and_operational_fallbacks() -> None:
    page = parse_summary(load_fixture(GROUPS), NOW)
    upstream = provider_status(
        ProviderSettings("Cloudflare", "https://c.example", upstream=True), page
    )
    fallback = _status("OpenAI", Health.OPERATIONAL, fallback=True)
    quiet = _status("GitHub", Health.MAJOR_OUTAGE)  # neither upstream nor fallback: not named
    snapshot = MonitorSnapshot(
        Health.MAJOR_OUTAGE, "Major outage", providers=(upstream, fallback, quiet)
    )
    news = _down_news()
    told = with_provider_context(news, snapshot)
    lines = told.body.splitlines()
    assert lines[-2].startswith(f"Cloudflare also reports: {AWS_INCIDENT[:40]}")
    assert lines[-1] == "OpenAI: operational"
    assert "GitHub" not in told.body
    assert told.body.startswith("Elevated errors on the Claude API.")
    assert len(told.body) <= BODY_MAX
    # not "down" news, or Claude not down: untouched
    back = make_notification("Claude API is back", "after 3 min", keys=("service:x:recovered:t",))
    assert with_provider_context(back, snapshot) == back
    calm = MonitorSnapshot(Health.OPERATIONAL, "ok", providers=(upstream, fallback))
    assert with_provider_context(news, calm) == news


def test_a_provider_with_notify_is_told_on_trouble_and_on_return_only() -> None:
    settings = parse_config(
        '[[providers]]\nname = "GitHub"\nurl = "https://g.example"\nnotify = true\n'
        '[[providers]]\nname = "OpenAI"\nurl = "https://o.example"\n'
    )
    notices = ProviderNotices()
    ok = (_status("GitHub", Health.OPERATIONAL), _status("OpenAI", Health.OPERATIONAL))
    assert notices.decide(ok, settings, NOW) == []
    down = (_status("GitHub", Health.MAJOR_OUTAGE), _status("OpenAI", Health.MAJOR_OUTAGE))
    told = notices.decide(down, settings, NOW)
    assert [n.title for n in told] == ["GitHub: major outage"]  # OpenAI: context only
    assert notices.decide(down, settings, NOW) == []
    unknown = (_status("GitHub", Health.UNKNOWN), _status("OpenAI", Health.UNKNOWN))
    assert notices.decide(unknown, settings, NOW) == []
    assert [n.title for n in notices.decide(ok, settings, NOW)] == ["GitHub is operational again"]


def test_a_provider_with_notify_keeps_the_users_quiet_hours() -> None:
    local = NOW.astimezone()
    span = f"{local:%H:%M}-{(local + timedelta(hours=1)):%H:%M}"  # NOW is inside
    settings = parse_config(
        f'[notifications]\nquiet_hours = "{span}"\n'
        '[[providers]]\nname = "GitHub"\nurl = "https://g.example"\nnotify = true\n'
    )
    notices = ProviderNotices()
    ok, down = _status("GitHub", Health.OPERATIONAL), _status("GitHub", Health.MAJOR_OUTAGE)
    before, later = NOW - timedelta(hours=1), NOW + timedelta(hours=2)
    assert notices.decide((ok,), settings, before) == []
    assert notices.decide((down,), settings, NOW) == []  # quiet
    assert notices.decide((ok,), settings, NOW) == []  # over during the night: never said
    assert notices.decide((ok,), settings, later) == []
    assert notices.decide((down,), settings, NOW) == []
    told = notices.decide((down,), settings, later)  # still down after the night: said now
    assert [n.title for n in told] == ["GitHub: major outage"]


# ---- the running app: same client, ETag, backoff; one log line; notifications ----


def _watch(env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tray_app", "watch", *([] if env else ["--no-notify"])],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=REPO,
    )


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    return process.communicate(timeout=30)[1]


def test_watch_reads_providers_with_etag_and_a_broken_one_is_logged_once(
    claude: StatusServer, others: StatusServer
) -> None:
    others.set("/huge" + SUMMARY_PATH, Route(body=b'{"x": "', fill=3 * 1024 * 1024))
    write_config(
        claude,
        provider_block("OpenAI", others.url + "/openai")
        + provider_block("Huge", others.url + "/huge"),
    )
    process = _watch()
    try:
        others.wait_for_requests("/openai" + SUMMARY_PATH, 3, timeout=30)
        others.wait_for_requests("/huge" + SUMMARY_PATH, 2, timeout=30)
        seen = len(claude.requests_for(SUMMARY_PATH))
        claude.wait_for_requests(SUMMARY_PATH, seen + 2)  # Claude's page keeps its pace
    finally:
        stderr = _stop(process)
    openai = others.requests_for("/openai" + SUMMARY_PATH)
    assert "if-none-match" not in openai[0].headers
    assert openai[1].headers.get("if-none-match") == capture_route(OPENAI).etag
    assert stderr.count("provider Huge:") == 1, stderr
    assert "Traceback" not in stderr
    statusline = run_cli("statusline")
    assert "operational" in statusline.stdout  # Claude's verdict, whatever the providers say


def _both_read(saved: Path) -> bool:
    try:
        doc = json.loads(saved.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return all(p["checked_at"] for p in doc["providers"])


def test_the_report_shows_the_other_services_as_last_read(
    claude: StatusServer, others: StatusServer, tmp_path: Path
) -> None:
    write_config(
        claude,
        provider_block("OpenAI", others.url + "/openai")
        + provider_block("Instructure", others.url + "/instructure"),
    )
    saved = AppPaths.default().state_dir / "providers.json"
    process = _watch()
    try:
        deadline = time.monotonic() + 30
        while not _both_read(saved):
            assert time.monotonic() < deadline, "the app never saved both providers as read"
            time.sleep(0.1)
        claude.wait_for_requests(SUMMARY_PATH, 3)  # history recorded beside them
    finally:
        _stop(process)
    page = tmp_path / "report.html"
    result = run_cli("report", "--output", str(page))
    assert result.returncode == 0, result.stderr
    html = page.read_text(encoding="utf-8")
    other = html.split("<h2>Other services</h2>", 1)[1]
    assert f'href="{others.url}/openai"' in other
    assert "Instructure" in other and "degraded performance" in other
    assert AWS_INCIDENT in other

    write_config(claude, "")  # the user removes them: the report no longer shows them
    process = _watch()
    try:
        seen = len(claude.requests_for(SUMMARY_PATH))
        claude.wait_for_requests(SUMMARY_PATH, seen + 1)
    finally:
        _stop(process)
    assert run_cli("report", "--output", str(page)).returncode == 0
    assert "Other services" not in page.read_text(encoding="utf-8")


def test_claudes_down_notification_adds_the_providers_lines(
    claude: StatusServer, others: StatusServer, tmp_path: Path
) -> None:
    down = summary_doc("critical", {"k8w3r06qmzrp": "major_outage"})
    others.set("/github" + SUMMARY_PATH, capture_route(OPENAI))
    write_config(
        claude,
        "[notifications]\nmin_interval = 1\n"
        + provider_block("OpenAI", others.url + "/openai", "fallback = true")
        + provider_block("Instructure", others.url + "/instructure", "upstream = true")
        + provider_block("GitHub", others.url + "/github", "notify = true"),
    )
    with private_session_bus() as env, recording_notification_server(env, tmp_path) as server:
        process = _watch(env)
        try:
            for name in ("openai", "instructure", "github"):
                others.wait_for_responses(f"/{name}" + SUMMARY_PATH, 1, timeout=30)
            claude.wait_for_requests(SUMMARY_PATH, 2)
            assert server.notify_calls() == []  # providers fine or context-only: nothing said

            claude.set_summary(
                summary_doc(
                    "critical",
                    {API_COMPONENT: "major_outage"},
                    incidents=[incident_doc("inc9", "Elevated errors on the Claude API")],
                )
            )
            (claude_down,) = server.wait_for_notify(1, deadline=30)
            body = claude_down["body"]
            assert "Instructure also reports: Amazon Web Services" in body
            assert "OpenAI: operational" in body.splitlines()

            others.set("/github" + SUMMARY_PATH, json_route(down))
            calls = server.wait_for_notify(2, deadline=30)
            assert calls[1]["summary"] == "GitHub: major outage"

            others.set("/github" + SUMMARY_PATH, capture_route(OPENAI))
            calls = server.wait_for_notify(3, deadline=30)
            back = calls[2]  # one bubble per provider outage: "again" in place of its "down"
            assert (back["summary"], back["replaces_id"]) == (
                "GitHub is operational again",
                calls[1]["id"],
            )
            # Claude's snooze / one-shot buttons would do nothing on another service's bubble
            assert calls[1]["actions"] == ["default", "Open status page"]
        finally:
            stderr = _stop(process)
    assert "Traceback" not in stderr


def test_a_failing_provider_backs_off_while_claudes_page_keeps_its_pace(
    claude: StatusServer, others: StatusServer
) -> None:
    others.set("/broken" + SUMMARY_PATH, Route(status=503, body=b"down for maintenance"))
    write_config(claude, provider_block("Broken", others.url + "/broken"))
    process = _watch()
    try:
        others.wait_for_requests("/broken" + SUMMARY_PATH, 1, timeout=30)
        start = len(claude.requests_for(SUMMARY_PATH))
        claude.wait_for_requests(SUMMARY_PATH, start + 10, timeout=60)  # ~10 s at 1 s
    finally:
        stderr = _stop(process)
    # backoff 1, 2, 4, 8 s (+/- 20 %): at most ~5 reads while Claude's page was read ~10 times;
    # without backoff it would be read as often as Claude's page
    broken = len(others.requests_for("/broken" + SUMMARY_PATH))
    assert broken <= 6, broken
    assert stderr.count("provider Broken:") == 1, stderr


class _FakeReader:
    """A provider whose page answers after ``delay`` seconds (no network)."""

    def __init__(self, name: str, delay: float) -> None:
        self.provider = ProviderSettings(name, f"https://{name}.example")
        self._delay = delay

    def read(self) -> tuple[ProviderStatus, float | None]:
        time.sleep(self._delay)
        status = ProviderStatus(self.provider.name, self.provider.url, Health.OPERATIONAL, "ok")
        return dataclasses.replace(status, checked_at=NOW), None


def test_the_last_change_handed_on_is_never_older_than_an_earlier_one() -> None:
    """A slow sink on the first change must not leave the last word to a stale picture."""
    seen: list[tuple[ProviderStatus, ...]] = []

    def on_change(statuses: tuple[ProviderStatus, ...]) -> None:
        if not seen and statuses[1].checked_at is None:
            time.sleep(0.5)  # the first change's sink is slow; the second read lands meanwhile
        seen.append(statuses)

    readers = [_FakeReader("fast", 0.0), _FakeReader("slow", 0.1)]
    poller = ProviderPoller(readers, Settings(), on_change=on_change)  # type: ignore[arg-type]
    poller.start()
    try:
        deadline = time.monotonic() + 10
        while len(seen) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        poller.stop()
    assert all(s.checked_at is not None for s in seen[-1])
