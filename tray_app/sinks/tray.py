"""The tray icon: the UI-thread hand-off and the icon's state.

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

Which backend runs is decided in ``sinks.tray_backend`` before pystray is imported; the menu's
items and actions are wired in ``sinks.tray_menu``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import logging
import signal
import socket
import threading
from collections.abc import Callable
from typing import Any

from tray_app import APP_NAME, APP_TITLE
from tray_app.core.clock import utc_now
from tray_app.core.errors import TrayUnavailable
from tray_app.core.models import Health, MonitorSnapshot
from tray_app.platform.dbus import name_has_owner
from tray_app.platform.paths import AppPaths
from tray_app.sinks.menu import MenuItemSpec, MenuPrefs, build_menu, tooltip_text
from tray_app.sinks.tray_backend import LINUX_BACKENDS, choose_backend, import_pystray
from tray_app.sinks.tray_gtk import GTK_BACKENDS, icon_class_for, route_glib_log_to_python
from tray_app.sinks.tray_menu import TrayActions, TrayMenu

log = logging.getLogger(__name__)

ICON_SIZE = 32
ICON_SCALE = 2  # draw at 64 px; panels scale down, HiDPI panels stay crisp
NOTIFICATIONS_NAME = "org.freedesktop.Notifications"
_WM_APP_REFRESH = 0x8000 + 7  # WM_APP + 7


@dataclasses.dataclass(frozen=True)
class TrayView:
    """All the tray shows: the icon's state (health, probe only), the tooltip, the menu."""

    health: tuple[Health, bool]
    title: str
    menu: tuple[MenuItemSpec, ...]


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
        if backend in GTK_BACKENDS:
            route_glib_log_to_python()  # before pystray initialises Gtk
        self._pystray = import_pystray(backend)
        icon_class = icon_class_for(self._pystray, backend, app_paths.data_dir)
        self._themed = bool(getattr(icon_class, "THEMED", False))
        self._menu = TrayMenu(self._pystray, actions, app_paths, stop_tray=self.stop)
        self._mailbox: TrayView | None = None
        self._handed: TrayView | None = None  # the last view handed to the UI thread
        self._mailbox_lock = threading.Lock()
        self._kick_pending = False
        self._stopping = threading.Event()
        self._ready = threading.Event()
        self._loop_done = threading.Event()
        self._loop_failed = False
        self._health: tuple[Health, bool] | None = None
        self._menu_specs: tuple[MenuItemSpec, ...] = ()
        if backend == "xorg":
            log.warning(
                "tray backend 'xorg': the icon shows the state but its menu receives no clicks; "
                "install gir1.2-ayatanaappindicator3-0.1 (or gir1.2-gtk-3.0) for a working menu"
            )
        initial = MonitorSnapshot(Health.UNKNOWN, "starting")
        try:
            self._icon = icon_class(
                APP_NAME,
                icon=self._picture(Health.UNKNOWN, False),
                title=self._title(f"{APP_TITLE}: starting…"),
                menu=self._menu.to_pystray(build_menu(initial, MenuPrefs(), utc_now())),
            )
        except Exception as exc:  # Xlib, GLib and ctypes errors from the backend
            raise TrayUnavailable(
                f"pystray backend {backend!r} could not make an icon: {exc}"
            ) from exc
        log.info("tray backend: %s", backend)

    # -- thread-safe API --

    def show(self, snapshot: MonitorSnapshot, prefs: MenuPrefs) -> None:
        """Hand what the tray should show to the UI thread (safe from any thread; never
        blocks). Worked out here, on the caller's thread, so that a poll changing nothing shown
        (most polls: "Last checked" moves once a minute) does not wake the UI thread at all."""
        now = utc_now()
        view = TrayView(
            health=(snapshot.overall, snapshot.probe_only),
            title=self._title(tooltip_text(snapshot, now)),
            menu=build_menu(snapshot, prefs, now),
        )
        with self._mailbox_lock:
            if view == self._handed:
                return
            self._handed = self._mailbox = view
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
            if self._loop_failed:
                return
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
            # A backend's own shutdown may raise (a gone X server, a gone bus); by then we
            # are leaving anyway.
            if not self._stopping.is_set():
                self._loop_failed = True
                self._release_setup_thread()
                raise TrayUnavailable(f"the tray loop failed: {exc}") from exc
            log.debug("ignored an error while the tray shut down: %s", exc)
        finally:
            self._ready.clear()
            self._loop_done.set()
            log.info("tray loop ended")

    def _release_setup_thread(self) -> None:
        """pystray's setup thread (not a daemon) waits for the loop to report ready; after a
        loop that failed before that, it would wait forever and keep the process alive."""
        queue = getattr(self._icon, "_Icon__queue", None)  # pystray 0.19 _base.Icon.__queue
        if queue is not None:
            queue.put(True)

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
            self._apply(latest)
        except Exception:
            log.exception("could not update the tray icon")
            with self._mailbox_lock:
                self._handed = None  # the next update tries again, even if it looks the same

    def _apply(self, view: TrayView) -> None:
        health = view.health
        if health != self._health:
            image = self._picture(*health)
            if hasattr(self._icon, "set_state"):
                self._icon.set_state(*health, image)
            else:
                self._icon.icon = image
            self._health = health
        if view.title != self._icon.title:
            self._icon.title = view.title
        specs = view.menu
        if specs != self._menu_specs:
            relabel = getattr(self._icon, "relabel", None)  # the GTK backends
            changes = _relabels(self._menu_specs, specs)
            if not (changes and relabel is not None and relabel(changes)):
                self._icon.menu = self._menu.to_pystray(specs)  # the setter calls update_menu()
            self._menu_specs = specs

    def _picture(self, health: Health, probe_only: bool) -> Any:
        """What pystray is given as the icon. A themed backend shows the state by name from our
        icon theme, so nothing is drawn and Pillow is never loaded; others get the picture."""
        if self._themed:
            return (health, probe_only)  # any true value: pystray only tests it
        from tray_app.core.icons import render_icon

        return render_icon(health, ICON_SIZE, probe_only=probe_only, scale=ICON_SCALE)

    def _title(self, text: str) -> str:
        if self.backend != "xorg":
            return text
        # xorg sets WM_NAME as a latin-1 STRING and raises on anything else
        plain = text.replace("…", "...").replace("—", "-")
        return plain.encode("latin-1", "replace").decode("latin-1")

    def _install_signal_handlers(self) -> None:
        """From the setup thread: GLib signal sources (GTK blocks in C, where Python handlers
        would wait for the next event), and the win32 refresh message handler."""
        if self.backend in ("appindicator", "gtk"):
            from gi.repository import GLib

            def on_signal(*_args: object) -> bool:
                log.info("signal received; quitting")
                threading.Thread(target=self._menu.quit, name="tray-quit", daemon=True).start()
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
            threading.Thread(target=self._menu.quit, name="tray-quit", daemon=True).start()

        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError):  # not the main thread
                signal.signal(sig, on_signal)


def _relabels(
    old: tuple[MenuItemSpec, ...], new: tuple[MenuItemSpec, ...]
) -> tuple[tuple[str, str], ...]:
    """(old text, new text) of the top-level items that changed their text and nothing else, or
    () if anything else changed: only then can the native menu keep its items."""
    if len(old) != len(new):
        return ()
    changes = []
    for before, after in zip(old, new, strict=True):
        if before == after:
            continue
        if before.is_separator or after.is_separator or before.default:
            return ()  # a default item's label is bold markup: rebuilt, not relabelled
        if dataclasses.replace(before, text=after.text) != after:
            return ()
        changes.append((before.text, after.text))
    return tuple(changes)


__all__ = ["TrayUI"]
