"""Incidents as the status page told them, and outages as we saw them, with the probe lead.

Pure: incidents come from the stored incident events (their payloads are the page's words:
untrusted, escaped when drawn), outages from the health rows. The probe lead of an outage is
how much earlier our probes said "down from here" than the status page did (as we read it),
known only when we saw both.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from tray_app.sinks.history.queries import Outage, outage_of, outage_runs
from tray_app.sinks.history.store import Transition, from_epoch

INCIDENT_KINDS = ("incident_opened", "incident_updated", "incident_resolved")
_ENDED = ("resolved", "postmortem")


@dataclass(frozen=True)
class IncidentRow:
    id: str
    name: str
    impact: str
    status: str
    start: datetime | None
    end: datetime | None  # None: not resolved when we last saw it
    components: tuple[str, ...]  # names where we know them, else the page's ids
    link: str | None  # as the page gave it; checked when drawn
    probe_lead: timedelta | None = None

    @property
    def duration(self) -> timedelta | None:
        if self.start is None or self.end is None:
            return None
        return self.end - self.start


@dataclass(frozen=True)
class OutageRow:
    outage: Outage
    probe_down: datetime | None  # first time our probes said degraded or worse in it
    page_down: datetime | None  # first time the page did (as we read it)

    @property
    def probe_lead(self) -> timedelta | None:
        """Positive: our probes were first. None unless both said so."""
        if self.probe_down is None or self.page_down is None:
            return None
        return self.page_down - self.probe_down


def outage_rows(rows: Sequence[Transition], since: datetime) -> list[OutageRow]:
    """Outages overlapping ``[since, ...]``, oldest first; ``rows`` by component then time."""
    cut = since.timestamp()
    found = []
    for run, end in outage_runs(list(rows)):
        if end is not None and end < cut:
            continue
        probe = next((t.at for t in run if t.probe_problem), None)
        page = next((t.at for t in run if t.official.is_problem), None)
        found.append(
            OutageRow(
                outage=outage_of(run, end),
                probe_down=None if probe is None else from_epoch(probe),
                page_down=None if page is None else from_epoch(page),
            )
        )
    return sorted(found, key=lambda o: (o.outage.start, o.outage.component_id))


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    with contextlib.suppress(ValueError):
        parsed = datetime.fromisoformat(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    return None


def _text(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


def incident_rows(
    events: Sequence[Mapping[str, Any]],
    names: Mapping[str, str],
    outages: Sequence[OutageRow] = (),
) -> list[IncidentRow]:
    """One row per incident in the stored incident events (oldest first), newest words win."""
    latest: dict[str, Mapping[str, Any]] = {}
    first_seen: dict[str, datetime | None] = {}
    resolved_at: dict[str, datetime | None] = {}
    for event in events:
        incident = event.get("incident")
        if not isinstance(incident, Mapping) or not isinstance(incident.get("id"), str):
            continue
        key = incident["id"]
        latest[key] = incident
        first_seen.setdefault(key, _time(event.get("at")))
        if event.get("kind") == "incident_resolved":
            resolved_at[key] = _resolved_time(incident) or _time(event.get("at"))
    found = []
    for key, incident in latest.items():
        ids = incident.get("component_ids")
        component_ids = tuple(i for i in ids if isinstance(i, str)) if isinstance(ids, list) else ()
        start = _time(incident.get("created_at")) or first_seen.get(key)
        end = resolved_at.get(key)
        found.append(
            IncidentRow(
                id=key,
                name=_text(incident.get("name"), "(untitled incident)"),
                impact=_text(incident.get("impact"), "unknown"),
                status=_text(incident.get("status"), "unknown"),
                start=start,
                end=end,
                components=tuple(names.get(i, i) for i in component_ids),
                link=_text(incident.get("shortlink")) or None,
                probe_lead=_incident_lead(component_ids, start, end, outages),
            )
        )
    return sorted(found, key=lambda r: r.start or datetime.max.replace(tzinfo=timezone.utc))


def _resolved_time(incident: Mapping[str, Any]) -> datetime | None:
    update = incident.get("latest_update")
    if isinstance(update, Mapping) and update.get("status") in _ENDED:
        return _time(update.get("created_at"))
    return None


def _incident_lead(
    component_ids: Sequence[str],
    start: datetime | None,
    end: datetime | None,
    outages: Sequence[OutageRow],
) -> timedelta | None:
    """The largest probe lead among our outages of the incident's components around it."""
    if start is None:
        return None
    leads = []
    for row in outages:
        o = row.outage
        if o.component_id not in component_ids or row.probe_lead is None:
            continue
        # Probes may lead the page by a while: an outage starting up to 6 h before counts.
        if (end is None or o.start <= end) and (o.end is None or o.end >= start - _LEAD_WINDOW):
            leads.append(row.probe_lead)
    return max(leads) if leads else None


_LEAD_WINDOW = timedelta(hours=6)
