"""Typed, immutable values shared by the sources, the state machine and every sink.

Nothing here does I/O. Times are timezone-aware UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum


class Health(str, Enum):
    """The health of one component, or of Claude as a whole.

    The first six apply to components; OFFLINE and STATUS_PAGE_UNREACHABLE only describe
    the app as a whole (your network is down / the status page cannot be read).
    """

    OPERATIONAL = "operational"
    DEGRADED = "degraded"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"
    MAINTENANCE = "maintenance"
    UNKNOWN = "unknown"
    OFFLINE = "offline"
    STATUS_PAGE_UNREACHABLE = "status_page_unreachable"

    @property
    def rank(self) -> int:
        """Severity for "the worse wins". UNKNOWN ranks lowest: any real observation beats it."""
        return _RANK[self]

    @property
    def label(self) -> str:
        """Lower-case words for menus, tooltips and the CLI."""
        return _LABEL[self]

    @property
    def is_problem(self) -> bool:
        """Degraded or worse: something a user would want to hear about."""
        return self in (Health.DEGRADED, Health.PARTIAL_OUTAGE, Health.MAJOR_OUTAGE)

    @property
    def is_down(self) -> bool:
        return self in (Health.PARTIAL_OUTAGE, Health.MAJOR_OUTAGE)


# The states with a picture of their own: OFFLINE and STATUS_PAGE_UNREACHABLE look like UNKNOWN.
DISTINCT_STATES: tuple[Health, ...] = (
    Health.OPERATIONAL,
    Health.DEGRADED,
    Health.PARTIAL_OUTAGE,
    Health.MAJOR_OUTAGE,
    Health.MAINTENANCE,
    Health.UNKNOWN,
)


_RANK = {
    Health.UNKNOWN: -1,
    Health.OFFLINE: -1,
    Health.STATUS_PAGE_UNREACHABLE: -1,
    Health.OPERATIONAL: 0,
    Health.MAINTENANCE: 1,
    Health.DEGRADED: 2,
    Health.PARTIAL_OUTAGE: 3,
    Health.MAJOR_OUTAGE: 4,
}

_LABEL = {
    Health.OPERATIONAL: "operational",
    Health.DEGRADED: "degraded performance",
    Health.PARTIAL_OUTAGE: "partial outage",
    Health.MAJOR_OUTAGE: "major outage",
    Health.MAINTENANCE: "under maintenance",
    Health.UNKNOWN: "unknown",
    Health.OFFLINE: "offline (your network)",
    Health.STATUS_PAGE_UNREACHABLE: "status page unreachable",
}


def worse(a: Health, b: Health) -> Health:
    """The more severe of two healths (ties keep ``a``)."""
    return b if b.rank > a.rank else a


# Statuspage v2 component statuses.
COMPONENT_STATUS = {
    "operational": Health.OPERATIONAL,
    "degraded_performance": Health.DEGRADED,
    "partial_outage": Health.PARTIAL_OUTAGE,
    "major_outage": Health.MAJOR_OUTAGE,
    "under_maintenance": Health.MAINTENANCE,
}

INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved", "postmortem")
MAINTENANCE_STATUSES = ("scheduled", "in_progress", "verifying", "completed")
INDICATORS = ("none", "minor", "major", "critical", "maintenance")


@dataclass(frozen=True)
class Component:
    id: str
    name: str
    health: Health
    raw_status: str
    group_id: str | None = None
    is_group: bool = False
    child_ids: tuple[str, ...] = ()
    position: int = 0
    description: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class IncidentUpdate:
    id: str
    status: str
    body: str
    created_at: datetime | None
    affected_component_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Incident:
    id: str
    name: str
    status: str  # one of INCIDENT_STATUSES, or "unknown"
    impact: str  # none / minor / major / critical / maintenance, or "unknown"
    shortlink: str | None
    created_at: datetime | None
    updated_at: datetime | None
    component_ids: tuple[str, ...] = ()
    latest_update: IncidentUpdate | None = None

    @property
    def is_resolved(self) -> bool:
        return self.status in ("resolved", "postmortem")


@dataclass(frozen=True)
class Maintenance:
    id: str
    name: str
    status: str  # one of MAINTENANCE_STATUSES, or "unknown"
    impact: str
    shortlink: str | None
    scheduled_for: datetime | None
    scheduled_until: datetime | None
    component_ids: tuple[str, ...] = ()
    latest_update: IncidentUpdate | None = None


@dataclass(frozen=True)
class PageSnapshot:
    """One successful read of the status page's summary.json."""

    page_name: str
    page_url: str
    indicator: str
    description: str
    components: tuple[Component, ...]
    incidents: tuple[Incident, ...]  # unresolved only
    maintenances: tuple[Maintenance, ...]  # upcoming and in progress
    fetched_at: datetime
    etag: str | None = None

    def component(self, component_id: str) -> Component | None:
        for c in self.components:
            if c.id == component_id:
                return c
        return None


