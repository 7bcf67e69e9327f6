"""Reading a resolved incident's real end from the page's incident API (issue 10 point 4),
against a loopback server serving a real capture."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tests.statusserver import NOT_FOUND, Route, StatusServer, json_route, load_fixture
from tray_app.core.events import IncidentResolved, ServiceRecovered
from tray_app.core.models import Health, Incident, IncidentUpdate
from tray_app.sources.http import build_client
from tray_app.sources.incidents import READ_BUDGET, IncidentReader, parse_incident_document

INCIDENT_ID = "qt14v73myyy5"  # real: status.claude.com, 2026-08-16 (tests/fixtures/PROVENANCE.md)
PATH = f"/api/v2/incidents/{INCIDENT_ID}.json"
RESOLUTION = (
    "The issue affecting claude.ai, platform.claude.com, the Claude API, Claude Code, and "
    "Claude Cowork has been resolved."
)
NOW = datetime(2026, 8, 16, 22, 40, tzinfo=timezone.utc)


def last_known(incident_id: str = INCIDENT_ID) -> Incident:
    """What summary.json last said: still investigating."""
    return Incident(
        id=incident_id,
        name="Service disruption on Claude services",
        status="investigating",
        impact="critical",
        shortlink="https://stspg.io/x",
        created_at=datetime(2026, 8, 16, 21, 58, 56, 949000, tzinfo=timezone.utc),
        updated_at=None,
        latest_update=IncidentUpdate("u1", "investigating", "We are investigating…", None),
    )


def left_the_page(incident: Incident) -> IncidentResolved:
    return IncidentResolved(NOW, incident, lasted=NOW - incident.created_at)  # type: ignore[operator]


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with build_client(5.0) as c:
        yield c


def test_the_real_document_gives_the_resolution_and_its_length() -> None:
    doc = load_fixture(f"anthropic_incident_{INCIDENT_ID}.json")
    incident, lasted = parse_incident_document(doc, last_known())
    assert incident.status == "resolved" and incident.is_resolved
    assert incident.latest_update is not None and incident.latest_update.body == RESOLUTION
    assert lasted == timedelta(minutes=35, seconds=42, microseconds=88000)
    assert incident.name == "Service disruption on Claude services"  # ours, already clean


def test_enrich_reads_once_and_quotes_the_resolution(
    status_server: StatusServer, client: httpx.Client
) -> None:
    status_server.set(PATH, json_route(load_fixture(f"anthropic_incident_{INCIDENT_ID}.json")))
    reader = IncidentReader(client, status_server.url, max_bytes=1 << 20, timeout=5.0)
    other = ServiceRecovered(NOW, "c1", "claude.ai", Health.MAJOR_OUTAGE, None)
    events = (other, left_the_page(last_known()))
    enriched = reader.enrich(events)
    assert enriched[0] is other
    resolved = enriched[1]
    assert isinstance(resolved, IncidentResolved)
    assert resolved.lasted == timedelta(minutes=35, seconds=42, microseconds=88000)
    assert resolved.incident.latest_update is not None
    assert resolved.incident.latest_update.body == RESOLUTION
    assert len(status_server.requests_for(PATH)) == 1
    # already resolved on the page (the event carries the resolution): no request
    assert reader.enrich((resolved,)) == (resolved,)
    assert reader.enrich((other,)) == (other,)
    assert len(status_server.requests_for(PATH)) == 1


@pytest.mark.parametrize(
    "route",
    [NOT_FOUND, json_route({"incident": {"id": "someone-else"}}), json_route([1, 2])],
    ids=["404", "another incident", "not an incident document"],
)
def test_a_failed_read_leaves_the_event_as_it_was(
    status_server: StatusServer, client: httpx.Client, route: object
) -> None:
    status_server.set(PATH, route)  # type: ignore[arg-type]
    reader = IncidentReader(client, status_server.url, timeout=5.0)
    event = left_the_page(last_known())
    assert reader.enrich((event,)) == (event,)


def test_an_id_that_is_not_a_plain_id_is_never_put_in_a_url(
    status_server: StatusServer, client: httpx.Client
) -> None:
    reader = IncidentReader(client, status_server.url, timeout=5.0)
    event = left_the_page(last_known("../../summary"))
    assert reader.enrich((event,)) == (event,)
    assert status_server.requests == []


def test_a_slow_incident_api_never_holds_the_back_news_past_the_budget(
    status_server: StatusServer, client: httpx.Client
) -> None:
    """The "back" waits for these reads; with the page's 10 s timeout a hanging incident API
    held it 10 s (issue 10.1: within a poll + 5 s). Two resolved incidents share the budget."""
    status_server.set(PATH, Route(delay=30))
    status_server.set("/api/v2/incidents/other.json", Route(delay=30))
    reader = IncidentReader(client, status_server.url, timeout=10.0)
    events = (left_the_page(last_known()), left_the_page(last_known("other")))
    started = time.monotonic()
    assert reader.enrich(events) == events  # what is known, as it was
    assert time.monotonic() - started < READ_BUDGET + 2  # not 2 x 10 s
