"""pystray's GTK backends (appindicator, gtk), adjusted for a tray that must not fall over.

Measured with pystray 0.19.5 (its ``_util/gtk.py``, ``_util/notify_dbus.py``):

* ``GtkIcon._initialize`` builds its notifier's D-Bus proxy synchronously before the loop
  starts. When ``org.freedesktop.Notifications`` is activatable but its daemon dies at start
  (one started without the DISPLAY it needs, a broken install), that raises, the loop never
  starts, and pystray's non-daemon setup thread waits forever: a process with no icon. Here
  the notifier is made on first use instead, so the icon never depends on notifications.
* Every icon change writes a fresh ``tempfile.mktemp()`` PNG and exports its path as the
  StatusNotifierItem's ``IconName``. Here the icon is a fixed name in our own icon theme
  folder (``sinks.icon_theme``), or that folder's file for Gtk.StatusIcon.
* A click on any menu item rebuilds the whole native menu (and re-exports it over D-Bus);
  here the menu is rebuilt only when a different menu is set.

And GTK's own log lines (``Gdk-CRITICAL`` when a tray host goes away) go to our log, not the
user's terminal.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tray_app.core.models import Health
from tray_app.sinks.icon_theme import StateIconTheme, state_icon_name

log = logging.getLogger(__name__)
GTK_BACKENDS = ("appindicator", "gtk")
gtk_log = logging.getLogger("tray_app.gtk")

# GLib log domains of the libraries under the tray: their warnings are ours to log, not to print.
GLIB_LOG_DOMAINS = (
    "Gdk",
    "Gtk",
    "GdkPixbuf",
    "GLib",
    "GLib-GObject",
    "GLib-GIO",
    "libayatana-appindicator",
    "libappindicator",
    "LIBDBUSMENU-GLIB",
    "LIBDBUSMENU-GTK",
    "dbind",  # at-spi2: "AT-SPI: Error retrieving accessibility bus address" at start
    "atk-bridge",
)


def route_glib_log_to_python() -> None:
    """Send GTK/GLib log messages of the domains above to the ``tray_app.gtk`` logger (INFO:
    the log file, or the terminal with -v). Errors (fatal in GLib) are left to GLib."""
    from gi.repository import GLib

    levels = (
        GLib.LogLevelFlags.LEVEL_CRITICAL
        | GLib.LogLevelFlags.LEVEL_WARNING
        | GLib.LogLevelFlags.LEVEL_MESSAGE
        | GLib.LogLevelFlags.LEVEL_INFO
    )

    def handler(domain: str | None, level: Any, message: str | None, *_data: object) -> None:
        gtk_log.info("%s: %s", domain or "GLib", message or "")

    for domain in GLIB_LOG_DOMAINS:
        GLib.log_set_handler(domain, levels, handler, None)


class LazyNotifier:
    """Stands in for pystray's ``notify_dbus.Notifier``: made on the first notification, and
    ``hide()`` (called when the loop ends) asks the daemon only if something was shown."""

    def __init__(self, make: Callable[[], Any], icon_file: Callable[[], str]) -> None:
        self._make = make
        self._icon_file = icon_file
        self._notifier: Any = None
        self._shown = False

    def notify(self, title: str, message: str, _icon: object = None) -> None:
        if self._notifier is None:
            self._notifier = self._make()
        self._notifier.notify(title, message, self._icon_file())
        self._shown = True

    def hide(self) -> None:
        if not self._shown:
            return
        self._shown = False
        try:
            self._notifier.hide()
        except Exception as exc:  # GLib.GError when the daemon is gone
            log.debug("could not close the last tray notification: %s", exc)


def icon_class_for(pystray: Any, backend: str, data_dir: Path) -> Any:
    """pystray's Icon; for the GTK backends the adjusted one below, exporting the state icons
    by name from ``<data_dir>/icons``. If that folder cannot be written, the icon still works,
    through pystray's own temporary files."""
    if backend not in GTK_BACKENDS:
        return pystray.Icon
    theme: StateIconTheme | None = StateIconTheme(data_dir / "icons")
    try:
        theme.export()  # type: ignore[union-attr]
    except OSError as exc:
        log.warning("cannot write the tray icons into %s: %s", data_dir, exc)
        theme = None
    return adjusted_icon_class(pystray, backend, theme)


