"""Which tray backend this desktop can run, and whether anything shows tray icons.

``import pystray`` picks and initialises its backend at import time: it opens the X display
(and fails without one), and the gtk backend crashes without a session bus. So
``choose_backend()`` checks the display, the bus and the GObject typelibs first (nothing here
imports pystray), and ``import_pystray`` sets ``PYSTRAY_BACKEND`` before the first import.
"""

from __future__ import annotations

import ctypes
import importlib.util
import logging
import os
import socket
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tray_app.core.errors import TrayUnavailable
from tray_app.platform.dbus import name_has_owner

log = logging.getLogger(__name__)

LINUX_BACKENDS = ("appindicator", "gtk", "xorg")
SNI_WATCHER = "org.kde.StatusNotifierWatcher"


@dataclass(frozen=True)
class BackendChoice:
    """Which pystray backend to use; ``backend`` None means headless, ``reason`` says why."""

    backend: str | None
    reason: str


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
    return xembed_tray_owned(display) if display else False


def xembed_tray_owned(display: str) -> bool:
    """Does a window own ``_NET_SYSTEM_TRAY_S<screen>`` on ``display`` (an XEmbed tray)?

    Asked through libX11 itself, which GTK loads anyway: python-xlib would add 38 modules and
    2 MB to the tray for four requests. False when libX11 or the display cannot be opened."""
    try:
        x11 = ctypes.CDLL("libX11.so.6")
    except OSError as exc:
        log.debug("cannot load libX11 to look for a system tray: %s", exc)
        return False
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XDefaultScreen.argtypes = [ctypes.c_void_p]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XGetSelectionOwner.restype = ctypes.c_ulong
    x11.XGetSelectionOwner.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    conn = x11.XOpenDisplay(display.encode())
    if not conn:
        log.debug("cannot open the X display %r to look for a system tray", display)
        return False
    try:
        name = f"_NET_SYSTEM_TRAY_S{x11.XDefaultScreen(conn)}".encode()
        atom = x11.XInternAtom(conn, name, 1)  # only if it exists: no atom, no tray
        return bool(atom) and bool(x11.XGetSelectionOwner(conn, atom))
    finally:
        x11.XCloseDisplay(conn)


def no_tray_hint(env: Mapping[str, str] | None = None) -> str:
    """What to install or turn on so this desktop shows tray icons (XDG_CURRENT_DESKTOP,
    WAYLAND_DISPLAY, SWAYSOCK, HYPRLAND_INSTANCE_SIGNATURE say which desktop it is)."""
    env = os.environ if env is None else env
    desktops = {d.strip().lower() for d in env.get("XDG_CURRENT_DESKTOP", "").split(":")}
    if "gnome" in desktops or "ubuntu" in desktops:
        return (
            "on GNOME install and enable the AppIndicator extension "
            "(gnome-shell-extension-appindicator)"
        )
    if "kde" in desktops:
        return "on KDE Plasma add the System Tray widget to a panel"
    if (
        env.get("SWAYSOCK")
        or env.get("HYPRLAND_INSTANCE_SIGNATURE")
        or desktops
        & {
            "sway",
            "hyprland",
        }
    ):
        return (
            'on sway or Hyprland add waybar\'s "tray" module to its modules '
            "(or run another bar with a StatusNotifierItem tray)"
        )
    if "xfce" in desktops:
        return 'on Xfce add the "Status Tray Plugin" (systray) to a panel'
    if env.get("WAYLAND_DISPLAY"):
        return (
            'run a panel or bar with a StatusNotifierItem tray (waybar\'s "tray" module, for one)'
        )
    return (
        "run a panel with a StatusNotifierItem or XEmbed system tray "
        '(xfce4-panel, waybar\'s "tray" module, trayer, for example)'
    )


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


def import_pystray(backend: str) -> Any:
    """Import pystray with ``backend``; TrayUnavailable if it cannot start on this desktop."""
    current = os.environ.get("PYSTRAY_BACKEND")
    if "pystray" in sys.modules and current not in (None, backend):
        raise TrayUnavailable(f"pystray was already imported with backend {current!r}")
    os.environ["PYSTRAY_BACKEND"] = backend
    try:
        import pystray
    except Exception as exc:  # pystray raises ImportError, Xlib errors, gi errors...
        raise TrayUnavailable(f"pystray backend {backend!r} failed to start: {exc}") from exc
    return pystray


__all__ = [
    "LINUX_BACKENDS",
    "BackendChoice",
    "choose_backend",
    "import_pystray",
    "no_tray_hint",
    "tray_host_present",
]
