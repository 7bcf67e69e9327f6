"""The state machine's values: what it observes, what it remembers, and plain questions about them.

Everything here is an immutable value or a pure query; the rules that move from one state to
the next live in ``tray_app.core.state``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tray_app.config.schema import Settings
from tray_app.core.models import (
    Health,
    Incident,
    Maintenance,
    PageFailure,
    PageSnapshot,
    ProbeOutcome,
    ProbeResult,
    worse,
)

# ---- Observations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PageObserved:
    """A successful read of the status page (or a 304 that reused the last one)."""

    snapshot: PageSnapshot


@dataclass(frozen=True)
class PageFailed:
    """The status page could not be read; ``failure.network`` for DNS/connect failures."""

    failure: PageFailure


@dataclass(frozen=True)
class ProbesObserved:
    """One round of direct probes."""

    results: tuple[ProbeResult, ...]
    at: datetime


@dataclass(frozen=True)
class Tick:
    """Time passing, for time-driven events (maintenance starting soon)."""

    at: datetime


Observation = PageObserved | PageFailed | ProbesObserved | Tick


# ---- State ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComponentTrack:
    id: str
    name: str
    official: Health = Health.UNKNOWN  # last known page status; stale while the page fails
    group_id: str | None = None
    is_group: bool = False
    health: Health = Health.UNKNOWN  # combined (official and probe), as last computed
    since: datetime | None = None  # when ``health`` last changed
    known: Health | None = None  # last combined health other than UNKNOWN that events judged
    problem: Health | None = None  # set while a problem episode is open (until operational)
    problem_since: datetime | None = None  # None when the episode began before we first saw it


@dataclass(frozen=True)
class ProbeTrack:
    target: str
    component_id: str
    verdict: Health = Health.UNKNOWN  # OPERATIONAL or PARTIAL_OUTAGE once a threshold is met
    bad_streak: int = 0
    good_streak: int = 0
    last: ProbeResult | None = None


@dataclass(frozen=True)
class IncidentTrack:
    incident: Incident  # as last read
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class MaintenanceTrack:
    maintenance: Maintenance  # as last read
    soon_sent: bool = False
    started: bool = False
    ended_at: datetime | None = None


@dataclass(frozen=True)
class MonitorState:
    components: tuple[ComponentTrack, ...] = ()
    probes: tuple[ProbeTrack, ...] = ()
    incidents: tuple[IncidentTrack, ...] = ()
    maintenances: tuple[MaintenanceTrack, ...] = ()
    page: PageSnapshot | None = None  # the last successful read
    page_failure: PageFailure | None = None  # set while the latest page attempt failed
    page_unreachable_announced: bool = False
    # did the probes get through just before the page's latest failure? (see _page_unreachable)
    probes_ok_before_failure: bool = False
    latest_probes: tuple[ProbeResult, ...] = ()  # the latest round of probe results
    offline_since: datetime | None = None
    last_checked: datetime | None = None

    @property
    def offline(self) -> bool:
        return self.offline_since is not None

    def component(self, component_id: str) -> ComponentTrack | None:
        for track in self.components:
            if track.id == component_id:
                return track
        return None


def initial_state() -> MonitorState:
    """Nothing seen yet: the first observations announce problems that exist right now."""
    return MonitorState()


def observation_time(obs: Observation) -> datetime:
    if isinstance(obs, PageObserved):
        return obs.snapshot.fetched_at
    if isinstance(obs, PageFailed):
        return obs.failure.at
    return obs.at


# ---- Questions about a state -------------------------------------------------------------


def probes_got_through(results: tuple[ProbeResult, ...]) -> bool:
    return bool(results) and not all(r.outcome is ProbeOutcome.UNREACHABLE for r in results)


def page_unreachable(state: MonitorState) -> bool:
    """Is it the status page that fails, not our network?

    An HTTP-level failure (5xx, HTML, broken JSON) is the page's. A DNS/connect failure is the
    page's only when the probes got through both just before it and after it: a network that
    is dropping (probes still fine from a moment ago) or coming back (the page's last attempt
    was made while offline) is not "status page unreachable"."""
    failure = state.page_failure
    if failure is None:
        return False
    if not failure.network:
        return True
    later = tuple(r for r in state.latest_probes if r.at >= failure.at)
    return state.probes_ok_before_failure and probes_got_through(later)


def probe_health(state: MonitorState, component_id: str, settings: Settings) -> Health | None:
    if not settings.probes.enabled:
        return None
    verdicts = [p.verdict for p in state.probes if p.component_id == component_id]
    if not verdicts:
        return None
    result = verdicts[0]
    for verdict in verdicts[1:]:
        result = worse(result, verdict)
    return result


def is_watched(track: ComponentTrack, settings: Settings) -> bool:
    """Explicitly listed, or (with an empty list) any component that is not a group."""
    if settings.watch.components:
        return track.id in settings.watch.components
    return not track.is_group


def announces(track: ComponentTrack, settings: Settings) -> bool:
    """Service events cover every component but groups (their children speak for them)."""
    return not track.is_group or track.id in settings.watch.components
