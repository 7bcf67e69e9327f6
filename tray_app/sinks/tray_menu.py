"""The tray menu's wiring: pure menu specs (sinks.menu) to pystray items, clicks to actions.

Clicks arrive on the UI thread; each action must return quickly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tray_app.core.timefmt import until_tomorrow
from tray_app.platform.paths import AppPaths
from tray_app.sinks.menu import (
    CHECK_NOW,
    OPEN_LOG_FOLDER,
    OPEN_SETTINGS,
    OPEN_URL,
    QUIT,
    SET_AUTOSTART,
    SET_NOTIFICATIONS,
    SET_WATCHED,
    SHOW_HISTORY,
    SNOOZE,
    SNOOZE_UNTIL_TOMORROW,
    TELL_WHEN_BACK,
    MenuItemSpec,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrayActions:
    """What the menu calls. They run on the UI thread, so each must return quickly."""

    check_now: Callable[[], None]
    set_watched: Callable[[str, bool], None]
    snooze: Callable[[timedelta | None], None]  # None = resume
    set_notifications: Callable[[bool], None]
    set_autostart: Callable[[bool], None]
    open_url: Callable[[str], None]
    open_path: Callable[[Path], None]
    quit: Callable[[], None]
    show_history: Callable[[], object] = lambda: None  # starts its own thread
    tell_when_back: Callable[[str, bool], None] = lambda component_id, on: None


class TrayMenu:
    """Builds pystray menus from specs and runs the action behind a clicked item.

    ``stop_tray`` leaves the tray loop after the Quit action (even if that action raised)."""

    def __init__(
        self,
        pystray: Any,
        actions: TrayActions,
        app_paths: AppPaths,
        stop_tray: Callable[[], None],
    ) -> None:
        self._pystray = pystray
        self._actions = actions
        self._paths = app_paths
        self._stop_tray = stop_tray

    def to_pystray(self, specs: tuple[MenuItemSpec, ...]) -> Any:
        pystray = self._pystray
        items: list[Any] = []
        for spec in specs:
            if spec.is_separator:
                items.append(pystray.Menu.SEPARATOR)
            elif spec.submenu:
                items.append(
                    pystray.MenuItem(spec.text, self.to_pystray(spec.submenu), enabled=spec.enabled)
                )
            else:
                items.append(
                    pystray.MenuItem(
                        spec.text,
                        self._callback(spec),
                        checked=None if spec.checked is None else _const(spec.checked),
                        enabled=spec.enabled,
                        default=spec.default,
                    )
                )
        return pystray.Menu(*items)

    def quit(self) -> None:
        try:
            self._actions.quit()
        finally:
            self._stop_tray()

    def _callback(self, spec: MenuItemSpec) -> Callable[[Any, Any], None]:
        def clicked(_icon: Any, _item: Any) -> None:
            try:
                self._perform(spec)
            except Exception:
                log.exception("menu action %r failed", spec.action)

        return clicked

    def _perform(self, spec: MenuItemSpec) -> None:
        a, arg = self._actions, spec.arg
        log.debug("menu: %s", spec.action)
        if spec.action == CHECK_NOW:
            a.check_now()
        elif spec.action == SET_WATCHED and isinstance(arg, tuple):
            a.set_watched(arg[0], arg[1])
        elif spec.action == SNOOZE and (arg is None or isinstance(arg, timedelta)):
            a.snooze(arg)
        elif spec.action == SNOOZE_UNTIL_TOMORROW:
            a.snooze(until_tomorrow(datetime.now(timezone.utc)))
        elif spec.action == SET_NOTIFICATIONS and isinstance(arg, bool):
            a.set_notifications(arg)
        elif spec.action == SET_AUTOSTART and isinstance(arg, bool):
            a.set_autostart(arg)
        elif spec.action == OPEN_URL and isinstance(arg, str):
            a.open_url(arg)
        elif spec.action == OPEN_SETTINGS:
            a.open_path(self._paths.config_file)
        elif spec.action == OPEN_LOG_FOLDER:
            a.open_path(self._paths.log_dir)
        elif spec.action == SHOW_HISTORY:
            a.show_history()
        elif spec.action == TELL_WHEN_BACK and isinstance(arg, tuple):
            a.tell_when_back(arg[0], arg[1])
        elif spec.action == QUIT:
            self.quit()
        else:
            log.error("menu item %r has an unknown action %r", spec.text, spec.action)


def _const(value: bool) -> Callable[[Any], bool]:
    return lambda _item: value


__all__ = ["TrayActions", "TrayMenu"]
