"""Noise control: which events become which notifications, and when. Pure: no I/O, no clock.

``AlertPolicy.decide`` takes the events of one check (or none, on a timer tick), the current
``MonitorSnapshot`` and ``now``, and returns the notifications to show. Its state (what was
already sent, what each component was last reported as, what quiet hours are holding) is a
plain value that round-trips through JSON, so dedupe survives a restart.

Rules, in order: master switch; dedupe by event key (bounded memory); snooze (nothing shown);
per-kind switches; watched components; keyword filter for incidents; "only when back"
components; a minimum interval per component (a change inside it is held and re-checked
against the snapshot when the interval ends, so flapping collapses to the final state);
one notification for several components failing in one check; reminders for long outages;
quiet hours (held, then one summary).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from tray_app.config.schema import NotificationSettings, WatchSettings
from tray_app.core.errors import ConfigError
from tray_app.core.events import (
    BackOnline,
    Event,
    IncidentOpened,
    IncidentResolved,
    IncidentUpdated,
    ServiceDegraded,
    ServiceDown,
    ServiceRecovered,
    StatusPageReachable,
    StatusPageUnreachable,
    WentOffline,
)
from tray_app.core.models import Health, Incident, MonitorSnapshot
from tray_app.sinks.alert_state import (
    MAX_HELD,
    MAX_SEEN_KEYS,
    OK,
    AlertPolicyState,
    AlertPrefs,
    ComponentAlert,
)
from tray_app.sinks.alert_text import (
    INCIDENT_EVENTS,
    MAINTENANCE_EVENTS,
    AlertWriter,
    ServiceItem,
    component_thread,
    incident_component_ids,
    incident_thread,
)
from tray_app.sinks.notification import Notification

# ---- Quiet hours ----


def parse_quiet_hours(text: str) -> tuple[time, time] | None:
    """``"22:00-07:00"`` -> (22:00, 07:00); empty -> None. Raises ConfigError if malformed."""
    text = text.strip()
    if not text:
        return None
    match = re.fullmatch(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", text)
    if not match:
        raise ConfigError("expected HH:MM-HH:MM", key="notifications.quiet_hours", value=text)
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ConfigError(
            "hour or minute out of range", key="notifications.quiet_hours", value=text
        )
    start, end = time(h1, m1), time(h2, m2)
    return None if start == end else (start, end)


def in_quiet_hours(span: tuple[time, time] | None, local: time) -> bool:
    if span is None:
        return False
    start, end = span
    if start < end:
        return start <= local < end
    return local >= start or local < end  # spans midnight


# ---- The policy ----

_SERVICE_EVENTS = (ServiceDown, ServiceDegraded, ServiceRecovered)
_CONNECTIVITY_EVENTS = (WentOffline, BackOnline, StatusPageUnreachable, StatusPageReachable)


def watched(watch: WatchSettings, component_ids: Iterable[str]) -> bool:
    """Whether a change about ``component_ids`` concerns a watched service (none given: yes)."""
    wanted = watch.components
    ids = tuple(component_ids)
    return not wanted or not ids or any(cid in wanted for cid in ids)


def mentions_keyword(watch: WatchSettings, incident: Incident, extra_body: str = "") -> bool:
    keywords = [k.casefold() for k in watch.keywords if k.strip()]
    if not keywords:
        return True
    body = incident.latest_update.body if incident.latest_update else ""
    text = f"{incident.name}\n{body}\n{extra_body}".casefold()
    return any(k in text for k in keywords)


def switch_on(s: NotificationSettings, event: Event) -> bool:
    """The per-kind switch in the settings that lets ``event`` through."""
    if isinstance(event, ServiceDown):
        return s.service_down
    if isinstance(event, ServiceDegraded):
        return s.service_degraded
    if isinstance(event, ServiceRecovered):
        return s.service_recovered
    if isinstance(event, IncidentOpened):
        return s.incident_opened
    if isinstance(event, IncidentUpdated):
        return s.incident_updated
    if isinstance(event, IncidentResolved):
        return s.incident_resolved
    if isinstance(event, MAINTENANCE_EVENTS):
        return s.maintenance
    return s.offline  # offline / back online / status page (un)reachable


class _Run:
    """One decide() call: a working copy of the state plus what to show."""

    def __init__(self, policy: AlertPolicy, state: AlertPolicyState, snapshot: MonitorSnapshot):
        self.policy = policy
        self.settings = policy.settings
        self.snapshot = snapshot
        self.seen = list(state.seen_keys)
        self.seen_set = set(self.seen)
        self.components = dict(state.components)
        self.held = list(state.held)
        self.until_back = list(state.until_back)
        self.out: list[Notification] = []
        self.failing: list[ServiceItem] = []
        self.recovered: list[ServiceItem] = []
        # incident notifications of this call, so a service change can carry its incident
        self.incident_notes: list[tuple[IncidentOpened | IncidentResolved, Notification]] = []

    def state(self) -> AlertPolicyState:
        return AlertPolicyState(
            seen_keys=tuple(self.seen[-MAX_SEEN_KEYS:]),
            components=self.components,
            held=tuple(self.held[-MAX_HELD:]),
            until_back=tuple(self.until_back[-MAX_HELD:]),
        )

    def muted(self, thread: str) -> bool:
        """The user asked to hear about this outage only when it is over."""
        return thread in self.until_back

    def not_muted(self, n: Notification) -> bool:
        """False for news about muted outages only; the news that one is over ends its mute."""
        if n.ends:
            self.until_back = [t for t in self.until_back if t not in n.threads]
            return True
        services = [t for t in n.threads if t.startswith(component_thread(""))]
        if services and all(self.muted(t) for t in services):
            # a new incident about muted outages is their news: its updates are muted too
            self.until_back += [t for t in n.threads if not self.muted(t)]
        return not n.threads or not all(self.muted(t) for t in n.threads)

    def mark_seen(self, key: str) -> bool:
        """Remember ``key``; False if it was already seen."""
        if key in self.seen_set:
            return False
        self.seen.append(key)
        self.seen_set.add(key)
        return True

    def comp(self, component_id: str) -> ComponentAlert:
        return self.components.get(component_id, ComponentAlert())

    def set_comp(self, component_id: str, **changes: Any) -> None:
        self.components[component_id] = dataclasses.replace(self.comp(component_id), **changes)

    def track_outage(self, event: Event) -> None:
        """Keep ``down_since`` right even when nothing is shown (snooze, switches off)."""
        if isinstance(event, (ServiceDown, ServiceDegraded)):
            if self.comp(event.component_id).down_since is None:
                self.set_comp(event.component_id, down_since=event.at)
        elif isinstance(event, ServiceRecovered):
            self.set_comp(event.component_id, down_since=None, pending=False)


class AlertPolicy:
    """Holds the settings and the persisted state; ``decide`` is the one entry point."""

    def __init__(
        self,
        settings: NotificationSettings,
        watch: WatchSettings,
        state: AlertPolicyState | None = None,
        tz: tzinfo | None = None,  # quiet hours and times in text; None = system local time
    ) -> None:
        self.settings = settings
        self.watch = watch
        self.state = state or AlertPolicyState()
        self.tz = tz
        self.quiet = parse_quiet_hours(settings.quiet_hours)
        self.writer = AlertWriter(settings, tz)

    def update_settings(self, settings: NotificationSettings, watch: WatchSettings) -> None:
        """New settings from the menu or the file; the state (what was said) is kept."""
        self.settings = settings
        self.watch = watch
        self.quiet = parse_quiet_hours(settings.quiet_hours)
        self.writer = AlertWriter(settings, self.tz)

    def to_dict(self) -> dict[str, Any]:
        return self.state.to_dict()

    def tell_when_back(self, threads: Sequence[str], on: bool = True) -> None:
        """One-shot: silence every later update about these outages, tell once when over
        (``on=False`` takes the wish back)."""
        kept = [t for t in self.state.until_back if t not in threads]
        wanted = tuple(dict.fromkeys((*kept, *threads))) if on else tuple(kept)
        self.state = dataclasses.replace(self.state, until_back=wanted[-MAX_HELD:])

    @classmethod
    def from_dict(
        cls,
        settings: NotificationSettings,
        watch: WatchSettings,
        data: Any,
        tz: tzinfo | None = None,
    ) -> AlertPolicy:
        return cls(settings, watch, AlertPolicyState.from_dict(data), tz)

    def decide(
        self,
        events: Sequence[Event],
        snapshot: MonitorSnapshot,
        now: datetime,
        prefs: AlertPrefs | None = None,
    ) -> tuple[AlertPolicyState, tuple[Notification, ...]]:
        """The notifications to show now; also stores the new state on ``self.state``."""
        prefs = prefs or AlertPrefs()
        run = _Run(self, self.state, snapshot)
        snoozed = prefs.snoozed_until is not None and now < prefs.snoozed_until
        if not self.settings.enabled or snoozed:
            for event in events:
                if run.mark_seen(event.key):
                    run.track_outage(event)
            run.held.clear()
            self.state = run.state()
            return self.state, ()

        self._resolve_pending(run, now)
        for event in events:
            if run.mark_seen(event.key):
                self._consider(run, event, now)
        if run.failing:
            run.out.append(self._services(run, run.failing, failing=True))
        if run.recovered:
            run.out.append(self._services(run, run.recovered, failing=False))
        _reminders(self, run, now)
        run.out = [n for n in run.out if run.not_muted(n)]

        shown: list[Notification] = []
        if self._is_quiet(now):
            run.held.extend(run.out)
        else:
            if run.held:
                shown.append(self.writer.summary(run.held, snapshot))
                run.held.clear()
            shown.extend(run.out)
        self.state = run.state()
        return self.state, tuple(shown)

    # ---- rules ----

    def _is_quiet(self, now: datetime) -> bool:
        local = now.astimezone(self.tz) if self.tz else now.astimezone()
        return in_quiet_hours(self.quiet, local.time())

    def _consider(self, run: _Run, event: Event, now: datetime) -> None:
        if isinstance(event, _SERVICE_EVENTS):
            self._consider_service(run, event, now)
            return
        resolved_wanted = isinstance(event, IncidentResolved) and run.muted(
            incident_thread(event.incident)
        )
        if not switch_on(self.settings, event) and not resolved_wanted:
            return
        if isinstance(event, INCIDENT_EVENTS):
            incident = event.incident
            ids = incident_component_ids(incident)
            extra = event.update.body if isinstance(event, IncidentUpdated) and event.update else ""
            # an incident that matched the keyword filter once stays matched: its later updates
            # ("a fix has been implemented") need not repeat the model's name
            matched = f"incident:{incident.id}:matched"
            if not watched(self.watch, ids):
                return
            if matched not in run.seen_set and not mentions_keyword(self.watch, incident, extra):
                return
            run.mark_seen(matched)
            if isinstance(event, IncidentOpened) and incident.latest_update:
                # the opening notification already carries the first update
                run.mark_seen(f"incident:{incident.id}:update:{incident.latest_update.id}")
        elif isinstance(event, MAINTENANCE_EVENTS) and not watched(
            self.watch, event.maintenance.component_ids
        ):
            return
        note = self.writer.event(event, run.snapshot)
        run.out.append(note)
        if isinstance(event, (IncidentOpened, IncidentResolved)):
            run.incident_notes.append((event, note))

    def _services(self, run: _Run, items: Sequence[ServiceItem], *, failing: bool) -> Notification:
        """One notification, not two, when a service goes down (or comes back) in the same check
        as the incident about it opens (or resolves)."""
        kind = IncidentOpened if failing else IncidentResolved
        ids = {i.component_id for i in items}
        related = [
            (event, note)
            for event, note in run.incident_notes
            if isinstance(event, kind) and ids & set(incident_component_ids(event.incident))
        ]
        for _, note in related:
            run.out.remove(note)
        incidents = [event.incident for event, _ in related]
        lasted = {
            e.incident.id: e.lasted
            for e, _ in related
            if isinstance(e, IncidentResolved) and e.lasted is not None
        }
        n = self.writer.services(
            items, run.snapshot, failing=failing, incidents=incidents, lasted=lasted
        )
        return dataclasses.replace(
            n, keys=(*n.keys, *(k for _, note in related for k in note.keys))
        )

    def _consider_service(
        self, run: _Run, event: ServiceDown | ServiceDegraded | ServiceRecovered, now: datetime
    ) -> None:
        cid = event.component_id
        before = run.comp(cid)
        run.track_outage(event)
        if isinstance(event, ServiceRecovered):
            health = Health.OPERATIONAL
            wanted = (
                (switch_on(self.settings, event) or run.muted(component_thread(cid)))
                and watched(self.watch, (cid,))
                and (
                    before.told != OK
                    or cid in self.settings.only_when_back
                    or event.previous.is_down
                )
            )
            down_for = event.down_for
            if down_for is None and before.down_since is not None:
                down_for = event.at - before.down_since
        else:
            health = event.health if isinstance(event, ServiceDown) else Health.DEGRADED
            wanted = (
                switch_on(self.settings, event)
                and watched(self.watch, (cid,))
                and cid not in self.settings.only_when_back
            )
            down_for = None
        if not wanted:
            if health is Health.OPERATIONAL:
                run.set_comp(cid, told=OK, pending=False, reminded_at=None)
            return
        repeated = health is not Health.OPERATIONAL and before.told != OK
        if repeated and before.told_at is not None and now - before.told_at < self._min_interval:
            # more news about an outage already told (major -> partial...): held, and re-checked
            # against the page when the interval ends. A recovery is never held.
            run.set_comp(
                cid, pending=True, down_since=before.down_since or run.comp(cid).down_since
            )
            return
        item = ServiceItem(
            cid, event.name, health, event.key, getattr(event, "probe_only", False), down_for
        )
        self._tell(run, item, now)

    @property
    def _min_interval(self) -> timedelta:
        return timedelta(seconds=max(0.0, self.settings.min_interval))

    def _tell(self, run: _Run, item: ServiceItem, now: datetime) -> None:
        run.set_comp(
            item.component_id, told=item.health.value, told_at=now, pending=False, reminded_at=None
        )
        if item.health is Health.OPERATIONAL:
            run.set_comp(item.component_id, down_since=None)
        (run.recovered if item.health is Health.OPERATIONAL else run.failing).append(item)

    def _resolve_pending(self, run: _Run, now: datetime) -> None:
        """A change held by min_interval: once it ends, report the state *now*, if it differs."""
        views = {c.id: c for c in run.snapshot.components}
        for cid, comp in list(run.components.items()):
            if not comp.pending or (comp.told_at and now - comp.told_at < self._min_interval):
                continue
            run.set_comp(cid, pending=False)
            view = views.get(cid)
            if view is None or not watched(self.watch, (cid,)):
                continue
            health = view.health if view.health.is_problem else Health.OPERATIONAL
            if health.value == comp.told:
                continue  # it flapped back: nothing to say
            s = self.settings
            if health is Health.OPERATIONAL:
                wanted = s.service_recovered
            elif health is Health.DEGRADED:
                wanted = s.service_degraded and cid not in s.only_when_back
            else:
                wanted = s.service_down and cid not in s.only_when_back
            if not wanted:
                if health is Health.OPERATIONAL:
                    run.set_comp(cid, told=OK, down_since=None)
                continue
            down_for = now - comp.down_since if comp.down_since else None
            key = f"service:{cid}:{health.value}:settled:{now.isoformat()}"
            run.mark_seen(key)
            self._tell(
                run, ServiceItem(cid, view.name, health, key, view.probe_only, down_for), now
            )


def _reminders(policy: AlertPolicy, run: _Run, now: datetime) -> None:
    """ "Still down" for long outages, every ``reminder_minutes`` (off by default)."""
    minutes = policy.settings.reminder_minutes
    if minutes <= 0:
        return
    every = timedelta(minutes=minutes)
    views = {c.id: c for c in run.snapshot.components}
    due: list[tuple[str, str, timedelta | None]] = []
    for cid, comp in run.components.items():
        view = views.get(cid)
        if comp.told == OK or comp.told_at is None or view is None:
            continue
        if not watched(policy.watch, (cid,)) or cid in policy.settings.only_when_back:
            continue
        if not view.health.is_down or not Health(comp.told).is_down:
            continue
        if now - (comp.reminded_at or comp.told_at) < every:
            continue
        run.set_comp(cid, reminded_at=now)
        since = comp.down_since or comp.told_at
        due.append((cid, view.name, now - since))
    if not due:
        return
    note = policy.writer.reminder(due, now, run.snapshot)
    for key in note.keys:
        run.mark_seen(key)
    run.out.append(note)


__all__ = [
    "AlertPolicy",
    "in_quiet_hours",
    "parse_quiet_hours",
]