def adjusted_icon_class(pystray: Any, backend: str, theme: StateIconTheme | None) -> Any:
    """A subclass of pystray's ``Icon`` for ``backend`` with the adjustments above. Set the
    state with ``set_state(health, probe_only, image)`` instead of assigning ``icon``.
    Without a ``theme`` (its folder could not be written) icons go through pystray's files."""
    from pystray._util import gtk as pystray_gtk
    from pystray._util import notify_dbus

    on_loop: Callable[[Callable[..., None]], Callable[..., None]] = pystray_gtk.mainloop

    base: Any = pystray.Icon

    class AdjustedIcon(base):  # type: ignore[misc]
        THEMED = theme is not None  # shows states by name: the image given is never drawn

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._state: tuple[Health, bool] = (Health.UNKNOWN, False)
            self._menu_built_from: object = None
            self._icon_path: str | None = None
            self._menu_handle: Any = None
            super().__init__(*args, **kwargs)
            if backend == "appindicator" and theme is not None:
                self._appindicator.set_icon_theme_path(str(theme.root))

        def set_state(self, health: Health, probe_only: bool, image: Any) -> None:
            self._state = (health, probe_only)
            self.icon = image  # pystray's setter: _update_icon() on the loop

        # -- pystray hooks (names and behaviour per pystray 0.19.5 _util/gtk.py) --

        def _initialize(self) -> None:
            with contextlib.suppress(ValueError):  # as pystray: Ctrl+C is not inhibited
                signal.signal(signal.SIGINT, signal.SIG_DFL)
            self._notifier = LazyNotifier(notify_dbus.Notifier, self._state_file)
            self._mark_ready()

        def _update_fs_icon(self) -> None:
            if theme is None:
                super()._update_fs_icon()
                return
            if backend == "appindicator":
                self._icon_path = state_icon_name(*self._state)
            else:
                self._icon_path = self._state_file()
            self._icon_valid = True

        def _remove_fs_icon(self) -> None:
            if theme is None:
                super()._remove_fs_icon()
                return
            self._icon_path = None  # our theme's files stay; nothing was made in /tmp
            self._icon_valid = False

        def relabel(self, changes: tuple[tuple[str, str], ...]) -> bool:
            """Give items of the native menu a new label in place (on the GTK loop), e.g. "Last
            checked 14:03" -> "14:04", rather than rebuilding the menu: the panel follows the
            label over D-Bus. False (nothing changed) unless each old label is there once."""
            handle = self._menu_handle
            if handle is None:
                return False
            by_label: dict[str, list[Any]] = {}
            for item in handle.get_children():
                by_label.setdefault(item.get_label() or "", []).append(item)
            if any(len(by_label.get(old, ())) != 1 for old, _new in changes):
                return False
            for old, new in changes:
                by_label[old][0].set_label(new)
            return True

        def update_menu(self) -> None:
            if self.menu is self._menu_built_from:
                return  # pystray calls this after every click; the menu has not changed
            self._menu_built_from = self.menu
            super().update_menu()

        if backend == "appindicator":

            @on_loop
            def _update_menu(self) -> None:
                # libayatana-appindicator re-sends RegisterStatusNotifierItem on every
                # set_menu(); its dbusmenu parser follows changes to the menu it has, so the
                # first menu stays and later ones only lend it their items.
                fresh = self._create_menu(self.menu) or self._create_default_menu()
                if self._menu_handle is None:
                    self._menu_handle = fresh
                    self._appindicator.set_menu(fresh)
                else:
                    _move_items(fresh, self._menu_handle)

            @on_loop
            def _show(self) -> None:
                # pystray's _show, minus its second set_menu() (one more registration)
                if self._menu_handle is None:
                    self._menu_handle = self._create_menu(self.menu) or self._create_default_menu()
                    self._appindicator.set_menu(self._menu_handle)
                self._appindicator.set_icon(self._icon_path)
                self._appindicator.set_title(self.title)
                status = sys.modules[base.__module__].AppIndicator.IndicatorStatus
                self._appindicator.set_status(status.ACTIVE)

        def _state_file(self) -> str:
            return str(theme.file(*self._state)) if theme is not None else str(self._icon_path)

    return AdjustedIcon


def _move_items(source: Any, target: Any) -> None:
    """Replace the items of Gtk.Menu ``target`` by those of ``source``."""
    for item in target.get_children():
        target.remove(item)
    for item in source.get_children():
        source.remove(item)
        target.append(item)
    target.show_all()


__all__ = [
    "GLIB_LOG_DOMAINS",
    "GTK_BACKENDS",
    "LazyNotifier",
    "adjusted_icon_class",
    "icon_class_for",
    "route_glib_log_to_python",
]
