"""The words of each alert: titles and bodies for service changes, incidents, maintenance,
connectivity, reminders and quiet-hours summaries. Pure: the policy decides *whether* to tell,
this module decides *what* it says.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from tray_app.config.schema import NotificationSettings
from tray_app.core.events import (
    BackOnline,
    Event,
    IncidentOpened,
    IncidentResolved,
    IncidentUpdated,
    MaintenanceEnded,
    MaintenanceScheduled,
    MaintenanceStarted,
    MaintenanceStartingSoon,
    ServiceDegraded,
    ServiceDown,
    ServiceRecovered,
    StatusPageReachable,
    StatusPageUnreachable,
    WentOffline,
)
from tray_app.core.models import Health, Incident, Maintenance, MonitorSnapshot
from tray_app.core.timefmt import format_duration
from tray_app.sinks.notification import Notification, Urgency, make_notification, plain_text

INCIDENT_EVENTS = (IncidentOpened, IncidentUpdated, IncidentResolved)
MAINTENANCE_EVENTS = (
    MaintenanceScheduled,
    MaintenanceStartingSoon,
    MaintenanceStarted,
    MaintenanceEnded,
)


@dataclass(frozen=True)
class ServiceItem:
    """One component's change, as the policy decided to tell it."""

    component_id: str
    name: str
    health: Health  # OPERATIONAL for a recovery
    key: str
    probe_only: bool = False
    down_for: timedelta | None = None


def incident_component_ids(incident: Incident) -> tuple[str, ...]:
    if incident.component_ids:
        return incident.component_ids
    return incident.latest_update.affected_component_ids if incident.latest_update else ()


def incident_url(incident: Incident | Maintenance, snapshot: MonitorSnapshot) -> str:
    return incident.shortlink or f"{snapshot.page_url.rstrip('/')}/incidents/{incident.id}"


def url_for_components(ids: Sequence[str], snapshot: MonitorSnapshot) -> str:
    for incident in snapshot.incidents:
        if any(cid in incident.component_ids for cid in ids):
            return incident_url(incident, snapshot)
    return snapshot.page_url


def component_thread(component_id: str) -> str:
    return f"component:{component_id}"


def incident_thread(incident: Incident) -> str:
    return f"incident:{incident.id}"


def event_thread(event: Event) -> str:
    """The outage (or other story) an event belongs to: its news share one bubble."""
    if isinstance(event, (ServiceDown, ServiceDegraded, ServiceRecovered)):
        return component_thread(event.component_id)
    if isinstance(event, INCIDENT_EVENTS):
        return incident_thread(event.incident)
    if isinstance(event, MAINTENANCE_EVENTS):
        return f"maintenance:{event.maintenance.id}"
    if isinstance(event, (WentOffline, BackOnline)):
        return "network"
    return "status-page"


def event_ends(event: Event) -> bool:
    """Whether ``event`` is the news that its story is over."""
    return isinstance(
        event,
        (ServiceRecovered, IncidentResolved, MaintenanceEnded, BackOnline, StatusPageReachable),
    )


def open_incidents_about(ids: Sequence[str], snapshot: MonitorSnapshot) -> list[Incident]:
    wanted = set(ids)
    return [
        i
        for i in snapshot.incidents
        if not i.is_resolved and wanted & set(incident_component_ids(i))
    ]


_PARENTHESIS = re.compile(r"\s*\([^)]*\)\s*$")


def short_name(name: str) -> str:
    """ "Claude Console (platform.claude.com)" -> "Console"; "Claude Code" stays."""
    bare = _PARENTHESIS.sub("", name).strip()
    if bare != name and bare.startswith("Claude ") and len(bare) > len("Claude "):
        bare = bare[len("Claude ") :]
    return bare or name


def short_list(names: Sequence[str], show: int = 3) -> str:
    """ "claude.ai, Console, API +3": at most ``show`` names, then how many more."""
    shown = [short_name(n) for n in names[:show]]
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" +{more}" if more > 0 else "")


def compact_services(items: Sequence[ServiceItem]) -> str:
    """ "partial outage: claude.ai, Console, API +3", worst first, one group per health."""
    groups: dict[str, list[str]] = {}
    for item in sorted(items, key=lambda i: -i.health.rank):
        label = "down from here" if item.probe_only else item.health.label
        groups.setdefault(label, []).append(item.name)
    return "; ".join(f"{label}: {short_list(names)}" for label, names in groups.items())


def resolution_text(incident: Incident, lasted: timedelta | None) -> str:
    """ "Lasted 42 min. <the resolution update>"; the update only if it is the resolution
    (an incident that just left the page still carries its last *open* update)."""
    lasted_text = f"Lasted {format_duration(lasted)}." if lasted else ""
    update = incident.latest_update
    words = plain_text(update.body) if update and incident.is_resolved else ""
    return " ".join(t for t in (lasted_text, words) if t)


