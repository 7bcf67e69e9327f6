"""The real end of an incident, from the page's incident API.

When an incident leaves ``summary.json`` the state machine only knows its last *open* update
("We are currently investigating…") and the local clock. ``IncidentReader.enrich`` reads that
incident once from ``<page>/api/v2/incidents/<id>.json`` (Statuspage and the pages compatible
with it serve it), with the same client, size cap and timeout as the page, and puts its
resolution update and ``resolved_at - created_at`` into the IncidentResolved event before it
is dispatched. One request per resolved incident, never per poll; when the read fails the
event stays as it was (the writer then says only what is known). The reads of one check share
``READ_BUDGET`` seconds: the "back" news they complete waits for them, and must still arrive
within a poll + 5 s of the page saying so.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from tray_app.core.errors import SourceError
from tray_app.core.events import Event, IncidentResolved
from tray_app.core.models import INCIDENT_STATUSES, Incident, IncidentUpdate
from tray_app.sources.http import DEFAULT_MAX_BYTES, fetch
from tray_app.sources.summary import parse_time

log = logging.getLogger(__name__)

INCIDENT_PATH = "/api/v2/incidents/{id}.json"
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # the id goes into a URL path: nothing else
READ_BUDGET = 3.0  # seconds for all the reads of one check (at most the page's timeout)


class IncidentReader:
    def __init__(
        self,
        client: httpx.Client,
        base_url: str,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        timeout: float = 10.0,
    ) -> None:
        self._client = client
        self._base = base_url.rstrip("/")
        self._max_bytes = max_bytes
        self._timeout = timeout

    def enrich(self, events: tuple[Event, ...]) -> tuple[Event, ...]:
        """``events`` with each IncidentResolved for an incident that left the page completed
        from the incident API (the others unchanged)."""
        if not any(_needs_reading(e) for e in events):
            return events
        deadline = time.monotonic() + min(self._timeout, READ_BUDGET)
        return tuple(self._resolved(e, deadline) if _needs_reading(e) else e for e in events)

    def url_for(self, incident_id: str) -> str | None:
        if not _SAFE_ID.fullmatch(incident_id):
            return None
        return self._base + INCIDENT_PATH.format(id=incident_id)

    def _resolved(self, event: Event, deadline: float) -> Event:
        assert isinstance(event, IncidentResolved)
        url = self.url_for(event.incident.id)
        if url is None:
            log.warning("incident id %r not read back: not a plain id", event.incident.id[:80])
            return event
        try:
            left = deadline - time.monotonic()
            if left <= 0.1:
                raise SourceError("no time left in this check")
            result = fetch(
                self._client,
                url,
                headers={"Accept": "application/json"},
                max_bytes=self._max_bytes,
                timeout=round(left, 1),  # said in the log line as it is
            )
            if result.status_code != 200:
                raise SourceError(f"HTTP {result.status_code}")
            incident, lasted = parse_incident_document(json.loads(result.body), event.incident)
        except (SourceError, ValueError, TypeError, KeyError, RecursionError) as exc:
            log.warning("resolution of incident %s not read: %s", event.incident.id, exc)
            return event
        log.info("incident %s resolved: read its resolution from the page", incident.id)
        return dataclasses.replace(event, incident=incident, lasted=lasted or event.lasted)


def _needs_reading(event: Event) -> bool:
    return isinstance(event, IncidentResolved) and not event.incident.is_resolved


def parse_incident_document(doc: Any, known: Incident) -> tuple[Incident, timedelta | None]:
    """``known`` updated from an ``incidents/<id>.json`` document: status, the latest update
    (the resolution, when resolved) and how long it lasted. Raises ValueError if the document
    is not about ``known``."""
    if not isinstance(doc, dict) or not isinstance(doc.get("incident"), dict):
        raise ValueError("not an incident document")
    item = doc["incident"]
    if item.get("id") != known.id:
        raise ValueError(f"document is about incident {str(item.get('id'))[:40]!r}")
    status = item.get("status")
    status = status if status in INCIDENT_STATUSES else known.status
    updates = [u for u in item.get("incident_updates") or [] if isinstance(u, dict)]
    oldest = datetime.min.replace(tzinfo=timezone.utc)
    parsed = [_update(u) for u in updates]
    latest = max(parsed, key=lambda u: u.created_at or oldest) if parsed else known.latest_update
    created = parse_time(item.get("created_at")) or known.created_at
    resolved = parse_time(item.get("resolved_at"))
    lasted = resolved - created if created and resolved and resolved >= created else None
    incident = dataclasses.replace(
        known,
        status=status,
        updated_at=parse_time(item.get("updated_at")) or known.updated_at,
        latest_update=latest,
    )
    return incident, lasted


def _update(item: dict[str, Any]) -> IncidentUpdate:
    body = item.get("body")
    return IncidentUpdate(
        id=str(item.get("id", "")),
        status=str(item.get("status", "unknown")),
        body=body.strip() if isinstance(body, str) else "",
        created_at=parse_time(item.get("created_at")),
    )


__all__ = ["INCIDENT_PATH", "IncidentReader", "parse_incident_document"]
