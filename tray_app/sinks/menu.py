"""The tray menu as plain data, rebuilt from the current state (its words: menu_text.py).

Pure: no pystray, no I/O, the clock and time zone are arguments. tray.py turns the
``MenuItemSpec`` tree into a pystray menu and maps each ``action`` name onto TrayActions.

The menu is a list of sections (``build_menu``), separated by lines; a new section or item
goes into the section it belongs to, or becomes a section of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

from tray_app import APP_TITLE, __version__
from tray_app.core.headline import GLYPHS, last_known_note
from tray_app.core.models import ComponentView, Health, MonitorSnapshot
from tray_app.sinks.menu_text import (
    TOOLTIP_MAX,
    checked_text,
    component_text,
    incident_link,
    incident_text,
    maintenance_text,
    overall_text,
    repeated_names,
    resolved_text,
    tooltip_text,
    when,
)

CLAUDE_AI_URL = "https://claude.ai/"
CONSOLE_URL = "https://console.anthropic.com/"

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
TELL_WHEN_BACK = "tell_when_back"
UNTIL_BACK_TEXT = "    Tell me when it's back"
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
    TELL_WHEN_BACK,
)


@dataclass(frozen=True)
class MenuPrefs:
    """The user's choices the menu shows (the app owns them; the menu only reads)."""

    notifications_enabled: bool = True
    snoozed_until: datetime | None = None
    autostart: bool = False
    watched: tuple[str, ...] = ()  # component ids; empty means all
    last_alert: str | None = None
    until_back: tuple[str, ...] = ()  # component ids: tell once when back, nothing before

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


def _watched_views(snapshot: MonitorSnapshot, prefs: MenuPrefs) -> list[ComponentView]:
    # prefs, not ComponentView.watched: a click shows at once, before the monitor catches up
    return [c for c in snapshot.components if prefs.is_watched(c.id)]


# ---- sections, top to bottom ----


def _status_section(
    snapshot: MonitorSnapshot, prefs: MenuPrefs, now: datetime, tz: tzinfo | None
) -> list[MenuItemSpec]:
    """The headline (the icon's words), and what keeps news from reaching the user."""
    items = [MenuItemSpec(overall_text(snapshot, tz), OPEN_URL, snapshot.page_url, default=True)]
    if snapshot.page_error and snapshot.overall is not Health.OFFLINE:
        items.append(_info(f"Status page: {snapshot.page_error}"))
    if prefs.snoozed(now) and prefs.snoozed_until is not None:
        items.append(_info(f"Notifications snoozed until {when(prefs.snoozed_until, now, tz)}"))
    elif not prefs.notifications_enabled:
        items.append(_info("Notifications are off"))
    if prefs.last_alert:
        items.append(_info(f"Last alert: {prefs.last_alert}"))
    return items


def _services_section(
    snapshot: MonitorSnapshot, prefs: MenuPrefs, tz: tzinfo | None
) -> list[MenuItemSpec]:
    """One line per watched service, led by the icon's glyph for its state."""
    last_known = last_known_note(snapshot, tz)
    items = []
    for c in _watched_views(snapshot, prefs):
        items.append(MenuItemSpec(component_text(c, last_known), OPEN_URL, snapshot.page_url))
        if c.health.is_problem:  # the one-shot of the notification's button, per service
            on = c.id in prefs.until_back
            items.append(MenuItemSpec(UNTIL_BACK_TEXT, TELL_WHEN_BACK, (c.id, not on), checked=on))
    return items


def _incidents_section(
    snapshot: MonitorSnapshot, now: datetime, tz: tzinfo | None
) -> list[MenuItemSpec]:
    """Open incidents, then a "Recently resolved" submenu (last 24 h)."""
    items: list[MenuItemSpec] = []
    resolved = snapshot.recently_resolved
    repeated = repeated_names([*snapshot.incidents, *(r.incident for r in resolved)])
    if snapshot.incidents:
        items.append(_info("Active incidents:"))
        for incident in snapshot.incidents:
            text = incident_text(incident, now, tz, repeated)
            items.append(MenuItemSpec(text, OPEN_URL, incident_link(incident, snapshot.page_url)))
    if resolved:
        entries = tuple(
            MenuItemSpec(
                resolved_text(r, now, tz, repeated),
                OPEN_URL,
                incident_link(r.incident, snapshot.page_url),
            )
            for r in resolved
        )
        items.append(MenuItemSpec("Recently resolved", submenu=entries))
    return items


