"""The tray menu and tooltip as plain data, rebuilt from the current state.

Pure: no pystray, no I/O, the clock and time zone are arguments. tray.py turns the
``MenuItemSpec`` tree into a pystray menu and maps each ``action`` name onto TrayActions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

from tray_app import APP_TITLE, __version__
from tray_app.core.models import ComponentView, Health, Incident, Maintenance, MonitorSnapshot
from tray_app.core.timefmt import format_duration

CLAUDE_AI_URL = "https://claude.ai/"
CONSOLE_URL = "https://console.anthropic.com/"
TOOLTIP_MAX = 127  # Windows caps tooltips at 128 characters including the NUL

ActionArg = str | bool | timedelta | Path | tuple[str, bool] | None

# Action names: the TrayActions field each item calls; "snooze_until_tomorrow" is computed
# at click time (the menu may have been built hours earlier).
CHECK_NOW = "check_now"
SET_WATCHED = "set_watched"
SNOOZE = "snooze"
SNOOZE_UNTIL_TOMORROW = "snooze_until_tomorrow"
SET_NOTIFICATIONS = "set_notifications"
SET_AUTOSTART = "set_autostart"
OPEN_URL = "open_url"
OPEN_SETTINGS = "open_settings"
OPEN_LOG_FOLDER = "open_log_folder"
SHOW_HISTORY = "show_history"
QUIT = "quit"
ACTIONS = (
    CHECK_NOW,
    SET_WATCHED,
    SNOOZE,
    SNOOZE_UNTIL_TOMORROW,
    SET_NOTIFICATIONS,
    SET_AUTOSTART,
    OPEN_URL,
    OPEN_SETTINGS,
    OPEN_LOG_FOLDER,
    SHOW_HISTORY,
    QUIT,
)


@dataclass(frozen=True)
class MenuPrefs:
    """The user's choices the menu shows (the app owns them; the menu only reads)."""

    notifications_enabled: bool = True
    snoozed_until: datetime | None = None
    autostart: bool = False
    watched: tuple[str, ...] = ()  # component ids; empty means all
    last_alert: str | None = None

    def is_watched(self, component_id: str) -> bool:
        return not self.watched or component_id in self.watched

    def snoozed(self, now: datetime) -> bool:
        return self.snoozed_until is not None and self.snoozed_until > now


@dataclass(frozen=True)
class MenuItemSpec:
    """One menu line. ``text == "-"`` is a separator; ``checked is None`` means no checkbox."""

    text: str
    action: str | None = None
    arg: ActionArg = None
    enabled: bool = True
    checked: bool | None = None
    submenu: tuple[MenuItemSpec, ...] = ()
    default: bool = False

    @property
    def is_separator(self) -> bool:
        return self.text == SEPARATOR.text


SEPARATOR = MenuItemSpec("-", enabled=False)


def _info(text: str) -> MenuItemSpec:
    return MenuItemSpec(text, enabled=False)


def _local(value: datetime, tz: tzinfo | None) -> datetime:
    return value.astimezone(tz)


def _hhmm(value: datetime, tz: tzinfo | None) -> str:
    return _local(value, tz).strftime("%H:%M")


