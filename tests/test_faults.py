"""The whole pipeline under each fault, against real local servers with fake time.

Each case runs a real Monitor (httpx sources from build_sources) -> AlertPolicy -> Notifier with
a recording backend, and checks three things: the resulting overall state, a log line a user
could understand, and that no "down" notification went out unless Claude really was down.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
import trustme

from tests.apprig import run_cli, write_loopback_config
from tests.faultrig import (
    MiB,
    Pipeline,
    RawServer,
    closed_port_url,
    full_backlog_url,
    gzip_bomb,
    header_drip,
    make_settings,
    peak_rss_bytes,
    reset_peak_rss,
    rss_bytes,
)
from tests.rigs_dbus import private_session_bus, recording_notification_server
from tests.statusserver import (
    API_401,
    API_529_OVERLOADED,
    CAPTIVE_PORTAL_200,
    CLOUDFLARE_403,
    SUMMARY_PATH,
    Route,
    StatusServer,
    component_doc,
    incident_doc,
    maintenance_doc,
    redirect,
    summary_doc,
)
from tray_app.config.schema import API_COMPONENT, CLAUDE_CODE_COMPONENT, HookSettings
from tray_app.core.events import Event, ServiceDown, ServiceRecovered
from tray_app.core.models import Health
from tray_app.platform.paths import AppPaths
from tray_app.sinks.history.formats import report_to_csv, report_to_text
from tray_app.sinks.history.queries import ComponentUptime, HistoryReport, Outage
from tray_app.sinks.hooks import HookRunner
from tray_app.sinks.notification import Urgency, make_notification
from tray_app.sinks.notify import DBusBackend
from tray_app.sources import summary
from tray_app.sources.build import build_sources
from tray_app.sources.monitor import Monitor

REPO = Path(__file__).resolve().parent.parent
JSON_HEADERS = (("Content-Type", "application/json"),)
HTML_HEADERS = (("Content-Type", "text/html; charset=utf-8"),)
SUMMARY_BYTES = json.dumps(summary_doc()).encode()


@pytest.fixture
def healthy_probes(status_server: StatusServer) -> StatusServer:
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    return status_server


def monitor_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("tray_app")]


def assert_logged(caplog: pytest.LogCaptureFixture, text: str) -> str:
    lines = [line for line in monitor_lines(caplog) if text in line]
    assert lines, f"no log line containing {text!r}; got {monitor_lines(caplog)}"
    return lines[0]


def assert_no_false_down(pipe: Pipeline) -> None:
    assert pipe.down_notifications() == [], [n.title for n in pipe.notifications]
    assert not [e for e in pipe.events if isinstance(e, ServiceDown)]


# ---- the status page fails in one way; probes are healthy ----


@dataclass(frozen=True)
class PageFault:
    arm: Callable[[StatusServer, ExitStack], str]  # scripts the fault; returns the page base URL
    log: str  # part of the line the monitor logs for it
    timeout: float = 2.0


def _route(route: Route) -> Callable[[StatusServer, ExitStack], str]:
    def arm(server: StatusServer, stack: ExitStack) -> str:
        server.set(SUMMARY_PATH, route)
        return server.url

    return arm


def _refused(server: StatusServer, stack: ExitStack) -> str:
    return closed_port_url()


def _connect_timeout(server: StatusServer, stack: ExitStack) -> str:
    return stack.enter_context(full_backlog_url())


def _tls_untrusted(server: StatusServer, stack: ExitStack) -> str:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)  # a CA nobody trusts
    https = stack.enter_context(StatusServer(ssl_context=context))
    https.set_summary(summary_doc())
    return https.url


def _redirect_loop(server: StatusServer, stack: ExitStack) -> str:
    server.set(SUMMARY_PATH, redirect(SUMMARY_PATH, 302))
    return server.url


def _header_drip(server: StatusServer, stack: ExitStack) -> str:
    return stack.enter_context(RawServer(header_drip(0.1))).url


def _status(code: int) -> Route:
    return Route(status=code, body=b"<html><body>error</body></html>", headers=HTML_HEADERS)


PAGE_FAULTS = {
    "connection-refused": PageFault(_refused, "connection refused"),
    "connect-timeout-full-backlog": PageFault(_connect_timeout, "timed out connecting", 0.5),
    "read-timeout-slow-drip": PageFault(
        _route(Route(body=SUMMARY_BYTES, headers=JSON_HEADERS, drip=1.0, chunk_size=256)),
        "did not answer in time",
        0.5,
    ),
    "header-drip-one-byte-at-a-time": PageFault(_header_drip, "did not answer in time", 0.5),
    "gzip-gzip-decompression-bomb": PageFault(
        _route(
            Route(
                body=gzip_bomb(),
                headers=(*JSON_HEADERS, ("Content-Encoding", "gzip, gzip")),
            )
        ),
        "(decompressed)",
    ),
    "retry-after-unicode-digit": PageFault(
        _route(Route(status=503, body=b"busy", headers=(("Retry-After", "\u00b2"),))),
        "HTTP 503 Service Unavailable",
    ),
    "tls-untrusted-certificate": PageFault(_tls_untrusted, "TLS failure talking to 127.0.0.1"),
    "http-500": PageFault(_route(_status(500)), "HTTP 500 Internal Server Error"),
    "http-502": PageFault(_route(_status(502)), "HTTP 502 Bad Gateway"),
    "http-503": PageFault(_route(_status(503)), "HTTP 503 Service Unavailable"),
    "http-504": PageFault(_route(_status(504)), "HTTP 504 Gateway Timeout"),
    "cloudflare-403-challenge": PageFault(_route(CLOUDFLARE_403), "HTML, not JSON"),
    "malformed-json": PageFault(
        _route(Route(body=b'{"status": {"indicator": none}}', headers=JSON_HEADERS)),
        "broken JSON",
    ),
    "truncated-json": PageFault(
        _route(Route(body=SUMMARY_BYTES[: len(SUMMARY_BYTES) // 2], headers=JSON_HEADERS)),
        "broken JSON (truncated?)",
    ),
    "json-of-the-wrong-shape": PageFault(
        _route(Route(body=b'[{"id": "x", "status": "operational"}]', headers=JSON_HEADERS)),
        "wrong shape",
    ),
    "components-json-not-summary": PageFault(
        _route(Route(body=b'{"page": {}, "components": [{"id": "a"}]}', headers=JSON_HEADERS)),
        "'status' is missing",
    ),
    "redirect-loop": PageFault(_redirect_loop, "redirect loop?"),
    "reset-mid-answer": PageFault(_route(Route(reset=True)), "broke mid-answer"),
}


@pytest.mark.parametrize("fault", PAGE_FAULTS.values(), ids=PAGE_FAULTS.keys())
def test_status_page_fault_is_page_unreachable_never_down(
    fault: PageFault, healthy_probes: StatusServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with ExitStack() as stack:
        page_url = fault.arm(healthy_probes, stack)
        settings = make_settings(
            page_url,
            healthy_probes.url_for("/v1/models"),
            healthy_probes.url_for("/"),
            timeout=fault.timeout,
        )
        with Pipeline(settings) as pipe:
            pipe.run_for(180)
            snap = pipe.snapshot
            page_times = pipe.times_of("page")
    assert snap.overall is Health.STATUS_PAGE_UNREACHABLE, snap.description
    assert snap.description == "The status page cannot be read; showing the last known status"
    assert snap.page_error
    line = assert_logged(caplog, fault.log)
    assert line.startswith("status page: ")
    assert_no_false_down(pipe)
    assert page_times == [0.0, 60.0, 180.0]  # backed off: 60 s, then 120 s
    assert pipe.notifications == []  # offline/unreachable notices are off by default


def test_page_failing_during_an_outage_keeps_the_outage_and_sends_no_false_recovery(
    healthy_probes: StatusServer, caplog: pytest.LogCaptureFixture
) -> None:
    healthy_probes.set_summary(summary_doc("critical", {API_COMPONENT: "major_outage"}))
    settings = make_settings(healthy_probes.url)
    with Pipeline(settings) as pipe:
        pipe.run_for(30)
        healthy_probes.set(SUMMARY_PATH, _status(502))
        pipe.run_for(300)
        snap = pipe.snapshot
    assert snap.overall is Health.MAJOR_OUTAGE
    assert snap.description.endswith("(status page unreachable)")
    assert_logged(caplog, "HTTP 502 Bad Gateway")
    assert not [e for e in pipe.events if isinstance(e, ServiceRecovered)]
    assert [n.title for n in pipe.notifications] == ["Claude API (api.anthropic.com) down"]


@pytest.mark.parametrize(
    ("declared", "max_body"),
    [(False, 2 * MiB), (True, 2 * MiB)],
    ids=["50MB-chunked-streamed", "50MB-content-length-declared"],
)
def test_50_megabyte_page_is_capped_without_growing_memory(
    declared: bool,
    max_body: int,
    healthy_probes: StatusServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    huge = Route(body=b'{"status": ', headers=JSON_HEADERS, fill=50 * MiB, chunked=not declared)
    healthy_probes.set(SUMMARY_PATH, huge)
    settings = make_settings(healthy_probes.url, max_body_bytes=max_body)
    before = rss_bytes()
    reset_peak_rss()
    with Pipeline(settings) as pipe:
        pipe.run_for(180)
        snap = pipe.snapshot
    growth = peak_rss_bytes() - before
    assert growth < 20 * MiB, f"peak RSS grew {growth / MiB:.1f} MiB"
    assert snap.overall is Health.STATUS_PAGE_UNREACHABLE
    assert_logged(caplog, "response larger than 2 MiB from 127.0.0.1")
    assert_no_false_down(pipe)


def test_429_retry_after_is_honoured(
    healthy_probes: StatusServer, caplog: pytest.LogCaptureFixture
) -> None:
    too_many = Route(
        status=429,
        body=b'{"error": "rate limited"}',
        headers=(*JSON_HEADERS, ("Retry-After", "240")),
    )
    healthy_probes.script(SUMMARY_PATH, [too_many, too_many])
    settings = make_settings(healthy_probes.url)
    with Pipeline(settings) as pipe:
        pipe.run_for(230)
        assert pipe.times_of("page") == [0.0]  # a 60 s backoff would have asked again at 60
        assert pipe.snapshot.overall is Health.STATUS_PAGE_UNREACHABLE
        pipe.run_for(10)
        assert pipe.times_of("page") == [0.0, 240.0]
        healthy_probes.set_summary(summary_doc())
        pipe.run_for(480)
        times = pipe.times_of("page")
        snap = pipe.snapshot
    assert times[:3] == [0.0, 240.0, 480.0]  # the second 429 asked for 240 s again
    assert len(healthy_probes.requests_for(SUMMARY_PATH)) == len(times)
    assert snap.overall is Health.OPERATIONAL
    assert_logged(caplog, "HTTP 429 Too Many Requests (retry after 240 s)")
    assert_no_false_down(pipe)


# ---- faults that hit everything ----


def test_connection_refused_everywhere_is_offline(caplog: pytest.LogCaptureFixture) -> None:
    url = closed_port_url()
    with Pipeline(make_settings(url)) as pipe:
        pipe.run_for(180)
        snap = pipe.snapshot
    assert snap.overall is Health.OFFLINE
    assert snap.description.startswith("You appear to be offline")
    assert_logged(caplog, "cannot connect to 127.0.0.1")
    assert_no_false_down(pipe)


DNS_CHILD = """
import json, logging
from tests.faultrig import Pipeline, make_settings
lines = []
class Keep(logging.Handler):
    def emit(self, record):
        lines.append(record.getMessage())
