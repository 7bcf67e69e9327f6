"""The state machine fed with real status-page captures (tests/fixtures, see PROVENANCE.md)."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tray_app.config.schema import (
    API_COMPONENT,
    CONSOLE_COMPONENT,
    ProbeSettings,
    Settings,
    WatchSettings,
)
from tray_app.core.events import IncidentOpened, IncidentResolved, ServiceDegraded, ServiceRecovered
from tray_app.core.models import Health, ProbeOutcome, ProbeResult
from tray_app.core.state import (
    MonitorState,
    PageObserved,
    ProbesObserved,
    initial_state,
    snapshot,
    step,
)
from tray_app.core.state_codec import state_from_dict, state_to_dict
from tray_app.sources.summary import parse_summary

FIXTURES = Path(__file__).parent / "fixtures"
ANTHROPIC = "anthropic_summary_2026-10-07.json"
GROUPS = "statuspage_generic_instructure_summary_with_groups.json"
INCIDENT_ID = "978mjkgw6mh7"  # the open "monitoring" incident in the Anthropic capture
AT = datetime(2026, 10, 7, 22, 0, tzinfo=timezone.utc)
NO_PROBES = Settings(probes=ProbeSettings(enabled=False))


def load(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return doc


def observed(doc: dict[str, Any], at: datetime) -> PageObserved:
    return PageObserved(parse_summary(doc, at))


def roundtrip(state: MonitorState) -> MonitorState:
    return state_from_dict(json.loads(json.dumps(state_to_dict(state))))


def all_clear(doc: dict[str, Any]) -> dict[str, Any]:
    """The same page after the incident: every component operational, no open incident."""
    cleared = copy.deepcopy(doc)
    for comp in cleared["components"]:
        comp["status"] = "operational"
    cleared["incidents"] = []
    cleared["status"] = {"indicator": "none", "description": "All Systems Operational"}
    return cleared


def test_first_run_on_a_real_capture_announces_the_ongoing_problem_once() -> None:
    doc = load(ANTHROPIC)
    state, events = step(initial_state(), observed(doc, AT), NO_PROBES)
    assert [e.kind for e in events] == ["service_degraded", "incident_opened"]
    degraded, opened = events
    assert isinstance(degraded, ServiceDegraded) and degraded.component_id == CONSOLE_COMPONENT
    assert degraded.previous is Health.UNKNOWN
    assert isinstance(opened, IncidentOpened) and opened.incident.id == INCIDENT_ID
    snap = snapshot(state, NO_PROBES)
    assert snap.overall is Health.DEGRADED
    assert snap.description == "Partially Degraded Service"
    assert [i.id for i in snap.incidents] == [INCIDENT_ID]

    state, events = step(state, observed(doc, AT + timedelta(minutes=1)), NO_PROBES)
    assert events == ()
    state, events = step(roundtrip(state), observed(doc, AT + timedelta(minutes=2)), NO_PROBES)
    assert events == ()


def test_real_capture_then_all_clear() -> None:
    doc = load(ANTHROPIC)
    state, _ = step(initial_state(), observed(doc, AT), NO_PROBES)
    later = AT + timedelta(hours=1)
    state, events = step(roundtrip(state), observed(all_clear(doc), later), NO_PROBES)
    assert [e.kind for e in events] == ["service_recovered", "incident_resolved"]
    recovered, resolved = events
    assert isinstance(recovered, ServiceRecovered)
    assert recovered.previous is Health.DEGRADED
    assert recovered.down_for is None  # it began before the app first looked
    assert isinstance(resolved, IncidentResolved)
    created = datetime(2026, 10, 7, 13, 25, 4, 163000, tzinfo=timezone.utc)
    assert resolved.lasted == later - created
    assert snapshot(state, NO_PROBES).overall is Health.OPERATIONAL


def test_probe_sees_the_api_down_while_the_real_page_says_operational() -> None:
    doc = load(ANTHROPIC)
    cfg = Settings(watch=WatchSettings(components=(API_COMPONENT,)))
    state, _ = step(initial_state(), observed(doc, AT), cfg)
    assert snapshot(state, cfg).overall is Health.OPERATIONAL  # the degraded Console is unwatched
    for minute in (1, 2):
        at = AT + timedelta(minutes=minute)
        result = ProbeResult("api", API_COMPONENT, ProbeOutcome.DOWN, at, status_code=529)
        state, events = step(state, ProbesObserved((result,), at), cfg)
    assert [e.kind for e in events] == ["service_down"]
    snap = snapshot(state, cfg)
    assert snap.overall is Health.PARTIAL_OUTAGE and snap.probe_only
    assert snap.description == (
        "Claude API (api.anthropic.com): down from here (not on the status page yet)"
    )


@pytest.mark.parametrize(
    ("watch", "overall", "watched_groups"),
    [((), Health.DEGRADED, 0), (("41wg86q5vc14",), Health.DEGRADED, 1)],
    ids=["groups_unwatched_by_default", "group_watched_when_named"],
)
def test_component_groups(watch: tuple[str, ...], overall: Health, watched_groups: int) -> None:
    doc = load(GROUPS)
    cfg = Settings(probes=ProbeSettings(enabled=False), watch=WatchSettings(components=watch))
    page = observed(doc, AT)
    state, events = step(initial_state(), page, cfg)
    groups = {c.id for c in page.snapshot.components if c.is_group}
    assert groups
    announced = {e.component_id for e in events if isinstance(e, ServiceDegraded)}
    assert len(announced & groups) == watched_groups
    snap = snapshot(state, cfg)
    assert snap.overall is overall
    assert sum(1 for c in snap.components if c.watched and c.id in groups) == watched_groups
    assert roundtrip(state) == state