def _providers_section(
    snapshot: MonitorSnapshot, now: datetime, tz: tzinfo | None
) -> list[MenuItemSpec]:
    """Other services (``[[providers]]``): context only, each opening its page or incident."""
    if not snapshot.providers:
        return []
    items = [_info("Other services:")]
    for p in snapshot.providers:
        error = p.error if p.error is None or len(p.error) <= 80 else p.error[:79] + "…"
        state = f"{p.health.label} — {error}" if error else p.health.label
        items.append(MenuItemSpec(f"{GLYPHS[p.health]} {p.name}: {state}", OPEN_URL, p.url))
        for incident in p.incidents:
            text = f"    {incident_text(incident, now, tz)}"
            items.append(MenuItemSpec(text, OPEN_URL, incident_link(incident, p.url)))
    return items


def _maintenance_section(
    snapshot: MonitorSnapshot, now: datetime, tz: tzinfo | None
) -> list[MenuItemSpec]:
    return [
        MenuItemSpec(maintenance_text(m, now, tz), OPEN_URL, m.shortlink or snapshot.page_url)
        for m in snapshot.maintenances
    ]


def _actions_section(snapshot: MonitorSnapshot, tz: tzinfo | None) -> list[MenuItemSpec]:
    return [
        _info(checked_text(snapshot, tz)),
        MenuItemSpec("Check now", CHECK_NOW),
        MenuItemSpec("Open status page", OPEN_URL, snapshot.page_url),
        MenuItemSpec("Open claude.ai", OPEN_URL, CLAUDE_AI_URL),
        MenuItemSpec("Open Console", OPEN_URL, CONSOLE_URL),
        MenuItemSpec("Show history…", SHOW_HISTORY),
    ]


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


def _settings_section(
    snapshot: MonitorSnapshot, prefs: MenuPrefs, now: datetime
) -> list[MenuItemSpec]:
    return [
        _notifications_submenu(prefs, now),
        _watched_submenu(snapshot, prefs),
        MenuItemSpec("Start at login", SET_AUTOSTART, not prefs.autostart, checked=prefs.autostart),
        MenuItemSpec("Open settings file", OPEN_SETTINGS),
        MenuItemSpec("Open log folder", OPEN_LOG_FOLDER),
    ]


def _about_section() -> list[MenuItemSpec]:
    return [_info(f"About: {APP_TITLE} {__version__}"), MenuItemSpec("Quit", QUIT)]


def build_menu(
    snapshot: MonitorSnapshot, prefs: MenuPrefs, now: datetime, *, tz: tzinfo | None = None
) -> tuple[MenuItemSpec, ...]:
    """The whole tray menu for ``snapshot`` at ``now`` (``tz`` None = the machine's zone).

    It changes only when what it shows changes (no countdowns, no ages): tray hosts re-read
    a changed menu, and some re-register the icon for it."""
    sections = [
        _status_section(snapshot, prefs, now, tz),
        _services_section(snapshot, prefs, tz),
        _incidents_section(snapshot, now, tz),
        _maintenance_section(snapshot, now, tz),
        _providers_section(snapshot, now, tz),
        _actions_section(snapshot, tz),
        _settings_section(snapshot, prefs, now),
        _about_section(),
    ]
    items: list[MenuItemSpec] = []
    for section in sections:
        if section:
            if items:
                items.append(SEPARATOR)
            items.extend(section)
    return tuple(items)


__all__ = [
    "ACTIONS",
    "SEPARATOR",
    "TOOLTIP_MAX",
    "ActionArg",
    "MenuItemSpec",
    "MenuPrefs",
    "build_menu",
    "tooltip_text",
]
