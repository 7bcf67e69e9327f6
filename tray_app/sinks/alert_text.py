"""The words of each alert: titles and bodies for service changes, incidents, maintenance,
connectivity, reminders and quiet-hours summaries. Pure: the policy decides *whether* to tell,
this module decides *what* it says.
"""

from __future__ import annotations

from collections.abc import Sequence
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


class AlertWriter:
    """Writes notifications; needs the settings (maintenance lead) and the user's time zone."""

    def __init__(self, settings: NotificationSettings, tz: tzinfo | None = None) -> None:
        self.settings = settings
        self.tz = tz  # None = system local time

    def services(
        self, items: Sequence[ServiceItem], snapshot: MonitorSnapshot, *, failing: bool
    ) -> Notification:
        keys = [i.key for i in items]
        url = url_for_components([i.component_id for i in items], snapshot)
        if not failing:
            if len(items) == 1:
                item = items[0]
                after = f" after {format_duration(item.down_for)} down" if item.down_for else ""
                return make_notification(
                    f"{item.name} is back",
                    f"{item.name} is working again{after}.",
                    Urgency.NORMAL,
                    url,
                    keys,
                )
            lines = [
                f"{i.name}: back" + (f" after {format_duration(i.down_for)}" if i.down_for else "")
                for i in items
            ]
            names = ", ".join(i.name for i in items)
            return make_notification(
                f"{len(items)} services back: {names}", "\n".join(lines), Urgency.NORMAL, url, keys
            )
        urgency = (
            Urgency.CRITICAL
            if any(i.health is Health.MAJOR_OUTAGE for i in items)
            else Urgency.NORMAL
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
            return make_notification(title, f"{item.name}: {describe(item)}", urgency, url, keys)
        names = ", ".join(i.name for i in items)
        body = "\n".join(f"{i.name}: {describe(i)}" for i in items)
        return make_notification(f"{len(items)} services down: {names}", body, urgency, url, keys)

    @staticmethod
    def folded(
        service: Notification,
        related: Sequence[tuple[IncidentOpened | IncidentResolved, Notification]],
    ) -> Notification:
        """One notification for a service change and the incidents about it: the service line
        leads, the incidents follow."""
        lines = [service.body]
        for event, _ in related:
            incident = event.incident
            update = plain_text(incident.latest_update.body) if incident.latest_update else ""
            if isinstance(event, IncidentOpened):
                opened = f"{incident.name} ({incident.status})"
                lines.append(f"{opened}: {update}" if update else opened)
            else:
                lines.append(f"Resolved: {incident.name}")
        notes = [note for _, note in related]
        urgency = max((service, *notes), key=lambda n: n.urgency.level).urgency
        keys = (*service.keys, *(k for n in notes for k in n.keys))
        url = notes[0].url or service.url
        return make_notification(service.title, "\n".join(lines), urgency, url, keys)

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
        )

    @staticmethod
    def summary(held: Sequence[Notification], snapshot: MonitorSnapshot) -> Notification:
        if len(held) == 1:
            return held[0]
        urgency = max((n.urgency for n in held), key=lambda u: u.level)
        keys = [k for n in held for k in n.keys]
        body = "\n".join(n.title for n in held)
        return make_notification(
            f"During quiet hours: {len(held)} alerts", body, urgency, snapshot.page_url, keys
        )

    def _local(self, when: datetime | None) -> str:
        if when is None:
            return "at a time not given"
        local = when.astimezone(self.tz) if self.tz else when.astimezone()
        return local.strftime("%a %d %b %H:%M")

    @staticmethod
    def _component_names(ids: Sequence[str], snapshot: MonitorSnapshot) -> str:
        names = {c.id: c.name for c in snapshot.components}
        return ", ".join(names.get(cid, cid) for cid in ids)

    def event(self, event: Event, snapshot: MonitorSnapshot) -> Notification:
        """The notification for one incident, maintenance or connectivity event."""
        keys = (event.key,)
        if isinstance(event, INCIDENT_EVENTS):
            incident = event.incident
            url = incident_url(incident, snapshot)
            update_body = incident.latest_update.body if incident.latest_update else ""
            if isinstance(event, IncidentOpened):
                urgency = Urgency.CRITICAL if incident.impact == "critical" else Urgency.NORMAL
                affected = self._component_names(incident_component_ids(incident), snapshot)
                lead = f"Affected: {affected}\n" if affected else ""
                return make_notification(
                    incident.name, lead + plain_text(update_body), urgency, url, keys
                )
            if isinstance(event, IncidentUpdated):
                body = event.update.body if event.update else update_body
                status = (event.update.status if event.update else incident.status).capitalize()
                return make_notification(
                    f"{status}: {incident.name}", plain_text(body), Urgency.NORMAL, url, keys
                )
            lasted = f"Lasted {format_duration(event.lasted)}. " if event.lasted else ""
            return make_notification(
                f"Resolved: {incident.name}",
                lasted + plain_text(update_body),
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
    "incident_component_ids",
    "incident_url",
    "url_for_components",
]