def resolution_line(incident: Incident, lasted: timedelta | None = None) -> str:
    text = resolution_text(incident, lasted)
    return f"Resolved: {incident.name}" + (f". {text}" if text else "")


class AlertWriter:
    """Writes notifications; needs the settings (maintenance lead) and the user's time zone."""

    def __init__(self, settings: NotificationSettings, tz: tzinfo | None = None) -> None:
        self.settings = settings
        self.tz = tz  # None = system local time

    def services(
        self,
        items: Sequence[ServiceItem],
        snapshot: MonitorSnapshot,
        *,
        failing: bool,
        incidents: Sequence[Incident] = (),
        lasted: Mapping[str, timedelta] | None = None,
    ) -> Notification:
        """One notification for the services that changed in one check. ``incidents``: the
        incidents about them that opened (or resolved) in the same check; ``lasted``: how long
        each resolved one lasted, by id."""
        keys = [i.key for i in items]
        ids = [i.component_id for i in items]
        threads = [
            *(component_thread(cid) for cid in ids),
            *(incident_thread(i) for i in incidents),
        ]
        url = (
            incident_url(incidents[0], snapshot) if incidents else url_for_components(ids, snapshot)
        )
        if not failing:
            lines = [resolution_line(i, (lasted or {}).get(i.id)) for i in incidents]
            return self._recovered(items, snapshot, lines, url, keys, threads)
        urgency = (
            Urgency.CRITICAL
            if any(i.health is Health.MAJOR_OUTAGE for i in items)
            or any(i.impact == "critical" for i in incidents)
            else Urgency.NORMAL
        )
        cause = [
            *incidents,
            *(i for i in open_incidents_about(ids, snapshot) if i not in incidents),
        ]
        if cause:
            # the cause first: what is wrong, then which services, then the latest word on it
            incident = cause[0]
            lines = [compact_services(items), *(f"Also: {other.name}" for other in cause[1:])]
            update = incident.latest_update.body if incident.latest_update else ""
            if update:
                lines.append(plain_text(update))  # the latest word last
            threads.append(incident_thread(incident))
            return make_notification(
                incident.name, "\n".join(lines), urgency, url, keys, threads=threads
            )

        def describe(i: ServiceItem) -> str:
            if i.probe_only:
                return "down from here (not on the status page yet)"
            return i.health.label

        if len(items) == 1:
            item = items[0]
            if item.probe_only:
                title = f"{item.name} down from here"
            elif item.health is Health.DEGRADED:
                title = f"{item.name} degraded"
            else:
                title = f"{item.name} down"
            body = f"{item.name}: {describe(item)}"
            return make_notification(title, body, urgency, url, keys, threads=threads)
        names = [i.name for i in items]  # the title names them compactly, the body in full
        body = "\n".join(f"{i.name}: {describe(i)}" for i in items)
        return make_notification(
            f"{len(items)} services down: {short_list(names)}",
            body,
            urgency,
            url,
            keys,
            threads=threads,
        )

    @staticmethod
    def _recovered(
        items: Sequence[ServiceItem],
        snapshot: MonitorSnapshot,
        resolutions: Sequence[str],
        url: str,
        keys: Sequence[str],
        threads: Sequence[str],
    ) -> Notification:
        lines = list(resolutions)  # the real resolution first, when there is one
        if len(items) == 1:
            item = items[0]
            after = f" after {format_duration(item.down_for)} down" if item.down_for else ""
            title = f"{item.name} is back"
            lines.append(f"{item.name} is working again{after}.")
        else:
            title = f"{len(items)} services back: " + short_list([i.name for i in items])
            lines += [
                f"{i.name}: back" + (f" after {format_duration(i.down_for)}" if i.down_for else "")
                for i in items
            ]
        ids = {i.component_id for i in items}
        still = [c for c in snapshot.components if c.health.is_problem and c.id not in ids]
        if still:
            lines.append("Still in trouble: " + short_list([c.name for c in still]))
        return make_notification(
            title, "\n".join(lines), Urgency.NORMAL, url, keys, threads=threads, ends=True
        )

    @staticmethod
    def reminder(
        due: Sequence[tuple[str, str, timedelta | None]], now: datetime, snapshot: MonitorSnapshot
    ) -> Notification:
        """``due``: (component id, name, down for) of each outage still going on."""
        names = ", ".join(name for _, name, _ in due)
        body = "\n".join(f"{name}: down for {format_duration(d)}" for _, name, d in due if d)
        keys = [f"reminder:{cid}:{now.isoformat()}" for cid, _, _ in due]
        return make_notification(
            f"Still down: {names}",
            body,
            Urgency.NORMAL,
            url_for_components([cid for cid, _, _ in due], snapshot),
            keys,
            threads=[component_thread(cid) for cid, _, _ in due],
        )

    @staticmethod
    def summary(held: Sequence[Notification], snapshot: MonitorSnapshot) -> Notification:
        if len(held) == 1:
            return held[0]
        urgency = max((n.urgency for n in held), key=lambda u: u.level)
        keys = [k for n in held for k in n.keys]
        body = "\n".join(n.title for n in held)
        return make_notification(
            f"During quiet hours: {len(held)} alerts",
            body,
            urgency,
            snapshot.page_url,
            keys,
            threads=[t for n in held for t in n.threads],
            ends=all(n.ends for n in held),
        )

    def _local(self, when: datetime | None) -> str:
        if when is None:
            return "at a time not given"
        local = when.astimezone(self.tz) if self.tz else when.astimezone()
        return local.strftime("%a %d %b %H:%M")

    @staticmethod
    def _component_names(ids: Sequence[str], snapshot: MonitorSnapshot) -> list[str]:
        names = {c.id: c.name for c in snapshot.components}
        return [names.get(cid, cid) for cid in ids]

    def event(self, event: Event, snapshot: MonitorSnapshot) -> Notification:
        """The notification for one incident, maintenance or connectivity event."""
        n = self._event(event, snapshot)
        threads: tuple[str, ...] = (event_thread(event),)
        if isinstance(event, IncidentOpened):  # the cause of its services' outage: one bubble
            ids = incident_component_ids(event.incident)
            threads = (*(component_thread(cid) for cid in ids), *threads)
        return dataclasses.replace(n, threads=threads, ends=event_ends(event))

    def _event(self, event: Event, snapshot: MonitorSnapshot) -> Notification:
        keys = (event.key,)
        if isinstance(event, INCIDENT_EVENTS):
            incident = event.incident
            url = incident_url(incident, snapshot)
            update_body = incident.latest_update.body if incident.latest_update else ""
            if isinstance(event, IncidentOpened):
                urgency = Urgency.CRITICAL if incident.impact == "critical" else Urgency.NORMAL
                affected = self._component_names(incident_component_ids(incident), snapshot)
                lead = f"Affected: {short_list(affected)}\n" if affected else ""
                return make_notification(
                    incident.name, lead + plain_text(update_body), urgency, url, keys
                )
            if isinstance(event, IncidentUpdated):
                body = event.update.body if event.update else update_body
                status = (event.update.status if event.update else incident.status).capitalize()
                return make_notification(
                    f"{status}: {incident.name}", plain_text(body), Urgency.NORMAL, url, keys
                )
            return make_notification(
                f"Resolved: {incident.name}",
                resolution_text(incident, event.lasted),
                Urgency.NORMAL,
                url,
                keys,
            )
        if isinstance(event, MAINTENANCE_EVENTS):
            m = event.maintenance
            url = incident_url(m, snapshot)
            window = f"{self._local(m.scheduled_for)} to {self._local(m.scheduled_until)}"
            if isinstance(event, MaintenanceScheduled):
                title, body = f"Maintenance scheduled: {m.name}", f"Planned {window}."
            elif isinstance(event, MaintenanceStartingSoon):
                lead = format_duration(timedelta(minutes=self.settings.maintenance_lead_minutes))
                title, body = f"Maintenance within {lead}: {m.name}", f"Planned {window}."
            elif isinstance(event, MaintenanceStarted):
                title = f"Maintenance started: {m.name}"
                body = f"Planned until {self._local(m.scheduled_until)}."
            else:
                title, body = f"Maintenance ended: {m.name}", "The scheduled maintenance is over."
            return make_notification(title, body, Urgency.LOW, url, keys)
        if isinstance(event, WentOffline):
            body = "Claude's status cannot be checked until your network is back."
            if event.detail:
                body += f" ({event.detail})"
            return make_notification("You are offline", body, Urgency.LOW, None, keys)
        if isinstance(event, BackOnline):
            body = (
                f"Offline for {format_duration(event.offline_for)}."
                if event.offline_for
                else "Checking Claude's status again."
            )
            return make_notification("Back online", body, Urgency.LOW, None, keys)
        if isinstance(event, StatusPageUnreachable):
            return make_notification(
                "Status page unreachable", event.detail, Urgency.LOW, snapshot.page_url, keys
            )
        return make_notification(
            "Status page reachable again",
            "The status page can be read again.",
            Urgency.LOW,
            snapshot.page_url,
            keys,
        )


__all__ = [
    "AlertWriter",
    "ServiceItem",
    "compact_services",
    "component_thread",
    "event_thread",
    "incident_component_ids",
    "incident_thread",
    "incident_url",
    "short_name",
    "url_for_components",
]
