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
import html
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo
from enum import Enum
from typing import Any

from tray_app.config import NotificationSettings, WatchSettings
from tray_app.core.errors import ConfigError
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

log = logging.getLogger(__name__)

TITLE_MAX = 64
BODY_MAX = 256
MAX_SEEN_KEYS = 1000
MAX_HELD = 50
ELLIPSIS = "…"
STATE_VERSION = 1

OK = Health.OPERATIONAL.value  # "told" value for a component we last reported as fine


class Urgency(str, Enum):
    LOW = "low"
    NORMAL = "normal"
    CRITICAL = "critical"

    @property
    def level(self) -> int:
        """The freedesktop urgency byte: 0, 1 or 2."""
        return {"low": 0, "normal": 1, "critical": 2}[self.value]


@dataclass(frozen=True)
class Notification:
    title: str
    body: str
    urgency: Urgency = Urgency.NORMAL
    url: str | None = None  # opened by the default action
    keys: tuple[str, ...] = ()  # the event keys this notification covers
    icon: str | None = None  # an image file; None = the backend's default icon

    def __post_init__(self) -> None:
        if len(self.title) > TITLE_MAX or len(self.body) > BODY_MAX:
            raise ValueError("notification title or body too long; build it with make_notification")

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "body": self.body,
            "urgency": self.urgency.value,
            "url": self.url,
            "keys": list(self.keys),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Notification:
        return make_notification(
            str(data["title"]),
            str(data.get("body", "")),
            Urgency(data.get("urgency", "normal")),
            data.get("url") if isinstance(data.get("url"), str) else None,
            tuple(str(k) for k in data.get("keys", ())),
        )


@dataclass(frozen=True)
class AlertPrefs:
    """Run-time choices from the tray menu (not from the config file)."""

    snoozed_until: datetime | None = None


# ---- Plain text ----

