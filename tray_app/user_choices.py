"""What the user changes from the menu while the app runs: settings written back to the config
file one save at a time, the snooze kept in the prefs file, and start at login.

Every action returns at once (the tray's UI thread calls them); the slow part runs on a thread
of its own. A failure is said on the menu's last-alert line, never by raising into the UI.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path

from tray_app.config.schema import Settings
from tray_app.core.clock import Clock
from tray_app.core.errors import TrayAppError
from tray_app.platform.paths import AppPaths
from tray_app.platform.prefs import Prefs, load_prefs, save_prefs
from tray_app.sinks.notification import make_notification
from tray_app.sinks.notify import MenuLineBackend

log = logging.getLogger(__name__)

Changes = Mapping[str, object] | Callable[[Settings], Mapping[str, object] | None]


class UserChoices:
    """The menu's settings, snooze and start-at-login choices, saved where they belong.

    ``settings`` reads the settings in force; ``apply`` puts freshly saved ones in force;
    ``republish`` redraws the menu (after a refusal or a failure it shows on the menu line);
    ``known_components`` lists the services the page reports, for "watch all" vs a list.
    """

    def __init__(
        self,
        paths: AppPaths,
        *,
        clock: Clock,
        menu_line: MenuLineBackend,
        settings: Callable[[], Settings],
        apply: Callable[[Settings], None],
        republish: Callable[[], None],
        known_components: Callable[[], list[str]],
    ) -> None:
        self._paths = paths
        self._clock = clock
        self._menu_line = menu_line
        self._settings = settings
        self._apply = apply
        self._republish = republish
        self._known_components = known_components
        self._save_lock = threading.Lock()  # one settings write at a time
        self._prefs_file = paths.prefs_file  # looked at every poll: the path is built once
        self.prefs: Prefs = load_prefs(self._prefs_file)
        self._prefs_mtime = _mtime(self._prefs_file)
        self.autostart_enabled = False  # what is really set; sync_autostart() reads it

    # ---- settings (the config file) ----

    def change_settings(self, changes: Changes) -> None:
        """Write ``changes`` (dotted keys) to the config file, keeping the user's comments.

        Off the UI thread, one save at a time: two quick clicks must not lose one. ``changes``
        may be a function of the current settings, evaluated inside that one-at-a-time step.
        """

        def work() -> None:
            with self._save_lock:
                self._save(changes)

        threading.Thread(target=work, name="save-settings", daemon=True).start()

    def set_watched(self, component_id: str, watched: bool) -> None:
        def changes(settings: Settings) -> Mapping[str, object] | None:
            known = self._known_components()
            current = list(settings.watch.components) or known  # [] means all
            if watched and component_id not in current:
                current.append(component_id)
            if not watched:
                current = [c for c in current if c != component_id]
            if not current:  # an empty list would mean "all": say so instead
                self._menu_line.send(make_notification("Keep at least one service watched", ""))
                self._republish()
                return None
            return {"watch.components": [] if set(current) >= set(known) else current}

        self.change_settings(changes)

    def _save(self, changes: Changes) -> None:
        wanted = changes(self._settings()) if callable(changes) else changes
        if wanted is None:
            return
        from tray_app.config.writeback import update_config  # tomlkit: only once a menu saves

        try:
            settings = update_config(self._paths.config_file, wanted)
        except (TrayAppError, OSError) as exc:
            log.error("settings not saved: %s", exc)
            self._menu_line.send(make_notification("Settings not saved", str(exc)))
            self._republish()
            return
        self._apply(settings)

    # ---- snooze (the prefs file) ----

    def snooze(self, duration: timedelta | None) -> None:
        until = None if duration is None else self._clock.now() + duration
        self.prefs = dataclasses.replace(self.prefs, snoozed_until=until)
        try:
            save_prefs(self._paths.prefs_file, self.prefs)
        except OSError as exc:
            log.error("could not save preferences: %s", exc)
        self._prefs_mtime = _mtime(self._paths.prefs_file)
        self._republish()

    def reload_prefs_if_changed(self) -> None:
        """`claude-status-tray snooze` writes the prefs file while we run: pick it up."""
        mtime = _mtime(self._prefs_file)
        if mtime != self._prefs_mtime:
            self._prefs_mtime = mtime
            self.prefs = load_prefs(self._prefs_file)
            log.info("preferences changed on disk: snoozed until %s", self.prefs.snoozed_until)

    # ---- start at login ----

    def set_autostart(self, enable: bool) -> None:
        """The menu checkbox: change it for real, then remember the choice in the settings."""

        def work() -> None:
            from tray_app.platform.autostart import autostart_for

            try:
                backend = autostart_for()
                backend.enable() if enable else backend.disable()
                self.autostart_enabled = backend.is_enabled()
            except (TrayAppError, OSError) as exc:
                log.error("start at login: %s", exc)
                self._menu_line.send(make_notification("Start at login not changed", str(exc)))
                self._republish()
                return
            with self._save_lock:
                self._save({"autostart": enable})

        threading.Thread(target=work, name="autostart", daemon=True).start()

    def sync_autostart(self) -> None:
        """At start: apply `autostart = true` from the settings, and show what is really set
        (the CLI or an installer may have changed it)."""
        from tray_app.platform.autostart import autostart_for

        try:
            backend = autostart_for()
            if self._settings().autostart and not backend.is_enabled():
                backend.enable()
                log.info("start at login enabled, as the settings ask")
            self.autostart_enabled = backend.is_enabled()
        except (TrayAppError, OSError) as exc:
            log.error("start at login: %s", exc)
        self._republish()


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


__all__ = ["Changes", "UserChoices"]