logging.getLogger().addHandler(Keep())
logging.getLogger().setLevel(logging.INFO)
settings = make_settings(
    "http://status.nonexistent.invalid",
    "http://api.nonexistent.invalid/v1/models",
    "http://claude.nonexistent.invalid/",
)
with Pipeline(settings) as pipe:
    pipe.run_for(180)
    print(json.dumps({
        "overall": pipe.snapshot.overall.value,
        "description": pipe.snapshot.description,
        "lines": lines,
        "notifications": [n.title for n in pipe.notifications],
        "events": [e.kind for e in pipe.events],
    }))
"""


def test_dns_failure_everywhere_is_offline() -> None:
    """The resolver here sends queries to a nameserver off the machine (even for .invalid), so
    the pipeline runs in a child in a fresh network namespace (``unshare -n``, we are root):
    the resolver cannot reach any nameserver and fails like a laptop with no network."""
    unshare = shutil.which("unshare")
    assert unshare, "util-linux unshare is needed for the DNS case"
    result = subprocess.run(
        [unshare, "-n", sys.executable, "-c", DNS_CHILD],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["overall"] == "offline", out
    assert any("cannot resolve host status.nonexistent.invalid" in x for x in out["lines"]), out
    assert "went_offline" in out["events"]
    assert not [t for t in out["notifications"] if "down" in t.lower()]


def test_captive_portal_answering_html_everywhere_is_never_claude_down(
    status_server: StatusServer, caplog: pytest.LogCaptureFixture
) -> None:
    for path in (SUMMARY_PATH, "/v1/models", "/"):
        status_server.set(path, CAPTIVE_PORTAL_200)
    with Pipeline(make_settings(status_server.url)) as pipe:
        pipe.run_for(300)
        snap = pipe.snapshot
    assert snap.overall in (Health.OFFLINE, Health.STATUS_PAGE_UNREACHABLE), snap.description
    assert_logged(caplog, "HTML, not JSON (captive portal or challenge page?)")
    assert_no_false_down(pipe)


# ---- time ----


def test_clock_jump_after_sleep_rechecks_at_once(
    healthy_probes: StatusServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    healthy_probes.set_summary(summary_doc())
    with Pipeline(make_settings(healthy_probes.url)) as pipe:
        pipe.turn()
        pipe.turn(5)
        assert pipe.times_of("page") == [0.0]
        requests_before = len(healthy_probes.requests)
        ran = pipe.turn(5, slept=3600)  # lid closed an hour: wall +1 h, monotonic +5 s
        snap = pipe.snapshot
    assert sorted(ran) == ["page", "probes", "tick"]
    assert len(healthy_probes.requests) == requests_before + 3  # page + two probes, for real
    assert snap.overall is Health.OPERATIONAL
    assert_logged(caplog, "woke from sleep, checking now")
    assert pipe.notifications == []


# ---- status page and probes disagree ----


def test_probes_failing_while_the_page_says_operational_is_down_from_here_once(
    status_server: StatusServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    status_server.set_summary(summary_doc())
    status_server.set("/v1/models", API_529_OVERLOADED)
    status_server.set("/", CLOUDFLARE_403)
    with Pipeline(make_settings(status_server.url)) as pipe:
        pipe.turn()
        first = pipe.snapshot.overall  # one bad round is not enough
        assert pipe.notifications == []
        pipe.turn(30)  # the second bad round
        second = pipe.snapshot.overall
        pipe.run_for(600)
        snap = pipe.snapshot
    assert (first, second) == (Health.OPERATIONAL, Health.PARTIAL_OUTAGE)
    assert snap.description == (
        "Claude API (api.anthropic.com): down from here (not on the status page yet)"
    )
    assert [(n.title, n.body) for n in pipe.notifications] == [
        (
            "Claude API (api.anthropic.com) down from here",
            "Claude API (api.anthropic.com): down from here (not on the status page yet)",
        )
    ]
    assert_logged(caplog, "event service_down: service:" + API_COMPONENT)


def test_official_outage_wins_over_healthy_probes(
    healthy_probes: StatusServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    healthy_probes.set_summary(summary_doc("critical", {API_COMPONENT: "major_outage"}))
    with Pipeline(make_settings(healthy_probes.url)) as pipe:
        pipe.run_for(300)
        snap = pipe.snapshot
    api = next(c for c in snap.components if c.id == API_COMPONENT)
    assert (api.official, api.probe, api.health) == (
        Health.MAJOR_OUTAGE,
        Health.OPERATIONAL,
        Health.MAJOR_OUTAGE,
    )
    assert snap.overall is Health.MAJOR_OUTAGE
    assert snap.description == "Major System Outage"
    titles = [n.title for n in pipe.notifications]
    assert titles == ["Claude API (api.anthropic.com) down"]  # official, not "from here"
    assert_logged(caplog, "event service_down: service:" + API_COMPONENT)


def test_flapping_probe_at_every_check_sends_nothing(
    status_server: StatusServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    status_server.set_summary(summary_doc())
    status_server.script("/v1/models", [API_529_OVERLOADED, API_401] * 10)
    status_server.set("/", CLOUDFLARE_403)
    with Pipeline(make_settings(status_server.url)) as pipe:
        pipe.turn()
        for _ in range(19):
            pipe.turn(30)
        snap = pipe.snapshot
    outcomes = status_server.wait_for_responses("/v1/models", 20)
    assert [r.status for r in outcomes] == [529, 401] * 10
    assert snap.overall is Health.OPERATIONAL
    assert pipe.notifications == []
    assert not [e for e in pipe.events if isinstance(e, (ServiceDown, ServiceRecovered))]


# ---- unknown values ----


def test_unknown_component_status_is_unknown_and_logged_once(
    status_server: StatusServer, caplog: pytest.LogCaptureFixture
) -> None:
    odd = f"melting_{uuid.uuid4().hex[:6]}"  # the parser warns once per process per value
    body = json.dumps(summary_doc(components={CLAUDE_CODE_COMPONENT: odd})).encode()
    status_server.set(SUMMARY_PATH, Route(body=body, headers=JSON_HEADERS))  # no ETag: re-parsed
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    with Pipeline(make_settings(status_server.url)) as pipe:
        pipe.run_for(240)
        snap = pipe.snapshot
    code = next(c for c in snap.components if c.id == CLAUDE_CODE_COMPONENT)
    assert code.health is Health.UNKNOWN
    assert snap.overall is Health.UNKNOWN  # a watched service unknown: never "operational"
    assert len(status_server.requests_for(SUMMARY_PATH)) == 5
    warnings = [line for line in monitor_lines(caplog) if odd in line]
    assert warnings == [
        f"status page sent an unknown component status {odd!r}; treating it as unknown"
    ]
    assert_no_false_down(pipe)


# ---- hostile input (issue 11): bounded, harmless, survived ----


def test_a_dripping_page_never_stops_the_probes_and_ticks(status_server: StatusServer) -> None:
    """Real time, real monitor thread: the page's headers drip for ever; the probes (every
    second) keep running because each page read ends at its own timeout."""
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    with RawServer(header_drip(0.2)) as page:
        settings = make_settings(
            page.url,
            status_server.url_for("/v1/models"),
            status_server.url_for("/"),
            page_interval=1.0,
            probe_interval=1.0,
            timeout=1.0,
        )
        sources = build_sources(settings)
        events: list[Event] = []
        monitor = Monitor(
            settings,
            page_source=sources.page,
            prober=sources.prober,
            on_update=lambda _snapshot, new: events.extend(new),
        )
        try:
            monitor.start()
            status_server.wait_for_requests("/v1/models", 4, timeout=30)
            page.wait_for_connections(2, timeout=30)
            snap = monitor.snapshot
        finally:
            monitor.stop()
            sources.close()
    assert snap.overall is Health.STATUS_PAGE_UNREACHABLE
    assert "did not answer in time" in (snap.page_error or "")
    assert not [e for e in events if isinstance(e, ServiceDown)]


def test_an_etag_that_cannot_be_sent_back_never_stops_the_polls(
    healthy_probes: StatusServer,
) -> None:
    body = json.dumps(summary_doc()).encode()
    odd = Route(body=body, headers=(*JSON_HEADERS, ("ETag", '"\u00e9t\u00e9"')))
    healthy_probes.set(SUMMARY_PATH, odd)
    with Pipeline(make_settings(healthy_probes.url)) as pipe:
        pipe.run_for(240)
        snap = pipe.snapshot
    polls = healthy_probes.requests_for(SUMMARY_PATH)
    assert len(polls) == 5  # every minute, each one sent
    assert all("if-none-match" not in r.headers for r in polls)
    assert snap.overall is Health.OPERATIONAL and snap.page_error is None


def test_a_redirect_never_carries_the_api_key_to_another_host(
    status_server: StatusServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-fake-key-for-a-test")
    status_server.set_summary(summary_doc())
    status_server.set("/", CLOUDFLARE_403)
    with StatusServer() as elsewhere:
        elsewhere.set("/v1/models", API_401)
        status_server.set("/v1/models", redirect(elsewhere.url_for("/v1/models"), 302))
        with Pipeline(make_settings(status_server.url)) as pipe:
            pipe.run_for(120)
            snap = pipe.snapshot
    assert elsewhere.requests == []
    assert all(r.headers.get("x-api-key") for r in status_server.requests_for("/v1/models"))
    assert snap.overall is Health.OPERATIONAL
    assert_no_false_down(pipe)


def test_bad_fields_skip_themselves_never_the_page(
    healthy_probes: StatusServer, caplog: pytest.LogCaptureFixture
) -> None:
    broken = incident_doc("brokencomps", name="Broken components field")
    broken["components"] = 5
    far = incident_doc("faroff", name="Far dates", created_at="9999-12-31T23:59:59-05:00")
    far["updated_at"] = "0001-01-01T00:00:00+05:00"
    doc = summary_doc("minor", incidents=[broken, far, {"name": "no id"}])
    healthy_probes.set_summary(doc)
    with Pipeline(make_settings(healthy_probes.url)) as pipe:
        pipe.run_for(180)
        snap = pipe.snapshot
    assert snap.page_error is None
    assert sorted(i.id for i in snap.incidents) == ["brokencomps", "faroff"]
    skipped = [line for line in monitor_lines(caplog) if "could not read" in line]
    assert skipped == [
        "status page sent an item it could not read (incidents[2] has no 'id'); skipped it"
    ]
    assert_no_false_down(pipe)


HOSTILE = (
    "\x1b]0;pwned\x07\x1b[2J\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\"
    "\x1b]52;c;cm0gLXJmIH4=\x07\u202eevil\u202c\nFake line: all systems operational\x9b31m"
)
_RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def assert_harmless(out: str) -> None:
    """No escape sequence, control or bidi character, and no line the page made up."""
    assert not _RAW.search(out), repr(out)
    assert "pwned" not in out and "cm0gLXJmIH4" not in out and "evil.example" not in out
    assert not [line for line in out.splitlines() if line.startswith("Fake line")], out


def _hostile_page() -> dict[str, object]:
    doc = summary_doc(
        "critical",
        {API_COMPONENT: "major_outage"},
        incidents=[incident_doc("inc1", name="Outage " + HOSTILE, body="Update " + HOSTILE)],
        maintenances=[
            maintenance_doc(
                "mnt1",
                name="Maintenance " + HOSTILE,
                status="in_progress",
                scheduled_until="2099-01-01T00:00:00.000Z",
                body="Works " + HOSTILE,
            )
        ],
    )
    group = component_doc("grp1", "partial_outage", 0)
    group.update(group=True, name="Group " + HOSTILE, components=[CLAUDE_CODE_COMPONENT])
    doc["components"].append(group)
    for component in doc["components"]:
        if component["id"] == API_COMPONENT:
            component["name"] = '=HYPERLINK("http://x.example")' + HOSTILE
    doc["status"]["description"] = "Major " + HOSTILE
    doc["page"]["name"] = HOSTILE
    return doc


def test_page_text_never_reaches_a_terminal_raw(
    status_server: StatusServer, tmp_path: Path
) -> None:
    """check, watch, statusline and history as real processes, the page on 127.0.0.1 full of
    escape sequences (title, clear screen, OSC 8, OSC 52 clipboard), bidi overrides and a
    newline that would print a fake line."""
    status_server.set_summary(_hostile_page())
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    write_loopback_config(status_server.url)
    check = run_cli("check")
    assert_harmless(check.stdout + check.stderr)
    assert "click" in check.stdout and "Fake line" in check.stdout  # the words stay
    assert "Maintenance clickevil" in check.stdout and "Group clickevil" in check.stdout
    as_json = run_cli("check", "--json")
    update = json.loads(as_json.stdout)["incidents"][0]["latest_update"]
    assert update.startswith("Update clickevil")  # its line breaks are the body's own
    assert not _RAW.search(update) and "pwned" not in update and "evil.example" not in update

    out = tmp_path / "watch.out"
    with out.open("wb") as sink:
        watch = subprocess.Popen(
            [sys.executable, "-m", "tray_app", "watch", "--no-notify"],
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=REPO,
        )
    state = AppPaths.default().state_file
    try:
        status_server.wait_for_requests(SUMMARY_PATH, 2, timeout=30)
        deadline = time.monotonic() + 30
        while "inc1" not in (state.read_text("utf-8") if state.exists() else ""):
            assert time.monotonic() < deadline, "watch saved no state"
            time.sleep(0.2)
    finally:
        watch.send_signal(signal.SIGTERM)
        watch.wait(timeout=20)
    printed = out.read_text("utf-8")
    assert "INCIDENT Outage" in printed
    assert_harmless(printed)

    statusline = run_cli("statusline")
    assert_harmless(statusline.stdout)
    assert "click" in statusline.stdout
    # a state file written by anything else is cleaned on the way out too
    doc = json.loads(state.read_text("utf-8"))
    doc["summary"]["problems"][0]["name"] = "Tampered" + HOSTILE
    doc["summary"]["headline"] = "Tampered" + HOSTILE  # what statusline prints
    state.write_text(json.dumps(doc), "utf-8")
    tampered = run_cli("statusline")
    assert "Tampered" in tampered.stdout
    assert_harmless(tampered.stdout)

    for args in (("history",), ("history", "--csv")):
        report = run_cli(*args)
        assert report.returncode == 0, report.stderr
        assert_harmless(report.stdout)
    rows = list(csv.DictReader(io.StringIO(run_cli("history", "--csv").stdout)))
    names = {row["name"] for row in rows if row["component_id"] == API_COMPONENT}
    assert names and all(name.startswith("'=HYPERLINK(") for name in names)  # text, no formula


def test_report_formats_clean_text_they_did_not_parse() -> None:
    """history text and CSV clean again at output (a database written by an older version)."""
    now = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
    name = "@SUM(A1)" + HOSTILE
    report = HistoryReport(
        since=now,
        generated_at=now,
        components=(ComponentUptime(API_COMPONENT, name, 0.5, 0.5, 0.5),),
        outages=(Outage(API_COMPONENT, "-1+" + HOSTILE, now, None, Health.MAJOR_OUTAGE, False),),
    )
    text, table = report_to_text(report), report_to_csv(report)
    assert_harmless(text)
    assert_harmless(table)
    names = [row["name"] for row in csv.DictReader(io.StringIO(table))]
    assert names[0].startswith("'@SUM(A1)") and names[1].startswith("'-1+")


def test_links_from_the_page_open_only_when_http(tmp_path: Path) -> None:
    """The tray's open_url hands the browser ($BROWSER, here a recorder) only http(s) links."""
    record = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> {record}\n', "utf-8")
    browser.chmod(0o755)
    child = (
        "import sys, threading\n"
        "from tray_app.app import open_url\n"
        "for url in sys.argv[1:]:\n"
        "    open_url(url)\n"
        "    for t in threading.enumerate():\n"
        "        if t.name == 'open-url': t.join(10)\n"
    )
    urls = [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "-new-window",
        "--remote-debugging-port=9222",
        "https://stspg.io/ok1",
        "data:text/html,x",
        "http://127.0.0.1:9/ok2",
    ]
    result = subprocess.run(
        [sys.executable, "-c", child, *urls],
        env={**os.environ, "BROWSER": f"{browser} %s"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert record.read_text("utf-8").splitlines() == [
        "https://stspg.io/ok1",
        "http://127.0.0.1:9/ok2",
    ]
    assert result.stderr.count("not an http(s) link") == 5


def test_a_notification_click_opens_only_an_http_link(tmp_path: Path) -> None:
    opened: list[str] = []
    with private_session_bus() as env, recording_notification_server(env, tmp_path) as server:
        backend = DBusBackend(None, opened.append, env["DBUS_SESSION_BUS_ADDRESS"])
        try:
            for url in ("javascript:alert(1)", "-x", "https://stspg.io/fine"):
                backend.send(make_notification("Incident", "body", Urgency.NORMAL, url))
            calls = server.wait_for_notify(3)
            for call in calls:
                server.invoke_action(call["id"], "default")
            deadline = time.monotonic() + 10
            while not opened and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(0.5)  # the two bad clicks were delivered before the good one
        finally:
            backend.close()
    assert opened == ["https://stspg.io/fine"]


def test_duplicate_incident_ids_run_the_hook_once_however_often_polled(
    healthy_probes: StatusServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ran = tmp_path / "ran.txt"
    hook = tmp_path / "hook.py"
    hook.write_text(
        f"import os\nopen({str(ran)!r}, 'a').write(os.environ['CST_EVENT_KEY'] + '\\n')\n",
        encoding="utf-8",
    )
    first = incident_doc("twin", name="First copy", update_id="u1", body="one")
    second = incident_doc("twin", name="Second copy", update_id="u2", body="two")
    body = json.dumps(summary_doc("major", incidents=[first, second])).encode()
    healthy_probes.set(SUMMARY_PATH, Route(body=body, headers=JSON_HEADERS))  # no ETag: re-read
    runner = HookRunner([HookSettings(command=(sys.executable, str(hook)), timeout=30)])
    try:
        settings = make_settings(healthy_probes.url)
        with Pipeline(settings, extra_sinks=[lambda _s, events: runner.run(events)]) as pipe:
            pipe.run_for(300)
        assert runner.wait_idle(60)
    finally:
        runner.close()
    assert len(healthy_probes.requests_for(SUMMARY_PATH)) == 6
    assert ran.read_text().splitlines() == ["incident:twin:opened"]
    assert [e.kind for e in pipe.events if e.kind.startswith("incident")] == ["incident_opened"]
    assert [line for line in monitor_lines(caplog) if "twice" in line] == [
        "status page sent incident 'twin' twice; using the last one"
    ]


def test_a_huge_page_is_read_only_up_to_500_components_and_incidents(
    healthy_probes: StatusServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(summary, "_warned", set())  # said once per process: say it here
    doc = summary_doc("minor")
    doc["components"] = [component_doc(f"big{n:05}", "operational", n) for n in range(3000)]
    doc["incidents"] = [incident_doc(f"many{n:04}", component_ids=()) for n in range(1200)]
    healthy_probes.set(SUMMARY_PATH, Route(body=json.dumps(doc).encode(), headers=JSON_HEADERS))
    with Pipeline(make_settings(healthy_probes.url, max_body_bytes=64 * MiB)) as pipe:
        pipe.run_for(180)
        snap = pipe.snapshot
    assert snap.page_error is None
    assert len(snap.incidents) == 500
    said = [line for line in monitor_lines(caplog) if "more than 500" in line]
    assert said == [
        "status page sent more than 500 components; reading only the first 500",
        "status page sent more than 500 incidents; reading only the first 500",
    ]
    assert_no_false_down(pipe)


def test_a_remote_plain_http_address_in_the_settings_is_warned_about_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings(
        "http://status.example.invalid",
        "https://api.example.invalid/v1/models",
        "http://claude.example.invalid/",
    )
    with Pipeline(settings):
        pass  # built, never run: nothing leaves the machine
    said = [line for line in monitor_lines(caplog) if "plain http" in line]
    assert said == [
        "the status page http://status.example.invalid/api/v2/summary.json uses plain http: "
        "anyone on the way can read or change its answers (use https)",
        "the claude.ai probe's address http://claude.example.invalid/ uses plain http: "
        "anyone on the way can read or change its answers (use https)",
    ]
    with Pipeline(make_settings(closed_port_url())):
        pass
    assert len([line for line in monitor_lines(caplog) if "plain http" in line]) == 2


def test_check_survives_a_unicode_digit_in_retry_after(status_server: StatusServer) -> None:
    """It used to crash `check`'s page reader thread (a traceback, then 'no answer')."""
    status_server.set(SUMMARY_PATH, Route(status=503, body=b"", headers=(("Retry-After", "²"),)))
    status_server.set("/v1/models", API_401)
    status_server.set("/", CLOUDFLARE_403)
    write_loopback_config(status_server.url)
    result = run_cli("check", "--json")
    assert "Traceback" not in result.stderr, result.stderr
    doc = json.loads(result.stdout)
    assert doc["page_error"] == "status page answered HTTP 503 Service Unavailable"