_TAG = re.compile(r"<[^>]*>")
_MD_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|~~|`)")
_MD_LINE_PREFIX = re.compile(r"(?m)^[ \t]*(#{1,6}[ \t]+|>[ \t]?|[-*+][ \t]+)")
_SPACE = re.compile(r"[ \t]+")


def _drop_controls(text: str, keep_newlines: bool) -> str:
    out = []
    for ch in text:
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif ch.isspace():
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co"):
            continue  # control, bidi-override, surrogate, private use
        else:
            out.append(ch)
    return "".join(out)


def plain_text(text: str, *, keep_newlines: bool = False) -> str:
    """Markup-free, control-free text with whitespace collapsed."""
    text = _TAG.sub(" ", text)
    text = html.unescape(text)
    text = _MD_IMAGE_OR_LINK.sub(r"\1", text)
    text = _MD_LINE_PREFIX.sub("", text)
    text = _MD_EMPHASIS.sub("", text)
    text = _drop_controls(text, keep_newlines)
    if keep_newlines:
        lines = (_SPACE.sub(" ", line).strip() for line in text.split("\n"))
        return "\n".join(line for line in lines if line)
    return _SPACE.sub(" ", text).strip()


def trim(text: str, limit: int) -> str:
    """Cut to ``limit`` characters, ending with an ellipsis when cut (at a word if one is near)."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space >= limit * 2 // 3:
        cut = cut[:space]
    return cut.rstrip(" \n,;:.") + ELLIPSIS


def make_notification(
    title: str,
    body: str,
    urgency: Urgency = Urgency.NORMAL,
    url: str | None = None,
    keys: Iterable[str] = (),
) -> Notification:
    """A Notification with plain, trimmed text (title on one line, body may keep newlines)."""
    return Notification(
        title=trim(plain_text(title), TITLE_MAX),
        body=trim(plain_text(body, keep_newlines=True), BODY_MAX),
        urgency=urgency,
        url=url,
        keys=tuple(keys),
    )


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


# ---- State ----


@dataclass(frozen=True)
class ComponentAlert:
    """What the user was last told about one component."""

    told: str = OK  # a Health value: operational, degraded, partial_outage or major_outage
    told_at: datetime | None = None
    down_since: datetime | None = None
    reminded_at: datetime | None = None
    pending: bool = False  # a change arrived inside min_interval; re-check when it ends


@dataclass(frozen=True)
class AlertPolicyState:
    seen_keys: tuple[str, ...] = ()  # oldest first, at most MAX_SEEN_KEYS
    components: Mapping[str, ComponentAlert] = field(default_factory=dict)
    held: tuple[Notification, ...] = ()  # held by quiet hours

    def to_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "version": STATE_VERSION,
            "seen_keys": list(self.seen_keys),
            "components": {
                cid: {
                    "told": c.told,
                    "told_at": iso(c.told_at),
                    "down_since": iso(c.down_since),
                    "reminded_at": iso(c.reminded_at),
                    "pending": c.pending,
                }
                for cid, c in self.components.items()
            },
            "held": [n.to_dict() for n in self.held],
        }

    @classmethod
    def from_dict(cls, data: Any) -> AlertPolicyState:
        """Tolerant: a damaged or foreign document gives a fresh state (and a warning); no
        document at all (the first run) gives a fresh state silently."""
        if data is None:
            return cls()
        try:
            if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
                raise ValueError(f"unknown alert state version in {type(data).__name__}")

            def when(value: Any) -> datetime | None:
                return datetime.fromisoformat(value) if value else None

            components = {
                str(cid): ComponentAlert(
                    told=Health(c.get("told", OK)).value,
                    told_at=when(c.get("told_at")),
                    down_since=when(c.get("down_since")),
                    reminded_at=when(c.get("reminded_at")),
                    pending=bool(c.get("pending", False)),
                )
                for cid, c in dict(data.get("components", {})).items()
            }
            return cls(
                seen_keys=tuple(str(k) for k in data.get("seen_keys", ()))[-MAX_SEEN_KEYS:],
                components=components,
                held=tuple(Notification.from_dict(n) for n in data.get("held", ()))[-MAX_HELD:],
            )
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("ignoring unreadable alert state: %s", exc)
            return cls()


# ---- The policy ----

_SERVICE_EVENTS = (ServiceDown, ServiceDegraded, ServiceRecovered)
_INCIDENT_EVENTS = (IncidentOpened, IncidentUpdated, IncidentResolved)
_MAINTENANCE_EVENTS = (
    MaintenanceScheduled,
    MaintenanceStartingSoon,
    MaintenanceStarted,
    MaintenanceEnded,
)
_CONNECTIVITY_EVENTS = (WentOffline, BackOnline, StatusPageUnreachable, StatusPageReachable)


@dataclass(frozen=True)
class _ServiceItem:
    component_id: str
    name: str
    health: Health  # OPERATIONAL for a recovery
    key: str
    probe_only: bool = False
    down_for: timedelta | None = None


def _incident_component_ids(incident: Incident) -> tuple[str, ...]:
    if incident.component_ids:
        return incident.component_ids
    return incident.latest_update.affected_component_ids if incident.latest_update else ()


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
        self.out: list[Notification] = []
        self.failing: list[_ServiceItem] = []
        self.recovered: list[_ServiceItem] = []
        # incident notifications of this call, so a service change can carry its incident
        self.incident_notes: list[tuple[IncidentOpened | IncidentResolved, Notification]] = []

    def state(self) -> AlertPolicyState:
        return AlertPolicyState(
            seen_keys=tuple(self.seen[-MAX_SEEN_KEYS:]),
            components=self.components,
            held=tuple(self.held[-MAX_HELD:]),
        )

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

    def update_settings(self, settings: NotificationSettings, watch: WatchSettings) -> None:
        """New settings from the menu or the file; the state (what was said) is kept."""
        self.settings = settings
        self.watch = watch
        self.quiet = parse_quiet_hours(settings.quiet_hours)

    def to_dict(self) -> dict[str, Any]:
        return self.state.to_dict()

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
                    self._track_outage(run, event)
            run.held.clear()
            self.state = run.state()
            return self.state, ()

        self._resolve_pending(run, now)
        for event in events:
            if run.mark_seen(event.key):
                self._consider(run, event, now)
        if run.failing:
            service = self._service_notification(run.failing, snapshot, failing=True)
            run.out.append(self._fold_incidents(run, service, run.failing, IncidentOpened))
        if run.recovered:
            service = self._service_notification(run.recovered, snapshot, failing=False)
            run.out.append(self._fold_incidents(run, service, run.recovered, IncidentResolved))
        self._reminders(run, now)

        shown: list[Notification] = []
        if self._is_quiet(now):
            run.held.extend(run.out)
        else:
            if run.held:
                shown.append(self._summary(run.held, snapshot))
                run.held.clear()
            shown.extend(run.out)
        self.state = run.state()
        return self.state, tuple(shown)

    # ---- rules ----

    def _is_quiet(self, now: datetime) -> bool:
        local = now.astimezone(self.tz) if self.tz else now.astimezone()
        return in_quiet_hours(self.quiet, local.time())

    def _watched(self, component_ids: Iterable[str]) -> bool:
        wanted = self.watch.components
        ids = tuple(component_ids)
        return not wanted or not ids or any(cid in wanted for cid in ids)

    def _mentions_keyword(self, incident: Incident, extra_body: str = "") -> bool:
        keywords = [k.casefold() for k in self.watch.keywords if k.strip()]
        if not keywords:
            return True
        body = incident.latest_update.body if incident.latest_update else ""
        text = f"{incident.name}\n{body}\n{extra_body}".casefold()
        return any(k in text for k in keywords)

    def _switch_on(self, event: Event) -> bool:
        s = self.settings
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
        if isinstance(event, _MAINTENANCE_EVENTS):
            return s.maintenance
        return s.offline  # offline / back online / status page (un)reachable

    def _track_outage(self, run: _Run, event: Event) -> None:
        """Keep ``down_since`` right even when nothing is shown (snooze, switches off)."""
        if isinstance(event, (ServiceDown, ServiceDegraded)):
            if run.comp(event.component_id).down_since is None:
                run.set_comp(event.component_id, down_since=event.at)
        elif isinstance(event, ServiceRecovered):
            run.set_comp(event.component_id, down_since=None, pending=False)

    def _consider(self, run: _Run, event: Event, now: datetime) -> None:
        if isinstance(event, _SERVICE_EVENTS):
            self._consider_service(run, event, now)
            return
        if not self._switch_on(event):
            return
        if isinstance(event, _INCIDENT_EVENTS):
            incident = event.incident
            ids = _incident_component_ids(incident)
            extra = event.update.body if isinstance(event, IncidentUpdated) and event.update else ""
            # an incident that matched the keyword filter once stays matched: its later updates
            # ("a fix has been implemented") need not repeat the model's name
            matched = f"incident:{incident.id}:matched"
            if not self._watched(ids):
                return
            if matched not in run.seen_set and not self._mentions_keyword(incident, extra):
                return
            run.mark_seen(matched)
            if isinstance(event, IncidentOpened) and incident.latest_update:
                # the opening notification already carries the first update
                run.mark_seen(f"incident:{incident.id}:update:{incident.latest_update.id}")
        elif isinstance(event, _MAINTENANCE_EVENTS) and not self._watched(
            event.maintenance.component_ids
        ):
            return
        note = self._render(event, run.snapshot)
        run.out.append(note)
        if isinstance(event, (IncidentOpened, IncidentResolved)):
            run.incident_notes.append((event, note))

    def _fold_incidents(
        self,
        run: _Run,
        service: Notification,
        items: Sequence[_ServiceItem],
        kind: type[IncidentOpened] | type[IncidentResolved],
    ) -> Notification:
        """One notification, not two, when a service goes down (or comes back) in the same check
        as the incident about it opens (or resolves): the service line leads, the incident follows.
        """
        ids = {i.component_id for i in items}
        related = [
            (event, note)
            for event, note in run.incident_notes
            if isinstance(event, kind) and ids & set(_incident_component_ids(event.incident))
        ]
        if not related:
            return service
        lines = [service.body]
        for event, note in related:
            run.out.remove(note)
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

    def _consider_service(
        self, run: _Run, event: ServiceDown | ServiceDegraded | ServiceRecovered, now: datetime
    ) -> None:
        cid = event.component_id
        before = run.comp(cid)
        self._track_outage(run, event)
        if isinstance(event, ServiceRecovered):
            health = Health.OPERATIONAL
            wanted = (
                self._switch_on(event)
                and self._watched((cid,))
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
                self._switch_on(event)
                and self._watched((cid,))
                and cid not in self.settings.only_when_back
            )
            down_for = None
        if not wanted:
            if health is Health.OPERATIONAL:
                run.set_comp(cid, told=OK, pending=False, reminded_at=None)
            return
        if before.told_at is not None and now - before.told_at < self._min_interval:
            # held: the outage is not over for the user until the hold ends
            run.set_comp(
                cid, pending=True, down_since=before.down_since or run.comp(cid).down_since
            )
            return
        item = _ServiceItem(
            cid, event.name, health, event.key, getattr(event, "probe_only", False), down_for
        )
        self._tell(run, item, now)

    @property
    def _min_interval(self) -> timedelta:
        return timedelta(seconds=max(0.0, self.settings.min_interval))

    def _tell(self, run: _Run, item: _ServiceItem, now: datetime) -> None:
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
            if view is None or not self._watched((cid,)):
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
                run, _ServiceItem(cid, view.name, health, key, view.probe_only, down_for), now
            )

    def _reminders(self, run: _Run, now: datetime) -> None:
        minutes = self.settings.reminder_minutes
        if minutes <= 0:
            return
        every = timedelta(minutes=minutes)
        views = {c.id: c for c in run.snapshot.components}
        due: list[tuple[str, str, timedelta | None]] = []
        for cid, comp in run.components.items():
            view = views.get(cid)
            if comp.told == OK or comp.told_at is None or view is None:
                continue
            if not self._watched((cid,)) or cid in self.settings.only_when_back:
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
        names = ", ".join(name for _, name, _ in due)
        body = "\n".join(f"{name}: down for {format_duration(d)}" for _, name, d in due if d)
        keys = [f"reminder:{cid}:{now.isoformat()}" for cid, _, _ in due]
        for key in keys:
            run.mark_seen(key)
        run.out.append(
            make_notification(
                f"Still down: {names}",
                body,
                Urgency.NORMAL,
                self._url_for_components([cid for cid, _, _ in due], run.snapshot),
                keys,
            )
        )

    # ---- content ----

    def _url_for_components(self, ids: Sequence[str], snapshot: MonitorSnapshot) -> str:
        for incident in snapshot.incidents:
            if any(cid in incident.component_ids for cid in ids):
                return self._incident_url(incident, snapshot)
        return snapshot.page_url

    @staticmethod
    def _incident_url(incident: Incident | Maintenance, snapshot: MonitorSnapshot) -> str:
        return incident.shortlink or f"{snapshot.page_url.rstrip('/')}/incidents/{incident.id}"

    def _service_notification(
        self, items: Sequence[_ServiceItem], snapshot: MonitorSnapshot, *, failing: bool
    ) -> Notification:
        keys = [i.key for i in items]
        url = self._url_for_components([i.component_id for i in items], snapshot)
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

        def describe(i: _ServiceItem) -> str:
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

    def _local(self, when: datetime | None) -> str:
        if when is None:
            return "at a time not given"
        local = when.astimezone(self.tz) if self.tz else when.astimezone()
        return local.strftime("%a %d %b %H:%M")

    def _component_names(self, ids: Sequence[str], snapshot: MonitorSnapshot) -> str:
        names = {c.id: c.name for c in snapshot.components}
        return ", ".join(names.get(cid, cid) for cid in ids)

    def _render(self, event: Event, snapshot: MonitorSnapshot) -> Notification:
        keys = (event.key,)
        if isinstance(event, _INCIDENT_EVENTS):
            incident = event.incident
            url = self._incident_url(incident, snapshot)
            update_body = incident.latest_update.body if incident.latest_update else ""
            if isinstance(event, IncidentOpened):
                urgency = Urgency.CRITICAL if incident.impact == "critical" else Urgency.NORMAL
                affected = self._component_names(_incident_component_ids(incident), snapshot)
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
        if isinstance(event, _MAINTENANCE_EVENTS):
            m = event.maintenance
            url = self._incident_url(m, snapshot)
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

    def _summary(self, held: Sequence[Notification], snapshot: MonitorSnapshot) -> Notification:
        if len(held) == 1:
            return held[0]
        urgency = max((n.urgency for n in held), key=lambda u: u.level)
        keys = [k for n in held for k in n.keys]
        body = "\n".join(n.title for n in held)
        return make_notification(
            f"During quiet hours: {len(held)} alerts", body, urgency, snapshot.page_url, keys
        )


__all__ = [
    "BODY_MAX",
    "TITLE_MAX",
    "AlertPolicy",
    "AlertPolicyState",
    "AlertPrefs",
    "ComponentAlert",
    "Notification",
    "Urgency",
    "format_duration",
    "in_quiet_hours",
    "make_notification",
    "parse_quiet_hours",
    "plain_text",
    "trim",
]
