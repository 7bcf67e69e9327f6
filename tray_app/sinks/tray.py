"""The tray icon: backend choice, the UI-thread hand-off, and the menu wiring.

Threads. ``TrayUI.run()`` owns the main thread (pystray's loop). Everything else (the monitor,
the instance doorbell, signal handlers) talks to the tray only through ``show()``, ``stop()``
and ``notify()``, which never touch a widget themselves. ``show()`` stores the newest
(snapshot, prefs) in a one-slot mailbox and kicks the UI thread, which then applies only the
newest one (a burst of updates costs one redraw):

* appindicator / gtk: the kick is ``GLib.idle_add``; the mailbox is drained in that idle
  callback on the GTK main loop.
* xorg: pystray itself marshals icon/title updates to its X event loop via ClientMessages,
  so the mailbox is drained directly on the calling thread.
* win32: the kick is a ``PostMessage(WM_APP + 7)`` to pystray's hidden window; the mailbox is
  drained in that message's handler on the window's thread.
* darwin: the kick is ``PyObjCTools.AppHelper.callAfter``; drained on the AppKit main loop.

(pystray's ``update_menu`` is not thread-safe on win32/darwin: pystray issue #60.)

``import pystray`` picks and initialises its backend at import time: it opens the X display
(and fails without one), and the gtk backend crashes without a session bus. So
``choose_backend()`` checks the display, the bus and the GObject typelibs first, and
``TrayUI`` sets ``PYSTRAY_BACKEND`` before the first import.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tray_app import APP_NAME, APP_TITLE
from tray_app.core.errors import TrayUnavailable
from tray_app.core.models import Health, MonitorSnapshot
from tray_app.core.timefmt import until_tomorrow
from tray_app.platform.dbus import name_has_owner
from tray_app.platform.paths import AppPaths
from tray_app.sinks.icons import render_icon
from tray_app.sinks.menu import (
    CHECK_NOW,
    OPEN_LOG_FOLDER,
    OPEN_SETTINGS,
    OPEN_URL,
    QUIT,
    SET_AUTOSTART,
    SET_NOTIFICATIONS,
    SET_WATCHED,
    SNOOZE,
    SNOOZE_UNTIL_TOMORROW,
    MenuItemSpec,
    MenuPrefs,
    build_menu,
    tooltip_text,
)

log = logging.getLogger(__name__)

ICON_SIZE = 32
ICON_SCALE = 2  # draw at 64 px; panels scale down, HiDPI panels stay crisp
LINUX_BACKENDS = ("appindicator", "gtk", "xorg")
SNI_WATCHER = "org.kde.StatusNotifierWatcher"
NOTIFICATIONS_NAME = "org.freedesktop.Notifications"
_WM_APP_REFRESH = 0x8000 + 7  # WM_APP + 7


@dataclass(frozen=True)
class BackendChoice:
    """Which pystray backend to use; ``backend`` None means headless, ``reason`` says why."""

    backend: str | None
    reason: str


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


# ---- backend choice (no pystray import here) ----


def _x_display_reachable(display: str) -> bool:
    """Connect to the X server socket named by DISPLAY (":1", ":1.0", "host:1")."""
    host, _, rest = display.rpartition(":")
    number = rest.split(".", 1)[0]
    if not number.isdigit():
        return False
    try:
        if host in ("", "unix"):
            with socket.socket(socket.AF_UNIX) as sock:
                sock.settimeout(1.0)
                sock.connect(f"/tmp/.X11-unix/X{number}")
        else:
            socket.create_connection((host, 6000 + int(number)), timeout=1.0).close()
    except OSError:
        return False
    return True


def _session_bus_reachable(env: Mapping[str, str]) -> bool:
    address = env.get("DBUS_SESSION_BUS_ADDRESS")
    if not address:
        runtime = env.get("XDG_RUNTIME_DIR")
        bus = Path(runtime) / "bus" if runtime else None
        if bus is None or not bus.exists():
            return False
        address = f"unix:path={bus}"
    try:
        from jeepney.io.blocking import open_dbus_connection

        open_dbus_connection(address, auth_timeout=2.0).close()
    except Exception as exc:  # jeepney raises a mix of OSError, KeyError, ValueError
        log.debug("session bus %s not usable: %s", address, exc)
        return False
    return True


def tray_host_present(env: Mapping[str, str] | None = None) -> bool:
    """Is anything on this desktop able to show a tray icon: a StatusNotifierWatcher on the
    session bus (KDE, GNOME's AppIndicator extension, waybar...) or an XEmbed system tray?"""
    env = os.environ if env is None else env
    bus = env.get("DBUS_SESSION_BUS_ADDRESS")
    if bus and name_has_owner(SNI_WATCHER, bus):
        return True
    display = env.get("DISPLAY")
    if not display or not _xlib_available():
        return False
    try:
        from Xlib import display as xdisplay

        conn = xdisplay.Display(display)
        try:
            atom = conn.intern_atom(f"_NET_SYSTEM_TRAY_S{conn.get_default_screen()}")
            owner = conn.get_selection_owner(atom)
        finally:
            conn.close()
    except Exception as exc:  # Xlib raises its own error types
        log.debug("cannot ask the X server for a system tray: %s", exc)
        return False
    return bool(getattr(owner, "id", owner))


def _typelib_available(namespace: str, version: str) -> bool:
    try:
        import gi

        gi.require_version(namespace, version)
    except (ImportError, ValueError):
        return False
    return True


def _xlib_available() -> bool:
    return importlib.util.find_spec("Xlib") is not None


@dataclass(frozen=True)
class _Probes:
    """The checks choose_backend runs; injectable so the decision table is unit-testable."""

    x_display: Callable[[str], bool] = _x_display_reachable
    session_bus: Callable[[Mapping[str, str]], bool] = _session_bus_reachable
    typelib: Callable[[str, str], bool] = _typelib_available
    xlib: Callable[[], bool] = _xlib_available


def choose_backend(
    env: Mapping[str, str] | None = None,
    platform: str | None = None,
    probes: _Probes | None = None,
) -> BackendChoice:
    """Pick the pystray backend, or None with one line saying why (and what to install)."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    p = probes or _Probes()
    if platform == "win32":
        return BackendChoice("win32", "Windows notification area")
    if platform == "darwin":
        return BackendChoice("darwin", "macOS menu bar")
    display = env.get("DISPLAY", "")
    wayland = env.get("WAYLAND_DISPLAY", "")
    if not display and not wayland:
        return BackendChoice(None, "no graphical session (DISPLAY and WAYLAND_DISPLAY are unset)")
    has_x = bool(display) and p.x_display(display)
    if display and not has_x and not wayland:
        return BackendChoice(None, f"cannot connect to the X display {display!r}")
    has_bus = p.session_bus(env)
    has_gtk = p.typelib("Gtk", "3.0")
    has_indicator = p.typelib("AyatanaAppIndicator3", "0.1") or p.typelib("AppIndicator3", "0.1")
    forced = env.get("PYSTRAY_BACKEND", "")
    candidates = [forced] if forced else list(LINUX_BACKENDS)
    missing: list[str] = []
    for name in candidates:
        if name == "appindicator":
            if has_bus and has_gtk and has_indicator:
                return BackendChoice(
                    "appindicator", "StatusNotifierItem via libayatana-appindicator"
                )
            missing.append(
                "appindicator needs a session bus and the gir1.2-ayatanaappindicator3-0.1 package"
            )
        elif name == "gtk":
            if has_x and has_bus and has_gtk:
                return BackendChoice("gtk", "XEmbed tray icon via Gtk.StatusIcon")
            missing.append("gtk needs an X display, a session bus and gir1.2-gtk-3.0")
        elif name == "xorg":
            if has_x and p.xlib():
                return BackendChoice("xorg", "bare X11 tray icon (its menu cannot be clicked)")
            missing.append("xorg needs an X display and python-xlib")
        else:
            missing.append(f"PYSTRAY_BACKEND={name!r} is not usable here")
    return BackendChoice(None, "no system tray: " + "; ".join(missing))


def _import_pystray(backend: str) -> Any:
    current = os.environ.get("PYSTRAY_BACKEND")
    if "pystray" in sys.modules and current not in (None, backend):
        raise TrayUnavailable(f"pystray was already imported with backend {current!r}")
    os.environ["PYSTRAY_BACKEND"] = backend
    try:
        import pystray
    except Exception as exc:  # pystray raises ImportError, Xlib errors, gi errors...
        raise TrayUnavailable(f"pystray backend {backend!r} failed to start: {exc}") from exc
    return pystray


# ---- the tray ----


class TrayUI:
    def __init__(
        self, actions: TrayActions, *, backend: str | None = None, app_paths: AppPaths
    ) -> None:
        if backend is None:
            choice = choose_backend()
            if choice.backend is None:
                raise TrayUnavailable(choice.reason)
            backend = choice.backend
        self.backend = backend
        self._actions = actions
        self._paths = app_paths
        self._pystray = _import_pystray(backend)
        self._mailbox: tuple[MonitorSnapshot, MenuPrefs] | None = None
        self._mailbox_lock = threading.Lock()
        self._kick_pending = False
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._loop_done = threading.Event()
        self._health: tuple[Health, bool] | None = None
        self._menu_specs: tuple[MenuItemSpec, ...] = ()
        if backend == "xorg":
            log.warning(
                "tray backend 'xorg': the icon shows the state but its menu receives no clicks; "
                "install gir1.2-ayatanaappindicator3-0.1 (or gir1.2-gtk-3.0) for a working menu"
            )
        initial = MonitorSnapshot(Health.UNKNOWN, "starting")
        try:
            self._icon = self._pystray.Icon(
                APP_NAME,
                icon=render_icon(Health.UNKNOWN, ICON_SIZE, scale=ICON_SCALE),
                title=self._title(f"{APP_TITLE}: starting…"),
                menu=self._to_pystray(build_menu(initial, MenuPrefs(), _now())),
            )
        except Exception as exc:  # Xlib, GLib and ctypes errors from the backend
            raise TrayUnavailable(
                f"pystray backend {backend!r} could not make an icon: {exc}"
            ) from exc
        log.info("tray backend: %s", backend)

    # -- thread-safe API --

    def show(self, snapshot: MonitorSnapshot, prefs: MenuPrefs) -> None:
        """Hand the newest state to the UI thread (safe from any thread; never blocks)."""
        with self._mailbox_lock:
            self._mailbox = (snapshot, prefs)
            if self._kick_pending:
                return  # the pending drain will pick up this newer state
            self._kick_pending = True
        self._kick()

    def stop(self) -> None:
        """Leave run() (safe from any thread, idempotent)."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._ready.is_set():
            self._icon.stop()
            if self.backend == "xorg":
                threading.Thread(target=self._unstick_xorg, name="xorg-stop", daemon=True).start()

    def _unstick_xorg(self) -> None:
        # Measured under trayer: after a docked xorg icon has been updated from another
        # thread, pystray's loop can miss its own DestroyNotify and block in next_event()
        # forever. Shutting the X socket down wakes it (pystray logs the broken pipe).
        if self._loop_done.wait(1.0):
            return
        log.info("xorg tray loop did not end after stop; closing its X connection")
        with contextlib.suppress(Exception):
            self._icon._display.display.socket.shutdown(socket.SHUT_RDWR)

    def notify(self, title: str, body: str) -> bool:
        """Show ``body`` through the tray backend; False if it cannot (e.g. xorg).

        On Linux pystray's notify goes to the same notification server over D-Bus and fails
        silently without one, so it only claims delivery when that server is there."""
        if not self._ready.is_set() or not getattr(self._icon, "HAS_NOTIFICATION", False):
            return False
        if self.backend in LINUX_BACKENDS and not name_has_owner(NOTIFICATIONS_NAME):
            return False
        try:
            self._icon.notify(body, title)
        except Exception:
            log.exception("tray notification failed")
            return False
        return True

    def run(self, on_ready: Callable[[], None]) -> None:
        """Block in the tray loop on this (main) thread; ``on_ready`` runs once it is up."""

        def setup(icon: Any) -> None:
            # pystray swallows exceptions raised here and then hangs: catch, log, stop.
            try:
                icon.visible = True
                self._install_signal_handlers()
                self._ready.set()
                if self._stopping.is_set():
                    icon.stop()
                    return
                self._kick_pending = True
                self._kick()
                on_ready()
            except Exception:
                log.exception("tray setup failed; stopping the tray")
                self._stopping.set()
                icon.stop()

        if self._stopping.is_set():
            return
        self._install_python_signal_handlers()  # SIGINT/SIGTERM -> quit, well within 2 s
        try:
            self._icon.run(setup=setup)
        except Exception as exc:
            # pystray's GTK finalizer asks the notification daemon to close its last
            # bubble and raises when there is no daemon; by then we are leaving anyway.
            if not self._stopping.is_set():
                raise TrayUnavailable(f"the tray loop failed: {exc}") from exc
            log.debug("ignored an error while the tray shut down: %s", exc)
        finally:
            self._ready.clear()
            self._loop_done.set()
            log.info("tray loop ended")

    # -- UI-thread side --

    def _kick(self) -> None:
        if self.backend in ("appindicator", "gtk"):
            from gi.repository import GLib

            GLib.idle_add(self._drain_idle)
        elif self.backend == "win32" and self._ready.is_set():
            import ctypes

            hwnd = self._icon._hwnd  # pystray's hidden message window; handler set in setup()
            ctypes.windll.user32.PostMessageW(hwnd, _WM_APP_REFRESH, 0, 0)  # type: ignore[attr-defined]
        elif self.backend == "darwin" and self._ready.is_set():
            app_helper = importlib.import_module("PyObjCTools.AppHelper")
            app_helper.callAfter(self._drain)
        elif self._ready.is_set():
            self._drain()  # xorg (and dummy): pystray marshals to its own loop
        # else: before the loop is up, setup() kicks once it is.

    def _drain_idle(self) -> bool:
        self._drain()
        return False  # GLib: do not repeat

    def _drain(self) -> None:
        with self._mailbox_lock:
            latest, self._mailbox = self._mailbox, None
            self._kick_pending = False
        if latest is None:
            return
        try:
            self._apply(*latest)
        except Exception:
            log.exception("could not update the tray icon")

    def _apply(self, snapshot: MonitorSnapshot, prefs: MenuPrefs) -> None:
        now = _now()
        health = (snapshot.overall, snapshot.probe_only)
        if health != self._health:
            self._icon.icon = render_icon(
                snapshot.overall, ICON_SIZE, probe_only=snapshot.probe_only, scale=ICON_SCALE
            )
            self._health = health
        title = self._title(tooltip_text(snapshot, now))
        if title != self._icon.title:
            self._icon.title = title
        specs = build_menu(snapshot, prefs, now)
        if specs != self._menu_specs:
            self._menu_specs = specs
            self._icon.menu = self._to_pystray(specs)  # the setter calls update_menu()

    def _title(self, text: str) -> str:
        if self.backend != "xorg":
            return text
        # xorg sets WM_NAME as a latin-1 STRING and raises on anything else
        plain = text.replace("…", "...").replace("—", "-")
        return plain.encode("latin-1", "replace").decode("latin-1")

    def _to_pystray(self, specs: tuple[MenuItemSpec, ...]) -> Any:
        pystray = self._pystray
        items: list[Any] = []
        for spec in specs:
            if spec.is_separator:
                items.append(pystray.Menu.SEPARATOR)
            elif spec.submenu:
                items.append(
                    pystray.MenuItem(
                        spec.text, self._to_pystray(spec.submenu), enabled=spec.enabled
                    )
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
            a.snooze(until_tomorrow(_now()))
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
        elif spec.action == QUIT:
            self._quit()
        else:
            log.error("menu item %r has an unknown action %r", spec.text, spec.action)

    def _quit(self) -> None:
        try:
            self._actions.quit()
        finally:
            self.stop()

    def _install_signal_handlers(self) -> None:
        """From the setup thread: GLib signal sources (GTK blocks in C, where Python handlers
        would wait for the next event), and the win32 refresh message handler."""
        if self.backend in ("appindicator", "gtk"):
            from gi.repository import GLib

            def on_signal(*_args: object) -> bool:
                log.info("signal received; quitting")
                threading.Thread(target=self._quit, name="tray-quit", daemon=True).start()
                return False

            for sig in (signal.SIGINT, signal.SIGTERM):
                GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, on_signal)
            return
        if self.backend == "win32":
            self._icon._message_handlers[_WM_APP_REFRESH] = lambda _w, _l: self._drain()

    def _install_python_signal_handlers(self) -> None:
        """Other backends loop in Python on the main thread, so Python handlers run there."""
        if self.backend in ("appindicator", "gtk"):
            return

        def on_signal(signum: int, _frame: object) -> None:
            log.info("signal %d received; quitting", signum)
            threading.Thread(target=self._quit, name="tray-quit", daemon=True).start()

        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError):  # not the main thread
                signal.signal(sig, on_signal)


def _const(value: bool) -> Callable[[Any], bool]:
    return lambda _item: value


def _now() -> datetime:
    return datetime.now(timezone.utc)


__all__ = [
    "BackendChoice",
    "TrayActions",
    "TrayUI",
    "TrayUnavailable",
    "choose_backend",
]
