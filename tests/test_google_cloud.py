"""Google Cloud's status page as another service (issue 14): its own JSON, not Statuspage.

tests/fixtures/google_cloud_incidents.json is synthesized to the published format (see
tests/fixtures/PROVENANCE.md); it is served by a loopback StatusServer to the real CLI.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.apprig import REPO, run_cli, write_loopback_config
from tests.statusserver import (
    FIXTURES,
    SUMMARY_PATH,
    Route,
    StatusServer,
    json_body_route,
    summary_doc,
)
from tray_app.config.schema import API_COMPONENT, ProviderSettings
from tray_app.config.validate import parse_config
from tray_app.core.errors import InvalidResponse
from tray_app.core.models import Health, PageSnapshot
from tray_app.sources import google_cloud
from tray_app.sources.google_cloud import INCIDENTS_PATH, parse_incidents
from tray_app.sources.http import DEFAULT_MAX_BYTES
from tray_app.sources.providers import provider_status

FIXTURE = "google_cloud_incidents.json"
BASE = "https://status.cloud.google.com"
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc)
VERTEX_INCIDENT = "Vertex Gemini API requests failing in us-central1"
BIGQUERY_INCIDENT = "Retry errors for Google BigQuery in europe-north1"
VERTEX = "Z0FZJAMvEB4j3NbCJs6B"
BIGQUERY = "9CcrhHUcFevXPSVaSxkf"
SECRET_MANAGER = "kzGfErQK3HzkFhptoeHH"  # named only by a resolved incident


def fixture_body() -> bytes:
    return (FIXTURES / FIXTURE).read_bytes()


def gcloud(components: tuple[str, ...] = (), max_body_bytes: int | None = None) -> ProviderSettings:
    return ProviderSettings(
        "Google Cloud",
        BASE,
        components=components,
        format="google-cloud",
        max_body_bytes=max_body_bytes,
    )


def resolved(n: int, *, pad: str = "") -> dict[str, object]:
    """A resolved incident in the published shape (``pad`` makes a long update text)."""
    return {
        "id": f"old{n:06d}",
        "begin": "2020-01-01T00:00:00+00:00",
        "end": "2020-01-01T01:00:00+00:00",
        "external_desc": f"Old incident {n}",
        "most_recent_update": {
            "when": "2020-01-01T01:00:00+00:00",
            "text": pad,
            "status": "AVAILABLE",
        },
        "status_impact": "SERVICE_DISRUPTION",
        "severity": "medium",
        "affected_products": [{"title": "Google Cloud Storage", "id": "UwaYoXQ5bHYHG6EdiPB8"}],
        "uri": f"incidents/old{n:06d}",
    }


def ongoing(incident_id: str, name: str, status: str, **fields: object) -> dict[str, object]:
    return {
        "id": incident_id,
        "begin": "2026-12-02T08:00:00+00:00",
        "external_desc": name,
        "most_recent_update": {"when": "2026-12-02T09:00:00+00:00", "text": "x", "status": status},
        "status_impact": status,
        "affected_products": [{"title": "Compute Engine", "id": "L3ggmi3Jy4xJmgodFA9K"}],
        "uri": f"incidents/{incident_id}",
        **fields,
    }


def page_of(doc: object) -> PageSnapshot:
    return parse_incidents(json.dumps(doc).encode(), NOW, BASE)


# ---- pure: the published format into the providers' model ----


def test_ongoing_incidents_make_the_state_and_resolved_ones_are_left_out() -> None:
    page = parse_incidents(fixture_body(), NOW, BASE)
    status = provider_status(gcloud(), page)
    assert status.health is Health.MAJOR_OUTAGE  # the worst ongoing one: SERVICE_OUTAGE
    assert status.description == "2 ongoing incidents"
    assert [i.name for i in status.incidents] == [VERTEX_INCIDENT, BIGQUERY_INCIDENT]
    vertex, bigquery = status.incidents
    assert vertex.shortlink == BASE + "/incidents/pQ7vNw3kTzR1sLmY8xBc"
    assert vertex.status == "service outage" and vertex.impact == "critical"
    assert vertex.created_at == datetime(2026, 12, 2, 8, 41, tzinfo=timezone.utc)
    assert vertex.latest_update is not None
    assert vertex.latest_update.body.startswith("Summary: " + VERTEX_INCIDENT + "\nDescription:")
    assert vertex.component_ids == (VERTEX,)
    assert bigquery.status == "service information" and bigquery.impact == "minor"
    assert {c.name: c.health for c in status.components} == {
        "Vertex Gemini API": Health.MAJOR_OUTAGE,
        "Google BigQuery": Health.DEGRADED,
    }


def test_no_ongoing_incident_is_operational() -> None:
    assert provider_status(gcloud(), page_of([])).health is Health.OPERATIONAL
    history = [resolved(1), resolved(2)]
    status = provider_status(gcloud(), page_of(history))
    assert status.health is Health.OPERATIONAL
    assert status.incidents == () and status.components == ()
    assert status.description == "No ongoing incidents"
    back = ongoing("b", "Recovered, not closed", "AVAILABLE")
    assert provider_status(gcloud(), page_of([back])).health is Health.OPERATIONAL


def test_the_latest_update_grades_an_incident_then_its_impact_then_its_severity() -> None:
    worse_now = ongoing("w", "Worse now", "SERVICE_OUTAGE", status_impact="SERVICE_DISRUPTION")
    assert provider_status(gcloud(), page_of([worse_now])).health is Health.MAJOR_OUTAGE
    by_severity = ongoing("s", "By severity", "", status_impact=None, severity="medium")
    by_severity["most_recent_update"] = {}
    assert provider_status(gcloud(), page_of([by_severity])).health is Health.PARTIAL_OUTAGE
    unknown = ongoing("u", "Ungraded", "SOMETHING_NEW")
    assert provider_status(gcloud(), page_of([unknown])).health is Health.DEGRADED  # never fine


def test_watched_products_are_operational_until_an_ongoing_incident_names_them() -> None:
    watched = (SECRET_MANAGER,)
    page = parse_incidents(fixture_body(), NOW, BASE, watched=watched)
    status = provider_status(gcloud(components=watched), page)
    assert status.health is Health.OPERATIONAL
    assert [(c.id, c.name) for c in status.components] == [(SECRET_MANAGER, "Secret Manager")]
    assert status.incidents == ()  # the ongoing ones name other products
    watched = (BIGQUERY,)
    page = parse_incidents(fixture_body(), NOW, BASE, watched=watched)
    status = provider_status(gcloud(components=watched), page)
    assert status.health is Health.DEGRADED
    assert [i.name for i in status.incidents] == [BIGQUERY_INCIDENT]


def test_strings_are_cleaned_and_only_safe_links_are_kept() -> None:
    doc = [
        ongoing("a", "\x1b]0;pwned\x07Evil\x1b[2J\u202e title\nsecond line", "SERVICE_OUTAGE"),
        ongoing("b", "Script link", "SERVICE_OUTAGE", uri="javascript:alert(1)"),
        ongoing("c", "Plain http elsewhere", "SERVICE_OUTAGE", uri="http://evil.example/x"),
        ongoing("d", "No uri", "SERVICE_OUTAGE", uri=None),
    ]
    incidents = page_of(doc).incidents
    assert incidents[0].name == "Evil title second line"
    assert incidents[0].shortlink == BASE + "/incidents/a"
    assert incidents[1].shortlink is None
    assert incidents[2].shortlink is None
    assert incidents[3].shortlink == BASE + "/incidents/d"


def test_a_bad_item_is_skipped_and_a_document_that_is_not_a_list_is_refused() -> None:
    doc = [42, {"no": "id"}, ongoing("", "No id", "SERVICE_OUTAGE"), resolved(1)]
    assert page_of(doc).incidents == ()
    for body in (b'{"incidents": []}', b"[{", b"[1] [2]", b"\xff\xfe[", b"[1 2]"):
        with pytest.raises(InvalidResponse):
            parse_incidents(body, NOW, BASE)


def test_a_long_history_is_read_an_item_at_a_time_and_ongoing_ones_are_capped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    many = [ongoing(f"on{i}", f"Ongoing {i}", "SERVICE_DISRUPTION") for i in range(60)]
    history = [resolved(i, pad="y" * 400) for i in range(6000)]
    body = json.dumps([*many, *history]).encode()
    assert len(body) > 3 * 1024 * 1024
    with caplog.at_level(logging.WARNING):
        page = parse_incidents(body, NOW, BASE)
        parse_incidents(body, NOW, BASE)
    assert len(page.incidents) == google_cloud.MAX_ONGOING
    assert page.incidents[0].name == "Ongoing 0"
    assert sum("ongoing incidents" in r.getMessage() for r in caplog.records) == 1


# ---- settings ----


def test_format_and_body_cap_settings() -> None:
    settings = parse_config(
        '[[providers]]\nname = "Google Cloud"\nurl = "https://status.cloud.google.com"\n'
        'format = "google-cloud"\nmax_body_bytes = 16777216\n'
    )
    assert settings.providers == (gcloud(max_body_bytes=16 * 1024 * 1024),)
    assert parse_config('[[providers]]\nname = "A"\nurl = "https://a.example"\n').providers == (
        ProviderSettings("A", "https://a.example", format="statuspage"),
    )


# ---- the real CLI against loopback servers ----


def provider_block(name: str, url: str, extra: str = "") -> str:
    return f'\n[[providers]]\nname = "{name}"\nurl = "{url}"\nformat = "google-cloud"\n{extra}\n'


@pytest.fixture
def google() -> Iterator[StatusServer]:
    with StatusServer() as server:
        server.set("/gcloud" + INCIDENTS_PATH, json_body_route(fixture_body()))
        yield server


def write_config(claude: StatusServer, blocks: str) -> Path:
    return write_loopback_config(claude.url, extra=blocks)


def test_check_shows_google_clouds_state_and_incidents(
    claude: StatusServer, google: StatusServer
) -> None:
    write_config(claude, provider_block("Google Cloud", google.url + "/gcloud"))
    result = run_cli("check")
    assert result.returncode == 0, result.stdout + result.stderr  # Claude is operational
    assert result.stdout.startswith("Claude: all systems operational")
    section = result.stdout.split("Other services", 1)[1]
    assert "Google Cloud" in section and "major outage" in section
    assert f"• {VERTEX_INCIDENT} (service outage" in section
    assert f"• {BIGQUERY_INCIDENT} (service information" in section
    assert "Secret Manager" not in section  # resolved

    as_json = run_cli("check", "--json")
    assert as_json.returncode == 0
    doc = json.loads(as_json.stdout)
    assert doc["overall"] == "operational"
    (provider,) = doc["providers"]
    assert provider["name"] == "Google Cloud"
    assert provider["overall"] == "major_outage"
    assert provider["error"] is None
    assert [i["name"] for i in provider["incidents"]] == [VERTEX_INCIDENT, BIGQUERY_INCIDENT]
    assert provider["incidents"][0]["url"] == google.url + "/gcloud/incidents/pQ7vNw3kTzR1sLmY8xBc"
    assert provider["incidents"][0]["impact"] == "critical"
    assert {c["name"] for c in provider["components"]} == {"Vertex Gemini API", "Google BigQuery"}
    assert google.requests_for("/gcloud" + INCIDENTS_PATH)[0].headers.get("accept") == (
        "application/json"
    )


def test_broken_huge_or_html_answers_are_unknown_and_never_change_claudes_exit_code(
    claude: StatusServer, google: StatusServer
) -> None:
    history = json.dumps([resolved(i, pad="y" * 400) for i in range(6000)]).encode()
    assert len(history) > DEFAULT_MAX_BYTES  # more than Claude's own page may send
    google.set("/history" + INCIDENTS_PATH, json_body_route(history))
    google.set("/capped" + INCIDENTS_PATH, json_body_route(history))
    google.set("/broken" + INCIDENTS_PATH, json_body_route(fixture_body()[:5000]))
    google.set("/statuspage" + INCIDENTS_PATH, json_body_route(json.dumps(summary_doc()).encode()))
    google.set(
        "/html" + INCIDENTS_PATH,
        Route(
            body=b"<!doctype html><title>Sign in</title>", headers=(("Content-Type", "text/html"),)
        ),
    )
    write_config(
        claude,
        provider_block("History", google.url + "/history")
        + provider_block("Capped", google.url + "/capped", "max_body_bytes = 65536")
        + provider_block("Broken", google.url + "/broken")
        + provider_block("Statuspage", google.url + "/statuspage")
        + provider_block("Html", google.url + "/html"),
    )
    result = run_cli("check", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["overall"] == "operational"
    providers = {p["name"]: p for p in doc["providers"]}
    assert providers["History"]["overall"] == "operational"  # 3 MB, under its own 8 MiB cap
    assert providers["History"]["error"] is None
    for name in ("Capped", "Broken", "Statuspage", "Html"):
        assert providers[name]["overall"] == "unknown", name
        assert providers[name]["error"], name
    assert "larger than" in providers["Capped"]["error"]
    assert "broken JSON" in providers["Broken"]["error"]
    assert "not a list of incidents" in providers["Statuspage"]["error"]
    assert "HTML" in providers["Html"]["error"]
    assert "Traceback" not in result.stderr

    claude.set_summary(summary_doc("critical", {API_COMPONENT: "major_outage"}))
    assert run_cli("check").returncode == 2  # Claude down: Claude's 2, whatever Google says
    claude.set_summary(summary_doc())
    assert run_cli("check").returncode == 0


def _watch() -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tray_app", "watch", "--no-notify"],
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=REPO,
    )


def test_watch_reads_it_with_its_etag_and_logs_a_broken_answer_once(
    claude: StatusServer, google: StatusServer
) -> None:
    google.set(
        "/broken" + INCIDENTS_PATH,
        Route(body=b"[{", headers=(("Content-Type", "application/json"),)),
    )
    write_config(
        claude,
        provider_block("Google Cloud", google.url + "/gcloud")
        + provider_block("Broken", google.url + "/broken"),
    )
    process = _watch()
    try:
        google.wait_for_requests("/gcloud" + INCIDENTS_PATH, 2, timeout=30)
        google.wait_for_requests("/broken" + INCIDENTS_PATH, 2, timeout=30)
        seen = len(claude.requests_for(SUMMARY_PATH))
        claude.wait_for_requests(SUMMARY_PATH, seen + 2)  # Claude's page keeps its pace
    finally:
        process.send_signal(signal.SIGTERM)
        stderr = process.communicate(timeout=30)[1]
    requests = google.requests_for("/gcloud" + INCIDENTS_PATH)
    assert "if-none-match" not in requests[0].headers
    assert requests[1].headers.get("if-none-match") == json_body_route(fixture_body()).etag
    assert stderr.count("provider Broken:") == 1, stderr
    assert "provider Google Cloud:" not in stderr
    assert "Traceback" not in stderr


def test_config_validate_accepts_the_format_and_names_a_bad_one(claude: StatusServer) -> None:
    write_config(claude, provider_block("Google Cloud", "https://status.cloud.google.com"))
    ok = run_cli("config", "validate")
    assert ok.returncode == 0, ok.stderr
    write_config(
        claude,
        '\n[[providers]]\nname = "GCP"\nurl = "https://status.cloud.google.com"\nformat = "gcp"\n'
        + provider_block("Small", "https://status.cloud.google.com", "max_body_bytes = 10"),
    )
    result = run_cli("config", "validate")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert 'providers[0].format: must be one of "statuspage", "google-cloud", got "gcp"' in lines[0]
    assert lines[0].endswith("this [[providers]] entry is left out")
    assert "providers[1].max_body_bytes" in lines[1] and "using the default" in lines[1]