class ProbeOutcome(str, Enum):
    """What one direct probe saw from this machine."""

    UP = "up"  # the front door answered as a healthy service does (401 JSON, 200, CF 403...)
    DOWN = "down"  # 5xx, 529 overloaded, or an answer a healthy service never gives
    TIMEOUT = "timeout"  # connected, then no answer in time
    TLS_ERROR = "tls_error"  # handshake or certificate failure
    UNREACHABLE = "unreachable"  # DNS or connect failure: possibly our own network

    @property
    def is_bad(self) -> bool:
        return self is not ProbeOutcome.UP


@dataclass(frozen=True)
class ProbeResult:
    target: str  # "api" or "claude_ai"
    component_id: str  # the status-page component this probe speaks for
    outcome: ProbeOutcome
    at: datetime
    latency_ms: float | None = None
    status_code: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class PageFailure:
    """The status page could not be read. ``network`` is True for DNS/connect failures."""

    message: str
    at: datetime
    network: bool = False
    retry_after: float | None = None


# ---- What the sinks read: the combined view after the state machine has run. ----


@dataclass(frozen=True)
class ComponentView:
    id: str
    name: str
    health: Health  # combined: official and probe, the worse wins
    official: Health  # what the status page says (UNKNOWN if never read)
    probe: Health | None  # what our probe concluded, after hysteresis; None if no probe
    since: datetime | None  # when ``health`` last changed
    group_id: str | None = None
    watched: bool = True

    @property
    def probe_only(self) -> bool:
        """Down from here but not (yet) on the status page."""
        probe = self.probe
        return probe is not None and probe.is_problem and probe.rank > self.official.rank

    @property
    def note(self) -> str:
        return "down from here (not on the status page yet)" if self.probe_only else ""


@dataclass(frozen=True)
class ResolvedIncident:
    """An incident that ended recently, for the menu's "Recently resolved"."""

    incident: Incident  # as last read
    resolved_at: datetime  # when the page said so (or when it left the page)

    @property
    def lasted(self) -> timedelta | None:
        created = self.incident.created_at
        return self.resolved_at - created if created is not None else None


@dataclass(frozen=True)
class ProviderStatus:
    """Another service's status page as last read: context beside Claude, never Claude's state."""

    name: str
    url: str  # the page a person opens
    health: Health  # the worst of its watched components; UNKNOWN when its page cannot be read
    description: str  # what the page says overall, or why it could not be read
    components: tuple[Component, ...] = ()  # the watched ones (all when none are named)
    incidents: tuple[Incident, ...] = ()  # unresolved; incident.io pages list none
    error: str | None = None
    checked_at: datetime | None = None
    upstream: bool = False
    fallback: bool = False


@dataclass(frozen=True)
class MonitorSnapshot:
    """Everything a sink needs to draw the current state; safe to share across threads."""

    overall: Health
    description: str
    components: tuple[ComponentView, ...] = ()
    incidents: tuple[Incident, ...] = ()
    maintenances: tuple[Maintenance, ...] = ()
    probes: tuple[ProbeResult, ...] = ()
    page_url: str = "https://status.claude.com"
    page_error: str | None = None
    last_checked: datetime | None = None
    next_check: datetime | None = None
    page_read_at: datetime | None = None  # the last successful page read: what "last known" means
    offline_since: datetime | None = None
    recently_resolved: tuple[ResolvedIncident, ...] = ()  # newest first
    providers: tuple[ProviderStatus, ...] = ()  # other services, in the settings' order

    @property
    def page_unreadable(self) -> bool:
        """The latest page attempt failed: what the page said is last known, not current."""
        return self.page_error is not None or self.offline_since is not None

    @property
    def probe_only(self) -> bool:
        return any(c.probe_only for c in self.components if c.watched)


__all__ = [
    "COMPONENT_STATUS",
    "DISTINCT_STATES",
    "INCIDENT_STATUSES",
    "INDICATORS",
    "MAINTENANCE_STATUSES",
    "Component",
    "ComponentView",
    "Health",
    "Incident",
    "IncidentUpdate",
    "Maintenance",
    "MonitorSnapshot",
    "PageFailure",
    "PageSnapshot",
    "ProbeOutcome",
    "ProbeResult",
    "ProviderStatus",
    "ResolvedIncident",
    "worse",
]
