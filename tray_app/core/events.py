"""Typed events: what changed, as the state machine saw it.

Each event is a frozen dataclass with ``at`` (the observation time), a ``kind`` string used by
config switches, hooks and history, a ``severity`` that sinks use to pick how loud to be, and a
``key`` that identifies the change itself, so no sink acts twice on the same change.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, ClassVar

from tray_app.core.models import Health, Incident, IncidentUpdate, Maintenance


class Severity(str, Enum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True)
class _Base:
    at: datetime
    kind: ClassVar[str] = ""

    @property
    def severity(self) -> Severity:
        return Severity.INFO

    @property
    def key(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class ServiceDown(_Base):
    """A component went to partial or major outage (or between the two)."""

    component_id: str
    name: str
    health: Health
    previous: Health
    probe_only: bool = False  # down from here, not (yet) on the status page
    kind: ClassVar[str] = "service_down"

    @property
    def severity(self) -> Severity:
        return Severity.CRITICAL if self.health is Health.MAJOR_OUTAGE else Severity.WARNING

    @property
    def key(self) -> str:
        return f"service:{self.component_id}:{self.health.value}:{self.at.isoformat()}"


@dataclass(frozen=True)
class ServiceDegraded(_Base):
    component_id: str
    name: str
    previous: Health
    probe_only: bool = False
    kind: ClassVar[str] = "service_degraded"

    @property
    def severity(self) -> Severity:
        return Severity.WARNING

    @property
    def key(self) -> str:
        return f"service:{self.component_id}:degraded:{self.at.isoformat()}"


@dataclass(frozen=True)
class ServiceRecovered(_Base):
    component_id: str
    name: str
    previous: Health
    down_for: timedelta | None  # None when the start of the outage was not observed
    kind: ClassVar[str] = "service_recovered"

    @property
    def key(self) -> str:
        return f"service:{self.component_id}:recovered:{self.at.isoformat()}"


@dataclass(frozen=True)
class IncidentOpened(_Base):
    incident: Incident
    kind: ClassVar[str] = "incident_opened"

    @property
    def severity(self) -> Severity:
        return Severity.CRITICAL if self.incident.impact == "critical" else Severity.WARNING

    @property
    def key(self) -> str:
        return f"incident:{self.incident.id}:opened"


@dataclass(frozen=True)
class IncidentUpdated(_Base):
    """A new update on an open incident (investigating -> identified -> monitoring ...)."""

    incident: Incident
    previous_status: str
    update: IncidentUpdate | None
    kind: ClassVar[str] = "incident_updated"

    @property
    def key(self) -> str:
        update_id = self.update.id if self.update else self.incident.status
        return f"incident:{self.incident.id}:update:{update_id}"


@dataclass(frozen=True)
class IncidentResolved(_Base):
    incident: Incident
    lasted: timedelta | None
    kind: ClassVar[str] = "incident_resolved"

    @property
    def key(self) -> str:
        return f"incident:{self.incident.id}:resolved"


@dataclass(frozen=True)
class MaintenanceScheduled(_Base):
    maintenance: Maintenance
    kind: ClassVar[str] = "maintenance_scheduled"

    @property
    def key(self) -> str:
        return f"maintenance:{self.maintenance.id}:scheduled"


@dataclass(frozen=True)
class MaintenanceStartingSoon(_Base):
    """A scheduled maintenance starts within ``notifications.maintenance_lead_minutes``."""

    maintenance: Maintenance
    kind: ClassVar[str] = "maintenance_soon"

    @property
    def key(self) -> str:
        return f"maintenance:{self.maintenance.id}:soon"


@dataclass(frozen=True)
class MaintenanceStarted(_Base):
    maintenance: Maintenance
    kind: ClassVar[str] = "maintenance_started"

    @property
    def key(self) -> str:
        return f"maintenance:{self.maintenance.id}:started"


@dataclass(frozen=True)
class MaintenanceEnded(_Base):
    maintenance: Maintenance
    kind: ClassVar[str] = "maintenance_ended"

    @property
    def key(self) -> str:
        return f"maintenance:{self.maintenance.id}:ended"


@dataclass(frozen=True)
class WentOffline(_Base):
    """Every target failed at DNS/connect level: the trouble is this machine's network."""

    detail: str = ""
    kind: ClassVar[str] = "went_offline"

    @property
    def key(self) -> str:
        return f"offline:{self.at.isoformat()}"


@dataclass(frozen=True)
class BackOnline(_Base):
    offline_for: timedelta | None = None
    kind: ClassVar[str] = "back_online"

    @property
    def key(self) -> str:
        return f"online:{self.at.isoformat()}"


@dataclass(frozen=True)
class StatusPageUnreachable(_Base):
    """Probes work but the status page cannot be read (or gives garbage)."""

    detail: str = ""
    kind: ClassVar[str] = "status_page_unreachable"

    @property
    def key(self) -> str:
        return f"page:unreachable:{self.at.isoformat()}"


@dataclass(frozen=True)
class StatusPageReachable(_Base):
    kind: ClassVar[str] = "status_page_reachable"

    @property
    def key(self) -> str:
        return f"page:reachable:{self.at.isoformat()}"


Event = (
    ServiceDown
    | ServiceDegraded
    | ServiceRecovered
    | IncidentOpened
    | IncidentUpdated
    | IncidentResolved
    | MaintenanceScheduled
    | MaintenanceStartingSoon
    | MaintenanceStarted
    | MaintenanceEnded
    | WentOffline
    | BackOnline
    | StatusPageUnreachable
    | StatusPageReachable
)

EVENT_TYPES: tuple[type[_Base], ...] = (
    ServiceDown,
    ServiceDegraded,
    ServiceRecovered,
    IncidentOpened,
    IncidentUpdated,
    IncidentResolved,
    MaintenanceScheduled,
    MaintenanceStartingSoon,
    MaintenanceStarted,
    MaintenanceEnded,
    WentOffline,
    BackOnline,
    StatusPageUnreachable,
    StatusPageReachable,
)
EVENT_KINDS: tuple[str, ...] = tuple(t.kind for t in EVENT_TYPES)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def event_to_dict(event: Event) -> dict[str, Any]:
    """A JSON-ready dict: ``kind``, ``key``, ``severity`` and every field."""
    body = {f.name: _plain(getattr(event, f.name)) for f in dataclasses.fields(event)}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            body[f.name] = _plain(dataclasses.asdict(value))
    return {"kind": event.kind, "key": event.key, "severity": event.severity.value, **body}


__all__ = [
    "EVENT_KINDS",
    "EVENT_TYPES",
    "BackOnline",
    "Event",
    "IncidentOpened",
    "IncidentResolved",
    "IncidentUpdated",
    "MaintenanceEnded",
    "MaintenanceScheduled",
    "MaintenanceStarted",
    "MaintenanceStartingSoon",
    "ServiceDegraded",
    "ServiceDown",
    "ServiceRecovered",
    "Severity",
    "StatusPageReachable",
    "StatusPageUnreachable",
    "WentOffline",
    "event_to_dict",
]