def _when(value: datetime, now: datetime, tz: tzinfo | None) -> str:
    """14:30 today, "Tue 14:30" within a week, else "2026-12-01 14:30"."""
    local, local_now = _local(value, tz), _local(now, tz)
    if local.date() == local_now.date():
        return local.strftime("%H:%M")
    if timedelta(0) <= local - local_now < timedelta(days=6):
        return local.strftime("%a %H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def overall_text(snapshot: MonitorSnapshot) -> str:
    overall = snapshot.overall
    if overall is Health.OPERATIONAL:
        return "Claude: all systems operational"
    if overall is Health.OFFLINE:
        return "Claude: offline (your network is down)"
    if overall is Health.STATUS_PAGE_UNREACHABLE:
        return "Claude: status page unreachable"
    if overall is Health.UNKNOWN:
        return "Claude: status unknown (not checked yet)"
    return f"Claude: {snapshot.description or overall.label}"


def component_text(view: ComponentView) -> str:
    text = f"{view.name}: {view.health.label}"
    return f"{text} — {view.note}" if view.note else text


def incident_text(incident: Incident, now: datetime) -> str:
    age = f", {format_duration(now - incident.created_at)}" if incident.created_at else ""
    return f"{incident.name} ({incident.status}{age})"


def maintenance_text(m: Maintenance, now: datetime, tz: tzinfo | None) -> str:
    if m.status in ("in_progress", "verifying"):
        until = f" until {_when(m.scheduled_until, now, tz)}" if m.scheduled_until else ""
        return f"Maintenance now: {m.name}{until}"
    start = f" {_when(m.scheduled_for, now, tz)}" if m.scheduled_for else ""
    return f"Maintenance{start}: {m.name}"


def checked_text(snapshot: MonitorSnapshot, now: datetime, tz: tzinfo | None) -> str:
    if snapshot.last_checked is None:
        last = "Not checked yet"
    else:
        last = f"Last checked {_hhmm(snapshot.last_checked, tz)}"
    if snapshot.next_check is None:
        return last
    wait = max(timedelta(0), snapshot.next_check - now)
    return f"{last} · next in {format_duration(wait)}"


def _watched_views(snapshot: MonitorSnapshot, prefs: MenuPrefs) -> list[ComponentView]:
    # prefs, not ComponentView.watched: a click shows at once, before the monitor catches up
    return [c for c in snapshot.components if prefs.is_watched(c.id)]


def _status_section(
    snapshot: MonitorSnapshot, prefs: MenuPrefs, now: datetime, tz: tzinfo | None
) -> list[MenuItemSpec]:
    items = [MenuItemSpec(overall_text(snapshot), OPEN_URL, snapshot.page_url, default=True)]
    if snapshot.page_error and snapshot.overall is not Health.STATUS_PAGE_UNREACHABLE:
        items.append(_info(f"Status page: {snapshot.page_error}"))
    if prefs.snoozed(now) and prefs.snoozed_until is not None:
        items.append(_info(f"Notifications snoozed until {_when(prefs.snoozed_until, now, tz)}"))
    elif not prefs.notifications_enabled:
        items.append(_info("Notifications are off"))
    if prefs.last_alert:
        items.append(_info(f"Last alert: {prefs.last_alert}"))
    return items


def _details_section(
    snapshot: MonitorSnapshot, prefs: MenuPrefs, now: datetime, tz: tzinfo | None
) -> list[MenuItemSpec]:
    items = [
        MenuItemSpec(component_text(c), OPEN_URL, snapshot.page_url)
        for c in _watched_views(snapshot, prefs)
    ]
    if snapshot.incidents:
        items.append(SEPARATOR)
        items.append(_info("Active incidents:"))
        for incident in snapshot.incidents:
            link = incident.shortlink or snapshot.page_url
            items.append(MenuItemSpec(incident_text(incident, now), OPEN_URL, link))
    if snapshot.maintenances:
        items.append(SEPARATOR)
        for m in snapshot.maintenances:
            link = m.shortlink or snapshot.page_url
            items.append(MenuItemSpec(maintenance_text(m, now, tz), OPEN_URL, link))
    return items


def _notifications_submenu(prefs: MenuPrefs, now: datetime) -> MenuItemSpec:
    snoozed = prefs.snoozed(now)
    return MenuItemSpec(
        "Notifications",
        submenu=(
            MenuItemSpec(
                "Enabled",
                SET_NOTIFICATIONS,
                not prefs.notifications_enabled,
                checked=prefs.notifications_enabled,
            ),
            SEPARATOR,
            MenuItemSpec(
                "Snooze 1 hour", SNOOZE, timedelta(hours=1), enabled=prefs.notifications_enabled
            ),
            MenuItemSpec(
                "Snooze until tomorrow", SNOOZE_UNTIL_TOMORROW, enabled=prefs.notifications_enabled
            ),
            MenuItemSpec("Resume", SNOOZE, None, enabled=snoozed),
        ),
    )


def _watched_submenu(snapshot: MonitorSnapshot, prefs: MenuPrefs) -> MenuItemSpec:
    boxes = tuple(
        MenuItemSpec(
            c.name,
            SET_WATCHED,
            (c.id, not prefs.is_watched(c.id)),
            checked=prefs.is_watched(c.id),
        )
        for c in snapshot.components
    )
    return MenuItemSpec(
        "Watched services",
        submenu=boxes or (_info("(not known until the status page is read)"),),
    )


def build_menu(
    snapshot: MonitorSnapshot, prefs: MenuPrefs, now: datetime, *, tz: tzinfo | None = None
) -> tuple[MenuItemSpec, ...]:
    """The whole tray menu for ``snapshot`` at ``now`` (``tz`` None = the machine's zone)."""
    items: list[MenuItemSpec] = _status_section(snapshot, prefs, now, tz)
    details = _details_section(snapshot, prefs, now, tz)
    if details:
        items.append(SEPARATOR)
        items.extend(details)
    items += [
        SEPARATOR,
        _info(checked_text(snapshot, now, tz)),
        MenuItemSpec("Check now", CHECK_NOW),
        MenuItemSpec("Open status page", OPEN_URL, snapshot.page_url),
        MenuItemSpec("Open claude.ai", OPEN_URL, CLAUDE_AI_URL),
        MenuItemSpec("Open Console", OPEN_URL, CONSOLE_URL),
        MenuItemSpec("Show history…", SHOW_HISTORY),
        SEPARATOR,
        _notifications_submenu(prefs, now),
        _watched_submenu(snapshot, prefs),
        MenuItemSpec("Start at login", SET_AUTOSTART, not prefs.autostart, checked=prefs.autostart),
        MenuItemSpec("Open settings file", OPEN_SETTINGS),
        MenuItemSpec("Open log folder", OPEN_LOG_FOLDER),
        SEPARATOR,
        _info(f"About: {APP_TITLE} {__version__}"),
        MenuItemSpec("Quit", QUIT),
    ]
    return tuple(items)


# ---- tooltip ----


def _worst_component(snapshot: MonitorSnapshot) -> ComponentView | None:
    problems = [c for c in snapshot.components if c.watched and c.health.rank > 0]
    if not problems:
        return None
    return max(problems, key=lambda c: c.health.rank)  # max keeps the first of equals


def _incident_for(snapshot: MonitorSnapshot, component_id: str) -> Incident | None:
    for incident in snapshot.incidents:
        if component_id in incident.component_ids:
            return incident
    return snapshot.incidents[0] if snapshot.incidents else None


def _shorten(text: str, limit: int = TOOLTIP_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def tooltip_text(snapshot: MonitorSnapshot, now: datetime) -> str:
    """One line for the tray tooltip, at most TOOLTIP_MAX characters.

    "Claude: all systems operational", or the worst watched component with the incident
    that explains it: "Claude API: major outage — Elevated errors on Opus (investigating, 12 min)".
    """
    worst = _worst_component(snapshot)
    if worst is None:
        text = overall_text(snapshot)
        if snapshot.incidents:
            text += f" — {incident_text(snapshot.incidents[0], now)}"
        return _shorten(text)
    others = sum(1 for c in snapshot.components if c.watched and c.health.rank > 0) - 1
    text = f"{worst.name}: {worst.health.label}"
    if others:
        text += f" (+{others} more)"
    if worst.probe_only:
        text += " — down from here, not on the status page yet"
    elif worst.health is Health.MAINTENANCE and snapshot.maintenances:
        text += f" — {snapshot.maintenances[0].name}"
    else:
        incident = _incident_for(snapshot, worst.id)
        if incident is not None:
            text += f" — {incident_text(incident, now)}"
    return _shorten(text)


__all__ = [
    "ACTIONS",
    "SEPARATOR",
    "ActionArg",
    "MenuItemSpec",
    "MenuPrefs",
    "build_menu",
    "tooltip_text",
]
